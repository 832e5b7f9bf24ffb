/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `haxm run --save FILE` / `--restore FILE`: a stopped VM in one file
 * (docs/haxm-run.md, "Snapshots"). Layout: a header (magic, version, the
 * sizes this file was written with, CRC32s), the vCPUs' complete states
 * (HAX_VCPU_IOCTL_GET_STATE), the devices' state, with the in-kernel
 * irqchip the local APICs' and the IO-APIC's (SNAP_F_KIRQ), then guest RAM at a
 * page-aligned offset so that a restore maps it copy-on-write
 * (MAP_PRIVATE) instead of reading it.
 */
#ifndef HAXM_TOOL_SNAPSHOT_H
#define HAXM_TOOL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

#define SNAP_MAGIC "HAXMSNAP"
/*
 * Version 2: the PIC's and the PIT's device state in the ABI's form
 * (struct hax_pic_state, struct hax_pit_state: haxm run's are the core's
 * models since then).
 */
#define SNAP_VERSION 2
/*
 * The guest has the in-kernel irqchip: after the device state come ncpus
 * struct hax_lapic_state (GET_LAPIC) and one struct hax_ioapic_state.
 * A haxm run that predates it refuses the file (flags must be 0 there).
 */
#define SNAP_F_KIRQ 0x1
/*
 * With SNAP_F_KIRQ only: the PIC and the PIT are the kernel's too
 * (HAX_LAPIC_ENABLE_PIC/_PIT): a struct hax_pic_state (GET_PIC) and a
 * struct hax_pit_state (GET_PIT) follow the IO-APIC's. Restoring it needs a
 * module with HAX_CAP_PIC_PIT.
 */
#define SNAP_F_KPICPIT 0x2

struct snap_header {
	char magic[8];	      /* SNAP_MAGIC */
	uint32_t version;     /* SNAP_VERSION */
	uint32_t header_size; /* sizeof(struct snap_header) */
	uint32_t ncpus;	      /* 1..VMM_MAX_CPUS */
	uint32_t vcpu_size;   /* sizeof(struct hax_vcpu_full_state) */
	uint32_t dev_size;    /* bytes of device state */
	uint32_t flags;	      /* SNAP_F_KIRQ (| SNAP_F_KPICPIT) or 0 */
	uint64_t ram_size;    /* bytes of guest RAM at guest-physical 0 */
	uint64_t ram_offset;  /* where RAM starts in the file: page-aligned */
	uint32_t state_crc;   /* CRC32 of the vCPU and device state */
	uint32_t header_crc;  /* CRC32 of this header with header_crc 0 */
};
_Static_assert(sizeof(struct snap_header) == 56, "snapshot header layout");

/* A snapshot file opened and checked for restore. */
struct snap_file {
	int fd;
	struct snap_header h;
	uint8_t *state; /* ncpus vCPU states, then the device state */
};

/**
 * snap_crc32() - the CRC-32 (IEEE 802.3, as zlib's crc32()) of @len bytes.
 */
uint32_t snap_crc32(const void *buf, size_t len);

/**
 * snap_save() - write the stopped VM @m (its vCPU threads joined) to @path.
 * vCPUs with an instruction waiting for user space finish it first (a RUN
 * with HAX_EXIT_PAUSED); a vCPU haxm run keeps halted is saved halted.
 * Returns 0, or -1 with a one-line reason in @err.
 */
int snap_save(struct vmm *m, const char *path, char *err, size_t errlen);

/**
 * snap_write_ram() - write @size bytes of guest RAM at @fd's current offset
 * (@size a multiple of 4 KiB), a page at a time: a page of zeros is left a
 * hole (RAM the guest never touched costs no disk space and, in a tmpfs, no
 * memory; a restore reads holes as zeros), the others are written; the file
 * is then extended to the RAM's end. Returns 0, or -1 with errno: a write(),
 * lseek() or ftruncate() error (ENOSPC, EIO, EFBIG, ...).
 */
int snap_write_ram(int fd, const uint8_t *ram, uint64_t size);

/**
 * snap_open() - open @path and check everything but the RAM's content: the
 * magic, version, sizes (against this haxm run's), CRCs, the RAM's place
 * and that the file holds all of it. Returns 0, or -1 with a one-line
 * reason in @err (nothing left open).
 */
int snap_open(const char *path, struct snap_file *f, char *err, size_t errlen);

/**
 * snap_restore() - load @f's vCPU and device states into @m, created with
 * its RAM mapped from @f (vmm_create() with ram_fd) and, when @f has
 * SNAP_F_KIRQ, with the in-kernel irqchip (whose states it loads too).
 * Returns 0, or -1 with a reason in @err.
 */
int snap_restore(struct vmm *m, const struct snap_file *f, char *err, size_t errlen);

/**
 * snap_state_size() - bytes of the state of a VM with @ncpus vCPUs: their
 * complete states (struct hax_vcpu_full_state) then the devices', then
 * with SNAP_F_KIRQ in @flags (the in-kernel irqchip) @ncpus struct
 * hax_lapic_state and a struct hax_ioapic_state, and with SNAP_F_KPICPIT a
 * struct hax_pic_state and a struct hax_pit_state.
 */
size_t snap_state_size(int ncpus, uint32_t flags);

/** snap_flags() - the SNAP_F_* of @m's interrupt controllers. */
uint32_t snap_flags(const struct vmm *m);

/**
 * snap_state_get() - the stopped VM @m's state (its vCPU threads joined)
 * into @state, snap_state_size(m->ncpus, snap_flags(m))
 * bytes, as snap_save() writes it
 * (and `haxm run --migrate-to` sends it). Returns 0, or -1 with a reason in
 * @err: GET_STATE failed (ENOTTY: no HAX_CAP_VCPU_STATE; EBUSY: a vCPU
 * kept an instruction for user space).
 */
int snap_state_get(struct vmm *m, uint8_t *state, char *err, size_t errlen);

/**
 * snap_state_load() - load @state (snap_state_get()'s layout, for
 * m->ncpus vCPUs and m's irqchip) into @m's vCPUs and devices, and with
 * the in-kernel irqchip into its LAPICs (after SET_STATE: IA32_APIC_BASE
 * must agree), IO-APIC and, when m->pic_pit is KERNEL, PIC and PIT; the
 * PIT's clock resumes where the state left it. Returns 0, or -1 with a
 * reason in @err (a vCPU, LAPIC or IO-APIC state this host's haxm refuses,
 * a malformed PIC, PIT or device state: what is wrong in it).
 */
int snap_state_load(struct vmm *m, const uint8_t *state, char *err, size_t errlen);

/**
 * snap_check_kpicpit() - are @pic and @pit states SET_PIC and SET_PIT take?
 * The core's checks (the module makes the same), so that a malformed
 * snapshot or migration is refused saying what is wrong rather than with an
 * EINVAL. Returns 0, or -1 with "the in-kernel PIC's (PIT's) state is
 * malformed: WHAT" in @err.
 */
int snap_check_kpicpit(const struct hax_pic_state *pic, const struct hax_pit_state *pit, char *err,
		       size_t errlen);

/** snap_close() - release what snap_open() holds. */
void snap_close(struct snap_file *f);

/*
 * The device state, in a fixed little-endian byte layout (snapshot.c):
 * snap_dev_size() bytes; snap_dev_load() returns -1 on values a device
 * cannot hold, what is wrong in *@why. Used by the unit tests.
 */
size_t snap_dev_size(void);
void snap_dev_save(const struct vmm *m, uint8_t *buf, int64_t now_ns);
int snap_dev_load(struct vmm *m, const uint8_t *buf, int64_t now_ns, const char **why);

#endif /* HAXM_TOOL_SNAPSHOT_H */
