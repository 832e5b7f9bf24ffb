// SPDX-License-Identifier: GPL-2.0
/* VMs: guest memory and EPT, and module-wide core setup. */
#include "vm.h"
#include "vapic.h"
#include "stats.h"
#include "vmx/caps.h"
#include "vmx/cpu.h"
#include "vmx/vmx.h"
#include "vmx/msr_vmx.h"

struct hax_counters hax_counters;

int hax_core_init(void)
{
	return vmx_cpus_init();
}

void hax_core_exit(void)
{
	vmx_cpus_exit();
}

void hax_capability(struct hax_capabilityinfo *ci)
{
	*ci = (struct hax_capabilityinfo){ 0 };
	ci->wstatus = HAX_CAP_STATUS_WORKING;
	/* Advertise only what works; the rest comes with its feature. */
	ci->winfo = HAX_CAP_EPT | HAX_CAP_UG | HAX_CAP_64BIT_RAMBLOCK | HAX_CAP_64BIT_SETRAM |
		    HAX_CAP_FASTMMIO | HAX_CAP_TUNNEL_PAGE | HAX_CAP_RAM_PROTECTION |
		    HAX_CAP_IMPLICIT_RAMBLOCK | HAX_CAP_CPUID | HAX_CAP_DEBUG | HAX_CAP_DIRTY_LOG |
		    HAX_CAP_VCPU_STATE | HAX_CAP_LAPIC | HAX_CAP_IOAPIC | HAX_CAP_PIC_PIT |
		    HAX_CAP_MSI;
}

int vm_create(u32 id, struct vm **out)
{
	struct vm *vm;
	int r;

	vm = os_zalloc(sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	r = vmx_get();
	if (r)
		goto fail_free;
	r = ept_init(&vm->ept);
	if (r)
		goto fail_vmx;
	vm->id = id;
	vm->mm = os_mm_current();
	cpuid_vm_init(vm);
	os_mutex_init(&vm->lock);
	hax_count(&hax_counters.vms, 1);
	os_log(HAX_LOG_DEBUG, "vm%u: created\n", id);
	*out = vm;
	return 0;
fail_vmx:
	vmx_put();
fail_free:
	os_free(vm);
	return r;
}

void vm_destroy(struct vm *vm)
{
	/* No CPU may keep translations through tables about to be reused. */
	vmx_flush_ept(vm->ept.eptp);
	ept_free(&vm->ept);
	dirty_log_free(&vm->dirty);
	vm_lapic_free(vm);
	guest_mem_free(&vm->mem);
	vmx_put();
	os_log(HAX_LOG_DEBUG, "vm%u: destroyed\n", vm->id);
	os_free(vm);
	hax_count(&hax_counters.vms, -1);
}

int vm_add_ramblock(struct vm *vm, u64 uva, u64 size)
{
	int r;

	os_mutex_lock(&vm->lock);
	r = ramblock_add(&vm->mem, uva, size);
	os_mutex_unlock(&vm->lock);
	return r;
}

int vm_set_ram(struct vm *vm, u64 gpa, u64 size, u64 uva, u32 flags)
{
	int r;

	os_mutex_lock(&vm->lock);
	r = memslot_set(&vm->mem, gpa, size, uva, flags);
	/* Entries of the old mapping go; the new one faults in lazily. */
	if (!r && ept_unmap(&vm->ept, gpa, size))
		vmx_flush_ept(vm->ept.eptp);
	/* Only now can no CPU reach the pages the old mapping had. */
	guest_mem_release_unmapped(&vm->mem);
	os_mutex_unlock(&vm->lock);
	return r;
}

int vm_protect_ram(struct vm *vm, u64 gpa, u64 size, u32 perm)
{
	int r;

	/* SDM 29.3.3.1: execute-only entries need the CPU's support. */
	if (perm == HAX_RAM_PERM_X && !(vmx_caps.ept_vpid & VMX_EPT_EXEC_ONLY))
		return -EINVAL;
	os_mutex_lock(&vm->lock);
	r = guest_mem_protect(&vm->mem, gpa, size, perm);
	/* Entries refault with the new rights; running vCPUs drop theirs now. */
	if (!r && ept_unmap(&vm->ept, gpa, size))
		vmx_flush_ept(vm->ept.eptp);
	os_mutex_unlock(&vm->lock);
	return r;
}
