//! The app's state and the loop that turns engine events into window
//! updates, tray changes and pop-ups.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use dealwatch_core::client::DEFAULT_API_URL;
use dealwatch_core::engine::{EngineEvent, StreamState};
use dealwatch_core::rules::{self, RuleContext};
use dealwatch_core::settings::{self, Settings};
use dealwatch_core::store::{self, Store, DEFAULT_EVENT_CAP};
use dealwatch_core::token::{self, KeyringError, Token};
use dealwatch_sim::{SimConfig, Simulator};
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::mpsc::UnboundedReceiver;

use super::notify::Notifier;
use super::rows::{self, Status};
use super::session::Session;
use super::{tray, window};

/// The source of the token in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenSource {
    Keyring,
    /// Kept in memory for this run only, because the keyring is unusable.
    Memory,
    /// From `DEALWATCH_TOKEN`.
    Env,
    /// The simulator's token, in demo mode.
    Demo,
}

/// Facts about the token and the keyring. It never contains the token itself.
#[derive(Debug, Clone, Default)]
pub struct TokenInfo {
    pub source: Option<TokenSource>,
    /// The reason the keyring is unusable, if it is.
    pub keyring_problem: Option<String>,
    /// True until the keyring has been read once at start.
    pub loading: bool,
}

pub struct App {
    pub handle: AppHandle,
    session: RwLock<Arc<Session>>,
    /// The database, kept for when demo mode ends.
    saved_store: Arc<Store>,
    /// The reason history cannot be saved to disk, if it cannot.
    pub store_problem: Option<String>,
    pub settings: Mutex<Settings>,
    pub token: Mutex<TokenInfo>,
    streams: Mutex<BTreeMap<String, StreamState>>,
    retry_at: Mutex<Option<String>>,
    last_poll: Mutex<Option<String>>,
    paused: AtomicBool,
    pub notifier: Notifier,
    generation: std::sync::atomic::AtomicU64,
}

impl App {
    /// Opens the store and settings, then starts polling with the token from
    /// `DEALWATCH_TOKEN`, the keyring (read off the UI thread) or, in demo
    /// mode, the in-process simulator.
    pub fn start(handle: AppHandle, demo: bool) -> Result<Arc<App>, Box<dyn std::error::Error>> {
        let (saved_store, store_problem) = open_store();
        let (settings, settings_warning) = settings::load(&settings::settings_path());
        if let Some(warning) = &settings_warning {
            tracing::warn!("{warning}");
        }

        let api_url = std::env::var("DEALWATCH_API_URL")
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let env_token = std::env::var("DEALWATCH_TOKEN")
            .ok()
            .and_then(|text| Token::new(&text));

        let (session, events, token_info) = tauri::async_runtime::block_on(async {
            if demo {
                let (session, events) = demo_session(&settings).await?;
                let info = TokenInfo {
                    source: Some(TokenSource::Demo),
                    ..TokenInfo::default()
                };
                Ok::<_, String>((session, events, info))
            } else {
                let source = env_token.as_ref().map(|_| TokenSource::Env);
                let (session, events) = Session::start(
                    &api_url,
                    env_token.clone(),
                    saved_store.clone(),
                    &settings,
                    None,
                )?;
                let info = TokenInfo {
                    source,
                    keyring_problem: None,
                    loading: source.is_none(),
                };
                Ok((session, events, info))
            }
        })?;

        let app = Arc::new(App {
            handle,
            session: RwLock::new(Arc::new(session)),
            saved_store,
            store_problem,
            settings: Mutex::new(settings),
            token: Mutex::new(token_info.clone()),
            streams: Mutex::new(BTreeMap::new()),
            retry_at: Mutex::new(None),
            last_poll: Mutex::new(None),
            paused: AtomicBool::new(false),
            notifier: Notifier::new(),
            generation: Default::default(),
        });
        app.spawn_event_loop(events);

        if token_info.loading {
            let app = app.clone();
            tauri::async_runtime::spawn(async move { app.load_keyring_token().await });
        }
        Ok(app)
    }

    pub fn session(&self) -> Arc<Session> {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn is_demo(&self) -> bool {
        self.session().demo.is_some()
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        tracing::info!(paused, "notifications paused or resumed");
        self.publish_status();
    }

    /// Opens the window at start unless started hidden. It opens anyway
    /// when there is no token (to show the setup screen) or when the
    /// desktop has no tray to reach the app from.
    pub fn open_window_at_start(self: &Arc<Self>, hidden: bool) {
        let needs_setup = {
            let info = self.token.lock().unwrap_or_else(|p| p.into_inner());
            // While the keyring is still being read the token may be there;
            // the loader opens the setup screen itself if it is not.
            info.source.is_none() && !info.loading
        };
        let tray_host = tray::has_tray_host();
        if !tray_host {
            tracing::warn!("no tray host found on the session bus; opening the window so the app stays reachable");
        }
        if !hidden || !tray_host || needs_setup {
            window::show(&self.handle);
        }
    }

    async fn load_keyring_token(self: Arc<Self>) {
        let loaded = tauri::async_runtime::spawn_blocking(token::load)
            .await
            .unwrap_or_else(|err| Err(KeyringError::Failed(err.to_string())));
        {
            let mut info = self.token.lock().unwrap_or_else(|p| p.into_inner());
            info.loading = false;
            match &loaded {
                Ok(Some(_)) => info.source = Some(TokenSource::Keyring),
                Ok(None) => {}
                Err(err) => info.keyring_problem = Some(err.to_string()),
            }
        }
        match loaded {
            Ok(Some(token)) => {
                tracing::info!("token read from the keyring");
                self.session().engine.set_token(Some(token));
            }
            Ok(None) => {
                tracing::info!("no token in the keyring; showing the setup screen");
                window::show(&self.handle);
                let _ = self.handle.emit("dealwatch:navigate", "setup");
            }
            Err(err) => {
                tracing::warn!(%err, "keyring unusable");
                window::show(&self.handle);
                let _ = self.handle.emit("dealwatch:navigate", "setup");
            }
        }
        self.publish_status();
    }

    /// Replaces the running session, as when demo mode starts or ends.
    pub async fn replace_session(
        self: &Arc<Self>,
        session: Session,
        events: UnboundedReceiver<EngineEvent>,
    ) {
        let old = {
            let mut current = self.session.write().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *current, Arc::new(session))
        };
        old.stop().await;
        self.streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        *self.last_poll.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.spawn_event_loop(events);
        self.publish_status();
    }

    /// Switches to demo mode: the simulator in-process, with its own token
    /// and an in-memory store. The keyring is not touched.
    pub async fn start_demo(self: &Arc<Self>) -> Result<(), String> {
        if self.is_demo() {
            return Ok(());
        }
        let settings = self
            .settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let (session, events) = demo_session(&settings).await?;
        self.token.lock().unwrap_or_else(|p| p.into_inner()).source = Some(TokenSource::Demo);
        self.replace_session(session, events).await;
        Ok(())
    }

    /// Leaves demo mode for the real API with this token.
    pub async fn start_real(self: &Arc<Self>, token: Token) -> Result<(), String> {
        let settings = self
            .settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let api_url = std::env::var("DEALWATCH_API_URL")
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        let (session, events) = Session::start(
            &api_url,
            Some(token),
            self.saved_store.clone(),
            &settings,
            None,
        )?;
        self.replace_session(session, events).await;
        Ok(())
    }

    fn spawn_event_loop(self: &Arc<Self>, mut events: UnboundedReceiver<EngineEvent>) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let app = self.clone();
        tauri::async_runtime::spawn(async move {
            while let Some(first) = events.recv().await {
                if app.generation.load(Ordering::SeqCst) != generation {
                    break;
                }
                // Everything queued meanwhile is handled in one go, so that
                // slow name look-ups cost once per batch instead of once per
                // page, and the queue cannot outgrow a fast catch-up.
                let mut queued = vec![first];
                while let Ok(event) = events.try_recv() {
                    queued.push(event);
                }
                for event in merge_changes(queued) {
                    app.on_engine_event(event).await;
                }
            }
        });
    }

    async fn on_engine_event(self: &Arc<Self>, event: EngineEvent) {
        match event {
            EngineEvent::State { resource, state } => {
                if state == StreamState::Ok {
                    *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                self.streams
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(resource, state);
                self.publish_status();
            }
            EngineEvent::Retry { delay, .. } => {
                let at = time::OffsetDateTime::now_utc() + delay;
                *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(rows::rfc3339(at));
                self.publish_status();
            }
            EngineEvent::Changes { events, .. } => {
                let session = self.session();
                session.names.resolve(&events).await;
                let rows: Vec<rows::Row> = events
                    .iter()
                    .rev()
                    .map(|event| rows::row(event, session.names.as_ref()))
                    .collect();
                let _ = self.handle.emit("dealwatch:changes", &rows);
                tracing::debug!(
                    rows = rows.len(),
                    newest_id = ?rows.first().map(|row| row.id),
                    "rows sent to the window"
                );
                self.publish_unread();
            }
            EngineEvent::Gap(gap) => {
                tracing::warn!(resource = %gap.resource, since = ?gap.since, "gap in history");
                self.publish_status();
            }
            EngineEvent::Drained {
                resource, catch_up, ..
            } => {
                *self.last_poll.lock().unwrap_or_else(|p| p.into_inner()) = Some(store::now_text());
                self.announce(&resource, catch_up).await;
                self.publish_status();
            }
        }
    }

    /// Sends the pop-ups for a stream's changes that have not been announced
    /// yet. Events are marked announced before their pop-ups are queued, and
    /// whether or not they get one, so that no pop-up repeats: a crash in
    /// between can lose a pop-up but never show one twice.
    async fn announce(self: &Arc<Self>, resource: &str, catch_up: bool) {
        let session = self.session();
        let pending: Vec<_> = match session.store.unnotified() {
            Ok(events) => events
                .into_iter()
                .filter(|e| e.resource == resource)
                .collect(),
            Err(err) => {
                tracing::error!(%err, "could not read pending pop-ups");
                return;
            }
        };
        if pending.is_empty() {
            return;
        }
        let ids: Vec<i64> = pending.iter().map(|e| e.id).collect();
        if let Err(err) = session.store.mark_notified(&ids) {
            tracing::error!(%err, "could not mark events as announced; skipping their pop-ups so none repeats");
            return;
        }

        if !self.is_paused() {
            let settings = self
                .settings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            session.names.resolve(&pending).await;
            let rules = &settings.notifications;
            let self_user_id = if rules.only_mine || rules.ignore_own_changes {
                session.names.self_user_id().await
            } else {
                None
            };
            let context = RuleContext {
                self_user_id,
                local_minute: local_minute(),
            };
            let popups = rules::plan(
                &pending,
                rules,
                &context,
                session.names.as_ref(),
                &settings.web_url,
                catch_up,
            );
            for popup in popups {
                self.notifier.send(&self.handle, popup);
            }
        }
    }

    /// Returns the connection state as the window and tray show it: the most
    /// serious state among the streams.
    pub fn status(&self) -> Status {
        let streams = self
            .streams
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let token = self.token.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let session = self.session();
        let worst = streams
            .values()
            .max_by_key(|state| severity(state))
            .cloned();
        let state = match (&worst, &token.source) {
            (Some(state), _) if state.needs_token() && token.source.is_none() => {
                StreamState::NoToken
            }
            (Some(state), _) => state.clone(),
            (None, None) if !token.loading => StreamState::NoToken,
            (None, _) => StreamState::Starting,
        };
        let gap = session
            .store
            .open_gaps()
            .ok()
            .and_then(|gaps| gaps.into_iter().next());
        let unread = session.store.unread_count().unwrap_or(0);
        rows::status(
            &state,
            self.last_poll
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            self.retry_at
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            gap,
            self.is_paused(),
            unread,
            self.store_problem.as_deref(),
        )
    }

    pub fn publish_status(&self) {
        let status = self.status();
        tray::update(&self.handle, &status);
        let _ = self.handle.emit("dealwatch:status", &status);
    }

    pub fn publish_unread(&self) {
        let unread = self.session().store.unread_count().unwrap_or(0);
        let _ = self.handle.emit("dealwatch:unread", unread);
        self.publish_status();
    }

    /// Stops polling before the process exits.
    pub fn shutdown(&self) {
        let session = self.session();
        tauri::async_runtime::block_on(async move {
            let _ = tokio::time::timeout(Duration::from_secs(3), session.stop()).await;
        });
    }
}

async fn demo_session(
    settings: &Settings,
) -> Result<(Session, UnboundedReceiver<EngineEvent>), String> {
    let simulator = Simulator::start(SimConfig::default())
        .await
        .map_err(|err| format!("could not start the demo simulator on 127.0.0.1: {err}"))?;
    simulator.start_demo(crate::simulate::DEMO_PACE);
    let store = Arc::new(Store::open_in_memory(DEFAULT_EVENT_CAP).map_err(|err| err.to_string())?);
    let mut demo_settings = settings.clone();
    demo_settings.streams = vec!["deals".into(), "leads".into(), "contacts".into()];
    demo_settings.poll_interval_secs = 2;
    let url = simulator.url();
    let token = Token::new(&simulator.token());
    tracing::info!(%url, "demo mode: following the in-process simulator");
    Session::start(&url, token, store, &demo_settings, Some(simulator))
}

/// Opens the database in the data directory. When that fails (an
/// unwritable directory, a full disk), history is kept in memory for this
/// run and the problem is shown to the user.
fn open_store() -> (Arc<Store>, Option<String>) {
    let path = dealwatch_core::paths::database_path();
    match Store::open(&path, DEFAULT_EVENT_CAP) {
        Ok((store, report)) => {
            let problem = report.moved_aside.map(|aside| {
                format!(
                    "The history database was unreadable. It was moved to {} and a new one was started.",
                    aside.display()
                )
            });
            (Arc::new(store), problem)
        }
        Err(err) => {
            tracing::error!(%err, "could not open the database; keeping history in memory");
            let store = Store::open_in_memory(DEFAULT_EVENT_CAP)
                .expect("an in-memory SQLite database opens");
            let problem = format!(
                "History cannot be saved: {err}. Changes are kept only until Dealwatch quits. \
                 Make the data folder writable, or set DEALWATCH_DATA_DIR, and restart."
            );
            (Arc::new(store), Some(problem))
        }
    }
}

/// Merges each run of consecutive `Changes` of one stream into one, keeping
/// the order of the changes and of every other event.
fn merge_changes(queued: Vec<EngineEvent>) -> Vec<EngineEvent> {
    let mut merged: Vec<EngineEvent> = Vec::with_capacity(queued.len());
    for event in queued {
        let EngineEvent::Changes { resource, events } = event else {
            merged.push(event);
            continue;
        };
        match merged.last_mut() {
            Some(EngineEvent::Changes {
                resource: open,
                events: pending,
            }) if *open == resource => pending.append(events),
            _ => merged.push(EngineEvent::Changes { resource, events }),
        }
    }
    merged
}

/// Orders states by how much they need the user's attention.
fn severity(state: &StreamState) -> u8 {
    match state {
        StreamState::Ok => 0,
        StreamState::Starting => 1,
        StreamState::Stopped => 2,
        StreamState::BackingOff { .. } => 3,
        StreamState::RateLimited { .. } => 4,
        StreamState::Offline { .. } => 5,
        StreamState::NoToken => 6,
        StreamState::Forbidden => 7,
        StreamState::TokenRejected => 8,
    }
}

fn local_minute() -> u32 {
    use chrono::Timelike;
    let now = chrono::Local::now();
    now.hour() * 60 + now.minute()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dealwatch_core::model::EventType;
    use dealwatch_core::store::StoredEvent;

    fn stored(id: i64) -> StoredEvent {
        StoredEvent {
            id,
            event_id: format!("event-{id}"),
            resource: "deals".into(),
            record_type: "deal".into(),
            record_id: Some(id),
            event_type: EventType::Updated,
            event_time: "2024-01-01T00:00:00Z".into(),
            received_at: "2024-01-01T00:00:00Z".into(),
            name: None,
            owner_id: None,
            stage_id: None,
            data: serde_json::Value::Null.into(),
            previous: serde_json::Map::new(),
            raw: "".into(),
            read: false,
        }
    }

    fn changes(resource: &str, ids: &[i64]) -> EngineEvent {
        EngineEvent::Changes {
            resource: resource.into(),
            events: ids.iter().copied().map(stored).collect(),
        }
    }

    fn drained(resource: &str) -> EngineEvent {
        EngineEvent::Drained {
            resource: resource.into(),
            new_events: 0,
            catch_up: false,
        }
    }

    /// Describes events as `stream:ids` and `drained:stream`.
    fn describe(events: &[EngineEvent]) -> Vec<String> {
        events
            .iter()
            .map(|event| match event {
                EngineEvent::Changes { resource, events } => {
                    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
                    format!("{resource}:{}", ids.join(","))
                }
                EngineEvent::Drained { resource, .. } => format!("drained:{resource}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn merge_joins_runs_of_one_stream() {
        let queued = vec![
            changes("deals", &[1, 2]),
            changes("deals", &[3]),
            changes("leads", &[4]),
            changes("deals", &[5]),
            drained("deals"),
            changes("deals", &[6]),
            changes("deals", &[7, 8]),
        ];
        assert_eq!(
            describe(&merge_changes(queued)),
            [
                "deals:1,2,3",
                "leads:4",
                "deals:5",
                "drained:deals",
                "deals:6,7,8"
            ]
        );
    }
}
