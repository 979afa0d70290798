#!/bin/bash
# The generic KVM code of the series on the other architectures that use
# it: virt/kvm/kvm_main.c and each one's kvm_unmap_gfn_range() file must
# compile (W=1, no warning) with Debian's cross compilers, and keep zapping
# for every invalidation: kvm_main.o must not call kvm_host_wrprot_gfn_range(),
# which only x86 has.  Small configs (allnoconfig + KVM; ppc64le_defconfig
# + KVM_BOOK3S_64_HV) in work/x-<arch>.  TAP lines on stdout.
. "$(dirname "$0")/lib.sh"

# arch  cross-prefix  config  options  the file with kvm_unmap_gfn_range()
targets=(
	"arm64 aarch64-linux-gnu- allnoconfig VIRTUALIZATION,KVM arch/arm64/kvm/mmu.o"
	"riscv riscv64-linux-gnu- allnoconfig VIRTUALIZATION,KVM arch/riscv/kvm/mmu.o"
	"powerpc powerpc64le-linux-gnu- ppc64le_defconfig VIRTUALIZATION,KVM_BOOK3S_64,KVM_BOOK3S_64_HV arch/powerpc/kvm/book3s.o"
)
# Two results per target (builds without warning; zaps as before).
echo "1..$((2 * ${#targets[@]}))"
rc=0
# Both results of a target that could not be built.
unbuilt() {
	echo "not ok 0 $name # $1"
	echo "not ok 0 cross: $arch: KVM zaps for every invalidation, as before # not built"
	rc=1
}
for t in "${targets[@]}"; do
	read -r arch cross defcfg opts obj <<<"$t"
	name="cross: $arch: virt/kvm/kvm_main.c and ${obj%.o}.c build, W=1, no warning"
	command -v "${cross}gcc" >/dev/null ||
		{ unbuilt "no ${cross}gcc (make deps)"; continue; }
	o=$WORK/x-$arch
	mkdir -p "$o"
	xmake() {
		make -C "$TREE" O="$o" ARCH="$arch" CROSS_COMPILE="$cross" \
			CC="ccache ${cross}gcc" HOSTCC="ccache gcc" -j"$JOBS" "$@"
	}
	want="$defcfg $opts"
	if [ "$(cat "$o/.cross-config" 2>/dev/null)" != "$want" ]; then
		enable=()
		for opt in ${opts//,/ }; do enable+=(-e "$opt"); done
		if ! { xmake -s "$defcfg" && "$TREE/scripts/config" --file "$o/.config" "${enable[@]}" &&
			xmake -s olddefconfig; } >"$o/config.log" 2>&1; then
			unbuilt "cannot configure (log: ${o#"$TOP"/}/config.log)"
			continue
		fi
		for opt in ${opts//,/ }; do
			grep -qx "CONFIG_$opt=y" "$o/.config" ||
				{ unbuilt "CONFIG_$opt not taken"; continue 2; }
		done
		echo "$want" >"$o/.cross-config"
	fi
	# Host tools and generated headers first, in their own log: a cold
	# tree builds genksyms, whose grammar makes Debian's bison warn about
	# conflicts.  Those are not the series' warnings; the count below is
	# of the two objects alone.
	if ! run_logged "$o/prepare.log" "$arch: prepare" xmake W=1 prepare; then
		grep -m1 -B2 -A8 -E ': (fatal )?error:|Error [0-9]' "$o/prepare.log" | sed 's/^/    /' >&2
		unbuilt "make prepare failed (log: ${o#"$TOP"/}/prepare.log)"
		continue
	fi
	rm -f "$o/virt/kvm/kvm_main.o" "$o/$obj"
	if ! run_logged "$o/build.log" "$arch" xmake W=1 virt/kvm/kvm_main.o "$obj"; then
		grep -m1 -B2 -A8 -E ': (fatal )?error:' "$o/build.log" | sed 's/^/    /' >&2
		unbuilt "build failed (log: ${o#"$TOP"/}/build.log)"
		continue
	fi
	w=$(grep -c 'warning:' "$o/build.log" || true)
	if ((w)); then
		grep 'warning:' "$o/build.log" | head -n 5 | sed 's/^/    /' >&2
		echo "not ok 0 $name # $w warning(s) (log: ${o#"$TOP"/}/build.log)"
		rc=1
	else
		echo "ok 0 $name"
	fi
	syms=$("${cross}nm" "$o/virt/kvm/kvm_main.o")
	if grep -q 'kvm_host_wrprot_gfn_range' <<<"$syms" || ! grep -q ' U kvm_unmap_gfn_range' <<<"$syms"; then
		echo "not ok 0 cross: $arch: KVM zaps for every invalidation, as before # kvm_main.o: $(grep 'kvm_host_wrprot_gfn_range\|kvm_unmap_gfn_range' <<<"$syms" | tr -s ' ' | paste -sd,)"
		rc=1
	else
		echo "ok 0 cross: $arch: KVM zaps for every invalidation, as before"
	fi
done
exit $rc
