#!/bin/bash
# test_probe_timers.sh FTPSTALL — `ftpstall probe --timers` tells the
# server timers apart, against real servers configured with distinct small
# values, side by side in a network namespace of its own (ProFTPD on
# 127.0.0.1:2121, Pure-FTPd on :21, vsftpd on :2122; ProFTPD and Pure-FTPd
# from Debian's .debs, unpacked by servers.sh):
#   1. ProFTPD with mod_tls requiring TLS (ftpes://, certificate made now,
#      --cacert; plain FTP when proftpd-mod-crypto cannot be fetched) and
#      TimeoutLogin 2, TimeoutIdle 3, TimeoutNoTransfer 5,
#      TimeoutStalled 2: each value found within 0.5 s (ProFTPD acts 0.4 s
#      after each of its alarms; see below), each with ProFTPD's own 421
#      text (over TLS, ProFTPD sends close_notify first and its 421 after
#      it, in the clear); NOOP (every whole second, a third of the idle
#      result rounded) is honoured — the session outlives TimeoutIdle and
#      is cut by TimeoutNoTransfer at 5 s; the report carries a note on
#      ProFTPD's clock; the text report's table names the timers.
#   2. Pure-FTPd with -I 1 and --quote "SITE IDLE 2" (its idle time in
#      seconds for this session); --timers idle,noop: idle 2 s (within
#      0.5 s); NOOPs are honoured only up to twice the idle time: the NOOP
#      session ends 4-6.5 s in, with "no operation for 4 seconds".
#   3. vsftpd with idle_session_timeout=2, data_connection_timeout=2;
#      --timers idle,noop --max-wait 5: idle 2 s (within 0.5 s); NOOP
#      honoured (the session stays open to --max-wait); the data timer's
#      report carries a note on vsftpd's data timer, the others none; the
#      stalled data
#      connection between 2 and 4.5 s: vsftpd arms one alarm of
#      data_connection_timeout and, when it fires, times out only if no
#      byte moved since the previous one, so a stall is seen one to two
#      periods after the last byte.
#   4. The JSON keeps today's top-level "idle" and "data" objects, the same
#      as timers.idle and timers.data.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-probe_timers-fail-*/),
# 77 skipped (not root, a tool missing, the servers' .debs not fetchable).
# About 27 s (the three servers side by side, on ports of their own, and
# their probes too).

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=5
FST_SERVER_MAX_S=120
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"
# shellcheck source=SCRIPTDIR/servers.sh
. "$here/servers.sh"

fst_client_setup probe_timers "${1:-}" apt-get dpkg flock openssl
_fst_server_fetch proftpd "${_FST_PROFTPD_PKGS[@]}" ||
	fst_skip "ProFTPD's .debs cannot be fetched (see above)"
# The servers drop to user ftp before they open their folders.
chmod 755 "$WORK"
mkdir -p "$WORK/proftpd"
# mod_tls is in Debian's proftpd-mod-crypto: with it, ProFTPD requires TLS
# and the probe goes over ftpes://; without it, plain FTP.
scheme=ftp
probe_tls=()
tls_lines=()
if _fst_server_fetch proftpd-tls proftpd-core proftpd-mod-crypto &&
	fst_tls_certs "$WORK" good &&
	_fst_server_unpack proftpd-tls "$WORK/proftpd/proftpd-pkg" usr/sbin/proftpd >/dev/null; then
	scheme=ftpes
	probe_tls=(--cacert "$WORK/good.pem")
	# ProFTPD reads its key as root before it drops privileges, but
	# insists that the key file not be world-readable only for keys it
	# cannot read: 644 keeps it simple in a test folder.
	chmod 644 "$WORK/good.key"
	tls_lines=("ModulePath $WORK/proftpd/proftpd-pkg/usr/lib/proftpd" "LoadModule mod_tls.c"
		"TLSEngine on" "TLSRequired on" "TLSProtocol TLSv1.2 TLSv1.3"
		"TLSRSACertificateFile $WORK/good.pem" "TLSRSACertificateKeyFile $WORK/good.key"
		"TLSLog $WORK/proftpd/tls.log")
else
	echo "note: ProFTPD's mod_tls (proftpd-mod-crypto) unavailable: ProFTPD over plain FTP"
	rm -rf "$WORK/proftpd/proftpd-pkg"
fi
_fst_server_fetch pureftpd "${_FST_PUREFTPD_PKGS[@]}" ||
	fst_skip "Pure-FTPd's .debs cannot be fetched (see above)"

# probe NAME ARGS...: ftpstall probe in the namespace, output NAME.json.
probe() {
	local name=$1 rc=0
	shift
	fst_ns timeout -k 2 60 "$FTPSTALL" probe "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" || rc=$?
	fst_expect "$name: exit 0 (got $rc; $(tail -n 1 "$WORK/$name.err"))" test "$rc" = 0
}

# probe_bg NAME ARGS...: probe in the background (the timers are waits,
# not work: probes of one server run side by side); probes_wait waits
# for them all.
probe_pids=()
probe_bg() {
	probe "$@" >"$WORK/$1.checks" &
	probe_pids+=($!)
}
probes_wait() {
	local pid
	for pid in "${probe_pids[@]}"; do
		wait "$pid"
	done
	probe_pids=()
	cat "$WORK"/*.checks 2>/dev/null
	# The background checks' results count here.
	FST_FAILURES=$((FST_FAILURES + $(cat "$WORK"/*.checks 2>/dev/null | grep -c '^FAIL')))
	rm -f "$WORK"/*.checks
}

# near NAME TIMER SECONDS [EARLY LATE]: timers.TIMER measured within
# EARLY s below and LATE s above SECONDS (default 0.5 each).
near() {
	local name=$1 timer=$2 want=$3 early=${4:-0.5} late=${5:-0.5} got
	got=$(fst_jq "$WORK/$name.json" "j['timers']['$timer']['timeout_s']" 2>&1)
	fst_expect "$name: $timer timer $want s found ($got s; -$early/+$late)" \
		awk -v g="$got" -v w="$want" -v e="$early" -v l="$late" \
		'BEGIN { exit !(g != "null" && g - w <= l && w - g <= e) }'
}

# said NAME TIMER TEXT: the 421's text starts with TEXT.
said() {
	local name=$1 timer=$2 text=$3 got
	got=$(fst_jq "$WORK/$name.json" "j['timers']['$timer']['reply']" 2>&1)
	fst_expect "$name: $timer ended with '$text...' ($got)" test "${got#"$text"}" != "$got"
}

# ---- the servers, side by side on ports of their own ----
echo "== ProFTPD on :2121: TimeoutLogin 2, TimeoutIdle 3, TimeoutNoTransfer 5, TimeoutStalled 2"
fst_proftpd_start "$WORK/proftpd" "Port 2121" "PassivePorts 30100 30109" "TimeoutLogin 2" \
	"TimeoutIdle 3" "TimeoutNoTransfer 5" "TimeoutStalled 2" "${tls_lines[@]}" ||
	fst_skip "ProFTPD did not start (see above)"
echo "== Pure-FTPd on :21: SITE IDLE 2, NOOPs count up to twice that"
mkdir -p "$WORK/pureftpd"
fst_pureftpd_start "$WORK/pureftpd" -I 1 || fst_skip "Pure-FTPd did not start (see above)"
echo "== vsftpd on :2122: idle_session_timeout=2, data_connection_timeout=2"
fst_vsftpd_start "$WORK" listen_port=2122 pasv_min_port=30200 pasv_max_port=30209 \
	idle_session_timeout=2 data_connection_timeout=2 || {
	echo "FAIL: vsftpd did not start"
	fst_finish
}
proftpd_url=$scheme://127.0.0.1:2121/upload/

# The probes side by side (their timers are waits, not work), each timer
# on a connection of its own: noop takes its interval (a third of the
# idle result, rounded to 1 s) from idle; no_transfer sends PWD every
# whole second after its login. ProFTPD's login and data go on their own
# afterwards: ProFTPD recounts its timers by time(2)'s whole seconds at
# each TLS handshake, and handshakes slowed by the others can straddle a
# second and move those timers by one.
probe_bg proftpd -f json --timers idle,noop --max-wait 8 "${probe_tls[@]}" "$proftpd_url"
probe_bg proftpd-nt -f json --timers no_transfer --noop-interval 1 --max-wait 8 "${probe_tls[@]}" \
	"$proftpd_url"
probe_bg proftpd-text --timers idle,no_transfer --noop-interval 1 --max-wait 8 "${probe_tls[@]}" \
	"$proftpd_url"
FTP_PASSWORD=backup-secret probe_bg pureftpd -f json --timers idle,noop --max-wait 8 \
	--quote "SITE IDLE 2" ftp://backup@127.0.0.1/
# NOOPs over 5 s outlive the 2 s idle timeout two and a half times.
probe_bg vsftpd -f json --timers idle,noop --max-wait 5 ftp://127.0.0.1:2122/upload/
probe_bg vsftpd-data -f json --timers data --max-wait 6 ftp://127.0.0.1:2122/upload/
probes_wait
probe proftpd-ld -f json --timers login,data --max-wait 8 "${probe_tls[@]}" "$proftpd_url"

# ---- 1. ProFTPD ----
fst_expect "proftpd: over $scheme:// (TLS: $(fst_jq "$WORK/proftpd.json" "j['server']['tls_version']"))" \
	test "$(fst_jq "$WORK/proftpd.json" "j['server']['tls']")" = "$([[ $scheme == ftpes ]] && echo explicit || echo none)"
# ProFTPD's timers run on alarm(2) (src/timers.c); each time an alarm
# interrupts it, it sleeps 0.2 s (PR_TUNABLE_EINTR_RETRY_INTERVAL) before
# it acts — twice, as errno stays EINTR after the first sleep (strace:
# two pselect6 of 0.2 s after the SIGALRM) — and arms the next alarm only
# then: a timer fires 0.4 s late per alarm. It recounts its timers at
# each command and TLS handshake by time(2)'s whole seconds: the probe
# sends its commands a whole number of seconds after the login.
# TimeoutStalled is below TimeoutIdle: above it, TimeoutIdle's alarm
# fires first during the stall and the stalled one 0.4 s later still, or,
# when the sleep straddles a second, a whole second is counted and it
# fires at once (measured 3.24 and 4.85 for TimeoutStalled 4). Measured:
# login 2.41 (from the greeting: ProFTPD arms it as it greets), idle 3.40,
# no_transfer 5.00 or 5.41 (the 5th PWD or the alarm first), data 2.45.
# Its 421 texts name each timer.
near proftpd-ld login 2
near proftpd idle 3
near proftpd-nt no_transfer 5
near proftpd-ld data 2
near proftpd noop 5
said proftpd-ld login "Login timeout"
said proftpd idle "Idle timeout"
said proftpd-nt no_transfer "No transfer timeout"
fst_expect "proftpd: the report explains ProFTPD's clock ($(fst_jq "$WORK/proftpd.json" "j['server']['timer_note']" | cut -c1-40)...)" \
	grep -q '"timer_note": "ProFTPD runs its timers on alarm(2)' "$WORK/proftpd.json"
fst_expect "proftpd: NOOP honoured (the session outlived TimeoutIdle)" \
	test "$(fst_jq "$WORK/proftpd.json" "j['timers']['noop']['honoured']")" = true
fst_expect "proftpd: NOOPs sent every whole second ($(fst_jq "$WORK/proftpd.json" "j['timers']['noop']['interval_s'], j['timers']['noop']['commands']" | tr '\n' ' '))" \
	test "$(fst_jq "$WORK/proftpd.json" "j['timers']['noop']['interval_s'] == 1 and j['timers']['noop']['commands'] >= 3")" = true
fst_expect "proftpd: today's top-level idle is timers.idle" \
	test "$(fst_jq "$WORK/proftpd.json" "j['idle'] == j['timers']['idle'] and j['data'] is None")" = true
fst_expect "proftpd: today's top-level data is timers.data" \
	test "$(fst_jq "$WORK/proftpd-ld.json" "j['data'] == j['timers']['data'] and j['idle'] is None")" = true
fst_expect "proftpd text: a table of the timers" \
	grep -q '^TIMER *TIMEOUT *FIRST SIGN *SERVER SAID$' "$WORK/proftpd-text.json"
fst_expect "proftpd text: the idle line" grep -q '^idle  *3\.[0-9]* s  reply  *421 Idle timeout' \
	"$WORK/proftpd-text.json"
fst_expect "proftpd text: the note on ProFTPD's clock" grep -q '^note: ProFTPD runs its timers on alarm' \
	"$WORK/proftpd-text.json"

# ---- 2. Pure-FTPd ----
near pureftpd idle 2
# Pure-FTPd counts NOOPs as activity until twice the idle time has gone
# since the first one (4 s); the NOOP after that is refused with its 421
# "no operation for 4 seconds": the session lasts 2-3 idle times.
near pureftpd noop 5 1 1.5
fst_expect "pureftpd: NOOP honoured, up to twice the idle time" \
	test "$(fst_jq "$WORK/pureftpd.json" "j['timers']['noop']['honoured']")" = true
said pureftpd noop "Timeout (no operation for 4 seconds)"

# ---- 3. vsftpd ----
near vsftpd idle 2
fst_expect "vsftpd: NOOP honoured, open at --max-wait" \
	test "$(fst_jq "$WORK/vsftpd.json" "j['timers']['noop']['honoured']" "j['timers']['noop']['end']" | tr '\n' ' ')" = "true max-wait "
t=$(fst_jq "$WORK/vsftpd-data.json" "j['timers']['data']['timeout_s']")
fst_expect "vsftpd: stalled data seen within one to two periods of 2 s ($t s)" \
	awk -v t="$t" 'BEGIN { exit !(t != "null" && t >= 2 && t <= 4.5) }'
fst_expect "vsftpd: the report explains vsftpd's data timer" \
	grep -q '"timer_note": "vsftpd checks a stalled data connection' "$WORK/vsftpd-data.json"
fst_expect "vsftpd: no note for its idle and noop timers" \
	test "$(fst_jq "$WORK/vsftpd.json" "j['server']['timer_note']")" = null

fst_finish
