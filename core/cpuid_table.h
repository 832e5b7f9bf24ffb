/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPUID values guests see: a table derived from the host's CPUID with
 * everything haxm does not virtualize filtered out (docs/design.md, "CPUID"),
 * narrowed further by SET_CPUID, and the per-vCPU fields filled in at each
 * CPUID exit. Pure logic: the host's CPUID comes in through a function.
 */
#ifndef HAXM_CORE_CPUID_TABLE_H
#define HAXM_CORE_CPUID_TABLE_H

#include "os.h"
#include "../include/uapi/haxm.h"

/* hax_cpuid_entry.flags: the leaf has subleaves, index is significant. */
#define HAX_CPUID_FLAG_INDEX 1u

/* CPUID.1:EDX.APIC: cleared while the vCPU's IA32_APIC_BASE.EN is clear */
#define CPUID_1_EDX_APIC (1u << 9)

/* The hypervisor leaves: 0x40000000 gives the signature and the last leaf. */
#define CPUID_HV_BASE	   0x40000000u
#define CPUID_HV_SIGNATURE 0x4d584148u /* "HAXM", three times */

struct cpuid_table {
	u32 nent;
	/* EAX of leaves 0, 0x40000000, 0x80000000 (0 if absent): CPUID exits read them */
	u32 max_basic, max_hv, max_ext;
	struct hax_cpuid_entry e[HAX_MAX_CPUID_ENTRIES];
};

/* What the VMX controls and the host kernel let guests have. */
struct cpuid_host_caps {
	bool rdtscp;  /* "enable RDTSCP" is on: RDTSCP, RDPID, TSC_AUX */
	bool invpcid; /* "enable INVPCID" is on */
	bool pcid;    /* CR4.PCIDE may be set in VMX operation */
	bool xsave;   /* XSETBV is virtualized: XSAVE, OSXSAVE and AVX et al. */
	bool umip;    /* guests may set CR4.UMIP (the CPU's, or emulated by haxm) */
	u64 xcr0;     /* the host kernel's XCR0 */
};

/* Reads the host's CPUID leaf @leaf, subleaf @sub into @r (EAX EBX ECX EDX). */
typedef void (*cpuid_host_fn)(u32 leaf, u32 sub, u32 r[4]);

/* cpuid_host() - the CPUID instruction. */
void cpuid_host(u32 leaf, u32 sub, u32 r[4]);

/*
 * cpuid_xcr0_mask() - the XCR0 bits a guest may enable: x87, SSE, AVX and
 * AVX-512 where the host kernel enabled them (@host_xcr0); never MPX, PKRU
 * or AMX. XSETBV's handler must refuse other bits.
 */
u64 cpuid_xcr0_mask(u64 host_xcr0);

/*
 * cpuid_table_build() - the default guest table from the host's CPUID
 * (@host) and what haxm can virtualize (@caps). Never fails: leaves beyond
 * the table's room are dropped, the last subleaves first.
 */
void cpuid_table_build(struct cpuid_table *t, cpuid_host_fn host,
		       const struct cpuid_host_caps *caps);

/*
 * cpuid_table_set() - SET_CPUID: replace the values of the entries of @t
 * named by @in[0..@n) (function and, for leaves with subleaves, index).
 * Feature bits may only be cleared relative to @def, the default table; the
 * largest basic and extended leaf may only shrink; leaf 0xD (XSAVE layout)
 * may only lose components. All or nothing.
 * Errors: -E2BIG (@n above HAX_MAX_CPUID_ENTRIES), -EINVAL (@n is 0, an
 * entry's flags or pad are not 0 or HAX_CPUID_FLAG_INDEX, a leaf the table
 * lacks, a feature bit @def lacks, a changed leaf 0xD size).
 */
int cpuid_table_set(struct cpuid_table *t, const struct cpuid_table *def,
		    const struct hax_cpuid_entry *in, u32 n);

/*
 * cpuid_xsave_size() - the size of an XSAVE area holding the components of
 * @xcr0, in the standard or (@compacted) the compacted format, from the
 * component sizes, offsets and alignments in @t's leaf 0xD. Never fails.
 */
u32 cpuid_xsave_size(const struct cpuid_table *t, u64 xcr0, bool compacted);

/*
 * cpuid_lookup() - what CPUID leaf @leaf subleaf @sub returns to vCPU
 * @vcpu_id, whose CR4.OSXSAVE is @osxsave and XCR0 @xcr0, into @r. Leaves
 * above the largest basic or extended leaf answer as the largest basic leaf
 * does (Intel SDM, CPUID); leaves in range but absent from the table are
 * zeros. Leaf 0xD subleaves 0 and 1 report in EBX the XSAVE area size for
 * @xcr0, as the CPU does for the XCR0 in force.
 */
void cpuid_lookup(const struct cpuid_table *t, u32 leaf, u32 sub, u32 vcpu_id, bool osxsave,
		  u64 xcr0, u32 r[4]);

#endif /* HAXM_CORE_CPUID_TABLE_H */
