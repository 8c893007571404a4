#!/bin/bash
# test_exit_statuses.sh FTPSTALL CAPTURES — every exit status that the
# manual's EXIT STATUS section and the --help texts document, one table
# row each, for the top level and every subcommand; the rows that need an
# FTP server (upload and probe: 0, 1, 130) are in test_client_signals.sh.
#
# A row is "NAME | STATUS | ARGS...": ftpstall ARGS must exit with STATUS.
# Rows whose ARGS start with "@sigint" are run with standard input a pipe
# that gives a pcap header and then nothing, so the run is certain to be
# waiting for input; SIGINT goes to it once /proc shows it blocked in a
# read of that pipe. The no-FTP capture (only HTTP over TCP) is written
# here with Python.
#
# Exit 0 pass, 1 fail. A few seconds.

set -u -o pipefail
ftpstall=$1 captures=$2
work=$(mktemp -d /tmp/ftpstall-exit.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

# A capture of one HTTP exchange on port 80: TCP, but no FTP session.
python3 - "$work/http.pcap" <<'EOF' || exit 1
import struct, sys

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64, 6, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = struct.pack("!4s4sBBH", bytes(src), bytes(dst), 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + tcp + payload

c, s = [10, 0, 0, 1], [10, 0, 0, 2]
SYN, ACK, PSH, FIN = 2, 16, 8, 1
req = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
pkts = [
    frame(c, s, 40000, 80, 100, 0, SYN),
    frame(s, c, 80, 40000, 500, 101, SYN | ACK),
    frame(c, s, 40000, 80, 101, 501, ACK),
    frame(c, s, 40000, 80, 101, 501, PSH | ACK, req),
    frame(s, c, 80, 40000, 501, 101 + len(req), PSH | ACK, resp),
    frame(c, s, 40000, 80, 101 + len(req), 501 + len(resp), FIN | ACK),
    frame(s, c, 80, 40000, 501 + len(resp), 102 + len(req), FIN | ACK),
    frame(c, s, 40000, 80, 102 + len(req), 502 + len(resp), ACK),
]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pkts):
        f.write(struct.pack("<IIII", 1700000000, i * 1000, len(p), len(p)))
        f.write(p)
EOF

clean=$captures/clean-session.pcap
incident=$captures/idle-timeout-421-reset.pcap
mkdir "$work/dir"

# NAME | STATUS | ARGS (words; no quoting needed)
table="
version                      | 0   | --version
top-level help               | 0   | --help
help of a subcommand         | 0   | help analyze
no subcommand                | 2   |
unknown subcommand           | 2   | frobnicate
unknown option               | 2   | --frobnicate
help of an unknown one       | 2   | help frobnicate
analyze: clean capture       | 0   | analyze $clean
analyze: incident, no -E     | 0   | analyze $incident
analyze --exit-code: clean   | 0   | analyze --exit-code $clean
analyze --exit-code: incident| 1   | analyze --exit-code $incident
analyze --exit-code: no FTP  | 4   | analyze --exit-code $work/http.pcap
analyze: no FTP, no -E       | 0   | analyze $work/http.pcap
analyze: bad option          | 2   | analyze --frobnicate $clean
analyze: bad format          | 2   | analyze -f yaml $clean
analyze: missing file        | 2   | analyze $work/missing.pcap
analyze: not a capture       | 2   | analyze $0
analyze: no file             | 2   | analyze
analyze: unwritable report   | 2   | analyze -o $work/no/such/dir/out.txt $clean
analyze: report over input   | 2   | analyze -o $clean $clean
analyze: unwritable extract  | 2   | analyze -o $work/dir/r.txt --write-incidents $work/no/such/x.pcap $incident
analyze: --help              | 0   | analyze --help
analyze: Ctrl-C on files     | 130 | @sigint analyze -o $work/dir/int.txt -
analyze --partial: Ctrl-C    | 130 | @sigint analyze --partial -o $work/dir/partial.txt -
watch: replay                | 0   | watch --no-tui --speed 0 -r $incident
watch: bad option            | 2   | watch --frobnicate
watch: missing file          | 2   | watch --no-tui -r $work/missing.pcap
watch: --help                | 0   | watch --help
watch: Ctrl-C ends, report   | 0   | @sigint watch --no-tui -r $incident
upload: no URL               | 2   | upload $clean
upload: not a regular FILE   | 2   | upload $work/dir ftp://127.0.0.1/
upload: bad option           | 2   | upload --frobnicate $clean ftp://127.0.0.1/
upload: --help               | 0   | upload --help
probe: no URL                | 2   | probe
probe: not an ftp URL        | 2   | probe http://127.0.0.1/
probe: --help                | 0   | probe --help
"

# run_sigint ARGS... — ftpstall ARGS; SIGINT once it is running, then at
# most 10 s for it to exit. With "-" as the last argument, standard input
# is a pipe that holds a pcap header and stays open, and the signal comes
# once ftpstall waits on it; else once it has printed something. Sets RC.
run_sigint() {
	local pid deadline
	rm -f "$work/stdout"
	if [[ ${*: -1} != - ]]; then
		"$ftpstall" "$@" </dev/null >"$work/stdout" 2>"$work/stderr" &
		pid=$!
		deadline=$((SECONDS + 20))
		while ((SECONDS < deadline)) && [[ ! -s $work/stdout ]]; do
			sleep 0.01
		done
		kill -INT "$pid"
		wait_bounded "$pid"
		return
	fi
	mkfifo "$work/fifo"
	"$ftpstall" "$@" <"$work/fifo" >"$work/stdout" 2>"$work/stderr" &
	pid=$!
	exec 3>"$work/fifo"
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >&3
	deadline=$((SECONDS + 20))
	# It has read the header once it waits again: then the handlers are
	# in place (they are set before the first packet is read).
	while ((SECONDS < deadline)) && ! [[ $(cat "/proc/$pid/wchan" 2>/dev/null) == *pipe_read* ]]; do
		sleep 0.01
	done
	kill -INT "$pid"
	wait_bounded "$pid"
	exec 3>&-
	rm -f "$work/fifo"
}

# wait_bounded PID — its exit status in RC; SIGKILL after 10 s (RC 137).
wait_bounded() {
	local deadline=$((SECONDS + 10))
	while kill -0 "$1" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.01
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
	RC=$?
}

while IFS='|' read -r name want args; do
	name=${name%"${name##*[! ]}"}
	[[ -n $name ]] || continue
	want=${want// /}
	# shellcheck disable=SC2086 # ARGS are words
	set -- $args
	if [[ ${1:-} == @sigint ]]; then
		shift
		run_sigint "$@"
	else
		RC=0
		timeout -k 2 30 "$ftpstall" "$@" </dev/null >"$work/stdout" 2>"$work/stderr" || RC=$?
	fi
	if [[ $RC == "$want" ]]; then
		echo "ok: $name: exit $RC"
	else
		echo "FAIL: $name: ftpstall $args: exit $RC, want $want"
		sed 's/^/    /' "$work/stderr" | head -5
		failures=$((failures + 1))
	fi
	case $name in
	"analyze: Ctrl-C on files")
		[[ ! -e $work/dir/int.txt ]] || {
			echo "FAIL: $name: a report was written"
			failures=$((failures + 1))
		}
		;;
	"analyze --partial: Ctrl-C")
		# A pipe has no size, and no position to tell.
		grep -qE '^INCOMPLETE: interrupted after [0-9]+ bytes;' "$work/dir/partial.txt" || {
			echo "FAIL: $name: no report marked interrupted"
			failures=$((failures + 1))
		}
		;;
	"watch: Ctrl-C ends, report")
		grep -q '^ftpstall: 1 FTP session' "$work/stdout" || {
			echo "FAIL: $name: no final report"
			failures=$((failures + 1))
		}
		;;
	esac
done <<<"$table"

if ((failures)); then
	echo "FAIL: $failures row(s)"
	exit 1
fi
echo "PASS"
