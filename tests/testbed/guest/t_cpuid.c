// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what guests see (hypervisor leaf, filtered features, per-vCPU APIC
 * ids), SET/GET_CPUID and their errors, and a comparison with what
 * kvm_intel offers its guests on the same (emulated) CPU.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

struct cpuid_buf {
	struct hax_cpuid h;
	struct hax_cpuid_entry e[HAX_MAX_CPUID_ENTRIES + 1];
};

static struct hax_cpuid_entry *find(struct cpuid_buf *b, uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < b->h.total; i++)
		if (b->e[i].function == fn && b->e[i].index == idx)
			return &b->e[i];
	return NULL;
}

static int get_table(struct vm_ctx *c, struct cpuid_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->h.total = HAX_MAX_CPUID_ENTRIES;
	CHECK_OK(hax_get_cpuid(c->vcpu_fd, &b->h));
	CHECK(b->h.total > 8 && b->h.total <= HAX_MAX_CPUID_ENTRIES);
	return 0;
}

/* CPUID leaf EAX (subleaf 0); EBX ECX EDX out to ports 0x80, 0x81, 0x82. */
GUEST_CODE(g_cpuid, ".code16\n"
		    "mov $0x40000000, %eax\n xor %ecx, %ecx\n cpuid\n"
		    "mov %ebx, %eax\n out %eax, $0x80\n mov %ecx, %eax\n out %eax, $0x81\n"
		    "mov %edx, %eax\n out %eax, $0x82\n"
		    "mov $1, %eax\n xor %ecx, %ecx\n cpuid\n"
		    "mov %ebx, %eax\n out %eax, $0x80\n mov %ecx, %eax\n out %eax, $0x81\n"
		    "mov %edx, %eax\n out %eax, $0x82\n"
		    "mov $0xb, %eax\n xor %ecx, %ecx\n cpuid\n"
		    "mov %edx, %eax\n out %eax, $0x82\n"
		    "hlt\n");

static int out32(struct vm_ctx *c, uint16_t port, uint32_t *v)
{
	if (expect_exit(c, HAX_EXIT_IO))
		return 1;
	CHECK_EQ(c->tunnel->io._port, port);
	CHECK_EQ(c->tunnel->io._size, 4);
	memcpy(v, c->iobuf, 4);
	return 0;
}

/* Runs g_cpuid on the vCPU in @c; @id is its vCPU id. */
static int check_guest_cpuid(struct vm_ctx *c, uint32_t id, uint32_t *leaf1_ecx)
{
	uint32_t b, cx, d;

	if (vm_load_real(c, 0x1000, g_cpuid_start, g_cpuid_end))
		return 1;
	if (out32(c, 0x80, &b) || out32(c, 0x81, &cx) || out32(c, 0x82, &d))
		return 1;
	CHECK(!memcmp(&b, "HAXM", 4) && !memcmp(&cx, "HAXM", 4) && !memcmp(&d, "HAXM", 4));
	if (out32(c, 0x80, &b) || out32(c, 0x81, &cx) || out32(c, 0x82, &d))
		return 1;
	CHECK_EQ(b >> 24, id);	      /* initial APIC id */
	CHECK(cx & (1u << 31));	      /* hypervisor present */
	CHECK_EQ(cx & (3u << 5), 0);  /* no VMX, no SMX */
	CHECK_EQ(cx & (1u << 3), 0);  /* no MONITOR/MWAIT */
	CHECK_EQ(cx & (1u << 21), 0); /* no x2APIC */
	CHECK(d & (1u << 26));	      /* SSE2 */
	*leaf1_ecx = cx;
	if (out32(c, 0x82, &d))
		return 1;
	CHECK_EQ(d, id); /* x2APIC id */
	return expect_exit(c, HAX_EXIT_HLT);
}

VM_TEST(cpuid_guest_sees_filtered_leaves, 64 << 10)
{
	struct vm_ctx c1 = *c;
	uint32_t ecx;
	int r;

	if (check_guest_cpuid(c, 0, &ecx))
		return 1;
	/* A second vCPU has its own APIC id. */
	CHECK_OK(hax_create_vcpu(c->vm_fd, 3));
	CHECK_OK(c1.vcpu_fd = hax_open_vcpu(c->vm_id, 3));
	r = hax_setup_tunnel(c1.vcpu_fd, &c1.tunnel, (void **)&c1.iobuf);
	if (r >= 0)
		r = check_guest_cpuid(&c1, 3, &ecx);
	else
		r = fail("SETUP_TUNNEL: %s", strerror(errno));
	if (c1.tunnel)
		munmap(c1.tunnel, 2 * 4096);
	close(c1.vcpu_fd);
	return r;
}

VM_TEST(cpuid_set_narrows, 64 << 10)
{
	struct cpuid_buf b;
	struct hax_cpuid_entry *e;
	uint32_t ecx, n;

	if (get_table(c, &b))
		return 1;
	n = b.h.total;
	e = find(&b, 1, 0);
	CHECK(e);
	CHECK(e->ecx & (1u << 0)); /* SSE3, which Skylake has */
	e->ecx &= ~1u;
	memcpy(&b.e[0], e, sizeof(*e));
	b.h.total = 1;
	CHECK_OK(hax_set_cpuid(c->vcpu_fd, &b.h));
	if (check_guest_cpuid(c, 0, &ecx))
		return 1;
	CHECK_EQ(ecx & 1, 0);
	if (get_table(c, &b))
		return 1;
	CHECK_EQ(b.h.total, n);
	CHECK_EQ(find(&b, 1, 0)->ecx & 1, 0);
	return 0;
}

VM_TEST(cpuid_ioctl_errors, 64 << 10)
{
	struct cpuid_buf b, t;
	struct hax_cpuid_entry one;
	uint32_t n;

	if (get_table(c, &t))
		return 1;
	n = t.h.total;
	/* total 0: the count only; too small: E2BIG and the count */
	memset(&b, 0, sizeof(b));
	CHECK_OK(hax_get_cpuid(c->vcpu_fd, &b.h));
	CHECK_EQ(b.h.total, n);
	b.h.total = 1;
	CHECK_ERRNO(hax_get_cpuid(c->vcpu_fd, &b.h), E2BIG);
	CHECK_EQ(b.h.total, n);
	CHECK_ERRNO(hax_get_cpuid(c->vcpu_fd, NULL), EFAULT);
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, NULL), EFAULT);
	CHECK_ERRNO(ioctl(c->vcpu_fd, HAX_VCPU_IOCTL_SET_CPUID, NULL), EFAULT);

	memset(&b, 0, sizeof(b));
	b.h.total = HAX_MAX_CPUID_ENTRIES + 1;
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), E2BIG);
	b.h.total = 0;
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), EINVAL);

	one = *find(&t, 1, 0);
	b.h.total = 1;
	b.e[0] = one;
	b.e[0].ecx |= 1u << 5; /* VMX: never offered */
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), EINVAL);
	b.e[0] = one;
	b.e[0].flags = 2;
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), EINVAL);
	b.e[0] = one;
	b.e[0].pad[1] = 1;
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), EINVAL);
	b.e[0] = (struct hax_cpuid_entry){ .function = 6 }; /* not in the table */
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), EINVAL);
	b.e[0] = *find(&t, 0, 0);
	b.e[0].eax += 1; /* a larger largest leaf */
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), EINVAL);
	/* A valid entry after refused ones: nothing was half-applied before. */
	b.h.total = 2;
	b.e[0] = one;
	b.e[1] = one;
	b.e[1].edx |= 1u << 18; /* PSN: hidden */
	CHECK_ERRNO(hax_set_cpuid(c->vcpu_fd, &b.h), EINVAL);
	if (get_table(c, &b))
		return 1;
	CHECK(!memcmp(&b.e, &t.e, n * sizeof(t.e[0])));
	return 0;
}

/* The same CPU seen through kvm_intel: KVM_GET_SUPPORTED_CPUID. */
static int kvm_supported(struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *k = NULL;
	int fd = open("/dev/kvm", O_RDWR), r;

	if (fd < 0)
		return fail("/dev/kvm: %s (kvm_intel not loaded?)", strerror(errno));
	k = calloc(1, sizeof(*k) + 256 * sizeof(k->entries[0]));
	CHECK(k);
	k->nent = 256;
	r = ioctl(fd, KVM_GET_SUPPORTED_CPUID, k);
	close(fd);
	if (r < 0) {
		free(k);
		return fail("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	}
	*out = k;
	return 0;
}

static struct kvm_cpuid_entry2 *kfind(struct kvm_cpuid2 *k, uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < k->nent; i++)
		if (k->entries[i].function == fn && k->entries[i].index == idx)
			return &k->entries[i];
	return NULL;
}

/* Bits haxm offers that kvm_intel does not. */
#define SUBSET(h, k, reg, allowed_extra)                                                  \
	do {                                                                              \
		uint32_t _x = (h)->reg & ~(k)->reg & ~(allowed_extra);                    \
		if (_x) {                                                                 \
			r = fail("leaf 0x%x.%u %s: haxm offers 0x%x, kvm_intel does not", \
				 (h)->function, (h)->index, #reg, _x);                    \
			goto out;                                                         \
		}                                                                         \
	} while (0)

VM_TEST(cpuid_agrees_with_kvm, 64 << 10)
{
	struct cpuid_buf b;
	struct kvm_cpuid2 *k = NULL;
	struct hax_cpuid_entry *h;
	struct kvm_cpuid_entry2 *ke;
	int r = 0;

	if (get_table(c, &b) || kvm_supported(&k))
		return 1;
	/* vendor and the signature (family, model, stepping) */
	h = find(&b, 0, 0);
	ke = kfind(k, 0, 0);
	if (!h || !ke || h->ebx != ke->ebx || h->ecx != ke->ecx || h->edx != ke->edx) {
		r = fail("leaf 0 vendor differs");
		goto out;
	}
	h = find(&b, 1, 0);
	ke = kfind(k, 1, 0);
	if (!h || !ke || h->eax != ke->eax) {
		r = fail("leaf 1 EAX (signature) differs");
		goto out;
	}
	/* the core features both offer: FPU TSC MSR PAE CX8 CMOV PAT MMX FXSR SSE SSE2 */
	if ((h->edx & 0x0781a131u) != 0x0781a131u || (ke->edx & 0x0781a131u) != 0x0781a131u) {
		r = fail("leaf 1 EDX core features: haxm 0x%x kvm 0x%x", h->edx, ke->edx);
		goto out;
	}
	/* SSE3 SSSE3 SSE4.1 SSE4.2 POPCNT agree */
	if ((h->ecx & 0x00980201u) != (ke->ecx & 0x00980201u)) {
		r = fail("leaf 1 ECX SSE3..POPCNT: haxm 0x%x kvm 0x%x", h->ecx, ke->ecx);
		goto out;
	}
	/* Nothing beyond what kvm_intel offers, but the hypervisor bit (KVM sets
	 * it in its own VMM) and PCID/x2APIC/TSC-deadline kvm emulates. */
	SUBSET(h, ke, ecx, 1u << 31);
	SUBSET(h, ke, edx, 0);
	h = find(&b, 7, 0);
	ke = kfind(k, 7, 0);
	if (h && ke) {
		/* ERMS: the testbed kernel drops it (fast strings off in its
		 * MISC_ENABLE); haxm's guests have fast strings on. */
		SUBSET(h, ke, ebx, 1u << 9);
		SUBSET(h, ke, ecx, 0);
		SUBSET(h, ke, edx, 0);
	}
	/* XSAVEOPT XSAVEC XGETBV1 as the host kernel uses them: the testbed's
	 * clearcpuid=xsavec,xsaves (Bochs' compacted layout is wrong) hides
	 * XSAVEC from the guests of both. */
	h = find(&b, 0xd, 1);
	ke = kfind(k, 0xd, 1);
	if (h && ke)
		SUBSET(h, ke, eax, 0);
	h = find(&b, 0x80000001, 0);
	ke = kfind(k, 0x80000001, 0);
	if (!h || !ke) {
		r = fail("leaf 0x80000001 missing");
		goto out;
	}
	SUBSET(h, ke, ecx, 0);
	SUBSET(h, ke, edx, 0);
	/* NX, long mode, SYSCALL in both */
	if ((h->edx & 0x20100800u) != 0x20100800u) {
		r = fail("leaf 0x80000001 EDX 0x%x: no NX/LM/SYSCALL", h->edx);
		goto out;
	}
out:
	free(k);
	return r;
}
