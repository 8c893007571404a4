#!/bin/bash
# test_probe.sh FTPSTALL — `ftpstall probe` measures a real vsftpd's
# timeouts.
#
# vsftpd runs on 127.0.0.1:21 in a network namespace of its own (lib.sh)
# with idle_session_timeout=3 and data_connection_timeout=2 (anonymous
# users may delete files, so the data probe can remove its scratch file).
#   1. `probe -f json ftp://127.0.0.1/`: exit 0; the idle control
#      connection timed out after 3 s +- 0.5 s, first sign a reply, 421
#      "Timeout.", then the server's FIN; no data measurement.
#   2. `probe -f json --data ftp://127.0.0.1/upload/`: the same idle
#      result, then the stalled data connection: vsftpd's data timer fires
#      between T and 2T after the last byte, so 2 to 4.5 s; its 421 is
#      "Data timeout. Reconnect. Sorry."; some bytes were sent; the scratch
#      file was deleted again (the report says so and the upload dir is
#      empty).
#   3. the text report of run 2 says the same in words.
#   4. `probe --max-wait 1`: nothing within 1 s is not an error: exit 0,
#      "measured": false, end "max-wait".
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-probe-fail-*/), 77
# skipped (not root, a tool missing). About 19 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=80
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup probe "${1:-}"
fst_vsftpd_start "$WORK" idle_session_timeout=3 data_connection_timeout=2 \
	anon_other_write_enable=YES || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}

# probe_run NAME ARGS... — runs probe into NAME.json / NAME.err; sets RC
# and prints how long it took.
probe_run() {
	local name=$1 t0 t1
	shift
	RC=0
	t0=$(date +%s.%N)
	fst_ns timeout -k 2 30 "$FTPSTALL" probe "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" || RC=$?
	t1=$(date +%s.%N)
	echo "  ftpstall probe $* -> exit $RC in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
}

# check_idle NAME — the idle-timeout facts of NAME.json.
check_idle() {
	local f=$WORK/$1.json t
	t=$(fst_jq "$f" 'j["idle"]["timeout_s"]' 2>/dev/null)
	fst_expect "idle timeout 3 s +- 0.5 s (measured $t s)" \
		test "$(fst_jq "$f" 'j["idle"]["measured"] and abs(j["idle"]["timeout_s"] - 3) <= 0.5')" = true
	fst_expect "idle: first sign a reply, 421 'Timeout.', then the server's FIN" \
		test "$(fst_jq "$f" '(j["idle"]["end"], j["idle"]["reply_code"], j["idle"]["reply"], j["idle"]["closed_by"])')" = '["reply",421,"Timeout.","fin"]'
	fst_expect "resolution at most 0.05 s" \
		test "$(fst_jq "$f" '0 < j["resolution_s"] <= 0.05')" = true
}

# ---- 1. the idle timeout ----

echo "== probe, idle_session_timeout=3"
probe_run idle -f json ftp://127.0.0.1/
fst_expect "exit status 0 (got $RC)" test "$RC" = 0
if fst_jq "$WORK/idle.json" 'j["tool"]' >/dev/null 2>&1; then
	check_idle idle
	fst_expect "no data measurement asked, none reported" \
		test "$(fst_jq "$WORK/idle.json" 'j["data"]')" = null
	fst_expect "server, user and greeting reported" \
		test "$(fst_jq "$WORK/idle.json" '(j["server"]["host"], j["server"]["port"], j["server"]["user"], j["server"]["greeting"].startswith("(vsFTPd"))')" = '["127.0.0.1",21,"anonymous",true]'
else
	fst_fail "the report is not JSON"
	sed 's/^/  /' "$WORK/idle.json" "$WORK/idle.err" | head -20
fi
fst_expect "nothing on stderr" test ! -s "$WORK/idle.err"

# ---- 2. and the stalled-data timeout ----

echo "== probe --data, data_connection_timeout=2"
probe_run data -f json --data ftp://127.0.0.1/upload/
fst_expect "exit status 0 (got $RC)" test "$RC" = 0
if fst_jq "$WORK/data.json" 'j["tool"]' >/dev/null 2>&1; then
	check_idle data
	t=$(fst_jq "$WORK/data.json" 'j["data"]["timeout_s"]' 2>/dev/null)
	fst_expect "data timeout between 2 and 4.5 s (measured $t s)" \
		test "$(fst_jq "$WORK/data.json" 'j["data"]["measured"] and 2 <= j["data"]["timeout_s"] <= 4.5')" = true
	fst_expect "data: 421 'Data timeout. Reconnect. Sorry.'" \
		test "$(fst_jq "$WORK/data.json" '(j["data"]["reply_code"], j["data"]["reply"])')" = '[421,"Data timeout. Reconnect. Sorry."]'
	fst_expect "data: the first sign was on the data connection or the reply" \
		test "$(fst_jq "$WORK/data.json" 'j["data"]["end"] in ("data-fin", "data-rst", "reply")')" = true
	fst_expect "data: bytes were sent before stalling" \
		test "$(fst_jq "$WORK/data.json" 'j["data"]["bytes_sent"] > 0')" = true
	fst_expect "the scratch file was removed (the report says so)" \
		test "$(fst_jq "$WORK/data.json" 'j["data_file_removed"] and j["data_file"].startswith(".ftpstall-probe-")')" = true
else
	fst_fail "the report is not JSON"
	sed 's/^/  /' "$WORK/data.json" "$WORK/data.err" | head -20
fi
fst_expect "nothing left in the upload dir" test -z "$(ls -A "$WORK/root/upload")"

# ---- 3. the text view of the same ----

echo "== probe --data, text"
probe_run text --data ftp://127.0.0.1/upload/
fst_expect "exit status 0 (got $RC)" test "$RC" = 0
fst_expect "text: idle 'gave up after 3.' with '421 Timeout.'" \
	grep -q '^idle control connection: the server gave up after [23]\.[0-9]* s' "$WORK/text.json"
fst_expect "text: reply 421 Timeout." grep -q '^  reply: 421 Timeout\.$' "$WORK/text.json"
fst_expect "text: the stalled data connection line" \
	grep -q '^stalled data connection (after [0-9]* bytes of a STOR): the server gave up after' "$WORK/text.json"
fst_expect "text: no note about a scratch file left behind" \
	test "$(grep -c 'could not be removed' "$WORK/text.json")" = 0

# ---- 4. --max-wait shorter than the timeout ----

echo "== probe --max-wait 1"
probe_run maxwait -f json --max-wait 1 ftp://127.0.0.1/
fst_expect "exit status 0 (got $RC)" test "$RC" = 0
fst_expect "not measured, end max-wait, no reply" \
	test "$(fst_jq "$WORK/maxwait.json" '(j["idle"]["measured"], j["idle"]["end"], j["idle"]["reply_code"], j["max_wait_s"])' 2>&1)" = '[false,"max-wait",null,1.0]'

fst_finish
