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
    RESULTS.md, that file (docs/conformance.md) too
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


def cmd_report(log, reasons_path, results=None):
    runs, vmexit, verdict, order = {}, {}, {}, []
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
        m = re.match(r'^(PASS|SKIP|FAIL): kut-(\S+?)(?::| \(|$)(.*)$', line)
        if m and not m.group(2).startswith(('insmod', 'load')):
            verdict[m.group(2)] = (m.group(1), m.group(3).strip(' ():'))
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

    rows = []
    for name in order:
        v, why = verdict.get(name, ('?', ''))
        note = reasons.get(name, '') if v != 'PASS' else ''
        if v == 'SKIP' and not note:
            note = why.split(': ', 1)[-1]
        rows.append((name, cell(name, 'hax'), cell(name, 'kvm'), v, note))
    hp = sum(1 for n in order if runs.get((n, 'hax'), ('',))[0] == 'pass')
    kp = sum(1 for n in order if runs.get((n, 'kvm'), ('',))[0] == 'pass')
    both = sum(1 for n in order if runs.get((n, 'kvm'), ('',))[0] == 'pass'
               and runs.get((n, 'hax'), ('',))[0] == 'pass')

    table = ['| test | hax | kvm | verdict | why hax cannot |', '|---|---|---|---|---|']
    table += [f'| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} |' for r in rows]
    vt = ['| vmexit | hax (ticks) | kvm (ticks) | hax/kvm |', '|---|---:|---:|---:|']
    for n in vmexit:
        h, k = vmexit[n].get('hax'), vmexit[n].get('kvm')
        ratio = f'{h / k:.2f}' if h and k else '-'
        vt.append(f'| {n} | {h if h is not None else "-"} | {k if k is not None else "-"} | {ratio} |')
    summary = (f'{len(order)} tests: {hp} pass under hax, {kp} under kvm, '
               f'{both} under both; {sum(1 for r in rows if r[3] == "FAIL")} '
               'pass under kvm only without a reason')
    print('\n'.join(table))
    if len(vt) > 2:
        print()
        print('\n'.join(vt))
    print('kut: ' + summary)
    if not results:
        return
    ver = subprocess.run(['git', '-C', os.path.dirname(os.path.abspath(__file__)), 'describe',
                          '--always', '--dirty'], capture_output=True, text=True).stdout.strip()
    model, mode = '', 'all'
    for line in open(log, errors='replace'):
        m = re.match(r'^testbed: booting (\S+ x\d+).*haxm\.test=(\S+)', line)
        if m:
            model, mode = m.group(1), m.group(2)
            break
    which = {'all': 'every x86_64 test of',
             'ci': 'the subset `make test` runs (tests/testbed/kut/ci.list) of'}.get(
                 mode, f'the tests {mode} of')
    with open(results, 'w') as f:
        f.write('# kvm-unit-tests: QEMU -accel hax on haxm vs -accel kvm on kvm_intel\n\n')
        cmd = 'make test-kut' + ('' if mode == 'all' else f' TEST={mode}')
        f.write(f'Written by `{cmd}` on {time.strftime("%Y-%m-%d", time.gmtime())} '
                f'from haxm {ver or "?"}.\n\n')
        f.write(f'Testbed: Bochs as {model or "?"} (tests/testbed); in it unmodified QEMU 7.2 '
                f'(tests/testbed/qemu.sh) runs {which} kvm-unit-tests\' '
                'x86/unittests.cfg (../shared/peer, commit in its README) as the suite\'s runner '
                'starts it, once with `-accel hax` on haxm.ko and once with `-accel kvm` on '
                'kvm_intel loaded with `enable_apicv=0`. Status: QEMU\'s exit through '
                'isa-debug-exit (pass, fail, skip: every subtest skipped), `timeout` (killed '
                'past the test\'s timeout, scaled for Bochs), `error-N` (QEMU exited N without '
                'the test reporting: it could not start, or the guest stopped). In brackets the '
                'test\'s SUMMARY line. Verdict: PASS when hax passes (or both skip), SKIP when '
                'kvm does not pass either or the row names why hax cannot, FAIL otherwise. '
                'Tests built only for i386 (cmpxchg8b, taskswitch, taskswitch2) are not run.\n\n')
        f.write(summary + '.\n\n')
        f.write('\n'.join(table) + '\n')
        if len(vt) > 2:
            f.write('\n## VM-exit costs (x86/vmexit.flat)\n\n'
                    'Guest TSC ticks per iteration as vmexit.flat prints them (the testbed TSC: '
                    'Bochs instructions, deterministic; host plus guest work, including the exit '
                    'and entry). Ratio = hax/kvm, lower is better for haxm.\n\n')
            f.write('\n'.join(vt) + '\n')
        notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'kut', 'NOTES.md')
        if os.path.exists(notes):
            f.write('\n' + open(notes).read())
    print(f'kut: wrote {results}')


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'list':
        cmd_list(sys.argv[2], sys.argv[3])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == 'report':
        cmd_report(*sys.argv[2:])
    else:
        sys.exit(__doc__)
