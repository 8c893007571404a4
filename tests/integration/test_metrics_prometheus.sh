#!/bin/bash
# test_metrics_prometheus.sh FTPSTALL DOCS_DIR — `ftpstall analyze -i lo
# --metrics` scraped by a real Prometheus while a real vsftpd times out an
# idle client (docs/fleet.md).
#
# In a network namespace of its own (lib.sh): vsftpd on 127.0.0.1:21 with
# idle_session_timeout=2; ftpstall analyze -i lo -f ecs --metrics
# 127.0.0.1:9187 (its ECS log on stdout); Prometheus (Debian's package) on
# 127.0.0.1:9090 with a temporary config (scrape every second, the alert
# rules of DOCS_DIR/fleet-alerts.yml) and data dir; then idle_client.py logs
# in and says nothing for 4 s. Checks:
#   - Prometheus' HTTP API finds ftpstall_incidents_total{verdict=
#     "idle_timeout",timer="idle",server="127.0.0.1:21"} = 1 and the
#     histogram's count of idle before close for that server;
#   - `promtool check metrics` accepts the exposition, `promtool check
#     rules` the rules, and Prometheus loaded them (its rules API);
#   - the session's ECS document was on ftpstall's stdout while it still ran
#     (written as the session ended, not at the end);
#   - SIGTERM stops ftpstall with exit 0; every process is stopped by PID.
#
# Exit 0 pass, 1 fail, 77 skipped (not root, prometheus or vsftpd missing,
# no network namespace). About 12 s.

set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
password=metrics-secret@example.org
FST_PORT_WAIT_S=3
FST_SERVER_MAX_S=60

skip() {
	echo "SKIPPED: $*"
	exit 77
}
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

ftpstall=${1:-}
docs=${2:-}
[[ -x $ftpstall && -d $docs ]] || {
	echo "usage: $0 FTPSTALL_BINARY DOCS_DIR" >&2
	exit 2
}
ftpstall=$(cd "$(dirname "$ftpstall")" && pwd)/$(basename "$ftpstall")
docs=$(cd "$docs" && pwd)
[[ $(id -u) == 0 ]] || skip "needs root (network namespace, vsftpd on port 21, live capture)"
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
if ! missing=$(fst_need_cmds ip python3 curl timeout prometheus promtool /usr/sbin/vsftpd); then
	skip "missing: $missing (scripts/install-deps.sh installs them)"
fi
getent passwd ftp >/dev/null || skip "no user 'ftp' (Debian's vsftpd package creates it)"

work=$(mktemp -d /tmp/ftpstall-metrics.XXXXXX) || {
	echo "FAIL: mktemp"
	exit 1
}
fst_on_exit rm -rf "$work"
fst_netns_create "fst-metrics-$$" || skip "cannot create a network namespace"
fst_vsftpd_start "$work" idle_session_timeout=2 || {
	echo "FAIL: vsftpd did not start on 127.0.0.1:21"
	exit 1
}

ftpstall_pid=""
prom_pid=""
stop_pid() { # PID: SIGTERM, then SIGKILL after 3 s
	local pid=$1 i
	[[ -n $pid ]] || return 0
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}
cleanup() {
	stop_pid "$prom_pid"
	stop_pid "$ftpstall_pid"
	fst_cleanup
}
trap cleanup EXIT

# Not through fst_ns (a shell function runs in a subshell): `ip netns exec`
# executes the command itself, so $! is the pid of timeout,
# which (--foreground) signals ftpstall alone and (--preserve-status) exits
# with its status.
ip netns exec "$FST_NS" timeout --foreground --preserve-status -k 2 60 "$ftpstall" analyze -i lo -f ecs --metrics 127.0.0.1:9187 port 21 \
	>"$work/ecs.out" 2>"$work/ftpstall.err" &
ftpstall_pid=$!
for _ in $(seq 50); do
	grep -q "listening on lo" "$work/ftpstall.err" && break
	sleep 0.1
done
grep -q "listening on lo" "$work/ftpstall.err" || fail "ftpstall did not start: $(cat "$work/ftpstall.err")"

cat >"$work/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $docs/fleet-alerts.yml
scrape_configs:
  - job_name: ftpstall
    static_configs:
      - targets: ["127.0.0.1:9187"]
CONF
mkdir "$work/prom"
ip netns exec "$FST_NS" timeout --foreground -k 2 60 prometheus --config.file="$work/prometheus.yml" \
	--storage.tsdb.path="$work/prom" --web.listen-address=127.0.0.1:9090 \
	>"$work/prometheus.log" 2>&1 &
prom_pid=$!
ready=0
for _ in $(seq 100); do
	if fst_ns curl -sf -o /dev/null http://127.0.0.1:9090/-/ready; then
		ready=1
		break
	fi
	sleep 0.1
done
((ready)) || fail "prometheus not ready in 10 s: $(tail -n 5 "$work/prometheus.log")"

# The idle client: vsftpd sends 421 after 2 s and closes.
fst_ns timeout 20 python3 "$here/idle_client.py" "$password" 4 "$work/client.json" ||
	fail "the idle client did not log in"

# Prometheus' view, once it has scraped the incident.
query() { # PROMQL -> the first sample's value, or nothing
	fst_ns curl -sfG http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$1" |
		python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
incidents=""
for _ in $(seq 100); do
	incidents=$(query 'ftpstall_incidents_total{verdict="idle_timeout",timer="idle",server="127.0.0.1:21"}')
	[[ -n $incidents ]] && break
	sleep 0.1
done
[[ $incidents == 1 ]] || fail "Prometheus: ftpstall_incidents_total{verdict=\"idle_timeout\"} = '$incidents', want 1"
count=$(query 'ftpstall_idle_before_close_seconds_count{server="127.0.0.1:21"}')
[[ $count == 1 ]] || fail "Prometheus: idle_before_close count '$count', want 1"
within=$(query 'ftpstall_idle_before_close_seconds_bucket{server="127.0.0.1:21",le="5"} - ignoring(le) ftpstall_idle_before_close_seconds_bucket{server="127.0.0.1:21",le="1"}')
[[ $within == 1 ]] || fail "Prometheus: the 2 s idle is not in the (1, 5] bucket ('$within')"
rules=$(fst_ns curl -sf http://127.0.0.1:9090/api/v1/rules | python3 -c 'import json,sys
print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
[[ $rules -ge 5 ]] || fail "Prometheus loaded $rules rules from fleet-alerts.yml"

fst_ns curl -sf http://127.0.0.1:9187/metrics >"$work/exposition.txt" || fail "GET /metrics"
promtool check metrics <"$work/exposition.txt" >"$work/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$work/promtool.out")"
promtool check rules "$docs/fleet-alerts.yml" >"$work/promtool.out" 2>&1 ||
	fail "promtool check rules: $(cat "$work/promtool.out")"

# The ECS document was written as the session ended, ftpstall still running.
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/client.json")
python3 - "$work/ecs.out" "$port" <<'PY' || fail "no idle_timeout ECS document for the client's session while ftpstall ran"
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(d["source"]["port"] == int(sys.argv[2]) and
                  d["ftpstall"]["verdict"] == "idle_timeout" and
                  d["event"]["kind"] == "alert" for d in docs) else 1)
PY
grep -q "$password" "$work/ecs.out" "$work/exposition.txt" && fail "the password appears in the output"

# SIGTERM (a background job of a script has SIGINT ignored): timeout
# passes it on; live, ftpstall ends the capture and exits 0.
kill -TERM "$ftpstall_pid"
rc=0
wait "$ftpstall_pid" || rc=$?
ftpstall_pid=""
((rc == 0)) || fail "ftpstall exited $rc after SIGTERM: $(cat "$work/ftpstall.err")"

if ((failures)); then
	echo "--- ftpstall stderr ---"
	cat "$work/ftpstall.err"
	echo "--- exposition ---"
	cat "$work/exposition.txt" 2>/dev/null
	echo "--- prometheus log (tail) ---"
	tail -n 20 "$work/prometheus.log"
	exit 1
fi
echo "PASS: test_metrics_prometheus (incident in Prometheus, $rules rules loaded)"
