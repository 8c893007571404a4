#!/bin/bash
# test_watch_errors.sh FTPSTALL — `ftpstall watch` refusing to start:
#   - neither -i nor -r: a usage hint;
#   - -i lo as user nobody (setpriv, no capabilities): permission denied,
#     naming the interface and what capturing needs;
#   - -i lo with the bad filter 'tcp port': the filter and the parse error;
#   - -i on an interface that does not exist.
# Each exits 2 with one clear line on stderr and nothing on stdout, both
# without a terminal and typed into a shell in a tmux pane (tmux_lib.sh),
# where the pane must show the error and the prompt again, not be left on
# the alternate screen, and `stty -a` must show icanon and echo (watch
# must not have taken the terminal over, or must have given it back).
#
# The capture cases run in a network namespace of their own (lib.sh; the
# tmux server too), so nothing opens the host's interfaces.
#
# Exit 0 pass, 1 fail (the pane printed), 77 skipped (tmux missing; not
# root: the usage case still runs and must pass). About 2 s; at most
# about 25 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)

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
command -v tmux >/dev/null 2>&1 || skip "missing: tmux"
infocmp xterm-256color >/dev/null 2>&1 || skip "no terminfo entry for xterm-256color (ncurses-term)"
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
# shellcheck source=SCRIPTDIR/tmux_lib.sh
. "$here/tmux_lib.sh"

root=0
[[ $(id -u) == 0 ]] && root=1
if ((root)); then
	if ! missing=$(fst_need_cmds ip setpriv); then
		skip "missing: $missing"
	fi
	getent passwd nobody >/dev/null || skip "no user 'nobody'"
fi

work=$(mktemp -d /tmp/ftpstall-watch-errors.XXXXXX) || {
	echo "FAIL: mktemp"
	exit 1
}
chmod 755 "$work"
if ((root)); then
	# lib.sh's EXIT trap (installed by fst_netns_create) runs these last.
	fst_on_exit fst_tmux_stop
	fst_on_exit rm -rf "$work"
	fst_netns_create "fst-werr-$$" || {
		rm -rf "$work"
		skip "cannot create a network namespace"
	}
	FST_TMUX_PREFIX=(ip netns exec "$FST_NS")
else
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
fi

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

# In the namespace when there is one.
in_ns() {
	if [[ -n $FST_NS ]]; then
		ip netns exec "$FST_NS" "$@"
	else
		"$@"
	fi
}

# expect_plain NAME PATTERN CMD... — no terminal: exit 2, nothing on
# stdout, one line on stderr matching the extended regex PATTERN.
expect_plain() {
	local name=$1 pattern=$2 rc=0
	shift 2
	in_ns timeout -k 2 10 "$@" </dev/null >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == 2 ]] || fail "$name: exit status $rc, expected 2 (stderr: $(cat "$work/err"))"
	[[ ! -s $work/out ]] || fail "$name: wrote to stdout: $(head -c 300 "$work/out")"
	[[ $(wc -l <"$work/err") == 1 ]] ||
		fail "$name: expected one line on stderr, got: $(cat "$work/err")"
	grep -qE -- "$pattern" "$work/err" ||
		fail "$name: stderr '$(cat "$work/err")' does not match '$pattern'"
}

# expect_pane NAME PATTERN CMD... — the same typed into the pane's shell:
# EXIT=2, the error on the screen, the terminal given back.
expect_pane() {
	local name=$1 pattern=$2
	shift 2
	# A clean screen, so that only this command's output can match.
	fst_tmux_keys -l clear && fst_tmux_keys Enter
	fst_tmux_wait_prompt 3 || fail_pane "$name: the shell did not come back after clear"
	fst_tmux_run "$(printf '%q ' "$@")" "$work/exit"
	if ! fst_tmux_wait_file "$work/exit" 10; then
		fail_pane "$name (in tmux): did not exit within 10 s"
		# Whatever it is doing, it must not stay in the next case's way.
		fst_tmux_keys q
		fst_tmux_wait_file "$work/exit" 2 || fst_tmux_keys C-c
		return
	fi
	[[ $(cat "$work/exit") == EXIT=2 ]] ||
		fail_pane "$name (in tmux): $(cat "$work/exit"), expected EXIT=2"
	# The command line itself is on the screen too, so the pattern must
	# be words of the message only.
	fst_tmux_capture | grep -qE -- "$pattern" ||
		fail_pane "$name (in tmux): the error '$pattern' is not on the screen"
	fst_tmux_check_sane "$work" "$name (in tmux)" || fail_pane "$name (in tmux): terminal not given back"
}

fst_tmux_start 120 30 || {
	fail "cannot start tmux"
	exit 1
}

usage_re="^ftpstall watch: give -i IFACE or -r FILE\.\.\. \(see 'ftpstall help watch'\)$"
expect_plain "watch without -i or -r" "$usage_re" "$ftpstall" watch
expect_pane "watch without -i or -r" "$usage_re" "$ftpstall" watch

if ((!root)); then
	if ((failures)); then
		echo "FAIL: test_watch_errors ($failures failure(s))"
		exit 1
	fi
	skip "needs root for the capture cases (network namespace, setpriv); the usage case passed"
fi

# nobody must be able to run the binary itself, or the error would be
# the shell's, not watch's.
binary=$ftpstall
if ! setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
	test -x "$ftpstall"; then
	cp "$ftpstall" "$work/ftpstall" && chmod 755 "$work/ftpstall"
	binary=$work/ftpstall
fi
as_nobody=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --)
perm_re='^ftpstall watch: interface lo: permission denied \(capturing needs root or CAP_NET_RAW\)$'
expect_plain "watch -i lo as nobody" "$perm_re" "${as_nobody[@]}" "$binary" watch -i lo
expect_pane "watch -i lo as nobody" "$perm_re" "${as_nobody[@]}" "$binary" watch -i lo

filter_re="^ftpstall watch: filter 'tcp port': .*(syntax error|parse)"
expect_plain "watch -i lo 'tcp port'" "$filter_re" "$ftpstall" watch -i lo 'tcp port'
expect_pane "watch -i lo 'tcp port'" "$filter_re" "$ftpstall" watch -i lo 'tcp port'

iface_re='^ftpstall watch: interface fst-nosuch0: no such interface$'
expect_plain "watch -i fst-nosuch0" "$iface_re" "$ftpstall" watch -i fst-nosuch0
expect_pane "watch -i fst-nosuch0" "$iface_re" "$ftpstall" watch -i fst-nosuch0

if ((failures)); then
	echo "FAIL: test_watch_errors ($failures failure(s))"
	exit 1
fi
echo "PASS: test_watch_errors"
exit 0
