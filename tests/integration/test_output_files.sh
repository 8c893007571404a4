#!/bin/bash
# test_output_files.sh FTPSTALL PCAP — what `analyze -o`, `analyze
# --write-incidents`, `analyze -w` and `watch -r --no-tui -w` do with what
# is already at the path they are given. In a temp dir, for each of the
# four writers:
#   - a character device made with mknod (a private /dev/null twin):
#     written through, exit 0, still a character device 1,3 afterwards;
#   - a /dev/full twin: the write fails, exit 2 with one line naming it;
#   - a FIFO with a background `cat` reading it: the reader gets exactly
#     what a new file gets, exit 0, still a FIFO;
#   - a symlink to a regular file: the target holds the new output, the
#     link is still the same link;
#   - a dangling symlink into an existing directory: its target is created;
#   - a dangling symlink whose directory does not exist, a directory, a
#     socket: exit 2, one line on stderr naming the path, left as it was;
#   - a regular file with mode 0640: replaced, mode still 0640;
#   - a symlink to the input capture: exit 2, "one of the input captures";
#   - no temporary file is left behind.
# Once (analyze -o): a FIFO nobody reads is refused with exit 2 after a
# bounded wait instead of blocking for ever. upload only reads local
# files: a FIFO or a device as FILE or as --netrc-file is refused at once
# with exit 2 and one line naming it (a FIFO used to block the netrc
# read for ever).
#
# Exit 0 pass, 1 fail, 77 skipped (not root: mknod needs it). About 10 s.

set -u -o pipefail

skip() {
	echo "SKIPPED: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

ftpstall=${1:-}
pcap=${2:-}
[[ -x $ftpstall && -f $pcap ]] || {
	echo "usage: $0 FTPSTALL_BINARY PCAP" >&2
	exit 2
}
pcap=$(realpath "$pcap")
[[ $(id -u) == 0 ]] || skip "needs root (mknod of a character device)"
command -v python3 >/dev/null || skip "python3 missing (makes the AF_UNIX socket)"

work=$(mktemp -d /tmp/ftpstall-output-files.XXXXXX)
reader_pid=""
cleanup() {
	[[ -n $reader_pid ]] && kill "$reader_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# run WRITER PATH — the writer's output to PATH; sets rc and $work/err.
run() {
	local writer=$1 path=$2
	rc=0
	case $writer in
	analyze-o)
		timeout 30 "$ftpstall" analyze -f json -o "$path" "$pcap" >/dev/null 2>"$work/err" ||
			rc=$?
		;;
	incidents)
		timeout 30 "$ftpstall" analyze --write-incidents "$path" "$pcap" >/dev/null \
			2>"$work/err" || rc=$?
		;;
	analyze-w)
		timeout 30 "$ftpstall" analyze -w "$path" "$pcap" >/dev/null 2>"$work/err" || rc=$?
		;;
	watch-w)
		timeout 30 "$ftpstall" watch --no-tui --speed 0 -w "$path" -r "$pcap" >/dev/null \
			2>"$work/err" || rc=$?
		;;
	esac
}

expect_refused() {
	local writer=$1 path=$2 why=$3
	run "$writer" "$path"
	((rc == 2)) || fail "$writer $path: exit $rc, expected 2"
	(($(wc -l <"$work/err") == 1)) || fail "$writer $path: not one line: $(cat "$work/err")"
	grep -qF -- "$path" "$work/err" || fail "$writer $path: path not named: $(cat "$work/err")"
	grep -qF -- "$why" "$work/err" || fail "$writer $path: no '$why': $(cat "$work/err")"
}

for writer in analyze-o incidents analyze-w watch-w; do
	d=$work/$writer
	mkdir "$d"
	# The reference: what a new path gets.
	run "$writer" "$d/new"
	((rc == 0)) || fail "$writer to a new path: exit $rc: $(cat "$work/err")"
	[[ -s $d/new ]] || fail "$writer wrote nothing"

	# A device: written through, the node survives.
	mknod "$d/null" c 1 3
	run "$writer" "$d/null"
	((rc == 0)) || fail "$writer to a device: exit $rc: $(cat "$work/err")"
	[[ -c $d/null && $(stat -c %t,%T "$d/null") == 1,3 ]] ||
		fail "$writer replaced the device node: $(ls -l "$d/null")"

	# A device that refuses writes (a /dev/full twin): a failure, exit 2.
	mknod "$d/full" c 1 7
	expect_refused "$writer" "$d/full" "failed"
	[[ -c $d/full && $(stat -c %t,%T "$d/full") == 1,7 ]] ||
		fail "$writer replaced the /dev/full twin: $(ls -l "$d/full")"

	# A FIFO with a reader: the reader gets the output.
	mkfifo "$d/fifo"
	timeout 30 cat "$d/fifo" >"$d/fifo.got" &
	reader_pid=$!
	run "$writer" "$d/fifo"
	((rc == 0)) || fail "$writer to a FIFO: exit $rc: $(cat "$work/err")"
	wait "$reader_pid" || fail "$writer: the FIFO reader did not see the end"
	reader_pid=""
	[[ -p $d/fifo ]] || fail "$writer replaced the FIFO"
	cmp -s "$d/new" "$d/fifo.got" || fail "$writer: the FIFO reader got something else"

	# A symlink to a regular file: the target is updated, the link kept.
	echo old >"$d/target"
	ln -s target "$d/link"
	run "$writer" "$d/link"
	((rc == 0)) || fail "$writer to a symlink: exit $rc: $(cat "$work/err")"
	[[ -L $d/link && $(readlink "$d/link") == target ]] || fail "$writer replaced the symlink"
	cmp -s "$d/new" "$d/target" || fail "$writer did not update the symlink's target"

	# A dangling symlink into an existing directory: the target is made.
	ln -s made "$d/dangling"
	run "$writer" "$d/dangling"
	((rc == 0)) || fail "$writer to a dangling symlink: exit $rc: $(cat "$work/err")"
	[[ -L $d/dangling ]] && cmp -s "$d/new" "$d/made" ||
		fail "$writer: the dangling symlink's target was not made"

	# Refused, and left alone.
	ln -s nodir/file "$d/nowhere"
	expect_refused "$writer" "$d/nowhere" "No such file or directory"
	[[ -L $d/nowhere && ! -e $d/nodir ]] || fail "$writer touched $d/nowhere"
	mkdir "$d/dir"
	expect_refused "$writer" "$d/dir" "is a directory"
	[[ -d $d/dir ]] || fail "$writer replaced the directory"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/sock"
	expect_refused "$writer" "$d/sock" "is a socket"
	[[ -S $d/sock ]] || fail "$writer replaced the socket"
	ln -s "$pcap" "$d/input"
	expect_refused "$writer" "$d/input" "is one of the input captures"

	# A regular file keeps its mode.
	echo old >"$d/reg"
	chmod 0640 "$d/reg"
	run "$writer" "$d/reg"
	((rc == 0)) || fail "$writer to a regular file: exit $rc: $(cat "$work/err")"
	[[ $(stat -c %a "$d/reg") == 640 ]] || fail "$writer changed the mode: $(stat -c %a "$d/reg")"
	cmp -s "$d/new" "$d/reg" || fail "$writer did not replace the regular file"

	leftover=$(find "$d" -name '*.tmp.*')
	[[ -z $leftover ]] || fail "$writer left temporary files: $leftover"
	echo "ok: $writer"
done

# A FIFO nobody reads: refused after a bounded wait.
mkfifo "$work/lonely"
t0=$SECONDS
expect_refused analyze-o "$work/lonely" "FIFO has no reader"
((SECONDS - t0 < 15)) || fail "waited $((SECONDS - t0)) s for a FIFO reader"
echo "ok: a FIFO without a reader is refused"

# upload's local inputs: refused before any connection (port 1 is never
# reached), without waiting for a FIFO's writer.
null=$work/analyze-o/null
for args in "$work/lonely /etc/hostname" "$null /etc/hostname" "- $work/lonely" "- $null"; do
	read -r netrc file <<<"$args"
	opts=()
	[[ $netrc != - ]] && opts=(--netrc-file "$netrc")
	rc=0
	t0=$SECONDS
	timeout 10 "$ftpstall" upload "${opts[@]}" "$file" ftp://user@127.0.0.1:1/ >/dev/null \
		2>"$work/err" || rc=$?
	named=$file
	[[ $netrc != - ]] && named=$netrc
	((rc == 2)) || fail "upload with $named: exit $rc, expected 2: $(cat "$work/err")"
	((SECONDS - t0 < 3)) || fail "upload with $named took $((SECONDS - t0)) s"
	(($(wc -l <"$work/err") == 1)) && grep -qF -- "$named" "$work/err" &&
		grep -q "not a regular file" "$work/err" ||
		fail "upload with $named: $(cat "$work/err")"
done
echo "ok: upload refuses a FIFO or a device as FILE or --netrc-file"
