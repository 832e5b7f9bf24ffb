#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""kvm-unit-tests in the testbed (tests/testbed/kut.sh), the host side.

kut.py list UNITTESTS_CFG X86_DIR
    one line per x86_64 test of x86/unittests.cfg whose .flat was built:
    NAME|FILE|SMP|QEMU_PARAMS|TEST_ARGS|TIMEOUT (testbed seconds), plus
    vmexit_inl_from_qemu (make test's subset) and vmexit_all (every vmexit
    figure in one run)
kut.py report TESTBED_OUT REASONS [RESULTS.md]
    the side-by-side table from the boot's KUT:/KUT-VMEXIT: lines; with
    RESULTS.md (docs/conformance.md), merged into it: this run's rows
    replace those of the same tests, each row says its date and commit
"""
import os
import re
import subprocess
import sys
import time

# Bochs runs a QEMU guest several times slower than real hardware
TIMEOUT_SCALE, TIMEOUT_MIN, TIMEOUT_MAX = 4, 300, 1200


def parse_cfg(path):
    tests, cur = [], None
    for raw in open(path):
        line = raw.split('#', 1)[0].rstrip()
        if not line.strip():
            continue
        m = re.match(r'^\[(.+)\]$', line.strip())
        if m:
            cur = {'name': m.group(1)}
            tests.append(cur)
        elif cur is not None and '=' in line:
            k, v = line.split('=', 1)
            cur[k.strip()] = v.strip()
    return tests


def unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in '"\'':
        return s[1:-1]
    return s


def cmd_list(cfg, x86):
    out = []
    for t in parse_cfg(cfg):
        if t.get('arch', 'x86_64') != 'x86_64' or 'file' not in t:
            continue
        if not os.path.exists(os.path.join(x86, t['file'])):
            continue
        tmo = int(re.sub(r'[^0-9].*', '', t.get('timeout', '90')) or 90) * TIMEOUT_SCALE
        tmo = max(TIMEOUT_MIN, min(TIMEOUT_MAX, tmo))
        params = t.get('qemu_params', '').replace('|', ' ')
        out.append((t['name'], t['file'], t.get('smp', '1'), params,
                    unquote(t.get('test_args', '')), tmo))
    out.append(('vmexit_inl_from_qemu', 'vmexit.flat', '1', '', 'inl_from_qemu', TIMEOUT_MIN))
    out.append(('vmexit_all', 'vmexit.flat', '1', '', '', TIMEOUT_MAX * 2))
    for o in out:
        print('|'.join(str(x) for x in o))


def md_cells(line):
    """The cells of a markdown table row ('\\|' inside a cell is a '|')."""
    cells = re.split(r'(?<!\\)\|', line.strip())[1:-1]
    return [c.strip().replace('\\|', '|') for c in cells]


def md_row(cells):
    return '| ' + ' | '.join(str(c).replace('|', '\\|') for c in cells) + ' |'


def load_results(path):
    """The rows an earlier run left in RESULTS.md: tests and vmexit figures."""
    rows, vrows = {}, {}
    if not path or not os.path.exists(path):
        return rows, vrows
    table = None
    for line in open(path):
        if line.startswith('| test | hax | kvm |'):
            table = rows
        elif line.startswith('| vmexit | hax (ticks) |'):
            table = vrows
        elif table is not None and line.startswith('|') and not line.startswith('|---'):
            c = md_cells(line)
            if (table is rows and len(c) == 6) or (table is vrows and len(c) == 5):
                table[c[0]] = c
        elif not line.strip():
            table = None
    return rows, vrows


def cmd_report(log, reasons_path, results=None):
    runs, vmexit, order = {}, {}, []
    for line in open(log, errors='replace'):
        line = line.rstrip('\r\n')
        m = re.match(r'^KUT: (\S+) (hax|kvm) (\S+) (\S+) (\S+)$', line)
        if m:
            name, accel = m.group(1), m.group(2)
            if name not in order:
                order.append(name)
            summ = m.group(5).replace('_', ' ')
            runs[(name, accel)] = (m.group(3), m.group(4), summ)
            continue
        m = re.match(r'^KUT-VMEXIT: (hax|kvm) (\S+) (\d+)$', line)
        if m:
            vmexit.setdefault(m.group(2), {})[m.group(1)] = int(m.group(3))
            continue
    reasons = {}
    if os.path.exists(reasons_path):
        for line in open(reasons_path):
            if '|' in line and not line.startswith('#'):
                k, v = line.rstrip('\n').split('|', 1)
                reasons[k] = v

    def cell(name, accel):
        r = runs.get((name, accel))
        if not r:
            return '-'
        st, secs, summ = r
        summ = re.sub(r'^(\d+) tests', r'\1', summ) if summ != 'none' else ''
        return f'{st} ({summ})' if summ else st

    # the payload (beside the log) says which commit its haxm.ko is from
    payload = os.path.join(os.path.dirname(os.path.abspath(log)), 'kut-payload', 'kut')
    verfile = os.path.join(payload, 'version')
    ver = open(verfile).read().strip() if os.path.exists(verfile) else subprocess.run(
        ['git', '-C', os.path.dirname(os.path.abspath(__file__)), 'describe', '--always',
         '--dirty'], capture_output=True, text=True).stdout.strip()
    run = f'{time.strftime("%Y-%m-%d", time.gmtime())} {ver or "?"}'
    def judge(name):
        # the guest's judgement (tests/testbed/kut/run), made again here with
        # the reasons as they are now, also for a boot that ended before it
        # printed it
        h = runs.get((name, 'hax'), ('-',))[0]
        k = runs.get((name, 'kvm'), ('-',))[0]
        if h == 'pass' or (h == 'skip' and k == 'skip'):
            return 'PASS', ''
        if k == '-':
            return 'SKIP', f'hax {h}, kvm not run (the boot ended)'
        if k != 'pass' or name in reasons:
            return 'SKIP', f'hax {h}, kvm {k}: not passed under kvm either'
        return 'FAIL', ''

    rows = {}
    for name in order:
        v, why = judge(name)
        note = reasons.get(name, '') if v != 'PASS' else ''
        if v == 'SKIP' and not note:
            note = why.split(': ', 1)[-1]
        rows[name] = [name, cell(name, 'hax'), cell(name, 'kvm'), v, note, run]
    vrows = {}
    for n in vmexit:
        h, k = vmexit[n].get('hax'), vmexit[n].get('kvm')
        ratio = f'{h / k:.2f}' if h and k else '-'
        vrows[n] = [n, h if h is not None else '-', k if k is not None else '-', ratio, run]

    def tables(rows, vrows):
        t = ['| test | hax | kvm | verdict | why hax cannot | run |', '|---|---|---|---|---|---|']
        t += [md_row(r) for r in rows.values()]
        v = ['| vmexit | hax (ticks) | kvm (ticks) | hax/kvm | run |', '|---|---:|---:|---:|---|']
        v += [md_row(r) for r in vrows.values()]
        return t, v if vrows else []

    def summary(rows):
        st = lambda r, i: r[i].split(' ', 1)[0]
        hp = sum(1 for r in rows.values() if st(r, 1) == 'pass')
        kp = sum(1 for r in rows.values() if st(r, 2) == 'pass')
        both = sum(1 for r in rows.values() if st(r, 1) == 'pass' and st(r, 2) == 'pass')
        fails = sum(1 for r in rows.values() if r[3] == 'FAIL')
        return (f'{len(rows)} tests: {hp} pass under hax, {kp} under kvm, {both} under both; '
                f'{fails} pass under kvm only without a reason')

    table, vt = tables(rows, vrows)
    print('\n'.join(table))
    if vt:
        print()
        print('\n'.join(vt))
    print('kut: this run: ' + summary(rows))
    if not results:
        return
    # merge: this run's rows replace those of the same tests, the others
    # stay; in the order of tests.list (the payload's, beside the log)
    old, vold = load_results(results)
    old.update(rows)
    vold.update(vrows)
    lst = os.path.join(payload, 'tests.list')
    listed = [l.split('|', 1)[0] for l in open(lst)] if os.path.exists(lst) else []
    rank = {n: i for i, n in enumerate(listed)}
    merged = dict(sorted(old.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
    table, vt = tables(merged, vold)
    model = ''
    for line in open(log, errors='replace'):
        m = re.match(r'^testbed: booting (\S+ x\d+)', line)
        if m:
            model = m.group(1)
            break
    missing = [n for n in listed if n not in merged]
    with open(results, 'w') as f:
        f.write('# kvm-unit-tests: QEMU -accel hax on haxm vs -accel kvm on kvm_intel\n\n')
        f.write('Written by `make test-kut` (every test), `make test-kut PART=k/n` (the k-th '
                'of n slices of the test list) or `make test-kut TEST=a,b '
                'RESULTS=docs/conformance.md`: each run replaces the rows of the tests it ran '
                'and keeps the others; the `run` column says when and from which haxm commit '
                '(`git describe`) each row is.\n\n')
        f.write(f'Testbed: Bochs as {model or "?"} (tests/testbed); in it unmodified QEMU 7.2 '
                '(tests/testbed/qemu.sh) runs the x86_64 tests of kvm-unit-tests\' '
                'x86/unittests.cfg (../shared/peer, commit in its README) as the suite\'s runner '
                'starts them, once with `-accel hax` on haxm.ko and once with `-accel kvm` on '
                'kvm_intel loaded with `enable_apicv=0`. Status: QEMU\'s exit through '
                'isa-debug-exit (pass, fail, skip: every subtest skipped), `timeout` (killed '
                'past the test\'s timeout, scaled for Bochs), `killed` (SIGKILL before it: '
                'the testbed\'s out-of-memory killer), `error-N` (QEMU exited N without '
                'the test reporting: it could not start, or the guest stopped). In brackets the '
                'test\'s SUMMARY line. Verdict: PASS when hax passes (or both skip), SKIP when '
                'kvm does not pass either or the row names why hax cannot, FAIL otherwise. '
                'Tests built only for i386 (cmpxchg8b, taskswitch, taskswitch2) are not run.\n\n')
        f.write(summary(merged) + '.' + (f' Not run yet: {", ".join(missing)}.' if missing
                                          else '') + '\n\n')
        f.write('\n'.join(table) + '\n')
        if vt:
            f.write('\n## VM-exit costs (x86/vmexit.flat)\n\n'
                    'Guest TSC ticks per iteration as vmexit.flat prints them (the testbed TSC: '
                    'Bochs instructions, deterministic; host plus guest work, including the exit '
                    'and entry). Ratio = hax/kvm, lower is better for haxm.\n\n')
            f.write('\n'.join(vt) + '\n')
        notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'kut', 'NOTES.md')
        if os.path.exists(notes):
            f.write('\n' + open(notes).read())
    print(f'kut: merged into {results}: ' + summary(merged))


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'list':
        cmd_list(sys.argv[2], sys.argv[3])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == 'report':
        cmd_report(*sys.argv[2:])
    else:
        sys.exit(__doc__)
