//! Reliability of the tray app as a user runs it, in the private desktop
//! session of `scripts/desktop-session.sh`. The tests cover a long run under
//! load, `kill -9` during a catch-up, network loss, resume from sleep,
//! hostile environments, and every file the token could end up in.
//!
//! Every test is ignored by a plain `cargo test`. `make reliability` runs
//! all but the soak tests, and `make soak` runs those, one test at a time
//! because they share one notification server.

mod support;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dealwatch_sim::demo::DemoGenerator;
use dealwatch_sim::{Fault, Simulator, V2Collection};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use support::*;

/// Pushes generated deal events to the simulator at a steady rate from a
/// thread of its own, and records their event ids in order.
///
/// The generator keeps creating contacts, at a rate that grows with the
/// event rate, and each new one costs the app a name look-up out of its 10
/// requests per second. Deals here refer to the first hundred contacts
/// only, as in an account with a steady set of customers, and the contacts
/// the generator creates go to the simulator's Core API, so that look-ups
/// find them.
struct Pusher {
    thread: Option<std::thread::JoinHandle<()>>,
    ids: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Pusher {
    fn start(sim: &Simulator, total: usize, per_second: u32) -> Pusher {
        let ids = Arc::new(Mutex::new(Vec::with_capacity(total)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let sim = sim.clone();
            let ids = ids.clone();
            let stop = stop.clone();
            std::thread::spawn(move || push_steadily(&sim, total, per_second, &ids, &stop))
        };
        Pusher {
            thread: Some(thread),
            ids,
            stop,
        }
    }

    fn pushed(&self) -> usize {
        self.ids.lock().unwrap().len()
    }

    fn is_done(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }

    fn last_id(&self) -> Option<String> {
        self.ids.lock().unwrap().last().cloned()
    }
}

impl Drop for Pusher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn push_steadily(
    sim: &Simulator,
    total: usize,
    per_second: u32,
    ids: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) {
    let mut generator = DemoGenerator::new(0x50a4);
    let mut contacts = ContactSet::default();
    let started = Instant::now();
    let mut pushed = 0usize;
    while pushed < total && !stop.load(Ordering::SeqCst) {
        let due = (started.elapsed().as_secs_f64() * f64::from(per_second)) as usize;
        while pushed < due.min(total) {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let event = generator.next_event(now);
            let data: Value = serde_json::from_str(event.data.get()).unwrap();
            if event.stream == "contacts" {
                sim.put_v2_record(V2Collection::Contacts, data);
                continue;
            }
            if event.stream != "deals" {
                continue;
            }
            let mut data = data;
            let mut previous = event.previous.map(Value::Object);
            contacts.bound(&mut data);
            if let Some(previous) = &mut previous {
                contacts.bound(previous);
            }
            let id = sim.push_event("deals", event.event_type, data, previous);
            ids.lock().unwrap().push(id);
            pushed += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The contacts that pushed deals may refer to, which are the first ones seen.
#[derive(Default)]
struct ContactSet {
    ids: Vec<i64>,
}

impl ContactSet {
    const SIZE: usize = 100;

    /// Replaces contact and organization ids beyond the set with ids in it.
    fn bound(&mut self, record: &mut Value) {
        for field in ["contact_id", "organization_id"] {
            let Some(id) = record.get(field).and_then(Value::as_i64) else {
                continue;
            };
            if self.ids.contains(&id) {
                continue;
            }
            if self.ids.len() < Self::SIZE {
                self.ids.push(id);
            } else {
                record[field] = json!(self.ids[id.unsigned_abs() as usize % Self::SIZE]);
            }
        }
    }
}

/// Pushes `count` simple deal updates named `{prefix} {n}` and returns
/// their event ids. They need no name look-ups.
fn push_named(sim: &Simulator, prefix: &str, count: usize) -> Vec<String> {
    (1..=count)
        .map(|n| {
            let data = json!({"id": n, "name": format!("{prefix} {n}"), "value": "10.00", "currency": "EUR"});
            sim.push_event("deals", "updated", data, Some(json!({"value": "5.00"})))
        })
        .collect()
}

/// Opens the app's live database read-only, for progress checks while it runs.
fn live_database(data_dir: &Path) -> Option<rusqlite::Connection> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    rusqlite::Connection::open_with_flags(data_dir.join("dealwatch.db"), flags).ok()
}

fn newest_event_id(data_dir: &Path) -> Option<String> {
    live_database(data_dir)?
        .query_row(
            "SELECT event_id FROM events ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .ok()
}

fn unannounced_count(data_dir: &Path) -> Option<i64> {
    live_database(data_dir)?
        .query_row("SELECT count(*) FROM unannounced", [], |row| row.get(0))
        .ok()
}

fn stored_count(data_dir: &Path) -> Option<i64> {
    live_database(data_dir)?
        .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        .ok()
}

/// Returns the number of rows ever inserted into `events`, read from its
/// AUTOINCREMENT counter, which a rolled-back transaction does not advance.
fn inserted_ever(db: &rusqlite::Connection) -> i64 {
    db.query_row(
        "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
        [],
        |row| row.get(0),
    )
    .unwrap_or(0)
}

fn stored_event_ids(db: &rusqlite::Connection) -> Vec<String> {
    let mut statement = db
        .prepare("SELECT event_id FROM events ORDER BY id")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Counts the lines of the app log that report a stream state change to `state`.
fn state_changes(log: &str, state: &str) -> usize {
    let field = format!("state=\"{state}\"");
    let plain = format!("state={state}");
    log.lines()
        .filter(|line| line.contains("stream state changed"))
        .filter(|line| {
            let line = strip_ansi(line);
            line.contains(&field) || line.split_whitespace().any(|word| word == plain)
        })
        .count()
}

/// Removes the colour codes that tracing writes even to a file.
fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// One reading of the app's process tree.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    rss_kib: u64,
    fds: usize,
    processes: usize,
}

fn sample(pid: u32, at: Duration) -> Sample {
    let tree = process_tree(pid);
    Sample {
        at,
        rss_kib: tree.iter().map(|pid| rss_kib(*pid)).sum(),
        fds: tree.iter().map(|pid| open_fds(*pid)).sum(),
        processes: tree.len(),
    }
}

/// Returns the highest value of `measure` over the samples in quarter
/// `quarter` (0 to 3) of the run.
fn quarter_max<T: Ord + Copy>(samples: &[Sample], quarter: usize, measure: fn(&Sample) -> T) -> T {
    let length = samples.len();
    samples[quarter * length / 4..(quarter + 1) * length / 4]
        .iter()
        .map(measure)
        .max()
        .expect("every quarter has samples")
}

// Soak -----------------------------------------------------------------------

/// Events pushed in a soak run: the first 110,000 with the app in the tray
/// only, the other 90,000 with its window open.
const SOAK_EVENTS: usize = 200_000;
const SOAK_EVENTS_TRAY_ONLY: usize = 110_000;
/// Events per second pushed in a soak run. That is far more than the
/// "fewer than about 10 changes per second" Sell documents per account. It
/// stays within what the app fetches under its limit of 10 requests per
/// second (100 events each), with room for name look-ups and the poll at
/// the newest end.
const SOAK_RATE: u32 = 750;
/// How much higher the resident memory may peak in the last quarter of a
/// phase than in its second quarter. Memory grows at first (SQLite's page
/// cache, the name cache, allocator arenas, WebKit's caches) and then stays
/// flat. Measured with a debug build on 2 cores: under 1% in the tray-only
/// phase (about 420 MB) and about 2% with the window open (about 830 MB,
/// with WebKit's garbage collection swinging it by a few percent). A leak
/// of 400 bytes per event adds 22 MB between those quarters of the
/// tray-only phase (55,000 events), which exceeds its bound. A window that
/// kept every live row grew by 13%.
const SOAK_MAX_RSS_GROWTH_TRAY_ONLY: f64 = 0.05;
const SOAK_MAX_RSS_GROWTH_WINDOW: f64 = 0.08;
/// How many more file descriptors the last quarter may hold than the
/// second. A pooled connection or a pop-up's D-Bus connection may come and
/// go, but one leaked per poll adds dozens.
const SOAK_MAX_FD_GROWTH: usize = 8;

/// Samples the app's process tree each second until `until` returns true.
async fn sample_until(
    sim: &Simulator,
    app: &App,
    pusher: &Pusher,
    started: Instant,
    mut until: impl FnMut(&Pusher) -> bool,
) -> Vec<Sample> {
    let mut samples = Vec::new();
    // Pushing takes SOAK_EVENTS / SOAK_RATE seconds, and the rest is slack.
    let deadline = started + Duration::from_secs(SOAK_EVENTS as u64 / u64::from(SOAK_RATE) + 90);
    while !until(pusher) {
        let reading = sample(app.pid(), started.elapsed());
        samples.push(reading);
        if samples.len() % 10 == 1 {
            let stored = live_database(&app.data_dir())
                .map(|db| inserted_ever(&db))
                .unwrap_or(0);
            println!(
                "{:>4}s: {:>6} events pushed, {:>6} stored, {:>7} KiB resident, \
                 {:>3} files open, {} processes, {} stream requests",
                reading.at.as_secs(),
                pusher.pushed(),
                stored,
                reading.rss_kib,
                reading.fds,
                reading.processes,
                sim.stats("deals").requests,
            );
        }
        assert!(
            Instant::now() < deadline,
            "the soak ran out of time: {} events pushed, newest stored {:?}\n{}",
            pusher.pushed(),
            newest_event_id(&app.data_dir()),
            tail(&app.log(), 40)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    samples
}

fn assert_levels_off(phase: &str, samples: &[Sample], max_rss_growth: f64, log: &str) {
    assert!(
        samples.len() >= 16,
        "{phase}: too few samples: {}",
        samples.len()
    );
    let rss_second = quarter_max(samples, 1, |s| s.rss_kib);
    let rss_last = quarter_max(samples, 3, |s| s.rss_kib);
    let fds_second = quarter_max(samples, 1, |s| s.fds);
    let fds_last = quarter_max(samples, 3, |s| s.fds);
    println!(
        "{phase}: resident memory peaks at {rss_second} KiB in the second quarter and \
         {rss_last} KiB in the last; open files at {fds_second} and {fds_last}"
    );
    assert!(
        rss_last as f64 <= rss_second as f64 * (1.0 + max_rss_growth),
        "{phase}: resident memory kept growing: {rss_second} KiB → {rss_last} KiB\n{}",
        tail(log, 20)
    );
    assert!(
        fds_last <= fds_second + SOAK_MAX_FD_GROWTH,
        "{phase}: open files kept growing: {fds_second} → {fds_last}"
    );
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make soak"]
async fn soak_tray_then_window() {
    let sim = simulator().await;
    let _tray = FakeTrayHost::start().await;
    let app = Launch::new(&sim).arg("--hidden").start();
    wait_polling(&sim, "deals").await;

    let started = Instant::now();
    let pusher = Pusher::start(&sim, SOAK_EVENTS, SOAK_RATE);
    let tray_only = sample_until(&sim, &app, &pusher, started, |pusher| {
        pusher.pushed() >= SOAK_EVENTS_TRAY_ONLY
    })
    .await;

    let pid = app.pid().to_string();
    let opened = run(PYTHON, &[TRAY_MENU, &pid, "click", "Open Dealwatch"]);
    assert!(opened.status.success(), "{opened:?}");
    let with_window = sample_until(&sim, &app, &pusher, started, Pusher::is_done).await;

    let caught_up = wait_until(Duration::from_secs(90), "the app to catch up", || {
        (newest_event_id(&app.data_dir()) == pusher.last_id()).then_some(started.elapsed())
    })
    .await;
    wait_until(
        Duration::from_secs(30),
        "every change to be announced",
        || (unannounced_count(&app.data_dir()) == Some(0)).then_some(()),
    )
    .await;
    println!("stored the last change {caught_up:?} after the first was pushed");

    let log = app.log();
    assert_levels_off("tray only", &tray_only, SOAK_MAX_RSS_GROWTH_TRAY_ONLY, &log);
    assert_levels_off(
        "window open",
        &with_window,
        SOAK_MAX_RSS_GROWTH_WINDOW,
        &log,
    );
    assert!(
        tray_only.iter().all(|s| s.processes == 1),
        "no window process ran while the app was in the tray"
    );
    assert!(
        with_window.last().is_some_and(|s| s.processes > 1),
        "the window's WebKit processes ran"
    );

    let (db, _copy) = database_copy(&app.data_dir());
    let stored = stored_event_ids(&db);
    let pushed = pusher.ids();
    assert_eq!(
        stored.len(),
        dealwatch_core::store::DEFAULT_EVENT_CAP,
        "the store keeps exactly its cap"
    );
    assert_eq!(
        inserted_ever(&db),
        SOAK_EVENTS as i64,
        "every event was stored once"
    );
    assert!(
        stored[..] == pushed[pushed.len() - stored.len()..],
        "the store holds the newest events in the order they were pushed"
    );
    assert!(!log.contains("panicked"), "{log}");
}

// Announcements under load ------------------------------------------------------

/// Name look-ups that fail are paced, at 5 per second, and a poll looks up
/// at most 10 unknown contacts. Changes that arrive faster than that, each
/// naming a contact the token cannot see, must still be announced soon
/// after they are stored, not queue up in memory behind the look-ups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn announcements_keep_up_with_failing_lookups() {
    const EVENTS: i64 = 6_000;
    let sim = simulator().await;
    let _tray = FakeTrayHost::start().await;
    let app = Launch::new(&sim).arg("--hidden").start();
    wait_polling(&sim, "deals").await;

    // 1,000 changes per second for 6 seconds.
    let mut last = String::new();
    for n in 1..=EVENTS {
        let data =
            json!({"id": n, "name": format!("Imported deal {n}"), "contact_id": 900_000 + n});
        last = sim.push_event("deals", "created", data, None);
        if n % 100 == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    wait_until(Duration::from_secs(60), "every change to be stored", || {
        (newest_event_id(&app.data_dir()).as_ref() == Some(&last)).then_some(())
    })
    .await;
    let stored_at = Instant::now();
    wait_until(
        Duration::from_secs(15),
        "every stored change to be announced",
        || (unannounced_count(&app.data_dir()) == Some(0)).then_some(()),
    )
    .await;
    println!("announced {:?} after storing", stored_at.elapsed());
    assert!(
        sim.v2_requests() > 10,
        "the contacts were looked up: {} requests",
        sim.v2_requests()
    );
}

// Crash consistency -------------------------------------------------------------

/// Events in the backlog of the crash test: well inside the store's cap, so
/// that every one of them stays in the history.
const BACKLOG: usize = 8_000;

/// Parses the count in a summary title such as "8000 deal changes".
fn summary_count(summary: &str) -> Option<usize> {
    let (count, rest) = summary.split_once(' ')?;
    rest.ends_with("changes")
        .then(|| count.parse().ok())
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn kill_during_catch_up_loses_and_repeats_nothing() {
    let seed: u64 = std::env::var("DEALWATCH_TEST_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    println!("random kill points from DEALWATCH_TEST_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let sim = simulator().await;
    let _tray = FakeTrayHost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let launch = || Launch::new(&sim).arg("--hidden").in_dir(dir.path()).start();
    let popups = Popups::mark();

    // A first run starts at the newest end and saves that position.
    let mut app = launch();
    wait_polling(&sim, "deals").await;
    app.kill();

    let backlog = push_named(&sim, "Backlog deal", BACKLOG);
    let mut kills = 0;
    for round in 0..6 {
        let requests_before = sim.stats("deals").requests;
        let mut app = launch();
        if round == 0 {
            // Killed while starting, before or during its first request.
            let delay = rng.gen_range(100..700);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        } else {
            // Killed after a random number of pages, at a random moment
            // of the fetch, commit, window update or announcement.
            let pages = rng.gen_range(1..=10);
            wait_until(Duration::from_secs(30), "pages to be requested", || {
                (sim.stats("deals").requests >= requests_before + pages).then_some(())
            })
            .await;
            let delay = rng.gen_range(0..40);
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        app.kill();
        kills += 1;
    }
    let stored_during_kills = stored_count(&dir.path().join("data")).unwrap_or(0);
    println!("{kills} kills; {stored_during_kills} of {BACKLOG} events stored before the last run");
    assert!(
        (stored_during_kills as usize) < BACKLOG,
        "the kills fell during the catch-up"
    );

    let app = launch();
    wait_until(Duration::from_secs(60), "the catch-up to finish", || {
        (newest_event_id(&app.data_dir()).as_ref() == backlog.last()
            && unannounced_count(&app.data_dir()) == Some(0))
        .then_some(())
    })
    .await;

    let (db, _copy) = database_copy(&app.data_dir());
    assert_eq!(
        stored_event_ids(&db),
        backlog,
        "every event is stored once, in order"
    );
    assert_eq!(
        inserted_ever(&db),
        BACKLOG as i64,
        "no event was stored, dropped and stored again"
    );

    // Only a run that reaches the newest end announces, with one summary
    // for its whole backlog. The summaries' counts therefore add up to at
    // most the backlog, and an event counted twice would exceed it. Events
    // are marked announced before their pop-up goes out, so the pop-up may
    // still be on its way.
    popups.wait(1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen = popups.now();
    println!("pop-ups after the catch-up: {seen:?}");
    let counted: usize = seen.iter().filter_map(|p| summary_count(&p.summary)).sum();
    assert!(
        counted <= BACKLOG,
        "summaries count {counted} changes for {BACKLOG} events: {seen:?}"
    );
    assert!(counted > 0, "the backlog was announced: {seen:?}");
    assert_no_repeats(&seen);
    drop(app);

    // After the catch-up, each change gets a pop-up of its own. The app is
    // killed at a random moment after each change is stored, and none of
    // the pop-ups may show again after the restart.
    let popups = Popups::mark();
    let mut changes = Vec::new();
    for round in 1..=4 {
        let app = launch();
        wait_polling(&sim, "deals").await;
        let name = format!("Single deal {round}");
        let data = json!({"id": 100_000 + round, "name": name, "value": "1.00", "currency": "EUR"});
        let event_id = sim.push_event("deals", "updated", data, Some(json!({"value": "2.00"})));
        wait_until(Duration::from_secs(20), "the change to be stored", || {
            (newest_event_id(&app.data_dir()).as_ref() == Some(&event_id)).then_some(())
        })
        .await;
        let delay = rng.gen_range(0..300);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        drop(app);
        changes.push(name);
    }
    let app = launch();
    wait_until(
        Duration::from_secs(30),
        "every change to be announced",
        || (unannounced_count(&app.data_dir()) == Some(0)).then_some(()),
    )
    .await;
    wait_polling(&sim, "deals").await;

    let seen = popups.now();
    println!("pop-ups of single changes: {seen:?}");
    for name in &changes {
        let shown = seen
            .iter()
            .filter(|p| p.summary == format!("{name} — updated"))
            .count();
        assert!(shown <= 1, "{name} was shown {shown} times: {seen:?}");
    }
    assert_no_repeats(&seen);
    assert!(!app.log().contains("panicked"), "{}", app.log());
}

fn assert_no_repeats(popups: &[Popup]) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for popup in popups {
        *seen.entry((&popup.summary, &popup.body)).or_default() += 1;
    }
    for ((summary, body), count) in seen {
        assert_eq!(count, 1, "the pop-up {summary:?} / {body:?} repeats");
    }
}

// Network loss and resume ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn outage_recovers_with_one_offline_state() {
    let sim = simulator().await;
    let _tray = FakeTrayHost::start().await;
    let app = Launch::new(&sim).arg("--hidden").start();
    wait_polling(&sim, "deals").await;
    let pid = app.pid().to_string();

    // The next request hangs. A "Check now" meanwhile joins it instead of
    // sending a second one.
    sim.inject("deals", Fault::Hang(None));
    wait_until(Duration::from_secs(10), "a hanging request", || {
        (sim.stats("deals").in_flight == 1).then_some(())
    })
    .await;
    let requests = sim.stats("deals").requests;
    let clicked = run(PYTHON, &[TRAY_MENU, &pid, "click", "Check now"]);
    assert!(clicked.status.success(), "{clicked:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        sim.stats("deals").requests,
        requests,
        "no request while one hangs"
    );

    // The server goes away: the hanging request is cut and connections
    // are refused for 12 seconds.
    let outage = Instant::now();
    sim.stop_listening().await;
    wait_until(
        Duration::from_secs(10),
        "the tray to show the outage",
        || {
            let menu = run(PYTHON, &[TRAY_MENU, &pid, "list"]);
            String::from_utf8_lossy(&menu.stdout)
                .contains("Offline, retrying")
                .then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(12).saturating_sub(outage.elapsed())).await;
    sim.resume_listening().await.unwrap();
    let down_for = outage.elapsed();

    // Polling resumes by itself, within the longest backoff reached.
    let recovered_after = wait_until(Duration::from_secs(40), "polling to recover", || {
        app.log()
            .contains("poll recovered")
            .then(|| outage.elapsed() - down_for)
    })
    .await;
    println!("recovered {recovered_after:?} after the server came back");
    let event_id = sim.push_event(
        "deals",
        "updated",
        json!({"id": 7, "name": "After the outage", "value": "1.00", "currency": "EUR"}),
        Some(json!({"value": "2.00"})),
    );
    wait_until(
        Duration::from_secs(10),
        "the next change to be stored",
        || (newest_event_id(&app.data_dir()).as_ref() == Some(&event_id)).then_some(()),
    )
    .await;

    let log = app.log();
    for line in log.lines() {
        if line.contains("stream state changed") || line.contains("poll failed") {
            println!("{}", strip_ansi(line));
        }
    }
    let stats = sim.stats("deals");
    assert_eq!(
        stats.max_in_flight, 1,
        "never more than one request at a time"
    );
    assert_eq!(
        state_changes(&log, "offline"),
        1,
        "one offline state for the whole outage:\n{}",
        tail(&log, 30)
    );
    // Retries back off (2 s, 4 s, 8 s, … with jitter down to half), so 12
    // seconds down allow about five.
    let retries = log.matches("poll failed; retrying").count();
    assert!(
        (1..=6).contains(&retries),
        "{retries} retries in {down_for:?}:\n{}",
        tail(&log, 30)
    );
    assert!(
        state_changes(&log, "ok") <= 2,
        "the state went back to ok once:\n{log}"
    );
}

/// Owns `org.freedesktop.login1` and `org.freedesktop.NetworkManager` on a
/// bus and sends their signals on request, reading `sleep true|false` or
/// `network STATE` lines on stdin.
const SYSTEM_SERVICES: &str = r#"
import sys, dbus, dbus.lowlevel
bus = dbus.bus.BusConnection(sys.argv[1])
bus.request_name("org.freedesktop.login1")
bus.request_name("org.freedesktop.NetworkManager")
print("ready", flush=True)
for line in sys.stdin:
    what, value = line.split()
    if what == "sleep":
        message = dbus.lowlevel.SignalMessage(
            "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep")
        message.append(value == "true", signature="b")
    else:
        message = dbus.lowlevel.SignalMessage(
            "/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager", "StateChanged")
        message.append(int(value), signature="u")
    bus.send_message(message)
    bus.flush()
    print("sent", flush=True)
"#;

/// Stand-ins for logind and NetworkManager on a private system bus.
struct SystemServices {
    process: Child,
}

impl SystemServices {
    fn start(bus: &PrivateBus) -> SystemServices {
        let process = Command::new(PYTHON)
            .args(["-c", SYSTEM_SERVICES, &bus.address])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut services = SystemServices { process };
        assert_eq!(services.reply(), "ready", "the stand-ins own their names");
        services
    }

    fn reply(&mut self) -> String {
        let mut line = String::new();
        let stdout = self.process.stdout.as_mut().unwrap();
        let mut byte = [0u8; 1];
        while let Ok(1) = std::io::Read::read(stdout, &mut byte) {
            if byte[0] == b'\n' {
                break;
            }
            line.push(byte[0] as char);
        }
        line
    }

    fn send(&mut self, command: &str) {
        let stdin = self.process.stdin.as_mut().unwrap();
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
        assert_eq!(self.reply(), "sent", "{command}");
    }
}

impl Drop for SystemServices {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Waits `within` and returns whether the stream was requested meanwhile.
async fn polled_within(sim: &Simulator, within: Duration) -> Option<Duration> {
    let start = sim.stats("deals").requests;
    let began = Instant::now();
    while began.elapsed() < within {
        if sim.stats("deals").requests > start {
            return Some(began.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn resume_and_network_signals_poll_at_once() {
    let sim = simulator().await;
    let _tray = FakeTrayHost::start().await;
    let system_bus = PrivateBus::start();
    let mut services = SystemServices::start(&system_bus);
    // With a 10-minute interval, only a wake-up makes the app poll again
    // during this test.
    let app = Launch::new(&sim)
        .arg("--hidden")
        .settings(r#"{"pollIntervalSecs": 600}"#)
        .env("DBUS_SYSTEM_BUS_ADDRESS", system_bus.address.clone())
        .start();
    wait_until(Duration::from_secs(20), "the first poll", || {
        (sim.stats("deals").requests >= 1).then_some(())
    })
    .await;
    wait_until(Duration::from_secs(20), "the app to subscribe", || {
        app.log()
            .contains("listening for resume and network signals")
            .then_some(())
    })
    .await;
    assert_eq!(
        polled_within(&sim, Duration::from_secs(2)).await,
        None,
        "the app waits for its interval"
    );

    let cases = [
        ("sleep true", false, "going to sleep"),
        ("sleep false", true, "resumed from sleep"),
        ("network 20", false, "network disconnected"),
        ("network 70", true, "network connected"),
        ("sleep false", true, "resumed again"),
    ];
    for (command, polls, what) in cases {
        services.send(command);
        let polled = polled_within(&sim, Duration::from_secs(if polls { 1 } else { 2 })).await;
        if polls {
            assert!(polled.is_some(), "{what}: no poll within a second");
            println!("{what}: polled after {:?}", polled.unwrap());
            // Lets the poll finish, so the next case starts from a wait.
            tokio::time::sleep(Duration::from_millis(500)).await;
        } else {
            assert_eq!(polled, None, "{what}: polled although it should not");
        }
    }

    // The bus delivers these signals only from the owner of the name.
    let spoofed = run(
        "dbus-send",
        &[
            &format!("--bus={}", system_bus.address),
            "--type=signal",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager.PrepareForSleep",
            "boolean:false",
        ],
    );
    assert!(spoofed.status.success(), "{spoofed:?}");
    assert_eq!(
        polled_within(&sim, Duration::from_secs(2)).await,
        None,
        "a signal from another sender is ignored"
    );
    assert_eq!(sim.stats("deals").max_in_flight, 1);
}

// Hostile environments -------------------------------------------------------

/// Fails when the log reports a panic, and shows the log.
fn assert_no_panic(app: &App) {
    let log = app.log();
    assert!(!log.contains("panicked"), "the app panicked:\n{log}");
}

async fn wait_log(app: &App, needle: &str) {
    wait_until(Duration::from_secs(20), needle, || {
        app.log().contains(needle).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn without_any_dbus_history_is_kept() {
    let sim = simulator().await;
    let mut app = Launch::new(&sim)
        .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
        .env(
            "DBUS_SYSTEM_BUS_ADDRESS",
            "unix:path=/nonexistent/system_bus_socket",
        )
        .start();
    wait_polling(&sim, "deals").await;
    let ids = push_named(&sim, "No bus deal", 3);
    wait_until(Duration::from_secs(20), "the changes to be stored", || {
        (newest_event_id(&app.data_dir()).as_ref() == ids.last()).then_some(())
    })
    .await;
    // A second poll's change, so that a second pop-up is attempted.
    let later = push_named(&sim, "Later deal", 1);
    wait_until(Duration::from_secs(20), "the later change", || {
        (newest_event_id(&app.data_dir()).as_ref() == later.last()).then_some(())
    })
    .await;
    wait_polling(&sim, "deals").await;

    assert!(app.is_running(), "{}", app.log());
    assert_no_panic(&app);
    let log = app.log();
    assert_eq!(
        log.matches("no D-Bus system bus").count(),
        1,
        "one notice about the system bus:\n{log}"
    );
    let popup_warnings = log.matches("no notification server").count()
        + log.matches("sending a pop-up failed").count();
    assert_eq!(
        popup_warnings, 1,
        "one warning about pop-ups, not one per pop-up:\n{log}"
    );
    drop(app);

    // Without a token either, the app cannot reach the keyring, and the log
    // names the reason.
    let mut app = Launch::new(&sim)
        .token(None)
        .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
        .start();
    wait_log(&app, "keyring unusable").await;
    let log = app.log();
    assert!(
        log.contains("the D-Bus session bus is disabled"),
        "the reason is named:\n{log}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(app.is_running(), "{log}");
    assert_no_panic(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn without_notification_server_history_is_kept() {
    let sim = simulator().await;
    let mut app = Launch::new(&sim).bare_bus().start();
    wait_polling(&sim, "deals").await;
    for round in 1..=3 {
        let ids = push_named(&sim, &format!("Unseen deal {round}"), 2);
        wait_until(Duration::from_secs(20), "the changes to be stored", || {
            (newest_event_id(&app.data_dir()).as_ref() == ids.last()).then_some(())
        })
        .await;
        wait_polling(&sim, "deals").await;
    }
    assert!(app.is_running(), "{}", app.log());
    assert_no_panic(&app);
    let log = app.log();
    assert_eq!(
        log.matches("no notification server").count(),
        1,
        "one warning, not one per pop-up:\n{log}"
    );
    assert_eq!(unannounced_count(&app.data_dir()), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn without_secret_service_window_explains() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let env = vec![
        ("DEALWATCH_API_URL".to_owned(), sim.url()),
        (
            "DEALWATCH_DATA_DIR".to_owned(),
            dir.path().join("data").display().to_string(),
        ),
        (
            "DEALWATCH_CONFIG_DIR".to_owned(),
            dir.path().join("config").display().to_string(),
        ),
    ];
    let driver = Driver::start(&env, true, &log).await;
    driver.wait_text("No keyring available", &log).await;
    let text = driver.wait_text("no Secret Service is running", &log).await;
    assert!(
        text.contains("Or keep the token in memory"),
        "the window offers a way on: {text}"
    );

    let status = driver.invoke("token_status").await;
    assert_eq!(status["set"], false, "{status}");
    assert_eq!(status["keyring"]["usable"], false, "{status}");
    let problem = status["keyring"]["problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains("no Secret Service is running on the session bus"),
        "{status}"
    );
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("keyring unusable"), "{log_text}");
    assert!(!log_text.contains("panicked"), "{log_text}");
    driver.close().await;
}

/// Runs the app in a D-Bus session of its own with its own gnome-keyring,
/// whose login collection holds a token and is then locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn locked_keyring_is_reported() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let runtime = dir.path().join("runtime");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let script = format!(
        r#"set -eu
eval "$(printf %s locked-keyring-test | gnome-keyring-daemon --unlock --components=secrets)"
printf '%s\n' "$LOCKED_TOKEN" | '{BIN}' token set
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
echo "collection locked" >&2
exec '{BIN}'"#
    );
    let app_dir = dir.path().join("app");
    std::fs::create_dir_all(app_dir.join("config")).unwrap();
    let mut app = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", &script])
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("LOCKED_TOKEN", "locked-keyring-token")
        .env("DEALWATCH_API_URL", sim.url())
        .env("DEALWATCH_DATA_DIR", app_dir.join("data"))
        .env("DEALWATCH_CONFIG_DIR", app_dir.join("config"))
        .env("DEALWATCH_LOG", "info")
        .env_remove("DEALWATCH_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("app.log")).unwrap())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(dir.path().join("app.log")).unwrap_or_default();

    // With a display, gnome-keyring may show an unlock prompt that nobody
    // answers, and the keyring call times out after 10 seconds.
    let problem = wait_until(Duration::from_secs(30), "the keyring problem", || {
        log()
            .lines()
            .find(|line| line.contains("keyring unusable"))
            .map(strip_ansi)
    })
    .await;
    assert!(log().contains("collection locked"), "{}", log());
    println!("{problem}");
    assert!(
        problem.contains("the keyring is locked") || problem.contains("did not answer within"),
        "a locked keyring is named as such: {problem}"
    );
    assert!(
        matches!(app.try_wait(), Ok(None)),
        "the app keeps running: {}",
        log()
    );
    assert!(!log().contains("panicked"), "{}", log());
    assert_eq!(sim.stats("deals").requests, 0, "no request without a token");
    stop_child(&mut app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn unusable_data_dir_keeps_history_in_memory() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    // Root may write to any directory whatever its mode, but nobody can
    // create a directory below a regular file.
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file").unwrap();
    let data_dir = blocker.join("data");

    let popups = Popups::mark();
    let mut app = Launch::new(&sim)
        .env("DEALWATCH_DATA_DIR", data_dir.display().to_string())
        .start();
    wait_log(&app, "keeping history in memory").await;
    wait_polling(&sim, "deals").await;
    let (data, previous) = (
        json!({"id": 3, "name": "Kept in memory", "value": "1.00", "currency": "EUR"}),
        json!({"value": "2.00"}),
    );
    sim.push_event("deals", "updated", data, Some(previous));
    let seen = popups.wait(1).await;
    assert_eq!(seen[0].summary, "Kept in memory — updated");
    assert!(app.is_running());
    assert_no_panic(&app);
    let log = strip_ansi(&app.log());
    assert!(
        log.contains("could not create the folder"),
        "the log names the cause: {log}"
    );
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "a file");
    drop(app);

    // The database path is a directory: it cannot be opened, and it is
    // neither moved nor removed.
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data/dealwatch.db");
    std::fs::create_dir_all(database.join("keep")).unwrap();
    let mut app = Launch::new(&sim).in_dir(dir.path()).start();
    wait_log(&app, "keeping history in memory").await;
    wait_polling(&sim, "deals").await;
    assert!(app.is_running());
    assert_no_panic(&app);
    assert!(database.join("keep").is_dir(), "the directory is untouched");
}

/// Files in `dir` whose names start with `dealwatch.db.corrupt-`.
fn moved_aside(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name.starts_with("dealwatch.db.corrupt-")
                        && !name.ends_with("-wal")
                        && !name.ends_with("-shm")
                })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn corrupt_database_is_moved_aside() {
    let sim = simulator().await;
    let _tray = FakeTrayHost::start().await;

    // A file that is not a database at all.
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(data_dir.join("dealwatch.db"), &garbage).unwrap();
    let mut app = Launch::new(&sim).arg("--hidden").in_dir(dir.path()).start();
    wait_log(&app, "database unreadable; moved aside").await;
    // The new database has no position, so the app starts at the newest
    // event: changes count only once it has polled.
    wait_polling(&sim, "deals").await;
    let ids = push_named(&sim, "Fresh deal", 2);
    wait_until(
        Duration::from_secs(20),
        "changes in the new database",
        || (newest_event_id(&data_dir).as_ref() == ids.last()).then_some(()),
    )
    .await;
    let aside = moved_aside(&data_dir);
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(&aside[0]).unwrap(),
        garbage,
        "kept byte for byte"
    );
    assert!(app.is_running());
    assert_no_panic(&app);
    drop(app);

    // A real history whose pages are damaged.
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let launch = || Launch::new(&sim).arg("--hidden").in_dir(dir.path()).start();
    let mut app = launch();
    wait_polling(&sim, "deals").await;
    let ids = push_named(&sim, "Old deal", 500);
    wait_until(Duration::from_secs(30), "the history to be stored", || {
        (newest_event_id(&data_dir).as_ref() == ids.last()).then_some(())
    })
    .await;
    let pid = app.pid().to_string();
    assert!(run(PYTHON, &[TRAY_MENU, &pid, "click", "Quit"])
        .status
        .success());
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(0));

    // The app leaves recent pages in its write-ahead log, so the history
    // is first moved into the database file itself.
    let database = data_dir.join("dealwatch.db");
    let db = rusqlite::Connection::open(&database).unwrap();
    db.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(db);
    let mut damaged = std::fs::read(&database).unwrap();
    assert!(damaged.len() > 16 * 4096, "a history of many pages");
    for byte in &mut damaged[2 * 4096..6 * 4096] {
        *byte = 0xa5;
    }
    std::fs::write(&database, &damaged).unwrap();

    let mut app = launch();
    wait_log(&app, "database unreadable; moved aside").await;
    wait_polling(&sim, "deals").await;
    let aside = moved_aside(&data_dir);
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(&aside[0]).unwrap(),
        damaged,
        "kept byte for byte"
    );
    assert!(app.is_running());
    assert_no_panic(&app);
}

fn visible_windows() -> usize {
    let found = run(
        "xdotool",
        &["search", "--onlyvisible", "--name", "^Dealwatch"],
    );
    String::from_utf8_lossy(&found.stdout).lines().count()
}

/// On a first start the window opens for want of a token and again once
/// the keyring turns out empty. Both requests must give one window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn first_start_opens_one_window() {
    let sim = simulator().await;
    assert!(run(BIN, &["token", "clear"]).status.success());
    assert_eq!(visible_windows(), 0, "no window is open before the test");
    let mut app = Launch::new(&sim).token(None).start();
    wait_log(&app, "no token in the keyring; showing the setup screen").await;
    let windows = wait_until(Duration::from_secs(20), "the window", || {
        Some(visible_windows()).filter(|count| *count > 0)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(windows.max(visible_windows()), 1, "{}", app.log());
    assert!(app.is_running());
    assert_no_panic(&app);
}

// Secrets ---------------------------------------------------------------------

/// Returns a token that no other text contains.
fn distinctive_token(kind: &str) -> String {
    let random: u64 = rand::thread_rng().gen();
    format!("dwsecret-{kind}-{random:016x}")
}

/// Fails if `token` occurs in any regular file below `roots`, apart from
/// paths below `excluded`. Returns the number of files read.
fn assert_token_absent(token: &str, roots: &[PathBuf], excluded: &[PathBuf]) -> usize {
    let mut read = 0;
    for root in roots {
        for file in files_under(root) {
            if excluded.iter().any(|dir| file.starts_with(dir)) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            read += 1;
            assert!(
                !contains_bytes(&bytes, token.as_bytes()),
                "the token was written to {}",
                file.display()
            );
        }
    }
    read
}

/// Returns the directories the session gives the app to write to: its HOME
/// (with `~/.local/share` and `~/.cache`) and its runtime directory.
fn session_dirs() -> Vec<PathBuf> {
    ["HOME", "XDG_RUNTIME_DIR"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .collect()
}

/// gnome-keyring's own files, which hold the stored token encrypted with
/// the session's keyring password. Nothing else may contain it.
fn keyring_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").unwrap()).join(".local/share/keyrings")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the private desktop session: run make reliability"]
async fn token_is_written_nowhere() {
    let sim = simulator().await;
    let started = std::time::SystemTime::now();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("driver.log");
    assert!(run(BIN, &["token", "clear"]).status.success());

    // The token typed into the window's setup screen goes to the keyring.
    let keyring_token = distinctive_token("keyring");
    sim.set_token(&keyring_token);
    let env = vec![
        ("DEALWATCH_API_URL".to_owned(), sim.url()),
        (
            "DEALWATCH_DATA_DIR".to_owned(),
            dir.path().join("data").display().to_string(),
        ),
        (
            "DEALWATCH_CONFIG_DIR".to_owned(),
            dir.path().join("config").display().to_string(),
        ),
    ];
    let driver = Driver::start(&env, false, &log).await;
    driver.wait_text("Connect to Sell", &log).await;
    let input = driver.find("form.token-form input").await;
    driver.type_text(&input, &keyring_token).await;
    let connect = driver.find("form.token-form button[type=submit]").await;
    driver.click(&connect).await;
    wait_until(
        Duration::from_secs(20),
        "the app to poll with the token",
        || (sim.stats("deals").requests >= 2).then_some(()),
    )
    .await;
    let ids = push_named(&sim, "Secret deal", 3);
    driver.wait_text("Secret deal 3", &log).await;
    assert_eq!(
        newest_event_id(&dir.path().join("data")).as_ref(),
        ids.last()
    );
    // Errors are logged with their cause, never with the request's headers.
    sim.inject(
        "deals",
        Fault::ServerError {
            status: 502,
            html: true,
        },
    );
    sim.inject("deals", Fault::Unauthorized);
    driver
        .wait_text("Sell rejected the access token", &log)
        .await;
    driver.close().await;
    let lookup = run(
        "secret-tool",
        &["lookup", "service", "dealwatch", "username", "default"],
    );
    assert_eq!(
        String::from_utf8_lossy(&lookup.stdout).trim(),
        keyring_token,
        "the window stored the token in the keyring"
    );
    assert!(run(BIN, &["token", "clear"]).status.success());

    // The same through DEALWATCH_TOKEN, with the window open.
    let env_token = distinctive_token("env");
    sim.set_token(&env_token);
    let app_dir = tempfile::tempdir().unwrap();
    let mut app = Launch::new(&sim)
        .token(Some(&env_token))
        .in_dir(app_dir.path())
        .start();
    wait_polling(&sim, "deals").await;
    push_named(&sim, "Env deal", 3);
    sim.inject(
        "deals",
        Fault::RateLimited {
            retry_after: Some(1),
        },
    );
    sim.inject("deals", Fault::Unauthorized);
    wait_log(&app, "polling paused until a new token is set").await;
    app.kill();

    let mut roots = session_dirs();
    roots.push(dir.path().to_owned());
    roots.push(app_dir.path().to_owned());
    let excluded = [keyring_dir()];
    let mut read = 0;
    for token in [&keyring_token, &env_token] {
        read += assert_token_absent(token, &roots, &excluded);
    }
    assert!(read > 10, "only {read} files were read");

    // Whatever else the app or WebKit wrote below /tmp during the test.
    let recent: Vec<PathBuf> = files_under(Path::new("/tmp"))
        .into_iter()
        .filter(|file| {
            std::fs::metadata(file)
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| modified >= started)
        })
        .filter(|file| std::fs::metadata(file).is_ok_and(|meta| meta.len() < 64 << 20))
        .collect();
    for token in [&keyring_token, &env_token] {
        for file in &recent {
            if file.starts_with(keyring_dir()) {
                continue;
            }
            let bytes = std::fs::read(file).unwrap_or_default();
            assert!(
                !contains_bytes(&bytes, token.as_bytes()),
                "the token was written to {}",
                file.display()
            );
        }
    }
}
