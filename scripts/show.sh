#!/bin/bash
# Show what the guest did: its test output and the verdict.
. "$(dirname "$0")/lib.sh"
[ -f "$OUT/results.log" ] || die "no guest output yet (run: make run)"
step "What the guest ran (work/out/results.log)"
{ grep -a -vE '^#|^$' "$OUT/results.log" || true; } | sed 's/^/    /'
step "Verdict"
# Against the main suite list as packed (ONLY= packs part of it): every
# suite in it must have run.
python3 "$TOP/tests/verdict.py" --tree "$TREE" --results "$OUT/results.log" \
	--suites "$OUT/initramfs/tests/suites" \
	--console "$OUT/console.log" --expected-skips "$TOP/tests/expected-skips" \
	--expected-klog "$TOP/tests/expected-klog" \
		$(grep -q '^CONFIG_KUNIT=y' "$BUILD/.config" 2>/dev/null && echo --kunit)
