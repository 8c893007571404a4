#!/bin/bash
# test_install_docs.sh CMAKE BUILD_DIR SOURCE_DIR — what `cmake --install`
# ships, and that the manual page and the help texts agree.
#
#   - `cmake --install BUILD_DIR --prefix TMP` installs bin/ftpstall (which
#     runs and prints the version on the page's .TH line), man1/ftpstall.1
#     and bash-completion/completions/ftpstall;
#   - `groff -man -ww -z` (and -Tutf8, as man uses it) on the installed page
#     prints nothing and exits 0; `MANWIDTH=80 man --warnings -l` renders it
#     with nothing on stderr and no line wider than 80 (skipped without man);
#   - the page has every section a manual needs, the four examples,
#     FTP_PASSWORD, NO_COLOR, ~/.netrc, tcpdump(8) and pcap-filter(7);
#   - the subcommands of `ftpstall --help` are the page's `.SS "ftpstall X"`
#     headings, each with an `.SS "X options"`; the global options of the
#     usage line are the tags of OPTIONS;
#   - for each subcommand, every option line of `ftpstall help X` (its
#     short and long forms and argument name, e.g. "-i, --interface IFACE")
#     is a `.TP` tag of `.SS "X options"` and the other way round; the sets
#     of long and of short options are compared and printed apart;
#     `ftpstall X --help` prints the same as `ftpstall help X`;
#   - the exit statuses in each help text are the tags of the page's
#     `.SS X` under EXIT STATUS;
#   - the verdicts and waiting_on values of src/analysis/analysis.c are the
#     tags of `.SS "The verdicts"` (each with an example) and
#     `.SS "Whom a gap waits on"`;
#   - the installed completion file is sourced by a plain bash without
#     error and registers `complete -F _ftpstall ftpstall`; its function,
#     called with COMP_WORDS/COMP_CWORD set, completes `ftpstall an` to
#     analyze, offers every subcommand's options exactly as its help lists
#     them, interface names after -i, files after watch -r, the formats
#     after -f.
#
# Exit 0 pass, 1 fail (every difference is printed), 77 skipped (a custom
# absolute install directory would write outside the temporary prefix).

set -u -o pipefail
# One collation for sort and comm; plain ASCII ranges in the patterns.
export LC_ALL=C

cmake=$1
build=$2
src=$3
work=$(mktemp -d /tmp/ftpstall-install.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# cache_dir VAR DEFAULT — an install directory as configured in the build.
cache_dir() {
	local v
	v=$(sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" 2>/dev/null)
	printf '%s\n' "${v:-$2}"
}

mandir=$(cache_dir CMAKE_INSTALL_MANDIR share/man)
datadir=$(cache_dir CMAKE_INSTALL_DATADIR share)
if [[ $mandir == /* || $datadir == /* ]]; then
	echo "SKIPPED: absolute CMAKE_INSTALL_MANDIR/DATADIR ($mandir, $datadir) would install outside the prefix"
	exit 77
fi

# ---- cmake --install ------------------------------------------------------

prefix=$work/prefix
if ! "$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
	cat "$work/install.log"
	fail "cmake --install $build --prefix $prefix failed"
	exit 1
fi
bin=$prefix/bin/ftpstall
page=$prefix/$mandir/man1/ftpstall.1
completion=$prefix/$datadir/bash-completion/completions/ftpstall
for f in "$bin" "$page" "$completion"; do
	[[ -f $f ]] || fail "not installed: $f (installed: $(cd "$prefix" && find . -type f | tr '\n' ' '))"
done
[[ -x $bin ]] || fail "$bin is not executable"
if ((failures)); then
	exit 1
fi
version=$("$bin" --version 2>&1) || fail "$bin --version: status $?: $version"
[[ $version =~ ^ftpstall\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "$bin --version printed '$version'"
th=$(grep -m1 '^\.TH ' "$page")
[[ $th == *"\"$version\""* ]] ||
	fail "the page's .TH line does not name \"$version\" (update docs/ftpstall.1): $th"

# ---- the page renders without warnings ------------------------------------

if ! command -v groff >/dev/null 2>&1; then
	fail "groff not found (apt-get install groff-base; scripts/install-deps.sh does)"
else
	for dev in "" -Tutf8; do
		rc=0
		# shellcheck disable=SC2086 # $dev is empty or one word
		groff -man $dev -ww -z "$page" >"$work/groff.out" 2>&1 || rc=$?
		if ((rc != 0)) || [[ -s $work/groff.out ]]; then
			fail "groff -man $dev -ww -z: status $rc, output:"
			sed 's/^/    /' "$work/groff.out"
		fi
	done
fi

if command -v man >/dev/null 2>&1; then
	rc=0
	MANWIDTH=80 MANPAGER=cat PAGER=cat MAN_KEEP_FORMATTING='' \
		man --warnings -l "$page" >"$work/man.txt" 2>"$work/man.err" || rc=$?
	if ((rc != 0)) || [[ -s $work/man.err ]]; then
		fail "man --warnings -l: status $rc, stderr:"
		sed 's/^/    /' "$work/man.err"
	fi
	grep -q '^SYNOPSIS' "$work/man.txt" || fail "man -l rendered no SYNOPSIS"
	# Backspace overstrikes count as nothing.
	wide=$(sed 's/.\x08//g' "$work/man.txt" | awk 'length > 80')
	[[ -z $wide ]] || fail "man -l at MANWIDTH=80 renders lines wider than 80:"$'\n'"$wide"
else
	echo "note: man not found; 'man -l' not tried (apt-get install man-db)"
fi

# ---- reading the roff source -----------------------------------------------

# roff_plain — roff text on stdin to plain words: no font or
# non-printing escapes, \- as -, no macro name, no quotes.
roff_plain() {
	sed -E -e 's/\\f[BIRP]//g' -e 's/\\f\[[A-Z]*\]//g' -e 's/\\[%&]//g' \
		-e 's/\\-/-/g' -e 's/^\.[A-Z]+ ?//' -e 's/"//g' -e 's/[[:space:]]+/ /g' \
		-e 's/^ //; s/ $//'
}

# section HEADING — the lines of the .SH or .SS named HEADING (with or
# without quotes), up to the next .SH or .SS.
section() {
	awk -v want="$1" '
		/^\.S[HS] / {
			h = $0
			sub(/^\.S[HS] +/, "", h)
			gsub(/"/, "", h)
			on = (h == want)
			next
		}
		on
	' "$page"
}

# subsections SH — the .SS headings under the .SH named SH.
subsections() {
	awk -v want="$1" '
		/^\.SH / { h = $0; sub(/^\.SH +/, "", h); gsub(/"/, "", h); on = (h == want); next }
		on && /^\.SS / { h = $0; sub(/^\.SS +/, "", h); gsub(/"/, "", h); print h }
	' "$page"
}

# tags HEADING — the tag line of each .TP/.TQ in HEADING, as plain text.
tags() {
	section "$1" | awk 'tag { print; tag = 0; next } /^\.(TP|TQ)/ { tag = 1 }' | roff_plain
}

# help_specs — the option column of the "Options:" block of a help text
# on stdin: "-i, --interface IFACE", "--speed N", "-4, -6".
help_specs() {
	awk '
		/^Options:/ { on = 1; next }
		on && /^$/ { on = 0 }
		# Option lines are indented 2 to 6 spaces; deeper ones continue
		# the text of the line above. (mawk has no {m,n}.)
		on && /^  +-/ {
			match($0, /^ +/)
			if (RLENGTH <= 6) { sub(/^ +/, ""); sub(/  .*/, ""); print }
		}
	'
}

# longs / shorts — the long (--x) or short (-x) options in spec lines.
longs() { grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u; }
shorts() { grep -oE -- '(^|[ ,])-[A-Za-z0-9]\b' | sed 's/^[ ,]//' | sort -u; }

# same WHAT A B — compares two sorted lists (files); prints what is only in
# one of them.
same() {
	local what=$1 a=$2 b=$3 only_a only_b
	only_a=$(comm -23 "$a" "$b" | tr '\n' ' ')
	only_b=$(comm -13 "$a" "$b" | tr '\n' ' ')
	if [[ -n $only_a || -n $only_b ]]; then
		fail "$what differ:${only_a:+ only in $(basename "$a"): $only_a;}${only_b:+ only in $(basename "$b"): $only_b}"
		return 1
	fi
	return 0
}

# ---- sections, environment, files, examples, see also ------------------------

for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS VERDICTS "EXIT STATUS" ENVIRONMENT \
	FILES EXAMPLES "SEE ALSO"; do
	grep -qE "^\.SH \"?$s\"?\$" "$page" || fail "no .SH $s"
done
for v in FTP_PASSWORD NO_COLOR; do
	tags ENVIRONMENT | grep -qxF "$v" || fail "ENVIRONMENT has no $v"
done
# shellcheck disable=SC2088 # the page's literal text
tags FILES | grep -qxF '~/.netrc' || fail "FILES has no ~/.netrc"
section "SEE ALSO" | roff_plain | grep -qF 'tcpdump (8)' || fail "SEE ALSO lacks tcpdump(8)"
section "SEE ALSO" | roff_plain | grep -qF 'pcap-filter (7)' || fail "SEE ALSO lacks pcap-filter(7)"
section EXAMPLES | sed 's/\\-/-/g; s/\\e$//' >"$work/examples"
for ex in 'ftpstall analyze /var/tmp/ftp-*.pcap' 'ftpstall watch -i eth0 port 21' \
	'ftpstall upload --idle-before 400 vol*.difftar.gz' 'ftp://backup@host/dir/' \
	'ftpstall probe ftp://host/'; do
	grep -qF -- "$ex" "$work/examples" || fail "EXAMPLES lacks '$ex'"
done

# ---- subcommands and global options ----------------------------------------

"$bin" --help >"$work/help" 2>&1 || fail "ftpstall --help: status $?"
awk '/^Subcommands:/ { on = 1; next } on && /^$/ { on = 0 } on { print $1 }' "$work/help" |
	sort >"$work/help-subcommands"
[[ -s $work/help-subcommands ]] || fail "ftpstall --help lists no subcommands"
subcommands_of_page() {
	subsections COMMANDS | sed -n 's/^ftpstall \([a-z]*\)$/\1/p' | sort
}
subcommands_of_page >"$work/page-subcommands"
same "subcommands (ftpstall --help vs the page's COMMANDS)" \
	"$work/help-subcommands" "$work/page-subcommands"
subsections COMMANDS | sed -n 's/^\([a-z]*\) options$/\1/p' | sort >"$work/page-option-sections"
same "subcommands (ftpstall --help vs the page's .SS \"X options\")" \
	"$work/help-subcommands" "$work/page-option-sections"
head -n1 "$work/help" | longs >"$work/help-global"
tags OPTIONS | longs >"$work/page-global"
same "global options (ftpstall --help usage line vs OPTIONS)" "$work/help-global" "$work/page-global"

# ---- each subcommand's options and exit statuses --------------------------

while read -r sub; do
	"$bin" help "$sub" >"$work/help-$sub" 2>&1 || fail "ftpstall help $sub: status $?"
	"$bin" "$sub" --help >"$work/dash-help-$sub" 2>&1 || fail "ftpstall $sub --help: status $?"
	cmp -s "$work/help-$sub" "$work/dash-help-$sub" ||
		fail "'ftpstall help $sub' and 'ftpstall $sub --help' differ"

	help_specs <"$work/help-$sub" | sort >"$work/$sub.help-options"
	tags "$sub options" | sort >"$work/$sub.page-options"
	[[ -s $work/$sub.help-options ]] || fail "ftpstall help $sub: no option lines found"
	longs <"$work/$sub.help-options" >"$work/$sub.help-long"
	longs <"$work/$sub.page-options" >"$work/$sub.page-long"
	shorts <"$work/$sub.help-options" >"$work/$sub.help-short"
	shorts <"$work/$sub.page-options" >"$work/$sub.page-short"
	same "$sub long options" "$work/$sub.help-long" "$work/$sub.page-long"
	same "$sub short options" "$work/$sub.help-short" "$work/$sub.page-short"
	same "$sub option lines (forms and argument names)" \
		"$work/$sub.help-options" "$work/$sub.page-options"

	# "Exit status: 0 success, 1 ..., 2 usage error." — the numbers.
	sed -n '/^Exit status:/,$p' "$work/help-$sub" | tr '\n' ' ' |
		grep -oE '(: |, )[0-9]+ [a-z]' | grep -oE '[0-9]+' | sort -u >"$work/$sub.help-exit"
	awk -v want="$sub" '
		/^\.SH / { in_exit = ($0 ~ /^\.SH "?EXIT STATUS"?$/); on = 0; next }
		in_exit && /^\.SS / { h = $0; sub(/^\.SS +/, "", h); gsub(/"/, "", h); on = (h == want); next }
		on && tag { print; tag = 0; next }
		on && /^\.TP/ { tag = 1 }
	' "$page" | roff_plain | sort -u >"$work/$sub.page-exit"
	[[ -s $work/$sub.help-exit ]] || fail "ftpstall help $sub: no exit statuses found"
	same "$sub exit statuses" "$work/$sub.help-exit" "$work/$sub.page-exit"
done <"$work/help-subcommands"

# ---- verdicts and whom gaps wait on, from the source ------------------------

grep -o '\[FST_VERDICT_[A-Z_]*\] = "[a-z_]*"' "$src/src/analysis/analysis.c" |
	sed 's/.*"\(.*\)"/\1/' | sort >"$work/source-verdicts"
tags "The verdicts" | sort >"$work/page-verdicts"
[[ -s $work/source-verdicts ]] || fail "no verdict names found in src/analysis/analysis.c"
same "verdicts (src/analysis/analysis.c vs .SS \"The verdicts\")" \
	"$work/source-verdicts" "$work/page-verdicts"
section "The verdicts" | awk '
	tag { name = $2; tag = 0; next }
	/^\.TP/ { if (name != "" && !seen) print name; tag = 1; seen = 0; next }
	/^Example/ { seen = 1 }
	END { if (name != "" && !seen) print name }
' >"$work/verdicts-without-example"
[[ ! -s $work/verdicts-without-example ]] ||
	fail "verdicts without an example: $(tr '\n' ' ' <"$work/verdicts-without-example")"
grep -o '\[FST_WAIT_[A-Z_]*\] = "[a-z_]*"' "$src/src/analysis/analysis.c" |
	sed 's/.*"\(.*\)"/\1/' | sort >"$work/source-waits"
tags "Whom a gap waits on" | sort >"$work/page-waits"
same "waiting_on values (src/analysis/analysis.c vs .SS \"Whom a gap waits on\")" \
	"$work/source-waits" "$work/page-waits"

# ---- the bash completion ---------------------------------------------------

rc=0
out=$(bash --norc --noprofile -c 'source "$1" && complete -p ftpstall' _ "$completion" 2>&1) || rc=$?
if ((rc != 0)) || [[ $out != "complete -F _ftpstall ftpstall" ]]; then
	fail "sourcing $completion: status $rc, output: $out"
fi

# complete WORD... — the completions of the command line WORD... (the last
# word is the one being completed), one a line, sorted.
complete_words() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	bash --norc --noprofile -c '
		source "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_ftpstall || exit 1
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$completion" "$@" | sed '/^$/d' | sort
}

# expect_completion WANT WORD... — WANT: the completions, space separated.
expect_completion() {
	local want=$1 got
	shift
	got=$(complete_words "$@" | tr '\n' ' ')
	[[ ${got% } == "$want" ]] || fail "completion of '$*': got '${got% }', want '$want'"
}

expect_completion analyze ftpstall an
expect_completion watch ftpstall help w
expect_completion "--help --version" ftpstall --
expect_completion "ecs html json jsonl md text zeek" ftpstall analyze -f ""
# bash splits "--format=j" at '=' (COMP_WORDBREAKS); without '=' there,
# the value comes back with the option in front.
expect_completion "json jsonl" ftpstall analyze --format = j
expect_completion "--format=json --format=jsonl" ftpstall analyze --format=j
expect_completion "ecs jsonl text zeek" ftpstall watch --format ""
expect_completion "json text" ftpstall probe -f ""
expect_completion "--format" ftpstall analyze --form
expect_completion "" ftpstall analyze --max-flows ""
complete_words ftpstall "" | grep -vx help >"$work/completion-subcommands"
same "subcommands (ftpstall --help vs the completion)" \
	"$work/help-subcommands" "$work/completion-subcommands"
if [[ -d /sys/class/net/lo ]]; then
	complete_words ftpstall watch -i "" | grep -qx lo || fail "ftpstall watch -i <TAB>: no 'lo'"
	expect_completion lo ftpstall analyze --interface l
fi
mkdir "$work/caps"
: >"$work/caps/ftp-a.pcap"
: >"$work/caps/ftp-b.pcap"
expect_completion "$work/caps/ftp-a.pcap $work/caps/ftp-b.pcap" ftpstall watch -r "$work/caps/ftp-"
expect_completion "$work/caps/ftp-a.pcap $work/caps/ftp-b.pcap" ftpstall analyze "$work/caps/f"
expect_completion "$work/caps/ftp-a.pcap" ftpstall analyze -o "$work/caps/ftp-a"
while read -r sub; do
	complete_words ftpstall "$sub" - >"$work/$sub.completion"
	sort -u "$work/$sub.help-long" "$work/$sub.help-short" >"$work/$sub.help-all"
	same "$sub options (help vs the completion)" "$work/$sub.help-all" "$work/$sub.completion"
done <"$work/help-subcommands"

if ((failures)); then
	echo "$failures failure(s)"
	exit 1
fi
echo "PASS: test_install_docs"
