#!/usr/bin/env python3
"""Tables of make bench: report.py BASE_RESULTS SERIES_RESULTS CSV_OUT > md.

Reads the op,... and core,... lines mirror-bench printed on each kernel
(see tests/bench/mirror-bench.c), writes them all to CSV_OUT and prints a
markdown report: per operation, base -> series; per core loop, the time per
iteration on each kernel and their ratio.
"""
import csv
import re
import sys

OP_FIELDS = ['callbacks', 'dropped', 'wrprotected', 'read_faults', 'write_faults']


TAP = re.compile(r'^(not ok|ok) \d+ (\S+)(.*)$')


def parse(path):
    ops, core, tests = {}, {}, {}
    suite = None
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('@@ suite '):
                suite = line.split()[2]
            elif line.startswith('@@ exit'):
                suite = None
            m = TAP.match(line)
            if suite == 'mmu_notifier_actions' and m:
                tests[m.group(2)] = 'skip' if '# SKIP' in m.group(3) else \
                    ('pass' if m.group(1) == 'ok' else 'FAIL')
            p = line.strip().split(',')
            if p[0] == 'op' and len(p) == 7:
                ops[p[1]] = p[2:]
            elif p[0] == 'core' and len(p) == 4:
                core[(p[1], p[2])] = int(p[3])
    return ops, core, tests


def main():
    base_ops, base_core, base_tests = parse(sys.argv[1])
    ser_ops, ser_core, ser_tests = parse(sys.argv[2])
    if not base_ops or not ser_ops:
        sys.exit('report.py: no op lines in %s' % (sys.argv[1] if not base_ops else sys.argv[2]))
    with open(sys.argv[3], 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['kernel', 'kind', 'name', 'subscribers'] + OP_FIELDS + ['ns_per_iteration'])
        for kernel, ops, core in (('base', base_ops, base_core), ('series', ser_ops, ser_core)):
            for name, v in ops.items():
                w.writerow([kernel, 'op', name, ''] + v + [''])
            for (loop, subs), ns in core.items():
                w.writerow([kernel, 'core', loop, subs] + [''] * len(OP_FIELDS) + [ns])

    print('Mirror of 4096 pages (HMM test driver), one operation each; base -> series.')
    print('"-": the access is refused, as the CPU refuses it.\n')
    print('| operation | callbacks | entries dropped | entries write-protected '
          '| device read faults after | device write faults after |')
    print('|---|---|---|---|---|---|')
    for name, b in base_ops.items():
        s = ser_ops.get(name, ['?'] * len(OP_FIELDS))
        cells = [x if x == y else '%s -> %s' % (x, y) for x, y in zip(b, s)]
        print('| %s | %s |' % (name, ' | '.join(cells)))
    print('\nNotifier core, tracepoints off, qemu -icount (ns = instructions) per iteration:\n')
    print('| loop | subscribers | base | series | series/base |')
    print('|---|---|---|---|---|')
    for key, b in base_core.items():
        s = ser_core.get(key)
        ratio = '%.3f' % (s / b) if s and b else '?'
        print('| %s | %s | %d | %s | %s |' % (key[0], key[1], b, s if s else '?', ratio))
    print('\nThe selftest mmu_notifier_actions on each kernel:\n')
    print('| test | base | series |')
    print('|---|---|---|')
    for name in sorted(set(base_tests) | set(ser_tests)):
        print('| %s | %s | %s |' % (name, base_tests.get(name, '-'), ser_tests.get(name, '-')))


if __name__ == '__main__':
    main()
