// SPDX-License-Identifier: GPL-2.0
/*
 * haxm-bench: each workload runs through haxm and through KVM in turn (one
 * hypervisor holds VMX at a time), and the table gives TSC ticks per unit and
 * the haxm/KVM ratio against the target of issue 7.
 * Usage: haxm-bench [--short] [workload-prefix...]
 *        haxm-bench --boot NAME MARKER TIMEOUT_S -- VMM ARGS... (boot.c)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

/* ESI holds the iteration count in every guest. */
/* WBINVD: both hypervisors exit on it and only step over it (the floor) */
GUEST_CODE(g_floor, "1: wbinvd\n dec %esi\n jnz 1b\n hlt");
GUEST_CODE(g_cpuid, "1: xor %eax, %eax\n cpuid\n dec %esi\n jnz 1b\n hlt");
GUEST_CODE(g_out, "1: out %al, $0x80\n dec %esi\n jnz 1b\n hlt");
/* gpa 0xc0000: no RAM there (the VM has 512 KiB below it) */
GUEST_CODE(g_mmio, "mov $0xc000, %ax\n mov %ax, %ds\n"
		   "1: movb %al, (0)\n dec %esi\n jnz 1b\n hlt");
GUEST_CODE(g_compute, "1: imul $3, %eax, %eax\n add $7, %eax\n dec %esi\n jnz 1b\n hlt");
/* unreal mode (DS limit 4 GiB): one byte in every page from 1 MiB up */
GUEST_CODE(g_touch, "mov $0x100000, %edi\n"
		    "1: addr32 movb %al, (%edi)\n add $4096, %edi\n dec %esi\n jnz 1b\n hlt");

#define MIB	      (1ULL << 20)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

uint8_t *bench_ram_alloc(uint64_t size, bool populate)
{
	const uint64_t huge = 2 * MIB;
	uint8_t *a = mmap(NULL, size + huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *r;
	uint64_t head;

	if (a == MAP_FAILED)
		return NULL;
	/* keep the 2 MiB-aligned part */
	head = -(uintptr_t)a & (huge - 1);
	if (head)
		munmap(a, head);
	munmap(a + head + size, huge - head);
	a += head;
	/*
	 * THP: the testbed kernel has no madvise() (ENOSYS, ignored), so the
	 * bench runs with THP "always" (payload/run); MADV_HUGEPAGE is for
	 * kernels in "madvise" mode.
	 */
	madvise(a, size, MADV_HUGEPAGE);
	r = mmap(a, size, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
	if (r == MAP_FAILED) {
		int e = errno;

		munmap(a, size);
		errno = e;
		return NULL;
	}
	return r;
}

void bench_ram_free(uint8_t *ram, uint64_t size)
{
	munmap(ram, size);
}

static int create_destroy(const struct backend *be, uint32_t n, uint64_t *ticks)
{
	uint64_t t0 = bench_rdtsc();
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct bench_vm *vm = be->create(64 * 1024, false, 0);

		if (!vm)
			return -1;
		be->destroy(vm);
	}
	*ticks = bench_rdtsc() - t0;
	return 0;
}

#define RAM_SMALL (512 * 1024)

static const struct workload workloads[] = {
	{ .name = "floor",
	  .unit = "exit",
	  GUEST(g_floor),
	  .ram = RAM_SMALL,
	  .iters = 2000,
	  .short_iters = 50,
	  .per_unit = 1 },
	{ .name = "cpuid",
	  .unit = "exit",
	  .target = 0.7,
	  GUEST(g_cpuid),
	  .ram = RAM_SMALL,
	  .iters = 2000,
	  .short_iters = 50,
	  .per_unit = 1 },
	{ .name = "out",
	  .unit = "exit",
	  .target = 0.8,
	  GUEST(g_out),
	  .ram = RAM_SMALL,
	  .iters = 2000,
	  .short_iters = 50,
	  .per_unit = 1 },
	{ .name = "mmio",
	  .unit = "exit",
	  .target = 0.8,
	  GUEST(g_mmio),
	  .ram = RAM_SMALL,
	  .iters = 2000,
	  .short_iters = 50,
	  .per_unit = 1 },
	{ .name = "compute",
	  .unit = "iter",
	  .target = 1.0,
	  GUEST(g_compute),
	  .ram = RAM_SMALL,
	  .iters = 1000000,
	  .short_iters = 10000,
	  .per_unit = 1 },
	/*
	 * 256 MiB first touched by the guest, 256 pages a MiB; short: 4 MiB.
	 * fault-in: the host pages exist (the VMM populated its RAM), so this
	 * is the hypervisor's EPT fault-in alone; first-touch: fresh host
	 * memory, which the host kernel also allocates and zeroes.
	 */
	{ .name = "fault-in",
	  .unit = "MiB",
	  .target = 0.5,
	  GUEST(g_touch),
	  .ram = 2 * MIB,
	  .ram_per_iter = 4096,
	  .populate = true,
	  .iters = 65536,
	  .short_iters = 1024,
	  .per_unit = 256,
	  .unreal = true },
	{ .name = "first-touch",
	  .unit = "MiB",
	  GUEST(g_touch),
	  .ram = 2 * MIB,
	  .ram_per_iter = 4096,
	  .iters = 65536,
	  .short_iters = 1024,
	  .per_unit = 256,
	  .unreal = true },
	{ .name = "create-destroy",
	  .unit = "VM",
	  .target = 1.0,
	  .iters = 50,
	  .short_iters = 3,
	  .per_unit = 1,
	  .host = create_destroy },
};

/*
 * Run @w's guest for @n iterations to its HLT (or port I/O: end_at_io), its
 * AP too with BENCH_VM_AP; the ticks it took.
 */
static int run_guest(const struct backend *be, const struct workload *w, uint32_t n,
		     uint64_t *ticks, char *why, int len)
{
	struct bench_vm *vm =
		be->create(w->ram + (uint64_t)n * w->ram_per_iter, w->populate, w->vm_flags);
	enum bench_exit e, end = w->end_at_io ? BENCH_EXIT_IO : BENCH_EXIT_HLT;
	struct bench_ap *ap = NULL;
	uint64_t t0;
	int r = -1;

	if (!vm) {
		snprintf(why, len, "VM setup failed");
		return -1;
	}
	memcpy(be->ram(vm) + CODE_GPA, w->start, w->end - w->start);
	if (w->setup)
		w->setup(be->ram(vm));
	if (be->set_entry(vm, CODE_GPA, n, w->unreal)) {
		snprintf(why, len, "setting registers: %m");
		goto out;
	}
	if ((w->vm_flags & BENCH_VM_AP) && !(ap = bench_ap_start(be, vm, why, len)))
		goto out;
	t0 = bench_rdtsc();
	do
		e = be->run(vm, 0, why, len);
	while (e != end && e != BENCH_EXIT_OTHER && !(ap && bench_ap_failed(ap)));
	*ticks = bench_rdtsc() - t0;
	r = e == end ? 0 : -1;
	if (ap && bench_ap_stop(ap, r != 0, why, len))
		r = -1;
	if (w->guest_ticks_gpa)
		memcpy(ticks, be->ram(vm) + w->guest_ticks_gpa, sizeof(*ticks));
out:
	be->destroy(vm);
	return r;
}

static bool selected(const char *name, int argc, char **argv)
{
	int i, any = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = 1;
		if (!strncmp(argv[i], name, strlen(argv[i])))
			return true;
	}
	return !any;
}

int main(int argc, char **argv)
{
	const struct backend *be[2] = { &backend_haxm, &backend_kvm };
	bool short_mode = argc > 1 && !strcmp(argv[1], "--short");
	int failed = 0, ran = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--boot"))
		return bench_boot(argc, argv);
	printf("BENCH: | workload | unit | haxm ticks/unit | kvm ticks/unit | haxm/kvm | target "
	       "|\n");
	printf("BENCH: |---|---|---:|---:|---:|---|\n");
	for (i = 0; i < ARRAY_SIZE(workloads) + apic_workload_count; i++) {
		const struct workload *w = i < ARRAY_SIZE(workloads)
						   ? &workloads[i]
						   : &apic_workloads[i - ARRAY_SIZE(workloads)];
		uint32_t n = short_mode ? w->short_iters : w->iters;
		double per[2];
		char cell[2][160], why[128];
		int b, ok = 0;

		if (!selected(w->name, argc, argv))
			continue;
		ran++;
		for (b = 0; b < 2; b++) {
			uint64_t ticks = 0;
			int r;

			why[0] = 0;
			printf("BENCH-RUN: %s on %s\n", w->name, be[b]->name);
			r = w->host ? w->host(be[b], n, &ticks)
				    : run_guest(be[b], w, n, &ticks, why, sizeof(why));
			if (r) {
				snprintf(cell[b], sizeof(cell[b]), "n/a (%s)",
					 why[0] ? why : "failed");
				continue;
			}
			per[b] = (double)ticks / ((double)n / w->per_unit);
			snprintf(cell[b], sizeof(cell[b]), "%.0f", per[b]);
			ok |= 1 << b;
		}
		if (ok == 3 && !w->target)
			printf("BENCH: | %s | %s | %s | %s | %.3f | - |\n", w->name, w->unit,
			       cell[0], cell[1], per[0] / per[1]);
		else if (ok == 3)
			printf("BENCH: | %s | %s | %s | %s | %.3f | <= %.1f %s |\n", w->name,
			       w->unit, cell[0], cell[1], per[0] / per[1], w->target,
			       per[0] / per[1] <= w->target ? "met" : "missed");
		else
			printf("BENCH: | %s | %s | %s | %s | - | <= %.1f |\n", w->name, w->unit,
			       cell[0], cell[1], w->target);
		/* KVM must always work: a failure there is the bench's own bug */
		if (!(ok & 2))
			failed++;
	}
	printf("BENCH: mode %s, %d workloads, %d failed\n", short_mode ? "short" : "full", ran,
	       failed);
	return failed || !ran;
}
