# shellcheck shell=bash
# tests/integration/tmux_lib.sh — drive a terminal program in a private
# tmux server of fixed size, for the tests of `ftpstall watch`'s screen.
#
#   . "$(dirname "$0")/tmux_lib.sh"
#   fst_tmux_start 120 30             # a shell in a 120x30 pane
#   fst_tmux_run "ftpstall watch ..." "$dir/exit"   # writes EXIT=<status>
#   fst_tmux_wait 'session 1' 3 || fail ...
#   fst_tmux keys q
#   fst_tmux_stop                     # also the caller's EXIT trap's job
#
# The server listens on its own socket (tmux -L fst-<test>-<pid>) and reads
# no configuration file, so it never touches the user's tmux server or
# settings. The pane runs `bash --norc --noprofile` with TERM=xterm-256color,
# the prompt "fst-prompt$ " and no status line, so the program gets the whole
# WIDTHxHEIGHT; NO_COLOR, LINES and COLUMNS are removed from its
# environment (they would override the colours and the pane's size). Set FST_TMUX_PREFIX=(ip netns exec NS) before fst_tmux_start
# to start the server (and so the pane) inside a network namespace; the
# other commands reach it through its socket from anywhere.
#
# Functions return non-zero on failure and never exit.

FST_TMUX_SOCK=""          # the -L name of our server, empty if none
FST_TMUX_SOCK_PATH=""     # its socket file, which kill-server leaves behind
FST_TMUX_PREFIX=()        # command prefix for starting the server
FST_TMUX_PROMPT='fst-prompt$ '
: "${FST_TMUX_WAIT_S:=5}" # default bound of fst_tmux_wait

# fst_tmux ARGS... — tmux on our private server.
fst_tmux() {
	tmux -L "$FST_TMUX_SOCK" -f /dev/null "$@"
}

# fst_tmux_start WIDTH HEIGHT — starts the server with one window of that
# size running the shell, and waits for the shell's prompt.
fst_tmux_start() {
	local width=$1 height=$2
	if [[ -n $FST_TMUX_SOCK ]]; then
		printf 'fst: fst_tmux_start: server %s already running\n' "$FST_TMUX_SOCK" >&2
		return 1
	fi
	# tmux's server daemonizes, and glibc's daemon() fails (ENODEV) when
	# /dev/null is not the character device, which tmux reports only as
	# "server exited unexpectedly". A program that renamed a file over
	# /dev/null leaves it so for every later test.
	if [[ ! -c /dev/null ]]; then
		printf 'fst: /dev/null is not a character device (a file was renamed over it); tmux cannot start\n' >&2
		return 1
	fi
	FST_TMUX_SOCK="fst-$(basename "$0" .sh)-$$"
	# A test run from inside tmux must not talk to the outer server.
	unset TMUX TMUX_PANE
	"${FST_TMUX_PREFIX[@]}" tmux -L "$FST_TMUX_SOCK" -f /dev/null \
		new-session -d -s fst -x "$width" -y "$height" \
		"env -u NO_COLOR -u LINES -u COLUMNS TERM=xterm-256color PS1='$FST_TMUX_PROMPT' HISTFILE=/dev/null bash --norc --noprofile" ||
		return 1
	FST_TMUX_SOCK_PATH=$(fst_tmux display-message -p '#{socket_path}')
	fst_tmux set-option -g status off >/dev/null &&
		fst_tmux set-option -g remain-on-exit on >/dev/null &&
		fst_tmux_wait_prompt 5
}

# fst_tmux_stop — kills our server (and the pane's processes with it).
# Safe to call twice.
fst_tmux_stop() {
	[[ -n $FST_TMUX_SOCK ]] || return 0
	fst_tmux kill-server >/dev/null 2>&1
	[[ -S $FST_TMUX_SOCK_PATH ]] && rm -f "$FST_TMUX_SOCK_PATH"
	FST_TMUX_SOCK=""
	FST_TMUX_SOCK_PATH=""
	return 0
}

# fst_tmux_keys KEY... — tmux send-keys to the pane (Enter, Escape, q, ...).
fst_tmux_keys() {
	fst_tmux send-keys -t fst "$@"
}

# fst_tmux_run COMMAND EXITFILE — types COMMAND into the shell, followed by
# "; echo EXIT=$? > EXITFILE", and presses Enter.
fst_tmux_run() {
	rm -f "$2"
	fst_tmux_keys -l "$1; echo EXIT=\$? > $2" && fst_tmux_keys Enter
}

# fst_tmux_capture — the pane's text now (tmux_idle_styles.py reads the
# attributes too, with capture-pane -e).
fst_tmux_capture() {
	fst_tmux capture-pane -p -t fst
}

# fst_tmux_wait TEXT [SECONDS] — polls the pane until it shows TEXT (fixed
# string), at most SECONDS (default FST_TMUX_WAIT_S). Returns 1 on timeout.
fst_tmux_wait() {
	local text=$1 limit=${2:-$FST_TMUX_WAIT_S} end
	end=$(($(date +%s%N) + limit * 1000000000))
	while (($(date +%s%N) < end)); do
		fst_tmux_capture 2>/dev/null | grep -qF -- "$text" && return 0
		sleep 0.05
	done
	return 1
}

# fst_tmux_wait_gone TEXT [SECONDS] — polls until the pane no longer shows
# TEXT. Returns 1 on timeout.
fst_tmux_wait_gone() {
	local text=$1 limit=${2:-$FST_TMUX_WAIT_S} end
	end=$(($(date +%s%N) + limit * 1000000000))
	while (($(date +%s%N) < end)); do
		fst_tmux_capture 2>/dev/null | grep -qF -- "$text" || return 0
		sleep 0.05
	done
	return 1
}

# fst_tmux_wait_prompt [SECONDS] — polls until the pane's last non-blank
# line is the shell's empty prompt. Returns 1 on timeout.
fst_tmux_wait_prompt() {
	local limit=${1:-$FST_TMUX_WAIT_S} end last
	end=$(($(date +%s%N) + limit * 1000000000))
	while (($(date +%s%N) < end)); do
		last=$(fst_tmux_capture 2>/dev/null | sed '/^[[:space:]]*$/d' | tail -n 1)
		[[ $last == "${FST_TMUX_PROMPT% }" ]] && return 0
		sleep 0.05
	done
	return 1
}

# fst_tmux_wait_file FILE [SECONDS] — waits until FILE exists and is not
# empty. Returns 1 on timeout.
fst_tmux_wait_file() {
	local file=$1 limit=${2:-$FST_TMUX_WAIT_S} end
	end=$(($(date +%s%N) + limit * 1000000000))
	while (($(date +%s%N) < end)); do
		[[ -s $file ]] && return 0
		sleep 0.05
	done
	return 1
}

# fst_tmux_format FORMAT — the pane's value of a tmux format, for example
# '#{alternate_on}' (1 while the program uses the alternate screen).
fst_tmux_format() {
	fst_tmux display-message -p -t fst "$1"
}

# fst_tmux_check_sane DIR LABEL — after a program ended in the pane: the
# pane is back on the normal screen with a visible cursor, shows the
# shell's prompt on its last line, and `stty -a` in it shows icanon and
# echo. Prints "FAIL: LABEL: ..." lines and returns the number of problems.
fst_tmux_check_sane() {
	local dir=$1 label=$2 problems=0 last
	if [[ $(fst_tmux_format '#{alternate_on}') != 0 ]]; then
		echo "FAIL: $label: the pane is still on the alternate screen"
		problems=$((problems + 1))
	fi
	if [[ $(fst_tmux_format '#{cursor_flag}') != 1 ]]; then
		echo "FAIL: $label: the cursor is still hidden"
		problems=$((problems + 1))
	fi
	# The shell is back: its prompt is the pane's last used line.
	if ! fst_tmux_wait_prompt 3; then
		last=$(fst_tmux_capture | sed '/^[[:space:]]*$/d' | tail -n 1)
		echo "FAIL: $label: the pane's last line is not the shell prompt: '$last'"
		problems=$((problems + 1))
	fi
	rm -f "$dir/stty.out"
	fst_tmux_keys -l "stty -a > $dir/stty.out" && fst_tmux_keys Enter
	if ! fst_tmux_wait_file "$dir/stty.out" 3; then
		echo "FAIL: $label: 'stty -a' typed into the pane did not run (is the shell reading keys?)"
		return $((problems + 1))
	fi
	if ! grep -qE '(^|[ ;])icanon( |;|$)' "$dir/stty.out" ||
		! grep -qE '(^|[ ;])echo( |;|$)' "$dir/stty.out"; then
		echo "FAIL: $label: terminal not restored: stty -a shows $(grep -oE -- '-?(icanon|echo)( |$)' "$dir/stty.out" | tr -d '\n')"
		problems=$((problems + 1))
	fi
	return "$problems"
}
