#!/bin/bash
# test_analyze_live_write.sh FTPSTALL — `ftpstall analyze -i lo -w FILE`
# saves what it captures while it analyzes.
#
# In a network namespace of its own (lib.sh): analyze -f json -i lo
# --duration 4 -w saved.pcap, while a Python pair on 127.0.0.1:21 plays a
# short FTP control exchange (220, USER anonymous, 331, QUIT, 221, close).
# The checks:
#   - analyze exits 0 and its live report has that session, clean;
#   - saved.pcap is a pcap file (classic magic) that ftpstall analyze
#     reads back, finding the same one clean session;
#   - tcpdump -r (when installed) reads it too and counts the frames.
#
# Exit 0 pass, 1 fail, 77 skipped (not root, no network namespace). About
# 5 s; at most about 30 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)

skip() {
	echo "SKIPPED: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	[[ -f $WORK/analyze.err ]] && sed 's/^/  analyze: /' "$WORK/analyze.err"
	exit 1
}

ftpstall=${1:-}
[[ -x $ftpstall ]] || {
	echo "usage: $0 FTPSTALL_BINARY" >&2
	exit 2
}
ftpstall=$(cd "$(dirname "$ftpstall")" && pwd)/$(basename "$ftpstall")
[[ $(id -u) == 0 ]] || skip "needs root (network namespace, live capture on lo)"
command -v python3 >/dev/null || skip "python3 missing (plays the FTP exchange)"
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

WORK=$(mktemp -d /tmp/ftpstall-live-write.XXXXXX)
fst_on_exit rm -rf "$WORK"
fst_netns_create "fst-livew-$$" || skip "cannot create a network namespace"

CAPTURE_S=4
ip netns exec "$FST_NS" timeout -k 5 $((CAPTURE_S + 20)) "$ftpstall" analyze -f json -i lo \
	--duration "$CAPTURE_S" -w "$WORK/saved.pcap" >"$WORK/live.json" 2>"$WORK/analyze.err" &
analyze_pid=$!
FST_PIDS+=("$analyze_pid")
before=0
for ((i = 0; i < 100; i++)); do
	(($(fst_ns cat /proc/net/packet | tail -n +2 | wc -l) > before)) && break
	kill -0 "$analyze_pid" 2>/dev/null || fail "analyze ended before capturing"
	sleep 0.05
done
(($(fst_ns cat /proc/net/packet | tail -n +2 | wc -l) > before)) ||
	fail "analyze -i lo did not open a capture"
# The socket exists a moment before its filter and ring are set up.
sleep 0.5

fst_ns timeout 10 python3 - <<'EOF' || fail "the FTP exchange failed"
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 21))
srv.listen(1)
cli = socket.create_connection(("127.0.0.1", 21))
conn, _ = srv.accept()
conn.sendall(b"220 ready\r\n")
assert cli.recv(100).startswith(b"220")
cli.sendall(b"USER anonymous\r\n")
assert conn.recv(100).startswith(b"USER")
conn.sendall(b"331 password please\r\n")
assert cli.recv(100).startswith(b"331")
cli.sendall(b"QUIT\r\n")
assert conn.recv(100).startswith(b"QUIT")
conn.sendall(b"221 bye\r\n")
assert cli.recv(100).startswith(b"221")
conn.close()
cli.recv(100)
cli.close()
srv.close()
EOF

wait "$analyze_pid"
rc=$?
((rc == 0)) || fail "analyze -i lo -w exited $rc"
[[ -s $WORK/saved.pcap ]] || fail "no saved.pcap"
[[ -z $(find "$WORK" -name '*.tmp.*') ]] || fail "a temporary file was left"

# saved.pcap: the classic pcap magic, little or big endian, us or ns.
magic=$(od -An -tx1 -N4 "$WORK/saved.pcap" | tr -d ' ')
case $magic in
d4c3b2a1 | a1b2c3d4 | 4d3cb2a1 | a1b23c4d) ;;
*) fail "saved.pcap starts with $magic, not a pcap magic" ;;
esac

q=$here/jsonq.py
sessions() { python3 "$q" "$1" 'len(j["sessions"])' 'j["sessions"][0]["verdict"]["kind"]'; }
live=$(sessions "$WORK/live.json" | tr '\n' ' ') || fail "live report: not the expected JSON"
[[ $live == "1 clean " ]] || fail "live report: sessions, verdict = $live, expected 1 clean"

"$ftpstall" analyze -f json "$WORK/saved.pcap" >"$WORK/saved.json" 2>"$WORK/analyze.err" ||
	fail "ftpstall cannot read saved.pcap back"
saved=$(sessions "$WORK/saved.json" | tr '\n' ' ') || fail "saved.pcap's report: not the JSON"
[[ $saved == "1 clean " ]] || fail "saved.pcap: sessions, verdict = $saved, expected 1 clean"

if command -v tcpdump >/dev/null; then
	frames=$(tcpdump -nr "$WORK/saved.pcap" 2>/dev/null | wc -l)
	((frames >= 8)) || fail "tcpdump reads $frames frames from saved.pcap, expected 8 or more"
	echo "ok: tcpdump reads $frames frames from saved.pcap"
fi
echo "ok: analyze -i lo -w saved the session it reported"
