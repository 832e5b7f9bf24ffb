// SPDX-License-Identifier: GPL-2.0
/* The core's OS interface (core/os.h) on Linux. */
#include <linux/cpu.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/cpufeature.h>
#include <asm/desc.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>

#include "os.h"
#include "stats.h"

static int log_level = HAX_LOG_INFO;

/* log_level takes HAXM's levels 1..5 only, at load and in sysfs. */
static int log_level_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, HAX_LOG_ERROR, HAX_LOG_TRACE);
}

static const struct kernel_param_ops log_level_ops = {
	.set = log_level_set,
	.get = param_get_int,
};
module_param_cb(log_level, &log_level_ops, &log_level, 0644);
MODULE_PARM_DESC(log_level,
		 "messages up to this level: 1 error, 2 warning, 3 info, 4 debug, 5 trace");

static const char *const level_prefix[] = { KERN_ERR,  KERN_ERR,   KERN_WARNING,
					    KERN_INFO, KERN_DEBUG, KERN_DEBUG };

static void os_vlog(int level, const char *fmt, va_list ap)
{
	va_list copy;
	struct va_format vaf = { .fmt = fmt, .va = &copy };

	if (level > READ_ONCE(log_level) || level < 1)
		return;
	va_copy(copy, ap);
	printk("%shaxm: %pV", level_prefix[min(level, HAX_LOG_TRACE)], &vaf);
	va_end(copy);
}

void os_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	os_vlog(level, fmt, ap);
	va_end(ap);
}

void os_log_ratelimited(int level, const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 10);
	va_list ap;

	if (level > READ_ONCE(log_level) || !__ratelimit(&rs))
		return;
	va_start(ap, fmt);
	os_vlog(level, fmt, ap);
	va_end(ap);
}

/*
 * Charged to the caller's memory cgroup. Sizes follow user requests (a large
 * ramblock's pin array): when memory is short the allocation fails, as the
 * caller's -ENOMEM, rather than wake the OOM killer on other processes
 * (__GFP_RETRY_MAYFAIL) or dump a warning in the host's log (__GFP_NOWARN).
 */
void *os_zalloc(size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);

	if (p)
		hax_count(&hax_counters.allocations, 1);
	return p;
}

void os_free(void *ptr)
{
	if (ptr)
		hax_count(&hax_counters.allocations, -1);
	kvfree(ptr);
}

int os_page_alloc(struct os_page *pg)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	pg->handle = page;
	pg->va = page_address(page);
	pg->pa = page_to_phys(page);
	hax_count(&hax_counters.kernel_pages, 1);
	return 0;
}

void os_page_free(struct os_page *pg)
{
	if (pg->handle) {
		__free_page(pg->handle);
		hax_count(&hax_counters.kernel_pages, -1);
	}
	pg->handle = NULL;
	pg->va = NULL;
}

int os_pin_user_page(u64 uva, void **handle, u64 *pa)
{
	struct page *page;
	int r = pin_user_pages_fast(uva, 1, FOLL_WRITE | FOLL_LONGTERM, &page);

	if (r != 1)
		return r == -ENOMEM ? -ENOMEM : -EFAULT;
	*handle = page;
	*pa = page_to_phys(page);
	return 0;
}

/*
 * The pfn a PMD or PUD leaf maps at @uva in @mm, or 0: walked with
 * interrupts off as GUP's fast path does, so no page table is freed under us.
 */
static unsigned long huge_leaf_pfn(struct mm_struct *mm, unsigned long uva)
{
	unsigned long flags, pfn = 0;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, uva));
	if (pgd_none(pgd) || pgd_bad(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, uva));
	if (p4d_none(p4d) || p4d_bad(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, uva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		pfn = pud_pfn(pud) + ((uva & ~PUD_MASK) >> PAGE_SHIFT);
		goto out;
	}
	if (pud_bad(pud))
		goto out;
	pmd = READ_ONCE(*pmd_offset(&pud, uva));
	if (pmd_present(pmd) && pmd_leaf(pmd))
		pfn = pmd_pfn(pmd);
out:
	local_irq_restore(flags);
	return pfn;
}

int os_pin_user_huge(u64 uva, void **handle, u64 *pa)
{
	unsigned long pfn = huge_leaf_pfn(current->mm, uva);
	struct page *page;
	int r;

	if (!pfn || (uva & ~PMD_MASK))
		return -ENOENT;
	r = pin_user_pages_fast(uva, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	if (r != 1)
		return r == -ENOMEM ? -ENOMEM : -EFAULT;
	/*
	 * The page the leaf mapped, in a compound page of 2 MiB or more: the
	 * pin holds all 512 (whatever the VMM maps there later, as with any
	 * pinned page).
	 */
	if (page_to_pfn(page) != pfn || !os_pinned_huge(page)) {
		unpin_user_page(page);
		return -ENOENT;
	}
	*handle = page;
	*pa = page_to_phys(page);
	return 0;
}

void *os_pinned_sub(void *handle, u64 i)
{
	return nth_page((struct page *)handle, i);
}

void os_unpin_user_page(void *handle)
{
	struct page *page = handle;

	unpin_user_pages_dirty_lock(&page, 1, true);
}

u64 os_pinned_pa(void *handle)
{
	return page_to_phys((struct page *)handle);
}

bool os_pinned_huge(void *handle)
{
	struct page *page = handle;

	return PageCompound(page) && compound_order(compound_head(page)) >= PMD_SHIFT - PAGE_SHIFT;
}

void *os_mm_current(void)
{
	return current->mm;
}

int os_cpu_max(void)
{
	return nr_cpu_ids;
}

int os_cpu_current(void)
{
	return raw_smp_processor_id();
}

int os_on_cpu(int cpu, void (*fn)(void *), void *arg)
{
	return smp_call_function_single(cpu, fn, arg, 1);
}

void os_on_each_cpu(void (*fn)(void *), void *arg)
{
	on_each_cpu(fn, arg, 1);
}

void os_cpus_read_lock(void)
{
	cpus_read_lock();
}

void os_cpus_read_unlock(void)
{
	cpus_read_unlock();
}

void os_resched(void)
{
	cond_resched();
}

void os_yield(void)
{
	yield();
}

bool os_signal_queued(void)
{
	return !sigisemptyset(&current->pending.signal) ||
	       !sigisemptyset(&current->signal->shared_pending.signal);
}

void os_mutex_lock(os_mutex_t *m)
{
	mutex_lock(m);
}

void os_mutex_unlock(os_mutex_t *m)
{
	mutex_unlock(m);
}

/* The base of the TSS descriptor @sel in the GDT at @gdt (16 bytes, 64-bit). */
static u64 tss_base(u64 gdt, u16 sel)
{
	const u8 *d = (const u8 *)(gdt + (sel & ~7));

	return d[2] | (u64)d[3] << 8 | (u64)d[4] << 16 | (u64)d[7] << 24 |
	       (u64) * (const u32 *)(d + 8) << 32;
}

void os_host_state(struct os_host_state *hs)
{
	struct desc_ptr gdt, idt;
	u16 tr;

	native_store_gdt(&gdt);
	store_idt(&idt);
	asm volatile("str %0" : "=r"(tr));
	hs->gdt_base = gdt.address;
	hs->idt_base = idt.address;
	hs->tr_sel = tr;
	hs->tr_base = tss_base(gdt.address, tr);
	rdmsrl(MSR_GS_BASE, hs->gs_base);
	rdmsrl(MSR_IA32_SYSENTER_ESP, hs->sysenter_esp);
	hs->cs_sel = __KERNEL_CS;
	hs->ss_sel = __KERNEL_DS;
}

/* The CPUID registers the kernel mirrors in its capability words. */
static const struct {
	u32 leaf, sub;
	u8 reg, word;
} host_cpuid_words[] = {
	{ 1, 0, 2, CPUID_1_ECX },
	{ 1, 0, 3, CPUID_1_EDX },
	{ 7, 0, 1, CPUID_7_0_EBX },
	{ 7, 0, 2, CPUID_7_ECX },
	{ 7, 0, 3, CPUID_7_EDX },
	{ 0xd, 1, 0, CPUID_D_1_EAX },
	{ 0x80000001, 0, 2, CPUID_8000_0001_ECX },
	{ 0x80000001, 0, 3, CPUID_8000_0001_EDX },
};

u32 os_host_cpuid_mask(u32 leaf, u32 sub, int reg)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(host_cpuid_words); i++)
		if (host_cpuid_words[i].leaf == leaf && host_cpuid_words[i].sub == sub &&
		    host_cpuid_words[i].reg == reg)
			return boot_cpu_data.x86_capability[host_cpuid_words[i].word];
	return ~0u;
}

void os_host_segs_save(struct os_host_segs *s)
{
	savesegment(ds, s->ds);
	savesegment(es, s->es);
	savesegment(fs, s->fs);
	savesegment(gs, s->gs);
	if (s->fs)
		rdmsrl(MSR_FS_BASE, s->fs_base);
	if (s->gs)
		rdmsrl(MSR_KERNEL_GS_BASE, s->kernel_gs_base);
}

void os_host_segs_restore(const struct os_host_segs *s)
{
	if (s->ds)
		loadsegment(ds, s->ds);
	if (s->es)
		loadsegment(es, s->es);
	if (s->fs) {
		loadsegment(fs, s->fs);
		wrmsrl(MSR_FS_BASE, s->fs_base);
	}
	if (s->gs) {
		load_gs_index(s->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, s->kernel_gs_base);
	}
	/* SDM 28.5.2: the exit left TR's limit at 0x67 and GDTR's at 0xffff. */
	invalidate_tss_limit();
	load_fixmap_gdt(raw_smp_processor_id());
}

void os_cr4_vmxe(bool on)
{
	if (on)
		cr4_set_bits(X86_CR4_VMXE);
	else
		cr4_clear_bits(X86_CR4_VMXE);
}

bool os_cr4_vmxe_is_set(void)
{
	return cr4_read_shadow() & X86_CR4_VMXE;
}

void os_host_nmi(void)
{
	/* Through the host IDT's NMI gate, as the hardware NMI would have. */
	asm volatile("int $2");
}

/* ---- scheduler hook: a preempt notifier (as KVM's vcpu_load uses) ---- */

struct os_sched_hook {
	struct preempt_notifier pn;
	void (*fn)(void *);
	void *arg;
};

static void os_hook_sched_in(struct preempt_notifier *pn, int cpu)
{
}

static void os_hook_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	struct os_sched_hook *h = container_of(pn, struct os_sched_hook, pn);

	h->fn(h->arg);
}

static struct preempt_ops os_hook_ops = {
	.sched_in = os_hook_sched_in,
	.sched_out = os_hook_sched_out,
};

void *os_sched_hook_alloc(void (*fn)(void *), void *arg)
{
	struct os_sched_hook *h = os_zalloc(sizeof(*h));

	if (!h)
		return NULL;
	h->fn = fn;
	h->arg = arg;
	preempt_notifier_init(&h->pn, &os_hook_ops);
	preempt_notifier_inc();
	return h;
}

void os_sched_hook_free(void *hook)
{
	preempt_notifier_dec();
	os_free(hook);
}

void os_sched_hook_arm(void *hook)
{
	struct os_sched_hook *h = hook;

	preempt_disable();
	preempt_notifier_register(&h->pn);
	preempt_enable();
}

void os_sched_hook_disarm(void *hook)
{
	struct os_sched_hook *h = hook;

	preempt_disable();
	preempt_notifier_unregister(&h->pn);
	preempt_enable();
}

int os_copy_from_user(void *dst, u64 uva, u32 size)
{
	return copy_from_user(dst, (const void __user *)(uintptr_t)uva, size) ? -EFAULT : 0;
}

int os_copy_to_user(u64 uva, const void *src, u32 size)
{
	return copy_to_user((void __user *)(uintptr_t)uva, src, size) ? -EFAULT : 0;
}
