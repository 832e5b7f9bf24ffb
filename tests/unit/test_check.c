// SPDX-License-Identifier: GPL-2.0
/* `haxm check`: decoding and judging host facts, and printing the report. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "check.h"

/* Real capability MSR values (a Skylake client; a Nehalem without UG). */
#define SKL_PROCBASED  0xfff9fffe0401e172ull
#define SKL_PROCBASED2 0x00553cfe00000000ull
#define NHM_PROCBASED2 0x0000006b00000000ull

/* ---- decoders ---------------------------------------------------------------- */

static void test_vendor(void **state)
{
	const uint32_t intel[3] = { 0x756e6547, 0x49656e69, 0x6c65746e };
	const uint32_t amd[3] = { 0x68747541, 0x69746e65, 0x444d4163 };
	char buf[13];

	(void)state;
	check_vendor(intel, buf);
	assert_string_equal(buf, "GenuineIntel");
	check_vendor(amd, buf);
	assert_string_equal(buf, "AuthenticAMD");
}

static void test_feature_control(void **state)
{
	(void)state;
	assert_int_equal(check_decode_feature_control(0x0), FC_UNLOCKED);
	assert_int_equal(check_decode_feature_control(0x4), FC_UNLOCKED);
	assert_int_equal(check_decode_feature_control(0x5), FC_VMX_ON);
	assert_int_equal(check_decode_feature_control(0xff07), FC_VMX_ON);
	assert_int_equal(check_decode_feature_control(0x1), FC_VMX_OFF);
	/* VMX inside SMX only is still off for haxm. */
	assert_int_equal(check_decode_feature_control(0x3), FC_VMX_OFF);
}

static void test_decode_vmx(void **state)
{
	struct vmx_features f;

	(void)state;
	check_decode_vmx(SKL_PROCBASED, SKL_PROCBASED2, &f);
	assert_true(f.ept);
	assert_true(f.vpid);
	assert_true(f.ug);

	/* allowed-1 0x6b: bits 0, 1, 3, 5, 6 -> EPT and VPID, no UG. */
	check_decode_vmx(SKL_PROCBASED, NHM_PROCBASED2, &f);
	assert_true(f.ept);
	assert_true(f.vpid);
	assert_false(f.ug);

	/* Only EPT (bit 1) allowed. */
	check_decode_vmx(SKL_PROCBASED, 0x0000000200000000ull, &f);
	assert_true(f.ept);
	assert_false(f.vpid);
	assert_false(f.ug);

	/* The low dword (allowed-0) says nothing about what may be 1. */
	check_decode_vmx(SKL_PROCBASED, 0x00000000ffffffffull, &f);
	assert_false(f.ept);
	assert_false(f.vpid);
	assert_false(f.ug);

	/* No secondary controls (bit 63 clear): CTLS2 is ignored. */
	check_decode_vmx(SKL_PROCBASED & ~(1ull << 63), ~0ull, &f);
	assert_false(f.ept);
	assert_false(f.vpid);
	assert_false(f.ug);
}

static void test_cap_names(void **state)
{
	struct hax_capabilityinfo c = { 0 };
	char buf[160];

	(void)state;
	c.wstatus = HAX_CAP_STATUS_WORKING;
	c.winfo = HAX_CAP_EPT | HAX_CAP_UG | HAX_CAP_64BIT_RAMBLOCK | HAX_CAP_64BIT_SETRAM |
		  HAX_CAP_TUNNEL_PAGE;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "working: ept ug 64bit_ramblock 64bit_setram tunnel_page");

	c.winfo = 0x3ff;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "working: ept fastmmio ug 64bit_ramblock 64bit_setram "
				 "tunnel_page ram_protection debug implicit_ramblock cpuid");

	c.winfo = HAX_CAP_DIRTY_LOG | HAX_CAP_VCPU_STATE | HAX_CAP_CPUID | HAX_CAP_LAPIC;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "working: cpuid lapic vcpu_state dirty_log");

	c.winfo = HAX_CAP_MSI | HAX_CAP_DEBUG | HAX_CAP_IOAPIC;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "working: debug msi ioapic");

	c.winfo = HAX_CAP_PIC_PIT;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "working: pic_pit");

	c.winfo = 0;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "working");

	c.wstatus = HAX_CAP_STATUS_WORKING | HAX_CAP_MEMQUOTA;
	c.winfo = HAX_CAP_UG;
	c.mem_quota = 2048;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "working: ug; memquota 2048 MiB");

	/* Not working: the same bits are failure reasons. */
	c.wstatus = 0;
	c.winfo = HAX_CAP_FAILREASON_VT | HAX_CAP_FAILREASON_NX;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "not working: vt nx");
	c.winfo = HAX_CAP_FAILREASON_NX | (1 << 2);
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "not working: nx bit2");
	c.winfo = 0;
	assert_int_equal(check_cap_names(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "not working");

	/* Too small a buffer: ERANGE, truncated but terminated. */
	c.wstatus = HAX_CAP_STATUS_WORKING;
	c.winfo = HAX_CAP_EPT;
	errno = 0;
	assert_int_equal(check_cap_names(&c, buf, 8), -1);
	assert_int_equal(errno, ERANGE);
	assert_string_equal(buf, "working");
	errno = 0;
	assert_int_equal(check_cap_names(&c, buf, 0), -1);
	assert_int_equal(errno, ERANGE);
}

/* ---- judging a host ---------------------------------------------------------------- */

/* A host haxm can run guests on. */
static void good_host(struct host_info *h)
{
	memset(h, 0, sizeof(*h));
	h->vendor[0] = 0x756e6547;
	h->vendor[1] = 0x49656e69;
	h->vendor[2] = 0x6c65746e;
	h->leaf1_ecx = CPUID_1_ECX_VMX;
	h->ext_max = 0x80000008;
	h->ext1_edx = CPUID_80000001_EDX_NX | CPUID_80000001_EDX_LM;
	h->feature_control = 0x5;
	h->procbased = SKL_PROCBASED;
	h->procbased2 = SKL_PROCBASED2;
	h->haxm_loaded = true;
	h->dev_mode = S_IFCHR | 0600;
	h->version.compat_version = 1;
	h->version.cur_version = 4;
	h->cap.wstatus = HAX_CAP_STATUS_WORKING;
	h->cap.winfo = HAX_CAP_EPT | HAX_CAP_UG | HAX_CAP_TUNNEL_PAGE;
}

static const struct check_item *item(const struct check_report *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->items[i].key, key))
			return &r->items[i];
	fail_msg("no item %s", key);
	return NULL;
}

static void expect(const struct check_report *r, const char *key, const char *value,
		   enum check_status status)
{
	const struct check_item *it = item(r, key);

	assert_string_equal(it->value, value);
	assert_int_equal(it->status, status);
}

static void test_build_good(void **state)
{
	static const char *const keys[] = {
		"cpu_vendor",
		"vmx",
		"nx",
		"long_mode",
		"feature_control",
		"ept",
		"unrestricted_guest",
		"vpid",
		"kvm_intel",
		"haxm_module",
		"api_version",
		"capability",
		"dev_hax",
		"result",
	};
	struct check_report r;
	struct host_info h;
	size_t i;

	(void)state;
	good_host(&h);
	check_build(&h, &r);
	assert_true(r.can_run);
	assert_int_equal(r.n, sizeof(keys) / sizeof(keys[0]));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_string_equal(r.items[i].key, keys[i]);
	expect(&r, "cpu_vendor", "GenuineIntel", CHECK_OK);
	expect(&r, "vmx", "yes", CHECK_OK);
	expect(&r, "nx", "yes", CHECK_OK);
	expect(&r, "long_mode", "yes", CHECK_OK);
	expect(&r, "feature_control", "0x5 (locked, VMX enabled)", CHECK_OK);
	expect(&r, "ept", "yes", CHECK_OK);
	expect(&r, "unrestricted_guest", "yes", CHECK_OK);
	expect(&r, "vpid", "yes", CHECK_OK);
	expect(&r, "kvm_intel", "not loaded", CHECK_OK);
	expect(&r, "haxm_module", "loaded", CHECK_OK);
	expect(&r, "api_version", "compat 1, current 4", CHECK_OK);
	expect(&r, "capability", "working: ept ug tunnel_page", CHECK_OK);
	expect(&r, "dev_hax", "mode 0600, owner 0, group 0", CHECK_OK);
	expect(&r, "result", "haxm can run guests", CHECK_OK);
}

/* This machine's kind of host: no VMX, no msr driver, no module. */
static void test_build_no_vmx(void **state)
{
	struct check_report r;
	struct host_info h;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.vendor[0] = 0x68747541;
	h.vendor[1] = 0x69746e65;
	h.vendor[2] = 0x444d4163;
	h.ext_max = 0x80000008;
	h.ext1_edx = CPUID_80000001_EDX_NX | CPUID_80000001_EDX_LM;
	h.fc_err = ENOENT;
	h.procbased_err = h.procbased2_err = ENODEV;
	h.dev_err = h.version_err = h.cap_err = ENOENT;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "cpu_vendor", "AuthenticAMD (VT-x is Intel's)", CHECK_WARN);
	expect(&r, "vmx", "no", CHECK_FAIL);
	expect(&r, "nx", "yes", CHECK_OK);
	expect(&r, "feature_control", "unknown (no /dev/cpu/0/msr)", CHECK_WARN);
	expect(&r, "ept", "no (no VMX)", CHECK_FAIL);
	expect(&r, "unrestricted_guest", "no (no VMX)", CHECK_FAIL);
	expect(&r, "vpid", "no (no VMX)", CHECK_WARN);
	expect(&r, "haxm_module", "not loaded", CHECK_FAIL);
	expect(&r, "api_version", "unknown (/dev/HAX: No such file or directory)", CHECK_FAIL);
	expect(&r, "capability", "unknown (/dev/HAX: No such file or directory)", CHECK_FAIL);
	expect(&r, "dev_hax", "missing", CHECK_FAIL);
	expect(&r, "result", "haxm cannot run guests", CHECK_FAIL);
}

static void test_build_cpu_features(void **state)
{
	struct check_report r;
	struct host_info h;

	(void)state;
	/* No extended leaf 0x80000001 at all: no NX, no long mode. */
	good_host(&h);
	h.ext_max = 0x80000000;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "nx", "no", CHECK_FAIL);
	expect(&r, "long_mode", "no", CHECK_FAIL);

	good_host(&h);
	h.ext1_edx = CPUID_80000001_EDX_LM;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "nx", "no", CHECK_FAIL);
	expect(&r, "long_mode", "yes", CHECK_OK);

	/* No UG: haxm cannot run; no VPID: it can. */
	good_host(&h);
	h.procbased2 = NHM_PROCBASED2;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "unrestricted_guest", "no", CHECK_FAIL);
	good_host(&h);
	h.procbased2 = 0x0000008200000000ull;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "vpid", "no", CHECK_WARN);

	/* No secondary controls at all. */
	good_host(&h);
	h.procbased = SKL_PROCBASED & ~(1ull << 63);
	h.procbased2_err = ENODEV;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "ept", "no", CHECK_FAIL);
}

static void test_build_feature_control(void **state)
{
	struct check_report r;
	struct host_info h;

	(void)state;
	good_host(&h);
	h.feature_control = 0x1;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "feature_control", "0x1 (locked, VMX disabled: enable VT-x in the firmware)",
	       CHECK_FAIL);

	good_host(&h);
	h.feature_control = 0x4;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "feature_control", "0x4 (unlocked: haxm needs it locked with VMX enabled)",
	       CHECK_FAIL);
}

/* MSRs unreadable: unknown, a warning; the module's own word decides. */
static void test_build_msr_unreadable(void **state)
{
	struct check_report r;
	struct host_info h;

	(void)state;
	good_host(&h);
	h.fc_err = h.procbased_err = h.procbased2_err = EACCES;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "feature_control", "unknown (MSR 0x3a: Permission denied)", CHECK_WARN);
	expect(&r, "ept", "unknown (MSR 0x482: Permission denied)", CHECK_WARN);
	expect(&r, "unrestricted_guest", "unknown (MSR 0x482: Permission denied)", CHECK_WARN);
	expect(&r, "vpid", "unknown (MSR 0x482: Permission denied)", CHECK_WARN);

	good_host(&h);
	h.procbased2_err = EIO;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "ept", "unknown (MSR 0x48b: Input/output error)", CHECK_WARN);
}

/* No msr driver (Debian: a module): /proc/cpuinfo's vmx flags answer. */
static void test_build_vmx_flags(void **state)
{
	struct check_report r;
	struct host_info h;

	(void)state;
	good_host(&h);
	h.fc_err = h.procbased_err = h.procbased2_err = ENOENT;
	h.vmx_flags_read = true;
	h.vmx_flag_ept = h.vmx_flag_ug = true;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "feature_control", "unknown (no /dev/cpu/0/msr)", CHECK_WARN);
	expect(&r, "ept", "yes (/proc/cpuinfo vmx flags)", CHECK_OK);
	expect(&r, "unrestricted_guest", "yes (/proc/cpuinfo vmx flags)", CHECK_OK);
	expect(&r, "vpid", "no (/proc/cpuinfo vmx flags)", CHECK_WARN);

	h.vmx_flag_ug = false;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "unrestricted_guest", "no (/proc/cpuinfo vmx flags)", CHECK_FAIL);

	/* The MSRs, when readable, are the answer: the flags are not read. */
	good_host(&h);
	h.vmx_flags_read = true;
	check_build(&h, &r);
	expect(&r, "ept", "yes", CHECK_OK);
}

static void test_build_module(void **state)
{
	struct check_report r;
	struct host_info h;

	(void)state;
	good_host(&h);
	h.kvm_intel = true;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "kvm_intel", "loaded (it holds VMX while it runs VMs)", CHECK_WARN);

	good_host(&h);
	h.cap.wstatus = 0;
	h.cap.winfo = HAX_CAP_FAILREASON_VT;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "capability", "not working: vt", CHECK_FAIL);

	good_host(&h);
	h.cap.winfo = HAX_CAP_EPT;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "capability", "working: ept (QEMU needs ug)", CHECK_WARN);

	good_host(&h);
	h.version.cur_version = 3;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "api_version", "compat 1, current 3", CHECK_FAIL);

	good_host(&h);
	h.cap_err = ENOTTY;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "capability", "unknown (/dev/HAX: Inappropriate ioctl for device)", CHECK_FAIL);

	good_host(&h);
	h.dev_mode = S_IFCHR | 0660;
	h.dev_uid = 0;
	h.dev_gid = 108;
	h.dev_access_err = EACCES;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "dev_hax", "mode 0660, owner 0, group 108 (not read-writable by this user)",
	       CHECK_WARN);

	good_host(&h);
	h.dev_mode = S_IFREG | 0644;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "dev_hax", "not a character device", CHECK_FAIL);

	good_host(&h);
	h.dev_err = EACCES;
	check_build(&h, &r);
	assert_false(r.can_run);
	expect(&r, "dev_hax", "unknown (Permission denied)", CHECK_FAIL);
}

/* The module's mitigations: one item per known line, never a failure. */
static void test_build_mitigations(void **state)
{
	struct check_report r;
	struct host_info h;
	int i;

	(void)state;
	good_host(&h);
	snprintf(h.mitigations, sizeof(h.mitigations),
		 "verw on on (X86_FEATURE_CLEAR_CPU_BUF)\n"
		 "rsb off not needed (host kernel: off)\n"
		 "future on something haxm check does not know\n"
		 "l1d on forced (force_mitigations=1)\n");
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "mitigation_verw", "on (X86_FEATURE_CLEAR_CPU_BUF)", CHECK_OK);
	expect(&r, "mitigation_rsb", "not needed (host kernel: off)", CHECK_OK);
	expect(&r, "mitigation_l1d", "forced (force_mitigations=1)", CHECK_OK);
	for (i = 0; i < r.n; i++)
		assert_null(strstr(r.items[i].value, "something"));

	good_host(&h);
	h.mit_err = ENOENT;
	check_build(&h, &r);
	assert_true(r.can_run);
	expect(&r, "mitigations", "unknown (No such file or directory)", CHECK_WARN);

	/* No module, no mitigation lines. */
	good_host(&h);
	h.haxm_loaded = false;
	h.mit_err = ENOENT;
	check_build(&h, &r);
	for (i = 0; i < r.n; i++)
		assert_null(strstr(r.items[i].key, "mitigation"));
}

/* ---- printing ------------------------------------------------------------------------ */

static char *print(const struct check_report *r, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(check_print(f, r, json), 0);
	fclose(f);
	return text;
}

static void test_print(void **state)
{
	struct check_report r = {
		.n = 3,
		.items = {
			{ "vmx", "yes", CHECK_OK },
			{ "odd", "a \"quoted\" \\ and\ttab", CHECK_WARN },
			{ "result", "haxm cannot run guests", CHECK_FAIL },
		},
	};
	char *text;

	(void)state;
	text = print(&r, false);
	assert_string_equal(text, "vmx: yes [ok]\n"
				  "odd: a \"quoted\" \\ and\ttab [warn]\n"
				  "result: haxm cannot run guests [FAIL]\n");
	free(text);

	text = print(&r, true);
	assert_string_equal(text, "{\n"
				  "  \"vmx\": {\"value\": \"yes\", \"status\": \"ok\"},\n"
				  "  \"odd\": {\"value\": \"a \\\"quoted\\\" \\\\ and\\u0009tab\", "
				  "\"status\": \"warn\"},\n"
				  "  \"result\": {\"value\": \"haxm cannot run guests\", "
				  "\"status\": \"fail\"}\n"
				  "}\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vendor),
		cmocka_unit_test(test_feature_control),
		cmocka_unit_test(test_decode_vmx),
		cmocka_unit_test(test_cap_names),
		cmocka_unit_test(test_build_good),
		cmocka_unit_test(test_build_no_vmx),
		cmocka_unit_test(test_build_cpu_features),
		cmocka_unit_test(test_build_feature_control),
		cmocka_unit_test(test_build_msr_unreadable),
		cmocka_unit_test(test_build_vmx_flags),
		cmocka_unit_test(test_build_module),
		cmocka_unit_test(test_build_mitigations),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
