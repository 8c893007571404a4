#!/bin/bash
# test_watch_json_stdout.sh FTPSTALL PCAP — `watch --no-tui` in its JSON
# modes keeps standard output to JSON: with -f jsonl every line of it is
# a JSON object (the event lines) and the final report goes to standard
# error; with -f ecs every line is an ECS document, one per session. Once
# watch printed the final text report on standard output after the JSON
# lines, which broke every consumer reading JSON Lines.
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

# Each line of FILE a JSON object; prints their count.
json_lines() {
	python3 - "$1" <<'PY'
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if not isinstance(json.loads(line), dict):
        sys.exit(f"line {i} is no JSON object")
    n += 1
print(n)
PY
}

for format in jsonl ecs; do
	rc=0
	timeout 60 "$ftpstall" watch --no-tui --speed 0 -f "$format" -r "$pcap" \
		>"$work/out" 2>"$work/err" || rc=$?
	((rc == 0)) || fail "-f $format: watch exited $rc: $(head -c 300 "$work/err")"
	if ! lines=$(json_lines "$work/out" 2>"$work/why"); then
		fail "-f $format: standard output is not JSON lines only: $(cat "$work/why")"
		tail -n 5 "$work/out"
	elif ((lines == 0)); then
		fail "-f $format: no JSON line at all"
	fi
done
# -f jsonl: the final report still reaches the person, on standard error.
timeout 60 "$ftpstall" watch --no-tui --speed 0 -f jsonl -r "$pcap" >/dev/null 2>"$work/err"
grep -q "^ftpstall: [0-9]* FTP session" "$work/err" ||
	fail "-f jsonl: no final report on standard error"

((failures == 0)) || exit 1
echo "PASS"
