#!/bin/bash
# Build the guest: static test programs and a busybox initramfs.
# Programs are rebuilt only when their sources, the headers they include or
# the uapi headers change.
. "$(dirname "$0")/lib.sh"

[ -f "$BUILD/hdr/.stamp" ] || die "no installed headers in ${BUILD#"$TOP"/}/hdr (run: make kernel)"
BIN=$OUT/bin
mkdir -p "$BIN"
MM=$TREE/tools/testing/selftests/mm
# The project's own programs see only the installed uapi headers; the
# upstream selftests also need the tree (kselftest headers, tools uapi).
OWN_CFLAGS="-static -O2 -Wall -Wextra -isystem $BUILD/hdr/include"
SELFTEST_CFLAGS="-fmacro-prefix-map=$MM/= -static -O2 -Wall -U_FORTIFY_SOURCE -isystem $BUILD/hdr/include -I$TREE -I$TREE/tools/include/uapi -I$TREE/tools/testing/selftests"
CFLAGS=$SELFTEST_CFLAGS

# build NAME LIBS SRC...: compile SRC into $BIN/NAME when out of date: when
# a source, or a header it included last time (gcc -MMD writes them to
# $BIN/NAME.d: vm_util.h, lib/test_hmm_uapi.h, kselftest.h...), is newer.
build() {
	local name=$1 libs=$2 s
	shift 2
	local bin=$BIN/$name stale=0
	local flags="$CFLAGS $libs"
	[ -f "$bin" ] && [ -f "$bin.d" ] || stale=1
	[ "$(cat "$bin.flags" 2>/dev/null)" = "$flags" ] || stale=1
	if ((!stale)); then
		# The loop may stop reading early: the writers then die of SIGPIPE.
		while IFS= read -r s; do
			if [ ! -e "$s" ] || [ "$s" -nt "$bin" ]; then
				stale=1
				break
			fi
		done < <(printf '%s\n' "$@" "$BUILD/hdr/.stamp" || true
			sed -e 's/^[^:]*://' -e 's/\\$//' "$bin.d" | tr -s ' \t' '\n' | grep . || true)
	fi
	((stale)) || return 0
	info "cc $name"
	# shellcheck disable=SC2086
	(cd "$(dirname "$1")" && gcc $CFLAGS -o "$bin" "$@" $libs -lrt -lpthread -lm &&
		for s in "$@"; do gcc $CFLAGS -MM -MT "$name" "$s" || exit; done >"$bin.d.tmp") \
		>"$OUT/cc-$name.log" 2>&1 || {
		cat "$OUT/cc-$name.log" >&2
		die "could not build the guest program $name"
	}
	# (-MM per source: gcc -MMD -MF with several sources keeps the last one's)
	mv "$bin.d.tmp" "$bin.d"
	echo "$flags" >"$bin.flags"
}

step "Building guest programs"
CFLAGS=$OWN_CFLAGS build kvm-smoke "" "$TOP/tests/guest/kvm-smoke.c"
CFLAGS="$OWN_CFLAGS -I$TREE" build kvm-mmu-notifier "" "$TOP/tests/guest/kvm-mmu-notifier.c"
CFLAGS=$OWN_CFLAGS build tp-filters "" "$TOP/tests/guest/tp-filters.c"
build hmm-tests "" "$MM/hmm-tests.c" "$MM/vm_util.c"
# A selftest source with its fix from tests/guest/selftest-fixes/ (each
# patch says why), patched in a copy under $OUT/src; the tree is not
# touched.  Prints the path of the copy.
src=$OUT/src
mkdir -p "$src"
fixed() {
	local f=$1 fix=$2 name
	name=$(basename "$f")
	if [ ! -f "$src/$name" ] || [ "$f" -nt "$src/$name" ] || [ "$fix" -nt "$src/$name" ]; then
		cp "$f" "$src/$name.tmp"
		# --forward --fuzz=0: a fix that upstream took, or that moved, is
		# an error to look at, not a question on the terminal or a guess.
		patch -s --batch --forward --fuzz=0 -d "$src" "$name.tmp" <"$fix" >&2 ||
			die "$(basename "$fix") no longer applies to the selftest ${f#"$TREE"/} (taken upstream, or changed?)"
		mv "$src/$name.tmp" "$src/$name"
	fi
	echo "$src/$name"
}
fixes=$TOP/tests/guest/selftest-fixes

# mm selftests for the paths that send invalidations
U="$MM/vm_util.c $MM/thp_settings.c"
for t in soft-dirty mkdirty ksm_functional_tests pagemap_ioctl mrelease_test \
	mremap_test madv_populate; do
	c=$MM/$t.c
	[ ! -f "$fixes/$t.patch" ] || c=$(fixed "$c" "$fixes/$t.patch")
	# shellcheck disable=SC2086
	CFLAGS="$CFLAGS -iquote $MM" build "$t" "" "$c" $U
done
c=$(fixed "$MM/uffd-common.c" "$fixes/uffd-common-enoent.patch")
# shellcheck disable=SC2086
CFLAGS="$CFLAGS -iquote $MM" build uffd-unit-tests "" "$MM/uffd-unit-tests.c" "$c" $U
# shellcheck disable=SC2086
build migration "-lnuma" "$MM/migration.c" $U
for t in mmu_notifier_events mmu_notifier_actions mmu_notifier_stlb; do
	[ -f "$MM/$t.c" ] ||
		die "the tree has no tools/testing/selftests/mm/$t.c: is the series applied? (make tree)"
done
build mmu_notifier_events "" "$MM/mmu_notifier_events.c"
build mmu_notifier_actions "" "$MM/mmu_notifier_actions.c" "$MM/vm_util.c"
build mmu_notifier_stlb "" "$MM/mmu_notifier_stlb.c" "$MM/vm_util.c"

# Upstream KVM selftests around the MMU notifier (demand paging with
# userfaultfd, dirty logging, page tables, memslot changes, aging, huge
# page splitting, pre-faulting): those the suite lists name.  They run
# through tests/guest/kselftest-run, which turns an exit status into TAP.
"$TOP/scripts/kvm-selftests.sh" "$BIN"

step "Packing the initramfs"
root=$OUT/initramfs
initramfs_root "$root"
cp "$TOP/tests/guest/kselftest-run" "$root/tests/kselftest-run"
# Each boot runs one suite list (SUITE_LISTS in lib.sh; boot.sh's mnt.suites=).
for list in "${SUITE_LISTS[@]}"; do
	if [ -n "${ONLY:-}" ]; then
		# A developer's partial run: only the named suites (comma-separated).
		awk -v only=",$ONLY," '/^[[:space:]]*(#|$)/ || index(only, "," $1 ",")' \
			"$TOP/tests/$list" >"$root/tests/$list"
	else
		cp "$TOP/tests/$list" "$root/tests/$list"
	fi
done
if [ -n "${ONLY:-}" ]; then
	cat "${SUITE_LISTS[@]/#/$root/tests/}" | grep -qv '^[[:space:]]*\(#\|$\)' ||
		die "ONLY=$ONLY names no suite of the suite lists (tests/: ${SUITE_LISTS[*]})"
	warn "partial guest: only the suites $ONLY (unset ONLY for the full run)"
fi
find "$BIN" -type f ! -name "*.flags" ! -name "*.d" -exec cp {} "$root/tests/" \;
# Every program a suite list runs must be in the initramfs: a missing one
# would only show in the guest, as a failed suite, after the whole boot.
for list in "${SUITE_LISTS[@]}"; do
	mapfile -t progs < <(awk -F'\t+' '!/^[[:space:]]*(#|$)/ {
		split($3, w, " "); print w[1]; if (w[1] == "kselftest-run") print w[2] }' "$root/tests/$list")
	for prog in "${progs[@]}"; do
		[ -x "$root/tests/$prog" ] ||
			die "tests/$list runs $prog, which the initramfs lacks (scripts/guest.sh and scripts/kvm-selftests.sh build the programs)"
	done
done
initramfs_pack "$root" "$OUT/initramfs.cpio.gz"
info "initramfs: $(du -h "$OUT/initramfs.cpio.gz" | cut -f1), $(find "$BIN" -type f ! -name "*.flags" ! -name "*.d" | wc -l) programs"
