#!/bin/sh
# Runs the libFuzzer harnesses built in BUILD_DIR (make fuzz does this).
#
#   tests/fuzz/run-fuzzers.sh BUILD_DIR SECONDS [HARNESS...]
#
# Each harness first replays tests/fuzz/regressions/<harness>/ (inputs
# of past findings; a finding that is not fixed yet fails here), then
# fuzzes for SECONDS, starting from its seed corpus (tests/fuzz/corpus/
# <harness>, never written to). New inputs go to BUILD_DIR/fuzz-corpus/
# <harness>; crashes, leaks, timeouts and out-of-memory inputs to
# BUILD_DIR/fuzz-artifacts/<harness>/. FUZZ_JOBS harnesses run at once
# (default 1). Exits 1 if a regression failed or a harness found
# something, after printing how to reproduce it.
set -u

build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS [HARNESS...]}
seconds=${2:?usage: run-fuzzers.sh BUILD_DIR SECONDS [HARNESS...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
jobs=${FUZZ_JOBS:-1}
explicit=$#
harnesses=${*:-fuzz_capture_file fuzz_ftp_stream fuzz_reassembly fuzz_reply_parser fuzz_tls_records fuzz_client_reply fuzz_correlate}

# Per harness: -max_len and the dictionary.
opts_for() {
	case $1 in
	fuzz_capture_file) echo "-max_len=16384 -dict=$here/pcap.dict" ;;
	fuzz_ftp_stream) echo "-max_len=8192 -dict=$here/ftp.dict" ;;
	fuzz_reassembly) echo "-max_len=4096" ;;
	fuzz_reply_parser) echo "-max_len=4096 -dict=$here/ftp.dict" ;;
	fuzz_tls_records) echo "-max_len=24576" ;;
	fuzz_client_reply) echo "-max_len=16384 -dict=$here/ftp.dict" ;;
	*) echo "" ;;
	esac
}

run_one() {
	h=$1
	exe=$build/tests/fuzz/$h
	work=$build/fuzz-corpus/$h
	art=$build/fuzz-artifacts/$h
	log=$build/fuzz-logs/$h.log
	mkdir -p "$work" "$art" "$build/fuzz-logs"
	export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
	regress=0
	if [ -d "$here/regressions/$h" ]; then
		for input in "$here/regressions/$h"/*; do
			[ -f "$input" ] || continue
			case $input in *.md) continue ;; esac
			if ! "$exe" -runs=0 -timeout=10 -rss_limit_mb=2048 \
				-artifact_prefix="$art/regression-" "$input" \
				>"$log.regression" 2>&1; then
				echo "$h: regression FAILED: $exe $input"
				grep -E 'ERROR|runtime error|invariant broken|SUMMARY' \
					"$log.regression" | head -n 3
				regress=1
			fi
		done
	fi
	# shellcheck disable=SC2046
	"$exe" $(opts_for "$h") -max_total_time="$seconds" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$here/corpus/$h" >"$log" 2>&1
	rc=$?
	stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "$h: ok, ${execs:-?} runs, ${speed:-?} exec/s; $stats"
	else
		echo "$h: FAILED (exit $rc), log $log"
		grep -E 'ERROR|runtime error|invariant broken|SUMMARY' "$log" | head -n 5
		for a in "$art"/*; do
			[ -e "$a" ] && echo "  reproduce: $exe $a"
		done
	fi
	[ "$rc" -eq 0 ] && rc=$regress
	return "$rc"
}

status=0
running=0
pids=""
for h in $harnesses; do
	if [ ! -x "$build/tests/fuzz/$h" ]; then
		# fuzz_client_reply exists only once src/client does.
		echo "$h: not built in $build" >&2
		[ "$explicit" -gt 0 ] && status=1
		continue
	fi
	run_one "$h" &
	pids="$pids $!"
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		for p in $pids; do
			wait "$p" || status=1
		done
		pids=""
		running=0
	fi
done
for p in $pids; do
	wait "$p" || status=1
done
exit $status
