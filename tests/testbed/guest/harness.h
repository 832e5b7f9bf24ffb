/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-guest test runner: host-side test code and the guest code it runs
 * live in one file per area; results go to the console as PASS/FAIL lines
 * that tests/testbed/parse.py counts.
 */
#ifndef HAXM_TESTBED_HARNESS_H
#define HAXM_TESTBED_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "libhaxm.h"

struct test {
	const char *name;
	int (*fn)(void); /* 0: pass; non-zero: failed (the reason printed) */
};

/* Each area registers its tests in a section, collected by the linker. */
#define TEST(name)                                                                                 \
	static int test_##name(void);                                                              \
	static const struct test test_desc_##name                                                  \
		__attribute__((used, section("haxm_tests"), aligned(8))) = { #name, test_##name }; \
	static int test_##name(void)

/* Record why the current test failed; returns 1 so tests can `return fail(...)`. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A test that cannot run on this boot (e.g. it needs 2 CPUs): `return
 * skip(...)` prints `SKIP: name: reason`, counted as neither passed nor failed.
 */
#define TEST_SKIPPED 77
int skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* read_all() - a whole file as a malloc'ed string, or NULL (errno set). */
char *read_all(const char *path);
/*
 * apicv_mode() - what the module does with the in-kernel LAPIC's xAPIC page
 * on this boot (core/vmx/apicv.c): 0 emulated (haxm.apicv=0, or the CPU
 * lacks "vapic_reg"), 1 virtualized, 2 virtualized with virtual-interrupt
 * delivery ("vid"); -1 after fail().
 */
int apicv_mode(void);
/*
 * stat_reason() - the count of exit reason @name ("IO", "PAUSE"...) in the
 * exit statistics directory @dir (debugfs haxm/, vmNN/ or vmNN/vcpuMM/):
 * 0 when absent. 0, or 1 after fail() when the file cannot be read.
 */
int stat_reason(const char *dir, const char *name, uint64_t *v);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			return fail("%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)
#define CHECK_EQ(a, b)                                                                          \
	do {                                                                                    \
		unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b);  \
		if (_a != _b)                                                                   \
			return fail("%s:%d: %s == 0x%llx, expected 0x%llx", __FILE__, __LINE__, \
				    #a, _a, _b);                                                \
	} while (0)
/* A call expected to fail with errno @err. */
#define CHECK_ERRNO(call, err)                                                                  \
	do {                                                                                    \
		errno = 0;                                                                      \
		long _r = (long)(call);                                                         \
		if (_r != -1 || errno != (err))                                                 \
			return fail(                                                            \
				"%s:%d: %s returned %ld errno %d (%s), expected errno %d (%s)", \
				__FILE__, __LINE__, #call, _r, errno, strerror(errno), err,     \
				strerror(err));                                                 \
	} while (0)
#define CHECK_OK(call)                                                                 \
	do {                                                                           \
		errno = 0;                                                             \
		long _r = (long)(call);                                                \
		if (_r < 0)                                                            \
			return fail("%s:%d: %s failed: %s", __FILE__, __LINE__, #call, \
				    strerror(errno));                                  \
	} while (0)

/* Guest code: bytes between two labels, assembled with the test. */
#define GUEST_CODE(name, body)                                                   \
	extern const uint8_t name##_start[], name##_end[];                       \
	asm(".pushsection .rodata\n" #name "_start:\n" body "\n" #name "_end:\n" \
	    ".code64\n.popsection\n")

/* A VM with RAM at guest-physical 0 and one vCPU with its tunnel. */
struct vm_ctx {
	int sys_fd, vm_fd, vcpu_fd;
	uint32_t vm_id;
	uint8_t *ram;
	uint64_t ram_size;
	struct hax_tunnel *tunnel;
	uint8_t *iobuf;
};

/* A test in a fresh VM set up by @setup (on a struct vm_ctx ctx), torn down after. */
#define VM_TEST_SETUP(name, setup)                \
	static int name##_body(struct vm_ctx *c); \
	TEST(name)                                \
	{                                         \
		struct vm_ctx ctx;                \
		int r = (setup);                  \
		if (!r)                           \
			r = name##_body(&ctx);    \
		vm_teardown(&ctx);                \
		return r;                         \
	}                                         \
	static int name##_body(struct vm_ctx *c)
/* ...with @ram bytes of RAM (vm_setup()) */
#define VM_TEST(name, ram) VM_TEST_SETUP(name, vm_setup(&ctx, ram))

/* vm_setup() - everything up to a runnable vCPU; 0 or a failure reported. */
int vm_setup(struct vm_ctx *c, uint64_t ram_size);
void vm_teardown(struct vm_ctx *c);

/* Copy guest code to @gpa and point a real-mode vCPU (CS=0) at it. */
int vm_load_real(struct vm_ctx *c, uint64_t gpa, const uint8_t *start, const uint8_t *end);

/* vm_run() - RUN once; 0 or a failure reported. */
int vm_run(struct vm_ctx *c);

/*
 * vm_run_cut() - RUN once with a SIGALRM due after @ms milliseconds (no
 * SA_RESTART): a guest that never exits by itself ends with an INTERRUPT
 * exit. 0 (the exit in c->tunnel) or a failure reported.
 */
int vm_run_cut(struct vm_ctx *c, unsigned int ms);

/* expect_out() - RUN and require an OUT of @size bytes of @value to @port. */
int expect_out(struct vm_ctx *c, uint16_t port, uint8_t size, uint32_t value);
/* expect_exit() - RUN and require exit status @status. */
int expect_exit(struct vm_ctx *c, uint32_t status);

/* Real-mode guest code that spins forever with interrupts off (CLI; JMP $). */
extern const uint8_t g_cli_spin_start[], g_cli_spin_end[];

/* vm_load_spin() - load g_cli_spin at 0x1000 (vm_load_real()); 0 or a failure. */
int vm_load_spin(struct vm_ctx *c);

/*
 * spin_child() - fork a child that makes a 64 KiB VM, loads g_cli_spin and
 * stays in RUN until it is killed. Returns the child's pid once the child is
 * about to enter RUN, with its VM's id in *@vm_id; -1 with a failure reported
 * (no child left behind).
 */
int spin_child(uint32_t *vm_id);

/* unload_module_nb() - delete_module("haxm", O_NONBLOCK): 0, or -1 and errno. */
long unload_module_nb(void);

/* Pins the calling thread to CPU @cpu; 1 (a FAIL reason set) if it cannot. */
int pin_to(int cpu);

/* The module's live-object counters (/sys/kernel/debug/haxm/<name>). */
struct hax_counts {
	uint64_t vms, vcpus, pinned_pages, kernel_pages, allocations, huge_pages;
};

/*
 * exit_count() - vCPU 0's count of VM exits of reason @name (as debugfs
 * exit_reasons names them, e.g. "EXCEPTION_NMI"); 0 when it has none, -1 when
 * the file cannot be read.
 */
long long exit_count(struct vm_ctx *c, const char *name);

/* counts_read() - read all counters (mounting debugfs if needed); 0 or a failure reported. */
int counts_read(struct hax_counts *c);

/*
 * counts_expect() - the counters equal @base: whatever ran since @base was
 * read freed every VM, vCPU, pinned page, page and allocation it made.
 * 0 or a failure naming the counters that differ.
 */
int counts_expect(const struct hax_counts *base);

/* ---- shared guest loaders ------------------------------------------------ */

/* thp_alloc() - @size bytes, 2 MiB-aligned, THP-backed, populated; NULL on failure (t_huge.c). */
uint8_t *thp_alloc(uint64_t size);
/* thp_blocks() - how many of the @n 2 MiB blocks at @a are one contiguous, aligned host page. */
int thp_blocks(const uint8_t *a, int n);

/* lapic_setup() - a VM like vm_setup()'s, in-kernel LAPICs enabled before its vCPU (t_lapic.c). */
int lapic_setup(struct vm_ctx *c, uint64_t ram_size);
/* A test in a fresh VM from lapic_setup() with 1 MiB of RAM, torn down after. */
#define LAPIC_TEST(name) VM_TEST_SETUP(name, lapic_setup(&ctx, 1 << 20))
/* lapic_setup_flags() - the same with LAPIC_ENABLE's @flags (HAX_LAPIC_ENABLE_*). */
int lapic_setup_flags(struct vm_ctx *c, uint64_t ram_size, uint32_t flags);
/* load_unreal() - real mode at @gpa on vCPU @fd, FS a flat 4 GiB segment at 0, SP @sp. */
int load_unreal(int fd, uint8_t *ram, uint64_t gpa, const uint8_t *s, const uint8_t *e,
		uint64_t sp);
/* A real-mode handler (unreal FS): report @vec on port 0x80, EOI, return (t_lapic*.c). */
#define LAPIC_HANDLER(name, vec)                                                  \
	GUEST_CODE(name, ".code16\n push %eax\n push %ebx\n mov $" #vec ", %al\n" \
			 " out %al, $0x80\n mov $0xfee00000, %ebx\n"              \
			 " movl $0, %fs:0xb0(%ebx)\n pop %ebx\n pop %eax\n iret\n")
/* lapic_ivt_set() - copy [@s, @e) to @gpa and point real-mode vector @vec at it. */
void lapic_ivt_set(uint8_t *ram, int vec, uint32_t gpa, const uint8_t *s, const uint8_t *e);

/* A 4-level long-mode vCPU (vm_load_long()); zero fields take the defaults. */
struct long_mode {
	uint64_t tables;   /* guest-physical PML4; the PDPT and @gib PDs follow */
	unsigned int gib;  /* GiB identity-mapped by 2 MiB pages (default 1, at most 512) */
	uint64_t cr0_set;  /* bits added to CR0 = PG NE ET PE */
	uint64_t cr4_set;  /* bits added to CR4 = PAE */
	uint32_t efer_set; /* bits added to EFER = LME LMA */
	uint64_t rflags;   /* default 2 */
};

/*
 * vm_load_long() - copy [start, end) to @gpa (below the tables), build
 * the identity map @m describes in c->ram, and point the vCPU at @gpa in
 * 64-bit mode: CS 8 (L=1), DS/ES/SS 16 (flat), RSP 0x8000. 0 or a failure.
 */
int vm_load_long(struct vm_ctx *c, const struct long_mode *m, uint64_t gpa, const uint8_t *start,
		 const uint8_t *end);

/* A kvm_intel VM with RAM at guest-physical 0 and one vCPU, for comparisons. */
struct kvm_ctx {
	int kvm, vm, vcpu, run_size;
	struct kvm_run *run;
	uint8_t *ram;
	uint64_t ram_size;
};

/*
 * kvm_setup_real() - the KVM twin of vm_setup() + vm_load_real(): @ram_size
 * bytes of zeroed RAM in k->ram (the caller copies its guest there), KVM's
 * supported CPUID, and a real-mode vCPU at 0:@ip with CS=DS=ES=SS=0, SP
 * 0x8000, RFLAGS 2, the other GPRs 0. 0 or a failure; kvm_teardown() after
 * it in every case.
 */
int kvm_setup_real(struct kvm_ctx *k, uint64_t ram_size, uint64_t ip);
/*
 * kvm_setup_real_irqchip() - the same with KVM_CREATE_IRQCHIP before the
 * vCPU and FS a flat 4 GiB segment (unreal mode, to reach the APIC page).
 */
int kvm_setup_real_irqchip(struct kvm_ctx *k, uint64_t ram_size, uint64_t ip);
void kvm_teardown(struct kvm_ctx *k);

/* The OUTs a guest makes, in order: to compare a run under haxm with KVM's. */
struct out_trace {
	int n;
	uint16_t port[64];
	uint32_t val[64]; /* zero-extended */
};

/*
 * vm_out_trace() - RUN until the guest's HLT, recording every OUT in @tr
 * (at most 64); any other exit is a failure saying where the guest stopped.
 */
int vm_out_trace(struct vm_ctx *c, struct out_trace *tr);
/* kvm_out_trace() - the same under KVM (no in-kernel irqchip: HLT exits). */
int kvm_out_trace(struct kvm_ctx *k, struct out_trace *tr);
/*
 * haxm_trace_81()/kvm_trace_81() - RUN until an OUT to port 0x81, recording
 * every OUT; any other exit is a failure (t_lapic.c).
 */
int haxm_trace_81(struct vm_ctx *c, struct out_trace *tr);
int kvm_trace_81(struct kvm_ctx *k, struct out_trace *tr);
/*
 * lapic_kvm_same() - run @s..@e at 0x1000 under kvm_intel (in-kernel
 * irqchip, unreal mode), the handlers [@h1s, @h1e) for vector @v1 at 0x3000
 * and (when @h2s) [@h2s, @h2e) for @v2 at 0x3100, to its OUT to port 0x81:
 * 0 when its OUTs are @th's, else a failure; a skip without /dev/kvm (t_lapic.c).
 */
int lapic_kvm_same(const struct out_trace *th, const uint8_t *s, const uint8_t *e, int v1,
		   const uint8_t *h1s, const uint8_t *h1e, int v2, const uint8_t *h2s,
		   const uint8_t *h2e);
/* out_trace_add() - record one OUT of @size bytes at @data; fails when @tr is full. */
int out_trace_add(struct out_trace *tr, uint16_t port, const void *data, int size);
/* out_trace_equal() - 0 if @h and @k hold the same OUTs, else a failure. */
int out_trace_equal(const struct out_trace *h, const struct out_trace *k);

/* One of the two backends that run the same guest: haxm (@c), or kvm_intel (@k) when @c is NULL. */
struct twin {
	struct vm_ctx *c;
	struct kvm_ctx *k;
};

/* twin_out() - RUN to the guest's next OUT, recorded in @tr; any other exit is a failure. */
int twin_out(struct twin *d, struct out_trace *tr);
/* twin_line() - IRQ_LINE (haxm) or KVM_IRQ_LINE of @irq to @level; nothing for @irq < 0. */
int twin_line(struct twin *d, int irq, int level);

#endif /* HAXM_TESTBED_HARNESS_H */
