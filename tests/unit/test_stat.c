// SPDX-License-Identifier: GPL-2.0
/*
 * Exit statistics: the core's counting (core/stats.c) and `haxm stat`
 * reading and printing them (tools/haxm/stat.c).
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "stat.h"
#include "cmds.h"
#include "vm.h"

/* ---- the core ------------------------------------------------------------------ */

static void test_exit_names(void **state)
{
	(void)state;
	assert_string_equal(hax_exit_name(0), "EXCEPTION_NMI");
	assert_string_equal(hax_exit_name(12), "HLT");
	assert_string_equal(hax_exit_name(30), "IO");
	assert_string_equal(hax_exit_name(48), "EPT_VIOLATION");
	assert_string_equal(hax_exit_name(64), "XRSTORS");
	assert_string_equal(hax_exit_name(HAX_EXIT_OTHER), "OTHER");
	assert_null(hax_exit_name(35)); /* unused by the SDM */
	assert_null(hax_exit_name(HAX_EXIT_SLOTS));
	/* Names are single words: `haxm stat` parses "NUMBER NAME COUNT". */
	for (u32 i = 0; i < HAX_EXIT_SLOTS; i++)
		if (hax_exit_name(i))
			assert_null(strchr(hax_exit_name(i), ' '));
}

static void test_exit_slot(void **state)
{
	(void)state;
	assert_int_equal(hax_exit_slot(30), 30);
	assert_int_equal(hax_exit_slot(64), 64);
	assert_int_equal(hax_exit_slot(65), HAX_EXIT_OTHER);
	/* A failed entry: bit 31 over the basic reason (SDM 26.8). */
	assert_int_equal(hax_exit_slot((1u << 31) | 33), HAX_EXIT_OTHER);
}

static void test_vcpu_and_vm_sums(void **state)
{
	struct vcpu a = { 0 }, b = { 0 };
	struct vm vm = { 0 };
	struct vcpu_stats sum, tot0, tot;

	(void)state;
	os_mutex_init(&vm.lock);
	a.vm = b.vm = &vm;
	vm.vcpus[0] = &a;
	vm.vcpus[3] = &b;
	hax_stats_read(&hax_totals, &tot0);
	vcpu_stats_exit(&a, 30, 100);
	vcpu_stats_exit(&a, 30, 50);
	vcpu_stats_exit(&b, 12, 7);
	vcpu_stats_exit(&b, (1u << 31) | 33, 0);
	vcpu_stats_to_user(&a);
	assert_int_equal(a.stats.exits, 2);
	assert_int_equal(a.stats.by_reason[30], 2);
	assert_int_equal(a.stats.guest_tsc, 150);
	assert_int_equal(a.stats.exits_to_user, 1);
	vm_stats_sum(&vm, &sum);
	assert_int_equal(sum.exits, 4);
	assert_int_equal(sum.exits_to_user, 1);
	assert_int_equal(sum.guest_tsc, 157);
	assert_int_equal(sum.by_reason[30], 2);
	assert_int_equal(sum.by_reason[12], 1);
	assert_int_equal(sum.by_reason[HAX_EXIT_OTHER], 1);
	/* The module-wide totals moved by the same amounts. */
	hax_stats_read(&hax_totals, &tot);
	assert_int_equal(tot.exits - tot0.exits, 4);
	assert_int_equal(tot.guest_tsc - tot0.guest_tsc, 157);
	assert_int_equal(tot.by_reason[30] - tot0.by_reason[30], 2);
	assert_int_equal(tot.exits_to_user - tot0.exits_to_user, 1);
	/* A destroyed vCPU no longer counts for its VM. */
	vm.vcpus[3] = NULL;
	vm_stats_sum(&vm, &sum);
	assert_int_equal(sum.exits, 2);
}

/* ---- haxm stat -------------------------------------------------------------------- */

static void test_parse_reasons(void **state)
{
	struct stat_snapshot s;

	(void)state;
	assert_int_equal(stat_parse_reasons("30 IO 7\n12 HLT 3\n65 OTHER 1\n", &s), 0);
	assert_int_equal(s.by_reason[30], 7);
	assert_int_equal(s.by_reason[12], 3);
	assert_int_equal(s.by_reason[65], 1);
	assert_string_equal(s.names[30], "IO");
	assert_string_equal(s.names[0], "");
	assert_int_equal(stat_parse_reasons("", &s), 0);
	assert_int_equal(s.by_reason[30], 0);
	assert_int_equal(stat_parse_reasons("66 BEYOND 1\n", &s), -EINVAL);
	assert_int_equal(stat_parse_reasons("IO 7\n", &s), -EINVAL);
}

/* A fake statistics directory in /tmp. */
static void make_dir(char *dir, const char *reasons)
{
	char path[256];
	FILE *f;

	strcpy(dir, "/tmp/haxm-stat-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/exits", dir);
	f = fopen(path, "w");
	fputs("10\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/exits_to_user", dir);
	f = fopen(path, "w");
	fputs("4\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/guest_ns", dir);
	f = fopen(path, "w");
	fputs("2500000000\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/exit_reasons", dir);
	f = fopen(path, "w");
	fputs(reasons, f);
	fclose(f);
}

static void remove_dir(const char *dir)
{
	static const char *const names[] = { "exits", "exits_to_user", "guest_ns", "exit_reasons" };
	char path[256];

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_read_and_print(void **state)
{
	struct stat_snapshot now, prev;
	char dir[64], *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	make_dir(dir, "12 HLT 3\n30 IO 7\n");
	assert_int_equal(stat_read(dir, &now), 0);
	assert_int_equal(now.exits, 10);
	assert_int_equal(now.exits_to_user, 4);
	assert_int_equal(now.guest_ns, 2500000000ULL);
	assert_int_equal(now.by_reason[30], 7);
	prev = now;
	prev.by_reason[30] = 1;
	prev.exits = 4;
	f = open_memstream(&out, &len);
	stat_print(f, "title", &now, &prev, 2.0);
	fclose(f);
	/* Most frequent first, with the rate over 2 s. */
	assert_non_null(strstr(out, "title\n  exits 10, to user space 4, in guest 2.500 s\n"));
	assert_non_null(strstr(out, " IO                                7   70.0%        3\n"
				    " HLT                               3   30.0%        0\n"));
	assert_non_null(strstr(out, " Total                            10                3\n"));
	free(out);
	remove_dir(dir);
	assert_int_equal(stat_read(dir, &now), -ENOENT);
}

static void test_cmd_stat_args(void **state)
{
	char *once[] = { "stat", "--once", "--dir", NULL, NULL };
	char *bad_vcpu[] = { "stat", "--vcpu", "1", NULL };
	char *bad_num[] = { "stat", "--vm", "x", NULL };
	char *bad_interval[] = { "stat", "--interval", "0", NULL };
	char *missing[] = { "stat", "--once", "--dir", "/nonexistent-haxm", NULL };
	char dir[64];

	(void)state;
	assert_int_equal(cmd_stat(3, bad_vcpu), 2);
	assert_int_equal(cmd_stat(3, bad_num), 2);
	assert_int_equal(cmd_stat(3, bad_interval), 2);
	assert_int_equal(cmd_stat(4, missing), 1);
	make_dir(dir, "30 IO 7\n");
	once[3] = dir;
	assert_int_equal(cmd_stat(4, once), 0);
	/* Live mode: one refresh after a second, then done. */
	char *live[] = { "stat", "--count", "1", "--dir", dir, NULL };
	assert_int_equal(cmd_stat(5, live), 0);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		UNIT_TEST(test_exit_names),	  UNIT_TEST(test_exit_slot),
		UNIT_TEST(test_vcpu_and_vm_sums), UNIT_TEST(test_parse_reasons),
		UNIT_TEST(test_read_and_print),	  UNIT_TEST(test_cmd_stat_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
