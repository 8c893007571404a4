#!/bin/bash
# test_listening_line.sh FTPSTALL — the start of a live capture says what
# it listens on, as tcpdump does: `analyze -i lo` and `watch --no-tui -i
# lo` print exactly one stderr line, "ftpstall analyze: listening on lo,
# link-type EN10MB (Ethernet), snapshot length 262144 bytes" (-s changes
# the length), in a network namespace of their own; capture files print
# no such line.
#
# Exit 0 pass, 1 fail, 77 skipped (not root, no network namespace).
# About 3 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
ftpstall=$1
seed=$2

skip() {
	echo "SKIPPED: $*"
	exit 77
}
[[ $(id -u) == 0 ]] || skip "needs root (network namespace, live capture)"
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
if ! missing=$(fst_need_cmds ip timeout); then
	skip "missing: $missing"
fi
work=$(mktemp -d /tmp/ftpstall-listening.XXXXXX) || exit 1
fst_on_exit rm -rf "$work"
fst_netns_create "fst-listen-$$" || skip "cannot create a network namespace"
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect_line NAME EXPECTED: $work/err is that one line.
expect_line() {
	[[ $(cat "$work/err") == "$2" ]] || fail "$1: stderr is '$(cat "$work/err")', expected '$2'"
}

rc=0
fst_ns timeout -k 2 10 "$ftpstall" analyze -i lo --duration 1 >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || fail "analyze -i lo: exit status $rc"
expect_line "analyze -i lo" \
	"ftpstall analyze: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes"
grep -q '^capture: ' "$work/out" || fail "analyze -i lo: no report"

rc=0
fst_ns timeout -k 2 10 "$ftpstall" analyze -i lo -s 1500 --duration 1 >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || fail "analyze -i lo -s 1500: exit status $rc"
expect_line "analyze -i lo -s 1500" \
	"ftpstall analyze: listening on lo, link-type EN10MB (Ethernet), snapshot length 1500 bytes"

# watch runs until a signal; SIGINT after a second ends it with the report.
rc=0
fst_ns timeout -k 2 -s INT 1 "$ftpstall" watch --no-tui -i lo >"$work/out" 2>"$work/err" </dev/null || rc=$?
[[ $rc == 0 || $rc == 124 ]] || fail "watch --no-tui -i lo: exit status $rc"
expect_line "watch --no-tui -i lo" \
	"ftpstall watch: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes"

"$ftpstall" analyze "$seed" >"$work/out" 2>"$work/err" || fail "analyze $seed failed"
[[ ! -s $work/err ]] || fail "analyze FILE: stderr '$(cat "$work/err")', expected nothing"

if ((failures)); then
	echo "$failures failure(s)"
	exit 1
fi
echo "PASS: test_listening_line"
