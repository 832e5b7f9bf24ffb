// SPDX-License-Identifier: GPL-2.0
/*
 * `haxm run --migrate-listen`'s checks of what a source sends
 * (tools/haxm/migrate.c): the hello (magic, CRC, version, sizes, the RAM
 * size and vCPU count the destination wants) and the records over a real
 * socket pair (pages land where their numbers say, zero records clear,
 * every malformed record refused with its reason).
 */
#include <pthread.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "migrate.h"
#include "snapshot.h"

#define RAM    (4ull << 20)
#define NPAGES (RAM / MIG_PAGE)

static char err[256];

static struct mig_hello good_hello(void)
{
	struct mig_hello h = { .magic = MIG_MAGIC };

	h.version = MIG_VERSION;
	h.header_size = sizeof(h);
	h.ncpus = 2;
	h.vcpu_size = sizeof(struct hax_vcpu_full_state);
	h.dev_size = snap_dev_size();
	h.page_size = MIG_PAGE;
	h.ram_size = RAM;
	h.crc = snap_crc32(&h, sizeof(h));
	return h;
}

/* @h with its CRC made right again after a change. */
static int check(struct mig_hello h, uint64_t want_ram, int want_cpus)
{
	h.crc = 0;
	h.crc = snap_crc32(&h, sizeof(h));
	err[0] = '\0';
	return mig_check_hello(&h, want_ram, want_cpus, err, sizeof(err));
}

static void test_hello(void **state)
{
	struct mig_hello h = good_hello();

	(void)state;
	assert_int_equal(mig_check_hello(&h, 0, 0, err, sizeof(err)), 0);
	assert_int_equal(check(h, RAM, 2), 0);
	h.ram_size = 0; /* a flipped bit, CRC not fixed */
	assert_int_equal(mig_check_hello(&h, 0, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CRC mismatch"));
	h = good_hello();
	h.magic[0] = 'X';
	assert_int_equal(check(h, 0, 0), -1);
	assert_non_null(strstr(err, "no HAXMMIGR magic"));
	h = good_hello();
	h.version = 1; /* before the PIC and PIT state in the ABI's form */
	assert_int_equal(check(h, 0, 0), -1);
	assert_non_null(strstr(err, "version 1, this haxm run speaks version 2"));
	h = good_hello();
	h.vcpu_size--;
	assert_int_equal(check(h, 0, 0), -1);
	assert_non_null(strstr(err, "another haxm run build"));
	h = good_hello();
	h.flags = MIG_F_KIRQ; /* the in-kernel irqchip: accepted */
	assert_int_equal(check(h, 0, 0), 0);
	h.flags = MIG_F_KIRQ | MIG_F_KPICPIT; /* and its PIC and PIT */
	assert_int_equal(check(h, 0, 0), 0);
	h.flags = MIG_F_KPICPIT; /* an in-kernel PIC without the rest */
	assert_int_equal(check(h, 0, 0), -1);
	assert_non_null(strstr(err, "an in-kernel PIC and PIT without the in-kernel irqchip"));
	h.flags = 4;
	assert_int_equal(check(h, 0, 0), -1);
	h = good_hello();
	h.ncpus = 0;
	assert_int_equal(check(h, 0, 0), -1);
	h.ncpus = VMM_MAX_CPUS + 1;
	assert_int_equal(check(h, 0, 0), -1);
	assert_non_null(strstr(err, "vCPUs"));
	h = good_hello();
	h.ram_size = RAM + 1;
	assert_int_equal(check(h, 0, 0), -1);
	h.ram_size = VMM_SNAP_MAX_RAM + 4096;
	assert_int_equal(check(h, 0, 0), -1);
	assert_non_null(strstr(err, "not a size haxm run gives"));
	h = good_hello();
	assert_int_equal(check(h, 0, 1), -1);
	assert_string_equal(err,
			    "the guest has 2 vCPUs, this destination was started with --cpus 1");
	assert_int_equal(check(h, 8 << 20, 0), -1);
	assert_string_equal(err,
			    "the guest has 4 MiB of RAM, this destination was started with -m 8M");
}

static int sp[2];
static uint8_t *ram, st_buf[64];

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	return !ram || socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
}

static int teardown(void **state)
{
	(void)state;
	close(sp[0]);
	close(sp[1]);
	free(ram);
	return 0;
}

static void rec(uint32_t type, uint32_t count, uint64_t round)
{
	struct mig_rec r = { type, count, round };

	assert_int_equal(mig_write(sp[0], &r, sizeof(r)), 0);
}

static void pages(uint32_t type, const uint64_t *pn, uint32_t n, uint64_t round, uint8_t fill)
{
	static uint8_t page[MIG_PAGE];
	uint32_t i;

	rec(type, n, round);
	assert_int_equal(mig_write(sp[0], pn, n * sizeof(*pn)), 0);
	for (i = 0; type == MIG_REC_PAGES && i < n; i++) {
		memset(page, fill + i, sizeof(page));
		assert_int_equal(mig_write(sp[0], page, sizeof(page)), 0);
	}
}

static void state_rec(uint64_t round, uint32_t size, uint32_t crc_xor)
{
	uint8_t s[sizeof(st_buf)];
	uint32_t crc;

	memset(s, 0x77, sizeof(s));
	crc = snap_crc32(s, size) ^ crc_xor;
	rec(MIG_REC_STATE, size, round);
	assert_int_equal(mig_write(sp[0], s, size), 0);
	assert_int_equal(mig_write(sp[0], &crc, sizeof(crc)), 0);
}

static int receive(void)
{
	struct mig_stats st;
	int r;

	shutdown(sp[0], SHUT_WR); /* what was written, then EOF */
	err[0] = '\0';
	r = mig_receive(sp[1], ram, RAM, st_buf, sizeof(st_buf), &st, err, sizeof(err));
	if (!r) {
		assert_int_equal(st.rounds, 3);
		assert_int_equal(st.pages, 4);
		assert_int_equal(st.zero_pages, 1);
	}
	return r;
}

static void test_receive(void **state)
{
	const uint64_t a[] = { 0, NPAGES - 1, 5 }, z[] = { 5 };

	(void)state;
	ram[5 * MIG_PAGE] = 9;
	pages(MIG_REC_PAGES, a, 2, 1, 0x10);
	pages(MIG_REC_ZERO, z, 1, 2, 0);
	pages(MIG_REC_PAGES, a + 2, 1, 2, 0x30);
	/* the page of the zero record was written again after it */
	state_rec(3, sizeof(st_buf), 0);
	assert_int_equal(receive(), 0);
	assert_int_equal(ram[0], 0x10);
	assert_int_equal(ram[RAM - 1], 0x11);
	assert_int_equal(ram[5 * MIG_PAGE + 4095], 0x30);
	assert_int_equal(ram[MIG_PAGE], 0);
	assert_int_equal(st_buf[63], 0x77);
}

/* One malformed stream: refused, with @why in the reason. */
static void refused(const char *why)
{
	assert_int_equal(receive(), -1);
	if (!strstr(err, why))
		fail_msg("'%s' not in '%s'", why, err);
}

static void test_page_outside_ram(void **state)
{
	const uint64_t pn[] = { 1, NPAGES };

	(void)state;
	pages(MIG_REC_PAGES, pn, 2, 1, 0);
	refused("page 1024 is outside the guest's RAM (1024 pages)");
	assert_int_equal(ram[MIG_PAGE], 0); /* nothing of the record landed */
}

static void test_bad_count(void **state)
{
	(void)state;
	rec(MIG_REC_PAGES, MIG_BATCH + 1, 1);
	refused("a record of 257 pages (1 to 256)");
}

static void test_zero_count(void **state)
{
	(void)state;
	rec(MIG_REC_ZERO, 0, 1);
	refused("a record of 0 pages");
}

static void test_bad_type(void **state)
{
	(void)state;
	rec(7, 1, 1);
	refused("unknown type 7");
}

static void test_round_back(void **state)
{
	const uint64_t pn[] = { 1 };

	(void)state;
	pages(MIG_REC_PAGES, pn, 1, 3, 0);
	pages(MIG_REC_PAGES, pn, 1, 2, 0);
	refused("a record of round 2 after round 3");
}

static void test_too_many_rounds(void **state)
{
	(void)state;
	state_rec(MIG_MAX_ROUNDS + 2, sizeof(st_buf), 0);
	refused("rounds 1 to 11");
}

static void test_state_size(void **state)
{
	(void)state;
	state_rec(1, sizeof(st_buf) - 1, 0);
	refused("63 bytes of vCPU and device state, 64 expected");
}

static void test_state_crc(void **state)
{
	(void)state;
	state_rec(1, sizeof(st_buf), 1);
	refused("state is corrupted (CRC mismatch)");
}

static void test_truncated(void **state)
{
	const uint64_t pn[] = { 1, 2 };

	(void)state;
	rec(MIG_REC_PAGES, 2, 1);
	assert_int_equal(mig_write(sp[0], pn, sizeof(pn)), 0);
	refused("the source closed the connection before the guest's state");
}

/* The destination's side: take the hello, answer with its first byte + 1. */
static void *listener(void *spec)
{
	static char why[256];
	struct mig_conn c;
	char hello[5];

	if (mig_listen(spec, &c, why, sizeof(why)))
		return why;
	if (mig_read(c.rfd, hello, sizeof(hello)) || memcmp(hello, "hello", 5))
		return "no hello";
	if (mig_reply(c.wfd, MIG_REFUSE, "refused"))
		return "no reply";
	mig_conn_close(&c);
	return NULL;
}

/* Both transports, end to end: listen, connect with the hello, the reply. */
static void transport(const char *spec, const char *made)
{
	struct mig_reply rep;
	struct mig_conn c;
	struct stat st;
	pthread_t t;
	void *ret;
	int i;

	assert_int_equal(pthread_create(&t, NULL, listener, (void *)spec), 0);
	for (i = 0; i < 500 && stat(made, &st); i++)
		usleep(10000);
	assert_int_equal(st.st_mode & 0777, 0600); /* only the user may connect */
	assert_int_equal(mig_connect(spec, &c, "hello", 5, err, sizeof(err)), 0);
	assert_int_equal(mig_read(c.rfd, &rep, sizeof(rep)), 0);
	assert_int_equal(rep.status, MIG_REFUSE);
	assert_string_equal(rep.why, "refused");
	/* the destination closed its end: a read is EOF (EPIPE), a write EPIPE */
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_int_equal(mig_read(c.rfd, &rep, 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(mig_write(c.wfd, &rep, 1), -1);
	assert_int_equal(errno, EPIPE);
	mig_conn_close(&c);
	/* what the destination made is gone; nobody waits there any more */
	assert_int_equal(stat(made, &st), -1);
	assert_int_equal(mig_connect(spec, &c, "hello", 5, err, sizeof(err)), -1);
	assert_int_equal(c.rfd, -1);
}

static void test_transport_socket(void **state)
{
	char spec[64];

	(void)state;
	snprintf(spec, sizeof(spec), "/tmp/test_migrate.%d.sock", getpid());
	transport(spec, spec);
	assert_non_null(strstr(err, "cannot connect"));
}

static void test_transport_fifo(void **state)
{
	char spec[64], made[64];

	(void)state;
	snprintf(spec, sizeof(spec), "fifo:/tmp/test_migrate.%d", getpid());
	snprintf(made, sizeof(made), "%s.d2s", spec + 5);
	transport(spec, made);
	assert_non_null(strstr(err, "No such file"));
}

static void test_listen_refuses_a_file(void **state)
{
	char path[] = "/tmp/test_migrate.XXXXXX";
	struct mig_conn c;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(mig_listen(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a socket: not replacing it"));
	assert_int_equal(access(path, F_OK), 0);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test(test_transport_socket),
		cmocka_unit_test(test_transport_fifo),
		cmocka_unit_test(test_listen_refuses_a_file),
	};

	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
