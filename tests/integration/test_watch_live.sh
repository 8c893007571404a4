#!/bin/bash
# test_watch_live.sh FTPSTALL — `ftpstall watch --no-tui --format jsonl -i lo`
# on a real idle timeout, as it happens.
#
# In a network namespace of its own (lib.sh): vsftpd on 127.0.0.1:21 with
# idle_session_timeout=2, watch capturing on lo, and a Python ftplib client
# (watch_live.py) that logs in as anonymous with a known password and then
# sends nothing for 4 s. The server says "421 Timeout." and closes; the
# checks (arrival times are CLOCK_MONOTONIC stamps taken as each line is
# read, compared with the client's stamp of reading the 421):
#   - an "idle" event waiting_on client, before the verdict;
#   - a "close" event by the server with reply_code 421, arriving within
#     1 s of the client reading the 421;
#   - a "verdict" event kind idle_timeout, within 1 s of the close line;
#   - on SIGINT watch prints the final text report (the session is an
#     idle_timeout stalled by the client) and exits 0;
#   - the password is nowhere in watch's stdout or stderr.
#
# Exit 0 pass, 1 fail (watch's timed output printed, evidence kept in
# /tmp/ftpstall-watch-live-fail-*/), 77 skipped (not root, a tool missing,
# no network namespace). About 6 s; at most about 25 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
password=watch-secret@example.org

FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=40

skip() {
	echo "SKIPPED: $*"
	exit 77
}

ftpstall=${1:-}
[[ -n $ftpstall ]] || {
	echo "usage: $0 FTPSTALL_BINARY" >&2
	exit 2
}
[[ -x $ftpstall ]] || {
	echo "FAIL: $ftpstall is not an executable"
	exit 1
}
ftpstall=$(cd "$(dirname "$ftpstall")" && pwd)/$(basename "$ftpstall")
if [[ $(id -u) != 0 ]]; then
	skip "needs root (network namespace, vsftpd on port 21, live capture)"
fi
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
if ! missing=$(fst_need_cmds ip ss python3 timeout /usr/sbin/vsftpd); then
	skip "missing: $missing"
fi
if ! getent passwd ftp >/dev/null; then
	skip "no user 'ftp' (Debian's vsftpd package creates it)"
fi

work=$(mktemp -d /tmp/ftpstall-watch-live.XXXXXX) || {
	echo "FAIL: mktemp"
	exit 1
}
fst_on_exit rm -rf "$work"

fst_netns_create "fst-wlive-$$" || skip "cannot create a network namespace"
fst_vsftpd_start "$work" idle_session_timeout=2 || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}

rc=0
fst_ns timeout -k 2 20 python3 "$here/watch_live.py" "$ftpstall" "$work" "$password" \
	--idle 4 --latency 1 2>"$work/driver.log" || rc=$?
if ((rc != 0)); then
	((rc == 124)) && echo "FAIL: watch_live.py took more than 20 s"
	echo "--- driver log ---"
	cat "$work/driver.log"
	echo "--- watch output (seconds from the client's 421) ---"
	cat "$work/watch.timed" 2>/dev/null
	echo "--- watch stderr ---"
	cat "$work/watch.err" 2>/dev/null
	keep=$(mktemp -d /tmp/ftpstall-watch-live-fail-XXXXXX) &&
		cp -p "$work"/watch.* "$work"/driver.log "$work"/vsftpd.* "$keep"/ 2>/dev/null &&
		echo "evidence kept in $keep"
	echo "FAIL: test_watch_live"
	exit 1
fi
sed 's/^/  /' "$work/driver.log"
echo "PASS: test_watch_live"
exit 0
