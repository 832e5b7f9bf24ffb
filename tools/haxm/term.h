/* SPDX-License-Identifier: GPL-2.0 */
/* The terminal of `haxm run`: raw mode, and the input thread feeding the UART. */
#ifndef HAXM_TOOL_TERM_H
#define HAXM_TOOL_TERM_H

#include <stddef.h>
#include <stdint.h>

#include "vmm.h"

#define TERM_ESCAPE 0x01 /* Ctrl-A; then x quits, s saves (--save), Ctrl-A sends a Ctrl-A */

/* What the escape-sequence decoder decided for one input byte. */
enum term_action {
	TERM_SWALLOW, /* nothing to send (the escape key) */
	TERM_SEND,    /* send the byte */
	TERM_QUIT,    /* Ctrl-A x */
	TERM_SAVE,    /* Ctrl-A s: with --save, stop and save; else send the s */
};

struct term_esc {
	int pending; /* the previous byte was the escape key */
};

/**
 * term_escape() - feed one typed byte through the escape decoder.
 * @e: the decoder's state (zeroed initially)
 * @c: the byte; on TERM_SEND the byte to send is stored back here
 */
enum term_action term_escape(struct term_esc *e, uint8_t *c);

/**
 * term_start() - put stdin in raw mode if it is a terminal (restored by
 * term_stop(), and at exit) and start the thread that sends what is typed
 * to the guest's UART. Ctrl-A x ends the VM with VMM_EXIT_QUIT; Ctrl-A s,
 * with --save, with VMM_EXIT_SAVE.
 * @m: the VMM
 *
 * Returns 0, or -1 when the thread cannot be started (nothing changed).
 */
int term_start(struct vmm *m);

/** term_stop() - stop the input thread and restore the terminal. Idempotent. */
void term_stop(void);

#endif /* HAXM_TOOL_TERM_H */
