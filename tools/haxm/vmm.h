/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMM behind `haxm run`: one VM, its RAM, one thread per vCPU, the
 * devices on the port I/O bus, a PIT timer thread and the terminal input
 * thread. Threads share one lock (struct vmm.lock) that protects every
 * device and the VM's run state.
 */
#ifndef HAXM_TOOL_VMM_H
#define HAXM_TOOL_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices.h"
#include "ioport.h"
#include "libhaxm.h"

#define VMM_MAX_CPUS	 16
#define VMM_KIRQ_CPUS	 16 /* the MP table's limit is 32 */
#define VMM_MIN_RAM	 (4ull << 20)
#define VMM_MAX_RAM	 (64ull << 30) /* past 3 GiB: at 4 GiB (boot.h, BOOT_PCI_HOLE) */
#define VMM_SNAP_MAX_RAM (3ull << 30)  /* snapshots and migration: below the hole only */
#define VMM_NR_STATUS	 12	       /* enum hax_exit_status values, 0..11 */
#define VMM_NR_REASONS	 70	       /* VMX basic exit reasons (SDM appendix C) */
#define VMM_IO_PORTS	 32	       /* ports --stats counts I/O exits of, per vCPU */

/* Where the interrupt controllers are (haxm run --irqchip). */
enum vmm_irqchip {
	VMM_IRQCHIP_AUTO = 0, /* kernel if the module has HAX_CAP_LAPIC and _IOAPIC */
	VMM_IRQCHIP_USER,     /* the PIC in user space, to vCPU 0 by INTERRUPT */
	VMM_IRQCHIP_KERNEL,   /* in-kernel LAPICs and IO-APIC (and PIC/PIT: pic_pit) */
};

/* Exit statuses of `haxm run` (besides a debug-exit port's value). */
enum vmm_exit {
	VMM_EXIT_POWEROFF = 0, /* every vCPU halted with interrupts off */
	VMM_EXIT_ERROR = 1,    /* haxm run or the module failed */
	VMM_EXIT_USAGE = 2,
	VMM_EXIT_RESET = 3, /* the guest reset itself (0xcf9, port 0x64) */
	VMM_EXIT_CRASH = 4, /* triple fault, or a vCPU haxm cannot continue */
	VMM_EXIT_SIGHUP = 129,
	VMM_EXIT_QUIT = 130,	/* SIGINT, or Ctrl-A x on the terminal */
	VMM_EXIT_SIGQUIT = 131, /* SIGQUIT without --save */
	VMM_EXIT_SIGTERM = 143,
	VMM_EXIT_SAVE = 256,	/* internal: SIGQUIT with --save, the VM stopped to be saved */
	VMM_EXIT_MIGRATE = 257, /* internal: pre-copy done, the VM stopped for the last round */
};

struct vmm;
struct mig_source;

struct vmm_vcpu {
	struct vmm *vmm;
	int id, fd;
	struct hax_tunnel *t;
	uint8_t *iobuf;
	pthread_t thread;
	bool started;
	volatile bool in_run; /* inside HAX_VCPU_IOCTL_RUN (may need a kick) */
	bool dead;	      /* halted for good (interrupts off, or none can come) */
	bool warned;	      /* said that no interrupt can come */
	bool halted;	      /* in HLT, kept there by haxm run (a snapshot saves it so) */
	/* --stats */
	uint64_t status[VMM_NR_STATUS], reasons[VMM_NR_REASONS], injected;
	struct {
		uint16_t port;
		uint64_t n;
	} io_ports[VMM_IO_PORTS]; /* I/O exits by port, the first ports seen */
	int nr_io_ports;
	uint64_t io_other; /* I/O exits at ports past those */
	int64_t run_ns, user_ns, halt_ns;
};

struct vmm {
	int sys_fd, vm_fd;
	uint32_t vm_id;
	uint8_t *ram;
	uint64_t ram_size;
	int ncpus;
	/* --restore: RAM mapped copy-on-write from this file at this offset */
	bool ram_from_file;
	int ram_fd;
	uint64_t ram_off;
	bool save; /* --save: SIGQUIT stops the VM with VMM_EXIT_SAVE */
	/* --migrate-to: SIGQUIT migrates (mig_precopy(), then VMM_EXIT_MIGRATE) */
	struct mig_source *migrate;
	struct vmm_vcpu vcpu[VMM_MAX_CPUS];
	bool intr_supported; /* the module has HAX_VCPU_IOCTL_INTERRUPT */
	/*
	 * Set by the caller before vmm_create() (AUTO resolved there): with
	 * KERNEL, vCPUs have in-kernel LAPICs (APs wait for a SIPI), the
	 * IO-APIC is the kernel's and every ISA line goes to both the user
	 * PIC and the IO-APIC (IRQ 0 on pin 2); HLT sleeps in the kernel.
	 */
	enum vmm_irqchip irqchip;
	/*
	 * The PIC and the PIT, with irqchip KERNEL: the kernel's
	 * (HAX_LAPIC_ENABLE_PIC/_PIT: their ports never exit, counter 0 ticks
	 * in the kernel, the UART's line goes to both by IRQ_LINE) or haxm
	 * run's. AUTO: the kernel's when the module has HAX_CAP_PIC_PIT. Set
	 * before vmm_create() like irqchip; USER with irqchip USER.
	 */
	enum vmm_irqchip pic_pit;
	uint32_t caps; /* HAX_IOCTL_CAPABILITY's winfo */

	pthread_mutex_t lock;
	pthread_cond_t cond;	   /* halted vCPUs wait here for an interrupt */
	pthread_cond_t timer_cond; /* the timer thread waits here */
	pthread_t main_thread, timer_thread;
	bool timer_started;
	bool exiting;
	int exit_status;
	char exit_why[160];
	int nr_dead;

	struct io_bus io;
	struct uart uart;
	struct pic pic;
	struct pit pit;
	struct rtc rtc;
	struct debugexit debugexit;
	struct resetdev reset;
	int out_fd;    /* the UART's output */
	int out_errno; /* the last failed write's errno, said once */
};

/**
 * vmm_create() - open /dev/HAX, create the VM with @ram_size bytes of RAM at
 * guest-physical 0 and @ncpus vCPUs with their tunnels, and the devices.
 * @m:        zeroed by the caller
 * @ram_size: VMM_MIN_RAM .. VMM_MAX_RAM, a multiple of 4 KiB
 * @ncpus:    1 .. VMM_MAX_CPUS
 *
 * m->irqchip chooses the interrupt controllers; VMM_IRQCHIP_AUTO becomes
 * KERNEL or USER by the module's capabilities, KERNEL without them fails.
 * @out_fd:   where the UART's output goes
 * @err:      receives a one-line reason on failure (what to do about it)
 * @errlen:   its size
 *
 * Returns 0, or -1 (everything created so far destroyed).
 */
int vmm_create(struct vmm *m, uint64_t ram_size, int ncpus, int out_fd, char *err, size_t errlen);

/**
 * vmm_run() - called by the thread that called vmm_create(): run every vCPU in its own thread until
 * the guest ends (power off, reset, crash, debug exit) or a signal (SIGINT, SIGTERM, SIGHUP) or
 * vmm_request_exit() ends it. The caller has blocked those signals and
 * SIGUSR2 in every thread (vmm_block_signals()).
 * @m: a VMM whose vCPUs have their registers set
 *
 * Returns the exit status (enum vmm_exit, or a debug-exit value).
 */
int vmm_run(struct vmm *m);

/**
 * vmm_resume() - make @m, stopped by vmm_run() (its threads joined), ready
 * for another vmm_run(): a migration that failed after the guest stopped.
 * The vCPUs' states are as the caller left them (halted ones in the HLT
 * activity state: snap_state_load()).
 */
void vmm_resume(struct vmm *m);

/** vmm_block_signals() - block the signals vmm_run() waits for, in the calling thread. */
void vmm_block_signals(void);

/** vmm_destroy() - close and unmap everything vmm_create() made. */
void vmm_destroy(struct vmm *m);

/**
 * vmm_request_exit() - end the VM with exit status @status (the first
 * request wins) and say @why on stderr at the end; an exit_fn. The caller
 * holds m->lock (device handlers run under it).
 */
void vmm_request_exit(void *opaque, int status, const char *why);

/** vmm_request_exit_unlocked() - vmm_request_exit() taking m->lock itself. */
void vmm_request_exit_unlocked(struct vmm *m, int status, const char *why);

/**
 * vmm_console_input() - bytes typed on the terminal, for the UART; returns
 * how many it took (its receive FIFO may be full).
 */
size_t vmm_console_input(struct vmm *m, const uint8_t *buf, size_t n);

/** vmm_print_stats() - exits by status and VMX reason, and the time split, per vCPU. */
void vmm_print_stats(const struct vmm *m, FILE *f);

#endif /* HAXM_TOOL_VMM_H */
