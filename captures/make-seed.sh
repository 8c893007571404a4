#!/bin/bash
# make-seed.sh [--force] — makes captures/idle-timeout-421-reset.pcap, the
# "duplicity story": a client uploads one file to vsftpd, goes quiet on the
# control connection past the server's idle_session_timeout (5 s), gets
# "421 Timeout." and a FIN it does not look at, then sends NOOP on the dead
# connection and is answered with a reset.
#
# Everything runs in a private network namespace on its loopback
# (tests/integration/lib.sh); nothing leaves the machine. Needs root and
# Debian's vsftpd, tcpdump, tshark, python3 and iproute2. Takes ~10 s.
#
# An existing capture is left alone (exit 0) unless --force is given. The
# new capture is checked with tests/integration/check-421-reset.sh and only
# then moved into place, so a failed run never replaces a good file.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$here/idle-timeout-421-reset.pcap
idle_timeout=5      # vsftpd idle_session_timeout
data_timeout=30     # vsftpd data_connection_timeout
client_idle=7       # client silence after the 226, > idle_timeout
force=0

usage() {
	echo "usage: $0 [--force]" >&2
	echo "  makes $out (refuses to overwrite it without --force)" >&2
}

for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage; exit 2 ;;
	esac
done

if [[ -e $out && $force == 0 ]]; then
	echo "make-seed: $out already exists; leaving it (use --force to remake it)"
	exit 0
fi

# shellcheck source=SCRIPTDIR/../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"

if [[ $(id -u) != 0 ]]; then
	echo "make-seed: must run as root (network namespaces, vsftpd on port 21, tcpdump)" >&2
	exit 1
fi
if ! missing=$(fst_need_cmds ip tcpdump tshark python3 timeout /usr/sbin/vsftpd); then
	echo "make-seed: missing: $missing (Debian: apt-get install vsftpd tcpdump tshark python3 iproute2)" >&2
	exit 1
fi

work=$(mktemp -d /tmp/ftpstall-seed.XXXXXX)
fst_on_exit rm -rf "$work"
fst_netns_create "fst-seed-$$"

fst_vsftpd_start "$work" \
	"idle_session_timeout=$idle_timeout" "data_connection_timeout=$data_timeout"
fst_capture_start lo "$work/seed.pcap" tcp

# Fixed source ports (control 40021, data 40020) so every remake reads the
# same in tshark; the namespace is new, so they are always free.
client_rc=0
fst_ns timeout 30 python3 "$here/seed_client.py" \
	--idle "$client_idle" --after NOOP \
	--source-port 40021 --data-source-port 40020 || client_rc=$?
fst_capture_stop || true
sed 's/^/make-seed: tcpdump: /' "$work/seed.pcap.log"
if ((client_rc != 0)); then
	echo "make-seed: client failed (status $client_rc); vsftpd log:" >&2
	sed 's/^/make-seed:   /' "$work/vsftpd.log" >&2 || true
	exit 1
fi

echo "make-seed: checking the capture"
if ! "$top/tests/integration/check-421-reset.sh" "$work/seed.pcap" "$idle_timeout"; then
	echo "make-seed: the capture does not show the expected sequence; $out left as it was" >&2
	exit 1
fi

install -m 0644 "$work/seed.pcap" "$out"
echo "make-seed: wrote $out ($(stat -c %s "$out") bytes)"
