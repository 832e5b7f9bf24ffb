// SPDX-License-Identifier: GPL-2.0
/* The demo: a real-mode guest prints a message through the serial port. */
#include <unistd.h>

#include "harness.h"

#define DEMO_MSG "Hello from a real-mode guest, running on haxm with VT-x!\n"

/* Finds its own address with call/pop, then OUTs the string to COM1. */
GUEST_CODE(g_demo, ".code16\n"
		   "xor %ax, %ax\n mov %ax, %ds\n"
		   "call 1f\n"
		   "1: pop %si\n"
		   "add $(2f - 1b), %si\n"
		   "mov $0x3f8, %dx\n"
		   "3: lodsb\n test %al, %al\n jz 4f\n out %al, %dx\n jmp 3b\n"
		   "4: hlt\n"
		   "2: .asciz \""
		   "Hello from a real-mode guest, running on haxm with VT-x!\\n"
		   "\"\n");

VM_TEST(demo_guest_prints, 1 << 20)
{
	char out[128];
	size_t n = 0;

	if (vm_load_real(c, 0x7c00, g_demo_start, g_demo_end))
		return 1;
	for (;;) {
		if (vm_run(c))
			return 1;
		if (c->tunnel->_exit_status == HAX_EXIT_HLT)
			break;
		CHECK_EQ(c->tunnel->_exit_status, HAX_EXIT_IO);
		CHECK_EQ(c->tunnel->io._port, 0x3f8);
		CHECK(n < sizeof(out) - 1);
		out[n++] = c->iobuf[0];
	}
	out[n] = 0;
	printf("guest says: %s", out);
	CHECK(!strcmp(out, DEMO_MSG));
	return 0;
}
