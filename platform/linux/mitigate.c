// SPDX-License-Identifier: GPL-2.0
/*
 * The host's defences around guest execution. A guest is untrusted code on
 * the host's cores, sharing their buffers, caches and predictors; what the
 * host kernel does for its own user space and for KVM guests, haxm does for
 * its guests, from the same state:
 *
 *   verw       CPU buffers cleared before entry (MDS, TAA, MMIO stale data,
 *              RFDS): the kernel's X86_FEATURE_CLEAR_CPU_BUF(_VM)
 *   rsb        RSB stuffed after exit (Spectre v2, Retbleed):
 *              X86_FEATURE_RSB_VMEXIT; rsb_lite, one CALL retired before the
 *              first RET (PBRSB on eIBRS parts): X86_FEATURE_RSB_VMEXIT_LITE
 *   spec_ctrl  IA32_SPEC_CTRL written with the host's value after exit:
 *              legacy IBRS (X86_FEATURE_KERNEL_IBRS) needs the write after a
 *              less privileged predictor mode ran
 *   bhb        branch history cleared after exit (BHI):
 *              X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT
 *   ibpb       IBPB when another vCPU's VMCS becomes current on a CPU
 *              (Spectre v2 between guests): X86_FEATURE_USE_IBPB
 *   l1d        L1D flushed before entry (L1TF): X86_BUG_L1TF unless the CPU
 *              says the flush is not needed (ARCH_CAPABILITIES bit 3), in
 *              the kernel's l1tf= mode; vmentry_l1d_flush= overrides
 *   ibpb_user  IBPB before the vCPU thread returns to user space (VMSCAPE):
 *              X86_FEATURE_IBPB_EXIT_TO_USER
 *
 * Each is chosen at load and logged with its reason; force_mitigations=1
 * turns on every one the CPU can execute (the testbed's emulated CPU reports
 * no vulnerability, so that is how the suite runs them).
 * /sys/module/haxm/parameters/mitigations shows the choice (haxm check reads
 * it), /sys/kernel/debug/haxm/mitigations what was done.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/hardirq.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor.h>
#ifdef CONFIG_X86_MCE
#include <asm/mce.h>
#endif

#include "mitigate.h"
#include "os.h"

u32 haxm_mit_on __read_mostly;

static bool force_mitigations;
module_param(force_mitigations, bool, 0444);
MODULE_PARM_DESC(force_mitigations,
		 "Every entry/exit mitigation on, whatever the host kernel chose (default off)");

static char *vmentry_l1d_flush = "auto";
module_param(vmentry_l1d_flush, charp, 0444);
MODULE_PARM_DESC(vmentry_l1d_flush, "L1D flush before VM entry: auto, never, cond, always");

static const char *const mit_names[HAXM_MIT_COUNT] = {
	"verw", "rsb", "rsb_lite", "spec_ctrl", "bhb", "ibpb", "l1d", "ibpb_user",
};
static const char *mit_why[HAXM_MIT_COUNT];
static bool l1d_cond;	      /* flush only when host code may have run */
static void *l1d_flush_pages; /* the software flush's buffer */
#define L1D_FLUSH_ORDER 4     /* 64 KiB: twice the largest L1D */

/* What was done, per CPU, for debugfs and the tests. */
struct mit_done {
	u64 entries; /* the per-entry ones (HAXM_MIT_PER_ENTRY) ran at each */
	u64 n[HAXM_MIT_COUNT];
};
static DEFINE_PER_CPU(struct mit_done, mit_done);

static void mit_count(u32 bit, u64 n)
{
	this_cpu_add(mit_done.n[ilog2(bit)], n);
}

static void mit_choose(int bit, bool host, const char *host_why, bool can, const char *cannot)
{
	int i = ilog2(bit);

	if (host) {
		haxm_mit_on |= bit;
		mit_why[i] = host_why;
	} else if (force_mitigations && can) {
		haxm_mit_on |= bit;
		mit_why[i] = "forced (force_mitigations=1)";
	} else if (force_mitigations) {
		mit_why[i] = cannot;
	} else {
		mit_why[i] = "not needed (host kernel: off)";
	}
}

static bool host_has(int feature)
{
	return boot_cpu_has(feature);
}

static int l1d_choose(void)
{
	bool affected = boot_cpu_has_bug(X86_BUG_L1TF);
	u64 cap = 0;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &cap);
	if (cap & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH)
		affected = false;
	l1d_cond = true;
#if IS_ENABLED(CONFIG_KVM_INTEL)
	/* The kernel's l1tf= choice, as kvm_intel's "auto" follows it. */
	if (l1tf_mitigation == L1TF_MITIGATION_OFF)
		affected = false;
	if (l1tf_mitigation == L1TF_MITIGATION_FULL ||
	    l1tf_mitigation == L1TF_MITIGATION_FULL_FORCE)
		l1d_cond = false;
#endif
	if (sysfs_streq(vmentry_l1d_flush, "auto")) {
		mit_choose(HAXM_MIT_L1D, affected, "on (X86_BUG_L1TF)", true, NULL);
		return 0;
	}
	if (sysfs_streq(vmentry_l1d_flush, "never")) {
		mit_why[ilog2(HAXM_MIT_L1D)] = "off (vmentry_l1d_flush=never)";
		return 0;
	}
	if (sysfs_streq(vmentry_l1d_flush, "cond") || sysfs_streq(vmentry_l1d_flush, "always")) {
		haxm_mit_on |= HAXM_MIT_L1D;
		l1d_cond = sysfs_streq(vmentry_l1d_flush, "cond");
		mit_why[ilog2(HAXM_MIT_L1D)] = "on (vmentry_l1d_flush)";
		return 0;
	}
	pr_err("haxm: vmentry_l1d_flush=%s: want auto, never, cond or always\n", vmentry_l1d_flush);
	return -EINVAL;
}

int haxm_mitigations_init(void)
{
	bool ibpb = host_has(X86_FEATURE_IBPB), spec_ctrl = host_has(X86_FEATURE_MSR_SPEC_CTRL);
	bool ibpb_user = false;
	int i, r;

	haxm_mit_on = 0;
	mit_choose(HAXM_MIT_VERW,
		   host_has(X86_FEATURE_CLEAR_CPU_BUF) || host_has(X86_FEATURE_CLEAR_CPU_BUF_VM),
		   "on (X86_FEATURE_CLEAR_CPU_BUF)", true, NULL);
	mit_choose(HAXM_MIT_RSB, host_has(X86_FEATURE_RSB_VMEXIT), "on (X86_FEATURE_RSB_VMEXIT)",
		   true, NULL);
	/* The full fill covers the lite one: forced, only the full one runs. */
	mit_choose(HAXM_MIT_RSB_LITE,
		   !(haxm_mit_on & HAXM_MIT_RSB) && host_has(X86_FEATURE_RSB_VMEXIT_LITE),
		   "on (X86_FEATURE_RSB_VMEXIT_LITE)", false, "covered by rsb");
	mit_choose(HAXM_MIT_SPEC_CTRL, spec_ctrl && host_has(X86_FEATURE_KERNEL_IBRS),
		   "on (X86_FEATURE_KERNEL_IBRS)", spec_ctrl, "unavailable (no IA32_SPEC_CTRL)");
	mit_choose(HAXM_MIT_BHB, host_has(X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT),
		   "on (X86_FEATURE_CLEAR_BHB_LOOP_ON_VMEXIT)", true, NULL);
	mit_choose(HAXM_MIT_IBPB, ibpb && host_has(X86_FEATURE_USE_IBPB),
		   "on (X86_FEATURE_USE_IBPB)", ibpb, "unavailable (no IBPB)");
#ifdef X86_FEATURE_IBPB_EXIT_TO_USER
	ibpb_user = host_has(X86_FEATURE_IBPB_EXIT_TO_USER);
#endif
	mit_choose(HAXM_MIT_IBPB_USER, ibpb_user, "on (X86_FEATURE_IBPB_EXIT_TO_USER)", ibpb,
		   "unavailable (no IBPB)");
	r = l1d_choose();
	if (r)
		return r;
	if ((haxm_mit_on & HAXM_MIT_L1D) && !host_has(X86_FEATURE_FLUSH_L1D)) {
		struct page *p = alloc_pages(GFP_KERNEL, L1D_FLUSH_ORDER);

		if (!p)
			return -ENOMEM;
		l1d_flush_pages = page_address(p);
		/* Distinct contents: no page of it may be shared or zero-mapped. */
		for (i = 0; i < (1 << L1D_FLUSH_ORDER); i++)
			memset(l1d_flush_pages + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	}
	for (i = 0; i < HAXM_MIT_COUNT; i++)
		pr_info("haxm: mitigation %s: %s\n", mit_names[i], mit_why[i]);
	if (haxm_mit_on & HAXM_MIT_L1D)
		pr_info("haxm: mitigation l1d: %s, %s\n", l1d_cond ? "cond" : "always",
			l1d_flush_pages ? "software flush (no IA32_FLUSH_CMD)" : "IA32_FLUSH_CMD");
	return 0;
}

void haxm_mitigations_exit(void)
{
	if (l1d_flush_pages)
		free_pages((unsigned long)l1d_flush_pages, L1D_FLUSH_ORDER);
	l1d_flush_pages = NULL;
}

static void ibpb(void)
{
	native_wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}

void os_vmx_vmcs_switch(void)
{
	if (!(haxm_mit_on & HAXM_MIT_IBPB))
		return;
	ibpb();
	mit_count(HAXM_MIT_IBPB, 1);
}

/* The flush without IA32_FLUSH_CMD (as the SDM's L1TF guidance describes). */
static void l1d_flush_sw(void)
{
	int size = PAGE_SIZE << L1D_FLUSH_ORDER;

	asm volatile(
		/* Touch each page first, so the fill below misses no TLB entry. */
		"xorl %%eax, %%eax\n"
		"1: movzbl (%[buf], %%rax), %%ecx\n\t"
		"addl $4096, %%eax\n\t"
		"cmpl %%eax, %[size]\n\t"
		"jne 1b\n\t"
		"xorl %%eax, %%eax\n\t"
		"cpuid\n\t"
		/* Then read every line: the L1D holds only this buffer. */
		"xorl %%eax, %%eax\n"
		"2: movzbl (%[buf], %%rax), %%ecx\n\t"
		"addl $64, %%eax\n\t"
		"cmpl %%eax, %[size]\n\t"
		"jne 2b\n\t"
		"lfence\n"
		:
		: [buf] "r"(l1d_flush_pages), [size] "r"(size)
		: "eax", "ebx", "ecx", "edx", "memory");
}

void os_vmx_before_entry(bool host_ran)
{
	if (!(haxm_mit_on & HAXM_MIT_L1D))
		return;
#if IS_ENABLED(CONFIG_KVM_INTEL)
	/* An interrupt or softirq ran on this CPU: the kernel's entry code
	 * sets this per-CPU flag for L1TF's cond mode (kvm_intel reads it too). */
	host_ran |= kvm_get_cpu_l1tf_flush_l1d();
	kvm_clear_cpu_l1tf_flush_l1d();
#endif
	if (l1d_cond && !host_ran)
		return;
	if (l1d_flush_pages)
		l1d_flush_sw();
	else
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	mit_count(HAXM_MIT_L1D, 1);
}

void os_vmx_run_done(void)
{
	if (!(haxm_mit_on & HAXM_MIT_IBPB_USER))
		return;
	mit_count(HAXM_MIT_IBPB_USER, 1);
#ifdef X86_FEATURE_IBPB_EXIT_TO_USER
	/* The kernel's own exit-to-user path issues it on this CPU. */
	if (host_has(X86_FEATURE_IBPB_EXIT_TO_USER)) {
		this_cpu_write(x86_ibpb_exit_to_user, true);
		return;
	}
#endif
	ibpb();
}

void os_vmx_entered(u32 n)
{
	this_cpu_add(mit_done.entries, n);
}

void os_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	/* As if it had interrupted user space: the guest is not the kernel. */
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
#endif
}

/* /sys/module/haxm/parameters/mitigations: "name on|off reason" lines. */
static int mitigations_get(char *buf, const struct kernel_param *kp)
{
	int i, n = 0;

	for (i = 0; i < HAXM_MIT_COUNT; i++)
		n += sysfs_emit_at(buf, n, "%s %s %s\n", mit_names[i],
				   haxm_mit_on & (1u << i) ? "on" : "off",
				   mit_why[i] ? mit_why[i] : "?");
	return n;
}

static const struct kernel_param_ops mitigations_ops = { .get = mitigations_get };
module_param_cb(mitigations, &mitigations_ops, NULL, 0444);
MODULE_PARM_DESC(mitigations, "The entry/exit mitigations in force and why (read-only)");

/* debugfs haxm/mitigations: how often each was carried out. */
int haxm_mitigations_show(struct seq_file *m, void *unused)
{
	int i, cpu;
	u64 n;

	for (i = 0; i < HAXM_MIT_COUNT; i++) {
		n = 0;
		for_each_possible_cpu(cpu) n += (HAXM_MIT_PER_ENTRY & (1u << i))
							? per_cpu(mit_done, cpu).entries
							: per_cpu(mit_done, cpu).n[i];
		if (!(haxm_mit_on & (1u << i)))
			n = 0; /* entries counts all; off ones ran at none */
		seq_printf(m, "%s %s %llu\n", mit_names[i], haxm_mit_on & (1u << i) ? "on" : "off",
			   (unsigned long long)n);
	}
	return 0;
}
