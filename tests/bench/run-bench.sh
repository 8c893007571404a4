#!/usr/bin/env bash
# ftpstall's performance benchmark (`make bench`; method and latest results
# in docs/performance.md).
#
# In one run, on the same generated capture (page cache warm, pinned to
# one CPU when taskset exists), it times the bare libpcap loop (the
# floor: pcap_open_offline, libpcap's own stdio reads), the same loop
# through the read buffer ftpstall uses (the cost of reading the way
# ftpstall does), `ftpstall analyze` (text and json), and, when installed,
# `tcpdump -r F -w /dev/null` and `tshark -r F -Y ftp -T fields ...`;
# prints medians, ratios and peak RSS as a Markdown table; then callgrind
# instruction counts per packet; peak RSS for a small and a large capture
# of the same sessions; a capture of 100,000 sessions open at once; and,
# on a generated FTPS capture with its key log, ftpstall without and with
# --tls-keylog and tshark decrypting it.
# ftpstall's report on the main capture is checked against what the
# generator wrote (sessions, idle_timeout verdicts).
#
# Everything is generated in $BENCH_DIR/bench-data (cached by parameters,
# never in the repository). Environment overrides (sizes take K/M/G,
# binary):
#   BENCH_DIR=build-bench      Release build and data directory
#   BENCH_SIZE=1G              main capture
#   BENCH_SESSIONS=200 BENCH_CONCURRENCY=20 BENCH_SEED=1
#   BENCH_RUNS=5               runs of each tool (median reported)
#   BENCH_TSHARK_RUNS=2        tshark is slow: fewer runs, same file
#   BENCH_CALLGRIND_SIZE=100M  capture for the callgrind counts
#   BENCH_RSS_SIZES="100M 4G"  captures of the RSS check (same sessions)
#   BENCH_SHORT_SESSIONS=100000  sessions open at once in the last test
#                              (also run with a tenth of them)
#   BENCH_SHORT_TIMEOUT=120    seconds before such a run is killed
#   BENCH_TLS_SIZE=256M        FTPS capture of the decryption measurement
#   BENCH_TLS_SESSIONS=20      its sessions (one after another, each a STOR
#                              of BENCH_TLS_SIZE / BENCH_TLS_SESSIONS in
#                              16 KiB TLS records)
#   BENCH_TLS_RUNS=3           runs of each ftpstall command on it
#   BENCH_TLS_TSHARK_RUNS=1    runs of tshark decrypting it
#   BENCH_SKIP="tshark tcpdump tls callgrind rss short"  parts to leave out
#   BENCH_PIN=1                pin to the last CPU with taskset (0: don't)
#   BENCH_BASELINE=BIN         another ftpstall binary (say, a Release build of
#                              an earlier commit) timed in the same round robin,
#                              so a change is measured as a ratio, not a time
# Sizes are scaled down, with a message, when the disk or the memory for
# the page cache is short.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

BENCH_DIR=${BENCH_DIR:-build-bench}
CMAKE=${CMAKE:-cmake}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
BENCH_SIZE=${BENCH_SIZE:-1G}
BENCH_SESSIONS=${BENCH_SESSIONS:-200}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-20}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_TSHARK_RUNS=${BENCH_TSHARK_RUNS:-2}
BENCH_CALLGRIND_SIZE=${BENCH_CALLGRIND_SIZE:-100M}
BENCH_RSS_SIZES=${BENCH_RSS_SIZES:-100M 4G}
BENCH_SHORT_SESSIONS=${BENCH_SHORT_SESSIONS:-100000}
BENCH_SHORT_TIMEOUT=${BENCH_SHORT_TIMEOUT:-120}
BENCH_TLS_SIZE=${BENCH_TLS_SIZE:-256M}
BENCH_TLS_SESSIONS=${BENCH_TLS_SESSIONS:-20}
BENCH_TLS_RUNS=${BENCH_TLS_RUNS:-3}
BENCH_TLS_TSHARK_RUNS=${BENCH_TLS_TSHARK_RUNS:-1}
BENCH_SKIP=${BENCH_SKIP:-}
BENCH_PIN=${BENCH_PIN:-1}
BENCH_BASELINE=${BENCH_BASELINE:-}

DATA=$BENCH_DIR/bench-data
OUT=$BENCH_DIR/bench-results
GEN=$BENCH_DIR/tests/bench/gen_capture
FLOOR=$BENCH_DIR/tests/bench/bench_floor
RUN=$BENCH_DIR/tests/bench/bench_run
FTPSTALL=$BENCH_DIR/ftpstall
LOG=$OUT/run.log
MARGIN=$((1 << 30)) # disk left free

say() { printf '%s\n' "$*"; }
warn() { printf 'bench: %s\n' "$*" >&2; }
die() {
	warn "$*"
	exit 1
}
skipped() { [[ " ${BENCH_SKIP//,/ } " == *" $1 "* ]]; }
have() { command -v "$1" >/dev/null 2>&1; }

# "1G" -> 1073741824; K, M, G are binary.
to_bytes() {
	local v=$1 n
	case $v in
	*[kK]) n=${v%?} && echo $((n << 10)) ;;
	*[mM]) n=${v%?} && echo $((n << 20)) ;;
	*[gG]) n=${v%?} && echo $((n << 30)) ;;
	*) echo $((v)) ;;
	esac
}

human() { awk -v b="$1" 'BEGIN {
	if (b >= 2^30) printf "%.2f GiB", b / 2^30;
	else printf "%.0f MiB", b / 2^20 }'; }

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

info_get() { sed -n "s/^$2=//p" "$1"; }

disk_avail() { df -B1 --output=avail "$DATA" | tail -n 1 | tr -d ' '; }
mem_avail() { awk '/^MemAvailable:/ { printf "%d\n", $2 * 1024 }' /proc/meminfo; }

# The largest size <= $1 that fits on the disk (and, when $2 is "cache",
# in the page cache too); halves until it fits, down to 10 MiB.
fit_size() {
	local want=$1 why=$2 size=$1 room cache
	room=$(($(disk_avail) - MARGIN))
	cache=$(($(mem_avail) * 7 / 10))
	while ((size > 10 << 20)); do
		if ((size <= room)) && { [ "$why" != cache ] || ((size <= cache)); }; then
			break
		fi
		size=$((size / 2))
	done
	if ((size != want)); then
		warn "scaled $(human "$want") down to $(human "$size"): $(human $((room > 0 ? room : 0))) of disk free (keeping 1 GiB), $(human "$cache") of memory for the page cache"
	fi
	echo "$size"
}

capture_path() {
	printf '%s/ftp%s.pcap' "$DATA" "$(printf '%s' "$*" | tr -c 'A-Za-z0-9.=-' '_' | tr -s '_')"
}

# An FTPS capture (--ftps) has its key log beside it.
cached() {
	[ -s "$1" ] && [ -s "$1.info" ] && [ "$1" -nt "$GEN" ] &&
		{ [[ $1 != *--ftps* ]] || [ -s "$1.keys" ]; }
}

# Generates (or reuses) a capture; prints its path. Cached by the
# arguments; regenerated when gen_capture is newer than the file.
capture() {
	local path
	path=$(capture_path "$@")
	if cached "$path"; then
		echo "$path"
		return
	fi
	rm -f "$path" "$path.info" "$path.keys"
	warn "generating $path"
	"$GEN" "$@" -o "$path.tmp" >"$path.info.tmp" 2>>"$LOG" || die "gen_capture $* failed (see $LOG)"
	mv "$path.tmp" "$path"
	mv "$path.info.tmp" "$path.info"
	if [ -f "$path.tmp.keys" ]; then
		mv "$path.tmp.keys" "$path.keys"
	fi
	echo "$path"
}

# capture_sized SIZE cache|disk ARGS...: a capture of about SIZE bytes
# (--size), scaled down by fit_size unless it is cached already.
capture_sized() {
	local want=$1 why=$2
	shift 2
	if ! cached "$(capture_path "$@" --size "$want")"; then
		want=$(fit_size "$want" "$why")
	fi
	capture "$@" --size "$want"
}

warm() { cat "$1" >/dev/null; }

PIN=()
if [ "$BENCH_PIN" = 1 ] && have taskset; then
	PIN=(taskset -c "$(($(nproc) - 1))")
fi

# run_once OUTFILE [-t SECONDS] CMD... -> "wall_s maxrss_kib cpu_s timed_out sys_s"
run_once() {
	local out=$1 line limit=()
	shift
	if [ "$1" = -t ]; then
		limit=(-t "$2")
		shift 2
	fi
	line=$("${PIN[@]}" "$RUN" -o "$out" "${limit[@]}" -- "$@" 2>>"$LOG") ||
		[[ $line == *timed_out=1* ]] || die "failed: $* (see $LOG)"
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	       print v["wall_s"], v["maxrss_kib"], v["user_s"] + v["sys_s"], v["timed_out"], v["sys_s"] }' <<<"$line"
}

median() { sort -g | awk '{ a[NR] = $1 } END {
	if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2];
	else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minimum() { sort -g | head -n 1; }
maximum() { sort -g | tail -n 1; }

# ---- build ----

mkdir -p "$BENCH_DIR"
"$CMAKE" -S . -B "$BENCH_DIR" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_FLAGS_RELEASE="-O3 -DNDEBUG -g" -DFTPSTALL_TESTS=OFF \
	-DFTPSTALL_BENCH=ON -DFTPSTALL_WERROR=OFF -DFTPSTALL_SANITIZE=OFF >/dev/null
"$CMAKE" --build "$BENCH_DIR" --parallel "$JOBS" \
	--target ftpstall gen_capture bench_floor bench_run >/dev/null
mkdir -p "$DATA" "$OUT"
: >"$LOG"
# Everything printed from here on is also kept in $OUT/latest.md.
exec 3>&1 > >(tee "$OUT/latest.md")
tee_pid=$!

common=(--sessions "$BENCH_SESSIONS" --concurrency "$BENCH_CONCURRENCY" --seed "$BENCH_SEED")

# ---- machine ----

say "# ftpstall benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
say
say "- CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs$( ((${#PIN[@]})) && echo ", runs pinned to CPU $(($(nproc) - 1))")"
say "- RAM: $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 2^20 }' /proc/meminfo); kernel $(uname -r)"
say "- ftpstall $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' + uncommitted changes'), Release (-O3), $("$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BENCH_DIR/CMakeCache.txt")" --version 2>/dev/null | head -n 1)"
say "- load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
say "- libpcap $(pkg-config --modversion libpcap 2>/dev/null || echo '?')$(have tcpdump && echo ", $(tcpdump --version 2>&1 | head -n 1)")$(have tshark && echo ", $(tshark --version 2>/dev/null | head -n 1)")"
say

# ---- main capture ----

main=$(capture_sized "$(to_bytes "$BENCH_SIZE")" cache "${common[@]}")
# The size actually used (fit_size may have scaled it) is in the name.
size=${main##*--size_}
size=${size%.pcap}
packets=$(info_get "$main.info" packets)
fbytes=$(info_get "$main.info" file_bytes)
say "## Capture"
say
say "$(human "$fbytes") ($fbytes bytes), $packets packets: $(info_get "$main.info" sessions) FTP sessions, $BENCH_CONCURRENCY open at once, $(info_get "$main.info" bytes_per_session) bytes STOR each, $(info_get "$main.info" ipv6_sessions) over IPv6, $(info_get "$main.info" active_sessions) active mode, $(info_get "$main.info" idle_timeouts) ending in a 300 s idle timeout (421 + FIN), $(info_get "$main.info" retransmissions) retransmitted and $(info_get "$main.info" reordered) reordered segments; seed $BENCH_SEED."
say "File: $main"
say

warm "$main"
tools=(floor floorbuf text json)
declare -A label cmd_of runs_of walls rss cpus syss
label[floor]="floor: bare pcap_next_ex loop, stdio default buffer (pcap_open_offline)"
label[floorbuf]="the same loop, 256 KiB page-aligned stdio buffer as ftpstall reads"
label[text]="ftpstall analyze (text)"
label[json]="ftpstall analyze -f json"
label[tcpdump]="tcpdump -r F -w /dev/null"
label[tshark]="tshark -Y ftp -T fields (2 fields)"
cmd_of[floor]="$FLOOR --default-buffer $main"
cmd_of[floorbuf]="$FLOOR $main"
cmd_of[text]="$FTPSTALL analyze $main"
cmd_of[json]="$FTPSTALL analyze -f json $main"
runs_of[floor]=$BENCH_RUNS
runs_of[floorbuf]=$BENCH_RUNS
runs_of[text]=$BENCH_RUNS
runs_of[json]=$BENCH_RUNS
if [ -n "$BENCH_BASELINE" ]; then
	[ -x "$BENCH_BASELINE" ] || die "BENCH_BASELINE=$BENCH_BASELINE: not an executable"
	tools+=(baseline)
	label[baseline]="baseline ftpstall analyze (text): $BENCH_BASELINE"
	cmd_of[baseline]="$BENCH_BASELINE analyze $main"
	runs_of[baseline]=$BENCH_RUNS
fi
if ! skipped tcpdump && have tcpdump; then
	tools+=(tcpdump)
	# As root, tcpdump hands its -w file to the user it drops to (chown):
	# -Z root keeps /dev/null root's.
	cmd_of[tcpdump]="tcpdump -Z root -r $main -w /dev/null"
	runs_of[tcpdump]=$BENCH_RUNS
fi
if ! skipped tshark && have tshark; then
	tools+=(tshark)
	cmd_of[tshark]="tshark -r $main -Y ftp -T fields -e ftp.request.command -e ftp.response.code"
	runs_of[tshark]=$BENCH_TSHARK_RUNS
fi

# round_robin RUNS TOOL...: RUNS rounds over the tools, each run at most
# runs_of[TOOL] times, so that a slow phase of the machine hits every tool
# alike; their times and RSS go to walls, cpus, syss and rss.
round_robin() {
	local runs=$1 r t res w k c sy
	shift
	for ((r = 1; r <= runs; r++)); do
		for t in "$@"; do
			((r <= runs_of[$t])) || continue
			res=$(run_once "$OUT/$t.out" ${cmd_of[$t]})
			read -r w k c _ sy <<<"$res"
			walls[$t]+="$w "
			rss[$t]+="$k "
			cpus[$t]+="$c "
			syss[$t]+="$sy "
		done
	done
}
round_robin "$BENCH_RUNS" "${tools[@]}"

med() { tr ' ' '\n' <<<"${walls[$1]}" | grep . | median; }
medcpu() { tr ' ' '\n' <<<"${cpus[$1]}" | grep . | median; }
medsys() { tr ' ' '\n' <<<"${syss[$1]}" | grep . | median; }
floor_s=$(med floor)
floor_cpu=$(medcpu floor)
say "## Time and memory ($(human "$fbytes") capture, page cache warm, median of the runs)"
say
say "| tool | runs | median s | min s | × floor | CPU s | CPU × floor | sys s | MiB/s | Mpkt/s | peak RSS MiB |"
say "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in "${tools[@]}"; do
	m=$(med "$t")
	lo=$(tr ' ' '\n' <<<"${walls[$t]}" | grep . | minimum)
	k=$(tr ' ' '\n' <<<"${rss[$t]}" | grep . | maximum)
	c=$(tr ' ' '\n' <<<"${cpus[$t]}" | grep . | median)
	awk -v l="${label[$t]}" -v n="${runs_of[$t]}" -v m="$m" -v lo="$lo" -v f="$floor_s" \
		-v c="$c" -v fc="$floor_cpu" -v sy="$(medsys "$t")" -v b="$fbytes" -v p="$packets" -v k="$k" 'BEGIN {
		printf "| %s | %d | %.3f | %.3f | %.2f | %.3f | %.2f | %.3f | %.0f | %.2f | %.1f |\n",
			l, n, m, lo, m / f, c, c / fc, sy, b / 2^20 / m, p / 1e6 / m, k / 1024 }'
done
say
text_rss=$(tr ' ' '\n' <<<"${rss[text]}" | grep . | maximum)
json_rss=$(tr ' ' '\n' <<<"${rss[json]}" | grep . | maximum)
verdict() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN {
	ok = (op == "<=") ? v <= lim : v >= lim; print ok ? "met" : "MISSED" }'; }
say "Targets on this capture (ratios of median wall times; of median CPU times in brackets, which a busy machine disturbs less):"
say
# ratio_line TEXT A B LIMIT: A's median over B's, of wall and of CPU time.
ratio_line() {
	local r rc
	r=$(awk -v a="$(med "$2")" -v f="$(med "$3")" 'BEGIN { printf "%.2f", a / f }')
	rc=$(awk -v a="$(medcpu "$2")" -v f="$(medcpu "$3")" 'BEGIN { printf "%.2f", a / f }')
	say "- $1 at most $4×: ${r}× — $(verdict "$r" "$4" '<=') (CPU: ${rc}× — $(verdict "$rc" "$4" '<='))"
}
for t in text json; do
	ratio_line "ftpstall ($t) against the floor (default stdio buffer)" "$t" floor 0.6
done
for t in text json; do
	ratio_line "ftpstall ($t) against the same loop with a 256 KiB page-aligned buffer" "$t" floorbuf 1.6
done
# The read path: the kernel's copy into ftpstall's read buffer costs what
# it costs the aligned loop; a buffer that straddles pages (malloc's)
# made it about 5x (docs/performance.md).
for t in text json; do
	r=$(awk -v a="$(medsys $t)" -v f="$(medsys floorbuf)" 'BEGIN { printf "%.2f", (f > 0 ? a / f : 0) }')
	say "- ftpstall ($t) kernel (sys) time against the aligned loop's at most 1.5×: ${r}× — $(verdict "$r" 1.5 '<=')"
done
if [ -n "${walls[baseline]:-}" ]; then
	r=$(awk -v a="$(med text)" -v b="$(med baseline)" 'BEGIN { printf "%.3f", a / b }')
	rc=$(awk -v a="$(medcpu text)" -v b="$(medcpu baseline)" 'BEGIN { printf "%.3f", a / b }')
	say "- ftpstall (text) / the baseline at most 1.05×: ${r}× — $(verdict "$r" 1.05 '<=') (CPU: ${rc}× — $(verdict "$rc" 1.05 '<='))"
fi
if [ -n "${walls[tshark]:-}" ]; then
	tshark_s=$(med tshark)
	for t in text json; do
		r=$(awk -v a="$tshark_s" -v b="$(med $t)" 'BEGIN { printf "%.1f", a / b }')
		rc=$(awk -v a="$(medcpu tshark)" -v b="$(medcpu $t)" 'BEGIN { printf "%.1f", a / b }')
		say "- tshark / ftpstall ($t) at least 40×: ${r}× — $(verdict "$r" 40 '>=') (CPU: ${rc}× — $(verdict "$rc" 40 '>='))"
	done
else
	say "- tshark / ftpstall: not measured (tshark $(skipped tshark && echo skipped || echo 'not installed'))"
fi
peak_mib=$(awk -v a="$text_rss" -v b="$json_rss" 'BEGIN { printf "%.1f", (a > b ? a : b) / 1024 }')
say "- peak RSS under 64 MiB for $BENCH_SESSIONS sessions: $peak_mib MiB — $(verdict "$peak_mib" 64 '<=')"
say

# ---- plausibility of ftpstall's report ----

say "## ftpstall's report on the capture"
say
"$FTPSTALL" analyze -f json -o "$OUT/main.json" "$main" 2>>"$LOG"
j=$OUT/main.json
jcount() { grep -c "$1" "$j" || true; }
jstat() { sed -n "s/^ *\"$1\": \\([0-9]*\\),\\?$/\\1/p" "$j" | tail -n 1; }
exp_sessions=$(info_get "$main.info" sessions)
exp_idle=$(info_get "$main.info" idle_timeouts)
got_sessions=$(jstat ftp_sessions)
got_idle=$(jcount '"kind": "idle_timeout"')
got_clean=$(jcount '"kind": "clean"')
ok=ok
[ "$got_sessions" = "$exp_sessions" ] && [ "$got_idle" = "$exp_idle" ] &&
	[ "$got_clean" = "$((exp_sessions - exp_idle))" ] || ok=MISMATCH
say "- sessions $got_sessions (generated $exp_sessions), idle_timeout verdicts $got_idle (generated $exp_idle), clean $got_clean — $ok"
say "- data connections $(jstat data_connections), sessions evicted $(jstat sessions_evicted), TCP flows $(jstat flows), evicted $(jstat evicted_flows), capture gaps $(jstat capture_gaps), retransmissions $(jstat retransmissions) (generated $(info_get "$main.info" retransmissions) + $(info_get "$main.info" reordered) reordered), timestamps clamped $(jstat timestamps_clamped)"
say "- text report: $(head -n 1 "$OUT/text.out")"
say

# ---- decryption (FTPS with an NSS key log) ----

if ! skipped tls; then
	tf=$(capture_sized "$(to_bytes "$BENCH_TLS_SIZE")" cache --ftps --sessions "$BENCH_TLS_SESSIONS" --seed "$BENCH_SEED")
	tk=$tf.keys
	t_bytes=$(info_get "$tf.info" file_bytes)
	t_sessions=$(info_get "$tf.info" sessions)
	say "## Decryption ($(human "$t_bytes") FTPS capture, page cache warm, median of the runs)"
	say
	say "$t_sessions explicit FTPS sessions one after another (AUTH TLS, then TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), each a STOR of $(info_get "$tf.info" bytes_per_session) bytes over its own TLS data connection in records of 16 KiB of plaintext: $(info_get "$tf.info" tls_app_records) application-data records, $(info_get "$tf.info" packets) packets; key log $tk ($(info_get "$tf.info" tls_connections) CLIENT_RANDOM lines). File: $tf"
	say
	warm "$tf"
	ttools=(tls_plain)
	label[tls_plain]="ftpstall analyze -f json, no key log"
	cmd_of[tls_plain]="$FTPSTALL analyze -f json $tf"
	runs_of[tls_plain]=$BENCH_TLS_RUNS
	# --tls-keylog is accepted when analyze --help names it. (Not piped
	# into grep -q: under pipefail, the help cut short by SIGPIPE would
	# fail the test.)
	analyze_help=$("$FTPSTALL" analyze --help 2>&1 || true)
	if [[ $analyze_help == *--tls-keylog* ]]; then
		ttools+=(tls_keys)
		label[tls_keys]="ftpstall analyze --tls-keylog K -f json"
		cmd_of[tls_keys]="$FTPSTALL analyze --tls-keylog $tk -f json $tf"
		runs_of[tls_keys]=$BENCH_TLS_RUNS
	fi
	if ! skipped tshark && have tshark; then
		ttools+=(tls_tshark)
		# tshark reads the PASV data connections as plain ftp-data unless
		# told they are TLS; the io,stat filter on the FTP commands,
		# which only the decrypted control records carry, makes it
		# dissect every record.
		ports=40000-$((40000 + (t_sessions < 10000 ? t_sessions : 10000) - 1))
		label[tls_tshark]="tshark with the key log (-z io,stat,0,ftp.request.command)"
		cmd_of[tls_tshark]="tshark -r $tf -o tls.keylog_file:$tk --disable-protocol ftp-data -d tcp.port==$ports,tls -q -z io,stat,0,ftp.request.command"
		runs_of[tls_tshark]=$BENCH_TLS_TSHARK_RUNS
	fi
	round_robin "$BENCH_TLS_RUNS" "${ttools[@]}"
	plain_s=$(med tls_plain)
	say "| tool | runs | median s | min s | × no key log | CPU s | MiB/s | peak RSS MiB |"
	say "|---|---:|---:|---:|---:|---:|---:|---:|"
	for t in "${ttools[@]}"; do
		lo=$(tr ' ' '\n' <<<"${walls[$t]}" | grep . | minimum)
		k=$(tr ' ' '\n' <<<"${rss[$t]}" | grep . | maximum)
		awk -v l="${label[$t]}" -v n="${runs_of[$t]}" -v m="$(med "$t")" -v lo="$lo" -v f="$plain_s" \
			-v c="$(medcpu "$t")" -v b="$t_bytes" -v k="$k" 'BEGIN {
			printf "| %s | %d | %.3f | %.3f | %.2f | %.3f | %.0f | %.1f |\n",
				l, n, m, lo, m / f, c, b / 2^20 / m, k / 1024 }'
	done
	say
	if [ -n "${walls[tls_keys]:-}" ]; then
		r=$(awk -v a="$(med tls_keys)" -v b="$plain_s" 'BEGIN { printf "%.2f", a / b }')
		rc=$(awk -v a="$(medcpu tls_keys)" -v b="$(medcpu tls_plain)" 'BEGIN { printf "%.2f", a / b }')
		say "- decrypting / not decrypting (ftpstall, json): ${r}× wall, ${rc}× CPU"
		# docs/report-format.md: a session's "decryption" (its control
		# connection), a transfer's "decrypted" (its data connection).
		say "- decrypted in the report: $(grep -c '"decryption": "decrypted"' "$OUT/tls_keys.out" || true) sessions' control connections and $(grep -c '"decrypted": true' "$OUT/tls_keys.out" || true) transfers (generated $t_sessions of each)"
		if [ -n "${walls[tls_tshark]:-}" ]; then
			r=$(awk -v a="$(med tls_tshark)" -v b="$(med tls_keys)" 'BEGIN { printf "%.1f", a / b }')
			rc=$(awk -v a="$(medcpu tls_tshark)" -v b="$(medcpu tls_keys)" 'BEGIN { printf "%.1f", a / b }')
			say "- tshark / ftpstall, both decrypting: ${r}× wall, ${rc}× CPU"
		fi
	else
		say "- ftpstall analyze --tls-keylog: not in this build (analyze --help does not name it): decryption not measured"
	fi
	if [ -n "${walls[tls_tshark]:-}" ]; then
		# Each session sends 9 commands; without the keys tshark sees AUTH only.
		got=$(awk -F'|' '/<>/ { gsub(/ /, "", $3); print $3 }' "$OUT/tls_tshark.out" | tail -n 1)
		say "- tshark decrypted ${got:-?} FTP commands (generated $((t_sessions * 9)), $t_sessions in cleartext): $([ "${got:-}" = $((t_sessions * 9)) ] && echo ok || echo MISMATCH)"
	fi
	say
fi

# ---- callgrind ----

if ! skipped callgrind && have valgrind; then
	cg_size=$(to_bytes "$BENCH_CALLGRIND_SIZE")
	small=$((cg_size / 10 > 10 << 20 ? cg_size / 10 : 10 << 20))
	cg=$(capture_sized "$cg_size" disk "${common[@]}")
	cg_small=$(capture_sized "$small" disk "${common[@]}")
	cg_pk=$(info_get "$cg.info" packets)
	cg_small_pk=$(info_get "$cg_small.info" packets)
	ir() { # ir NAME FILE CMD... -> total instructions
		local out=$OUT/callgrind.$1.out
		shift
		valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>>"$LOG" ||
			die "valgrind $* failed (see $LOG)"
		sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out" | head -n 1
	}
	say "## Instructions (callgrind, $(human "$(info_get "$cg.info" file_bytes)") capture of the same $BENCH_SESSIONS sessions, $cg_pk packets)"
	say
	say "Per packet = total / packets. Marginal = the difference to a $(human "$(info_get "$cg_small.info" file_bytes)") capture of the same sessions ($cg_small_pk packets) divided by the difference in packets: the per-packet cost without start-up and report."
	say
	say "| program | instructions | per packet | marginal per packet | × floor (marginal) |"
	say "|---|---:|---:|---:|---:|"
	floor_ir=$(ir floor "$FLOOR" --default-buffer "$cg")
	floor_small=$(ir floor-small "$FLOOR" --default-buffer "$cg_small")
	floor_marg=$(awk -v a="$floor_ir" -v b="$floor_small" -v p="$cg_pk" -v q="$cg_small_pk" 'BEGIN { printf "%.1f", (a - b) / (p - q) }')
	for t in floor floorbuf text json; do
		case $t in
		floor) a=$floor_ir b=$floor_small ;;
		floorbuf)
			a=$(ir floorbuf "$FLOOR" "$cg")
			b=$(ir floorbuf-small "$FLOOR" "$cg_small")
			;;
		text)
			a=$(ir text "$FTPSTALL" analyze "$cg")
			b=$(ir text-small "$FTPSTALL" analyze "$cg_small")
			;;
		json)
			a=$(ir json "$FTPSTALL" analyze -f json "$cg")
			b=$(ir json-small "$FTPSTALL" analyze -f json "$cg_small")
			;;
		esac
		awk -v l="${label[$t]}" -v a="$a" -v b="$b" -v p="$cg_pk" -v q="$cg_small_pk" -v f="$floor_marg" 'BEGIN {
			m = (a - b) / (p - q);
			printf "| %s | %d | %.1f | %.1f | %.2f |\n", l, a, a / p, m, m / f }'
	done
	say
	if have callgrind_annotate; then
		say "Hot spots of ftpstall analyze (text), exclusive instructions, top 25 ($OUT/callgrind.text.out):"
		say
		say '```'
		callgrind_annotate "$OUT/callgrind.text.out" 2>/dev/null >"$OUT/callgrind.text.txt" || true
		callgrind_annotate --inclusive=yes "$OUT/callgrind.text.out" 2>/dev/null >"$OUT/callgrind.text.inclusive.txt" || true
		awk '/file:function/ { on = 1; getline; next } on && NF == 0 { exit } on' \
			"$OUT/callgrind.text.txt" | head -n 25 |
			sed -e "s|$ROOT/||g" -e 's| \[[^]]*\]$||'
		say '```'
		say
		say "Inclusive, ftpstall's own functions, top 15 ($OUT/callgrind.text.inclusive.txt):"
		say
		say '```'
		awk '/file:function/ { on = 1; getline; next } on && NF == 0 { exit } on' \
			"$OUT/callgrind.text.inclusive.txt" | grep " $ROOT/src/" |
			grep -v -E ':(main|cmd_analyze)( |$)' | head -n 15 |
			sed -e "s|$ROOT/||g" -e 's| \[[^]]*\]$||'
		say '```'
		say
	fi
else
	say "## Instructions: skipped ($(skipped callgrind && echo BENCH_SKIP || echo 'valgrind not installed'))"
	say
fi

# ---- RSS against capture size ----

if ! skipped rss; then
	say "## Peak RSS against capture size ($BENCH_SESSIONS sessions, $BENCH_CONCURRENCY open at once, larger STORs)"
	say
	say "| capture | packets | ftpstall s | peak RSS MiB |"
	say "|---|---:|---:|---:|"
	lo='' hi=
	for s in $BENCH_RSS_SIZES; do
		want=$(to_bytes "$s")
		if ((want == size)); then
			f=$main
		else
			f=$(capture_sized "$want" disk "${common[@]}")
		fi
		warm "$f"
		res=$(run_once /dev/null "$FTPSTALL" analyze "$f")
		read -r w k _ <<<"$res"
		say "| $(human "$(info_get "$f.info" file_bytes)") | $(info_get "$f.info" packets) | $(printf '%.3f' "$w") | $(mib "$k") |"
		if [ -z "$lo" ] || ((k < lo)); then lo=$k; fi
		if [ -z "$hi" ] || ((k > hi)); then hi=$k; fi
	done
	say
	spread=$(awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
	say "Spread of peak RSS: ${spread} % — target within 10 %: $(verdict "$spread" 10 '<=')"
	say
fi

# ---- 100,000 sessions open at once ----

if ! skipped short; then
	n=$BENCH_SHORT_SESSIONS
	say "## Short sessions, all open at once"
	say
	say "Each session logs in, holds the control connection about 60 s and quits (every 5th: 300 s idle, then 421 + FIN); all start within $((n / 10000)) s, so all are open at the peak. ftpstall analyze -f json, killed after $BENCH_SHORT_TIMEOUT s."
	say
	say "| sessions | capture | packets | open at peak | ftpstall s | CPU s | peak RSS MiB | finished |"
	say "|---:|---:|---:|---:|---:|---:|---:|---|"
	short_ok=
	notes=()
	for m in $((n / 10)) "$n"; do
		f=$(capture --short --sessions "$m" --concurrency "$m" --seed "$BENCH_SEED")
		warm "$f"
		j=$OUT/short-$m.json
		res=$(run_once "$j" -t "$BENCH_SHORT_TIMEOUT" "$FTPSTALL" analyze -f json "$f")
		read -r w k c to <<<"$res"
		say "| $m | $(human "$(info_get "$f.info" file_bytes)") | $(info_get "$f.info" packets) | $(info_get "$f.info" open_sessions_peak) | $(printf '%.1f' "$w") | $(printf '%.1f' "$c") | $(mib "$k") | $([ "$to" = 1 ] && echo "no (killed)" || echo yes) |"
		short_ok=$to short_rss=$k short_m=$m
		if [ "$to" != 1 ]; then
			anomalies=$(sed -n '/^  "stats"/,$p' "$j" | sed -n '/"anomalies": {/,/}/p' | sed '1d;$d' | tr -d ' \n')
			notes+=("- $m sessions: ftp_sessions $(jstat ftp_sessions) (generated $(info_get "$f.info" sessions)), sessions_evicted $(jstat sessions_evicted), in the report $(jcount '"kind": "[a-z_]*",$'): idle_timeout $(jcount '"kind": "idle_timeout"') (generated $(info_get "$f.info" idle_timeouts)), clean $(jcount '"kind": "clean"'); flows $(jstat flows), evicted_flows $(jstat evicted_flows), ooo_limit_hits $(jstat ooo_limit_hits), capture_gaps $(jstat capture_gaps), anomalies: ${anomalies:-none}")
		fi
	done
	say
	rss_verdict=$(verdict "$(mib "$short_rss")" 256 '<=')
	if [ "$short_ok" = 1 ] && [ "$rss_verdict" = met ]; then
		rss_verdict="not known: killed before the end"
	fi
	say "- $short_m sessions: completes within $BENCH_SHORT_TIMEOUT s — $([ "$short_ok" = 1 ] && echo MISSED || echo met); peak RSS under 256 MiB: $(mib "$short_rss") MiB$([ "$short_ok" = 1 ] && echo " when killed") — $rss_verdict"
	for line in "${notes[@]}"; do
		say "$line"
	done
	say
fi

say "Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg). Raw outputs, callgrind files and the log: $OUT"
# Let tee finish writing before make goes on.
exec 1>&3 3>&-
wait "$tee_pid" || true
