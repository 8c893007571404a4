#!/bin/bash
# Live capture check: does `ftpstall analyze -i lo` (and `watch --no-tui
# -i lo`) keep up with an FTP upload on loopback? vsftpd runs in a
# network namespace; `ftpstall upload --limit-rate RATE` sends a 400 MiB
# file; the kernel's drop counter (pcap_stats) comes from the report.
#   tests/bench/live-rate.sh FTPSTALL RATE...   (RATE as --limit-rate, or max)
# Needs root, vsftpd and iproute2 (tests/integration/lib.sh).
set -u
here=$(cd "$(dirname "$0")/../integration" && pwd)
ftpstall=$(realpath "$1")
shift
# shellcheck source=../integration/lib.sh
. "$here/lib.sh"
work=$(mktemp -d /tmp/ftpstall-live.XXXXXX)
fst_on_exit rm -rf "$work"
fst_netns_create "fst-live-$$" || exit 1
fst_vsftpd_start "$work" anon_other_write_enable=YES idle_session_timeout=60 >/dev/null || exit 1
head -c $((400 * 1024 * 1024)) /dev/zero >"$work/big.bin"

upload() { # RATE
	local lim=()

	[[ $1 == max ]] || lim=(--limit-rate "$1")
	fst_ns timeout 50 "$ftpstall" upload --no-progress "${lim[@]}" "$work/big.bin" \
		ftp://127.0.0.1/upload/ >"$work/up.txt" 2>&1
	rm -f "$work"/root/upload/big.bin
}

for rate in "$@"; do
	fst_ns timeout 60 "$ftpstall" analyze -i lo --duration 12 tcp >"$work/a.txt" 2>&1 &
	pid=$!
	sleep 1
	start=$(date +%s%N)
	upload "$rate"
	ms=$((($(date +%s%N) - start) / 1000000))
	wait $pid
	echo "analyze  --limit-rate $rate: 400 MiB in $ms ms; $(grep -E 'kernel:' "$work/a.txt" | sed 's/^ *//')"
	fst_ns timeout -s INT 10 "$ftpstall" watch --no-tui -i lo tcp >"$work/w.txt" 2>&1 &
	pid=$!
	sleep 1
	upload "$rate"
	wait $pid
	echo "watch    --limit-rate $rate: $(grep -E 'kernel:' "$work/w.txt" | sed 's/^ *//')"
done
