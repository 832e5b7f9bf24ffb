/* SPDX-License-Identifier: GPL-2.0 */
/*
 * haxm-bench: the same guest code through haxm and through KVM (kvm_intel)
 * in one testbed boot. Each backend runs a one-vCPU real-mode VM with RAM at
 * guest-physical 0; the host times whole runs with the TSC (in the testbed,
 * Bochs advances it per emulated instruction: figures are deterministic).
 */
#ifndef HAXM_BENCH_H
#define HAXM_BENCH_H

#include <stdbool.h>
#include <stdint.h>

enum bench_exit {
	BENCH_EXIT_IO,
	BENCH_EXIT_MMIO,
	BENCH_EXIT_HLT,
	BENCH_EXIT_AGAIN,
	BENCH_EXIT_OTHER
};

struct bench_vm;

struct backend {
	const char *name;
	/*
	 * A VM with @ram bytes at gpa 0 (from bench_ram_alloc(@ram, @populate))
	 * and one vCPU; NULL on failure (reported).
	 */
	struct bench_vm *(*create)(uint64_t ram, bool populate);
	uint8_t *(*ram)(struct bench_vm *vm);
	/* Real mode at CS:IP 0:@ip with ESI=@esi; @unreal: 4 GiB DS limit. */
	int (*set_entry)(struct bench_vm *vm, uint16_t ip, uint32_t esi, bool unreal);
	/* One RUN; the exit's kind, or BENCH_EXIT_OTHER with @why filled. */
	enum bench_exit (*run)(struct bench_vm *vm, char *why, int len);
	void (*destroy)(struct bench_vm *vm);
};

extern const struct backend backend_haxm, backend_kvm;

/*
 * Guest RAM as QEMU allocates it: anonymous, 2 MiB-aligned, THP requested
 * (MADV_HUGEPAGE); @populate: the host pages exist before the guest runs
 * (MAP_POPULATE), so the guest's first touch costs only the hypervisor's
 * fault-in. NULL on failure (errno set).
 */
uint8_t *bench_ram_alloc(uint64_t size, bool populate);
void bench_ram_free(uint8_t *ram, uint64_t size);

/* haxm-bench --boot ... (boot.c): time a VMM to a console line; the exit status. */
int bench_boot(int argc, char **argv);

static inline uint64_t bench_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#endif /* HAXM_BENCH_H */
