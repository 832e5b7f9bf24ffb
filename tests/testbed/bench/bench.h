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

/* create()'s flags */
/*
 * The in-kernel local APIC (haxm: LAPIC_ENABLE; KVM: KVM_CREATE_IRQCHIP),
 * with the TSC-deadline timer in the guest's CPUID
 */
#define BENCH_VM_IRQCHIP (1u << 0)
/* a second vCPU, APIC ID 1, waiting for INIT-SIPI (needs BENCH_VM_IRQCHIP) */
#define BENCH_VM_AP (1u << 1)

struct backend {
	const char *name;
	/*
	 * A VM with @ram bytes at gpa 0 (from bench_ram_alloc(@ram, @populate))
	 * and one vCPU, or two with BENCH_VM_AP; NULL on failure (reported).
	 */
	struct bench_vm *(*create)(uint64_t ram, bool populate, unsigned int flags);
	uint8_t *(*ram)(struct bench_vm *vm);
	/* Real mode at CS:IP 0:@ip with ESI=@esi; @unreal: 4 GiB DS limit. */
	int (*set_entry)(struct bench_vm *vm, uint16_t ip, uint32_t esi, bool unreal);
	/*
	 * One RUN of vCPU @cpu (0, or 1 with BENCH_VM_AP); the exit's kind, or
	 * BENCH_EXIT_OTHER with @why filled.
	 */
	enum bench_exit (*run)(struct bench_vm *vm, int cpu, char *why, int len);
	void (*destroy)(struct bench_vm *vm);
};

extern const struct backend backend_haxm, backend_kvm;

/* Guest code in .rodata, between name_start and name_end: 16-bit code. */
#define GUEST_CODE(name, body)                                                           \
	extern const uint8_t name##_start[], name##_end[];                               \
	asm(".pushsection .rodata\n" #name "_start:\n.code16\n" body "\n.code64\n" #name \
	    "_end:\n.popsection\n")

/* Where a workload's guest code starts (CS:IP 0:CODE_GPA). */
#define CODE_GPA 0x1000

struct workload {
	const char *name;
	const char *unit;
	double target; /* haxm/KVM ratio at most; 0: none (a reference) */
	const uint8_t *start, *end;
	uint64_t ram; /* plus ram_per_iter for each iteration */
	uint32_t ram_per_iter;
	bool populate;		     /* host pages in place before the guest runs */
	uint32_t iters, short_iters; /* in the guest's loop or the host's */
	uint32_t per_unit;	     /* iterations per unit */
	bool unreal;
	/* host-only workloads: @n times, ticks returned; NULL: run the guest */
	int (*host)(const struct backend *be, uint32_t n, uint64_t *ticks);
	/*
	 * In-kernel APIC workloads (apic.c): create()'s BENCH_VM_* flags; the
	 * rest of the guest laid out in RAM before the run; the run ends at
	 * the BSP's first port I/O instead of its HLT; the ticks are the
	 * guest's own sum at this guest-physical address (0: the host's
	 * time of the whole run).
	 */
	unsigned int vm_flags;
	void (*setup)(uint8_t *ram);
	bool end_at_io;
	uint32_t guest_ticks_gpa;
};

#define GUEST(g) .start = g##_start, .end = g##_end

/* The in-kernel APIC workloads (apic.c). */
extern const struct workload apic_workloads[];
extern const unsigned int apic_workload_count;

/*
 * bench_ap_start() - run vCPU 1 of @vm in a thread of its own until its
 * first port I/O (the guest's stop) or bench_ap_stop().
 * Returns the AP's handle, or NULL with @why filled (no thread then).
 */
struct bench_ap;
struct bench_ap *bench_ap_start(const struct backend *be, struct bench_vm *vm, char *why, int len);

/*
 * bench_ap_failed() - whether the AP's thread ended without its port I/O;
 * until the BSP's thread asks, it interrupts the BSP's RUN with signals.
 */
bool bench_ap_failed(struct bench_ap *ap);

/*
 * bench_ap_stop() - wait for the AP to reach its port I/O (@force: make it
 * leave its RUN with signals instead) and free @ap. Returns 0 when the AP
 * ended at its port I/O, -1 otherwise (@why filled unless @force
 * and the BSP's failure already is there).
 */
int bench_ap_stop(struct bench_ap *ap, bool force, char *why, int len);

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
