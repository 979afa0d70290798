#!/bin/bash
# Every test: install what is missing, build the tree and the kernel, check
# the series, build each patch on its own, boot the guest, run the suites,
# and judge.  The last line is "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

# make exports its command-line variables (make test ONLY=x), and an ONLY
# left in the environment would reach guest.sh: make test runs every suite.
if [ -n "${ONLY:-}" ]; then
	warn "make test runs every suite: ONLY=$ONLY is ignored (make boot takes it)"
	unset ONLY
fi
mkdir -p "$OUT"
host=$OUT/host.tap
: >"$host"
n=0
t_ok()   { n=$((n + 1)); echo "ok $n $1${2:+ # SKIP $2}" >>"$host"; }
t_fail() { n=$((n + 1)); echo "not ok $n $1 # $2" >>"$host"; }
verdict() {
	python3 "$TOP/tests/verdict.py" --tree "$TREE" --host "$host" "$@" \
		--expected-skips "$TOP/tests/expected-skips" \
		--expected-klog "$TOP/tests/expected-klog" \
		$(grep -q '^CONFIG_KUNIT=y' "$BUILD/.config" 2>/dev/null && echo --kunit)
}
# A step run by a script that prints TAP: its plan (1..N) first, then its
# results.  Framed in host.tap as "@@ step NAME" ... "@@ exit NAME RC", so
# that the verdict fails a step that stopped halfway (fewer results than it
# planned) or exited non-zero with no failed result.  Shown as it comes.
host_step() {
	local name=$1 rcf=$OUT/.step-rc
	shift
	echo "@@ step $name" >>"$host"
	rm -f "$rcf"
	{
		rc=0
		"$@" || rc=$?
		echo "$rc" >"$rcf"
	} | while IFS= read -r l; do
		printf '%s\n' "$l" >>"$host"
		printf '%s\n' "$l" | sed -E 's/^(not )?ok [0-9]+ //; s/^/    /' >&2
	done
	echo "@@ exit $name $(cat "$rcf" 2>/dev/null || echo none)" >>"$host"
}
# A step that the rest depends on: on failure, judge what we have and stop.
must() {
	local name=$1
	shift
	if "$@"; then
		t_ok "$name"
	else
		t_fail "$name" "see the error above"
		verdict | tee "$OUT/verdict.txt" || true
		exit 1
	fi
}

t0=$SECONDS
# Wall time of each phase, printed before the verdict: "name seconds" lines.
times=$OUT/times.txt
: >"$times"
lap=$SECONDS
lap() { echo "$1 $((SECONDS - lap))" >>"$times"; lap=$SECONDS; }
must "host: packages installed" "$TOP/scripts/deps.sh"
lap packages
must "host: disk space for the run" need_space 12 "make test"
must "series: applies to base with git am" "$TOP/scripts/tree.sh"
lap tree
must "kernel: builds (HEAD of the series)" "$TOP/scripts/kernel.sh"
lap kernel

step "Checking the series (cover letter, authorship, checkpatch, sparse, W=1, kernel-doc)"
host_step checks "$TOP/scripts/check-series.sh"
lap checks

step "Building the generic KVM code for arm64, riscv and powerpc"
host_step cross "$TOP/scripts/cross.sh"
lap cross

must "guest: initramfs and test programs build" "$TOP/scripts/guest.sh"
lap guest
"$TOP/scripts/boot.sh" suite
lap suites
# The nested guest again, with shadow paging: npt and ept are read-only
# parameters of the built-in kvm_amd and kvm_intel, hence a second boot.
# KUnit ran in the first.
LIGHT=1 TAG=shadow "$TOP/scripts/boot.sh" suite mnt.suites=suites-shadow \
	kvm_amd.npt=0 kvm_intel.ept=0 kunit.enable=0
lap suites-shadow
# dirty_log_page_splitting_test on single-threaded TCG: under multi-threaded
# TCG, QEMU 7.2 now and then resumes a nested vCPU with the host's state
# (tests/suites-tcg-single).  TCG_THREAD has no effect with ACCEL=kvm.
TAG=tcg-single TCG_THREAD=single "$TOP/scripts/boot.sh" suite \
	mnt.suites=suites-tcg-single kunit.enable=0
lap suites-tcg-single
# migration on 3 vCPUs (tests/suites-smp3): two threads touch the memory
# while a third migrates it.  1 GiB is plenty; its hugetlb cases map one
# 2 MiB huge page each.
LIGHT=1 SMP=3 TAG=smp3 "$TOP/scripts/boot.sh" suite mnt.suites=suites-smp3 kunit.enable=0 \
	hugepages=16
lap suites-smp3

host_step bisect "$TOP/scripts/bisect.sh"
lap bisect
step "Time by phase (s): $(awk '{ printf "%s%s %d", (NR > 1 ? ", " : ""), $1, $2 }' "$times")"
# What the series does, from the main boot (as make run shows it), before
# the verdict: the last line stays the verdict's.  It judges nothing.
python3 "$TOP/scripts/summary.py" --results "$OUT/results.log" --bench "$WORK/bench/bench.csv" \
	--doc "$TREE/Documentation/mm/mmu_notifier.rst" --top "$TOP" ||
	warn "scripts/summary.py failed (exit $?); the verdict below still holds"
step "Verdict (total time $((SECONDS - t0))s)"
rc=0
# Each boot against its suite list: every listed suite must give exactly
# one result block (a suite that never ran fails).
verdict --results "$OUT/results.log" --console "$OUT/console.log" --suites "$TOP/tests/suites" \
	--results "$OUT/results-shadow.log" --console "$OUT/console-shadow.log" \
	--suites "$TOP/tests/suites-shadow" \
	--results "$OUT/results-tcg-single.log" --console "$OUT/console-tcg-single.log" \
	--suites "$TOP/tests/suites-tcg-single" \
	--results "$OUT/results-smp3.log" --console "$OUT/console-smp3.log" \
	--suites "$TOP/tests/suites-smp3" | tee "$OUT/verdict.txt" || rc=$?
exit $rc
