#!/bin/bash
# make stress: the suites of tests/suites-stress (the tests that check where
# device and guest writes land and what they read, and the races) on two
# kernels: the test kernel (config/test.config: lockdep, DEBUG_VM,
# KVM_PROVE_MMU) and a KASAN one (the same + config/kasan.config, built in
# work/build-kasan).  Each boot's kernel log is scanned for every kind of
# report (tests/verdict.py); 0 is the expected count.  Not part of make
# test (README: when to run it).  The last line is the verdict.
. "$(dirname "$0")/lib.sh"

need_space 14 "make stress" || exit 1
[ -e "$TREE/.git" ] || die "no kernel tree at ${TREE#"$TOP"/} (run: make tree)"
kasan=$WORK/build-kasan
# The suites take longer under KASAN; each keeps its own limit.
export BOOT_TIMEOUT=${BOOT_TIMEOUT:-3600}
"$TOP/scripts/kernel.sh"
BUILD=$kasan "$TOP/scripts/kernel.sh" "$TOP/config/test.config" "$TOP/config/kasan.config"
grep -q '^CONFIG_KASAN=y' "$kasan/.config" || die "the KASAN kernel has no CONFIG_KASAN=y"
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
rc=0
python3 "$TOP/tests/verdict.py" --tree "$TREE" \
	--results "$OUT/results-stress-test.log" --console "$OUT/console-stress-test.log" \
	--suites "$TOP/tests/suites-stress" \
	--results "$OUT/results-stress-kasan.log" --console "$OUT/console-stress-kasan.log" \
	--suites "$TOP/tests/suites-stress" \
	--expected-skips "$TOP/tests/expected-skips" --expected-klog "$TOP/tests/expected-klog" |
	tee "$OUT/verdict-stress.txt" || rc=$?
exit $rc
