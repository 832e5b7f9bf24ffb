// SPDX-License-Identifier: GPL-2.0
/*
 * The terminal of `haxm run`. stdin, when it is a terminal, goes to raw mode
 * (every key, Ctrl-C included, goes to the guest) with output processing
 * kept, so the guest's "\n" still starts a new line. Ctrl-A x quits; the
 * terminal is restored by term_stop() on every way out of `haxm run`, and by
 * an atexit() handler as a last resort. Input that does not fit in the
 * UART's FIFO waits until the guest reads.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

static struct termios saved;
static bool raw;
static int stop_pipe[2] = { -1, -1 };
static pthread_t input_thread;
static bool started;

enum term_action term_escape(struct term_esc *e, uint8_t *c)
{
	if (e->pending) {
		e->pending = 0;
		if (*c == 'x' || *c == 'X')
			return TERM_QUIT;
		if (*c == 's' || *c == 'S')
			return TERM_SAVE;
		return TERM_SEND; /* Ctrl-A Ctrl-A sends one; Ctrl-A y sends y */
	}
	if (*c == TERM_ESCAPE) {
		e->pending = 1;
		return TERM_SWALLOW;
	}
	return TERM_SEND;
}

static void term_restore(void)
{
	if (raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		raw = false;
	}
}

/* Send @n bytes, waiting while the UART's FIFO is full; false when stopping. */
static bool term_send(struct vmm *m, const uint8_t *buf, size_t n)
{
	struct pollfd p = { stop_pipe[0], POLLIN, 0 };
	size_t done;

	while (n) {
		done = vmm_console_input(m, buf, n);
		buf += done;
		n -= done;
		if (n && poll(&p, 1, 10) > 0)
			return false;
	}
	return true;
}

static void *term_thread(void *arg)
{
	struct vmm *m = arg;
	struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };
	struct term_esc esc = { 0 };
	uint8_t buf[256], out[256];
	ssize_t n, i;
	size_t k;

	prctl(PR_SET_NAME, "haxm-term");
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			break; /* end of input: the guest just gets no more */
		}
		for (i = 0, k = 0; i < n; i++) {
			switch (term_escape(&esc, &buf[i])) {
			case TERM_SEND:
				out[k++] = buf[i];
				break;
			case TERM_QUIT:
				vmm_request_exit_unlocked(m, VMM_EXIT_QUIT, "quit (Ctrl-A x)");
				return NULL;
			case TERM_SAVE:
				if (m->save) {
					vmm_request_exit_unlocked(m, VMM_EXIT_SAVE,
								  "stopped to be saved (Ctrl-A s)");
					return NULL;
				}
				if (m->migrate) { /* the main thread migrates */
					pthread_kill(m->main_thread, SIGQUIT);
					break;
				}
				out[k++] = buf[i]; /* without --save, Ctrl-A s sends s */
				break;
			default:
				break;
			}
		}
		if (!term_send(m, out, k))
			break;
	}
	return NULL;
}

int term_start(struct vmm *m)
{
	struct termios t;

	if (pipe(stop_pipe))
		return -1;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		t = saved;
		cfmakeraw(&t);
		t.c_oflag |= OPOST | ONLCR;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0) {
			raw = true;
			atexit(term_restore);
		}
	}
	if (pthread_create(&input_thread, NULL, term_thread, m)) {
		term_restore();
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		stop_pipe[0] = stop_pipe[1] = -1;
		return -1;
	}
	started = true;
	return 0;
}

void term_stop(void)
{
	if (started) {
		if (write(stop_pipe[1], "", 1) < 0)
			pthread_cancel(input_thread);
		pthread_join(input_thread, NULL);
		started = false;
	}
	if (stop_pipe[0] >= 0) {
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		stop_pipe[0] = stop_pipe[1] = -1;
	}
	term_restore();
}
