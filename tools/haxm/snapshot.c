// SPDX-License-Identifier: GPL-2.0
/* `haxm run --save` / `--restore`: the snapshot file (snapshot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snapshot.h"

#define SNAP_PAGE 4096ull

uint32_t snap_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~0u;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static int64_t snap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- device state: a byte stream, written and read field by field ------- */

struct cur {
	uint8_t *w;
	const uint8_t *r;
};

static void put(struct cur *c, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		*c->w++ = v >> (8 * i);
}

static uint64_t get(struct cur *c, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)*c->r++ << (8 * i);
	return v;
}

/* Each device field once, for both directions: @save picks put or get. */
#define FIELD(lv, bytes)                      \
	do {                                  \
		if (save)                     \
			put(c, (lv), bytes);  \
		else                          \
			(lv) = get(c, bytes); \
	} while (0)

static void dev_uart(struct cur *c, struct uart *u, bool save)
{
	int i;

	FIELD(u->ier, 1);
	FIELD(u->lcr, 1);
	FIELD(u->mcr, 1);
	FIELD(u->lsr_extra, 1);
	FIELD(u->msr, 1);
	FIELD(u->scr, 1);
	FIELD(u->fcr, 1);
	FIELD(u->dll, 1);
	FIELD(u->dlm, 1);
	FIELD(u->thr_irq, 1);
	for (i = 0; i < UART_FIFO_SIZE; i++)
		FIELD(u->rx[i], 1);
	FIELD(u->rx_head, 4);
	FIELD(u->rx_count, 4);
	FIELD(u->irq_level, 4);
}

/* A state in the ABI's form, as it lies in memory (haxm run is x86 only). */
static void dev_blob(struct cur *c, void *blob, size_t n, bool save)
{
	if (save) {
		memcpy(c->w, blob, n);
		c->w += n;
	} else {
		memcpy(blob, c->r, n);
		c->r += n;
	}
}

/*
 * The PIC and the PIT (the core's models) in GET_PIC's and GET_PIT's form,
 * loaded with the checks SET_PIC and SET_PIT make. The PIT's counters
 * travel as the time they counted: the guest's time stands still.
 */
static int dev_pic_pit(struct cur *c, struct vmm *m, bool save, int64_t now, const char **why)
{
	struct hax_pic_state pic;
	struct hax_pit_state pit;

	if (save) {
		i8259_get_state(&m->pic.chip, &pic);
		i8254_get_state(&m->pit.chip, (uint64_t)now, &pit);
	}
	dev_blob(c, &pic, sizeof(pic), save);
	dev_blob(c, &pit, sizeof(pit), save);
	if (save)
		return 0;
	if (i8259_set_state(&m->pic.chip, &pic, why))
		return -1;
	return i8254_set_state(&m->pit.chip, &pit, (uint64_t)now, why) ? -1 : 0;
}

static int dev_all(struct cur *c, struct vmm *m, bool save, int64_t now, const char **why)
{
	int i;

	dev_uart(c, &m->uart, save);
	if (dev_pic_pit(c, m, save, now, why))
		return -1;
	FIELD(m->rtc.index, 1);
	for (i = 0; i < 128; i++)
		FIELD(m->rtc.cmos[i], 1);
	FIELD(m->reset.cf9, 1);
	return 0;
}

size_t snap_dev_size(void)
{
	static struct vmm scratch;
	static uint8_t buf[1024];
	struct cur c = { .w = buf };

	dev_all(&c, &scratch, true, 0, NULL);
	return c.w - buf;
}

void snap_dev_save(const struct vmm *m, uint8_t *buf, int64_t now_ns)
{
	struct cur c = { .w = buf };

	dev_all(&c, (struct vmm *)m, true, now_ns, NULL);
}

int snap_dev_load(struct vmm *m, const uint8_t *buf, int64_t now_ns, const char **why)
{
	struct cur c = { .r = buf };

	if (dev_all(&c, m, false, now_ns, why))
		return -1;
	if (m->uart.rx_head >= UART_FIFO_SIZE || m->uart.rx_count > UART_FIFO_SIZE ||
	    m->uart.irq_level > 1) {
		*why = "the UART's FIFO or IRQ level out of range";
		return -1;
	}
	if (m->rtc.index > 127) {
		*why = "the RTC's index above 127";
		return -1;
	}
	return 0;
}

/* ---- save ------------------------------------------------------------------ */

#define ERR(...)                                    \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		goto out;                           \
	} while (0)

/*
 * GET_STATE of a vCPU whose last exit may have left an instruction waiting
 * for user space: finish it with RUNs that enter no guest (PAUSED).
 */
static int snap_get_vcpu(struct vmm_vcpu *v, struct hax_vcpu_full_state *s)
{
	int tries;

	for (tries = 0; tries < 64; tries++) {
		if (!hax_get_state(v->fd, s))
			break;
		if (errno != EBUSY)
			return -1;
		__atomic_store_n(&v->t->_exit_reason, HAX_EXIT_PAUSED, __ATOMIC_RELEASE);
		if (hax_run(v->fd))
			return -1;
		v->t->_exit_reason = 0;
		if (v->t->_exit_status == HAX_EXIT_FAST_MMIO) {
			struct hax_fastmmio *f = (void *)v->iobuf;

			if (f->direction == HAX_FASTMMIO_READ)
				f->value = ~0ull; /* as vmm_mmio(): no MMIO devices */
		} else if (v->t->_exit_status != HAX_EXIT_PAUSED) {
			errno = EBUSY;
			return -1;
		}
	}
	if (tries == 64) {
		errno = EBUSY;
		return -1;
	}
	/* haxm run keeps it halted (waiting for an interrupt, or for good) */
	if (v->halted)
		s->regs._activity_state = HAX_ACTIVITY_HLT;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int snap_write_ram(int fd, const uint8_t *ram, uint64_t size)
{
	static const uint64_t zero[SNAP_PAGE / 8];
	uint64_t off = 0, run;
	off_t base = lseek(fd, 0, SEEK_CUR);

	if (base < 0)
		return -1;
	while (off < size) {
		/* a run of non-zero pages, written at once */
		for (run = 0; off + run < size && memcmp(ram + off + run, zero, SNAP_PAGE);
		     run += SNAP_PAGE)
			;
		if (run && write_all(fd, ram + off, run))
			return -1;
		off += run;
		for (run = 0; off + run < size && !memcmp(ram + off + run, zero, SNAP_PAGE);
		     run += SNAP_PAGE)
			;
		off += run;
		if (run && lseek(fd, base + (off_t)off, SEEK_SET) < 0)
			return -1;
	}
	return ftruncate(fd, base + (off_t)size);
}

/*
 * The in-kernel irqchip's part of the state: the LAPICs, the IO-APIC, then
 * with SNAP_F_KPICPIT the PIC and the PIT.
 */
static size_t snap_kirq_size(int ncpus, uint32_t flags)
{
	size_t n = ncpus * sizeof(struct hax_lapic_state) + sizeof(struct hax_ioapic_state);

	if (flags & SNAP_F_KPICPIT)
		n += sizeof(struct hax_pic_state) + sizeof(struct hax_pit_state);
	return n;
}

static size_t snap_base_size(int ncpus)
{
	return ncpus * sizeof(struct hax_vcpu_full_state) + snap_dev_size();
}

size_t snap_state_size(int ncpus, uint32_t flags)
{
	return snap_base_size(ncpus) + (flags & SNAP_F_KIRQ ? snap_kirq_size(ncpus, flags) : 0);
}

uint32_t snap_flags(const struct vmm *m)
{
	if (m->irqchip != VMM_IRQCHIP_KERNEL)
		return 0;
	return SNAP_F_KIRQ | (m->pic_pit == VMM_IRQCHIP_KERNEL ? SNAP_F_KPICPIT : 0);
}

static int snap_kirq_get(struct vmm *m, uint8_t *buf, char *err, size_t errlen);
static int snap_kirq_load(struct vmm *m, const uint8_t *buf, char *err, size_t errlen);

int snap_state_get(struct vmm *m, uint8_t *state, char *err, size_t errlen)
{
	size_t vsz = sizeof(struct hax_vcpu_full_state);
	int i;

	for (i = 0; i < m->ncpus; i++)
		if (snap_get_vcpu(&m->vcpu[i], (void *)(state + i * vsz))) {
			snprintf(err, errlen, "vCPU %d: HAX_VCPU_IOCTL_GET_STATE: %s%s", i,
				 strerror(errno),
				 errno == ENOTTY ? " (this haxm module has no HAX_CAP_VCPU_STATE)"
						 : "");
			return -1;
		}
	/*
	 * haxm run's PIT: an edge that came due after its timer thread stopped
	 * goes to the PIC before both are read (as GET_PIT does in the kernel).
	 */
	if (m->pic_pit != VMM_IRQCHIP_KERNEL)
		pit_tick(&m->pit);
	snap_dev_save(m, state + m->ncpus * vsz, snap_now());
	if (m->irqchip == VMM_IRQCHIP_KERNEL)
		return snap_kirq_get(m, state + snap_base_size(m->ncpus), err, errlen);
	return 0;
}

/* (GET_PIT,) GET_LAPIC of every vCPU, GET_IOAPIC (and GET_PIC) into @buf. */
static int snap_kirq_get(struct vmm *m, uint8_t *buf, char *err, size_t errlen)
{
	struct hax_lapic_state *l = (void *)buf;
	struct hax_ioapic_state *io = (void *)(l + m->ncpus);
	struct hax_pic_state *pic = (void *)(io + 1);
	struct hax_pit_state *pit = (void *)(pic + 1);
	int i;

	/*
	 * The PIT first: a counter 0 edge due while the vCPUs stood still is
	 * delivered by GET_PIT, into the PIC, IO-APIC and LAPIC states read next.
	 */
	if (m->pic_pit == VMM_IRQCHIP_KERNEL && hax_get_pit(m->vm_fd, pit)) {
		snprintf(err, errlen, "HAX_VM_IOCTL_GET_PIT: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < m->ncpus; i++)
		if (hax_get_lapic(m->vcpu[i].fd, &l[i])) {
			snprintf(err, errlen, "vCPU %d: HAX_VCPU_IOCTL_GET_LAPIC: %s", i,
				 strerror(errno));
			return -1;
		}
	if (hax_get_ioapic(m->vm_fd, io)) {
		snprintf(err, errlen, "HAX_VM_IOCTL_GET_IOAPIC: %s", strerror(errno));
		return -1;
	}
	if (m->pic_pit != VMM_IRQCHIP_KERNEL)
		return 0;
	if (hax_get_pic(m->vm_fd, pic)) {
		snprintf(err, errlen, "HAX_VM_IOCTL_GET_PIC: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int snap_check_kpicpit(const struct hax_pic_state *pic, const struct hax_pit_state *pit, char *err,
		       size_t errlen)
{
	struct i8259 scratch;
	const char *why = NULL;

	if (i8259_set_state(&scratch, pic, &why)) {
		snprintf(err, errlen, "the in-kernel PIC's state is malformed: %s", why);
		return -1;
	}
	if (i8254_check_state(pit, &why)) {
		snprintf(err, errlen, "the in-kernel PIT's state is malformed: %s", why);
		return -1;
	}
	return 0;
}

/* SET_PIC and SET_PIT, of states snap_check_kpicpit() passes. */
static int snap_kpicpit_load(struct vmm *m, const struct hax_pic_state *pic,
			     const struct hax_pit_state *pit, char *err, size_t errlen)
{
	if (snap_check_kpicpit(pic, pit, err, errlen))
		return -1;
	if (hax_set_pic(m->vm_fd, pic)) {
		snprintf(err, errlen, "HAX_VM_IOCTL_SET_PIC: %s", strerror(errno));
		return -1;
	}
	if (hax_set_pit(m->vm_fd, pit)) {
		snprintf(err, errlen, "HAX_VM_IOCTL_SET_PIT: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* SET_LAPIC (after SET_STATE: IA32_APIC_BASE must agree), SET_IOAPIC (, _PIC, _PIT). */
static int snap_kirq_load(struct vmm *m, const uint8_t *buf, char *err, size_t errlen)
{
	const struct hax_lapic_state *l = (const void *)buf;
	struct hax_ioapic_state io;
	struct hax_pic_state pic;
	struct hax_pit_state pit;
	const uint8_t *p = (const uint8_t *)(l + m->ncpus);
	int i;

	for (i = 0; i < m->ncpus; i++)
		if (hax_set_lapic(m->vcpu[i].fd, &l[i])) {
			snprintf(err, errlen, "vCPU %d: HAX_VCPU_IOCTL_SET_LAPIC: %s", i,
				 strerror(errno));
			return -1;
		}
	memcpy(&io, p, sizeof(io));
	if (hax_set_ioapic(m->vm_fd, &io)) {
		snprintf(err, errlen, "HAX_VM_IOCTL_SET_IOAPIC: %s", strerror(errno));
		return -1;
	}
	if (m->pic_pit != VMM_IRQCHIP_KERNEL)
		return 0;
	memcpy(&pic, p + sizeof(io), sizeof(pic));
	memcpy(&pit, p + sizeof(io) + sizeof(pic), sizeof(pit));
	return snap_kpicpit_load(m, &pic, &pit, err, errlen);
}

int snap_save(struct vmm *m, const char *path, char *err, size_t errlen)
{
	size_t vsz = sizeof(struct hax_vcpu_full_state), dsz = snap_dev_size();
	uint32_t flags = snap_flags(m);
	size_t ssz = snap_state_size(m->ncpus, flags);
	struct snap_header h = { .magic = SNAP_MAGIC };
	uint8_t *state = calloc(1, ssz), *pad = NULL;
	int fd = -1, r = -1;
	uint64_t pos;

	if (!state)
		ERR("out of memory");
	if (snap_state_get(m, state, err, errlen))
		goto out;
	h.version = SNAP_VERSION;
	h.flags = flags;
	h.header_size = sizeof(h);
	h.ncpus = m->ncpus;
	h.vcpu_size = vsz;
	h.dev_size = dsz;
	h.ram_size = m->ram_size;
	pos = sizeof(h) + ssz;
	h.ram_offset = (pos + SNAP_PAGE - 1) & ~(SNAP_PAGE - 1);
	h.state_crc = snap_crc32(state, ssz);
	h.header_crc = snap_crc32(&h, sizeof(h));
	pad = calloc(1, h.ram_offset - pos + 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !pad)
		ERR("cannot create %s: %s", path, fd < 0 ? strerror(errno) : "out of memory");
	if (write_all(fd, &h, sizeof(h)) || write_all(fd, state, ssz) ||
	    write_all(fd, pad, h.ram_offset - pos) || snap_write_ram(fd, m->ram, m->ram_size) ||
	    fsync(fd))
		ERR("writing %s: %s", path, strerror(errno));
	r = 0;
out:
	if (fd >= 0 && close(fd) && !r) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		r = -1;
	}
	if (r && fd >= 0)
		unlink(path);
	free(state);
	free(pad);
	return r;
}

/* ---- restore --------------------------------------------------------------- */

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

int snap_open(const char *path, struct snap_file *f, char *err, size_t errlen)
{
	struct snap_header *h = &f->h;
	size_t ssz;
	uint32_t crc;
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) || !S_ISREG(st.st_mode))
		ERR("cannot read %s: %s", path, f->fd < 0 ? strerror(errno) : "not a regular file");
	if (read_at(f->fd, h, sizeof(*h), 0))
		ERR("%s is truncated: no snapshot header", path);
	if (memcmp(h->magic, SNAP_MAGIC, 8))
		ERR("%s is not a haxm run snapshot (no HAXMSNAP magic)", path);
	crc = h->header_crc;
	h->header_crc = 0;
	if (snap_crc32(h, sizeof(*h)) != crc)
		ERR("%s: the snapshot header is corrupted (CRC mismatch)", path);
	h->header_crc = crc;
	if (h->version != SNAP_VERSION || h->header_size != sizeof(*h))
		ERR("%s: snapshot version %u, this haxm run reads version %u", path, h->version,
		    SNAP_VERSION);
	if (h->vcpu_size != sizeof(struct hax_vcpu_full_state) || h->dev_size != snap_dev_size() ||
	    (h->flags & ~(SNAP_F_KIRQ | SNAP_F_KPICPIT)))
		ERR("%s: written by another haxm run (state sizes %u/%u, expected %zu/%zu)", path,
		    h->vcpu_size, h->dev_size, sizeof(struct hax_vcpu_full_state), snap_dev_size());
	if ((h->flags & SNAP_F_KPICPIT) && !(h->flags & SNAP_F_KIRQ))
		ERR("%s: an in-kernel PIC and PIT without the in-kernel irqchip (flags %#x)", path,
		    h->flags);
	if (h->ncpus < 1 || h->ncpus > VMM_MAX_CPUS)
		ERR("%s: %u vCPUs, haxm run runs 1 to %d", path, h->ncpus, VMM_MAX_CPUS);
	if (h->ram_size < VMM_MIN_RAM || h->ram_size > VMM_SNAP_MAX_RAM || (h->ram_size & 0xfff))
		ERR("%s: %llu bytes of RAM, not a size haxm run gives a guest", path,
		    (unsigned long long)h->ram_size);
	ssz = snap_state_size(h->ncpus, h->flags);
	if (h->ram_offset != ((sizeof(*h) + ssz + SNAP_PAGE - 1) & ~(SNAP_PAGE - 1)))
		ERR("%s: the RAM is not where the header says it must be", path);
	if ((uint64_t)st.st_size < h->ram_offset + h->ram_size)
		ERR("%s is truncated: %lld bytes, the snapshot needs %llu", path,
		    (long long)st.st_size, (unsigned long long)(h->ram_offset + h->ram_size));
	f->state = malloc(ssz);
	if (!f->state || read_at(f->fd, f->state, ssz, sizeof(*h)))
		ERR("cannot read %s's state: %s", path, f->state ? strerror(errno) : "no memory");
	if (snap_crc32(f->state, ssz) != h->state_crc)
		ERR("%s: the vCPU or device state is corrupted (CRC mismatch)", path);
	return 0;
out:
	snap_close(f);
	return -1;
}

int snap_restore(struct vmm *m, const struct snap_file *f, char *err, size_t errlen)
{
	return snap_state_load(m, f->state, err, errlen);
}

int snap_state_load(struct vmm *m, const uint8_t *state, char *err, size_t errlen)
{
	size_t vsz = sizeof(struct hax_vcpu_full_state);
	const char *why = NULL;
	int i;

	for (i = 0; i < m->ncpus; i++)
		if (hax_set_state(m->vcpu[i].fd, (const void *)(state + i * vsz))) {
			snprintf(err, errlen, "vCPU %d: HAX_VCPU_IOCTL_SET_STATE: %s%s", i,
				 strerror(errno),
				 errno == EINVAL ? " (a state this host's haxm cannot hold)" : "");
			return -1;
		}
	if (snap_dev_load(m, state + m->ncpus * vsz, snap_now(), &why)) {
		snprintf(err, errlen, "the device state is malformed: %s", why);
		return -1;
	}
	if (m->irqchip == VMM_IRQCHIP_KERNEL)
		return snap_kirq_load(m, state + snap_base_size(m->ncpus), err, errlen);
	return 0;
}

void snap_close(struct snap_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->state);
	f->state = NULL;
}
