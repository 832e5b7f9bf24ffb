// SPDX-License-Identifier: GPL-2.0
/* `haxm run`'s device models (tools/haxm/dev_*.c), the port bus and the terminal escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices.h"
#include "ioport.h"
#include "term.h"

/* ---- recorders for the callbacks ------------------------------------------ */

static uint8_t txbuf[64];
static size_t ntx;
static int irq_level[16], irq_edges[16];
static int exit_status = -1;
static int64_t fake_ns;

static void rec_tx(void *opaque, uint8_t b)
{
	(void)opaque;
	txbuf[ntx++] = b;
}

static void rec_irq(void *opaque, int irq, int level)
{
	(void)opaque;
	if (level && !irq_level[irq])
		irq_edges[irq]++;
	irq_level[irq] = level;
}

static void rec_exit(void *opaque, int status, const char *why)
{
	(void)opaque;
	(void)why;
	exit_status = status;
}

static int64_t fake_now(void)
{
	return fake_ns;
}

static time_t fake_clock(void)
{
	return 1700000000; /* 2023-11-14 22:13:20 UTC, a Tuesday */
}

static int reset_recorders(void **state)
{
	(void)state;
	ntx = 0;
	memset(irq_level, 0, sizeof(irq_level));
	memset(irq_edges, 0, sizeof(irq_edges));
	exit_status = -1;
	fake_ns = 1000;
	return 0;
}

static uint32_t rd(io_fn fn, void *d, uint16_t port)
{
	uint32_t v = 0xdead;

	fn(d, port, 1, false, &v);
	return v;
}

static void wr(io_fn fn, void *d, uint16_t port, uint32_t v)
{
	fn(d, port, 1, true, &v);
}

/* ---- UART ------------------------------------------------------------------ */

static void test_uart_probe(void **state)
{
	struct uart u;

	(void)state;
	uart_init(&u, rec_tx, NULL, rec_irq, NULL);
	/* Linux's 8250 autoconfig: scratch register, then loopback wiring */
	wr(uart_io, &u, 0x3ff, 0xa5);
	assert_int_equal(rd(uart_io, &u, 0x3ff), 0xa5);
	wr(uart_io, &u, 0x3fc, 0x10 | 0x0a); /* LOOP | OUT2 | RTS */
	assert_int_equal(rd(uart_io, &u, 0x3fe) & 0xf0, 0x90);
	wr(uart_io, &u, 0x3fc, 0x10 | 0x05); /* LOOP | OUT1 | DTR */
	assert_int_equal(rd(uart_io, &u, 0x3fe) & 0xf0, 0x60);
	/* FIFO identification: IIR bits 7:6 */
	wr(uart_io, &u, 0x3fa, 0x01);
	assert_int_equal(rd(uart_io, &u, 0x3fa) & 0xc0, 0xc0);
	/* divisor latch */
	wr(uart_io, &u, 0x3fb, 0x80);
	wr(uart_io, &u, 0x3f8, 0x01);
	wr(uart_io, &u, 0x3f9, 0x00);
	assert_int_equal(rd(uart_io, &u, 0x3f8), 1);
	wr(uart_io, &u, 0x3fb, 0x03);
	assert_int_equal(ntx, 0); /* nothing transmitted by probing */
}

static void test_uart_tx_loopback(void **state)
{
	struct uart u;

	(void)state;
	uart_init(&u, rec_tx, NULL, rec_irq, NULL);
	wr(uart_io, &u, 0x3f8, 'h');
	wr(uart_io, &u, 0x3f8, 'i');
	assert_int_equal(ntx, 2);
	assert_memory_equal(txbuf, "hi", 2);
	assert_int_equal(rd(uart_io, &u, 0x3fd) & 0x61, 0x60); /* THRE, TEMT, no data */
	/* loopback: written bytes come back, terminal input is refused */
	wr(uart_io, &u, 0x3fc, 0x10);
	wr(uart_io, &u, 0x3f8, 'x');
	assert_int_equal(ntx, 2);
	assert_int_equal(uart_rx(&u, (const uint8_t *)"y", 1), 0);
	assert_int_equal(rd(uart_io, &u, 0x3fd) & 1, 1);
	assert_int_equal(rd(uart_io, &u, 0x3f8), 'x');
	assert_int_equal(rd(uart_io, &u, 0x3fd) & 1, 0);
}

static void test_uart_rx_irq(void **state)
{
	struct uart u;
	uint8_t big[UART_FIFO_SIZE + 10];

	(void)state;
	uart_init(&u, rec_tx, NULL, rec_irq, NULL);
	wr(uart_io, &u, 0x3f9, 0x01); /* receive interrupt, but OUT2 off */
	assert_int_equal(uart_rx(&u, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(irq_level[4], 0);
	wr(uart_io, &u, 0x3fc, 0x08); /* OUT2 gates the line on */
	assert_int_equal(irq_level[4], 1);
	assert_int_equal(rd(uart_io, &u, 0x3fa) & 0x0f, 0x04);
	assert_int_equal(rd(uart_io, &u, 0x3f8), 'a');
	assert_int_equal(irq_level[4], 1);
	assert_int_equal(rd(uart_io, &u, 0x3f8), 'b');
	assert_int_equal(irq_level[4], 0);
	assert_int_equal(rd(uart_io, &u, 0x3fa) & 0x0f, 0x01);
	/* the FIFO takes what fits */
	memset(big, 'z', sizeof(big));
	assert_int_equal(uart_rx(&u, big, sizeof(big)), UART_FIFO_SIZE);
	assert_int_equal(uart_rx_room(&u), 0);
	wr(uart_io, &u, 0x3fa, 0x03); /* clear the receive FIFO */
	assert_int_equal(uart_rx_room(&u), UART_FIFO_SIZE);
	assert_int_equal(irq_level[4], 0);
}

static void test_uart_thre_irq(void **state)
{
	struct uart u;

	(void)state;
	uart_init(&u, rec_tx, NULL, rec_irq, NULL);
	wr(uart_io, &u, 0x3fc, 0x08);
	wr(uart_io, &u, 0x3f9, 0x02); /* enabling THRI with THR empty raises it */
	assert_int_equal(irq_level[4], 1);
	assert_int_equal(rd(uart_io, &u, 0x3fa) & 0x0f, 0x02); /* reading IIR clears it */
	assert_int_equal(irq_level[4], 0);
	wr(uart_io, &u, 0x3f8, 'q'); /* transmitting empties THR again */
	assert_int_equal(irq_level[4], 1);
	assert_int_equal(irq_edges[4], 2);
}

/* ---- PIC --------------------------------------------------------------------- */

static int notified;

static void rec_notify(void *opaque)
{
	(void)opaque;
	notified++;
}

/* The ICW sequence Linux uses: master at 0x30, slave at 0x38, cascade on IR2. */
static void pic_linux_init(struct pic *p)
{
	pic_init(p, rec_notify, NULL);
	wr(pic_io, p, 0x20, 0x11);
	wr(pic_io, p, 0x21, 0x30);
	wr(pic_io, p, 0x21, 0x04);
	wr(pic_io, p, 0x21, 0x01);
	wr(pic_io, p, 0xa0, 0x11);
	wr(pic_io, p, 0xa1, 0x38);
	wr(pic_io, p, 0xa1, 0x02);
	wr(pic_io, p, 0xa1, 0x01);
	wr(pic_io, p, 0x21, 0x00);
	wr(pic_io, p, 0xa1, 0x00);
}

static void test_pic_init_mask(void **state)
{
	struct pic p;

	(void)state;
	pic_init(&p, rec_notify, NULL);
	pic_set_irq(&p, 0, 1); /* all masked after power-on */
	assert_false(pic_pending(&p));
	pic_linux_init(&p);
	assert_int_equal(rd(pic_io, &p, 0x21), 0);
	wr(pic_io, &p, 0x21, 0xfe);
	assert_int_equal(rd(pic_io, &p, 0x21), 0xfe);
	pic_set_irq(&p, 1, 1);
	assert_false(pic_pending(&p)); /* IR1 masked */
	wr(pic_io, &p, 0x20, 0x0a);    /* OCW3: read IRR */
	assert_int_equal(rd(pic_io, &p, 0x20), 0x02);
	wr(pic_io, &p, 0x21, 0x00);
	assert_true(pic_pending(&p));
	assert_int_equal(pic_ack(&p), 0x31);
	wr(pic_io, &p, 0x20, 0x0b); /* OCW3: read ISR */
	assert_int_equal(rd(pic_io, &p, 0x20), 0x02);
	assert_true(notified > 0);
}

static void test_pic_priority_eoi(void **state)
{
	struct pic p;

	(void)state;
	pic_linux_init(&p);
	pic_set_irq(&p, 4, 1);
	assert_int_equal(pic_ack(&p), 0x34);
	pic_set_irq(&p, 3, 1); /* higher priority: may interrupt IR4's handler */
	assert_true(pic_pending(&p));
	assert_int_equal(pic_ack(&p), 0x33);
	pic_set_irq(&p, 6, 1); /* lower priority than what is in service */
	assert_false(pic_pending(&p));
	wr(pic_io, &p, 0x20, 0x20); /* non-specific EOI: IR3 */
	assert_false(pic_pending(&p));
	wr(pic_io, &p, 0x20, 0x64); /* specific EOI of IR4 */
	assert_true(pic_pending(&p));
	assert_int_equal(pic_ack(&p), 0x36);
	/* edge triggered: no new request until the line falls and rises */
	wr(pic_io, &p, 0x20, 0x20);
	pic_set_irq(&p, 6, 1);
	assert_false(pic_pending(&p));
	pic_set_irq(&p, 6, 0);
	pic_set_irq(&p, 6, 1);
	assert_true(pic_pending(&p));
	/* nothing pending: the spurious IR7 vector */
	assert_int_equal(pic_ack(&p), 0x36);
	wr(pic_io, &p, 0x20, 0x20);
	assert_int_equal(pic_ack(&p), 0x37);
}

static void test_pic_cascade_level(void **state)
{
	struct pic p;

	(void)state;
	pic_linux_init(&p);
	pic_set_irq(&p, 12, 1);
	assert_true(pic_pending(&p));
	assert_int_equal(pic_ack(&p), 0x3c);
	assert_false(pic_pending(&p));
	wr(pic_io, &p, 0xa0, 0x20);
	wr(pic_io, &p, 0x20, 0x20);
	/* level triggered (ELCR): pending while the line is high */
	wr(pic_io, &p, 0x4d1, 0x02); /* IRQ 9 */
	assert_int_equal(rd(pic_io, &p, 0x4d1), 0x02);
	pic_set_irq(&p, 9, 1);
	assert_int_equal(pic_ack(&p), 0x39);
	wr(pic_io, &p, 0xa0, 0x20);
	wr(pic_io, &p, 0x20, 0x20);
	assert_true(pic_pending(&p)); /* still high */
	pic_set_irq(&p, 9, 0);
	assert_false(pic_pending(&p));
	/* auto-EOI: nothing stays in service */
	wr(pic_io, &p, 0x20, 0x11);
	wr(pic_io, &p, 0x21, 0x30);
	wr(pic_io, &p, 0x21, 0x04);
	wr(pic_io, &p, 0x21, 0x03);
	pic_set_irq(&p, 5, 1);
	assert_int_equal(pic_ack(&p), 0x35);
	wr(pic_io, &p, 0x20, 0x0b);
	assert_int_equal(rd(pic_io, &p, 0x20), 0);
}

/* ---- PIT --------------------------------------------------------------------- */

#define NS_PER_TICK(n) ((int64_t)(n)*1000000000ll / PIT_HZ)

static void test_pit_mode2_irq(void **state)
{
	struct pit p;
	int64_t next;

	(void)state;
	pit_init(&p, fake_now, rec_irq, NULL);
	assert_int_equal(pit_next_irq(&p), -1);
	wr(pit_io, &p, 0x43, 0x34); /* channel 0, lo/hi, mode 2 */
	wr(pit_io, &p, 0x40, 11932 & 0xff);
	assert_int_equal(pit_next_irq(&p), -1); /* half a count: not started */
	wr(pit_io, &p, 0x40, 11932 >> 8);
	next = pit_next_irq(&p);
	assert_true(next >= fake_ns + 9999000 && next <= fake_ns + 10001000); /* 10 ms */
	assert_int_equal(pit_tick(&p), 0);
	fake_ns += NS_PER_TICK(1000);
	wr(pit_io, &p, 0x43, 0x00);   /* latch */
	fake_ns += NS_PER_TICK(5000); /* the latched value does not move */
	uint32_t lo = rd(pit_io, &p, 0x40), hi = rd(pit_io, &p, 0x40);
	assert_in_range(lo | hi << 8, 11932 - 1001, 11932 - 999);
	fake_ns = next;
	assert_int_equal(pit_tick(&p), 1);
	assert_int_equal(irq_edges[0], 1);
	assert_int_equal(irq_level[0], 0); /* a pulse */
	assert_int_equal(pit_tick(&p), 0);
	/* three periods late: one interrupt, then on schedule again */
	fake_ns = next + 3 * (next - 1000) + 100;
	assert_int_equal(pit_tick(&p), 1);
	assert_int_equal(pit_tick(&p), 0);
	assert_true(pit_next_irq(&p) > fake_ns);
}

static void test_pit_channel2_gate(void **state)
{
	struct pit p;

	(void)state;
	pit_init(&p, fake_now, rec_irq, NULL);
	wr(pit_io, &p, 0x61, 0x00); /* gate low */
	wr(pit_io, &p, 0x43, 0xb0); /* channel 2, lo/hi, mode 0 */
	wr(pit_io, &p, 0x42, 100);
	wr(pit_io, &p, 0x42, 0);
	fake_ns += NS_PER_TICK(500);
	assert_int_equal(rd(pit_io, &p, 0x61) & 0x20, 0); /* not counting */
	wr(pit_io, &p, 0x61, 0x01);
	fake_ns += NS_PER_TICK(50);
	assert_int_equal(rd(pit_io, &p, 0x61) & 0x21, 0x01);
	fake_ns += NS_PER_TICK(60);
	assert_int_equal(rd(pit_io, &p, 0x61) & 0x21, 0x21); /* terminal count */
	/* bit 4 (refresh) toggles every 15.085 us */
	uint32_t refresh = rd(pit_io, &p, 0x61) & 0x10;
	fake_ns += 15085;
	assert_int_not_equal(rd(pit_io, &p, 0x61) & 0x10, refresh);
	/* mode 0 on channel 0 interrupts once */
	wr(pit_io, &p, 0x43, 0x30);
	wr(pit_io, &p, 0x40, 10);
	wr(pit_io, &p, 0x40, 0);
	fake_ns += NS_PER_TICK(20);
	assert_int_equal(pit_tick(&p), 1);
	fake_ns += NS_PER_TICK(100000);
	assert_int_equal(pit_tick(&p), 0);
	assert_int_equal(pit_next_irq(&p), -1);
}

/* ---- RTC --------------------------------------------------------------------- */

static void test_rtc(void **state)
{
	struct rtc r;

	(void)state;
	rtc_init(&r, 128ull << 20, fake_clock);
	wr(rtc_io, &r, 0x70, 0x80 | 0x09); /* NMI mask bit ignored */
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x23);
	wr(rtc_io, &r, 0x70, 0x08);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x11);
	wr(rtc_io, &r, 0x70, 0x07);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x14);
	wr(rtc_io, &r, 0x70, 0x04);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x22);
	wr(rtc_io, &r, 0x70, 0x06);
	assert_int_equal(rd(rtc_io, &r, 0x71), 3); /* Tuesday */
	wr(rtc_io, &r, 0x70, 0x32);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x20);
	/* binary, 12-hour */
	wr(rtc_io, &r, 0x70, 0x0b);
	wr(rtc_io, &r, 0x71, 0x04);
	wr(rtc_io, &r, 0x70, 0x04);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x80 | 10);
	wr(rtc_io, &r, 0x70, 0x00);
	assert_int_equal(rd(rtc_io, &r, 0x71), 20);
	wr(rtc_io, &r, 0x71, 55); /* the time is read-only */
	assert_int_equal(rd(rtc_io, &r, 0x71), 20);
	wr(rtc_io, &r, 0x70, 0x0d);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x80);
	wr(rtc_io, &r, 0x70, 0x0a);
	assert_int_equal(rd(rtc_io, &r, 0x71) & 0x80, 0);
	/* memory sizes: KiB above 1 MiB capped at 0xffff, 112 MiB above 16 MiB in 64 KiB */
	wr(rtc_io, &r, 0x70, 0x30);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0xff);
	wr(rtc_io, &r, 0x70, 0x31);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0xff);
	wr(rtc_io, &r, 0x70, 0x34);
	assert_int_equal(rd(rtc_io, &r, 0x71), (112 * 16) & 0xff);
	wr(rtc_io, &r, 0x70, 0x35);
	assert_int_equal(rd(rtc_io, &r, 0x71), (112 * 16) >> 8);
	/* plain CMOS bytes are RAM */
	wr(rtc_io, &r, 0x70, 0x40);
	wr(rtc_io, &r, 0x71, 0x5a);
	assert_int_equal(rd(rtc_io, &r, 0x71), 0x5a);
}

/* ---- debug exit, reset -------------------------------------------------------- */

static void test_debugexit_reset(void **state)
{
	struct debugexit d = { rec_exit, NULL };
	struct resetdev r = { 0, rec_exit, NULL, 3 };
	uint32_t v = 0x1234;

	(void)state;
	debugexit_io(&d, DEBUGEXIT_PORT, 2, true, &v);
	assert_int_equal(exit_status, 0x34);
	exit_status = -1;
	wr(reset_io, &r, 0xcf9, 0x02); /* bit 2 clear: no reset */
	assert_int_equal(exit_status, -1);
	assert_int_equal(rd(reset_io, &r, 0xcf9), 0x02);
	wr(reset_io, &r, 0xcf9, 0x06);
	assert_int_equal(exit_status, 3);
	exit_status = -1;
	assert_int_equal(rd(reset_io, &r, 0x64) & 0x03, 0); /* buffers empty */
	wr(reset_io, &r, 0x64, 0xad);
	assert_int_equal(exit_status, -1);
	wr(reset_io, &r, 0x64, 0xfe);
	assert_int_equal(exit_status, 3);
}

/* ---- the port bus, the escape key -------------------------------------------- */

static void test_ioport(void **state)
{
	struct io_bus bus = { 0 };
	struct rtc r;
	uint32_t v;

	(void)state;
	rtc_init(&r, 64ull << 20, fake_clock);
	assert_int_equal(io_register(&bus, 0x70, 2, rtc_io, &r), 0);
	assert_int_equal(io_register(&bus, 0x71, 1, rtc_io, &r), -1); /* overlap */
	assert_int_equal(io_register(&bus, 0xffff, 2, rtc_io, &r), -1);
	assert_int_equal(io_register(&bus, 0x80, 0, rtc_io, &r), -1);
	v = 0x132;
	assert_true(io_access(&bus, 0x70, 1, true, &v));
	assert_int_equal(r.index, 0x32); /* masked to the access size, then 7 bits */
	assert_true(io_access(&bus, 0x71, 1, false, &v));
	assert_int_equal(v, 0x20);
	assert_false(io_access(&bus, 0x80, 2, false, &v));
	assert_int_equal(v, 0xffff);
	assert_false(io_access(&bus, 0x80, 4, false, &v));
	assert_int_equal(v, 0xffffffff);
}

static void test_term_escape(void **state)
{
	struct term_esc e = { 0 };
	uint8_t c;

	(void)state;
	c = 'a';
	assert_int_equal(term_escape(&e, &c), TERM_SEND);
	c = 0x03; /* Ctrl-C goes to the guest */
	assert_int_equal(term_escape(&e, &c), TERM_SEND);
	c = TERM_ESCAPE;
	assert_int_equal(term_escape(&e, &c), TERM_SWALLOW);
	c = TERM_ESCAPE;
	assert_int_equal(term_escape(&e, &c), TERM_SEND);
	assert_int_equal(c, TERM_ESCAPE);
	c = TERM_ESCAPE;
	assert_int_equal(term_escape(&e, &c), TERM_SWALLOW);
	c = 'x';
	assert_int_equal(term_escape(&e, &c), TERM_QUIT);
	c = TERM_ESCAPE;
	assert_int_equal(term_escape(&e, &c), TERM_SWALLOW);
	c = 's';
	assert_int_equal(term_escape(&e, &c), TERM_SAVE);
	assert_int_equal(c, 's'); /* sent as is without --save */
	c = 's';
	assert_int_equal(term_escape(&e, &c), TERM_SEND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_uart_probe, reset_recorders),
		cmocka_unit_test_setup(test_uart_tx_loopback, reset_recorders),
		cmocka_unit_test_setup(test_uart_rx_irq, reset_recorders),
		cmocka_unit_test_setup(test_uart_thre_irq, reset_recorders),
		cmocka_unit_test_setup(test_pic_init_mask, reset_recorders),
		cmocka_unit_test_setup(test_pic_priority_eoi, reset_recorders),
		cmocka_unit_test_setup(test_pic_cascade_level, reset_recorders),
		cmocka_unit_test_setup(test_pit_mode2_irq, reset_recorders),
		cmocka_unit_test_setup(test_pit_channel2_gate, reset_recorders),
		cmocka_unit_test_setup(test_rtc, reset_recorders),
		cmocka_unit_test_setup(test_debugexit_reset, reset_recorders),
		cmocka_unit_test_setup(test_ioport, reset_recorders),
		cmocka_unit_test_setup(test_term_escape, reset_recorders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
