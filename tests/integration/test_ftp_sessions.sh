#!/bin/bash
# test_ftp_sessions.sh FTPSTALL_BINARY — real FTP sessions against vsftpd
# (127.0.0.1:21 and [::1]:21) in a network namespace, captured on lo, then
# `ftpstall analyze` checked against what the client did and against tshark.
#
# ftp_scenarios.py runs five sessions: PASV STOR/RETR/LIST; PORT STOR/RETR;
# IPv6 EPSV and EPRT STOR/RETR; a RETR of a missing file (550) and a STOR
# into a read-only directory (553); REST + RETR. check_ftp_sessions.py
# compares, per control connection, ftpstall's commands (verbs, order, final
# reply), replies and transfers (command, file, mode, rest_offset, bytes,
# outcome, reply code) with the client's record, and its command and reply
# sequences with tshark's. The anonymous password must appear nowhere in
# ftpstall's output (PASS shows ****).
#
# Exit 0 pass, 1 fail (every mismatch printed; the capture and outputs are
# kept in /tmp/ftpstall-mismatch-*/), 77 skipped (not root, a tool
# missing, no network namespace). About 2 s; at most about 50 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
password=integration-secret@example.org
size=204800     # bytes per upload (200 KiB)
rest=50000      # REST offset of the resumed download
sessions=5      # one per scenario in ftp_scenarios.py

# Time: every step is bounded, and all of them together by a 45 s budget
# (the run takes about 2 s; cleanup adds at most a few seconds).
deadline=$((SECONDS + 45))
FST_PORT_WAIT_S=3
FST_CAPTURE_WAIT_S=3
FST_CAPTURE_MAX_S=60
FST_SERVER_MAX_S=60
# budget S — prints S, or the seconds left before the deadline if fewer
# (at least 1): the bound for the next step.
budget() {
	local left=$((deadline - SECONDS))
	((left < 1)) && left=1
	echo $(($1 < left ? $1 : left))
}

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
if [[ $(id -u) != 0 ]]; then
	skip "needs root (network namespace, vsftpd on port 21, tcpdump)"
fi
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
if ! missing=$(fst_need_cmds ip ss tcpdump tshark python3 timeout /usr/sbin/vsftpd); then
	skip "missing: $missing"
fi
if ! getent passwd ftp >/dev/null; then
	skip "no user 'ftp' (Debian's vsftpd package creates it)"
fi

work=$(mktemp -d /tmp/ftpstall-sessions.XXXXXX) || {
	echo "FAIL: mktemp"
	exit 1
}
fst_on_exit rm -rf "$work"
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Keeps the evidence for whoever reads the failure: the capture, the
# client's record, ftpstall's and tshark's outputs, the vsftpd logs.
keep_evidence() {
	local keep
	keep=$(mktemp -d /tmp/ftpstall-mismatch-XXXXXX) || return
	cp -p "$work"/*.pcap "$work"/*.json "$work"/*.txt "$work"/*.tsv "$work"/*.err \
		"$work"/*.log "$work"/*.conf "$keep"/ 2>/dev/null
	echo "evidence kept in $keep (capture: $keep/sessions.pcap)"
}

finish() {
	if ((failures)); then
		keep_evidence
		echo "FAIL: test_ftp_sessions ($failures failure(s))"
		exit 1
	fi
	echo "PASS: test_ftp_sessions"
	exit 0
}

fst_netns_create "fst-sessions-$$" || skip "cannot create a network namespace"
if ! fst_ns ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	skip "no ::1 in the namespace (IPv6 disabled)"
fi

# Short timeouts: nothing in this test waits on them, but a stuck session
# ends in seconds rather than the default five minutes.
timeouts=(idle_session_timeout=10 data_connection_timeout=10
	accept_timeout=5 connect_timeout=5)
fst_vsftpd_start "$work" "${timeouts[@]}" || {
	fail "vsftpd did not start on 127.0.0.1:21"
	finish
}
fst_vsftpd_start6 "$work" "${timeouts[@]}" || {
	fail "vsftpd did not start on [::1]:21"
	finish
}
# Scenario 4's STOR target: in the anonymous root, not writable by 'ftp'.
install -d -m 755 -o root -g root "$work/root/readonly" || {
	fail "cannot make the read-only directory"
	finish
}

# 32 MiB: the default 2 MiB buffer overflows on loopback's 64 KiB frames
# now and then, and a lost frame makes the capture disagree with the client.
FST_CAPTURE_BUFFER_KIB=32768
fst_capture_start lo "$work/sessions.pcap" tcp || {
	fail "tcpdump did not start"
	finish
}
client_rc=0
fst_ns timeout "$(budget 20)" python3 "$here/ftp_scenarios.py" --password "$password" \
	--size "$size" --rest "$rest" --readonly-dir readonly \
	>"$work/client.json" 2>"$work/client.log" || client_rc=$?
fst_capture_stop || fail "tcpdump did not stop cleanly ($(cat "$work/sessions.pcap.log"))"

if ((client_rc != 0)); then
	sed 's/^/  client: /' "$work/client.log"
	fail "client status $client_rc (the scenarios did not run as planned)"
	[[ -s $work/client.json ]] || finish
fi
if ! grep -q '^0 packets dropped by kernel' "$work/sessions.pcap.log"; then
	fail "tcpdump dropped packets: $(tr '\n' ' ' <"$work/sessions.pcap.log")"
fi

# ftpstall, both formats.
rc=0
timeout "$(budget 10)" "$ftpstall" analyze -f json "$work/sessions.pcap" >"$work/report.json" \
	2>"$work/report-json.err" || rc=$?
((rc == 0)) || fail "ftpstall analyze -f json exited $rc: $(cat "$work/report-json.err")"
rc=0
timeout "$(budget 10)" "$ftpstall" analyze "$work/sessions.pcap" >"$work/report.txt" \
	2>"$work/report-txt.err" || rc=$?
((rc == 0)) || fail "ftpstall analyze (text) exited $rc: $(cat "$work/report-txt.err")"

# The password: nowhere in what ftpstall writes; PASS shows ****.
for f in report.json report-json.err report.txt report-txt.err; do
	if grep -qF -- "$password" "$work/$f"; then
		fail "the password appears in ftpstall's $f: $(grep -nF -- "$password" "$work/$f" | head -3)"
	fi
done
# The text layout is free to change (and to leave commands out), so there:
# wherever a PASS is shown, its argument is ****. In the JSON every PASS
# command's arg must be **** (check_ftp_sessions.py).
if grep -nE '\bPASS\b' "$work/report.txt" | grep -vE '\bPASS \*\*\*\*( |$)' >"$work/pass-lines.txt"; then
	fail "text report shows PASS without ****: $(head -3 "$work/pass-lines.txt")"
fi

# tshark's reading of the same capture, per control connection.
rc=0
timeout "$(budget 10)" tshark -r "$work/sessions.pcap" -Y ftp -T fields -e tcp.stream \
	-e ftp.request.command -e ftp.response.code -e tcp.srcport -e tcp.dstport \
	>"$work/tshark.tsv" 2>"$work/tshark.err" || rc=$?
((rc == 0)) || fail "tshark exited $rc: $(cat "$work/tshark.err")"

if [[ -s $work/report.json ]]; then
	python3 "$here/check_ftp_sessions.py" --expect "$sessions" \
		"$work/client.json" "$work/report.json" "$work/tshark.tsv" >"$work/check.txt" 2>&1
	rc=$?
	cat "$work/check.txt"
	((rc == 0)) || fail "ftpstall disagrees with the client or tshark (check_ftp_sessions.py status $rc)"
fi
finish
