#!/bin/bash
# `ftpstall analyze -r`, as tcpdump users type it: `-r FILE`, `-r A -r B`
# and `-r A B` read the same files as plain arguments and give the same
# report; -r with -i is a usage error (exit 2, one line).
set -u -o pipefail

ftpstall=$1
captures=$2
work=$(mktemp -d /tmp/ftpstall-read.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

a=$captures/idle-timeout-421-reset.pcap
b=$captures/reconnect-resume.pcap

# same_report NAME ARGS...: analyze ARGS gives the report of the plain
# arguments (in $work/plain), exit 0, nothing on stderr.
same_report() {
	local name=$1 rc=0
	shift
	"$ftpstall" analyze "$@" >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == 0 ]] || fail "$name: exit status $rc: $(cat "$work/err")"
	[[ ! -s $work/err ]] || fail "$name: stderr: $(cat "$work/err")"
	cmp -s "$work/plain" "$work/out" || fail "$name: report differs from the plain arguments': $(diff "$work/plain" "$work/out" | head -5)"
}

"$ftpstall" analyze "$a" >"$work/plain" 2>/dev/null || fail "analyze $a failed"
same_report "-r FILE" -r "$a"
same_report "--read FILE" --read "$a"
same_report "-f text -r FILE" -f text -r "$a"

"$ftpstall" analyze "$a" "$b" >"$work/plain" 2>/dev/null || fail "analyze $a $b failed"
grep -q 'sessions' "$work/plain" || fail "analyze $a $b: no report"
same_report "-r A -r B" -r "$a" -r "$b"
same_report "-r A B" -r "$a" "$b"
same_report "A -r B" "$a" -r "$b"

rc=0
"$ftpstall" analyze -r -i lo >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 2 ]] || fail "-r -i: exit status $rc, expected 2"
[[ $(wc -l <"$work/err") == 1 ]] && grep -q -- '-i and -r exclude each other' "$work/err" ||
	fail "-r -i: stderr: $(cat "$work/err")"
rc=0
"$ftpstall" analyze -r >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 2 ]] && grep -q 'no capture file given' "$work/err" ||
	fail "-r without a file: status $rc, stderr $(cat "$work/err")"

if ((failures)); then
	echo "$failures failure(s)"
	exit 1
fi
echo "ok"
