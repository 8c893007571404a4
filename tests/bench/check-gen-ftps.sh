#!/usr/bin/env bash
# Test of the benchmark generator's FTPS mode (ctest bench_gen_ftps): a
# capture of 3 explicit FTPS sessions (TLS 1.2, AES-128-GCM) and its key
# log must be the same when generated twice with the same seed, be read in
# full by the bare libpcap loop, and decrypt in tshark with the key log:
# every session's commands (AUTH TLS in cleartext, the rest in TLS
# records) and the STOR's records on the data connections, 40000 bytes
# each: two records of 16384 bytes and one of 7232. Without the key log
# tshark sees AUTH only. ftpstall, without keys, finds 3 clean sessions
# and their data connections. Skips (77) without tshark.
#
# usage: check-gen-ftps.sh GEN_CAPTURE FTPSTALL BENCH_FLOOR WORKDIR
set -euo pipefail

gen=$1 ftpstall=$2 floor=$3 work=$4
f=$work/bench-ftps.pcap
args=(--ftps --sessions 3 --bytes-per-session 40000 --seed 5)

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark is not installed"; exit 77; }

"$gen" "${args[@]}" -o "$f" >"$f.info"
"$gen" "${args[@]}" -o "$f.again" >/dev/null
cmp -s "$f" "$f.again" || fail "same seed, different captures"
cmp -s "$f.keys" "$f.again.keys" || fail "same seed, different key logs"
rm -f "$f.again" "$f.again.keys"
[ "$(grep -c '^CLIENT_RANDOM [0-9a-f]\{64\} [0-9a-f]\{96\}$' "$f.keys")" = 6 ] ||
	fail "the key log has not 6 CLIENT_RANDOM lines (3 control, 3 data connections)"

packets=$(sed -n 's/^packets=//p' "$f.info")
read -r floor_packets _ < <("$floor" "$f")
[ "$packets" = "$floor_packets" ] || fail "generator wrote $packets packets, libpcap read $floor_packets"

ts() { tshark -r "$f" "$@" 2>/dev/null; }
one_session="AUTH USER PASS PBSZ PROT TYPE PASV STOR QUIT"
want=$(printf '%s\n' "$one_session" "$one_session" "$one_session" | tr ' ' '\n')
got=$(ts -o "tls.keylog_file:$f.keys" -Y ftp.request.command -T fields -e ftp.request.command | tr -d " " | grep .)
[ "$got" = "$want" ] || fail "tshark with the key log read the commands: $(echo $got)"
got=$(ts -Y ftp.request.command -T fields -e ftp.request.command | tr -d " " | grep .)
[ "$got" = "$(printf 'AUTH\nAUTH\nAUTH')" ] || fail "without the key log tshark read: $(echo $got)"
replies=$(ts -o "tls.keylog_file:$f.keys" -Y 'ftp.response.code == 227' | wc -l)
[ "$replies" = 3 ] || fail "tshark read $replies 227 replies, not 3"

# The data connections (server ports 40000-40002): tshark takes them for
# plain ftp-data unless told they are TLS.
data=$(ts -o "tls.keylog_file:$f.keys" --disable-protocol ftp-data -d tcp.port==40000-40002,tls \
	-Y 'tcp.dstport >= 40000 && tcp.dstport <= 40002 && tls' -x |
	grep -o 'Decrypted TLS ([0-9]* bytes)' | sort | uniq -c | awk '{ print $1 "x" $4 }' | tr -d '(' |
	tr '\n' ' ')
[ "$data" = "3x16 6x16384 3x7232 " ] ||
	fail "tshark decrypted on the data connections (count x bytes): $data"

json=$("$ftpstall" analyze -f json "$f")
grep -q '"ftp_sessions": 3,' <<<"$json" || fail "ftpstall: not 3 sessions"
grep -q '"data_connections": 3' <<<"$json" || fail "ftpstall: not 3 data connections"
[ "$(grep -c '"kind": "clean"' <<<"$json")" = 3 ] || fail "ftpstall: not 3 clean sessions"
grep -q 'bench-secret' <<<"$json" && fail "the password is in ftpstall's report"
rm -f "$f" "$f.info" "$f.keys"
echo "ok: $packets packets, 3 FTPS sessions decrypted by tshark with the key log"
