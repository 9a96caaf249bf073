# Dealwatch: build, demo, test and package.
#
#   make demo           build and run the app on the simulator's demo activity
#   make test           every test: Rust, UI (Vitest and Chromium), desktop (Xvfb)
#   make package        build the .deb and .rpm into target/packages/
#   make package-test   build the .deb, then install, run and remove it (root)
#   make bench          the quick benchmarks on a release build (docs/BENCHMARKS.md)
#
# All of them install missing system and npm packages first (scripts/setup.sh).

CARGO ?= cargo
BIN := target/debug/dealwatch
# Debug builds without debug info: half the disk, and faster to link.
export CARGO_PROFILE_DEV_DEBUG ?= 0

.PHONY: all setup ui build demo test test-rust test-ui test-desktop reliability package package-test soak bench fmt lint clean

all: build

setup:
	@scripts/setup.sh

ui: setup
	cd ui && npm run build

build: ui
	$(CARGO) build -p dealwatch

# Runs the tray app on the in-process simulator. Without a display (over
# SSH, in a container) it falls back to the terminal view.
demo: build
	@if [ -n "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		$(BIN) --demo; \
	else \
		echo "No display found: showing the demo in the terminal (dealwatch tail --demo)."; \
		$(BIN) tail --demo; \
	fi

test: test-rust test-ui test-desktop reliability

test-rust: ui
	$(CARGO) test --workspace

test-ui: ui
	cd ui && npm test

# Tests that need a desktop: a private Xvfb display, D-Bus session,
# gnome-keyring and dunst (scripts/desktop-session.sh).
test-desktop: build
	$(CARGO) build -p dealwatch --tests
	scripts/desktop-session.sh $(CARGO) test -p dealwatch --test desktop -- --ignored --test-threads=1

# The app under crashes, network loss, sleep, hostile environments, and
# where its token may end up, in the same private desktop session. About
# three minutes.
reliability: build
	$(CARGO) build -p dealwatch --tests
	scripts/desktop-session.sh $(CARGO) test -p dealwatch --test reliability -- --ignored --test-threads=1 --skip soak_

# 200,000 changes through the running app, checking that its memory and
# open files level off and that every change is stored. About five minutes.
soak: build
	$(CARGO) build -p dealwatch --tests
	scripts/desktop-session.sh $(CARGO) test -p dealwatch --test reliability -- --ignored --test-threads=1 --nocapture soak_

# A release build through the Tauri CLI, then the .deb and the .rpm.
package: ui
	scripts/package.sh

# Builds the .deb itself (make package), installs it system-wide with
# apt-get and removes it at the end, so it needs root or sudo.
package-test:
	scripts/package-test.sh

# The quick benchmarks on a release build: catch-up, start-up, latency and
# sizes, about five minutes after the build. The 10-minute idle runs are
# manual: scripts/bench/idle.sh --window closed|reopened|open (--minutes N
# for a shorter run). docs/BENCHMARKS.md has the figures and the machine.
bench: ui
	$(CARGO) build --release -p dealwatch
	scripts/bench/catch-up.sh
	scripts/bench/startup.sh
	scripts/bench/latency.sh
	scripts/bench/sizes.sh

fmt:
	$(CARGO) fmt --all
	cd ui && npm run format

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf ui/dist artifacts
