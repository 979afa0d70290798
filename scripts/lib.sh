# shellcheck shell=bash
# Common settings and helpers for the harness scripts.  Sourced, not run.
set -Eeuo pipefail
# No script stops without saying where and why.
trap 'echo "ERROR: ${BASH_SOURCE[0]##*/}:$LINENO: command failed (exit $?): $BASH_COMMAND" >&2' ERR

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$TOP/work}
TREE=${TREE:-$WORK/linux}
BUILD=${BUILD:-$WORK/build}
OUT=${OUT:-$WORK/out}
# Absolute: make -C "$TREE" would take a relative O= from the tree.
WORK=$(realpath -m "$WORK") TREE=$(realpath -m "$TREE")
BUILD=$(realpath -m "$BUILD") OUT=$(realpath -m "$OUT")
mkdir -p "$WORK"
JOBS=${JOBS:-$(nproc)}
# Debian's tools first: checkpatch runs python3 with the packaged python3-ply,
# which a python3 earlier in PATH (pyenv, a venv) would not see.
export PATH=/usr/bin:/bin:$PATH
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths under the project go into ccache's hash relative to the build
# directory, so that a clone elsewhere (CI's) hits what this one compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
# Depend mode: on a miss, ccache takes the list of headers from the
# dependency file the compiler writes anyway (Kbuild passes -Wp,-MMD)
# instead of running the preprocessor a second time to hash its output.
# Measured on 40 objects of mm/ and kernel/ of the bisect kernel, empty
# cache: ccache 31-36 s, ccache in depend mode 21-22 s (gcc alone 25-26 s);
# hits take the same 0.7 s, and the entries of either mode hit in the other.
# A cold run is mostly misses: the bisect's header states and the kernel.
export CCACHE_DEPEND=${CCACHE_DEPEND:-1}
# shellcheck source=../config/base
. "$TOP/config/base"
IDENTITY=$(cat "$TOP/config/identity")
IDENT_NAME=${IDENTITY% <*}
IDENT_EMAIL=${IDENTITY##*<}
IDENT_EMAIL=${IDENT_EMAIL%>}

# Git as the harness runs it, in every script: without the user's or the
# system's configuration (am.messageid, apply.whitespace=fix,
# commit.gpgsign, core.autocrlf, a global hooks directory... would change
# or break the commits it makes), without hooks, and as the project
# identity.  Variables of an enclosing git (a hook running make test) go
# too.  am takes the author from each patch, never from GIT_AUTHOR_*.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
# No automatic gc either: git am and commit start a "git gc --auto" that
# detaches and inherits the harness lock (fd 9), so that the next make
# (make run: tree, then kernel) found work/.lock held by a dead run.
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=core.hooksPath GIT_CONFIG_VALUE_0=/dev/null
export GIT_CONFIG_KEY_1=gc.auto GIT_CONFIG_VALUE_1=0
unset GIT_CONFIG_PARAMETERS GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY \
	GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_NAMESPACE GIT_AUTHOR_DATE GIT_COMMITTER_DATE
export GIT_AUTHOR_NAME=$IDENT_NAME GIT_AUTHOR_EMAIL=$IDENT_EMAIL
export GIT_COMMITTER_NAME=$IDENT_NAME GIT_COMMITTER_EMAIL=$IDENT_EMAIL

# The suite lists in tests/ (name, time limit, command): the main boot runs
# suites, the boot with shadow paging suites-shadow, the boot on
# single-threaded TCG suites-tcg-single, the boot with 3 vCPUs suites-smp3
# (scripts/test.sh); make stress boots two kernels with suites-stress
# (scripts/stress.sh).
SUITE_LISTS=(suites suites-shadow suites-tcg-single suites-smp3 suites-stress)

step() { printf '\n==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Stop before a long step when the disk of work/ cannot hold what it
# writes: a disk that fills halfway fails a copy or a git command deep in
# a step, far from the cause.  $1: GiB the step may still write; $2: what.
need_space() {
	local want=$1 what=$2 free
	free=$(df -Pk "$WORK" | awk 'NR == 2 { print int($4 / 1048576) }')
	[ "$free" -ge "$want" ] && return
	printf 'ERROR: %s\n' "$what needs about $want GiB free on the disk of ${WORK}, which has $free GiB:
  free some space (make clean or make distclean in checkouts you no longer use,
  old clones, ccache -C), or set WORK to a directory on a larger disk" >&2
	return 1
}

# The patches of the series, in order, without the cover letter.
series_patches() {
	find "$TOP/patches" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-cover-letter.patch' | LC_ALL=C sort
}

# Background jobs of a script (run_logged's build, boot.sh's QEMU) run in a
# process group of their own (bg_start), so that one kill reaches make and
# every compiler under it; a background job of a non-interactive shell
# ignores SIGINT, so Ctrl-C would leave it running.  On INT or TERM the
# script kills them and stops.
BG_PIDS=()
# CMD...: start CMD (a program or a shell function) in its own process
# group, its pid in BG_PID.  With job control on (set -m), the background
# job gets its own group and keeps SIGINT, which a non-interactive shell's
# background jobs otherwise ignore; setsid could not run a function (kmake).
bg_start() {
	set -m
	"$@" &
	BG_PID=$!
	set +m
	BG_PIDS+=("$BG_PID")
}
bg_kill() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || true
	done
}
trap 'bg_kill; echo "ERROR: ${0##*/}: interrupted" >&2; exit 130' INT
trap 'bg_kill; exit 143' TERM

# Run a long command with its output in a log; print a progress line every
# 30 s (the log's last line) and the elapsed time at the end.
run_logged() {
	local log=$1 label=$2
	shift 2
	local t0=$SECONDS rc=0
	bg_start "$@" >"$log" 2>&1
	local pid=$BG_PID
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if (((SECONDS - t0) % 30 < 2)) && ((SECONDS - t0 >= 30)); then
			info "[$label $((SECONDS - t0))s] $(tail -n 1 "$log" | cut -c1-100)"
			sleep 1
		fi
	done
	wait "$pid" || rc=$?
	info "[$label] finished in $((SECONDS - t0))s (log: ${log#"$TOP"/})"
	return "$rc"
}

# One run at a time in a checkout: two would race on work/linux (git am),
# the worktrees and the build directories.  The first script of a run takes
# work/.lock (flock, held until the run ends, by its children too) and
# names itself in work/.lock.owner; a second run stops and names it.
# Scripts started by a locked run (HARNESS_LOCK) run under its lock.
take_lock() {
	[ "${HARNESS_LOCK:-}" = "$WORK" ] && return 0
	exec 9>>"$WORK/.lock"
	if ! flock -n 9; then
		die "another run of the harness holds ${WORK#"$TOP"/}/.lock in this checkout:
  $(cat "$WORK/.lock.owner" 2>/dev/null || echo "(no owner recorded)")
Wait for it to finish, or stop it (kill the pid above)."
	fi
	export HARNESS_LOCK=$WORK
	printf 'pid %d, %s, started %s by %s\n' "$$" \
		"$(tr '\0' ' ' </proc/$PPID/cmdline 2>/dev/null | sed 's/ $//') > ${0##*/} $*" \
		"$(date -u '+%F %T UTC')" "$(id -un)" >"$WORK/.lock.owner"
}
[ "${NO_LOCK:-0}" = 1 ] || take_lock "$@"

# format-patch in the project's stable form, independent of the user's git
# configuration: series_format OUTDIR [REVS]
series_format() {
	git -C "$TREE" -c core.abbrev=12 format-patch -q --zero-commit --no-signature \
		--no-base --numbered --no-thread --diff-algorithm=myers \
		--subject-prefix=PATCH --no-notes --no-renames -o "$1" "${2:-base..HEAD}"
}

# One key per patch file, in order: its text without the series position
# ([PATCH k/n]), so that a patch compares equal wherever it stands.
# The keys of the patches work/linux and patches/ last agreed on (written by
# 'make tree' and 'make export'): a difference from them is an edit made on
# one side since, not work the other side never saw.
KEYS_FILE=$WORK/series.keys
known_keys() { cat "$KEYS_FILE" 2>/dev/null || true; }

patch_keys() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		# unfold the mail headers (a longer [PATCH k/n] folds the subject)
		awk 'h && /^$/ { h = 0 } h && /^[ \t]/ { line = line $0; next }
			NR > 1 { print line } { line = $0 } END { print line }' h=1 "$f" |
			sed -e 's/^Subject: \[PATCH [0-9]*\/[0-9]*\] /Subject: /' | sha1sum | cut -d' ' -f1
	done
}

# norm_warnings: the warning and error lines of a build, sorted, without
# line and column numbers (so that moved code compares equal) and without the
# tree's path, however it is spelled: relative (../linux/), this checkout's,
# or another checkout's.  ccache (CCACHE_BASEDIR) hands back the
# warnings of a compile done in another clone of the project with that
# clone's absolute paths in them.
norm_warnings() {
	{ grep -E ': (warning|error):' || true; } | sed -E -e "s|$TREE/||; s|$WORK/base-tree/||" \
		-e "s#^(\.\./)+(${TREE##*/}|base-tree)/##" \
		-e "s#^/[^:]*/${WORK##*/}/(${TREE##*/}|base-tree)/##" \
		-e 's/:[0-9]+(:[0-9]+)?:/:/' | LC_ALL=C sort
}

# initramfs_root DIR: a fresh initramfs tree in DIR with busybox and the
# guest's /init (tests/guest/init); the caller adds tests/ and its lists.
initramfs_root() {
	rm -rf "$1"
	mkdir -p "$1"/{bin,dev,proc,sys,tmp,tests}
	cp /bin/busybox "$1/bin/busybox"
	cp "$TOP/tests/guest/init" "$1/init"
}

# initramfs_pack DIR FILE: DIR as a gzipped newc cpio archive, in a stable
# order (the same tree gives the same bytes).
initramfs_pack() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$2"
}

# The two trees of make bench and make loop, in work/bench: base-tree is
# base + the series' instrumentation patch (the test_hmm counters) and its
# userptr models (acting on every invalidation, as before the helper), the
# series is work/linux; bench.config is the test kernel's config without
# lockdep, DEBUG_VM and the other checks that would weigh on timings, and
# without KUnit (the base has no suite of ours).  Sets B, bt and frag.
# bench_apply SUBJECT: apply the patch of work/linux with that subject to the
# bench's base tree $bt.
bench_apply() {
	local c
	c=$(git -C "$TREE" log --format=%H --fixed-strings --grep="$1" base..HEAD | head -n 1)
	[ -n "$c" ] && [ "$(git -C "$TREE" log -1 --format=%s "$c")" = "$1" ] ||
		die "work/linux does not carry the patch '$1', which the bench counts with (run: make tree)"
	git -C "$TREE" diff "$c~" "$c" | git -C "$bt" apply --index ||
		die "'$1' does not apply to the bench's base tree: the bench needs it on both kernels"
}

# The test driver's patches the bench counts with, applied to the base in
# this order: its counters, the userptr models as they are before they ask
# the helper (they act on every invalidation, as the 6.12 GPU drivers do),
# the secondary-TLB subscriber (tests/bench/stlb-bench.c), and the listener
# that holds invalidations (tests/bench/inflight-bench.c).
BENCH_PATCHES=(
	'lib/test_hmm: count invalidations, dropped entries and device faults'
	'lib/test_hmm: model userptr listeners'
	'lib/test_hmm: add a secondary-TLB subscriber that counts what it is told'
	'lib/test_hmm: hold invalidations of a window, and count what device faults wait for'
)

bench_trees() {
	local subject
	B=$WORK/bench
	mkdir -p "$B"
	[ -d "$TREE/.git" ] || die "no work/linux (run: make tree)"
	step "Base tree: $BASE_PKG + the test driver's ${#BENCH_PATCHES[@]} bench patches only"
	bt=$B/base-tree
	if [ ! -d "$bt/.git" ] && [ ! -f "$bt/.git" ]; then
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$bt" base
	fi
	git -C "$bt" reset -q --hard base
	git -C "$bt" clean -q -fd
	for subject in "${BENCH_PATCHES[@]}"; do
		info "$subject"
		bench_apply "$subject"
	done
	frag=$B/bench.config
	grep -v -E 'KUNIT|PROVE_LOCKING|DEBUG_VM|DEBUG_ATOMIC_SLEEP|DEBUG_KERNEL|SOFTLOCKUP|HUNG_TASK' \
		"$TOP/config/test.config" >"$frag"
}
