// SPDX-License-Identifier: GPL-2.0
/*
 * The debug-exit port (DEBUGEXIT_PORT, as QEMU's isa-debug-exit uses for
 * tests): a write ends `haxm run` with the written value's low byte as its
 * exit status, so a test kernel can report its result without a console.
 * Reads return 0xff... (no device state).
 */
#include <stdio.h>

#include "devices.h"

void debugexit_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	struct debugexit *d = opaque;
	char why[64];

	(void)size; /* one port: the value is the status */
	(void)port;

	if (!write) {
		*val = 0xffffffff;
		return;
	}
	snprintf(why, sizeof(why), "the guest wrote 0x%x to the debug-exit port", *val);
	d->exit(d->opaque, *val & 0xff, why);
}
