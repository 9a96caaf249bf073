#!/usr/bin/env bash
# Checks the .deb the way a user meets it: metadata and contents, lintian,
# installing it with apt-get, the installed binary's version, `dealwatch tail`
# against the local simulator, the desktop entry, start at login in a private
# desktop session, and removing it. The last line is "N passed, M failed".
#
#   scripts/package-test.sh            build the .deb (make package), then check it
#   scripts/package-test.sh FILE.deb   check FILE.deb
#
# It installs the package system-wide, replacing any dealwatch package
# installed before, and removes it at the end, so it needs root or sudo.
# The only network traffic is to the simulator on 127.0.0.1.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# Sizes of the hicolor theme's apps directories (16x16/apps ... 512x512/apps).
icon_sizes=(16 22 24 32 36 48 64 72 96 128 192 256 512)
desktop_entry=/usr/share/applications/Dealwatch.desktop
# tauri-plugin-autostart names the entry after the product name.
autostart_entry_name=Dealwatch.desktop

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "ok: $1"
}
fail() {
  failed=$((failed + 1))
  echo "FAILED: $1"
}
# check DESCRIPTION COMMAND...: passes when COMMAND exits 0.
check() {
  local description=$1
  shift
  if "$@"; then pass "$description"; else fail "$description"; fi
}
# check_equal DESCRIPTION ACTUAL EXPECTED
check_equal() {
  if [ "$2" = "$3" ]; then
    pass "$1"
  else
    fail "$1: expected '$3', got '$2'"
  fi
}
skipped=0
skip() {
  skipped=$((skipped + 1))
  echo "skipped: $1"
}
finish() {
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ]
  exit
}
# wait_for SECONDS COMMAND...: retries COMMAND every 0.2 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}
# desktop_key FILE KEY: the value of KEY in the [Desktop Entry] group.
desktop_key() {
  sed -n '/^\[Desktop Entry\]/,/^\[/{s/^'"$2"'=//p}' "$1" | head -n 1
}
visible_window_of() {
  xdotool search --onlyvisible --pid "$1" 2>/dev/null | head -n 1
}
has_visible_window() {
  test -n "$(visible_window_of "$1")"
}

# Runs inside scripts/desktop-session.sh (Xvfb, D-Bus, keyring, dunst) with
# the package installed. Writes "pass TEXT" and "fail TEXT" lines to $1.
desktop_checks() {
  local results=$1
  pass() { echo "pass $1" >>"$results"; echo "ok: $1"; }
  fail() { echo "fail $1" >>"$results"; echo "FAILED: $1"; }
  local bus="$repo/scripts/desktop-bus.py"
  local data="$DEALWATCH_SESSION_DIR/data"
  local autostart_entry="$HOME/.config/autostart/$autostart_entry_name"
  local app window

  # The window's WM_CLASS must match StartupWMClass, or docks and task
  # switchers show a generic icon. No tray host runs yet, so the app opens
  # its window at start.
  DEALWATCH_DATA_DIR="$data" /usr/bin/dealwatch --demo >"$DEALWATCH_SESSION_DIR/demo.log" 2>&1 &
  app=$!
  if wait_for 30 has_visible_window "$app"; then
    window=$(visible_window_of "$app")
    # WM_CLASS(STRING) = "instance", "class"
    local instance
    instance=$(xprop -id "$window" WM_CLASS | sed -n 's/^WM_CLASS(STRING) = "\([^"]*\)".*/\1/p')
    check_equal "window WM_CLASS instance matches StartupWMClass" \
      "$instance" "$(desktop_key "$desktop_entry" StartupWMClass)"
  else
    fail "installed app opens a window within 30 s"
  fi

  # Start at login, turned on from the tray menu.
  check "tray menu: Start at login clicked" "$bus" click "$app" "Start at login"
  if wait_for 10 test -f "$autostart_entry"; then
    pass "start at login writes ~/.config/autostart/$autostart_entry_name"
    check "autostart entry passes desktop-file-validate" desktop-file-validate "$autostart_entry"
    check_equal "autostart entry Type" "$(desktop_key "$autostart_entry" Type)" "Application"
    check_equal "autostart entry Exec" "$(desktop_key "$autostart_entry" Exec)" "/usr/bin/dealwatch --hidden"
  else
    fail "start at login writes ~/.config/autostart/$autostart_entry_name"
  fi
  "$bus" click "$app" "Quit" >/dev/null
  if wait_for 10 bash -c "! kill -0 $app 2>/dev/null"; then
    wait "$app"
    check_equal "tray menu: Quit ends the app with status 0" "$?" 0
  else
    fail "tray menu: Quit ends the app within 10 s"
    kill "$app" 2>/dev/null
  fi

  if [ ! -f "$autostart_entry" ]; then
    return
  fi

  # Start the app the way the session does at login, with a tray host on the
  # bus: it must stay in the tray with no window. It polls the simulator.
  /usr/bin/dealwatch simulate --port 0 --pace-ms 0 >"$DEALWATCH_SESSION_DIR/simulator.out" 2>&1 &
  local simulator=$!
  "$bus" tray-host >"$DEALWATCH_SESSION_DIR/tray-host.out" 2>&1 &
  local tray_host=$!
  wait_for 10 grep -q '^Simulator listening on' "$DEALWATCH_SESSION_DIR/simulator.out"
  wait_for 10 grep -q '^ready' "$DEALWATCH_SESSION_DIR/tray-host.out"
  local url
  url=$(sed -n 's/^Simulator listening on \(http:[^ ]*\)$/\1/p' "$DEALWATCH_SESSION_DIR/simulator.out")

  local exec_line
  exec_line=$(desktop_key "$autostart_entry" Exec)
  # The Exec value has no quoting or field codes (checked above), so plain
  # word splitting runs it as a session would.
  # shellcheck disable=SC2086
  DEALWATCH_DATA_DIR="$data" DEALWATCH_TOKEN=demo-token DEALWATCH_API_URL="$url" \
    $exec_line >"$DEALWATCH_SESSION_DIR/hidden.log" 2>&1 &
  app=$!
  if wait_for 30 grep -q '^registered ' "$DEALWATCH_SESSION_DIR/tray-host.out"; then
    pass "app started at login registers its tray icon"
    sleep 3
    check "app started at login is still running" kill -0 "$app"
    check_equal "app started at login shows no window" "$(visible_window_of "$app")" ""
    # The same window check finds a window once the app opens one.
    "$bus" click "$app" "Open Dealwatch" >/dev/null
    check "tray menu: Open Dealwatch shows the window" wait_for 30 has_visible_window "$app"
  else
    fail "app started at login registers its tray icon within 30 s"
  fi

  # Start at login, turned off again.
  "$bus" click "$app" "Start at login" >/dev/null
  check "turning start at login off removes the autostart entry" \
    wait_for 10 test ! -e "$autostart_entry"

  "$bus" click "$app" "Quit" >/dev/null
  wait_for 10 bash -c "! kill -0 $app 2>/dev/null" || kill "$app" 2>/dev/null
  kill "$simulator" "$tray_host" 2>/dev/null
  wait 2>/dev/null
}

if [ "${1:-}" = "--desktop-checks" ]; then
  desktop_checks "$2"
  exit 0
fi

unset DEALWATCH_API_URL DEALWATCH_TOKEN DEALWATCH_DATA_DIR DEALWATCH_CONFIG_DIR
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi
work=$(mktemp -d /tmp/dealwatch-package-test.XXXXXX)
background=()
cleanup() {
  for pid in "${background[@]}"; do
    kill "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

version=$(cargo metadata --no-deps --format-version 1 --offline |
  node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
           console.log(m.packages.find((p) => p.name === "dealwatch").version)')
arch=$(dpkg --print-architecture)

if [ $# -ge 1 ]; then
  deb=$1
else
  if ! make package; then
    fail "make package builds the packages"
    finish
  fi
  deb=target/packages/dealwatch_${version}_${arch}.deb
fi
deb=$(realpath "$deb")
echo "package-test: checking $deb"
if [ ! -f "$deb" ]; then
  fail "package file $deb exists"
  finish
fi

# --- Metadata -------------------------------------------------------------
field() { dpkg-deb --field "$deb" "$1"; }
check_equal "Package" "$(field Package)" "dealwatch"
check_equal "Version is the workspace version" "$(field Version)" "$version"
check_equal "Architecture" "$(field Architecture)" "$arch"
check "Maintainer is a name and an address" \
  grep -Eq '^[^<>]+ <[^<>@ ]+@[^<> ]+>$' <<<"$(field Maintainer)"
depends=$(field Depends | tr ',' '\n' | sed 's/^ *//; s/ *(.*//')
for dependency in libc6 libgtk-3-0 libwebkit2gtk-4.1-0 libayatana-appindicator3-1; do
  check "Depends on $dependency" grep -qx "$dependency" <<<"$depends"
done

# Every library the binary links against must come from a package in Depends.
mkdir -p "$work/root" "$work/shlibs/debian"
dpkg-deb --extract "$deb" "$work/root"
printf 'Source: dealwatch\n\nPackage: dealwatch\nArchitecture: any\n' >"$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$work/root/usr/bin/dealwatch" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p' | tr ',' '\n' | sed 's/^ *//; s/ *(.*//')
check "dpkg-shlibdeps finds the binary's libraries" test -n "$shlibs"
for library_package in $shlibs; do
  check "Depends on $library_package, which the binary links against" \
    grep -qx "$library_package" <<<"$depends"
done

# --- Contents -------------------------------------------------------------
# Paths in the listing may or may not start with "./".
contents=$(dpkg-deb --contents "$deb")
has_file() { grep -Eq "^$1 .* (\./)?${2#/}$" <<<"$contents"; }
check "contains /usr/bin/dealwatch, executable" has_file '-rwxr-xr-x' /usr/bin/dealwatch
check "contains the desktop entry" has_file '-rw-r--r--' "$desktop_entry"
for size in "${icon_sizes[@]}"; do
  icon=/usr/share/icons/hicolor/${size}x${size}/apps/dealwatch.png
  if has_file '-rw-r--r--' "$icon"; then
    check_equal "icon $icon is $size x $size" \
      "$(file -b "$work/root$icon" | grep -Eo '[0-9]+ x [0-9]+')" "$size x $size"
  else
    fail "contains $icon"
  fi
done
check "contains the scalable icon" has_file '-rw-r--r--' /usr/share/icons/hicolor/scalable/apps/dealwatch.svg
check "contains the copyright file" has_file '-rw-r--r--' /usr/share/doc/dealwatch/copyright
check "contains the changelog" has_file '-rw-r--r--' /usr/share/doc/dealwatch/changelog.gz
check "contains the manual page" has_file '-rw-r--r--' /usr/share/man/man1/dealwatch.1.gz
check "installs files under /usr only" \
  bash -c '! grep -Ev " (\./)?(usr(/.*)?)?$" <<<"$1"' _ "$contents"

# --- The .rpm, built next to the .deb ------------------------------------
rpm_file=$(ls "$(dirname "$deb")"/dealwatch-"$version"-*.rpm 2>/dev/null | head -n 1)
if ! command -v rpm >/dev/null; then
  skip "the .rpm checks: rpm is not installed"
elif [ -z "$rpm_file" ]; then
  skip "the .rpm checks: no dealwatch-$version-*.rpm next to the .deb"
else
  check_equal "rpm name and version" \
    "$(rpm -qp --queryformat '%{NAME} %{VERSION}' "$rpm_file" 2>/dev/null)" "dealwatch $version"
  rpm_files=$(rpm -qpl "$rpm_file" 2>/dev/null)
  rpm_paths=(/usr/bin/dealwatch "$desktop_entry" /usr/share/icons/hicolor/scalable/apps/dealwatch.svg
    /usr/share/man/man1/dealwatch.1.gz)
  for size in "${icon_sizes[@]}"; do
    rpm_paths+=("/usr/share/icons/hicolor/${size}x${size}/apps/dealwatch.png")
  done
  for path in "${rpm_paths[@]}"; do
    check "rpm contains $path" grep -qx "$path" <<<"$rpm_files"
  done
  rpm_requires=$(rpm -qpR "$rpm_file" 2>/dev/null)
  for library in 'libwebkit2gtk-4.1.so.0()(64bit)' 'libayatana-appindicator3.so.1()(64bit)'; do
    check "rpm requires $library" grep -qxF "$library" <<<"$rpm_requires"
  done
fi

# --- lintian --------------------------------------------------------------
# lintian exits with 2 when it reports an error (--fail-on) and with 1 when it
# fails to run.
lintian --fail-on error --tag-display-limit 0 "$deb" >"$work/lintian.txt" 2>&1
lintian_status=$?
grep -E '^[EW]: ' "$work/lintian.txt"
check_equal "lintian exit status" "$lintian_status" 0
check_equal "lintian errors (E: tags)" "$(grep -c '^E: ' "$work/lintian.txt")" 0

# --- Install --------------------------------------------------------------
installed_version() { dpkg-query -W -f='${Status} ${Version}' dealwatch 2>/dev/null; }
if installed_version | grep -q '^install ok installed'; then
  echo "package-test: removing the dealwatch package installed before"
  "${as_root[@]}" apt-get remove -y -qq dealwatch >/dev/null
fi
if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$work/apt.log" 2>&1; then
  pass "apt-get install installs the .deb"
else
  cat "$work/apt.log"
  fail "apt-get install installs the .deb"
  finish
fi
check_equal "dpkg reports it installed" "$(installed_version)" "install ok installed $version"
check "/usr/bin/dealwatch is executable" test -x /usr/bin/dealwatch
check_equal "dealwatch is found on the PATH in /usr/bin" \
  "$(PATH=/usr/local/bin:/usr/bin:/bin command -v dealwatch)" /usr/bin/dealwatch
check_equal "dealwatch --version" "$(/usr/bin/dealwatch --version)" "dealwatch $version"

# --- The installed binary against the simulator ---------------------------
export DEALWATCH_DATA_DIR="$work/data" DEALWATCH_CONFIG_DIR="$work/config"
/usr/bin/dealwatch simulate --port 0 --pace-ms 0 --backlog 20 >"$work/simulator.out" 2>&1 &
background+=($!)
if wait_for 10 grep -q '^Simulator listening on http://127\.0\.0\.1:[0-9]*$' "$work/simulator.out"; then
  pass "dealwatch simulate listens on 127.0.0.1"
  check "dealwatch simulate prints the demo token" grep -qx 'Demo token: demo-token' "$work/simulator.out"
  url=$(sed -n 's/^Simulator listening on \(http:[^ ]*\)$/\1/p' "$work/simulator.out")
  DEALWATCH_TOKEN=demo-token timeout 60 /usr/bin/dealwatch tail --once --from tail --api-url "$url" \
    >"$work/tail.out" 2>"$work/tail.err"
  check_equal "dealwatch tail --once exits with status 0" "$?" 0
  # Each change starts with a line "YYYY-MM-DD HH:MM:SSZ  deal ID  NAME  ACTION".
  events=$(grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z  deal [0-9]+  ' "$work/tail.out")
  check "dealwatch tail --once prints the backlog's deal changes ($events)" test "$events" -gt 0
else
  cat "$work/simulator.out"
  fail "dealwatch simulate listens on 127.0.0.1 within 10 s"
fi
unset DEALWATCH_DATA_DIR DEALWATCH_CONFIG_DIR

# --- Desktop entry --------------------------------------------------------
if desktop-file-validate "$desktop_entry"; then
  pass "desktop-file-validate accepts $desktop_entry"
else
  fail "desktop-file-validate accepts $desktop_entry"
fi
check_equal "desktop entry Exec" "$(desktop_key "$desktop_entry" Exec)" "dealwatch"
icon_name=$(desktop_key "$desktop_entry" Icon)
check_equal "desktop entry Icon" "$icon_name" "dealwatch"
check "desktop entry Icon is an installed hicolor icon" \
  test -f "/usr/share/icons/hicolor/48x48/apps/$icon_name.png"
check "desktop entry has Categories" test -n "$(desktop_key "$desktop_entry" Categories)"
check "desktop entry has a Comment" test -n "$(desktop_key "$desktop_entry" Comment)"
check_equal "desktop entry StartupWMClass" "$(desktop_key "$desktop_entry" StartupWMClass)" "dealwatch"

# --- Desktop session: window class and start at login ---------------------
: >"$work/desktop-results"
timeout 180 scripts/desktop-session.sh "$repo/scripts/package-test.sh" --desktop-checks "$work/desktop-results"
if [ ! -s "$work/desktop-results" ]; then
  fail "desktop session checks ran"
fi
while read -r outcome text; do
  if [ "$outcome" = pass ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done <"$work/desktop-results"

# --- Remove ---------------------------------------------------------------
if "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq dealwatch >"$work/apt.log" 2>&1; then
  pass "apt-get remove removes the package"
else
  cat "$work/apt.log"
  fail "apt-get remove removes the package"
fi
check "dpkg -s reports dealwatch not installed" \
  bash -c '! dpkg -s dealwatch 2>/dev/null | grep -q "^Status: install ok installed"'
check "/usr/bin/dealwatch is gone" test ! -e /usr/bin/dealwatch
check "the desktop entry is gone" test ! -e "$desktop_entry"
check "the icons are gone" test ! -e /usr/share/icons/hicolor/48x48/apps/dealwatch.png

finish
