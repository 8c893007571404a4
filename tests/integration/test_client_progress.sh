#!/bin/bash
# test_client_progress.sh FTPSTALL — what `probe` and `upload
# --idle-before` show while they wait, on a terminal and off it.
#
# vsftpd (idle_session_timeout=3) in a network namespace of its own; a
# private tmux server (tmux_lib.sh) in that namespace, 120x10:
#   1. `probe --max-wait 10` with its JSON going to a file: the pane shows
#      "ftpstall probe: idle timer: N s of --max-wait 10 s" counting up
#      while it waits, and the line is gone once it exits 0;
#   2. `upload --idle-before 2 FILE`: the pane shows "FILE idle before it
#      (--idle-before): 1 s of 2 s" before the transfer, and the upload
#      exits 0;
#   3. off a terminal (standard error to a file), the same probe and upload
#      write nothing at all on standard error (run meanwhile, in the
#      background).
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-client_progress-
# fail-*/), 77 skipped (not root, a tool missing). About 8 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=60
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"
# shellcheck source=SCRIPTDIR/tmux_lib.sh
. "$here/tmux_lib.sh"

fst_client_setup client_progress "${1:-}" tmux
fst_vsftpd_start "$WORK" idle_session_timeout=3 || {
	echo "FAIL: vsftpd did not start"
	exit 1
}
head -c 100000 /dev/urandom >"$WORK/vol1.bin"

FST_TMUX_PREFIX=(ip netns exec "$FST_NS")
fst_on_exit fst_tmux_stop
fst_tmux_start 120 10 || fst_skip "tmux did not start"

# ---- 3. not a terminal: in the background, while 1 and 2 run ----
cp "$WORK/vol1.bin" "$WORK/vol2.bin"
(
	rc=0
	fst_ns "$FTPSTALL" probe -f json --max-wait 10 ftp://127.0.0.1/ >"$WORK/probe2.json" \
		2>"$WORK/probe2.err" || rc=$?
	echo "$rc" >"$WORK/probe2.rc"
	rc=0
	fst_ns "$FTPSTALL" upload --idle-before 2 "$WORK/vol2.bin" ftp://127.0.0.1/upload/ \
		>"$WORK/upload2.out" 2>"$WORK/upload2.err" || rc=$?
	echo "$rc" >"$WORK/upload2.rc"
) &
offterm_pid=$!

# ---- 1. probe on a terminal ----
fst_tmux_run "$FTPSTALL probe -f json --max-wait 10 ftp://127.0.0.1/ >$WORK/probe.json" \
	"$WORK/probe.exit"
fst_expect "probe: the status line counts the idle timer against --max-wait" \
	fst_tmux_wait "ftpstall probe: idle timer: 1 s of --max-wait 10 s" 5
fst_tmux_capture >"$WORK/probe-pane.txt"
fst_tmux_wait_file "$WORK/probe.exit" 10
fst_expect "probe: exit 0 ($(cat "$WORK/probe.exit" 2>/dev/null))" grep -qx 'EXIT=0' "$WORK/probe.exit"
fst_expect "probe: the status line is cleared at the end" fst_tmux_wait_gone "idle timer:" 2
fst_expect "probe: its JSON unchanged by the status line" \
	test "$(fst_jq "$WORK/probe.json" "j['idle']['reply_code']")" = 421

# ---- 2. upload --idle-before on a terminal ----
fst_tmux_run "$FTPSTALL upload --idle-before 2 $WORK/vol1.bin ftp://127.0.0.1/upload/ >$WORK/upload.out" \
	"$WORK/upload.exit"
fst_expect "upload: the pause before the file is shown" \
	fst_tmux_wait "vol1.bin                 idle before it (--idle-before): 1 s of 2 s (1/1)" 5
fst_tmux_wait_file "$WORK/upload.exit" 15
fst_expect "upload: exit 0 ($(cat "$WORK/upload.exit" 2>/dev/null))" grep -qx 'EXIT=0' "$WORK/upload.exit"
fst_same_file "upload: the file arrived" "$WORK/vol1.bin" "$WORK/root/upload/vol1.bin"
rm -f "$WORK/root/upload/vol1.bin"

# ---- 3. not a terminal ----
wait "$offterm_pid"
rc=$(cat "$WORK/probe2.rc" 2>/dev/null)
fst_expect "probe off a terminal: exit 0 ($rc), nothing on stderr ($(wc -c <"$WORK/probe2.err") bytes)" \
	test "$rc:$(wc -c <"$WORK/probe2.err")" = "0:0"
rc=$(cat "$WORK/upload2.rc" 2>/dev/null)
fst_expect "upload off a terminal: exit 0 ($rc), nothing on stderr ($(wc -c <"$WORK/upload2.err") bytes)" \
	test "$rc:$(wc -c <"$WORK/upload2.err")" = "0:0"
fst_same_file "upload off a terminal: the file arrived" "$WORK/vol2.bin" "$WORK/root/upload/vol2.bin"

fst_finish
