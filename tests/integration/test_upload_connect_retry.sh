#!/bin/bash
# test_upload_connect_retry.sh FTPSTALL — `ftpstall upload` started while
# the server is not listening yet (a nightly job that starts while the
# server restarts) retries the refused first connection with the
# reconnect backoff, within --retries.
#
# In a network namespace of its own (lib.sh):
#   1. upload -v starts against 127.0.0.1:21 where nothing listens; once
#      its log shows the first refused attempt, vsftpd starts. The upload
#      must then succeed: exit 0, the file verified and byte-identical on
#      the server, the JSON summary counting the refused attempts in
#      connect_failures (at least 1), one login and no reconnect (a
#      refused attempt is not a lost session), and the log saying it
#      connects again after a backoff.
#   2. against a port where no server ever comes, with -r 2: exit 1
#      after three refused attempts (connect_failures 3) and one clear
#      line on stderr: "gave up after 2 retries: cannot connect to ...
#      Connection refused"; the text summary counts the attempts too.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-upload_connect_retry-
# fail-*/), 77 skipped (not root, a tool missing). About 8 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=5
FST_SERVER_MAX_S=60
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup upload_connect_retry "${1:-}"

mkdir -p "$WORK/local"
head -c 300000 /dev/urandom >"$WORK/local/late.bin"

# ---- 1. the server starts after the first refused attempt ----

echo "== upload while nothing listens yet; vsftpd starts after the first refusal"
fst_ns timeout -k 2 40 "$FTPSTALL" upload --no-progress -f json -v --retry-delay 1 \
	--retry-max-delay 2 -r 10 "$WORK/local/late.bin" ftp://127.0.0.1/upload/ \
	>"$WORK/late.json" 2>"$WORK/late.err" &
UPLOAD_PID=$!
refused=0
for ((i = 0; i < 200; i++)); do
	if grep -q 'connection attempt failed: .*Connection refused' "$WORK/late.err"; then
		refused=1
		break
	fi
	kill -0 "$UPLOAD_PID" 2>/dev/null || break
	sleep 0.1
done
fst_expect "the upload's log shows a refused first attempt" test "$refused" = 1
echo "  first refusal seen at $(fst_elapsed) s; starting vsftpd"
fst_vsftpd_start "$WORK" || fst_fail "vsftpd did not start on 127.0.0.1:21"
rc=0
wait "$UPLOAD_PID" || rc=$?
echo "  upload ended at $(fst_elapsed) s"
fst_expect "exit status 0 (got $rc)" test "$rc" = 0
if ! fst_jq "$WORK/late.json" 'j["ok"]' >/dev/null; then
	fst_fail "the summary is not JSON"
	sed 's/^/  stderr: /' "$WORK/late.err" | tail -20
else
	echo "  connect_failures: $(fst_jq "$WORK/late.json" 'j["connect_failures"]')"
	fst_expect "ok true, the file verified" \
		test "$(fst_jq "$WORK/late.json" 'j["ok"]' 'j["files"][0]["status"]' | tr '\n' ' ')" = "true verified "
	fst_expect "the refused attempts counted: connect_failures >= 1" \
		test "$(fst_jq "$WORK/late.json" 'j["connect_failures"] >= 1')" = true
	fst_expect "one login, no reconnect, one attempt at the file" \
		test "$(fst_jq "$WORK/late.json" 'j["logins"]' 'len(j["reconnects"])' 'j["files"][0]["reconnects"]' 'j["files"][0]["attempts"]' | tr '\n' ' ')" = "1 0 0 1 "
fi
fst_expect "the log says it connects again after a backoff" \
	grep -q 'connecting again in [0-9.]* s' "$WORK/late.err"
fst_same_file "late.bin identical on the server" "$WORK/local/late.bin" "$WORK/root/upload/late.bin"

# ---- 2. no server ever comes: the limit, then one clear line ----

echo "== no server on port 2199, -r 2"
rc=0
fst_ns timeout -k 2 30 "$FTPSTALL" upload --no-progress -f json --retry-delay 0.2 -r 2 \
	"$WORK/local/late.bin" ftp://127.0.0.1:2199/upload/ >"$WORK/never.json" 2>"$WORK/never.err" || rc=$?
fst_expect "exit status 1 (got $rc)" test "$rc" = 1
fst_expect "exactly one line on stderr (got $(wc -l <"$WORK/never.err"))" test "$(wc -l <"$WORK/never.err")" = 1
fst_expect "it says it gave up after 2 retries, and why" \
	grep -qE '^ftpstall upload: .*gave up after 2 retries: cannot connect to 127\.0\.0\.1 port 2199: Connection refused$' "$WORK/never.err"
fst_expect "JSON: not ok, 3 failed connection attempts, no login" \
	test "$(fst_jq "$WORK/never.json" 'j["ok"]' 'j["connect_failures"]' 'j["logins"]' | tr '\n' ' ')" = "false 3 0 "
rc=0
fst_ns timeout -k 2 30 "$FTPSTALL" upload --no-progress --retry-delay 0.1 -r 1 \
	"$WORK/local/late.bin" ftp://127.0.0.1:2199/upload/ >"$WORK/never.out" 2>"$WORK/never1.err" || rc=$?
fst_expect "-r 1: exit 1, 'gave up after 1 retry' (singular)" \
	grep -q 'gave up after 1 retry: cannot connect' "$WORK/never1.err"
fst_expect "-r 1: the text summary counts 2 failed connection attempts" \
	grep -q '^failed connection attempts: 2$' "$WORK/never.out"

fst_finish
