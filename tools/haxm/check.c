// SPDX-License-Identifier: GPL-2.0
/* `haxm check`: judge the host (host.c reads it) and print the report. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "cmds.h"

static const char check_usage[] =
	"usage: haxm check [--json]\n"
	"\n"
	"Report whether this host can run haxm guests: the CPU's VT-x features\n"
	"(CPUID, and the VMX MSRs through " HOST_MSR_DEV "), kvm_intel, the haxm\n"
	"module and /dev/HAX. One \"name: value [ok|warn|FAIL]\" line per item.\n"
	"\n"
	"  --json    print one JSON object instead: {\"name\": {\"value\", \"status\"}}\n"
	"  --help    this text\n"
	"\n"
	"Exit status: 0 when haxm can run guests, 1 when not, 2 on a usage error.\n";

void check_vendor(const uint32_t regs[3], char *buf)
{
	memcpy(buf, regs, 12);
	buf[12] = '\0';
}

enum feature_control_state check_decode_feature_control(uint64_t msr)
{
	if (!(msr & FEATURE_CONTROL_LOCKED))
		return FC_UNLOCKED;
	return (msr & FEATURE_CONTROL_VMX_OUTSIDE_SMX) ? FC_VMX_ON : FC_VMX_OFF;
}

void check_decode_vmx(uint64_t procbased, uint64_t procbased2, struct vmx_features *out)
{
	uint32_t allowed1 = (procbased >> 63) ? (uint32_t)(procbased2 >> 32) : 0;

	out->ept = allowed1 & PROCBASED2_EPT;
	out->vpid = allowed1 & PROCBASED2_VPID;
	out->ug = allowed1 & PROCBASED2_UG;
}

/* Append to a NUL-terminated string in buf[len]; false once it is truncated. */
static bool append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < len - used;
}

int check_cap_names(const struct hax_capabilityinfo *cap, char *buf, size_t len)
{
	static const char *const working[16] = {
		"ept",
		"fastmmio",
		"ug",
		"64bit_ramblock",
		"64bit_setram",
		"tunnel_page",
		"ram_protection",
		"debug",
		"implicit_ramblock",
		"cpuid",
		[10] = "msi", /* haxm extensions */
		[11] = "pic_pit",
		[12] = "ioapic",
		[13] = "lapic",
		[14] = "vcpu_state",
		[15] = "dirty_log",
	};
	static const char *const failed[16] = { "vt", "nx" };
	bool is_working = cap->wstatus & HAX_CAP_STATUS_WORKING;
	const char *const *names = is_working ? working : failed;
	bool ok;
	int bit;

	if (!len) {
		errno = ERANGE;
		return -1;
	}
	buf[0] = '\0';
	ok = append(buf, len, "%s", is_working ? "working" : "not working");
	for (bit = 0; ok && bit < 16; bit++) {
		const char *sep = cap->winfo & ((1u << bit) - 1) ? " " : ": ";

		if (!(cap->winfo & (1u << bit)))
			continue;
		if (names[bit])
			ok = append(buf, len, "%s%s", sep, names[bit]);
		else
			ok = append(buf, len, "%sbit%d", sep, bit);
	}
	if (ok && (cap->wstatus & HAX_CAP_MEMQUOTA))
		ok = append(buf, len, "; memquota %llu MiB", (unsigned long long)cap->mem_quota);
	if (!ok) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

static void add(struct check_report *r, const char *key, enum check_status status, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static void add(struct check_report *r, const char *key, enum check_status status, const char *fmt,
		...)
{
	struct check_item *it = &r->items[r->n++];
	va_list ap;

	it->key = key;
	it->status = status;
	va_start(ap, fmt);
	vsnprintf(it->value, sizeof(it->value), fmt, ap);
	va_end(ap);
	if (status == CHECK_FAIL)
		r->can_run = false;
}

/* Why an MSR could not be read, for "unknown (...)". */
static void add_msr_unknown(struct check_report *r, const char *key, enum check_status status,
			    uint32_t msr, int err)
{
	if (err == ENOENT)
		add(r, key, status, "unknown (no " HOST_MSR_DEV ")");
	else
		add(r, key, status, "unknown (MSR %#x: %s)", msr, strerror(err));
}

static void add_yes_no(struct check_report *r, const char *key, bool yes, enum check_status if_no)
{
	add(r, key, yes ? CHECK_OK : if_no, "%s", yes ? "yes" : "no");
}

/* The same from /proc/cpuinfo's "vmx flags", saying so. */
static void add_flag(struct check_report *r, const char *key, bool yes, enum check_status if_no)
{
	add(r, key, yes ? CHECK_OK : if_no, "%s (" HOST_CPUINFO " vmx flags)", yes ? "yes" : "no");
}

static void build_cpu(const struct host_info *h, struct check_report *r)
{
	bool has_ext1 = h->ext_max >= 0x80000001;
	char vendor[13];

	check_vendor(h->vendor, vendor);
	if (!strcmp(vendor, "GenuineIntel"))
		add(r, "cpu_vendor", CHECK_OK, "%s", vendor);
	else
		add(r, "cpu_vendor", CHECK_WARN, "%s (VT-x is Intel's)", vendor);
	add_yes_no(r, "vmx", h->leaf1_ecx & CPUID_1_ECX_VMX, CHECK_FAIL);
	add_yes_no(r, "nx", has_ext1 && (h->ext1_edx & CPUID_80000001_EDX_NX), CHECK_FAIL);
	add_yes_no(r, "long_mode", has_ext1 && (h->ext1_edx & CPUID_80000001_EDX_LM), CHECK_FAIL);
}

static void build_feature_control(const struct host_info *h, struct check_report *r)
{
	const char *key = "feature_control";

	if (h->fc_err) {
		add_msr_unknown(r, key, CHECK_WARN, MSR_IA32_FEATURE_CONTROL, h->fc_err);
		return;
	}
	switch (check_decode_feature_control(h->feature_control)) {
	case FC_VMX_ON:
		add(r, key, CHECK_OK, "%#llx (locked, VMX enabled)",
		    (unsigned long long)h->feature_control);
		break;
	case FC_VMX_OFF:
		add(r, key, CHECK_FAIL, "%#llx (locked, VMX disabled: enable VT-x in the firmware)",
		    (unsigned long long)h->feature_control);
		break;
	case FC_UNLOCKED:
		add(r, key, CHECK_FAIL, "%#llx (unlocked: haxm needs it locked with VMX enabled)",
		    (unsigned long long)h->feature_control);
		break;
	}
}

static void build_vmx_features(const struct host_info *h, struct check_report *r)
{
	struct vmx_features f;
	uint32_t msr = MSR_IA32_VMX_PROCBASED_CTLS;
	int err = h->procbased_err;

	if (!(h->leaf1_ecx & CPUID_1_ECX_VMX)) {
		add(r, "ept", CHECK_FAIL, "no (no VMX)");
		add(r, "unrestricted_guest", CHECK_FAIL, "no (no VMX)");
		add(r, "vpid", CHECK_WARN, "no (no VMX)");
		return;
	}
	if (!err && (h->procbased >> 63)) {
		msr = MSR_IA32_VMX_PROCBASED_CTLS2;
		err = h->procbased2_err;
	}
	if (err && h->vmx_flags_read) {
		/* What the kernel read from the same MSRs at boot. */
		add_flag(r, "ept", h->vmx_flag_ept, CHECK_FAIL);
		add_flag(r, "unrestricted_guest", h->vmx_flag_ug, CHECK_FAIL);
		add_flag(r, "vpid", h->vmx_flag_vpid, CHECK_WARN);
		return;
	}
	if (err) {
		add_msr_unknown(r, "ept", CHECK_WARN, msr, err);
		add_msr_unknown(r, "unrestricted_guest", CHECK_WARN, msr, err);
		add_msr_unknown(r, "vpid", CHECK_WARN, msr, err);
		return;
	}
	check_decode_vmx(h->procbased, h->procbased2, &f);
	add_yes_no(r, "ept", f.ept, CHECK_FAIL);
	add_yes_no(r, "unrestricted_guest", f.ug, CHECK_FAIL);
	/* haxm uses VPIDs when it can, and runs without. */
	add_yes_no(r, "vpid", f.vpid, CHECK_WARN);
}

static void build_module(const struct host_info *h, struct check_report *r)
{
	char caps[CHECK_VALUE_MAX];

	if (h->kvm_intel)
		add(r, "kvm_intel", CHECK_WARN, "loaded (it holds VMX while it runs VMs)");
	else
		add(r, "kvm_intel", CHECK_OK, "not loaded");
	if (h->haxm_loaded)
		add(r, "haxm_module", CHECK_OK, "loaded");
	else
		add(r, "haxm_module", CHECK_FAIL, "not loaded");

	if (h->version_err) {
		add(r, "api_version", CHECK_FAIL, "unknown (" HAX_DEVFS_SYSTEM ": %s)",
		    strerror(h->version_err));
	} else {
		/* What QEMU demands: our API version, served by the module. */
		bool ok = h->version.cur_version >= HAX_API_CUR_VERSION &&
			  h->version.compat_version <= HAX_API_CUR_VERSION;

		add(r, "api_version", ok ? CHECK_OK : CHECK_FAIL, "compat %u, current %u",
		    h->version.compat_version, h->version.cur_version);
	}

	if (h->cap_err) {
		add(r, "capability", CHECK_FAIL, "unknown (" HAX_DEVFS_SYSTEM ": %s)",
		    strerror(h->cap_err));
	} else {
		/* Too long a text is truncated, which is all we can do. */
		check_cap_names(&h->cap, caps, sizeof(caps));
		if (!(h->cap.wstatus & HAX_CAP_STATUS_WORKING))
			add(r, "capability", CHECK_FAIL, "%s", caps);
		else if (!(h->cap.winfo & HAX_CAP_UG))
			add(r, "capability", CHECK_WARN, "%s (QEMU needs ug)", caps);
		else
			add(r, "capability", CHECK_OK, "%s", caps);
	}

	if (h->dev_err == ENOENT)
		add(r, "dev_hax", CHECK_FAIL, "missing");
	else if (h->dev_err)
		add(r, "dev_hax", CHECK_FAIL, "unknown (%s)", strerror(h->dev_err));
	else if (!S_ISCHR(h->dev_mode))
		add(r, "dev_hax", CHECK_FAIL, "not a character device");
	else
		add(r, "dev_hax", h->dev_access_err ? CHECK_WARN : CHECK_OK,
		    "mode %04o, owner %u, group %u%s", (unsigned int)(h->dev_mode & 07777),
		    (unsigned int)h->dev_uid, (unsigned int)h->dev_gid,
		    h->dev_access_err ? " (not read-writable by this user)" : "");
}

/*
 * The module's entry/exit mitigations (/sys/module/haxm/parameters/
 * mitigations: "name on|off why" lines), one item each: information, never
 * a failure (they follow what the host kernel chose for itself).
 */
static void build_mitigations(const struct host_info *h, struct check_report *r)
{
	static const char *const names[] = { "verw", "rsb",  "rsb_lite", "spec_ctrl",
					     "bhb",  "ibpb", "l1d",	 "ibpb_user" };
	static const char *const keys[] = { "mitigation_verw",	   "mitigation_rsb",
					    "mitigation_rsb_lite", "mitigation_spec_ctrl",
					    "mitigation_bhb",	   "mitigation_ibpb",
					    "mitigation_l1d",	   "mitigation_ibpb_user" };
	const char *line = h->mitigations;
	char name[32], state[8];
	size_t i;
	int used;

	if (!h->haxm_loaded)
		return;
	if (h->mit_err) {
		add(r, "mitigations", CHECK_WARN, "unknown (%s)", strerror(h->mit_err));
		return;
	}
	while (*line && r->n < CHECK_MAX_ITEMS - 1) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);

		used = 0;
		if (sscanf(line, "%31s %7s %n", name, state, &used) == 2 && used <= len) {
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (!strcmp(name, names[i]))
					add(r, keys[i], CHECK_OK, "%.*s", len - used, line + used);
		}
		line += len + (end != NULL);
	}
}

void check_build(const struct host_info *h, struct check_report *r)
{
	r->n = 0;
	r->can_run = true;
	build_cpu(h, r);
	build_feature_control(h, r);
	build_vmx_features(h, r);
	build_module(h, r);
	build_mitigations(h, r);
	if (r->can_run)
		add(r, "result", CHECK_OK, "haxm can run guests");
	else
		add(r, "result", CHECK_FAIL, "haxm cannot run guests");
}

static const char *status_name(enum check_status s, bool json)
{
	switch (s) {
	case CHECK_OK:
		return "ok";
	case CHECK_WARN:
		return "warn";
	case CHECK_FAIL:
		break;
	}
	return json ? "fail" : "FAIL";
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int check_print(FILE *f, const struct check_report *r, bool json)
{
	int i;

	if (json)
		fputs("{", f);
	for (i = 0; i < r->n; i++) {
		const struct check_item *it = &r->items[i];

		if (!json) {
			fprintf(f, "%s: %s [%s]\n", it->key, it->value,
				status_name(it->status, false));
			continue;
		}
		fputs(i ? ",\n  " : "\n  ", f);
		json_string(f, it->key);
		fputs(": {\"value\": ", f);
		json_string(f, it->value);
		fprintf(f, ", \"status\": \"%s\"}", status_name(it->status, true));
	}
	if (json)
		fputs("\n}\n", f);
	if (fflush(f) || ferror(f))
		return -1;
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct check_report r;
	struct host_info h;
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(check_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "haxm check: unknown argument '%s'\n%s", argv[i],
				check_usage);
			return 2;
		}
	}
	host_probe(&h);
	check_build(&h, &r);
	if (check_print(stdout, &r, json)) {
		perror("haxm check: stdout");
		return 1;
	}
	return r.can_run ? 0 : 1;
}
