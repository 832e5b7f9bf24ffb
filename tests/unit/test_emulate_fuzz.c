// SPDX-License-Identifier: GPL-2.0
/*
 * The bounded fuzz run of `make test`: the regression inputs under
 * tests/fuzz/regress/emulate, then random byte streams biased towards
 * prefixes and the opcodes the emulator knows, through emu_fuzz_one()
 * (the same body `make fuzz-emulate` runs under libFuzzer).
 */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>

#include "emu_fuzz_body.h"

#define RANDOM_CASES 300000

static u64 fz_rnd(void)
{
	static u64 x = 0x2545f4914f6cdd1dULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static void test_regress_corpus(void **state)
{
	const char *dir = "tests/fuzz/regress/emulate";
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512];
		u8 buf[256];
		size_t len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		emu_fuzz_one(buf, len);
		n++;
	}
	closedir(d);
	printf("emulate fuzz: %d regression inputs\n", n);
	assert_true(n > 0);
}

static void test_random_streams(void **state)
{
	static const u8 hot[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x64, 0x48, 0x41, 0x0f,
				  0x38, 0x88, 0x89, 0x8a, 0x8b, 0xa4, 0xa5, 0xaa, 0x6c, 0x6f, 0xf6,
				  0xf7, 0xff, 0x80, 0x81, 0xc7, 0xb1, 0xc1, 0xba, 0xd3 };
	u8 buf[24];
	int i, j;

	(void)state;
	for (i = 0; i < RANDOM_CASES; i++) {
		size_t n = 4 + fz_rnd() % 20;

		for (j = 0; j < (int)n; j++) {
			u64 r = fz_rnd();

			buf[j] = (r & 3) ? (u8)(r >> 8) : hot[(r >> 8) % sizeof(hot)];
		}
		emu_fuzz_one(buf, n);
	}
	printf("emulate fuzz: %d random streams\n", RANDOM_CASES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_regress_corpus),
		UNIT_TEST(test_random_streams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
