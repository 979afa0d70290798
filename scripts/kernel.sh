#!/bin/bash
# Configure (tinyconfig + a fragment) and build work/linux into $BUILD with
# ccache.  Usage: kernel.sh [fragment...]  (default: config/test.config)
# CONFIGURE_ONLY=1: configure, do not build.
. "$(dirname "$0")/lib.sh"

[ -e "$TREE/.git" ] || die "no kernel tree at $TREE (run: make tree)"
frags=("$@")
((${#frags[@]})) || frags=("$TOP/config/test.config")
mkdir -p "$BUILD"
kmake() { make -C "$TREE" O="$BUILD" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS" "$@"; }

# Options of the fragments missing from .config (checked on every run: a
# checkout of an older patch can drop options).
missing() {
	local f l bad=
	for f in "${frags[@]}"; do
		while IFS= read -r l; do
			case "$l" in
			CONFIG_*=n) grep -q "^# ${l%=n} is not set" "$BUILD/.config" ||
				grep -qx "$l" "$BUILD/.config" || bad="$bad $l" ;;
			CONFIG_*) grep -qx "$l" "$BUILD/.config" || bad="$bad $l" ;;
			esac
		done <"$f"
	done
	echo "$bad"
}

# Reconfigure only when a fragment changed or .config lost an option, so
# that a rebuild stays incremental.
stamp=$BUILD/.fragments.sha
want=$(cat "${frags[@]}" | sha1sum | cut -d' ' -f1)
if [ ! -f "$BUILD/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] ||
	[ -n "$(missing)" ]; then
	step "Configuring: tinyconfig + ${frags[*]#"$TOP"/}"
	kmake -s tinyconfig >/dev/null
	"$TREE/scripts/kconfig/merge_config.sh" -m -O "$BUILD" "$BUILD/.config" \
		"${frags[@]}" >"$BUILD/merge_config.log" 2>&1 ||
		die "merge_config.sh failed (log: $BUILD/merge_config.log)"
	kmake -s olddefconfig
	bad=$(missing)
	[ -z "$bad" ] || die "options the kernel did not take (a missing dependency?):$bad"
	echo "$want" >"$stamp"
fi
[ "${CONFIGURE_ONLY:-0}" = 1 ] && exit 0

step "Building the kernel in ${BUILD#"$TOP"/} ($JOBS jobs, ccache)"
log=$BUILD/build.log
if ! run_logged "$log" kernel kmake bzImage; then
	echo "---- first error ----" >&2
	grep -m1 -B3 -A12 -E ': (fatal )?error:|undefined reference|\*\*\* .*(No rule|Error [0-9]+)' "$log" >&2 ||
		tail -n 30 "$log" >&2
	die "kernel build failed (full log: ${log#"$TOP"/})"
fi
warnings=$(grep -c 'warning:' "$log" || true)
info "bzImage: $(du -h "$BUILD/arch/x86/boot/bzImage" | cut -f1), $warnings compiler warnings"
if [ ! -f "$BUILD/hdr/.stamp" ] || [ "$BUILD/hdr/.stamp" -ot "$BUILD/include/generated/uapi/linux/version.h" ] ||
	[ -n "$(find "$TREE/include/uapi" "$TREE/arch/x86/include/uapi" -newer "$BUILD/hdr/.stamp" -print -quit)" ]; then
	kmake -s headers_install INSTALL_HDR_PATH="$BUILD/hdr" >/dev/null
	touch "$BUILD/hdr/.stamp"
fi
