// SPDX-License-Identifier: GPL-2.0
/* Host probing for `haxm check`: CPUID, MSRs, sysfs and /dev/HAX. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "libhaxm.h"

int host_read_msr(uint32_t msr, uint64_t *val)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(HOST_MSR_DEV, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = pread(fd, val, sizeof(*val), msr);
	if (n < 0)
		err = errno;
	else if (n != sizeof(*val))
		err = EIO;
	close(fd);
	return err;
}

static void host_probe_cpuid(struct host_info *h)
{
	uint32_t a, b, c, d;

	__get_cpuid(0, &a, &h->vendor[0], &h->vendor[2], &h->vendor[1]);
	if (__get_cpuid(1, &a, &b, &c, &d))
		h->leaf1_ecx = c;
	h->ext_max = __get_cpuid_max(0x80000000, NULL);
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		h->ext1_edx = d;
}

static void host_probe_msrs(struct host_info *h)
{
	h->fc_err = host_read_msr(MSR_IA32_FEATURE_CONTROL, &h->feature_control);
	h->procbased_err = ENODEV;
	h->procbased2_err = ENODEV;
	if (!(h->leaf1_ecx & CPUID_1_ECX_VMX))
		return;
	h->procbased_err = host_read_msr(MSR_IA32_VMX_PROCBASED_CTLS, &h->procbased);
	/* Bit 63: "activate secondary controls" may be 1, so CTLS2 exists. */
	if (!h->procbased_err && (h->procbased >> 63))
		h->procbased2_err = host_read_msr(MSR_IA32_VMX_PROCBASED_CTLS2, &h->procbased2);
}

/* A small text file, NUL-terminated in buf. Returns 0 or an errno. */
static int host_read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* Whether the space-separated list @flags has the word @word. */
static bool has_word(const char *flags, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(flags, word); p; p = strstr(p + 1, word))
		if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static void host_probe_vmx_flags(struct host_info *h)
{
	char line[4096];
	FILE *f = fopen(HOST_CPUINFO, "re");

	if (!f)
		return;
	/* The first CPU's line: "vmx flags\t: vnmi preemption_timer ..." */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "vmx flags", 9) || !strchr(line, ':'))
			continue;
		h->vmx_flags_read = true;
		h->vmx_flag_ept = has_word(line, "ept");
		h->vmx_flag_ug = has_word(line, "unrestricted_guest");
		h->vmx_flag_vpid = has_word(line, "vpid");
		break;
	}
	fclose(f);
}

static void host_probe_module(struct host_info *h)
{
	struct stat st;
	int fd;

	h->kvm_intel = !stat(HOST_SYS_KVM_INTEL, &st);
	h->haxm_loaded = !stat(HOST_SYS_HAXM, &st);
	h->dev_err = stat(HAX_DEVFS_SYSTEM, &st) ? errno : 0;
	if (!h->dev_err) {
		h->dev_mode = st.st_mode;
		h->dev_uid = st.st_uid;
		h->dev_gid = st.st_gid;
		h->dev_access_err = access(HAX_DEVFS_SYSTEM, R_OK | W_OK) ? errno : 0;
	}
	h->mit_err = host_read_text(HOST_SYS_HAXM_MIT, h->mitigations, sizeof(h->mitigations));
	fd = hax_open_system();
	if (fd < 0) {
		h->version_err = h->cap_err = errno;
		return;
	}
	h->version_err = hax_get_version(fd, &h->version) ? errno : 0;
	h->cap_err = hax_get_capability(fd, &h->cap) ? errno : 0;
	close(fd);
}

void host_probe(struct host_info *h)
{
	memset(h, 0, sizeof(*h));
	host_probe_cpuid(h);
	host_probe_msrs(h);
	host_probe_vmx_flags(h);
	host_probe_module(h);
}
