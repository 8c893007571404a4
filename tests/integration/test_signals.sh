#!/bin/bash
# test_signals.sh FTPSTALL GEN_CAPTURE — Ctrl-C during `ftpstall analyze`
# of files.
#
# GEN_CAPTURE (tests/bench/gen_capture.c, built with the tests) writes a
# capture of 2000 sessions, 130 MB, every third one an idle timeout, so
# reading it and extracting the incidents each take a while. Each case
# starts `analyze -o OUT --write-incidents INC big.pcap`, waits for a
# sign that it got that far (/proc/PID/io rchar past 20 MB while reading;
# the --write-incidents temporary file appearing while extracting), sends
# the signal, and measures how long the process takes to exit.
#   1. SIGINT while reading: exit 130 within 0.5 s; no OUT, no INC, no
#      temporary file left; "interrupted" on stderr.
#   2. the same with SIGTERM, and OUT and INC existing before: both left
#      byte for byte as they were.
#   3. SIGINT while extracting the incidents (the report is complete by
#      then): exit 130 within 0.5 s, nothing renamed into place.
#   4. --partial -f json: exit 130 and a JSON report with "interrupted":
#      bytes_read below bytes_total, bytes_total the file's size; no INC.
#   5. --partial (text): the report starts "INCOMPLETE: interrupted after
#      N of M bytes".
#   6. no signal: exit 0, OUT and INC written (the run the cases cut short).
#
# Exit 0 pass, 1 fail. About 15 s.

set -u -o pipefail
ftpstall=$1 gen=$2
work=$(mktemp -d /tmp/ftpstall-signals.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0
LATENCY_MAX_MS=500

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
ok() { echo "ok: $*"; }
expect() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

big=$work/big.pcap
nice "$gen" --sessions 2000 --concurrency 50 --bytes-per-session 60000 --timeout-every 3 \
	--seed 1 -o "$big" >/dev/null 2>&1 || {
	echo "FAIL: $gen could not write $big"
	exit 1
}
size=$(stat -c %s "$big")
echo "capture: $size bytes"

# rchar PID — bytes the process has read so far (0 once it is gone).
rchar() {
	sed -n 's/^rchar: //p' "/proc/$1/io" 2>/dev/null || echo 0
}

# leftovers — the files in $work/out other than those named.
leftovers() {
	(cd "$work/out" && ls -A) | grep -v -x -F -e keep-out -e keep-inc || true
}

# run_and_signal SIGNAL WAIT_FOR ARGS... — starts analyze ARGS in
# $work/out, waits until WAIT_FOR ("reading": rchar past 20 MB;
# "extracting": an inc.pcap.tmp.* file exists), sends SIGNAL and waits for
# the exit. Sets RC and LATENCY_MS (-1 when the sign never came: the run
# ended first, or 60 s passed).
run_and_signal() {
	local sig=$1 sign=$2 pid t0 t1 deadline read_so_far
	shift 2
	"$ftpstall" analyze "$@" >"$work/stdout" 2>"$work/stderr" &
	pid=$!
	deadline=$((SECONDS + 60))
	LATENCY_MS=-1
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
		if [[ $sign == reading ]] && (($(rchar "$pid") > 20000000)); then
			break
		fi
		if [[ $sign == extracting ]] && compgen -G "$work/out/inc.pcap.tmp.*" >/dev/null; then
			break
		fi
		sleep 0.005
	done
	read_so_far=$(rchar "$pid")
	t0=$EPOCHREALTIME
	if kill "-$sig" "$pid" 2>/dev/null; then
		wait "$pid"
		RC=$?
		t1=$EPOCHREALTIME
		LATENCY_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
		echo "  $sig while $sign (read $read_so_far B): exit $RC after $LATENCY_MS ms"
	else
		wait "$pid"
		RC=$?
		echo "  the run ended (exit $RC) before it was $sign"
	fi
}

# check_stopped WHAT — exit 130 within the bound, and nothing left behind.
check_stopped() {
	expect "$1: exit status 130 (got $RC)" test "$RC" = 130
	expect "$1: exited within $LATENCY_MAX_MS ms of the signal ($LATENCY_MS ms)" \
		test "$LATENCY_MS" -ge 0 -a "$LATENCY_MS" -le "$LATENCY_MAX_MS"
	expect "$1: no report, incidents or temporary file left ($(leftovers | tr '\n' ' '))" \
		test -z "$(leftovers)"
	expect "$1: 'interrupted' on stderr" grep -q 'interrupted' "$work/stderr"
}

fresh() {
	rm -rf "$work/out"
	mkdir "$work/out"
}

echo "== 1. SIGINT while reading"
fresh
run_and_signal INT reading -o "$work/out/out.txt" --write-incidents "$work/out/inc.pcap" "$big"
check_stopped "SIGINT while reading"

echo "== 2. SIGTERM while reading, with the files there before"
fresh
echo "an earlier report" >"$work/out/keep-out"
echo "an earlier extract" >"$work/out/keep-inc"
cp -p "$work/out/keep-out" "$work/out/out.txt"
cp -p "$work/out/keep-inc" "$work/out/inc.pcap"
run_and_signal TERM reading -o "$work/out/out.txt" --write-incidents "$work/out/inc.pcap" "$big"
expect "SIGTERM: exit status 130 (got $RC)" test "$RC" = 130
expect "SIGTERM: exited within $LATENCY_MAX_MS ms ($LATENCY_MS ms)" \
	test "$LATENCY_MS" -ge 0 -a "$LATENCY_MS" -le "$LATENCY_MAX_MS"
expect "the earlier report is untouched" cmp -s "$work/out/keep-out" "$work/out/out.txt"
expect "the earlier extract is untouched" cmp -s "$work/out/keep-inc" "$work/out/inc.pcap"
expect "no temporary file left" \
	test -z "$(leftovers | grep -v -x -e out.txt -e inc.pcap)"

echo "== 3. SIGINT while extracting the incidents"
fresh
echo "an earlier report" >"$work/out/keep-out"
cp -p "$work/out/keep-out" "$work/out/out.txt"
run_and_signal INT extracting -o "$work/out/out.txt" --write-incidents "$work/out/inc.pcap" "$big"
expect "while extracting: exit status 130 (got $RC)" test "$RC" = 130
expect "while extracting: exited within $LATENCY_MAX_MS ms ($LATENCY_MS ms)" \
	test "$LATENCY_MS" -ge 0 -a "$LATENCY_MS" -le "$LATENCY_MAX_MS"
expect "while extracting: the earlier report is untouched" \
	cmp -s "$work/out/keep-out" "$work/out/out.txt"
expect "while extracting: no extract or temporary file ($(leftovers | tr '\n' ' '))" \
	test -z "$(leftovers | grep -v -x out.txt)"

echo "== 4. --partial -f json"
fresh
run_and_signal INT reading --partial -f json -o "$work/out/out.json" \
	--write-incidents "$work/out/inc.pcap" "$big"
expect "--partial: exit status 130 (got $RC)" test "$RC" = 130
expect "--partial: only the report is there ($(leftovers | tr '\n' ' '))" \
	test "$(leftovers)" = out.json
if python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/out/out.json" 2>/dev/null; then
	interrupted=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
i = j["interrupted"]
print(i["bytes_read"], i["bytes_total"], len(j["sessions"]))' "$work/out/out.json")
	read -r n m sessions <<<"$interrupted"
	echo "  interrupted after $n of $m bytes, $sessions sessions reported"
	expect "--partial: bytes_total is the file's size" test "$m" = "$size"
	expect "--partial: 0 < bytes_read < bytes_total" test "$n" -gt 0 -a "$n" -lt "$m"
	expect "--partial: some sessions, not all 2000" test "$sessions" -gt 0 -a "$sessions" -lt 2000
else
	fail "--partial: the report is not JSON"
	head -c 400 "$work/out/out.json" 2>/dev/null
fi
expect "--partial: stderr says the extract was not written" \
	grep -q 'inc.pcap not written' "$work/stderr"

echo "== 5. --partial, text"
fresh
run_and_signal INT reading --partial -o "$work/out/out.txt" "$big"
expect "--partial text: exit status 130 (got $RC)" test "$RC" = 130
first=$(head -n 1 "$work/out/out.txt" 2>/dev/null)
echo "  first line: $first"
expect "--partial text: the first line says how far it got" \
	grep -qE "^INCOMPLETE: interrupted after [0-9]+ of $size bytes" <<<"$first"

echo "== 6. no signal"
fresh
"$ftpstall" analyze -o "$work/out/out.txt" --write-incidents "$work/out/inc.pcap" "$big" \
	2>"$work/stderr"
RC=$?
expect "uninterrupted: exit status 0 (got $RC)" test "$RC" = 0
expect "uninterrupted: report and extract written" \
	test -s "$work/out/out.txt" -a -s "$work/out/inc.pcap"
expect "uninterrupted: the report is not marked" \
	test "$(grep -c INCOMPLETE "$work/out/out.txt")" = 0

if ((failures)); then
	echo "FAIL: $failures check(s) failed"
	exit 1
fi
echo "PASS"
