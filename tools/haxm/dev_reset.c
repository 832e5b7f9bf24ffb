// SPDX-License-Identifier: GPL-2.0
/*
 * The ways a PC guest resets itself: the reset control register 0xcf9 (bit 2
 * starts the reset, PIIX/ICH) and the keyboard controller's 0xfe command on
 * port 0x64 (pulse the CPU reset line). `haxm run` does not reboot a guest:
 * a reset ends it with exit status struct resetdev.status. The keyboard
 * controller is otherwise absent: its status reads idle (input and output
 * buffers empty, self-test passed), port 0x60 reads 0.
 */
#include "devices.h"

#define CF9_RESET	0x04
#define KBC_CMD_RESET	0xfe
#define KBC_STATUS_IDLE 0x1c /* system flag, last write a command, not inhibited */

void reset_io(void *opaque, uint16_t port, int size, bool write, uint32_t *val)
{
	struct resetdev *r = opaque;

	(void)size; /* byte-wide registers: wider accesses use the low byte */

	switch (port) {
	case 0xcf9:
		if (!write) {
			*val = r->cf9;
			return;
		}
		r->cf9 = *val & 0x0e;
		if (*val & CF9_RESET)
			r->exit(r->opaque, r->status, "the guest reset itself (port 0xcf9)");
		return;
	case 0x64:
		if (!write)
			*val = KBC_STATUS_IDLE;
		else if ((*val & 0xff) == KBC_CMD_RESET)
			r->exit(r->opaque, r->status,
				"the guest reset itself (keyboard controller, port 0x64)");
		return;
	default: /* 0x60 */
		if (!write)
			*val = 0;
		return;
	}
}
