#!/usr/bin/env bash
# Sizes of what ships: the release binary as built (the release profile
# strips debug info but keeps the symbol table), the same binary fully
# stripped, and the .deb and .rpm in target/packages/ if `make package` has
# built them.
#
#   scripts/bench/sizes.sh [--package]
#
# With --package it runs `make package` first, which rebuilds the binary
# with the tauri/custom-protocol feature into target/release/dealwatch.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --package ]; then
  make -C "$bench_root" package
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--package]" >&2
  exit 2
fi

bin=$(bench_bin)
stripped=$(mktemp /tmp/dwbench-stripped.XXXXXX)
trap 'rm -f "$stripped"' EXIT
strip -o "$stripped" "$bin"

mib() {
  awk -v bytes="$1" 'BEGIN { printf "%.1f MiB", bytes / 1048576 }'
}

echo "== sizes"
machine_info
size=$(stat -c %s "$bin")
echo "binary: $bin, $size bytes ($(mib "$size")), built $(date -u -r "$bin" '+%F %H:%M UTC'), as built (symbols kept)"
size=$(stat -c %s "$stripped")
echo "binary after strip: $size bytes ($(mib "$size"))"
found=0
for package in "$bench_root"/target/packages/*.deb "$bench_root"/target/packages/*.rpm; do
  [ -e "$package" ] || continue
  found=1
  size=$(stat -c %s "$package")
  echo "package: $(basename "$package"), $size bytes ($(mib "$size")), built $(date -u -r "$package" '+%F %H:%M UTC')"
done
[ "$found" = 1 ] || echo "package: none in target/packages/ (run make package, or this script with --package)"
