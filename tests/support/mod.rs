//! Helpers for tests that run the real tray app in the private desktop
//! session of `scripts/desktop-session.sh`. They start and stop the app with
//! its own directories, read dunst's pop-up history, stand in for a tray
//! host, run a private D-Bus bus, and read the app's process tree, memory
//! and files.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use dealwatch_sim::{SimConfig, Simulator};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_dealwatch");
/// Debian's Python, which has the `dbus` module (python3-dbus).
pub const PYTHON: &str = "/usr/bin/python3";
pub const TRAY_MENU: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/tray-menu.py");
/// A D-Bus bus configuration with no activatable services.
pub const BARE_BUS_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/desktop/bare-session.conf"
);

pub async fn simulator() -> Simulator {
    Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("{program} runs: {err}"))
}

/// Polls `check` until it returns `Some`, for at most `timeout`.
pub async fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the app has sent two more requests to the stream, so it is
/// past any poll that was running when the wait began.
pub async fn wait_polling(sim: &Simulator, stream: &str) {
    let start = sim.stats(stream).requests;
    wait_until(Duration::from_secs(30), "the app to poll", || {
        (sim.stats(stream).requests >= start + 2).then_some(())
    })
    .await;
}

/// A running app with its data, config and log files under one directory.
pub struct App {
    child: Child,
    root: PathBuf,
    /// The temporary directory at `root` when the launch named none; it is
    /// removed with the app.
    _temp: Option<tempfile::TempDir>,
}

impl App {
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }

    /// Returns everything the app wrote to stderr, over every start in this
    /// directory.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("app.log")).unwrap_or_default()
    }

    /// Returns the id of the process started, which is the app itself or
    /// the `dbus-run-session` around it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Sends SIGKILL to the process and everything it started, as a crash or
    /// a power cut would end them, and reaps it.
    pub fn kill(&mut self) {
        stop_child(&mut self.child);
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How an app is started. By default it gets the simulator's token through
/// `DEALWATCH_TOKEN`, a 2-second poll interval and a new temporary directory.
pub struct Launch<'a> {
    sim: &'a Simulator,
    token: Option<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    settings: String,
    root: Option<PathBuf>,
    bare_bus: bool,
}

impl<'a> Launch<'a> {
    pub fn new(sim: &'a Simulator) -> Launch<'a> {
        Launch {
            sim,
            token: Some(sim.token()),
            args: Vec::new(),
            env: Vec::new(),
            settings: r#"{"pollIntervalSecs": 2}"#.to_owned(),
            root: None,
            bare_bus: false,
        }
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// Sets `DEALWATCH_TOKEN` to `token`, or leaves it unset for `None`, so
    /// that the app reads the keyring.
    pub fn token(mut self, token: Option<&str>) -> Self {
        self.token = token.map(str::to_owned);
        self
    }

    /// Sets the text of `settings.json`.
    pub fn settings(mut self, json: &str) -> Self {
        json.clone_into(&mut self.settings);
        self
    }

    /// Uses `root` for the data, config and log files, so that a restart
    /// finds what the previous run left. The caller keeps the directory.
    pub fn in_dir(mut self, root: &Path) -> Self {
        self.root = Some(root.to_owned());
        self
    }

    /// Runs the app on a D-Bus session bus of its own with no services: no
    /// notification server and no Secret Service.
    pub fn bare_bus(mut self) -> Self {
        self.bare_bus = true;
        self
    }

    pub fn start(self) -> App {
        let (root, temp) = match self.root {
            Some(root) => (root, None),
            None => {
                let temp = tempfile::tempdir().unwrap();
                (temp.path().to_owned(), Some(temp))
            }
        };
        std::fs::create_dir_all(root.join("config")).unwrap();
        std::fs::write(root.join("config/settings.json"), &self.settings).unwrap();
        let log = append(&root.join("app.log"));
        let out = append(&root.join("app.out"));

        let mut command = if self.bare_bus {
            let mut command = Command::new("dbus-run-session");
            command.args([&format!("--config-file={BARE_BUS_CONFIG}"), "--", BIN]);
            command
        } else {
            Command::new(BIN)
        };
        command
            .args(&self.args)
            .env("DEALWATCH_API_URL", self.sim.url())
            .env("DEALWATCH_DATA_DIR", root.join("data"))
            .env("DEALWATCH_CONFIG_DIR", root.join("config"))
            .env("DEALWATCH_LOG", "info")
            .env_remove("DEALWATCH_TOKEN")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log);
        if let Some(token) = &self.token {
            command.env("DEALWATCH_TOKEN", token);
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        App {
            child: command.spawn().expect("the app starts"),
            root,
            _temp: temp,
        }
    }
}

fn append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|err| panic!("open {}: {err}", path.display()))
}

/// A pop-up as dunst recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Popup {
    pub id: i64,
    pub app: String,
    pub summary: String,
    pub body: String,
}

/// Returns the pop-ups in dunst's history, oldest first. dunst lists a
/// pop-up in its history only once it is closed, so all are closed first.
/// It keeps only the last 20 (its default `history_length`).
pub fn dunst_history() -> Vec<Popup> {
    run("dunstctl", &["close-all"]);
    let output = run("dunstctl", &["history"]);
    let history: Value = serde_json::from_slice(&output.stdout).expect("dunstctl history is JSON");
    let mut popups: Vec<Popup> = history["data"][0]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|n| Popup {
            id: n["id"]["data"].as_i64().unwrap_or_default(),
            app: n["appname"]["data"].as_str().unwrap_or_default().to_owned(),
            summary: n["summary"]["data"].as_str().unwrap_or_default().to_owned(),
            body: n["body"]["data"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    popups.sort_by_key(|p| p.id);
    popups
}

/// Pop-ups since a mark, so tests sharing one dunst see only their own.
pub struct Popups {
    after: i64,
}

impl Popups {
    pub fn mark() -> Popups {
        Popups {
            after: dunst_history().last().map(|p| p.id).unwrap_or(0),
        }
    }

    pub fn now(&self) -> Vec<Popup> {
        dunst_history()
            .into_iter()
            .filter(|p| p.id > self.after)
            .collect()
    }

    pub async fn wait(&self, count: usize) -> Vec<Popup> {
        wait_until(
            Duration::from_secs(20),
            &format!("{count} pop-up(s)"),
            || {
                let seen = self.now();
                (seen.len() >= count).then_some(seen)
            },
        )
        .await
    }
}

/// A process that owns `org.kde.StatusNotifierWatcher` on the session bus,
/// so the app believes a tray host exists and `--hidden` opens no window.
/// Killed when dropped.
pub struct FakeTrayHost(Child);

impl FakeTrayHost {
    pub async fn start() -> FakeTrayHost {
        let child = Command::new(PYTHON)
            .args([
                "-c",
                "import dbus, time; b = dbus.SessionBus(); \
                 b.request_name('org.kde.StatusNotifierWatcher'); print('ready', flush=True); \
                 time.sleep(3600)",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut host = FakeTrayHost(child);
        let ready = read_line(host.0.stdout.as_mut().unwrap());
        assert_eq!(
            ready.trim(),
            "ready",
            "the stand-in tray host owns its name"
        );
        host
    }
}

impl Drop for FakeTrayHost {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read_line(stream: &mut impl std::io::Read) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while let Ok(1) = stream.read(&mut byte) {
        if byte[0] == b'\n' {
            break;
        }
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// A private D-Bus bus daemon with no activatable services, such as a
/// stand-in system bus. Killed when dropped.
pub struct PrivateBus {
    daemon: Child,
    pub address: String,
}

impl PrivateBus {
    pub fn start() -> PrivateBus {
        let mut daemon = Command::new("dbus-daemon")
            .args([
                &format!("--config-file={BARE_BUS_CONFIG}"),
                "--nofork",
                "--print-address",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let address = read_line(daemon.stdout.as_mut().unwrap());
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed its address: {address:?}"
        );
        PrivateBus { daemon, address }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Reads the parent of every process from `/proc/PID/stat`.
fn parents() -> HashMap<u32, u32> {
    let mut parents = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return parents;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name in brackets may contain spaces and brackets,
        // so the fields are counted from the last closing bracket.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.insert(pid, ppid);
        }
    }
    parents
}

/// Returns the process and all its descendants, the process first.
pub fn process_tree(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut tree = vec![root];
    let mut index = 0;
    while index < tree.len() {
        let parent = tree[index];
        let mut children: Vec<u32> = parents
            .iter()
            .filter(|(_, ppid)| **ppid == parent)
            .map(|(pid, _)| *pid)
            .collect();
        children.sort_unstable();
        tree.extend(children);
        index += 1;
    }
    tree
}

/// Sends SIGKILL to the descendants of `root`, deepest first, but not to
/// `root` itself.
pub fn kill_tree(root: u32) {
    let tree = process_tree(root);
    let descendants: Vec<String> = tree[1..].iter().rev().map(u32::to_string).collect();
    if !descendants.is_empty() {
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(&descendants)
            .stderr(Stdio::null())
            .status();
    }
}

/// Kills a child and its descendants with SIGKILL and reaps it. A child
/// that has already been reaped is left alone, because its process id may
/// belong to another process by now.
pub fn stop_child(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        kill_tree(child.id());
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// Returns the resident memory of a process in KiB (`VmRSS`), or 0 once it
/// is gone.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Counts the open file descriptors of a process, which is 0 once it is gone.
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| entries.count())
        .unwrap_or(0)
}

/// Opens a copy of the app's database, with its write-ahead log, so that
/// reading it neither disturbs the app nor checkpoints its log.
pub fn database_copy(data_dir: &Path) -> (rusqlite::Connection, tempfile::TempDir) {
    let copy = tempfile::tempdir().unwrap();
    for name in ["dealwatch.db", "dealwatch.db-wal"] {
        let source = data_dir.join(name);
        if source.exists() {
            std::fs::copy(&source, copy.path().join(name)).unwrap();
        }
    }
    let connection = rusqlite::Connection::open(copy.path().join("dealwatch.db"))
        .expect("the copied database opens");
    (connection, copy)
}

/// Lists every regular file under `dir`, following no symbolic links.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            files.extend(files_under(&entry.path()));
        } else if kind.is_file() {
            files.push(entry.path());
        }
    }
    files
}

/// Returns whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// A WebDriver session on the real app window, through tauri-driver and
/// WebKitWebDriver. The app inherits tauri-driver's environment.
pub struct Driver {
    process: Child,
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Driver {
    /// Starts tauri-driver with `env` added to its environment, optionally
    /// on a bare D-Bus session bus, and opens the app. Both write their
    /// stderr to `log`.
    pub async fn start(env: &[(String, String)], bare_bus: bool, log: &Path) -> Driver {
        let port = free_port();
        let driver = std::env::var("CARGO_HOME")
            .map(|home| PathBuf::from(home).join("bin/tauri-driver"))
            .ok()
            .filter(|path| path.exists())
            .map(|path| path.display().to_string())
            .unwrap_or_else(|| "tauri-driver".to_owned());
        let mut command = if bare_bus {
            let mut command = Command::new("dbus-run-session");
            command.args([&format!("--config-file={BARE_BUS_CONFIG}"), "--", &driver]);
            command
        } else {
            Command::new(&driver)
        };
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &free_port().to_string(),
            ])
            .env_remove("DEALWATCH_TOKEN")
            .env("DEALWATCH_LOG", "info")
            .stdin(Stdio::null())
            .stdout(append(log))
            .stderr(append(log));
        for (key, value) in env {
            command.env(key, value);
        }
        let process = command
            .spawn()
            .expect("tauri-driver starts (cargo install tauri-driver --version 2.1.0 --locked)");

        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = serde_json::json!({"capabilities": {"alwaysMatch": {
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
        }
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

    pub async fn script(&self, source: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            serde_json::json!({"script": source, "args": []}),
        )
        .await
    }

    /// Calls a command of the app from the window, as its own code does,
    /// and returns the result, or `{"error": …}` when the call fails.
    pub async fn invoke(&self, command: &str) -> Value {
        let source = format!(
            "const done = arguments[arguments.length - 1];\
             window.__TAURI_INTERNALS__.invoke({command:?})\
               .then(done, (error) => done({{error: error}}));"
        );
        self.command(
            reqwest::Method::POST,
            "/execute/async",
            serde_json::json!({"script": source, "args": []}),
        )
        .await
    }

    pub async fn text(&self) -> String {
        self.script("return document.body ? document.body.innerText : ''")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the window's text contains `needle`, for at most 30 s.
    pub async fn wait_text(&self, needle: &str, log: &Path) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the window never showed {needle:?}; it shows:\n{text}\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Returns the WebDriver id of the first element matching `css`.
    pub async fn find(&self, css: &str) -> String {
        let found = self
            .command(
                reqwest::Method::POST,
                "/element",
                serde_json::json!({"using": "css selector", "value": css}),
            )
            .await;
        found
            .as_object()
            .and_then(|object| object.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element matches {css:?}: {found}"))
            .to_owned()
    }

    /// Types `text` into an element, as keystrokes.
    pub async fn type_text(&self, element: &str, text: &str) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            serde_json::json!({"text": text}),
        )
        .await;
    }

    pub async fn click(&self, element: &str) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            serde_json::json!({}),
        )
        .await;
    }

    /// Ends the session, which closes the app, then stops tauri-driver.
    pub async fn close(mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self.http.delete(url).send().await;
        self.stop();
    }

    fn stop(&mut self) {
        stop_child(&mut self.process);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
