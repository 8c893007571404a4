#!/bin/bash
# test_upload_reconnect.sh FTPSTALL — `ftpstall upload --idle-before`
# against a real vsftpd idle timeout.
#
# vsftpd runs on 127.0.0.1:21 in a network namespace of its own (lib.sh)
# with idle_session_timeout=2 and anonymous uploads that may also write into
# existing files (anon_other_write_enable, needed for REST+STOR and APPE).
# Three files of a few hundred KiB of random bytes go up with
# --idle-before 3, so the server says "421 Timeout." before every file:
#   - exit 0, all three verified;
#   - the JSON summary lists three reconnects, one per file, each in the
#     idle phase with reply 421 and reason "421 Timeout.", reconnected
#     without a backoff (the first failure of a file is not backed off)
#     once the idle second left after the 421 was over (the delay runs
#     from the loss to the new login: about 1 s, not 0) and resumed from 0
#     with STOR (the file had not been started); each file counts one
#     reconnect and one attempt; four logins, no failed connection attempt;
#   - the files in the server's anon_root are byte-identical (SHA-256).
# Then the same with --keepalive 1: NOOPs keep the session alive, so no
# reconnect, one login, and NOOPs counted; files identical again.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-upload_reconnect-
# fail-*/), 77 skipped (not root, a tool missing). About 22 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=80
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup upload_reconnect "${1:-}"
fst_vsftpd_start "$WORK" idle_session_timeout=2 anon_other_write_enable=YES || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}

mkdir -p "$WORK/local" "$WORK/local2"
sizes=(307200 409601 262147)
files=()
files2=()
for i in 0 1 2; do
	head -c "${sizes[i]}" /dev/urandom >"$WORK/local/f$((i + 1)).bin"
	files+=("$WORK/local/f$((i + 1)).bin")
	head -c "${sizes[i]}" /dev/urandom >"$WORK/local2/k$((i + 1)).bin"
	files2+=("$WORK/local2/k$((i + 1)).bin")
done

# ---- 1. --idle-before 3 against idle_session_timeout=2: a 421 before each file ----

echo "== upload --idle-before 3, idle_session_timeout=2"
rc=0
t0=$(date +%s.%N)
fst_ns timeout -k 2 40 "$FTPSTALL" upload --no-progress -f json -v --idle-before 3 \
	--retry-delay 0.1 "${files[@]}" ftp://127.0.0.1/upload/ \
	>"$WORK/idle.json" 2>"$WORK/idle.err" || rc=$?
t1=$(date +%s.%N)
echo "  took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
fst_expect "exit status 0 (got $rc)" test "$rc" = 0
if ! fst_jq "$WORK/idle.json" 'j["ok"]' >/dev/null; then
	fst_fail "the summary is not JSON"
	sed 's/^/  stderr: /' "$WORK/idle.err" | tail -20
else
	fst_expect "ok true, 3 verified, 0 failed" \
		test "$(fst_jq "$WORK/idle.json" 'j["ok"]' 'j["verified"]' 'j["failed"]' | tr '\n' ' ')" = "true 3 0 "
	fst_expect "3 reconnects in the summary" \
		test "$(fst_jq "$WORK/idle.json" 'len(j["reconnects"])')" = 3
	fst_expect "one reconnect per file, in file order" \
		test "$(fst_jq "$WORK/idle.json" '[r["file"] for r in j["reconnects"]]')" = '["f1.bin","f2.bin","f3.bin"]'
	fst_expect "every reconnect: phase idle, reply 421, reason '421 Timeout.'" \
		test "$(fst_jq "$WORK/idle.json" 'all(r["phase"] == "idle" and r["reply_code"] == 421 and r["reason"] == "421 Timeout." for r in j["reconnects"])')" = true
	fst_expect "every reconnect resumed from 0 with STOR, without a backoff" \
		test "$(fst_jq "$WORK/idle.json" 'all(r["resumed"] and r["resumed_from"] == 0 and r["method"] == "STOR" and r["backoff_s"] == 0 and r["sent_offset"] == 0 for r in j["reconnects"])')" = true
	# The 421 comes 2 s into the 3 s idle; the login follows its end.
	delays=$(fst_jq "$WORK/idle.json" '[r["delay_s"] for r in j["reconnects"]]')
	echo "  delays from the 421 to the new login: $delays"
	fst_expect "each reconnect's delay is the idle left after the 421: 0.3 to 1.8 s" \
		test "$(fst_jq "$WORK/idle.json" 'all(0.3 < r["delay_s"] < 1.8 for r in j["reconnects"])')" = true
	# The 421 comes idle_session_timeout (2 s) after the last command:
	# the first 2 s after the run starts, the next 2 s after the previous
	# file ended (and after the 3 s idle), so about 2, 5 and 8 s.
	fst_expect "the 421s came about 2, 5 and 8 s into the run (+-0.8 s)" \
		test "$(fst_jq "$WORK/idle.json" 'all(abs(r["elapsed_s"] - e) < 0.8 for r, e in zip(j["reconnects"], (2, 5, 8)))')" = true
	fst_expect "each file: verified, 1 reconnect, 1 attempt, all bytes sent once" \
		test "$(fst_jq "$WORK/idle.json" 'all(f["status"] == "verified" and f["reconnects"] == 1 and f["attempts"] == 1 and f["bytes_sent"] == f["size"] == f["remote_size"] for f in j["files"])')" = true
	fst_expect "4 logins, no NOOP, no failed connection attempt" \
		test "$(fst_jq "$WORK/idle.json" 'j["logins"]' 'j["noops"]' 'j["connect_failures"]' | tr '\n' ' ')" = "4 0 0 "
fi
fst_expect "the -v log shows the 421 while idle" grep -q '<- 421 Timeout.' "$WORK/idle.err"
for i in 1 2 3; do
	fst_same_file "f$i.bin identical on the server" "$WORK/local/f$i.bin" "$WORK/root/upload/f$i.bin"
done

# ---- 2. the same with --keepalive 1: no reconnect ----

echo "== upload --idle-before 3 --keepalive 1, idle_session_timeout=2"
rc=0
fst_ns timeout -k 2 40 "$FTPSTALL" upload --no-progress -f json --idle-before 3 --keepalive 1 \
	"${files2[@]}" ftp://127.0.0.1/upload/ >"$WORK/keepalive.json" 2>"$WORK/keepalive.err" || rc=$?
fst_expect "exit status 0 (got $rc)" test "$rc" = 0
if ! fst_jq "$WORK/keepalive.json" 'j["ok"]' >/dev/null; then
	fst_fail "the summary is not JSON"
	sed 's/^/  stderr: /' "$WORK/keepalive.err" | tail -20
else
	fst_expect "ok true, 3 verified" \
		test "$(fst_jq "$WORK/keepalive.json" 'j["ok"]' 'j["verified"]' | tr '\n' ' ')" = "true 3 "
	fst_expect "0 reconnects, 1 login" \
		test "$(fst_jq "$WORK/keepalive.json" 'len(j["reconnects"])' 'sum(f["reconnects"] for f in j["files"])' 'j["logins"]' | tr '\n' ' ')" = "0 0 1 "
	# 3 s idle with a NOOP after each quiet second: 2 or 3 per file.
	noops=$(fst_jq "$WORK/keepalive.json" 'j["noops"]')
	fst_expect "keepalive NOOPs sent: 6 to 9 (got $noops)" test "$noops" -ge 6 -a "$noops" -le 9
fi
fst_expect "nothing on stderr" test ! -s "$WORK/keepalive.err"
for i in 1 2 3; do
	fst_same_file "k$i.bin identical on the server" "$WORK/local2/k$i.bin" "$WORK/root/upload/k$i.bin"
done
fst_expect "vsftpd logged three 421s in all: none in the keepalive run" \
	test "$(grep -c 'FTP response: Client "127.0.0.1", "421' "$WORK/vsftpd.log")" = 3

fst_finish
