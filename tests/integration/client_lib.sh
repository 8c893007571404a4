# shellcheck shell=bash
# tests/integration/client_lib.sh — what the `ftpstall upload` and `probe`
# tests share, on top of lib.sh (which it sources):
#
#   . "$(dirname "$0")/client_lib.sh"
#   fst_client_setup upload-reconnect "$@"   # FTPSTALL, WORK, namespace
#   fst_vsftpd_start "$WORK" idle_session_timeout=2 ...
#   fst_expect "three reconnects" test "$(fst_jq out.json 'len(j["reconnects"])')" = 3
#   fst_finish
#
# fst_client_setup skips the test (exit 77, "SKIPPED: why" on stdout) when
# it is not root or a tool is missing; checks record failures and go on, so
# one run shows every broken assertion; fst_finish prints PASS or FAIL,
# keeps the evidence (logs, JSON, not the big files) of a failed run in
# /tmp/ftpstall-NAME-fail-*/, and exits 0 or 1.

FST_CLIENT_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$FST_CLIENT_HERE/lib.sh"

# Set by fst_client_setup, for the sourcing test.
# shellcheck disable=SC2034
FTPSTALL=""
WORK=""
FST_PYTHON=python3
FST_TEST_NAME=""
FST_FAILURES=0
FST_T0=$(date +%s.%N)

fst_skip() {
	echo "SKIPPED: $*"
	exit 77
}

fst_fail() {
	echo "FAIL: $*"
	FST_FAILURES=$((FST_FAILURES + 1))
}

fst_ok() {
	echo "ok: $*"
}

# fst_expect DESCRIPTION CMD... — runs CMD; ok or FAIL with DESCRIPTION.
fst_expect() {
	local what=$1
	shift
	if "$@"; then
		fst_ok "$what"
	else
		fst_fail "$what"
	fi
}

# Seconds since the script started, with milliseconds.
fst_elapsed() {
	local now
	now=$(date +%s.%N)
	awk -v a="$FST_T0" -v b="$now" 'BEGIN { printf "%.3f", b - a }'
}

# fst_client_setup NAME FTPSTALL [TOOL...] — the checks every client test
# makes, then a temp dir (WORK, removed at exit) and a namespace. Extra
# TOOLs are required too.
fst_client_setup() {
	local name=$1 bin=${2:-} missing
	shift 2 || true
	FST_TEST_NAME=$name
	if [[ -z $bin ]]; then
		echo "usage: $0 FTPSTALL_BINARY" >&2
		exit 2
	fi
	if [[ ! -x $bin ]]; then
		echo "FAIL: $bin is not an executable"
		exit 1
	fi
	# shellcheck disable=SC2034
	FTPSTALL=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
	if [[ $(id -u) != 0 ]]; then
		fst_skip "needs root (network namespace, vsftpd on port 21)"
	fi
	if ! missing=$(fst_need_cmds ip ss python3 timeout sha256sum /usr/sbin/vsftpd "$@"); then
		fst_skip "missing: $missing"
	fi
	if ! getent passwd ftp >/dev/null; then
		fst_skip "no user 'ftp' (Debian's vsftpd package creates it)"
	fi
	# The interpreter itself, not a version manager's shim (pyenv's costs
	# a few hundred ms a call, and the fault test makes hundreds).
	FST_PYTHON=$(python3 -c 'import sys; print(sys.executable)') || fst_skip "python3 does not run"
	WORK=$(mktemp -d "/tmp/ftpstall-$name.XXXXXX") || {
		echo "FAIL: mktemp"
		exit 1
	}
	fst_on_exit rm -rf "$WORK"
	fst_netns_create "fst-${name:0:10}-$$" || fst_skip "cannot create a network namespace"
}

# fst_sha256 FILE — its SHA-256 in hex, or "missing".
fst_sha256() {
	if [[ -f $1 ]]; then
		sha256sum <"$1" | cut -d' ' -f1
	else
		echo missing
	fi
}

# fst_jq FILE EXPR... — jsonq.py: each Python expression over j = FILE's JSON.
fst_jq() {
	# -S: jsonq needs only the standard library, and without the site
	# module the interpreter starts in a fifth of the time (0.05 s
	# instead of 0.24 s here); the fault test calls it once a run.
	"$FST_PYTHON" -S "$FST_CLIENT_HERE/jsonq.py" "$@"
}

# fst_same_file DESCRIPTION LOCAL REMOTE — ok when both exist with the
# same SHA-256 (a difference prints both sizes).
fst_same_file() {
	local what=$1 a b
	a=$(fst_sha256 "$2")
	b=$(fst_sha256 "$3")
	if [[ $a != missing && $a == "$b" ]]; then
		fst_ok "$what (sha256 ${a:0:16}...)"
	else
		fst_fail "$what: local $a ($(stat -c %s "$2" 2>/dev/null) bytes), remote $b ($(stat -c %s "$3" 2>/dev/null || echo no) bytes)"
	fi
}

# fst_finish — PASS (exit 0) or FAIL (exit 1, evidence kept).
fst_finish() {
	local keep
	echo "time: $(fst_elapsed) s"
	if ((FST_FAILURES == 0)); then
		echo "PASS: test_$FST_TEST_NAME"
		exit 0
	fi
	if keep=$(mktemp -d "/tmp/ftpstall-$FST_TEST_NAME-fail-XXXXXX"); then
		find "$WORK" -maxdepth 1 -type f \( -name '*.log' -o -name '*.json' -o -name '*.err' \
			-o -name '*.out' -o -name '*.conf' -o -name '*.events' -o -name '*.txt' \
			-o -name '*.pcap' \) \
			-exec cp -p {} "$keep"/ \; 2>/dev/null
		echo "evidence kept in $keep"
	fi
	echo "FAIL: test_$FST_TEST_NAME ($FST_FAILURES failed checks)"
	exit 1
}

# fst_tls_certs DIR — self-signed certificates for the FTPS tests, made
# now with openssl (none is kept in the repository): DIR/good.pem (+ its
# key DIR/good.key) for 127.0.0.1 and 127.0.0.2 (subjectAltName IP
# entries), DIR/wrongname.pem for ftp.example.org only, DIR/expired.pem
# for 127.0.0.1 but valid only on 1-2 January 2020 (openssl ca lets the
# dates be chosen; req -x509 cannot before OpenSSL 3.4). Keys next to
# each as .key. With "good" only DIR/good.pem and its key (a 2048-bit RSA
# key takes openssl a few tenths of a second on a busy machine). Returns
# 1 when openssl fails.
fst_tls_certs() {
	local dir=$1 which=${2:-all}
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/good.key" -out "$dir/good.pem" \
		-days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1,IP:127.0.0.2 2>"$dir/openssl.err" || return 1
	[[ $which == good ]] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/wrongname.key" \
		-out "$dir/wrongname.pem" -days 2 -subj /CN=ftp.example.org \
		-addext subjectAltName=DNS:ftp.example.org 2>>"$dir/openssl.err" &&
		openssl req -new -newkey rsa:2048 -nodes -keyout "$dir/expired.key" \
			-out "$dir/expired.csr" -subj /CN=127.0.0.1 \
			-addext subjectAltName=IP:127.0.0.1 2>>"$dir/openssl.err" || return 1
	mkdir -p "$dir/ca" && : >"$dir/ca/index" && echo 01 >"$dir/ca/serial"
	cat >"$dir/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $dir/ca/index
new_certs_dir = $dir/ca
serial = $dir/ca/serial
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
CNF
	openssl ca -batch -config "$dir/ca.cnf" -selfsign -keyfile "$dir/expired.key" \
		-in "$dir/expired.csr" -startdate 20200101000000Z -enddate 20200102000000Z \
		-out "$dir/expired.pem" >>"$dir/openssl.err" 2>&1
}

# fst_vsftpd_tls CERT [implicit] — prints the vsftpd settings (one a line)
# for TLS required for the anonymous login and every data connection,
# with the data connections' sessions resumed from the control
# connection's (require_ssl_reuse, vsftpd's default, spelt out), with
# CERT and its .key; "implicit" adds implicit_ssl (TLS from the first
# byte). ssl_ciphers: vsftpd 3.0.3 defaults to DES-CBC3-SHA, which
# OpenSSL 3 no longer offers for TLS 1.2.
fst_vsftpd_tls() {
	local cert=$1
	printf '%s\n' ssl_enable=YES allow_anon_ssl=YES force_anon_logins_ssl=YES \
		force_anon_data_ssl=YES require_ssl_reuse=YES ssl_ciphers=HIGH \
		"rsa_cert_file=$cert" "rsa_private_key_file=${cert%.pem}.key"
	[[ ${2-} == implicit ]] && echo implicit_ssl=YES
	return 0
}
