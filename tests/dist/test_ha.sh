#!/usr/bin/env bash
#  contrib/ha/certflowd, the OCF resource agent, against a real daemon on
#  ipc:// endpoints: meta-data is XML; start is idempotent and waits for the
#  first answered ping; monitor says running, not running after a SIGKILL
#  (and start brings it back on the same data), and failed when the daemon
#  holds the data but does not answer; stop is idempotent; validate-all
#  names a missing program.
#  Usage: test_ha.sh SOURCE_DIR BUILD_DIR
source "$(dirname "$0")/lib.sh"
source_dir=$1
build=$2
agent="$source_dir/contrib/ha/certflowd"
data="$cf_dist_tmp/data"

"$build/certflowd" --data "$data" init >/dev/null || cf_dist_fail "init"
export OCF_RESKEY_binary="$build/certflowd" OCF_RESKEY_client="$build/certflow"
export OCF_RESKEY_data="$data"
export OCF_RESKEY_client_endpoint="ipc://$cf_dist_tmp/client.ipc"
export CERTFLOW_WORKER_ENDPOINT="ipc://$cf_dist_tmp/worker.ipc"
export CERTFLOW_FEED_ENDPOINT="ipc://$cf_dist_tmp/feed.ipc"
export CERTFLOW_CLIENT_ENDPOINT="$OCF_RESKEY_client_endpoint"
export OCF_RESKEY_start_timeout=20

expect () {
    local want=$1; shift
    local got=0
    "$agent" "$@" || got=$?
    [ "$got" -eq "$want" ] || cf_dist_fail "agent $* returned $got, not $want"
}
pid () { head -n 1 "$data/certflowd.lock"; }
#  Exists and is no zombie (the agent's daemons are not this shell's children)
alive () {
    [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}

"$agent" meta-data | python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.stdin)' \
    || cf_dist_fail "meta-data is not XML"
expect 0 validate-all
expect 7 monitor
expect 0 stop
expect 0 start
first=$(pid)
cf_dist_pids+=("$first")
expect 0 monitor
expect 0 start
[ "$(pid)" = "$first" ] || cf_dist_fail "a second start started another daemon"

#  A crash: not running, and a start on the same data comes back with the
#  events it had (a restart needs no recovery)
CERTFLOW_CLIENT_ENDPOINT="$OCF_RESKEY_client_endpoint" "$build/certflow" \
    --cert "$data/admin.cert" --server-cert "$data/keys/daemon.cert" \
    identity issue ha-monitor monitor --out "$cf_dist_tmp/monitor.cert" >/dev/null \
    || cf_dist_fail "issue a monitor certificate"
kill -KILL "$first"
#  Gone once the process and its lock are (its threads exit last)
for _ in $(seq 50); do
    if ! alive "$first" && ! grep -q "FLOCK.* $first " /proc/locks; then
        break
    fi
    sleep 0.1
done
expect 7 monitor
OCF_RESKEY_monitor_cert="$cf_dist_tmp/monitor.cert" expect 0 start
second=$(pid)
cf_dist_pids+=("$second")
[ "$second" != "$first" ] || cf_dist_fail "no new daemon after the crash"
OCF_RESKEY_monitor_cert="$cf_dist_tmp/monitor.cert" expect 0 monitor

#  Holding the data but not answering: a failed resource
kill -STOP "$second"
OCF_RESKEY_monitor_cert="$cf_dist_tmp/monitor.cert" expect 1 monitor
kill -CONT "$second"

expect 0 stop
alive "$second" && cf_dist_fail "stop left certflowd running"
expect 7 monitor
expect 0 stop
cf_dist_pids=()
grep -q "certflowd stopping" "$data/certflowd.log" \
    || cf_dist_fail "the daemon's log did not reach $data/certflowd.log"

OCF_RESKEY_binary=/nonexistent/certflowd expect 5 validate-all
OCF_RESKEY_start_timeout=soon expect 6 validate-all
"$build/certflowd" --data "$data" verify >/dev/null || cf_dist_fail "verify"
echo "1 passed, 0 failed"
