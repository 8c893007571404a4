#!/bin/bash
# test_upload_ftps.sh FTPSTALL — `ftpstall upload` and `probe` over FTPS
# (RFC 4217) against real vsftpd instances that require TLS for the login
# and for every data connection, with require_ssl_reuse=YES (a data
# connection that does not resume the control connection's TLS session
# is refused), in a network namespace of its own (lib.sh). Certificates
# are made at test time (fst_tls_certs):
#   vsftpd  127.0.0.1:21    explicit TLS, good certificate,
#                           idle_session_timeout=2, data_connection_timeout=2
#           127.0.0.1:990   implicit TLS, good certificate
#           127.0.0.1:2121  explicit TLS, certificate for ftp.example.org
#           127.0.0.1:2122  explicit TLS, expired certificate
#           127.0.0.1:2123  no TLS at all
#   a listener on 127.0.0.1:2990 that accepts and never answers (a TLS
#   handshake that stalls).
# Checks:
#   1. ftpes:// --cacert with SSLKEYLOGFILE, captured by tcpdump: exit 0,
#      verified, byte-identical, TLS 1.3, the data connection resumed the
#      session; the key log (mode 600) has TLS 1.3 secrets, and tshark
#      with that key log decrypts the capture: the STOR of the file, and
#      the data connection's decrypted bytes add up to the file size.
#   2. The same with TLS 1.2 at most (OPENSSL_CONF MaxProtocol): the
#      data connection resumes the TLS 1.2 session.
#   3. ftps:// (implicit) and ftp:// --ssl-reqd: verified, identical.
#   4. One line and exit 1 each: ftp:// --ssl-reqd to the server without
#      TLS ("refused TLS"); no --cacert (self-signed); the expired
#      certificate (expired); the certificate for another name (name
#      mismatch); the stalled handshake (no answer within 1 s, in < 5 s).
#      An unreadable --cacert: one line, exit 2.
#      -k accepts the wrong name.
#   5. Over TLS as over plain FTP: --idle-before 3 against the 2 s idle
#      timeout (vsftpd ends the TLS session with a fatal "decode error"
#      alert instead of its 421; one reconnect that names the alert,
#      verified); --keepalive 1 (no reconnect, NOOPs); --pause-at/--pause 3
#      on the TLS data connection (vsftpd 3.0.3 does not time out a stalled
#      TLS data connection, so the file goes on and is identical);
#      --limit-rate 256k (400 KiB take 1.4-4 s: whole slices, not a TLS
#      record of a few bytes every few microseconds, which took 8 s).
#   6. probe ftpes:// measures the 2 s idle timeout (within 0.5 s) and
#      reports the server's alert.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-upload_ftps-fail-*/),
# 77 skipped (not root, a tool missing). About 18 s (the waits of 4 to 6
# side by side).

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=120
# A loopback upload outruns tcpdump's default buffer on a busy machine
# (5 packets dropped by the kernel in one run): 64 MiB, and the captured
# upload is also held to 8 MiB/s (--limit-rate), so every record is in the
# capture that tshark decrypts.
FST_CAPTURE_BUFFER_KIB=65536
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup upload_ftps "${1:-}" openssl tcpdump tshark awk
fst_tls_certs "$WORK" || {
	echo "FAIL: openssl could not make the test certificates"
	cat "$WORK/openssl.err"
	exit 1
}
mapfile -t tls_good < <(fst_vsftpd_tls "$WORK/good.pem")
mapfile -t tls_implicit < <(fst_vsftpd_tls "$WORK/good.pem" implicit)
mapfile -t tls_wrongname < <(fst_vsftpd_tls "$WORK/wrongname.pem")
mapfile -t tls_expired < <(fst_vsftpd_tls "$WORK/expired.pem")

# Each instance its own passive port range, so that none takes another's.
fst_vsftpd_start "$WORK" "${tls_good[@]}" anon_other_write_enable=YES \
	idle_session_timeout=2 data_connection_timeout=2 || {
	echo "FAIL: vsftpd (explicit TLS) did not start on 127.0.0.1:21"
	exit 1
}
start_instance() {
	local name=$1 port=$2 pasv=$3
	shift 3
	_fst_vsftpd_conf "$WORK" "$name" listen_port="$port" pasv_min_port="$pasv" \
		pasv_max_port=$((pasv + 9)) anon_other_write_enable=YES "$@" &&
		_fst_vsftpd_launch "$WORK" "$name" "127.0.0.1:$port"
}
start_instance implicit 990 30100 "${tls_implicit[@]}" &&
	start_instance wrongname 2121 30200 "${tls_wrongname[@]}" &&
	start_instance expired 2122 30300 "${tls_expired[@]}" &&
	start_instance plain 2123 30400 || {
	echo "FAIL: a vsftpd instance did not start"
	exit 1
}
# The silent server: accepts, reads nothing, answers nothing.
ip netns exec "$FST_NS" timeout -k 2 "$FST_SERVER_MAX_S" "$FST_PYTHON" -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 2990))
s.listen(8)
held = []
while True:
    held.append(s.accept()[0])
' >/dev/null 2>&1 &
FST_PIDS+=("$!")
_fst_wait_listen 127.0.0.1:2990 "$!" || {
	echo "FAIL: the silent listener did not start"
	exit 1
}

UP=$WORK/root/upload
head -c $((2 * 1024 * 1024 + 12345)) /dev/urandom >"$WORK/big.bin"
head -c 409600 /dev/urandom >"$WORK/small.bin"

# run NAME [env VAR=VALUE...] -- ARGS...: ftpstall in the namespace, JSON on
# NAME.json, stderr on NAME.err, exit status in $rc, seconds in $took.
run() {
	local name=$1 t0 t1
	shift
	local -a envs=()
	while [[ $1 != -- ]]; do
		envs+=("$1")
		shift
	done
	shift
	rc=0
	t0=$(date +%s.%N)
	fst_ns env "${envs[@]}" timeout -k 2 60 "$FTPSTALL" "$@" >"$WORK/$name.json" \
		2>"$WORK/$name.err" || rc=$?
	t1=$(date +%s.%N)
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	echo "  $name: exit $rc in $took s"
}

# run_bg NAME ...: run in the background (its exit status and seconds go
# to NAME.ran); ran NAME, once runs_wait has returned, sets $rc and $took.
# The waits of sections 4 to 6 (a stalled handshake, an idle timeout, a
# pause, a rate) run side by side.
bg_pids=()
run_bg() {
	local name=$1
	(
		run "$@"
		echo "$rc $took" >"$WORK/$name.ran"
	) &
	bg_pids+=($!)
}
runs_wait() {
	local pid
	for pid in "${bg_pids[@]}"; do
		wait "$pid"
	done
	bg_pids=()
}
ran() {
	read -r rc took <"$WORK/$1.ran" || {
		rc="?" took="?"
	}
}

# fails_with NAME WORDS: exit 1 and one line on stderr that holds WORDS.
fails_with() {
	local name=$1 words=$2
	fst_expect "$name: exit 1 (got $rc)" test "$rc" = 1
	fst_expect "$name: one line on stderr (got $(wc -l <"$WORK/$name.err"))" \
		test "$(wc -l <"$WORK/$name.err")" = 1
	fst_expect "$name: the line says '$words': $(tail -n 1 "$WORK/$name.err" | head -c 200)" \
		grep -q -- "$words" "$WORK/$name.err"
}

verified() {
	local name=$1 file=$2
	fst_expect "$name: exit 0 (got $rc; $(tail -n 1 "$WORK/$name.err" | head -c 200))" test "$rc" = 0
	fst_expect "$name: verified" test "$(fst_jq "$WORK/$name.json" 'j["files"][0]["status"]')" = verified
	fst_same_file "$name: remote file identical" "$WORK/$file" "$UP/$file"
	rm -f "$UP/$file"
}

# ---- 1. explicit TLS, key log, capture, tshark ----
echo "== 1. ftpes:// with SSLKEYLOGFILE, captured"
fst_capture_start lo "$WORK/ftps.pcap" "tcp port 21 or portrange 30000-30009" || {
	echo "FAIL: tcpdump did not start"
	exit 1
}
run explicit SSLKEYLOGFILE="$WORK/keys.log" -- upload --no-progress -f json -v \
	--limit-rate 8M --cacert "$WORK/good.pem" "$WORK/big.bin" ftpes://127.0.0.1/upload/
fst_capture_stop
verified explicit big.bin
fst_expect "explicit: TLS 1.3 on the control connection" \
	test "$(fst_jq "$WORK/explicit.json" 'j["server"]["tls_version"]')" = TLSv1.3
fst_expect "explicit: JSON says explicit TLS" \
	test "$(fst_jq "$WORK/explicit.json" 'j["server"]["tls"]')" = explicit
fst_expect "explicit: the data connection resumed the control connection's session" \
	grep -q "TLS on the data connection: TLSv1.3.*session resumed" "$WORK/explicit.err"
fst_expect "explicit: no reconnect" \
	test "$(fst_jq "$WORK/explicit.json" 'len(j["reconnects"])')" = 0
fst_expect "key log written with mode 600" test "$(stat -c %a "$WORK/keys.log")" = 600
fst_expect "key log holds TLS 1.3 traffic secrets" grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$WORK/keys.log"
stor=$(tshark -r "$WORK/ftps.pcap" -o "tls.keylog_file:$WORK/keys.log" \
	-Y 'ftp.request.command == "STOR"' -T fields -e ftp.request.arg 2>/dev/null | head -1)
fst_expect "tshark with the key log decrypts the STOR (got '$stor')" test "$stor" = big.bin
# The data connection's decrypted bytes. tshark follows the decrypted
# EPSV to call that port ftp-data, whose dissector does not hand it to
# TLS: ftp-data off and the port decoded as TLS, the decrypted records
# show as data (data.len, several a frame, comma-separated).
dport=$(tshark -r "$WORK/ftps.pcap" -o "tls.keylog_file:$WORK/keys.log" \
	-Y 'ftp.response.code == 229' -T fields -e ftp.response.arg 2>/dev/null |
	grep -o '|||[0-9]*|' | tr -d '|' | head -1)
bytes=$(tshark -r "$WORK/ftps.pcap" -o "tls.keylog_file:$WORK/keys.log" \
	--disable-protocol ftp-data -d "tcp.port==${dport:-0},tls" \
	-Y "tcp.dstport == ${dport:-0} && data" -T fields -e data.len 2>/dev/null |
	tr ',' '\n' | awk '{ s += $1 } END { print s + 0 }')
fst_expect "tshark decrypts the data connection (port ${dport:-?}): $bytes bytes = the file's $(stat -c %s "$WORK/big.bin")" \
	test "$bytes" = "$(stat -c %s "$WORK/big.bin")"

# ---- 2. TLS 1.2 ----
echo "== 2. ftpes:// with TLS 1.2 at most"
printf '%s\n' 'openssl_conf = c' '[c]' 'ssl_conf = s' '[s]' 'system_default = d' '[d]' \
	'MaxProtocol = TLSv1.2' >"$WORK/tls12.cnf"
run tls12 OPENSSL_CONF="$WORK/tls12.cnf" -- upload --no-progress -f json -v \
	--cacert "$WORK/good.pem" "$WORK/small.bin" ftpes://127.0.0.1/upload/
verified tls12 small.bin
fst_expect "tls12: TLS 1.2" test "$(fst_jq "$WORK/tls12.json" 'j["server"]["tls_version"]')" = TLSv1.2
fst_expect "tls12: the data connection resumed the session" \
	grep -q "TLS on the data connection: TLSv1.2.*session resumed" "$WORK/tls12.err"

# ---- 3. implicit, --ssl-reqd ----
echo "== 3. ftps:// (implicit) and ftp:// --ssl-reqd"
run implicit -- upload --no-progress -f json --cacert "$WORK/good.pem" "$WORK/small.bin" \
	ftps://127.0.0.1/upload/
verified implicit small.bin
fst_expect "implicit: JSON says implicit TLS, port 990" \
	test "$(fst_jq "$WORK/implicit.json" 'j["server"]["tls"]' 'j["server"]["port"]' | tr '\n' ' ')" = "implicit 990 "
run sslreqd -- upload --no-progress -f json --ssl-reqd --cacert "$WORK/good.pem" \
	"$WORK/small.bin" ftp://127.0.0.1/upload/
verified sslreqd small.bin

# ---- 4. refusals: one line, exit 1 ----
echo "== 4. bad certificates, no TLS, a stalled handshake"
run notls -- upload --no-progress --ssl-reqd "$WORK/small.bin" ftp://127.0.0.1:2123/upload/
fails_with notls "refused TLS"
run selfsigned -- upload --no-progress "$WORK/small.bin" ftpes://127.0.0.1/upload/
fails_with selfsigned "self-signed certificate"
run expired -- upload --no-progress --cacert "$WORK/expired.pem" "$WORK/small.bin" \
	ftpes://127.0.0.1:2122/upload/
fails_with expired "certificate has expired"
run wrongname -- upload --no-progress --cacert "$WORK/wrongname.pem" "$WORK/small.bin" \
	ftpes://127.0.0.1:2121/upload/
fails_with wrongname "name mismatch"
run nocacert -- upload --no-progress --cacert "$WORK/missing.pem" "$WORK/small.bin" \
	ftpes://127.0.0.1/upload/
fst_expect "nocacert: an unreadable --cacert is a usage error (exit $rc), one line" \
	test "$rc:$(wc -l <"$WORK/nocacert.err")" = "2:1"
run insecure -- upload --no-progress -f json -k "$WORK/small.bin" ftpes://127.0.0.1:2121/upload/
verified insecure small.bin
# Sections 4 (the stalled handshake), 5 and 6 wait on timers: side by
# side, each upload with a file of its own.
for name in idle keepalive rate; do
	cp "$WORK/small.bin" "$WORK/$name.bin"
done
run_bg stall -- upload --no-progress -t 1 --connect-timeout 1 -r 0 "$WORK/small.bin" \
	ftps://127.0.0.1:2990/upload/
run_bg stallprobe -- probe -t 1 --connect-timeout 1 ftps://127.0.0.1:2990/
run_bg idle -- upload --no-progress -f json -v --cacert "$WORK/good.pem" --idle-before 3 \
	--retry-delay 0.1 "$WORK/idle.bin" ftpes://127.0.0.1/upload/
run_bg keepalive -- upload --no-progress -f json --cacert "$WORK/good.pem" --idle-before 3 \
	--keepalive 1 "$WORK/keepalive.bin" ftpes://127.0.0.1/upload/
run_bg pause -- upload --no-progress -f json -v --cacert "$WORK/good.pem" --pause-at 100000 \
	--pause 3 --retry-delay 0.1 "$WORK/big.bin" ftpes://127.0.0.1/upload/
run_bg rate -- upload --no-progress -f json -v --cacert "$WORK/good.pem" --limit-rate 256k \
	"$WORK/rate.bin" ftpes://127.0.0.1/upload/
run_bg probe -- probe -f json --cacert "$WORK/good.pem" --max-wait 10 ftpes://127.0.0.1/
runs_wait

ran stall
fails_with stall "TLS handshake on the control connection: no answer within 1.0 s"
fst_expect "stall: ended within 5 s ($took s)" awk -v t="$took" 'BEGIN { exit !(t < 5) }'
ran stallprobe
fails_with stallprobe "TLS handshake on the control connection: no answer within 1.0 s"

# ---- 5. reconnect, keepalive, pause, rate over TLS ----
echo "== 5. --idle-before, --keepalive, --pause-at, --limit-rate over TLS"
ran idle
verified idle idle.bin
# vsftpd 3.0.3 ends an idle TLS session with a fatal "decode error" alert
# instead of its 421 (its timeout handler cannot write the reply through
# TLS): the reconnect names the alert.
fst_expect "idle: one reconnect, after the server's TLS alert" \
	test "$(fst_jq "$WORK/idle.json" 'len(j["reconnects"])' 'j["reconnects"][0]["phase"]' | tr '\n' ' ')" = "1 idle "
fst_expect "idle: the reason names the alert" \
	grep -q "the server sent the TLS alert 'decode error' and closed" "$WORK/idle.err"
ran keepalive
verified keepalive keepalive.bin
fst_expect "keepalive: no reconnect, NOOPs sent" \
	test "$(fst_jq "$WORK/keepalive.json" 'len(j["reconnects"])' 'j["noops"] >= 2' | tr '\n' ' ')" = "0 true "
# vsftpd does not time out a stalled TLS data connection (the pause
# outlasts data_connection_timeout=2 and the transfer goes on): the pause
# itself is what is checked here; resuming over TLS is the fault test's.
ran pause
verified pause big.bin
fst_expect "pause: paused 3 s at byte 100000 on the TLS data connection ($took s)" \
	grep -q "pausing 3.000 s at offset 100000" "$WORK/pause.err"
fst_expect "pause: took >= 3 s ($took s)" awk -v t="$took" 'BEGIN { exit !(t >= 3) }'
ran rate
verified rate rate.bin
# Not much more either: writing the few bytes each moment allowed made
# a TLS record of each, and took 8 s instead of 1.6.
fst_expect "rate: 400 KiB at 256 KiB/s took 1.4-4 s ($took s)" \
	awk -v t="$took" 'BEGIN { exit !(t >= 1.4 && t < 4) }'

# ---- 6. probe over TLS ----
echo "== 6. probe ftpes://"
ran probe
t=$(fst_jq "$WORK/probe.json" 'j["idle"]["timeout_s"]')
fst_expect "probe: exit 0 (got $rc)" test "$rc" = 0
fst_expect "probe: idle timeout 2 s measured over TLS ($t s)" \
	awk -v t="$t" 'BEGIN { exit !(t >= 1.5 && t <= 2.5) }'
fst_expect "probe: the server's alert is reported" \
	test "$(fst_jq "$WORK/probe.json" 'j["idle"]["tls_alert"]')" = "decode error"

fst_finish
