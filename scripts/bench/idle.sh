#!/usr/bin/env bash
# Idle cost of the tray app: memory (RSS and PSS) and CPU of the app and
# every process it started (WebKitWebProcess, WebKitNetworkProcess, ...),
# while it polls a quiet simulator on loopback every 5 seconds.
#
#   scripts/bench/idle.sh [--window closed|reopened|open] [--minutes N]
#                         [--warmup SECS] [--sample SECS]
#
#   closed     start with --hidden next to a stand-in tray host: no window
#              is ever created (the default)
#   reopened   start with the window, close it after 10 s, then measure
#   open       start with the window and leave it open
#
# The measurement starts after --warmup seconds (30) and lasts --minutes
# (10). Memory is sampled every --sample seconds (10); CPU is the
# utime + stime of all the processes over the whole measurement. Variables
# in the environment reach the app, for example
# WEBKIT_DISABLE_COMPOSITING_MODE=1 or DEALWATCH_LOG=debug. It runs inside a
# private desktop session (scripts/desktop-session.sh) of its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
in_desktop_session "$0" "$@"

window=closed
minutes=10
warmup=30
sample=10
while [ $# -gt 0 ]; do
  case $1 in
    --window) window=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    *) echo "usage: $0 [--window closed|reopened|open] [--minutes N] [--warmup SECS] [--sample SECS]" >&2; exit 2 ;;
  esac
done
case $window in
  closed | reopened | open) ;;
  *) echo "error: --window must be closed, reopened or open, not $window" >&2; exit 2 ;;
esac

bin=$(bench_bin)
work=$(mktemp -d /tmp/dwbench-idle.XXXXXX)
sim_pid="" app_pid="" tray_host_pid=""
cleanup() {
  stop_process "$app_pid"
  stop_process "$tray_host_pid"
  stop_process "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT

start_simulator "$work/simulator.log" --pace-ms 0
start_tray_host "$work/tray-host.log"
case $window in
  closed) start_app "$work" 5 --hidden ;;
  *) start_app "$work" 5 ;;
esac

if [ "$window" = closed ]; then
  sleep 5
  if [ -n "$(visible_windows)" ]; then
    echo "error: the app opened a window although it was started with --hidden" >&2
    exit 1
  fi
else
  wait_for_window 30 || { echo "error: no window appeared; app log:" >&2; cat "$work/app.log" >&2; exit 1; }
fi
if [ "$window" = reopened ]; then
  sleep 10
  for id in $(visible_windows); do
    /usr/bin/python3 "$bench_root/scripts/bench/close-window.py" "$id"
  done
  wait_for_window 10 none || { echo "error: the window did not close" >&2; exit 1; }
fi

sleep "$warmup"
kill -0 "$app_pid" 2>/dev/null || { echo "error: the app exited; its log:" >&2; cat "$work/app.log" >&2; exit 1; }

clock_ticks=$(getconf CLK_TCK)
seconds=$((minutes * 60))
start_ticks=$(tree_cpu_ticks "$app_pid")
tree_cpu_table "$app_pid" >"$work/cpu-start.txt"
start_time=$(date +%s.%N)
rss_sum=0 pss_sum=0 rss_max=0 pss_max=0 samples=0
echo "t_s rss_mb pss_mb processes" >"$work/samples.txt"
elapsed=0
while :; do
  read -r rss pss < <(tree_memory "$app_pid")
  count=$(process_tree "$app_pid" | wc -l)
  echo "$elapsed $((rss / 1024)) $((pss / 1024)) $count" >>"$work/samples.txt"
  rss_sum=$((rss_sum + rss)) pss_sum=$((pss_sum + pss)) samples=$((samples + 1))
  [ "$rss" -gt "$rss_max" ] && rss_max=$rss
  [ "$pss" -gt "$pss_max" ] && pss_max=$pss
  [ "$elapsed" -ge "$seconds" ] && break
  sleep "$sample"
  elapsed=$(echo "$start_time $(date +%s.%N)" | awk '{ printf "%d", $2 - $1 }')
done
end_ticks=$(tree_cpu_ticks "$app_pid")
tree_cpu_table "$app_pid" >"$work/cpu-end.txt"
end_time=$(date +%s.%N)
kill -0 "$app_pid" 2>/dev/null || { echo "error: the app exited during the run" >&2; exit 1; }

echo "== idle, window $window, ${minutes} min after ${warmup} s of warm-up, poll every 5 s"
machine_info
echo "binary: $bin"
env | grep -E '^(WEBKIT_|GDK_|DEALWATCH_LOG|MALLOC_|GLIBC_TUNABLES)' | sed 's/^/env: /' || true
echo "processes at the end:"
tree_table "$app_pid"
awk -v rs="$rss_sum" -v ps="$pss_sum" -v n="$samples" -v rm="$rss_max" -v pm="$pss_max" \
  'BEGIN { printf "memory: RSS mean %.1f MB, max %.1f MB; PSS mean %.1f MB, max %.1f MB (%d samples)\n", rs / n / 1024, rm / 1024, ps / n / 1024, pm / 1024, n }'
awk -v s="$start_ticks" -v e="$end_ticks" -v hz="$clock_ticks" -v t0="$start_time" -v t1="$end_time" \
  'BEGIN { cpu = (e - s) / hz; wall = t1 - t0; printf "cpu: %.2f s over %.0f s = %.3f %% of one core\n", cpu, wall, 100 * cpu / wall }'
echo "cpu per process (processes that started during the run count from zero):"
awk -v hz="$clock_ticks" 'NR == FNR { start[$1] = $2; next } { printf "  %-8s %.2f s\n", $1, ($2 - start[$1]) / hz }' \
  "$work/cpu-start.txt" "$work/cpu-end.txt"
echo "samples (t_s rss_mb pss_mb processes):"
sed 1d "$work/samples.txt" | tr '\n' ';' | sed 's/;$/\n/'
warnings=$(grep -c -E ' (WARN|ERROR) ' "$work/app.log" || true)
echo "app log: $warnings warnings or errors"
grep -E ' (WARN|ERROR) ' "$work/app.log" | head -5 || true
