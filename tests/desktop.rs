//! The tray app in a private desktop session, with real components: gnome-keyring
//! as the Secret Service, dunst as the notification server, WebKitGTK for the
//! window (driven through tauri-driver), and the simulator over loopback.
//!
//! Every test here is ignored by a plain `cargo test`, because each needs the
//! session that `scripts/desktop-session.sh` sets up. `make test-desktop` runs
//! them inside it, one at a time, since they share one notification server.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dealwatch_sim::Simulator;
use serde_json::{json, Value};

use support::{
    free_port, run, simulator, wait_polling, wait_until, FakeTrayHost, Launch, Popups, BIN, PYTHON,
    TRAY_MENU,
};

const FIXTURE: &str = include_str!("fixtures/deal-updated.json");

fn fixture_item() -> String {
    let page: Value = serde_json::from_str(FIXTURE).unwrap();
    page["items"][0].to_string()
}

fn update(id: i64, name: &str, old_name: &str) -> (Value, Value) {
    (
        json!({"id": id, "name": name, "value": "10.00", "currency": "EUR", "owner_id": null}),
        json!({"name": old_name}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn popup_shows_documented_update() {
    let popups_seen = Popups::mark();
    let sim = simulator().await;
    let app = Launch::new(&sim).start();
    wait_polling(&sim, "deals").await;

    sim.push_raw("deals", &fixture_item());
    let popups = popups_seen.wait(1).await;
    assert_eq!(popups.len(), 1, "{popups:?}");
    assert_eq!(popups[0].app, "Dealwatch");
    assert_eq!(popups[0].summary, "Website Redesign — updated");
    assert!(
        popups[0]
            .body
            .starts_with("Value: 50.00 → 100.00 USD · Name: Website → Website Redesign"),
        "{:?}\n{}",
        popups[0].body,
        app.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn burst_becomes_one_summary() {
    let popups_seen = Popups::mark();
    let sim = simulator().await;
    let _app = Launch::new(&sim).start();
    wait_polling(&sim, "deals").await;

    for id in 1..=12 {
        let (data, previous) = update(id, &format!("Deal {id}"), "Old");
        sim.push_event("deals", "updated", data, Some(previous));
    }
    let popups = popups_seen.wait(1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let popups_later = popups_seen.now();
    assert_eq!(
        popups_later.len(),
        1,
        "one summary, not one pop-up per change: {popups_later:?}"
    );
    assert_eq!(popups[0].summary, "12 deal changes");
    assert_eq!(popups[0].body, "Deal 12, Deal 11 and 10 more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn markup_characters_read_exactly() {
    let popups_seen = Popups::mark();
    let sim = simulator().await;
    let _app = Launch::new(&sim).start();
    wait_polling(&sim, "deals").await;

    let name = "R&D <Ops> 🚀 \"Q4\" 'x'";
    let (data, previous) = update(5, name, "A & B <i>");
    sim.push_event("deals", "updated", data, Some(previous));
    let popups = popups_seen.wait(1).await;
    assert_eq!(popups[0].summary, format!("{name} — updated"));
    assert_eq!(popups[0].body, format!("Name: A & B <i> → {name}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn token_in_keyring_is_shared_and_never_written() {
    let token = format!("kr-{}-token", std::process::id());
    let sim = simulator().await;
    sim.set_token(&token);

    let mut set = Command::new(BIN)
        .args(["token", "set"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut set.stdin.take().unwrap(),
        format!("{token}\n").as_bytes(),
    )
    .unwrap();
    let set = set.wait_with_output().unwrap();
    assert!(
        set.status.success(),
        "token set: {}",
        String::from_utf8_lossy(&set.stderr)
    );

    let status = Command::new(BIN)
        .args(["token", "status"])
        .env_remove("DEALWATCH_TOKEN")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "another process reads the stored token"
    );
    assert!(String::from_utf8_lossy(&status.stdout).contains("A token is stored"));
    assert!(
        !String::from_utf8_lossy(&status.stdout).contains(&token),
        "status never prints the token"
    );

    let lookup = run(
        "secret-tool",
        &["lookup", "service", "dealwatch", "username", "default"],
    );
    assert_eq!(
        String::from_utf8_lossy(&lookup.stdout).trim(),
        token,
        "secret-tool finds the entry"
    );

    let popups_seen = Popups::mark();
    let mut app = Launch::new(&sim).token(None).start();
    wait_polling(&sim, "deals").await;
    sim.push_raw("deals", &fixture_item());
    let popups = popups_seen.wait(1).await;
    assert_eq!(
        popups[0].summary, "Website Redesign — updated",
        "the app polled with the keyring's token"
    );
    assert!(app.is_running());

    let log = app.log();
    for dir in [app.data_dir(), app.config_dir()] {
        assert_no_secret(&dir, &token);
    }
    assert!(!log.contains(&token), "the token is in the app's log");
    drop(app);

    let clear = run(BIN, &["token", "clear"]);
    assert!(clear.status.success());
    let status = Command::new(BIN)
        .args(["token", "status"])
        .env_remove("DEALWATCH_TOKEN")
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1), "no token after clear");
}

fn assert_no_secret(dir: &Path, secret: &str) {
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "the token was written to {}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn quit_from_tray_menu_exits_cleanly() {
    let sim = simulator().await;
    let mut app = Launch::new(&sim).start();
    wait_polling(&sim, "deals").await;

    let pid = app.pid().to_string();
    let listed = run(PYTHON, &[TRAY_MENU, &pid, "list"]);
    let menu = String::from_utf8_lossy(&listed.stdout).into_owned();
    for label in [
        "Open Dealwatch",
        "Pause notifications",
        "Check now",
        "Start at login",
        "Quit",
    ] {
        assert!(menu.contains(label), "menu has {label:?}: {menu}");
    }
    assert!(
        menu.contains("disabled\tConnected"),
        "a disabled status line: {menu}"
    );

    let clicked = run(PYTHON, &[TRAY_MENU, &pid, "click", "Quit"]);
    assert!(
        clicked.status.success(),
        "{}",
        String::from_utf8_lossy(&clicked.stderr)
    );
    assert_eq!(
        app.wait_exit(Duration::from_secs(10)),
        Some(0),
        "Quit ends the app with code 0"
    );
    assert!(app.log().contains("quit chosen from the tray menu"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn pause_from_tray_stops_popups_but_records() {
    let popups_seen = Popups::mark();
    let sim = simulator().await;
    let app = Launch::new(&sim).start();
    wait_polling(&sim, "deals").await;
    let pid = app.pid().to_string();
    assert!(
        run(PYTHON, &[TRAY_MENU, &pid, "click", "Pause notifications"])
            .status
            .success()
    );
    wait_until(Duration::from_secs(5), "the menu to offer Resume", || {
        let listed = run(PYTHON, &[TRAY_MENU, &pid, "list"]);
        String::from_utf8_lossy(&listed.stdout)
            .contains("Resume notifications")
            .then_some(())
    })
    .await;

    let (data, previous) = update(1, "Paused deal", "Old");
    sim.push_event("deals", "updated", data, Some(previous));
    wait_polling(&sim, "deals").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(popups_seen.now().is_empty(), "no pop-up while paused");

    assert!(
        run(PYTHON, &[TRAY_MENU, &pid, "click", "Resume notifications"])
            .status
            .success()
    );
    let (data, previous) = update(2, "Resumed deal", "Old");
    sim.push_event("deals", "updated", data, Some(previous));
    let popups = popups_seen.wait(1).await;
    assert_eq!(
        popups[0].summary, "Resumed deal — updated",
        "the paused change is not announced late"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn second_launch_shows_first_window() {
    let sim = simulator().await;
    // A stand-in tray host, so that --hidden really starts without a window.
    let watcher = FakeTrayHost::start().await;

    let mut first = Launch::new(&sim).arg("--hidden").start();
    wait_polling(&sim, "deals").await;
    assert!(
        visible_windows().is_empty(),
        "--hidden starts without a window"
    );

    let second = Command::new(BIN)
        .env("DEALWATCH_API_URL", sim.url())
        .env("DEALWATCH_TOKEN", sim.token())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0), "the second launch exits");
    let windows = wait_until(
        Duration::from_secs(10),
        "the first instance's window",
        || Some(visible_windows()).filter(|w| !w.is_empty()),
    )
    .await;
    assert_eq!(windows.len(), 1);
    assert!(first.is_running(), "the first instance keeps running");
    drop(watcher);
}

fn visible_windows() -> Vec<String> {
    let output = run(
        "xdotool",
        &["search", "--onlyvisible", "--name", "^Dealwatch$"],
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn disabled_dbus_does_not_panic() {
    let sim = simulator().await;
    let mut app = Launch::new(&sim)
        .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
        .start();
    wait_polling(&sim, "deals").await;
    sim.push_raw("deals", &fixture_item());
    wait_polling(&sim, "deals").await;
    assert!(
        app.is_running(),
        "the app runs without D-Bus: {}",
        app.log()
    );
    assert!(!app.log().contains("panicked"), "{}", app.log());
}

/// A WebDriver session on the real app window, through tauri-driver and
/// WebKitWebDriver. The app inherits tauri-driver's environment.
struct Driver {
    process: Child,
    http: reqwest::Client,
    base: String,
    session: String,
    dirs: tempfile::TempDir,
}

impl Driver {
    /// Starts tauri-driver, optionally inside a bare D-Bus session (no
    /// notification server, no Secret Service), and opens the app.
    async fn start(sim: &Simulator, bare_bus: bool) -> Driver {
        let port = free_port();
        let dirs = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dirs.path().join("config")).unwrap();
        std::fs::write(
            dirs.path().join("config/settings.json"),
            r#"{"pollIntervalSecs": 2}"#,
        )
        .unwrap();
        let log = std::fs::File::create(dirs.path().join("app.log")).unwrap();
        let driver = format!(
            "{}/.cargo/bin/tauri-driver",
            std::env::var("CARGO_HOME")
                .map(|h| h.trim_end_matches("/.cargo").to_owned())
                .unwrap_or_default()
        );
        let driver = if Path::new(&driver).exists() {
            driver
        } else {
            "tauri-driver".to_owned()
        };
        let mut command = if bare_bus {
            let mut command = Command::new("dbus-run-session");
            command.args([
                &format!(
                    "--config-file={}/../tests/desktop/bare-session.conf",
                    env!("CARGO_MANIFEST_DIR")
                ),
                "--",
                &driver,
            ]);
            command
        } else {
            Command::new(&driver)
        };
        // Its own process group, so that closing kills tauri-driver and the
        // app even when they run under dbus-run-session.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let process = command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &free_port().to_string(),
            ])
            .env("DEALWATCH_API_URL", sim.url())
            .env("DEALWATCH_TOKEN", sim.token())
            .env("DEALWATCH_DATA_DIR", dirs.path().join("data"))
            .env("DEALWATCH_CONFIG_DIR", dirs.path().join("config"))
            .env("DEALWATCH_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("tauri-driver starts (cargo install tauri-driver --version 2.1.0 --locked)");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "wry",
            "tauri:options": {"application": BIN}
        }}});
        let deadline = Instant::now() + Duration::from_secs(30);
        let session = loop {
            let response = http
                .post(format!("{base}/session"))
                .json(&capabilities)
                .send()
                .await;
            if let Ok(response) = response {
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if let Some(id) = body["value"]["sessionId"].as_str() {
                    break id.to_owned();
                }
            }
            assert!(
                Instant::now() < deadline,
                "no WebDriver session within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        Driver {
            process,
            http,
            base,
            session,
            dirs,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dirs.path().join("app.log")).unwrap_or_default()
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let response = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .await
            .expect("WebDriver answers");
        response
            .json::<Value>()
            .await
            .expect("WebDriver answers JSON")["value"]
            .clone()
    }

    async fn script(&self, source: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": source, "args": []}),
        )
        .await
    }

    async fn text(&self) -> String {
        self.script("return document.body ? document.body.innerText : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn wait_text(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the window never showed {needle:?}; it shows:\n{text}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        use base64::Engine as _;
        let data = self
            .command(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts/desktop");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), &png).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    }

    async fn close(self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send().await;
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        kill_group(&mut self.process);
    }
}

/// Ends a child started in its own process group, with everything it started.
fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn window_shows_change_with_old_and_new() {
    let sim = simulator().await;
    let driver = Driver::start(&sim, false).await;
    driver.wait_text("Connected").await;

    sim.push_raw("deals", &fixture_item());
    let text = driver.wait_text("Website Redesign").await;
    assert!(text.contains("50.00"), "old value shown: {text}");
    assert!(text.contains("100.00 USD"), "new value shown: {text}");
    let struck = driver
        .script(
            "return Array.from(document.querySelectorAll('del')).map(e => e.textContent).join('|')",
        )
        .await;
    assert!(
        struck.as_str().unwrap_or_default().contains("Website"),
        "old values are struck through: {struck}"
    );
    driver.screenshot("window.png").await;
    driver.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn without_notification_server_window_still_updates() {
    let sim = simulator().await;
    let driver = Driver::start(&sim, true).await;
    driver.wait_text("Connected").await;

    sim.push_raw("deals", &fixture_item());
    driver.wait_text("Website Redesign").await;
    let (data, previous) = update(7, "Second change", "Before");
    sim.push_event("deals", "updated", data, Some(previous));
    driver.wait_text("Second change").await;

    let log = driver.log();
    assert_eq!(
        log.matches("no notification server").count(),
        1,
        "one warning, not one per pop-up:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    driver.close().await;
}

/// A stand-in browser that writes the address it was given to a file.
/// `xdg-open` picks the handler of `x-scheme-handler/https` from
/// `mimeapps.list`, so the app gets its own XDG config and data homes that
/// name this script's desktop entry, and no real browser is ever started.
struct FakeBrowser {
    dir: tempfile::TempDir,
}

impl FakeBrowser {
    fn new() -> FakeBrowser {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("browser.sh");
        let opened = dir.path().join("opened.txt");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
                opened.display()
            ),
        )
        .unwrap();
        let mut permissions = std::fs::metadata(&script).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&script, permissions).unwrap();

        let applications = dir.path().join("data/applications");
        std::fs::create_dir_all(&applications).unwrap();
        std::fs::write(
            applications.join("fake-browser.desktop"),
            format!("[Desktop Entry]\nType=Application\nName=Fake browser\nExec={} %u\nMimeType=x-scheme-handler/https;x-scheme-handler/http;\n", script.display()),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/mimeapps.list"),
            "[Default Applications]\nx-scheme-handler/https=fake-browser.desktop\nx-scheme-handler/http=fake-browser.desktop\n",
        )
        .unwrap();
        FakeBrowser { dir }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "XDG_CONFIG_HOME",
                self.dir.path().join("config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME",
                self.dir.path().join("data").display().to_string(),
            ),
            (
                "XDG_DATA_DIRS",
                self.dir.path().join("data").display().to_string(),
            ),
            (
                "BROWSER",
                self.dir.path().join("browser.sh").display().to_string(),
            ),
        ]
    }

    fn opened(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("opened.txt"))
            .ok()
            .filter(|text| !text.is_empty())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn clicking_popups_opens_deal_or_window() {
    let sim = simulator().await;
    let browser = FakeBrowser::new();
    let watcher = FakeTrayHost::start().await;

    let popups_seen = Popups::mark();
    let mut launch = Launch::new(&sim).arg("--hidden");
    for (key, value) in browser.env() {
        launch = launch.env(key, value);
    }
    let app = launch.start();
    wait_polling(&sim, "deals").await;

    sim.push_raw("deals", &fixture_item());
    wait_until(Duration::from_secs(20), "a displayed pop-up", || {
        displayed_count().filter(|n| *n > 0)
    })
    .await;
    assert!(run("dunstctl", &["action", "0"]).status.success());
    let url = wait_until(Duration::from_secs(10), "the browser to be asked", || {
        browser.opened()
    })
    .await;
    assert_eq!(
        url.trim(),
        "https://app.futuresimple.com/sales/deals/39912342",
        "{}",
        app.log()
    );
    popups_seen.wait(1).await;
    assert!(
        visible_windows().is_empty(),
        "a single change opens Sell, not the window"
    );

    for id in 1..=5 {
        let (data, previous) = update(id, &format!("Burst {id}"), "Old");
        sim.push_event("deals", "updated", data, Some(previous));
    }
    wait_until(Duration::from_secs(20), "the summary pop-up", || {
        displayed_count().filter(|n| *n > 0)
    })
    .await;
    assert!(run("dunstctl", &["action", "0"]).status.success());
    wait_until(
        Duration::from_secs(10),
        "the window after clicking the summary",
        || Some(visible_windows()).filter(|w| !w.is_empty()),
    )
    .await;
    drop(watcher);
}

fn displayed_count() -> Option<u32> {
    String::from_utf8(run("dunstctl", &["count", "displayed"]).stdout)
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn popups_resume_when_server_appears() {
    let sim = simulator().await;
    let dirs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dirs.path().join("config")).unwrap();
    std::fs::write(
        dirs.path().join("config/settings.json"),
        r#"{"pollIntervalSecs": 2}"#,
    )
    .unwrap();
    let address_file = dirs.path().join("bus-address");
    let log = std::fs::File::create(dirs.path().join("app.log")).unwrap();
    // The app runs on a bus of its own with no notification server.
    let mut app = Command::new("dbus-run-session");
    std::os::unix::process::CommandExt::process_group(&mut app, 0);
    let mut app = app
        .args([
            &format!(
                "--config-file={}/../tests/desktop/bare-session.conf",
                env!("CARGO_MANIFEST_DIR")
            ),
            "--",
            "sh",
            "-c",
            &format!(
                "echo \"$DBUS_SESSION_BUS_ADDRESS\" > '{}'; exec '{BIN}'",
                address_file.display()
            ),
        ])
        .env("DEALWATCH_API_URL", sim.url())
        .env("DEALWATCH_TOKEN", sim.token())
        .env("DEALWATCH_DATA_DIR", dirs.path().join("data"))
        .env("DEALWATCH_CONFIG_DIR", dirs.path().join("config"))
        .env("DEALWATCH_LOG", "info")
        .stderr(log)
        .spawn()
        .unwrap();
    let address = wait_until(Duration::from_secs(10), "the bare bus address", || {
        std::fs::read_to_string(&address_file)
            .ok()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
    })
    .await;
    wait_polling(&sim, "deals").await;
    let (data, previous) = update(1, "Unseen deal", "Old");
    sim.push_event("deals", "updated", data, Some(previous));
    wait_polling(&sim, "deals").await;
    let app_log = || std::fs::read_to_string(dirs.path().join("app.log")).unwrap_or_default();
    wait_until(
        Duration::from_secs(10),
        "the missing-server warning",
        || app_log().contains("no notification server").then_some(()),
    )
    .await;

    let mut dunst = Command::new("dunst")
        .args(["-config", "/dev/null"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dunstctl = |args: &[&str]| {
        Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .output()
            .unwrap()
    };
    wait_until(Duration::from_secs(10), "dunst on the bare bus", || {
        dunstctl(&["count", "displayed"])
            .status
            .success()
            .then_some(())
    })
    .await;

    let (data, previous) = update(2, "Seen deal", "Old");
    sim.push_event("deals", "updated", data, Some(previous));
    let summary = wait_until(
        Duration::from_secs(20),
        "a pop-up once a server runs",
        || {
            dunstctl(&["close-all"]);
            let history: Value = serde_json::from_slice(&dunstctl(&["history"]).stdout).ok()?;
            history["data"][0].as_array()?.first()?["summary"]["data"]
                .as_str()
                .map(str::to_owned)
        },
    )
    .await;
    assert_eq!(summary, "Seen deal — updated", "{}", app_log());
    assert!(app_log().contains("available again"), "{}", app_log());
    let _ = dunst.kill();
    let _ = dunst.wait();
    kill_group(&mut app);
}

const CLOSE_WINDOW: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../scripts/bench/close-window.py"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make test-desktop"]
async fn closed_window_ends_network_process_and_reopens() {
    let sim = simulator().await;
    let mut app = Launch::new(&sim).start();
    let windows = wait_until(Duration::from_secs(30), "the window", || {
        Some(visible_windows()).filter(|w| !w.is_empty())
    })
    .await;
    let first = wait_until(Duration::from_secs(30), "WebKit's network process", || {
        network_processes(app.pid()).first().copied()
    })
    .await;

    for window in &windows {
        let closed = run(PYTHON, &[CLOSE_WINDOW, window]);
        assert!(closed.status.success(), "{closed:?}");
    }
    wait_until(Duration::from_secs(10), "the window to close", || {
        visible_windows().is_empty().then_some(())
    })
    .await;
    wait_until(
        Duration::from_secs(10),
        "the network process to end",
        || network_processes(app.pid()).is_empty().then_some(()),
    )
    .await;
    assert!(app.is_running(), "the app stays in the tray: {}", app.log());

    let pid = app.pid().to_string();
    let clicked = run(PYTHON, &[TRAY_MENU, &pid, "click", "Open Dealwatch"]);
    assert!(clicked.status.success(), "{clicked:?}");
    wait_until(Duration::from_secs(30), "the window to open again", || {
        Some(visible_windows()).filter(|w| !w.is_empty())
    })
    .await;
    let second = wait_until(Duration::from_secs(30), "a new network process", || {
        network_processes(app.pid()).first().copied()
    })
    .await;
    assert_ne!(first, second, "WebKit started a new network process");
    assert!(app.is_running(), "{}", app.log());
}

/// Lists the WebKitNetworkProcess children of `parent` (Linux cuts the
/// process name to 15 bytes).
fn network_processes(parent: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 1..].split_whitespace().nth(1);
        if &stat[open + 1..close] == "WebKitNetworkPr" && ppid == Some(parent.to_string().as_str())
        {
            found.push(pid);
        }
    }
    found
}
