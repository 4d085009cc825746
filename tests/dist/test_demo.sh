#!/usr/bin/env bash
#  scripts/demo.sh, the README's main command, on ipc:// endpoints in a
#  temporary directory with this tree's programs: it takes the case to its
#  certificate, shows the feed, stops every process it started (none is
#  left with the directory on its command line) and says where the data is;
#  every examples/ file the README names exists; and proto/README.md's
#  table has every event of the state machine.
#  Usage: test_demo.sh SOURCE_DIR BUILD_DIR
source "$(dirname "$0")/lib.sh"
source_dir=$1
build=$2
t=$cf_dist_tmp
#  A free port for the register, which the certificate's QR code names
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CERTFLOW_DEMO_BIN="$build" CERTFLOW_DEMO_DATA="$t/data" \
    CERTFLOW_REGISTER_LISTEN="127.0.0.1:$port" \
    CERTFLOW_CLIENT_ENDPOINT="ipc://$t/client.ipc" \
    CERTFLOW_WORKER_ENDPOINT="ipc://$t/worker.ipc" \
    CERTFLOW_FEED_ENDPOINT="ipc://$t/feed.ipc" \
    "$source_dir/scripts/demo.sh" </dev/null >"$t/demo.log" 2>&1 \
    || cf_dist_fail "demo.sh exited $?"
for needed in ": valid; grade" "feed | " "demo finished" \
        "data directory: $t/data/" "history CF-2026-000001" \
        "http://127.0.0.1:" '"status":"valid"' "service level" "median" \
        "the certificate as a PDF: $t/data/certificate-" "the seal holds"; do
    grep -qF "$needed" "$t/demo.log" || cf_dist_fail "the demo did not say: $needed"
done
ls "$t"/data/certificate-*.pdf >/dev/null 2>&1 \
    || cf_dist_fail "the demo wrote no certificate PDF in $t/data/"
#  The seal (verify reads it from the PDF) opens the register the demo ran
grep -q "QR code .* opens http://127.0.0.1:$port/certificates/" "$t/demo.log" \
    || cf_dist_fail "the certificate's QR code does not open the demo's register"
grep -qF "  http://127.0.0.1:$port/certificates/" "$t/demo.log" \
    || cf_dist_fail "the demo's register is not on the port it was given"
sleep 0.5
if pgrep -f "$t/" >"$t/left.log"; then
    cf_dist_fail "processes left running: $(pgrep -af "$t/")"
fi
#  The year of the certificate's life: a visit maintains it, a suspension
#  and its restoration, in its history; in under a minute
start=$(date +%s)
CERTFLOW_DEMO_BIN="$build" CERTFLOW_DEMO_DATA="$t/year" \
    CERTFLOW_CLIENT_ENDPOINT="ipc://$t/year-client.ipc" \
    CERTFLOW_WORKER_ENDPOINT="ipc://$t/year-worker.ipc" \
    CERTFLOW_FEED_ENDPOINT="ipc://$t/year-feed.ipc" \
    CERTFLOW_REGISTER_LISTEN="127.0.0.1:$port" \
    "$source_dir/scripts/demo.sh" --year </dev/null >"$t/year.log" 2>&1 \
    || cf_dist_fail "demo.sh --year exited $?"
for needed in "surveillance case CF-" "visit 1 due" "maintained (case CF-" \
        "surveillance_passed" "certificate_suspended" "certificate_restored" \
        ": valid; grade" "demo finished"; do
    grep -qF "$needed" "$t/year.log" || cf_dist_fail "demo.sh --year did not say: $needed"
done
[ $(( $(date +%s) - start )) -lt 60 ] || cf_dist_fail "demo.sh --year took a minute or more"
if pgrep -f "$t/" >"$t/left.log"; then
    cf_dist_fail "demo.sh --year left processes running: $(pgrep -af "$t/")"
fi
#  Every example file the README names is there
for file in $(grep -o 'examples/[A-Za-z0-9_/-]*\.json' "$source_dir/README.md" | sort -u); do
    [ -s "$source_dir/$file" ] || cf_dist_fail "README names $file, which is missing"
done
#  proto/README.md names every event of the state machine in its table
for event in $("$build/certflow" dot | grep -o 'label="[a-z_]* ' | cut -d'"' -f2 | sort -u); do
    grep -qF "| \`$event\` |" "$source_dir/proto/README.md" \
        || cf_dist_fail "proto/README.md does not document the event $event"
done
echo "1 passed, 0 failed"
