#!/usr/bin/env bash
# correlate-bench.sh — times `ftpstall correlate A B` against `ftpstall
# analyze A` plus `ftpstall analyze B` (docs/performance.md, "Two capture
# points"). A is a generated capture (tests/bench/gen_capture), B the same
# traffic with its clock 3.7 s ahead (editcap -t 3.7): every connection
# is at both points, so every packet is matched, which is the most work
# the matching does per packet. Prints a Markdown table of the median
# wall times and peak RSS, and the ratio to the target (at most 2x).
#
# Environment (sizes take K/M/G, binary):
#   BENCH_DIR=build-bench   Release build (made here when missing) and data
#   BENCH_SIZE=1G           size of A (and of B)
#   BENCH_RUNS=3            runs of each, median reported
# Needs editcap (wireshark-common). Exit 0 when measured, 1 on failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BENCH_DIR=${BENCH_DIR:-build-bench}
BENCH_SIZE=${BENCH_SIZE:-1G}
BENCH_RUNS=${BENCH_RUNS:-3}
CMAKE=${CMAKE:-cmake}
DATA=$BENCH_DIR/bench-data
A=$DATA/correlate-$BENCH_SIZE.a.pcap
B=$DATA/correlate-$BENCH_SIZE.b.pcap

die() {
	echo "correlate-bench: $*" >&2
	exit 1
}
command -v editcap >/dev/null || die "editcap not found (apt-get install wireshark-common)"

"$CMAKE" -S . -B "$BENCH_DIR" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_FLAGS_RELEASE="-O3 -DNDEBUG -g" -DFTPSTALL_TESTS=OFF \
	-DFTPSTALL_BENCH=ON -DFTPSTALL_WERROR=OFF -DFTPSTALL_SANITIZE=OFF >/dev/null
"$CMAKE" --build "$BENCH_DIR" --parallel 2 --target ftpstall gen_capture bench_run >/dev/null
FTPSTALL=$BENCH_DIR/ftpstall
RUN=$BENCH_DIR/tests/bench/bench_run
mkdir -p "$DATA"
if [[ ! -s $A || $A -ot $BENCH_DIR/tests/bench/gen_capture ]]; then
	"$BENCH_DIR/tests/bench/gen_capture" --size "$BENCH_SIZE" -o "$A.tmp" >/dev/null
	mv "$A.tmp" "$A"
	rm -f "$B"
fi
if [[ ! -s $B ]]; then
	editcap -F pcap -t 3.7 "$A" "$B.tmp"
	mv "$B.tmp" "$B"
fi
cat "$A" "$B" >/dev/null # page cache warm

OUT=$(mktemp -d /tmp/ftpstall-corrbench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

# run NAME CMD... — appends "wall_s maxrss_kib" of one run to $OUT/NAME.
run() {
	local name=$1 line
	shift
	line=$("$RUN" -o "$OUT/out" -- "$@") || die "failed: $*"
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	       print v["wall_s"], v["maxrss_kib"] }' <<<"$line" >>"$OUT/$name"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for ((i = 0; i < BENCH_RUNS; i++)); do
	run analyze_a "$FTPSTALL" analyze -f json "$A"
	run analyze_b "$FTPSTALL" analyze -f json "$B"
	run correlate "$FTPSTALL" correlate -f json "$A" "$B"
done
"$FTPSTALL" correlate -f json "$A" "$B" >"$OUT/report.json"
python3 - "$OUT/report.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["stats"]
print(f"correlate found: offset {j['clock_offset_s']:+.6f} s, {s['matched']} of "
      f"{s['packets_a']} + {s['packets_b']} packets matched, {s['connections_shared']} "
      f"connections at both points, window_overflow {s['window_overflow']}, "
      f"lost {sum(c['path']['counts']['lost'] for c in j['connections'])}, "
      f"injected {sum(c['path']['counts']['injected'] for c in j['connections'])}")
EOF

wall() { awk '{ print $1 }' "$OUT/$1" | median; }
rss() { awk '{ print $2 }' "$OUT/$1" | sort -g | tail -n 1; }
a=$(wall analyze_a)
b=$(wall analyze_b)
c=$(wall correlate)
echo
echo "| run ($(du -h "$A" | cut -f1) each, median of $BENCH_RUNS) | wall s | peak RSS MiB |"
echo "|---|---|---|"
echo "| analyze A | $a | $(($(rss analyze_a) / 1024)) |"
echo "| analyze B | $b | $(($(rss analyze_b) / 1024)) |"
echo "| correlate A B | $c | $(($(rss correlate) / 1024)) |"
awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
	r = c / (a + b)
	printf "\ncorrelate / (analyze A + analyze B) = %.2f (target: at most 2.00): %s\n", r,
		r <= 2 ? "met" : "MISSED" }'
