// SPDX-License-Identifier: GPL-2.0
/* `haxm run --migrate-to` / `--migrate-listen`: live migration (migrate.h). */
#define _GNU_SOURCE /* accept4() */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "migrate.h"
#include "snapshot.h"

_Static_assert(MIG_F_KIRQ == SNAP_F_KIRQ && MIG_F_KPICPIT == SNAP_F_KPICPIT,
	       "the migration's irqchip flags are the snapshot's");

#define ERR(...)                                    \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		goto out;                           \
	} while (0)

static int64_t mig_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The testbed's time base (docs/benchmarks.md): Bochs' TSC counts instructions. */
static uint64_t mig_tsc(void)
{
	return __builtin_ia32_rdtsc();
}

int mig_write(int fd, const void *buf, size_t len)
{
	struct timespec zero = { 0, 0 };
	const uint8_t *p = buf;
	sigset_t pipe, old;
	struct stat st;
	ssize_t n = 0;
	bool sock;
	int e;

	/* a gone reader is EPIPE, not SIGPIPE (FIFOs have no MSG_NOSIGNAL) */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	/* a kernel without networking has no send() (ENOSYS): FIFOs write() */
	sock = !fstat(fd, &st) && S_ISSOCK(st.st_mode);
	while (len) {
		n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		len -= n;
	}
	e = errno;
	if (len && e == EPIPE && !sigismember(&old, SIGPIPE))
		sigtimedwait(&pipe, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return len ? -1 : 0;
}

int mig_read(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EPIPE;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int mig_reply(int fd, uint32_t status, const char *why)
{
	struct mig_reply r = { .status = status };

	snprintf(r.why, sizeof(r.why), "%s", why);
	return mig_write(fd, &r, sizeof(r));
}

/* ---- destination --------------------------------------------------------- */

int mig_check_hello(const struct mig_hello *h, uint64_t want_ram, int want_cpus, char *err,
		    size_t errlen)
{
	struct mig_hello c = *h;

	c.crc = 0;
	if (memcmp(h->magic, MIG_MAGIC, 8))
		ERR("not a haxm run migration (no %s magic)", MIG_MAGIC);
	if (snap_crc32(&c, sizeof(c)) != h->crc)
		ERR("the migration header is corrupted (CRC mismatch)");
	if (h->version != MIG_VERSION || h->header_size != sizeof(*h))
		ERR("migration protocol version %u, this haxm run speaks version %u", h->version,
		    MIG_VERSION);
	if (h->vcpu_size != sizeof(struct hax_vcpu_full_state) || h->dev_size != snap_dev_size() ||
	    h->page_size != MIG_PAGE || (h->flags & ~(MIG_F_KIRQ | MIG_F_KPICPIT)))
		ERR("the source is another haxm run build (state sizes %u/%u, page %u; here "
		    "%zu/%zu, %u)",
		    h->vcpu_size, h->dev_size, h->page_size, sizeof(struct hax_vcpu_full_state),
		    snap_dev_size(), MIG_PAGE);
	if ((h->flags & MIG_F_KPICPIT) && !(h->flags & MIG_F_KIRQ))
		ERR("an in-kernel PIC and PIT without the in-kernel irqchip (flags %#x)", h->flags);
	if (h->ncpus < 1 || h->ncpus > VMM_MAX_CPUS)
		ERR("a guest of %u vCPUs: haxm run runs 1 to %d", h->ncpus, VMM_MAX_CPUS);
	if (h->ram_size < VMM_MIN_RAM || h->ram_size > VMM_SNAP_MAX_RAM || (h->ram_size & 0xfff))
		ERR("%llu bytes of RAM, not a size haxm run gives a guest",
		    (unsigned long long)h->ram_size);
	if (want_cpus && h->ncpus != (uint32_t)want_cpus)
		ERR("the guest has %u vCPUs, this destination was started with --cpus %d", h->ncpus,
		    want_cpus);
	if (want_ram && h->ram_size != want_ram)
		ERR("the guest has %llu MiB of RAM, this destination was started with -m %lluM",
		    (unsigned long long)(h->ram_size >> 20), (unsigned long long)(want_ram >> 20));
	return 0;
out:
	return -1;
}

int mig_receive(int fd, uint8_t *ram, uint64_t ram_size, uint8_t *state, size_t state_size,
		struct mig_stats *st, char *err, size_t errlen)
{
	static uint64_t pn[MIG_BATCH];
	uint64_t npages = ram_size / MIG_PAGE, last = 1;
	struct mig_rec r;
	uint32_t crc, i;

	memset(st, 0, sizeof(*st));
	for (;;) {
		if (mig_read(fd, &r, sizeof(r)))
			goto gone;
		if (r.round < last || r.round > MIG_MAX_ROUNDS + 1)
			ERR("a record of round %llu after round %llu (rounds 1 to %d)",
			    (unsigned long long)r.round, (unsigned long long)last,
			    MIG_MAX_ROUNDS + 1);
		last = r.round;
		st->rounds = r.round;
		if (r.type == MIG_REC_STATE) {
			if (r.count != state_size)
				ERR("the source sends %u bytes of vCPU and device state, %zu "
				    "expected",
				    r.count, state_size);
			if (mig_read(fd, state, state_size) || mig_read(fd, &crc, sizeof(crc)))
				goto gone;
			if (snap_crc32(state, state_size) != crc)
				ERR("the guest's vCPU and device state is corrupted (CRC "
				    "mismatch)");
			return 0;
		}
		if (r.type != MIG_REC_PAGES && r.type != MIG_REC_ZERO)
			ERR("a record of unknown type %u", r.type);
		if (!r.count || r.count > MIG_BATCH)
			ERR("a record of %u pages (1 to %u)", r.count, MIG_BATCH);
		if (mig_read(fd, pn, r.count * sizeof(pn[0])))
			goto gone;
		for (i = 0; i < r.count; i++)
			if (pn[i] >= npages)
				ERR("page %llu is outside the guest's RAM (%llu pages)",
				    (unsigned long long)pn[i], (unsigned long long)npages);
		for (i = 0; i < r.count; i++) {
			if (r.type == MIG_REC_ZERO)
				memset(ram + pn[i] * MIG_PAGE, 0, MIG_PAGE);
			else if (mig_read(fd, ram + pn[i] * MIG_PAGE, MIG_PAGE))
				goto gone;
		}
		st->pages += r.count;
		if (r.type == MIG_REC_ZERO)
			st->zero_pages += r.count;
	}
gone:
	snprintf(err, errlen, "%s before the guest's state: migration abandoned",
		 errno == EPIPE ? "the source closed the connection" : strerror(errno));
out:
	return -1;
}

/* A SIGINT, SIGTERM or SIGHUP (all blocked, vmm_block_signals()) waiting? */
static int mig_signalled(void)
{
	sigset_t p;

	if (sigpending(&p))
		return 0;
	return sigismember(&p, SIGINT)	  ? SIGINT
	       : sigismember(&p, SIGTERM) ? SIGTERM
	       : sigismember(&p, SIGHUP)  ? SIGHUP
					  : 0;
}

void mig_conn_close(struct mig_conn *c)
{
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	if (c->rfd >= 0)
		close(c->rfd);
	c->rfd = c->wfd = -1;
}

/* Wait for @fd to be readable (or its peer gone), with an eye on signals. */
static int mig_wait(int fd, int ms, char *err, size_t errlen, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int sig;

	for (; ms > 0; ms -= 100) {
		if ((sig = mig_signalled()))
			ERR("interrupted (%s) while waiting for %s", strsignal(sig), what);
		if (poll(&p, 1, 100) > 0)
			return 0;
	}
	ERR("no %s after a minute", what);
out:
	return -1;
}

static int mig_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* fifo:PATH: PATH.s2d (source to destination) and PATH.d2s, made here. */
static int mig_listen_fifo(const char *path, struct mig_conn *c, char *err, size_t errlen)
{
	char name[2][PATH_MAX];
	struct stat st;
	int i, tries, made = 0;
	bool ok = false;

	for (i = 0; i < 2; i++) {
		if (snprintf(name[i], PATH_MAX, "%s.%s", path, i ? "d2s" : "s2d") >= PATH_MAX)
			ERR("fifo:%s: the path is too long", path);
		if (!lstat(name[i], &st) && !S_ISFIFO(st.st_mode))
			ERR("%s exists and is not a FIFO: not replacing it", name[i]);
	}
	for (i = 0; i < 2; i++) {
		unlink(name[i]);
		if (mkfifo(name[i], 0600))
			ERR("cannot make the FIFO %s: %s", name[i], strerror(errno));
		made++;
		/* read from .s2d before .d2s exists: a source seeing both finds a reader */
		if (!i)
			c->rfd = open(name[0], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->rfd < 0)
			ERR("cannot open %s: %s", name[0], strerror(errno));
	}
	fprintf(stderr, "haxm run: waiting for a guest on fifo:%s\n", path);
	/* the poll sees the source's hello: no POLLHUP before a writer came */
	if (mig_wait(c->rfd, INT32_MAX, err, errlen, "a guest") || mig_blocking(c->rfd))
		goto out;
	/* the source opens its end right after its hello */
	for (tries = 0; tries < 1000; tries++) {
		c->wfd = open(name[1], O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->wfd >= 0 || errno != ENXIO)
			break;
		usleep(10000);
	}
	if (c->wfd < 0 || mig_blocking(c->wfd))
		ERR("the source did not open %s: %s", name[1], strerror(errno));
	ok = true;
out:
	for (i = 0; i < made; i++) /* both ends open, or failed: the names go */
		unlink(name[i]);
	if (!ok)
		mig_conn_close(c);
	return ok ? 0 : -1;
}

int mig_listen(const char *spec, struct mig_conn *c, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t mask;
	int l = -1, r;

	c->rfd = c->wfd = -1;
	if (!strncmp(spec, "fifo:", 5))
		return mig_listen_fifo(spec + 5, c, err, errlen);
	if (strlen(spec) >= sizeof(a.sun_path))
		ERR("%s: a socket path is at most %zu bytes", spec, sizeof(a.sun_path) - 1);
	strcpy(a.sun_path, spec);
	if (!lstat(spec, &st)) {
		if (!S_ISSOCK(st.st_mode))
			ERR("%s exists and is not a socket: not replacing it", spec);
		unlink(spec); /* a socket nobody listens on any more */
	}
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	mask = umask(0177); /* the socket 0600: whoever connects hands us a guest */
	r = l < 0 ? -1 : bind(l, (struct sockaddr *)&a, sizeof(a));
	umask(mask);
	if (r || listen(l, 1))
		ERR("cannot listen on %s: %s%s", spec, strerror(errno),
		    l < 0 ? " (a kernel without unix sockets: use fifo:PATH)" : "");
	fprintf(stderr, "haxm run: waiting for a guest on %s\n", spec);
	/* the signals are blocked: look for them between polls */
	while (c->rfd < 0) {
		if (mig_wait(l, INT32_MAX, err, errlen, "a guest"))
			goto out;
		c->rfd = c->wfd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c->rfd < 0 && errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
			ERR("accepting on %s: %s", spec, strerror(errno));
	}
out:
	if (l >= 0) {
		close(l);
		unlink(spec);
	}
	return c->rfd < 0 ? -1 : 0;
}

int mig_connect(const char *spec, struct mig_conn *c, const void *first, size_t len, char *err,
		size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char name[PATH_MAX];
	const char *path = spec + 5;

	c->rfd = c->wfd = -1;
	if (strncmp(spec, "fifo:", 5)) {
		if (strlen(spec) >= sizeof(a.sun_path))
			ERR("a socket path is at most %zu bytes", sizeof(a.sun_path) - 1);
		strcpy(a.sun_path, spec);
		c->rfd = c->wfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->rfd < 0 || connect(c->rfd, (struct sockaddr *)&a, sizeof(a)))
			ERR("cannot connect: %s (is a haxm run --migrate-listen waiting there?)",
			    strerror(errno));
		if (mig_write(c->wfd, first, len))
			ERR("the destination went away: %s", strerror(errno));
		return 0;
	}
	snprintf(name, sizeof(name), "%s.s2d", path);
	/* ENXIO: nobody reads it, no destination waits */
	c->wfd = open(name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->wfd < 0 || mig_blocking(c->wfd))
		ERR("cannot open %s: %s (is a haxm run --migrate-listen fifo:%s waiting?)", name,
		    strerror(errno), path);
	if (mig_write(c->wfd, first, len))
		ERR("the destination went away: %s", strerror(errno));
	snprintf(name, sizeof(name), "%s.d2s", path);
	/* a reader without a writer yet reads EOF: wait for the reply to come */
	c->rfd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->rfd < 0)
		ERR("cannot open %s: %s", name, strerror(errno));
	if (mig_wait(c->rfd, 60000, err, errlen, "the destination's reply") || mig_blocking(c->rfd))
		goto out;
	return 0;
out:
	mig_conn_close(c);
	return -1;
}

/* ---- source -------------------------------------------------------------- */

static const uint64_t mig_zero[MIG_PAGE / 8];

static bool mig_page_zero(const struct vmm *m, uint64_t pn)
{
	return !memcmp(m->ram + pn * MIG_PAGE, mig_zero, MIG_PAGE);
}

/* One record of @n pages (MIG_REC_PAGES with their contents, or MIG_REC_ZERO). */
static int mig_send_batch(struct mig_source *s, const struct vmm *m, uint32_t type,
			  const uint64_t *pn, uint32_t n, uint64_t round)
{
	struct mig_rec r = { .type = type, .count = n, .round = round };
	uint8_t *p = s->buf;
	uint32_t i;

	if (!n)
		return 0;
	memcpy(p, &r, sizeof(r));
	p += sizeof(r);
	memcpy(p, pn, n * sizeof(*pn));
	p += n * sizeof(*pn);
	for (i = 0; type == MIG_REC_PAGES && i < n; i++, p += MIG_PAGE)
		memcpy(p, m->ram + pn[i] * MIG_PAGE, MIG_PAGE);
	s->st.pages += n;
	if (type == MIG_REC_ZERO)
		s->st.zero_pages += n;
	s->st.bytes += p - s->buf;
	return mig_write(s->c.wfd, s->buf, p - s->buf);
}

/*
 * A round: the pages set in @bitmap, or with no bitmap (round 1) every page
 * that is not all zeros (the destination's RAM starts so).
 */
static int mig_send_round(struct mig_source *s, const struct vmm *m, const uint64_t *bitmap,
			  uint64_t round)
{
	uint64_t npages = m->ram_size / MIG_PAGE, pn, data[MIG_BATCH], zero[MIG_BATCH];
	uint32_t nd = 0, nz = 0;

	for (pn = 0; pn < npages; pn++) {
		if (bitmap && !bitmap[pn / 64]) {
			pn |= 63;
			continue;
		}
		if (bitmap && !(bitmap[pn / 64] & (1ull << (pn % 64))))
			continue;
		if (!mig_page_zero(m, pn))
			data[nd++] = pn;
		else if (bitmap)
			zero[nz++] = pn;
		if (nd == MIG_BATCH) {
			if (mig_send_batch(s, m, MIG_REC_PAGES, data, nd, round))
				return -1;
			nd = 0;
		}
		if (nz == MIG_BATCH) {
			if (mig_send_batch(s, m, MIG_REC_ZERO, zero, nz, round))
				return -1;
			nz = 0;
		}
	}
	return mig_send_batch(s, m, MIG_REC_PAGES, data, nd, round) ||
	       mig_send_batch(s, m, MIG_REC_ZERO, zero, nz, round);
}

static uint64_t mig_count(const uint64_t *bitmap, size_t words)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < words; i++)
		n += __builtin_popcountll(bitmap[i]);
	return n;
}

static void mig_source_close(struct mig_source *s, struct vmm *m)
{
	if (s->logging)
		hax_dirty_log_stop(m->vm_fd, 0, m->ram_size);
	s->logging = false;
	mig_conn_close(&s->c);
	free(s->dirty);
	free(s->buf);
	s->dirty = NULL;
	s->buf = NULL;
}

int mig_precopy(struct vmm *m)
{
	struct mig_source *s = m->migrate;
	size_t words = HAX_DIRTY_LOG_WORDS(m->ram_size);
	struct mig_hello h = { .magic = MIG_MAGIC };
	struct mig_reply rep;
	char err[256];
	size_t errlen = sizeof(err);
	uint64_t dirty;
	unsigned int round;
	int sig;

	memset(&s->st, 0, sizeof(s->st));
	s->t0 = mig_now();
	s->tsc0 = mig_tsc();
	fprintf(stderr, "\r\nhaxm run: migrating the guest to %s\r\n", s->path);
	s->dirty = calloc(words, sizeof(uint64_t));
	s->buf = malloc(sizeof(struct mig_rec) + MIG_BATCH * (sizeof(uint64_t) + MIG_PAGE));
	if (!s->dirty || !s->buf)
		ERR("out of memory");
	h.version = MIG_VERSION;
	h.header_size = sizeof(h);
	h.ncpus = m->ncpus;
	h.vcpu_size = sizeof(struct hax_vcpu_full_state);
	h.dev_size = snap_dev_size();
	h.page_size = MIG_PAGE;
	h.ram_size = m->ram_size;
	h.flags = snap_flags(m); /* MIG_F_* are SNAP_F_* */
	h.crc = snap_crc32(&h, sizeof(h));
	if (mig_connect(s->path, &s->c, &h, sizeof(h), err, errlen))
		goto out;
	if (mig_read(s->c.rfd, &rep, sizeof(rep)))
		ERR("the destination went away: %s", strerror(errno));
	rep.why[sizeof(rep.why) - 1] = '\0';
	if (rep.status != MIG_ACCEPT)
		ERR("the destination refused the guest: %s", rep.why);
	if (hax_dirty_log_start(m->vm_fd, 0, m->ram_size))
		ERR("HAX_VM_IOCTL_DIRTY_LOG_START: %s%s", strerror(errno),
		    errno == ENOTTY ? " (this haxm module has no HAX_CAP_DIRTY_LOG)" : "");
	s->logging = true;
	for (round = 1;; round++) {
		if (mig_send_round(s, m, round == 1 ? NULL : s->dirty, round))
			ERR("sending round %u: %s", round, strerror(errno));
		if (hax_dirty_log_get(m->vm_fd, 0, m->ram_size, s->dirty))
			ERR("HAX_VM_IOCTL_DIRTY_LOG_GET: %s", strerror(errno));
		s->st.rounds = round;
		dirty = mig_count(s->dirty, words);
		if ((sig = mig_signalled()))
			ERR("%s came", strsignal(sig));
		if (__atomic_load_n(&m->exiting, __ATOMIC_ACQUIRE))
			ERR("the guest ended");
		/* the pages of this last GET go in the stop-and-copy round */
		if (dirty <= MIG_SMALL_SET || round >= MIG_MAX_ROUNDS)
			break;
	}
	s->t_stop = mig_now();
	s->tsc_stop = mig_tsc();
	return 0;
out:
	fprintf(stderr, "haxm run: --migrate-to %s: %s; the guest runs on here\r\n", s->path, err);
	mig_source_close(s, m);
	return -1;
}

int mig_finish(struct vmm *m, char *err, size_t errlen)
{
	struct mig_source *s = m->migrate;
	size_t words = HAX_DIRTY_LOG_WORDS(m->ram_size), i;
	size_t ssz = snap_state_size(m->ncpus, snap_flags(m));
	uint64_t *last = calloc(words, sizeof(uint64_t)), round = s->st.rounds + 1;
	uint8_t *state = malloc(ssz);
	struct mig_rec r = { .type = MIG_REC_STATE, .count = ssz, .round = round };
	struct mig_reply rep;
	bool have_state = false;
	uint32_t crc;
	int ret = -1;

	if (!last || !state)
		ERR("out of memory");
	/* first the state: should the destination fail, it goes back into the vCPUs */
	if (snap_state_get(m, state, err, errlen))
		goto out;
	have_state = true;
	if (hax_dirty_log_get(m->vm_fd, 0, m->ram_size, last))
		ERR("HAX_VM_IOCTL_DIRTY_LOG_GET: %s", strerror(errno));
	for (i = 0; i < words; i++)
		s->dirty[i] |= last[i];
	crc = snap_crc32(state, ssz);
	if (mig_send_round(s, m, s->dirty, round) || mig_write(s->c.wfd, &r, sizeof(r)) ||
	    mig_write(s->c.wfd, state, ssz) || mig_write(s->c.wfd, &crc, sizeof(crc)) ||
	    mig_read(s->c.rfd, &rep, sizeof(rep)))
		ERR("the destination went away in the last round: %s", strerror(errno));
	rep.why[sizeof(rep.why) - 1] = '\0';
	if (rep.status != MIG_ACCEPT)
		ERR("the destination cannot run the guest: %s", rep.why);
	s->st.rounds = round;
	s->st.total_ns = mig_now() - s->t0;
	s->st.downtime_ns = mig_now() - s->t_stop;
	s->st.total_tsc = mig_tsc() - s->tsc0;
	s->st.downtime_tsc = mig_tsc() - s->tsc_stop;
	ret = 0;
out:
	if (ret && have_state) {
		char why[160];

		if (snap_state_load(m, state, why, sizeof(why)))
			fprintf(stderr, "haxm run: reloading the guest's state: %s\n", why);
	}
	mig_source_close(s, m);
	free(last);
	free(state);
	return ret;
}
