#!/bin/bash
# work/linux: the Debian 6.12 source as a git tree (tag "base"), with
# patches/ applied on top by git am.  Idempotent: when the tree already holds
# exactly patches/, it does nothing.  It never throws away commits or edits
# that are not in patches/: it stops and says so (FORCE=1 overrides).
. "$(dirname "$0")/lib.sh"

# BASE_TARBALL and BASE_SRC_VERSION name another copy of the source
# (scripts/newest-base.sh: the newest package, unpacked under work/newest).
if [ -n "${BASE_TARBALL:-}" ]; then
	tarball=$BASE_TARBALL
	src_version=${BASE_SRC_VERSION:?BASE_SRC_VERSION must come with BASE_TARBALL}
else
	src_version=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null) ||
		die "$BASE_PKG is not installed (run: make deps)"
	tarball=/usr/src/$BASE_PKG.tar.xz
fi
[ -f "$tarball" ] || die "$tarball is missing; reinstall $BASE_PKG"
base_subject="Linux ${src_version%%-*} from Debian $BASE_PKG $src_version"

git_t() { git -C "$TREE" "$@"; }

make_base() {
	step "Creating work/linux from $BASE_PKG $src_version"
	local tmp=$WORK/linux.tmp
	# Dated as the tarball (the package's own date): with the identity
	# and the configuration fixed (lib.sh), the same source gives the same
	# base commit, and the same patches/ the same HEAD, on any machine.
	local GIT_AUTHOR_DATE GIT_COMMITTER_DATE
	GIT_AUTHOR_DATE="@$(stat -c %Y "$tarball") +0000"
	GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
	export GIT_AUTHOR_DATE GIT_COMMITTER_DATE
	rm -rf "$tmp"
	mkdir -p "$tmp"
	info "extracting $tarball"
	tar -xJf "$tarball" -C "$tmp" --strip-components=1
	git -C "$tmp" init -q
	git -C "$tmp" config user.name "$IDENT_NAME"
	git -C "$tmp" config user.email "$IDENT_EMAIL"
	info "committing the base (about 90k files)"
	git -C "$tmp" add -f -A
	git -C "$tmp" commit -q -m "$base_subject" -m \
		"The unmodified contents of $(basename "$tarball") from Debian's
$BASE_PKG package, version $src_version."
	# Debian's .gitignore ends with a rule ignoring every top-level path
	# (its packaging repository keeps only debian/).  With it, new files
	# of the series would be invisible to git.
	grep -q '^# Debian packaging: ignore everything' "$tmp/.gitignore" ||
		die "$BASE_PKG $src_version: its .gitignore has no Debian packaging section; check scripts/tree.sh"
	sed -i '/^# Debian packaging: ignore everything/,$d' "$tmp/.gitignore"
	sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$tmp/.gitignore"
	sed -i '${/^#$/d}' "$tmp/.gitignore"
	git -C "$tmp" commit -q -a -m "gitignore: drop Debian's top-level ignore rule" -m \
		"$BASE_PKG ends .gitignore with a rule that ignores every top-level
path, which hides new files of the series from git.  Drop it.  This is
the only change to the package's source; the series applies equally to
the tree without it."
	git -C "$tmp" tag -a base -m "base: Linux ${src_version%%-*} from Debian $BASE_PKG $src_version"
	rm -rf "$TREE"
	mv "$tmp" "$TREE"
}

if [ -e "$TREE" ] && ! { [ -d "$TREE/.git" ] && git_t rev-parse -q --verify base >/dev/null; }; then
	[ "${FORCE:-0}" = 1 ] || die "work/linux exists but is not a tree made by 'make tree' (no base tag); move it away or run 'make tree FORCE=1', which deletes it"
	make_base
elif [ -d "$TREE/.git" ]; then
	have=$(git_t log -1 --format=%s base~1 2>/dev/null || true)
	if [ "$have" != "$base_subject" ]; then
		warn "work/linux is based on '$have', the installed source is $src_version"
		[ "${FORCE:-0}" = 1 ] || die "rebuild the tree with: make tree FORCE=1 (exports nothing; run make export first if work/linux has work)"
		make_base
	fi
else
	make_base
fi

git_t config user.name "$IDENT_NAME"
git_t config user.email "$IDENT_EMAIL"
git_t config core.abbrev 12

# What the tree holds and what patches/ holds, compared byte for byte in
# the stable export form (a reworded commit or a whitespace change counts).
tmpd=$(mktemp -d)
trap 'rm -rf "$tmpd"' EXIT
series_format "$tmpd"
mapfile -t patches < <(series_patches)
in_tree=$(patch_keys "$tmpd"/*.patch 2>/dev/null || true)
in_repo=$(patch_keys "${patches[@]}")

dirty=$(git_t status --porcelain --untracked-files=no)
if [ "$in_tree" = "$in_repo" ] && [ -z "$dirty" ] &&
	[ -z "$(git_t rev-parse -q --verify REBASE_HEAD 2>/dev/null || true)" ] &&
	[ ! -d "$TREE/.git/rebase-apply" ]; then
	printf '%s\n' "$in_repo" >"$KEYS_FILE"
	info "work/linux is up to date: base + ${#patches[@]} patches"
	exit 0
fi

if [ "${FORCE:-0}" != 1 ]; then
	if [ -n "$dirty" ]; then
		die "work/linux has uncommitted changes; commit and 'make export', or reset with 'make tree FORCE=1':
$dirty"
	fi
	if [ -d "$TREE/.git/rebase-apply" ] || [ -d "$TREE/.git/rebase-merge" ]; then
		die "work/linux is in the middle of a git am or rebase; finish or abort it first"
	fi
	# Commits in the tree that are not in patches/ are unexported work.
	# (A commit exported earlier and since replaced in patches/ is not.)
	extra=$(comm -23 <(printf '%s\n' "$in_tree" | sort) \
		<({ printf '%s\n' "$in_repo"; known_keys; } | sort -u) | grep -c . || true)
	if [ "$extra" -gt 0 ]; then
		die "work/linux has $extra commit(s) not in patches/ (unexported work).
Export them with 'make export', or discard them with 'make tree FORCE=1'."
	fi
fi

step "Applying patches/ (${#patches[@]} patches) to base"
git_t am --abort >/dev/null 2>&1 || true
git_t checkout -q -B series base
git_t reset -q --hard base
for p in "${patches[@]}"; do
	if ! out=$(git_t am -q --keep-cr --committer-date-is-author-date "$p" 2>&1); then
		git_t am --abort >/dev/null 2>&1 || true
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		die "patch $(basename "$p") does not apply to base ($base_subject): see git's reason above"
	fi
	info "applied $(basename "$p")"
done
patch_keys "${patches[@]}" >"$KEYS_FILE"
info "work/linux: base + ${#patches[@]} patches, HEAD $(git_t rev-parse --short HEAD)"
