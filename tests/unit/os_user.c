// SPDX-License-Identifier: GPL-2.0
/*
 * core/os.h for user space: the unit tests link the portable core against
 * this. One "CPU", host-physical == virtual, and user pages "pinned" by
 * counting, with knobs (os_user.h) to make pinning fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"
#include "os_user.h"

#define HAX_HUGE_BYTES (2ULL << 20)

struct os_user os_user;

static void vlog(int level, const char *fmt, va_list ap)
{
	if (level > os_user.log_level)
		return;
	fputs("haxm: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void os_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void os_log_ratelimited(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void *os_zalloc(size_t size)
{
	if (os_user.fail_alloc_after >= 0 && os_user.allocs >= os_user.fail_alloc_after)
		return NULL;
	os_user.allocs++;
	os_user.live_allocs++;
	return calloc(1, size);
}

void os_free(void *ptr)
{
	if (ptr)
		os_user.live_allocs--;
	free(ptr);
}

int os_page_alloc(struct os_page *page)
{
	void *va;

	if (os_user.fail_alloc_after >= 0 && os_user.allocs >= os_user.fail_alloc_after)
		return -ENOMEM;
	va = aligned_alloc(HAX_PAGE_SIZE, HAX_PAGE_SIZE);
	if (!va)
		return -ENOMEM;
	os_user.allocs++;
	os_user.live_pages++;
	memset(va, 0, HAX_PAGE_SIZE);
	page->va = va;
	page->pa = (u64)(uintptr_t)va;
	page->handle = va;
	return 0;
}

void os_page_free(struct os_page *page)
{
	if (!page->va)
		return;
	os_user.live_pages--;
	free(page->va);
	page->va = NULL;
}

/* A pin handle: the page's address with the low bit set (never NULL). */
static int pin_one(u64 uva, void **handle, u64 *pa)
{
	u64 page = uva & HAX_PAGE_MASK;

	if (os_user.pin_fault && os_user.pin_fault(page))
		return -EFAULT;
	os_user.pinned++;
	*handle = (void *)(uintptr_t)(page | 1);
	*pa = page;
	return 0;
}

int os_pin_user_page(u64 uva, void **handle, u64 *pa)
{
	os_user.pin_calls++;
	return pin_one(uva, handle, pa);
}

int os_pin_user_huge(u64 uva, void **handle, u64 *pa)
{
	os_user.pin_calls++;
	if ((uva & (HAX_HUGE_BYTES - 1)) || !os_user.huge || !os_user.huge(uva))
		return -ENOENT;
	return pin_one(uva, handle, pa);
}

void *os_pinned_sub(void *handle, u64 i)
{
	return (void *)((uintptr_t)handle + i * HAX_PAGE_SIZE);
}

void os_unpin_user_page(void *handle)
{
	if (handle)
		os_user.pinned--;
}

u64 os_pinned_pa(void *handle)
{
	return (u64)(uintptr_t)handle & HAX_PAGE_MASK;
}

bool os_pinned_huge(void *handle)
{
	return os_user.huge && os_user.huge(os_pinned_pa(handle));
}

void *os_mm_current(void)
{
	return &os_user;
}

int os_cpu_max(void)
{
	return 1;
}

int os_cpu_current(void)
{
	return 0;
}

int os_on_cpu(int cpu, void (*fn)(void *), void *arg)
{
	if (cpu != 0)
		return -ENXIO;
	fn(arg);
	return 0;
}

void os_on_each_cpu(void (*fn)(void *), void *arg)
{
	fn(arg);
}

void os_preempt_disable(void)
{
	os_user.preempt_depth++;
}

void os_preempt_enable(void)
{
	os_user.preempt_depth--;
}

unsigned long os_irq_save(void)
{
	return 0;
}

void os_irq_restore(unsigned long flags)
{
	(void)flags;
}

void os_resched(void)
{
}

void os_yield(void)
{
}

bool os_signal_pending(void)
{
	return false;
}

bool os_signal_queued(void)
{
	return false;
}

void os_mutex_init(os_mutex_t *m)
{
	pthread_mutex_init(m, NULL);
}

void os_mutex_lock(os_mutex_t *m)
{
	pthread_mutex_lock(m);
}

void os_mutex_unlock(os_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

void os_host_state(struct os_host_state *hs)
{
	memset(hs, 0, sizeof(*hs));
}

/* User space keeps no record of what its kernel turned off. */
u32 os_host_cpuid_mask(u32 leaf, u32 sub, int reg)
{
	(void)leaf, (void)sub, (void)reg;
	return ~0u;
}

void os_host_segs_save(struct os_host_segs *s)
{
	memset(s, 0, sizeof(*s));
}

void os_host_segs_restore(const struct os_host_segs *s)
{
	(void)s;
}

void os_cpus_read_lock(void)
{
}

void os_cpus_read_unlock(void)
{
}

void os_cr4_vmxe(bool on)
{
	os_user.cr4_vmxe = on;
}

bool os_cr4_vmxe_is_set(void)
{
	return os_user.cr4_vmxe;
}

void os_host_nmi(void)
{
}

void os_machine_check(void)
{
}

/* User space has no VMX: an entry always fails, as VMLAUNCH outside VMX would. */
char os_vmx_exit[1];

u32 os_vmx_enter(u64 *regs, u32 flags)
{
	(void)regs;
	(void)flags;
	return 1;
}

void os_vmx_entered(u32 n)
{
	(void)n;
}

void os_vmx_before_entry(bool host_ran)
{
	(void)host_ran;
}

void os_vmx_vmcs_switch(void)
{
}

void os_vmx_run_done(void)
{
}

/* One thread, never scheduled out: the hook is only remembered. */
struct os_sched_hook {
	void (*fn)(void *);
	void *arg;
	bool armed;
};

void *os_sched_hook_alloc(void (*fn)(void *), void *arg)
{
	struct os_sched_hook *h = os_zalloc(sizeof(*h));

	if (h) {
		h->fn = fn;
		h->arg = arg;
	}
	return h;
}

void os_sched_hook_free(void *hook)
{
	os_free(hook);
}

void os_sched_hook_arm(void *hook)
{
	((struct os_sched_hook *)hook)->armed = true;
}

void os_sched_hook_disarm(void *hook)
{
	((struct os_sched_hook *)hook)->armed = false;
}

/* Guest FPU buffers: a 512-byte FXSAVE image each, entered at most once. */
struct os_fpu {
	u8 fx[512];
	bool entered;
};

int os_fpu_alloc(struct os_fpu **out)
{
	*out = os_zalloc(sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void os_fpu_free(struct os_fpu *f)
{
	if (f && f->entered)
		abort();
	os_free(f);
}

void os_fpu_enter(struct os_fpu *f)
{
	if (f->entered)
		abort();
	f->entered = true;
}

void os_fpu_leave(struct os_fpu *f)
{
	if (!f->entered)
		abort();
	f->entered = false;
}

void os_fpu_reload(void)
{
}

int os_fpu_get_fx(struct os_fpu *f, void *fx)
{
	memcpy(fx, f->fx, sizeof(f->fx));
	return 0;
}

int os_fpu_set_fx(struct os_fpu *f, const void *fx)
{
	memcpy(f->fx, fx, sizeof(f->fx));
	return 0;
}

/* The XSAVE image of a buffer: its FXSAVE part, x87 and SSE in XSTATE_BV. */
int os_fpu_get_xsave(struct os_fpu *f, void *buf, u32 len)
{
	u64 bv = 3;

	if (len < 576)
		return -E2BIG;
	memset(buf, 0, len);
	memcpy(buf, f->fx, sizeof(f->fx));
	memcpy((u8 *)buf + 512, &bv, sizeof(bv));
	return 0;
}

int os_fpu_set_xsave(struct os_fpu *f, const void *buf, u32 len)
{
	if (len < 576)
		return -E2BIG;
	memcpy(f->fx, buf, sizeof(f->fx));
	return 0;
}

void os_fpu_limits(struct os_fpu *f, u64 *xfeatures, u32 *mxcsr_mask)
{
	*xfeatures = 3;
	*mxcsr_mask = 0xffff;
}

void os_fpu_regs_get(void)
{
}

void os_fpu_regs_put(void)
{
}

void os_debug_restore_host(void)
{
}

/* Trace points: counted, and the last event's values kept for the tests. */
bool os_trace_on(enum os_trace_event ev)
{
	return ev < OS_TRACE_NR;
}

void os_trace_entry(u32 vm, u32 vcpu, u64 rip)
{
	os_user.traced[OS_TRACE_ENTRY]++;
}

void os_trace_exit(u32 vm, u32 vcpu, u32 reason, u64 qual, u64 rip)
{
	os_user.traced[OS_TRACE_EXIT]++;
}

void os_trace_io(u32 vm, u32 vcpu, u16 port, u8 size, bool in, bool string, u32 value)
{
	os_user.traced[OS_TRACE_IO]++;
}

void os_trace_mmio(u32 vm, u32 vcpu, u64 gpa, u32 access)
{
	os_user.traced[OS_TRACE_MMIO]++;
}

void os_trace_inject(u32 vm, u32 vcpu, u32 info, u32 error)
{
	os_user.traced[OS_TRACE_INJECT]++;
}

void os_trace_ept_fault(u32 vm, u32 vcpu, u64 gpa, u64 qual)
{
	os_user.traced[OS_TRACE_EPT_FAULT]++;
}

/* Unit tests run the core in one address space: user addresses are plain pointers. */
int os_copy_from_user(void *dst, u64 uva, u32 size)
{
	memcpy(dst, (const void *)(uintptr_t)uva, size);
	return 0;
}

int os_copy_to_user(u64 uva, const void *src, u32 size)
{
	memcpy((void *)(uintptr_t)uva, src, size);
	return 0;
}

/* ---- the in-kernel LAPICs' primitives (core/vapic.c) ---------------------- */

struct os_spin {
	pthread_mutex_t m;
};

struct os_spin *os_spin_alloc(void)
{
	struct os_spin *l = calloc(1, sizeof(*l));

	if (l)
		pthread_mutex_init(&l->m, NULL);
	return l;
}

void os_spin_free(struct os_spin *l)
{
	free(l);
}

void os_spin_lock(struct os_spin *l)
{
	pthread_mutex_lock(&l->m);
}

void os_spin_unlock(struct os_spin *l)
{
	pthread_mutex_unlock(&l->m);
}

u64 os_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

u32 os_tsc_khz(void)
{
	return 1000000; /* unit tests: a 1 GHz TSC */
}

/* The unit tests run no vCPU: the expiry is recorded, never fired. */
struct os_waker {
	pthread_mutex_t m;
	pthread_cond_t c;
	u64 expiry;
};

struct os_waker *os_waker_alloc(void (*fn)(void *), void *arg)
{
	struct os_waker *w = calloc(1, sizeof(*w));

	if (w) {
		pthread_mutex_init(&w->m, NULL);
		pthread_cond_init(&w->c, NULL);
	}
	return w;
}

void os_waker_free(struct os_waker *w)
{
	free(w);
}

void os_waker_arm(struct os_waker *w, u64 ns)
{
	w->expiry = ns;
}

u64 os_user_waker_expiry(const struct os_waker *w)
{
	return w->expiry;
}

void os_waker_wake(struct os_waker *w)
{
	pthread_mutex_lock(&w->m);
	pthread_cond_broadcast(&w->c);
	pthread_mutex_unlock(&w->m);
}

int os_waker_wait(struct os_waker *w, bool (*cond)(void *), void *arg)
{
	pthread_mutex_lock(&w->m);
	while (!cond(arg))
		pthread_cond_wait(&w->c, &w->m);
	pthread_mutex_unlock(&w->m);
	return 0;
}

void os_cpu_kick(int cpu)
{
}
