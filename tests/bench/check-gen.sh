#!/usr/bin/env bash
# Smoke test of the benchmark generator (ctest bench_gen_smoke): a small
# capture of 12 sessions (IPv4 and IPv6, passive and active, every third
# one ending in a 421 idle timeout, with retransmissions and reordering)
# must be read in full by the bare libpcap loop, be byte-for-byte the
# same when generated twice with the same seed, and give ftpstall 12
# sessions of which 4 are idle_timeout verdicts and 8 clean.
#
# usage: check-gen.sh GEN_CAPTURE FTPSTALL BENCH_FLOOR WORKDIR
set -euo pipefail

gen=$1 ftpstall=$2 floor=$3 work=$4
f=$work/bench-smoke.pcap
args=(--sessions 12 --concurrency 5 --bytes-per-session 300000 --timeout-every 3
      --ipv6-fraction 0.4 --active-fraction 0.4 --retrans-rate 0.01 --reorder-rate 0.01
      --seed 7)

fail() { echo "FAIL: $*" >&2; exit 1; }

"$gen" "${args[@]}" -o "$f" >"$f.info"
"$gen" "${args[@]}" -o "$f.again" >/dev/null
cmp -s "$f" "$f.again" || fail "same seed, different files"
rm -f "$f.again"

packets=$(sed -n 's/^packets=//p' "$f.info")
read -r floor_packets _ < <("$floor" "$f")
[ "$packets" = "$floor_packets" ] || fail "generator wrote $packets packets, libpcap read $floor_packets"
grep -q '^ipv6_sessions=[1-9]' "$f.info" || fail "no IPv6 session"
grep -q '^active_sessions=[1-9]' "$f.info" || fail "no active-mode session"
grep -q '^retransmissions=[1-9]' "$f.info" || fail "no retransmission"
grep -q '^reordered=[1-9]' "$f.info" || fail "no reordered segment"

json=$("$ftpstall" analyze -f json "$f")
sessions=$(grep -c '"kind": "[a-z_]*",$' <<<"$json" || true)
idle=$(grep -c '"kind": "idle_timeout"' <<<"$json" || true)
clean=$(grep -c '"kind": "clean"' <<<"$json" || true)
[ "$sessions" = 12 ] || fail "ftpstall gave $sessions verdicts, not 12"
[ "$idle" = 4 ] || fail "ftpstall found $idle idle_timeout verdicts, not 4"
[ "$clean" = 8 ] || fail "ftpstall found $clean clean sessions, not 8"
grep -q '"ftp_sessions": 12,' <<<"$json" || fail "not 12 sessions in the JSON stats"
grep -q '"data_connections": 12' <<<"$json" || fail "not 12 data connections in the JSON stats"
grep -q '"capture_gaps": 0,' <<<"$json" || fail "reordering was taken for capture loss"
grep -q '"mid_stream": true' <<<"$json" && fail "a session was taken as picked up mid-stream"
grep -q '"malformed": {$' <<<"$json" || fail "no malformed section in the stats"
grep -A1 '"malformed": {$' <<<"$json" | grep -q '^ *},\?$' || fail "ftpstall found malformed frames"
rm -f "$f" "$f.info"
echo "ok: $packets packets, 12 sessions, 4 idle_timeout, 8 clean"
