#!/usr/bin/env bash
# Latency from a page with a new event arriving at the tray app to its row
# being sent to the window (the `dealwatch:changes` event) and to its pop-up
# being handed to the notification server (dunst, on the session bus).
#
#   scripts/bench/latency.sh [--pages N] [--pace-ms MS] [--window open|closed]
#                            [--keep-log FILE]
#
# The simulator makes one live change every --pace-ms (3000) and the app
# polls every 2 seconds, so most pages carry one event. The run ends after
# --pages (20) pop-ups. Times come from the app's debug log, read by
# scripts/bench/latency.py. It runs inside a private desktop session.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
in_desktop_session "$0" "$@"

pages=20
pace_ms=3000
window=open
keep_log=""
while [ $# -gt 0 ]; do
  case $1 in
    --pages) pages=$2; shift 2 ;;
    --pace-ms) pace_ms=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --keep-log) keep_log=$2; shift 2 ;;
    *) echo "usage: $0 [--pages N] [--pace-ms MS] [--window open|closed] [--keep-log FILE]" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/dwbench-latency.XXXXXX)
sim_pid="" app_pid="" tray_host_pid=""
cleanup() {
  stop_process "$app_pid"
  [ -z "$keep_log" ] || cp "$work/app.log" "$keep_log"
  stop_process "$tray_host_pid"
  stop_process "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT

start_simulator "$work/simulator.log" --pace-ms "$pace_ms"
start_tray_host "$work/tray-host.log"
export DEALWATCH_LOG=warn,dealwatch=debug,dealwatch_core=debug
if [ "$window" = closed ]; then
  start_app "$work" 2 --hidden
else
  start_app "$work" 2
  wait_for_window 30 || { echo "error: no window appeared" >&2; exit 1; }
fi

limit=$((pages * pace_ms / 1000 * 3 + 60))
for _ in $(seq "$limit"); do
  sent=$(grep -c 'sending a pop-up' "$work/app.log" || true)
  [ "$sent" -ge "$pages" ] && break
  kill -0 "$app_pid" 2>/dev/null || { echo "error: the app exited; its log:" >&2; cat "$work/app.log" >&2; exit 1; }
  sleep 1
done

echo "== latency, window $window, a change every $pace_ms ms, poll every 2 s"
machine_info
echo "binary: $(bench_bin)"
/usr/bin/python3 "$bench_root/scripts/bench/latency.py" "$work/app.log"
