# shellcheck shell=bash
# tests/integration/servers.sh — ProFTPD and Pure-FTPd for tests that need a
# server other than vsftpd. Source it after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/servers.sh"
#   fst_netns_create "fst-mytest-$$"
#   fst_proftpd_start "$dir" "TimeoutIdle 3" || exit 77
#   fst_pureftpd_start "$dir" -I 1 || exit 77
#
# Debian's proftpd-core and pure-ftpd conflict with vsftpd (and with each
# other) as packages, so they are never installed: their .debs (and those
# of the libraries they need that the machine lacks) are fetched with
# `apt-get download` into $FST_SERVERS_CACHE once, and unpacked with
# `dpkg -x` into the test's own folder, whose binaries run with
# LD_LIBRARY_PATH into that tree. Nothing under /etc, /usr or /var/run is
# written. When the .debs cannot be fetched (no network, no package lists)
# the start functions say why and return 1, so a caller can skip (exit 77).
#
# Run as a script, it only fetches: `bash servers.sh fetch` (what
# scripts/install-deps.sh does so that tests need no network later).

: "${FST_SERVERS_CACHE:=/var/cache/ftpstall-test-servers}"

# The packages of each server; their missing library dependencies are
# found by _fst_server_fetch.
_FST_PROFTPD_PKGS=(proftpd-core)
# With FST_PROFTPD_TLS=1, fst_proftpd_start also unpacks mod_tls (Debian
# keeps it in proftpd-mod-crypto) and the config may load it.
_FST_PROFTPD_TLS_PKGS=(proftpd-core proftpd-mod-crypto)
_FST_PUREFTPD_PKGS=(pure-ftpd pure-ftpd-common)

_fst_pkg_installed() {
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" in
	*" ok installed") return 0 ;;
	*) return 1 ;;
	esac
}

# Prints PKG... and, recursively, their library dependencies (lib*) that
# dpkg does not have installed, one a line. Only libraries: the binaries
# run from the unpacked tree and need nothing else from their packages'
# dependencies (adduser, ucf, an inetd, ...).
_fst_pkg_closure() {
	local -A seen=()
	local -a todo=("$@")
	local pkg dep
	while ((${#todo[@]})); do
		pkg=${todo[0]}
		todo=("${todo[@]:1}")
		[[ -n ${seen[$pkg]+set} ]] && continue
		seen[$pkg]=1
		printf '%s\n' "$pkg"
		while read -r dep; do
			[[ $dep == lib* && -z ${seen[$dep]+set} ]] || continue
			_fst_pkg_installed "$dep" || todo+=("$dep")
		done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts \
			--no-breaks --no-replaces --no-enhances "$pkg" 2>/dev/null |
			sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<>]*\)$/\2/p')
	done
}

# _fst_server_fetch NAME PKG... — makes sure $FST_SERVERS_CACHE/NAME holds
# the .debs of PKG... and of their missing libraries (idempotent: a
# complete folder is left alone). Returns 1, saying why, if they cannot be
# fetched.
_fst_server_fetch() {
	local name=$1 cache=$FST_SERVERS_CACHE/$1 tmp rc=0
	shift
	[[ -f $cache/.complete ]] && return 0
	if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
		fst_log "$name: apt-get and dpkg are needed to fetch ${*} (Debian only)"
		return 1
	fi
	if ! mkdir -p "$FST_SERVERS_CACHE" 2>/dev/null; then
		fst_log "$name: cannot create $FST_SERVERS_CACHE (set FST_SERVERS_CACHE to a writable folder)"
		return 1
	fi
	# Several tests may fetch at once: one at a time, and a folder is
	# complete only once renamed into place.
	(
		flock -w 120 9 || {
			fst_log "$name: $FST_SERVERS_CACHE/.lock is held by another fetch"
			exit 1
		}
		[[ -f $cache/.complete ]] && exit 0
		tmp=$(mktemp -d "$FST_SERVERS_CACHE/.fetch-$name.XXXXXX") || exit 1
		mapfile -t pkgs < <(_fst_pkg_closure "$@")
		# Root's apt sandboxes downloads as _apt, which cannot write
		# into our folder: download as root.
		if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root \
			"${pkgs[@]}" </dev/null >"$tmp/apt.log" 2>&1); then
			fst_log "$name: cannot fetch ${pkgs[*]} with apt-get download (no network, or no package lists: run apt-get update):"
			grep -E '^(E|W):' "$tmp/apt.log" | head -5 | sed 's/^/fst:   /' >&2
			rm -rf "$tmp"
			exit 1
		fi
		chmod 755 "$tmp"
		printf '%s\n' "${pkgs[@]}" >"$tmp/.complete"
		rm -rf "$cache" && mv "$tmp" "$cache"
	) 9>"$FST_SERVERS_CACHE/.lock" || rc=1
	return "$rc"
}

# _fst_server_unpack NAME DEST — unpacks NAME's cached .debs into DEST
# (skipped when DEST already holds them) and checks that BIN's shared
# libraries are all found; prints the LD_LIBRARY_PATH to run with.
_fst_server_unpack() {
	local name=$1 dest=$2 bin=$3 deb libs missing
	if [[ ! -f $dest/.unpacked ]]; then
		rm -rf "$dest"
		mkdir -p "$dest" || return 1
		for deb in "$FST_SERVERS_CACHE/$name"/*.deb; do
			if ! dpkg -x "$deb" "$dest"; then
				fst_log "$name: dpkg -x $deb failed"
				return 1
			fi
		done
		: >"$dest/.unpacked"
	fi
	libs=$(find "$dest/usr/lib" "$dest/lib" -name '*.so*' -printf '%h\n' 2>/dev/null |
		sort -u | paste -sd:)
	missing=$(LD_LIBRARY_PATH=$libs ldd "$dest/$bin" 2>&1 | grep 'not found' || true)
	if [[ -n $missing ]]; then
		fst_log "$name: $bin lacks shared libraries even with the unpacked ones:"
		printf '%s\n' "$missing" | sed 's/^/fst:   /' >&2
		return 1
	fi
	printf '%s\n' "$libs"
}

# Fails, saying why, unless user 'ftp' can reach DIR (every parent folder
# searchable): the servers drop to it before they open the files there.
_fst_ftp_can_reach() {
	if command -v setpriv >/dev/null 2>&1 &&
		! setpriv --reuid ftp --regid ftp --clear-groups test -x "$1" 2>/dev/null; then
		fst_log "user 'ftp' cannot reach $1: make it and its parent folders searchable (chmod 755)"
		return 1
	fi
	return 0
}

# Starts CMD... (argv) in the namespace bounded by timeout, registered in
# FST_PIDS, output in OUT; waits until it listens on LISTEN.
_fst_server_launch() {
	local label=$1 out=$2 listen=$3 pid
	shift 3
	ip netns exec "$FST_NS" timeout -k 5 "$FST_SERVER_MAX_S" "$@" </dev/null >"$out" 2>&1 &
	pid=$!
	FST_PIDS+=("$pid")
	if ! _fst_wait_listen "$listen" "$pid"; then
		if kill -0 "$pid" 2>/dev/null; then
			fst_log "$label not listening on $listen after ${FST_PORT_WAIT_S}s"
		else
			fst_log "$label exited before listening on $listen"
		fi
		sed "s/^/fst:   $label: /" "$out" >&2
		return 1
	fi
	fst_log "$label listening on $listen (timeout pid $pid)"
	return 0
}

# fst_proftpd_start DIR [DIRECTIVE ...] — (DIR's parents must be searchable
# by 'ftp') ProFTPD (Debian's proftpd-core,
# unpacked into DIR/proftpd-pkg) on 127.0.0.1:21 (or the port of a "Port N"
# DIRECTIVE) in the namespace,
# anonymous login (user "anonymous" or "ftp", any password) rooted at
# DIR/root, passive ports 30000-30009. Each DIRECTIVE is one config line
# ("TimeoutIdle 3", "TimeoutNoTransfer 3"); it replaces the default line
# of the same directive. Config DIR/proftpd.conf, log DIR/proftpd.log.
fst_proftpd_start() {
	local dir=$1 libs line key port=21 name=proftpd
	local -a pkgs=("${_FST_PROFTPD_PKGS[@]}")
	shift
	local -A over=()
	for line in "$@"; do
		over[${line%% *}]=1
		[[ $line == "Port "* ]] && port=${line#Port }
	done
	if [[ -n ${FST_PROFTPD_TLS-} ]]; then
		name=proftpd-tls
		pkgs=("${_FST_PROFTPD_TLS_PKGS[@]}")
	fi
	_fst_server_fetch "$name" "${pkgs[@]}" || return 1
	libs=$(_fst_server_unpack "$name" "$dir/proftpd-pkg" usr/sbin/proftpd) || return 1
	if ! getent passwd ftp >/dev/null; then
		fst_log "no user 'ftp': ProFTPD's anonymous sessions run as 'ftp'"
		return 1
	fi
	chmod 755 "$dir" &&
		install -d -m 755 -o root -g root "$dir/root" &&
		install -d -m 755 -o ftp -g ftp "$dir/root/upload" || return 1
	_fst_ftp_can_reach "$dir/root" || return 1
	{
		echo "# written by tests/integration/servers.sh"
		while IFS= read -r line; do
			key=${line%% *}
			[[ -n ${over[$key]+set} ]] && continue
			echo "$line"
		done <<EOF
ServerType standalone
ServerName "ftpstall test"
DefaultServer on
DefaultAddress 127.0.0.1
SocketBindTight on
Port 21
UseIPv6 off
User nobody
Group nogroup
MaxInstances 20
UseReverseDNS off
WtmpLog off
UseFtpUsers off
RequireValidShell off
PassivePorts 30000 30009
ScoreboardFile $dir/proftpd.scoreboard
PidFile $dir/proftpd.pid
DelayTable $dir/proftpd.delay
SystemLog $dir/proftpd.log
TransferLog $dir/proftpd.xferlog
ControlsEngine off
LangEngine off
AuthPAM off
AuthOrder mod_auth_unix.c
TimeoutLogin 300
TimeoutIdle 600
TimeoutNoTransfer 600
TimeoutStalled 600
EOF
		for line in "$@"; do
			echo "$line"
		done
		cat <<EOF
<Anonymous $dir/root>
  User ftp
  Group ftp
  UserAlias anonymous ftp
  <Directory upload>
    # A backup target: a partial volume is resumed (REST + STOR, APPE).
    AllowOverwrite on
    AllowStoreRestart on
    <Limit STOR APPE>
      AllowAll
    </Limit>
  </Directory>
  <Limit WRITE>
    DenyAll
  </Limit>
</Anonymous>
EOF
	} >"$dir/proftpd.conf"
	_fst_server_launch proftpd "$dir/proftpd.out" "127.0.0.1:$port" \
		env LD_LIBRARY_PATH="$libs" "$dir/proftpd-pkg/usr/sbin/proftpd" \
		--nodaemon --config "$dir/proftpd.conf"
}

# fst_pureftpd_start DIR [OPTION ...] — Pure-FTPd (Debian's pure-ftpd,
# unpacked into DIR/pureftpd-pkg) on 127.0.0.1:21 in the namespace, one
# virtual user "backup" (password "backup-secret", files as 'ftp') rooted
# at DIR/root, passive ports 30000-30009. OPTIONs are appended to its
# command line ("-I" "1": the idle time, in minutes). Output in
# DIR/pureftpd.out.
fst_pureftpd_start() {
	local dir=$1 libs pkg
	shift
	pkg=$dir/pureftpd-pkg
	_fst_server_fetch pureftpd "${_FST_PUREFTPD_PKGS[@]}" || return 1
	libs=$(_fst_server_unpack pureftpd "$pkg" usr/sbin/pure-ftpd) || return 1
	if ! getent passwd ftp >/dev/null; then
		fst_log "no user 'ftp': the Pure-FTPd virtual user's files belong to 'ftp'"
		return 1
	fi
	chmod 755 "$dir" &&
		install -d -m 755 -o ftp -g ftp "$dir/root" "$dir/root/upload" || return 1
	_fst_ftp_can_reach "$dir/root" || return 1
	rm -f "$dir/pureftpd.passwd" "$dir/pureftpd.pdb"
	# pure-pw reads the password twice from standard input.
	if ! printf 'backup-secret\nbackup-secret\n' |
		LD_LIBRARY_PATH=$libs "$pkg/usr/bin/pure-pw" useradd backup -u ftp -g ftp \
			-d "$dir/root" -f "$dir/pureftpd.passwd" -m -F "$dir/pureftpd.pdb" \
			>"$dir/pure-pw.out" 2>&1; then
		fst_log "pure-pw could not make the virtual user:"
		sed 's/^/fst:   pure-pw: /' "$dir/pure-pw.out" >&2
		return 1
	fi
	_fst_server_launch pure-ftpd "$dir/pureftpd.out" 127.0.0.1:21 \
		env LD_LIBRARY_PATH="$libs" "$pkg/usr/sbin/pure-ftpd" \
		-S 127.0.0.1,21 -4 -p 30000:30009 -l "puredb:$dir/pureftpd.pdb" -E -A \
		-u 1 -g "$dir/pureftpd.pid" "$@"
}

# fst_server_stop PID — stops the server whose timeout wrapper is PID and
# waits until nothing listens on 127.0.0.1:21 any more (the next server
# can take the port). Returns 1 if something still does after 5 s.
fst_server_stop() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	_fst_wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		fst_ns ss -Hltn | awk '{print $4}' | grep -qxF 127.0.0.1:21 || return 0
		sleep 0.1
	done
	return 1
}

# As a script: `servers.sh fetch` fetches both servers' .debs.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -u
	fst_log() { printf 'fst: %s\n' "$*" >&2; }
	case ${1-} in
	fetch)
		rc=0
		_fst_server_fetch proftpd "${_FST_PROFTPD_PKGS[@]}" || rc=1
		_fst_server_fetch proftpd-tls "${_FST_PROFTPD_TLS_PKGS[@]}" || rc=1
		_fst_server_fetch pureftpd "${_FST_PUREFTPD_PKGS[@]}" || rc=1
		((rc == 0)) && echo "servers.sh: ProFTPD and Pure-FTPd .debs in $FST_SERVERS_CACHE"
		exit "$rc"
		;;
	*)
		echo "usage: $0 fetch" >&2
		exit 2
		;;
	esac
fi
