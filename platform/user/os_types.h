/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space types for the portable core (see core/os.h): for the unit tests
 * (tests/unit, with os_user.c) and for the core models haxm run builds in
 * (its user-space PIC and PIT: core/irqchip/pic.c, pit.c, isa_state.c).
 */
#ifndef HAXM_USER_OS_TYPES_H
#define HAXM_USER_OS_TYPES_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef pthread_mutex_t os_mutex_t;

#endif /* HAXM_USER_OS_TYPES_H */
