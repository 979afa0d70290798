#!/bin/bash
# Write base..HEAD of work/linux to patches/ in a stable form, and refresh
# the cover letter's subject count, shortlog and diffstat (its text is kept).
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no work/linux (run: make tree)"
git_t() { git -C "$TREE" "$@"; }
[ -z "$(git_t status --porcelain --untracked-files=no)" ] ||
	die "work/linux has uncommitted changes; commit them first"

n=$(git_t rev-list --count base..HEAD)
cover=$TOP/patches/0000-cover-letter.patch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Stable output: zero From hashes, no signature, fixed abbreviation, and no
# base-commit line (the base is named in the cover letter).
if [ "$n" -gt 0 ]; then
	series_format "$tmp"
fi
# patches/ may hold patches the tree lacks (pulled after 'make tree'): do not
# overwrite them.
mapfile -t old < <(series_patches)
# A patch that neither the tree nor the last tree/export agreement has came
# from elsewhere.
lost=$(comm -23 <(patch_keys "${old[@]}" | sort) \
	<({ patch_keys "$tmp"/*.patch 2>/dev/null; known_keys; } | sort -u) | grep -c . || true)
if [ "$lost" -gt 0 ] && [ "${FORCE:-0}" != 1 ]; then
	die "patches/ has $lost patch(es) that work/linux does not (pulled after 'make tree'?).
Run 'make tree' to apply them first, or 'make export FORCE=1' to drop them."
fi
for p in "$tmp"/*.patch; do
	[ -e "$p" ] || continue
	grep -q '^Signed-off-by: '"$IDENTITY"'$' "$p" ||
		die "$(basename "$p") lacks 'Signed-off-by: $IDENTITY'"
	[ "$(git mailinfo /dev/null /dev/null <"$p" | sed -n 's/^Author: //p; s/^Email: //p' | paste -sd'|')" = "$IDENT_NAME|$IDENT_EMAIL" ] ||
		die "$(basename "$p") is not authored by $IDENTITY"
done

# Cover letter: keep the hand-written text between the headers and the
# shortlog; regenerate everything else.
body=$tmp/body
if [ -f "$cover" ]; then
	awk -v who="$IDENT_NAME" '
		hdr && /^$/ { hdr = 0; next }
		BEGIN { hdr = 1 }
		hdr { next }
		index($0, who " (") == 1 { exit }
		{ print }' "$cover" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$body"
	subject=$(sed -n 's/^Subject: \[PATCH [0-9]*\/[0-9]*\] //p' "$cover")
	[ -n "$subject" ] || die "cannot read the subject of patches/0000-cover-letter.patch (expected 'Subject: [PATCH 0/N] ...' on one line)"
	date=$(sed -n 's/^Date: //p' "$cover" | head -n 1)
else
	printf '%s\n' "*** describe the series ***" >"$body"
	subject="*** SUBJECT ***"
	date=$(date -R)
fi
{
	echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
	echo "From: $IDENTITY"
	echo "Date: $date"
	echo "Subject: [PATCH 0/$n] $subject"
	echo
	cat "$body"
	echo
	if [ "$n" -gt 0 ]; then
		git_t shortlog base..HEAD | sed -e '${/^$/d}'
		echo
		git_t diff --stat=72 --summary base..HEAD
		echo
	fi
} >"$tmp/0000-cover-letter.patch"

rm -f "$TOP"/patches/[0-9][0-9][0-9][0-9]-*.patch
mkdir -p "$TOP/patches"
cp "$tmp"/*.patch "$TOP/patches/"
mapfile -t now < <(series_patches)
patch_keys "${now[@]}" >"$KEYS_FILE"
info "exported $n patches and the cover letter to patches/"
