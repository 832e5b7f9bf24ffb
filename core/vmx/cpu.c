// SPDX-License-Identifier: GPL-2.0
/* Per-CPU VMX root operation (SDM 24.7, 24.11) and VMCS residency. */
#include "cpu.h"
#include "caps.h"
#include "vmx.h"

struct vmx_cpu {
	struct os_page vmxon;
	bool on;
	bool slept;	       /* VMX turned off by hax_cpu_suspend(), back on at resume */
	struct vcpu *cur_vmcs; /* the current VMCS */
	struct vcpu *active;   /* list of VMCSs active on this CPU */
	u32 bad_field;
	bool field_error;
};

static struct vmx_cpu *vmx_cpus;
static int vmx_nr_cpus;
static int vmx_users;
static os_mutex_t vmx_users_lock;

static void hax_cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* Read what vmx_caps_derive() needs; VMX MSRs only when CPUID has VMX. */
static void vmx_read_msrs(struct vmx_msrs *m)
{
	u32 a, b, c, d, max_ext;
	bool true_ctls;

	*m = (struct vmx_msrs){ 0 };
	hax_cpuid(1, 0, &a, &b, &c, &d);
	m->has_vmx = c & (1u << 5);
	/* CPUID.1:ECX.OSXSAVE: the host enabled XSAVE, XGETBV works. */
	if (c & (1u << 27))
		asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	m->xcr0 = (c & (1u << 27)) ? ((u64)d << 32 | a) : 0;
	hax_cpuid(0x80000000, 0, &max_ext, &b, &c, &d);
	if (max_ext >= 0x80000001) {
		hax_cpuid(0x80000001, 0, &a, &b, &c, &d);
		m->has_nx = d & (1u << 20);
		m->has_lm = d & (1u << 29);
	}
	if (!m->has_vmx)
		return;
	m->feature_control = vmx_rdmsr(HAX_MSR_FEATURE_CONTROL);
	m->basic = vmx_rdmsr(HAX_MSR_VMX_BASIC);
	true_ctls = m->basic & VMX_BASIC_TRUE_CTLS;
	m->pin = vmx_rdmsr(true_ctls ? HAX_MSR_VMX_TRUE_PINBASED_CTLS : HAX_MSR_VMX_PINBASED_CTLS);
	m->proc =
		vmx_rdmsr(true_ctls ? HAX_MSR_VMX_TRUE_PROCBASED_CTLS : HAX_MSR_VMX_PROCBASED_CTLS);
	m->exit = vmx_rdmsr(true_ctls ? HAX_MSR_VMX_TRUE_EXIT_CTLS : HAX_MSR_VMX_EXIT_CTLS);
	m->entry = vmx_rdmsr(true_ctls ? HAX_MSR_VMX_TRUE_ENTRY_CTLS : HAX_MSR_VMX_ENTRY_CTLS);
	m->misc = vmx_rdmsr(HAX_MSR_VMX_MISC);
	m->cr0_fixed0 = vmx_rdmsr(HAX_MSR_VMX_CR0_FIXED0);
	m->cr0_fixed1 = vmx_rdmsr(HAX_MSR_VMX_CR0_FIXED1);
	m->cr4_fixed0 = vmx_rdmsr(HAX_MSR_VMX_CR4_FIXED0);
	m->cr4_fixed1 = vmx_rdmsr(HAX_MSR_VMX_CR4_FIXED1);
	/* SDM A.3.3: the secondary controls MSR exists only if allowed. */
	if (vmx_rdmsr(HAX_MSR_VMX_PROCBASED_CTLS) & ((u64)CPU_SECONDARY_CONTROLS << 32)) {
		m->proc2 = vmx_rdmsr(HAX_MSR_VMX_PROCBASED_CTLS2);
		if (m->proc2 & ((u64)(CPU2_ENABLE_EPT | CPU2_ENABLE_VPID) << 32))
			m->ept_vpid = vmx_rdmsr(HAX_MSR_VMX_EPT_VPID_CAP);
	}
}

int vmx_cpus_init(void)
{
	struct vmx_msrs m;
	const char *missing;
	int r, cpu;

	vmx_read_msrs(&m);
	r = vmx_caps_derive(&m, &vmx_caps, &missing);
	if (r) {
		os_log(HAX_LOG_ERROR, "cannot run guests on this CPU: missing %s\n", missing);
		return r;
	}
	vmx_nr_cpus = os_cpu_max();
	vmx_cpus = os_zalloc(vmx_nr_cpus * sizeof(*vmx_cpus));
	if (!vmx_cpus)
		return -ENOMEM;
	for (cpu = 0; cpu < vmx_nr_cpus; cpu++) {
		r = os_page_alloc(&vmx_cpus[cpu].vmxon);
		if (r) {
			vmx_cpus_exit();
			return r;
		}
		*(u32 *)vmx_cpus[cpu].vmxon.va = vmx_caps.revision;
	}
	os_mutex_init(&vmx_users_lock);
	return 0;
}

void vmx_cpus_exit(void)
{
	int cpu;

	for (cpu = 0; cpu < vmx_nr_cpus; cpu++)
		if (vmx_cpus[cpu].vmxon.va)
			os_page_free(&vmx_cpus[cpu].vmxon);
	os_free(vmx_cpus);
	vmx_cpus = NULL;
}

/* Enter VMX root operation on this CPU (SDM 24.7). */
static void vmx_cpu_on(void *failed)
{
	struct vmx_cpu *c = &vmx_cpus[os_cpu_current()];

	if (c->on)
		return;
	/* CR4.VMXE already set: another hypervisor is in VMX operation. */
	if (os_cr4_vmxe_is_set()) {
		*(bool *)failed = true;
		return;
	}
	os_cr4_vmxe(true);
	if (vmx_on(c->vmxon.pa)) {
		os_cr4_vmxe(false);
		*(bool *)failed = true;
		return;
	}
	c->on = true;
}

static void vmx_clear_active(struct vmx_cpu *c);

static void vmx_cpu_off(void *unused)
{
	struct vmx_cpu *c = &vmx_cpus[os_cpu_current()];

	if (!c->on)
		return;
	vmx_clear_active(c);
	vmx_off();
	os_cr4_vmxe(false);
	c->on = false;
}

int vmx_get(void)
{
	bool failed = false;
	int r = 0;

	os_mutex_lock(&vmx_users_lock);
	os_cpus_read_lock();
	if (vmx_users++ == 0) {
		os_on_each_cpu(vmx_cpu_on, &failed);
		if (failed) {
			os_on_each_cpu(vmx_cpu_off, NULL);
			vmx_users = 0;
			os_log(HAX_LOG_ERROR, "VMX is in use by another hypervisor (kvm_intel?)\n");
			r = -EBUSY;
		}
	}
	os_cpus_read_unlock();
	os_mutex_unlock(&vmx_users_lock);
	return r;
}

void vmx_put(void)
{
	os_mutex_lock(&vmx_users_lock);
	os_cpus_read_lock();
	if (--vmx_users == 0)
		os_on_each_cpu(vmx_cpu_off, NULL);
	os_cpus_read_unlock();
	os_mutex_unlock(&vmx_users_lock);
}

void hax_cpu_online(void)
{
	bool failed = false;

	/* The hotplug lock is held: vmx_users cannot change under us. */
	if (vmx_users) {
		vmx_cpu_on(&failed);
		if (failed)
			os_log(HAX_LOG_ERROR, "VMXON failed on CPU %d\n", os_cpu_current());
	}
}

void hax_cpu_offline(void)
{
	unsigned long flags = os_irq_save();

	vmx_cpu_off(NULL);
	os_irq_restore(flags);
}

/*
 * System sleep. The syscore callbacks run on the one CPU left online, with
 * interrupts off and every user task frozen (so out of RUN), after the other
 * CPUs went through hax_cpu_offline(). Whether VMX was on is read from the
 * CPU's own state, not from vmx_users: a vmx_put() preempted between its
 * count and its IPI must find VMX in the state it expects after the sleep.
 */
void hax_cpu_suspend(void)
{
	struct vmx_cpu *c = &vmx_cpus[os_cpu_current()];
	struct vcpu *v;
	int n = 0;

	if (!c->on)
		return;
	for (v = c->active; v; v = v->next_on_cpu)
		n++;
	/* VMCLEAR each active VMCS (launch state clear), then VMXOFF. */
	vmx_cpu_off(NULL);
	c->slept = true;
	os_log(HAX_LOG_INFO, "VMX off on CPU %d for system sleep, %d VMCS cleared\n",
	       os_cpu_current(), n);
}

int hax_cpu_resume(void)
{
	struct vmx_cpu *c = &vmx_cpus[os_cpu_current()];
	bool failed = false;
	u64 fc;

	if (!c->slept)
		return 0;
	c->slept = false;
	/*
	 * Firmware set IA32_FEATURE_CONTROL again on the way up (the kernel's
	 * resume path re-locks it too); VMXON would #GP without it (SDM 24.7).
	 */
	fc = vmx_rdmsr(HAX_MSR_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCKED) || !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		os_log(HAX_LOG_ERROR, "VMX locked off after resume (IA32_FEATURE_CONTROL 0x%llx)\n",
		       (unsigned long long)fc);
		return -EPERM;
	}
	vmx_cpu_on(&failed);
	if (failed) {
		os_log(HAX_LOG_ERROR, "VMXON failed on CPU %d after resume\n", os_cpu_current());
		return -EBUSY;
	}
	os_log(HAX_LOG_INFO, "VMX on again on CPU %d after system sleep\n", os_cpu_current());
	return 0;
}

/* ---- VMCS residency: lists changed only on their own CPU, irqs off ---- */

static void active_remove(struct vmx_cpu *c, struct vcpu *v)
{
	if (v->prev_on_cpu)
		v->prev_on_cpu->next_on_cpu = v->next_on_cpu;
	else
		c->active = v->next_on_cpu;
	if (v->next_on_cpu)
		v->next_on_cpu->prev_on_cpu = v->prev_on_cpu;
	v->next_on_cpu = v->prev_on_cpu = NULL;
}

/* VMCLEAR on the CPU where @arg's VMCS is active (SDM 24.11.3). */
static void vmcs_clear_here(void *arg)
{
	struct vcpu *v = arg;
	struct vmx_cpu *c = &vmx_cpus[os_cpu_current()];

	if (v->cpu != os_cpu_current())
		return;
	if (vmx_vmclear(v->vmcs.pa))
		v->vm->dead = true;
	active_remove(c, v);
	if (c->cur_vmcs == v)
		c->cur_vmcs = NULL;
	v->launched = false;
	v->cpu = -1;
}

static void vmx_clear_active(struct vmx_cpu *c)
{
	while (c->active)
		vmcs_clear_here(c->active);
}

void vmx_vcpu_clear(struct vcpu *v)
{
	int cpu = v->cpu;

	if (cpu >= 0)
		os_on_cpu(cpu, vmcs_clear_here, v);
}

int vmx_vcpu_load(struct vcpu *v)
{
	int cpu = os_cpu_current();
	struct vmx_cpu *c = &vmx_cpus[cpu];
	unsigned long flags;

	/* VMXON failed here at hotplug or resume: no VMX instruction may run. */
	if (!c->on)
		return -EIO;
	if (v->cpu != cpu) {
		/* A VMCS may be active on one CPU only (SDM 24.1). */
		if (v->cpu >= 0)
			os_on_cpu(v->cpu, vmcs_clear_here, v);
		flags = os_irq_save();
		v->next_on_cpu = c->active;
		v->prev_on_cpu = NULL;
		if (c->active)
			c->active->prev_on_cpu = v;
		c->active = v;
		v->cpu = cpu;
		os_irq_restore(flags);
		v->need_flush = true;
		v->host_cr3 = v->host_cr4 = v->host_fs_base = 0;
	}
	if (c->cur_vmcs != v) {
		if (vmx_vmptrld(v->vmcs.pa))
			return -EIO;
		c->cur_vmcs = v;
		/* Another guest's branch predictions must not steer this one's. */
		os_vmx_vmcs_switch();
	}
	return 0;
}

int vmx_field_errors;

void vmx_field_error(u32 field, bool write)
{
	struct vmx_cpu *c = &vmx_cpus[os_cpu_current()];

	if (!c->field_error)
		__atomic_add_fetch(&vmx_field_errors, 1, __ATOMIC_RELAXED);
	c->field_error = true;
	c->bad_field = field | (write ? 0x80000000u : 0);
}

bool __vmx_take_error(void)
{
	struct vmx_cpu *c = &vmx_cpus[os_cpu_current()];

	if (!c->field_error)
		return false;
	c->field_error = false;
	__atomic_sub_fetch(&vmx_field_errors, 1, __ATOMIC_RELAXED);
	os_log_ratelimited(HAX_LOG_ERROR, "VM%s of VMCS field 0x%x failed\n",
			   c->bad_field & 0x80000000u ? "WRITE" : "READ", c->bad_field & 0xffff);
	return true;
}

void vmx_flush_ept_here(u64 eptp)
{
	if (vmx_caps.invept_single)
		vmx_invept(INVEPT_SINGLE_CONTEXT, eptp);
	else
		vmx_invept(INVEPT_ALL_CONTEXT, 0);
}

static void flush_here(void *eptp)
{
	if (vmx_cpus[os_cpu_current()].on)
		vmx_flush_ept_here(*(u64 *)eptp);
}

void vmx_flush_ept(u64 eptp)
{
	os_cpus_read_lock();
	os_on_each_cpu(flush_here, &eptp);
	os_cpus_read_unlock();
}
