// SPDX-License-Identifier: GPL-2.0
/* `haxm run`'s VM: creation (RAM, vCPUs, tunnels, devices) and teardown. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "vmm.h"

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		goto fail;                          \
	} while (0)

static int64_t vmm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static time_t vmm_wallclock(void)
{
	return time(NULL);
}

static void vmm_uart_tx(void *opaque, uint8_t byte)
{
	struct vmm *m = opaque;
	ssize_t r;

	/*
	 * A kick (SIGUSR1, no SA_RESTART) may interrupt the write; the
	 * terminal's other problems (a closed pipe, a full disk) are not the
	 * guest's: the byte is dropped, said once per cause on stderr.
	 */
	while ((r = write(m->out_fd, &byte, 1)) < 0 && errno == EINTR)
		;
	if (r < 0 && errno != m->out_errno) {
		m->out_errno = errno;
		fprintf(stderr, "\r\nhaxm run: the guest's output: %s (dropped)\r\n",
			strerror(errno));
	}
}

/* The PIC's output may have changed: wake or kick vCPU 0 if it is asserted. */
static void vmm_pic_notify(void *opaque)
{
	struct vmm *m = opaque;
	struct vmm_vcpu *v = &m->vcpu[0];

	if (!m->intr_supported || !pic_pending(&m->pic))
		return;
	pthread_cond_broadcast(&m->cond);
	/*
	 * A RUN that asked for an interrupt window returns by itself when it
	 * opens, but not one asleep in an in-kernel HLT (STI; HLT: the window
	 * never opened).
	 */
	if (v->started && v->in_run &&
	    (m->irqchip == VMM_IRQCHIP_KERNEL || !v->t->request_interrupt_window)) {
		v->t->user_event_pending = 1;
		pthread_kill(v->thread, SIGUSR1);
	}
}

/* The PIT's port handler: a reprogrammed channel 0 re-arms the timer thread. */
static void vmm_pit_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	struct vmm *m = opaque;

	pit_io(&m->pit, port, size, write, val);
	if (write)
		pthread_cond_signal(&m->timer_cond);
}

/*
 * An ISA line with the in-kernel IO-APIC: to the PIC and to the IO-APIC, IRQ
 * 0 on pin 2 (the MP table's override), as the PC wires them.
 */
static void vmm_isa_irq(void *opaque, int irq, int level)
{
	struct vmm *m = opaque;

	pic_set_irq(&m->pic, irq, level);
	if (irq >= 0 && irq < 16 && irq != 2)
		hax_irq_line(m->vm_fd, irq ? irq : 2, level);
}

/*
 * An ISA line with the in-kernel PIC too: IRQ_LINE reaches the PIC's input
 * and the IO-APIC's pin of the same number (IRQ 0 is the kernel's PIT's).
 */
static void vmm_kernel_irq(void *opaque, int irq, int level)
{
	struct vmm *m = opaque;

	if (irq > 0 && irq < 16 && irq != 2)
		hax_irq_line(m->vm_fd, irq, level);
}

/* haxm run's PIC and PIT on the port bus (not with the kernel's). */
static int vmm_user_pic_pit(struct vmm *m)
{
	if (m->pic_pit == VMM_IRQCHIP_KERNEL)
		return 0;
	return io_register(&m->io, 0x20, 2, pic_io, &m->pic) ||
	       io_register(&m->io, 0xa0, 2, pic_io, &m->pic) ||
	       io_register(&m->io, 0x4d0, 2, pic_io, &m->pic) ||
	       io_register(&m->io, 0x40, 4, vmm_pit_io, m) ||
	       io_register(&m->io, 0x61, 1, vmm_pit_io, m);
}

static int vmm_devices(struct vmm *m)
{
	bool k = m->irqchip == VMM_IRQCHIP_KERNEL;
	irq_fn irq = k ? vmm_isa_irq : pic_set_irq;
	void *irq_opaque = k ? (void *)m : (void *)&m->pic;

	if (m->pic_pit == VMM_IRQCHIP_KERNEL)
		irq = vmm_kernel_irq;
	uart_init(&m->uart, vmm_uart_tx, m, irq, irq_opaque);
	pic_init(&m->pic, vmm_pic_notify, m);
	pit_init(&m->pit, vmm_now, irq, irq_opaque);
	rtc_init(&m->rtc, boot_low_ram(m->ram_size), vmm_wallclock);
	m->debugexit = (struct debugexit){ vmm_request_exit, m };
	m->reset = (struct resetdev){ 0, vmm_request_exit, m, VMM_EXIT_RESET };
	if (io_register(&m->io, UART_COM1_BASE, 8, uart_io, &m->uart) || vmm_user_pic_pit(m) ||
	    io_register(&m->io, 0x70, 2, rtc_io, &m->rtc) ||
	    io_register(&m->io, DEBUGEXIT_PORT, 1, debugexit_io, &m->debugexit) ||
	    io_register(&m->io, 0xcf9, 1, reset_io, &m->reset) ||
	    io_register(&m->io, 0x60, 1, reset_io, &m->reset) ||
	    io_register(&m->io, 0x64, 1, reset_io, &m->reset))
		return -1;
	return 0;
}

static int vmm_locks(struct vmm *m)
{
	pthread_condattr_t ca;

	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC))
		return -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, &ca);
	pthread_cond_init(&m->timer_cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

/* Open /dev/HAX and check the module can run guests; one-line advice on failure. */
static int vmm_open_module(struct vmm *m, char *err, size_t errlen)
{
	struct hax_capabilityinfo cap;

	m->sys_fd = hax_open_system();
	if (m->sys_fd < 0) {
		if (errno == ENOENT)
			snprintf(
				err, errlen,
				"%s does not exist: the haxm module is not loaded (insmod haxm.ko)",
				HAX_DEVFS_SYSTEM);
		else
			snprintf(err, errlen, "cannot open %s: %s (see 'haxm check')",
				 HAX_DEVFS_SYSTEM, strerror(errno));
		return -1;
	}
	if (hax_get_capability(m->sys_fd, &cap)) {
		snprintf(err, errlen, "HAX_IOCTL_CAPABILITY: %s", strerror(errno));
		return -1;
	}
	m->caps = cap.winfo;
	if (!(cap.wstatus & HAX_CAP_STATUS_WORKING)) {
		snprintf(err, errlen, "haxm cannot run guests on this CPU: %s (see 'haxm check')",
			 (cap.winfo & HAX_CAP_FAILREASON_NX) ? "NX is disabled"
							     : "VT-x is missing or disabled");
		return -1;
	}
	return 0;
}

static int vmm_vcpu_create(struct vmm *m, int id, char *err, size_t errlen)
{
	struct vmm_vcpu *v = &m->vcpu[id];
	void *iobuf;

	v->vmm = m;
	v->id = id;
	v->fd = -1;
	if (hax_create_vcpu(m->vm_fd, id)) {
		snprintf(err, errlen, "creating vCPU %d: %s", id, strerror(errno));
		return -1;
	}
	v->fd = hax_open_vcpu(m->vm_id, id);
	if (v->fd < 0) {
		snprintf(err, errlen, "opening vCPU %d: %s", id, strerror(errno));
		return -1;
	}
	if (hax_setup_tunnel(v->fd, &v->t, &iobuf)) {
		snprintf(err, errlen, "vCPU %d's tunnel: %s", id, strerror(errno));
		return -1;
	}
	v->iobuf = iobuf;
	return 0;
}

/*
 * Resolve m->irqchip and m->pic_pit; with KERNEL, the LAPICs and the
 * IO-APIC, and the PIC and the PIT where they are the kernel's (before any
 * vCPU).
 */
static int vmm_irqchip(struct vmm *m, char *err, size_t errlen)
{
	bool have = (m->caps & HAX_CAP_LAPIC) && (m->caps & HAX_CAP_IOAPIC);
	uint32_t flags = HAX_LAPIC_ENABLE_IOAPIC;

	if (m->irqchip == VMM_IRQCHIP_AUTO)
		m->irqchip = have ? VMM_IRQCHIP_KERNEL : VMM_IRQCHIP_USER;
	if (m->irqchip != VMM_IRQCHIP_KERNEL) {
		m->pic_pit = VMM_IRQCHIP_USER;
		return 0;
	}
	if (m->pic_pit == VMM_IRQCHIP_AUTO)
		m->pic_pit = m->caps & HAX_CAP_PIC_PIT ? VMM_IRQCHIP_KERNEL : VMM_IRQCHIP_USER;
	if (m->pic_pit == VMM_IRQCHIP_KERNEL && !(m->caps & HAX_CAP_PIC_PIT)) {
		snprintf(err, errlen,
			 "the guest's PIC and PIT are in-kernel ones, and this haxm module has "
			 "none (HAX_CAP_PIC_PIT)");
		return -1;
	}
	if (m->pic_pit == VMM_IRQCHIP_KERNEL)
		flags |= HAX_LAPIC_ENABLE_PIC | HAX_LAPIC_ENABLE_PIT;
	if (!have) {
		snprintf(err, errlen,
			 "--irqchip=kernel: this haxm module has no in-kernel local APIC and "
			 "IO-APIC (HAX_CAP_LAPIC, HAX_CAP_IOAPIC): use --irqchip=user");
		return -1;
	}
	if (m->ncpus > VMM_KIRQ_CPUS) {
		snprintf(err, errlen, "--irqchip=kernel: at most %d vCPUs", VMM_KIRQ_CPUS);
		return -1;
	}
	if (hax_lapic_enable_flags(m->vm_fd, flags)) {
		snprintf(err, errlen, "HAX_VM_IOCTL_LAPIC_ENABLE: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The guest RAM, 2 MiB-aligned as QEMU aligns its own: each 2 MiB guest
 * block is then one 2 MiB block of the mapping, which a THP can back and
 * the module can map with one 2 MiB EPT leaf (an unaligned mapping gets
 * 4 KiB leaves only: an EPT violation per 4 KiB page the guest touches).
 * A snapshot's RAM is its file's, private: pages are read as the guest
 * touches them. MAP_FAILED with errno set on failure.
 */
static uint8_t *vmm_map_ram(const struct vmm *m, uint64_t ram_size)
{
	const uint64_t align = 2ull << 20;
	uint8_t *area, *ram;
	uint64_t head;

	/* a reservation with room to align in, then the RAM over its aligned part */
	area = mmap(NULL, ram_size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	head = -(uintptr_t)area & (align - 1);
	if (m->ram_from_file)
		ram = mmap(area + head, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
			   m->ram_fd, m->ram_off);
	else
		ram = mmap(area + head, ram_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (ram == MAP_FAILED) {
		int e = errno;

		munmap(area, ram_size + align);
		errno = e;
		return MAP_FAILED;
	}
	if (head)
		munmap(area, head);
	munmap(ram + ram_size, align - head);
	return ram;
}

int vmm_create(struct vmm *m, uint64_t ram_size, int ncpus, int out_fd, char *err, size_t errlen)
{
	uint64_t low;
	int i;

	m->sys_fd = m->vm_fd = -1;
	m->ram = MAP_FAILED;
	/* vmm_request_exit() signals this thread, which must be the one calling vmm_run() */
	m->main_thread = pthread_self();
	m->ram_size = ram_size;
	m->ncpus = ncpus;
	m->out_fd = out_fd;
	for (i = 0; i < VMM_MAX_CPUS; i++)
		m->vcpu[i].fd = -1;
	if (vmm_locks(m))
		FAIL("pthread condition attributes: %s", strerror(errno));
	if (vmm_open_module(m, err, errlen))
		goto fail;
	if (hax_create_vm(m->sys_fd, &m->vm_id)) {
		if (errno == EBUSY)
			FAIL("another hypervisor holds VT-x (kvm_intel running a VM?): stop it or "
			     "unload it (rmmod kvm_intel)");
		FAIL("HAX_IOCTL_CREATE_VM: %s", strerror(errno));
	}
	m->vm_fd = hax_open_vm(m->vm_id);
	if (m->vm_fd < 0)
		FAIL("opening VM %u: %s", m->vm_id, strerror(errno));
	if (hax_notify_qemu_version(m->vm_fd, 4, 4))
		FAIL("HAX_VM_IOCTL_NOTIFY_QEMU_VERSION: %s", strerror(errno));
	if (vmm_irqchip(m, err, errlen))
		goto fail;
	m->ram = vmm_map_ram(m, ram_size);
	if (m->ram == MAP_FAILED)
		FAIL("cannot allocate %llu MiB of guest RAM: %s",
		     (unsigned long long)(ram_size >> 20), strerror(errno));
	madvise(m->ram, ram_size, MADV_HUGEPAGE);
	/* RAM past BOOT_PCI_HOLE goes on at 4 GiB, after the PCI/IO-APIC/LAPIC hole */
	low = boot_low_ram(ram_size);
	if (hax_add_ramblock(m->vm_fd, (uintptr_t)m->ram, ram_size) ||
	    hax_set_ram2(m->vm_fd, 0, low, (uintptr_t)m->ram, 0) ||
	    (ram_size > low &&
	     hax_set_ram2(m->vm_fd, BOOT_RAM_ABOVE_4G, ram_size - low, (uintptr_t)m->ram + low, 0)))
		FAIL("registering %llu MiB of guest RAM: %s", (unsigned long long)(ram_size >> 20),
		     strerror(errno));
	for (i = 0; i < ncpus; i++)
		if (vmm_vcpu_create(m, i, err, errlen))
			goto fail;
	/* Probe HAX_VCPU_IOCTL_INTERRUPT: vector 256 is EINVAL where it exists. */
	m->intr_supported = hax_interrupt(m->vcpu[0].fd, 256) && errno == EINVAL;
	if (vmm_devices(m))
		FAIL("registering the devices' ports failed");
	return 0;
fail:
	vmm_destroy(m);
	return -1;
}

void vmm_destroy(struct vmm *m)
{
	int i;

	for (i = 0; i < VMM_MAX_CPUS; i++) {
		/* SETUP_TUNNEL maps the tunnel page and the I/O buffer together. */
		if (m->vcpu[i].t)
			munmap(m->vcpu[i].t, 2 * 4096);
		if (m->vcpu[i].fd >= 0)
			close(m->vcpu[i].fd);
		m->vcpu[i].fd = -1;
		m->vcpu[i].t = NULL;
		m->vcpu[i].iobuf = NULL;
	}
	if (m->vm_fd >= 0)
		close(m->vm_fd);
	if (m->sys_fd >= 0)
		close(m->sys_fd);
	if (m->ram != MAP_FAILED)
		munmap(m->ram, m->ram_size);
	m->vm_fd = m->sys_fd = -1;
	m->ram = MAP_FAILED;
}
