#!/bin/bash
# Bisectability: build the kernel at every patch of the series but the last
# (test.sh builds HEAD), in work/linux itself so that the O= build stays
# incremental.  TAP lines on stdout.  Returns the tree to its branch.
. "$(dirname "$0")/lib.sh"

git_t() { git -C "$TREE" "$@"; }
mapfile -t commits < <(git_t rev-list --reverse base..HEAD)
if ((${#commits[@]} < 2)); then
	echo "ok 0 bisect: every patch builds on its own # SKIP the series has ${#commits[@]} patch(es); HEAD is built above"
	exit 0
fi
[ -z "$(git_t status --porcelain --untracked-files=no)" ] ||
	die "work/linux has uncommitted changes; cannot check out each patch"
branch=$(git_t symbolic-ref -q --short HEAD || git_t rev-parse HEAD)
trap 'git_t checkout -q "$branch"' EXIT
step "Building each patch on its own (${#commits[@]} patches)"
i=0
for c in "${commits[@]::${#commits[@]}-1}"; do
	i=$((i + 1))
	subj=$(git_t log -1 --format=%s "$c")
	git_t checkout -q "$c"
	if make -C "$TREE" O="$BUILD" CC="ccache gcc" -j"$JOBS" bzImage >"$BUILD/bisect.log" 2>&1; then
		echo "ok 0 bisect: patch $i builds: $subj"
		info "patch $i builds: $subj"
	else
		grep -m1 -B2 -A8 -E 'error|Error [0-9]' "$BUILD/bisect.log" | sed 's/^/    /' >&2
		echo "not ok 0 bisect: patch $i builds: $subj # build failed"
	fi
done
