// SPDX-License-Identifier: GPL-2.0
/*
 * `haxm run --save`'s file pieces (tools/haxm/snapshot.c): the CRC, and the
 * device state going out and back in field by field, the PIT's clock
 * shifted to the restoring process' time, values no device holds refused;
 * the RAM written with its zero pages as holes.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "snapshot.h"

static struct vmm a, b;
static uint8_t buf[1024];

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(snap_crc32("123456789", 9), 0xcbf43926); /* the check value */
	assert_int_equal(snap_crc32("", 0), 0);
}

/* Devices in a state far from their reset values. */
static void busy_devices(struct vmm *m)
{
	memset(m, 0, sizeof(*m));
	uart_init(&m->uart, NULL, NULL, NULL, NULL);
	pic_init(&m->pic, NULL, NULL);
	pit_init(&m->pit, NULL, NULL, NULL);
	m->uart.ier = 0x0f;
	m->uart.lcr = 0x83;
	m->uart.rx[5] = 'x';
	m->uart.rx_head = 5;
	m->uart.rx_count = 3;
	m->uart.irq_level = 1;
	m->pic.chip.chip[0].imr = 0xfe;
	m->pic.chip.chip[0].irq_base = 0x20;
	m->pic.chip.chip[0].isr = 1;
	m->pic.chip.chip[1].irq_base = 0x28;
	m->pic.chip.chip[1].auto_eoi = 1;
	m->pic.chip.chip[1].elcr = 0x02;
	m->pic.chip.chip[1].lines = 0x02;
	m->pic.chip.chip[1].irr = 0x02; /* IR9, level, high: the master's IR2 follows */
	m->pic.chip.chip[1].imr = 0xfd;
	m->pic.chip.chip[0].irr = 0x04;
	m->pit.chip.ch[0].count = 11932;
	m->pit.chip.ch[0].mode = 2;
	m->pit.chip.ch[0].counting = 1;
	m->pit.chip.ch[0].start = 1000000000;
	m->pit.chip.ch[2].gate = 1;
	m->pit.chip.port61 = 1;
	m->rtc.index = 0x0b;
	m->rtc.cmos[0x34] = 0x12;
	m->reset.cf9 = 2;
}

static void test_devices_round_trip(void **state)
{
	size_t n = snap_dev_size();
	const char *why = NULL;

	(void)state;
	assert_true(n > 200 && n < sizeof(buf));
	busy_devices(&a);
	memset(buf, 0xee, sizeof(buf));
	snap_dev_save(&a, buf, 1500000000);
	assert_int_equal(buf[n], 0xee); /* exactly snap_dev_size() bytes */
	memset(&b, 0, sizeof(b));
	pit_init(&b.pit, NULL, NULL, NULL);
	assert_int_equal(snap_dev_load(&b, buf, 9000000000, &why), 0);
	assert_int_equal(b.uart.ier, 0x0f);
	assert_int_equal(b.uart.lcr, 0x83);
	assert_int_equal(b.uart.rx[5], 'x');
	assert_int_equal(b.uart.rx_head, 5);
	assert_int_equal(b.uart.rx_count, 3);
	assert_int_equal(b.uart.irq_level, 1);
	assert_memory_equal(&b.pic.chip, &a.pic.chip, sizeof(a.pic.chip));
	assert_true(i8259_slave_output(&b.pic.chip)); /* IR9 up, to the master's IR2 */
	assert_int_equal(b.pit.chip.ch[0].count, 11932);
	assert_int_equal(b.pit.chip.ch[0].mode, 2);
	assert_true(b.pit.chip.ch[0].counting);
	/* started 0.5 s before the save: 0.5 s before the restore */
	assert_int_equal(b.pit.chip.ch[0].start, 8500000000);
	assert_int_equal(i8254_elapsed(&b.pit.chip, 0, 9000000000), 500000000);
	assert_true(b.pit.chip.ch[2].gate);
	assert_int_equal(b.pit.chip.port61, 1);
	assert_int_equal(b.rtc.index, 0x0b);
	assert_int_equal(b.rtc.cmos[0x34], 0x12);
	assert_int_equal(b.reset.cf9, 2);
}

/* A device state no device holds: refused, and what is wrong said. */
static void refused(const char *want)
{
	const char *why = NULL;

	snap_dev_save(&a, buf, 0);
	assert_int_equal(snap_dev_load(&b, buf, 0, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, want);
}

static void test_devices_refused(void **state)
{
	(void)state;
	busy_devices(&a);
	a.uart.rx_head = UART_FIFO_SIZE;
	refused("the UART's FIFO or IRQ level out of range");
	busy_devices(&a);
	a.pit.chip.ch[1].mode = 6;
	refused("a mode above 5");
	busy_devices(&a);
	a.pit.chip.ch[2].count = 0;
	refused("a count of 0 or above 0x10000");
	busy_devices(&a);
	a.pit.chip.ch[2].gate = 0; /* port 0x61 bit 0 says high */
	refused("port61 bit 0 unlike counter 2's gate");
	busy_devices(&a);
	a.pic.chip.chip[1].init_state = 4;
	refused("init_state above 3");
	busy_devices(&a);
	a.pic.chip.chip[0].irr = 0; /* the slave's INT is up */
	refused("the master's IRR bit 2 unlike the slave's INT");
	busy_devices(&a);
	a.pic.chip.chip[0].elcr = 0x01; /* IR0 cannot be level */
	refused("an ELCR bit of an edge-only input");
}

/* The in-kernel PIC and PIT add their GET_PIC/GET_PIT states to the irqchip's part. */
static void test_state_sizes(void **state)
{
	size_t base = snap_state_size(2, 0);

	(void)state;
	assert_int_equal(base, 2 * sizeof(struct hax_vcpu_full_state) + snap_dev_size());
	assert_int_equal(snap_state_size(2, SNAP_F_KIRQ) - base,
			 2 * sizeof(struct hax_lapic_state) + sizeof(struct hax_ioapic_state));
	assert_int_equal(snap_state_size(2, SNAP_F_KIRQ | SNAP_F_KPICPIT) -
				 snap_state_size(2, SNAP_F_KIRQ),
			 sizeof(struct hax_pic_state) + sizeof(struct hax_pit_state));
}

/* A malformed in-kernel PIC or PIT state is refused with what is wrong. */
static void test_kpicpit_refused(void **state)
{
	struct hax_pic_state pic;
	struct hax_pit_state pit;
	struct i8259 p;
	struct i8254 t;
	char err[160];

	(void)state;
	i8259_init(&p);
	i8254_init(&t);
	i8259_get_state(&p, &pic);
	i8254_get_state(&t, 0, &pit);
	assert_int_equal(snap_check_kpicpit(&pic, &pit, err, sizeof(err)), 0);
	pic.slave.priority_add = 8;
	assert_int_equal(snap_check_kpicpit(&pic, &pit, err, sizeof(err)), -1);
	assert_string_equal(err, "the in-kernel PIC's state is malformed: priority_add above 7");
	pic.slave.priority_add = 0;
	pic.reserved[3] = 1;
	assert_int_equal(snap_check_kpicpit(&pic, &pit, err, sizeof(err)), -1);
	assert_string_equal(err, "the in-kernel PIC's state is malformed: a reserved word set");
	pic.reserved[3] = 0;
	pit.ch[0].rw_mode = 0;
	assert_int_equal(snap_check_kpicpit(&pic, &pit, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "the in-kernel PIT's state is malformed: an RW mode of 0 or above 3");
	pit.ch[0].rw_mode = PIT_RW_WORD0;
	pit.ch[1].gate = 0;
	assert_int_equal(snap_check_kpicpit(&pic, &pit, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "the in-kernel PIT's state is malformed: gate 0 on counter 0 or 1");
}

/* 4 MiB of RAM, 3 pages and a 1 MiB run not zero, behind a 3-byte header */
static void test_ram_sparse(void **state)
{
	const uint64_t size = 4 << 20;
	char path[] = "/tmp/test_snapshot.XXXXXX";
	uint8_t *ram = calloc(1, size), *back = malloc(size);
	struct stat st;
	int fd = mkstemp(path);

	assert_non_null(ram);
	assert_non_null(back);
	assert_true(fd >= 0);
	unlink(path);
	ram[0] = 1;
	ram[5 * 4096 + 7] = 2;
	ram[size - 1] = 3;
	memset(ram + (2 << 20), 0x5a, 1 << 20);
	assert_int_equal(write(fd, "hdr", 3), 3);
	assert_int_equal(snap_write_ram(fd, ram, size), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 3 + size);
	assert_int_equal(pread(fd, back, size, 3), (ssize_t)size);
	assert_memory_equal(back, ram, size);
	/* the zeros are holes: what is allocated is about the 1 MiB and 3 pages */
	assert_true((uint64_t)st.st_blocks * 512 < (3 << 20) / 2);
	/* all zeros: a file of holes, still the whole length */
	memset(ram, 0, size);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(snap_write_ram(fd, ram, size), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(pread(fd, back, size, 0), (ssize_t)size);
	assert_memory_equal(back, ram, size);
	/* a bad descriptor */
	assert_int_equal(snap_write_ram(-1, ram, size), -1);
	close(fd);
	free(ram);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* clang-format off */
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_devices_round_trip),
		cmocka_unit_test(test_devices_refused),
		cmocka_unit_test(test_state_sizes),
		cmocka_unit_test(test_kpicpit_refused),
		cmocka_unit_test(test_ram_sparse),
		/* clang-format on */
	};

	return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
