// SPDX-License-Identifier: GPL-2.0
/* `haxm stat`: haxm's exit statistics, live like kvm_stat, or once. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "stat.h"

static const char stat_usage[] =
	"usage: haxm stat [--once] [--vm N [--vcpu M]] [--interval SECONDS] [--count N]\n"
	"\n"
	"Show haxm's VM-exit statistics from " STAT_DIR " (debugfs, readable by\n"
	"root): exits by reason, exits handed to user space and time in the guest,\n"
	"for all VMs since the module loaded, or for one VM or vCPU. Refreshes every\n"
	"second with the rate of each counter, like kvm_stat, until interrupted.\n"
	"\n"
	"  --once           print the totals once and exit\n"
	"  --vm N           only VM N (its vCPUs summed)\n"
	"  --vcpu M         only vCPU M of VM N\n"
	"  --interval SECS  refresh period (default 1)\n"
	"  --count N        stop after N refreshes\n"
	"  --dir DIR        read DIR instead of " STAT_DIR "\n"
	"  --help           this text\n"
	"\n"
	"Exit status: 0 success, 1 the statistics cannot be read, 2 usage error.\n";

int stat_parse_reasons(const char *text, struct stat_snapshot *s)
{
	const char *p = text;

	memset(s->by_reason, 0, sizeof(s->by_reason));
	memset(s->names, 0, sizeof(s->names));
	while (*p) {
		unsigned int nr;
		unsigned long long count;
		char name[STAT_NAME_MAX];
		const char *nl = strchr(p, '\n');

		if (sscanf(p, "%u %23s %llu", &nr, name, &count) != 3 || nr >= STAT_SLOTS)
			return -EINVAL;
		s->by_reason[nr] = count;
		snprintf(s->names[nr], STAT_NAME_MAX, "%s", name);
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

/* The whole of a small file, NUL-terminated, in @buf. */
static int read_text(const char *dir, const char *name, char *buf, size_t len)
{
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static int read_u64(const char *dir, const char *name, uint64_t *v)
{
	unsigned long long x;
	char buf[64];
	int r = read_text(dir, name, buf, sizeof(buf));

	if (r)
		return r;
	if (sscanf(buf, "%llu", &x) != 1)
		return -EINVAL;
	*v = x;
	return 0;
}

int stat_read(const char *dir, struct stat_snapshot *s)
{
	char text[STAT_SLOTS * 64];
	int r;

	memset(s, 0, sizeof(*s));
	r = read_u64(dir, "exits", &s->exits);
	if (!r)
		r = read_u64(dir, "exits_to_user", &s->exits_to_user);
	if (!r)
		r = read_u64(dir, "guest_ns", &s->guest_ns);
	if (!r)
		r = read_text(dir, "exit_reasons", text, sizeof(text));
	if (!r)
		r = stat_parse_reasons(text, s);
	return r;
}

void stat_print(FILE *f, const char *title, const struct stat_snapshot *now,
		const struct stat_snapshot *prev, double seconds)
{
	int order[STAT_SLOTS], n = 0, i, j;

	fprintf(f, "%s\n", title);
	fprintf(f, "  exits %llu, to user space %llu, in guest %.3f s\n\n",
		(unsigned long long)now->exits, (unsigned long long)now->exits_to_user,
		now->guest_ns / 1e9);
	for (i = 0; i < STAT_SLOTS; i++)
		if (now->by_reason[i])
			order[n++] = i;
	/* Most frequent first (insertion sort: at most 66 entries). */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && now->by_reason[order[j]] > now->by_reason[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	fprintf(f, " %-22s %12s %7s%s\n", "Event", "Total", "%Total", prev ? "  Current" : "");
	for (i = 0; i < n; i++) {
		int k = order[i];

		fprintf(f, " %-22s %12llu %6.1f%%", now->names[k],
			(unsigned long long)now->by_reason[k],
			100.0 * now->by_reason[k] / (now->exits ? now->exits : 1));
		if (prev)
			fprintf(f, " %8.0f",
				seconds > 0 ? (now->by_reason[k] - prev->by_reason[k]) / seconds
					    : 0.0);
		fputc('\n', f);
	}
	if (prev)
		fprintf(f, " %-22s %12llu %7s %8.0f\n", "Total", (unsigned long long)now->exits, "",
			seconds > 0 ? (now->exits - prev->exits) / seconds : 0.0);
}

static volatile sig_atomic_t stat_stop;

static void stat_on_signal(int sig)
{
	(void)sig;
	stat_stop = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int stat_error(const char *dir, int r)
{
	fprintf(stderr, "haxm stat: %s: %s\n", dir, strerror(-r));
	if (r == -EACCES)
		fputs("haxm stat: debugfs is readable by root only: run as root\n", stderr);
	else if (r == -ENOENT)
		fputs("haxm stat: is the haxm module loaded (or that VM alive) and debugfs "
		      "mounted?\n"
		      "  mount -t debugfs none /sys/kernel/debug\n",
		      stderr);
	return 1;
}

/* Parse a non-negative integer argument. */
static int parse_num(const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return (errno || end == s || *end || *out < 0 || *out > max) ? -1 : 0;
}

int cmd_stat(int argc, char **argv)
{
	const char *base = STAT_DIR;
	long vm = -1, vcpu = -1, interval = 1, count = 0, v;
	struct stat_snapshot prev, now;
	char dir[512], title[600];
	bool once = false;
	double t_prev;
	int i, r, shown = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(stat_usage, stdout);
			return 0;
		} else if (!strcmp(a, "--once")) {
			once = true;
		} else if (!strcmp(a, "--vm") && has_val && !parse_num(argv[i + 1], 63, &v)) {
			vm = v, i++;
		} else if (!strcmp(a, "--vcpu") && has_val && !parse_num(argv[i + 1], 63, &v)) {
			vcpu = v, i++;
		} else if (!strcmp(a, "--interval") && has_val &&
			   !parse_num(argv[i + 1], 3600, &v) && v > 0) {
			interval = v, i++;
		} else if (!strcmp(a, "--count") && has_val &&
			   !parse_num(argv[i + 1], 1L << 30, &v)) {
			count = v, i++;
		} else if (!strcmp(a, "--dir") && has_val) {
			base = argv[++i];
		} else {
			fprintf(stderr, "haxm stat: bad argument '%s'\n%s", a, stat_usage);
			return 2;
		}
	}
	if (vcpu >= 0 && vm < 0) {
		fprintf(stderr, "haxm stat: --vcpu needs --vm\n%s", stat_usage);
		return 2;
	}
	if (vcpu >= 0)
		snprintf(dir, sizeof(dir), "%s/vm%02ld/vcpu%02ld", base, vm, vcpu);
	else if (vm >= 0)
		snprintf(dir, sizeof(dir), "%s/vm%02ld", base, vm);
	else
		snprintf(dir, sizeof(dir), "%s", base);
	if (vcpu >= 0)
		snprintf(title, sizeof(title), "haxm: VM %ld vCPU %ld (%s)", vm, vcpu, dir);
	else if (vm >= 0)
		snprintf(title, sizeof(title), "haxm: VM %ld, all vCPUs (%s)", vm, dir);
	else
		snprintf(title, sizeof(title), "haxm: all VMs since the module loaded (%s)", dir);

	r = stat_read(dir, &prev);
	if (r)
		return stat_error(dir, r);
	if (once) {
		stat_print(stdout, title, &prev, NULL, 0);
		return 0;
	}
	signal(SIGINT, stat_on_signal);
	signal(SIGTERM, stat_on_signal);
	t_prev = now_seconds();
	while (!stat_stop && (!count || shown < count)) {
		double t;

		sleep((unsigned int)interval);
		if (stat_stop)
			break;
		r = stat_read(dir, &now);
		if (r)
			return stat_error(dir, r);
		t = now_seconds();
		if (isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);
		stat_print(stdout, title, &now, &prev, t - t_prev);
		fflush(stdout);
		prev = now;
		t_prev = t;
		shown++;
	}
	return 0;
}
