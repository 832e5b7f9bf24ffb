// SPDX-License-Identifier: GPL-2.0
/*
 * qmon: drive a QEMU monitor from the testbed's shell. The testbed kernel
 * had no unix sockets when it was written: the monitor is on a pipe chardev
 * (QEMU reads PATH.in and writes PATH.out, two FIFOs the caller made):
 *
 *   qmon PATH CMD...       HMP (-monitor pipe:PATH): sends each CMD and
 *                          prints what QEMU answered up to its next
 *                          "(qemu) " prompt ("quit" has no answer: the
 *                          caller waits for QEMU to exit)
 *   qmon -q PATH JSON...   QMP (-chardev pipe,path=PATH + -mon mode=control):
 *                          sends each JSON command (an object without "id")
 *                          and prints its answer, the "return" or "error"
 *                          line with our id (events are skipped)
 *
 * The pipes outlive one qmon: what QEMU wrote before (its greeting, answers
 * nobody read) is still in PATH.out. So each run first sends a command with
 * a token of its own and discards everything up to that command's answer.
 *
 * Exits 0 when every command got its answer, 1 on an I/O error or a timeout
 * (QMON_TIMEOUT seconds per answer, 600 by default: savevm in the testbed is
 * slow), 2 on a usage error, 3 when a QMP command answered with an error.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t len;
static int timeout_ms = 600 * 1000;

/* Append what QEMU wrote to buf; 0, or -1 at EOF, error or timeout. */
static int fill(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (len + 1 >= sizeof(buf))
		len = 0; /* only the tail matters: keep reading */
	if (poll(&p, 1, timeout_ms) != 1) {
		fprintf(stderr, "qmon: no answer from QEMU\n");
		return -1;
	}
	n = read(fd, buf + len, sizeof(buf) - 1 - len);
	if (n <= 0) {
		fprintf(stderr, "qmon: QEMU closed the pipe\n");
		return -1;
	}
	len += n;
	buf[len] = 0;
	return 0;
}

/* Read until buf holds MARK and, after it, ends with the HMP prompt. */
static int hmp_wait(int fd, const char *mark)
{
	static const char prompt[] = "(qemu) ";
	const size_t pl = sizeof(prompt) - 1;
	char *m;

	len = 0;
	buf[0] = 0;
	for (;;) {
		m = mark ? strstr(buf, mark) : buf;
		if (m && len >= pl && buf + len - pl >= m && !memcmp(buf + len - pl, prompt, pl))
			return 0;
		if (fill(fd))
			return -1;
	}
}

static int hmp(int in, int out, char **cmds, int n)
{
	char sync[64];
	int i;

	/* an unknown command with our token: HMP names it, then prompts */
	snprintf(sync, sizeof(sync), "qmon-sync-%d", (int)getpid());
	if (dprintf(in, "%s\n", sync) < 0)
		return -1;
	strcat(sync, "'"); /* unknown command: 'qmon-sync-PID' */
	if (hmp_wait(out, sync))
		return -1;
	for (i = 0; i < n; i++) {
		char *nl;
		size_t skip;

		if (dprintf(in, "%s\n", cmds[i]) < 0)
			return -1;
		if (!strcmp(cmds[i], "quit"))
			return 0; /* no answer: QEMU exits (the caller waits) */
		if (hmp_wait(out, NULL))
			return -1;
		/* the first line is QEMU's echo of the command (readline) */
		nl = memchr(buf, '\n', len);
		skip = nl ? nl + 1 - buf : 0;
		fwrite(buf + skip, 1, len - 7 - skip, stdout);
	}
	return 0;
}

/* Read QMP lines until one holds ID; it is left in line. */
static int qmp_wait(int fd, const char *id, char **line)
{
	static size_t used; /* bytes of buf already consumed as lines */
	char *nl;

	for (;;) {
		if (used) {
			memmove(buf, buf + used, len - used);
			len -= used;
			buf[len] = 0;
			used = 0;
		}
		while (!(nl = memchr(buf, '\n', len)))
			if (fill(fd))
				return -1;
		*nl = 0;
		used = nl + 1 - buf;
		if (strstr(buf, id)) {
			*line = buf;
			return 0;
		}
	}
}

static int qmp(int in, int out, char **cmds, int n)
{
	char id[64], *line, *brace;
	int i, rc = 0;

	/* the first run negotiates; later ones get an error, with our id */
	snprintf(id, sizeof(id), "\"qmon-%d-sync\"", (int)getpid());
	if (dprintf(in, "{\"execute\": \"qmp_capabilities\", \"id\": %s}\n", id) < 0 ||
	    qmp_wait(out, id, &line))
		return -1;
	for (i = 0; i < n; i++) {
		brace = strrchr(cmds[i], '}');
		if (cmds[i][0] != '{' || !brace) {
			fprintf(stderr, "qmon: not a JSON object: %s\n", cmds[i]);
			return 2;
		}
		snprintf(id, sizeof(id), "\"qmon-%d-%d\"", (int)getpid(), i);
		if (dprintf(in, "%.*s, \"id\": %s}\n", (int)(brace - cmds[i]), cmds[i], id) < 0 ||
		    qmp_wait(out, id, &line))
			return -1;
		printf("%s\n", line);
		if (strstr(line, "\"error\": {"))
			rc = 3;
	}
	return rc;
}

int main(int argc, char **argv)
{
	char path[4096];
	int q = 0, in, out, rc;
	char *t = getenv("QMON_TIMEOUT");

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		q = 1;
		argv++;
		argc--;
	}
	if (argc < 2 || strlen(argv[1]) > sizeof(path) - 5) {
		fprintf(stderr, "usage: qmon [-q] PATH COMMAND...\n");
		return 2;
	}
	if (t)
		timeout_ms = atoi(t) * 1000;
	setvbuf(stdout, NULL, _IONBF, 0);
	/* O_RDWR: neither open waits for QEMU's end of the FIFO */
	snprintf(path, sizeof(path), "%s.in", argv[1]);
	in = open(path, O_RDWR);
	snprintf(path, sizeof(path), "%s.out", argv[1]);
	out = open(path, O_RDWR);
	if (in < 0 || out < 0) {
		perror("qmon: open");
		return 1;
	}
	rc = q ? qmp(in, out, argv + 2, argc - 2) : hmp(in, out, argv + 2, argc - 2);
	return rc < 0 ? 1 : rc;
}
