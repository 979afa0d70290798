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

# The suite lists in tests/ (name, time limit, command): the main boot runs
# suites, the boot with shadow paging suites-shadow, the boot on
# single-threaded TCG suites-tcg-single, the boot with 3 vCPUs suites-smp3
# (scripts/test.sh).
SUITE_LISTS=(suites suites-shadow suites-tcg-single suites-smp3)

step() { printf '\n==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# The patches of the series, in order, without the cover letter.
series_patches() {
	find "$TOP/patches" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-cover-letter.patch' | LC_ALL=C sort
}

# Run a long command with its output in a log; print a progress line every
# 30 s (the log's last line) and the elapsed time at the end.
run_logged() {
	local log=$1 label=$2
	shift 2
	local t0=$SECONDS rc=0
	"$@" >"$log" 2>&1 &
	local pid=$!
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

# format-patch in the project's stable form, independent of the user's git
# configuration: series_format OUTDIR [REVS]
series_format() {
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$TREE" \
		-c core.abbrev=12 format-patch -q --zero-commit --no-signature \
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
