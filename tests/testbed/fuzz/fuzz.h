/* SPDX-License-Identifier: GPL-2.0 */
/* haxm-fuzz: shared state of the fuzzer's threads. */
#ifndef HAXM_FUZZ_H
#define HAXM_FUZZ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "haxm.h"

#define FUZZ_MAX_FDS	 24
#define FUZZ_MAX_REGIONS 6
#define FUZZ_MAX_THREADS 8
#define FUZZ_MAX_ERRNO	 64

enum fd_kind { FD_ANY, FD_SYS, FD_VM, FD_VCPU };

struct fuzz_fd {
	int fd;
	enum fd_kind kind;
	uint32_t vm_id, vcpu_id;
	struct hax_tunnel *tunnel; /* vCPU: mapped tunnel + I/O buffer, or NULL */
};

struct fuzz_region {
	uint8_t *p;
	uint64_t len;
};

/* The actions: the ioctls (the table in actions.c), then the others. */
enum {
	IDX_VERSION,
	IDX_CREATE_VM,
	IDX_DESTROY_VM,
	IDX_CAPABILITY,
	IDX_SET_MEMLIMIT,
	IDX_VCPU_CREATE,
	IDX_ALLOC_RAM,
	IDX_SET_RAM,
	IDX_VCPU_DESTROY,
	IDX_VCPU_DESTROY_W,
	IDX_NOTIFY_QEMU_VERSION,
	IDX_ADD_RAMBLOCK,
	IDX_SET_RAM2,
	IDX_PROTECT_RAM,
	IDX_RUN,
	IDX_SET_MSRS,
	IDX_GET_MSRS,
	IDX_SET_FPU,
	IDX_GET_FPU,
	IDX_SETUP_TUNNEL,
	IDX_INTERRUPT,
	IDX_SET_REGS,
	IDX_GET_REGS,
	IDX_VCPU_DEBUG,
	IDX_SET_CPUID,
	IDX_GET_CPUID,
	IDX_GET_STATE,
	IDX_SET_STATE,
	IDX_LAPIC_ENABLE,
	IDX_IRQ_LINE,
	IDX_GET_IOAPIC,
	IDX_SET_IOAPIC,
	IDX_GET_PIC,
	IDX_SET_PIC,
	IDX_GET_PIT,
	IDX_SET_PIT,
	IDX_GET_LAPIC,
	IDX_SET_LAPIC,
	IDX_SIGNAL_MSI,
	IDX_OPEN,
	IDX_MMAP_TUNNEL,
	IDX_CHILD,
	IDX_OTHER,
	IDX_RACE_OPEN,
	IDX_RACE_USE,
	FUZZ_NR_IOCTLS
};

struct fuzz_stat {
	unsigned long ok, err[FUZZ_MAX_ERRNO];
};

struct fuzz {
	pthread_mutex_t lock;
	struct fuzz_fd fds[FUZZ_MAX_FDS];
	struct fuzz_region regions[FUZZ_MAX_REGIONS];
	unsigned long calls, runs, forks, builds, unexpected, max_calls, progress_every;
	time_t deadline;
	int stop;
	struct fuzz_stat stats[FUZZ_NR_IOCTLS];
};

struct fuzz_thread {
	uint64_t rng;
	int id;
	int tid;	    /* the kernel's thread id (a stall report reads its stack) */
	volatile int doing; /* the action under way: an IDX_*, -1 between them */
};

extern struct fuzz fz;

uint64_t fuzz_rand(struct fuzz_thread *t);
/* Count a call's result; an errno outside the expected set is a finding. */
void fuzz_record(int which, long r, int err);
/*
 * The same for a call whose outcome is known exactly: success only if
 * @may_succeed, and only the errnos in the 0-terminated list @errs.
 */
void fuzz_record_exact(int which, long r, int err, bool may_succeed, const int *errs);
int fuzz_pick_fd(struct fuzz_thread *t, enum fd_kind kind, struct fuzz_fd *out);
/* Into a free slot; when there is none, into slot @evict % FUZZ_MAX_FDS,
 * whose fd is closed, or with @evict < 0 the new fd is closed instead. */
void fuzz_add_fd(struct fuzz_fd f, int evict);
void fuzz_close_fd(int slot);
/* A tunnel mapped by SETUP_TUNNEL on @fd, taken from @slot: the slot keeps it
 * if it still holds @fd, a vCPU without a tunnel; otherwise it is unmapped. */
void fuzz_adopt_tunnel(int slot, int fd, struct hax_tunnel *tunnel);
bool fuzz_pick_region(struct fuzz_thread *t, struct fuzz_region *out);

/* actions.c */
int fuzz_args_init(void);
void fuzz_step(struct fuzz_thread *t);
const char *fuzz_ioctl_name(int which);
unsigned long fuzz_ioctl_nr(int which);
/* A read-write argument page (a PROT_NONE guard page follows it). */
extern uint8_t *fuzz_arg_page;

/* irqchip.c: the in-kernel interrupt controllers' ioctls */
/* Mostly valid, sometimes refused flags for LAPIC_ENABLE. */
uint32_t fuzz_enable_flags(struct fuzz_thread *t);
/* LAPIC_ENABLE's, IRQ_LINE's and SIGNAL_MSI's arguments, about their bounds, at @a. */
void fuzz_irqchip_arg(struct fuzz_thread *t, unsigned long nr, uint8_t *a);
/*
 * For SET_IOAPIC, _PIC, _PIT, _LAPIC (@nr) on @fd: the controller's own
 * state (its GET) in @buf with none, one or two fields set to or past their
 * bounds; NULL when @nr is none of them or the GET failed.
 */
void *fuzz_irqchip_state(struct fuzz_thread *t, unsigned long nr, int fd, void *buf);

/* races.c: a child process tries a descriptor of the pool; racers open a
 * VM's or vCPU's node while its last descriptor may be closing. */
void fuzz_do_child(struct fuzz_thread *t);
void fuzz_do_race(struct fuzz_thread *t);

#endif /* HAXM_FUZZ_H */
