/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `haxm run --migrate-to SOCK` / `--migrate-listen SOCK`: live migration of
 * a running guest between two haxm run processes over a unix socket
 * (docs/haxm-run.md, "Live migration").
 *
 * The stream, all integers little-endian (x86 only):
 *   source -> destination: struct mig_hello (what the guest is)
 *   destination -> source: struct mig_reply (accepted, or refused and why)
 *   source -> destination: records, each a struct mig_rec then its payload:
 *     MIG_REC_PAGES: count page numbers (u64), then count 4 KiB pages
 *     MIG_REC_ZERO:  count page numbers (u64), pages now all zeros
 *     MIG_REC_STATE: count bytes of vCPU and device state
 *                    (snap_state_get()), then their CRC32 (u32); the last
 *   destination -> source: struct mig_reply (the guest runs here now)
 * Pre-copy: logging of guest writes starts (HAX_VM_IOCTL_DIRTY_LOG_START),
 * round 1 sends every non-zero page, each later round the pages written
 * since the round before, until a round has at most MIG_SMALL_SET pages or
 * MIG_MAX_ROUNDS rounds went by; then the guest stops and the last round
 * goes with the state (stop-and-copy).
 */
#ifndef HAXM_TOOL_MIGRATE_H
#define HAXM_TOOL_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

#define MIG_MAGIC      "HAXMMIGR"
#define MIG_VERSION    2 /* 2: the PIC's and PIT's device state as in snapshot version 2 */
#define MIG_PAGE       4096u
#define MIG_BATCH      256u /* most pages a record carries */
#define MIG_MAX_ROUNDS 10   /* pre-copy rounds, round 1 (all pages) included */
#define MIG_SMALL_SET  256u /* dirty pages few enough to stop the guest for */

struct mig_hello {
	char magic[8];	      /* MIG_MAGIC */
	uint32_t version;     /* MIG_VERSION */
	uint32_t header_size; /* sizeof(struct mig_hello) */
	uint32_t ncpus;	      /* 1..VMM_MAX_CPUS */
	uint32_t vcpu_size;   /* sizeof(struct hax_vcpu_full_state) */
	uint32_t dev_size;    /* snap_dev_size() */
	uint32_t page_size;   /* MIG_PAGE */
	uint64_t ram_size;    /* bytes of guest RAM at guest-physical 0 */
	uint32_t flags;	      /* MIG_F_KIRQ (| MIG_F_KPICPIT) or 0 */
	uint32_t crc;	      /* CRC32 of this header with crc 0 */
};
_Static_assert(sizeof(struct mig_hello) == 48, "migration hello layout");

/*
 * The guest has the in-kernel irqchip: the state record carries its LAPICs
 * and IO-APIC too (snap_state_size()); a destination that predates the
 * flag refuses the guest.
 */
#define MIG_F_KIRQ 0x1
/*
 * With MIG_F_KIRQ only: the PIC and the PIT are the kernel's too; the state
 * record carries their GET_PIC/GET_PIT states (SNAP_F_KPICPIT's layout).
 */
#define MIG_F_KPICPIT 0x2

#define MIG_ACCEPT 0 /* mig_reply.status: go on */
#define MIG_REFUSE 1 /* mig_reply.status: why says why; the connection ends */

struct mig_reply {
	uint32_t status; /* MIG_ACCEPT or MIG_REFUSE */
	char why[124];	 /* NUL-terminated */
};
_Static_assert(sizeof(struct mig_reply) == 128, "migration reply layout");

enum mig_rec_type { MIG_REC_PAGES = 1, MIG_REC_ZERO = 2, MIG_REC_STATE = 3 };

struct mig_rec {
	uint32_t type;	/* enum mig_rec_type */
	uint32_t count; /* pages (1..MIG_BATCH), or bytes of state */
	uint64_t round; /* the pre-copy round it belongs to, from 1 */
};
_Static_assert(sizeof(struct mig_rec) == 16, "migration record layout");

/* What a migration did, for --stats and the bench. */
struct mig_stats {
	unsigned int rounds;
	uint64_t pages, zero_pages, bytes;
	int64_t total_ns, downtime_ns;
	uint64_t total_tsc, downtime_tsc;
};

/* A connection: a unix stream socket (rfd == wfd) or a pair of FIFOs. */
struct mig_conn {
	int rfd, wfd;
};

/* The source's side, held by struct vmm while a migration goes on. */
struct mig_source {
	const char *path; /* the destination's socket, or fifo:PATH */
	struct mig_conn c;
	uint64_t *dirty; /* the last pre-copy round's dirty pages */
	uint8_t *buf;	 /* a record being built */
	bool logging;
	int64_t t0, t_stop;
	uint64_t tsc0, tsc_stop;
	struct mig_stats st;
};

/**
 * mig_precopy() - called by vmm_run()'s main thread on SIGQUIT (or Ctrl-A
 * s) with m->migrate set, while the vCPUs run: connect to the destination,
 * send the hello, start dirty logging and send the pre-copy rounds.
 * Returns 0 when the guest may stop for the last round (the caller then
 * ends vmm_run() with VMM_EXIT_MIGRATE), or -1 after saying why on stderr
 * (refused, no destination, a pending SIGINT/SIGTERM/SIGHUP, the guest
 * ended): nothing is left open and the guest runs on.
 */
int mig_precopy(struct vmm *m);

/**
 * mig_finish() - after vmm_run() returned VMM_EXIT_MIGRATE (the vCPUs
 * stopped): send the pages written since the last round and the vCPU and
 * device states, and wait for the destination's word. Returns 0 when the
 * guest runs there (this process then exits), or -1 with a reason in @err:
 * the state reloaded into @m so that vmm_run() may run the guest on here.
 */
int mig_finish(struct vmm *m, char *err, size_t errlen);

/**
 * mig_check_hello() - validate @h, received from a source: magic, CRC,
 * version, the state sizes this haxm run has, a vCPU count and RAM size
 * haxm run gives a guest, and (when not 0) the @want_ram and @want_cpus
 * the destination was started with. Returns 0, or -1 with a one-line
 * reason in @err.
 */
int mig_check_hello(const struct mig_hello *h, uint64_t want_ram, int want_cpus, char *err,
		    size_t errlen);

/**
 * mig_receive() - read records from @fd into @ram (@ram_size bytes) until
 * the state record, whose @state_size bytes go to @state (CRC checked).
 * Every record is checked: its type, a page count of 1..MIG_BATCH, page
 * numbers within the RAM, the state's size and CRC, rounds that never go
 * back. Returns 0 (@st counts rounds and pages), or -1 with a reason in
 * @err (a short read: the source closed the connection).
 */
int mig_receive(int fd, uint8_t *ram, uint64_t ram_size, uint8_t *state, size_t state_size,
		struct mig_stats *st, char *err, size_t errlen);

/**
 * mig_listen() - `--migrate-listen SPEC`: wait for one source on @spec, a
 * unix socket's path (a stale socket there is replaced, any other file
 * refused; removed once connected), or "fifo:PATH": the FIFOs PATH.s2d
 * (source to destination) and PATH.d2s made here (and removed once both
 * ends are open), for kernels without unix sockets. SIGINT, SIGTERM and
 * SIGHUP (blocked) end the wait. Returns 0 with @c open, or -1 with a
 * reason in @err.
 */
int mig_listen(const char *spec, struct mig_conn *c, char *err, size_t errlen);

/**
 * mig_connect() - `--migrate-to SPEC`: connect to the destination waiting
 * on @spec (as mig_listen()'s) and send it @len bytes of @first (the
 * hello). Returns 0 with @c open, or -1 with a reason in @err (nobody
 * waits there: ECONNREFUSED, ENOENT, or ENXIO for FIFOs nobody reads).
 */
int mig_connect(const char *spec, struct mig_conn *c, const void *first, size_t len, char *err,
		size_t errlen);

/** mig_conn_close() - close what @c holds. */
void mig_conn_close(struct mig_conn *c);

/**
 * mig_reply() - send a struct mig_reply with @status and @why. Returns 0 or
 * -1 (errno).
 */
int mig_reply(int fd, uint32_t status, const char *why);

/**
 * mig_read() / mig_write() - all of @len bytes, or -1 with errno (EOF is
 * EPIPE; a gone reader is EPIPE too, never SIGPIPE).
 */
int mig_read(int fd, void *buf, size_t len);
int mig_write(int fd, const void *buf, size_t len);

#endif /* HAXM_TOOL_MIGRATE_H */
