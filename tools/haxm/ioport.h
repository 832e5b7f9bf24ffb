/* SPDX-License-Identifier: GPL-2.0 */
/* Port I/O dispatch of `haxm run`: port ranges -> device handlers. */
#ifndef HAXM_TOOL_IOPORT_H
#define HAXM_TOOL_IOPORT_H

#include <stdbool.h>
#include <stdint.h>

#define IO_MAX_RANGES 32

/*
 * A device's port handler: @port is absolute, @size 1, 2 or 4; for a write
 * *@val holds the value, for a read the handler stores it there.
 */
typedef void (*io_fn)(void *opaque, uint16_t port, int size, bool write, uint32_t *val);

struct io_range {
	uint16_t base, len;
	io_fn fn;
	void *opaque;
};

struct io_bus {
	struct io_range r[IO_MAX_RANGES];
	int n;
};

/**
 * io_register() - route ports [@base, @base + @len) to @fn.
 * @bus:    the bus
 * @base:   first port
 * @len:    number of ports, at least 1
 * @fn:     the handler
 * @opaque: its first argument
 *
 * Returns 0, or -1 when the bus is full, @len is 0 or the range overlaps
 * a registered one (a programming error).
 */
int io_register(struct io_bus *bus, uint16_t base, uint16_t len, io_fn fn, void *opaque);

/**
 * io_access() - perform one access. A read no device claims returns all
 * ones (an open bus), a write is dropped.
 * @bus:   the bus
 * @port:  the port the guest used
 * @size:  1, 2 or 4
 * @write: true for OUT
 * @val:   the value written, or receives the value read (masked to @size)
 *
 * Returns true when a device claimed the port.
 */
bool io_access(struct io_bus *bus, uint16_t port, int size, bool write, uint32_t *val);

/*
 * A byte-wide device's handler of one byte at @port: for a write *@b holds
 * it, for a read the handler stores it there. Returns 0, or non-zero when
 * @port is not the device's (a read then gives 0xff).
 */
typedef int (*io_byte_fn)(void *opaque, uint16_t port, bool write, uint8_t *b);

/**
 * io_bytes() - an access of @size bytes to a byte-wide device (the PIC's and
 * the PIT's registers): one @fn call per byte at consecutive ports, as the
 * haxm module splits them for its own PIC and PIT. Arguments as io_fn's.
 */
void io_bytes(void *opaque, uint16_t port, int size, bool write, uint32_t *val, io_byte_fn fn);

#endif /* HAXM_TOOL_IOPORT_H */
