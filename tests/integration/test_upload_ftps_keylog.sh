#!/bin/bash
# test_upload_ftps_keylog.sh FTPSTALL — ftpstall reads its own FTPS upload:
# `upload ftpes://` with SSLKEYLOGFILE, captured by tcpdump on the loopback
# of a network namespace of its own, then `analyze --tls-keylog` of that
# capture with the key log the upload wrote. vsftpd requires TLS for the
# login and the data (require_ssl_reuse=YES), certificate made now,
# --cacert. Checks:
#   1. The upload: exit 0, the remote file identical to the 3 MiB local one.
#   2. The key log: created by ftpstall with mode 600 (under umask 022: the
#      mode is ftpstall's, not the umask's) and holding TLS 1.3 secrets.
#   3. The analysis (JSON): a session with the STOR of the file, a STOR
#      transfer whose byte count is the file's size, the PASS masked
#      (****) and the password nowhere in the report.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-upload_ftps_keylog-fail-*/),
# 77 skipped (not root, a tool missing).
# About 5 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=60
# A loopback upload can outrun tcpdump's default buffer: 64 MiB, and the
# upload held to 8 MiB/s, so every record is in the capture.
FST_CAPTURE_BUFFER_KIB=65536
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup upload_ftps_keylog "${1:-}" openssl tcpdump
fst_tls_certs "$WORK" good || {
	echo "FAIL: openssl could not make the test certificates"
	cat "$WORK/openssl.err"
	exit 1
}
mapfile -t tls_good < <(fst_vsftpd_tls "$WORK/good.pem")
fst_vsftpd_start "$WORK" "${tls_good[@]}" anon_other_write_enable=YES || {
	echo "FAIL: vsftpd (explicit TLS) did not start on 127.0.0.1:21"
	exit 1
}

size=$((3 * 1024 * 1024 + 4321))
head -c "$size" /dev/urandom >"$WORK/volume.bin"
password=keylog-test-Secret-7
keys=$WORK/keys.log

echo "== 1. ftpes:// upload with SSLKEYLOGFILE, captured"
fst_capture_start lo "$WORK/ftps.pcap" "tcp port 21 or portrange 30000-30009" || {
	echo "FAIL: tcpdump did not start"
	exit 1
}
rc=0
(
	umask 022
	fst_ns env SSLKEYLOGFILE="$keys" FTP_PASSWORD="$password" timeout -k 2 60 \
		"$FTPSTALL" upload --no-progress -f json --limit-rate 8M --cacert "$WORK/good.pem" \
		"$WORK/volume.bin" ftpes://anonymous@127.0.0.1/upload/
) >"$WORK/upload.json" 2>"$WORK/upload.err" || rc=$?
fst_capture_stop
fst_expect "upload: exit 0 (got $rc; $(tail -n 1 "$WORK/upload.err" | head -c 200))" test "$rc" = 0
fst_same_file "upload: remote file identical" "$WORK/volume.bin" "$WORK/root/upload/volume.bin"

echo "== 2. the key log"
fst_expect "key log created with mode 600 under umask 022 (got $(stat -c %a "$keys" 2>&1))" \
	test "$(stat -c %a "$keys" 2>/dev/null)" = 600
fst_expect "key log holds TLS 1.3 traffic secrets" grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$keys"

echo "== 3. analyze --tls-keylog"
rc=0
"$FTPSTALL" analyze --tls-keylog "$keys" -f json "$WORK/ftps.pcap" -o "$WORK/analysis.json" \
	>"$WORK/analyze.out" 2>"$WORK/analyze.err" || rc=$?
fst_expect "analyze: exit 0 (got $rc; $(tail -n 1 "$WORK/analyze.err" | head -c 200))" \
	test "$rc" = 0
# One line per finding: "ok: ..." or "FAIL: ...".
"$FST_PYTHON" - "$WORK/analysis.json" "$size" "$password" >"$WORK/checks.txt" 2>&1 <<'EOF'
import json
import sys

path, size, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    report = json.loads(text)
except (OSError, ValueError) as e:
    print(f"FAIL: the analysis is not readable JSON: {e}")
    sys.exit(0)


def result(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)


sessions = report.get("sessions") or []
stors = [(s, c) for s in sessions for c in s.get("commands") or [] if c.get("verb") == "STOR"]
result(len(stors) == 1 and stors[0][1].get("arg") == "volume.bin",
       f"one STOR of volume.bin decrypted (got {[c.get('arg') for _, c in stors]}, "
       f"{len(sessions)} sessions)")
transfers = [t for s in sessions for t in s.get("transfers") or [] if t.get("command") == "STOR"]
got = [(t.get("file"), t.get("bytes")) for t in transfers]
result(any(f == "volume.bin" and b == size for f, b in got),
       f"a STOR transfer of volume.bin with {size} bytes (got {got})")
passes = [c.get("arg") for s in sessions for c in s.get("commands") or [] if c.get("verb") == "PASS"]
result(passes and all(a == "****" for a in passes), f"the PASS is decrypted and masked ({passes})")
result(password not in text, "the password appears nowhere in the report")
EOF
cat "$WORK/checks.txt"
FST_FAILURES=$((FST_FAILURES + $(grep -c '^FAIL' "$WORK/checks.txt")))
fst_expect "the analysis checks ran" grep -q 'the password appears nowhere' "$WORK/checks.txt"

echo "== 4. live: analyze -i lo --tls-keylog of a key log the upload appends to"
# The key log is empty when analyze starts: the client appends each
# connection's secrets as it starts, and analyze reads them when a
# connection's secret is missing.
live_keys=$WORK/live-keys.log
install -m 600 /dev/null "$live_keys"
live_s=6
fst_ns timeout -k 5 $((live_s + 20)) "$FTPSTALL" analyze -f json -i lo -B 65536 \
	--duration "$live_s" --tls-keylog "$live_keys" -o "$WORK/live.json" \
	"tcp port 21 or portrange 30000-30009" >"$WORK/live.out" 2>"$WORK/live.err" &
live_pid=$!
FST_PIDS+=("$live_pid")
for ((i = 0; i < 100; i++)); do
	grep -q 'listening on' "$WORK/live.err" 2>/dev/null && break
	sleep 0.05
done
sleep 0.5
cp "$WORK/volume.bin" "$WORK/live.bin"
rc=0
fst_ns env SSLKEYLOGFILE="$live_keys" FTP_PASSWORD="$password" timeout -k 2 60 \
	"$FTPSTALL" upload --no-progress -f json --limit-rate 8M --cacert "$WORK/good.pem" \
	"$WORK/live.bin" ftpes://anonymous@127.0.0.1/upload/ \
	>"$WORK/upload-live.json" 2>"$WORK/upload-live.err" || rc=$?
fst_expect "live upload: exit 0 (got $rc)" test "$rc" = 0
rc=0
wait "$live_pid" || rc=$?
fst_expect "live analyze: exit 0 (got $rc; $(tail -n 1 "$WORK/live.err" | head -c 200))" \
	test "$rc" = 0
"$FST_PYTHON" - "$WORK/live.json" "$size" >"$WORK/live-checks.txt" 2>&1 <<'EOF'
import json
import sys

try:
    report = json.load(open(sys.argv[1], encoding="utf-8"))
except (OSError, ValueError) as e:
    print(f"FAIL: the live analysis is not readable JSON: {e}")
    sys.exit(0)
size = int(sys.argv[2])
sessions = report.get("sessions") or []
states = [(s.get("tls") or {}).get("decryption") for s in sessions]
print(("ok: " if states == ["decrypted"] else "FAIL: ") +
      f"the live session decrypted with the appended key log (got {states})")
got = [(t.get("file"), t.get("bytes"), t.get("decrypted"))
       for s in sessions for t in s.get("transfers") or []]
print(("ok: " if ("live.bin", size, True) in got else "FAIL: ") +
      f"live: the STOR of live.bin with {size} plaintext bytes (got {got})")
EOF
cat "$WORK/live-checks.txt"
FST_FAILURES=$((FST_FAILURES + $(grep -c '^FAIL' "$WORK/live-checks.txt")))
fst_expect "the live checks ran" grep -q 'live: the STOR' "$WORK/live-checks.txt"

fst_finish
