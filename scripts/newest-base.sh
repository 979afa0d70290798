#!/bin/bash
# make newest-base: apply the series to the newest linux-source-6.12 that the
# archive serves and run the test kernel's suites on it, in work/newest (the
# installed package and work/linux stay as they are).  Moving the base is then
# one line in config/base, followed by make tree FORCE=1 and make test.
. "$(dirname "$0")/lib.sh"

versions() {
	apt-cache madison "$BASE_PKG" | awk -F'|' '{gsub(/ /, "", $2); print $2}'
}
step "Looking up the newest $BASE_PKG"
if [ "$(id -u)" = 0 ]; then
	apt-get update -q >"$WORK/apt.log" 2>&1 || {
		tail -n 20 "$WORK/apt.log" >&2
		die "apt-get update failed (log: work/apt.log)"
	}
else
	warn "not root: using the package lists as they are (apt-get update needs root)"
fi
newest=$(versions | sort -V | tail -n 1)
[ -n "$newest" ] || die "no $BASE_PKG package in the configured archives"
info "config/base: $BASE_VERSION; newest served: $newest"
if [ "$newest" = "$BASE_VERSION" ] && [ "${FORCE:-0}" != 1 ]; then
	info "the series is already based on the newest $BASE_PKG (FORCE=1 tests it there anyway)"
	exit 0
fi

NEW=$TOP/work/newest
mkdir -p "$NEW/deb"
deb=$(find "$NEW/deb" -maxdepth 1 -name "${BASE_PKG}_*.deb" | head -n 1)
if [ -z "$deb" ] || [ "$(dpkg-deb -f "$deb" Version)" != "$newest" ]; then
	rm -rf "$NEW/deb" "$NEW/pkg"
	mkdir -p "$NEW/deb"
	step "Downloading $BASE_PKG $newest"
	(cd "$NEW/deb" && apt-get download -q "$BASE_PKG=$newest") >"$NEW/download.log" 2>&1 || {
		tail -n 20 "$NEW/download.log" >&2
		die "apt-get download $BASE_PKG=$newest failed (log: work/newest/download.log)"
	}
	deb=$(find "$NEW/deb" -maxdepth 1 -name "${BASE_PKG}_*.deb" | head -n 1)
fi
if [ ! -f "$NEW/pkg/usr/src/$BASE_PKG.tar.xz" ]; then
	info "unpacking $(basename "$deb")"
	rm -rf "$NEW/pkg"
	dpkg-deb -x "$deb" "$NEW/pkg"
fi

export WORK=$NEW BASE_TARBALL=$NEW/pkg/usr/src/$BASE_PKG.tar.xz BASE_SRC_VERSION=$newest
unset TREE BUILD OUT
# A tree of an older newest-base run is rebuilt from the new source.
FORCE=1 "$TOP/scripts/tree.sh" ||
	die "the series does not apply to $BASE_PKG $newest (above: the patch that failed)"
"$TOP/scripts/kernel.sh"
"$TOP/scripts/guest.sh"
"$TOP/scripts/boot.sh" suite
"$TOP/scripts/show.sh"
step "The series applies to $BASE_PKG $newest and its suites ran (verdict above)"
info "to move the base: set BASE_VERSION=$newest in config/base, then make tree FORCE=1 and make test"
