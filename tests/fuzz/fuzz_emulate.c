// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target for the instruction emulator: `make fuzz-emulate`. */
#include <stddef.h>
#include <stdint.h>

#include "emu_fuzz_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	emu_fuzz_one(data, size);
	return 0;
}
