#!/bin/bash
# check-421-reset.sh PCAP [IDLE_TIMEOUT_S] — asserts, with tshark, that PCAP
# holds the "duplicity story" on the FTP control connection to port 21
# (FST_FTP_PORT overrides):
#
#   220 greeting, USER, PASS, STOR with a data connection that carried
#   bytes, 226; then 421 from the server, a FIN from the server at or after
#   it, a client segment with data after that FIN, and a RST from the server
#   after that.
#
# With IDLE_TIMEOUT_S, also checks that the 421 came that long (-0.5 s /
# +1.5 s) after the 226, i.e. that the server's idle timer sent it.
#
# Prints the key frames with their time since the first packet. Exit 0 when
# everything is there, 1 when something is missing (the first missing step
# is named), 2 on bad usage or when tshark cannot read the file.

set -u -o pipefail

pcap=${1-}
idle=${2-}
port=${FST_FTP_PORT:-21}
if [[ -z $pcap || $# -gt 2 ]]; then
	echo "usage: $0 PCAP [IDLE_TIMEOUT_S]" >&2
	exit 2
fi
if ! command -v tshark >/dev/null 2>&1; then
	echo "check-421-reset: tshark missing (apt-get install tshark)" >&2
	exit 2
fi

fields=$(mktemp) || exit 2
trap 'rm -f "$fields"' EXIT
# Multiple replies in one segment come out comma-separated (tshark's
# default aggregator); the awk below splits them. tshark's "Running as
# root" warning is dropped, real errors are kept.
if ! tshark -r "$pcap" -Y tcp -T fields \
	-e frame.number -e frame.time_relative -e tcp.stream \
	-e tcp.srcport -e tcp.dstport -e tcp.flags -e tcp.len \
	-e ftp.response.code -e ftp.request.command \
	>"$fields" 2> >(grep -v 'Running as user "root"' >&2); then
	echo "check-421-reset: tshark could not read $pcap" >&2
	exit 2
fi

awk -F'\t' -v port="$port" -v idle="$idle" '
function hexval(s,   i, c, v) {
	v = 0
	sub(/^0[xX]/, "", s)
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", tolower(substr(s, i, 1)))
		if (c == 0)
			return -1
		v = v * 16 + c - 1
	}
	return v
}
function bit(v, b) { return int(v / b) % 2 }
function has(list, want,   a, n, i) {
	n = split(list, a, ",")
	for (i = 1; i <= n; i++)
		if (a[i] == want)
			return 1
	return 0
}
function show(what, f, t) { printf "  frame %-4d t+%9.6f  %s\n", f, t, what }
BEGIN { ctl = -1 }
{
	frame = $1; t = $2 + 0; stream = $3; sport = $4; dport = $5
	flags = hexval($6); len = $7 + 0; codes = $8; cmd = $9
	syn = bit(flags, 2); ack = bit(flags, 16); fin = bit(flags, 1); rst = bit(flags, 4)

	if (ctl < 0 && syn && !ack && dport == port) {
		ctl = stream; show("SYN client -> server:" port, frame, t)
	}
	if (stream != ctl) {
		# Any other connection that carries bytes before the 226 is the
		# STOR data connection (ftplib opens it before sending STOR).
		if (user && !n226 && len > 0) {
			databytes += len; datastreams[stream] = 1
		}
		next
	}
	from_server = (sport == port)
	if (from_server) {
		if (!n220 && has(codes, "220")) { n220 = frame; show("220 greeting", frame, t) }
		if (nstor && !n226 && has(codes, "226")) { n226 = frame; t226 = t; show("226 transfer complete", frame, t) }
		if (n226 && !n421 && has(codes, "421")) { n421 = frame; t421 = t; show("421 reply", frame, t) }
		if (n421 && !nfin && fin) { nfin = frame; show("FIN from server", frame, t) }
		if (ndata && !nrst && rst) { nrst = frame; show("RST from server", frame, t) }
	} else {
		if (n220 && !user && cmd == "USER") { user = frame; show("USER", frame, t) }
		if (user && !pass && cmd == "PASS") { pass = frame; show("PASS", frame, t) }
		if (pass && !nstor && cmd == "STOR") { nstor = frame; show("STOR", frame, t) }
		if (nfin && !ndata && len > 0) {
			ndata = frame
			show("client data after the FIN (" len " bytes" (cmd != "" ? ", " cmd : "") ")", frame, t)
		}
	}
}
END {
	for (s in datastreams) nds++
	if (nds)
		printf "  data connection(s): %d, %d bytes before the 226\n", nds, databytes
	if (ctl < 0)          fail = "no SYN to port " port
	else if (!n220)       fail = "no 220 greeting"
	else if (!user)       fail = "no USER"
	else if (!pass)       fail = "no PASS"
	else if (!nstor)      fail = "no STOR"
	else if (!databytes)  fail = "no data connection carrying bytes"
	else if (!n226)       fail = "no 226 after the STOR"
	else if (!n421)       fail = "no 421 after the 226"
	else if (!nfin)       fail = "no FIN from the server after the 421"
	else if (!ndata)      fail = "no client data after the server FIN"
	else if (!nrst)       fail = "no RST from the server after the client data"
	else if (idle != "" && (t421 - t226 < idle - 0.5 || t421 - t226 > idle + 1.5))
		fail = sprintf("421 came %.3f s after the 226, expected about %s s", t421 - t226, idle)
	if (fail != "") {
		print "FAIL: " fail
		exit 1
	}
	printf "OK: 421 -> server FIN -> client data -> server RST (421 came %.3f s after the 226)\n", t421 - t226
}
' "$fields"
