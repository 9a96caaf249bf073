#!/usr/bin/env bash
# Builds Dealwatch's Linux packages, a .deb and an .rpm, with the Tauri CLI
# from the repository's package.json, and copies them to target/packages/.
# Run through `make package`, which installs the tools and builds the web UI
# first: the packages embed ui/dist as it is. Works offline.
#
#   scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

tauri=node_modules/.bin/tauri
if [ ! -x "$tauri" ]; then
  echo "package: $tauri is missing. Run scripts/setup.sh, which runs npm ci." >&2
  exit 1
fi
if [ ! -f ui/dist/index.html ]; then
  echo "package: ui/dist/index.html is missing. Build the web UI first (make ui)." >&2
  exit 1
fi

# The version has one source, [workspace.package] in Cargo.toml. tauri.conf.json
# has no version, so Tauri takes the crate's.
version=$(cargo metadata --no-deps --format-version 1 --offline |
  node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
           console.log(m.packages.find((p) => p.name === "dealwatch").version)')
maintainer=$(node -p 'require("./src-tauri/tauri.conf.json").bundle.publisher')
staging=$PWD/target/packaging
output=target/packages
binary=target/release/dealwatch
rm -rf "$staging"
mkdir -p "$staging" "$output"

# Dates in the changelog and the manual page come from the last commit, so
# two builds of one commit write the same files.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

echo "package: building dealwatch $version (release)"
# tauri build compiles with the tauri/custom-protocol feature, which marks a
# production build, while a plain cargo build --release makes a development
# build. Bundling waits until the binary is stripped.
"$tauri" build --ci --no-bundle

# Lintian reports a packaged binary with a symbol table as an error, and the
# release profile strips only debug info, so strip the symbols here.
strip --remove-section=.comment --remove-section=.note "$binary"

# A Debian native package carries a changelog in Debian's format.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cat >"$staging/changelog" <<EOF
dealwatch ($version) unstable; urgency=medium

  * Dealwatch $version, built from commit $commit. The project's git
    history lists the changes.

 -- $maintainer  $(date -R -u -d "@$SOURCE_DATE_EPOCH")
EOF
gzip -9n <"$staging/changelog" >"$staging/changelog.gz"

# The manual page is made from --help, so it cannot drift from the options.
cat >"$staging/see-also.h2m" <<'EOF'
[SEE ALSO]
Each command has options of its own: run
.B dealwatch
.I command
.BR \-\-help .
EOF
help2man --no-info --section=1 --name="pop up Zendesk Sell deal changes as they happen" \
  --include="$staging/see-also.h2m" --output="$staging/dealwatch.1" "$binary"
gzip -9n <"$staging/dealwatch.1" >"$staging/dealwatch.1.gz"

# Files made here are added to those tauri.conf.json lists. --config merges
# this object into the configuration.
cat >"$staging/tauri.packaging.json" <<EOF
{
  "bundle": {
    "linux": {
      "deb": {
        "files": {
          "/usr/share/doc/dealwatch/changelog.gz": "$staging/changelog.gz",
          "/usr/share/man/man1/dealwatch.1.gz": "$staging/dealwatch.1.gz"
        }
      },
      "rpm": {
        "files": {
          "/usr/share/man/man1/dealwatch.1.gz": "$staging/dealwatch.1.gz"
        }
      }
    }
  }
}
EOF
"$tauri" bundle --ci --bundles deb,rpm --config "$staging/tauri.packaging.json"

# Tauri names the files after the product name, Dealwatch. Debian and RPM
# name them after the package, dealwatch.
rm -f "$output"/dealwatch_*.deb "$output"/dealwatch-*.rpm
deb=$(ls target/release/bundle/deb/Dealwatch_"$version"_*.deb)
rpm=$(ls target/release/bundle/rpm/Dealwatch-"$version"-*.rpm)
cp "$deb" "$output/dealwatch${deb##*/Dealwatch}"
cp "$rpm" "$output/dealwatch${rpm##*/Dealwatch}"
echo "package: built"
ls -1 "$PWD/$output"/dealwatch_"$version"_*.deb "$PWD/$output"/dealwatch-"$version"-*.rpm
