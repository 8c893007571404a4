#!/bin/bash
# Live capture check: does `ftpstall analyze -i lo` (and `watch --no-tui
# -i lo`) keep up with an FTP upload on loopback? vsftpd runs in a
# network namespace; `ftpstall upload --limit-rate RATE` sends a 400 MiB
# file; the kernel's drop counter (pcap_stats) comes from the report.
#   tests/bench/live-rate.sh FTPSTALL RATE...   (RATE as --limit-rate, or max)
# LIVE_RATE_ARGS adds options to both, e.g. "--metrics 127.0.0.1:9187"
# (with a scraper: LIVE_RATE_SCRAPE=1 fetches /metrics every 100 ms).
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

read -r -a extra <<<"${LIVE_RATE_ARGS:-}"
scrape() { # fetches /metrics every 100 ms while the upload runs
	[[ ${LIVE_RATE_SCRAPE:-0} == 1 ]] || return 0
	fst_ns bash -c 'for i in $(seq 120); do curl -s -o /dev/null http://127.0.0.1:9187/metrics; sleep 0.1; done' &
	scraper=$!
}
for rate in "$@"; do
	fst_ns timeout 60 "$ftpstall" analyze -i lo --duration 12 "${extra[@]}" tcp >"$work/a.txt" 2>&1 &
	pid=$!
	sleep 1
	scrape
	start=$(date +%s%N)
	upload "$rate"
	ms=$((($(date +%s%N) - start) / 1000000))
	wait $pid
	[[ -n ${scraper:-} ]] && kill "$scraper" 2>/dev/null
	echo "analyze  --limit-rate $rate: 400 MiB in $ms ms; $(grep -E 'kernel:' "$work/a.txt" | sed 's/^ *//')"
	fst_ns timeout -s INT 10 "$ftpstall" watch --no-tui -i lo "${extra[@]}" tcp >"$work/w.txt" 2>&1 &
	pid=$!
	sleep 1
	upload "$rate"
	wait $pid
	echo "watch    --limit-rate $rate: $(grep -E 'kernel:' "$work/w.txt" | sed 's/^ *//')"
done
