#!/usr/bin/env bash
#  The main job: one whole certification case, end to end, on one machine.
#
#  Installs what is missing, builds, initializes a data directory, starts
#  certflowd and one certflow-worker per stage, submits
#  examples/application.json, plays every human role with its own
#  certificate (the consultancy acting for the company, the company, the
#  audit team leader, the committee), shows the event feed while it runs,
#  prints the certificate, writes it as a signed PDF
#  (DATA/certificate-NUMBER.pdf) and checks its seal, prints the case
#  history, and stops everything cleanly.
#
#  Usage: scripts/demo.sh            (data in ./demo-data, removed first)
#         scripts/demo.sh --year     then a year of the certificate's life:
#                                    its first surveillance visit is missed
#                                    (suspended), made late (restored)
#  Ports: the defaults 5580-5582 on 127.0.0.1, or CERTFLOW_CLIENT_ENDPOINT,
#  CERTFLOW_WORKER_ENDPOINT and CERTFLOW_FEED_ENDPOINT; the public register
#  on 127.0.0.1:8480, or CERTFLOW_REGISTER_LISTEN (the certificate's QR
#  code opens it there).
#  CERTFLOW_DEMO_DATA=DIR puts the data elsewhere; CERTFLOW_DEMO_BIN=DIR
#  runs the programs built in DIR and skips installing and building.
set -euo pipefail
cd "$(dirname "$0")/.."
year=false
case "${1:-}" in
    --year) year=true ;;
    "") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^#  \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1'; try --year or --help" >&2; exit 2 ;;
esac

bin=${CERTFLOW_DEMO_BIN:-}
if [ -z "$bin" ]; then
    scripts/deps.sh
    echo "== building"
    cmake -S . -B build >/dev/null
    cmake --build build -j "$(nproc)" >/dev/null
    bin=build
fi
data=${CERTFLOW_DEMO_DATA:-demo-data}
people=$data/people
export CERTFLOW_CLIENT_ENDPOINT=${CERTFLOW_CLIENT_ENDPOINT:-tcp://127.0.0.1:5580}
export CERTFLOW_WORKER_ENDPOINT=${CERTFLOW_WORKER_ENDPOINT:-tcp://127.0.0.1:5581}
export CERTFLOW_FEED_ENDPOINT=${CERTFLOW_FEED_ENDPOINT:-tcp://127.0.0.1:5582}
export CERTFLOW_SERVER_CERT=$data/keys/daemon.cert
register_listen=${CERTFLOW_REGISTER_LISTEN:-127.0.0.1:8480}
export CERTFLOW_REGISTER_URL=http://$register_listen

rm -rf "$data"
"$bin/certflowd" --data "$data" init >/dev/null 2>&1
mkdir -p "$people"
cp "$data/admin.cert" "$people/admin.cert"

pids=()
stop_all () {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
trap stop_all EXIT

step () { printf '\n== %s\n' "$*"; }
as () { local who=$1; shift; "$bin/certflow" --cert "$people/$who.cert" "$@"; }

#  Polls a case until its JSON status matches a pattern (30 s at most)
wait_for () {
    local case_id=$1 pattern=$2 tries=300
    while ! as admin --json status "$case_id" 2>/dev/null | grep -q "$pattern"; do
        tries=$((tries - 1))
        if [ "$tries" -eq 0 ]; then
            echo "demo: case $case_id never matched $pattern; logs in $data/" >&2
            as admin status "$case_id" >&2 || true
            exit 1
        fi
        sleep 0.1
    done
}
field () { as admin --json status "$1" | grep -o "\"$2\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4; }

#  Starts certflowd, OFFSET ms ahead of the wall clock (a drill lets time
#  pass this way: the daemon's clock is the only clock)
daemon_pid=
start_daemon () {
    "$bin/certflowd" --data "$data" --heartbeat-ms 500 --clock-offset-ms "$1" \
        >>"$data/certflowd.log" 2>&1 &
    daemon_pid=$!
    pids+=($daemon_pid)
    for _ in $(seq 100); do as admin ping >/dev/null 2>&1 && break; sleep 0.1; done
}

step "starting certflowd (data: $data)"
start_daemon 0
as admin ping

step "issuing certificates and loading staff records"
issue () { as admin identity issue "$@" --out "$people/$1.cert" >/dev/null; echo "  $1 ($2)"; }
issue worker worker
issue monitor monitor
issue consultant applicant --org HZ-CONSULTING
issue company applicant --org HZYX-APPLIANCES
for file in examples/staff/*.json; do
    id=$(basename "$file" .json)
    case "$id" in
        AUD*) issue "$id" auditor ;;
        COM*) issue "$id" committee ;;
        REV*) issue "$id" reviewer ;;
    esac
    as admin staff put "$file" >/dev/null
done

step "starting one worker per stage"
for stage in intake review contract planning scoring committee issuance; do
    "$bin/certflow-worker" --cert "$people/worker.cert" --stage "$stage" \
        --name "worker-$stage" --heartbeat 500 >"$data/worker-$stage.log" 2>&1 &
    pids+=($!)
done

step "the event feed (a monitor watching every case)"
#  exec: the pid is the watcher's own, so stopping it stops the feed (and
#  the sed after it, at the end of its input)
(exec "$bin/certflow" --cert "$people/monitor.cert" watch --since 0 \
    --heartbeat 500) > >(sed -u 's/^/  feed | /') &
pids+=($!)

step "the company appoints its consultancy (recorded by the admin)"
as admin appointment add HZ-CONSULTING HZYX-APPLIANCES \
    --uscc 91330110MA2J7R4N38 --reference "letter of appointment 2026-01-05"
as consultant clients

step "the consultancy submits examples/application.json for the company"
case_id=$(as consultant --json submit examples/application.json \
          | grep -o '"id":"CF-[0-9-]*"' | cut -d'"' -f4)
echo "  case $case_id"

step "intake, document review and the contract run on the workers"
wait_for "$case_id" '"number":"HT-'
as consultant status "$case_id"

step "the company signs the contract (its own act, not the consultancy's)"
as company sign "$case_id" >/dev/null
wait_for "$case_id" '"state":"STATE_ONSITE_AUDIT"'
leader=$(field "$case_id" leader)
echo "  audit team planned; team leader $leader"

#  Lets time pass: restarts certflowd with its clock at DATE 10:00 (UTC+8)
advance_to () {
    kill -TERM "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
    start_daemon $(( $(date -d "$1 10:00 +0800" +%s) * 1000 - $(date +%s%3N) ))
    echo "  certflowd restarted with its clock at $1 10:00 (UTC+8)"
}

#  The audit of a case (an application or a visit): the team leader files
#  the sheet after its last day, the nonconformity is corrected, verified
audit () {
    local case_id=$1 leader audit_end
    wait_for "$case_id" '"state":"STATE_ONSITE_AUDIT"'
    leader=$(field "$case_id" leader)
    audit_end=$(field "$case_id" end_date)
    echo "  audit team planned; team leader $leader; last audit day $audit_end"
    step "time passes: the audit takes place, its last day $audit_end"
    advance_to "$audit_end"
    step "team leader $leader files the score sheet (examples/scores.json)"
    as "$leader" scores "$case_id" examples/scores.json --audit-date "$audit_end" >/dev/null
    wait_for "$case_id" '"state":"STATE_RECTIFICATION"'
    as consultant status "$case_id"
    step "the consultancy corrects the nonconformity; the leader verifies and rescores"
    as consultant rectify "$case_id" examples/fixes.json >/dev/null
    wait_for "$case_id" '"state":"STATE_VERIFICATION"'
    as "$leader" verify "$case_id" --accept examples/scores-revised.json >/dev/null
    wait_for "$case_id" '"members":\["COM'
}

#  The committee, independent of the audit, votes until a majority grants
committee () {
    local case_id=$1 members member
    step "the committee, independent of the audit, votes"
    members=$(as admin --json status "$case_id" | grep -o '"members":\["[^]]*\]' | tail -n 1 \
              | grep -o 'COM[0-9]*')
    for member in $members; do
        #  Once a majority has granted, the decision is taken: no more votes
        as admin --json status "$case_id" | grep -q '"state":"STATE_COMMITTEE_REVIEW"' \
            || break
        as "$member" vote "$case_id" grant --reason "evidence complete; 86.9 points after rectification" >/dev/null
        echo "  $member: grant"
        sleep 0.3
    done
}

audit "$case_id"
committee "$case_id"
wait_for "$case_id" '"state":"STATE_CERTIFIED"'
number=$(field "$case_id" certificate)

step "the certificate"
as consultant certificate show "$number"
as consultant certificate check "$number"

step "the certificate document: one signed A4 page, Chinese and English, with its QR code"
document=$data/certificate-$number.pdf
as consultant certificate pdf "$number" --out "$document"
echo "  the certificate as a PDF: $document"
as consultant certificate verify "$document" --key "$data/keys/signing.pub" | sed -n 1p

step "the case history"
as consultant history "$case_id"

step "the public register: anyone may ask, without a certflow identity"
"$bin/certflow-register" --data "$data" --listen "$register_listen" \
    >"$data/register.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "ready" "$data/register.log" && break; sleep 0.1; done
register=$(sed -n 's|.*ready: \(http://[0-9.:]*\)/.*|\1|p' "$data/register.log")
echo "  $register/certificates/$number"
exec 3<>"/dev/tcp/127.0.0.1/${register##*:}"
printf 'GET /certificates/%s?format=json HTTP/1.0\r\n\r\n' "$number" >&3
sed -n '/^{/p' <&3
exec 3<&-

decided=$(field "$case_id" decision_date)
step "the service level of the case (target 15 days, net of the applicant's waits)"
as admin report sla --from "$decided" --to "$decided"

#  The month of the daemon's clock, which the audit moved on
now=$(as admin --json ping | grep -o '"now":"*[0-9]*' | grep -o '[0-9]*$')
month=$(TZ=Asia/Shanghai date -d "@$(( now / 1000 ))" +%Y-%m)
step "the regulator's monthly report (CNCA) for $month, so far: due by the 10th of the next month"
as admin report cnca --month "$month" --out "$data/cnca"
echo "  the certificates issued ($data/cnca/cnca-$month-certificates-issued.csv):"
sed 's/^/    /' "$data/cnca/cnca-$month-certificates-issued.csv"
echo "  the reports owed (certflow reports):"
as admin reports | sed 's/^/    /'

if $year; then
    #  The certificate's first year: its first surveillance visit is due a
    #  year after issuance
    due=$(as admin --json certificate check "$number" | grep -o '"due":"[^"]*"' \
          | head -n 1 | cut -d'"' -f4)
    step "what falls due within 400 days"
    as admin certificates --due 400d
    step "eleven months pass: the visit due $due is planned"
    advance_to "$(date -d "$due - 30 days" +%F)"
    visit=$(as admin --json surveillance open "$number" | grep -o '"id":"CF-[0-9-]*"' \
            | cut -d'"' -f4)
    echo "  surveillance case $visit"
    audit "$visit"
    committee "$visit"
    wait_for "$visit" '"state":"STATE_MAINTAINED"'
    step "maintained: visit 1 is made, the next one due a year later"
    as consultant certificate check "$number"
    today=$(as admin --json ping | grep -o '"now":"*[0-9]*' | grep -o '[0-9]*$')
    today=$(TZ=Asia/Shanghai date -d "@$(( today / 1000 ))" +%F)
    step "the mark is found on an uncertified product line: suspended"
    as admin certificate suspend "$number" --trigger misuse --trigger-date "$today" \
        --reason "certification mark on the uncertified YX-9 blender line"
    as consultant certificate check "$number" || true
    step "the holder withdraws the marking: restored with the evidence"
    as admin certificate restore "$number" \
        --reason "marking removed from the YX-9 line; photos and dealer notice on file"
    as consultant certificate check "$number"
    step "the certificate's history"
    as consultant certificate history "$number"
fi

step "stopping everything"
sleep 1
stop_all
trap - EXIT
"$bin/certflowd" --data "$data" verify
cat <<EOF

demo finished: certflowd, the workers and the feed watcher are stopped.
  data directory: $data/ (store/, keys/, certs/, people/*.cert, and the logs
                  certflowd.log and worker-*.log)
  the certificate document: $document
                  (check it: $bin/certflow certificate verify $document \\
                   --key $data/keys/signing.pub)
  to look at the case again, start the daemon on it and ask:
    $bin/certflowd --data $data run &
    $bin/certflow --cert $people/admin.cert --server-cert $data/keys/daemon.cert \\
        history $case_id
    kill %1
EOF
