#!/bin/bash
# Show what the guest did.
#   show.sh            (make boot) the guest's test output, then the verdict.
#   show.sh --summary  (make run) what the series does, per operation
#                      (scripts/summary.py), then the failures in full and the
#                      verdict line; the guest's whole output stays in
#                      work/out/results.log, the whole verdict in
#                      work/out/verdict.txt.  FULL=1 prints them as well.
. "$(dirname "$0")/lib.sh"
[ -f "$OUT/results.log" ] || die "no guest output yet (run: make run)"
summary=0
[ "${1:-}" = --summary ] && summary=1
full=$((1 - summary))
[ "${FULL:-0}" = 1 ] && full=1

if [ "$full" = 1 ]; then
	step "What the guest ran (work/out/results.log)"
	{ grep -a -vE '^#|^$' "$OUT/results.log" || true; } | sed 's/^/    /'
fi
if [ "$summary" = 1 ]; then
	# It only reads and prints: if it breaks, the verdict still holds.
	python3 "$TOP/scripts/summary.py" --results "$OUT/results.log" \
		--bench "$WORK/bench/bench.csv" --doc "$TREE/Documentation/mm/mmu_notifier.rst" \
		--top "$TOP" || warn "scripts/summary.py failed (exit $?); the verdict below still holds"
fi
step "Verdict"
# Against the main suite list as packed (ONLY= packs part of it): every
# suite in it must have run.  The whole verdict goes to verdict.txt too;
# --brief prints only the failures, in full, and the last line.
flags=(--report "$OUT/verdict.txt")
[ "$full" = 1 ] || flags+=(--brief)
grep -q '^CONFIG_KUNIT=y' "$BUILD/.config" 2>/dev/null && flags+=(--kunit)
rc=0
python3 "$TOP/tests/verdict.py" --tree "$TREE" --results "$OUT/results.log" \
	--suites "$OUT/initramfs/tests/suites" \
	--console "$OUT/console.log" --expected-skips "$TOP/tests/expected-skips" \
	--expected-klog "$TOP/tests/expected-klog" "${flags[@]}" || rc=$?
if [ "$full" = 0 ]; then
	info "The TAP of every suite: ${OUT#"$TOP"/}/results.log"
	info "Results by suite and skips: ${OUT#"$TOP"/}/verdict.txt; kernel log: ${OUT#"$TOP"/}/console.log"
fi
exit $rc
