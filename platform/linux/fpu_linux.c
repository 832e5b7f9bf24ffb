// SPDX-License-Identifier: GPL-2.0
/*
 * Guest extended state on Linux: the kernel's guest fpstate API (the one
 * KVM uses). While a RUN is in progress the vCPU's fpstate is the thread's
 * current fpstate, so the kernel itself saves it when the thread is switched
 * out or the FPU is used in the kernel (it sets TIF_NEED_FPU_LOAD), and
 * os_fpu_reload() loads it again before the next VM entry.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/msr.h>

#include "os.h"
#include "stats.h"
#include "haxm.h"

#if !IS_ENABLED(CONFIG_KVM)
#error "haxm needs the kernel's guest FPU API, built with CONFIG_KVM"
#endif

/* Exported by arch/x86/kernel/fpu/init.c; no public header declares it. */
extern unsigned int mxcsr_feature_mask;

struct os_fpu {
	struct fpu_guest guest;
};

int os_fpu_alloc(struct os_fpu **out)
{
	struct os_fpu *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	if (!fpu_alloc_guest_fpstate(&f->guest)) {
		kfree(f);
		return -ENOMEM;
	}
	hax_count(&hax_counters.allocations, 1);
	*out = f;
	return 0;
}

void os_fpu_free(struct os_fpu *f)
{
	if (!f)
		return;
	fpu_free_guest_fpstate(&f->guest);
	kfree(f);
	hax_count(&hax_counters.allocations, -1);
}

void os_fpu_enter(struct os_fpu *f)
{
	fpu_swap_kvm_fpstate(&f->guest, true);
}

void os_fpu_leave(struct os_fpu *f)
{
	fpu_swap_kvm_fpstate(&f->guest, false);
}

void os_fpu_reload(void)
{
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

/* As KVM's kvm_fpu_get()/kvm_fpu_put(). */
void os_fpu_regs_get(void)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

void os_fpu_regs_put(void)
{
	fpregs_unlock();
}

/*
 * The buffer in the user ABI's XSAVE layout (standard format, components
 * in their init state where XSTATE_BV says so), as KVM_GET_XSAVE has it.
 */
static void *fpu_uabi_get(struct os_fpu *f)
{
	void *buf = kvzalloc(f->guest.uabi_size, GFP_KERNEL);

	if (buf)
		fpu_copy_guest_fpstate_to_uabi(&f->guest, buf, f->guest.uabi_size,
					       f->guest.xfeatures, 0);
	return buf;
}

int os_fpu_get_fx(struct os_fpu *f, void *fx)
{
	struct fx_layout *out = fx;
	void *buf = fpu_uabi_get(f);

	if (!buf)
		return -ENOMEM;
	memcpy(out, buf, sizeof(*out));
	kvfree(buf);
	/* What FXSAVE stores there on this CPU; the rest is not state. */
	out->mxcsr_mask = mxcsr_feature_mask;
	memset(out->pad, 0, sizeof(out->pad));
	return 0;
}

int os_fpu_set_fx(struct os_fpu *f, const void *fx)
{
	const struct fx_layout *in = fx;
	struct xregs_state *xs;
	u32 pkru = 0;
	int r;

	if (in->mxcsr & ~mxcsr_feature_mask)
		return -EINVAL;
	xs = fpu_uabi_get(f);
	if (!xs)
		return -ENOMEM;
	/*
	 * x87 and SSE from @fx; everything else (MXCSR_MASK, AVX...) kept.
	 * Both are the FXSAVE layout; each array is copied into its own
	 * field (XMM0-7 then XMM8-15), which is what FORTIFY_SOURCE checks.
	 */
	BUILD_BUG_ON(offsetof(struct fxregs_state, mxcsr_mask) !=
		     offsetof(struct fx_layout, mxcsr_mask));
	BUILD_BUG_ON(sizeof(xs->i387.st_space) != sizeof(in->st_mm));
	BUILD_BUG_ON(sizeof(xs->i387.xmm_space) != sizeof(in->mmx_1) + sizeof(in->mmx_2));
	memcpy(&xs->i387, in, offsetof(struct fx_layout, mxcsr_mask));
	memcpy(xs->i387.st_space, in->st_mm, sizeof(in->st_mm));
	memcpy(xs->i387.xmm_space, in->mmx_1, sizeof(in->mmx_1));
	memcpy(&xs->i387.xmm_space[sizeof(in->mmx_1) / sizeof(u32)], in->mmx_2, sizeof(in->mmx_2));
	xs->header.xfeatures |= XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	r = fpu_copy_uabi_to_guest_fpstate(&f->guest, xs, f->guest.xfeatures, &pkru);
	kvfree(xs);
	return r;
}

int os_fpu_get_xsave(struct os_fpu *f, void *buf, u32 len)
{
	if (f->guest.uabi_size > len)
		return -E2BIG;
	memset(buf, 0, len);
	fpu_copy_guest_fpstate_to_uabi(&f->guest, buf, f->guest.uabi_size, f->guest.xfeatures, 0);
	return 0;
}

int os_fpu_set_xsave(struct os_fpu *f, const void *buf, u32 len)
{
	u32 pkru = 0;

	if (f->guest.uabi_size > len)
		return -E2BIG;
	return fpu_copy_uabi_to_guest_fpstate(&f->guest, buf, f->guest.xfeatures, &pkru);
}

void os_fpu_limits(struct os_fpu *f, u64 *xfeatures, u32 *mxcsr_mask)
{
	*xfeatures = f->guest.xfeatures;
	*mxcsr_mask = mxcsr_feature_mask;
}

void os_debug_restore_host(void)
{
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}
