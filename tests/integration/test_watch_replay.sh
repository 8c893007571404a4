#!/bin/bash
# test_watch_replay.sh FTPSTALL PCAP — `ftpstall watch --no-tui -r PCAP`
# replayed at twice real time, the way a user replays a capture: watch
# refreshes its estimates (fst_analysis_finish) every 2 s of wall clock
# while packets keep coming, which is what the fuzzers and analyze never
# did. PCAP is a data timeout where the data connection keeps sending
# after the server's 421 and FIN, so gaps[] grows past a provisional
# verdict; a result that pointed into gaps[] was read after a realloc
# (an ASan build reported heap-use-after-free).
#
# Checks: exit 0, no sanitizer report, the provisional verdict line and
# the final report's verdict. About 11 s (the capture spans 22 s).
#
# Exit 0 pass, 1 fail.

set -u -o pipefail

ftpstall=${1:-}
pcap=${2:-}
[[ -x $ftpstall && -r $pcap ]] || {
	echo "usage: $0 FTPSTALL_BINARY PCAP" >&2
	exit 2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

rc=0
timeout 60 "$ftpstall" watch --no-tui --speed 2 -r "$pcap" >"$work/out" 2>"$work/err" || rc=$?
((rc == 0)) || fail "watch exited $rc"
if grep -q -E "AddressSanitizer|LeakSanitizer|runtime error:" "$work/err"; then
	fail "a sanitizer report:"
	head -n 30 "$work/err"
fi
grep -q "verdict data_timeout (provisional) stalled=client" "$work/out" ||
	fail "no provisional data_timeout line"
grep -q "^session 1: data_timeout (stalled: client)" "$work/out" ||
	fail "the final report does not say data_timeout (stalled: client)"
grep -q "decisive gap: data (transfer 1) idle 4.003 s" "$work/out" ||
	fail "the final report's decisive gap is not the 4.0 s data gap"

if ((failures)); then
	echo "--- stdout"
	cat "$work/out"
	exit 1
fi
echo "ok: watch replayed $(basename "$pcap") with estimate refreshes, verdict data_timeout"
