#!/bin/bash
# make-field.sh [--force] [--list] [NAME...] — makes the field captures in
# this folder: real sessions between real servers (vsftpd, Pure-FTPd,
# ProFTPD) and real clients (python ftplib, curl, lftp, ftpstall upload)
# that show what field captures hold and what once misled ftpstall (a
# delayed 530, packets captured twice, capture loss, a data connection
# that never opened, ...). docs/verdicts.md names the rule each shows.
#
# Each scenario is a file scenarios/NAME.sh that calls
#   field_scenario NAME "what it shows, in one line"
# and defines
#   make_NAME WORK   runs the scenario in the namespace $FST_NS (made by
#                    this script) and leaves the capture in WORK/out.pcap;
#                    WORK/raw.pcap and anything else in WORK is scratch
#   check_NAME PCAP  (optional) checks with tshark that PCAP shows what
#                    the scenario is about; a non-zero status rejects it
# It may use tests/integration/lib.sh (vsftpd, tcpdump, namespaces) and
# tests/integration/servers.sh (Pure-FTPd, ProFTPD) when present.
#
# NAME is a scenario (a trailing .pcap is fine); no NAME makes all of
# them. An existing capture is left alone unless --force is given; a new
# one is checked and only then moved into place, so a failed run never
# replaces a good file. The expected reports are captures/field/expected/
# NAME.json (tests/integration/test_goldens.sh --update writes them).
#
# Needs root and Debian's tcpdump, tshark (editcap, mergecap), python3,
# iproute2 and each scenario's server and client. Nothing leaves the
# machine: every scenario runs in private network namespaces.
#
# Exit 0 when every requested capture exists afterwards, 1 when one could
# not be made, 2 on bad usage.

set -euo pipefail

# FST_CAPTURES_DIR: another folder of scenarios/ and captures made the same
# way (captures/ftps/make-ftps.sh sets it).
script_dir=$(cd "$(dirname "$0")" && pwd)
here=${FST_CAPTURES_DIR:-$script_dir}
top=$(cd "$script_dir/../.." && pwd)
max_bytes=300000 # every field capture stays below this

# shellcheck source=SCRIPTDIR/../../tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
if [[ -f $top/tests/integration/servers.sh ]]; then
	# shellcheck source=/dev/null
	. "$top/tests/integration/servers.sh"
fi
FST_CAPTURE_MAX_S=120
# A kernel buffer that holds a whole scenario: a busy machine must not
# drop packets from a capture that is kept.
FST_CAPTURE_BUFFER_KIB=32768
FST_SERVER_MAX_S=120

say() { echo "make-field: $*"; }

declare -A field_about=()
all=()
# field_scenario NAME TEXT — registers scenario NAME (called by its file).
field_scenario() {
	all+=("$1")
	field_about[$1]=$2
}
for file in "$here"/scenarios/*.sh; do
	[[ -e $file ]] || continue
	# shellcheck source=/dev/null
	. "$file"
done

# tshark_q ARGS... — tshark without its "Running as user root" warning.
tshark_q() {
	tshark "$@" 2> >(grep -v 'Running as user "root"' >&2)
}

# field_frames PCAP FILTER — the frame numbers tshark's display FILTER
# matches in PCAP, one a line.
field_frames() {
	tshark_q -r "$1" -Y "$2" -T fields -e frame.number
}

# field_expect_count PCAP FILTER N — fails (saying so) unless FILTER
# matches exactly N frames of PCAP.
field_expect_count() {
	local n
	n=$(field_frames "$1" "$2" | wc -l)
	if ((n != $3)); then
		say "$(basename "$1"): '$2' matches $n frames, want $3" >&2
		return 1
	fi
}

usage() {
	echo "usage: $0 [--force] [--list] [NAME...]" >&2
	echo "  NAME: ${all[*]}" >&2
}

force=0
names=()
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	--list)
		for name in "${all[@]}"; do
			printf '%-32s %s\n' "$name" "${field_about[$name]}"
		done
		exit 0
		;;
	-h | --help) usage; exit 0 ;;
	-*) usage; exit 2 ;;
	*)
		arg=${arg%.pcap}
		if [[ -z ${field_about[$arg]+set} ]]; then
			echo "make-field: unknown capture '$arg'" >&2
			usage
			exit 2
		fi
		names+=("$arg")
		;;
	esac
done
((${#names[@]})) || names=("${all[@]}")

# make_one NAME — makes NAME.pcap; runs in a subshell (own namespace and
# EXIT trap).
make_one() {
	local name=$1 work out=$here/$1.pcap bytes
	work=$(mktemp -d /tmp/ftpstall-field.XXXXXX)
	fst_on_exit rm -rf "$work"
	fst_netns_create "fst-field-$BASHPID"
	# Not in an `if`: set -e must stay in force inside the scenario.
	"make_${name//-/_}" "$work"
	if [[ -e $work/raw.pcap.log ]]; then
		sed "s/^/make-field: $name: tcpdump: /" "$work/raw.pcap.log"
		if grep -q '^[1-9][0-9]* packets dropped by kernel' "$work/raw.pcap.log"; then
			say "$name: the kernel dropped packets of the capture; $out left as it was" >&2
			return 1
		fi
	fi
	if declare -F "check_${name//-/_}" >/dev/null &&
		! "check_${name//-/_}" "$work/out.pcap"; then
		say "$name: the capture does not show what it should; $out left as it was" >&2
		return 1
	fi
	bytes=$(stat -c %s "$work/out.pcap")
	if ((bytes >= max_bytes)); then
		say "$name: $bytes bytes, not below $max_bytes; $out left as it was" >&2
		return 1
	fi
	install -m 0644 "$work/out.pcap" "$out"
	say "wrote $out ($bytes bytes)"
	# A TLS key log the scenario kept goes beside its capture.
	if [[ -e $work/out.keys ]]; then
		install -m 0644 "$work/out.keys" "${out%.pcap}.keys"
		say "wrote ${out%.pcap}.keys"
	fi
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
	say "must run as root (network namespaces, servers on port 21, tcpdump)" >&2
	exit 1
fi
if ! missing=$(fst_need_cmds ip ss tcpdump tshark editcap mergecap python3 timeout); then
	say "missing: $missing (Debian: apt-get install tcpdump tshark python3 iproute2)" >&2
	exit 1
fi

failed=()
for name in "${todo[@]}"; do
	say "making $name.pcap: ${field_about[$name]}"
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
