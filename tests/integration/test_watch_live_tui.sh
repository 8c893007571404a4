#!/bin/bash
# test_watch_live_tui.sh FTPSTALL — `ftpstall watch -i lo --timeout 3`'s
# screen on a live idle client: the idle column turns yellow, then alarm.
#
# In a network namespace of its own (lib.sh): vsftpd on 127.0.0.1:21 with
# idle_session_timeout=9, and a private tmux server started inside the
# namespace (tmux_lib.sh) whose 120x30 pane runs watch. A Python client
# (idle_client.py) logs in and sends nothing for 10 s. From
# `tmux capture-pane -e` (tmux_idle_styles.py reads the SGR escapes):
#   - in the list, the session's IDLE cell is plain below 80 % of the
#     --timeout (2.4 s), yellow and bold from 80 % to 3 s (TUI_STYLE_WARN),
#     red and bold past 3 s (TUI_STYLE_ALARM; the row is the selected one,
#     so it is in reverse video throughout);
#   - Enter: the detail view's "idle X.Xs of 3.0s (--timeout)" is red,
#     bold and reverse video (ESC[7m) past the timeout; Esc goes back;
#   - after the server's 421 and close the row's verdict is idle_timeout;
#   - q quits with status 0 and gives the terminal back (normal screen,
#     cursor, prompt, `stty -a` shows icanon and echo).
# The --timeout is 3 s rather than 2 so that the yellow stretch (80 % to
# 100 %) lasts 0.6 s, a few of watch's 4 redraws a second.
#
# The server's timeout is 9 s so that the alarm lasts long enough to be
# seen in both views even on a loaded machine.
#
# Exit 0 pass, 1 fail (the pane printed), 77 skipped (not root, a tool
# missing, no network namespace). About 12 s; at most about 30 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
password=watch-secret@example.org
alarm_s=3       # watch --timeout
server_idle=9   # vsftpd idle_session_timeout: leaves 6 s of alarm to look at
client_idle=10  # the client's silence after login

FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=40

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
	skip "needs root (network namespace, vsftpd on port 21, live capture)"
fi
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
# shellcheck source=SCRIPTDIR/tmux_lib.sh
. "$here/tmux_lib.sh"
if ! missing=$(fst_need_cmds ip ss python3 timeout tmux infocmp /usr/sbin/vsftpd); then
	skip "missing: $missing"
fi
infocmp xterm-256color >/dev/null 2>&1 || skip "no terminfo entry for xterm-256color (ncurses-term)"
if ! getent passwd ftp >/dev/null; then
	skip "no user 'ftp' (Debian's vsftpd package creates it)"
fi

work=$(mktemp -d /tmp/ftpstall-watch-live-tui.XXXXXX) || {
	echo "FAIL: mktemp"
	exit 1
}
# Run after the namespace's processes (the tmux server among them) are
# gone: removes the socket file and the temp dir.
fst_on_exit fst_tmux_stop
fst_on_exit rm -rf "$work"

t0=$(date +%s%N)
# note TEXT — a progress line with the seconds since the start.
note() {
	local ns=$(($(date +%s%N) - t0))
	printf '%3d.%03d %s\n' $((ns / 1000000000)) $((ns / 1000000 % 1000)) "$*"
}

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
fail_pane() {
	fail "$*"
	echo "--- pane ---"
	fst_tmux_capture 2>/dev/null
	echo "--- end of pane ---"
}
finish() {
	if ((failures)); then
		echo "--- client ---"
		cat "$work/client.json" "$work/client.err" 2>/dev/null
		echo "FAIL: test_watch_live_tui ($failures failure(s))"
		exit 1
	fi
	echo "PASS: test_watch_live_tui"
	exit 0
}

fst_netns_create "fst-wtui-$$" || skip "cannot create a network namespace"
fst_vsftpd_start "$work" idle_session_timeout=$server_idle || {
	fail "vsftpd did not start on 127.0.0.1:21"
	finish
}
FST_TMUX_PREFIX=(ip netns exec "$FST_NS")
fst_tmux_start 120 30 || {
	fail "cannot start tmux in the namespace"
	finish
}
fst_tmux_run "$(printf '%q ' "$ftpstall" watch -i lo --timeout "$alarm_s")" "$work/exit"
# The empty list means the capture is open and the loop runs.
fst_tmux_wait 'no FTP session yet' 5 || {
	fail_pane "watch did not show its empty list within 5 s"
	finish
}
fst_tmux_capture | grep -qF "idle timeout: $alarm_s s" || fail_pane "title does not show the --timeout"

fst_ns timeout -k 2 $((client_idle + 4)) python3 "$here/idle_client.py" \
	"$password" "$client_idle" "$work/client.json" 2>"$work/client.err" &
client=$!
FST_PIDS+=("$client")
note "client started"

# The list: plain, yellow, alarm, in that order.
python3 "$here/tmux_idle_styles.py" --socket "$FST_TMUX_SOCK" --timeout "$alarm_s" \
	--view list --seconds $((server_idle + 2)) --alarm-for 0.5 ||
	fail_pane "the list's idle cell is not drawn as documented (see the samples above)"
note "list sampled"

# The detail view, while the alarm lasts.
fst_tmux_keys Enter
fst_tmux_wait 'session 1  127.0.0.1:' 3 || fail_pane "Enter did not open the detail view"
python3 "$here/tmux_idle_styles.py" --socket "$FST_TMUX_SOCK" --timeout "$alarm_s" \
	--view detail --seconds 3 --alarm-for 0.3 ||
	fail_pane "the detail view's idle is not drawn as an alarm"
note "detail sampled"
fst_tmux_keys Escape
fst_tmux_wait_gone 'events 1-' 3 || fail_pane "Esc did not leave the detail view"

# The server's 421 and close end it: the client returns, the row shows
# the verdict.
for ((i = 0; i < (client_idle + 4) * 10; i++)); do
	kill -0 "$client" 2>/dev/null || break
	sleep 0.1
done
rc=0
wait "$client" || rc=$?
if ((rc != 0)); then
	fail "the client failed (status $rc): $(cat "$work/client.err")"
elif ! grep -q '"reply": "421' "$work/client.json"; then
	fail "the client read no 421: $(cat "$work/client.json")"
fi
note "client done"
fst_tmux_wait 'idle_timeout' 3 || fail_pane "the session row shows no verdict idle_timeout"

fst_tmux_keys q
if fst_tmux_wait_file "$work/exit" 5; then
	[[ $(cat "$work/exit") == EXIT=0 ]] || fail_pane "q: watch exited with $(cat "$work/exit"), expected EXIT=0"
else
	fail_pane "q: watch did not exit within 5 s"
fi
if ! fst_tmux_check_sane "$work" "after q"; then
	fail_pane "the terminal was not given back"
fi
finish
