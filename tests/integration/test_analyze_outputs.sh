#!/bin/bash
# analyze's outputs on the bundled captures: every format succeeds and
# never shows a password; --exit-code; -o writes atomically, replaces a
# symlink's target (the link stays), and refuses to overwrite an input;
# --write-incidents extracts exactly the incident sessions' packets.
set -u -o pipefail

ftpstall=$(realpath "$1")
captures=$(realpath "$2")
work=$(mktemp -d /tmp/ftpstall-outputs.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The passwords the capture scripts typed (see captures/README.md).
passwords=(backup@example.org sample-secret@example.org)

for pcap in "$captures"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	for format in text json jsonl md html; do
		out="$work/$name.$format"
		if ! "$ftpstall" analyze -f "$format" "$pcap" >"$out" 2>"$work/err"; then
			fail "$name -f $format: exit status $?: $(cat "$work/err")"
		fi
		[[ ! -s $work/err ]] || fail "$name -f $format wrote to stderr: $(cat "$work/err")"
		for secret in "${passwords[@]}"; do
			! grep -qF "$secret" "$out" || fail "$name -f $format shows a password"
		done
	done
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/$name.json" ||
		fail "$name: JSON does not parse"
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$work/$name.jsonl" ||
		fail "$name: JSON Lines do not parse"
done

# --exit-code: 1 with an incident, 0 without.
rc=0
"$ftpstall" analyze --exit-code "$captures/idle-timeout-421-reset.pcap" >/dev/null || rc=$?
[[ $rc == 1 ]] || fail "--exit-code on an incident: status $rc, expected 1"
rc=0
"$ftpstall" analyze --exit-code "$captures/clean-session.pcap" >/dev/null || rc=$?
[[ $rc == 0 ]] || fail "--exit-code on a clean session: status $rc, expected 0"

# -o: the same bytes as standard output, no temporary file left.
"$ftpstall" analyze -f json -o "$work/report.json" "$captures/clean-session.pcap" ||
	fail "-o: exit status $?"
"$ftpstall" analyze -f json "$captures/clean-session.pcap" | cmp -s - "$work/report.json" ||
	fail "-o: the file differs from standard output"
ls "$work"/report.json.tmp.* >/dev/null 2>&1 && fail "-o left a temporary file"

# -o over a symlink replaces its target; the link stays (more cases in
# test_output_files.sh).
echo "old" >"$work/target.txt"
ln -s "$work/target.txt" "$work/link.txt"
"$ftpstall" analyze -o "$work/link.txt" "$captures/clean-session.pcap" || fail "-o over a symlink: status $?"
"$ftpstall" analyze "$captures/clean-session.pcap" | cmp -s - "$work/target.txt" ||
	fail "-o did not write the symlink's target"
[[ -L $work/link.txt ]] || fail "-o replaced the symlink itself"

# -o onto an input capture is refused.
cp "$captures/clean-session.pcap" "$work/input.pcap"
rc=0
"$ftpstall" analyze -o "$work/input.pcap" "$work/input.pcap" >/dev/null 2>"$work/err" || rc=$?
[[ $rc == 2 ]] && grep -q "is one of the input captures" "$work/err" ||
	fail "-o onto the input: status $rc, stderr $(cat "$work/err")"
cmp -s "$captures/clean-session.pcap" "$work/input.pcap" || fail "-o overwrote the input capture"

# --write-incidents: reconnect-resume has an incident (session 1: its
# control connection and two data connections) and a clean session 2.
"$ftpstall" analyze --write-incidents "$work/incidents.pcap" "$captures/reconnect-resume.pcap" >/dev/null ||
	fail "--write-incidents: status $?"
flows=$(tshark -r "$work/incidents.pcap" -q -z conv,tcp 2>/dev/null | grep -c '<->')
[[ $flows == 3 ]] || fail "--write-incidents: $flows TCP connections in the extract, expected 3"
"$ftpstall" analyze -f json "$work/incidents.pcap" >"$work/incidents.json" ||
	fail "analyzing the extract: status $?"
python3 - "$work/incidents.json" <<'PY' || fail "--write-incidents: the extract does not hold exactly the incident session"
import json, sys
d = json.load(open(sys.argv[1]))
kinds = [s["verdict"]["kind"] for s in d["sessions"]]
assert kinds == ["data_timeout"], kinds
PY

if ((failures)); then
	exit 1
fi
echo "PASS: test_analyze_outputs"
