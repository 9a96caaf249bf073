//! The poller: one task per stream, each following its stream from a saved
//! position to the newest end, then waiting and polling again.
//!
//! A poller task owns its stream's requests, so there is never more than one
//! request per stream in flight. Commands ("check now", "wake", a new token)
//! reach it over a channel and are read both while it waits and while it
//! polls: a "check now" during a poll joins that poll instead of starting
//! another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::client::{Client, FetchError, Position, MAX_LIMIT};
use crate::model::Page;
use crate::store::{Gap, Store, StoreError, StoredEvent};
use crate::token::Token;

/// Sell's own example waits 5 seconds between polls at the top of a stream.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// The minimum poll interval the app accepts.
pub const MIN_INTERVAL: Duration = Duration::from_secs(2);
/// The maximum poll interval the app accepts.
pub const MAX_INTERVAL: Duration = Duration::from_secs(600);

/// The starting point of a stream with no saved position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// The newest end: only changes made from now on.
    Top,
    /// The oldest event Sell still keeps (72 hours).
    Tail,
}

/// Exponential backoff after a failure: `base × 2^(n-1)`, capped at `max`,
/// then scaled by a random factor between 0.5 and 1 so that clients that
/// failed together do not retry together.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// Returns the delay before retry number `failures` (1 for the first retry).
    pub fn delay(&self, failures: u32) -> Duration {
        let exponent = failures.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1u32 << exponent).min(self.max);
        full.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
    }
}

/// The streams the engine follows and how it polls them.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub resources: Vec<String>,
    pub interval: Duration,
    pub limit: u8,
    pub start: StartFrom,
    pub backoff: Backoff,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            resources: vec!["deals".to_owned()],
            interval: DEFAULT_INTERVAL,
            limit: MAX_LIMIT,
            start: StartFrom::Top,
            backoff: Backoff::default(),
        }
    }
}

/// The health of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamState {
    Starting,
    /// The last poll succeeded.
    Ok,
    /// A request failed (server error, broken response); retrying after a delay.
    BackingOff {
        error: String,
        retry_in: Duration,
    },
    /// Sell responded 429; retrying after `Retry-After` or a backoff.
    RateLimited {
        retry_in: Duration,
    },
    /// Sell could not be reached or did not respond in time.
    Offline {
        error: String,
        retry_in: Duration,
    },
    /// 401: polling stopped until a new token is set.
    TokenRejected,
    /// 403: polling stopped until a new token is set.
    Forbidden,
    /// No token is set: polling waits for one.
    NoToken,
    /// The poller was stopped.
    Stopped,
}

impl StreamState {
    /// Returns a stable short name, as shown to scripts and the window.
    pub fn kind(&self) -> &'static str {
        match self {
            StreamState::Starting => "starting",
            StreamState::Ok => "ok",
            StreamState::BackingOff { .. } => "backing_off",
            StreamState::RateLimited { .. } => "rate_limited",
            StreamState::Offline { .. } => "offline",
            StreamState::TokenRejected => "token_rejected",
            StreamState::Forbidden => "forbidden",
            StreamState::NoToken => "no_token",
            StreamState::Stopped => "stopped",
        }
    }

    /// True when polling waits for the user to set a new token.
    pub fn needs_token(&self) -> bool {
        matches!(
            self,
            StreamState::TokenRejected | StreamState::Forbidden | StreamState::NoToken
        )
    }
}

/// A report from the engine to the app or the terminal.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// A stream's state changed kind (repeats of the same kind are not sent).
    State {
        resource: String,
        state: StreamState,
    },
    /// A request failed and will be retried; sent for every failure.
    Retry {
        resource: String,
        error: FetchError,
        delay: Duration,
        failures: u32,
    },
    /// New events, committed to the store, oldest first.
    Changes { resource: String, events: Batch },
    /// The saved position had expired; the stream was re-anchored at the top.
    Gap(Gap),
    /// A poll reached the newest end. `catch_up` is true for the first poll
    /// after the engine started, which may bring a backlog.
    Drained {
        resource: String,
        new_events: usize,
        catch_up: bool,
    },
}

enum Command {
    CheckNow(oneshot::Sender<()>),
    Wake,
    TokenChanged,
    SetInterval(Duration),
    Stop,
}

struct Poller {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

/// The running engine: a poller per stream, sharing one client and one store.
pub struct Engine {
    client: Client,
    store: Arc<Store>,
    config: Mutex<EngineConfig>,
    events: mpsc::UnboundedSender<EngineEvent>,
    pollers: Mutex<HashMap<String, Poller>>,
    /// One per stream, kept when its poller stops, so that a poller started
    /// again for the stream waits for the commits of the one before it.
    commit_gates: Mutex<HashMap<String, CommitGate>>,
    /// Shared by every stream's [`Batch`]es.
    budget: Arc<Semaphore>,
    /// The runtime the engine was started in. Pollers started later, as when
    /// the streams change from a GUI thread outside any runtime, run there too.
    runtime: tokio::runtime::Handle,
}

impl Engine {
    /// Starts a poller for each configured stream. Must be called inside a Tokio runtime.
    pub fn start(
        client: Client,
        store: Arc<Store>,
        config: EngineConfig,
    ) -> (Arc<Engine>, mpsc::UnboundedReceiver<EngineEvent>) {
        let (events, receiver) = mpsc::unbounded_channel();
        let engine = Arc::new(Engine {
            client,
            store,
            config: Mutex::new(config.clone()),
            events,
            pollers: Mutex::new(HashMap::new()),
            commit_gates: Mutex::new(HashMap::new()),
            budget: Arc::new(Semaphore::new(UNHANDLED_EVENTS)),
            runtime: tokio::runtime::Handle::current(),
        });
        for resource in &config.resources {
            engine.spawn_poller(resource);
        }
        (engine, receiver)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    fn spawn_poller(&self, resource: &str) {
        let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        if pollers.contains_key(resource) {
            return;
        }
        let config = self
            .config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let commit_gate = self
            .commit_gates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(resource.to_owned())
            .or_default()
            .clone();
        let (commands, receiver) = mpsc::unbounded_channel();
        let stream = StreamPoller {
            resource: resource.to_owned(),
            client: self.client.clone(),
            store: self.store.clone(),
            events: self.events.clone(),
            interval: config.interval,
            limit: config.limit,
            start: config.start,
            backoff: config.backoff,
            failures: 0,
            state: StreamState::Starting,
            drained_once: false,
            commit_gate,
            budget: self.budget.clone(),
        };
        let task = self.runtime.spawn(stream.run(receiver));
        pollers.insert(resource.to_owned(), Poller { commands, task });
        tracing::info!(resource, "poller started");
    }

    fn send_all(&self, make: impl Fn() -> Command) {
        let pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
        for poller in pollers.values() {
            let _ = poller.commands.send(make());
        }
    }

    /// Polls every stream now and waits until each poll has finished. A
    /// stream that is polling already is not asked twice: the call waits for
    /// the running poll.
    pub async fn check_now(&self) {
        let mut replies = Vec::new();
        {
            let pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
            for poller in pollers.values() {
                let (reply, wait) = oneshot::channel();
                if poller.commands.send(Command::CheckNow(reply)).is_ok() {
                    replies.push(wait);
                }
            }
        }
        for reply in replies {
            let _ = reply.await;
        }
    }

    /// Polls at once after the machine resumed or the network came back,
    /// forgetting any backoff. A stream that is polling already ignores it.
    pub fn wake(&self) {
        tracing::info!("wake: polling every stream now");
        self.send_all(|| Command::Wake);
    }

    /// Replaces the token and resumes streams that stopped on a rejected token.
    pub fn set_token(&self, token: Option<Token>) {
        self.client.set_token(token);
        self.send_all(|| Command::TokenChanged);
    }

    pub fn set_interval(&self, interval: Duration) {
        let interval = interval.clamp(MIN_INTERVAL, MAX_INTERVAL);
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .interval = interval;
        self.send_all(|| Command::SetInterval(interval));
    }

    /// Follows exactly these streams, starting and stopping pollers as needed.
    pub fn set_resources(&self, resources: &[String]) {
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .resources = resources.to_vec();
        let removed: Vec<Poller> = {
            let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
            let gone: Vec<String> = pollers
                .keys()
                .filter(|name| !resources.contains(name))
                .cloned()
                .collect();
            gone.iter()
                .filter_map(|name| pollers.remove(name))
                .collect()
        };
        for poller in removed {
            let _ = poller.commands.send(Command::Stop);
        }
        for resource in resources {
            self.spawn_poller(resource);
        }
    }

    /// Stops every poller and waits for them to end. A request in flight is
    /// dropped; its page was not committed, so it is fetched again next time.
    pub async fn shutdown(&self) {
        let pollers: Vec<Poller> = {
            let mut pollers = self.pollers.lock().unwrap_or_else(|p| p.into_inner());
            pollers.drain().map(|(_, poller)| poller).collect()
        };
        for poller in &pollers {
            let _ = poller.commands.send(Command::Stop);
        }
        for poller in pollers {
            let _ = poller.task.await;
        }
    }

    /// Watches for the machine resuming from sleep, and wakes the pollers
    /// when it does. The monotonic clock stops during suspend while the wall
    /// clock does not, so a wall-clock jump far beyond the tick means the
    /// machine slept.
    pub fn spawn_wake_detector(self: &Arc<Self>) -> JoinHandle<()> {
        let engine = Arc::downgrade(self);
        self.runtime.spawn(async move {
            const TICK: Duration = Duration::from_secs(5);
            const SLACK: Duration = Duration::from_secs(10);
            let mut wall = SystemTime::now();
            let mut mono = Instant::now();
            loop {
                tokio::time::sleep(TICK).await;
                let wall_elapsed = wall.elapsed().unwrap_or_default();
                let mono_elapsed = mono.elapsed();
                wall = SystemTime::now();
                mono = Instant::now();
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                if wall_elapsed > mono_elapsed + SLACK {
                    tracing::info!(
                        slept_secs = (wall_elapsed - mono_elapsed).as_secs(),
                        "machine resumed"
                    );
                    engine.wake();
                }
            }
        })
    }
}

/// The cause of a poll stopping before the newest end.
enum PollError {
    Fetch(FetchError),
    Store(StoreError),
}

struct StreamPoller {
    resource: String,
    client: Client,
    store: Arc<Store>,
    events: mpsc::UnboundedSender<EngineEvent>,
    interval: Duration,
    limit: u8,
    start: StartFrom,
    backoff: Backoff,
    failures: u32,
    state: StreamState,
    drained_once: bool,
    /// Held while a [`Committer`] of this stream runs.
    commit_gate: CommitGate,
    /// The engine's budget of reported events not yet dropped, described at [`Batch`].
    budget: Arc<Semaphore>,
}

impl StreamPoller {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
        loop {
            let mut new_interval = None;
            let outcome = {
                let poll = poll_stream(&self);
                tokio::pin!(poll);
                loop {
                    tokio::select! {
                        outcome = &mut poll => break Some(outcome),
                        command = commands.recv() => match command {
                            Some(Command::CheckNow(reply)) => waiters.push(reply),
                            Some(Command::SetInterval(interval)) => new_interval = Some(interval),
                            Some(Command::Wake | Command::TokenChanged) => {}
                            Some(Command::Stop) | None => break None,
                        },
                    }
                }
            };
            if let Some(interval) = new_interval {
                self.interval = interval;
            }
            let Some(outcome) = outcome else {
                // A committer started by the dropped poll may still run. It
                // is waited for, so that nothing is written after the stop.
                let _ = self.commit_gate.lock().await;
                for waiter in waiters.drain(..) {
                    let _ = waiter.send(());
                }
                return self.stop();
            };

            let delay = self.settle(outcome);
            let rate_limited = matches!(self.state, StreamState::RateLimited { .. });
            if !rate_limited {
                for waiter in waiters.drain(..) {
                    let _ = waiter.send(());
                }
            }

            let deadline = delay.map(|delay| tokio::time::Instant::now() + delay);
            loop {
                let sleep = async {
                    match deadline {
                        Some(deadline) => tokio::time::sleep_until(deadline).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = sleep => break,
                    command = commands.recv() => match command {
                        // A rate limit is honoured even against "check now":
                        // the caller waits for the retry instead.
                        Some(Command::CheckNow(reply)) => {
                            waiters.push(reply);
                            if !rate_limited {
                                break;
                            }
                        }
                        Some(Command::Wake) if !rate_limited => {
                            self.failures = 0;
                            break;
                        }
                        Some(Command::Wake) => {}
                        Some(Command::TokenChanged) => {
                            self.failures = 0;
                            break;
                        }
                        Some(Command::SetInterval(interval)) => {
                            self.interval = interval;
                            if self.state == StreamState::Ok {
                                break;
                            }
                        }
                        Some(Command::Stop) | None => {
                            for waiter in waiters.drain(..) {
                                let _ = waiter.send(());
                            }
                            return self.stop();
                        }
                    },
                }
            }
        }
    }

    fn stop(mut self) {
        self.set_state(StreamState::Stopped);
        tracing::info!(resource = %self.resource, "poller stopped");
    }

    /// Updates the state after a poll and returns how long to wait before
    /// the next one; `None` waits for a new token.
    fn settle(&mut self, outcome: Result<usize, PollError>) -> Option<Duration> {
        match outcome {
            Ok(new_events) => {
                let catch_up = !self.drained_once;
                self.drained_once = true;
                if self.failures > 0 {
                    tracing::info!(resource = %self.resource, failures = self.failures, "poll recovered");
                }
                self.failures = 0;
                self.set_state(StreamState::Ok);
                let _ = self.events.send(EngineEvent::Drained {
                    resource: self.resource.clone(),
                    new_events,
                    catch_up,
                });
                Some(self.interval)
            }
            Err(PollError::Fetch(error)) if error.needs_user() => {
                let state = match error {
                    FetchError::Unauthorized => StreamState::TokenRejected,
                    FetchError::Forbidden => StreamState::Forbidden,
                    _ => StreamState::NoToken,
                };
                if self.state != state {
                    tracing::warn!(resource = %self.resource, %error, "polling paused until a new token is set");
                }
                self.set_state(state);
                None
            }
            Err(PollError::Fetch(error)) => {
                self.failures += 1;
                let delay = match &error {
                    FetchError::RateLimited {
                        retry_after: Some(wait),
                    } => *wait,
                    _ => self.backoff.delay(self.failures),
                };
                let state = match &error {
                    FetchError::RateLimited { .. } => StreamState::RateLimited { retry_in: delay },
                    error if error.is_offline() => StreamState::Offline {
                        error: error.to_string(),
                        retry_in: delay,
                    },
                    error => StreamState::BackingOff {
                        error: error.to_string(),
                        retry_in: delay,
                    },
                };
                tracing::warn!(
                    resource = %self.resource,
                    %error,
                    failures = self.failures,
                    retry_in_ms = delay.as_millis() as u64,
                    "poll failed; retrying"
                );
                self.set_state(state);
                let _ = self.events.send(EngineEvent::Retry {
                    resource: self.resource.clone(),
                    error,
                    delay,
                    failures: self.failures,
                });
                Some(delay)
            }
            Err(PollError::Store(error)) => {
                self.failures += 1;
                let delay = self.backoff.delay(self.failures);
                tracing::error!(resource = %self.resource, %error, retry_in_ms = delay.as_millis() as u64, "could not save events; retrying");
                let error = FetchError::Store(error.to_string());
                self.set_state(StreamState::BackingOff {
                    error: error.to_string(),
                    retry_in: delay,
                });
                let _ = self.events.send(EngineEvent::Retry {
                    resource: self.resource.clone(),
                    error,
                    delay,
                    failures: self.failures,
                });
                Some(delay)
            }
        }
    }

    /// Records a new state and reports it when its kind changed, so a run of
    /// retries is one "offline" report and not one per attempt.
    fn set_state(&mut self, state: StreamState) {
        let changed = self.state.kind() != state.kind();
        self.state = state;
        if changed {
            tracing::info!(resource = %self.resource, state = self.state.kind(), "stream state changed");
            let _ = self.events.send(EngineEvent::State {
                resource: self.resource.clone(),
                state: self.state.clone(),
            });
        }
    }
}

/// Drains a stream from its saved position to the newest end. Returns the
/// number of new events.
///
/// Pages are committed, each with its position in one transaction, by a
/// [`Committer`] on a blocking thread, in the order they were fetched, while
/// this task fetches and parses the next ones. A catch-up thus keeps two
/// cores busy. The request for a page is still sent only when the page
/// before it has arrived, so one request per stream is in flight at most.
async fn poll_stream(poller: &StreamPoller) -> Result<usize, PollError> {
    let resource = poller.resource.as_str();
    // A stream switched off and on again gets a new poller at once, while
    // the old one's committer may still be storing pages.
    drop(poller.commit_gate.lock().await);
    let saved = poller.store.position(resource).map_err(PollError::Store)?;
    let mut position = match saved {
        Some(text) => Position::At(text),
        None => match poller.start {
            StartFrom::Top => Position::Top,
            StartFrom::Tail => Position::Tail,
        },
    };

    let mut new_events = 0;
    let mut committer: Option<Committer> = None;
    loop {
        let page = match poller
            .client
            .fetch_page(resource, &position, poller.limit)
            .await
        {
            Ok(page) => {
                tracing::debug!(
                    resource,
                    items = page.items.len(),
                    top = page.top,
                    "page received"
                );
                page
            }
            Err(FetchError::PositionExpired) => {
                // The pages queued before the expired one are committed
                // first, so that none of them moves the position back
                // after the re-anchoring.
                if let Some(committer) = committer.take() {
                    new_events += committer.finish().await?;
                }
                reanchor(poller).await?;
                position = Position::At(
                    poller
                        .store
                        .position(resource)
                        .map_err(PollError::Store)?
                        .unwrap_or_default(),
                );
                continue;
            }
            Err(error) => {
                if let Some(committer) = committer.take() {
                    committer.finish().await?;
                }
                return Err(PollError::Fetch(error));
            }
        };

        position = Position::At(page.position.clone());
        let top = page.top;
        let queue = match committer.take() {
            Some(queue) => queue,
            None => Committer::start(poller).await,
        };
        let queued = queue.push(page).await;
        if top || !queued {
            return Ok(new_events + queue.finish().await?);
        }
        committer = Some(queue);
    }
}

/// Reported events that may be waiting for the app or `tail` at once. A
/// catch-up stores pages faster than a consumer that announces or prints
/// them, and without this limit the reports of a whole backlog would queue
/// in memory: about 1.3 KB an event.
pub const UNHANDLED_EVENTS: usize = 5_000;
/// How long a committer waits for the budget before it reports anyway. A
/// consumer that keeps batches or stops reading, while waiting on the
/// engine itself, then slows a catch-up down but cannot stop it.
const BUDGET_WAIT: Duration = Duration::from_secs(5);

/// The events of a [`EngineEvent::Changes`] report. It reads as the
/// `Vec<StoredEvent>` it contains, and keeps a share of the engine's budget of
/// [`UNHANDLED_EVENTS`] until it is dropped, or taken apart by `into_iter`.
/// While the budget is spent the engine stops storing and fetching pages,
/// so a consumer that keeps up sets the pace of a catch-up.
#[derive(Debug, Default)]
pub struct Batch {
    events: Vec<StoredEvent>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Batch {
    /// Takes one unit of the budget per event, waiting up to
    /// [`BUDGET_WAIT`], and wraps the events. Runs on a blocking thread.
    fn reserve(
        runtime: &tokio::runtime::Handle,
        budget: &Arc<Semaphore>,
        events: Vec<StoredEvent>,
    ) -> Batch {
        let units = events.len().min(UNHANDLED_EVENTS) as u32;
        let permit = runtime.block_on(async {
            match tokio::time::timeout(BUDGET_WAIT, budget.clone().acquire_many_owned(units)).await
            {
                Ok(Ok(permit)) => Some(permit),
                _ => {
                    tracing::debug!(
                        units,
                        "reported events are not being handled; reporting anyway"
                    );
                    None
                }
            }
        });
        Batch { events, permit }
    }

    /// Moves the events of `other` to the end of this batch, with its share of the budget.
    pub fn append(&mut self, mut other: Batch) {
        self.events.append(&mut other.events);
        match (&mut self.permit, other.permit.take()) {
            (Some(permit), Some(more)) => permit.merge(more),
            (none @ None, more) => *none = more,
            (Some(_), None) => {}
        }
    }
}

impl std::ops::Deref for Batch {
    type Target = Vec<StoredEvent>;

    fn deref(&self) -> &Vec<StoredEvent> {
        &self.events
    }
}

impl std::ops::DerefMut for Batch {
    fn deref_mut(&mut self) -> &mut Vec<StoredEvent> {
        &mut self.events
    }
}

/// A copy carries no share of the budget.
impl Clone for Batch {
    fn clone(&self) -> Batch {
        Batch::from(self.events.clone())
    }
}

/// Events that carry no share of the budget, as in tests.
impl From<Vec<StoredEvent>> for Batch {
    fn from(events: Vec<StoredEvent>) -> Batch {
        Batch {
            events,
            permit: None,
        }
    }
}

impl FromIterator<StoredEvent> for Batch {
    fn from_iter<I: IntoIterator<Item = StoredEvent>>(events: I) -> Batch {
        Batch::from(events.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for Batch {
    type Item = StoredEvent;
    type IntoIter = std::vec::IntoIter<StoredEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter()
    }
}

impl<'a> IntoIterator for &'a Batch {
    type Item = &'a StoredEvent;
    type IntoIter = std::slice::Iter<'a, StoredEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.iter()
    }
}

/// A lock that a stream's [`Committer`] holds while it runs.
type CommitGate = Arc<tokio::sync::Mutex<()>>;

/// Pages waiting for the committer at most. Parsing runs at least as fast
/// as committing, so a short queue keeps the committer busy.
const COMMIT_QUEUE: usize = 4;

/// Commits a poll's pages in order on a blocking thread, and reports each
/// page's new events as soon as they are stored. The thread ends when the
/// poll closes the queue, after committing every page in it, or at the first
/// failed commit, leaving the position at the last page stored.
struct Committer {
    pages: mpsc::Sender<Page>,
    task: JoinHandle<Result<usize, StoreError>>,
}

impl Committer {
    /// Starts the thread. It keeps the poller's commit gate locked until it ends,
    /// which lets [`StreamPoller::run`] wait for it when stopping.
    async fn start(poller: &StreamPoller) -> Committer {
        let gate = poller.commit_gate.clone().lock_owned().await;
        let (pages, mut queue) = mpsc::channel::<Page>(COMMIT_QUEUE);
        let store = poller.store.clone();
        let events = poller.events.clone();
        let resource = poller.resource.clone();
        let budget = poller.budget.clone();
        let runtime = tokio::runtime::Handle::current();
        let task = tokio::task::spawn_blocking(move || {
            let _gate = gate;
            let mut stored = 0;
            while let Some(page) = queue.blocking_recv() {
                failpoint(Failpoint::BeforeCommit);
                let inserted = store.commit_page(&resource, page)?;
                failpoint(Failpoint::AfterCommit);
                stored += inserted.len();
                if !inserted.is_empty() && !events.is_closed() {
                    let batch = Batch::reserve(&runtime, &budget, inserted);
                    let _ = events.send(EngineEvent::Changes {
                        resource: resource.clone(),
                        events: batch,
                    });
                }
            }
            Ok(stored)
        });
        Committer { pages, task }
    }

    /// Queues a page, waiting while the queue is full. Returns false when
    /// the committer has stopped after a failed commit.
    async fn push(&self, page: Page) -> bool {
        self.pages.send(page).await.is_ok()
    }

    /// Closes the queue, waits for the pages in it to be committed and
    /// returns the number of new events stored.
    async fn finish(self) -> Result<usize, PollError> {
        drop(self.pages);
        match self.task.await {
            Ok(result) => result.map_err(PollError::Store),
            Err(error) => Err(PollError::Store(StoreError::Interrupted(error.to_string()))),
        }
    }
}

/// Moves an expired stream to the newest end and records the gap, naming
/// the last successful poll before it.
async fn reanchor(poller: &StreamPoller) -> Result<(), PollError> {
    let resource = poller.resource.as_str();
    let since = poller
        .store
        .last_ok_at(resource)
        .map_err(PollError::Store)?;
    let page = poller
        .client
        .fetch_page(resource, &Position::Top, poller.limit)
        .await
        .map_err(PollError::Fetch)?;
    poller
        .store
        .set_position(resource, &page.position)
        .map_err(PollError::Store)?;
    let gap = poller
        .store
        .record_gap(resource, since.as_deref())
        .map_err(PollError::Store)?;
    tracing::warn!(
        resource,
        since = since.as_deref().unwrap_or("unknown"),
        "saved position expired; restarted at the newest event, changes in between were missed"
    );
    let _ = poller.events.send(EngineEvent::Gap(gap));
    Ok(())
}

/// Where a crash is simulated, for crash-consistency tests.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Failpoint {
    BeforeCommit,
    AfterCommit,
}

/// Test hook for crash consistency: with `DEALWATCH_FAILPOINT` set to
/// `abort-before-commit:N` or `abort-after-commit:N`, the process aborts
/// when its Nth page was fetched but not yet committed, or committed but not
/// yet reported, as a crash or `kill -9` at that moment would.
fn failpoint(at: Failpoint) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static TARGET: OnceLock<Option<(Failpoint, u64)>> = OnceLock::new();
    static PAGES: AtomicU64 = AtomicU64::new(0);

    let target = TARGET.get_or_init(|| {
        let text = std::env::var("DEALWATCH_FAILPOINT").ok()?;
        let (name, page) = text.split_once(':')?;
        let point = match name {
            "abort-before-commit" => Failpoint::BeforeCommit,
            "abort-after-commit" => Failpoint::AfterCommit,
            _ => return None,
        };
        Some((point, page.parse().ok()?))
    });
    let Some((point, page)) = *target else { return };
    if at == Failpoint::BeforeCommit
        && PAGES.fetch_add(1, Ordering::SeqCst) + 1 == page
        && point == at
    {
        eprintln!("failpoint abort-before-commit reached; aborting");
        std::process::abort();
    }
    if at == Failpoint::AfterCommit && point == at && PAGES.load(Ordering::SeqCst) == page {
        eprintln!("failpoint abort-after-commit reached; aborting");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let backoff = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(300),
        };
        for failures in 1..=30 {
            let delay = backoff.delay(failures);
            let full = Duration::from_secs(2)
                .saturating_mul(1 << (failures - 1).min(20))
                .min(backoff.max);
            assert!(
                delay >= full / 2,
                "attempt {failures}: {delay:?} below half of {full:?}"
            );
            assert!(
                delay <= full,
                "attempt {failures}: {delay:?} above {full:?}"
            );
        }
        assert!(backoff.delay(40) <= Duration::from_secs(300));
    }

    #[test]
    fn state_kinds_are_distinct() {
        let states = [
            StreamState::Starting,
            StreamState::Ok,
            StreamState::BackingOff {
                error: String::new(),
                retry_in: Duration::ZERO,
            },
            StreamState::RateLimited {
                retry_in: Duration::ZERO,
            },
            StreamState::Offline {
                error: String::new(),
                retry_in: Duration::ZERO,
            },
            StreamState::TokenRejected,
            StreamState::Forbidden,
            StreamState::NoToken,
            StreamState::Stopped,
        ];
        let kinds: std::collections::HashSet<_> = states.iter().map(StreamState::kind).collect();
        assert_eq!(kinds.len(), states.len());
    }
}
