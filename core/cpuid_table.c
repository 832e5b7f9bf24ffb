// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's CPUID table (docs/design.md, "CPUID"): the host's leaves with
 * an allow-list of feature bits per register, so a feature haxm has never
 * heard of stays hidden; zeros for the leaves of what haxm does not
 * virtualize (MONITOR/MWAIT, thermal and power, PMU, RDT, SGX, PT).
 */
#include "cpuid_table.h"

/* CPUID.1:ECX */
#define F1C_PCID       (1u << 17)
#define F1C_XSAVE      (1u << 26)
#define F1C_OSXSAVE    (1u << 27)
#define F1C_HYPERVISOR (1u << 31)
/* SSE3 PCLMULQDQ SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES RDRAND */
#define F1C_KEEP 0x42d82203u
/* FMA XSAVE AVX F16C: need XSETBV */
#define F1C_XSAVE_BITS 0x34001000u
/* CPUID.1:EDX, without PSN(18) DS(21) ACPI(22) HTT(28: the VMM sets the
 * topology) TM(29) IA64(30) PBE(31) */
#define F1D_KEEP 0x0f8bfbffu

/* CPUID.7.0:EBX: FSGSBASE BMI1 FDP_EXCPTN_ONLY SMEP BMI2 ERMS FPU-CS/DS-zero
 * RDSEED ADX SMAP CLFLUSHOPT CLWB SHA */
#define F7B_KEEP 0x219c23c9u
/* TSC_ADJUST: emulated (msr_vmx.c), offered whatever the host has */
#define F7B_TSC_ADJUST (1u << 1)
#define F7B_INVPCID    (1u << 10)
#define F7B_AVX2       (1u << 5)
/* AVX512 F DQ IFMA PF ER CD BW VL */
#define F7B_AVX512 0xdc230000u
/* CPUID.7.0:ECX: PREFETCHWT1 GFNI CLDEMOTE MOVDIRI MOVDIR64B */
#define F7C_KEEP   0x1a000101u
#define F7C_AVX	   0x00000600u /* VAES VPCLMULQDQ */
#define F7C_AVX512 0x00005842u /* VBMI VBMI2 VNNI BITALG VPOPCNTDQ */
#define F7C_RDPID  (1u << 22)
#define F7C_UMIP   (1u << 2)
/* CPUID.7.0:EDX: FSRM MD_CLEAR SERIALIZE */
#define F7D_KEEP   0x00004410u
#define F7D_AVX512 0x0000010cu /* 4VNNIW 4FMAPS VP2INTERSECT */

/* CPUID.80000001h:ECX: LAHF LZCNT PREFETCHW; EDX: SYSCALL NX 1G-pages LM */
#define F81C_KEEP	   0x00000121u
#define F81D_KEEP	   0x24100800u
#define F81D_RDTSCP	   (1u << 27)
#define F87D_INVARIANT_TSC (1u << 8)

/* XCR0: x87 SSE AVX, and opmask ZMM_Hi256 Hi16_ZMM (AVX-512) */
#define XCR0_AVX    (1ull << 2)
#define XCR0_AVX512 0xe0ull

#define LEAF_MAX_BASIC 0x1fu
#define LEAF_MAX_EXT   0x80000008u

void cpuid_host(u32 leaf, u32 sub, u32 r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}

u64 cpuid_xcr0_mask(u64 host_xcr0)
{
	u64 m = host_xcr0 & (3ull | XCR0_AVX | XCR0_AVX512);

	/* AVX-512 state comes as a whole and builds on AVX (SDM 13.3). */
	if ((m & XCR0_AVX512) != XCR0_AVX512 || !(m & XCR0_AVX))
		m &= ~XCR0_AVX512;
	return m;
}

static struct hax_cpuid_entry *add(struct cpuid_table *t, u32 fn, u32 idx, u32 flags,
				   const u32 r[4])
{
	struct hax_cpuid_entry *e;

	if (t->nent >= HAX_MAX_CPUID_ENTRIES)
		return NULL;
	e = &t->e[t->nent++];
	*e = (struct hax_cpuid_entry){ .function = fn, .index = idx, .flags = flags };
	e->eax = r[0];
	e->ebx = r[1];
	e->ecx = r[2];
	e->edx = r[3];
	return e;
}

static void filter_leaf1(u32 r[4], const struct cpuid_host_caps *caps)
{
	u32 keep = F1C_KEEP | (caps->pcid ? F1C_PCID : 0) | (caps->xsave ? F1C_XSAVE_BITS : 0);

	/* OSXSAVE is filled in per vCPU from its CR4 (cpuid_lookup()). */
	r[2] = (r[2] & keep) | F1C_HYPERVISOR;
	r[3] &= F1D_KEEP;
}

static void filter_leaf7(u32 r[4], const struct cpuid_host_caps *caps, u64 xmask)
{
	bool avx = caps->xsave && (xmask & XCR0_AVX), avx512 = caps->xsave && (xmask & XCR0_AVX512);
	u32 b = F7B_KEEP | (caps->invpcid ? F7B_INVPCID : 0) | (avx ? F7B_AVX2 : 0) |
		(avx512 ? F7B_AVX512 : 0);
	u32 c = F7C_KEEP | (avx ? F7C_AVX : 0) | (avx512 ? F7C_AVX512 : 0) |
		(caps->rdtscp ? F7C_RDPID : 0);

	r[0] = 0; /* subleaf 0 only */
	r[1] = (r[1] & b) | F7B_TSC_ADJUST;
	r[2] = (r[2] & c) | (caps->umip ? F7C_UMIP : 0); /* the CPU's or emulated */
	r[3] &= F7D_KEEP | (avx512 ? F7D_AVX512 : 0);
}

/* Leaf 0xD: the components @xmask allows, sizes as the host reports them. */
static void add_xsave(struct cpuid_table *t, cpuid_host_fn host, u64 xmask)
{
	u32 r[4], size = 576; /* legacy area + XSAVE header */
	int i;

	for (i = 2; i < 63; i++) {
		if (!(xmask & (1ull << i)))
			continue;
		host(0xd, i, r);
		if (r[0] + r[1] > size)
			size = r[0] + r[1];
	}
	/* EBX: the size for the largest XCR0 a guest may set (the one Linux sets). */
	r[0] = (u32)xmask;
	r[1] = size;
	r[2] = size;
	r[3] = (u32)(xmask >> 32);
	add(t, 0xd, 0, HAX_CPUID_FLAG_INDEX, r);
	host(0xd, 1, r);
	r[0] &= 0x7; /* XSAVEOPT XSAVEC XGETBV1; no XSAVES (no XSS) */
	r[1] = size;
	r[2] = r[3] = 0;
	add(t, 0xd, 1, HAX_CPUID_FLAG_INDEX, r);
	for (i = 2; i < 63; i++) {
		if (!(xmask & (1ull << i)))
			continue;
		host(0xd, i, r);
		add(t, 0xd, i, HAX_CPUID_FLAG_INDEX, r);
	}
}

/* Leaves 4, 0xB and 0x1F: subleaves until the one that ends the list. */
static void add_subleaves(struct cpuid_table *t, cpuid_host_fn host, u32 leaf)
{
	u32 r[4], i;

	for (i = 0; i < 16; i++) {
		host(leaf, i, r);
		if (leaf != 4)
			r[3] = 0; /* the x2APIC id, per vCPU */
		add(t, leaf, i, HAX_CPUID_FLAG_INDEX, r);
		if (leaf == 4 ? !(r[0] & 0x1f) : !(r[2] & 0xff00))
			break;
	}
}

static const struct hax_cpuid_entry *find(const struct cpuid_table *t, u32 fn, u32 idx)
{
	u32 i;

	for (i = 0; i < t->nent; i++) {
		const struct hax_cpuid_entry *e = &t->e[i];

		if (e->function == fn && (!(e->flags & HAX_CPUID_FLAG_INDEX) || e->index == idx))
			return e;
	}
	return NULL;
}

static u32 max_leaf(const struct cpuid_table *t, u32 base)
{
	const struct hax_cpuid_entry *e = find(t, base, 0);

	return e ? e->eax : 0;
}

/* The largest leaves, kept beside the table for cpuid_lookup(). */
static void cache_max_leaves(struct cpuid_table *t)
{
	t->max_basic = max_leaf(t, 0);
	t->max_hv = max_leaf(t, CPUID_HV_BASE);
	t->max_ext = max_leaf(t, 0x80000000);
}

void cpuid_table_build(struct cpuid_table *t, cpuid_host_fn host,
		       const struct cpuid_host_caps *caps)
{
	u64 xmask = cpuid_xcr0_mask(caps->xcr0);
	u32 r[4], max, max_ext, leaf;

	t->nent = 0;
	host(0, 0, r);
	max = r[0] < LEAF_MAX_BASIC ? r[0] : LEAF_MAX_BASIC;
	r[0] = max;
	add(t, 0, 0, 0, r);
	for (leaf = 1; leaf <= max; leaf++) {
		switch (leaf) {
		case 1:
			host(1, 0, r);
			filter_leaf1(r, caps);
			add(t, 1, 0, 0, r);
			break;
		case 2:
		case 0x15:
		case 0x16:
			host(leaf, 0, r);
			add(t, leaf, 0, 0, r);
			break;
		case 4:
		case 0xb:
		case 0x1f:
			add_subleaves(t, host, leaf);
			break;
		case 7:
			host(7, 0, r);
			filter_leaf7(r, caps, xmask);
			add(t, 7, 0, HAX_CPUID_FLAG_INDEX, r);
			break;
		case 0xd:
			if (caps->xsave)
				add_xsave(t, host, xmask);
			break;
		}
	}

	r[0] = CPUID_HV_BASE;
	r[1] = r[2] = r[3] = CPUID_HV_SIGNATURE;
	add(t, CPUID_HV_BASE, 0, 0, r);

	host(0x80000000, 0, r);
	max_ext = r[0] < LEAF_MAX_EXT ? r[0] : LEAF_MAX_EXT;
	if (max_ext >= 0x80000000) {
		r[0] = max_ext;
		add(t, 0x80000000, 0, 0, r);
	}
	for (leaf = 0x80000001; leaf <= max_ext; leaf++) {
		if (leaf == 0x80000005)
			continue; /* reserved on Intel */
		host(leaf, 0, r);
		if (leaf == 0x80000001) {
			r[0] = r[1] = 0;
			r[2] &= F81C_KEEP;
			r[3] &= F81D_KEEP | (caps->rdtscp ? F81D_RDTSCP : 0);
		} else if (leaf == 0x80000007) {
			r[0] = r[1] = r[2] = 0;
			r[3] &= F87D_INVARIANT_TSC;
		} else if (leaf == 0x80000008) {
			r[1] = r[2] = r[3] = 0;
		}
		add(t, leaf, 0, 0, r);
	}
	cache_max_leaves(t);
}

u32 cpuid_xsave_size(const struct cpuid_table *t, u64 xcr0, bool compacted)
{
	u32 size = 576; /* legacy area + XSAVE header */
	int i;

	for (i = 2; i < 63; i++) {
		const struct hax_cpuid_entry *e;

		if (!(xcr0 & (1ull << i)))
			continue;
		e = find(t, 0xd, i);
		if (!e)
			continue;
		if (compacted) {
			/* ECX bit 1: the component starts 64-byte aligned (SDM 13.4.3). */
			if (e->ecx & 2)
				size = (size + 63) & ~63u;
			size += e->eax;
		} else if (e->ebx + e->eax > size) {
			size = e->ebx + e->eax;
		}
	}
	return size;
}

void cpuid_lookup(const struct cpuid_table *t, u32 leaf, u32 sub, u32 vcpu_id, bool osxsave,
		  u64 xcr0, u32 r[4])
{
	const struct hax_cpuid_entry *e;

	if (leaf >= CPUID_HV_BASE && leaf < 0x50000000) {
		if (leaf > t->max_hv)
			leaf = ~0u; /* zeros */
	} else if (leaf >= 0x80000000 ? leaf > t->max_ext : leaf > t->max_basic) {
		leaf = t->max_basic;
	}
	e = find(t, leaf, sub);
	r[0] = e ? e->eax : 0;
	r[1] = e ? e->ebx : 0;
	r[2] = e ? e->ecx : 0;
	r[3] = e ? e->edx : 0;
	if (leaf == 1) {
		r[1] = (r[1] & 0x00ffffffu) | (vcpu_id << 24);
		r[2] &= ~F1C_OSXSAVE;
		if (osxsave && (r[2] & F1C_XSAVE))
			r[2] |= F1C_OSXSAVE;
	} else if (leaf == 0xb || leaf == 0x1f) {
		if (!e)
			r[2] = sub & 0xff; /* past the last level: type 0 */
		r[3] = vcpu_id;
	} else if (leaf == 0xd && sub <= 1 && e) {
		/* EBX: the size for the XCR0 the guest has enabled now (SDM CPUID). */
		r[1] = cpuid_xsave_size(t, xcr0, sub == 1);
	}
}

/* What SET_CPUID may do to one register (see cpuid_table_set()). */
enum reg_rule { REG_FREE, REG_SUBSET, REG_LE, REG_EQUAL };

static enum reg_rule reg_rule(u32 fn, u32 idx, int reg)
{
	switch (fn) {
	case 0:
	case 0x80000000:
	case CPUID_HV_BASE:
		return reg == 0 ? REG_LE : REG_FREE;
	case 1:
		return reg >= 2 ? REG_SUBSET : REG_FREE;
	case 7:
	case 0x80000001:
		return reg >= 1 ? REG_SUBSET : REG_EQUAL;
	case 0x80000007:
		return reg == 3 ? REG_SUBSET : REG_EQUAL;
	case 0xd:
		if ((idx == 0 && (reg == 0 || reg == 3)) || (idx == 1 && reg == 0))
			return REG_SUBSET;
		return REG_EQUAL;
	}
	return REG_FREE;
}

static bool reg_ok(enum reg_rule rule, u32 val, u32 def)
{
	switch (rule) {
	case REG_SUBSET:
		return !(val & ~def);
	case REG_LE:
		return val <= def;
	case REG_EQUAL:
		return val == def;
	default:
		return true;
	}
}

static bool entry_ok(const struct hax_cpuid_entry *in, const struct hax_cpuid_entry *def)
{
	u32 val[4] = { in->eax, in->ebx, in->ecx, in->edx };
	u32 dv[4] = { def->eax, def->ebx, def->ecx, def->edx };
	int reg;

	/* Filled in per vCPU: whatever is given there is ignored. */
	if (in->function == 1)
		val[2] &= ~F1C_OSXSAVE;
	for (reg = 0; reg < 4; reg++)
		if (!reg_ok(reg_rule(in->function, in->index, reg), val[reg], dv[reg]))
			return false;
	/* A largest leaf stays in its range. */
	if ((in->function == 0x80000000 || in->function == CPUID_HV_BASE) && in->eax < in->function)
		return false;
	return true;
}

int cpuid_table_set(struct cpuid_table *t, const struct cpuid_table *def,
		    const struct hax_cpuid_entry *in, u32 n)
{
	const struct hax_cpuid_entry *d;
	u32 i;

	if (n > HAX_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if ((in[i].flags & ~HAX_CPUID_FLAG_INDEX) || in[i].pad[0] || in[i].pad[1] ||
		    in[i].pad[2])
			return -EINVAL;
		d = find(def, in[i].function, in[i].index);
		if (!d || !entry_ok(&in[i], d))
			return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct hax_cpuid_entry *e;

		d = find(def, in[i].function, in[i].index);
		e = &t->e[d - def->e];
		e->eax = in[i].eax;
		e->ebx = in[i].ebx;
		e->ecx = in[i].ecx & (in[i].function == 1 ? ~F1C_OSXSAVE : ~0u);
		e->edx = in[i].edx;
	}
	cache_max_leaves(t);
	return 0;
}
