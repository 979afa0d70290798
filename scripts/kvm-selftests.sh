#!/bin/bash
# Build the upstream KVM selftests that the suite lists (SUITE_LISTS in
# lib.sh) run, the lines that call kselftest-run kvmst-<name>: static, with
# the selftests' own Makefile, against the uapi headers of $BUILD; copy each
# to DEST/kvmst-<name>.
# Usage: kvm-selftests.sh DEST
. "$(dirname "$0")/lib.sh"

dest=${1:?usage: kvm-selftests.sh DEST}
[ -f "$BUILD/hdr/.stamp" ] || die "no installed headers in ${BUILD#"$TOP"/}/hdr (run: make kernel)"
src=$TREE/tools/testing/selftests/kvm
mapfile -t names < <(awk '$3 == "kselftest-run" && $4 ~ /^kvmst-/ { sub(/^kvmst-/, "", $4); print $4 }' \
	"${SUITE_LISTS[@]/#/$TOP/tests/}" | sort -u)
((${#names[@]})) || die "no suite list runs a KVM selftest (kselftest-run kvmst-<name>)"
kst=$OUT/kvm-selftests
mkdir -p "$kst" "$dest"
targets=()
for n in "${names[@]}"; do
	if [ -f "$src/$n.c" ]; then
		targets+=("$kst/$n")
	elif [ -f "$src/x86_64/$n.c" ]; then
		targets+=("$kst/x86_64/$n")
	else
		die "a suite list runs kvmst-$n, but tools/testing/selftests/kvm has no $n.c"
	fi
done
info "KVM selftests: ${names[*]}"
# The Makefile takes the uapi headers from LINUX_HDR_PATH and KHDR_INCLUDES
# (by default, a headers_install in the source tree).
make -C "$src" -j"$JOBS" OUTPUT="$kst" KHDR_INCLUDES="-isystem $BUILD/hdr/include" \
	LINUX_HDR_PATH="$BUILD/hdr/include/" USERLDFLAGS=-static "${targets[@]}" \
	>"$OUT/cc-kvm-selftests.log" 2>&1 || {
	grep -m1 -B2 -A8 -E 'error:|\*\*\*' "$OUT/cc-kvm-selftests.log" >&2 ||
		tail -n 20 "$OUT/cc-kvm-selftests.log" >&2
	die "could not build the KVM selftests (log: ${OUT#"$TOP"/}/cc-kvm-selftests.log)"
}
for t in "${targets[@]}"; do
	cmp -s "$t" "$dest/kvmst-${t##*/}" || cp "$t" "$dest/kvmst-${t##*/}"
done
