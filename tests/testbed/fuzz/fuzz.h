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

/* The ioctls, in the order of the tables in actions.c; then "other". */
#define FUZZ_NR_IOCTLS 30

struct fuzz_stat {
	unsigned long ok, err[FUZZ_MAX_ERRNO];
};

struct fuzz {
	pthread_mutex_t lock;
	struct fuzz_fd fds[FUZZ_MAX_FDS];
	struct fuzz_region regions[FUZZ_MAX_REGIONS];
	unsigned long calls, runs, forks, unexpected, max_calls, progress_every;
	time_t deadline;
	int stop;
	struct fuzz_stat stats[FUZZ_NR_IOCTLS];
};

struct fuzz_thread {
	uint64_t rng;
	int id;
};

extern struct fuzz fz;

uint64_t fuzz_rand(struct fuzz_thread *t);
/* Count a call's result; an errno outside the expected set is a finding. */
void fuzz_record(int which, long r, int err);
int fuzz_pick_fd(struct fuzz_thread *t, enum fd_kind kind, struct fuzz_fd *out);
void fuzz_add_fd(struct fuzz_fd f);
void fuzz_close_fd(int slot);
bool fuzz_pick_region(struct fuzz_thread *t, struct fuzz_region *out);

/* actions.c */
int fuzz_args_init(void);
void fuzz_step(struct fuzz_thread *t);
const char *fuzz_ioctl_name(int which);

#endif /* HAXM_FUZZ_H */
