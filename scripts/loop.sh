#!/bin/bash
# make loop: run one upstream KVM selftest again and again on v6.12 and on
# the series, with make bench's kernels (bench config, work/bench), one
# boot per kernel, and report how often it failed on each, with the
# two-sided Fisher exact test of the difference.  It judges nothing (not
# part of make test): it stops with an error only when a loop did not run
# to its end.
# RUNS (default 40), TEST (default "dirty_log_page_splitting_test -b 32M",
# a program of the suite lists), TCG_THREAD (multi, QEMU's default, or
# single, as make test runs it).  Writes work/bench/loop.md.
. "$(dirname "$0")/lib.sh"

runs=${RUNS:-40}
test=${TEST:-dirty_log_page_splitting_test -b 32M}
mode=${TCG_THREAD:-multi}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, not '$runs'"
case $mode in multi | single) ;; *) die "TCG_THREAD must be multi or single, not '$mode'" ;; esac
prog=${test%% *}
args=
[ "$prog" != "$test" ] && args=${test#* }

bench_trees
step "make loop: '$test', $runs runs per kernel, TCG thread=$mode"
for k in base series; do
	if [ $k = base ]; then t=$bt; else t=$TREE; fi
	step "Kernel: $k"
	TREE=$t BUILD=$B/$k-build "$TOP/scripts/kernel.sh" "$frag"
done
# The upstream selftests of the suite lists, built once against the base
# headers, as make bench does; the program must be one of them.
OUT=$B BUILD=$B/base-build "$TOP/scripts/kvm-selftests.sh" "$B/kvmst"
[ -x "$B/kvmst/kvmst-$prog" ] ||
	die "$prog is not among the KVM selftests the suite lists run (tests/suites*): make loop runs only those"

# A run may take 4 to 15 s here; the suite's limit allows 60 s a run.
limit=$((runs * 60))
rows=()
for k in base series; do
	o=$B/loop-$k root=$B/loop-$k/initramfs
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
	cp /bin/busybox "$root/bin/busybox"
	cp "$TOP/tests/guest/init" "$root/init"
	cp "$TOP/tests/guest/loop-run" "$B/kvmst/kvmst-$prog" "$root/tests/"
	printf 'loop\t%d\tloop-run %d kvmst-%s %s\n' "$limit" "$runs" "$prog" "$args" >"$root/tests/suites"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$o/initramfs.cpio.gz"
	TCG_THREAD=$mode OUT=$o BUILD=$B/$k-build BOOT_TIMEOUT=$((limit + 300)) \
		"$TOP/scripts/boot.sh" suite kunit.enable=0
	r=$o/results.log
	grep -a -q '^@@ exit loop ' "$r" || die "the loop did not finish on the $k kernel (console: ${o#"$TOP"/}/console.log)"
	all=$(grep -a -c -E '^(not )?ok [0-9]+ run ' "$r" || true)
	bad=$(grep -a -c '^not ok [0-9]* run ' "$r" || true)
	skip=$(grep -a -c '^ok [0-9]* run .* # SKIP' "$r" || true)
	((all == runs)) || die "the loop gave $all results of $runs on the $k kernel (${r#"$TOP"/})"
	# a skipped run tested nothing: the rate counts only the runs that did
	((skip < runs)) || die "every run skipped on the $k kernel: $(grep -a -m1 '# SKIP' "$r")"
	((skip == 0)) || warn "$skip of $runs runs skipped on the $k kernel; the rate counts the $((runs - skip)) others"
	grep -a '^not ok [0-9]* run ' "$r" | sed "s/^/    $k: /" >&2 || true
	rows+=("$k $bad $((runs - skip))")
done

python3 - "${rows[@]}" >"$B/loop.md" <<PY
import math, sys
(k1, f1, n1), (k2, f2, n2) = [(a, int(b), int(c)) for a, b, c in (r.split() for r in sys.argv[1:])]
def fisher(a, n1, c, n2):
    """Two-sided Fisher exact test of failures a of n1 against c of n2."""
    k, n = a + c, n1 + n2
    def p(x):
        return math.comb(n1, x) * math.comb(n2, k - x) / math.comb(n, k)
    p0 = p(a)
    return min(1.0, sum(p(x) for x in range(max(0, k - n2), min(k, n1) + 1)
                        if p(x) <= p0 * (1 + 1e-9)))
print("make loop: '$test', TCG thread=$mode, $(date -u '+%F %H:%M UTC')")
print()
print("| kernel | failed | runs | rate |")
print("|---|---|---|---|")
for k, f, n in ((k1, f1, n1), (k2, f2, n2)):
    print(f"| {'v6.12' if k == 'base' else 'series'} | {f} | {n} | {f / n:.3f} |")
print()
print(f"Two-sided Fisher exact test: p = {fisher(f1, n1, f2, n2):.3g}")
PY
cat "$B/loop.md"
info "written: ${B#"$TOP"/}/loop.md (results: ${B#"$TOP"/}/loop-base/results.log, loop-series/results.log)"
