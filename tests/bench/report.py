#!/usr/bin/env python3
"""Tables of make bench: report.py BASE_RESULTS SERIES_RESULTS CSV_OUT [NEW] > md.

NEW: the KVM selftest suites the series adds (comma-separated), which are
left out of the check that the others give the same results on both.

Reads the op,... and core,... lines mirror-bench printed on each kernel
(see tests/bench/mirror-bench.c), writes them all to CSV_OUT and prints a
markdown report: per operation, base -> series; per core loop, the time per
iteration on each kernel and their ratio.
"""
import csv
import os
import re
import sys

OP_FIELDS = ['callbacks', 'dropped', 'wrprotected', 'read_faults', 'write_faults']


TAP = re.compile(r'^(not ok|ok) \d+ (\S+)(.*)$')


def suite_lines(path):
    """(suite, line) for each line of a results file; suite is None outside
    a suite, and the "@@ exit" line still belongs to it.  Nothing if the
    file is missing."""
    if not os.path.exists(path):
        return
    suite = None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('@@ suite '):
                suite = line.split()[2]
            yield suite, line
            if line.startswith('@@ exit'):
                suite = None


def status(m):
    """pass, skip or FAIL, from a TAP match."""
    return 'skip' if '# SKIP' in m.group(3) else ('pass' if m.group(1) == 'ok' else 'FAIL')


def parse(path):
    ops, core, tests = {}, {}, {}
    for suite, line in suite_lines(path):
        m = TAP.match(line)
        if suite == 'mmu_notifier_actions' and m:
            tests[m.group(2)] = status(m)
        p = line.strip().split(',')
        if p[0] == 'op' and len(p) == 7:
            ops[p[1]] = p[2:]
        elif p[0] == 'core' and len(p) == 4:
            core[(p[1], p[2])] = int(p[3])
    return ops, core, tests


def cells(base_row, ser_row):
    """Each field as "base" if both kernels agree, else "base -> series"."""
    return [x if x == y else '%s -> %s' % (x, y) for x, y in zip(base_row, ser_row)]


def write_rows(csvw, kind, base, ser):
    """One CSV row per (kernel, key) of two {key tuple: [fields]}."""
    for kernel, rows in (('base', base), ('series', ser)):
        for key, v in rows.items():
            csvw.writerow([kernel, kind] + list(key) + v)


# The project's own KVM test program (tests/guest/kvm-mmu-notifier.c), by suite name.
OURS = ('kvm-mmu-notifier', 'kvm-mmu-notifier-shadow')
KVM_FIELDS = ['callbacks', 'zapped', 'wrprotected', 'read_faults', 'write_faults',
              'tlb_flush_requests', 'pf_fast', 'other_faults']


def parse_kvm(results):
    """The '# kvm,<mmu>,<op>,...' lines of kvm-mmu-notifier, from the kvm
    boot's results and the shadow boot's (beside results.log), and the
    program's exit per MMU."""
    rows, verdict = {}, {}
    for tag in ('kvm', 'shadow'):
        path = results.replace('results.log', 'results-%s.log' % tag)
        for suite, line in suite_lines(path):
            if line.startswith('# kvm,'):
                p = line[2:].split(',')
                if len(p) == 3 + len(KVM_FIELDS):
                    rows[(p[1], p[2])] = p[3:]
            elif line.startswith('@@ exit ') and suite in OURS:
                verdict['shadow' if 'shadow' in suite else 'tdp'] = \
                    'pass' if line.split()[3] == '0' else 'FAIL'
    return rows, verdict


def parse_kselftests(results):
    """Result per upstream KVM selftest (kselftest-run's TAP) of the kvm boot."""
    seen, out = {}, {}
    for suite, line in suite_lines(results.replace('results.log', 'results-kvm.log')):
        if not suite or suite in OURS or suite == STLB_SUITE or suite in KVM_INFLIGHT_SUITES:
            continue
        m = TAP.match(line)
        if m:
            seen.setdefault(suite, set()).add(status(m))
        elif line.startswith('@@ exit'):
            got = seen.get(suite, set())
            rc = line.split()[3]
            # A suite passes if its exit and every result say so.
            if 'FAIL' in got or rc not in ('0', '4'):
                out[suite] = 'FAIL (exit %s)' % rc
            elif not got:
                out[suite] = 'no result (exit %s)' % rc
            else:
                out[suite] = 'skip' if got == {'skip'} else 'pass'
    return out


NUMA_PHASES = ('full', 'none', 'sparse')


def parse_numa(path):
    """{(listener, phase): [instructions, per cycle]} from the '# numa-scan,...'
    lines of numa-scan-bench (one per scan), and the listeners it skipped.
    Per cycle, full: the sum of the pass's scans (one whole-mm scan); none:
    the median scan (each reads 2 GiB of PROT_NONE ptes); sparse: the sum
    of its three passes' scans, divided by three."""
    gaps, skipped = {}, []
    for suite, line in suite_lines(path):
        if suite != 'numa-scan-bench':
            continue
        p = line.strip().split(',')
        if p[0] == '# numa-scan' and len(p) == 6:
            gaps.setdefault((p[1], p[3]), {}).setdefault(int(p[2]), []).append(int(p[5]))
        elif p[0] == '# numa-scan-skip':
            skipped.append(','.join(p[1:]))
    per = {}
    for (ln, phase), cycles in gaps.items():
        f = {'full': sum, 'none': median, 'sparse': lambda v: sum(v) / 3}[phase]
        per[(ln, phase)] = [f(cycles[c]) for c in sorted(cycles)]
    return per, skipped


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def numa_report(base_path, ser_path):
    base, bskip = parse_numa(base_path)
    ser, sskip = parse_numa(ser_path)
    if not base and not ser:
        return
    print('\nNUMA hinting scans of a 2 GiB mapping (tests/bench/numa-scan-bench.c), qemu -icount: '
          'instructions spent in task_numa_work(), median over the cycles [min-max].  '
          'full: a pass over the mapping where every pte changes; none: one scan of 2 GiB '
          'of ptes already PROT_NONE (nothing changes); sparse: a pass where one pte per '
          '2 MiB changes.  Listeners: hmm (test_hmm mirror, nothing mirrored), kvm (a VM '
          'with a memslot over the mapping, no vCPU).\n')
    print('| listener | phase | base | series | series/base |')
    print('|---|---|---|---|---|')
    for key in sorted(set(base) | set(ser), key=lambda k: (k[0], NUMA_PHASES.index(k[1]))):
        b, s = base.get(key), ser.get(key)
        cell = lambda v: '%.0f [%.0f-%.0f]' % (median(v), min(v), max(v)) if v else '-'
        ratio = '%.3f' % (median(s) / median(b)) if b and s else '?'
        print('| %s | %s | %s | %s | %s |' % (key[0], key[1], cell(b), cell(s), ratio))
    if bskip or sskip:
        print('\nSkipped: base %s; series %s.' % ('; '.join(bskip) or '-', '; '.join(sskip) or '-'))


UP_FIELDS = ['invalidations', 'acted', 'waits', 'revalidations', 'pages', 'device_faults',
             'moved', 'check']
UP_KINDS = ('mirror', 'mirror-ro', 'pinned', 'pinned-ro')


def parse_userptr(path):
    """{(kind, op): [fields]} from the userptr,... lines of userptr-bench
    (tests/bench/userptr-bench.c), in the order printed, and its exit."""
    rows, rc, conf = {}, None, {}
    for suite, line in suite_lines(path):
        if suite != 'userptr-bench':
            continue
        # The check, last, is free text.
        p = line.strip().split(',', 2 + len(UP_FIELDS))
        if p[0] == 'userptr' and len(p) == 3 + len(UP_FIELDS):
            rows[(p[1], p[2])] = p[3:]
        elif p[0] == 'userptr-config':
            conf = dict(zip(p[1::2], p[2::2]))
        elif line.startswith('@@ exit '):
            rc = line.split()[3]
    return rows, rc, conf


UP_OPS = ('mprotect down', 'mprotect up', 'soft-dirty', 'uffd-wp', 'KSM merge',
          'NUMA hinting', 'munmap', 'migration')


def userptr_targets(base, ser):
    """The issue's targets, and the rows that must still act: (what, met).
    Fields: invalidations, acted, waits, revalidations, ..."""
    out = []

    def row(rows, kind, op):
        return rows.get((kind, op)) or ['?'] * len(UP_FIELDS)

    def kept(kind, op, what):
        v = row(ser, kind, op)
        out.append(('%s, %s: %s' % (kind, op, what), v[1] == '0' and v[2] == '0'))

    def acts(kind, op):
        v = row(ser, kind, op)
        out.append(('%s, %s: acts and waits once' % (kind, op),
                    v[1] not in ('0', '?') and v[2] == '1'))
    # 6.12's listeners act on everything: the base acts in every row.
    out.append(('6.12 acts in every row (%d)' % len(base),
                len(base) == len(UP_KINDS) * len(UP_OPS) and
                all(v[1] not in ('0', '?') for v in base.values())))
    for kind in UP_KINDS:
        kept(kind, 'mprotect up', 'no action, no wait')
        kept(kind, 'NUMA hinting', 'no action, no wait')
        for op in ('munmap', 'migration'):
            acts(kind, op)
        if kind.endswith('-ro'):
            for op in ('mprotect down', 'soft-dirty', 'uffd-wp'):
                kept(kind, op, 'no action, no wait (read-only)')
        else:
            for op in ('mprotect down', 'soft-dirty', 'uffd-wp'):
                acts(kind, op)
    for kind in ('pinned', 'pinned-ro'):
        kept(kind, 'KSM merge', 'no action, no wait')
    acts('mirror', 'KSM merge')
    return out


def userptr_report(base_path, ser_path, csvw):
    base, brc, conf = parse_userptr(base_path)
    ser, src, _ = parse_userptr(ser_path)
    if not base and not ser:
        return []
    write_rows(csvw, 'userptr', base, ser)
    print('\nUserptr listeners (tests/bench/userptr-bench.c): the HMM test driver\'s models of '
          'the two kinds, a mirror without page references (amdgpu, amdkfd, xe) and a '
          'pinned userptr (i915, radeon), each writable and read-only (-ro), %s pages, '
          'device work held across each operation; base -> series.  acted: callbacks '
          'that set the sequence; waits: those that waited for the held work; '
          'revalidations, pages and device faults: what the next device read needed '
          '(a device fault is a submission that found the userptr invalid and looked all '
          'its pages up or pinned them again); moved: pages whose pfn changed.  check: '
          'every row checks that the operation invalidated, a callback that acted with work '
          'held waited for it during the operation, the next read revalidated if and only '
          'if a callback acted, no page the device can reach is stale, the held write '
          'reached the CPU, and device reads and writes see what the CPU sees.  "-": the '
          'range is gone.  Pinned soft-dirty: clear_refs leaves the writable ptes of '
          'maybe-pinned pages alone, but still notifies.  mprotect up: a writable userptr cannot hold work over read-only '
          'memory, so only the read-only ones hold it.  NUMA hinting: %s ms of CPU time '
          'with balancing on, shared mapping.  userptr-bench exited: base %s, series %s.\n'
          % (conf.get('npages', '?'), conf.get('numa_cpu_ms', '?'), brc, src))
    print('| kind | operation | invalidations | acted | waits | revalidations | pages '
          '| device faults | moved | check |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for key in list(base) + [k for k in ser if k not in base]:
        b, s = base.get(key, ['?'] * len(UP_FIELDS)), ser.get(key, ['?'] * len(UP_FIELDS))
        print('| %s | %s | %s |' % (key[0], key[1], ' | '.join(cells(b, s))))
    targets = userptr_targets(base, ser)
    print('\nUserptr targets on the series: %s' % (
        'all met (%d)' % len(targets) if all(m for _, m in targets) else
        'NOT MET: ' + '; '.join(t for t, m in targets if not m)))
    bad = ['%s %s %s' % (kernel, k[0], k[1]) for kernel, rows in (('base', base), ('series', ser))
           for k, v in rows.items() if v[-1] != 'ok']
    want = len(UP_KINDS) * len(UP_OPS)
    if len(base) != want or len(ser) != want or set(base) != set(ser):
        bad.append('rows: base %d, series %d, %d expected on each' % (len(base), len(ser), want))
    if brc != '0' or src != '0':
        bad.append('userptr-bench exited %s on the base, %s on the series' % (brc, src))
    print('Userptr checks: %s' % ('all rows ok on both kernels (%d + %d)' % (len(base), len(ser))
                                  if not bad else 'FAILED: %s' % '; '.join(bad)))
    return targets


def parse_lines(path, suite_name, prefix, nkey, nfields):
    """{key tuple: [fields]} from the '<prefix>,<key...>,<fields...>' lines
    of one suite in a results file, and the suite's exit."""
    rows, rc = {}, None
    for suite, line in suite_lines(path):
        if suite != suite_name:
            continue
        p = line.strip().split(',', nkey + nfields)
        if p[0] == prefix and len(p) == 1 + nkey + nfields:
            rows[tuple(p[1:1 + nkey])] = p[1 + nkey:]
        elif line.startswith('@@ exit '):
            rc = line.split()[3]
    return rows, rc


# tests/bench/stlb-bench.c, in the kvm boot (2 vCPUs).
STLB_SUITE = 'stlb-bench'
STLB_FIELDS = ['calls', 'full', 'ranged', 'ranged_pages', 'max_pages', 'covered',
               'releases', 'shootdowns', 'check']
STLB_OPS = (('reclaim', '512'), ('move_pages', '512'), ('munmap', '16'), ('munmap', '496'),
            ('exit', '0'))


def parse_stlb(results):
    """{(op, pages): [fields]} from the stlb,... lines of stlb-bench in the
    kvm boot's results (beside results.log), and its exit."""
    return parse_lines(results.replace('results.log', 'results-kvm.log'), STLB_SUITE,
                       'stlb', 2, len(STLB_FIELDS))


def stlb_report(base_path, ser_path, csvw):
    base, brc = parse_stlb(base_path)
    ser, src = parse_stlb(ser_path)
    write_rows(csvw, 'stlb', base, ser)
    print('\nSecondary TLB (tests/bench/stlb-bench.c): what the HMM test driver\'s '
          'arch_invalidate_secondary_tlbs() subscriber (an IOMMU doing SVA, an ATS device) '
          'is told per operation, 2 vCPUs, the task on CPU 0 and a sibling thread spinning '
          'on CPU 1 so that x86 batches the CPU flushes of reclaim and migration; '
          'base -> series.  full: calls for the whole address space (0, ULONG_MAX); '
          'ranged: the others, the pages they covered and the most in one call; covered: '
          'pages of the operation that some call covered (every page must be); shootdowns: '
          'TLB shootdowns CPU 1 received (one per batch when batched).  check: the operation '
          'happened (ptes gone; pages moved with their data; the child\'s mm released '
          'once) and every page was covered.  stlb-bench exited: base %s, series %s.\n'
          % (brc, src))
    print('| operation | pages | calls | full | ranged | ranged pages | most in one call '
          '| covered | releases | shootdowns | check |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for key in STLB_OPS:
        b, sr = base.get(key, ['?'] * len(STLB_FIELDS)), ser.get(key, ['?'] * len(STLB_FIELDS))
        print('| %s | %s | %s |' % (key[0], key[1], ' | '.join(cells(b, sr))))

    def field(rows, key, name):
        return (rows.get(key) or ['?'] * len(STLB_FIELDS))[STLB_FIELDS.index(name)]
    targets = []
    for key in (('reclaim', '512'), ('move_pages', '512')):
        targets.append(('%s %s: base sends a full flush per page' % key,
                        field(base, key, 'full') == key[1]))
        targets.append(('%s %s: no full flush on the series' % key,
                        field(ser, key, 'full') == '0'))
        for kernel, rows in (('base', base), ('series', ser)):
            sd = field(rows, key, 'shootdowns')
            targets.append(('%s %s on %s: batched (1 to %d shootdowns)' % (key + (kernel, int(key[1]) // 4 - 1)),
                            sd.isdigit() and 1 <= int(sd) < int(key[1]) // 4))
    print('\nSecondary-TLB targets on the series: %s' % (
        'all met (%d)' % len(targets) if all(m for _, m in targets) else
        'NOT MET: ' + '; '.join(t for t, m in targets if not m)))
    bad = ['%s %s %s: %s' % (kernel, k[0], k[1], v[-1]) for kernel, rows in
           (('base', base), ('series', ser)) for k, v in rows.items() if v[-1] != 'ok']
    if set(base) != set(STLB_OPS) or set(ser) != set(STLB_OPS):
        bad.append('rows: base %d, series %d, %d expected on each' % (len(base), len(ser), len(STLB_OPS)))
    if brc != '0' or src != '0':
        bad.append('stlb-bench exited %s on the base, %s on the series' % (brc, src))
    print('Secondary-TLB checks: %s' % ('all rows ok on both kernels (%d + %d)' % (len(base), len(ser))
                                       if not bad else 'FAILED: %s' % '; '.join(bad)))


# tests/bench/inflight-bench.c, in the first boot (-icount, 1 CPU).
INFLIGHT_SUITE = 'inflight-bench'
INFLIGHT_FIELDS = ['begins', 'waits', 'held', 'done_before_release', 'longest_us', 'check']
INFLIGHT_CASES = ('dev-disjoint', 'dev-overlap', 'userptr-disjoint', 'userptr-overlap')


def parse_inflight(results):
    """{(case,): [fields]} from the inflight,... lines, and the exit."""
    return parse_lines(results, INFLIGHT_SUITE, 'inflight', 1, len(INFLIGHT_FIELDS))


def inflight_report(base_path, ser_path, csvw):
    base, brc = parse_inflight(base_path)
    ser, src = parse_inflight(ser_path)
    write_rows(csvw, 'inflight', base, ser)
    print('\nFaults on A while B is being invalidated (tests/bench/inflight-bench.c): the '
          'HMM test driver\'s listener holds MADV_DONTNEED of one 64-page range (B, or A '
          'itself) for 300 ms, after the interval notifiers were told of it, while the device '
          'reads A through the whole-address-space mirror (dev) or revalidates a MIRROR userptr '
          'over A that MADV_DONTNEED of A invalidated meanwhile (userptr); base -> series.  '
          'begins: read sides the access began; waits: those during which the release '
          'happened; done before release: 1 if the access returned while the range was held; '
          'longest: the longest read side, us (-icount).  check: the range was held once, the '
          'access went through a read side and read what it must (A\'s data, or the zero-filled '
          'pages MADV_DONTNEED leaves).  inflight-bench exited: base %s, series %s.\n'
          % (brc, src))
    print('| case | begins | waits | held | done before release | longest (us) | check |')
    print('|---|---|---|---|---|---|---|')
    for key in INFLIGHT_CASES:
        b, sr = (base.get((key,), ['?'] * len(INFLIGHT_FIELDS)),
                 ser.get((key,), ['?'] * len(INFLIGHT_FIELDS)))
        print('| %s | %s |' % (key, ' | '.join(cells(b, sr))))

    def field(rows, case, name):
        return (rows.get((case,)) or ['?'] * len(INFLIGHT_FIELDS))[INFLIGHT_FIELDS.index(name)]

    def waited(rows, case):
        w = field(rows, case, 'waits')
        return w.isdigit() and int(w) >= 1 and field(rows, case, 'done_before_release') == '0'
    targets = []
    for case in ('dev-disjoint', 'userptr-disjoint'):
        targets.append(('%s: the base waits for the held range' % case, waited(base, case)))
        targets.append(('%s: no wait on the series, done before the release' % case,
                        field(ser, case, 'waits') == '0' and
                        field(ser, case, 'done_before_release') == '1'))
    for case in ('dev-overlap', 'userptr-overlap'):
        for kernel, rows in (('base', base), ('series', ser)):
            targets.append(('%s: waits on the %s' % (case, kernel), waited(rows, case)))
    print('\nIn-flight targets on the series: %s' % (
        'all met (%d)' % len(targets) if all(m for _, m in targets) else
        'NOT MET: ' + '; '.join(t for t, m in targets if not m)))
    bad = ['%s %s: %s' % (kernel, k[0], v[-1]) for kernel, rows in
           (('base', base), ('series', ser)) for k, v in rows.items() if v[-1] != 'ok']
    want = set((c,) for c in INFLIGHT_CASES)
    if set(base) != want or set(ser) != want:
        bad.append('rows: base %d, series %d, %d expected on each'
                   % (len(base), len(ser), len(want)))
    if brc != '0' or src != '0':
        bad.append('inflight-bench exited %s on the base, %s on the series' % (brc, src))
    print('In-flight checks: %s' % ('all rows ok on both kernels (%d + %d)' % (len(base), len(ser))
                                    if not bad else 'FAILED: %s' % '; '.join(bad)))


KVM_INFLIGHT_FIELDS = ['faults', 'retries', 'done_before_release']
KVM_INFLIGHT_CASES = ('two-holds', 'one-hold', 'uffd-other', 'hold-a', 'uffd-a')
KVM_INFLIGHT_SUITES = ('kvm-inflight', 'kvm-inflight-shadow')


def parse_kvm_inflight(results):
    """{(mmu, case): [fields]} from the '# inflight,kvm,...' lines of the kvm
    and shadow boots, and the exit of kvm-mmu-notifier --inflight per boot."""
    rows, rc = {}, {}
    for tag in ('kvm', 'shadow'):
        path = results.replace('results.log', 'results-%s.log' % tag)
        for suite, line in suite_lines(path):
            if suite not in KVM_INFLIGHT_SUITES:
                continue
            if line.startswith('# inflight,kvm,'):
                p = line[2:].split(',')
                if len(p) == 4 + len(KVM_INFLIGHT_FIELDS):
                    rows[(p[2], p[3])] = p[4:]
            elif line.startswith('@@ exit '):
                rc[tag] = line.split()[3]
    return rows, rc


def kvm_inflight_report(base_path, ser_path, csvw):
    base, brc = parse_kvm_inflight(base_path)
    ser, src = parse_kvm_inflight(ser_path)
    write_rows(csvw, 'inflight-kvm', base, ser)
    print('\nGuest faults on A while other ranges are being invalidated (tests/guest/'
          'kvm-mmu-notifier.c --inflight): the nested guest reads 16 pages A of its memslot; '
          'base -> series.  two-holds: MADV_DONTNEED of 16 pages below A and 16 above held '
          '300 ms in the HMM test driver\'s listener (KVM is told first); one-hold: the lower '
          'ones only; uffd-other: A is registered with userfaultfd and the handler invalidates '
          '16 other pages before it fills each page of A; hold-a: A itself held; uffd-a: the '
          'handler invalidates the faulting page.  faults: faults fixed; retries: faults KVM '
          'retried (pf_taken - pf_fixed - pf_emulate - pf_spurious); done before release: 1 '
          'if the guest\'s pass ended while the hold was on.  Exit codes: base %s, series %s.\n'
          % (' '.join('%s %s' % kv for kv in sorted(brc.items())) or '?',
             ' '.join('%s %s' % kv for kv in sorted(src.items())) or '?'))
    print('| MMU | case | faults | retries | done before release |')
    print('|---|---|---|---|---|')
    keys = [(m, c) for m in ('tdp', 'shadow') for c in KVM_INFLIGHT_CASES]
    for key in keys:
        b, sr = (base.get(key, ['?'] * len(KVM_INFLIGHT_FIELDS)),
                 ser.get(key, ['?'] * len(KVM_INFLIGHT_FIELDS)))
        print('| %s | %s | %s |' % (key[0], key[1], ' | '.join(cells(b, sr))))

    def field(rows, key, name):
        return (rows.get(key) or ['?'] * len(KVM_INFLIGHT_FIELDS))[KVM_INFLIGHT_FIELDS.index(name)]

    def num(rows, key, name):
        v = field(rows, key, name)
        return int(v) if v.lstrip('-').isdigit() else None
    targets = []
    for mmu in ('tdp', 'shadow'):
        k = (mmu, 'two-holds')
        targets.append(('%s two-holds: the base retries until the release' % mmu,
                        (num(base, k, 'retries') or 0) > 0 and field(base, k, 'done_before_release') == '0'))
        targets.append(('%s two-holds: no retry on the series, done before the release' % mmu,
                        num(ser, k, 'retries') == 0 and field(ser, k, 'done_before_release') == '1'))
        k = (mmu, 'uffd-other')
        targets.append(('%s uffd-other: the base retries each fault' % mmu,
                        (num(base, k, 'retries') or 0) >= 16))
        targets.append(('%s uffd-other: no retry on the series' % mmu, num(ser, k, 'retries') == 0))
        for kernel, rows in (('base', base), ('series', ser)):
            k = (mmu, 'one-hold')
            targets.append(('%s one-hold: no retry on the %s' % (mmu, kernel),
                            num(rows, k, 'retries') == 0))
            k = (mmu, 'hold-a')
            targets.append(('%s hold-a: retries until the release on the %s' % (mmu, kernel),
                            (num(rows, k, 'retries') or 0) > 0 and
                            field(rows, k, 'done_before_release') == '0'))
            k = (mmu, 'uffd-a')
            targets.append(('%s uffd-a: a retry per page on the %s' % (mmu, kernel),
                            (num(rows, k, 'retries') or 0) >= 16))
    print('\nKVM in-flight targets on the series: %s' % (
        'all met (%d)' % len(targets) if all(m for _, m in targets) else
        'NOT MET: ' + '; '.join(t for t, m in targets if not m)))
    bad = []
    if set(base) != set(keys) or set(ser) != set(keys):
        bad.append('rows: base %d, series %d, %d expected on each' % (len(base), len(ser), len(keys)))
    for kernel, rc in (('base', brc), ('series', src)):
        for tag in ('kvm', 'shadow'):
            if rc.get(tag) != '0':
                bad.append('kvm-mmu-notifier --inflight exited %s in the %s boot of the %s'
                           % (rc.get(tag, 'never'), tag, kernel))
    print('KVM in-flight checks: %s' % ('all rows ok on both kernels (%d + %d)' % (len(base), len(ser))
                                        if not bad else 'FAILED: %s' % '; '.join(bad)))


def main():
    base_ops, base_core, base_tests = parse(sys.argv[1])
    ser_ops, ser_core, ser_tests = parse(sys.argv[2])
    if not base_ops or not ser_ops:
        sys.exit('report.py: no op lines in %s' % (sys.argv[1] if not base_ops else sys.argv[2]))
    base_kvm, base_kvm_v = parse_kvm(sys.argv[1])
    ser_kvm, ser_kvm_v = parse_kvm(sys.argv[2])
    with open(sys.argv[3], 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['kernel', 'kind', 'name', 'subscribers'] + OP_FIELDS + ['ns_per_iteration'])
        for kernel, ops, core in (('base', base_ops, base_core), ('series', ser_ops, ser_core)):
            for name, v in ops.items():
                w.writerow([kernel, 'op', name, ''] + v + [''])
            for (loop, subs), ns in core.items():
                w.writerow([kernel, 'core', loop, subs] + [''] * len(OP_FIELDS) + [ns])
        w.writerow([])
        w.writerow(['kernel', 'kind', 'mmu', 'operation'] + KVM_FIELDS)
        for kernel, rows in (('base', base_kvm), ('series', ser_kvm)):
            for (mmu, op), v in rows.items():
                w.writerow([kernel, 'kvm', mmu, op] + v)

    print('Mirror of 4096 pages (HMM test driver), one operation each; base -> series.  '
          'The faulting model: KVM, RDMA ODP (mlx5: an entry dropped is an MTT zapped '
          'and DMA-unmapped, one write-protected an MTT rewritten read-only with its DMA '
          'mapping kept) and the SGI GRU act on the same helper column.')
    print('"-": the access is refused, as the CPU refuses it.\n')
    print('| operation | callbacks | entries dropped | entries write-protected '
          '| device read faults after | device write faults after |')
    print('|---|---|---|---|---|---|')
    for name, b in base_ops.items():
        s = ser_ops.get(name, ['?'] * len(OP_FIELDS))
        print('| %s | %s |' % (name, ' | '.join(cells(b, s))))
    print('\nNotifier core, tracepoints off, qemu -icount (ns = instructions) per iteration:\n')
    print('| loop | subscribers | base | series | series/base |')
    print('|---|---|---|---|---|')
    for key, b in base_core.items():
        s = ser_core.get(key)
        ratio = '%.3f' % (s / b) if s and b else '?'
        print('| %s | %s | %d | %s | %s |' % (key[0], key[1], b, s if s else '?', ratio))
    numa_report(sys.argv[1], sys.argv[2])
    with open(sys.argv[3], 'a', newline='') as f:
        w = csv.writer(f)
        w.writerow([])
        w.writerow(['kernel', 'kind', 'model', 'operation'] + UP_FIELDS)
        userptr_report(sys.argv[1], sys.argv[2], w)
        w.writerow([])
        w.writerow(['kernel', 'kind', 'operation', 'pages'] + STLB_FIELDS)
        stlb_report(sys.argv[1], sys.argv[2], w)
        w.writerow([])
        w.writerow(['kernel', 'kind', 'case'] + INFLIGHT_FIELDS)
        inflight_report(sys.argv[1], sys.argv[2], w)
        w.writerow([])
        w.writerow(['kernel', 'kind', 'mmu', 'case'] + KVM_INFLIGHT_FIELDS)
        kvm_inflight_report(sys.argv[1], sys.argv[2], w)
    print('\nNested KVM guest touching 1024 pages (tests/guest/kvm-mmu-notifier.c), '
          'one host operation each; base -> series.')
    print('Faults are the guest\'s on those pages, in a read pass, then a write pass; '
          '"refused": KVM_RUN fails with EFAULT, as the host refuses the write.\n')
    print('| MMU | operation | callbacks | SPTEs zapped | SPTEs write-protected '
          '| read faults after | write faults after | remote TLB flush requests |')
    print('|---|---|---|---|---|---|---|---|')
    for key, b in base_kvm.items():
        s = ser_kvm.get(key, ['?'] * len(KVM_FIELDS))
        print('| %s | %s | %s |' % (key[0], key[1], ' | '.join(cells(b[:6], s[:6]))))
    print('\nn/a: the shadow MMU has no per-SPTE tracepoint.  kvm-mmu-notifier itself '
          '(correctness checks only, no --expect-keep): base %s, series %s.'
          % (', '.join('%s %s' % kv for kv in sorted(base_kvm_v.items())) or 'did not run',
             ', '.join('%s %s' % kv for kv in sorted(ser_kvm_v.items())) or 'did not run'))
    base_ks, ser_ks = parse_kselftests(sys.argv[1]), parse_kselftests(sys.argv[2])
    new = set(filter(None, (sys.argv[4] if len(sys.argv) > 4 else '').split(',')))
    print('\nKVM selftests (tests/suites and tests/suites-tcg-single, TDP, on single-threaded TCG), the same binaries on each kernel:\n')
    print('| selftest | base | series |')
    print('|---|---|---|')
    names = sorted((set(base_ks) | set(ser_ks)) - new)
    for name in names + sorted(new):
        print('| %s%s | %s | %s |' % (name, ' (new in the series)' if name in new else '',
                                      base_ks.get(name, '-'), ser_ks.get(name, '-')))
    same = names and all(base_ks.get(n) == ser_ks.get(n) for n in names)
    print('\nUpstream KVM selftests: %s' % (
        'same results on both kernels (%d selftests)' % len(names) if same else
        'DIFFERENT results on base and series' if names else 'none ran'))
    print('\nThe selftest mmu_notifier_actions on each kernel:\n')
    print('| test | base | series |')
    print('|---|---|---|')
    for name in sorted(set(base_tests) | set(ser_tests)):
        print('| %s | %s | %s |' % (name, base_tests.get(name, '-'), ser_tests.get(name, '-')))


if __name__ == '__main__':
    main()
