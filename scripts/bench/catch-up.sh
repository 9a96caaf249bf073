#!/usr/bin/env bash
# Catch-up throughput: how fast a backlog moves from the simulator into the
# store, measured two ways.
#
#   in-process   `cargo bench -p dealwatch-core --bench catch_up`: simulator
#                and client in one process, timed from the engine's start to
#                its first "drained" report. Its peak RSS includes the
#                simulator's event log.
#   client-only  `dealwatch simulate` in its own process, and the client as
#                `dealwatch tail --once --from tail --resume --json`, timed
#                by /usr/bin/time -v from exec to exit (start-up and store
#                creation included). Its peak RSS is the client's alone. The
#                client's limit of 10 requests/s (Sell's rate limit) is lifted
#                with --max-requests-per-second 0 to measure the client itself.
#
#   scripts/bench/catch-up.sh [--events N] [--runs N] [--skip-in-process]
#                             [--with-rate-limit]
#
# The simulator spreads its backlog over several streams, so the deals
# stream that both measure gets about 90 % of N. --with-rate-limit adds one
# client-only run at the default 10 requests/s, which takes about 90 s.
# Needs the release binary (cargo build --release -p dealwatch).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

events=100000
runs=3
in_process=1
rate_limited_run=0
while [ $# -gt 0 ]; do
  case $1 in
    --events) events=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --skip-in-process) in_process=0; shift ;;
    --with-rate-limit) rate_limited_run=1; shift ;;
    *) echo "usage: $0 [--events N] [--runs N] [--skip-in-process] [--with-rate-limit]" >&2; exit 2 ;;
  esac
done

bin=$(bench_bin)
work=$(mktemp -d /tmp/dwbench-catch-up.XXXXXX)
sim_pid=""
trap 'stop_process "$sim_pid"; rm -rf "$work"' EXIT

echo "== catch-up, $events events"
machine_info

if [ "$in_process" = 1 ]; then
  echo
  echo "-- in-process: cargo bench -p dealwatch-core --bench catch_up -- $events"
  for run in $(seq "$runs"); do
    (cd "$bench_root" && cargo bench -q -p dealwatch-core --bench catch_up -- "$events" 2>/dev/null) |
      sed "s/^/run $run: /"
  done
fi

echo
echo "-- client-only: dealwatch tail --once --from tail --resume --json > /dev/null"
start_simulator "$work/simulator.log" --backlog "$events" --pace-ms 0
echo "simulator: $sim_url (pid $sim_pid), $events events in the backlog"

# A first run into a pipe counts the deals events and checks that each was
# printed once: every item carries its own event_id, so its line is unique.
deals=$(DEALWATCH_TOKEN=demo-token DEALWATCH_DATA_DIR="$work/data-count" \
  "$bin" tail --once --from tail --resume --json --max-requests-per-second 0 --api-url "$sim_url" 2>/dev/null | sort -u | wc -l)
echo "deals stream: $deals events, each printed once"

# Times one client run with the given requests-per-second limit (0 lifts it).
# --resume saves the position, so each run gets a fresh data directory.
timed_run() {
  local label=$1 limit=$2 data_dir
  data_dir=$(mktemp -d "$work/data.XXXXXX")
  DEALWATCH_TOKEN=demo-token DEALWATCH_DATA_DIR="$data_dir" \
    /usr/bin/time -v -o "$work/time.txt" \
    "$bin" tail --once --from tail --resume --json --max-requests-per-second "$limit" \
    --api-url "$sim_url" >/dev/null 2>"$work/tail.log"
  local elapsed peak_kb cpu seconds
  elapsed=$(sed -n 's/^.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
  peak_kb=$(sed -n 's/^.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  cpu=$(sed -n 's/^.*Percent of CPU this job got: //p' "$work/time.txt")
  seconds=$(echo "$elapsed" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  printf '%s: %s events in %.2f s = %.0f events/s, peak RSS %d MB, CPU %s\n' \
    "$label" "$deals" "$seconds" "$(echo "$deals $seconds" | awk '{ print $1 / $2 }')" \
    $((peak_kb / 1024)) "$cpu"
}

for run in $(seq "$runs"); do
  timed_run "run $run, no request limit" 0
done
if [ "$rate_limited_run" = 1 ]; then
  timed_run "10 requests/s (the default)" 10
fi
echo "load after: $(uptime | sed 's/.*load average: //')"
