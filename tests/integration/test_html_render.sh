#!/bin/bash
# test_html_render.sh FTPSTALL GEN_CAPTURE CAPTURES_DIR OUT_DIR — the HTML
# report in a real browser, on four inputs:
#   seed   captures/idle-timeout-421-reset.pcap (one idle_timeout)
#   many   every capture of captures/ and captures/field/ read as one
#          input (43 sessions, 9 verdicts)
#   2000   2,000 sessions from the benchmark generator (test_gen_capture:
#          10 bytes a transfer, every 50th session idle until "421
#          Timeout."), written at test time
#   loss   captures/field/vsftpd-gap-cut-unknown.pcap (the capture lost 44
#          bytes in the decisive gap)
# For each: `ftpstall analyze -f html` and `-f json`; the page is
# self-contained; its structure says what the JSON report says (headline
# and counts by verdict, incidents before the sessions without incident,
# every incident timeline with >= 4 labelled axis ticks and its 421 and
# close marked, capture loss with its amount; html_render_check.py page);
# then headless Chromium screenshots of the top of the page and of its
# first incident alone (the page with a style that hides the rest), each
# checked to be a real picture; and the many-session page printed to PDF
# has a page per incident (the print stylesheet). The pages, JSON reports and screenshots
# stay in OUT_DIR/CASE.* for a person to look at; OUT_DIR/summary.txt
# gives the size of each page and how long Chromium took to render it.
#
# Chromium runs without network use (file:// only, background networking,
# QUIC, sync and component updates off), with a fresh profile in a temp
# dir, at most 60 s per run. FST_CHROMIUM overrides /usr/bin/chromium.
#
# Exit 0 pass, 1 fail, 77 skipped (chromium or python3 missing; ctest
# needs SKIP_RETURN_CODE 77). About 20 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
chromium=${FST_CHROMIUM:-/usr/bin/chromium}
chromium_timeout_s=${FST_CHROMIUM_TIMEOUT_S:-60}

skip() {
	echo "SKIPPED: $*"
	exit 77
}
die() {
	echo "FAIL: $*"
	exit 1
}

if (($# != 4)); then
	echo "usage: $0 FTPSTALL GEN_CAPTURE CAPTURES_DIR OUT_DIR" >&2
	exit 2
fi
ftpstall=$(realpath "$1")
gen=$(realpath "$2")
captures=$(realpath "$3")
out=$4
[[ -x $ftpstall ]] || die "no ftpstall binary at $ftpstall"
[[ -x $gen ]] || die "no capture generator at $gen"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[[ -x $chromium ]] || skip "chromium not installed (scripts/install-deps.sh installs it)"
command -v timeout >/dev/null 2>&1 || skip "timeout not installed"

mkdir -p "$out" || die "cannot create $out"
out=$(realpath "$out")
work=$(mktemp -d /tmp/ftpstall-html.XXXXXX) || die "mktemp"
trap 'rm -rf "$work"' EXIT
failed=0
: >"$out/summary.txt"

# render ARGS...: one headless Chromium run with its own fresh profile.
render() {
	local profile rc=0

	profile=$(mktemp -d "$work/profile.XXXXXX") || return 1
	timeout -k 5 "$chromium_timeout_s" "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$profile" \
		--hide-scrollbars "$@" >/dev/null 2>>"$work/chromium.err" || rc=$?
	rm -rf "$profile"
	return "$rc"
}

chromium_log() {
	grep -v -e 'dbus' -e 'unexpected operator' "$work/chromium.err" | tail -n 10 |
		sed 's/^/  chromium: /'
}

# check_case NAME (cd DIR) FILES...: the reports of FILES read as one input.
check_case() {
	local name=$1 dir=$2 html json first t0 t1 ms
	shift 2
	html="$out/$name.html"
	json="$out/$name.json"
	echo "== $name"
	(cd "$dir" && "$ftpstall" analyze -f html -o "$html" "$@") 2>"$work/err" ||
		die "$name: analyze -f html exited $?: $(cat "$work/err")"
	(cd "$dir" && "$ftpstall" analyze -f json -o "$json" "$@") 2>"$work/err" ||
		die "$name: analyze -f json exited $?: $(cat "$work/err")"
	python3 "$here/html_render_check.py" static "$html" | grep -v '^ok' || true
	python3 "$here/html_render_check.py" static "$html" >/dev/null || failed=1
	python3 "$here/html_render_check.py" page "$html" "$json" || failed=1

	t0=$(date +%s%N)
	if ! render --window-size=1200,1800 --screenshot="$out/$name.top.png" "file://$html"; then
		chromium_log
		die "$name: chromium --screenshot failed"
	fi
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	python3 "$here/html_render_check.py" png "$out/$name.top.png" || failed=1
	# The first incident of the page (grouped order), alone.
	first=$(grep -o '<article class="incident" id="session-[0-9]*"' "$html" | head -n 1 |
		grep -o '[0-9]*"$' | tr -d '"')
	if [[ -n $first ]]; then
		python3 - "$html" "$work/$name.only.html" "$first" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
hide = ("<style>body>*:not(#incidents){display:none}"
        "#incidents>*:not(#session-%s){display:none}</style></head>" % sys.argv[3])
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("</head>", hide, 1))
PY
		render --window-size=1200,1300 --screenshot="$out/$name.incident.png" \
			"file://$work/$name.only.html" || die "$name: chromium --screenshot of session $first failed"
		python3 "$here/html_render_check.py" png "$out/$name.incident.png" || failed=1
	fi
	printf '%-6s %9d bytes of HTML, %5d ms for Chromium to load and screenshot it\n' \
		"$name" "$(stat -c %s "$html")" "$ms" | tee -a "$out/summary.txt"
}

# print_case NAME: the page printed to PDF starts each incident on a page
# of its own: at least one page per incident, and one for the top.
print_case() {
	local name=$1 incidents pages

	render --no-pdf-header-footer --print-to-pdf="$out/$name.pdf" "file://$out/$name.html" ||
		die "$name: chromium --print-to-pdf failed"
	incidents=$(grep -c '<article class="incident"' "$out/$name.html")
	pages=$(grep -ac -e '/Type /Page$' -e '/Type /Page[^s]' "$out/$name.pdf")
	if ((pages > incidents)); then
		echo "ok   printed: $pages pages for $incidents incidents"
	else
		echo "FAIL printed: $pages pages for $incidents incidents"
		failed=1
	fi
}

"$gen" --sessions 2000 --bytes-per-session 10 --timeout-every 50 -o "$work/gen2000.pcap" \
	>/dev/null 2>"$work/err" || die "test_gen_capture: $(cat "$work/err")"

check_case seed "$captures" idle-timeout-421-reset.pcap
# shellcheck disable=SC2046
check_case many "$captures" $(cd "$captures" && ls ./*.pcap field/*.pcap)
print_case many
check_case 2000 "$work" gen2000.pcap
check_case loss "$captures" field/vsftpd-gap-cut-unknown.pcap

((failed == 0)) || die "the HTML report does not render as expected (see above; pages and screenshots in $out)"
echo "PASS: the HTML report of four inputs renders in Chromium (pages and screenshots in $out)"
