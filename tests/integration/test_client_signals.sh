#!/bin/bash
# test_client_signals.sh FTPSTALL — Ctrl-C during `upload` and `probe`
# against a real vsftpd, and their other exit statuses that need a server.
#
# vsftpd runs on 127.0.0.1:21 in a network namespace of its own (lib.sh),
# with uploads throttled to 200 kB/s (anon_max_rate), so a 4 MB upload is
# still going when the signal comes; tcpdump records port 21.
#   1. upload: SIGINT once the server's copy has grown past 100 kB (the
#      transfer is running): exit 130 within 3 s (the QUIT waits up to 2 s
#      for a reply that a throttled vsftpd, still draining the data
#      connection, does not send); the QUIT is on the wire and the client
#      closes with a FIN, not a RST.
#   2. probe: SIGINT once it is idling logged in: exit 130 within 3 s;
#      vsftpd's log shows QUIT; no RST from the client.
#   3. the table of the rest: upload of a small file 0; upload and probe to
#      a port nothing listens on 1; probe --max-wait 1 0.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-client_signals-fail-*/),
# 77 skipped (not root, a tool missing). About 10 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=60
FST_CAPTURE_MAX_S=60
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup client_signals "${1:-}" tcpdump
fst_vsftpd_start "$WORK" anon_max_rate=200000 || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}
fst_capture_start lo "$WORK/ctl.pcap" 'tcp port 21' || {
	echo "FAIL: tcpdump did not start"
	exit 1
}
head -c 4000000 /dev/urandom >"$WORK/big.bin"
head -c 1000 /dev/urandom >"$WORK/small.bin"

# signal_when CONDITION ARGS... — runs ftpstall ARGS in the namespace,
# waits (at most 20 s) until CONDITION (a command) holds, sends SIGINT and
# waits at most 10 s for the exit. Sets RC and MS (the exit's delay).
signal_when() {
	local cond=$1 pid deadline t0
	shift
	# Not through the fst_ns function: $! must be ftpstall itself (ip
	# netns exec execs it), not a subshell that ignores SIGINT.
	ip netns exec "$FST_NS" "$FTPSTALL" "$@" >"$WORK/out" 2>"$WORK/err" &
	pid=$!
	deadline=$((SECONDS + 20))
	while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null && ! $cond; do
		sleep 0.02
	done
	t0=$EPOCHREALTIME
	kill -INT "$pid"
	deadline=$((SECONDS + 10))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.01
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	RC=$?
	MS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
	echo "  ftpstall $1 -> exit $RC, $MS ms after SIGINT"
}

# shellcheck disable=SC2317 # called through signal_when
transfer_running() {
	(($(stat -c %s "$WORK/root/upload/big.bin" 2>/dev/null || echo 0) > 100000))
}

# shellcheck disable=SC2317
probe_idling() {
	grep -q 'now silent' "$WORK/err"
}

# logged_quits N — vsftpd's log shows N QUITs (it may write a moment
# after the client is gone: up to 3 s).
# shellcheck disable=SC2317 # called through fst_expect
logged_quits() {
	local deadline=$((SECONDS + 3))
	while (($(grep -c 'FTP command: Client "127.0.0.1", "QUIT"' "$WORK/vsftpd.log") < $1)) &&
		((SECONDS < deadline)); do
		sleep 0.02
	done
	test "$(grep -c 'FTP command: Client "127.0.0.1", "QUIT"' "$WORK/vsftpd.log")" = "$1"
}

echo "== 1. upload, SIGINT mid-transfer"
signal_when transfer_running upload --no-progress -v "$WORK/big.bin" ftp://127.0.0.1/upload/
fst_expect "upload: exit status 130 (got $RC)" test "$RC" = 130
fst_expect "upload: exited within 3 s of SIGINT ($MS ms)" test "$MS" -le 3000
fst_expect "upload: stderr says interrupted" grep -q interrupted "$WORK/err"

echo "== 2. probe, SIGINT while idling"
signal_when probe_idling probe -v ftp://127.0.0.1/
fst_expect "probe: exit status 130 (got $RC)" test "$RC" = 130
fst_expect "probe: exited within 3 s of SIGINT ($MS ms)" test "$MS" -le 3000
fst_expect "probe: vsftpd logged the client's QUIT" logged_quits 1

echo "== 3. the other statuses"
# row NAME STATUS ARGS...
row() {
	local name=$1 want=$2
	shift 2
	RC=0
	fst_ns timeout -k 2 30 "$FTPSTALL" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
	fst_expect "$name: exit $want (got $RC)" test "$RC" = "$want"
}
row "upload, verified" 0 upload --no-progress "$WORK/small.bin" ftp://127.0.0.1/upload/
row "upload, nothing listening" 1 upload --no-progress --retries 0 "$WORK/small.bin" \
	ftp://127.0.0.1:2121/upload/
row "probe, --max-wait 1" 0 probe --max-wait 1 ftp://127.0.0.1/
row "probe, nothing listening" 1 probe ftp://127.0.0.1:2121/

fst_capture_stop
# A reset from the client (source port not 21) on the control connections.
resets=$(tcpdump -r "$WORK/ctl.pcap" -n 'src port not 21 and tcp[tcpflags] & tcp-rst != 0' \
	2>/dev/null | wc -l)
fst_expect "no RST from the client on a control connection ($resets)" test "$resets" = 0
# The interrupted upload, the interrupted probe and the verified upload
# said QUIT (probe --max-wait ends on its own, with a FIN).
quits=$(tcpdump -r "$WORK/ctl.pcap" -n 'dst port 21' 2>/dev/null | grep -c 'FTP: QUIT')
fst_expect "three QUITs on the wire, the interrupted upload's too ($quits)" test "$quits" = 3
fst_finish
