#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What the series does, in one table: summary.py [options].

One row per operation: the cause and effect of the invalidations a listener
received, what the HMM test driver's mirror did (the mmu_notifier_actions
selftest, tests/suites) and what KVM did (tests/guest/kvm-mmu-notifier.c,
run with TDP), from the guest's output of one boot (results.log); under it,
v6.12's numbers where make bench measured them (work/bench/bench.csv).

Where a number is missing it says why (the suite did not run, failed, or
printed no such line): never a blank or a zero.  It judges nothing: the
verdict (tests/verdict.py) does.  Exit status 0 unless it cannot run.
"""
import argparse
import signal
import csv
import os
import re
import textwrap
import time

# The operations, in the order shown: label, the mmu_notifier_actions test
# and how its counter lines are read, kvm-mmu-notifier's operation, the
# mirror-bench operation in bench.csv, the rows of the call-site table in
# Documentation/mm/mmu_notifier.rst (by their Operation column), and the
# mmu_notifier_events test that checks those rows.
#
# mirror: (test, index of the counters line after the operation, index of
# the line after the device's read pass, or None: "-" the device's access
# is refused, "n/a" the test does not count it).
OPS = [
    dict(label='mprotect read-only', mirror=('mprotect_read_only', 0, 1), kvm='mprotect_ro',
         bench='mprotect down', doc=['other mprotect()'], events='mprotect'),
    dict(label='mprotect to RW', mirror=('mprotect_writable', 0, 1), kvm='mprotect_rw',
         bench='mprotect up', doc=['mprotect() from no write'], events='mprotect'),
    dict(label='soft-dirty clear', mirror=('soft_dirty', 0, 1), kvm='soft_dirty',
         bench='soft-dirty clear', doc=['soft-dirty clearing'], events='soft_dirty'),
    dict(label='uffd write-protect', mirror=('uffd_wp', 0, 1), kvm='uffd_wp',
         bench='uffd-wp', doc=['UFFDIO_WRITEPROTECT'], events='uffd_wp'),
    dict(label='KSM merge', mirror=('ksm_merge', 0, 1), kvm='ksm', bench='KSM merge',
         doc=['KSM write-protect', 'the same, before a merge', 'KSM merge'], events='ksm'),
    dict(label='munmap', mirror=('munmap', 0, '-'), kvm=None, bench='munmap',
         doc=['munmap(), exit'], events='munmap'),
    dict(label='MADV_DONTNEED', mirror=None, kvm='dontneed', bench=None,
         doc=['MADV_DONTNEED, truncation'], events='madv_dontneed'),
    dict(label='migration', mirror=('migrate', 0, 1), kvm=None, bench='migration',
         doc=['migration, compaction'], events='migrate'),
    dict(label='NUMA hinting', mirror=('numa_hint', 0, 'n/a'), kvm=None, bench='NUMA hinting',
         doc=['NUMA hinting'], events='numa_hint'),
    dict(label='soft-dirty sync_spte', mirror=None, kvm='sync_spte', bench=None,
         doc=['soft-dirty clearing'], events='soft_dirty'),
]

MIRROR_SUITE = 'mmu_notifier_actions'
KVM_SUITE = 'kvm-mmu-notifier'
EVENTS_SUITE = 'mmu_notifier_events'
MIRROR_PAGES = 64       # NPAGES of mmu_notifier_actions.c
KVM_PAGES = 1024        # NPAGES of kvm-mmu-notifier.c
BENCH_PAGES = 4096      # NPAGES of tests/bench/mirror-bench.c

TAP = re.compile(r'^(not )?ok \d+\s*(.*?)\s*(?:#\s*(SKIP|TODO)\b\s*(.*))?$')
COUNTERS = re.compile(r'^# mmu_notifier_actions\.c:\d+:(\w+):(.*)$')
KVM_FIELDS = ['callbacks', 'zapped', 'wrprotected', 'read_faults', 'write_faults',
              'tlb_flush_requests', 'pf_fast', 'other_faults']


class Suite:
    """One suite's output in a results file."""

    def __init__(self, name):
        self.name, self.lines, self.rc, self.how = name, [], None, None

    def failed(self):
        return self.rc is None or self.rc not in (0, 4) or any(
            l.startswith('not ok ') for l in self.lines)

    def state(self):
        """'' if it ran to the end and passed, else why its numbers may be short."""
        if self.rc is None:
            return 'did not finish (%s)' % (self.how or 'the guest stopped')
        if self.failed():
            return 'failed (exit %d)' % self.rc
        return ''


def read_results(path):
    """{suite: Suite} of a results.log; None if the file is missing."""
    if not path or not os.path.exists(path):
        return None
    suites, cur = {}, None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if line.startswith('@@ suite '):
                cur = Suite(line.split()[2])
                suites[cur.name] = cur
            elif line.startswith('@@ exit ') and cur:
                f_ = line.split()
                cur.rc = int(f_[3]) if len(f_) > 3 and f_[3].lstrip('-').isdigit() else None
                if cur.rc is None:
                    cur.how = line
                cur = None
            elif line.startswith('@@ ') and cur:
                cur.how = line[3:]      # @@ timeout, @@ killed...
                cur = None
            elif cur:
                cur.lines.append(line)
    return suites


def test_status(suite, name):
    """'ok', 'FAILED', 'skipped' or None (no result) of the TAP test @name."""
    for line in suite.lines:
        m = TAP.match(line)
        if m and (m.group(2) == name or m.group(2).startswith(name + ':')):
            return 'skipped' if m.group(3) == 'SKIP' else ('FAILED' if m.group(1) else 'ok')
    return None


def mirror_numbers(suite):
    """{test: [ {counter: n} per counters line ]} of mmu_notifier_actions."""
    out = {}
    for line in suite.lines:
        m = COUNTERS.match(line)
        if not m:
            continue
        words = m.group(2).split()
        if not words or words[0] not in ('invalidations', 'dropped'):
            continue            # an assertion's message, say
        vals = {}
        for k, v in zip(words[0::2], words[1::2]):
            if v.isdigit():
                vals[k] = int(v)
        if vals:
            out.setdefault(m.group(1), []).append(vals)
    return out


def kvm_numbers(suite):
    """({op: {field: str}}, {op: (told, did)}, {op: failed?}) of kvm-mmu-notifier."""
    nums, ctx, bad, mmu = {}, {}, {}, None
    for line in suite.lines:
        if line.startswith('# kvm,'):
            p = line[2:].split(',')
            if len(p) == 3 + len(KVM_FIELDS):
                mmu = p[1]
                nums[p[2]] = dict(zip(KVM_FIELDS, p[3:]))
        elif line.startswith('# kvm-context,'):
            p = line[2:].split(',')
            if len(p) == 5:
                ctx[p[2]] = (p[3], p[4])
        else:
            m = TAP.match(line)
            if m:
                op = re.match(r'kvm/\w+/(\w+):', m.group(2))
                if op:
                    bad[op.group(1)] = bad.get(op.group(1), False) or bool(m.group(1))
    return nums, ctx, bad, mmu


def read_bench(path):
    """{('op', name): row, ('kvm', mmu, op): row} of bench.csv, base rows only."""
    rows = {}
    header = None
    with open(path, newline='') as f:
        for r in csv.reader(f):
            if not r:
                header = None
                continue
            if r[0] == 'kernel':
                header = r
                continue
            if not header or r[0] != 'base':
                if header and r[0] == 'series' and r[1] == 'kvm':
                    rows[('series-kvm', r[2], r[3])] = dict(zip(header, r))
                continue
            d = dict(zip(header, r))
            if d.get('kind') == 'op':
                rows[('op', d['name'])] = d
            elif d.get('kind') == 'kvm':
                rows[('kvm', d['mmu'], d['operation'])] = d
    return rows


def read_doc(path):
    """{operation text: (event before, event, effect)} of the call-site table."""
    if not path or not os.path.exists(path):
        return {}
    with open(path, errors='replace') as f:
        lines = [l.rstrip('\n') for l in f]
    # the table whose header starts "Call site", under a rule of ='s
    for i, l in enumerate(lines):
        if (i and l.startswith('Call site') and 'Effect' in l and
                re.fullmatch(r'=+( +=+)*', lines[i - 1])):
            rule = lines[i - 1]
            break
    else:
        return {}
    cols = [m.start() for m in re.finditer(r'=+', rule)]
    if len(cols) < 5:
        return {}
    rows, cur = {}, None

    def cell(line, k):
        return line[cols[k]:cols[k + 1] if k + 1 < len(cols) else len(line)].strip()

    for l in lines[i + 2:]:
        if l.startswith('='):
            break
        if not l.strip():
            continue
        op, ev = cell(l, 1), cell(l, 3)
        if ev:
            cur = [op, cell(l, 2), ev, cell(l, 4)]
            rows[op] = cur
        elif cur is not None and op:
            # a continued operation: its first words name the row too
            cur[0] += ' ' + op
            rows[cur[0]] = cur
    clean = lambda s: re.sub(r'\s*\[\d+\]_', '', s).strip()
    return {k: tuple(clean(x) for x in v[1:]) for k, v in rows.items()}


def doc_rows(doc, names):
    out = []
    for n in names:
        hit = [v for k, v in doc.items() if k.startswith(n)]
        if not hit:
            return None
        out.append(hit[0])
    return out


def fmt_told(told):
    """'ksm/wrprotect=512 ksm/noaccess=512' -> lines 'ksm/wrprotect x512'."""
    if told in ('n/a', 'none'):
        return None
    out = []
    for item in told.split():
        what, _, n = item.rpartition('=')
        out.append(what if n == '1' else '%s x%s' % (what, n))
    return out


def count(n, total):
    """'all 64' where @n (a number, or its text) is every page."""
    return 'all %s' % n if str(n) == str(total) else str(n)


def mirror_cell(c):
    """What the mirror did, from one counters line."""
    if any(k not in c for k in ('invalidations', 'kept', 'wrprotected', 'dropped', 'freed')):
        return ['missing']
    if c.get('invalidations') == 0:
        return ['not told']
    parts = []
    if c.get('kept'):
        parts.append('kept' if c.get('kept') == c.get('invalidations') else
                     'kept %d of %d calls' % (c['kept'], c['invalidations']))
    for k, name in (('wrprotected', 'wrprot'), ('dropped', 'dropped'), ('freed', 'freed')):
        if c.get(k):
            parts.append('%s %s' % (name, count(c[k], MIRROR_PAGES)))
    return parts or ['nothing']


def kvm_cells(n, ctx):
    """(action lines, SPTE lines) of one kvm-mmu-notifier operation."""
    did = ctx[1] if ctx else 'n/a'
    if did in ('n/a', ''):
        act = ['n/a']
    elif did == 'none':
        act = ['no call']
    else:
        act = [w if n_ == '1' else '%s x%s' % (w, n_)
               for w, _, n_ in (x.partition('=') for x in did.split())]
    sptes = []
    if n['zapped'] not in ('0', ''):
        sptes.append('zapped %s' % count(n['zapped'], KVM_PAGES))
    if n['wrprotected'] not in ('0', 'n/a', ''):
        sptes.append('wrprot %s' % count(n['wrprotected'], KVM_PAGES))
    if not sptes:
        sptes = ['kept' if n['wrprotected'] != 'n/a' else 'none zapped']
    return act, sptes


def render(table, widths, indent='    '):
    out = []
    for row in table:
        if row is None:
            out.append(indent + '  '.join('-' * w for w in widths).rstrip())
            continue
        cells = [c if isinstance(c, list) else [c] for c in row]
        for k in range(max(len(c) for c in cells)):
            out.append((indent + '  '.join(
                (c[k] if k < len(c) else '').ljust(w) for c, w in zip(cells, widths))).rstrip())
    return out


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--results', required=True, help="the guest's output (results.log)")
    ap.add_argument('--bench', help='bench.csv of make bench (its v6.12 rows)')
    ap.add_argument('--doc', help='Documentation/mm/mmu_notifier.rst of the tree')
    ap.add_argument('--top', help='shown paths are relative to this directory')
    a = ap.parse_args()
    top = os.path.abspath(a.top) + os.sep if a.top else None
    rel = lambda p: os.path.abspath(p)[len(top):] if top and os.path.abspath(p).startswith(top) else p

    suites = read_results(a.results)
    print('\n==> What the series does, per operation (from %s)' % rel(a.results))
    if suites is None:
        print('    no guest output at %s: nothing to show (run: make run)' % rel(a.results))
        return 0
    notes = []

    # The mirror
    ms = suites.get(MIRROR_SUITE)
    mnums = mirror_numbers(ms) if ms else {}
    if ms is None:
        mwhy = '%s did not run' % MIRROR_SUITE
        notes.append('HMM mirror: %s did not run in this boot (not in its suite list, or'
                     ' ONLY= left it out).' % MIRROR_SUITE)
    elif ms.state():
        mwhy = None
        notes.append('HMM mirror: %s %s: its numbers are shown as far as it got (see the verdict).'
                     % (MIRROR_SUITE, ms.state()))
    else:
        mwhy = None

    # KVM
    ks = suites.get(KVM_SUITE)
    knums, kctx, kbad, kmmu = kvm_numbers(ks) if ks else ({}, {}, {}, None)
    if ks is None:
        kwhy = '%s did not run' % KVM_SUITE
        notes.append('KVM: %s did not run in this boot (not in its suite list, or ONLY= left'
                     ' it out).' % KVM_SUITE)
    else:
        kwhy = None
        if ks.state():
            notes.append('KVM: %s %s: its numbers are shown as far as it got (see the verdict).'
                         % (KVM_SUITE, ks.state()))
        if knums and not kctx:
            notes.append('KVM: %s printed no kvm-context lines (an older build of it?): '
                         'causes and effects come from the documentation (*).' % KVM_SUITE)

    # v6.12
    bench = None
    if a.bench and os.path.exists(a.bench):
        try:
            bench = read_bench(a.bench)
        except (OSError, csv.Error, KeyError, IndexError) as e:
            notes.append('v6.12: cannot read %s (%s).' % (rel(a.bench), e))
    doc = read_doc(a.doc)
    if not doc:
        notes.append('no call-site table in %s: the causes and effects not traced are n/a.'
                     % rel(a.doc or '(no --doc)'))
    es = suites.get(EVENTS_SUITE)

    mh = 'HMM mirror, %d pages' % MIRROR_PAGES
    kh = 'KVM (%s), %d pages' % ('shadow paging' if kmmu == 'shadow' else 'TDP', KVM_PAGES)
    table = [['', 'listener told', mh, '', kh, '', '', ''],
             ['operation', 'cause/effect', 'did', 'refaults', 'action', 'SPTEs', 'flushes', 'faults r/w'],
             None]
    starred, events_seen = False, {}
    for op in OPS:
        row = [op['label']]
        # cause and effect: traced by kvm-mmu-notifier, else the documented rows
        told = None
        if op['kvm'] and op['kvm'] in kctx:
            told = fmt_told(kctx[op['kvm']][0])
        drows = doc_rows(doc, op['doc'])
        if told is None and drows:
            told = ['*%s/%s' % (ev.lower(), eff) for _, ev, eff in drows]
            starred = True
            events_seen[op['events']] = True
        row.append(told or ['n/a'])
        # the mirror
        if op['mirror'] is None:
            row += ['-', '']
        elif mwhy:
            row += ['not run', '']
        else:
            test, i_op, i_read = op['mirror']
            lines = mnums.get(test, [])
            st = test_status(ms, 'actions.' + test)
            flag = '' if st == 'ok' else ' (%s)' % (st or 'no result')
            if test == 'numa_hint':
                # "dropped N wrprotected N in Ns": summed over the scans
                c = lines[0] if lines else None
                did = (['missing'] if c is None else
                       ['%s %s' % (k[:6] if k[0] == 'w' else k, count(c[k], MIRROR_PAGES))
                        for k in ('wrprotected', 'dropped') if c.get(k)] or ['nothing'])
            else:
                did = mirror_cell(lines[i_op]) if len(lines) > i_op else ['missing']
            if isinstance(i_read, int):
                ref = (str(lines[i_read].get('faulted', '?')) if len(lines) > i_read
                       else 'missing')
            else:
                ref = i_read
            if flag:
                did[-1] += flag
            row += [did, ref]
        # KVM
        if op['kvm'] is None:
            row += ['-', '', '', '']
        elif kwhy:
            row += ['not run', '', '', '']
        elif op['kvm'] not in knums:
            row += ['missing%s' % (' (FAILED)' if kbad.get(op['kvm']) else ''), '', '', '']
        else:
            n = knums[op['kvm']]
            act, sp = kvm_cells(n, kctx.get(op['kvm']))
            if kbad.get(op['kvm']):
                act[-1] += ' (FAILED)'
            row += [act, sp, n['tlb_flush_requests'],
                    '%s/%s' % (n['read_faults'], n['write_faults'])]
        table.append(row)
        # v6.12, from make bench
        if bench is not None:
            b = ['  v6.12']
            b.append(['*%s' % before.lower() for before, _, _ in drows]
                     if drows else ['n/a'])
            if drows and len(set(d[0] for d in drows)) == 1:
                b[-1] = b[-1][:1]
            bo = bench.get(('op', op['bench'])) if op['bench'] else None
            if op['mirror'] is None:
                b += ['-', '']
            elif bo is None:
                b += ['not in bench', '']
            else:
                if any(bo.get(k) in (None, '') for k in ('wrprotected', 'dropped', 'read_faults')):
                    b += ['missing', '']
                else:
                    did = ['%s %s' % (name, count(bo[k], BENCH_PAGES)) for k, name in
                           (('wrprotected', 'wrprot'), ('dropped', 'dropped')) if bo[k] != '0']
                    b += [did or ['nothing'], bo['read_faults']]
            bk = bench.get(('kvm', kmmu or 'tdp', op['kvm'])) if op['kvm'] else None
            if op['kvm'] is None:
                b += ['-', '', '', '']
            elif bk is None:
                b += ['not in bench', '', '', '']
            else:
                try:
                    _, sp = kvm_cells(bk, None)
                    b += ['n/a', sp, bk['tlb_flush_requests'],
                          '%s/%s' % (bk['read_faults'], bk['write_faults'])]
                except KeyError:
                    b += ['missing', '', '', '']
            table.append(b)
    # the group headers (first row) span their columns: not in the widths
    widths = [max(len(x) for r in table[1:] if r for c in [r[k]]
                  for x in (c if isinstance(c, list) else [c])) for k in range(8)]
    widths[2] = max(widths[2], len(mh) - widths[3] - 2)
    head = [l.replace('    ', '    ', 1) for l in
            render([table[0][:3] + [table[0][4]]],
                   [widths[0], widths[1], widths[2] + 2 + widths[3], 0])]
    for line in head + render(table[1:], widths):
        print(line)

    # legend and sources
    legend = [
        'did: the entries (pages) write-protected, dropped or freed, or "kept" (all of them);'
        ' refaults: the device\'s read faults after ("-": refused, as on the CPU).',
        'action: what KVM traced for its callbacks (xN: N of them); flushes: remote TLB flush'
        ' requests; faults r/w: the nested guest\'s faults after, reading, then writing'
        ' ("refused": EFAULT, as the host refuses the write).',
        'n/a: not traced or not counted; "-": not this listener\'s test.',
    ]
    if starred:
        ran = es is not None
        checked = ['%s %s' % (name, (test_status(es, 'events.' + name) if ran else None)
                              or 'no result') for name in sorted(events_seen)]
        legend.append('*: from the call-site table of Documentation/mm/mmu_notifier.rst, not'
                      ' traced in this run; %s checks that table: %s.'
                      % (EVENTS_SUITE, ', '.join(checked) if ran else 'it did not run'))
    if bench is None:
        notes.append('v6.12: run make bench for v6.12\'s numbers.')
    else:
        when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(a.bench)))
        legend.append('v6.12: make bench of %s (%s): the mirror of tests/bench/mirror-bench.c,'
                      ' %d pages; KVM of kvm-mmu-notifier, %s, %d pages.  v6.12 states no'
                      ' effect; its cause (*) is the "Event before" of the documented table.'
                      % (when, rel(a.bench), BENCH_PAGES, 'shadow paging' if kmmu == 'shadow' else 'TDP', KVM_PAGES))
        same = [k for k in knums if bench.get(('series-kvm', kmmu or 'tdp', k)) is not None]
        diff = [k for k in same if [bench[('series-kvm', kmmu or 'tdp', k)].get(f) for f in KVM_FIELDS[:6]]
                != [knums[k].get(f) for f in KVM_FIELDS[:6]]]
        if same:
            legend.append('The series\' run of that bench gave %s' % (
                'the KVM numbers of this boot.' if not diff else
                'other KVM numbers than this boot for %s: it measured another version of'
                ' the series.' % ', '.join(diff)))
    print()
    for n in legend + ['NOTE: ' + n for n in notes]:
        print(textwrap.fill(n, 100, initial_indent='    ', subsequent_indent='      '))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
