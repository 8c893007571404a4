#!/bin/bash
# test_watch_tui.sh FTPSTALL CAPTURE — `ftpstall watch`'s screen, driven
# through a private tmux server: the replay of CAPTURE (the seed capture
# idle-timeout-421-reset.pcap) at --speed 0 in a 120x30 pane.
#
# Checked from `tmux capture-pane`:
#   - the list shows the session row 127.0.0.1:40021 -> 127.0.0.1:21 with
#     the verdict idle_timeout, and the incidents panel lists it;
#   - Enter opens the detail view: header "session 1", the verdict, the
#     event log with "421 Timeout." and the server's FIN close;
#   - Esc goes back to the list;
#   - shrinking the window to 60x10 shows "terminal too small", growing it
#     back to 120x30 redraws the list;
#   - q quits with status 0, and the pane is back to the shell: normal
#     screen, cursor visible, prompt, `stty -a` shows icanon and echo.
#
# Exit 0 pass, 1 fail (the pane's contents printed), 77 skipped (tmux
# missing). About 2 s; every wait is bounded, all at most about 25 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)

skip() {
	echo "SKIPPED: $*"
	exit 77
}

ftpstall=${1:-}
capture=${2:-}
if [[ -z $ftpstall || -z $capture ]]; then
	echo "usage: $0 FTPSTALL_BINARY CAPTURE" >&2
	exit 2
fi
[[ -x $ftpstall ]] || {
	echo "FAIL: $ftpstall is not an executable"
	exit 1
}
[[ -r $capture ]] || {
	echo "FAIL: cannot read $capture"
	exit 1
}
command -v tmux >/dev/null 2>&1 || skip "missing: tmux"
infocmp xterm-256color >/dev/null 2>&1 || skip "no terminfo entry for xterm-256color (ncurses-term)"
ftpstall=$(cd "$(dirname "$ftpstall")" && pwd)/$(basename "$ftpstall")
capture=$(cd "$(dirname "$capture")" && pwd)/$(basename "$capture")

# shellcheck source=SCRIPTDIR/tmux_lib.sh
. "$here/tmux_lib.sh"

work=$(mktemp -d /tmp/ftpstall-watch-tui.XXXXXX) || {
	echo "FAIL: mktemp"
	exit 1
}
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	fst_tmux_stop
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Fails with the pane's text, which is what the reader needs to see.
fail_pane() {
	fail "$*"
	echo "--- pane ($(fst_tmux_format '#{window_width}x#{window_height}' 2>/dev/null)) ---"
	fst_tmux_capture 2>/dev/null
	echo "--- end of pane ---"
}

finish() {
	if ((failures)); then
		echo "FAIL: test_watch_tui ($failures failure(s))"
		exit 1
	fi
	echo "PASS: test_watch_tui"
	exit 0
}

# expect TEXT WHAT — waits (bounded) for TEXT in the pane.
expect() {
	fst_tmux_wait "$1" 3 || fail_pane "$2: '$1' not on the screen"
}

# The pane's line that holds the session's row (client and server).
session_row() {
	fst_tmux_capture | grep -E '127\.0\.0\.1:40021 +127\.0\.0\.1:21 '
}

fst_tmux_start 120 30 || {
	fail "cannot start tmux"
	finish
}
fst_tmux_run "$(printf '%q ' "$ftpstall" watch -r "$capture" --speed 0)" "$work/exit"

# The list, once the replay is done.
expect 'replay done' "list"
expect 'ftpstall watch  1 shown' "list title"
row=$(session_row) || fail_pane "no session row '127.0.0.1:40021  127.0.0.1:21'"
[[ $row == *idle_timeout* ]] || fail_pane "session row has no verdict idle_timeout: '$row'"
[[ $row == *anonymous* ]] || fail_pane "session row has no user anonymous: '$row'"
fst_tmux_capture | grep -qE 'incidents: 1' || fail_pane "incidents panel does not count 1"
fst_tmux_capture | grep -qE '#1 +idle_timeout +127\.0\.0\.1:40021 -> 127\.0\.0\.1:21' ||
	fail_pane "incidents panel does not list session 1's idle_timeout"

# Enter: the detail view.
fst_tmux_keys Enter
expect 'session 1  127.0.0.1:40021 -> 127.0.0.1:21' "detail header"
expect 'verdict: idle_timeout' "detail verdict"
expect 'events 1-' "detail event log"
fst_tmux_capture | grep -qE 'server +421 Timeout\.' || fail_pane "detail log has no 'server 421 Timeout.'"
fst_tmux_capture | grep -qE 'server +FIN, close after 5\.[0-9]+ s of idle' ||
	fail_pane "detail log has no server FIN close after 5 s of idle"
fst_tmux_capture | grep -qE 'client +PASS \*\*\*\*' || fail_pane "detail log shows no masked PASS"

# Esc: back to the list.
fst_tmux_keys Escape
fst_tmux_wait_gone 'events 1-' 3 || fail_pane "Esc did not leave the detail view"
expect 'ftpstall watch  1 shown' "list after Esc"
session_row >/dev/null || fail_pane "no session row after Esc"

# Too small, then big again.
fst_tmux resize-window -t fst -x 60 -y 10 || fail "tmux resize-window 60x10 failed"
expect 'terminal too small' "60x10 window"
expect 'need 80x12, have 60x10' "60x10 window"
fst_tmux_capture | grep -qF 'ftpstall watch  1 shown' && fail_pane "the list is still drawn at 60x10"
fst_tmux resize-window -t fst -x 120 -y 30 || fail "tmux resize-window 120x30 failed"
expect 'ftpstall watch  1 shown' "list after growing back to 120x30"
fst_tmux_wait_gone 'terminal too small' 3 || fail_pane "'terminal too small' still shown at 120x30"
session_row >/dev/null || fail_pane "no session row after growing back"

# q: quit with status 0, terminal given back.
fst_tmux_keys q
if fst_tmux_wait_file "$work/exit" 5; then
	[[ $(cat "$work/exit") == EXIT=0 ]] || fail_pane "q: watch exited with $(cat "$work/exit"), expected EXIT=0"
else
	fail_pane "q: watch did not exit within 5 s"
fi
if ! fst_tmux_check_sane "$work" "after q"; then
	failures=$((failures + 1))
	fail_pane "the terminal was not given back"
fi
finish
