#!/usr/bin/env bash
# Installs what building, testing and packaging Dealwatch needs on Debian or
# Ubuntu: the system packages (only those missing), the npm packages of the
# UI and of the repository root (the Tauri CLI) and tauri-driver. Safe to run
# again; it does nothing when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev libdbus-1-dev
  xvfb xauth x11-utils xdotool imagemagick
  dbus dbus-x11 gnome-keyring libsecret-tools dunst
  webkit2gtk-driver chromium python3-dbus python3-gi
  desktop-file-utils lintian rpm help2man
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing. Install Rust from https://rustup.rs and run this again." >&2
  exit 1
fi

# tauri-driver 2.x drives the app's WebKitGTK window through WebDriver. The
# newest release on crates.io is a 3.0 prerelease, so the version is pinned.
if ! command -v tauri-driver >/dev/null || ! tauri-driver --help 2>&1 | grep -q .; then
  cargo install tauri-driver --version 2.1.0 --locked
fi

# The root package.json lists the Tauri CLI that make package runs, and the
# UI's lists Vite, Vitest and the other tools of the web UI.
for dir in . ui; do
  if [ -f "$dir/package-lock.json" ]; then
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund)
    fi
  fi
done
