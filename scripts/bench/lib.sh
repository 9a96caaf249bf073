# Shared helpers for the scripts in scripts/bench/. Source it; it runs nothing.
#
# Memory and CPU figures are read from /proc: VmRSS from /proc/PID/status,
# Pss from /proc/PID/smaps_rollup, and utime, stime, cutime and cstime
# (fields 14 to 17) from /proc/PID/stat, in clock ticks of `getconf CLK_TCK`.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The binary under test. Set DEALWATCH_BIN to measure a copy, so that a
# rebuild of target/release during a long run cannot swap it.
bench_bin() {
  local bin="${DEALWATCH_BIN:-$bench_root/target/release/dealwatch}"
  if [ ! -x "$bin" ]; then
    echo "error: $bin not found. Run: (cd ui && npm run build) && cargo build --release -p dealwatch" >&2
    return 1
  fi
  printf '%s\n' "$bin"
}

# Prints the machine, the date and the load, one fact per line.
machine_info() {
  local cpu memory debian
  cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  memory=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)
  echo "date: $(date -u +%F)"
  echo "machine: $(nproc) cores, $cpu, $memory RAM, Debian $debian"
  echo "load: $(uptime | sed 's/.*load average: //')"
}

# Prints PID and every descendant of it, found through the parent PID
# (field 4) of /proc/*/stat. A process name may contain spaces and
# brackets, so fields are counted from the last ")".
process_tree() {
  local root=$1
  local -A children=()
  local stat pid line fields
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}
    pid=${pid%/stat}
    { read -r line <"$stat"; } 2>/dev/null || continue
    read -r -a fields <<<"${line##*) }"
    children[${fields[1]}]+="$pid "
  done
  local queue=("$root") next
  while [ ${#queue[@]} -gt 0 ]; do
    next=${queue[0]}
    queue=("${queue[@]:1}")
    [ -d "/proc/$next" ] || continue
    echo "$next"
    for pid in ${children[$next]:-}; do
      queue+=("$pid")
    done
  done
}

# The short name of a process (the `comm` field).
process_name() {
  cat "/proc/$1/comm" 2>/dev/null || echo gone
}

rss_kb() {
  awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

pss_kb() {
  awk '/^Pss:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}

# CPU time of one process in clock ticks: utime + stime, plus cutime +
# cstime, which hold the time of children it has already reaped, so a
# WebKit process that exits during a run still counts.
cpu_ticks() {
  local line fields
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return; }
  read -r -a fields <<<"${line##*) }"
  echo $((fields[11] + fields[12] + fields[13] + fields[14]))
}

# Prints "RSS_KB PSS_KB" summed over the process tree of $1.
tree_memory() {
  local rss=0 pss=0 pid
  for pid in $(process_tree "$1"); do
    rss=$((rss + $(rss_kb "$pid")))
    pss=$((pss + $(pss_kb "$pid")))
  done
  echo "$rss $pss"
}

# Prints one line per process of the tree of $1: PID, name, RSS and PSS in kB.
tree_table() {
  local pid
  for pid in $(process_tree "$1"); do
    printf '  %-8s %-24s RSS %7s kB  PSS %7s kB\n' "$pid" "$(process_name "$pid")" "$(rss_kb "$pid")" "$(pss_kb "$pid")"
  done
}

# Prints the CPU time of the process tree of $1 in clock ticks. A process
# that exits moves its time into its parent's cutime and cstime, so the
# total only loses the time of a process whose parent left the tree too.
tree_cpu_ticks() {
  local total=0 pid
  for pid in $(process_tree "$1"); do
    total=$((total + $(cpu_ticks "$pid")))
  done
  echo "$total"
}

# Prints "PID TICKS" for every process of the tree of $1.
tree_cpu_table() {
  local pid
  for pid in $(process_tree "$1"); do
    echo "$pid $(cpu_ticks "$pid")"
  done
}

# Starts `dealwatch simulate` with the given arguments in the background,
# writing its output to FILE, and waits for its URL. Sets sim_pid and
# sim_url.
start_simulator() {
  local output=$1
  shift
  # Created here, because the background job may not have opened it yet
  # when it is first read.
  : >"$output"
  "$(bench_bin)" simulate --port 0 "$@" >"$output" 2>&1 &
  sim_pid=$!
  sim_url=""
  local _
  for _ in $(seq 600); do
    sim_url=$(sed -n 's/^Simulator listening on //p' "$output")
    [ -n "$sim_url" ] && return 0
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "error: the simulator did not start; its output:" >&2
  cat "$output" >&2
  return 1
}

# Ends a process started by these scripts and waits for it.
stop_process() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Re-runs the calling script inside a private desktop session (Xvfb, D-Bus,
# gnome-keyring, dunst) unless it already runs in one.
#   in_desktop_session "$0" "$@"
in_desktop_session() {
  if [ -z "${DEALWATCH_SESSION_DIR:-}" ]; then
    exec "$bench_root/scripts/desktop-session.sh" "$@"
  fi
}

# Starts a stand-in tray host: a process that owns the
# org.kde.StatusNotifierWatcher name, which is what the app checks before
# it starts without a window. Sets tray_host_pid.
start_tray_host() {
  : >"$1"
  /usr/bin/python3 -c '
import time, dbus
bus = dbus.SessionBus()
bus.request_name("org.kde.StatusNotifierWatcher")
print("ready", flush=True)
while True:
    time.sleep(3600)
' >"$1" 2>&1 &
  tray_host_pid=$!
  local _
  for _ in $(seq 100); do
    grep -q ready "$1" && return 0
    sleep 0.05
  done
  echo "error: the stand-in tray host did not start:" >&2
  cat "$1" >&2
  return 1
}

# Writes a settings.json with the given poll interval into a new config
# directory under $1 and prints the directory.
make_config_dir() {
  mkdir -p "$1/config" "$1/data"
  printf '{"pollIntervalSecs": %s}\n' "$2" >"$1/config/settings.json"
  echo "$1/config"
}

# Starts the tray app on the simulator at $sim_url, with its config and data
# under WORK, logging to WORK/app.log. Extra arguments go to the app.
# Sets app_pid.
#   start_app WORK POLL_SECS [ARG...]
start_app() {
  local work=$1 poll=$2
  shift 2
  local config
  config=$(make_config_dir "$work" "$poll")
  DEALWATCH_API_URL="$sim_url" DEALWATCH_TOKEN=demo-token \
    DEALWATCH_CONFIG_DIR="$config" DEALWATCH_DATA_DIR="$work/data" \
    "$(bench_bin)" "$@" >"$work/app.log" 2>&1 &
  app_pid=$!
}

# Prints the X window ids of the app's visible main window.
visible_windows() {
  xdotool search --onlyvisible --name '^Dealwatch$' 2>/dev/null || true
}

# Waits up to $1 seconds until visible_windows prints something (or, with
# "none" as $2, nothing). Returns 1 on time-out.
wait_for_window() {
  local tenths=$(($1 * 10)) want=${2:-some} _
  for _ in $(seq "$tenths"); do
    if [ "$want" = none ]; then
      [ -z "$(visible_windows)" ] && return 0
    else
      [ -n "$(visible_windows)" ] && return 0
    fi
    sleep 0.1
  done
  return 1
}
