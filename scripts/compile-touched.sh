#!/bin/bash
# Compile the C files the series touches that the test kernel does not build
# (drivers that read the event, helpers of other drivers), in an x86_64
# defconfig + config/compile-test.config build directory: on the series and
# on base, with W=1 and sparse, reporting new warnings only.
# Usage: compile-touched.sh FILE.c...   TAP lines on stdout.
. "$(dirname "$0")/lib.sh"

(($#)) || exit 0
# Two results: compiles; no new sparse or W=1 warning.
echo "1..2"
frag=$TOP/config/compile-test.config
# configure TREE BUILD: defconfig + the fragment, every option checked
configure() {
	local t=$1 b=$2 opt
	mkdir -p "$b"
	if [ ! -f "$b/.config" ] || [ "$frag" -nt "$b/.config" ]; then
		make -s -C "$t" O="$b" CC="ccache gcc" defconfig >/dev/null 2>&1 &&
			(cd "$t" && KCONFIG_CONFIG="$b/.config" scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" "$frag") >/dev/null 2>&1 &&
			make -s -C "$t" O="$b" CC="ccache gcc" olddefconfig >/dev/null 2>&1 ||
			die "could not configure the compile-test build in ${b#"$TOP"/}"
	fi
	while read -r opt; do
		case "$opt" in '' | '#'*) continue ;; esac
		grep -qx "$opt" "$b/.config" || die "compile test: $opt did not survive olddefconfig in ${b#"$TOP"/}/.config"
	done <"$frag"
	make -s -C "$t" O="$b" CC="ccache gcc" -j"$JOBS" prepare >/dev/null 2>&1 ||
		die "could not prepare the compile-test build in ${b#"$TOP"/}"
}
# objs TREE BUILD OBJ...: compile with W=1 and sparse, print the warnings
objs() {
	local t=$1 b=$2 o
	shift 2
	for o in "$@"; do rm -f "$b/$o"; done
	make -C "$t" O="$b" CC="ccache gcc" C=2 W=1 -j"$JOBS" "$@" 2>&1
}

info "compile test of $* (defconfig + config/compile-test.config)"
configure "$TREE" "$WORK/ctest-build"
# kbuild targets: amdkfd is built by amdgpu's Makefile, as ../amdkfd/*.o
mapfile -t o < <(printf '%s\n' "$@" | sed -e 's/\.c$/.o/' \
	-e 's|^drivers/gpu/drm/amd/amdkfd/|drivers/gpu/drm/amd/amdgpu/../amdkfd/|')
if ! after_raw=$(objs "$TREE" "$WORK/ctest-build" "${o[@]}"); then
	{ printf '%s\n' "$after_raw" | grep -m5 -A5 ': error:' || printf '%s\n' "$after_raw" | tail -n 15; } |
		sed 's/^/    /' >&2
	echo "not ok 0 checks: compile test of $* # does not compile"
	echo "not ok 0 checks: sparse and W=1 on $* # not checked: does not compile"
	exit 1
fi
echo "ok 0 checks: compile test of $*: compiles"
bt=$WORK/base-tree
[ -d "$bt" ] || die "no base worktree in ${bt#"$TOP"/} (check-series makes it)"
configure "$bt" "$WORK/ctest-base"
base_o=()
for f in "${o[@]}"; do [ -f "$bt/$(realpath -m --relative-to=. "${f%.o}.c")" ] && base_o+=("$f"); done
before=$( ((${#base_o[@]})) && objs "$bt" "$WORK/ctest-base" "${base_o[@]}" | norm_warnings || true)
added=$(comm -23 <(printf '%s\n' "$after_raw" | norm_warnings) <(printf '%s\n' "$before") | grep . || true)
if [ -n "$added" ]; then
	printf '%s\n' "$added" | sed 's/^/    new: /' >&2
	echo "not ok 0 checks: sparse and W=1 on $* # $(printf '%s\n' "$added" | wc -l) new warning(s)"
	exit 1
fi
echo "ok 0 checks: sparse and W=1 on $*: nothing new"
