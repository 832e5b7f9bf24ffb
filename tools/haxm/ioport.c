// SPDX-License-Identifier: GPL-2.0
/* Port I/O dispatch of `haxm run`. */
#include "ioport.h"

int io_register(struct io_bus *bus, uint16_t base, uint16_t len, io_fn fn, void *opaque)
{
	int i;

	if (bus->n == IO_MAX_RANGES || !len || (uint32_t)base + len > 0x10000)
		return -1;
	for (i = 0; i < bus->n; i++)
		if (base < bus->r[i].base + bus->r[i].len && bus->r[i].base < base + len)
			return -1;
	bus->r[bus->n++] = (struct io_range){ base, len, fn, opaque };
	return 0;
}

bool io_access(struct io_bus *bus, uint16_t port, int size, bool write, uint32_t *val)
{
	uint32_t mask = size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
	int i;

	if (write)
		*val &= mask;
	for (i = 0; i < bus->n; i++) {
		if (port >= bus->r[i].base && port - bus->r[i].base < bus->r[i].len) {
			bus->r[i].fn(bus->r[i].opaque, port, size, write, val);
			if (!write)
				*val &= mask;
			return true;
		}
	}
	if (!write)
		*val = mask;
	return false;
}

void io_bytes(void *opaque, uint16_t port, int size, bool write, uint32_t *val, io_byte_fn fn)
{
	uint32_t out = 0;
	uint8_t b;
	int i;

	for (i = 0; i < size; i++) {
		b = write ? (uint8_t)(*val >> (8 * i)) : 0xff;
		if (fn(opaque, (uint16_t)(port + i), write, &b) && !write)
			b = 0xff;
		out |= (uint32_t)b << (8 * i);
	}
	if (!write)
		*val = out;
}
