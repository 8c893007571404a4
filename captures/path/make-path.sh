#!/bin/bash
# make-path.sh [--force] [--list] [--out DIR] [NAME...] — makes the path
# captures in this folder: FTP sessions across a real Linux NAT router
# (tests/path/path.sh: client, router and server namespaces, nftables
# masquerade, conntrack with a short established timeout) whose
# conntrack forgets the idle control connection, each captured at two
# points at once: NAME.client.pcap on the client's interface and
# NAME.server.pcap on the server's.
#
# Each scenario is a file scenarios/NAME.sh that calls
#   path_scenario NAME "what it shows, in one line"
# and defines
#   make_NAME WORK   builds the path (path_build), starts vsftpd and both
#                    captures, runs the client, and leaves the captures in
#                    WORK/client.pcap and WORK/server.pcap
#   check_NAME WORK  (optional) checks that the run shows what the
#                    scenario is about; a non-zero status rejects it
#
# NAME is a scenario; no NAME makes all of them. An existing capture is
# left alone unless --force is given; new ones are checked and only then
# moved into place, so a failed run never replaces a good file. --out DIR
# writes into DIR instead of this folder (always, as if --force), which is
# how tests/path/test_path.sh replays the scenarios. The expected reports
# are expected/NAME.client.json and expected/NAME.server.json
# (tests/integration/test_goldens.sh --update writes them).
#
# Needs root, nftables, tcpdump, python3, iproute2 and vsftpd; ethtool
# when present (offloads off). Nothing leaves the machine: every scenario
# runs in private network namespaces with addresses that exist only there.
#
# Exit 0 when every requested capture exists afterwards, 1 when one could
# not be made, 2 on bad usage, 77 when this machine cannot build the path
# (not root, a tool missing, namespaces not allowed), saying why.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
max_bytes=300000 # every capture stays below this
client_py=$top/tests/path/client.py
# ftpstall's own client, for the scenarios that use `ftpstall upload`.
# shellcheck disable=SC2034 # read by scenario files
path_ftpstall=${FTPSTALL:-$top/build/ftpstall}

# shellcheck source=SCRIPTDIR/../../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
# shellcheck source=SCRIPTDIR/../../tests/path/path.sh
. "$top/tests/path/path.sh"
FST_CAPTURE_MAX_S=60
FST_SERVER_MAX_S=60

say() { echo "make-path: $*"; }

declare -A path_about=()
all=()
# path_scenario NAME TEXT — registers scenario NAME (called by its file).
path_scenario() {
	all+=("$1")
	path_about[$1]=$2
}
for file in "$here"/scenarios/*.sh; do
	[[ -e $file ]] || continue
	# shellcheck source=/dev/null
	. "$file"
done

# path_client ARGS... — the client (tests/path/client.py) in the client's
# namespace, bounded.
path_client() {
	fst_ns timeout -k 2 40 python3 "$client_py" "$@" --host "$PATH_NET.2.2"
}

# path_expect_forgotten WANT — fails unless the router's rules for
# forgotten connections matched WANT packets ("0", or "+" for at least one).
path_expect_forgotten() {
	local n
	n=$(path_forgotten)
	if [[ $1 == + ]] && ((n >= 1)); then
		return 0
	fi
	if [[ $1 != + ]] && ((n == $1)); then
		return 0
	fi
	say "the router's rules for forgotten connections matched $n packets, want $1" >&2
	return 1
}

usage() {
	echo "usage: $0 [--force] [--list] [--out DIR] [NAME...]" >&2
	echo "  NAME: ${all[*]}" >&2
}

force=0
dest=$here
names=()
while (($#)); do
	case $1 in
	--force) force=1 ;;
	--out)
		(($# >= 2)) || { usage; exit 2; }
		dest=$2
		force=1
		mkdir -p "$dest"
		shift
		;;
	--list)
		for name in "${all[@]}"; do
			printf '%-24s %s\n' "$name" "${path_about[$name]}"
		done
		exit 0
		;;
	-h | --help) usage; exit 0 ;;
	-*) usage; exit 2 ;;
	*)
		if [[ -z ${path_about[$1]+set} ]]; then
			echo "make-path: unknown scenario '$1'" >&2
			usage
			exit 2
		fi
		names+=("$1")
		;;
	esac
	shift
done
((${#names[@]})) || names=("${all[@]}")

# make_one NAME — makes NAME.client.pcap and NAME.server.pcap; runs in a
# subshell (own namespaces and EXIT trap).
make_one() {
	local name=$1 work point bytes
	work=$(mktemp -d /tmp/ftpstall-path.XXXXXX)
	# PATH_KEEP=DIR keeps the run's captures and logs there (to look at a
	# failed run); registered first, so it runs before the rm -rf.
	[[ -n ${PATH_KEEP:-} ]] && fst_on_exit cp -r "$work" "$PATH_KEEP/$name"
	fst_on_exit rm -rf "$work"
	fst_netns_create "fst-path-$BASHPID"
	# Not in an `if`: set -e must stay in force inside the scenario.
	"make_${name//-/_}" "$work"
	for point in client server; do
		sed "s/^/make-path: $name: $point tcpdump: /" "$work/$point.pcap.log"
	done
	if declare -F "check_${name//-/_}" >/dev/null && ! "check_${name//-/_}" "$work"; then
		say "$name: the run does not show what it should; nothing written" >&2
		return 1
	fi
	for point in client server; do
		bytes=$(stat -c %s "$work/$point.pcap")
		if ((bytes >= max_bytes)); then
			say "$name: $point capture has $bytes bytes, not below $max_bytes; nothing written" >&2
			return 1
		fi
	done
	for point in client server; do
		install -m 0644 "$work/$point.pcap" "$dest/$name.$point.pcap"
		say "wrote $dest/$name.$point.pcap ($(stat -c %s "$work/$point.pcap") bytes)"
	done
}

todo=()
for name in "${names[@]}"; do
	if [[ -e $dest/$name.client.pcap && -e $dest/$name.server.pcap && $force == 0 ]]; then
		say "$dest/$name.*.pcap already exist; leaving them (use --force to remake them)"
	else
		todo+=("$name")
	fi
done
((${#todo[@]})) || exit 0

if ! why=$(path_skip_reason); then
	say "cannot build the path: $why" >&2
	exit 77
fi

failed=()
for name in "${todo[@]}"; do
	say "making $name: ${path_about[$name]}"
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
