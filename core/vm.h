/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The portable core's objects and entry points: VMs and vCPUs. The platform
 * layer validates user pointers and copies structures in and out; the core
 * validates their fields. Every function returning int returns 0 or a
 * negative errno.
 */
#ifndef HAXM_CORE_VM_H
#define HAXM_CORE_VM_H

#include "os.h"
#include "ept.h"
#include "dirty.h"
#include "memslot.h"
#include "cpuid_table.h"
#include "msr.h"
#include "stats.h"
#include "emulate/emulate.h"
#include "../include/uapi/haxm.h"

struct vcpu;
struct ioapic; /* core/irqchip/ioapic.h */
struct i8259;  /* core/irqchip/pic.h */
struct i8254;  /* core/irqchip/pit.h */
struct lapic;  /* core/irqchip/lapic.h, kept out of the platform layer (its APIC_DM_* are Linux's
		  too) */

struct vm {
	u32 id;
	os_mutex_t lock; /* guest memory, EPT, vcpus[] */
	struct guest_mem mem;
	struct ept ept;
	struct dirty_log dirty; /* HAX_CAP_DIRTY_LOG ranges (core/dirty.c) */
	struct vcpu *vcpus[HAX_MAX_VCPUS];
	void *mm; /* the creating process' address space */
	u32 qemu_version;
	bool dead; /* a VMX instruction failed: refuse to run */

	/* cpu: CPUID and MSRs */
	struct cpuid_table cpuid_default; /* host-filtered; each vCPU starts with a copy */
	struct msr_limits msr_lim;

	/* in-kernel local APICs (core/vapic.c): set before the first vCPU */
	bool lapic_on;
	bool vcpu_created;	   /* a VCPU_CREATE ran: too late for LAPIC_ENABLE */
	struct os_spin *apic_lock; /* every LAPIC of the VM, lapics[], apic_vcpus[] */
	struct lapic *lapics[HAX_MAX_VCPUS];
	struct vcpu *apic_vcpus[HAX_MAX_VCPUS];
	struct ioapic *ioapic; /* HAX_LAPIC_ENABLE_IOAPIC (core/vioapic.c), else NULL */
	struct i8259 *pic;     /* HAX_LAPIC_ENABLE_PIC (core/vpic.c), else NULL */
	bool pic_int;	       /* its INT at the last change (LINT0's NMI edges); APIC lock */
	struct i8254 *pit;     /* HAX_LAPIC_ENABLE_PIT (core/vpit.c), else NULL */
	u64 pit_fired;	       /* when counter 0's last edge was taken (vpit.c), APIC lock */
	/* APIC virtualization (core/vmx/apicv.c): its APIC-access page, va NULL without */
	struct os_page apic_access;
};

/* Per-vCPU counters, for tests and statistics (core/stats.h, area "eco"). */
struct vcpu_stats {
	u64 exits;
	u64 exits_to_user;
	u64 by_reason[HAX_EXIT_SLOTS]; /* hax_exit_slot() */
	u64 guest_tsc;		       /* TSC cycles from entries to their exits */
	/* LAPIC timer interrupts by the path that timed them (core/vapic_timer.c) */
	u64 timer_preempt; /* fired while the timer was on the VMX-preemption timer */
	u64 timer_hrtimer; /* host timer (hrtimer) expiries */
};

struct vcpu {
	u64 regs[HAX_NR_GPRS]; /* guest GPRs while in the host; RSP lives in the VMCS */
	struct vm *vm;
	u32 id;
	os_mutex_t lock; /* one ioctl at a time */

	/* VMX */
	struct os_page vmcs;
	int cpu; /* where the VMCS is active, or -1 */
	bool launched;
	struct vcpu *next_on_cpu, *prev_on_cpu;
	u16 vpid;
	u64 host_cr3, host_cr4, host_fs_base;
	u64 dr[4], dr6;
	u64 cr2, cr8;
	bool need_flush; /* INVEPT/INVVPID before the next entry */
	bool host_ran;	 /* host code ran since the last entry (L1D flush) */

	/* exit in progress */
	u32 exit_reason;
	u64 exit_qual;
	u64 fault_gpa;

	/* user-space interface */
	struct os_page tunnel_page, iobuf_page;
	bool tunnel_mapped;
	u8 io_in_size; /* an IN waiting for its data from user space */
	bool panicked; /* reported STATECHANGE; cleared by SET_REGS */

	/* interrupts and CPU modes (core/vmx/intr.c, cr.c) */
	u32 intr_pending[8]; /* vectors from INTERRUPT not yet injected */
	u32 nr_intr_pending;
	int cr_wait_reg; /* a MOV to CR waiting for its PDPTEs (EXIT_LOAD_PDPTES) */
	u64 cr_wait_val, pdpte_cr3;
	bool pdptes_pending; /* SET_REGS or a host EFER write: PDPTEs at RUN */
	/*
	 * CR8 and the VMM's APIC TPR (core/vmx/tpr.c): @tpr is the TPR as the
	 * last MOV to or from CR8 wrote or read it (VTPR at the last exit while
	 * @tpr_shadow is on), valid while @tpr_known and IA32_APIC_BASE still
	 * holds @tpr_base; @tpr_user is the TPR the VMM's APIC last saw.
	 */
	u8 tpr, tpr_user;
	bool tpr_known;
	bool tpr_shadow; /* the VMCS uses the TPR shadow: VTPR is the TPR */
	bool tpr_defer;	 /* a HAX_EXIT_DEBUG waits behind the TPR's write */
	u8 tpr_thr;	 /* TPR_THRESHOLD as written */
	u64 tpr_base;
	struct os_page vapic_page; /* the virtual-APIC page, when the CPU has a TPR shadow */

	struct vcpu_stats stats;

	/* the in-kernel local APIC (core/vapic.c), NULL without HAX_CAP_LAPIC */
	struct lapic *lapic;
	u64 tsc_offset;		    /* TSC_OFFSET: the guest's TSC is the host's plus this */
	struct os_waker *waker;	    /* its timer and the halt sleep */
	struct os_waker *pit_waker; /* vCPU 0 of a VM with a PIT: counter 0 edges (vpit.h) */
	int kick;		    /* atomic: something for the vCPU since its last poll */
	int in_guest;		    /* atomic: between the kick check and the exit */
	u8 lapic_tpr_held;	    /* the poll's lapic_tpr_held_class(): the TPR threshold */
	bool lapic_nmi;		    /* the poll saw an NMI pending */
	/*
	 * APIC virtualization (core/vmx/apicv.c). @apicv_on: the VMCS
	 * virtualizes the LAPIC's registers now, read from vapic_page: the
	 * xAPIC page's, or with @apicv_x2 the x2APIC MSRs' (their layout);
	 * @apicv_stale: the LAPIC changed since they were written there (the
	 * next poll writes them again); @apicv_irr_stale: only its IRR may have
	 * (a timer fired: the next poll writes IRR, TMR and LINT0/1, as after a
	 * kick); @apicv_icr2: the ICR high half they were written with (a guest
	 * write since went to the page alone). All under the VM's APIC lock but
	 * @apicv_on and @apicv_x2 (the vCPU's thread).
	 */
	bool apicv_on, apicv_x2, apicv_stale, apicv_irr_stale;
	u32 apicv_icr2;
	/*
	 * With virtual-interrupt delivery (@apicv_vid, set with @apicv_on
	 * when the VM has it) the CPU moves IRR bits to ISR and clears ISR bits
	 * in the page itself: @apicv_ran, the guest ran since the LAPIC took
	 * them back; @apicv_irr, the page's IRR as last written or taken;
	 * @apicv_status and @apicv_eoi_exit, the guest interrupt status (RVI,
	 * SVI) and EOI-exit bitmap the poll computed, for the entry to write
	 * when @apicv_sync.
	 */
	bool apicv_vid, apicv_ran, apicv_sync;
	u16 apicv_status;
	u32 apicv_irr[8];
	u64 apicv_eoi_exit[4];
	/*
	 * The timer's fast path (core/vapic_timer.c): while @timer_preempt, the
	 * LAPIC timer is timed by the VMX-preemption timer and its hrtimer is
	 * off; @timer_tsc is the host TSC it is due at (0: none), a TSC
	 * deadline's advanced, set by each poll; @preempt_val is
	 * VMX_PREEMPTION_TIMER_VALUE as last written. The timer advance:
	 * @timer_adv_ns, the adaptive advance; @timer_adv_dl, the TSC deadline
	 * a host timer was last armed early for; @timer_wait_tsc, the host TSC
	 * of a deadline fired early, which the entry waits for (0: none), and
	 * @timer_adapt, its lateness tunes @timer_adv_ns; @timer_woke (atomic),
	 * the hrtimer went off since the last poll.
	 */
	bool timer_preempt;
	u64 timer_tsc;
	u32 preempt_val;
	u32 timer_adv_ns;
	u64 timer_adv_dl, timer_wait_tsc;
	bool timer_adapt;
	int timer_woke;

	/* cpu: CPUID and MSRs (vmx/msr_vmx.c) */
	struct cpuid_table cpuid;
	struct msr_state msr;
#define MSR_NR_LAZY 5
	u64 msr_host[MSR_NR_LAZY]; /* the host's syscall MSRs while the guest's are loaded */
	u8 msr_in;		   /* bit i: lazy MSR i holds the guest's value in the CPU */
	struct os_page msr_bitmap, msr_lists;
	void *sched_hook;

	/* FPU/XSAVE state, XCR0, debug registers (core/vmx/xsave.c, dbgregs.c) */
	struct os_fpu *fpu;
	u64 xcr0;	   /* the guest's XCR0 */
	u64 xcr0_at_reset; /* its XCR0 when a SET_REGS last turned OSXSAVE off */
	u64 guest_dr7;	   /* the guest's DR7 while the debugger's is in GUEST_DR7 */
	u32 debug_control; /* HAX_DEBUG_*, 0 when VCPU_DEBUG is off */
	u64 debug_dr[4];   /* the debugger's DR0-3 (HAX_DEBUG_USE_HW_BP) */
	bool dr_active;	   /* DR0-3 matter: the DR7 in GUEST_DR7 enables a breakpoint */
	bool step_tf;	   /* STEP set RFLAGS.TF, the guest had not */

	/* instruction emulation (emu): an MMIO access or string I/O in flight */
#define VCPU_EMU_PIECES 8
	struct vcpu_emu {
		u8 pending;	  /* VCPU_EMU_WAIT_*: what the next RUN brings */
		u8 nread;	  /* MMIO reads user space answered for the instruction */
		u8 nwrite, wdone; /* MMIO writes of the retired instruction, sent */
		bool pio_ready;	  /* the INS data is in the I/O buffer */
		/* pieces of at most 8 bytes: a YMM access split across a page needs 5 */
		struct vcpu_mmio_access {
			u64 gpa, val;
			u8 size;
		} rd[VCPU_EMU_PIECES], wr[VCPU_EMU_PIECES];
		u16 pio_port;
		u32 pio_count;
		u8 cr8_gpr; /* VCPU_EMU_WAIT_CR8: the MOV from CR8's destination */
	} emu;
	/*
	 * The instruction being emulated (vcpu_emulate()): here, not on the
	 * stack, where a kernel with CONFIG_INIT_STACK_ALL_ZERO would clear
	 * its ~400 bytes at every MMIO exit; the emulator sets what it reads.
	 */
	struct emu emu_insn;
};

enum { VCPU_EMU_WAIT_NONE, VCPU_EMU_WAIT_MMIO, VCPU_EMU_WAIT_PIO, VCPU_EMU_WAIT_CR8 };

/*
 * hax_core_init() - probe VT-x and set up per-CPU state. Called once at load.
 * Errors: -ENODEV (no usable VT-x; the log names what is missing), -EPERM
 * (VT-x locked off in firmware), -ENOMEM.
 */
int hax_core_init(void);
void hax_core_exit(void);

/* hax_capability() - fill the CAPABILITY answer. */
void hax_capability(struct hax_capabilityinfo *ci);

/* hax_cpu_online()/offline() - CPU hotplug, called on the CPU itself. */
void hax_cpu_online(void);
void hax_cpu_offline(void);

/*
 * hax_cpu_suspend() - before a system sleep (suspend to RAM, hibernation),
 * on the last online CPU with interrupts off: VMCLEAR every VMCS active on it
 * (its vCPU VMLAUNCHes again) and leave VMX operation (VMXOFF, CR4.VMXE off)
 * if VMX was on there: the SDM asks for VMCLEAR before VMXOFF or power
 * removal (S3, S4), SDM 24.11.1, 31.5; VMX operation does not survive it.
 */
void hax_cpu_suspend(void);
/*
 * hax_cpu_resume() - after the sleep, same context: VMXON again where
 * hax_cpu_suspend() turned VMX off. On failure VMX stays off on this CPU and
 * a vCPU loaded there gets -EIO (its VM dies) instead of a VMX instruction
 * faulting.
 * Errors: -EPERM (IA32_FEATURE_CONTROL no longer allows VMXON), -EBUSY
 * (CR4.VMXE already set or VMXON failed).
 */
int hax_cpu_resume(void);

/*
 * vm_create() - a VM with no memory and no vCPUs, owned by the current
 * process. Enables VMX on all CPUs for the first VM.
 * Errors: -ENOMEM, -EBUSY (another hypervisor holds VMX on some CPU).
 */
int vm_create(u32 id, struct vm **out);
/* vm_destroy() - free a VM whose vCPUs are all destroyed. */
void vm_destroy(struct vm *vm);

/*
 * vm_add_ramblock() - ADD_RAMBLOCK / ALLOC_RAM.
 * Errors: as ramblock_add(): -EINVAL, -EEXIST, -ENOSPC, -ENOMEM.
 */
int vm_add_ramblock(struct vm *vm, u64 uva, u64 size);
/*
 * vm_set_ram() - SET_RAM / SET_RAM2: map, remap or unmap guest RAM and flush
 * stale EPT entries on every CPU.
 * Errors: as memslot_set(): -EINVAL, -ENOENT, -EEXIST, -ENOSPC, -ENOMEM.
 */
int vm_set_ram(struct vm *vm, u64 gpa, u64 size, u64 uva, u32 flags);

/*
 * vcpu_create() - VCPU_CREATE: a vCPU in the x86 reset state.
 * Errors: -EINVAL (id out of range), -EEXIST (id taken), -ENOMEM, -EIO.
 */
int vcpu_create(struct vm *vm, u32 id, struct vcpu **out);
/* vcpu_destroy() - release the VMCS and pages; the vCPU is idle. */
void vcpu_destroy(struct vcpu *v);

/*
 * vcpu_run() - RUN: enter the guest until an exit user space must handle,
 * or return HAX_EXIT_PAUSED at once while user space keeps _exit_reason at
 * HAX_EXIT_PAUSED (a pending IN or emulated instruction completes first).
 * Errors: -ENXIO (no tunnel yet), -EPERM (caller is not the VM's process),
 * -EIO (VM dead), -EFAULT (guest RAM's backing page is gone), -ENOMEM,
 * -EINVAL (the first RUN after SET_REGS: PAE paging outside long mode with
 * PDPTEs outside guest RAM or with reserved bits set; nothing ran).
 */
int vcpu_run(struct vcpu *v);

/*
 * vcpu_set_regs()/vcpu_get_regs() - SET_REGS/GET_REGS. A PAE state's PDPTEs
 * are read at the next RUN (vmx_run_pdptes()), after any SET_MSRS of EFER.
 * Errors: -EINVAL (a state VMX cannot hold: CR fixed bits, EFER/CR0
 * inconsistency, unknown activity state or interruptibility bits), -EIO.
 */
int vcpu_set_regs(struct vcpu *v, const vcpu_state_t *s);
int vcpu_get_regs(struct vcpu *v, vcpu_state_t *s);
/*
 * vcpu_init_signal() - the vCPU took an INIT (its in-kernel LAPIC accepted
 * one): the registers of vmcs_reset_state() but CR0.CD and CR0.NW kept
 * (SDM vol. 3A 9.1.1, "Processor State After Reset": INIT leaves them, the
 * x87/SSE state and the MSRs but EFER), EFER 0, no event pending for the
 * next entry, no pending debug exception. Errors: -EIO.
 */
int vcpu_init_signal(struct vcpu *v);
/*
 * vcpu_startup() - a start-up IPI with @vector reached the vCPU in
 * wait-for-SIPI: real mode at CS = @vector << 8 (base @vector << 12), IP 0
 * (SDM vol. 3A 9.4.4.2 and 11.6.1, "Start-Up"). Errors: -EIO.
 */
int vcpu_startup(struct vcpu *v, u8 vector);

/*
 * vm_protect_ram() - PROTECT_RAM: restrict guest access to [@gpa, @gpa+@size)
 * to @perm and make running vCPUs see it (their stale EPT entries go).
 * Errors: as guest_mem_protect(): -EINVAL (also execute-only @perm where the
 * CPU's EPT cannot express it), -ENOENT, -E2BIG, -ENOMEM.
 */
int vm_protect_ram(struct vm *vm, u64 gpa, u64 size, u32 perm);

/*
 * vcpu_mmio() - the guest accessed guest-physical @gpa, which is not RAM:
 * unmapped (MMIO) or ROM it wrote to. Emulates the instruction (core/vmx/
 * vmx_mmio.c); its MMIO accesses go to user space as FAST_MMIO exits.
 * Called from the RUN loop, preemptible, VMCS not necessarily current.
 * Returns an exit action (EXIT_RESUME, EXIT_TO_USER) or a negative errno
 * (-EIO: a VMX instruction failed; -EFAULT: the VMM's RAM mapping is gone).
 */
int vcpu_mmio(struct vcpu *v, struct hax_tunnel *t, u64 gpa);

/*
 * vcpu_msrs() - GET_MSRS (@set false) / SET_MSRS: read or write
 * @d->entries[0..nr_msr) in order, stopping at the first MSR that is unknown
 * or refuses its value; @d->done says how many were processed.
 * Errors: -E2BIG (nr_msr above HAX_MAX_MSR_ARRAY), -EIO.
 */
int vcpu_msrs(struct vcpu *v, struct hax_msr_data *d, bool set);

/*
 * vcpu_set_cpuid() - SET_CPUID: narrow this vCPU's CPUID table (see
 * cpuid_table_set()). Errors: -E2BIG, -EINVAL.
 * vcpu_get_cpuid() - GET_CPUID: copy the table to @e, which has room for *@n
 * entries; *@n becomes the table's size. Errors: -E2BIG (*@n too small).
 */
int vcpu_set_cpuid(struct vcpu *v, const struct hax_cpuid_entry *e, u32 n);
int vcpu_get_cpuid(struct vcpu *v, struct hax_cpuid_entry *e, u32 *n);

/*
 * vcpu_interrupt() - INTERRUPT: queue external interrupt @vector; it is
 * injected at an entry where the guest can take it. Vector 2 is an external
 * interrupt with vector 2, not an NMI (as in HAXM: the ABI has no NMI).
 * Errors: -EINVAL (@vector > 255).
 */
int vcpu_interrupt(struct vcpu *v, u32 vector);

/*
 * vcpu_get_fpu()/vcpu_set_fpu() - GET_FPU/SET_FPU: the guest's x87 and SSE
 * state in FXSAVE layout; SET keeps the rest of the extended state (AVX...).
 * Errors: -ENOMEM; set also -EINVAL (MXCSR has a bit outside MXCSR_MASK).
 */
int vcpu_get_fpu(struct vcpu *v, struct fx_layout *fx);
int vcpu_set_fpu(struct vcpu *v, const struct fx_layout *fx);

/*
 * vcpu_set_debug() - VCPU_DEBUG: single-step, software and hardware
 * breakpoints reported to user space as HAX_EXIT_DEBUG.
 * Errors: -EINVAL (unknown control bits, reserved not 0, DR7 bits 63:32 set),
 * -EIO.
 */
int vcpu_set_debug(struct vcpu *v, const hax_debug_t *d);

/*
 * vcpu_emulate() - emulate the instruction at the guest's CS:RIP (MMIO,
 * INS/OUTS). Same context and results as vcpu_mmio(); an instruction the
 * emulator cannot run stops the guest with STATECHANGE.
 */
int vcpu_emulate(struct vcpu *v, struct hax_tunnel *t);

/*
 * vcpu_emu_continue() - at RUN: send the next queued MMIO write, or finish
 * the instruction waiting for the data of a FAST_MMIO read or an INS.
 * Returns EXIT_RESUME (nothing pending), EXIT_TO_USER or a negative errno.
 */
int vcpu_emu_continue(struct vcpu *v, struct hax_tunnel *t);

/*
 * vcpu_tpr_forget() - user space may have changed its APIC's TPR behind
 * haxm's back (SET_REGS after a reset, INIT or loadvm): the TPR shadow is
 * off and the next MOV from CR8 asks it again (core/vmx/tpr.c).
 */
void vcpu_tpr_forget(struct vcpu *v);

/*
 * vcpu_tpr_dirty() - the guest changed VTPR (the TPR shadow's) since the
 * VMM's APIC last saw the TPR. Reads memory only; any context. Inline: it
 * is asked at every exit, and the shadow is off for most vCPUs.
 */
bool __vcpu_tpr_dirty(struct vcpu *v);
static inline bool vcpu_tpr_dirty(struct vcpu *v)
{
	return v->tpr_shadow && __vcpu_tpr_dirty(v);
}

/*
 * vcpu_tpr_sync() - when vcpu_tpr_dirty(): hand user space a 4-byte
 * FAST_MMIO write of VTPR to the TPR of the APIC at IA32_APIC_BASE, which
 * it then holds. Any context; touches no VMCS.
 * Returns EXIT_TO_USER (the tunnel holds the write) or EXIT_RESUME
 * (nothing to tell). Never fails.
 */
int vcpu_tpr_sync(struct vcpu *v, struct hax_tunnel *t);

/*
 * vcpu_mmio_exit() - hand user space one FAST_MMIO access of @size bytes at
 * @gpa that haxm makes for the guest outside the instruction emulator (a
 * MOV to or from CR8): a write of @val; or a read (@write false), whose
 * answer the next RUN gives to vmx_cr8_read_done(). Exit-handler context.
 * Returns EXIT_TO_USER.
 */
int vcpu_mmio_exit(struct vcpu *v, struct hax_tunnel *t, u64 gpa, u64 val, u8 size, bool write);

/* vcpu_tunnel() - the tunnel and I/O buffer pages to map for user space. */
struct hax_tunnel *vcpu_tunnel(struct vcpu *v);

#endif /* HAXM_CORE_VM_H */
