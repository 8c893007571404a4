#!/bin/bash
# valgrind --leak-check=full over `ftpstall analyze` on every bundled
# capture, in every format: no invalid access, no leak. The sanitizer
# build cannot run under valgrind; its own ASan/LSan run covers it.
set -u -o pipefail

ftpstall=$(realpath "$1")
captures=$(realpath "$2")
work=$(mktemp -d /tmp/ftpstall-valgrind.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

if ! command -v valgrind >/dev/null; then
	echo "SKIPPED: valgrind not installed (scripts/install-deps.sh installs it)"
	exit 77
fi
# (grep -c reads all of nm's output: with -q, nm could die of SIGPIPE
# and pipefail would turn the match into a failure.)
if [[ $(nm "$ftpstall" 2>/dev/null | grep -c __asan_init) != 0 ]]; then
	echo "SKIPPED: $ftpstall is built with AddressSanitizer (covered by its own leak checks)"
	exit 77
fi

for pcap in "$captures"/*.pcap; do
	for format in text json html; do
		if ! valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
			--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
			"$ftpstall" analyze -f "$format" "$pcap" >/dev/null 2>"$work/log"; then
			echo "FAIL: valgrind on $(basename "$pcap") -f $format:"
			head -40 "$work/log"
			failures=$((failures + 1))
		fi
	done
done
if ((failures)); then
	exit 1
fi
echo "PASS: test_valgrind ($(ls "$captures"/*.pcap | wc -l) captures x 3 formats)"
