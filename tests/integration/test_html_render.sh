#!/bin/bash
# test_html_render.sh FTPSTALL_BINARY CAPTURE — the HTML report in a real
# browser. Writes `ftpstall analyze -f html` of CAPTURE, checks that the
# page is self-contained (no scripts, no http(s) reference but the SVG
# namespace, no external src=/href=), then renders it with Debian's
# headless Chromium and checks
#   - the screenshot: a PNG of more than 10 KiB that decodes to more than
#     one colour, with the first incident's decisive gap shaded;
#   - the rendered DOM (--dump-dom): exactly one <svg> timeline per
#     incident session of `ftpstall analyze -f json` (verdict other than
#     clean/incomplete), the verdict in each incident's heading and in
#     every summary row, a shaded gap per gap and a close marker per close.
# The checks themselves are in html_render_check.py.
#
# Chromium runs without network use (file:// only, background networking,
# QUIC, sync and component updates off), with a fresh profile in a temp
# dir, at most 60 s per run. Set FST_KEEP_RENDER=DIR to keep the page,
# DOM and screenshot in DIR; FST_CHROMIUM and FST_CHROMIUM_TIMEOUT_S
# override the browser (/usr/bin/chromium) and its time limit.
#
# Exit 0 pass, 1 fail, 77 skipped (chromium or python3 missing; ctest
# needs SKIP_RETURN_CODE 77). About 2 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
chromium=${FST_CHROMIUM:-/usr/bin/chromium}
chromium_timeout_s=${FST_CHROMIUM_TIMEOUT_S:-60}

skip() {
	echo "SKIPPED: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

if (($# != 2)); then
	echo "usage: $0 FTPSTALL_BINARY CAPTURE" >&2
	exit 2
fi
ftpstall=$1
capture=$2
[[ -x $ftpstall ]] || fail "no ftpstall binary at $ftpstall"
[[ -r $capture ]] || fail "cannot read $capture"
[[ -x $chromium ]] || skip "chromium not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
command -v timeout >/dev/null 2>&1 || skip "timeout not installed"

work=$(mktemp -d /tmp/ftpstall-html.XXXXXX) || fail "mktemp"
trap 'rm -rf "$work"' EXIT

# render ARGS...: one headless Chromium run with its own fresh profile;
# its stdout is the caller's, its stderr goes to $work/chromium.err.
render() {
	local profile rc=0

	profile=$(mktemp -d "$work/profile.XXXXXX") || return 1
	timeout -k 5 "$chromium_timeout_s" "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$profile" \
		--window-size=1200,900 "$@" 2>>"$work/chromium.err" || rc=$?
	rm -rf "$profile"
	if ((rc == 124 || rc == 137)); then
		echo "chromium did not finish within $chromium_timeout_s s" >>"$work/chromium.err"
	fi
	return "$rc"
}

chromium_log() {
	grep -v -e 'dbus' -e 'unexpected operator' "$work/chromium.err" | tail -n 20 | sed 's/^/  chromium: /'
}

"$ftpstall" analyze -f html -o "$work/report.html" "$capture" 2>"$work/analyze.err" ||
	fail "ftpstall analyze -f html exited $? ($(cat "$work/analyze.err"))"
[[ -s $work/report.html ]] || fail "ftpstall analyze -f html wrote nothing"
"$ftpstall" analyze -f json -o "$work/report.json" "$capture" 2>"$work/analyze.err" ||
	fail "ftpstall analyze -f json exited $? ($(cat "$work/analyze.err"))"

failed=0
echo "== self-contained page"
python3 "$here/html_render_check.py" static "$work/report.html" || failed=1

echo "== screenshot"
if ! render --screenshot="$work/report.png" "file://$work/report.html" >/dev/null; then
	chromium_log
	fail "chromium --screenshot failed"
fi
[[ -s $work/report.png ]] || fail "chromium wrote no screenshot"
python3 "$here/html_render_check.py" png "$work/report.png" "$work/report.json" || failed=1

echo "== rendered DOM"
if ! render --dump-dom "file://$work/report.html" >"$work/dom.html"; then
	chromium_log
	fail "chromium --dump-dom failed"
fi
[[ -s $work/dom.html ]] || fail "chromium dumped an empty DOM"
python3 "$here/html_render_check.py" dom "$work/report.json" "$work/dom.html" || failed=1

if [[ -n ${FST_KEEP_RENDER:-} ]]; then
	mkdir -p "$FST_KEEP_RENDER" &&
		cp "$work/report.html" "$work/report.json" "$work/report.png" "$work/dom.html" \
			"$FST_KEEP_RENDER/" &&
		echo "kept the page, report, screenshot and DOM in $FST_KEEP_RENDER"
fi
((failed == 0)) || fail "the HTML report does not render as expected (see above)"
echo "PASS: $capture renders in Chromium"
