#!/usr/bin/env bash
# Start-up time to the first poll: from starting the process to the first
# Firehose request reaching the simulator (scripts/bench/first-request.py),
# for the tray app started with --hidden next to a stand-in tray host, the
# tray app opening its window, and `dealwatch tail`.
#
#   scripts/bench/startup.sh [--runs N]
#
# Each run uses a fresh data directory, so the store is created every time.
# It runs inside a private desktop session of its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
in_desktop_session "$0" "$@"

runs=5
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
  esac
done

bin=$(bench_bin)
work=$(mktemp -d /tmp/dwbench-startup.XXXXXX)
sim_pid="" tray_host_pid=""
cleanup() {
  stop_process "$tray_host_pid"
  stop_process "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT

start_simulator "$work/simulator.log" --pace-ms 0
start_tray_host "$work/tray-host.log"
config=$(make_config_dir "$work" 5)
export DEALWATCH_TOKEN=demo-token DEALWATCH_CONFIG_DIR="$config"

echo "== start-up to the first Firehose request"
machine_info
echo "binary: $bin"
probe() {
  local label=$1
  shift
  echo "-- $label"
  # A fresh data directory per run: the wrapper gets a new one each time.
  /usr/bin/python3 "$bench_root/scripts/bench/first-request.py" --target "$sim_url" --runs "$runs" -- \
    bash -c 'export DEALWATCH_DATA_DIR=$(mktemp -d '"$work"'/data.XXXXXX); exec "$@"' startup "$@"
}
probe "tray app, --hidden (no window)" "$bin" --hidden
probe "tray app, window opens" "$bin"
probe "dealwatch tail" "$bin" tail
