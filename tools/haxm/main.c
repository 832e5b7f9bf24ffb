// SPDX-License-Identifier: GPL-2.0
/* `haxm`: git-style dispatch to the subcommands in this directory. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

struct haxm_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct haxm_cmd haxm_cmds[] = {
	{ "check", cmd_check, "report whether this host can run haxm guests" },
	{ "run", cmd_run, "boot a guest (flat binary, multiboot kernel, Linux)" },
	{ "stat", cmd_stat, "show VM-exit statistics, live like kvm_stat" },
	{ "version", cmd_version, "print the tool's and the module's versions" },
};

#define HAXM_NR_CMDS (sizeof(haxm_cmds) / sizeof(haxm_cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: haxm [--help] <command> [<args>]\n\ncommands:\n", f);
	for (i = 0; i < HAXM_NR_CMDS; i++)
		fprintf(f, "  %-10s %s\n", haxm_cmds[i].name, haxm_cmds[i].summary);
	fputs("\n'haxm <command> --help' describes a command.\n", f);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < HAXM_NR_CMDS; i++)
		if (!strcmp(argv[1], haxm_cmds[i].name))
			return haxm_cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "haxm: '%s' is not a haxm command; see 'haxm --help'\n", argv[1]);
	return 2;
}
