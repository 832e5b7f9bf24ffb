#!/usr/bin/env python3
"""Judge a testbed serial log: count PASS/FAIL lines, catch kernel trouble.

Usage: parse.py LOG [--harness-fail REASON]...
Prints FAIL lines for harness-detected problems and, as the last line,
"N passed, N failed" (", N skipped" added when SKIP lines were seen: a
skipped test is neither).  Exit status 0 only if nothing failed.
"""
import re
import sys

# Console patterns that mean the kernel is unhappy
BAD = re.compile(r"Oops|\bBUG:|WARNING:|Kernel panic|general protection fault|"
                 r"Call Trace:|kernel BUG|UBSAN|KASAN")
# The x86 mitigation code's notices about the CPU it found (bugs.c pr_err/
# pr_warn texts that start with "WARNING:"), not a WARN(): on Bochs' CPU
# model, with the distro mitigation Kconfig, RETBleed says its Spectre v2
# choice leaves it exposed. Every other WARNING: still fails the boot.
CPU_NOTICE = re.compile(r"\] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable "
                        r"to RETBleed attacks, data leaks possible!$")
# "Tainted: G           O      6.1.0-..." -> flag letters before the version
TAINT = re.compile(r"Tainted: ([A-Z ]+?)\s+\d")
TAINT_OK = set("GOES")  # S: from clearcpuid= on the testbed cmdline


def main(argv):
    if not argv:
        sys.exit(__doc__)
    path, rest = argv[0], argv[1:]
    harness = []
    while rest:
        if rest[0] == "--harness-fail" and len(rest) > 1:
            harness.append(rest[1])
            rest = rest[2:]
        else:
            sys.exit("parse.py: bad argument %r" % rest[0])

    with open(path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").splitlines()

    passed = failed = skipped = 0
    done = False
    bad_lines = []
    for raw in lines:
        line = raw.replace("\r", "").rstrip()
        if line.startswith("PASS: "):
            passed += 1
        elif line.startswith("FAIL: "):
            failed += 1
        elif line.startswith("SKIP: "):
            skipped += 1
        elif line.startswith("HAXM-TESTBED: done"):
            done = True
        elif line.startswith("NESTED "):
            continue  # a nested guest's console quoted by a test (QEMU tests)
        if BAD.search(line) and not CPU_NOTICE.search(line):
            bad_lines.append(line)
        m = TAINT.search(line)
        if m and set(m.group(1).replace(" ", "")) - TAINT_OK:
            bad_lines.append(line)

    # Each harness-detected problem counts as one extra failure
    problems = list(harness)
    if bad_lines:
        problems.append("kernel-console: %d bad line(s), first: %s"
                        % (len(bad_lines), bad_lines[0].strip()))
    if not done:
        problems.append("testbed-done: guest never printed 'HAXM-TESTBED: done'")
    if passed + failed == 0:
        problems.append("testbed-tests: zero tests ran")
    for p in problems:
        print("FAIL: harness: %s" % p)
    failed += len(problems)

    print("%d passed, %d failed%s" % (passed, failed,
                                     ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
