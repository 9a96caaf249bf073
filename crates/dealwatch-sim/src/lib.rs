//! A local fake of Zendesk Sell's Firehose API and of the Core API v2 look-ups that
//! a Firehose client needs, serving real HTTP on 127.0.0.1.
//!
//! [`Simulator::start`] binds a port and serves:
//!
//! - `GET /v3/{stream}/stream?position=…&limit=…` for any stream name, with opaque
//!   base64 positions, `top` and `tail`, 72-hour retention on a virtual clock and
//!   HTTP 410 for expired positions;
//! - `GET /v2/users/self`, `/v2/{collection}?ids=…` and `/v2/{collection}/{id}` for
//!   users, stages, pipelines, contacts, loss reasons and deal sources.
//!
//! Every request needs `Authorization: Bearer <token>` and a `User-Agent`. Errors use
//! Sell's JSON error body. Tests shape the traffic through the handle: page sizes,
//! redelivery, injected [`Fault`]s, a scope switch, a token change, a clock that
//! advances, and a listener that stops and resumes on the same port. Request counters
//! per stream show how many requests were ever in flight at once.
//!
//! The demo generator fills the streams with the activity of an invented sales team,
//! either as a backlog seeded at once or live at a chosen pace.

mod api_error;
mod clock;
pub mod demo;
mod directory;
mod event_log;
mod fault;
mod position;
mod routes;
mod server;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

pub use directory::V2Collection;
pub use event_log::StreamStats;
pub use fault::Fault;

use server::Listener;
use state::{NewEvent, SimState};

/// Seed of [`SimConfig::default`].
pub const DEFAULT_SEED: u64 = 0x5e11_dea1;

/// Minimum pace of the live demo generator, so that a zero pace cannot spin.
const MIN_DEMO_PACE: Duration = Duration::from_millis(10);

/// Maximum wait before the live demo generator's first event.
const MAX_FIRST_DEMO_DELAY: Duration = Duration::from_secs(1);

/// Time span that a seeded backlog covers at most, kept well inside the 72-hour
/// retention so that seeded events do not expire soon after seeding.
const MAX_BACKLOG_SPAN_SECS: i64 = 48 * 3600;

/// Spacing of seeded backlog events when the backlog is short enough.
const BACKLOG_SPACING_SECS: i64 = 20;

/// Settings of a [`Simulator`]. Its `Debug` output leaves the token out.
#[derive(Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Port on 127.0.0.1, or 0 for any free port.
    pub port: u16,
    /// Bearer token that requests must send.
    pub token: String,
    /// Seed of the demo generator and of event ids.
    pub seed: u64,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SimConfig")
            .field("port", &self.port)
            .field("token", &"<redacted>")
            .field("seed", &self.seed)
            .finish()
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            token: "demo-token".to_owned(),
            seed: DEFAULT_SEED,
        }
    }
}

/// Handle to a running simulator. Clones share the same server and state.
///
/// Dropping the last clone stops the listener and the demo generator.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    state: Arc<SimState>,
    port: u16,
    router: Router,
    runtime: Handle,
    listener: Mutex<Option<Listener>>,
    /// Serializes [`Simulator::stop_listening`] and [`Simulator::resume_listening`],
    /// which await while they change `listener`.
    listener_transition: tokio::sync::Mutex<()>,
    demo_task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(listener) = lock(&self.listener).take() {
            listener.abort();
        }
        if let Some(task) = lock(&self.demo_task).take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Simulator")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Simulator {
    /// Binds 127.0.0.1 on the configured port and starts serving.
    ///
    /// Must be called inside a Tokio runtime, which then runs the server and the
    /// live demo generator.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let tcp = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port))).await?;
        let port = tcp.local_addr()?.port();
        let base_url = format!("http://127.0.0.1:{port}");
        let state = Arc::new(SimState::new(base_url, config.token, config.seed));
        let router = routes::router(Arc::clone(&state));
        let runtime = Handle::current();
        let listener = Listener::spawn(&runtime, tcp, router.clone());
        tracing::info!(port, "simulator listening");

        Ok(Simulator {
            inner: Arc::new(Inner {
                state,
                port,
                router,
                runtime,
                listener: Mutex::new(Some(listener)),
                listener_transition: tokio::sync::Mutex::new(()),
                demo_task: Mutex::new(None),
            }),
        })
    }

    /// Returns the base URL, such as `http://127.0.0.1:49152`, with no trailing slash.
    pub fn url(&self) -> String {
        self.inner.state.base_url.clone()
    }

    /// Returns the port on 127.0.0.1, which stays the same across stop and resume.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// Returns the bearer token that requests must send.
    pub fn token(&self) -> String {
        self.inner.state.token()
    }

    /// Appends an event to a stream and returns its `event_id`.
    ///
    /// The simulator fills `meta`: `type` is the singular of the stream name (`deals`
    /// gives `deal`), `event_time` is the virtual clock's time, and `sequence` counts
    /// the events of the record whose id is `data["id"]`. `previous` is written when
    /// given, whatever the event type, so a test can also send an update without it.
    pub fn push_event(
        &self,
        stream: &str,
        event_type: &str,
        data: Value,
        previous: Option<Value>,
    ) -> String {
        let record_key = data.get("id").map(Value::to_string).unwrap_or_default();
        self.inner.state.append_event(NewEvent {
            stream,
            event_type,
            record_key,
            data: &data,
            previous: previous.as_ref(),
            time: None,
        })
    }

    /// Appends a whole item, `{"data": …, "meta": …}`, that pages carry byte for byte.
    ///
    /// # Panics
    ///
    /// Panics if `item_json` is not valid JSON. [`Simulator::try_push_raw`] returns
    /// the error instead.
    pub fn push_raw(&self, stream: &str, item_json: &str) {
        if let Err(error) = self.try_push_raw(stream, item_json) {
            panic!("push_raw needs valid JSON, but parsing the item failed: {error}");
        }
    }

    /// Appends a whole item like [`Simulator::push_raw`], or returns the parse error
    /// if `item_json` is not valid JSON.
    pub fn try_push_raw(&self, stream: &str, item_json: &str) -> Result<(), serde_json::Error> {
        let item = RawValue::from_string(item_json.to_owned())?;
        self.inner.state.append_raw(stream, Arc::from(item));
        Ok(())
    }

    /// Caps the sizes of the stream's next pages, one size per page served. A size of
    /// 0 gives an empty page with `top: false` while events remain. A size above the
    /// request's `limit` is cut to the limit. Once the sizes run out, pages are as
    /// full as `limit` allows.
    pub fn plan_pages(&self, stream: &str, sizes: Vec<usize>) {
        let stream = self.inner.state.streams.get_or_create(stream);
        stream.log().plan_pages(sizes);
    }

    /// Makes the stream's next page start `count` events before the requested
    /// position, but not before the oldest retained event, so that those events are
    /// delivered again.
    pub fn redeliver_next(&self, stream: &str, count: usize) {
        let stream = self.inner.state.streams.get_or_create(stream);
        stream.log().redeliver_next(count);
    }

    /// Queues a fault for the stream. Each request that passes the header checks
    /// consumes one queued fault, in order.
    pub fn inject(&self, stream: &str, fault: Fault) {
        let stream = self.inner.state.streams.get_or_create(stream);
        stream.log().push_fault(fault);
    }

    /// Moves the virtual clock forward and drops every event older than 72 hours by
    /// the new time. Later events are stamped with the new time.
    pub fn advance_clock(&self, by: Duration) {
        self.inner.state.clock.advance(by);
        self.inner.state.expire_all();
    }

    /// Makes every authenticated request, to streams and to the Core API, fail with
    /// `403 insufficient_scope` while `on` is true.
    pub fn set_forbidden(&self, on: bool) {
        self.inner.state.set_forbidden(on);
    }

    /// Replaces the token that requests must send.
    pub fn set_token(&self, token: &str) {
        self.inner.state.set_token(token);
    }

    /// Returns the stream's request counters, all zero for a stream never requested.
    pub fn stats(&self, stream: &str) -> StreamStats {
        self.inner
            .state
            .streams
            .get(stream)
            .map(|stream| stream.stats.snapshot())
            .unwrap_or_default()
    }

    /// Returns the number of Core API v2 requests received, whatever their outcome.
    pub fn v2_requests(&self) -> u64 {
        self.inner.state.v2_requests()
    }

    /// Returns the number of events the stream retains now.
    pub fn event_count(&self, stream: &str) -> usize {
        let Some(stream) = self.inner.state.streams.get(stream) else {
            return 0;
        };
        let mut log = stream.log();
        log.expire(self.inner.state.retention_cutoff());
        log.len()
    }

    /// Adds or replaces a record served by the Core API v2 endpoints, and returns
    /// its id, or `None` when `data` has no integer `id`.
    pub fn put_v2_record(&self, collection: V2Collection, data: Value) -> Option<u64> {
        let id = data.get("id")?.as_u64()?;
        let raw = serde_json::value::to_raw_value(&data).ok()?;
        self.inner
            .state
            .directory
            .put(collection, id, Arc::from(raw));
        Some(id)
    }

    /// Closes the listening socket and every open connection, keeping all state.
    /// Requests in flight, including hanging ones, are dropped without a response.
    pub async fn stop_listening(&self) {
        let _transition = self.inner.listener_transition.lock().await;
        let listener = lock(&self.inner.listener).take();
        if let Some(listener) = listener {
            listener.stop().await;
        }
    }

    /// Listens again on the same port after [`Simulator::stop_listening`]. Does
    /// nothing if the simulator is listening already.
    pub async fn resume_listening(&self) -> std::io::Result<()> {
        let _transition = self.inner.listener_transition.lock().await;
        if lock(&self.inner.listener).is_some() {
            return Ok(());
        }
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.inner.port));
        let tcp = TcpListener::bind(address).await?;
        let listener = Listener::spawn(&self.inner.runtime, tcp, self.inner.router.clone());
        *lock(&self.inner.listener) = Some(listener);
        tracing::info!(port = self.inner.port, "simulator listening again");
        Ok(())
    }

    /// Seeds `events` generated events at once, spread over the past (20 seconds
    /// apart, over 48 hours at most) so that all of them are retained.
    ///
    /// The events go to the `deals`, `leads` and `contacts` streams, about 90% to
    /// `deals`. [`Simulator::event_count`] gives each stream's exact count.
    pub fn seed_demo_backlog(&self, events: usize) {
        if events == 0 {
            return;
        }
        let state = &self.inner.state;
        let count = i64::try_from(events).unwrap_or(i64::MAX);
        let span = count
            .saturating_mul(BACKLOG_SPACING_SECS)
            .min(MAX_BACKLOG_SPAN_SECS);
        let start = state.clock.now_unix() - span;

        let mut generator = state.demo_generator();
        for index in 0..count {
            let time = start + (i128::from(span) * i128::from(index) / i128::from(count)) as i64;
            let event = generator.next_event(time);
            state.append_demo_event(&event, Some(time));
        }
        tracing::info!(events, "seeded the demo backlog");
    }

    /// Starts the live demo generator, replacing any running one. It emits its first
    /// change after `pace` or one second, whichever is shorter, and then one tick per
    /// `pace` (at least 10 ms). Most ticks bring one change and some bring two to four.
    ///
    /// The first change is delayed because a client that starts at `top` would skip a
    /// change made before its first request.
    pub fn start_demo(&self, pace: Duration) {
        let pace = pace.max(MIN_DEMO_PACE);
        let state = Arc::clone(&self.inner.state);
        let task = self.inner.runtime.spawn(run_demo(state, pace));
        if let Some(previous) = lock(&self.inner.demo_task).replace(task) {
            previous.abort();
        }
        tracing::info!(?pace, "demo generator started");
    }

    /// Stops the listener and the demo generator without waiting. State is kept, so
    /// [`Simulator::resume_listening`] can serve again.
    pub fn shutdown(&self) {
        if let Some(listener) = lock(&self.inner.listener).take() {
            listener.abort();
        }
        if let Some(task) = lock(&self.inner.demo_task).take() {
            task.abort();
        }
        tracing::info!(port = self.inner.port, "simulator shut down");
    }
}

async fn run_demo(state: Arc<SimState>, pace: Duration) {
    tokio::time::sleep(pace.min(MAX_FIRST_DEMO_DELAY)).await;
    let mut ticks = tokio::time::interval(pace);
    // A late tick is skipped, not made up with a burst of catch-up events.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        let now = state.clock.now_unix();
        let burst = state.demo_generator().next_burst(now);
        for event in &burst {
            state.append_demo_event(event, None);
        }
    }
}
