#!/bin/bash
# test_timer_servers.sh FTPSTALL — which timer fired, against real ProFTPD
# and Pure-FTPd (tests/integration/servers.sh: Debian's .debs unpacked
# into the test's folder, since they conflict with vsftpd as packages).
#
# In a network namespace of its own, captured on lo and analysed with
# `ftpstall analyze -f json`:
#   1. ProFTPD with TimeoutNoTransfer 2 (TimeoutIdle 30) and a python
#      ftplib client that writes NOOP or PWD every half second and never
#      transfers: "421 No transfer timeout" must be an idle_timeout stalled
#      by the client with timer no_transfer (not a data_timeout: no data
#      connection was open), and the advice must say that NOOP keepalives
#      do not reset that timer.
#   2. Pure-FTPd with -I 1; the client sets SITE IDLE 2 and sends only
#      NOOP, twice a second: its 421 "Timeout (no operation for 4
#      seconds)" must be an idle_timeout with timer idle whose advice says
#      that NOOPs buy at most twice the idle time, and the server estimate
#      60 s "stated in the banner".
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-timer-servers-fail-*),
# 77 skipped (not root, a tool missing, the servers cannot be fetched).
# About 12 s; at most about 40 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)

FST_PORT_WAIT_S=5
FST_SERVER_MAX_S=60
FST_CAPTURE_MAX_S=60

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
	skip "needs root (network namespace, servers on port 21, live capture)"
fi
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
# shellcheck source=SCRIPTDIR/servers.sh
. "$here/servers.sh"
if ! missing=$(fst_need_cmds ip ss tcpdump python3 timeout apt-get dpkg flock); then
	skip "missing: $missing"
fi
if ! getent passwd ftp >/dev/null; then
	skip "no user 'ftp' (Debian's vsftpd package creates it)"
fi
# Fetch first (outside the namespace, which has no network): without
# them, skip.
_fst_server_fetch proftpd "${_FST_PROFTPD_PKGS[@]}" ||
	skip "ProFTPD's .debs cannot be fetched (see above)"
_fst_server_fetch pureftpd "${_FST_PUREFTPD_PKGS[@]}" ||
	skip "Pure-FTPd's .debs cannot be fetched (see above)"

work=$(mktemp -d /tmp/ftpstall-timer-servers.XXXXXX) || {
	echo "FAIL: mktemp"
	exit 1
}
fst_on_exit rm -rf "$work"
chmod 755 "$work" # the servers' 'ftp' user reaches the folders below
fst_netns_create "fst-timers-$$" || skip "cannot create a network namespace"
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# check JSON EXPR... — each Python expression over the report `r` (its one
# session `s`, its first server `e`) must be true.
check() {
	local json=$1
	shift
	python3 - "$json" "$@" <<'PY' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
s = r["sessions"][0]
e = r["servers"][0]
bad = [x for x in sys.argv[2:] if not eval(x)]
for x in bad:
    print("  not true:", x)
if bad:
    print("  verdict:", json.dumps(s["verdict"], indent=1))
    print("  server:", json.dumps(e, indent=1))
sys.exit(1 if bad else 0)
PY
}

# 1. ProFTPD TimeoutNoTransfer
mkdir -p "$work/proftpd"
fst_proftpd_start "$work/proftpd" "TimeoutNoTransfer 2" "TimeoutIdle 30" ||
	skip "ProFTPD did not start (see above)"
server_pid=${FST_PIDS[-1]}
fst_capture_start lo "$work/proftpd.pcap" tcp || {
	echo "FAIL: tcpdump"
	exit 1
}
fst_ns timeout 20 python3 - <<'PY' || fail "the ProFTPD client"
import ftplib, time
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=15)
ftp.login("anonymous", "timers@example.org")
try:
    for i in range(30):
        time.sleep(0.5)
        ftp.sendcmd("NOOP" if i % 2 == 0 else "PWD")
    raise SystemExit("ProFTPD never closed the session")
except ftplib.error_temp as e:
    assert str(e).startswith("421 No transfer timeout"), e
ftp.sock.close()
PY
fst_capture_stop || fail "tcpdump did not stop cleanly"
"$ftpstall" analyze -f json "$work/proftpd.pcap" >"$work/proftpd.json" ||
	fail "ftpstall analyze (ProFTPD) exited non-zero"
check "$work/proftpd.json" \
	's["server_software"] == "ProFTPD"' \
	's["verdict"]["kind"] == "idle_timeout"' \
	's["verdict"]["stalled_side"] == "client"' \
	's["verdict"]["timer"] == "no_transfer"' \
	'"NOOP keepalives do not reset this timer; transfer something or raise TimeoutNoTransfer" in s["verdict"]["recommendation"]' \
	'e["observations"] == 0' ||
	fail "ProFTPD's No transfer timeout is not reported as timer no_transfer"
fst_server_stop "$server_pid" || fail "ProFTPD still listens on port 21"

# 2. Pure-FTPd: NOOPs buy at most twice the idle time
mkdir -p "$work/pureftpd"
fst_pureftpd_start "$work/pureftpd" -I 1 || skip "Pure-FTPd did not start (see above)"
fst_capture_start lo "$work/pureftpd.pcap" tcp || {
	echo "FAIL: tcpdump"
	exit 1
}
fst_ns timeout 25 python3 - <<'PY' || fail "the Pure-FTPd client"
import ftplib, time
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", 21, timeout=20)
ftp.login("backup", "backup-secret")
ftp.sendcmd("SITE IDLE 2")
try:
    for i in range(30):
        time.sleep(0.5)
        ftp.sendcmd("NOOP")
    raise SystemExit("Pure-FTPd never closed the session")
except ftplib.error_temp as e:
    assert str(e).startswith("421 Timeout (no operation for 4 seconds)"), e
ftp.sock.close()
PY
fst_capture_stop || fail "tcpdump did not stop cleanly"
"$ftpstall" analyze -f json "$work/pureftpd.pcap" >"$work/pureftpd.json" ||
	fail "ftpstall analyze (Pure-FTPd) exited non-zero"
check "$work/pureftpd.json" \
	's["server_software"] == "Pure-FTPd"' \
	's["verdict"]["kind"] == "idle_timeout"' \
	's["verdict"]["timer"] == "idle"' \
	'"NOOPs buy at most 2 times its idle time" in s["verdict"]["recommendation"]' \
	'e["idle_timeout_estimate_s"] == 60' \
	'e["idle_timeout_evidence"] == "stated in the banner"' ||
	fail "Pure-FTPd's limit on NOOPs is not reported as it should be"

if ((failed)); then
	keep=$(mktemp -d /tmp/ftpstall-timer-servers-fail-XXXXXX)
	cp -r "$work"/. "$keep"/ 2>/dev/null
	echo "evidence kept in $keep"
	exit 1
fi
echo "PASS: test_timer_servers"
