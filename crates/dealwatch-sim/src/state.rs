//! State shared by the HTTP handlers and the [`crate::Simulator`] handle.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::clock::{format_timestamp, VirtualClock};
use crate::demo::{self, DemoEvent, DemoGenerator};
use crate::directory::Directory;
use crate::event_log::StreamRegistry;

/// How long events are retained, in seconds: 72 hours, as Sell documents.
pub(crate) const RETENTION_SECS: i64 = 72 * 3600;

/// The only `event_cause` that Sell's examples show.
const EVENT_CAUSE: &str = "interaction";

#[derive(Debug)]
pub(crate) struct SimState {
    /// `http://127.0.0.1:PORT`, used in `meta.links.next`.
    pub(crate) base_url: String,
    token: RwLock<String>,
    forbidden: AtomicBool,
    pub(crate) clock: VirtualClock,
    pub(crate) streams: StreamRegistry,
    pub(crate) directory: Directory,
    v2_requests: AtomicU64,
    event_ids: EventIdSource,
    demo: Mutex<DemoGenerator>,
}

/// A whole Firehose item: the record snapshot and the event's metadata.
#[derive(Serialize)]
struct ItemOut<'a, D: ?Sized, P: ?Sized> {
    data: &'a D,
    meta: ItemMeta<'a, P>,
}

#[derive(Serialize)]
struct ItemMeta<'a, P: ?Sized> {
    #[serde(rename = "type")]
    record_type: &'a str,
    event_type: &'a str,
    event_id: &'a str,
    event_time: &'a str,
    event_cause: &'a str,
    sequence: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<&'a P>,
}

/// The parts of an event that its producer supplies.
pub(crate) struct NewEvent<'a, D: ?Sized, P: ?Sized> {
    pub(crate) stream: &'a str,
    pub(crate) event_type: &'a str,
    /// JSON text of the record id, which keys the per-record sequence.
    pub(crate) record_key: String,
    pub(crate) data: &'a D,
    pub(crate) previous: Option<&'a P>,
    /// Event time in Unix seconds, or `None` for the virtual clock's current time.
    pub(crate) time: Option<i64>,
}

impl SimState {
    pub(crate) fn new(base_url: String, token: String, seed: u64) -> Self {
        let state = SimState {
            base_url,
            token: RwLock::new(token),
            forbidden: AtomicBool::new(false),
            clock: VirtualClock::default(),
            streams: StreamRegistry::default(),
            directory: Directory::default(),
            v2_requests: AtomicU64::new(0),
            event_ids: EventIdSource::new(seed),
            demo: Mutex::new(DemoGenerator::new(seed)),
        };
        demo::register_catalog(&state.directory);
        state
    }

    pub(crate) fn token_matches(&self, candidate: &str) -> bool {
        let token = self.token.read().unwrap_or_else(PoisonError::into_inner);
        *token == candidate
    }

    pub(crate) fn token(&self) -> String {
        self.token
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_token(&self, token: &str) {
        let mut current = self.token.write().unwrap_or_else(PoisonError::into_inner);
        *current = token.to_owned();
    }

    pub(crate) fn is_forbidden(&self) -> bool {
        self.forbidden.load(Ordering::Relaxed)
    }

    pub(crate) fn set_forbidden(&self, on: bool) {
        self.forbidden.store(on, Ordering::Relaxed);
    }

    pub(crate) fn count_v2_request(&self) {
        self.v2_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn v2_requests(&self) -> u64 {
        self.v2_requests.load(Ordering::Relaxed)
    }

    /// Returns the oldest event time that retention keeps, in Unix seconds.
    pub(crate) fn retention_cutoff(&self) -> i64 {
        self.clock.now_unix() - RETENTION_SECS
    }

    /// Drops the expired events of every stream.
    pub(crate) fn expire_all(&self) {
        let cutoff = self.retention_cutoff();
        for stream in self.streams.all() {
            stream.log().expire(cutoff);
        }
    }

    /// Appends an event, filling its metadata, and returns its `event_id`.
    pub(crate) fn append_event<D, P>(&self, event: NewEvent<'_, D, P>) -> String
    where
        D: Serialize + ?Sized,
        P: Serialize + ?Sized,
    {
        let now = self.clock.now_unix();
        let stream = self.streams.get_or_create(event.stream);
        let event_id = self.event_ids.next_id();

        let mut log = stream.log();
        log.expire(now - RETENTION_SECS);
        let time = log.next_event_time(event.time.unwrap_or(now));
        let sequence = log.next_sequence(event.record_key);
        let event_time = format_timestamp(time);
        let item = ItemOut {
            data: event.data,
            meta: ItemMeta {
                record_type: log.record_type(),
                event_type: event.event_type,
                event_id: &event_id,
                event_time: &event_time,
                event_cause: EVENT_CAUSE,
                sequence,
                previous: event.previous,
            },
        };
        match serde_json::value::to_raw_value(&item) {
            Ok(raw) => log.append(time, Arc::from(raw)),
            // Only a map with non-string keys fails to serialize, and no caller builds
            // one, so this branch is defensive.
            Err(error) => tracing::error!(
                stream = event.stream,
                %error,
                "failed to serialize an event; it was dropped"
            ),
        }
        event_id
    }

    /// Appends an item exactly as given.
    pub(crate) fn append_raw(&self, stream_name: &str, item: Arc<RawValue>) {
        let now = self.clock.now_unix();
        let stream = self.streams.get_or_create(stream_name);
        let mut log = stream.log();
        log.expire(now - RETENTION_SECS);
        let time = log.next_event_time(now);
        log.append(time, item);
    }

    /// Appends a generated event and publishes any contact it changes to the Core
    /// API. Returns its `event_id`.
    pub(crate) fn append_demo_event(&self, event: &DemoEvent, time: Option<i64>) -> String {
        demo::publish_contact(&self.directory, event);
        self.append_event(NewEvent {
            stream: event.stream,
            event_type: event.event_type,
            record_key: event.record_id.to_string(),
            data: &*event.data,
            previous: event.previous.as_ref(),
            time,
        })
    }

    pub(crate) fn demo_generator(&self) -> MutexGuard<'_, DemoGenerator> {
        self.demo.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Source of unique `event_id` values: 22 URL-safe base64 characters that encode
/// 128 bits derived from the seed and a counter.
#[derive(Debug)]
struct EventIdSource {
    key: u64,
    counter: AtomicU64,
}

impl EventIdSource {
    fn new(seed: u64) -> Self {
        EventIdSource {
            key: mix64(seed ^ 0x6a09_e667_f3bc_c908),
            counter: AtomicU64::new(0),
        }
    }

    /// Returns the next id. The first 64 bits are a bijective mix of the counter, so
    /// no two ids of one source are equal until the counter wraps at 2^64.
    fn next_id(&self) -> String {
        let count = self.counter.fetch_add(1, Ordering::Relaxed);
        let high = mix64(count.wrapping_add(self.key));
        let low = mix64(high ^ self.key.rotate_left(32));
        let mut bytes = [0_u8; 16];
        bytes[..8].copy_from_slice(&high.to_be_bytes());
        bytes[8..].copy_from_slice(&low.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// Applies the SplitMix64 finalizer, a bijection on 64-bit integers.
fn mix64(mut value: u64) -> u64 {
    value = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    value ^ (value >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::collections::HashSet;

    fn state() -> SimState {
        SimState::new("http://127.0.0.1:1".to_owned(), "t".to_owned(), 1)
    }

    #[test]
    fn event_id_format_and_uniqueness() {
        let source = EventIdSource::new(42);
        let ids: Vec<String> = (0..10_000).map(|_| source.next_id()).collect();
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        for id in &ids {
            assert_eq!(id.len(), 22, "{id}");
            assert!(
                id.bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
                "{id}"
            );
        }
    }

    #[test]
    fn event_ids_depend_on_seed() {
        assert_ne!(
            EventIdSource::new(1).next_id(),
            EventIdSource::new(2).next_id()
        );
        assert_eq!(
            EventIdSource::new(3).next_id(),
            EventIdSource::new(3).next_id()
        );
    }

    #[test]
    fn append_fills_meta_in_order() {
        let state = state();
        let data = json!({"id": 7, "name": "Website"});
        let previous = json!({"name": "Web"});
        let event_id = state.append_event(NewEvent {
            stream: "deals",
            event_type: "updated",
            record_key: "7".to_owned(),
            data: &data,
            previous: Some(&previous),
            time: Some(1_499_275_252),
        });

        let stream = state.streams.get("deals").unwrap();
        let page = stream
            .log()
            .read_page(crate::event_log::StartAt::Tail, 10, true)
            .unwrap();
        let text = page.items[0].get().to_owned();
        let expected_meta =
            format!(r#""meta":{{"type":"deal","event_type":"updated","event_id":"{event_id}","#);
        assert!(text.contains(&expected_meta), "{text}");
        let item: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(item["data"], data);
        assert_eq!(item["meta"]["event_time"], "2017-07-05T17:20:52Z");
        assert_eq!(item["meta"]["event_cause"], "interaction");
        assert_eq!(item["meta"]["sequence"], 1);
        assert_eq!(item["meta"]["previous"], previous);
    }

    #[test]
    fn previous_is_omitted_when_absent() {
        let state = state();
        state.append_event::<Value, Value>(NewEvent {
            stream: "leads",
            event_type: "created",
            record_key: "1".to_owned(),
            data: &json!({"id": 1}),
            previous: None,
            time: None,
        });
        let stream = state.streams.get("leads").unwrap();
        let page = stream
            .log()
            .read_page(crate::event_log::StartAt::Tail, 10, true)
            .unwrap();
        assert!(!page.items[0].get().contains("previous"));
        assert!(page.items[0].get().contains(r#""type":"lead""#));
    }
}
