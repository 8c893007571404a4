#!/bin/bash
# Network texts cut at their caps are flagged in every report: a capture
# (written here with make_malformed.py's packet builders) holds one session
# with an overlong greeting, user name, file name and closing 421 (after
# an idle: an incident), and short texts between them. The JSON report must carry a *_truncated
# member after each cut text and none after the whole ones; the text,
# Markdown and HTML reports must mark the cut texts with "...(cut)" (a
# timeline label shortened to fit ends in "...").
set -u -o pipefail

ftpstall=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d /tmp/ftpstall-cut.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

python3 - "$here" "$work/cut.pcap" <<'EOF' || {
import sys

sys.path.insert(0, sys.argv[1])
import make_malformed as m

pcap = m.Pcap(sys.argv[2])
c = m.Conn("192.0.2.10", 40000, "198.51.100.20", 21)
for f in c.handshake():
    pcap.record(f)
for side, line in [
    ("s", b"220 " + b"G" * 200 + b"\r\n"),
    ("c", b"USER " + b"u" * 300 + b"\r\n"),
    ("s", b"331 Password required\r\n"),
    ("c", b"PASS secret\r\n"),
    ("s", b"230 Logged in\r\n"),
    ("c", b"RETR " + b"f" * 280 + b"\r\n"),
    ("s", b"550 No such file\r\n"),
]:
    pcap.record(c.send(side, line))
# Five idle minutes, then the server's 421: an incident, so the text
# report shows the session in full.
pcap.record(c.send("s", b"421 " + b"T" * 170 + b"\r\n"), dt_us=300_000_000)
pcap.record(c.send("s", flags=m.FLAG_FIN | m.FLAG_ACK))
pcap.record(c.send("c", flags=m.FLAG_FIN | m.FLAG_ACK))
pcap.record(c.send("s", flags=m.FLAG_ACK))
pcap.close()
EOF
	echo "FAIL: writing the capture"
	exit 1
}

"$ftpstall" analyze -f json -o "$work/cut.json" "$work/cut.pcap" 2>"$work/err" ||
	fail "analyze -f json: $(cat "$work/err")"
"$ftpstall" analyze -f text -o "$work/cut.txt" "$work/cut.pcap" 2>"$work/err" ||
	fail "analyze -f text: $(cat "$work/err")"
"$ftpstall" analyze -f html -o "$work/cut.html" "$work/cut.pcap" 2>"$work/err" ||
	fail "analyze -f html: $(cat "$work/err")"
"$ftpstall" analyze -f md -o "$work/cut.md" "$work/cut.pcap" 2>"$work/err" ||
	fail "analyze -f md: $(cat "$work/err")"

while IFS= read -r line; do
	fail "json: $line"
done < <(python3 - "$work/cut.json" <<'EOF'
import json
import sys

s = json.load(open(sys.argv[1]))["sessions"][0]
problems = []

def want(cond, what):
    if not cond:
        problems.append(what)

want(s.get("user_truncated") is True and len(s["user"]) == 255, "user cut to 255 and flagged")
want(s.get("banner_truncated") is True and len(s["banner"]) == 159, "banner cut to 159 and flagged")
for key in ("syst_truncated", "type_truncated", "cwd_truncated", "features_truncated"):
    want(key not in s, key + " absent (nothing to cut)")
user, pass_, retr = s["commands"]
want(user.get("arg_truncated") is True, "USER arg_truncated")
want("arg_truncated" not in pass_, "PASS without arg_truncated")
want(retr.get("arg_truncated") is True and len(retr["arg"]) == 255, "RETR arg cut and flagged")
want("reply_text_truncated" not in user, "USER's reply whole")
greeting, r331, r230, r550, r421 = s["replies"]
want(greeting.get("truncated") is True, "greeting flagged")
want(r421.get("truncated") is True and len(r421["text"]) == 159, "421 cut and flagged")
for r in (r331, r230, r550):
    want("truncated" not in r, "reply %d without truncated" % r["code"])
want(s["transfers"][0].get("file_truncated") is True, "transfer file_truncated")
want(s["close"]["reply_code"] == 421 and s["close"].get("reply_text_truncated") is True,
     "close reply_text_truncated")
want("...(cut)" in s["verdict"]["summary"], "the summary marks the cut 421")
for p in problems:
    print(p)
EOF
)

grep -q "user u\{255\}\.\.\.(cut)" "$work/cut.txt" || fail "text: the user name is not marked cut"
grep -q "server  421 T\{159\}\.\.\.(cut)" "$work/cut.txt" || fail "text: the 421 is not marked cut"
grep -q "server  550 No such file$" "$work/cut.txt" || fail "text: a whole reply is marked"
grep -q "announced by \"421 T\{159\}\.\.\.(cut)\"" "$work/cut.txt" ||
	fail "text: the close's reply is not marked cut"
grep -q "\.\.\.(cut)" "$work/cut.html" || fail "html: no cut marker"
grep -q "421 T\{41\}\.\.\.</text>" "$work/cut.html" ||
	fail "html: the timeline's 421 label is not shortened with ..."
# Markdown is written from the same results as the text report: every
# mark the text report makes outside its full event list (which Markdown
# replaces by a ladder of the last seconds), it makes too; and the
# ladder marks the cut 421.
text_cuts=$(grep -v "^    " "$work/cut.txt" | grep -o "\.\.\.(cut)" | wc -l)
md_cuts=$(grep -v "|" "$work/cut.md" | grep -o "\.\.\.(cut)" | wc -l)
((md_cuts == text_cuts)) || fail "md: $md_cuts cut marks, the text report $text_cuts"
grep -q "|<---------|  421 T\{159\}\.\.\.(cut)$" "$work/cut.md" ||
	fail "md: the ladder's 421 is not marked cut"

if ((failures)); then
	exit 1
fi
echo "ok: cut texts flagged in json, text, md and html"
