# shellcheck shell=bash
# tests/integration/lib.sh — helpers for tests that run real FTP servers.
#
# Source it from a bash script (it works under `set -euo pipefail`):
#
#   . "$(dirname "$0")/lib.sh"
#   fst_netns_create "fst-mytest-$$"        # installs the EXIT trap
#   fst_vsftpd_start "$dir" idle_session_timeout=2
#   fst_capture_start lo "$dir/out.pcap" 'tcp'
#   fst_ns python3 client.py ...             # runs inside the namespace
#   fst_capture_stop
#
# Everything runs inside one network namespace made for the test, which has
# only its own loopback: ports never collide with the host, and no test
# traffic can leave the machine. The EXIT trap kills every process in that
# namespace (so every process we started there) and deletes it, on success,
# failure or signal alike.
#
# Functions return non-zero and print "fst: ..." on stderr on failure; they
# never exit on their own, so the caller decides what a failure means.

FST_NS=""                 # the namespace we created, empty if none
FST_NS_OWNED=0            # 1 once `ip netns add` succeeded
FST_PIDS=()               # pids we started (vsftpd instances, tcpdump)
FST_CAPTURE_PID=""        # pid of the `timeout tcpdump` wrapper, if running
FST_CAPTURE_FILE=""
FST_ON_EXIT=()            # extra cleanup commands, run last (e.g. rm -rf)

# Bounds, in seconds. Callers may override them before calling.
: "${FST_PORT_WAIT_S:=5}"        # vsftpd must listen within this
: "${FST_CAPTURE_WAIT_S:=5}"     # tcpdump must say "listening on" within this
: "${FST_CAPTURE_MAX_S:=120}"    # safety net: tcpdump stops itself after this
: "${FST_SERVER_MAX_S:=300}"     # safety net: vsftpd is ended after this
: "${FST_KILL_WAIT_S:=3}"        # grace between SIGTERM and SIGKILL
# Kernel capture buffer for fst_capture_start, in KiB (tcpdump -B); empty
# keeps tcpdump's default (2 MiB). Loopback moves 64 KiB frames, so a bulk
# transfer can overrun the default and the kernel drops packets.
: "${FST_CAPTURE_BUFFER_KIB:=}"

fst_log() { printf 'fst: %s\n' "$*" >&2; }

# fst_need_cmds CMD... — prints the missing ones on stdout (space separated)
# and returns 1 if any is missing. Names with a slash are checked as files.
fst_need_cmds() {
	local c absent=()
	for c in "$@"; do
		if [[ $c == */* ]]; then
			[[ -x $c ]] || absent+=("$c")
		else
			command -v "$c" >/dev/null 2>&1 || absent+=("$c")
		fi
	done
	if ((${#absent[@]})); then
		printf '%s\n' "${absent[*]}"
		return 1
	fi
	return 0
}

# fst_ns CMD... — runs CMD inside the test namespace.
fst_ns() {
	if [[ -z $FST_NS ]]; then
		fst_log "fst_ns: no namespace (call fst_netns_create first)"
		return 1
	fi
	ip netns exec "$FST_NS" "$@"
}

# fst_on_exit CMD... — registers a command for the EXIT trap, run after the
# namespace is gone (for example removing the test's temp dir).
fst_on_exit() {
	FST_ON_EXIT+=("$(printf '%q ' "$@")")
}

# fst_netns_create NAME — creates namespace NAME with lo up (127.0.0.1 and
# ::1) and installs the cleanup trap. Refuses an existing NAME: we only ever
# delete a namespace we created.
fst_netns_create() {
	local name=$1
	if [[ -n $FST_NS ]]; then
		fst_log "fst_netns_create: namespace $FST_NS already made by this test"
		return 1
	fi
	if ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$name"; then
		fst_log "fst_netns_create: namespace $name already exists; not reusing it"
		return 1
	fi
	trap fst_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	if ! ip netns add "$name"; then
		fst_log "fst_netns_create: 'ip netns add $name' failed (root? CAP_SYS_ADMIN?)"
		return 1
	fi
	FST_NS=$name
	FST_NS_OWNED=1
	if ! ip netns exec "$name" ip link set lo up; then
		fst_log "fst_netns_create: cannot bring lo up in $name"
		return 1
	fi
	# ::1 appears on lo when it comes up, unless IPv6 is disabled.
	if ! ip netns exec "$name" ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
		fst_log "fst_netns_create: note: no ::1 in $name (IPv6 disabled?)"
	fi
	return 0
}

# Waits up to $2 seconds for pid $1 to end; returns 0 if it did.
_fst_wait_gone() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# fst_cleanup — the EXIT trap. Stops the capture (flushing it), kills every
# process still in the namespace, deletes the namespace, then runs the
# fst_on_exit commands. Safe to call twice.
fst_cleanup() {
	local rc=$? pid pids c
	trap - EXIT INT TERM HUP
	# Cleanup must run to the end whatever fails, whatever the caller's -e.
	set +e
	[[ -n $FST_CAPTURE_PID ]] && fst_capture_stop >/dev/null 2>&1
	for pid in "${FST_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	if [[ $FST_NS_OWNED == 1 ]]; then
		# Every process in our namespace was started by this test (vsftpd
		# session children included), so all of them go.
		pids=$(ip netns pids "$FST_NS" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[[ -n ${pids// /} ]] && kill -TERM $pids 2>/dev/null
		for pid in $pids "${FST_PIDS[@]}"; do
			_fst_wait_gone "$pid" "$FST_KILL_WAIT_S" || kill -KILL "$pid" 2>/dev/null
		done
		pids=$(ip netns pids "$FST_NS" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[[ -n ${pids// /} ]] && kill -KILL $pids 2>/dev/null
		ip netns del "$FST_NS" 2>/dev/null || fst_log "cleanup: could not delete namespace $FST_NS"
	fi
	for pid in "${FST_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	FST_PIDS=()
	FST_NS=""
	FST_NS_OWNED=0
	for c in "${FST_ON_EXIT[@]}"; do
		eval "$c" || true
	done
	FST_ON_EXIT=()
	exit "$rc"
}

# fst_netns_del NAME — kills what runs in namespace NAME (one the caller
# made, next to FST_NS: a router's, a server's), then deletes it. For
# fst_on_exit.
fst_netns_del() {
	local pids pid
	pids=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
	# shellcheck disable=SC2086
	[[ -n ${pids// /} ]] && kill -TERM $pids 2>/dev/null
	for pid in $pids; do
		_fst_wait_gone "$pid" "$FST_KILL_WAIT_S" || kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$1" 2>/dev/null || fst_log "could not delete namespace $1"
}

# Waits until something in the namespace listens on TCP ADDR:PORT ("ss"
# spelling: 127.0.0.1:21 or [::1]:21), or pid PID has died, or the bound.
_fst_wait_listen() {
	local addr=$1 pid=$2 i
	for ((i = 0; i < FST_PORT_WAIT_S * 10; i++)); do
		if fst_ns ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qxF -- "$addr"; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# fst_vsftpd_root DIR — prepares DIR/root (the anonymous root, owned by root
# and not writable by ftp, as vsftpd demands for a chroot), DIR/root/upload
# (owned by ftp, where uploads go) and DIR/empty (secure_chroot_dir).
fst_vsftpd_root() {
	local dir=$1
	if ! getent passwd ftp >/dev/null; then
		fst_log "no user 'ftp': vsftpd runs anonymous sessions as 'ftp' (Debian's vsftpd package creates it; try 'adduser --system --group --home /srv/ftp ftp')"
		return 1
	fi
	chmod 755 "$dir" &&
		install -d -m 755 -o root -g root "$dir/empty" "$dir/root" &&
		install -d -m 755 -o ftp -g ftp "$dir/root/upload"
}

# Writes DIR/NAME.conf: the base config then the key=value overrides (later
# lines win in vsftpd, but we also drop the base line for an overridden key
# so the file reads plainly).
_fst_vsftpd_conf() {
	local dir=$1 name=$2 kv key
	shift 2
	local -A over=()
	for kv in "$@"; do
		if [[ $kv != *=* ]]; then
			fst_log "fst_vsftpd_start: '$kv' is not key=value"
			return 1
		fi
		over[${kv%%=*}]=${kv#*=}
	done
	{
		echo "# written by tests/integration/lib.sh"
		while IFS= read -r kv; do
			key=${kv%%=*}
			[[ -n ${over[$key]+set} ]] && continue
			echo "$kv"
		done <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=21
background=NO
anonymous_enable=YES
no_anon_password=NO
local_enable=NO
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=NO
anon_umask=022
anon_root=$dir/root
ftp_username=ftp
secure_chroot_dir=$dir/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30009
connect_from_port_20=NO
idle_session_timeout=300
data_connection_timeout=300
tcp_wrappers=NO
syslog_enable=NO
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$dir/$name.log
dirmessage_enable=NO
use_localtime=NO
EOF
		for kv in "$@"; do
			echo "$kv"
		done
	} >"$dir/$name.conf"
}

# Starts vsftpd with config DIR/NAME.conf and waits until it listens on
# LISTEN (ss spelling). Stdout/stderr go to DIR/NAME.out.
_fst_vsftpd_launch() {
	local dir=$1 name=$2 listen=$3 pid
	# Not through fst_ns: a function run with & is a subshell, and $! would
	# be that subshell, not the process we must signal. `ip netns exec`
	# execs the command, so here $! is timeout, which passes SIGTERM on to
	# vsftpd (and ends it by itself as a safety net if we are SIGKILLed).
	# vsftpd writes "500 OOPS: ..." to fd 0 (the control connection in
	# inetd mode), so fd 0 goes to the log file too.
	ip netns exec "$FST_NS" timeout -k 5 "$FST_SERVER_MAX_S" \
		/usr/sbin/vsftpd "$dir/$name.conf" >"$dir/$name.out" 2>&1 0>&1 &
	pid=$!
	FST_PIDS+=("$pid")
	if ! _fst_wait_listen "$listen" "$pid"; then
		if kill -0 "$pid" 2>/dev/null; then
			fst_log "vsftpd ($name) not listening on $listen after ${FST_PORT_WAIT_S}s"
		else
			fst_log "vsftpd ($name) exited before listening on $listen"
		fi
		sed 's/^/fst:   vsftpd: /' "$dir/$name.out" >&2
		return 1
	fi
	fst_log "vsftpd ($name) listening on $listen (timeout pid $pid)"
	return 0
}

# fst_vsftpd_start DIR [key=value ...] — anonymous-upload vsftpd on
# 127.0.0.1:21 in the namespace; config in DIR/vsftpd.conf, log in
# DIR/vsftpd.log, files under DIR/root (uploads into DIR/root/upload).
# key=value pairs override the defaults (idle_session_timeout=3, ...). If
# listen_port is overridden the wait uses that port.
fst_vsftpd_start() {
	local dir=$1 port=21 kv
	shift
	if [[ ! -x /usr/sbin/vsftpd ]]; then
		fst_log "/usr/sbin/vsftpd missing (apt-get install vsftpd)"
		return 1
	fi
	for kv in "$@"; do
		[[ $kv == listen_port=* ]] && port=${kv#*=}
	done
	fst_vsftpd_root "$dir" &&
		_fst_vsftpd_conf "$dir" vsftpd "$@" &&
		_fst_vsftpd_launch "$dir" vsftpd "127.0.0.1:$port"
}

# fst_vsftpd_start6 DIR [key=value ...] — a second instance on [::1]:21
# sharing DIR/root; config DIR/vsftpd6.conf, log DIR/vsftpd6.log. Use after
# (or instead of) fst_vsftpd_start.
fst_vsftpd_start6() {
	local dir=$1 port=21 kv
	shift
	if [[ ! -x /usr/sbin/vsftpd ]]; then
		fst_log "/usr/sbin/vsftpd missing (apt-get install vsftpd)"
		return 1
	fi
	for kv in "$@"; do
		[[ $kv == listen_port=* ]] && port=${kv#*=}
	done
	if [[ ! -d $dir/root/upload ]]; then
		fst_vsftpd_root "$dir" || return 1
	fi
	_fst_vsftpd_conf "$dir" vsftpd6 listen=NO listen_ipv6=YES listen_address6=::1 "$@" &&
		_fst_vsftpd_launch "$dir" vsftpd6 "[::1]:$port"
}

# fst_capture_start IFACE FILE [filter] — tcpdump -U -w FILE on IFACE inside
# the namespace, returning once it is capturing. tcpdump's own stderr goes
# to FILE.log. It stops by itself after FST_CAPTURE_MAX_S as a safety net.
fst_capture_start() {
	local iface=$1 file=$2 filter=${3-} i
	local -a cmd
	if [[ -n $FST_CAPTURE_PID ]]; then
		fst_log "fst_capture_start: a capture is already running"
		return 1
	fi
	# --immediate-mode: without it libpcap hands packets over in blocks
	# every ~1 s, and a SIGINT before a block is handed over loses it
	# (tcpdump then reports "0 packets captured", N "received by filter").
	cmd=(timeout -s INT -k 5 "$FST_CAPTURE_MAX_S"
		tcpdump -i "$iface" --immediate-mode -U -n -w "$file")
	[[ -n $FST_CAPTURE_BUFFER_KIB ]] && cmd+=(-B "$FST_CAPTURE_BUFFER_KIB")
	[[ -n $filter ]] && cmd+=("$filter")
	: >"$file.log"
	ip netns exec "$FST_NS" "${cmd[@]}" </dev/null >/dev/null 2>"$file.log" &
	FST_CAPTURE_PID=$!
	FST_CAPTURE_FILE=$file
	FST_PIDS+=("$FST_CAPTURE_PID")
	for ((i = 0; i < FST_CAPTURE_WAIT_S * 10; i++)); do
		if grep -q 'listening on' "$file.log"; then
			return 0
		fi
		if ! kill -0 "$FST_CAPTURE_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	fst_log "tcpdump did not start capturing within ${FST_CAPTURE_WAIT_S}s:"
	sed 's/^/fst:   tcpdump: /' "$file.log" >&2
	return 1
}

# fst_capture_stop — SIGINT to the capture (timeout forwards it to tcpdump,
# which flushes and writes its counts to FILE.log), then waits for it.
# Returns tcpdump's status (0 for a clean stop).
fst_capture_stop() {
	local pid=$FST_CAPTURE_PID rc=0
	if [[ -z $pid ]]; then
		fst_log "fst_capture_stop: no capture running"
		return 1
	fi
	FST_CAPTURE_PID=""
	local file=$FST_CAPTURE_FILE
	FST_CAPTURE_FILE=""
	# Let the last packets reach the capture before stopping it.
	sleep 0.2
	kill -INT "$pid" 2>/dev/null
	if ! _fst_wait_gone "$pid" "$FST_KILL_WAIT_S"; then
		fst_log "tcpdump ($file) ignored SIGINT; sending SIGTERM"
		kill -TERM "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || rc=$?
	# 124 = timeout fired: the safety net stopped it, which is an error.
	if ((rc == 124)); then
		fst_log "capture $file hit its ${FST_CAPTURE_MAX_S}s safety limit"
	fi
	return "$rc"
}

# fst_tcp_pids LOCAL_PORT PEER_PORT — prints, one a line, the pids of the
# processes in the namespace that hold the established TCP connection
# whose local port is LOCAL_PORT and peer port PEER_PORT (for example a
# vsftpd session: 21 and the client's port). Returns 1 if there are none.
fst_tcp_pids() {
	local out
	out=$(fst_ns ss -Htnp state established \
		"( sport = :$1 and dport = :$2 )" 2>/dev/null) || return 1
	out=$(grep -o 'pid=[0-9]*' <<<"$out" | cut -d= -f2 | sort -un)
	[[ -n $out ]] || return 1
	printf '%s\n' "$out"
}

# fst_netns_routed CNS RNS SNS NET — joins namespace CNS (the client's)
# to RNS (a router) and SNS (the server's), all three made by the caller,
# by veth pairs: client NET.1.2 (c0) -- NET.1.1 (r0) router NET.2.1 (r1)
# -- NET.2.2 (s0) server, NET being the first two octets ("10.77"), with
# default routes through the router and forwarding on.
fst_netns_routed() {
	local cns=$1 rns=$2 sns=$3 net=$4
	ip -n "$cns" link add c0 type veth peer name r0 netns "$rns" &&
		ip -n "$sns" link add s0 type veth peer name r1 netns "$rns" &&
		ip -n "$cns" addr add "$net.1.2/24" dev c0 &&
		ip -n "$rns" addr add "$net.1.1/24" dev r0 &&
		ip -n "$rns" addr add "$net.2.1/24" dev r1 &&
		ip -n "$sns" addr add "$net.2.2/24" dev s0 &&
		ip -n "$rns" link set lo up &&
		ip -n "$sns" link set lo up &&
		ip -n "$cns" link set c0 up &&
		ip -n "$rns" link set r0 up &&
		ip -n "$rns" link set r1 up &&
		ip -n "$sns" link set s0 up &&
		ip -n "$cns" route add default via "$net.1.1" &&
		ip -n "$sns" route add default via "$net.2.1" &&
		ip netns exec "$rns" sysctl -qw net.ipv4.ip_forward=1
}
