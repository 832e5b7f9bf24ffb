/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX architecture constants (SDM Vol. 3, chapters 24-28 and Appendix A) and
 * the VMX instructions as typed inline functions.
 */
#ifndef HAXM_CORE_VMX_VMX_H
#define HAXM_CORE_VMX_VMX_H

#include "../os.h"
#include "vmcs_fields.h"

/* Capability MSRs (SDM Appendix A) */
#define HAX_MSR_FEATURE_CONTROL		0x3a
#define FEATURE_CONTROL_LOCKED		(1ULL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)
#define HAX_MSR_SYSENTER_CS		0x174
#define HAX_MSR_SYSENTER_ESP		0x175
#define HAX_MSR_SYSENTER_EIP		0x176
#define HAX_MSR_PAT			0x277
#define HAX_MSR_EFER			0xc0000080
#define HAX_MSR_VMX_BASIC		0x480
#define HAX_MSR_VMX_PINBASED_CTLS	0x481
#define HAX_MSR_VMX_PROCBASED_CTLS	0x482
#define HAX_MSR_VMX_EXIT_CTLS		0x483
#define HAX_MSR_VMX_ENTRY_CTLS		0x484
#define HAX_MSR_VMX_MISC		0x485
#define HAX_MSR_VMX_CR0_FIXED0		0x486
#define HAX_MSR_VMX_CR0_FIXED1		0x487
#define HAX_MSR_VMX_CR4_FIXED0		0x488
#define HAX_MSR_VMX_CR4_FIXED1		0x489
#define HAX_MSR_VMX_PROCBASED_CTLS2	0x48b
#define HAX_MSR_VMX_EPT_VPID_CAP	0x48c
#define HAX_MSR_VMX_TRUE_PINBASED_CTLS	0x48d
#define HAX_MSR_VMX_TRUE_PROCBASED_CTLS 0x48e
#define HAX_MSR_VMX_TRUE_EXIT_CTLS	0x48f
#define HAX_MSR_VMX_TRUE_ENTRY_CTLS	0x490

#define VMX_BASIC_REVISION(b)	 ((u32)(b)&0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_PA	 (1ULL << 48)
#define VMX_BASIC_MEMTYPE(b)	 (((b) >> 50) & 0xf)
#define VMX_BASIC_TRUE_CTLS	 (1ULL << 55)
#define VMX_MISC_PREEMPT_RATE(m) ((m)&0x1f)
#define VMX_MISC_SAVES_LMA	 (1ULL << 5)
#define VMX_MISC_ACTIVITY_HLT	 (1ULL << 6)

#define VMX_EPT_EXEC_ONLY	(1ULL << 0)
#define VMX_EPT_WALK_4		(1ULL << 6)
#define VMX_EPT_WB		(1ULL << 14)
#define VMX_EPT_2M_PAGE		(1ULL << 16)
#define VMX_EPT_INVEPT		(1ULL << 20)
#define VMX_EPT_INVEPT_SINGLE	(1ULL << 25)
#define VMX_EPT_INVEPT_ALL	(1ULL << 26)
#define VMX_VPID_INVVPID	(1ULL << 32)
#define VMX_VPID_INVVPID_SINGLE (1ULL << 41)

/* Pin-based controls (SDM 24.6.1) */
#define PIN_EXT_INTR_EXITING (1u << 0)
#define PIN_NMI_EXITING	     (1u << 3)
#define PIN_VIRTUAL_NMIS     (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)

/* Primary processor-based controls (SDM 24.6.2) */
#define CPU_INTR_WINDOW_EXITING (1u << 2)
#define CPU_USE_TSC_OFFSETTING	(1u << 3)
#define CPU_HLT_EXITING		(1u << 7)
#define CPU_INVLPG_EXITING	(1u << 9)
#define CPU_MWAIT_EXITING	(1u << 10)
#define CPU_RDPMC_EXITING	(1u << 11)
#define CPU_RDTSC_EXITING	(1u << 12)
#define CPU_CR3_LOAD_EXITING	(1u << 15)
#define CPU_CR3_STORE_EXITING	(1u << 16)
#define CPU_CR8_LOAD_EXITING	(1u << 19)
#define CPU_CR8_STORE_EXITING	(1u << 20)
#define CPU_TPR_SHADOW		(1u << 21)
#define CPU_NMI_WINDOW_EXITING	(1u << 22)
#define CPU_MOV_DR_EXITING	(1u << 23)
#define CPU_UNCOND_IO_EXITING	(1u << 24)
#define CPU_USE_IO_BITMAPS	(1u << 25)
#define CPU_MONITOR_TRAP_FLAG	(1u << 27)
#define CPU_USE_MSR_BITMAPS	(1u << 28)
#define CPU_MONITOR_EXITING	(1u << 29)
#define CPU_PAUSE_EXITING	(1u << 30)
#define CPU_SECONDARY_CONTROLS	(1u << 31)

/* Secondary processor-based controls */
#define CPU2_VIRT_APIC_ACCESS	(1u << 0)
#define CPU2_ENABLE_EPT		(1u << 1)
#define CPU2_DESC_TABLE_EXITING (1u << 2)
#define CPU2_ENABLE_RDTSCP	(1u << 3)
#define CPU2_VIRT_X2APIC	(1u << 4)
#define CPU2_ENABLE_VPID	(1u << 5)
#define CPU2_WBINVD_EXITING	(1u << 6)
#define CPU2_UNRESTRICTED_GUEST (1u << 7)
#define CPU2_APIC_REG_VIRT	(1u << 8)
#define CPU2_VIRT_INTR_DELIVERY (1u << 9)
#define CPU2_PAUSE_LOOP_EXITING (1u << 10)
#define CPU2_ENABLE_INVPCID	(1u << 12)
#define CPU2_ENABLE_XSAVES	(1u << 20)

/* VM-exit controls (SDM 24.7.1) */
#define EXIT_SAVE_DEBUG_CONTROLS  (1u << 2)
#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_ACK_INTR_ON_EXIT	  (1u << 15)
#define EXIT_SAVE_PAT		  (1u << 18)
#define EXIT_LOAD_PAT		  (1u << 19)
#define EXIT_SAVE_EFER		  (1u << 20)
#define EXIT_LOAD_EFER		  (1u << 21)

/* VM-entry controls (SDM 24.8.1) */
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE	  (1u << 9)
#define ENTRY_LOAD_PAT		  (1u << 14)
#define ENTRY_LOAD_EFER		  (1u << 15)

/* Basic exit reasons (SDM Appendix C) */
enum vmx_exit_reason {
	EXIT_REASON_EXCEPTION_NMI = 0,
	EXIT_REASON_EXTERNAL_INTERRUPT = 1,
	EXIT_REASON_TRIPLE_FAULT = 2,
	EXIT_REASON_INIT = 3,
	EXIT_REASON_SIPI = 4,
	EXIT_REASON_INTERRUPT_WINDOW = 7,
	EXIT_REASON_NMI_WINDOW = 8,
	EXIT_REASON_TASK_SWITCH = 9,
	EXIT_REASON_CPUID = 10,
	EXIT_REASON_GETSEC = 11,
	EXIT_REASON_HLT = 12,
	EXIT_REASON_INVD = 13,
	EXIT_REASON_INVLPG = 14,
	EXIT_REASON_RDPMC = 15,
	EXIT_REASON_RDTSC = 16,
	EXIT_REASON_VMCALL = 18,
	EXIT_REASON_VMCLEAR = 19,
	EXIT_REASON_VMLAUNCH = 20,
	EXIT_REASON_VMPTRLD = 21,
	EXIT_REASON_VMPTRST = 22,
	EXIT_REASON_VMREAD = 23,
	EXIT_REASON_VMRESUME = 24,
	EXIT_REASON_VMWRITE = 25,
	EXIT_REASON_VMXOFF = 26,
	EXIT_REASON_VMXON = 27,
	EXIT_REASON_CR_ACCESS = 28,
	EXIT_REASON_DR_ACCESS = 29,
	EXIT_REASON_IO = 30,
	EXIT_REASON_RDMSR = 31,
	EXIT_REASON_WRMSR = 32,
	EXIT_REASON_INVALID_STATE = 33,
	EXIT_REASON_MSR_LOADING = 34,
	EXIT_REASON_MWAIT = 36,
	EXIT_REASON_MTF = 37,
	EXIT_REASON_MONITOR = 39,
	EXIT_REASON_PAUSE = 40,
	EXIT_REASON_MCE_DURING_ENTRY = 41,
	EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
	EXIT_REASON_APIC_ACCESS = 44,
	EXIT_REASON_EOI_INDUCED = 45,
	EXIT_REASON_GDTR_IDTR = 46,
	EXIT_REASON_LDTR_TR = 47,
	EXIT_REASON_EPT_VIOLATION = 48,
	EXIT_REASON_EPT_MISCONFIG = 49,
	EXIT_REASON_INVEPT = 50,
	EXIT_REASON_RDTSCP = 51,
	EXIT_REASON_PREEMPTION_TIMER = 52,
	EXIT_REASON_INVVPID = 53,
	EXIT_REASON_WBINVD = 54,
	EXIT_REASON_XSETBV = 55,
	EXIT_REASON_APIC_WRITE = 56,
	EXIT_REASON_RDRAND = 57,
	EXIT_REASON_INVPCID = 58,
	EXIT_REASON_VMFUNC = 59,
	EXIT_REASON_RDSEED = 61,
	EXIT_REASON_XSAVES = 63,
	EXIT_REASON_XRSTORS = 64,
	EXIT_REASON_MAX = 65,
};
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* Interruption information (SDM 24.8.3, 24.9.2) */
#define INTR_INFO_VECTOR_MASK	    0xffu
#define INTR_INFO_TYPE_SHIFT	    8
#define INTR_INFO_TYPE_MASK	    (7u << 8)
#define INTR_TYPE_EXT_INTR	    (0u << 8)
#define INTR_TYPE_NMI		    (2u << 8)
#define INTR_TYPE_HW_EXCEPTION	    (3u << 8)
#define INTR_TYPE_SW_INTR	    (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SW_EXCEPTION	    (6u << 8)
#define INTR_INFO_DELIVER_CODE	    (1u << 11)
#define INTR_INFO_VALID		    (1u << 31)

/* Exit qualification of I/O instructions (SDM Table 27-5) */
#define IO_QUAL_SIZE(q) (((q)&7) + 1)
#define IO_QUAL_IN	(1u << 3)
#define IO_QUAL_STRING	(1u << 4)
#define IO_QUAL_REP	(1u << 5)
#define IO_QUAL_PORT(q) (((q) >> 16) & 0xffff)

/* Exit qualification of EPT violations (SDM Table 27-7) */
#define EPT_QUAL_READ  (1u << 0)
#define EPT_QUAL_WRITE (1u << 1)
#define EPT_QUAL_FETCH (1u << 2)

/* Guest interruptibility and activity state (SDM 24.4.2) */
#define GUEST_INTR_STI	      (1u << 0)
#define GUEST_INTR_MOVSS      (1u << 1)
#define GUEST_INTR_SMI	      (1u << 2)
#define GUEST_INTR_NMI	      (1u << 3)
#define GUEST_ACTIVITY_ACTIVE 0
#define GUEST_ACTIVITY_HLT    1

/* Segment access rights as in the VMCS (SDM Table 24-2) */
#define VMX_AR_TYPE_MASK  0xfu
#define VMX_AR_S	  (1u << 4)
#define VMX_AR_DPL_MASK	  (3u << 5)
#define VMX_AR_P	  (1u << 7)
#define VMX_AR_L	  (1u << 13)
#define VMX_AR_DB	  (1u << 14)
#define VMX_AR_G	  (1u << 15)
#define VMX_AR_UNUSABLE	  (1u << 16)
#define VMX_AR_VALID_MASK 0x1f0ffu

/* Control registers and flags */
#define HAX_CR0_PE	(1ULL << 0)
#define HAX_CR0_MP	(1ULL << 1)
#define HAX_CR0_ET	(1ULL << 4)
#define HAX_CR0_NE	(1ULL << 5)
#define HAX_CR0_WP	(1ULL << 16)
#define HAX_CR0_NW	(1ULL << 29)
#define HAX_CR0_CD	(1ULL << 30)
#define HAX_CR0_PG	(1ULL << 31)
#define HAX_CR4_PAE	(1ULL << 5)
#define HAX_CR4_UMIP	(1ULL << 11)
#define HAX_CR4_VMXE	(1ULL << 13)
#define HAX_CR4_DE	(1ULL << 3)
#define HAX_CR4_OSXSAVE (1ULL << 18)
#define HAX_CR4_PKE	(1ULL << 22)
#define HAX_CR4_CET	(1ULL << 23)
#define HAX_CR4_PKS	(1ULL << 24)

/* XCR0 state components (SDM 13.1) */
#define XCR0_X87	    (1ULL << 0)
#define XCR0_SSE	    (1ULL << 1)
#define XCR0_AVX	    (1ULL << 2)
#define XCR0_AVX512	    (7ULL << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_GUEST_FEATURES (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512)

/* Debug registers (SDM 18.2) */
#define DR6_RESET	 0xffff0ff0ULL
#define DR6_BD		 (1ULL << 13)
#define DR6_BS		 (1ULL << 14)
#define DR6_TRAP_BITS	 0xfULL /* B0-B3 */
#define DR7_GD		 (1ULL << 13)
#define DR7_ENABLES	 0xffULL
#define HAX_MSR_DEBUGCTL 0x1d9
#define DEBUGCTL_LBR	 (1ULL << 0)
#define DEBUGCTL_BTF	 (1ULL << 1)
#define HAX_EFER_LME	 (1ULL << 8)
#define HAX_EFER_LMA	 (1ULL << 10)
#define HAX_EFER_NXE	 (1ULL << 11)
#define HAX_RFLAGS_FIXED (1ULL << 1)
#define HAX_RFLAGS_TF	 (1ULL << 8)
#define HAX_RFLAGS_IF	 (1ULL << 9)
#define HAX_RFLAGS_RF	 (1ULL << 16)
#define HAX_RFLAGS_VM	 (1ULL << 17)

/* x86 exception vectors */
#define HAX_VEC_DE  0
#define HAX_VEC_DB  1
#define HAX_VEC_NMI 2
#define HAX_VEC_BP  3
#define HAX_VEC_OF  4
#define HAX_VEC_UD  6
#define HAX_VEC_DF  8
#define HAX_VEC_GP  13
#define HAX_VEC_PF  14
#define HAX_VEC_AC  17
#define HAX_VEC_MC  18

/*
 * Always intercepted: a #DB or #AC raised while the CPU delivers one (a data
 * breakpoint on the IVT/IDT or the stack, a misaligned stack with AC) loops
 * inside the CPU without an instruction boundary where an interrupt or the
 * preemption timer could exit: the host CPU hangs (CVE-2015-8104,
 * CVE-2015-5307). Intercepted, every round is an exit and is reinjected.
 * A machine check in the guest is the host's (its exit hands it to the
 * host's handler, os_machine_check()), never the guest's to see.
 */
#define VMX_EXCEPTION_BITMAP_BASE ((1u << HAX_VEC_DB) | (1u << HAX_VEC_AC) | (1u << HAX_VEC_MC))

/* INVEPT/INVVPID types (SDM 30.3) */
#define INVEPT_SINGLE_CONTEXT  1
#define INVEPT_ALL_CONTEXT     2
#define INVVPID_SINGLE_CONTEXT 1

/* ---- instructions ------------------------------------------------------ */

/* hax_rdtsc() - the host's TSC (the guest's is it plus TSC_OFFSET). */
static inline u64 hax_rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* hax_pause() - PAUSE: a spin-wait loop's hint to the CPU. */
static inline void hax_pause(void)
{
	asm volatile("pause");
}

static inline u64 vmx_rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

/* hax_read_<reg>()/hax_write_<reg>(): MOV from/to a control or debug register. */
#define HAX_REG_READ(reg)                                     \
	static inline u64 hax_read_##reg(void)                \
	{                                                     \
		u64 v;                                        \
		asm volatile("mov %%" #reg ", %0" : "=r"(v)); \
		return v;                                     \
	}
#define HAX_REG_WRITE(reg)                                \
	static inline void hax_write_##reg(u64 v)         \
	{                                                 \
		asm volatile("mov %0, %%" #reg ::"r"(v)); \
	}
HAX_REG_READ(cr0)
HAX_REG_READ(cr2)
HAX_REG_READ(cr3)
HAX_REG_READ(cr4)
HAX_REG_READ(dr6)
HAX_REG_WRITE(cr2)
HAX_REG_WRITE(dr0)
HAX_REG_WRITE(dr1)
HAX_REG_WRITE(dr2)
HAX_REG_WRITE(dr3)
HAX_REG_WRITE(dr6)

/*
 * Each returns true when the instruction failed (CF or ZF set: VMfailInvalid
 * or VMfailValid, SDM 30.2).
 */
static inline bool vmx_on(u64 pa)
{
	bool fail;

	asm volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return fail;
}

static inline void vmx_off(void)
{
	asm volatile("vmxoff" ::: "cc", "memory");
}

static inline bool vmx_vmclear(u64 pa)
{
	bool fail;

	asm volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return fail;
}

static inline bool vmx_vmptrld(u64 pa)
{
	bool fail;

	asm volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	return fail;
}

static inline bool vmx_invept(u64 type, u64 eptp)
{
	struct {
		u64 eptp, rsvd;
	} desc = { eptp, 0 };
	bool fail;

	asm volatile("invept %1, %2; setna %0"
		     : "=qm"(fail)
		     : "m"(desc), "r"(type)
		     : "cc", "memory");
	return fail;
}

static inline bool vmx_invvpid(u64 type, u16 vpid)
{
	struct {
		u64 vpid, gva;
	} desc = { vpid, 0 };
	bool fail;

	asm volatile("invvpid %1, %2; setna %0"
		     : "=qm"(fail)
		     : "m"(desc), "r"(type)
		     : "cc", "memory");
	return fail;
}

/* Records a failed VMREAD/VMWRITE on this CPU; vmx_take_error() collects it. */
void vmx_field_error(u32 field, bool write);

/*
 * Always inlined: a VMCS access is one VMREAD or VMWRITE and a test of
 * RFLAGS (SDM 30.2, VMfail); an out-of-line copy (a kernel built with -Os
 * makes one in each object) doubles that with the call, the return and the
 * return thunk, on every exit.
 */
#define VMX_ACCESSOR static inline __attribute__((__always_inline__))

VMX_ACCESSOR u64 __vmx_read(u32 field)
{
	u64 val;
	bool fail;

	asm volatile("vmread %2, %1; setna %0" : "=qm"(fail), "=rm"(val) : "r"((u64)field) : "cc");
	if (__builtin_expect(fail, 0)) {
		vmx_field_error(field, false);
		return 0;
	}
	return val;
}

VMX_ACCESSOR void __vmx_write(u32 field, u64 val)
{
	bool fail;

	asm volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"((u64)field), "rm"(val) : "cc");
	if (__builtin_expect(fail, 0))
		vmx_field_error(field, true);
}

/* Typed accessors: a field of the wrong width does not compile. */
#define VMCS_CHECK(field, w) _Static_assert(VMCS_WIDTH(field) == (w), "VMCS field width mismatch")
#define vmcs_read16(f)                   \
	({                               \
		VMCS_CHECK(f, VMCS_W16); \
		(u16) __vmx_read(f);     \
	})
#define vmcs_read32(f)                   \
	({                               \
		VMCS_CHECK(f, VMCS_W32); \
		(u32) __vmx_read(f);     \
	})
#define vmcs_read64(f)                   \
	({                               \
		VMCS_CHECK(f, VMCS_W64); \
		__vmx_read(f);           \
	})
#define vmcs_readl(f)                     \
	({                                \
		VMCS_CHECK(f, VMCS_WNAT); \
		__vmx_read(f);            \
	})
#define vmcs_write16(f, v)                \
	({                                \
		VMCS_CHECK(f, VMCS_W16);  \
		__vmx_write(f, (u16)(v)); \
	})
#define vmcs_write32(f, v)                \
	({                                \
		VMCS_CHECK(f, VMCS_W32);  \
		__vmx_write(f, (u32)(v)); \
	})
#define vmcs_write64(f, v)                \
	({                                \
		VMCS_CHECK(f, VMCS_W64);  \
		__vmx_write(f, (u64)(v)); \
	})
#define vmcs_writel(f, v)                 \
	({                                \
		VMCS_CHECK(f, VMCS_WNAT); \
		__vmx_write(f, (u64)(v)); \
	})

#endif /* HAXM_CORE_VMX_VMX_H */
