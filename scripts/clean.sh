#!/bin/bash
# make clean: remove everything the harness made under work/ (builds, the
# worktrees, guest programs, logs, the cross and compile-test builds, the
# bench) but the kernel tree work/linux, which may hold unexported work.
# make distclean (clean.sh all): work/ entirely, work/linux included; it
# refuses while work/linux holds work that is not in patches/ (FORCE=1
# discards it).
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = all ] && [ -d "$TREE/.git" ] && [ "${FORCE:-0}" != 1 ]; then
	dirty=$(git -C "$TREE" status --porcelain --untracked-files=no)
	tmpd=$(mktemp -d)
	trap 'rm -rf "$tmpd"' EXIT
	series_format "$tmpd"
	mapfile -t patches < <(series_patches)
	if [ -n "$dirty" ] || [ "$(patch_keys "$tmpd"/*.patch)" != "$(patch_keys "${patches[@]}")" ]; then
		die "work/linux holds work that is not in patches/ (uncommitted changes or commits not exported): 'make export' first, or 'make distclean FORCE=1' to discard it"
	fi
fi
# (the worktrees of work/linux, base-tree, cocci-tree and bisect-tree, go
# with their directories; prune forgets them)
if [ "${1:-}" = all ]; then
	find "$WORK" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
	info "removed work/ (work/linux included)"
else
	find "$WORK" -mindepth 1 -maxdepth 1 ! -name .lock ! -name linux ! -name series.keys \
		-exec rm -rf {} +
	[ ! -d "$TREE/.git" ] || git -C "$TREE" worktree prune
	info "removed the builds, worktrees, guest programs and logs in work/; kept work/linux (make distclean removes it too)"
fi
rm -f "$WORK/.lock"
