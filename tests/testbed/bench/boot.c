// SPDX-License-Identifier: GPL-2.0
/*
 * haxm-bench --boot: time a whole VMM run (QEMU -accel hax or kvm, haxm run)
 * from its start to a line of its console output, in TSC ticks like the other
 * workloads. The VMM's stdout and stderr come through a pipe; once a line
 * holds the marker, the ticks are taken and the VMM is killed.
 * With --quit (haxm run --save), the VMM gets SIGQUIT at the marker instead,
 * saves its guest and must exit with status 0; its stdin is then a pipe held
 * open until it has ended (no EOF reaches the guest's console before the
 * save), otherwise /dev/null.
 * Usage: haxm-bench --boot NAME MARKER TIMEOUT_S [--quit] -- VMM ARGS...
 * Prints "BOOT: NAME TICKS" (or "BOOT: NAME n/a (why)", exit 1); the console
 * goes to /tmp/boot-NAME.out (the caller quotes it: it is the nested guest's).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define LINE_MAX_LEN 4096

int bench_boot(int argc, char **argv)
{
	const char *name, *marker;
	char line[LINE_MAX_LEN], path[128];
	size_t len = 0;
	int p[2], in[2] = { -1, -1 }, status, timeout, found = 0, out, quit, vmm;
	uint64_t t0, ticks = 0;
	time_t deadline;
	pid_t pid;

	quit = argc > 5 && !strcmp(argv[5], "--quit");
	vmm = 6 + quit;
	if (argc < vmm + 1 || strcmp(argv[vmm - 1], "--")) {
		fprintf(stderr,
			"usage: haxm-bench --boot NAME MARKER TIMEOUT_S [--quit] -- VMM ARGS...\n");
		return 2;
	}
	name = argv[2];
	marker = argv[3];
	timeout = atoi(argv[4]);
	snprintf(path, sizeof(path), "/tmp/boot-%s.out", name);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0 || pipe(p) || (quit && pipe(in))) {
		printf("BOOT: %s n/a (%s: %m)\n", name, path);
		return 1;
	}
	t0 = bench_rdtsc();
	pid = fork();
	if (pid == 0) {
		int null = quit ? in[0] : open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		if (quit)
			close(in[1]);
		execv(argv[vmm], argv + vmm);
		fprintf(stderr, "exec %s: %m\n", argv[vmm]);
		_exit(127);
	}
	close(p[1]);
	if (quit)
		close(in[0]);
	if (pid < 0) {
		printf("BOOT: %s n/a (fork: %m)\n", name);
		return 1;
	}
	deadline = time(NULL) + timeout;
	while (!found && time(NULL) < deadline) {
		ssize_t n = read(p[0], line + len, sizeof(line) - 1 - len);
		char *nl;

		if (n <= 0)
			break;
		ticks = bench_rdtsc() - t0;
		if (write(out, line + len, n) != n)
			break;
		len += n;
		line[len] = 0;
		found = strstr(line, marker) != NULL;
		/* keep the unfinished line (a marker may straddle two reads) */
		nl = strrchr(line, '\n');
		if (!found && nl) {
			len -= nl + 1 - line;
			memmove(line, nl + 1, len);
		} else if (!found && len == sizeof(line) - 1) {
			len = 0;
		}
	}
	if (found && quit) {
		char buf[512];
		ssize_t n;

		/* the VMM saves and exits: its last words go to the console file */
		kill(pid, SIGQUIT);
		while (time(NULL) < deadline && (n = read(p[0], buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
	}
	kill(pid, SIGKILL);
	close(p[0]);
	close(out);
	waitpid(pid, &status, 0);
	if (quit)
		close(in[1]);
	if (!found) {
		printf("BOOT: %s n/a (no \"%s\" within %d s, VMM status 0x%x)\n", name, marker,
		       timeout, status);
		return 1;
	}
	if (quit && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		printf("BOOT: %s n/a (SIGQUIT at the marker: VMM status 0x%x)\n", name, status);
		return 1;
	}
	printf("BOOT: %s %llu\n", name, (unsigned long long)ticks);
	return 0;
}
