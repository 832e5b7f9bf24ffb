// SPDX-License-Identifier: GPL-2.0
/*
 * haxm-bench's in-kernel APIC workloads (issue 18): an IPI round trip
 * between two vCPUs, an APIC-timer interrupt delivered to a halted vCPU and
 * to a running one, and an EOI, on haxm's in-kernel LAPIC (LAPIC_ENABLE)
 * against KVM's (KVM_CREATE_IRQCHIP), the same real-mode guest code on both.
 *
 * The BSP runs in unreal mode (a 4 GiB DS limit, set by the backend) with
 * EBX at the xAPIC page, 0xfee00000, all along; the APIC registers are
 * written from a register, as an OS's APIC driver does. Low memory:
 *   0x100-0x3ff  the real-mode IVT: vectors 0x40-0x42 and the spurious 0xff
 *   0x500        a GDT with a flat data segment (selector 8), for the AP's
 *                own way into unreal mode; 0x520 its descriptor
 *   0x600        the flag an interrupt handler sets; 0x610 the TSC deadline
 *                armed; 0x620 the sum of the timer interrupts' latencies
 *   0x2000       the AP's start-up code (SIPI vector 2), its handlers above
 *   0x3000       the BSP's handler of vector 0x40; 0x3100 an IRET
 * Each guest ends with an OUT to port 0x80 (the run's end: a HLT would not
 * leave the kernel with an in-kernel APIC).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define FLAG_GPA     0x600
#define DEADLINE_GPA 0x610
#define LATENCY_GPA  0x620
/* ticks from arming the TSC deadline to it: the vCPU is halted by then */
#define TIMER_DELAY "50000"

/*
 * ipi, the BSP: the APIC on, INIT and SIPI 2 to APIC ID 1, then wait (HLT)
 * for the AP's IPI 0x40 saying it is ready. ESI times: IPI 0x41 to the AP,
 * wait for its answer, IPI 0x40. Last, IPI 0x42 stops the AP.
 */
GUEST_CODE(g_ipi, "mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%ebx)\n"
		  " movl $0x01000000, 0x310(%ebx)\n movb $0, 0x600\n"
		  " movl $0x4500, 0x300(%ebx)\n movl $0x4602, 0x300(%ebx)\n"
		  "1: sti\n hlt\n cli\n cmpb $0, 0x600\n je 1b\n"
		  "2: movb $0, 0x600\n mov $0x41, %eax\n mov %eax, 0x300(%ebx)\n"
		  "3: sti\n hlt\n cli\n cmpb $0, 0x600\n je 3b\n"
		  " dec %esi\n jnz 2b\n"
		  " movl $0x42, 0x300(%ebx)\n out %al, $0x80\n4: hlt\n jmp 4b");
/*
 * ipi, the AP at 0200:0000: unreal mode through the GDT at 0x500, its APIC
 * on, IPI 0x40 to APIC ID 0 (ready), then halted with interrupts on.
 */
GUEST_CODE(g_ipi_ap, "xor %ax, %ax\n mov %ax, %ds\n mov %ax, %ss\n mov $0x7000, %sp\n"
		     " lgdtl 0x520\n mov %cr0, %eax\n or $1, %al\n mov %eax, %cr0\n"
		     " mov $8, %cx\n mov %cx, %ds\n and $0xfe, %al\n mov %eax, %cr0\n"
		     " xor %cx, %cx\n mov %cx, %ds\n"
		     " mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%ebx)\n"
		     " movl $0, 0x310(%ebx)\n movl $0x40, 0x300(%ebx)\n"
		     "1: sti\n hlt\n jmp 1b");
/* the AP's vector 0x41: EOI, the answer (IPI 0x40 to the BSP) */
GUEST_CODE(g_ipi_ap_isr, "push %eax\n xor %eax, %eax\n mov %eax, 0xb0(%ebx)\n"
			 " mov $0x40, %al\n mov %eax, 0x300(%ebx)\n pop %eax\n iret");
/* the AP's vector 0x42: the stop, an OUT that ends the AP's thread */
GUEST_CODE(g_ipi_ap_stop, "out %al, $0x80\n1: cli\n hlt\n jmp 1b");
/* the BSP's vector 0x40: the flag, EOI */
GUEST_CODE(g_flag_isr, "push %eax\n movb $1, 0x600\n xor %eax, %eax\n mov %eax, 0xb0(%ebx)\n"
		       " pop %eax\n iret");
GUEST_CODE(g_iret, "iret");

/*
 * apic-timer: the LVT timer in TSC-deadline mode, vector 0x40. ESI times:
 * the deadline TIMER_DELAY ticks ahead (IA32_TSC_DEADLINE), HLT until the
 * interrupt; its handler adds the TSC past the deadline to 0x620.
 */
GUEST_CODE(g_timer, "mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%ebx)\n"
		    " movl $0x40040, 0x320(%ebx)\n mov $0x6e0, %ecx\n"
		    "1: movb $0, 0x600\n rdtsc\n add $" TIMER_DELAY ", %eax\n adc $0, %edx\n"
		    " mov %eax, 0x610\n mov %edx, 0x614\n wrmsr\n"
		    "2: sti\n hlt\n cli\n cmpb $0, 0x600\n je 2b\n"
		    " dec %esi\n jnz 1b\n out %al, $0x80\n3: hlt\n jmp 3b");
/*
 * apic-timer-run: the same deadlines waited for in a busy loop with IF=1,
 * the vCPU in the guest when each comes (haxm's fast path: the
 * VMX-preemption timer, core/vapic_timer.c).
 */
GUEST_CODE(g_timer_run, "mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%ebx)\n"
			" movl $0x40040, 0x320(%ebx)\n mov $0x6e0, %ecx\n"
			"1: movb $0, 0x600\n rdtsc\n add $" TIMER_DELAY ", %eax\n adc $0, %edx\n"
			" mov %eax, 0x610\n mov %edx, 0x614\n wrmsr\n sti\n"
			"2: cmpb $0, 0x600\n je 2b\n cli\n"
			" dec %esi\n jnz 1b\n out %al, $0x80\n3: hlt\n jmp 3b");
GUEST_CODE(g_timer_isr, "rdtsc\n sub 0x610, %eax\n sbb 0x614, %edx\n"
			" add %eax, 0x620\n adc %edx, 0x624\n"
			" movb $1, 0x600\n xor %eax, %eax\n mov %eax, 0xb0(%ebx)\n iret");

/* eoi: ESI writes of the EOI register (nothing in service) */
GUEST_CODE(g_eoi, "mov $0xfee00000, %ebx\n movl $0x1ff, 0xf0(%ebx)\n"
		  " xor %eax, %eax\n1: mov %eax, 0xb0(%ebx)\n dec %esi\n jnz 1b\n"
		  " out %al, $0x80\n2: hlt\n jmp 2b");

#define PUT(ram, gpa, g) memcpy((ram) + (gpa), g##_start, g##_end - g##_start)

/* Real-mode IVT entry @vec: 0000:@ip. */
static void ivt_set(uint8_t *ram, unsigned int vec, uint16_t ip)
{
	uint16_t e[2] = { ip, 0 };

	memcpy(ram + 4 * vec, e, sizeof(e));
}

static void setup_ipi(uint8_t *ram)
{
	/* null, then base 0, limit 4 GiB, data read/write, present */
	static const uint64_t gdt[2] = { 0, 0x00cf92000000ffffull };
	uint16_t limit = sizeof(gdt) - 1;
	uint32_t base = 0x500;

	memcpy(ram + 0x500, gdt, sizeof(gdt));
	memcpy(ram + 0x520, &limit, 2);
	memcpy(ram + 0x522, &base, 4);
	PUT(ram, 0x2000, g_ipi_ap);
	PUT(ram, 0x2800, g_ipi_ap_isr);
	PUT(ram, 0x2900, g_ipi_ap_stop);
	PUT(ram, 0x3000, g_flag_isr);
	PUT(ram, 0x3100, g_iret);
	ivt_set(ram, 0x40, 0x3000);
	ivt_set(ram, 0x41, 0x2800);
	ivt_set(ram, 0x42, 0x2900);
	ivt_set(ram, 0xff, 0x3100);
}

static void setup_timer(uint8_t *ram)
{
	PUT(ram, 0x3000, g_timer_isr);
	PUT(ram, 0x3100, g_iret);
	ivt_set(ram, 0x40, 0x3000);
	ivt_set(ram, 0xff, 0x3100);
}

/* A timer row: the interrupt's latency past its deadline, as the guest measures it. */
#define TIMER_WORKLOAD(nm, g)                                                                \
	{                                                                                    \
		.name = nm, .unit = "interrupt", .target = 0.8, GUEST(g), .ram = 512 * 1024, \
		.iters = 500, .short_iters = 20, .per_unit = 1, .unreal = true,              \
		.vm_flags = BENCH_VM_IRQCHIP, .setup = setup_timer, .end_at_io = true,       \
		.guest_ticks_gpa = LATENCY_GPA                                               \
	}

const struct workload apic_workloads[] = {
	{ .name = "eoi",
	  .unit = "EOI",
	  .target = 0.8,
	  GUEST(g_eoi),
	  .ram = 512 * 1024,
	  .iters = 2000,
	  .short_iters = 50,
	  .per_unit = 1,
	  .unreal = true,
	  .vm_flags = BENCH_VM_IRQCHIP,
	  .end_at_io = true },
	TIMER_WORKLOAD("apic-timer", g_timer),
	TIMER_WORKLOAD("apic-timer-run", g_timer_run),
	{ .name = "ipi",
	  .unit = "round trip",
	  .target = 0.8,
	  GUEST(g_ipi),
	  .ram = 512 * 1024,
	  .iters = 500,
	  .short_iters = 20,
	  .per_unit = 1,
	  .unreal = true,
	  .vm_flags = BENCH_VM_IRQCHIP | BENCH_VM_AP,
	  .setup = setup_ipi,
	  .end_at_io = true },
};
const unsigned int apic_workload_count = sizeof(apic_workloads) / sizeof(apic_workloads[0]);

struct bench_ap {
	const struct backend *be;
	struct bench_vm *vm;
	pthread_t thread, bsp;
	int done;    /* the thread's result is in: 1 at the port I/O, -1 otherwise */
	int stop;    /* bench_ap_stop(force): leave at the next return from RUN */
	int noticed; /* the BSP's thread knows how the AP ended */
	char why[128];
};

static void on_kick(int sig)
{
	(void)sig;
}

static void *ap_main(void *arg)
{
	struct bench_ap *ap = arg;
	enum bench_exit e;

	do
		e = ap->be->run(ap->vm, 1, ap->why, sizeof(ap->why));
	while (e == BENCH_EXIT_AGAIN && !__atomic_load_n(&ap->stop, __ATOMIC_ACQUIRE));
	if (e != BENCH_EXIT_IO && !ap->why[0])
		snprintf(ap->why, sizeof(ap->why), "AP: exit %d", e);
	__atomic_store_n(&ap->done, e == BENCH_EXIT_IO ? 1 : -1, __ATOMIC_RELEASE);
	/* an AP that failed leaves the BSP waiting in its HLT: signals end its RUN */
	while (e != BENCH_EXIT_IO && !__atomic_load_n(&ap->noticed, __ATOMIC_ACQUIRE)) {
		pthread_kill(ap->bsp, SIGUSR1);
		usleep(1000);
	}
	return NULL;
}

struct bench_ap *bench_ap_start(const struct backend *be, struct bench_vm *vm, char *why, int len)
{
	struct sigaction sa = { .sa_handler = on_kick }; /* no SA_RESTART: RUN fails EINTR */
	struct bench_ap *ap = calloc(1, sizeof(*ap));
	int r;

	if (!ap) {
		snprintf(why, len, "AP: out of memory");
		return NULL;
	}
	ap->be = be;
	ap->vm = vm;
	ap->bsp = pthread_self();
	sigaction(SIGUSR1, &sa, NULL);
	r = pthread_create(&ap->thread, NULL, ap_main, ap);
	if (r) {
		snprintf(why, len, "AP thread: %s", strerror(r));
		free(ap);
		return NULL;
	}
	return ap;
}

bool bench_ap_failed(struct bench_ap *ap)
{
	if (__atomic_load_n(&ap->done, __ATOMIC_ACQUIRE) >= 0)
		return false;
	__atomic_store_n(&ap->noticed, 1, __ATOMIC_RELEASE);
	return true;
}

int bench_ap_stop(struct bench_ap *ap, bool force, char *why, int len)
{
	int i, done;

	__atomic_store_n(&ap->noticed, 1, __ATOMIC_RELEASE);
	/*
	 * The guest stops the AP; after a BSP that failed, or 10 s without the
	 * AP's port I/O, signals end its RUN.
	 */
	for (i = 0; !(done = __atomic_load_n(&ap->done, __ATOMIC_ACQUIRE)); i++) {
		if (force || i >= 10000) {
			__atomic_store_n(&ap->stop, 1, __ATOMIC_RELEASE);
			pthread_kill(ap->thread, SIGUSR1);
		}
		usleep(1000);
	}
	pthread_join(ap->thread, NULL);
	if (done < 0 && (!force || !why[0]))
		snprintf(why, len, "%s", ap->why);
	free(ap);
	return done < 0 ? -1 : 0;
}
