#!/bin/bash
# Every capture in captures/ has an expected JSON report in
# captures/expected/NAME.json; ftpstall's report must equal it (the
# "version" member aside). With --update, rewrites the expected files
# instead (review the diff before committing it).
set -u -o pipefail

ftpstall=$(realpath "$1")
captures=$(realpath "$2")
update=${3:-}
work=$(mktemp -d /tmp/ftpstall-goldens.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0
checked=0

strip_version() {
	grep -v '^  "version": '
}

# A capture with a key log beside it (NAME.keys) is checked twice: without
# keys against NAME.json, and decrypted against NAME.decrypted.json.
runs=()
for pcap in "$captures"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	runs+=("$name:$name.json:")
	if [[ -f $captures/$name.keys ]]; then
		runs+=("$name:$name.decrypted.json:--tls-keylog=$name.keys")
	fi
done

for run in "${runs[@]}"; do
	IFS=: read -r name golden keylog <<<"$run"
	expected="$captures/expected/$golden"
	# Run from the captures folder so "source" is the bare file name.
	if ! (cd "$captures" && "$ftpstall" analyze -f json ${keylog:+"$keylog"} "$name.pcap") >"$work/out.json" 2>"$work/err"; then
		echo "FAIL: $name: ftpstall exited non-zero: $(cat "$work/err")"
		failures=$((failures + 1))
		continue
	fi
	if [[ $update == --update ]]; then
		mkdir -p "$captures/expected"
		strip_version <"$work/out.json" >"$expected"
		echo "updated $expected"
		continue
	fi
	if [[ ! -f $expected ]]; then
		echo "FAIL: $name: no expected report $expected"
		failures=$((failures + 1))
		continue
	fi
	if ! strip_version <"$work/out.json" | diff -u "$expected" - >"$work/diff"; then
		echo "FAIL: $name${keylog:+ $keylog}: report differs from $expected:"
		head -40 "$work/diff"
		failures=$((failures + 1))
	fi
	checked=$((checked + 1))
done
if ((failures)); then
	exit 1
fi
echo "PASS: test_goldens ($checked captures)"
