/* SPDX-License-Identifier: GPL-2.0 */
/* `haxm stat`: reading haxm's exit statistics from debugfs and showing them. */
#ifndef HAXM_TOOL_STAT_H
#define HAXM_TOOL_STAT_H

#include <stdint.h>
#include <stdio.h>

#define STAT_DIR "/sys/kernel/debug/haxm"
/* Slots of exit_reasons: basic exit reasons 0..64 and 65 for "OTHER". */
#define STAT_SLOTS    66
#define STAT_NAME_MAX 24

/* One level's statistics (module-wide, a VM's or a vCPU's). */
struct stat_snapshot {
	uint64_t exits, exits_to_user, guest_ns;
	uint64_t by_reason[STAT_SLOTS];
	char names[STAT_SLOTS][STAT_NAME_MAX]; /* "" for reasons not seen yet */
};

/**
 * stat_parse_reasons() - parse an exit_reasons file into @s.
 * @text: lines "NUMBER NAME COUNT"
 * @s:    receives by_reason[] and names[] (other fields untouched)
 *
 * Returns 0, or -EINVAL on a malformed line or a number past STAT_SLOTS.
 */
int stat_parse_reasons(const char *text, struct stat_snapshot *s);

/**
 * stat_read() - read the statistics files of directory @dir.
 * @dir: /sys/kernel/debug/haxm, or its vmNN or vmNN/vcpuMM
 * @s:   receives them
 *
 * Returns 0 or a negative errno (-ENOENT: no such directory or file;
 * -EACCES: debugfs is root's; -EINVAL: unexpected content).
 */
int stat_read(const char *dir, struct stat_snapshot *s);

/**
 * stat_print() - print @now as a table, most frequent exit reason first.
 * @f:       where to
 * @title:   the first line
 * @now:     the statistics
 * @prev:    an earlier snapshot: adds a "Current" column of changes per
 *           second over @seconds; NULL prints totals only
 * @seconds: time between @prev and @now
 */
void stat_print(FILE *f, const char *title, const struct stat_snapshot *now,
		const struct stat_snapshot *prev, double seconds);

#endif /* HAXM_TOOL_STAT_H */
