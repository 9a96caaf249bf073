#!/usr/bin/env bash
# Runs a command inside a private desktop session: an Xvfb display, a D-Bus
# session bus of its own, an unlocked gnome-keyring (Secret Service) and
# dunst as the notification server. Nothing of the user's own desktop is
# touched: HOME, XDG_RUNTIME_DIR and the display are all temporary.
#
#   scripts/desktop-session.sh COMMAND [ARG...]
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

session_dir=$(mktemp -d /tmp/dealwatch-session.XXXXXX)
mkdir -p "$session_dir/home" "$session_dir/runtime"
chmod 700 "$session_dir/runtime"

display_number=$((90 + RANDOM % 100))
while [ -e "/tmp/.X11-unix/X$display_number" ] || [ -e "/tmp/.X$display_number-lock" ]; do
  display_number=$((display_number + 1))
done

Xvfb ":$display_number" -screen 0 1280x800x24 -nolisten tcp >"$session_dir/xvfb.log" 2>&1 &
xvfb_pid=$!
cleanup() {
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
  rm -rf "$session_dir"
}
trap cleanup EXIT

for _ in $(seq 50); do
  [ -e "/tmp/.X11-unix/X$display_number" ] && break
  sleep 0.1
done

# Toolchains keep finding their files after HOME changes.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
export DISPLAY=":$display_number"
export HOME="$session_dir/home"
export XDG_RUNTIME_DIR="$session_dir/runtime"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
export NO_AT_BRIDGE=1
export DEALWATCH_SESSION_DIR="$session_dir"

exec_inner=$(cat <<'INNER'
set -euo pipefail
# The keyring password only protects this throwaway session's keyring.
eval "$(printf %s dealwatch-test-session | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
dunst -config /dev/null >"$DEALWATCH_SESSION_DIR/dunst.log" 2>&1 &
dunst_pid=$!
for _ in $(seq 50); do
  dunstctl count displayed >/dev/null 2>&1 && break
  sleep 0.1
done
set +e
"$@"
status=$?
kill "$dunst_pid" 2>/dev/null
exit $status
INNER
)

dbus-run-session -- bash -c "$exec_inner" desktop-session "$@"
