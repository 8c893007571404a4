#!/bin/bash
# test_seed_capture.sh — remakes the scenario of
# captures/idle-timeout-421-reset.pcap with a shorter server timeout
# (idle_session_timeout=2) into a temp dir and checks with tshark that
#   421 -> server FIN -> client data -> server RST
# really happens on the wire, and that the upload reached the server.
#
# With the path of an ftpstall binary as $1, also checks that
# `ftpstall analyze` on the new capture tells the same story.
#
# Exit 0 pass, 1 fail, 77 skipped (not root, or vsftpd/tcpdump/tshark/
# python3/ip missing; ctest needs SKIP_RETURN_CODE 77). About 5 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
idle_timeout=2      # vsftpd idle_session_timeout
client_idle=3.5     # client silence after the 226
size=65536

skip() {
	echo "SKIPPED: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

if [[ $(id -u) != 0 ]]; then
	skip "needs root (network namespace, vsftpd on port 21, tcpdump)"
fi
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
if ! missing=$(fst_need_cmds ip tcpdump tshark python3 timeout /usr/sbin/vsftpd); then
	skip "missing: $missing"
fi
if ! getent passwd ftp >/dev/null; then
	skip "no user 'ftp' (Debian's vsftpd package creates it)"
fi

work=$(mktemp -d /tmp/ftpstall-itest.XXXXXX) || fail "mktemp"
fst_on_exit rm -rf "$work"
# A namespace we cannot make (no CAP_SYS_ADMIN in this container) is a
# missing facility, not a product failure.
fst_netns_create "fst-itest-$$" || skip "cannot create a network namespace"

fst_vsftpd_start "$work" "idle_session_timeout=$idle_timeout" data_connection_timeout=30 ||
	fail "vsftpd did not start"
fst_capture_start lo "$work/test.pcap" tcp || fail "tcpdump did not start"

client_rc=0
fst_ns timeout 20 python3 "$top/captures/seed_client.py" \
	--idle "$client_idle" --size "$size" --after NOOP || client_rc=$?
fst_capture_stop || fail "tcpdump did not stop cleanly"

if ((client_rc != 0)); then
	sed 's/^/  vsftpd: /' "$work/vsftpd.log"
	fail "client status $client_rc"
fi
got=$(stat -c %s "$work/root/upload/duplicity-full.vol1.difftar.gz" 2>/dev/null) ||
	fail "the upload is not on the server"
((got == size)) || fail "server has $got bytes, client sent $size"

"$here/check-421-reset.sh" "$work/test.pcap" "$idle_timeout" ||
	fail "the capture does not show 421 -> FIN -> client data -> RST"
if [[ -n ${1:-} ]]; then
	"$1" analyze "$work/test.pcap" >"$work/report.txt" 2>"$work/report.err" ||
		fail "ftpstall analyze exited $? ($(cat "$work/report.err"))"
	# The session's timeline: the upload, the server's 421, then the
	# client's write into the closed connection.
	grep -E '^ +[0-9:.]+ +\+[0-9.]+  (client|server)  ' "$work/report.txt" |
		sed -E 's/^ +[0-9:.]+ +\+[0-9.]+ +//' | grep -E '^(client  STOR|server  226|server  421|client  NOOP)' >"$work/order.txt"
	printf '%s\n' 'client  STOR upload/duplicity-full.vol1.difftar.gz' \
		'server  226 Transfer complete.' 'server  421 Timeout.' "client  NOOP   (after the server's FIN)" |
		diff - "$work/order.txt" ||
		fail "ftpstall analyze does not show STOR -> 226 -> 421 -> NOOP (report: $(cat "$work/report.txt"))"
	# The verdict in plain words.
	grep -q '^session 1: idle_timeout (stalled: client)' "$work/report.txt" ||
		fail "verdict is not idle_timeout"
	grep -qE 'The client was idle for 2\.[0-9] s after "226 Transfer complete\."' "$work/report.txt" ||
		fail "no 'client was idle for 2.x s' line"
	grep -q 'The server sent "421 Timeout." and closed the connection (FIN)' "$work/report.txt" ||
		fail "no line about the 421 and the close"
	grep -q 'the client wrote NOOP into the closed connection and was reset by the server' "$work/report.txt" ||
		fail "no line about the write after close and the reset"
	grep -qE "The server's idle timeout is about 2 s" "$work/report.txt" ||
		fail "no idle timeout estimate of about 2 s"
	grep -q "transfer 1: STOR upload/duplicity-full.vol1.difftar.gz (passive), $size bytes" "$work/report.txt" ||
		fail "the transfer's byte count is not $size"
fi
echo "PASS: test_seed_capture"
exit 0
