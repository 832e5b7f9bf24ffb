/* SPDX-License-Identifier: GPL-2.0 */
/* The `haxm` command's subcommands; main.c dispatches to them. */
#ifndef HAXM_TOOL_CMDS_H
#define HAXM_TOOL_CMDS_H

#define HAXM_TOOL_VERSION "0.1.0"

/*
 * Each subcommand gets its own name as argv[0] and handles --help itself.
 * Exit statuses: 0 success, 1 failure, 2 usage error.
 */

/**
 * cmd_check() - `haxm check [--json]`: can this host run haxm guests?
 * @argc: argument count, including "check"
 * @argv: the arguments
 *
 * Returns 0 when it can, 1 when not, 2 on a usage error.
 */
int cmd_check(int argc, char **argv);

/**
 * cmd_version() - `haxm version`: the tool's version, and the module's API
 * versions when /dev/HAX opens.
 * @argc: argument count, including "version"
 * @argv: the arguments
 *
 * Returns 0; 1 when /dev/HAX opens but HAX_IOCTL_VERSION fails; 2 on a usage
 * error.
 */
int cmd_version(int argc, char **argv);

/**
 * cmd_run() - `haxm run`: boot a guest image (flat, multiboot, Linux) with
 * the devices of devices.h; see run.c's usage text.
 * @argc: argument count, including "run"
 * @argv: the arguments
 *
 * Returns the guest's exit status (enum vmm_exit in vmm.h, or the value a
 * guest wrote to the debug-exit port), 1 on an error, 2 on a usage error.
 */
int cmd_run(int argc, char **argv);

/*
 * cmd_stat() - `haxm stat [--once] [--vm N [--vcpu M]] ...`: exit statistics
 * from debugfs, live (like kvm_stat) or once.
 * @argc: argument count, including "stat"
 * @argv: the arguments
 *
 * Returns 0; 1 when the statistics cannot be read; 2 on a usage error.
 */
int cmd_stat(int argc, char **argv);

#endif /* HAXM_TOOL_CMDS_H */
