/* SPDX-License-Identifier: GPL-2.0 */
/* Linux kernel types for the portable core (see core/os.h). */
#ifndef HAXM_LINUX_OS_TYPES_H
#define HAXM_LINUX_OS_TYPES_H

#include <linux/errno.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/types.h>

typedef struct mutex os_mutex_t;

/* A macro, so that lockdep gives each lock its own class. */
#define os_mutex_init(m) mutex_init(m)

#endif /* HAXM_LINUX_OS_TYPES_H */
