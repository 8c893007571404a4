#!/bin/bash
# test_path.sh FTPSTALL — replays every scenario of captures/path/ across
# a real NAT router (captures/path/make-path.sh --out, which builds the
# client, router and server namespaces of tests/path/path.sh) and checks
# that ftpstall's verdict on each fresh capture, at the client and at the
# server, is the one the stored capture's expected report holds
# (captures/path/expected/NAME.POINT.json), and that `ftpstall correlate`
# of each fresh pair says what it says of the stored one: the stored
# captures still say what a real path does today.
#
# Exit 0 on success, 1 on a mismatch or a failed scenario, 77 (skipped,
# saying why) where the path cannot be built: not root, a tool missing,
# network namespaces not allowed.
set -u -o pipefail

ftpstall=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
expected=$top/captures/path/expected
work=$(mktemp -d /tmp/ftpstall-pathtest.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

FTPSTALL=$ftpstall "$top/captures/path/make-path.sh" --out "$work" >"$work/make.log" 2>&1
rc=$?
if ((rc == 77)); then
	grep 'cannot build the path' "$work/make.log" | sed 's/^make-path: /SKIP: /'
	exit 77
fi
if ((rc != 0)); then
	echo "FAIL: make-path.sh exited $rc:"
	grep -v 'packets \|listening on' "$work/make.log" | tail -40
	exit 1
fi

failures=0
checked=0
# verdict FILE — the number of sessions of a JSON report and each one's
# verdict, with close.by for an incident (who sends the last FIN after a
# clean QUIT is a race).
verdict() {
	python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
s = j["sessions"]
def one(x):
    k = x["verdict"]["kind"]
    return k if k in ("clean", "incomplete") else k + "/" + x["close"]["by"]
print(len(s), " ".join(one(x) for x in s))' "$1"
}
for pcap in "$work"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	if [[ ! -f $expected/$name.json ]]; then
		echo "FAIL: $name: no expected report $expected/$name.json"
		failures=$((failures + 1))
		continue
	fi
	if ! "$ftpstall" analyze -f json "$pcap" >"$work/$name.json" 2>"$work/$name.err"; then
		echo "FAIL: $name: ftpstall exited non-zero: $(cat "$work/$name.err")"
		failures=$((failures + 1))
		continue
	fi
	want=$(verdict "$expected/$name.json")
	got=$(verdict "$work/$name.json")
	if [[ $want != "$got" ]]; then
		echo "FAIL: $name: sessions and verdict/close '$got', the stored capture's '$want'"
		failures=$((failures + 1))
	else
		echo "ok: $name: $got"
	fi
	checked=$((checked + 1))
done
# Both points of each fresh scenario through `ftpstall correlate`: each
# session's combined verdict, and which of path.lost, path.injected and
# path.rewritten hold anything, as for the stored pair
# (expected/NAME.correlate.json).
correlated() {
	python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(" ".join(s["verdict"]["kind"] + ":" + ",".join(k for k in ("lost", "injected", "rewritten")
                if s["path"][k]) for s in j["sessions"]))' "$1"
}
for pcap in "$work"/*.client.pcap; do
	name=$(basename "$pcap" .client.pcap)
	[[ -f $expected/$name.correlate.json ]] || continue
	if ! "$ftpstall" correlate -f json "$pcap" "$work/$name.server.pcap" >"$work/$name.corr.json" \
		2>"$work/$name.corr.err"; then
		echo "FAIL: $name: ftpstall correlate exited non-zero: $(cat "$work/$name.corr.err")"
		failures=$((failures + 1))
		continue
	fi
	want=$(correlated "$expected/$name.correlate.json")
	got=$(correlated "$work/$name.corr.json")
	if [[ $want != "$got" ]]; then
		echo "FAIL: $name: correlate says '$got', the stored pair '$want'"
		failures=$((failures + 1))
	else
		echo "ok: $name correlated: $got"
	fi
done
if ((checked == 0)); then
	echo "FAIL: make-path.sh made no capture"
	exit 1
fi
((failures == 0)) || exit 1
echo "PASS: test_path ($checked captures)"
