/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow interface between the portable core and its host OS. The core
 * includes nothing else; each platform (platform/linux, the user-space unit
 * test harness) implements these functions and provides "os_types.h" with
 * the fixed-width integer types, bool, size_t, NULL and the errno values;
 * it may define some of the small ones there inline, each then also a macro
 * of its own name, which hides the declaration here.
 */
#ifndef HAXM_CORE_OS_H
#define HAXM_CORE_OS_H

#include "os_types.h"

#define HAX_PAGE_SIZE  4096ULL
#define HAX_PAGE_SHIFT 12
#define HAX_PAGE_MASK  (~(HAX_PAGE_SIZE - 1))

/* Log levels, as HAXM's: 1 error ... 5 debug. */
enum { HAX_LOG_ERROR = 1, HAX_LOG_WARN, HAX_LOG_INFO, HAX_LOG_DEBUG, HAX_LOG_TRACE };

/*
 * os_log() - print a "haxm: "-prefixed message at @level.
 * Messages a guest can trigger must go through os_log_ratelimited().
 */
void os_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void os_log_ratelimited(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * os_zalloc() - zeroed memory that may sleep to allocate.
 * Returns NULL when out of memory. Freed with os_free(), which takes NULL.
 */
void *os_zalloc(size_t size);
void os_free(void *ptr);

/* A zeroed, 4 KiB-aligned page with its host-physical address. */
struct os_page {
	void *va;
	u64 pa;
	void *handle;
};

/*
 * os_page_alloc() - allocate one zeroed host page.
 * Errors: -ENOMEM.
 */
int os_page_alloc(struct os_page *page);
void os_page_free(struct os_page *page);

/*
 * os_pin_user_page() - pin the page of the current process at user address
 * @uva for writing and return its host-physical address.
 * Errors: -EFAULT (not mapped or not writable), -ENOMEM.
 */
int os_pin_user_page(u64 uva, void **handle, u64 *pa);
void os_unpin_user_page(void *handle);
/*
 * os_pin_user_huge() - when one 2 MiB (or larger) host page maps all of
 * [@uva, @uva + 2 MiB) (@uva 2 MiB-aligned) in the current process, pin it
 * for writing through its page at @uva; that page's address in @pa. The one
 * pin keeps all 512 pages of the range (os_pinned_sub()) in place.
 * Errors: -ENOENT (not mapped by one such page now), -EFAULT, -ENOMEM.
 */
int os_pin_user_huge(u64 uva, void **handle, u64 *pa);
/*
 * os_pinned_sub() - the handle of the @i-th page after the one @handle
 * pinned with os_pin_user_huge() (@i < 512). It is not a pin of its own:
 * it must not be passed to os_unpin_user_page().
 */
void *os_pinned_sub(void *handle, u64 i);
/* os_pinned_pa() - the host-physical address of a pinned page. */
u64 os_pinned_pa(void *handle);
/*
 * os_pinned_huge() - true when the pinned page lies in a host page of 2 MiB
 * or more (THP, hugetlb): its whole 2 MiB frame is allocated and contiguous.
 */
bool os_pinned_huge(void *handle);

/* os_mm_current() - an opaque token for the current address space. */
void *os_mm_current(void);

/* CPUs: ids are 0..os_cpu_max()-1; some may be offline. */
int os_cpu_max(void);
int os_cpu_current(void);

/*
 * os_on_cpu() - run @fn(@arg) on @cpu with interrupts off and wait for it.
 * May not be called with interrupts off. Errors: -ENXIO (CPU offline).
 */
int os_on_cpu(int cpu, void (*fn)(void *), void *arg);
/* os_on_each_cpu() - run @fn(@arg) on every online CPU and wait. */
void os_on_each_cpu(void (*fn)(void *), void *arg);

#ifndef os_preempt_disable
void os_preempt_disable(void);
void os_preempt_enable(void);
#endif
#ifndef os_irq_save
unsigned long os_irq_save(void);
void os_irq_restore(unsigned long flags);
#endif

/* os_resched() - yield the CPU if the scheduler asks for it. */
void os_resched(void);
/* os_yield() - let the scheduler run another thread first, if one is ready. */
void os_yield(void);
/* os_signal_pending() - true when the current thread has a signal to handle. */
#ifndef os_signal_pending
bool os_signal_pending(void);
#endif
/*
 * os_signal_queued() - true when a signal is queued for the current thread or
 * its process, blocked ones included (a racy read: one arriving meanwhile is
 * seen at the next call).
 */
bool os_signal_queued(void);

/* Sleeping mutex; the type is the platform's (os_types.h), which may make
 * os_mutex_init() a macro. */
#ifndef os_mutex_init
void os_mutex_init(os_mutex_t *m);
#endif
void os_mutex_lock(os_mutex_t *m);
void os_mutex_unlock(os_mutex_t *m);

/*
 * Host CPU state the VMCS needs (x86): per-CPU descriptor-table bases and
 * the segment bases of the current thread. Called with preemption off.
 */
struct os_host_state {
	u64 tr_base;
	u64 gdt_base;
	u64 idt_base;
	u64 gs_base;
	u64 sysenter_esp;
	u16 cs_sel, ss_sel, tr_sel;
};
void os_host_state(struct os_host_state *hs);

/*
 * A VM exit loads null DS/ES/FS/GS selectors and a TSS limit of 0x67 (SDM
 * 28.5.2). os_host_segs_save() records what the host had before entry;
 * os_host_segs_restore() puts it back after the exit, interrupts still off.
 */
struct os_host_segs {
	u16 ds, es, fs, gs;
	u64 fs_base, kernel_gs_base;
};
void os_host_segs_save(struct os_host_segs *s);
void os_host_segs_restore(const struct os_host_segs *s);

/* CPU hotplug exclusion around work that must see every online CPU. */
void os_cpus_read_lock(void);
void os_cpus_read_unlock(void);

/*
 * os_cr4_vmxe() - set (@on) or clear CR4.VMXE on this CPU, keeping the
 * host's cached copy of CR4 right. Called with interrupts off.
 * os_cr4_vmxe_is_set() tells whether it is set now.
 */
void os_cr4_vmxe(bool on);
bool os_cr4_vmxe_is_set(void);

/*
 * os_host_cpuid_mask() - the feature bits of CPUID leaf @leaf, subleaf @sub,
 * register @reg (0-3: EAX EBX ECX EDX) that the host kernel uses: what it
 * left of the CPU's after its command line (clearcpuid=, nopcid...) and its
 * errata checks. All ones for a register it keeps no record of. Guests are
 * offered no feature the host turned off (as KVM does). Never fails.
 */
u32 os_host_cpuid_mask(u32 leaf, u32 sub, int reg);

/* os_host_nmi() - deliver an NMI that exited the guest to the host handler. */
void os_host_nmi(void);
/*
 * os_machine_check() - hand a machine check that exited the guest (an #MC
 * exception exit, or exit reason 41 during entry) to the host's handler.
 * Interrupts off.
 */
void os_machine_check(void);

/*
 * The VM entry and exit themselves, and the host's defences around them
 * against a guest sharing the core's buffers, caches and predictors: the
 * platform chooses them from the host kernel's own mitigation state.
 *
 * os_vmx_enter() - load the guest's general registers from @regs (RAX..R15
 * in their encoding order; RSP is the VMCS's) and VMLAUNCH, or VMRESUME when
 * @flags has OS_VMX_RESUME; store them back after the VM exit. The VMCS is
 * current, interrupts are off. Returns 0 after a VM exit, 1 when the entry
 * instruction failed (VM_INSTRUCTION_ERROR says why, unless VMX was off).
 */
#define OS_VMX_RESUME (1u << 0)
u32 os_vmx_enter(u64 *regs, u32 flags);
/* os_vmx_exit - where a VM exit lands (HOST_RIP), inside os_vmx_enter(). */
extern char os_vmx_exit[];
/* os_vmx_entered() - @n entries were made: the platform's accounting. */
void os_vmx_entered(u32 n);
/*
 * os_vmx_before_entry() - last thing before os_vmx_enter(), interrupts off:
 * the L1D flush when it is on; @host_ran says host code (user space, the
 * scheduler, an interrupt handler) ran since the last entry of this vCPU.
 */
void os_vmx_before_entry(bool host_ran);
/* os_vmx_vmcs_switch() - a VMCS became current on this CPU (VMPTRLD). */
void os_vmx_vmcs_switch(void);
/* os_vmx_run_done() - the vCPU's thread is about to return to user space. */
void os_vmx_run_done(void);

/*
 * A scheduler hook: os_sched_hook_alloc() makes one that calls @fn(@arg)
 * each time the thread that armed it is scheduled out (preempted, blocking,
 * migrating), on the CPU it leaves, with preemption and interrupts off.
 * os_sched_hook_arm() arms it for the current thread until
 * os_sched_hook_disarm(), called by the same thread. Returns NULL when out
 * of memory; os_sched_hook_free() takes a disarmed hook.
 */
void *os_sched_hook_alloc(void (*fn)(void *), void *arg);
void os_sched_hook_free(void *hook);
void os_sched_hook_arm(void *hook);
void os_sched_hook_disarm(void *hook);

/*
 * Guest extended state (x87, SSE, AVX, AVX-512: whatever XSAVE holds), one
 * buffer per vCPU kept by the platform, which also saves and restores it when
 * the vCPU's thread is preempted or migrates while the guest's state is in
 * the registers (between os_fpu_enter() and os_fpu_leave()).
 */
struct os_fpu;

/* os_fpu_alloc() - a buffer in the x86 reset state. Errors: -ENOMEM. */
int os_fpu_alloc(struct os_fpu **out);
/* os_fpu_free() - free a buffer not entered; takes NULL. */
void os_fpu_free(struct os_fpu *f);
/*
 * os_fpu_enter() - save the thread's own FPU registers and load @f's, for a
 * RUN. os_fpu_leave() - save @f and give the thread its registers back.
 * Preemptible; every enter is paired with a leave before returning to user space.
 */
void os_fpu_enter(struct os_fpu *f);
void os_fpu_leave(struct os_fpu *f);
/*
 * os_fpu_reload() - just before a VM entry, interrupts off: if host code used
 * the FPU registers since os_fpu_enter() (a context switch, kernel FPU use),
 * load the entered buffer into them again.
 */
void os_fpu_reload(void);
/*
 * os_fpu_get_fx()/os_fpu_set_fx() - the legacy 512-byte FXSAVE region of a
 * buffer not entered (struct fx_layout); set keeps the other components
 * (the AVX upper halves...) as they are.
 * Errors: -ENOMEM; set also -EINVAL (MXCSR sets a bit outside the CPU's
 * MXCSR_MASK).
 */
int os_fpu_get_fx(struct os_fpu *f, void *fx);
int os_fpu_set_fx(struct os_fpu *f, const void *fx);
/*
 * os_fpu_get_xsave()/os_fpu_set_xsave() - the whole buffer of one not
 * entered, in the XSAVE standard format (components in their init state
 * where XSTATE_BV says so), in @len bytes (the rest of @len zero on get).
 * os_fpu_limits() - the components the buffer holds and the CPU's MXCSR_MASK.
 * Errors: -E2BIG (the state is larger than @len), -ENOMEM; set also -EINVAL
 * (a bad XSAVE header, MXCSR bits outside MXCSR_MASK).
 */
int os_fpu_get_xsave(struct os_fpu *f, void *buf, u32 len);
int os_fpu_set_xsave(struct os_fpu *f, const void *buf, u32 len);
void os_fpu_limits(struct os_fpu *f, u64 *xfeatures, u32 *mxcsr_mask);
/*
 * os_fpu_regs_get() - between os_fpu_enter() and os_fpu_leave(): make the
 * entered buffer's registers live in the CPU (loading them again if host
 * code used the FPU meanwhile) and keep them there, by disabling preemption
 * and softirqs, until os_fpu_regs_put(). In between the caller may read and
 * write the XMM/YMM registers directly (the instruction emulator).
 */
void os_fpu_regs_get(void);
void os_fpu_regs_put(void);

/*
 * os_debug_restore_host() - after a VM exit (which left DR7 = 0x400 and
 * IA32_DEBUGCTL = 0, SDM 28.5.1), interrupts off: load the host's hardware
 * breakpoints into DR0-3/DR6/DR7 again if it has any armed.
 */
void os_debug_restore_host(void);

/*
 * Observability (area "eco"): trace points.
 *
 * os_trace_on() tells whether event @ev is being recorded now, so that the
 * core reads what an event needs (a VMCS field, say) only then; the
 * os_trace_*() functions record one event. Linux: the trace events in
 * tracefs' events/haxm/ (platform/linux/haxm_trace.h). @vm and @vcpu are ids.
 */
enum os_trace_event {
	OS_TRACE_ENTRY,
	OS_TRACE_EXIT,
	OS_TRACE_IO,
	OS_TRACE_MMIO,
	OS_TRACE_INJECT,
	OS_TRACE_EPT_FAULT,
	OS_TRACE_NR
};
bool os_trace_on(enum os_trace_event ev);
/* os_trace_entry() - the vCPU enters the guest at @rip. */
void os_trace_entry(u32 vm, u32 vcpu, u64 rip);
/* os_trace_exit() - VM exit with the full exit @reason, its @qual and the guest @rip. */
void os_trace_exit(u32 vm, u32 vcpu, u32 reason, u64 qual, u64 rip);
/*
 * os_trace_io() - IN (@in) or OUT of @size bytes at @port; @value: for an
 * OUT, the data (its low @size bytes count), else 0.
 */
void os_trace_io(u32 vm, u32 vcpu, u16 port, u8 size, bool in, bool string, u32 value);
/* os_trace_mmio() - an access (EPT qualification bits @access) to non-RAM @gpa. */
void os_trace_mmio(u32 vm, u32 vcpu, u64 gpa, u32 access);
/* os_trace_inject() - an event queued for the next entry (VM-entry @info, @error). */
void os_trace_inject(u32 vm, u32 vcpu, u32 info, u32 error);
/* os_trace_ept_fault() - an EPT violation at @gpa with exit qualification @qual. */
void os_trace_ept_fault(u32 vm, u32 vcpu, u64 gpa, u64 qual);

/*
 * os_copy_from_user()/os_copy_to_user() - @size bytes from or to the current
 * process at @uva (the emulator and the PDPTE loads reaching guest RAM
 * through the VMM's mapping). May sleep. Errors: -EFAULT.
 */
int os_copy_from_user(void *dst, u64 uva, u32 size);
int os_copy_to_user(u64 uva, const void *src, u32 size);

/*
 * In-kernel interrupt controllers (issue 18): a lock that code running with
 * preemption off may take, the time, a host timer and a sleep for halted
 * vCPUs (platform/linux/os_wait.c).
 *
 * os_spin_alloc() - a spinlock, or NULL (no memory). os_spin_lock() may be
 * taken with preemption off, never from interrupt context.
 */
struct os_spin;
struct os_spin *os_spin_alloc(void);
void os_spin_free(struct os_spin *l);
void os_spin_lock(struct os_spin *l);
void os_spin_unlock(struct os_spin *l);
/* os_now_ns() - monotonic time in nanoseconds. */
u64 os_now_ns(void);
/* os_tsc_khz() - the host's TSC rate in kHz; 0 when the host does not know it. */
u32 os_tsc_khz(void);
/*
 * A waker: a host timer calling @fn(@arg) in interrupt context at an
 * absolute os_now_ns() time, and a wait queue one thread sleeps on.
 * os_waker_alloc() returns NULL when out of memory; os_waker_free() stops the
 * timer and waits for a running @fn.
 */
struct os_waker;
struct os_waker *os_waker_alloc(void (*fn)(void *), void *arg);
void os_waker_free(struct os_waker *w);
/* os_waker_arm() - fire at @ns (now if past); 0 cancels. Any context but @fn's own. */
void os_waker_arm(struct os_waker *w, u64 ns);
/* os_waker_wake() - wake the thread in os_waker_wait(). Any context. */
void os_waker_wake(struct os_waker *w);
/*
 * os_waker_wait() - sleep until @cond(@arg) holds (checked before each
 * sleep, after each wake-up) or a signal arrives. Errors: -EINTR (a signal).
 */
int os_waker_wait(struct os_waker *w, bool (*cond)(void *), void *arg);
/*
 * os_cpu_kick() - make host CPU @cpu take an interrupt (a guest running there
 * exits); nothing when @cpu is the current one. Any context.
 */
void os_cpu_kick(int cpu);

#endif /* HAXM_CORE_OS_H */
