#!/bin/bash
# test_analyze_progress.sh FTPSTALL GEN_CAPTURE — the progress line of a
# long `analyze` on a terminal. On a capture of short sessions
# (gen_capture --short; as many as take about 2 s to analyse), in a
# private tmux pane:
#   - a line like "37.5% 75.2 MiB of 200.6 MiB, 98.1 MiB/s, 1 s left,
#     56000 sessions, 11000 incidents" appears on stderr while it runs;
#   - once it has ended, the line is gone from the screen and the shell's
#     prompt is back on a clean line; the report (stdout, to a file) is
#     the same as without a terminal;
# and, through script(1), which records every byte sent to the terminal:
#   - every progress line begins with "\r" and the last bytes are "\r"
#     and clear-to-end-of-line, at most ~5 lines a second;
#   - with --no-progress nothing at all is written to the terminal;
#   - with stderr redirected to a file nothing is written to it.
#
# Exit 0 pass, 1 fail, 77 skipped (no tmux or script).

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
ftpstall=$1
gen_capture=$2

skip() {
	echo "SKIPPED: $*"
	exit 77
}
for cmd in tmux script; do
	command -v "$cmd" >/dev/null || skip "no $cmd"
done
work=$(mktemp -d /tmp/ftpstall-progress.XXXXXX) || exit 1
# shellcheck source=SCRIPTDIR/tmux_lib.sh
. "$here/tmux_lib.sh"
trap 'fst_tmux_stop; rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Enough sessions for about 2 s of analysis on this machine and build
# (an ASan build is ten times slower): measured on 10,000 first.
capture=$work/many.pcap
"$gen_capture" -o "$capture" --short --sessions 10000 --concurrency 2000 >/dev/null ||
	fail "gen_capture failed"
start=$(date +%s%N)
"$ftpstall" analyze "$capture" >/dev/null 2>&1 || fail "analyze of 10,000 sessions failed"
small_ms=$((($(date +%s%N) - start) / 1000000 + 1))
sessions=$((10000 * 2000 / small_ms))
((sessions < 20000)) && sessions=20000
((sessions > 400000)) && sessions=400000
"$gen_capture" -o "$capture" --short --sessions "$sessions" --concurrency 2000 >/dev/null ||
	fail "gen_capture failed"

# Without a terminal: no progress on stderr (a file).
start=$(date +%s%N)
"$ftpstall" analyze "$capture" >"$work/plain.txt" 2>"$work/err" || fail "analyze (no terminal) failed"
took_ms=$((($(date +%s%N) - start) / 1000000))
[[ ! -s $work/err ]] || fail "stderr is a file, yet written: $(head -c 300 "$work/err" | od -c | head -5)"
echo "$sessions sessions: analysis took $took_ms ms"
((took_ms > 600)) || fail "the capture took only $took_ms ms: too short to see progress"

fst_tmux_start 120 10 || fail "tmux did not start"
fst_tmux_run "$(printf '%q ' "$ftpstall" analyze "$capture") > $work/tty.txt" "$work/exit"
fst_tmux_wait "MiB/s" 10 || fail "no progress line appeared: $(fst_tmux_capture)"
fst_tmux_capture | grep -qE '^ *[0-9]+\.[0-9]% [0-9.]+ MiB of [0-9.]+ MiB, [0-9.]+ MiB/s, [0-9]+ s left, [0-9]+ sessions?, [0-9]+ incidents?' ||
	fail "progress line: $(fst_tmux_capture | grep 'MiB/s')"
fst_tmux_wait_file "$work/exit" $((took_ms / 1000 * 3 + 10)) || fail "analyze did not end"
grep -qx 'EXIT=0' "$work/exit" || fail "analyze in tmux: $(cat "$work/exit")"
fst_tmux_wait_prompt 3 || fail "no prompt after analyze"
if fst_tmux_capture | grep -q 'MiB/s'; then
	fail "the progress line was not erased: $(fst_tmux_capture)"
fi
fst_tmux_capture | grep -qx 'fst-prompt\$ *' || fail "the prompt is not on a line of its own: $(fst_tmux_capture)"
cmp -s "$work/plain.txt" "$work/tty.txt" || fail "the report differs on a terminal"

# Every byte that reached the terminal.
script -qec "$(printf '%q ' "$ftpstall" analyze "$capture") >/dev/null" "$work/typescript" >/dev/null ||
	fail "script: analyze failed"
# script(1) frames the output with its own "Script started/done" lines.
sed -i '/^Script \(started\|done\)/d' "$work/typescript"
lines=$(tr -cd '\r' <"$work/typescript" | wc -c)
((lines >= 2)) || fail "script: only $lines carriage returns: $(od -c "$work/typescript" | head)"
# At most one line every 0.25 s (plus the erasing one).
((lines <= took_ms / 250 * 3 + 2)) || fail "script: $lines lines in about $took_ms ms: too many"
tail -c 5 "$work/typescript" | od -An -c | tr -s ' ' | grep -q '\\r 033 \[ K' ||
	fail "script: the output does not end by erasing the line: $(tail -c 40 "$work/typescript" | od -c)"
grep -q 'incidents' "$work/typescript" || fail "script: no progress line recorded"

script -qec "$(printf '%q ' "$ftpstall" analyze --no-progress "$capture") >/dev/null" "$work/typescript" >/dev/null ||
	fail "script: analyze --no-progress failed"
sed -i '/^Script \(started\|done\)/d' "$work/typescript"
# (script ends its framing with a newline of its own.)
[[ -z $(tr -d '\n' <"$work/typescript") ]] || fail "--no-progress wrote to the terminal: $(head -c 200 "$work/typescript" | od -c | head)"

if ((failures)); then
	echo "$failures failure(s)"
	exit 1
fi
echo "PASS: test_analyze_progress"
