#!/bin/bash
# make stress: the suites of tests/suites-stress (the tests that check where
# device and guest writes land and what they read, and the races) on two
# kernels: the test kernel (config/test.config: lockdep, DEBUG_VM,
# KVM_PROVE_MMU) and a KASAN one (the same + config/kasan.config, built in
# work/build-kasan).  Each boot's kernel log is scanned for every kind of
# report (tests/verdict.py); 0 is the expected count.  Not part of make
# test (README: when to run it).  The last line is the verdict.
. "$(dirname "$0")/lib.sh"

# make exports its command-line variables; a partial initramfs would fail
# the verdict with suites that never ran.
if [ -n "${ONLY:-}" ]; then
	warn "make stress runs every suite of tests/suites-stress: ONLY=$ONLY is ignored"
	unset ONLY
fi
need_space 14 "make stress" || exit 1
[ -e "$TREE/.git" ] || die "no kernel tree at ${TREE#"$TOP"/} (run: make tree)"
kasan=$WORK/build-kasan
# Each suite has its own limit (tests/suites-stress); the boot's is their
# sum (4200 s) and a margin.
export BOOT_TIMEOUT=${BOOT_TIMEOUT:-4500}
rm -f "$OUT/verdict-stress.txt" "$OUT"/verdict-stress-*.txt
"$TOP/scripts/kernel.sh"
BUILD=$kasan "$TOP/scripts/kernel.sh" "$TOP/config/test.config" "$TOP/config/kasan.config"
"$TOP/scripts/guest.sh"
step "The test kernel (lockdep, DEBUG_VM, KVM_PROVE_MMU)"
t0=$SECONDS
TAG=stress-test "$TOP/scripts/boot.sh" suite mnt.suites=suites-stress kunit.enable=0
t1=$SECONDS
step "The KASAN kernel"
# no5lvl: with 5-level paging (QEMU's -cpu max offers LA57) this KASAN
# kernel reports wild accesses to the direct map (0xff11...) from its
# first interrupts on, at boot, in no code of the series.
BUILD=$kasan TAG=stress-kasan "$TOP/scripts/boot.sh" suite mnt.suites=suites-stress \
	kunit.enable=0 kasan_multi_shot no5lvl
step "Boots: test kernel $((t1 - t0))s, KASAN kernel $((SECONDS - t1))s"
# One verdict per kernel, so that each failure names its kernel; the last
# line sums them up.
rc=0 pass=0 fail=0 skip=0
for k in test kasan; do
	step "Verdict: the $k kernel"
	python3 "$TOP/tests/verdict.py" --tree "$TREE" \
		--results "$OUT/results-stress-$k.log" --console "$OUT/console-stress-$k.log" \
		--suites "$TOP/tests/suites-stress" \
		--expected-skips "$TOP/tests/expected-skips" --expected-klog "$TOP/tests/expected-klog" |
		tee "$OUT/verdict-stress-$k.txt" || rc=1
	read -r p f s < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
		"$OUT/verdict-stress-$k.txt" | tail -n 1) || true
	[ -n "${p:-}" ] || { rc=1; p=0 f=1 s=0; }
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
step "make stress: both kernels"
echo "$pass passed, $fail failed, $skip skipped" | tee "$OUT/verdict-stress.txt"
[ "$fail" -eq 0 ] || rc=1
exit $rc
