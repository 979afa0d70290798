#!/bin/bash
# make bench: the same workloads (tests/bench/mirror-bench.c,
# tests/bench/userptr-bench.c, tests/bench/inflight-bench.c,
# tests/bench/stlb-bench.c, and the nested KVM guest of
# tests/guest/kvm-mmu-notifier.c, also --inflight, with TDP and with shadow
# paging)
# on the base kernel and on the patched one, same config, in QEMU (the
# mirrors with -icount; in the same boot, tests/bench/numa-scan-bench.c:
# what a NUMA hinting scan of 2 GiB costs, with and without a listener).
# Both carry the series' patches to the test driver that the bench counts
# with (lib.sh: BENCH_PATCHES), the base those patches alone.  Writes
# work/bench/bench.md and work/bench/bench.csv.
. "$(dirname "$0")/lib.sh"

# work/bench/base-tree (base + those patches) and bench.config
# (lib.sh: bench_trees sets B, bt and frag)
need_space 10 "make bench" || exit 1
bench_trees

prog=$TOP/tests/bench/mirror-bench.c
# The series' selftest runs on both kernels too: what it reports on the base.
MM=$TREE/tools/testing/selftests/mm
[ -f "$MM/mmu_notifier_actions.c" ] || die "work/linux has no mmu_notifier_actions selftest (run: make tree)"
for k in base series; do
	if [ $k = base ]; then t=$bt; else t=$TREE; fi
	step "Kernel: $k"
	TREE=$t BUILD=$B/$k-build "$TOP/scripts/kernel.sh" "$frag"
	o=$B/$k-out root=$B/$k-out/initramfs
	initramfs_root "$root"
	printf 'mmu_notifier_actions\t600\tmmu_notifier_actions\nmirror-bench\t3600\tmirror-bench\n' \
		>"$root/tests/suites"
	# What a NUMA hinting scan of 2 GiB costs, with and without listeners.
	printf 'numa-scan-bench\t900\tnuma-scan-bench\n' >>"$root/tests/suites"
	# What each CPU operation costs the userptr models, per kind.
	printf 'userptr-bench\t1800\tuserptr-bench\n' >>"$root/tests/suites"
	# Whether a device fault waits for an invalidation it does not overlap.
	printf 'inflight-bench\t300\tinflight-bench\n' >>"$root/tests/suites"
	# The nested KVM guest, in two boots without -icount: TDP, with the
	# upstream KVM selftests of tests/suites and tests/suites-tcg-single
	# (the same binaries, built once, on both kernels), and shadow paging.
	# Counts only: no --expect-keep, which the base fails.
	{
		printf 'kvm-mmu-notifier\t300\tkvm-mmu-notifier --mmu=tdp\n'
		grep -hP '^kvm-\S+\t+\d+\tkselftest-run kvmst-' "$TOP/tests/suites" \
			"$TOP/tests/suites-tcg-single"
		# What a secondary TLB is told (2 vCPUs: x86 batches only for a
		# mm live on another CPU).
		printf 'stlb-bench\t300\tstlb-bench\n'
		# Guest faults while other ranges are being invalidated.
		printf 'kvm-inflight\t300\tkvm-mmu-notifier --mmu=tdp --inflight\n'
	} >"$root/tests/suites-kvm"
	# The series' own KVM selftests run too, but only those the base has
	# must give the same results.
	new_suites=$(awk '$3 == "kselftest-run" && $4 ~ /^kvmst-/ {
			n = substr($4, 7)
			if (system("test -f '"$bt"'/tools/testing/selftests/kvm/" n ".c -o -f '"$bt"'/tools/testing/selftests/kvm/x86_64/" n ".c"))
				{ printf "%s%s", sep, $1; sep = "," }
		}' "$TOP/tests/suites" "$TOP/tests/suites-tcg-single")
	printf '%s\t300\t%s\n' kvm-mmu-notifier-shadow 'kvm-mmu-notifier --mmu=shadow' \
		kvm-inflight-shadow 'kvm-mmu-notifier --mmu=shadow --inflight' >"$root/tests/suites-shadow"
	gcc -static -O2 -Wall -Wextra -isystem "$B/$k-build/hdr/include" -I"$t" \
		-o "$root/tests/kvm-mmu-notifier" "$TOP/tests/guest/kvm-mmu-notifier.c" -lpthread ||
		die "could not build tests/guest/kvm-mmu-notifier.c against the $k tree"
	[ $k = base ] && OUT=$B BUILD=$B/base-build "$TOP/scripts/kvm-selftests.sh" "$B/kvmst"
	cp "$B"/kvmst/kvmst-* "$TOP/tests/guest/kselftest-run" "$root/tests/"
	gcc -static -O2 -Wall -Wextra -isystem "$B/$k-build/hdr/include" -I"$t" \
		-o "$root/tests/mirror-bench" "$prog" -lpthread ||
		die "could not build tests/bench/mirror-bench.c against the $k tree"
	gcc -static -O2 -Wall -Wextra -isystem "$B/$k-build/hdr/include" \
		-o "$root/tests/numa-scan-bench" "$TOP/tests/bench/numa-scan-bench.c" -lpthread ||
		die "could not build tests/bench/numa-scan-bench.c against the $k headers"
	gcc -static -O2 -Wall -Wextra -isystem "$B/$k-build/hdr/include" -I"$t" \
		-o "$root/tests/userptr-bench" "$TOP/tests/bench/userptr-bench.c" -lpthread ||
		die "could not build tests/bench/userptr-bench.c against the $k tree"
	gcc -static -O2 -Wall -Wextra -isystem "$B/$k-build/hdr/include" -I"$t" \
		-o "$root/tests/stlb-bench" "$TOP/tests/bench/stlb-bench.c" -lpthread ||
		die "could not build tests/bench/stlb-bench.c against the $k tree"
	gcc -static -O2 -Wall -Wextra -isystem "$B/$k-build/hdr/include" -I"$t" \
		-o "$root/tests/inflight-bench" "$TOP/tests/bench/inflight-bench.c" -lpthread ||
		die "could not build tests/bench/inflight-bench.c against the $k tree"
	(cd "$MM" && gcc -static -O2 -Wall -U_FORTIFY_SOURCE -isystem "$B/$k-build/hdr/include" \
		-I"$TREE" -I"$TREE/tools/include/uapi" -I"$TREE/tools/testing/selftests" \
		-o "$root/tests/mmu_notifier_actions" mmu_notifier_actions.c vm_util.c -lrt -lpthread -lm) ||
		die "could not build the mmu_notifier_actions selftest"
	initramfs_pack "$root" "$o/initramfs.cpio.gz"
	# One vCPU: with two, single-threaded TCG under -icount let a vCPU
	# spin on an RCU node lock for minutes (an RCU stall) in one boot of
	# three here; the workload needs no second CPU (NUMA node 1 is then
	# memory only, which hinting and move_pages() use all the same).
	SMP=1 ICOUNT=1 OUT=$o BUILD=$B/$k-build BOOT_TIMEOUT=3600 "$TOP/scripts/boot.sh" suite
	grep -a -q '^@@ exit mirror-bench 0 ' "$o/results.log" || {
		sed -n '/^@@ suite/,/^@@ exit/p' "$o/results.log" | sed 's/^/    /' >&2
		die "the bench did not finish on the $k kernel (console: ${o#"$TOP"/}/console.log)"
	}
	grep -a -q '^@@ exit numa-scan-bench 0 ' "$o/results.log" ||
		die "numa-scan-bench did not finish on the $k kernel (${o#"$TOP"/}/results.log)"
	grep -a -q '^@@ exit userptr-bench 0 ' "$o/results.log" || {
		sed -n '/^@@ suite userptr-bench/,/^@@ exit/p' "$o/results.log" | grep -v ',ok$' |
			sed 's/^/    /' >&2
		die "userptr-bench failed or did not finish on the $k kernel (${o#"$TOP"/}/results.log)"
	}
	grep -a -q '^@@ exit inflight-bench 0 ' "$o/results.log" || {
		sed -n '/^@@ suite inflight-bench/,/^@@ exit/p' "$o/results.log" | sed 's/^/    /' >&2
		die "inflight-bench failed or did not finish on the $k kernel (${o#"$TOP"/}/results.log)"
	}
	# Counts only, no timing: no -icount.  The KVM selftests need the
	# test boot's memory (dirty_log_test maps 1 GiB) and huge pages, and
	# one TCG thread (see tests/suites-tcg-single).
	TAG=kvm TCG_THREAD=single OUT=$o BUILD=$B/$k-build "$TOP/scripts/boot.sh" suite \
		mnt.suites=suites-kvm
	LIGHT=1 TAG=shadow OUT=$o BUILD=$B/$k-build "$TOP/scripts/boot.sh" suite \
		mnt.suites=suites-shadow kvm_amd.npt=0 kvm_intel.ept=0
	grep -a -q '^@@ exit stlb-bench 0 ' "$o/results-kvm.log" || {
		sed -n '/^@@ suite stlb-bench/,/^@@ exit/p' "$o/results-kvm.log" | sed 's/^/    /' >&2
		die "stlb-bench failed or did not finish on the $k kernel (${o#"$TOP"/}/results-kvm.log)"
	}
	for r in results-kvm results-shadow; do
		grep -a -q '^# kvm,' "$o/$r.log" || {
			sed -n '/^@@ suite kvm/,/^@@ exit/p' "$o/$r.log" | sed 's/^/    /' >&2
			die "kvm-mmu-notifier printed no counts on the $k kernel (${o#"$TOP"/}/$r.log)"
		}
	done
done

step "Report"
python3 "$TOP/tests/bench/report.py" "$B/base-out/results.log" "$B/series-out/results.log" \
	"$B/bench.csv" "$new_suites" >"$B/bench.md"
cat "$B/bench.md"
grep -q '^Upstream KVM selftests: same results on both kernels' "$B/bench.md" ||
	die "the upstream KVM selftests give different results on base and series (see above)"
grep -q '^Userptr checks: all rows ok on both kernels' "$B/bench.md" ||
	die "userptr-bench: a check failed (see above)"
grep -q '^Userptr targets on the series: all met' "$B/bench.md" ||
	die "userptr-bench: the series misses a target (see above)"
grep -q '^Secondary-TLB targets on the series: all met' "$B/bench.md" ||
	die "stlb-bench: the series misses a target (see above)"
grep -q '^Secondary-TLB checks: all rows ok on both kernels' "$B/bench.md" ||
	die "stlb-bench: a check failed (see above)"
grep -q '^In-flight targets on the series: all met' "$B/bench.md" ||
	die "inflight-bench: the series misses a target (see above)"
grep -q '^In-flight checks: all rows ok on both kernels' "$B/bench.md" ||
	die "inflight-bench: a check failed (see above)"
grep -q '^KVM in-flight targets on the series: all met' "$B/bench.md" ||
	die "kvm-mmu-notifier --inflight: the series misses a target (see above)"
grep -q '^KVM in-flight checks: all rows ok on both kernels' "$B/bench.md" ||
	die "kvm-mmu-notifier --inflight: a check failed (see above)"
info "written: ${B#"$TOP"/}/bench.md, ${B#"$TOP"/}/bench.csv"
