# shellcheck shell=bash
# tests/path/path.sh — a real network path between an FTP client and
# server: three namespaces joined by veth pairs, the middle one a Linux
# NAT router whose conntrack forgets idle connections.
#
#   client NET.1.2 (c0) -- NET.1.1 (r0) router NET.2.1 (r1) -- NET.2.2 (s0) server
#
# Source it after tests/integration/lib.sh, once fst_netns_create has made
# the client's namespace ($FST_NS):
#
#   path_build drop 3            # router drops packets of forgotten flows
#   path_vsftpd_start "$dir" anon_max_rate=20000
#   path_capture_start           # tcpdump on c0 and on s0
#   fst_ns python3 client.py ... # the client, in the client's namespace
#   path_capture_stop "$dir/client.pcap" "$dir/server.pcap"
#
# The router masquerades the client toward the server (the server sees
# NET.2.1), keeps conntrack with nf_conntrack_tcp_loose=0 (a packet of a
# connection it does not know is invalid unless it is a SYN) and a short
# nf_conntrack_tcp_timeout_established; a packet of a forgotten
# connection, either way, is dropped silently (MODE drop) or answered with
# a reset (MODE reset), as cloud NATs and firewalls do. Offloads are
# turned off on every veth (when ethtool is there) so the captures show
# the segments as they travel.
#
# Every process started here is in one of the three namespaces or in
# FST_PIDS; the router's and server's namespaces are deleted at exit (the
# client's by lib.sh's trap). Nothing here reaches the host's network.

PATH_NET=${PATH_NET:-10.88}
PATH_RNS=""
PATH_SNS=""
PATH_CAPTURE_PIDS=()
PATH_CAPTURE_FILES=()

# path_skip_reason — prints why this machine cannot build the path, or
# nothing (status 0) when it can.
path_skip_reason() {
	local missing probe
	if [[ $(id -u) != 0 ]]; then
		echo "needs root (network namespaces, nftables, tcpdump)"
		return 1
	fi
	if ! missing=$(fst_need_cmds ip ss nft sysctl tcpdump python3 timeout /usr/sbin/vsftpd); then
		echo "missing: $missing (Debian: apt-get install iproute2 nftables procps tcpdump python3 vsftpd)"
		return 1
	fi
	probe="fst-pathprobe-$$"
	if ! ip netns add "$probe" 2>/dev/null; then
		echo "network namespaces are not allowed here ('ip netns add' failed)"
		return 1
	fi
	ip netns del "$probe" 2>/dev/null
	return 0
}

# path_ruleset MODE — the router's nftables ruleset: conntrack-based
# forwarding, masquerade toward the server, and the fate of a packet of a
# connection conntrack forgot (drop or reject with tcp reset), both for
# packets passing through and for those addressed to the NAT address.
path_ruleset() {
	local verdict=drop
	[[ $1 == reset ]] && verdict="reject with tcp reset"
	cat <<EOF
table inet fst_path {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		tcp flags & (syn | ack | fin | rst) == syn ct state new accept
		meta l4proto tcp counter $verdict
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "lo" accept
		ct state established,related accept
		tcp flags & (syn | ack | fin | rst) == syn ct state new accept
		meta l4proto tcp counter $verdict
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "r1" masquerade
	}
}
EOF
}

# path_ftp_helper — the router's FTP helper (nf_conntrack_ftp with
# nf_nat_ftp) on the control connections to port 21: it follows PORT,
# EPRT, 227 and 229, rewrites the addresses in them for the masquerade,
# and lets the data connection they announce pass as related.
path_ftp_helper() {
	ip netns exec "$PATH_RNS" nft -f - <<EOF
table inet fst_path {
	ct helper ftp-standard {
		type "ftp" protocol tcp;
		l3proto ip;
	}
	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 21 ct helper set "ftp-standard"
	}
}
EOF
}

# path_forgotten — how many packets of forgotten connections the router
# dropped or reset (both chains).
path_forgotten() {
	ip netns exec "$PATH_RNS" nft list table inet fst_path |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | awk '{n += $1} END {print n + 0}'
}

# path_offloads_off NS DEV — turns off segmentation and receive offloads
# of DEV in NS, so that tcpdump sees wire-sized segments.
path_offloads_off() {
	command -v ethtool >/dev/null 2>&1 || return 0
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 ||
		fst_log "ethtool -K $2 failed: offloads left as they are"
}

# path_build MODE TIMEOUT_S — makes the router's and server's namespaces
# next to $FST_NS (the client's), joins them (fst_netns_routed), loads
# the ruleset for MODE (drop or reset) and sets conntrack's established
# timeout to TIMEOUT_S seconds.
path_build() {
	local mode=$1 timeout_s=$2 ns dev
	case $mode in
	drop | reset) ;;
	*)
		fst_log "path_build: mode '$mode' is not drop or reset"
		return 1
		;;
	esac
	PATH_RNS=$FST_NS-router
	PATH_SNS=$FST_NS-server
	ip netns add "$PATH_RNS" || return 1
	fst_on_exit fst_netns_del "$PATH_RNS"
	ip netns add "$PATH_SNS" || return 1
	fst_on_exit fst_netns_del "$PATH_SNS"
	fst_netns_routed "$FST_NS" "$PATH_RNS" "$PATH_SNS" "$PATH_NET" || return 1
	for ns in "$FST_NS:c0" "$PATH_RNS:r0" "$PATH_RNS:r1" "$PATH_SNS:s0"; do
		dev=${ns#*:}
		path_offloads_off "${ns%%:*}" "$dev"
	done
	path_ruleset "$mode" | ip netns exec "$PATH_RNS" nft -f - || return 1
	# The sysctls exist once the ruleset uses conntrack.
	ip netns exec "$PATH_RNS" sysctl -qw \
		net.netfilter.nf_conntrack_tcp_timeout_established="$timeout_s" \
		net.netfilter.nf_conntrack_tcp_loose=0
}

# path_vsftpd_start DIR [key=value ...] — vsftpd in the server's namespace
# on NET.2.2:21 (lib.sh's configuration, with the overrides).
path_vsftpd_start() {
	local dir=$1
	shift
	fst_vsftpd_root "$dir" &&
		_fst_vsftpd_conf "$dir" vsftpd listen_address="$PATH_NET.2.2" "$@" &&
		FST_NS=$PATH_SNS _fst_vsftpd_launch "$dir" vsftpd "$PATH_NET.2.2:21"
}

# _path_capture NS DEV FILE — one tcpdump, its pid in PATH_CAPTURE_PIDS.
_path_capture() {
	local ns=$1 dev=$2 file=$3 pid i
	: >"$file.log"
	ip netns exec "$ns" timeout -s INT -k 5 "$FST_CAPTURE_MAX_S" \
		tcpdump -i "$dev" --immediate-mode -U -n -w "$file" tcp \
		</dev/null >/dev/null 2>"$file.log" &
	pid=$!
	FST_PIDS+=("$pid")
	PATH_CAPTURE_PIDS+=("$pid")
	PATH_CAPTURE_FILES+=("$file")
	for ((i = 0; i < FST_CAPTURE_WAIT_S * 10; i++)); do
		grep -q 'listening on' "$file.log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	fst_log "tcpdump on $dev did not start capturing within ${FST_CAPTURE_WAIT_S}s:"
	sed 's/^/fst:   tcpdump: /' "$file.log" >&2
	return 1
}

# path_capture_start CLIENT_PCAP SERVER_PCAP — tcpdump on the client's
# interface (c0) and on the server's (s0) at the same time.
path_capture_start() {
	_path_capture "$FST_NS" c0 "$1" && _path_capture "$PATH_SNS" s0 "$2"
}

# path_capture_stop — stops both captures (SIGINT, so they flush) and
# waits for them; fails if either did not stop cleanly.
path_capture_stop() {
	local pid rc=0 one
	sleep 0.2
	for pid in "${PATH_CAPTURE_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null
	done
	for pid in "${PATH_CAPTURE_PIDS[@]}"; do
		if ! _fst_wait_gone "$pid" "$FST_KILL_WAIT_S"; then
			kill -TERM "$pid" 2>/dev/null
		fi
		one=0
		wait "$pid" 2>/dev/null || one=$?
		((one == 0)) || rc=$one
	done
	PATH_CAPTURE_PIDS=()
	PATH_CAPTURE_FILES=()
	return "$rc"
}
