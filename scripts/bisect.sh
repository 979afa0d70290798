#!/bin/bash
# Bisectability: build every patch of the series but the last (test.sh
# builds and tests HEAD in full) and boot it to /init and back.  The patches
# are checked out in a worktree of their own (work/bisect-tree) and built
# with the smaller config/bisect.config in work/bisect-build, so work/linux
# and work/build are never touched and each build stays incremental.
# TAP lines on stdout.
. "$(dirname "$0")/lib.sh"

git_t() { git -C "$TREE" "$@"; }
mapfile -t commits < <(git_t rev-list --reverse base..HEAD)
# The plan: a build and a boot result per patch but the last, and the
# config check; the verdict fails this step if it gives another number.
if ((${#commits[@]} < 2)); then
	echo "1..1"
	echo "ok 0 bisect: every patch builds and boots on its own # SKIP the series has ${#commits[@]} patch(es); HEAD is built and tested above"
	exit 0
fi
# selftests_of C: the selftest programs (mm and KVM, .c files with a main)
# that commit C adds or changes, as selftests Makefile targets
selftests_of() {
	git_t diff --name-only --diff-filter=AM "$1~" "$1" -- \
		'tools/testing/selftests/mm/*.c' 'tools/testing/selftests/kvm/*.c' |
		while IFS= read -r f; do
			git_t show "$1:$f" | grep -qE '^(int main\(|TEST_HARNESS_MAIN)' && echo "$f"
		done
}
# A patch that changes a selftest builds it at that patch (HEAD's are
# built by make guest): one more result for each.
nself=0
for c in "${commits[@]::${#commits[@]}-1}"; do
	[ -z "$(selftests_of "$c")" ] || nself=$((nself + 1))
done
echo "1..$((2 * (${#commits[@]} - 1) + nself + 1))"
[ -f "$OUT/initramfs.cpio.gz" ] || die "no initramfs (run: make guest)"
bt=$WORK/bisect-tree
bb=$WORK/bisect-build
frag=$TOP/config/bisect.config
# (A worktree whose repository was made anew, by make tree FORCE=1, is
# made anew too.)
if [ "$(git -C "$bt" rev-parse --show-toplevel 2>/dev/null)" != "$bt" ] ||
	! git -C "$bt" rev-parse -q --verify HEAD >/dev/null 2>&1; then
	git_t worktree prune
	rm -rf "$bt"
	git_t worktree add -q --detach "$bt" "${commits[-2]}" ||
		die "cannot create the bisect worktree ${bt#"$TOP"/}"
fi
bgit() { git -C "$bt" "$@"; }
[ -z "$(bgit status --porcelain --untracked-files=no)" ] ||
	die "${bt#"$TOP"/} has local changes; it belongs to the bisect (remove it and rerun)"

# Configure once, at the last patch checked here, which knows every option:
# an older patch's syncconfig drops the options that later patches add, so
# each patch starts again from this .config.
bgit checkout -q --detach "${commits[-2]}"
step "Configuring the bisect kernel: tinyconfig + ${frag#"$TOP"/}"
TREE=$bt BUILD=$bb CONFIGURE_ONLY=1 "$TOP/scripts/kernel.sh" "$frag" ||
	die "cannot configure the bisect kernel in ${bb#"$TOP"/}"
cp "$bb/.config" "$bb/.config.last"

failed=0
step "Building and booting each patch on its own ($((${#commits[@]} - 1)) of ${#commits[@]}; HEAD is tested in full above)"
bo=$WORK/out-bisect
mkdir -p "$bo"
cp "$OUT/initramfs.cpio.gz" "$bo/"
i=0 booted_sum= booted_i=
for c in "${commits[@]::${#commits[@]}-1}"; do
	i=$((i + 1))
	t0=$SECONDS
	subj=$(git_t log -1 --format=%s "$c")
	bgit checkout -q --detach "$c"
	cmp -s "$bb/.config.last" "$bb/.config" || cp "$bb/.config.last" "$bb/.config"
	if ! run_logged "$bb/build.log" "patch $i build" \
		make -C "$bt" O="$bb" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS" bzImage; then
		grep -m1 -B2 -A8 -E ': (fatal )?error:|undefined reference|\*\*\* .*(No rule|Error [0-9]+)' "$bb/build.log" | sed 's/^/    /' >&2
		echo "not ok 0 bisect: patch $i builds: $subj # build failed (log: ${bb#"$TOP"/}/build.log)"
		echo "not ok 0 bisect: patch $i boots: $subj # not built"
		[ -z "$(selftests_of "$c")" ] ||
			echo "not ok 0 bisect: patch $i: its selftests build # the kernel did not build"
		failed=1
		booted_sum=
		continue
	fi
	echo "ok 0 bisect: patch $i builds: $subj"
	mapfile -t st < <(selftests_of "$c")
	if ((${#st[@]})); then
		# against this patch's uapi headers, with the selftests' own Makefiles
		so=$bb/selftests
		rm -rf "$so"
		names=$(printf '%s\n' "${st[@]}" | sed 's|.*/||; s|\.c$||' | paste -sd' ')
		# (a subshell: the exit of a failed build leaves the loop, not bisect.sh)
		if make -s -C "$bt" O="$bb" headers_install INSTALL_HDR_PATH="$bb/hdr" >"$bb/selftests.log" 2>&1 &&
			(for f in "${st[@]}"; do
				d=${f#tools/testing/selftests/}
				d=${d%%/*}
				t=${f#tools/testing/selftests/$d/}
				mkdir -p "$so/$d"
				make -C "$bt/tools/testing/selftests/$d" OUTPUT="$so/$d" \
					KHDR_INCLUDES="-isystem $bb/hdr/include" LINUX_HDR_PATH="$bb/hdr/include/" \
					"$so/$d/${t%.c}" || exit
			done) >>"$bb/selftests.log" 2>&1; then
			echo "ok 0 bisect: patch $i: its selftests build: $names"
		else
			grep -m1 -B2 -A8 -E 'error:|\*\*\*' "$bb/selftests.log" | sed 's/^/    /' >&2 || true
			echo "not ok 0 bisect: patch $i: its selftests build: $names # see ${bb#"$TOP"/}/selftests.log"
			failed=1
		fi
	fi
	tb=$((SECONDS - t0))
	# A patch that leaves the kernel alone (documentation, MAINTAINERS,
	# selftests, scripts) gives the same bzImage, which make did not even
	# relink: its boot would repeat the previous one exactly.
	sum=$(sha256sum <"$bb/arch/x86/boot/bzImage")
	if [ "$sum" = "$booted_sum" ]; then
		echo "ok 0 bisect: patch $i boots: $subj (bzImage identical to patch $booted_i's, which booted)"
		info "patch $i: built in ${tb}s, same bzImage as patch $booted_i: $subj"
		continue
	fi
	booted_sum=
	BUILD=$bb OUT=$bo LIGHT=1 BOOT_TIMEOUT=300 "$TOP/scripts/boot.sh" boot >/dev/null 2>&1 || true
	if python3 "$TOP/tests/verdict.py" --tree "$bt" --results "$bo/results.log" \
		--console "$bo/console.log" --expected-klog "$TOP/tests/expected-klog" \
		$(grep -q '^CONFIG_KUNIT=y' "$bb/.config" && echo --kunit) >"$bo/verdict.txt"; then
		echo "ok 0 bisect: patch $i boots: $subj"
		info "patch $i: built in ${tb}s, booted in $((SECONDS - t0 - tb))s: $subj"
		booted_sum=$sum booted_i=$i
	else
		sed -n '/FAILURES/,$p' "$bo/verdict.txt" | sed 's/^/    /' >&2
		echo "not ok 0 bisect: patch $i boots: $subj # see the kernel log above"
		failed=1
	fi
done

# The smaller config must still compile what the series changes: every C
# file the series touches that the test kernel compiles at HEAD.
missed=()
while IFS= read -r f; do
	[ -f "$bt/$f" ] || continue
	o=${f%.c}.o
	[ -f "$BUILD/$o" ] && [ ! -f "$bb/$o" ] && missed+=("$f")
done < <(git_t diff --name-only base "${commits[-2]}" -- '*.c')
cfgs=${frag#"$TOP"/}
if ((${#missed[@]})); then
	echo "not ok 0 bisect: $cfgs compiles every C file of the series that the test kernel compiles # not compiled: ${missed[*]}"
	failed=1
else
	echo "ok 0 bisect: $cfgs compiles every C file of the series that the test kernel compiles"
fi
exit $failed
