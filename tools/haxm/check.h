/* SPDX-License-Identifier: GPL-2.0 */
/* `haxm check`: decoding the host's facts into a report (pure functions). */
#ifndef HAXM_TOOL_CHECK_H
#define HAXM_TOOL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"

/* IA32_FEATURE_CONTROL bits. */
#define FEATURE_CONTROL_LOCKED		(1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)

/* IA32_VMX_PROCBASED_CTLS2 allowed-1 bits (the MSR's high dword). */
#define PROCBASED2_EPT	(1u << 1)
#define PROCBASED2_VPID (1u << 5)
#define PROCBASED2_UG	(1u << 7)

enum check_status {
	CHECK_OK,
	CHECK_WARN,
	CHECK_FAIL,
};

enum feature_control_state {
	FC_UNLOCKED, /* firmware left it open; haxm refuses to write it */
	FC_VMX_ON,   /* locked with VMX outside SMX enabled */
	FC_VMX_OFF,  /* locked with VMX outside SMX disabled */
};

struct vmx_features {
	bool ept;
	bool vpid;
	bool ug;
};

#define CHECK_VALUE_MAX 160
#define CHECK_MAX_ITEMS 32

struct check_item {
	const char *key;
	char value[CHECK_VALUE_MAX];
	enum check_status status;
};

struct check_report {
	int n;
	struct check_item items[CHECK_MAX_ITEMS];
	bool can_run; /* no item failed */
};

/**
 * check_vendor() - the CPU vendor string from CPUID leaf 0.
 * @regs: EBX, EDX, ECX of leaf 0, in that order
 * @buf:  receives the 12 characters and a NUL; at least 13 bytes
 *
 * Never fails.
 */
void check_vendor(const uint32_t regs[3], char *buf);

/**
 * check_decode_feature_control() - what IA32_FEATURE_CONTROL says about VMX.
 * @msr: the MSR's value
 *
 * Never fails.
 */
enum feature_control_state check_decode_feature_control(uint64_t msr);

/**
 * check_decode_vmx() - the secondary controls haxm cares about, from the
 * capability MSRs.
 * @procbased:  IA32_VMX_PROCBASED_CTLS
 * @procbased2: IA32_VMX_PROCBASED_CTLS2; ignored unless @procbased bit 63
 * @out:        receives EPT, VPID and unrestricted guest: whether each may
 *              be enabled
 *
 * Never fails.
 */
void check_decode_vmx(uint64_t procbased, uint64_t procbased2, struct vmx_features *out);

/**
 * check_cap_names() - HAX_IOCTL_CAPABILITY decoded: "working: ept ug ..." or
 * "not working: vt nx" (just "working" or "not working" when winfo is 0),
 * then "; memquota N MiB" when HAX_CAP_MEMQUOTA is set. Unknown winfo bits
 * appear as "bitN".
 * @cap: the capability record
 * @buf: receives the text
 * @len: size of @buf
 *
 * Returns 0, or -1 with errno ERANGE when @buf is too small (it then holds a
 * truncated, NUL-terminated text).
 */
int check_cap_names(const struct hax_capabilityinfo *cap, char *buf, size_t len);

/**
 * check_build() - judge the host's facts, one item per line of the report.
 * @h: what host_probe() found
 * @r: receives the items and the verdict
 *
 * Never fails.
 */
void check_build(const struct host_info *h, struct check_report *r);

/**
 * check_print() - print a report: "key: value [ok|warn|FAIL]" lines, or one
 * JSON object mapping each key to {"value": ..., "status": ...}.
 * @f:    where to print
 * @r:    the report
 * @json: JSON instead of lines
 *
 * Returns 0, or -1 with errno set when writing to @f failed.
 */
int check_print(FILE *f, const struct check_report *r, bool json);

#endif /* HAXM_TOOL_CHECK_H */
