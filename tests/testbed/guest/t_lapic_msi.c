// SPDX-License-Identifier: GPL-2.0
/*
 * HAX_VM_IOCTL_SIGNAL_MSI (HAX_CAP_MSI): a VMM's MSI write to the in-kernel
 * LAPICs (SDM Vol. 3A 11.11): the address and data checks and their errno,
 * ENOTTY on a VM without LAPIC_ENABLE, and delivery to a guest in each
 * mode a device uses (fixed and lowest priority, physical and logical
 * destination, RH, edge; NMI), the return value counting the LAPICs that
 * accepted it.
 *
 * The guest (unreal mode, as in t_lapic.c) enables its APIC with logical
 * ID 1 (flat model), then loops on OUT 0x82, at which the host sends an
 * MSI; its handlers report their vector on port 0x80.
 */
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

LAPIC_HANDLER(g_msi_h02, 0x02);
LAPIC_HANDLER(g_msi_h41, 0x41);
LAPIC_HANDLER(g_msi_h42, 0x42);
LAPIC_HANDLER(g_msi_h43, 0x43);
LAPIC_HANDLER(g_msi_h44, 0x44);
LAPIC_HANDLER(g_msi_h45, 0x45);

GUEST_CODE(g_msi_loop,
	   ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
	   " movl $0x01000000, %fs:0xd0(%ebx)\n sti\n1: out %al, $0x82\n nop\n jmp 1b\n");

/* SIGNAL_MSI with @flags, as a client would fill struct hax_msi. */
static int msi_raw(int vm_fd, uint64_t address, uint32_t data, uint32_t flags)
{
	struct hax_msi m = { .address = address, .data = data, .flags = flags };

	return ioctl(vm_fd, HAX_VM_IOCTL_SIGNAL_MSI, &m);
}

TEST(lapic_msi_errors)
{
	static const struct {
		uint64_t address;
		uint32_t data;
	} bad[] = {
		{ 0xfed00000, 0x41 },		 /* not 0xFEE */
		{ 0x1fee00000ull, 0x41 },	 /* a bit above 31 */
		{ 0xfee00010, 0x41 },		 /* reserved bits 11:4 */
		{ 0xfee00001, 0x41 },		 /* bits 1:0 */
		{ 0xfee00000, 0x41 | 1u << 11 }, /* reserved data bits 13:11 */
		{ 0xfee00000, 0x41 | 1u << 16 }, /* reserved data bits 31:16 */
		{ 0xfee00000, 0x341 },		 /* delivery mode 3: reserved */
		{ 0xfee00000, 0x641 },		 /* delivery mode 6 (SIPI): reserved */
		{ 0xfeeff008, 0x41 },		 /* RH, physical, destination 0xFF */
	};
	struct hax_capabilityinfo ci;
	struct hax_lapic_state s;
	struct vm_ctx plain, c;
	unsigned int i;
	int fd, r = 1;

	CHECK_OK(fd = hax_open_system());
	CHECK_OK(hax_get_capability(fd, &ci));
	close(fd);
	CHECK(ci.winfo & HAX_CAP_MSI);
	/* no in-kernel LAPIC: nothing to deliver to, before any check */
	if (vm_setup(&plain, 1 << 16))
		goto out_plain;
	CHECK_ERRNO(hax_signal_msi(plain.vm_fd, 0xfee00000, 0x41), ENOTTY);
	CHECK_ERRNO(hax_signal_msi(plain.vm_fd, 0, 0), ENOTTY);
	r = 0;
out_plain:
	vm_teardown(&plain);
	if (r || lapic_setup(&c, 1 << 16))
		return 1;
	r = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (hax_signal_msi(c.vm_fd, bad[i].address, bad[i].data) != -1 || errno != EINVAL) {
			fail("case %u (0x%llx, 0x%x): errno %d, expected EINVAL", i,
			     (unsigned long long)bad[i].address, bad[i].data, errno);
			goto out;
		}
	}
	CHECK_ERRNO(msi_raw(c.vm_fd, 0xfee00000, 0x41, 1), EINVAL);
	/* the APIC is software-disabled at power-up: a fixed message is not taken */
	CHECK_EQ(hax_signal_msi(c.vm_fd, 0xfee00000, 0x41), 0);
	CHECK_OK(hax_get_lapic(c.vcpu_fd, &s));
	s.regs[0xf0] = 0xff;
	s.regs[0xf1] = 1; /* SVR 0x1ff */
	CHECK_OK(hax_set_lapic(c.vcpu_fd, &s));
	/* a level de-assert carries no interrupt; no APIC 5; one edge message taken */
	CHECK_EQ(hax_signal_msi(c.vm_fd, 0xfee00000, 0x8041), 0);
	CHECK_EQ(hax_signal_msi(c.vm_fd, 0xfee05000, 0x41), 0);
	CHECK_EQ(hax_signal_msi(c.vm_fd, 0xfee00000, 0x41), 1);
	CHECK_OK(hax_get_lapic(c.vcpu_fd, &s));
	CHECK_EQ(s.regs[0x200 + 2 * 16], 1 << 1); /* IRR: vector 0x41 */
	CHECK_EQ(s.regs[0x180 + 2 * 16], 0);	  /* TMR: edge */
	r = 0;
out:
	vm_teardown(&c);
	return r;
}

/*
 * Each row: an MSI sent at the guest's OUT 0x82, how many LAPICs take it,
 * the vector its handler then reports (-1: none).
 */
static const struct {
	uint64_t address;
	uint32_t data;
	int taken, vector;
} deliveries[] = {
	{ 0xfee00000, 0x0041, 1, 0x41 }, /* fixed, physical ID 0 */
	{ 0xfee01004, 0x0042, 1, 0x42 }, /* fixed, logical 0x01 (flat) */
	{ 0xfee02004, 0x0042, 0, -1 },	 /* logical 0x02: nobody */
	{ 0xfee00000, 0x0143, 1, 0x43 }, /* lowest priority, physical */
	{ 0xfee01004, 0x0144, 1, 0x44 }, /* lowest priority, logical */
	{ 0xfee00008, 0x0045, 1, 0x45 }, /* fixed with RH: lowest priority */
	{ 0xfeeff000, 0x0041, 1, 0x41 }, /* physical broadcast */
	{ 0xfee00000, 0x0400, 1, 0x02 }, /* NMI */
	{ 0xfee01000, 0x0041, 0, -1 },	 /* physical ID 1: nobody */
};

#define NR_ROWS (sizeof(deliveries) / sizeof(deliveries[0]))

static const struct {
	int vec;
	const uint8_t *s, *e;
} msi_handlers[] = {
	{ 0x02, g_msi_h02_start, g_msi_h02_end }, { 0x41, g_msi_h41_start, g_msi_h41_end },
	{ 0x42, g_msi_h42_start, g_msi_h42_end }, { 0x43, g_msi_h43_start, g_msi_h43_end },
	{ 0x44, g_msi_h44_start, g_msi_h44_end }, { 0x45, g_msi_h45_start, g_msi_h45_end }
};

/* The loop at 0x1000 and the handlers at 0x3000 + i * 0x100 in @ram. */
static void msi_image(uint8_t *ram)
{
	unsigned int i;

	memcpy(ram + 0x1000, g_msi_loop_start, g_msi_loop_end - g_msi_loop_start);
	for (i = 0; i < sizeof(msi_handlers) / sizeof(msi_handlers[0]); i++)
		lapic_ivt_set(ram, msi_handlers[i].vec, 0x3000 + i * 0x100, msi_handlers[i].s,
			      msi_handlers[i].e);
}

/*
 * The same rows under kvm_intel's in-kernel irqchip (KVM_SIGNAL_MSI, whose
 * return value counts otherwise): the guest's OUTs in @tr.
 */
static int msi_kvm_trace(struct out_trace *tr)
{
	struct kvm_ctx k;
	struct twin d = { .k = &k };
	unsigned int i;
	int r;

	r = kvm_setup_real_irqchip(&k, 1 << 20, 0x1000);
	if (!r) {
		msi_image(k.ram);
		r = twin_out(&d, tr);
	}
	for (i = 0; !r && i < NR_ROWS; i++) {
		struct kvm_msi m = { .address_lo = (uint32_t)deliveries[i].address,
				     .address_hi = deliveries[i].address >> 32,
				     .data = deliveries[i].data };

		ioctl(k.vm, KVM_SIGNAL_MSI, &m);
		do
			r = twin_out(&d, tr);
		while (!r && tr->port[tr->n - 1] != 0x82);
	}
	kvm_teardown(&k);
	return r;
}

TEST(lapic_msi_delivery)
{
	struct out_trace th = { 0 }, tk = { 0 };
	struct hax_lapic_state s;
	struct vm_ctx c;
	unsigned int i;
	int n, r = 1;

	if (lapic_setup(&c, 1 << 20))
		goto out;
	msi_image(c.ram);
	if (load_unreal(c.vcpu_fd, c.ram, 0x1000, g_msi_loop_start, g_msi_loop_end, 0x8000) ||
	    expect_out(&c, 0x82, 1, 0))
		goto out;
	out_trace_add(&th, 0x82, "", 1);
	for (i = 0; i < NR_ROWS; i++) {
		n = hax_signal_msi(c.vm_fd, deliveries[i].address, deliveries[i].data);
		if (n != deliveries[i].taken) {
			fail("row %u: SIGNAL_MSI returned %d (errno %d), expected %d", i, n, errno,
			     deliveries[i].taken);
			goto out;
		}
		/* the handler's vector, then the loop's OUT again (AL kept: 0) */
		if ((deliveries[i].vector >= 0 && expect_out(&c, 0x80, 1, deliveries[i].vector)) ||
		    expect_out(&c, 0x82, 1, 0)) {
			printf("lapic_msi_delivery: row %u\n", i);
			goto out;
		}
		/* what expect_out() saw, for the comparison */
		if (deliveries[i].vector >= 0)
			out_trace_add(&th, 0x80, &deliveries[i].vector, 1);
		out_trace_add(&th, 0x82, "", 1);
	}
	/* everything taken and EOIed */
	CHECK_OK(hax_get_lapic(c.vcpu_fd, &s));
	for (i = 0; i < 8; i++) {
		CHECK_EQ(s.regs[0x100 + i * 16], 0);
		CHECK_EQ(s.regs[0x200 + i * 16], 0);
	}
	CHECK_EQ(s.pending, 0);
	r = 0;
out:
	vm_teardown(&c);
	if (r)
		return r;
	if (access("/dev/kvm", F_OK))
		return skip("/dev/kvm: %s (kvm_intel not loaded)", strerror(errno));
	if (msi_kvm_trace(&tk))
		return 1;
	printf("lapic_msi_delivery vs kvm_intel: %d OUTs each\n", th.n);
	return out_trace_equal(&th, &tk);
}

/* Interrupts off, HLT: only an NMI (or INIT) ends it. */
GUEST_CODE(g_msi_cli_hlt,
	   ".code16\n mov $0xfee00000, %ebx\n movl $0x1ff, %fs:0xf0(%ebx)\n"
	   " cli\n hlt\n mov $0x55, %al\n out %al, $0x84\n out %al, $0x81\n1: jmp 1b\n");

struct nmi_sender {
	int vm_fd, taken, err;
};

/* 200 ms after the start, an NMI MSI to APIC ID 0. */
static void *send_nmi_later(void *arg)
{
	struct nmi_sender *n = arg;
	sigset_t alrm;

	/* the RUN's cut is for the vCPU's thread */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	usleep(200000);
	n->taken = hax_signal_msi(n->vm_fd, 0xfee00000, 0x400);
	n->err = errno;
	return NULL;
}

/*
 * A HLT with IF=0 exits once (HAX_EXIT_HLT); the next RUN sleeps in the
 * kernel until an NMI arrives from another thread (an MSI here), which
 * wakes the vCPU out of the HLT into its NMI handler (vector 2 of the IVT),
 * the IRET returning past the HLT.
 */
TEST(lapic_msi_nmi_wakes_hlt)
{
	struct nmi_sender n = { 0 };
	struct timespec t0, t1;
	struct vm_ctx c;
	pthread_t th;
	long long ms;
	int r = 1;

	if (lapic_setup(&c, 1 << 20))
		goto out;
	n.vm_fd = c.vm_fd;
	lapic_ivt_set(c.ram, 2, 0x3000, g_msi_h02_start, g_msi_h02_end);
	if (load_unreal(c.vcpu_fd, c.ram, 0x1000, g_msi_cli_hlt_start, g_msi_cli_hlt_end, 0x8000) ||
	    expect_exit(&c, HAX_EXIT_HLT))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(pthread_create(&th, NULL, send_nmi_later, &n), 0);
	/* cut after 5 s: without the NMI the RUN would sleep for good */
	r = vm_run_cut(&c, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	if (r)
		goto out;
	r = 1;
	if (c.tunnel->_exit_status != HAX_EXIT_IO || c.tunnel->io._port != 0x80 ||
	    c.iobuf[0] != 2) {
		fail("exit %u port 0x%x, expected the NMI handler's OUT to 0x80",
		     c.tunnel->_exit_status, c.tunnel->io._port);
		goto out;
	}
	if (expect_out(&c, 0x84, 1, 0x55) || expect_out(&c, 0x81, 1, 0x55))
		goto out;
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("lapic_msi_nmi_wakes_hlt: woken after %lld ms\n", ms);
	r = 1;
	CHECK_EQ(n.taken, 1);
	CHECK(ms >= 150); /* it slept until the NMI */
	CHECK_EQ(exit_count(&c, "HLT"), 1);
	r = 0;
out:
	vm_teardown(&c);
	return r;
}
