#!/bin/bash
# test_upload_errors.sh FTPSTALL — `ftpstall upload` failing cleanly, and
# keeping the password to itself.
#
# In a network namespace of its own (lib.sh): vsftpd on 127.0.0.1:21 for
# anonymous uploads, with a directory anonymous users cannot write (ro/),
# and a second vsftpd on 127.0.0.1:2121 for local users only (anonymous
# disabled). The wrong password is a login as a user that does not exist
# (vsftpd answers it exactly as a wrong password: 530 Login incorrect.), so
# the test creates no system user. Each failure must give exit status 1
# and exactly one line on stderr naming the cause, quickly (no retries for
# settings that are wrong), and touch no local file (size, mtime, inode,
# SHA-256 and the directory listing compared before and after):
#   - a port with no server, with -r 0 (a refused connection is retried
#     like a lost one, test_upload_connect_retry.sh): "gave up after 0
#     retries: cannot connect ... Connection refused";
#   - the wrong password: "login as USER refused: 530 Login incorrect.";
#   - a read-only directory: "STOR refused: 553 Could not create file.";
#     nothing appears in that directory;
#   - a directory that does not exist: "cannot change to the directory".
# Also: a password in the URL is refused with exit 2 and is not echoed; and
# the FTP_PASSWORD value appears in no output (stdout, stderr, the -v log,
# the JSON summary) of a successful anonymous upload (where vsftpd's log
# shows it really was sent) nor of the failures above.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-upload_errors-
# fail-*/), 77 skipped (not root, a tool missing). About 7 s (vsftpd and
# PAM delay each refused login by about 3 s).

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=60
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup upload_errors "${1:-}"
fst_vsftpd_start "$WORK" || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}
install -d -m 755 -o root -g root "$WORK/root/ro"
# A second upload dir: vsftpd's defaults here (anon_other_write_enable=NO)
# refuse to overwrite a file anonymous uploaded before.
install -d -m 755 -o ftp -g ftp "$WORK/root/upload2"
mkdir -p "$WORK/srv2"
fst_vsftpd_start "$WORK/srv2" listen_port=2121 anonymous_enable=NO local_enable=YES || {
	echo "FAIL: the local-user vsftpd did not start on 127.0.0.1:2121"
	exit 1
}

SECRET="fst-Secret-$$-x9Q"
NOUSER="fstnouser$$"
export FTP_PASSWORD=$SECRET
mkdir -p "$WORK/local"
head -c 200000 /dev/urandom >"$WORK/local/a.bin"
head -c 1000 /dev/urandom >"$WORK/local/b.bin"
touch -d '2020-01-02 03:04:05' "$WORK/local/a.bin" "$WORK/local/b.bin"

# What must not change: names, sizes, mtimes (ns), inodes, modes, hashes.
snapshot() {
	(cd "$WORK/local" && stat -c '%n %s %.9Y %i %a' -- * && sha256sum -- *)
}
BEFORE=$(snapshot)

# run NAME ARGS... — upload into NAME.out / NAME.err; sets RC and SECS.
run() {
	local name=$1 t0 t1
	shift
	RC=0
	t0=$(date +%s.%N)
	fst_ns timeout -k 2 30 "$FTPSTALL" upload --no-progress "$@" \
		>"$WORK/$name.out" 2>"$WORK/$name.err" || RC=$?
	t1=$(date +%s.%N)
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	echo "  ftpstall upload $* -> exit $RC in $SECS s"
	# Not the -v protocol log: its lines carry a [time] stamp.
	grep -v '^ftpstall upload: \[' "$WORK/$name.err" | sed 's/^/    stderr: /'
}

# expect_failure NAME STATUS PATTERN — exit STATUS, one stderr line that
# matches PATTERN (grep -E), no local file changed.
expect_failure() {
	local name=$1 status=$2 pattern=$3 lines
	lines=$(wc -l <"$WORK/$name.err")
	fst_expect "$name: exit status $status (got $RC)" test "$RC" = "$status"
	fst_expect "$name: exactly one line on stderr (got $lines)" test "$lines" = 1
	fst_expect "$name: it says /$pattern/" grep -qE -- "^ftpstall upload: .*$pattern" "$WORK/$name.err"
	fst_expect "$name: no local file touched" test "$(snapshot)" = "$BEFORE"
}

# ---- no server ----

echo "== a port with no server"
run noserver -r 0 "$WORK/local/a.bin" ftp://127.0.0.1:2199/upload/
expect_failure noserver 1 "gave up after 0 retries: cannot connect to 127.0.0.1 port 2199: Connection refused"
fst_expect "noserver: no retries (under 2 s, took $SECS s)" awk -v s="$SECS" 'BEGIN { exit !(s < 2) }'

# ---- the wrong password ----

echo "== the wrong password (user $NOUSER on the local-user server)"
run badpass -v "$WORK/local/a.bin" "ftp://$NOUSER@127.0.0.1:2121/"
# -v adds the protocol log: the error is the last line, the only one
# without a [time] stamp.
grep -v '^ftpstall upload: \[' "$WORK/badpass.err" >"$WORK/badpass-errors.err"
cp "$WORK/badpass.err" "$WORK/badpass-v.err"
cp "$WORK/badpass-errors.err" "$WORK/badpass.err"
expect_failure badpass 1 "login as $NOUSER refused: 530 Login incorrect\\."
fst_expect "badpass: the -v log shows PASS ****" grep -q -- '-> PASS \*\*\*\*$' "$WORK/badpass-v.err"
fst_expect "badpass: the login was tried once, no retries (took $SECS s)" \
	test "$(grep -c -- '-> PASS' "$WORK/badpass-v.err")" = 1
run badpass-json -f json "$WORK/local/a.bin" "ftp://$NOUSER@127.0.0.1:2121/"
fst_expect "badpass-json: exit 1, JSON error names the refused login" \
	test "$(fst_jq "$WORK/badpass-json.out" '(j["ok"], j["server"]["user"], "530 Login incorrect." in j["error"])' 2>&1)" = "[false,\"$NOUSER\",true]"

# ---- a read-only directory ----

echo "== a directory anonymous users cannot write"
ls -la --time-style=full-iso "$WORK/root/ro" >"$WORK/ro-before.txt"
run readonly "$WORK/local/a.bin" ftp://127.0.0.1/ro/
expect_failure readonly 1 "a\\.bin: STOR refused: 553 Could not create file\\."
ls -la --time-style=full-iso "$WORK/root/ro" >"$WORK/ro-after.txt"
fst_expect "readonly: the server directory is unchanged (and empty)" \
	test "$(cat "$WORK/ro-after.txt")" = "$(cat "$WORK/ro-before.txt")" -a -z "$(ls -A "$WORK/root/ro")"

echo "== a directory that does not exist"
run nodir "$WORK/local/a.bin" ftp://127.0.0.1/no-such-dir/
expect_failure nodir 1 "cannot change to the directory 'no-such-dir': 550"

# ---- a password in the URL ----

echo "== a password in the URL"
run urlpass "$WORK/local/a.bin" "ftp://someone:Url-Pw-$$@127.0.0.1/upload/"
expect_failure urlpass 2 "password"
fst_expect "urlpass: the URL's password is not echoed" \
	test "$(grep -c -- "Url-Pw-$$" "$WORK/urlpass.err" "$WORK/urlpass.out" | awk -F: '{ s += $2 } END { print s }')" = 0

# ---- FTP_PASSWORD in no output ----

echo "== a successful upload with FTP_PASSWORD set, -v, text and JSON"
run ok-text -v "$WORK/local/a.bin" "$WORK/local/b.bin" ftp://127.0.0.1/upload/
fst_expect "ok-text: exit 0 (got $RC)" test "$RC" = 0
run ok-json -v -f json "$WORK/local/b.bin" ftp://127.0.0.1/upload2/
fst_expect "ok-json: exit 0 (got $RC), ok true" \
	test "$RC:$(fst_jq "$WORK/ok-json.out" 'j["ok"]' 2>&1)" = "0:true"
fst_expect "the -v log shows PASS ****" grep -q -- '-> PASS \*\*\*\*$' "$WORK/ok-text.err"
fst_expect "vsftpd got FTP_PASSWORD as the anonymous password (so it was really sent)" \
	grep -qF "anon password \"$SECRET\"" "$WORK/vsftpd.log"
fst_same_file "a.bin uploaded" "$WORK/local/a.bin" "$WORK/root/upload/a.bin"
fst_expect "no local file touched by the successful runs" test "$(snapshot)" = "$BEFORE"
leaks=$(grep -lF -- "$SECRET" "$WORK"/*.out "$WORK"/*.err 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
fst_expect "FTP_PASSWORD appears in no stdout, stderr, -v log or JSON${leaks:+ (found in: $leaks)}" \
	test -z "$leaks"
fst_expect "... and the outputs checked are not empty" \
	test -s "$WORK/ok-text.out" -a -s "$WORK/ok-text.err" -a -s "$WORK/ok-json.out" -a -s "$WORK/badpass-v.err"

fst_finish
