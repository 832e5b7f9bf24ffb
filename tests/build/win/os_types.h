/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The types core/os.h asks for, as a Windows kernel-mode driver has them
 * (the host HAXM's core was first built for): LLP64 (long is 32 bits),
 * no C library, the compiler's freestanding headers only, errno values as
 * the Microsoft C runtime numbers them, a FAST_MUTEX-sized lock. Used by
 * tests/build/matrix.sh to compile core/ with x86_64-w64-mingw32-gcc; it is
 * not linked and never runs.
 */
#ifndef HAXM_WIN_OS_TYPES_H
#define HAXM_WIN_OS_TYPES_H

/* The compiler's own: these carry no C library (-ffreestanding). */
#include <stdbool.h>
#include <stdint.h>

#if !defined(_WIN64) || __SIZEOF_LONG__ != 4
#error "this header is for a 64-bit Windows (LLP64) target"
#endif

/* As the WDK's UINT8 ... ULONG64, INT8 ... LONG64. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

/* As the WDK's SIZE_T, NULL and FIELD_OFFSET(). */
typedef unsigned long long size_t;
#define NULL	       ((void *)0)
#define offsetof(t, m) __builtin_offsetof(t, m)

/* The Microsoft C runtime's <errno.h> values. */
#define EPERM  1
#define ENOENT 2
#define EIO    5
#define ENXIO  6
#define E2BIG  7
#define ENOMEM 12
#define EFAULT 14
#define EBUSY  16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOTTY 25
#define ENOSPC 28

/* A FAST_MUTEX (ExInitializeFastMutex()): 56 bytes, pointer-aligned. */
typedef struct os_mutex {
	void *opaque[7];
} os_mutex_t;

#endif /* HAXM_WIN_OS_TYPES_H */
