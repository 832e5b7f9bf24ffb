/* SPDX-License-Identifier: GPL-2.0 */
/* The raw facts `haxm check` reads from the running host. */
#ifndef HAXM_TOOL_HOST_H
#define HAXM_TOOL_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "haxm.h"

#define HOST_MSR_DEV	   "/dev/cpu/0/msr"
#define HOST_SYS_KVM_INTEL "/sys/module/kvm_intel"
#define HOST_SYS_HAXM	   "/sys/module/haxm"
#define HOST_SYS_HAXM_MIT  "/sys/module/haxm/parameters/mitigations"
#define HOST_CPUINFO	   "/proc/cpuinfo"

/* CPUID bits (SDM vol. 2A, CPUID). */
#define CPUID_1_ECX_VMX	      (1u << 5)
#define CPUID_80000001_EDX_NX (1u << 20)
#define CPUID_80000001_EDX_LM (1u << 29)

#define MSR_IA32_FEATURE_CONTROL     0x3a
#define MSR_IA32_VMX_PROCBASED_CTLS  0x482
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b

/*
 * What host_probe() found. Each *_err is 0 when the value next to it was
 * read, else the errno of the failure (ENODEV for a VMX MSR when the CPU
 * has no VMX, or when PROCBASED_CTLS2 does not exist).
 */
struct host_info {
	uint32_t vendor[3]; /* CPUID.0: EBX, EDX, ECX (the vendor string) */
	uint32_t leaf1_ecx; /* CPUID.1:ECX */
	uint32_t ext_max;   /* CPUID.80000000h:EAX */
	uint32_t ext1_edx;  /* CPUID.80000001h:EDX, 0 when absent */
	int fc_err;
	uint64_t feature_control;
	int procbased_err;
	uint64_t procbased;
	int procbased2_err;
	uint64_t procbased2;
	/*
	 * The kernel's own reading of those MSRs: the "vmx flags" line of
	 * /proc/cpuinfo (X86_VMX_FEATURE_NAMES, Linux 5.8+), for when the msr
	 * module is not loaded (Debian's kernels build it as a module).
	 */
	bool vmx_flags_read;
	bool vmx_flag_ept, vmx_flag_ug, vmx_flag_vpid;
	bool kvm_intel;	  /* /sys/module/kvm_intel exists */
	bool haxm_loaded; /* /sys/module/haxm exists */
	int dev_err;	  /* stat(/dev/HAX) */
	mode_t dev_mode;
	uid_t dev_uid;
	gid_t dev_gid;
	int dev_access_err; /* access(/dev/HAX, R_OK | W_OK) */
	int version_err;    /* opening /dev/HAX, then HAX_IOCTL_VERSION */
	struct hax_module_version version;
	int cap_err; /* opening /dev/HAX, then HAX_IOCTL_CAPABILITY */
	struct hax_capabilityinfo cap;
	int mit_err;		/* reading HOST_SYS_HAXM_MIT */
	char mitigations[1024]; /* its "name on|off why" lines */
};

/**
 * host_read_msr() - read an MSR of CPU 0 through the msr driver.
 * @msr: the MSR's index
 * @val: receives its value
 *
 * Returns 0 or an errno: ENOENT (no /dev/cpu/0/msr: the msr module is not
 * loaded), EACCES or EPERM (not root), EIO (the CPU has no such MSR).
 */
int host_read_msr(uint32_t msr, uint64_t *val);

/**
 * host_probe() - read every fact `haxm check` reports from the running host:
 * CPUID, the MSRs, /sys/module, /dev/HAX and the module's ioctls.
 * @h: filled in
 *
 * Never fails: what cannot be read is recorded in the *_err fields.
 */
void host_probe(struct host_info *h);

#endif /* HAXM_TOOL_HOST_H */
