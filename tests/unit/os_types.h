/* SPDX-License-Identifier: GPL-2.0 */
/* User-space types for the portable core (see core/os.h), for unit tests. */
#ifndef HAXM_UNIT_OS_TYPES_H
#define HAXM_UNIT_OS_TYPES_H

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

#endif /* HAXM_UNIT_OS_TYPES_H */
