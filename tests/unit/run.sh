#!/usr/bin/env bash
# Run the unit test binaries given as arguments; count cmocka's results.
# Prints "unit: N passed, N failed" last and writes "N N" to $SUMMARY if set.
set -uo pipefail
passed=0 failed=0
for t in "$@"; do
    echo "== $t"
    out=$("$t" 2>&1); rc=$?
    echo "$out" | grep -Ev '^\[ (RUN|      OK) ' 
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -n 1)
    p=${p:-0} f=${f:-0}
    # a binary that crashed or ran nothing is a failure
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL: $t ran no test"; fi
    passed=$((passed + p)) failed=$((failed + f))
done
[ -n "${SUMMARY:-}" ] && echo "$passed $failed" > "$SUMMARY"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
