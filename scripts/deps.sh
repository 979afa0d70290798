#!/bin/bash
# Install what the harness needs from Debian's packages.  Fast when all is
# there already; names every missing package otherwise.
. "$(dirname "$0")/lib.sh"

PKGS="make build-essential git flex bison bc libelf-dev libssl-dev cpio xz-utils lz4
ccache coccinelle sparse qemu-system-x86 busybox-static libnuma-dev perl
python3 python3-ply python3-git rsync patch
gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu gcc-powerpc64le-linux-gnu"

installed_version() {
	{ dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null || true; } |
		sed -n 's/^ii *//p'
}

missing=
for p in $PKGS; do
	[ -n "$(installed_version "$p")" ] || missing="$missing $p"
done
have_src=$(installed_version "$BASE_PKG")

[ -z "$missing" ] && [ "$have_src" = "$BASE_VERSION" ] && exit 0

step "Installing packages:${missing:+$missing}${have_src:+}"
if [ "$(id -u)" != 0 ]; then
	die "missing packages:$missing ${have_src:-$BASE_PKG=$BASE_VERSION}; run as root or: apt-get install$missing $BASE_PKG=$BASE_VERSION"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >"$WORK/apt.log" 2>&1 || {
	tail -n 20 "$WORK/apt.log" >&2
	die "apt-get update failed (log: work/apt.log)"
}

src="$BASE_PKG=$BASE_VERSION"
if ! apt-cache madison "$BASE_PKG" | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
	grep -qx "$BASE_VERSION"; then
	newest=$(apt-cache madison "$BASE_PKG" | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
		sort -V | tail -n 1)
	[ -n "$newest" ] || die "no $BASE_PKG package in the configured archives"
	# An untested base is not a silent fallback: the series is tested
	# against BASE_VERSION only.  BASE_OVERRIDE=1 builds on the newest
	# anyway; 'make newest-base' tries the series there without changing
	# config/base.
	[ "${BASE_OVERRIDE:-0}" = 1 ] || die "$BASE_PKG $BASE_VERSION (config/base) is no longer served; the archive has $newest.
The series is tested on $BASE_VERSION only.  To try it on $newest: make newest-base
To build on $newest anyway (untested): BASE_OVERRIDE=1 make ..."
	warn "BASE_OVERRIDE=1: using $BASE_PKG $newest, not the tested $BASE_VERSION"
	src="$BASE_PKG=$newest"
fi
if [ -n "$have_src" ] && [ "$src" = "$BASE_PKG=$have_src" ]; then
	src=
fi

# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends --allow-downgrades $missing $src >>"$WORK/apt.log" 2>&1 || {
	tail -n 20 "$WORK/apt.log" >&2
	die "apt-get install failed for:$missing $src (log: work/apt.log)"
}
info "installed:$missing $src"
