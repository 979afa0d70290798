#!/bin/bash
# make loop: run one upstream KVM selftest again and again on v6.12 and on
# the series, with make bench's kernels (bench config, work/bench), and
# report how often it failed on each, with the two-sided Fisher exact test
# of the difference.  It judges nothing (not part of make test): it stops
# with an error only when a loop did not run to its end.
# The runs of a kernel are split into boots of BLOCK runs, and the two
# kernels take turns, in the order base series series base base ...: a
# fault that depends on the host's load (a race in the emulator) then sees
# the same conditions on both, where one long boot each would compare an
# early hour with a later one.
# RUNS (runs per kernel, default 40), BLOCK (runs per boot, default 20),
# TEST (default "dirty_log_page_splitting_test -b 32M", a program of the
# suite lists), TCG_THREAD (multi, QEMU's default, or single, as make test
# runs it).  Writes work/bench/loop.md.
. "$(dirname "$0")/lib.sh"

runs=${RUNS:-40}
test=${TEST:-dirty_log_page_splitting_test -b 32M}
mode=${TCG_THREAD:-multi}
block=${BLOCK:-20}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, not '$runs'"
[[ $block =~ ^[1-9][0-9]*$ ]] || die "BLOCK must be a positive number, not '$block'"
((block <= runs)) || block=$runs
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

# A run takes 2 to 15 s here; loop-run kills one after 120 s (a failure),
# and the suite's limit allows 60 s a run.
nblocks=$(((runs + block - 1) / block))
# the blocks of an earlier loop, which may have had more of them, go
rm -rf "$B"/loop-base-* "$B"/loop-series-*
declare -A bad=() did=() blockrow=()
for ((j = 0; j < nblocks; j++)); do
	n=$block
	((j < nblocks - 1)) || n=$((runs - j * block))
	if ((j % 2)); then order="series base"; else order="base series"; fi
	for k in $order; do
		step "Block $((j + 1)) of $nblocks: $n runs on the $k kernel"
		o=$B/loop-$k-$((j + 1)) root=$B/loop-$k-$((j + 1))/initramfs
		limit=$((n * 60))
		initramfs_root "$root"
		cp "$TOP/tests/guest/loop-run" "$B/kvmst/kvmst-$prog" "$root/tests/"
		printf 'loop\t%d\tloop-run %d kvmst-%s %s\n' "$limit" "$n" "$prog" "$args" >"$root/tests/suites"
		initramfs_pack "$root" "$o/initramfs.cpio.gz"
		TCG_THREAD=$mode OUT=$o BUILD=$B/$k-build BOOT_TIMEOUT=$((limit + 300)) \
			"$TOP/scripts/boot.sh" suite kunit.enable=0
		r=$o/results.log
		grep -a -q '^@@ exit loop ' "$r" ||
			die "the loop did not finish on the $k kernel, block $((j + 1)) (console: ${o#"$TOP"/}/console.log)"
		all=$(grep -a -c -E '^(not )?ok [0-9]+ run ' "$r" || true)
		f=$(grep -a -c '^not ok [0-9]* run ' "$r" || true)
		skip=$(grep -a -c '^ok [0-9]* run .* # SKIP' "$r" || true)
		((all == n)) || die "the loop gave $all results of $n on the $k kernel, block $((j + 1)) (${r#"$TOP"/})"
		# a skipped run tested nothing: the rate counts only the runs that did
		((skip == 0)) || warn "$skip of $n runs skipped on the $k kernel, block $((j + 1)); the rate counts the others"
		grep -a '^not ok [0-9]* run ' "$r" | sed "s/^/    $k: /" >&2 || true
		info "block $((j + 1)), $k: $f failed of $((n - skip))"
		bad[$k]=$((${bad[$k]:-0} + f))
		did[$k]=$((${did[$k]:-0} + n - skip))
		blockrow[$k]+="${blockrow[$k]:+,}$f/$((n - skip))"
	done
done
rows=()
for k in base series; do
	((did[$k] > 0)) || die "every run skipped on the $k kernel: see ${B#"$TOP"/}/loop-$k-*/results.log"
	rows+=("$k ${bad[$k]} ${did[$k]} ${blockrow[$k]}")
done

python3 - "${rows[@]}" >"$B/loop.md" <<PY
import math, sys
(k1, f1, n1, b1), (k2, f2, n2, b2) = [(a, int(b), int(c), d) for a, b, c, d in (r.split() for r in sys.argv[1:])]
def fisher(a, n1, c, n2):
    """Two-sided Fisher exact test of failures a of n1 against c of n2."""
    k, n = a + c, n1 + n2
    def p(x):
        return math.comb(n1, x) * math.comb(n2, k - x) / math.comb(n, k)
    p0 = p(a)
    return min(1.0, sum(p(x) for x in range(max(0, k - n2), min(k, n1) + 1)
                        if p(x) <= p0 * (1 + 1e-9)))
print("make loop: '$test', TCG thread=$mode, $nblocks block(s) of up to $block runs per kernel, $(date -u '+%F %H:%M UTC')")
print()
print("| kernel | failed | runs | rate | failed per block |")
print("|---|---|---|---|---|")
for k, f, n, b in ((k1, f1, n1, b1), (k2, f2, n2, b2)):
    print(f"| {'v6.12' if k == 'base' else 'series'} | {f} | {n} | {f / n:.3f} | {b.replace(',', ' ')} |")
print()
print(f"Two-sided Fisher exact test: p = {fisher(f1, n1, f2, n2):.3g}")
PY
cat "$B/loop.md"
info "written: ${B#"$TOP"/}/loop.md (results: ${B#"$TOP"/}/loop-{base,series}-N/results.log)"
