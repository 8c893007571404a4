#!/bin/bash
# test_upload_analyze.sh FTPSTALL — `ftpstall analyze -i lo` watching
# `ftpstall upload` recover from real vsftpd timeouts.
#
# In a network namespace of its own (lib.sh): vsftpd on 127.0.0.1:21 with
# idle_session_timeout=2 and data_connection_timeout=2 (anonymous uploads
# that may write into existing files). `ftpstall analyze -f json -i lo
# --duration 20` starts first (the test waits for its packet socket), then
# two uploads run while it captures:
#
#   A. `upload --idle-before 3 g1 g2 g3`: before each file the client idles
#      3 s, vsftpd says "421 Timeout." after 2 s and the client reconnects
#      when the file starts: 4 sessions.
#      - sessions 1-3 each end with that unsolicited 421 after a ~2 s idle
#        waiting on the client: verdict idle_timeout, stalled side client;
#      - each is linked to the next session (reconnect.session = id + 1)
#        after about 1 s: the client reconnects lazily, when the next file
#        is due (3 s idle - 2 s timeout), not when the 421 comes;
#      - not resumed: with --idle-before every file starts fresh on the new
#        session, so the next session STORs gN from offset 0 (rest_offset
#        0, all bytes, 226) and that is no truncated re-upload (another
#        file, not the one that failed);
#      - session 4 ends clean (QUIT, 221); the server's idle timeout is
#        estimated at 2 s from 3 observations.
#   B. `upload --pause-at 100000 --pause 5 h.bin`: the client stalls the
#      data connection; vsftpd's data timer fires (2 to 4 s), the client
#      reconnects and resumes with REST 100000 + STOR.
#      - the stalled session's transfer failed with 421 and its data
#        connection closed by the server after a ~2-4 s gap waiting on the
#        client: verdict data_timeout;
#      - linked to the next session, resumed with REST at offset 100000,
#        which matches the client's own summary (resumed_from), and that
#        session's STOR has rest_offset 100000 and the other 900000 bytes.
#   The capture lost nothing; both uploads exit 0 with identical files.
#
# Exit 0 pass, 1 fail (evidence kept in /tmp/ftpstall-upload_analyze-
# fail-*/), 77 skipped (not root, a tool missing). About 22 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=80
CAPTURE_S=20
# shellcheck source=SCRIPTDIR/client_lib.sh
. "$here/client_lib.sh"

fst_client_setup upload_analyze "${1:-}"
fst_vsftpd_start "$WORK" idle_session_timeout=2 data_connection_timeout=2 \
	anon_other_write_enable=YES || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}
mkdir -p "$WORK/local"
for i in 1 2 3; do
	head -c $((i * 150000)) /dev/urandom >"$WORK/local/g$i.bin"
done
head -c 1000000 /dev/urandom >"$WORK/local/h.bin"

# ---- the capture ----

packet_sockets() {
	fst_ns cat /proc/net/packet | tail -n +2 | wc -l
}
before=$(packet_sockets)
# As lib.sh starts vsftpd: ip netns exec execs timeout, so $! can be
# waited for; timeout is a safety net should --duration not work.
ip netns exec "$FST_NS" timeout -k 5 $((CAPTURE_S + 20)) "$FTPSTALL" analyze -f json -i lo \
	--duration "$CAPTURE_S" >"$WORK/analyze.json" 2>"$WORK/analyze.err" &
analyze_pid=$!
FST_PIDS+=("$analyze_pid")
capture_t0=$(date +%s.%N)
for ((i = 0; i < 100; i++)); do
	(($(packet_sockets) > before)) && break
	kill -0 "$analyze_pid" 2>/dev/null || break
	sleep 0.05
done
if (($(packet_sockets) <= before)); then
	echo "FAIL: ftpstall analyze -i lo did not open a capture"
	cat "$WORK/analyze.err"
	exit 1
fi
# The socket exists a moment before its filter and ring are set up.
sleep 0.5

# ---- A. idle before each file ----

echo "== A. upload --idle-before 3 g1 g2 g3 (idle_session_timeout=2)"
rc=0
fst_ns timeout -k 2 30 "$FTPSTALL" upload --no-progress -f json --idle-before 3 \
	"$WORK"/local/g{1,2,3}.bin ftp://127.0.0.1/upload/ >"$WORK/upload-a.json" \
	2>"$WORK/upload-a.err" || rc=$?
fst_expect "A: upload exit 0 (got $rc)" test "$rc" = 0
fst_expect "A: the client saw three 421 Timeout. while idle" \
	test "$(fst_jq "$WORK/upload-a.json" '[(r["phase"], r["reason"]) for r in j["reconnects"]]' 2>&1)" = \
	'[["idle","421 Timeout."],["idle","421 Timeout."],["idle","421 Timeout."]]'

# ---- B. a stalled data connection ----

echo "== B. upload --pause-at 100000 --pause 5 h.bin (data_connection_timeout=2)"
rc=0
fst_ns timeout -k 2 30 "$FTPSTALL" upload --no-progress -f json --pause-at 100000 --pause 5 \
	--retry-delay 0.1 "$WORK/local/h.bin" ftp://127.0.0.1/upload/ >"$WORK/upload-b.json" \
	2>"$WORK/upload-b.err" || rc=$?
fst_expect "B: upload exit 0 (got $rc)" test "$rc" = 0
resumed_from=$(fst_jq "$WORK/upload-b.json" \
	'j["reconnects"][0]["resumed_from"] if len(j["reconnects"]) == 1 and j["reconnects"][0]["method"] == "REST+STOR" else -1' 2>&1)
fst_expect "B: the client resumed once with REST+STOR from 100000 (got $resumed_from)" \
	test "$resumed_from" = 100000
uploads_s=$(fst_elapsed)
capture_used=$(awk -v a="$capture_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
for f in g1 g2 g3 h; do
	fst_same_file "$f.bin identical on the server" "$WORK/local/$f.bin" "$WORK/root/upload/$f.bin"
done

echo "== waiting for the capture's end (--duration $CAPTURE_S; uploads done after $capture_used s)"
fst_expect "both uploads ended inside the capture ($capture_used < $CAPTURE_S s)" \
	awk -v u="$capture_used" -v c="$CAPTURE_S" 'BEGIN { exit !(u < c - 0.5) }'
rc=0
wait "$analyze_pid" || rc=$?
fst_expect "analyze exit 0 (got $rc)" test "$rc" = 0
if ! fst_jq "$WORK/analyze.json" 'j["sessions"]' >/dev/null 2>&1; then
	fst_fail "the analyze report is not JSON"
	sed 's/^/  /' "$WORK/analyze.err" | head -20
	fst_finish
fi

# A readable digest of what analyze saw, for the log and for a failure.
fst_jq "$WORK/analyze.json" '"\n".join("  session %d %s: %s (%s), close %s/%s %s, reconnect %s, transfers %s" % (s["id"], s["client"], s["verdict"]["kind"], s["verdict"]["stalled_side"], s["close"]["by"], s["close"]["how"], s["close"]["reply_code"], s["reconnect"] and (s["reconnect"]["session"], s["reconnect"]["after_s"], s["reconnect"].get("resumed_with"), s["reconnect"].get("offset")), [(t["command"], t["file"], t["rest_offset"], t["bytes"], t["outcome"], t.get("reply_code")) for t in s["transfers"]]) for s in j["sessions"])' |
	tee "$WORK/sessions.txt"

an() {
	fst_jq "$WORK/analyze.json" "$@" 2>&1
}

fst_expect "6 sessions: 4 of upload A, 2 of upload B" test "$(an 'len(j["sessions"])')" = 6
# (Retransmissions are the network's doing, not the capture's: vsftpd
# resends its FIN when the 421's ACK is slow, so they are not counted.)
fst_expect "the capture lost nothing" \
	test "$(an '(j["stats"]["capture_gaps"], j["stats"]["kernel_dropped"])')" = '[0,0]'

# ---- A in the report ----

for id in 1 2 3; do
	s="j['sessions'][$((id - 1))]"
	fst_expect "A: session $id ends with an unsolicited 421 Timeout. after ~2 s idle waiting on the client" \
		test "$(an "[r for r in ${s}['replies'] if r['code'] == 421][-1]['text'] == 'Timeout.' and [r for r in ${s}['replies'] if r['code'] == 421][-1]['unsolicited'] and any(g['before_close'] and g['waiting_on'] == 'client' and abs(g['duration_s'] - 2) < 0.3 for g in ${s}['gaps'])")" = true
	fst_expect "A: session $id verdict idle_timeout, stalled side client (got $(an "(${s}['verdict']['kind'], ${s}['verdict']['stalled_side'], ${s}['close']['by'])"))" \
		test "$(an "(${s}['verdict']['kind'], ${s}['verdict']['stalled_side'])")" = '["idle_timeout","client"]'
	fst_expect "A: session $id linked to session $((id + 1)) after 0.5-1.6 s, not resumed (got $(an "${s}['reconnect']"))" \
		test "$(an "${s}['reconnect'] is not None and ${s}['reconnect']['session'] == $((id + 1)) and 0.5 <= ${s}['reconnect']['after_s'] <= 1.6 and not ${s}['reconnect']['resumed'] and not ${s}['reconnect']['truncated_reupload']")" = true
	n="j['sessions'][$id]"
	size=$((id * 150000))
	fst_expect "A: session $((id + 1)) STORs g$id.bin from 0: all $size bytes, complete, 226" \
		test "$(an "[(t['command'], t['file'], t['rest_offset'], t['bytes'], t['outcome'], t.get('reply_code')) for t in ${n}['transfers']]")" = \
		"[[\"STOR\",\"g$id.bin\",0,$size,\"complete\",226]]"
done
# Session 1 lost its connection before any transfer: nothing shows that
# session 2 carried its work on. 2 and 3 stored g1 and g2; 3 and 4 the next
# files, g2 and g3.
fst_expect "A: session 1's link is probable, 2's and 3's sure (the next file) (got $(an '[s["reconnect"].get("probable", False) for s in j["sessions"][:3]]'))" \
	test "$(an '[s["reconnect"].get("probable", False) for s in j["sessions"][:3]]')" = '[true,false,false]'
fst_expect "A: session 4 ends clean after QUIT and 221" \
	test "$(an "(j['sessions'][3]['verdict']['kind'], j['sessions'][3]['close']['quit_sent'], j['sessions'][3]['close']['reply_code'])")" = '["clean",true,221]'
fst_expect "the server's idle timeout is estimated at 2 s +- 0.3 from 3 observations (got $(an "[(s['idle_timeout_estimate_s'], s['observations']) for s in j['servers']]"))" \
	test "$(an "len(j['servers']) == 1 and j['servers'][0]['observations'] == 3 and abs(j['servers'][0]['idle_timeout_estimate_s'] - 2) <= 0.3")" = true

# ---- B in the report ----

s="j['sessions'][4]"
n="j['sessions'][5]"
fst_expect "B: session 5's STOR failed with 421 after a 2-4.5 s data gap waiting on the client, the server closing the data connection" \
	test "$(an "len(${s}['transfers']) == 1 and ${s}['transfers'][0]['outcome'] == 'failed' and ${s}['transfers'][0].get('reply_code') == 421 and ${s}['transfers'][0]['data_closed_by'] == 'server' and any(g['channel'] == 'data' and g['waiting_on'] == 'client' and 2 <= g['duration_s'] <= 4.5 for g in ${s}['gaps'])")" = true
fst_expect "B: session 5 verdict data_timeout, stalled side client (got $(an "(${s}['verdict']['kind'], ${s}['verdict']['stalled_side'], ${s}['close']['by'], ${s}['close']['reply_code'])"))" \
	test "$(an "(${s}['verdict']['kind'], ${s}['verdict']['stalled_side'])")" = '["data_timeout","client"]'
fst_expect "B: session 5 linked to session 6, resumed with REST at the client's offset $resumed_from (got $(an "${s}['reconnect']"))" \
	test "$(an "${s}['reconnect'] is not None and ${s}['reconnect']['session'] == 6 and ${s}['reconnect']['resumed'] and ${s}['reconnect']['resumed_with'] == 'REST' and ${s}['reconnect']['offset'] == $resumed_from and not ${s}['reconnect']['truncated_reupload']")" = true
fst_expect "B: session 5's link is sure (REST)" \
	test "$(an "'probable' not in ${s}['reconnect']")" = true
fst_expect "B: session 6 STORs h.bin from REST $resumed_from: the other bytes, complete" \
	test "$(an "[(t['command'], t['file'], t['rest_offset'], t['bytes'], t['outcome']) for t in ${n}['transfers']]")" = \
	"[[\"STOR\",\"h.bin\",$resumed_from,$((1000000 - resumed_from)),\"complete\"]]"

echo "(uploads took $uploads_s s from the start of the test)"
fst_finish
