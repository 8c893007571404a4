#!/bin/bash
# test_upload_resume_dirs.sh FTPSTALL — `ftpstall upload --ftp-create-dirs`
# and `-C -` (resume a remote file an earlier run left partial) against
# a real vsftpd.
#
# vsftpd runs on 127.0.0.1:21 in a network namespace of its own (lib.sh),
# anonymous uploads that may make directories and write into existing
# files (anon_other_write_enable, for REST + STOR):
#   1. --ftp-create-dirs to upload/new/a/b/: exit 0, the three missing
#      directories made, the file byte-identical in the deepest one; the
#      -v log shows MKD for new, a and b and none for upload; a second run
#      into the now existing path makes none;
#   2. --ftp-create-dirs where a component exists but cannot be entered
#      (MKD's 550, then CWD fails again): exit 1 and one line naming it;
#   3. a 1 MB file whose first 400000 bytes are already on the server
#      (left by an earlier run): -C - sends only the 600000 missing bytes
#      (the summary's bytes_sent and vsftpd's transfer log agree) with
#      REST 400000 + STOR, and the remote file is byte-identical and
#      verified;
#   4. -C - with a remote file larger than the local one: exit 1, the
#      remote file untouched (never truncated);
#   5. -C with anything but "-": usage error, exit 2.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-upload_resume_dirs-
# fail-*/), 77 skipped (not root, a tool missing). About 5 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=60
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup upload_resume_dirs "${1:-}"
fst_vsftpd_start "$WORK" anon_other_write_enable=YES || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}

mkdir -p "$WORK/local"
head -c 200000 /dev/urandom >"$WORK/local/deep.bin"
head -c 1000000 /dev/urandom >"$WORK/local/part.bin"

# up NAME ARGS... — an upload into NAME.json / NAME.err; sets RC.
up() {
	local name=$1
	shift
	RC=0
	fst_ns timeout -k 2 30 "$FTPSTALL" upload --no-progress -f json "$@" \
		>"$WORK/$name.json" 2>"$WORK/$name.err" || RC=$?
	echo "  ftpstall upload $* -> exit $RC"
}

# ---- 1. nested new directories ----

echo "== --ftp-create-dirs into upload/new/a/b/"
up dirs -v --ftp-create-dirs "$WORK/local/deep.bin" ftp://127.0.0.1/upload/new/a/b/
fst_expect "exit status 0 (got $RC)" test "$RC" = 0
fst_expect "upload/new/a/b is a directory on the server" test -d "$WORK/root/upload/new/a/b"
fst_same_file "deep.bin identical in upload/new/a/b" "$WORK/local/deep.bin" "$WORK/root/upload/new/a/b/deep.bin"
fst_expect "MKD new, a, b and nothing else" \
	test "$(grep -o -- '-> MKD .*' "$WORK/dirs.err" | tr '\n' ' ')" = "-> MKD new -> MKD a -> MKD b "
up dirs2 -v --ftp-create-dirs "$WORK/local/deep.bin" ftp://127.0.0.1/upload/new/a/b/
fst_expect "again into the existing path: exit 0 (got $RC), no MKD" \
	test "$RC" = 0 -a "$(grep -c -- '-> MKD' "$WORK/dirs2.err")" = 0

# ---- 2. a component that exists but cannot be entered ----

echo "== --ftp-create-dirs through a directory anonymous cannot enter"
install -d -m 700 -o root -g root "$WORK/root/upload/locked"
up locked --ftp-create-dirs "$WORK/local/deep.bin" ftp://127.0.0.1/upload/locked/x/
fst_expect "exit status 1 (got $RC)" test "$RC" = 1
fst_expect "one line: cannot create the directory 'upload/locked': 550" \
	test "$(wc -l <"$WORK/locked.err")" = 1 -a \
	"$(grep -c "cannot create the directory 'upload/locked': 550" "$WORK/locked.err")" = 1

# ---- 3. -C -: finish what an earlier run left ----

echo "== -C - with the first 400000 of 1000000 bytes on the server"
head -c 400000 "$WORK/local/part.bin" >"$WORK/root/upload/part.bin"
chown ftp:ftp "$WORK/root/upload/part.bin"
up cont -v -C - "$WORK/local/part.bin" ftp://127.0.0.1/upload/
fst_expect "exit status 0 (got $RC)" test "$RC" = 0
fst_same_file "part.bin completed and identical" "$WORK/local/part.bin" "$WORK/root/upload/part.bin"
fst_expect "the summary: verified, 600000 bytes sent, no reconnect" \
	test "$(fst_jq "$WORK/cont.json" 'j["files"][0]["status"]' 'j["files"][0]["bytes_sent"]' 'len(j["reconnects"])' | tr '\n' ' ')" = "verified 600000 0 "
fst_expect "the log shows SIZE, REST 400000 and STOR" \
	test "$(grep -oE -- '-> (SIZE|REST|STOR|APPE) .*' "$WORK/cont.err" | head -3 | tr '\n' ' ')" = "-> SIZE part.bin -> REST 400000 -> STOR part.bin "
fst_expect "vsftpd's transfer log: 600000 bytes uploaded into part.bin" \
	grep -q 'OK UPLOAD: Client "127.0.0.1", "/upload/part.bin", 600000 bytes' "$WORK/vsftpd.log"

# ---- 4. a remote file larger than the local one ----

echo "== -C - with a remote file larger than the local one"
head -c 1000 /dev/urandom >"$WORK/local/small.bin"
head -c 5000 /dev/urandom >"$WORK/root/upload/small.bin"
chown ftp:ftp "$WORK/root/upload/small.bin"
before=$(fst_sha256 "$WORK/root/upload/small.bin")
up big -C - "$WORK/local/small.bin" ftp://127.0.0.1/upload/
fst_expect "exit status 1 (got $RC)" test "$RC" = 1
fst_expect "it says it does not truncate" grep -q 'not truncating it' "$WORK/big.err"
fst_expect "the remote file is untouched" test "$(fst_sha256 "$WORK/root/upload/small.bin")" = "$before"

# ---- 5. -C with an offset ----

up offset -C 100 "$WORK/local/small.bin" ftp://127.0.0.1/upload/
fst_expect "-C 100: usage error, exit 2 (got $RC)" test "$RC" = 2

fst_finish
