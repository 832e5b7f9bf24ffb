// SPDX-License-Identifier: GPL-2.0
/* The guest CPUID table: filtering, per-vCPU fields, SET_CPUID's rules. */
#include "unit.h"

#include "cpuid_table.h"

/* A host whose feature registers have every bit set. */
static void fake_host(u32 leaf, u32 sub, u32 r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
	switch (leaf) {
	case 0:
		r[0] = 0x16;
		memcpy(&r[1], "Genu", 4);
		memcpy(&r[3], "ineI", 4);
		memcpy(&r[2], "ntel", 4);
		break;
	case 1:
		r[0] = 0x506e3;
		r[1] = 0xff100800;
		r[2] = r[3] = ~0u;
		break;
	case 4: /* three caches, then the end */
		r[0] = sub < 3 ? 0x121 + sub : 0;
		break;
	case 7:
		r[0] = 2;
		r[1] = r[2] = r[3] = ~0u;
		break;
	case 0xb: /* SMT, core, end */
		r[2] = sub < 2 ? ((sub + 1) << 8) | sub : sub;
		r[3] = 0x77;
		break;
	case 0xd:
		if (sub >= 2 && sub < 10) {
			r[0] = 64 * sub;	     /* size */
			r[1] = 576 + 64 * sub * sub; /* offset */
		}
		break;
	case 0x80000000:
		r[0] = 0x80000008;
		break;
	case 0x80000001:
	case 0x80000007:
		r[2] = r[3] = ~0u;
		break;
	case 0x80000008:
		r[0] = 0x3027;
		break;
	default:
		r[0] = r[1] = r[2] = r[3] = 0xdead;
	}
}

static const struct hax_cpuid_entry *entry(const struct cpuid_table *t, u32 fn, u32 idx)
{
	u32 i;

	for (i = 0; i < t->nent; i++)
		if (t->e[i].function == fn && t->e[i].index == idx)
			return &t->e[i];
	return NULL;
}

static void test_xcr0_mask(void **state)
{
	(void)state;
	assert_int_equal(cpuid_xcr0_mask(0xff), 0xe7);	 /* no MPX */
	assert_int_equal(cpuid_xcr0_mask(0x2e7), 0xe7);	 /* no PKRU */
	assert_int_equal(cpuid_xcr0_mask(0x67), 0x7);	 /* AVX-512 only whole */
	assert_int_equal(cpuid_xcr0_mask(0xe3), 0x3);	 /* AVX-512 needs AVX */
	assert_int_equal(cpuid_xcr0_mask(0x60007), 0x7); /* no AMX */
}

static void test_filtering(void **state)
{
	struct cpuid_host_caps caps = { .xcr0 = 0xe7 };
	struct cpuid_table t;
	const struct hax_cpuid_entry *e;

	(void)state;
	cpuid_table_build(&t, fake_host, &caps);
	assert_true(t.nent <= HAX_MAX_CPUID_ENTRIES);
	e = entry(&t, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->eax, 0x16);
	e = entry(&t, 1, 0);
	assert_int_equal(e->ecx & (3u << 5), 0);	 /* VMX SMX */
	assert_int_equal(e->ecx & (1u << 3), 0);	 /* MONITOR */
	assert_int_equal(e->ecx & (1u << 21), 0);	 /* x2APIC */
	assert_int_equal(e->ecx & (1u << 24), 0);	 /* TSC deadline */
	assert_int_equal(e->ecx & (1u << 17), 0);	 /* PCID: caps say no */
	assert_int_equal(e->ecx & (0x34001000u), 0);	 /* no XSAVE, AVX without XSETBV */
	assert_int_equal(e->ecx & (1u << 31), 1u << 31); /* hypervisor */
	assert_int_equal(e->edx & (1u << 26), 1u << 26); /* SSE2 */
	assert_int_equal(e->edx & ((1u << 18) | (1u << 22) | (1u << 29)), 0);
	e = entry(&t, 7, 0);
	assert_int_equal(e->eax, 0);
	assert_int_equal(e->ebx & ((1u << 4) | (1u << 11) | (1u << 10)), 0);
	assert_int_equal(e->ebx & (1u << 1), 1u << 1); /* TSC_ADJUST: emulated */
	assert_int_equal(e->ebx & (1u << 5), 0);       /* AVX2 needs XSAVE */
	assert_int_equal(e->ecx & ((1u << 3) | (1u << 4) | (1u << 5) | (1u << 22)), 0);
	assert_int_equal(e->edx & (0xfu << 26), 0); /* IBRS.. ARCH_CAPABILITIES */
	assert_null(entry(&t, 0xd, 0));		    /* no XSAVE leaf */
	assert_null(entry(&t, 5, 0));
	assert_null(entry(&t, 6, 0));
	assert_null(entry(&t, 0xa, 0));
	assert_int_equal(entry(&t, 0x80000001, 0)->edx & (1u << 27), 0); /* RDTSCP */
	assert_int_equal(entry(&t, 0x80000007, 0)->edx, 1u << 8);
	e = entry(&t, 0x40000000, 0);
	assert_int_equal(e->eax, 0x40000000);
	assert_memory_equal(&e->ebx, "HAXM", 4);
	/* leaf 4: three caches and the terminator; leaf 0xB: two levels and the end */
	assert_non_null(entry(&t, 4, 3));
	assert_null(entry(&t, 4, 4));
	assert_non_null(entry(&t, 0xb, 2));
	assert_null(entry(&t, 0xb, 3));
}

static void test_filtering_with_features(void **state)
{
	struct cpuid_host_caps caps = {
		.rdtscp = true, .invpcid = true, .pcid = true, .xsave = true, .xcr0 = 0x2ff
	};
	struct cpuid_table t;
	const struct hax_cpuid_entry *e;

	(void)state;
	cpuid_table_build(&t, fake_host, &caps);
	e = entry(&t, 1, 0);
	assert_int_equal(e->ecx & 0x34021000u, 0x34021000u); /* FMA PCID XSAVE AVX F16C */
	assert_int_equal(e->ecx & (1u << 27), 0);	     /* OSXSAVE: per vCPU */
	e = entry(&t, 7, 0);
	assert_int_equal(e->ebx & ((1u << 5) | (1u << 10) | (1u << 16)),
			 (1u << 5) | (1u << 10) | (1u << 16));
	assert_int_equal(e->ecx & (1u << 22), 1u << 22); /* RDPID */
	assert_int_equal(entry(&t, 0x80000001, 0)->edx & (1u << 27), 1u << 27);
	e = entry(&t, 0xd, 0);
	assert_non_null(e);
	assert_int_equal(e->eax, 0xe7);
	assert_int_equal(e->edx, 0);
	/* the largest component end: 7 at 576 + 64*49, size 448 */
	assert_int_equal(e->ecx, 576 + 64 * 49 + 64 * 7);
	assert_int_equal(entry(&t, 0xd, 1)->eax & (1u << 3), 0); /* no XSAVES */
	assert_non_null(entry(&t, 0xd, 5));
	assert_null(entry(&t, 0xd, 3)); /* MPX */
	assert_null(entry(&t, 0xd, 9)); /* PKRU */
}

/* The same host without UMIP (CPUID.7.0:ECX bit 2), as Bochs is. */
static void fake_host_no_umip(u32 leaf, u32 sub, u32 r[4])
{
	fake_host(leaf, sub, r);
	if (leaf == 7)
		r[2] &= ~4u;
}

/* UMIP follows caps.umip (the CPU's or emulated), not the host's bit. */
static void test_umip(void **state)
{
	struct cpuid_host_caps caps = { .xcr0 = 0xe7 };
	struct cpuid_table t;

	(void)state;
	cpuid_table_build(&t, fake_host, &caps);
	assert_int_equal(entry(&t, 7, 0)->ecx & 4, 0);
	caps.umip = true;
	cpuid_table_build(&t, fake_host_no_umip, &caps);
	assert_int_equal(entry(&t, 7, 0)->ecx & 4, 4);
	assert_int_equal(entry(&t, 7, 0)->ecx & (1u << 22), 0); /* RDPID still filtered */
}

static void test_lookup(void **state)
{
	struct cpuid_host_caps caps = { .xsave = true, .xcr0 = 7 };
	struct cpuid_table t;
	u32 r[4], r2[4];

	(void)state;
	cpuid_table_build(&t, fake_host, &caps);
	cpuid_lookup(&t, 1, 0, 5, false, 1, r);
	assert_int_equal(r[1] >> 24, 5);
	assert_int_equal(r[1] & 0xffffff, 0x100800);
	assert_int_equal(r[2] & (1u << 27), 0);
	cpuid_lookup(&t, 1, 0, 5, true, 1, r);
	assert_int_equal(r[2] & (1u << 27), 1u << 27);
	/* x2APIC id in every 0xB subleaf, also past the last level */
	cpuid_lookup(&t, 0xb, 1, 9, false, 1, r);
	assert_int_equal(r[3], 9);
	assert_int_equal(r[2], 0x201);
	cpuid_lookup(&t, 0xb, 7, 9, false, 1, r);
	assert_int_equal(r[2], 7);
	assert_int_equal(r[3], 9);
	/* in range, not in the table: zeros; beyond: the largest basic leaf */
	cpuid_lookup(&t, 6, 0, 0, false, 1, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	cpuid_lookup(&t, 0x16, 0, 0, false, 1, r2);
	cpuid_lookup(&t, 0x17, 0, 0, false, 1, r);
	assert_memory_equal(r, r2, sizeof(r));
	cpuid_lookup(&t, 0x80000009, 0, 0, false, 1, r);
	assert_memory_equal(r, r2, sizeof(r));
	cpuid_lookup(&t, 0x40000001, 0, 0, false, 1, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

static void test_set(void **state)
{
	struct cpuid_host_caps caps = { .xsave = true, .xcr0 = 7 };
	struct cpuid_table def, t;
	struct hax_cpuid_entry in[2];
	u32 r[4];

	(void)state;
	cpuid_table_build(&def, fake_host, &caps);
	t = def;
	in[0] = *entry(&def, 1, 0);
	in[0].ecx &= ~1u;
	in[0].ecx |= 1u << 27; /* OSXSAVE given: ignored */
	in[0].eax = 0x906ea;   /* a different model: allowed */
	assert_int_equal(cpuid_table_set(&t, &def, in, 1), 0);
	cpuid_lookup(&t, 1, 0, 0, false, 1, r);
	assert_int_equal(r[0], 0x906ea);
	assert_int_equal(r[2] & 1, 0);
	assert_int_equal(r[2] & (1u << 27), 0);
	/* re-widening up to the default is allowed */
	in[0] = *entry(&def, 1, 0);
	assert_int_equal(cpuid_table_set(&t, &def, in, 1), 0);
	assert_memory_equal(&t, &def, sizeof(t));

	assert_int_equal(cpuid_table_set(&t, &def, in, 0), -EINVAL);
	assert_int_equal(cpuid_table_set(&t, &def, in, HAX_MAX_CPUID_ENTRIES + 1), -E2BIG);
	in[1] = *entry(&def, 7, 0);
	in[1].ebx |= 1u << 4; /* HLE: hidden */
	in[0].ecx &= ~1u;
	assert_int_equal(cpuid_table_set(&t, &def, in, 2), -EINVAL);
	assert_memory_equal(&t, &def, sizeof(t)); /* all or nothing */
	in[1] = *entry(&def, 0xd, 0);
	in[1].ecx += 64; /* a size */
	assert_int_equal(cpuid_table_set(&t, &def, in, 2), -EINVAL);
	in[1] = *entry(&def, 0x80000000, 0);
	in[1].eax = 0x7fffffff;
	assert_int_equal(cpuid_table_set(&t, &def, in, 2), -EINVAL);
	in[1].eax = 0x80000004; /* shrinking the extended range */
	assert_int_equal(cpuid_table_set(&t, &def, in, 2), 0);
	cpuid_lookup(&t, 0x80000008, 0, 0, false, 1, r);
	assert_int_equal(r[0], 0xdead); /* now beyond: leaf 0x16 answers */
	in[0] = (struct hax_cpuid_entry){ .function = 6 };
	assert_int_equal(cpuid_table_set(&t, &def, in, 1), -EINVAL);
	in[0] = *entry(&def, 4, 1);
	in[0].flags = 4;
	assert_int_equal(cpuid_table_set(&t, &def, in, 1), -EINVAL);
}

/* Leaf 0xD's EBX follows the guest's XCR0, standard and compacted formats. */
static void test_xsave_size(void **state)
{
	struct cpuid_host_caps caps = { .xsave = true, .xcr0 = 0xe7 };
	struct cpuid_table t;
	u32 r[4], i;

	(void)state;
	cpuid_table_build(&t, fake_host, &caps);
	/* fake_host: component i has size 64 * i at offset 576 + 64 * i * i */
	assert_int_equal(cpuid_xsave_size(&t, 1, false), 576);
	assert_int_equal(cpuid_xsave_size(&t, 3, true), 576);
	assert_int_equal(cpuid_xsave_size(&t, 7, false), 576 + 256 + 128);
	assert_int_equal(cpuid_xsave_size(&t, 7, true), 576 + 128);
	assert_int_equal(cpuid_xsave_size(&t, 0xe7, false), 576 + 64 * 49 + 448);
	assert_int_equal(cpuid_xsave_size(&t, 0xe7, true), 576 + 128 + 320 + 384 + 448);
	/* components the table lacks (MPX) count nothing */
	assert_int_equal(cpuid_xsave_size(&t, 0x1f, true), 576 + 128);
	cpuid_lookup(&t, 0xd, 0, 0, true, 7, r);
	assert_int_equal(r[1], 576 + 256 + 128);
	assert_int_equal(r[2], 576 + 64 * 49 + 448); /* ECX: for every component */
	cpuid_lookup(&t, 0xd, 1, 0, true, 0xe7, r);
	assert_int_equal(r[1], 576 + 128 + 320 + 384 + 448);
	cpuid_lookup(&t, 0xd, 1, 0, true, 1, r);
	assert_int_equal(r[1], 576);
	/* a 64-byte aligned component (ECX bit 1) after an odd-sized one */
	for (i = 0; i < t.nent; i++) {
		if (t.e[i].function == 0xd && t.e[i].index == 2)
			t.e[i].eax = 100;
		if (t.e[i].function == 0xd && t.e[i].index == 5)
			t.e[i].ecx |= 2;
	}
	assert_int_equal(cpuid_xsave_size(&t, 0x27, true), 704 + 320);
	assert_int_equal(cpuid_xsave_size(&t, 7, true), 576 + 100); /* no alignment */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_xcr0_mask),
		UNIT_TEST(test_filtering),
		UNIT_TEST(test_filtering_with_features),
		UNIT_TEST(test_umip),
		UNIT_TEST(test_lookup),
		UNIT_TEST(test_set),
		UNIT_TEST(test_xsave_size),
	};

	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
