#!/bin/sh
# Install the Debian packages that ftpstall's build (and, by default, its
# tests) need. Only missing packages are installed; when nothing is missing
# this prints one line and exits 0 without touching apt.
#
# Usage: scripts/install-deps.sh [--build-only]
#
# Works as root, or as a user with non-interactive sudo; never reads stdin.
#
# The tests' ProFTPD and Pure-FTPd conflict with vsftpd as packages: their
# .debs are only fetched (tests/integration/servers.sh fetch) into a cache
# that the tests unpack from; already fetched, nothing is done.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

BUILD_PKGS="cmake make gcc clang pkg-config libpcap-dev libncurses-dev libcmocka-dev zlib1g-dev libssl-dev"
# nettle-dev: SHA-1 and base64 for the Community ID.
BUILD_PKGS="$BUILD_PKGS nettle-dev"
# libmicrohttpd-dev: the HTTP server of --metrics.
BUILD_PKGS="$BUILD_PKGS libmicrohttpd-dev"
# chromium renders the HTML report in test_html_render.sh; apt skips its
# recommended fonts (--no-install-recommends), so name one font explicitly.
TEST_PKGS="vsftpd tcpdump tshark python3 iproute2 tmux valgrind lftp chromium fonts-dejavu-core"
# openssl makes the FTPS tests' certificates.
TEST_PKGS="$TEST_PKGS openssl"
# groff-base (groff, troff, grotty and the man macros) and man-db (man -l)
# check the manual page in test_install_docs.sh; Debian's "groff" package
# adds only the X11, PDF and HTML devices, which the test does not use.
TEST_PKGS="$TEST_PKGS groff-base man-db"
# prometheus (and its promtool) scrapes --metrics in test_metrics_prometheus.sh.
TEST_PKGS="$TEST_PKGS prometheus"
# make test begins with make format-check.
TEST_PKGS="$TEST_PKGS clang-format"

usage()
{
	echo "usage: $0 [--build-only]"
	echo "  --build-only  install only what building ftpstall needs"
	echo "                (default: also what the test suite needs)"
}

pkgs="$BUILD_PKGS $TEST_PKGS"
fetch_servers=1
while [ $# -gt 0 ]; do
	case "$1" in
	--build-only)
		pkgs="$BUILD_PKGS"
		fetch_servers=0
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
	shift
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: dpkg-query not found; this script supports Debian only" >&2
	exit 1
fi

# A package counts as present when dpkg says it is installed (whatever the
# selection state: install, hold, ...), not merely configured or half-removed.
is_installed()
{
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
	*" ok installed") return 0 ;;
	*) return 1 ;;
	esac
}

# The test servers' .debs (see the top). Without them (no network) the
# tests that need them skip, so a failure here is a warning.
fetch_test_servers()
{
	[ "$fetch_servers" = 1 ] || return 0
	servers="$here/../tests/integration/servers.sh"
	if bash "$servers" fetch </dev/null; then
		return 0
	fi
	# The package lists may be missing (a fresh machine): once more after
	# an update, when we may run apt-get.
	if [ "$(id -u)" -eq 0 ]; then
		env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >/dev/null 2>&1 &&
			bash "$servers" fetch </dev/null && return 0
	fi
	echo "install-deps: warning: ProFTPD/Pure-FTPd .debs not fetched; the tests that need them will skip" >&2
	return 0
}

total=0
missing=""
for p in $pkgs; do
	total=$((total + 1))
	if ! is_installed "$p"; then
		missing="${missing:+$missing }$p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all $total packages present"
	fetch_test_servers
	exit 0
fi

# Escalate only now that something must be installed.
if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true </dev/null 2>/dev/null; then
	as_root="sudo -n"
else
	echo "install-deps: must run as root (or with passwordless sudo) to install: $missing" >&2
	exit 1
fi

echo "install-deps: installing: $missing"

# tshark's wireshark-common would otherwise ask whether non-root users may
# capture packets; answer "no" up front so the install never prompts.
case " $missing " in
*" tshark "*)
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		$as_root debconf-set-selections
	;;
esac

$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
# shellcheck disable=SC2086 # word splitting of the package list is intended
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	$missing </dev/null

still=""
for p in $missing; do
	if ! is_installed "$p"; then
		still="${still:+$still }$p"
	fi
done
if [ -n "$still" ]; then
	echo "install-deps: still missing after apt-get install: $still" >&2
	exit 1
fi
echo "install-deps: all $total packages present"
fetch_test_servers
