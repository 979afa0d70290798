#!/bin/bash
# Boot the built kernel with the initramfs in QEMU and wait for the guest to
# finish.  Usage: boot.sh [MODE] [extra kernel args...]
#   MODE suite (default): run tests/suites;  boot: just boot and power off.
# Environment: ACCEL=kvm|tcg, SMP (vCPUs, 2), LIGHT=1 (1 GiB, no reserved
# or huge pages), ICOUNT=1 (instruction-counted TCG), TCG_THREAD=single (one
# TCG thread for all vCPUs, no effect with ACCEL=kvm), SHOW=1, BOOT_TIMEOUT.
# Console (kernel log) -> $OUT/console.log; test output -> $OUT/results.log
# (TAG=x: console-x.log and results-x.log, for a second boot of one run).
# SHOW=1 also streams the console to the terminal.
. "$(dirname "$0")/lib.sh"

mode=${1:-suite}
shift || true
kernel=$BUILD/arch/x86/boot/bzImage
initrd=$OUT/initramfs.cpio.gz
[ -f "$kernel" ] || die "no kernel at ${kernel#"$TOP"/} (run: make kernel)"
[ -f "$initrd" ] || die "no initramfs at ${initrd#"$TOP"/} (run: make guest)"
# The suites take about 9 min here (uffd-unit-tests 4 of them), and each
# has its own limit in tests/suites; this one catches a guest that hangs.
limit=${BOOT_TIMEOUT:-1800}

clock=
if [ "${ICOUNT:-0}" = 1 ]; then
	# Timing by instruction count (make bench): one virtual nanosecond per
	# instruction, so the guest's clock and TSC (1 GHz) count instructions
	# and idle time is skipped.  icount needs single-threaded TCG.
	accel=(-accel tcg,thread=single -cpu max -icount shift=0,sleep=off)
	clock="tsc_early_khz=1000000 tsc=reliable"
elif [ "${ACCEL:-}" = kvm ] || { [ -z "${ACCEL:-}" ] && [ -w /dev/kvm ] &&
	grep -qw -e vmx -e svm /proc/cpuinfo; }; then
	# /dev/kvm alone is not enough: a KVM that needs no VT-x/AMD-V (PVM,
	# in some sandboxes) runs only kernels built for it, and ours then
	# hangs before its first console line.  ACCEL=kvm|tcg overrides.
	accel=(-accel kvm -cpu host)
else
	accel=(-accel "tcg${TCG_THREAD:+,thread=$TCG_THREAD}" -cpu max)
	# Under TCG the guest reads the host's TSC.  Left to itself, the guest
	# calibrates it against the emulated PIT, which fails when the host is
	# busy ("could not calculate TSC khz"): the TSC is then marked unstable
	# with a frequency of 0 and a nested KVM guest never runs (its clock
	# update is retried forever).  Give it the host's TSC rate instead.
	# The host kernel's own calibration is the best source; /proc/cpuinfo's
	# "cpu MHz" is the TSC rate only with a constant TSC.
	khz=$({ dmesg 2>/dev/null || true; } | sed -n 's/.*tsc: \(Refined TSC clocksource calibration:\|Detected\) *\([0-9]*\)\.\([0-9]\{3\}\) MHz.*/\2\3/p' | tail -n 1)
	if [ -z "$khz" ]; then
		grep -qw constant_tsc /proc/cpuinfo ||
			warn "the host has no constant TSC: the guest's TSC rate is a guess"
		khz=$(sed -n 's/^cpu MHz[[:space:]]*: *\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p' /proc/cpuinfo | head -n 1)
	fi
	if [ -n "$khz" ]; then
		clock="tsc_early_khz=$khz tsc=reliable"
	else
		warn "cannot find the host's TSC rate; a nested KVM guest may hang on a busy host"
	fi
fi
bios=()
[ -f /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)

# 4 GiB: QEMU maps 3 GiB below 4G and 1 GiB above.  512 MiB of the latter
# is reserved (memmap=) and handed to test_hmm as the "special purpose
# memory" of its two DEVICE_COHERENT devices; 128 huge pages for hugetlb.
# LIGHT=1 (the bisect's boots, which run no suite): 1 GiB and none of that.
mem=4G
args="console=ttyS0 panic=-1 oops=panic numa=fake=2 transparent_hugepage=madvise"
if [ "${LIGHT:-0}" = 1 ]; then
	mem=1G
else
	args="$args memmap=512M\$0x100000000 test_hmm.spm_addr_dev0=0x100000000"
	args="$args test_hmm.spm_addr_dev1=0x110000000 hugepages=128"
fi
# printk.devkmsg=on: /init marks each suite's start in the kernel log
# through /dev/kmsg, which is otherwise rate-limited (10 lines per 5 s).
args="$args $clock hung_task_timeout_secs=60 softlockup_panic=0 printk.devkmsg=on mnt.mode=$mode $*"

console=$OUT/console${TAG:+-$TAG}.log
results=$OUT/results${TAG:+-$TAG}.log
rm -f "$console" "$results"
: >"$console"
: >"$results"

cpus=${SMP:-2}
step "Booting the kernel in QEMU (${accel[1]}, $cpus vCPU(s), 2 NUMA nodes, $mem, mode $mode${TAG:+, boot $TAG}, limit ${limit}s)"
t0=$SECONDS
# In a process group of its own (lib.sh: bg_start), which Ctrl-C or a kill
# of this script takes down with it.
bg_start timeout --foreground -k 5 "$limit" qemu-system-x86_64 "${accel[@]}" "${bios[@]}" \
	-smp "$cpus" -m "$mem" -display none -monitor none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$args" \
	-serial "file:$console" -serial "file:$results"
qpid=$BG_PID
if [ "${SHOW:-0}" = 1 ]; then
	bg_start tail -n +1 -f "$console" --pid="$qpid"
fi
shown=0
progress() {
	local l n=0
	while IFS= read -r l; do
		n=$((n + 1))
		((n > shown)) && info "[guest $((SECONDS - t0))s] ${l#@@ exit }"
	done < <(grep -a '^@@ exit' "$results" || true)
	shown=$n
}
# A kernel that prints nothing for a minute will not: say so and stop,
# rather than wait for the limit.
quiet=${QUIET_LIMIT:-60}
while kill -0 "$qpid" 2>/dev/null; do
	sleep 1
	progress
	if ((SECONDS - t0 > quiet)) && [ ! -s "$console" ]; then
		warn "the kernel printed nothing in ${quiet}s (${accel[*]}); stopping QEMU"
		kill "$qpid" 2>/dev/null || true
		echo "@@ silent: the kernel printed nothing in ${quiet}s with ${accel[*]}" >>"$results"
		break
	fi
done
progress
rc=0
wait "$qpid" || rc=$?
info "QEMU exited ($rc) after $((SECONDS - t0))s"
# timeout(1) exits 124 when its timer fired, and 137 when it then had to
# SIGKILL QEMU (-k 5).  A 137 before the limit is someone else's SIGKILL
# (the host's OOM killer): not a hang of the guest.
if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && ((SECONDS - t0 >= limit)); }; then
	echo "@@ timeout ${limit}s" >>"$results"
elif [ "$rc" = 137 ]; then
	echo "@@ killed SIGKILL after $((SECONDS - t0))s" >>"$results"
elif [ "$rc" != 0 ]; then
	echo "@@ qemu-exit $rc" >>"$results"
fi
exit 0
