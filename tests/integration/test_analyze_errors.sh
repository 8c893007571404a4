#!/bin/bash
# Bad input to `ftpstall analyze`: a missing file, an empty file, a text
# file, a directory and an unsupported link type each give one line on
# stderr naming the file and the reason, and exit status 2; a capture
# cut in the middle of a record reports what it read, warns, exits 0.
set -u -o pipefail

ftpstall=$1
seed=$2
work=$(mktemp -d /tmp/ftpstall-errors.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect_error FILE PATTERN: exit 2, nothing on stdout, one stderr line
# that names FILE and matches PATTERN.
expect_error() {
	local file=$1 pattern=$2 rc=0

	"$ftpstall" analyze "$file" >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == 2 ]] || fail "$file: exit status $rc, expected 2"
	[[ ! -s $work/out ]] || fail "$file: wrote to stdout: $(head -c 200 "$work/out")"
	[[ $(wc -l <"$work/err") == 1 ]] || fail "$file: expected one stderr line, got: $(cat "$work/err")"
	grep -qF -- "$file" "$work/err" || fail "$file: error does not name the file: $(cat "$work/err")"
	grep -qE -- "$pattern" "$work/err" || fail "$file: error '$(cat "$work/err")' does not match '$pattern'"
}

expect_error "$work/missing.pcap" 'No such file'
: >"$work/empty.pcap"
expect_error "$work/empty.pcap" 'empty file'
printf 'this is not a capture\n' >"$work/notes.txt"
expect_error "$work/notes.txt" 'not a pcap or pcapng'
mkdir "$work/dir.pcap"
expect_error "$work/dir.pcap" 'directory'
# A classic pcap header (little-endian, v2.4) with link type 147 (USER0).
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x93\x00\x00\x00' >"$work/user0.pcap"
expect_error "$work/user0.pcap" 'unsupported link type .*147'

# Cut the seed capture in the middle of its 20th record.
size=$(stat -c %s "$seed")
head -c $((size / 2 + 7)) "$seed" >"$work/cut.pcap"
rc=0
"$ftpstall" analyze "$work/cut.pcap" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || fail "truncated capture: exit status $rc, expected 0"
grep -q '^capture: ' "$work/out" || fail "truncated capture: no report on stdout"
grep -qE "warning: .*cut.pcap: truncated dump file.*stopped after [0-9]+ records" "$work/err" ||
	fail "truncated capture: no warning naming the file: $(cat "$work/err")"

# Usage errors exit 2 with a hint.
rc=0
"$ftpstall" analyze --no-such-option >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 2 ]] && grep -q "unknown option '--no-such-option'" "$work/err" ||
	fail "unknown option: status $rc, stderr $(cat "$work/err")"
rc=0
"$ftpstall" --bogus >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 2 ]] && grep -q "ftpstall --help" "$work/err" || fail "unknown global option: status $rc"
rc=0
"$ftpstall" analyze >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 2 ]] && grep -q "no capture file given" "$work/err" || fail "no file: status $rc"

if ((failures)); then
	exit 1
fi
echo "PASS: test_analyze_errors"
