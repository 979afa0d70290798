#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one test run into a verdict.

Reads the host checks (TAP lines written by scripts/test.sh), the guest's
test output (results.log: TAP framed by "@@" lines, see tests/guest/init),
the KUnit results in the kernel log (through the tree's kunit.py parse) and
the kernel log itself (any oops, BUG, WARNING, lockdep report or hung task
fails the run).  Prints every failure with its context and ends with
"N passed, N failed, N skipped".  Exit status 1 if anything failed.
"""
import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys

# "ok 3 name # SKIP why", and "ok 3 # SKIP why" (no name: ksft_test_result_skip)
TAP = re.compile(r'^(not )?ok \d+\s*(.*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)')
# uffd-unit-tests prints "Testing <name>... done|skipped [reason: r]|failed [reason: r]"
# and "Userfaults unit tests: pass=P, skip=S, fail=F (total=T)"; it is
# read as TAP with the total as its plan.
UFFD = re.compile(r'^Testing (.+?)\.\.\. (done|skipped|failed)(?: \[reason: (.*?)\]?)?$')
UFFD_TOTAL = re.compile(r'^Userfaults unit tests: .*\(total=(\d+)\)')


def uffd_to_tap(lines):
    out, n = [], 0
    for line in lines:
        m = UFFD.match(line)
        t = UFFD_TOTAL.match(line)
        if m:
            n += 1
            if m.group(2) == 'done':
                out.append('ok %d %s' % (n, m.group(1)))
            elif m.group(2) == 'skipped':
                out.append('ok %d %s # SKIP %s' % (n, m.group(1), m.group(3)))
            else:
                out.append('# %s' % line)
                out.append('not ok %d %s' % (n, m.group(1)))
        elif t:
            out.insert(0, '1..%s' % t.group(1))
        else:
            out.append('# ' + line)
    return out
# What in the kernel log fails a run.
KLOG_BAD = re.compile(
    r'(BUG:|Oops|WARNING:|Kernel panic|general protection fault|'
    r'possible (recursive|circular) locking|inconsistent lock state|'
    r'suspicious RCU usage|lock held when returning|'
    r'INFO: task .* blocked|soft lockup|hard LOCKUP|Call Trace:|'
    r'UBSAN|KASAN|KFENCE|kernel BUG|'
    # named although 6.12 prints them after "BUG:", "WARNING:" or with a
    # "Call Trace:" (list and refcount corruption warn, KFENCE and bad
    # page state say BUG, an OOM kill dumps its stack), so that a change of
    # format cannot hide them; an OOM kill fails unless tests/expected-klog
    # allows it for the suite
    r'refcount_t: |list_(add|del) corruption|list_add double add|'
    r'Bad (page state|page map|rss-counter)|invoked oom-killer|'
    # RCU CPU stall warnings: "rcu: INFO: rcu_sched detected stalls on
    # CPUs/tasks", "rcu_preempt detected stalls", "rcu: ... self-detected
    # stall on CPU", and a starved grace-period kthread
    r'detected stalls|self-detected stall|rcu_\w+ kthread (timer wakeup didn.t happen|starved)|'
    # the emulated TSC was not usable: a nested KVM guest would hang
    r'Marking TSC unstable|TSC warp)')


class Verdict:
    def __init__(self):
        self.passed, self.failed, self.skipped = [], [], []

    def ok(self, name):
        self.passed.append(name)

    def fail(self, name, why, context=''):
        self.failed.append((name, why, context))

    def skip(self, name, why):
        self.skipped.append((name, why))


def load_expected(path):
    """Lines: <suite><TAB><test glob><TAB><reason glob><TAB><why>; '#' comments.

    A skip is expected only if its suite, its test name and the reason the
    test printed all match: a test that starts skipping for another reason
    fails the run."""
    rules = []
    if path and os.path.exists(path):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip('\n')
                if not line.strip() or line.lstrip().startswith('#'):
                    continue
                fields = [x for x in line.split('\t') if x]
                if len(fields) != 4:
                    sys.exit('%s:%d: want <suite> <test glob> <reason glob> <why>, '
                             'separated by tabs' % (path, n))
                rules.append(tuple(x.strip() for x in fields))
    return rules


def expected(rules, suite, test, reason):
    for s, pattern, reason_glob, why in rules:
        if (s == suite and fnmatch.fnmatchcase(test, pattern) and
                fnmatch.fnmatchcase(reason or '', reason_glob)):
            return why
    return None


def tap_lines(v, suite, lines, rules):
    """Count the results of one TAP stream; return (results, plan)."""
    plan, n = None, 0
    for line in lines:
        m = PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        if line.startswith('Bail out!'):
            v.fail(suite, line.strip())
            continue
        m = TAP.match(line)
        if not m:
            continue
        n += 1
        # a result with no name (ksft_test_result_skip) goes by its number
        label = m.group(2) or 'test %d (%s)' % (n, m.group(4) or 'no name')
        name = '%s: %s' % (suite, label)
        if m.group(3) == 'SKIP':
            why = expected(rules, suite, label, m.group(4))
            if why:
                v.skip(name, '%s (%s)' % (m.group(4), why))
            else:
                v.fail(name, 'unexpected skip (no line of tests/expected-skips matches '
                       'this suite, test and reason): %s' % (m.group(4) or '?'))
        elif m.group(1):
            v.fail(name, 'failed', '\n'.join(context_of(lines, line)))
        else:
            v.ok(name)
    return n, plan


def context_of(lines, result_line, before=25):
    """The diagnostic lines a kselftest printed before a failing result."""
    i = lines.index(result_line)
    ctx = []
    for line in reversed(lines[max(0, i - before):i]):
        if TAP.match(line):
            break
        ctx.append(line)
    return list(reversed(ctx))


def boot_name(results):
    """results.log -> 'guest', results-shadow.log -> 'guest-shadow'."""
    tag = re.match(r'results(-[\w-]+)?\.log$', os.path.basename(results))
    return 'guest' + (tag.group(1) or '' if tag else '')


def console_tail(results, n=25):
    console = os.path.join(os.path.dirname(results),
                           os.path.basename(results).replace('results', 'console', 1))
    if not os.path.exists(console):
        return []
    with open(console, errors='replace') as f:
        return [l.rstrip('\r\n') for l in f][-n:]


def load_suites(path):
    """A suite list (tests/suites...): [(name, time limit in s)], in order."""
    suites = []
    with open(path) as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            name, limit = (line.split(None, 2) + ['0'])[:2]
            suites.append((name, int(limit)))
    return suites


def exit_status(v, suite, rc, elapsed, limit, fired, n, body):
    """Judge a suite's exit status; True if it explains itself (no more checks)."""
    # The guest's init runs each suite under busybox timeout, which sends
    # SIGTERM (143); GNU timeout exits 124.  Only the harness's own timer
    # makes it a timeout: init says so ("timer"), or the suite ran for its
    # whole limit.  A SIGKILL (137) before the limit is someone else's
    # doing: the OOM killer, most likely.
    timer = fired or (limit is not None and elapsed is not None and elapsed >= limit)
    if rc in (124, 137, 143) and timer:
        v.fail(suite, 'timed out (killed by the harness after its time limit, %ss)'
               % (limit if limit is not None else '?'), '\n'.join(body[-15:]))
        return True
    if rc == 137:
        v.fail(suite, 'killed (SIGKILL, exit 137) after %s s, before its time limit: '
               'not the harness\'s timer (the OOM killer? see the kernel log)'
               % (elapsed if elapsed is not None else '?'), '\n'.join(body[-15:]))
        return True
    if rc > 128 and rc < 160:
        v.fail(suite, 'killed by signal %d (exit %d) after %d results'
               % (rc - 128, rc, n), '\n'.join(body[-15:]))
        return True
    return False


def guest(v, results, rules, suite_list=None):
    g = boot_name(results)
    if not os.path.exists(results):
        v.fail(g, 'no results file %s' % results)
        return
    with open(results, errors='replace') as f:
        lines = [l.rstrip('\r\n') for l in f]
    silent = [l for l in lines if l.startswith('@@ silent: ')]
    if silent:
        v.fail(g + ': boot', silent[0][len('@@ silent: '):] +
               ' (set ACCEL=tcg if this host\'s KVM cannot run it)')
        return
    if not any(l.startswith('@@ boot') for l in lines):
        v.fail(g + ': boot', 'the guest never reached /init; the kernel log ends:',
               '\n'.join(console_tail(results)))
        return
    v.ok(g + ': boot')
    want = load_suites(suite_list) if suite_list else None
    limits = dict(want or [])
    for l in lines:
        if l.startswith('@@ boot') and suite_list:
            m = re.search(r' suites=(\S+)', l)
            if m and m.group(1) != os.path.basename(suite_list):
                v.fail(g, 'the guest ran the suite list "%s", expected %s'
                       % (m.group(1), os.path.basename(suite_list)))
        if l.startswith('@@ error '):
            v.fail(g, l[len('@@ error '):])
    ran = []
    suite, body = None, []
    for line in lines:
        if line.startswith('@@ suite '):
            suite, body = line.split()[2], []
            ran.append(suite)
        elif line.startswith('@@ exit ') and suite:
            f = line.split()
            rc = int(f[3])
            elapsed = int(f[4].rstrip('s')) if len(f) > 4 and f[4].rstrip('s').isdigit() else None
            fired = 'timer' in f[5:]
            if suite == 'uffd-unit-tests':
                body = uffd_to_tap(body)
            n, plan = tap_lines(v, suite, body, rules)
            if exit_status(v, suite, rc, elapsed, limits.get(suite), fired, n, body):
                pass
            elif rc not in (0, 4) and not any(f[0].startswith(suite + ':') for f in v.failed):
                v.fail(suite, 'exited %d after %d results, none failed' % (rc, n),
                       '\n'.join(body[-15:]))
            elif plan is not None and n != plan:
                v.fail(suite, '%s after %d of %d tests (exit %d)'
                       % ('stopped' if n < plan else 'gave more results than planned',
                          n, plan, rc), '\n'.join(body[-15:]))
            elif n == 0:
                v.fail(suite, 'ran no test', '\n'.join(body[-15:]))
            suite = None
        elif line.startswith('@@ qemu-exit '):
            v.fail(g, 'QEMU failed (exit %s); the kernel log ends:' % line.split()[2],
                   '\n'.join(console_tail(results)))
        elif line.startswith('@@ killed'):
            v.fail(g, 'QEMU was killed (%s) before the harness\'s time limit%s; '
                   'the kernel log ends:' % (line[len('@@ killed '):],
                   ' while running %s' % suite if suite else ''),
                   '\n'.join(console_tail(results)))
            suite = None
        elif line.startswith('@@ timeout'):
            v.fail(g, 'hung%s: QEMU killed after %s; the kernel log ends:' % (
                ' while running %s' % suite if suite else '', line.split()[2]),
                '\n'.join(console_tail(results)))
            suite = None
        elif suite is not None:
            body.append(line)
    if suite:
        v.fail(suite, 'the guest died while it ran; its output, then the kernel log:',
               '\n'.join(body[-10:] + ['-----'] + console_tail(results)))
    if lines and not any(l == '@@ done' for l in lines):
        v.fail(g + ': shutdown', 'the guest did not finish its suites')
    if want is not None:
        # Exactly one result block per listed suite: a suite that never ran
        # (a partial guest, a wrong list) is a failure, not silence.
        names = [n for n, _ in want]
        for name in names:
            if ran.count(name) == 0:
                v.fail(name, 'never ran in %s (listed in tests/%s)'
                       % (g, os.path.basename(suite_list)))
            elif ran.count(name) > 1:
                v.fail(name, 'ran %d times in %s' % (ran.count(name), g))
        for name in sorted(set(ran) - set(names)):
            v.fail(name, 'ran in %s but is not in tests/%s'
                   % (g, os.path.basename(suite_list)))
        if names and not ran and not any(f[0].startswith(g) for f in v.failed):
            v.fail(g, 'no suite ran')


def kunit(v, console, tree, expect):
    parse = os.path.join(tree, 'tools/testing/kunit/kunit.py')
    with open(console, errors='replace') as f:
        if 'KTAP version' not in f.read():
            if expect:
                v.fail('kunit', 'the kernel has KUnit built in but printed no KTAP')
            return
    # Only KTAP lines: other kernel messages printed while the suites run
    # (a device probed asynchronously, say) would be taken for part of it.
    ktap = re.compile(r'^\[\s*\d+\.\d+\] (\s*(KTAP version|TAP version|1\.\.\d|'
                      r'(not )?ok \d|# ).*)$')
    with open(console, errors='replace') as f:
        klines = ''.join(m.group(1) + '\n' for m in map(ktap.match, f) if m)
    out = subprocess.run([sys.executable, parse, 'parse', '--json'], input=klines,
                         capture_output=True, text=True)
    try:
        data = json.loads(out.stdout[out.stdout.index('{'):])
    except ValueError:
        v.fail('kunit', 'kunit.py parse gave no JSON', out.stdout[-2000:] + out.stderr[-2000:])
        return
    if out.returncode:
        v.fail('kunit', 'kunit.py parse found a crashed or incomplete suite (exit %d)'
               % out.returncode, out.stderr[-2000:])
    before = len(v.passed) + len(v.failed)

    def walk(group, prefix):
        for case in group.get('test_cases', []):
            name = 'kunit: %s%s' % (prefix, case['name'])
            if case['status'] == 'PASS':
                v.ok(name)
            elif case['status'] == 'SKIP':
                v.fail(name, 'KUnit case skipped')
            else:
                v.fail(name, 'KUnit %s' % case['status'])
        for sub in group.get('sub_groups', []):
            walk(sub, prefix + sub['name'] + '.')
    walk(data, '')
    if len(v.passed) + len(v.failed) == before:
        v.fail('kunit', 'KTAP printed, but no test case in it')


# The guest's /init writes "mnt-suite: start NAME" to /dev/kmsg before each
# suite and "mnt-suite: end" after the last (as the kernel's
# run_kselftest.sh does), so that each line of the kernel log belongs to the
# suite that ran then; before the first marker, to "boot".
KMSG_MARK = re.compile(r'mnt-suite: (start (\S+)|end)\s*$')


def load_klog_allow(path):
    """Lines: <suite><TAB><regex><TAB><reason>; '#' comments."""
    allow = []
    if path and os.path.exists(path):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip('\n')
                if not line.strip() or line.startswith('#'):
                    continue
                fields = [x for x in line.split('\t') if x]
                if len(fields) != 3:
                    sys.exit('%s:%d: want <suite> <regex> <reason>, separated by tabs'
                             % (path, n))
                allow.append((fields[0], re.compile(fields[1]), fields[2]))
    return allow


def klog(v, console, allow, label='console.log'):
    with open(console, errors='replace') as f:
        lines = [l.rstrip('\r\n') for l in f]
    if not any('Linux version' in l for l in lines):
        v.fail('kernel log: ' + label, 'empty or without a boot banner: nothing was checked')
        return
    # the suite running at each line
    owner, cur = [], 'boot'
    for l in lines:
        m = KMSG_MARK.search(l)
        if m:
            cur = m.group(2) or 'after the suites'
        owner.append(cur)
    reports, i = [], 0
    while i < len(lines):
        if KLOG_BAD.search(lines[i]):
            # A stack dump is allowed with the expected message just before
            # its "Call Trace:" (dump_stack() prints CPU and hardware first).
            seen = lines[max(0, i - 4):i + 1] if 'Call Trace:' in lines[i] else [lines[i]]
            allowed = [r for r in allow
                       if r[0] == owner[i] and any(r[1].search(l) for l in seen)]
            if allowed:
                i += 1
                continue
            reports.append('(during %s)\n' % owner[i] +
                           '\n'.join(lines[max(0, i - 3):i + 40]))
            i += 40
        else:
            i += 1
    if reports:
        v.fail('kernel log: ' + label,
               '%d report(s): oops, BUG, WARNING, KASAN, lockdep, RCU stall, hang, '
               'corruption or OOM kill' % len(reports),
               '\n-----\n'.join(reports[:3]))
    else:
        v.ok('kernel log: %s: 0 reports in %d lines (oops, BUG, WARNING, KASAN, KFENCE, '
             'UBSAN, lockdep, RCU stall, hang, corruption, OOM kill)' % (label, len(lines)))


def host(v, path, rules):
    """The host's checks (scripts/test.sh): plain TAP lines, and the steps
    that a script runs, framed as "@@ step NAME", the script's TAP (its plan
    "1..N" first), "@@ exit NAME RC".  A step fails if it stated no plan,
    gave another number of results, exited non-zero with no failed result,
    or never finished.  A skip must be listed in tests/expected-skips under
    the suite "host", with its reason."""
    if not path or not os.path.exists(path):
        return
    step, plan, n, failed_before = None, None, 0, 0
    with open(path) as f:
        lines = [l.rstrip('\n') for l in f]
    for line in lines:
        if line.startswith('@@ step '):
            if step:
                v.fail('host: ' + step, 'stopped before the end: no exit status')
            step, plan, n, failed_before = line.split(None, 2)[2], None, 0, len(v.failed)
            continue
        if line.startswith('@@ exit ') and step:
            rc = line.split()[-1]
            if plan is None:
                v.fail('host: ' + step, 'stated no plan (1..N) before its %d results' % n)
            elif n != plan:
                v.fail('host: ' + step, 'gave %d results of the %d it planned '
                       '(exit %s): it stopped halfway or lost some' % (n, plan, rc))
            if rc != '0' and len(v.failed) == failed_before:
                v.fail('host: ' + step, 'exited %s, and none of its %d results failed'
                       % (rc, n))
            step = None
            continue
        if step and plan is None:
            m = PLAN.match(line)
            if m:
                plan = int(m.group(1))
                continue
        m = TAP.match(line)
        if not m:
            continue
        n += 1
        name, _, why = m.group(2).partition(' # ')
        if m.group(3) == 'SKIP':
            known = expected(rules, 'host', name, m.group(4))
            if known:
                v.skip(name, '%s (%s)' % (m.group(4), known))
            else:
                v.fail(name, 'unexpected skip (no "host" line of tests/expected-skips '
                       'matches it and its reason): %s' % m.group(4))
        elif m.group(1):
            v.fail(name, why or 'failed')
        else:
            v.ok(name)
    if step:
        v.fail('host: ' + step, 'stopped before the end: no exit status (%d of %s results)'
               % (n, plan if plan is not None else 'no plan'))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--host')
    ap.add_argument('--results', action='append', default=[],
                    help='guest output of one boot; repeat for each boot')
    ap.add_argument('--suites', action='append', default=[],
                    help='the suite list of the boot of the --results at the same '
                    'position: each suite in it must give exactly one result block')
    ap.add_argument('--console', action='append', default=[],
                    help='kernel log of one boot (KUnit is read from the first)')
    ap.add_argument('--tree', required=True)
    ap.add_argument('--expected-skips')
    ap.add_argument('--expected-klog', help='lines: suite<TAB>regex<TAB>reason')
    ap.add_argument('--kunit', action='store_true',
                    help='the kernel has KUnit built in: it must print results')
    ap.add_argument('--report', help='write the whole report to this file too')
    ap.add_argument('--brief', action='store_true',
                    help='print only the failures, in full, and the last line '
                    '(the results by suite and the skips go to --report)')
    a = ap.parse_args()

    v = Verdict()
    host(v, a.host, load_expected(a.expected_skips))
    if a.suites and len(a.suites) != len(a.results):
        ap.error('give one --suites per --results')
    rules = load_expected(a.expected_skips)
    for i, results in enumerate(a.results):
        guest(v, results, rules, a.suites[i] if a.suites else None)
    allow = load_klog_allow(a.expected_klog)
    for i, console in enumerate(a.console):
        if not os.path.exists(console):
            v.fail('kernel log', 'no kernel log at %s' % console)
            continue
        if i == 0:
            kunit(v, console, a.tree, a.kunit)
        klog(v, console, allow, os.path.basename(console))

    def group(name):
        return name.split(':')[0]

    suites = {}
    for name in v.passed:
        suites.setdefault(group(name), [0, 0, 0])[0] += 1
    for name, _, _ in v.failed:
        suites.setdefault(group(name), [0, 0, 0])[1] += 1
    for name, _ in v.skipped:
        suites.setdefault(group(name), [0, 0, 0])[2] += 1
    # (brief?, line): brief lines are printed with --brief too
    out = [(False, '\n==> Results by suite (passed/failed/skipped)')]
    for s, (p, f, k) in suites.items():
        out.append((False, '    %-28s %4d %4d %4d%s' % (s, p, f, k, '   <-- FAILED' if f else '')))
    if v.skipped:
        out.append((False, '\n==> Skipped, with the reason'))
        for name, why in v.skipped:
            out.append((False, '    %s: %s' % (name, why)))
    if v.failed:
        out.append((True, '\n==> FAILURES'))
        for name, why, ctx in v.failed:
            out.append((True, '--- %s: %s' % (name, why)))
            if ctx:
                out.append((True, '\n'.join('    | ' + l for l in ctx.splitlines())))
    out.append((True, '\n%d passed, %d failed, %d skipped'
                % (len(v.passed), len(v.failed), len(v.skipped))))
    for brief, line in out:
        if brief or not a.brief:
            print(line)
    if a.report:
        with open(a.report, 'w') as f:
            f.write(''.join(line + '\n' for _, line in out))
    return 1 if v.failed else 0


if __name__ == '__main__':
    sys.exit(main())
