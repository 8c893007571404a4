#!/bin/bash
# make-samples.sh [--force] [NAME...] — makes the sample captures in this
# folder, each from a real FTP session between sample_client.py and vsftpd:
#
#   login-idle-timeout         idle after login until the server's 421
#   upload-stall-data-timeout  STOR stalls; vsftpd's data timeout ends it
#   server-unresponsive        the session's vsftpd is frozen (SIGSTOP)
#                              before PWD; the client gives up after 4 s
#   clean-session              LIST, RETR, QUIT
#   mid-stream                 an upload then the idle 421, with the start
#                              of the session (handshake, login) cut away
#   capture-loss               NOOP, PWD, NOOP, QUIT with the PWD segment
#                              deleted from the capture
#   reconnect-resume           an upload killed by the data timeout, then a
#                              new session that resumes it with SIZE + REST
#   capture-stopped            the capture stops while the client, logged
#                              in, sends nothing (before any timeout)
#   client-abort-retr          the client resets the control connection in
#                              the middle of a RETR
#   idle-gap-lost              NOOP after 1.5 s, then idle until the 421,
#                              with the NOOP and its reply deleted from the
#                              capture
#   firewall-idle-reset        client, router and server in three
#                              namespaces; the router's firewall forgets
#                              the idle control connection and answers the
#                              client's next command with a reset
#
# NAME is one of those (a trailing .pcap is fine); no NAME makes all of
# them. An existing capture is left alone unless --force is given. Each
# capture is checked (check_sample.py) and only then moved into place, so
# a failed run never replaces a good file.
#
# Everything runs in a private network namespace per capture, on its
# loopback (tests/integration/lib.sh); firewall-idle-reset adds two more
# namespaces joined to it by veth pairs with private addresses that exist
# only inside them. Nothing leaves the machine. Needs root and Debian's
# vsftpd, tcpdump, tshark (editcap), python3, iproute2; firewall-idle-reset
# also nftables and the kernel's nf_conntrack. Each capture takes 1-10 s;
# all eleven about 70 s.
#
# Exit 0 when every requested capture exists afterwards, 1 when one could
# not be made, 2 on bad usage.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
client=$here/sample_client.py
checker=$here/check_sample.py
max_bytes=300000    # every sample stays below this
all=(login-idle-timeout upload-stall-data-timeout server-unresponsive
	clean-session mid-stream capture-loss reconnect-resume
	capture-stopped client-abort-retr idle-gap-lost firewall-idle-reset)

# Fixed client ports, so a remake reads the same in tshark: control
# 40021 (a second session 40023), data connections 40030, 40031, ...
ports=(--source-port 40021 --source-port2 40023 --data-source-port 40030)

usage() {
	echo "usage: $0 [--force] [NAME...]" >&2
	echo "  NAME: ${all[*]}" >&2
}

force=0
names=()
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage; exit 2 ;;
	*)
		arg=${arg%.pcap}
		if [[ " ${all[*]} " != *" $arg "* ]]; then
			echo "make-samples: unknown capture '$arg'" >&2
			usage
			exit 2
		fi
		names+=("$arg")
		;;
	esac
done
((${#names[@]})) || names=("${all[@]}")

# shellcheck source=SCRIPTDIR/../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
FST_CAPTURE_MAX_S=60
FST_SERVER_MAX_S=60

say() { echo "make-samples: $*"; }

# client SCENARIO ARGS... — runs sample_client.py in the namespace, bounded.
client() {
	fst_ns timeout 30 python3 "$client" "$1" "${ports[@]}" "${@:2}"
}

# wait_ready FILE — waits up to 10 s for FILE (a client's ready file).
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.1
	done
	say "the client did not become ready within 10 s" >&2
	return 1
}

# tshark_q ARGS... — tshark without its "Running as user root" warning.
tshark_q() {
	tshark "$@" 2> >(grep -v 'Running as user "root"' >&2)
}

# Each make_NAME WORK: starts vsftpd, captures one scenario into
# WORK/raw.pcap and leaves the sample in WORK/out.pcap. Runs in its own
# subshell with set -e and its own namespace.

make_login_idle_timeout() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=3 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	client login-idle --wait 10
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

make_upload_stall_data_timeout() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=30 data_connection_timeout=3
	fst_capture_start lo "$w/raw.pcap" tcp
	client upload-stall --name upload/stalled.bin --size 102400 --wait 12
	fst_capture_stop
	# vsftpd keeps what it received before the timeout.
	[[ $(stat -c %s "$w/root/upload/stalled.bin") == 102400 ]]
	cp "$w/raw.pcap" "$w/out.pcap"
}

make_server_unresponsive() {
	local w=$1 cpid port pids i rc=0
	fst_vsftpd_start "$w" idle_session_timeout=30 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	# ip netns exec execs, so $! is the client's timeout wrapper.
	ip netns exec "$FST_NS" timeout 30 python3 "$client" unresponsive "${ports[@]}" \
		--command PWD --wait 4 --ready-file "$w/ready" --go-file "$w/go" &
	cpid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -e $w/ready ]] && break
		sleep 0.1
	done
	port=$(cat "$w/ready")
	# The processes holding the session's control connection: after an
	# anonymous login, vsftpd's unprivileged session process and its
	# privileged parent. Freeze both.
	pids=$(fst_tcp_pids 21 "$port")
	say "freezing vsftpd session pids ${pids//$'\n'/ } (control port $port)"
	# shellcheck disable=SC2086
	kill -STOP $pids
	: >"$w/go"
	wait "$cpid" || rc=$?
	# Stop the capture before the server thaws: a thawed vsftpd would
	# answer the PWD into the closed connection.
	fst_capture_stop
	# shellcheck disable=SC2086
	kill -CONT $pids
	((rc == 0))
	cp "$w/raw.pcap" "$w/out.pcap"
}

make_clean_session() {
	local w=$1
	fst_vsftpd_start "$w" idle_session_timeout=30 data_connection_timeout=30
	# A small file to fetch: 40 lines of text (CRLF), 1,840 bytes.
	for ((i = 1; i <= 40; i++)); do
		printf 'ftpstall sample file, line %02d of 40 ........\r\n' "$i"
	done >"$w/root/readme.txt"
	chmod 644 "$w/root/readme.txt"
	fst_capture_start lo "$w/raw.pcap" tcp
	client clean --name readme.txt --size "$(stat -c %s "$w/root/readme.txt")"
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

make_mid_stream() {
	local w=$1 first last
	fst_vsftpd_start "$w" idle_session_timeout=3 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	client mid-stream --pause 2 --name upload/midstream.bin --size 65536 --wait 10
	fst_capture_stop
	# Keep from the first command after the client's 2 s pause (TYPE I) to
	# the end: the handshake, greeting and login are cut away.
	first=$(tshark_q -r "$w/raw.pcap" -Y 'ftp.request.command == "TYPE"' \
		-T fields -e frame.number | head -1)
	last=$(tshark_q -r "$w/raw.pcap" -T fields -e frame.number | tail -1)
	[[ -n $first && -n $last ]]
	say "keeping frames $first-$last of the raw capture"
	editcap -F pcap -r "$w/raw.pcap" "$w/out.pcap" "$first-$last"
}

make_capture_loss() {
	local w=$1 frames
	fst_vsftpd_start "$w" idle_session_timeout=30 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	client commands --pause 2
	fst_capture_stop
	# Delete the one segment that carries PWD.
	frames=$(tshark_q -r "$w/raw.pcap" -Y 'ftp.request.command == "PWD"' \
		-T fields -e frame.number)
	if [[ $(wc -w <<<"$frames") != 1 ]]; then
		say "expected one PWD segment, found: $frames" >&2
		return 1
	fi
	say "deleting frame $frames (PWD) from the raw capture"
	editcap -F pcap "$w/raw.pcap" "$w/out.pcap" "$frames"
}

make_reconnect_resume() {
	local w=$1
	# anon_other_write_enable: without it vsftpd opens anonymous uploads
	# with O_EXCL, and a STOR (with REST) to the partial file gets 553.
	fst_vsftpd_start "$w" idle_session_timeout=2 data_connection_timeout=2 \
		anon_other_write_enable=YES
	fst_capture_start lo "$w/raw.pcap" tcp
	client reconnect-resume --name upload/backup.vol1 --size 65536 \
		--name2 upload/backup.vol2 --size2 98304 --partial 40960 \
		--wait 10 --reconnect 0.5
	fst_capture_stop
	cmp -s "$w/root/upload/backup.vol2" \
		<(python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import sample_client as c; sys.stdout.buffer.write(c.payload(98304, "upload/backup.vol2"))' "$here")
	cp "$w/raw.pcap" "$w/out.pcap"
}

make_capture_stopped() {
	local w=$1 cpid rc=0
	fst_vsftpd_start "$w" idle_session_timeout=30 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	# ip netns exec execs, so $! is the client's timeout wrapper.
	ip netns exec "$FST_NS" timeout 30 python3 "$client" hold "${ports[@]}" \
		--ready-file "$w/ready" --go-file "$w/go" &
	cpid=$!
	wait_ready "$w/ready"
	# The client is logged in and sends nothing; the server's timeouts
	# are 30 s away when the capture stops.
	sleep 2
	fst_capture_stop
	# Only now may the client QUIT: the capture must end mid-session.
	: >"$w/go"
	wait "$cpid" || rc=$?
	((rc == 0))
	cp "$w/raw.pcap" "$w/out.pcap"
}

make_client_abort_retr() {
	local w=$1 size=1048576
	fst_vsftpd_start "$w" idle_session_timeout=30 data_connection_timeout=30
	python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import sample_client as c; sys.stdout.buffer.write(c.payload(int(sys.argv[2]), "big.bin"))' \
		"$here" "$size" >"$w/root/big.bin"
	chmod 644 "$w/root/big.bin"
	fst_capture_start lo "$w/raw.pcap" tcp
	client abort-retr --name big.bin --size "$size" --partial 65536 --rcvbuf 16384
	fst_capture_stop
	cp "$w/raw.pcap" "$w/out.pcap"
}

make_idle_gap_lost() {
	local w=$1 frames
	fst_vsftpd_start "$w" idle_session_timeout=3 data_connection_timeout=30
	fst_capture_start lo "$w/raw.pcap" tcp
	client noop-idle --pause 1.5 --wait 10
	fst_capture_stop
	# Delete the NOOP and its 200: the segments of the one exchange
	# inside the idle gap.
	frames=$(tshark_q -r "$w/raw.pcap" \
		-Y 'ftp.request.command == "NOOP" || ftp.response.code == 200' \
		-T fields -e frame.number)
	if [[ $(wc -w <<<"$frames") != 2 ]]; then
		say "expected two segments (NOOP, 200), found: $frames" >&2
		return 1
	fi
	say "deleting frames ${frames//$'\n'/ } (NOOP, 200) from the raw capture"
	# shellcheck disable=SC2086
	editcap -F pcap "$w/raw.pcap" "$w/out.pcap" $frames
}

# router_ruleset — the router's firewall: a stateful forward chain as
# many firewalls have one. A TCP packet of a connection it does not know
# (or has forgotten) that is not a SYN is answered with a reset, which
# the router makes up itself, with its own TTL.
router_ruleset() {
	cat <<'EOF'
table inet fst_sample {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		tcp flags & (syn | ack | fin | rst) == syn ct state new accept
		meta l4proto tcp counter reject with tcp reset
	}
}
EOF
}

make_firewall_idle_reset() {
	local w=$1 missing cns=$FST_NS rns=$FST_NS-router sns=$FST_NS-server resets
	if ! missing=$(fst_need_cmds nft sysctl); then
		say "missing: $missing (Debian: apt-get install nftables procps)" >&2
		return 1
	fi
	# client 10.77.1.2 -- 10.77.1.1 router 10.77.2.1 -- 10.77.2.2 server
	ip netns add "$rns"
	fst_on_exit fst_netns_del "$rns"
	ip netns add "$sns"
	fst_on_exit fst_netns_del "$sns"
	fst_netns_routed "$cns" "$rns" "$sns" 10.77
	router_ruleset | ip netns exec "$rns" nft -f -
	# The firewall forgets an established connection after 3 s without a
	# packet (Linux's default is 5 days; firewalls and NATs often use
	# minutes). The sysctl exists once the ruleset uses conntrack.
	ip netns exec "$rns" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=3
	# vsftpd in the server's namespace, on its own address.
	fst_vsftpd_root "$w"
	_fst_vsftpd_conf "$w" vsftpd listen_address=10.77.2.2 \
		idle_session_timeout=30 data_connection_timeout=30
	FST_NS=$sns _fst_vsftpd_launch "$w" vsftpd 10.77.2.2:21
	# tcpdump on the client's side of the link.
	fst_capture_start c0 "$w/raw.pcap" tcp
	client firewall-idle --host 10.77.2.2 --source-host 10.77.1.2 --pause 5 --wait 3
	fst_capture_stop
	# The reset came from the router's reject rule, once.
	resets=$(ip netns exec "$rns" nft list chain inet fst_sample forward |
		sed -n 's/.*counter packets \([0-9]*\) .*reject.*/\1/p')
	if [[ $resets != 1 ]]; then
		say "the router's reject rule matched '$resets' times, want 1" >&2
		return 1
	fi
	cp "$w/raw.pcap" "$w/out.pcap"
}

# show_failure NAME WORK — at exit: if the scenario did not finish, shows
# the vsftpd log.
show_failure() {
	[[ -e $2/made ]] && return 0
	say "$1: the scenario failed; vsftpd log:" >&2
	sed 's/^/make-samples:   /' "$2/vsftpd.log" >&2 || true
}

# make_one NAME — makes NAME.pcap; runs in a subshell (own namespace and
# EXIT trap).
make_one() {
	local name=$1 work out=$here/$1.pcap bytes
	work=$(mktemp -d /tmp/ftpstall-sample.XXXXXX)
	# Registered first, so it runs before the rm -rf.
	fst_on_exit show_failure "$name" "$work"
	fst_on_exit rm -rf "$work"
	fst_netns_create "fst-sample-$BASHPID"
	# Not in an `if`: set -e must stay in force inside the scenario.
	"make_${name//-/_}" "$work"
	: >"$work/made"
	sed "s/^/make-samples: $name: tcpdump: /" "$work/raw.pcap.log"
	if ! python3 "$checker" "$name" "$work/out.pcap"; then
		say "$name: the capture does not show the expected sequence; $out left as it was" >&2
		return 1
	fi
	bytes=$(stat -c %s "$work/out.pcap")
	if ((bytes >= max_bytes)); then
		say "$name: $bytes bytes, not below $max_bytes; $out left as it was" >&2
		return 1
	fi
	install -m 0644 "$work/out.pcap" "$out"
	say "wrote $out ($bytes bytes)"
}

todo=()
for name in "${names[@]}"; do
	if [[ -e $here/$name.pcap && $force == 0 ]]; then
		say "$here/$name.pcap already exists; leaving it (use --force to remake it)"
	else
		todo+=("$name")
	fi
done
((${#todo[@]})) || exit 0

if [[ $(id -u) != 0 ]]; then
	say "must run as root (network namespaces, vsftpd on port 21, tcpdump)" >&2
	exit 1
fi
if ! missing=$(fst_need_cmds ip ss tcpdump tshark editcap python3 timeout /usr/sbin/vsftpd); then
	say "missing: $missing (Debian: apt-get install vsftpd tcpdump tshark python3 iproute2)" >&2
	exit 1
fi

failed=()
for name in "${todo[@]}"; do
	say "making $name.pcap"
	set +e
	(
		set -e
		make_one "$name"
	)
	rc=$?
	set -e
	((rc == 0)) || failed+=("$name")
done
if ((${#failed[@]})); then
	say "failed: ${failed[*]}" >&2
	exit 1
fi
