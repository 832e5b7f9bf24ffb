// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APICs (HAX_CAP_LAPIC): the core/irqchip models wired
 * to the vCPUs; see vapic.h for the locking and docs/design.md, "In-kernel
 * interrupt controllers (issue 18)".
 */
#include "vapic.h"
#include "vioapic.h"
#include "vpic.h"
#include "vpit.h"
#include "irqchip/apic_bus.h"
#include "vmx/apicv.h"
#include "vmx/vmx.h"

/* One APIC timer clock: a 1 GHz bus, as KVM's (its APIC_BUS_CYCLE_NS). */
#define LAPIC_BUS_NS 1

int vm_lapic_enable(struct vm *vm, const struct hax_lapic_enable *a)
{
	const u32 known = HAX_LAPIC_ENABLE_IOAPIC | HAX_LAPIC_ENABLE_PIC | HAX_LAPIC_ENABLE_PIT;
	const u32 isa = HAX_LAPIC_ENABLE_PIC | HAX_LAPIC_ENABLE_PIT;
	struct ioapic *io = NULL;
	struct i8259 *pic = NULL;
	struct i8254 *pit = NULL;
	struct os_page access;
	struct os_spin *l;
	int r = 0;

	if ((a->flags & ~known) || a->reserved)
		return -EINVAL;
	/* the PC's ISA controllers sit beside an IO-APIC */
	if ((a->flags & isa) && !(a->flags & HAX_LAPIC_ENABLE_IOAPIC))
		return -EINVAL;
	l = os_spin_alloc();
	if (!l)
		return -ENOMEM;
	if (a->flags & HAX_LAPIC_ENABLE_IOAPIC) {
		io = vm_ioapic_alloc(vm);
		if (!io)
			goto nomem;
	}
	if (a->flags & HAX_LAPIC_ENABLE_PIC) {
		pic = vm_pic_alloc();
		if (!pic)
			goto nomem;
	}
	if (a->flags & HAX_LAPIC_ENABLE_PIT) {
		pit = vm_pit_alloc();
		if (!pit)
			goto nomem;
	}
	if (vmx_apicv_page_alloc(&access)) {
		os_free(pit);
		goto nomem;
	}
	os_mutex_lock(&vm->lock);
	if (vm->lapic_on)
		r = -EEXIST;
	else if (vm->vcpu_created)
		r = -EBUSY;
	if (!r) {
		vm->apic_lock = l;
		vm->apic_access = access;
		vm->lapic_on = true;
		__atomic_store_n(&vm->pit, pit, __ATOMIC_RELEASE);
		__atomic_store_n(&vm->pic, pic, __ATOMIC_RELEASE);
		__atomic_store_n(&vm->ioapic, io, __ATOMIC_RELEASE);
	}
	os_mutex_unlock(&vm->lock);
	if (r) {
		os_free(pit);
		os_free(pic);
		os_free(io);
		os_page_free(&access);
		os_spin_free(l);
	}
	return r;
nomem:
	os_free(pic);
	os_free(io);
	os_spin_free(l);
	return -ENOMEM;
}

void vm_lapic_free(struct vm *vm)
{
	vm_pit_free(vm);
	vm_pic_free(vm);
	vm_ioapic_free(vm);
	os_page_free(&vm->apic_access);
	os_spin_free(vm->apic_lock);
}

void vcpu_lapic_kick(struct vcpu *v)
{
	__atomic_store_n(&v->kick, 1, __ATOMIC_SEQ_CST);
	os_waker_wake(v->waker);
	/* paired with the entry's store of in_guest, then load of kick */
	if (__atomic_load_n(&v->in_guest, __ATOMIC_SEQ_CST))
		os_cpu_kick(__atomic_load_n(&v->cpu, __ATOMIC_RELAXED));
}

/* The PIT's host timer reached counter 0's next edge: interrupt context. */
static void vapic_pit_timer(void *arg)
{
	vcpu_lapic_kick(arg);
}

int vcpu_lapic_create(struct vcpu *v)
{
	struct lapic_config cfg = {
		.id = v->id,
		.bsp = v->id == 0,
		.phys_bits = v->vm->msr_lim.phys_bits,
		.x2apic = true,
		/* the deadline is converted to host time at the TSC's rate */
		.tsc_deadline = os_tsc_khz() != 0,
		.bus_ns = LAPIC_BUS_NS,
	};

	v->lapic = os_zalloc(sizeof(*v->lapic));
	if (!v->lapic)
		return -ENOMEM;
	v->timer_adv_ns = VAPIC_ADVANCE_INIT_NS;
	v->waker = os_waker_alloc(vapic_hrtimer, v);
	if (!v->waker) {
		os_free(v->lapic);
		v->lapic = NULL;
		return -ENOMEM;
	}
	/* vCPU 0 times the PIT's counter 0 (vpit.h) */
	if (v->id == 0 && v->vm->pit) {
		v->pit_waker = os_waker_alloc(vapic_pit_timer, v);
		if (!v->pit_waker) {
			os_waker_free(v->waker);
			os_free(v->lapic);
			v->lapic = NULL;
			v->waker = NULL;
			return -ENOMEM;
		}
	}
	lapic_init(v->lapic, &cfg);
	/* an AP waits for INIT-SIPI, as after power-up (SDM 9.4.1) */
	v->lapic->wait_sipi = !cfg.bsp;
	v->msr.apic_base = v->lapic->apic_base;
	return 0;
}

void vcpu_lapic_attach(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!v->lapic)
		return;
	os_spin_lock(vm->apic_lock);
	vm->lapics[v->id] = v->lapic;
	vm->apic_vcpus[v->id] = v;
	/* a state set before vCPU 0 existed: its counter 0 runs now */
	if (v->id == 0)
		vm_pit_rearm(vm);
	os_spin_unlock(vm->apic_lock);
}

void vcpu_lapic_destroy(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!v->lapic)
		return;
	os_spin_lock(vm->apic_lock);
	if (vm->apic_vcpus[v->id] == v) {
		vm->lapics[v->id] = NULL;
		vm->apic_vcpus[v->id] = NULL;
	}
	os_spin_unlock(vm->apic_lock);
	os_waker_free(v->waker); /* no timer callback runs after this */
	if (v->pit_waker)
		os_waker_free(v->pit_waker);
	os_free(v->lapic);
	v->lapic = NULL;
	v->waker = NULL;
	v->pit_waker = NULL;
}

int vm_apic_deliver(struct vm *vm, int src, const struct apic_msg *m)
{
	struct apic_bus bus = { vm->lapics, HAX_MAX_VCPUS };
	u64 acc = 0;
	int n;
	u32 i;

	n = apic_bus_deliver(&bus, src, m, &acc);
	/* the sender is in the host: its next entry polls anyway */
	for (i = 0; i < HAX_MAX_VCPUS; i++)
		if (((acc >> i) & 1) && (int)i != src && vm->apic_vcpus[i])
			vcpu_lapic_kick(vm->apic_vcpus[i]);
	return n;
}

void vapic_effects(struct vcpu *v, struct lapic_effects *eff)
{
	struct vm *vm = v->vm;

	if (eff->flags & LAPIC_EFF_IPI)
		vm_apic_deliver(vm, v->id, &eff->ipi);
	/* the EOI broadcast (SDM 11.8.5): the IO-APIC re-sends a level still high */
	if (eff->flags & LAPIC_EFF_EOI_LEVEL)
		vm_ioapic_eoi(vm, eff->eoi_vector);
	if (eff->flags & LAPIC_EFF_TIMER)
		vapic_timer_arm(v);
}

/* The xAPIC page's guest-physical address in IA32_APIC_BASE @base. */
static u64 xapic_page(u64 base)
{
	return base & ~0xfffull & ~(1ull << 63);
}

bool vcpu_lapic_page(struct vcpu *v, u64 gpa)
{
	const struct lapic *l = v->lapic;

	return l && lapic_mode(l) == LAPIC_MODE_XAPIC &&
	       (gpa & ~0xfffull) == xapic_page(__atomic_load_n(&l->apic_base, __ATOMIC_RELAXED));
}

int vcpu_lapic_mmio(struct vcpu *v, u64 gpa, void *buf, u32 size, bool write)
{
	struct lapic *l = v->lapic;
	struct lapic_effects eff = { 0 };
	u32 val = 0, n = size < 4 ? size : 4;
	u64 now;

	if (!l)
		return 1;
	if (!vcpu_ioapic_mmio(v, gpa, buf, size, write))
		return 0;
	os_spin_lock(v->vm->apic_lock);
	if (lapic_mode(l) != LAPIC_MODE_XAPIC || (gpa & ~0xfffull) != xapic_page(l->apic_base)) {
		os_spin_unlock(v->vm->apic_lock);
		return 1;
	}
	now = lapic_reg_timed(gpa) ? os_now_ns() : 0;
	vapic_pull(v);
	if (write) {
		v->apicv_stale = true;
		__builtin_memcpy(&val, buf, n);
		/* refused sizes and offsets are ignored (lapic_mmio_write()) */
		if (size <= 4 && !lapic_mmio_write(l, gpa & 0xfff, size, val, now, &eff))
			vapic_effects(v, &eff);
	} else {
		if (size > 4 || lapic_mmio_read(l, gpa & 0xfff, size, now, &val))
			val = 0;
		__builtin_memset(buf, 0, size);
		__builtin_memcpy(buf, &val, n);
	}
	os_spin_unlock(v->vm->apic_lock);
	return 0;
}

u8 vcpu_lapic_cr8(struct vcpu *v)
{
	u8 cr8;

	os_spin_lock(v->vm->apic_lock);
	cr8 = (v->lapic->tpr >> 4) & 0xf;
	os_spin_unlock(v->vm->apic_lock);
	return cr8;
}

void vcpu_lapic_set_cr8(struct vcpu *v, u8 cr8)
{
	vcpu_lapic_set_tpr(v, (u32)cr8 << 4);
}

u8 vcpu_lapic_tpr(struct vcpu *v)
{
	/* written by this vCPU's thread, or by an INIT from another under the lock */
	return __atomic_load_n(&v->lapic->tpr, __ATOMIC_RELAXED) & 0xff;
}

void vcpu_lapic_set_tpr(struct vcpu *v, u8 tpr)
{
	os_spin_lock(v->vm->apic_lock);
	/* an INIT accepted since the guest wrote it reset the TPR: that stays */
	if (!v->lapic->init_pending)
		lapic_write_tpr(v->lapic, tpr);
	os_spin_unlock(v->vm->apic_lock);
}

int vcpu_lapic_msr(struct vcpu *v, u32 msr, u64 *val, bool write, bool host)
{
	struct lapic *l = v->lapic;
	struct lapic_effects eff = { 0 };
	u64 now = 0;
	int r;

	if (!l || (msr != MSR_IA32_APIC_BASE && msr != LAPIC_MSR_TSC_DEADLINE &&
		   (msr < LAPIC_MSR_BASE || msr > LAPIC_MSR_LAST)))
		return -ENOENT;
	/* x2APIC MSR 0x800 + n is the xAPIC page's offset n << 4 */
	if (msr >= LAPIC_MSR_BASE && lapic_reg_timed((msr - LAPIC_MSR_BASE) << 4))
		now = os_now_ns();
	/* IA32_TSC_DEADLINE exists where CPUID.1:ECX[24] says so (SDM 11.5.4.1) */
	if (msr == LAPIC_MSR_TSC_DEADLINE && !l->cfg.tsc_deadline)
		return -EINVAL;
	os_spin_lock(v->vm->apic_lock);
	/* x2APIC mode with virtual-interrupt delivery: PPR needs the page's ISR */
	vapic_pull(v);
	if (write) {
		/* IA32_TSC_DEADLINE is no register of the page; a fire sets IRR stale */
		if (msr != LAPIC_MSR_TSC_DEADLINE)
			v->apicv_stale = true;
	}
	if (msr == MSR_IA32_APIC_BASE && write) {
		r = lapic_set_base(l, *val, host);
		v->msr.apic_base = l->apic_base;
		/* a disabled APIC is reset: its timer stops */
		vapic_timer_arm(v);
	} else if (msr == LAPIC_MSR_TSC_DEADLINE && write) {
		lapic_tsc_deadline_write(l, *val, &eff);
		vapic_effects(v, &eff);
		r = 0;
	} else if (msr == LAPIC_MSR_TSC_DEADLINE) {
		*val = lapic_tsc_deadline_read(l);
		r = 0;
	} else if (msr == MSR_IA32_APIC_BASE) {
		*val = l->apic_base;
		r = 0;
	} else if (write) {
		r = lapic_msr_write(l, msr, *val, now, &eff);
		if (!r)
			vapic_effects(v, &eff);
	} else {
		r = lapic_msr_read(l, msr, now, val);
	}
	os_spin_unlock(v->vm->apic_lock);
	return r ? -EINVAL : 0;
}

int vcpu_lapic_poll(struct vcpu *v)
{
	struct lapic *l = v->lapic;
	int vec, kicked;

	kicked = __atomic_exchange_n(&v->kick, 0, __ATOMIC_SEQ_CST);
	os_spin_lock(v->vm->apic_lock);
	/* what the guest did to its virtual-APIC page (apicv.c) */
	vapic_pull(v);
	vapic_timer_poll(v, kicked);
	/* vCPU 0 takes the PIT's counter 0 edges (vpit.h) */
	if (v->id == 0)
		vm_pit_poll(v->vm);
	/* the PIC's ExtINT comes first: not in IRR, not masked by the TPR */
	vec = vcpu_pic_pending(v) ? VAPIC_EXTINT : lapic_pending_vector(l);
	/* a deliverable IRR vector is the highest: then the TPR holds none back */
	v->lapic_tpr_held = vec >= 0 && vec != VAPIC_EXTINT ? 0 : lapic_tpr_held_class(l);
	v->lapic_nmi = l->nmi_pending;
	/* the virtual-APIC page's registers: an interrupt came, or the vCPU changed some */
	if (v->apicv_on && (kicked || v->apicv_stale || v->apicv_irr_stale))
		vapic_mirror(v);
	/* an INIT arrived: the entry must not happen, vcpu_lapic_startup() first */
	if (l->init_pending || l->wait_sipi)
		__atomic_store_n(&v->kick, 1, __ATOMIC_SEQ_CST);
	os_spin_unlock(v->vm->apic_lock);
	return vec;
}

bool vcpu_lapic_nmi_take(struct vcpu *v)
{
	bool nmi;

	os_spin_lock(v->vm->apic_lock);
	nmi = v->lapic->nmi_pending;
	v->lapic->nmi_pending = false;
	os_spin_unlock(v->vm->apic_lock);
	v->lapic_nmi = false;
	return nmi;
}

void vcpu_lapic_nmi_again(struct vcpu *v)
{
	os_spin_lock(v->vm->apic_lock);
	v->lapic->nmi_pending = true;
	os_spin_unlock(v->vm->apic_lock);
	v->lapic_nmi = true;
}

void vcpu_lapic_ack(struct vcpu *v, u8 vector)
{
	os_spin_lock(v->vm->apic_lock);
	lapic_ack(v->lapic, vector);
	vapic_page_ack(v, vector);
	os_spin_unlock(v->vm->apic_lock);
}

struct halt_wait {
	struct vcpu *v;
	struct hax_tunnel *t;
};

static bool halt_done(void *arg)
{
	struct halt_wait *w = arg;

	return __atomic_load_n(&w->v->kick, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&w->t->user_event_pending, __ATOMIC_ACQUIRE);
}

/*
 * Sleep until a kick, a user event or a signal (which the run loop then
 * returns to user space for), the LAPIC timer on the hrtimer meanwhile: no
 * entry would program the preemption timer for it.
 */
static void vapic_sleep(struct vcpu *v, struct hax_tunnel *t)
{
	struct halt_wait w = { v, t };

	os_spin_lock(v->vm->apic_lock);
	vapic_timer_path(v, false);
	os_spin_unlock(v->vm->apic_lock);
	os_waker_wait(v->waker, halt_done, &w);
	os_spin_lock(v->vm->apic_lock);
	vapic_timer_path(v, true);
	os_spin_unlock(v->vm->apic_lock);
}

int vcpu_lapic_halt(struct vcpu *v, struct hax_tunnel *t)
{
	vapic_sleep(v, t);
	return 0;
}

int vcpu_lapic_startup(struct vcpu *v, struct hax_tunnel *t)
{
	struct lapic *l = v->lapic;
	bool init, sipi = false, wait;
	u8 vector = 0;
	int r;

	/* the flags change under the lock, then a kick: a stale read sees the kick */
	if (!__atomic_load_n(&l->init_pending, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&l->wait_sipi, __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&v->kick, 0, __ATOMIC_SEQ_CST);
	os_spin_lock(v->vm->apic_lock);
	init = l->init_pending;
	l->init_pending = false;
	if (l->wait_sipi && l->sipi_pending) {
		sipi = true;
		vector = l->sipi_vector;
		l->wait_sipi = l->sipi_pending = false;
		l->sipi_vector = 0;
	}
	wait = l->wait_sipi;
	if (init) /* the INIT stopped the timer */
		vapic_timer_arm(v);
	if (init || sipi)
		vapic_page_reset(v);
	os_spin_unlock(v->vm->apic_lock);
	if (init) {
		r = vcpu_init_signal(v);
		if (r)
			return r;
	}
	if (sipi)
		return vcpu_startup(v, vector);
	if (!wait)
		return 0;
	/* wait-for-SIPI: out of the guest until a kick, a user event or a signal */
	vapic_sleep(v, t);
	return 1;
}

/* ---- SIGNAL_MSI ------------------------------------------------------------ */

int vm_signal_msi(struct vm *vm, const struct hax_msi *a)
{
	struct apic_msg m = { 0 };
	u32 dm = (a->data >> 8) & 7;
	bool on;
	int n;

	os_mutex_lock(&vm->lock);
	on = vm->lapic_on; /* apic_lock is set with it, under this mutex */
	os_mutex_unlock(&vm->lock);
	if (!on)
		return -ENOTTY;
	/* the address and data formats of SDM 11.11.1 and 11.11.2 */
	if (a->flags || (a->address >> 20) != 0xfee || (a->address & HAX_MSI_ADDR_RSVD) ||
	    (a->data & HAX_MSI_DATA_RSVD) || dm == 3 || dm == APIC_DM_SIPI)
		return -EINVAL;
	m.dest = (a->address >> 12) & 0xff;
	m.logical = a->address & HAX_MSI_ADDR_LOGICAL;
	/* RH with physical destination mode: "must not be set to FFH" (11.11.1) */
	if ((a->address & HAX_MSI_ADDR_RH) && !m.logical && m.dest == 0xff)
		return -EINVAL;
	/* a level-triggered message with level 0 carries no interrupt */
	if ((a->data & HAX_MSI_DATA_TRIGGER) && !(a->data & HAX_MSI_DATA_LEVEL))
		return 0;
	m.vector = a->data & 0xff;
	m.delivery = dm;
	/* RH: redirected to the lowest-priority processor of the set (11.11.1) */
	if ((a->address & HAX_MSI_ADDR_RH) && dm == APIC_DM_FIXED)
		m.delivery = APIC_DM_LOWEST;
	m.level = a->data & HAX_MSI_DATA_TRIGGER;
	m.assert = true;
	os_spin_lock(vm->apic_lock);
	n = vm_apic_deliver(vm, -1, &m);
	os_spin_unlock(vm->apic_lock);
	return n;
}

/* ---- GET_LAPIC / SET_LAPIC ---------------------------------------------- */

void vcpu_lapic_get(struct vcpu *v, struct hax_lapic_state *s)
{
	struct lapic *l = v->lapic;
	u64 now;

	__builtin_memset(s, 0, sizeof(*s));
	os_spin_lock(v->vm->apic_lock);
	vapic_pull(v);
	now = os_now_ns();
	s->apic_base = l->apic_base;
	s->tsc_deadline = l->tsc_deadline;
	s->timer_current = lapic_timer_current(l, now);
	s->esr_pending = l->esr_pending;
	s->pending = (l->nmi_pending ? HAX_LAPIC_PENDING_NMI : 0) |
		     (l->smi_pending ? HAX_LAPIC_PENDING_SMI : 0) |
		     (l->init_pending ? HAX_LAPIC_PENDING_INIT : 0) |
		     (l->extint_pending ? HAX_LAPIC_PENDING_EXTINT : 0) |
		     (l->sipi_pending ? HAX_LAPIC_PENDING_SIPI : 0) |
		     (l->wait_sipi ? HAX_LAPIC_WAIT_SIPI : 0) | ((u32)l->sipi_vector << 8);
	vapic_regs_put(l, s->regs);
	vapic_reg_put(s->regs, LAPIC_REG_APR, lapic_apr(l));
	vapic_reg_put(s->regs, LAPIC_REG_PPR, lapic_ppr(l));
	vapic_reg_put(s->regs, LAPIC_REG_TMCCT, s->timer_current);
	os_spin_unlock(v->vm->apic_lock);
}

/* The registers of @s into @n, which has @s's IA32_APIC_BASE already. 0 or -EINVAL. */
static int vapic_load_regs(struct lapic *n, const struct hax_lapic_state *s, u64 now)
{
	bool x2 = lapic_mode(n) == LAPIC_MODE_X2APIC;
	struct lapic_effects eff = { 0 };
	u32 i, val;

	val = vapic_reg_get(s->regs, LAPIC_REG_ID);
	if (lapic_mode(n) == LAPIC_MODE_XAPIC && !(val & 0xffffff))
		n->id = val;
	else if (val != n->id) /* x2APIC and disabled: the ID is read-only */
		return -EINVAL;
	n->tpr = vapic_reg_get(s->regs, LAPIC_REG_TPR);
	if (n->tpr > 0xff)
		return -EINVAL;
	val = vapic_reg_get(s->regs, LAPIC_REG_LDR);
	if (x2 ? val != n->ldr : (val & 0xffffff) != 0)
		return -EINVAL;
	n->ldr = val;
	n->dfr = vapic_reg_get(s->regs, LAPIC_REG_DFR);
	if ((n->dfr & 0x0fffffff) != 0x0fffffff || (n->dfr >> 28 != 0 && n->dfr >> 28 != 0xf))
		return -EINVAL;
	val = vapic_reg_get(s->regs, LAPIC_REG_SVR);
	lapic_write_svr(n, val);
	if (n->svr != val)
		return -EINVAL;
	for (i = 0; i < 8; i++) {
		n->isr[i] = vapic_reg_get(s->regs, LAPIC_REG_ISR + i * 16);
		n->tmr[i] = vapic_reg_get(s->regs, LAPIC_REG_TMR + i * 16);
		n->irr[i] = vapic_reg_get(s->regs, LAPIC_REG_IRR + i * 16);
	}
	/* vectors 0-15 are never accepted (SDM 11.5.3) */
	if ((n->isr[0] | n->tmr[0] | n->irr[0]) & 0xffff)
		return -EINVAL;
	n->esr = vapic_reg_get(s->regs, LAPIC_REG_ESR);
	n->esr_pending = s->esr_pending;
	if ((n->esr | n->esr_pending) & ~0xffu)
		return -EINVAL;
	n->icr_lo = vapic_reg_get(s->regs, LAPIC_REG_ICR);
	n->icr_hi = vapic_reg_get(s->regs, LAPIC_REG_ICR2);
	if ((n->icr_lo & ~0x000ccfffu) || (!x2 && (n->icr_hi & 0xffffff)))
		return -EINVAL;
	for (i = 0; i < LVT_NR; i++) {
		val = vapic_reg_get(s->regs, LAPIC_REG_LVT + i * 16);
		n->lvt[i] &= ~LAPIC_REMOTE_IRR;
		lapic_write_lvt(n, i, val, now, &eff);
		if ((i == LVT_LINT0 || i == LVT_LINT1) && (val & LAPIC_TRIGGER))
			n->lvt[i] |= val & LAPIC_REMOTE_IRR;
		if (n->lvt[i] != val)
			return -EINVAL;
	}
	n->tdcr = vapic_reg_get(s->regs, LAPIC_REG_TDCR);
	n->tmict = vapic_reg_get(s->regs, LAPIC_REG_TMICT);
	if ((n->tdcr & ~0xbu) || s->timer_current > n->tmict)
		return -EINVAL;
	return 0;
}

int vcpu_lapic_set(struct vcpu *v, const struct hax_lapic_state *s)
{
	struct lapic *l = v->lapic, n;
	u32 i, p = s->pending;
	u64 now;
	int r;

	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			return -EINVAL;
	if (p & ~HAX_LAPIC_PENDING_MASK)
		return -EINVAL;
	/* a start-up IPI is latched only in wait-for-SIPI */
	if ((p & HAX_LAPIC_PENDING_SIPI) && !(p & HAX_LAPIC_WAIT_SIPI))
		return -EINVAL;
	os_spin_lock(v->vm->apic_lock);
	now = os_now_ns();
	n = *l;
	r = lapic_set_base(&n, s->apic_base, true);
	if (!r)
		r = vapic_load_regs(&n, s, now);
	if (!r) {
		n.timer_count = s->timer_current;
		n.timer_start = now;
		n.timer_armed =
			s->timer_current && lapic_timer_mode(&n) != LAPIC_TIMER_TSC_DEADLINE;
		n.tsc_deadline = s->tsc_deadline;
		n.nmi_pending = p & HAX_LAPIC_PENDING_NMI;
		n.smi_pending = p & HAX_LAPIC_PENDING_SMI;
		n.init_pending = p & HAX_LAPIC_PENDING_INIT;
		n.extint_pending = p & HAX_LAPIC_PENDING_EXTINT;
		n.sipi_pending = p & HAX_LAPIC_PENDING_SIPI;
		n.wait_sipi = p & HAX_LAPIC_WAIT_SIPI;
		n.sipi_vector = p >> 8;
		*l = n;
		v->msr.apic_base = l->apic_base;
		vapic_timer_arm(v);
		vapic_page_reset(v);
	}
	os_spin_unlock(v->vm->apic_lock);
	return r;
}
