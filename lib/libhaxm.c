// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libhaxm: thin wrappers around the haxm ioctls; see libhaxm.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libhaxm.h"

/* Room for "/dev/hax_vm2147483647/vcpu2147483647" and more. */
#define HAX_PATH_MAX 64

/* ioctl(2) with a pointer argument, mapped to the library's convention. */
static int hax_ioctl(int fd, unsigned long nr, const void *arg)
{
	return ioctl(fd, nr, arg) < 0 ? -1 : 0;
}

int hax_vm_path(char *buf, size_t len, uint32_t vm_id)
{
	int n;

	if (vm_id > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, len, HAX_DEVFS_VM_FMT, (int)vm_id);
	if (n < 0 || (size_t)n >= len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int hax_vcpu_path(char *buf, size_t len, uint32_t vm_id, uint32_t vcpu_id)
{
	int n;

	if (vm_id > INT_MAX || vcpu_id > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(buf, len, HAX_DEVFS_VCPU_FMT, (int)vm_id, (int)vcpu_id);
	if (n < 0 || (size_t)n >= len) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int hax_open_system(void)
{
	return open(HAX_DEVFS_SYSTEM, O_RDWR | O_CLOEXEC);
}

int hax_get_version(int sys_fd, struct hax_module_version *v)
{
	return hax_ioctl(sys_fd, HAX_IOCTL_VERSION, v);
}

int hax_get_capability(int sys_fd, struct hax_capabilityinfo *c)
{
	return hax_ioctl(sys_fd, HAX_IOCTL_CAPABILITY, c);
}

int hax_create_vm(int sys_fd, uint32_t *vm_id)
{
	return hax_ioctl(sys_fd, HAX_IOCTL_CREATE_VM, vm_id);
}

int hax_destroy_vm(int sys_fd, uint32_t vm_id)
{
	return hax_ioctl(sys_fd, HAX_IOCTL_DESTROY_VM, &vm_id);
}

int hax_set_memlimit(int sys_fd, int enable, uint64_t limit_mb)
{
	struct hax_set_memlimit ml = {
		.enable_memlimit = !!enable,
		.memory_limit = limit_mb,
	};

	return hax_ioctl(sys_fd, HAX_IOCTL_SET_MEMLIMIT, &ml);
}

int hax_open_vm(uint32_t vm_id)
{
	char path[HAX_PATH_MAX];

	if (hax_vm_path(path, sizeof(path), vm_id))
		return -1;
	return open(path, O_RDWR | O_CLOEXEC);
}

int hax_notify_qemu_version(int vm_fd, uint32_t cur, uint32_t least)
{
	struct hax_qemu_version qv = { .cur_version = cur, .least_version = least };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_NOTIFY_QEMU_VERSION, &qv);
}

int hax_create_vcpu(int vm_fd, uint32_t vcpu_id)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_VCPU_CREATE, &vcpu_id);
}

int hax_destroy_vcpu(int vm_fd, uint32_t vcpu_id)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_VCPU_DESTROY, &vcpu_id);
}

int hax_alloc_ram(int vm_fd, uint64_t va, uint32_t size)
{
	struct hax_alloc_ram_info ai = { .size = size, .va = va };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_ALLOC_RAM, &ai);
}

int hax_add_ramblock(int vm_fd, uint64_t va, uint64_t size)
{
	struct hax_ramblock_info rb = { .start_va = va, .size = size };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_ADD_RAMBLOCK, &rb);
}

int hax_set_ram(int vm_fd, uint64_t gpa, uint32_t size, uint64_t va, uint8_t flags)
{
	struct hax_set_ram_info ri = { .pa_start = gpa, .size = size, .flags = flags, .va = va };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_SET_RAM, &ri);
}

int hax_set_ram2(int vm_fd, uint64_t gpa, uint64_t size, uint64_t va, uint32_t flags)
{
	struct hax_set_ram_info2 ri = { .pa_start = gpa, .size = size, .va = va, .flags = flags };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_SET_RAM2, &ri);
}

int hax_protect_ram(int vm_fd, uint64_t gpa, uint64_t size, uint32_t perm)
{
	struct hax_protect_ram_info pi = { .pa_start = gpa, .size = size, .flags = perm };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_PROTECT_RAM, &pi);
}

int hax_dirty_log_start(int vm_fd, uint64_t gpa, uint64_t size)
{
	struct hax_dirty_log dl = { .pa_start = gpa, .size = size };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_DIRTY_LOG_START, &dl);
}

int hax_dirty_log_get(int vm_fd, uint64_t gpa, uint64_t size, uint64_t *bitmap)
{
	struct hax_dirty_log dl = { .pa_start = gpa, .size = size, .bitmap = (uintptr_t)bitmap };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_DIRTY_LOG_GET, &dl);
}

int hax_dirty_log_stop(int vm_fd, uint64_t gpa, uint64_t size)
{
	struct hax_dirty_log dl = { .pa_start = gpa, .size = size };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_DIRTY_LOG_STOP, &dl);
}

int hax_lapic_enable(int vm_fd)
{
	struct hax_lapic_enable le = { 0 };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_LAPIC_ENABLE, &le);
}

int hax_lapic_enable_flags(int vm_fd, uint32_t flags)
{
	struct hax_lapic_enable le = { .flags = flags };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_LAPIC_ENABLE, &le);
}

int hax_irq_line(int vm_fd, uint32_t irq, uint32_t level)
{
	struct hax_irq_line il = { .irq = irq, .level = level };

	return hax_ioctl(vm_fd, HAX_VM_IOCTL_IRQ_LINE, &il);
}

int hax_signal_msi(int vm_fd, uint64_t address, uint32_t data)
{
	struct hax_msi m = { .address = address, .data = data };

	return ioctl(vm_fd, HAX_VM_IOCTL_SIGNAL_MSI, &m);
}

int hax_get_ioapic(int vm_fd, struct hax_ioapic_state *s)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_GET_IOAPIC, s);
}

int hax_set_ioapic(int vm_fd, const struct hax_ioapic_state *s)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_SET_IOAPIC, s);
}

int hax_get_pic(int vm_fd, struct hax_pic_state *s)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_GET_PIC, s);
}

int hax_set_pic(int vm_fd, const struct hax_pic_state *s)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_SET_PIC, s);
}

int hax_get_pit(int vm_fd, struct hax_pit_state *s)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_GET_PIT, s);
}

int hax_set_pit(int vm_fd, const struct hax_pit_state *s)
{
	return hax_ioctl(vm_fd, HAX_VM_IOCTL_SET_PIT, s);
}

int hax_get_lapic(int vcpu_fd, struct hax_lapic_state *s)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_GET_LAPIC, s);
}

int hax_set_lapic(int vcpu_fd, const struct hax_lapic_state *s)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_SET_LAPIC, (void *)s);
}

int hax_open_vcpu(uint32_t vm_id, uint32_t vcpu_id)
{
	char path[HAX_PATH_MAX];

	if (hax_vcpu_path(path, sizeof(path), vm_id, vcpu_id))
		return -1;
	return open(path, O_RDWR | O_CLOEXEC);
}

int hax_setup_tunnel(int vcpu_fd, struct hax_tunnel **tunnel, void **iobuf)
{
	struct hax_tunnel_info ti = { 0 };

	if (hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_SETUP_TUNNEL, &ti))
		return -1;
	*tunnel = (struct hax_tunnel *)(uintptr_t)ti.va;
	*iobuf = (void *)(uintptr_t)ti.io_va;
	return 0;
}

int hax_run(int vcpu_fd)
{
	return ioctl(vcpu_fd, HAX_VCPU_IOCTL_RUN, 0) < 0 ? -1 : 0;
}

int hax_get_state(int vcpu_fd, struct hax_vcpu_full_state *state)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_GET_STATE, state);
}

int hax_set_state(int vcpu_fd, const struct hax_vcpu_full_state *state)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_SET_STATE, (void *)state);
}

int hax_get_regs(int vcpu_fd, vcpu_state_t *state)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_GET_REGS, state);
}

int hax_set_regs(int vcpu_fd, const vcpu_state_t *state)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_SET_REGS, state);
}

int hax_get_fpu(int vcpu_fd, struct fx_layout *fpu)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_GET_FPU, fpu);
}

int hax_set_fpu(int vcpu_fd, const struct fx_layout *fpu)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_SET_FPU, fpu);
}

int hax_get_msrs(int vcpu_fd, struct hax_msr_data *msrs)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_GET_MSRS, msrs);
}

int hax_set_msrs(int vcpu_fd, struct hax_msr_data *msrs)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_SET_MSRS, msrs);
}

int hax_interrupt(int vcpu_fd, uint32_t vector)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_INTERRUPT, &vector);
}

int hax_set_debug(int vcpu_fd, const hax_debug_t *debug)
{
	return hax_ioctl(vcpu_fd, HAX_IOCTL_VCPU_DEBUG, debug);
}

int hax_set_cpuid(int vcpu_fd, const struct hax_cpuid *cpuid)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_SET_CPUID, &cpuid);
}

int hax_get_cpuid(int vcpu_fd, struct hax_cpuid *cpuid)
{
	return hax_ioctl(vcpu_fd, HAX_VCPU_IOCTL_GET_CPUID, &cpuid);
}

const char *hax_exit_status_name(uint32_t status)
{
	static const char *const names[] = {
		[HAX_EXIT_IO] = "IO",
		[HAX_EXIT_MMIO] = "MMIO",
		[HAX_EXIT_REALMODE] = "REALMODE",
		[HAX_EXIT_INTERRUPT] = "INTERRUPT",
		[HAX_EXIT_UNKNOWN] = "UNKNOWN",
		[HAX_EXIT_HLT] = "HLT",
		[HAX_EXIT_STATECHANGE] = "STATECHANGE",
		[HAX_EXIT_PAUSED] = "PAUSED",
		[HAX_EXIT_FAST_MMIO] = "FAST_MMIO",
		[HAX_EXIT_PAGEFAULT] = "PAGEFAULT",
		[HAX_EXIT_DEBUG] = "DEBUG",
	};

	if (status >= sizeof(names) / sizeof(names[0]) || !names[status])
		return "invalid";
	return names[status];
}
