#!/bin/bash
# Bisectability: build every patch of the series but the last (test.sh
# builds and tests HEAD) and boot it to /init and back, in work/linux itself
# so that the O= build stays incremental.  TAP lines on stdout.  The tree is
# returned to its branch whatever happens.
. "$(dirname "$0")/lib.sh"

git_t() { git -C "$TREE" "$@"; }
mapfile -t commits < <(git_t rev-list --reverse base..HEAD)
if ((${#commits[@]} < 2)); then
	echo "ok 0 bisect: every patch builds and boots on its own # SKIP the series has ${#commits[@]} patch(es); HEAD is built and tested above"
	exit 0
fi
[ -z "$(git_t status --porcelain --untracked-files=no)" ] ||
	die "work/linux has uncommitted changes; cannot check out each patch"
[ -f "$OUT/initramfs.cpio.gz" ] || die "no initramfs (run: make guest)"
branch=$(git_t symbolic-ref -q --short HEAD || git_t rev-parse HEAD)
# An older patch's syncconfig drops options that later patches add: keep
# HEAD's .config and put it back, with the branch, whatever happens.
cp "$BUILD/.config" "$BUILD/.config.head"
trap 'git_t checkout -q "$branch"; cp "$BUILD/.config.head" "$BUILD/.config"' EXIT
failed=0
step "Building and booting each patch on its own ($((${#commits[@]} - 1)) of ${#commits[@]}; HEAD is tested in full)"
bo=$WORK/out-bisect
mkdir -p "$bo"
cp "$OUT/initramfs.cpio.gz" "$bo/"
i=0 booted_sum= booted_i=
for c in "${commits[@]::${#commits[@]}-1}"; do
	i=$((i + 1))
	subj=$(git_t log -1 --format=%s "$c")
	git_t checkout -q "$c"
	if ! make -C "$TREE" O="$BUILD" CC="ccache gcc" -j"$JOBS" bzImage >"$BUILD/bisect.log" 2>&1; then
		grep -m1 -B2 -A8 -E ': (fatal )?error:|undefined reference|\*\*\* .*(No rule|Error [0-9]+)' "$BUILD/bisect.log" | sed 's/^/    /' >&2
		echo "not ok 0 bisect: patch $i builds: $subj # build failed"
		failed=1
		booted_sum=
		continue
	fi
	echo "ok 0 bisect: patch $i builds: $subj"
	# A patch that leaves the kernel alone (documentation, MAINTAINERS,
	# selftests, scripts) gives the same bzImage, which make did not even
	# relink: its boot would repeat the previous one exactly.
	sum=$(sha256sum <"$BUILD/arch/x86/boot/bzImage")
	if [ "$sum" = "$booted_sum" ]; then
		echo "ok 0 bisect: patch $i boots: $subj (bzImage identical to patch $booted_i's, which booted)"
		info "patch $i builds (same bzImage as patch $booted_i) and boots: $subj"
		continue
	fi
	booted_sum=
	OUT=$bo BOOT_TIMEOUT=300 "$TOP/scripts/boot.sh" boot >/dev/null 2>&1 || true
	if python3 "$TOP/tests/verdict.py" --tree "$TREE" --results "$bo/results.log" \
		--console "$bo/console.log" --expected-klog "$TOP/tests/expected-klog" >"$bo/verdict.txt"; then
		echo "ok 0 bisect: patch $i boots: $subj"
		info "patch $i builds and boots: $subj"
		booted_sum=$sum booted_i=$i
	else
		sed -n '/FAILURES/,$p' "$bo/verdict.txt" | sed 's/^/    /' >&2
		echo "not ok 0 bisect: patch $i boots: $subj # see the kernel log above"
		failed=1
	fi
done
exit $failed
