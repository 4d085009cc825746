#  Shared by the dist tests: start the programs of an installed tree on
#  ipc:// endpoints in a temporary directory, ping, reload, stop.
#  Source it; call cf_dist_start ROOT BINDIR ETCDIR SHAREDIR, then cf_dist_*.
set -euo pipefail

cf_dist_tmp=$(mktemp -d /tmp/cf-dist-XXXXXX)
cf_dist_pids=()
cf_dist_cleanup () {
    local pid
    for pid in "${cf_dist_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    [ -n "${CERTFLOW_TEST_KEEP:-}" ] || rm -rf "$cf_dist_tmp"
}
trap cf_dist_cleanup EXIT

cf_dist_fail () {
    echo "FAIL: $*" >&2
    for log in "$cf_dist_tmp"/*.log; do
        [ -f "$log" ] && { echo "--- $log"; tail -20 "$log"; } >&2
    done
    exit 1
}

#  The client of the tree, on the test's endpoints, as the first admin
cf_dist_client () {
    "$cf_dist_bin/certflow" --client-endpoint "ipc://$cf_dist_tmp/client.ipc" \
        --cert "$cf_dist_tmp/data/admin.cert" \
        --server-cert "$cf_dist_tmp/data/keys/daemon.cert" "$@"
}

#  Starts the tree's certflowd with its config file and scheme, and waits
#  for its first answered ping
cf_dist_start () {
    cf_dist_bin=$1
    local etc=$2 share=$3 data="$cf_dist_tmp/data"
    "$cf_dist_bin/certflowd" --data "$data" init >"$cf_dist_tmp/init.log" \
        || cf_dist_fail "certflowd init"
    "$cf_dist_bin/certflowd" --data "$data" init --if-missing \
        >>"$cf_dist_tmp/init.log" || cf_dist_fail "init --if-missing again"
    grep -q "initialized already" "$cf_dist_tmp/init.log" \
        || cf_dist_fail "init --if-missing did not say it kept the data"
    "$cf_dist_bin/certflowd" --config "$etc/certflowd.cfg" --data "$data" \
        --scheme "$share/scheme.json" \
        --client-endpoint "ipc://$cf_dist_tmp/client.ipc" \
        --worker-endpoint "ipc://$cf_dist_tmp/worker.ipc" \
        --feed-endpoint "ipc://$cf_dist_tmp/feed.ipc" \
        run 2>"$cf_dist_tmp/certflowd.log" &
    cf_dist_daemon=$!
    cf_dist_pids+=("$cf_dist_daemon")
    local try
    for try in $(seq 1 50); do
        if cf_dist_client --timeout 200 --retries 1 ping \
                >"$cf_dist_tmp/ping.log" 2>&1; then
            return 0
        fi
        kill -0 "$cf_dist_daemon" 2>/dev/null \
            || cf_dist_fail "the installed certflowd exited"
    done
    cf_dist_fail "the installed certflowd did not answer a ping"
}

#  SIGHUP, then SIGTERM: the daemon reloads and stops with exit 0
cf_dist_stop () {
    kill -HUP "$cf_dist_daemon"
    local try
    for try in $(seq 1 50); do
        grep -q "reloaded: certificates" "$cf_dist_tmp/certflowd.log" && break
        sleep 0.1
    done
    grep -q "reloaded: certificates" "$cf_dist_tmp/certflowd.log" \
        || cf_dist_fail "no reload after SIGHUP"
    kill -TERM "$cf_dist_daemon"
    local status=0
    wait "$cf_dist_daemon" || status=$?
    cf_dist_pids=()
    [ "$status" -eq 0 ] || cf_dist_fail "certflowd exited $status on SIGTERM"
    "$cf_dist_bin/certflowd" --data "$cf_dist_tmp/data" verify \
        >"$cf_dist_tmp/verify.log" || cf_dist_fail "verify"
}
