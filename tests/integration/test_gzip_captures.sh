#!/bin/bash
# test_gzip_captures.sh FTPSTALL CAPTURES_DIR — gzip-compressed captures,
# as `tcpdump -z gzip` leaves its rotated files, read directly:
#   - every captures/*.pcap gzipped gives the plain file's report byte for
#     byte (text and JSON) but for the file name, also named without .gz
#     and read from standard input; a pcapng gzipped too (editcap, when
#     present);
#   - a rotated set, one file gzipped and one not, gives the report of the
#     two plain files;
#   - a truncated .gz behaves as a truncated plain capture: the report of
#     what was read, one warning naming the file and the reason, exit 0;
#   - a corrupt .gz: a damaged header is one error line naming the file,
#     exit 2; damaged data at the end, a warning and exit 0.
set -u -o pipefail

ftpstall=$1
captures=$2
work=$(mktemp -d /tmp/ftpstall-gzip.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# report NAME OUT ARGS...: analyze ARGS > OUT, exit 0 and no stderr.
report() {
	local name=$1 out=$2 rc=0
	shift 2
	"$ftpstall" analyze "$@" >"$out" 2>"$work/err" || rc=$?
	[[ $rc == 0 ]] || fail "$name: exit status $rc: $(cat "$work/err")"
	[[ ! -s $work/err ]] || fail "$name: stderr: $(cat "$work/err")"
}

# same NAME A B: the files are equal.
same() {
	cmp -s "$2" "$3" || fail "$1: reports differ: $(diff "$2" "$3" | head -6)"
}

n=0
for pcap in "$captures"/*.pcap; do
	base=$(basename "$pcap")
	cp "$pcap" "$work/$base"
	gzip -c "$pcap" >"$work/$base.gz"
	cp "$work/$base.gz" "$work/zipped-$base"
	for format in text json; do
		report "$base" "$work/plain" -f "$format" "$work/$base"
		report "$base.gz" "$work/gz" -f "$format" "$work/$base.gz"
		sed -i "s|$work/$base.gz|$work/$base|g" "$work/gz"
		same "$base.gz -f $format" "$work/plain" "$work/gz"
		report "zipped-$base" "$work/gz" -f "$format" "$work/zipped-$base"
		sed -i "s|$work/zipped-$base|$work/$base|g" "$work/gz"
		same "zipped-$base (gzip without .gz) -f $format" "$work/plain" "$work/gz"
	done
	n=$((n + 1))
done
((n >= 5)) || fail "only $n captures in $captures"

seed=$captures/idle-timeout-421-reset.pcap
report "stdin plain" "$work/plain" - <"$seed"
report "stdin gzip" "$work/gz" - < <(gzip -c "$seed")
same "gzip on stdin" "$work/plain" "$work/gz"
grep -q 'idle_timeout' "$work/gz" || fail "gzip on stdin: no idle_timeout in the report"

if command -v editcap >/dev/null; then
	editcap -F pcapng "$seed" "$work/seed.pcapng" || fail "editcap -F pcapng failed"
	gzip -c "$work/seed.pcapng" >"$work/seed.pcapng.gz"
	report "pcapng" "$work/plain" -f json "$work/seed.pcapng"
	report "pcapng.gz" "$work/gz" -f json "$work/seed.pcapng.gz"
	sed -i "s|seed.pcapng.gz|seed.pcapng|g" "$work/gz"
	same "pcapng.gz" "$work/plain" "$work/gz"
else
	echo "note: no editcap; pcapng.gz not checked"
fi

# A rotated set: the older file gzipped by tcpdump -z, the newer still plain.
a=$captures/reconnect-resume.pcap
b=$captures/idle-timeout-421-reset.pcap
cp "$a" "$work/rot1"
cp "$b" "$work/rot2"
gzip -c "$a" >"$work/rot1.gz"
report "rotated plain" "$work/plain" -f json "$work/rot1" "$work/rot2"
report "rotated, one gzipped" "$work/gz" -f json "$work/rot1.gz" "$work/rot2"
sed -i "s|rot1.gz|rot1|g" "$work/gz"
same "rotated set, one gzipped" "$work/plain" "$work/gz"

# Truncated: half of the compressed seed.
gzip -c "$seed" >"$work/cut.pcap.gz"
size=$(stat -c %s "$work/cut.pcap.gz")
truncate -s $((size / 2)) "$work/cut.pcap.gz"
rc=0
"$ftpstall" analyze "$work/cut.pcap.gz" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || fail "truncated .gz: exit status $rc, expected 0"
grep -q '^capture: ' "$work/out" || fail "truncated .gz: no report on stdout"
[[ $(wc -l <"$work/err") == 1 ]] || fail "truncated .gz: expected one stderr line: $(cat "$work/err")"
grep -qE "warning: .*cut.pcap.gz: gzip data is truncated; stopped after [0-9]+ records" "$work/err" ||
	fail "truncated .gz: warning: $(cat "$work/err")"

# Corrupt header: the gzip magic, then an unknown compression method.
printf '\x1f\x8b\x07\x00\x00\x00\x00\x00\x00\x03garbage' >"$work/bad.pcap.gz"
rc=0
"$ftpstall" analyze "$work/bad.pcap.gz" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 2 ]] || fail "corrupt .gz header: exit status $rc, expected 2"
[[ ! -s $work/out ]] || fail "corrupt .gz header: wrote to stdout"
[[ $(wc -l <"$work/err") == 1 ]] && grep -q "bad.pcap.gz: corrupt gzip data" "$work/err" ||
	fail "corrupt .gz header: stderr: $(cat "$work/err")"

# Corrupt trailer: a wrong CRC-32; the data is all there.
gzip -c "$seed" >"$work/crc.pcap.gz"
size=$(stat -c %s "$work/crc.pcap.gz")
printf '\xde\xad\xbe\xef' | dd of="$work/crc.pcap.gz" bs=1 seek=$((size - 8)) conv=notrunc status=none
rc=0
"$ftpstall" analyze "$work/crc.pcap.gz" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 0 ]] || fail "corrupt .gz CRC: exit status $rc, expected 0"
grep -q 'idle_timeout' "$work/out" || fail "corrupt .gz CRC: the report lacks the session"
grep -q "crc.pcap.gz: corrupt gzip data (incorrect data check); stopped after" "$work/err" ||
	fail "corrupt .gz CRC: stderr: $(cat "$work/err")"

if ((failures)); then
	echo "$failures failure(s)"
	exit 1
fi
echo "ok: $n captures"
