// SPDX-License-Identifier: GPL-2.0
/* `haxm version`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "libhaxm.h"

static const char version_usage[] =
	"usage: haxm version\n"
	"\n"
	"Print the haxm tool's version and, when " HAX_DEVFS_SYSTEM " opens, the API\n"
	"versions of the loaded module (the oldest client API it serves, and its own).\n";

int cmd_version(int argc, char **argv)
{
	struct hax_module_version v;
	int fd, r = 0;

	if (argc > 1) {
		if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(version_usage, stdout);
			return 0;
		}
		fprintf(stderr, "haxm version: unknown argument '%s'\n%s", argv[1], version_usage);
		return 2;
	}
	printf("haxm tool %s\n", HAXM_TOOL_VERSION);
	fd = hax_open_system();
	if (fd < 0)
		return 0;
	if (hax_get_version(fd, &v)) {
		fprintf(stderr, "haxm version: HAX_IOCTL_VERSION: %s\n", strerror(errno));
		r = 1;
	} else {
		printf("haxm module API %u (compat %u)\n", v.cur_version, v.compat_version);
	}
	close(fd);
	return r;
}
