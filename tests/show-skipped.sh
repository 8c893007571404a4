#!/bin/sh
# show-skipped.sh BUILD_DIR — after ctest: one line per skipped test with
# the reason it printed ("SKIPPED: why"), which ctest itself keeps only in
# its log. Prints nothing when no test was skipped.
log=${1:?usage: $0 BUILD_DIR}/Testing/Temporary/LastTest.log
[ -r "$log" ] || exit 0
awk '
	/^[0-9]+\/[0-9]+ Test: / { sub(/^[0-9]+\/[0-9]+ Test: /, ""); name = $0; next }
	/^SKIPPED: / { sub(/^SKIPPED: /, ""); printf "skipped: %s: %s\n", name, $0 }
' "$log"
