#!/bin/bash
# Static checks on the series, as TAP lines on stdout (details on stderr):
# the cover letter, authorship, checkpatch --strict on every patch, and
# sparse (C=2), W=1 and kernel-doc on the files the series touches,
# compared with the same files at base.
. "$(dirname "$0")/lib.sh"

n=0 failed=0
ok()   { n=$((n + 1)); echo "ok $n $1${2:+ # SKIP $2}"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1 # $2"; }
git_t() { git -C "$TREE" "$@"; }
mapfile -t patches < <(series_patches)

# The plan (1..N) first: the verdict fails this step if it gives another
# number of results (it stopped halfway).  One result each: the cover
# letter, the no-knobs check, sparse/W=1, the sparse canary, kernel-doc; two per patch
# (authorship, checkpatch); one per mechanical patch; two for the
# coccinelle rule; two for the compile test of the touched files that the
# test kernel does not build.
rule=scripts/coccinelle/api/mmu_notifier_range.cocci
# the touched files, for sparse, W=1 and kernel-doc (below)
mapfile -t cfiles < <(git_t diff --name-only --diff-filter=AM base..HEAD -- '*.c' | grep -v '^tools/' || true)
mapfile -t hfiles < <(git_t diff --name-only --diff-filter=AM base..HEAD -- '*.h' | grep -v '^tools/' || true)

objs=() unbuilt=()
for f in "${cfiles[@]}"; do
	o=${f%.c}.o
	if [ -f "$BUILD/$o" ]; then objs+=("$o"); else unbuilt+=("$f"); fi
done
ncocci=$(awk -F'|' '{ sub(/^[ \t]+/, "", $1) } $1 != "" && $1 !~ /^#/' "$TOP/config/cocci-patches" | wc -l)
nrule=0
[ -f "$TREE/$rule" ] && nrule=2
echo "1..$((1 + 2 * ${#patches[@]} + 1 + ncocci + nrule + 2 + (${#unbuilt[@]} ? 2 : 0) + 1))"

# Cover letter
cover=$TOP/patches/0000-cover-letter.patch
if [ ! -f "$cover" ]; then
	fail "series: cover letter" "patches/0000-cover-letter.patch is missing"
elif ! grep -q "^Subject: \[PATCH 0/${#patches[@]}\] " "$cover"; then
	fail "series: cover letter" "its subject does not say [PATCH 0/${#patches[@]}] (run: make export)"
elif ! grep -q "$BASE_VERSION" "$cover"; then
	fail "series: cover letter" "it does not name the base, $BASE_PKG $BASE_VERSION"
else
	ok "series: cover letter names the series size and the base"
fi

# Authorship and checkpatch, per patch.  checkpatch runs on $JOBS patches
# at a time (about 3.4 s a patch here), each into its own file; the results
# are then read in the series' order.
exc=$TOP/config/checkpatch-exceptions
cpo=$(mktemp -d)
trap 'rm -rf "$cpo"' EXIT
cp_one() {
	local p=$1 name ignore
	name=$(basename "$p")
	ignore=$(awk -v n="$name" '!/^#/ && NF >= 3 && n ~ $1 { printf "%s,", $2 }' "$exc" 2>/dev/null)
	(cd "$TREE" && scripts/checkpatch.pl --strict --quiet --no-summary --show-types \
		${ignore:+--ignore "${ignore%,}"} "$p" >"$cpo/$name.out" 2>&1) || true
	printf '%s' "$ignore" >"$cpo/$name.done"
}
export -f cp_one
export exc cpo TREE
printf '%s\0' "${patches[@]}" | xargs -0 -r -n 1 -P "$JOBS" bash -c 'cp_one "$1"' cp_one
for p in "${patches[@]}"; do
	name=$(basename "$p")
	author=$(git mailinfo /dev/null /dev/null <"$p" | sed -n 's/^Author: //p; s/^Email: //p' | paste -sd'|')
	if [ "$author" != "$IDENT_NAME|$IDENT_EMAIL" ] || ! grep -qx "Signed-off-by: $IDENTITY" "$p"; then
		fail "series: $name: author and Signed-off-by" "must both be $IDENTITY"
	else
		ok "series: $name: author and Signed-off-by"
	fi
	if [ ! -f "$cpo/$name.done" ]; then
		fail "checks: checkpatch --strict: $name" "checkpatch did not run to its end"
		continue
	fi
	ignore=$(cat "$cpo/$name.done") # the exceptions it applied
	out=$(cat "$cpo/$name.out")
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | sed "s|^|    $name: |" >&2
		fail "checks: checkpatch --strict: $name" "$(printf '%s\n' "$out" | grep -cE '^(ERROR|WARNING|CHECK)' || true) report(s)"
	else
		ok "checks: checkpatch --strict: $name${ignore:+ (exceptions: ${ignore%,})}"
	fi
done
rm -rf "$cpo"
trap - EXIT

# The user interfaces the series adds are the test driver's ioctls and its
# tracepoints' fields, which the guest tests feed bad input (hmm-tests
# bad_input, tests/guest/tp-filters.c).  No other: no sysctl, debugfs,
# procfs or sysfs file (a new file or a new entry in a table of them, KVM
# stats included), and no module or boot parameter, in what it adds
# outside tools/ and Documentation/ (KUnit's own debugfs results aside).
knobs='register_sysctl|ctl_table|procname|proc_handler|proc_create|proc_mkdir|debugfs_|DEFINE_DEBUGFS_ATTRIBUTE|DEFINE_SHOW_ATTRIBUTE|securityfs_create|sysfs_create|sysfs_add|device_create_file|kobject_create|kobject_init_and_add|kobj_attribute|ATTRIBUTE_GROUPS|_ATTR(_R[OW]|_WO|_RW)?\(|STATS_DESC|module_param|core_param|early_param|__setup(_param)?\(|param_array'
diff=$(git_t diff base..HEAD -- . ':!tools' ':!Documentation') ||
	die "git diff base..HEAD failed in ${TREE#"$TOP"/}"
added=$(printf '%s\n' "$diff" | grep -E '^\+' | grep -vE '^\+\+\+' | grep -E "$knobs" || true)
if [ -n "$added" ]; then
	printf '%s\n' "$added" | sed 's/^/    /' >&2
	fail "series: adds no sysctl, debugfs, procfs, sysfs file or parameter" "$(printf '%s\n' "$added" | wc -l) line(s) add one (above)"
else
	ok "series: adds no sysctl, debugfs, procfs, sysfs file or parameter"
fi

# Mechanical patches: the semantic patch, re-run on the parent of the patch
# (base, or the patches before it), gives the same
# change to the paths it converts.
while IFS='|' read -r subj cocci targets; do
	subj=$(echo "$subj" | sed 's/^ *//; s/ *$//')
	cocci=$TOP/$(echo "$cocci" | tr -d ' ')
	case "$subj" in '' | '#'*) continue ;; esac
	c=$(git_t log --format='%H %s' base..HEAD | awk -v s="$subj" 'substr($0, 42) == s { print $1 }')
	if [ -z "$c" ]; then
		fail "checks: reproducible: $subj" "no such patch in the series (config/cocci-patches)"
		continue
	fi
	ct=$WORK/cocci-tree
	[ -d "$ct" ] || { git_t worktree prune && git_t worktree add -q --detach "$ct" base; }
	git -C "$ct" checkout -q --detach "$c~1" && git -C "$ct" reset -q --hard && git -C "$ct" clean -qfd
	paths=()
	IFS=';' read -ra tl <<<"$targets"
	for t in "${tl[@]}"; do
		# shellcheck disable=SC2086
		(cd "$ct" && spatch --sp-file "$cocci" --in-place --no-show-diff --very-quiet $t) \
			>"$OUT/spatch.log" 2>&1 || true
		paths+=("$(echo "$t" | sed 's/--dir//; s/ //g')")
	done
	want=$(git_t diff "$c~1" "$c" -- "${paths[@]}" | git patch-id --stable | cut -d' ' -f1)
	got=$(git -C "$ct" diff -- "${paths[@]}" | git patch-id --stable | cut -d' ' -f1)
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "checks: reproducible: '$subj' is what $(basename "$cocci") gives"
	else
		git -C "$ct" diff --stat -- "${paths[@]}" | tail -n 1 | sed 's/^/    spatch on parent: /' >&2
		git_t diff --stat "$c~1" "$c" -- "${paths[@]}" | tail -n 1 | sed 's/^/    the patch:        /' >&2
		fail "checks: reproducible: $subj" "$(basename "$cocci") gives a different change (see work/out/spatch.log)"
	fi
done <"$TOP/config/cocci-patches"

# The series' coccinelle rule: silent on every file that uses the type (a
# listener reading range->flags must name it), and it reports each misuse of
# tests/cocci/mmu_notifier_range-misuse.c, which shows it can.
if [ -f "$TREE/$rule" ]; then
	cocci_report() {
		spatch --very-quiet -D report --no-includes --include-headers \
			--jobs "$JOBS" --sp-file "$TREE/$rule" "$@" 2>&1
	}
	mapfile -t users < <(git_t grep -l 'mmu_notifier_range' -- '*.c' '*.h')
	out=$(cd "$TREE" && cocci_report "${users[@]}")
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		fail "checks: coccicheck $rule" "$(printf '%s\n' "$out" | grep -c WARNING || true) report(s) on the tree"
	else
		ok "checks: coccicheck $rule: no report on the ${#users[@]} files that use struct mmu_notifier_range"
	fi
	fx=$TOP/tests/cocci/mmu_notifier_range-misuse
	got=$(cd "$(dirname "$fx")" && cocci_report "$(basename "$fx").c" | awk -F: '
		/read the flags/ { print $2, "read" }
		/state the effect/ { print $2, "write" }
		/BLOCKABLE is set/ { print $2, "blockable" }' | LC_ALL=C sort)
	want=$(LC_ALL=C sort "$fx.expected")
	if [ "$got" = "$want" ]; then
		ok "checks: coccicheck $rule reports each misuse in tests/cocci/$(basename "$fx").c"
	else
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed 's/^/    /' >&2
		fail "checks: coccicheck $rule on tests/cocci/$(basename "$fx").c" "reports differ from the .expected file"
	fi
fi

# sparse, W=1 and kernel-doc on the touched files: new warnings only.

# base_tree: make $WORK/base-tree a worktree at base (for the base side of
# the warning comparisons) and set bt to it.
base_tree() {
	bt=$WORK/base-tree
	if [ ! -d "$bt" ]; then
		git_t worktree prune
		git_t worktree add -q --detach "$bt" base
	fi
	if [ "$(git -C "$bt" rev-parse HEAD)" != "$(git_t rev-parse 'base^{commit}')" ]; then
		git -C "$bt" checkout -q --detach base # work/linux was remade
	fi
}

# The sparse canary, tests/sparse-canary.c: a __user dereference that sparse
# must report, compiled beside the touched files (in the directory of the
# first, for the time of the check) the way they are.  No report: sparse
# did not run, and "nothing new" would mean nothing.
canary_dir=mm
((${#objs[@]} == 0)) || canary_dir=$(dirname "${objs[0]}")
canary=$canary_dir/mnt-sparse-canary.c
canary_o=${canary%.c}.o
canary_rm() { rm -f "$TREE/$canary" "$BUILD/$canary_o" "$BUILD/$canary_dir/.${canary_o##*/}".*; }
trap canary_rm EXIT
cp "$TOP/tests/sparse-canary.c" "$TREE/$canary"
check() { # tree build objs...
	local t=$1 b=$2
	shift 2
	local o
	for o in "$@"; do rm -f "$b/$o"; done # recompile: W=1 needs gcc to run
	make -C "$t" O="$b" CC="ccache gcc" C=2 W=1 -j"$JOBS" "$@" 2>&1 | norm_warnings
}
if ((${#objs[@]} == 0)); then
	after=$(check "$TREE" "$BUILD" "$canary_o")
	ok "checks: sparse and W=1 on touched files" "the series touches no C file built in this config"
else
	# The base side: the base worktree with its own build directory.
	base_tree
	bb=$WORK/base-build
	mkdir -p "$bb"
	cp "$BUILD/.config" "$bb/.config"
	make -s -C "$bt" O="$bb" CC="ccache gcc" olddefconfig prepare -j"$JOBS" >/dev/null 2>&1 ||
		die "could not prepare the base tree for sparse"
	new_objs=()
	for o in "${objs[@]}"; do [ -f "$bt/${o%.o}.c" ] && new_objs+=("$o"); done
	after=$(check "$TREE" "$BUILD" "${objs[@]}" "$canary_o")
	before=$( ((${#new_objs[@]})) && check "$bt" "$bb" "${new_objs[@]}" || true)
	added=$(comm -23 <(printf '%s\n' "$after" | grep -vF "$canary") <(printf '%s\n' "$before") | grep . || true)
	# config/sparse-exceptions: a new warning that the base gives for the
	# same code elsewhere (a sparse false positive), each with its reason.
	excepted=0
	while IFS=$'\t' read -r pat why; do
		case "$pat" in '' | '#'*) continue ;; esac
		[ -n "$why" ] || die "config/sparse-exceptions: no reason given for: $pat"
		if printf '%s\n' "$added" | grep -qF -- "$pat"; then
			added=$(printf '%s\n' "$added" | grep -vF -- "$pat" || true)
			excepted=$((excepted + 1))
			info "sparse exception: $pat ($why)"
		fi
	done <"$TOP/config/sparse-exceptions"
	if [ -n "$added" ]; then
		printf '%s\n' "$added" | sed 's/^/    new: /' >&2
		fail "checks: sparse and W=1 on ${#objs[@]} touched files" "$(printf '%s\n' "$added" | wc -l) new warning(s)"
	else
		note=
		((excepted == 0)) || note=" ($excepted listed in config/sparse-exceptions)"
		ok "checks: sparse and W=1 on ${#objs[@]} touched files: nothing new$note"
	fi
fi
canary_rm
if grep -qF "$canary: warning: dereference of noderef expression" <<<"$after"; then
	ok "checks: sparse reports the __user dereference of tests/sparse-canary.c (sparse runs)"
else
	fail "checks: sparse canary" "sparse did not report the __user dereference of tests/sparse-canary.c: it is not running (C=2), and the sparse check above means nothing"
fi

# Touched files the test kernel does not build: a compile-test build.
# compile-touched.sh plans two results; each one it does not give fails.
if ((${#unbuilt[@]})); then
	base_tree
	got=0
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*) ok "$(sed -E 's/^ok [0-9]+ //' <<<"$line")" && got=$((got + 1)) ;;
		"not ok "[0-9]*)
			l=$(sed -E 's/^not ok [0-9]+ //' <<<"$line")
			fail "${l%% # *}" "${l#* # }"
			got=$((got + 1))
			;;
		esac
	done < <("$TOP/scripts/compile-touched.sh" "${unbuilt[@]}" || true)
	for ((; got < 2; got++)); do
		fail "checks: compile test of ${unbuilt[*]} (result $((got + 1)) of 2)" \
			"compile-touched.sh stopped before it (see the error above)"
	done
fi

if ((${#hfiles[@]} + ${#cfiles[@]} == 0)); then
	ok "checks: kernel-doc on touched files" "the series touches no C source or header"
else
	kd=$( (cd "$TREE" && scripts/kernel-doc -none -Wall "${hfiles[@]}" "${cfiles[@]}" 2>&1) | norm_warnings || true)
	kdb=$( (cd "$TREE" && for f in "${hfiles[@]}" "${cfiles[@]}"; do
		git show "base:$f" >/tmp/kd.$$ 2>/dev/null && scripts/kernel-doc -none -Wall /tmp/kd.$$ 2>&1 | sed "s|/tmp/kd.$$|$f|"
	done; rm -f /tmp/kd.$$) | norm_warnings || true)
	added=$(comm -23 <(printf '%s\n' "$kd") <(printf '%s\n' "$kdb") | grep . || true)
	if [ -n "$added" ]; then
		printf '%s\n' "$added" | sed 's/^/    new: /' >&2
		fail "checks: kernel-doc on touched files" "$(printf '%s\n' "$added" | wc -l) new warning(s)"
	else
		ok "checks: kernel-doc on $((${#hfiles[@]} + ${#cfiles[@]})) touched files: nothing new"
	fi
fi

((failed == 0))
