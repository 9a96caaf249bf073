//! Per-stream event logs with offsets, retention, page plans, redelivery and faults.
//!
//! Each event is serialized to JSON once, when it is appended, and kept as a shared
//! [`RawValue`]. Reading a page clones at most `limit` reference-counted pointers, so
//! the cost of a page does not depend on the size of the log.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use serde_json::value::RawValue;

use crate::fault::Fault;
use crate::position::topic_for;

/// Request counters of one stream, as returned by [`crate::Simulator::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Requests received on the stream's endpoint, whatever their outcome.
    pub requests: u64,
    /// Requests being handled right now.
    pub in_flight: u64,
    /// Maximum number of requests that were in flight at the same time.
    pub max_in_flight: u64,
}

/// The start of a page, as given by the `position` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartAt {
    /// The newest end: the backlog is skipped.
    Top,
    /// The oldest retained event.
    Tail,
    /// The offset decoded from a position.
    Offset(u64),
}

/// A page of events cut from a log.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) items: Vec<Arc<RawValue>>,
    /// Offset of the first event after this page.
    pub(crate) next_offset: u64,
    /// Whether the page reached the newest end of the log.
    pub(crate) reached_top: bool,
}

/// Reasons a page cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageError {
    /// The offset is older than the oldest retained event.
    Expired { offset: u64, oldest: u64 },
    /// The offset is past the newest end, so this server never issued it.
    BeyondEnd { offset: u64, end: u64 },
}

#[derive(Debug)]
struct StoredEvent {
    time: i64,
    item: Arc<RawValue>,
}

/// The events of one stream and the test controls that shape how they are served.
#[derive(Debug)]
pub(crate) struct EventLog {
    record_type: String,
    topic: String,
    events: VecDeque<StoredEvent>,
    /// Offset of `events[0]`. Offsets of dropped events are never reused.
    first_offset: u64,
    /// Time of the newest event, which later events never precede.
    last_time: i64,
    /// Last sequence number per record id, keyed by the id's JSON text.
    sequences: HashMap<String, u64>,
    page_plan: VecDeque<usize>,
    redelivery: usize,
    faults: VecDeque<Fault>,
}

impl EventLog {
    fn new(record_type: String) -> Self {
        EventLog {
            topic: topic_for(&record_type),
            record_type,
            events: VecDeque::new(),
            first_offset: 0,
            last_time: i64::MIN,
            sequences: HashMap::new(),
            page_plan: VecDeque::new(),
            redelivery: 0,
            faults: VecDeque::new(),
        }
    }

    pub(crate) fn record_type(&self) -> &str {
        &self.record_type
    }

    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    /// Offset just past the newest event.
    pub(crate) fn end_offset(&self) -> u64 {
        self.first_offset + self.events.len() as u64
    }

    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }

    /// Returns the time to stamp on a new event: `now`, or the newest event's time if
    /// that is later, so that times never decrease along the log.
    pub(crate) fn next_event_time(&self, now: i64) -> i64 {
        now.max(self.last_time)
    }

    /// Increments and returns the sequence number of the record with id `record_key`.
    pub(crate) fn next_sequence(&mut self, record_key: String) -> u64 {
        let sequence = self.sequences.entry(record_key).or_insert(0);
        *sequence += 1;
        *sequence
    }

    /// Appends an event serialized as a whole item.
    pub(crate) fn append(&mut self, time: i64, item: Arc<RawValue>) {
        self.last_time = self.last_time.max(time);
        self.events.push_back(StoredEvent { time, item });
    }

    /// Drops the events older than `cutoff` (Unix seconds).
    pub(crate) fn expire(&mut self, cutoff: i64) {
        while self.events.front().is_some_and(|event| event.time < cutoff) {
            self.events.pop_front();
            self.first_offset += 1;
        }
    }

    pub(crate) fn plan_pages(&mut self, sizes: Vec<usize>) {
        self.page_plan.extend(sizes);
    }

    pub(crate) fn redeliver_next(&mut self, count: usize) {
        self.redelivery = self.redelivery.saturating_add(count);
    }

    pub(crate) fn push_fault(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    pub(crate) fn take_fault(&mut self) -> Option<Fault> {
        self.faults.pop_front()
    }

    /// Cuts the page that starts at `start` and contains at most `limit` events.
    ///
    /// A pending redelivery moves the start back, and a planned size caps the page.
    /// With `consume` set both are used up. Without it the page is only a preview,
    /// as for a fault that spoils the page.
    pub(crate) fn read_page(
        &mut self,
        start: StartAt,
        limit: usize,
        consume: bool,
    ) -> Result<Page, PageError> {
        let end = self.end_offset();
        let requested = match start {
            StartAt::Top => end,
            StartAt::Tail => self.first_offset,
            StartAt::Offset(offset) if offset < self.first_offset => {
                return Err(PageError::Expired {
                    offset,
                    oldest: self.first_offset,
                });
            }
            StartAt::Offset(offset) if offset > end => {
                return Err(PageError::BeyondEnd { offset, end });
            }
            StartAt::Offset(offset) => offset,
        };

        let rewind = u64::try_from(self.redelivery).unwrap_or(u64::MAX);
        let first = requested.saturating_sub(rewind).max(self.first_offset);
        let planned = self.page_plan.front().copied().unwrap_or(limit);
        if consume {
            self.redelivery = 0;
            self.page_plan.pop_front();
        }

        let size = planned.min(limit);
        let from = (first - self.first_offset) as usize;
        let to = from.saturating_add(size).min(self.events.len());
        let items: Vec<Arc<RawValue>> = self
            .events
            .range(from..to)
            .map(|event| Arc::clone(&event.item))
            .collect();
        let next_offset = self.first_offset + to as u64;
        Ok(Page {
            items,
            next_offset,
            reached_top: next_offset == end,
        })
    }
}

/// Request counters of one stream, updated without a lock.
#[derive(Debug, Default)]
pub(crate) struct StatsCounters {
    requests: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

impl StatsCounters {
    /// Counts a request that starts now. It stays in flight until the guard drops.
    pub(crate) fn enter(&self) -> InFlightGuard<'_> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let now_in_flight = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight
            .fetch_max(now_in_flight, Ordering::SeqCst);
        InFlightGuard { counters: self }
    }

    pub(crate) fn snapshot(&self) -> StreamStats {
        StreamStats {
            requests: self.requests.load(Ordering::SeqCst),
            in_flight: self.in_flight.load(Ordering::SeqCst),
            max_in_flight: self.max_in_flight.load(Ordering::SeqCst),
        }
    }
}

/// Marks one request as in flight for as long as it lives.
#[derive(Debug)]
pub(crate) struct InFlightGuard<'a> {
    counters: &'a StatsCounters,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One stream: its log behind a lock, and its lock-free request counters.
#[derive(Debug)]
pub(crate) struct Stream {
    log: Mutex<EventLog>,
    pub(crate) stats: StatsCounters,
}

impl Stream {
    /// Locks the log. A panic while the lock was held leaves the log consistent,
    /// because every update completes before it can panic, so poisoning is ignored.
    pub(crate) fn log(&self) -> MutexGuard<'_, EventLog> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// All streams by name, created on first use.
#[derive(Debug, Default)]
pub(crate) struct StreamRegistry {
    streams: RwLock<HashMap<String, Arc<Stream>>>,
}

impl StreamRegistry {
    pub(crate) fn get(&self, name: &str) -> Option<Arc<Stream>> {
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        streams.get(name).cloned()
    }

    pub(crate) fn get_or_create(&self, name: &str) -> Arc<Stream> {
        if let Some(stream) = self.get(name) {
            return stream;
        }
        let mut streams = self.streams.write().unwrap_or_else(PoisonError::into_inner);
        let stream = streams.entry(name.to_owned()).or_insert_with(|| {
            Arc::new(Stream {
                log: Mutex::new(EventLog::new(record_type_for(name))),
                stats: StatsCounters::default(),
            })
        });
        Arc::clone(stream)
    }

    pub(crate) fn all(&self) -> Vec<Arc<Stream>> {
        let streams = self.streams.read().unwrap_or_else(PoisonError::into_inner);
        streams.values().cloned().collect()
    }
}

/// Returns the record type of a stream, the singular of its name: `deals` gives
/// `deal`, `activities` gives `activity`, `addresses` gives `address`, and
/// `associated_contacts` gives `associated_contact`. A name without a plural ending is returned unchanged.
pub(crate) fn record_type_for(stream: &str) -> String {
    if let Some(stem) = stream.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = stream.strip_suffix("sses") {
        format!("{stem}ss")
    } else if let Some(stem) = stream.strip_suffix('s') {
        stem.to_owned()
    } else {
        stream.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u64) -> Arc<RawValue> {
        Arc::from(RawValue::from_string(format!(r#"{{"data":{{"id":{id}}}}}"#)).unwrap())
    }

    fn log_with(count: u64) -> EventLog {
        let mut log = EventLog::new("deal".to_owned());
        for id in 0..count {
            log.append(1_000 + id as i64, item(id));
        }
        log
    }

    fn ids(page: &Page) -> Vec<String> {
        page.items
            .iter()
            .map(|item| item.get().to_owned())
            .collect()
    }

    #[test]
    fn record_types_from_stream_names() {
        for (stream, expected) in [
            ("deals", "deal"),
            ("leads", "lead"),
            ("contacts", "contact"),
            ("tasks", "task"),
            ("associated_contacts", "associated_contact"),
            ("collaboration_requests", "collaboration_request"),
            ("activities", "activity"),
            ("addresses", "address"),
            ("custom_fields", "custom_field"),
            ("inbox", "inbox"),
        ] {
            assert_eq!(record_type_for(stream), expected, "{stream}");
        }
    }

    #[test]
    fn full_pages_until_top() {
        let mut log = log_with(5);
        let first = log.read_page(StartAt::Tail, 3, true).unwrap();
        assert_eq!(first.items.len(), 3);
        assert_eq!(first.next_offset, 3);
        assert!(!first.reached_top);

        let second = log.read_page(StartAt::Offset(3), 3, true).unwrap();
        assert_eq!(second.items.len(), 2);
        assert!(second.reached_top);
    }

    #[test]
    fn top_skips_backlog() {
        let mut log = log_with(5);
        let page = log.read_page(StartAt::Top, 25, true).unwrap();
        assert!(page.items.is_empty());
        assert_eq!(page.next_offset, 5);
        assert!(page.reached_top);
    }

    #[test]
    fn plan_caps_pages_in_order() {
        let mut log = log_with(3);
        log.plan_pages(vec![2, 0, 0, 1]);
        let mut offset = 0;
        let mut shapes = Vec::new();
        for _ in 0..5 {
            let page = log.read_page(StartAt::Offset(offset), 25, true).unwrap();
            shapes.push((page.items.len(), page.reached_top));
            offset = page.next_offset;
        }
        assert_eq!(
            shapes,
            [(2, false), (0, false), (0, false), (1, true), (0, true)]
        );
    }

    #[test]
    fn plan_never_exceeds_limit() {
        let mut log = log_with(10);
        log.plan_pages(vec![8]);
        let page = log.read_page(StartAt::Tail, 4, true).unwrap();
        assert_eq!(page.items.len(), 4);
    }

    #[test]
    fn preview_leaves_plan_and_redelivery() {
        let mut log = log_with(4);
        log.plan_pages(vec![1]);
        log.redeliver_next(2);
        let preview = log.read_page(StartAt::Offset(4), 25, false).unwrap();
        let page = log.read_page(StartAt::Offset(4), 25, true).unwrap();
        assert_eq!(ids(&preview), ids(&page));
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.next_offset, 3);
    }

    #[test]
    fn redelivery_rewinds_once() {
        let mut log = log_with(5);
        log.redeliver_next(2);
        let again = log.read_page(StartAt::Offset(5), 25, true).unwrap();
        assert_eq!(
            ids(&again),
            [r#"{"data":{"id":3}}"#, r#"{"data":{"id":4}}"#]
        );
        let next = log.read_page(StartAt::Offset(5), 25, true).unwrap();
        assert!(next.items.is_empty());
    }

    #[test]
    fn redelivery_stops_at_oldest() {
        let mut log = log_with(3);
        log.redeliver_next(10);
        let page = log.read_page(StartAt::Offset(1), 25, true).unwrap();
        assert_eq!(page.items.len(), 3);
    }

    #[test]
    fn expire_drops_old_events_and_keeps_offsets() {
        let mut log = log_with(5);
        log.expire(1_002);
        assert_eq!(log.len(), 3);
        assert_eq!(log.end_offset(), 5);
        assert_eq!(
            log.read_page(StartAt::Offset(1), 25, true).unwrap_err(),
            PageError::Expired {
                offset: 1,
                oldest: 2
            }
        );
        let tail = log.read_page(StartAt::Tail, 25, true).unwrap();
        assert_eq!(tail.items.len(), 3);
    }

    #[test]
    fn offset_past_end_is_rejected() {
        let mut log = log_with(2);
        assert_eq!(
            log.read_page(StartAt::Offset(3), 25, true).unwrap_err(),
            PageError::BeyondEnd { offset: 3, end: 2 }
        );
    }

    #[test]
    fn sequences_count_per_record() {
        let mut log = log_with(0);
        assert_eq!(log.next_sequence("1".to_owned()), 1);
        assert_eq!(log.next_sequence("2".to_owned()), 1);
        assert_eq!(log.next_sequence("1".to_owned()), 2);
    }

    #[test]
    fn event_times_never_decrease() {
        let mut log = log_with(0);
        log.append(500, item(1));
        assert_eq!(log.next_event_time(400), 500);
        assert_eq!(log.next_event_time(600), 600);
    }

    #[test]
    fn stats_track_max_in_flight() {
        let counters = StatsCounters::default();
        {
            let _first = counters.enter();
            let _second = counters.enter();
            assert_eq!(counters.snapshot().in_flight, 2);
        }
        let _third = counters.enter();
        let stats = counters.snapshot();
        assert_eq!(stats.requests, 3);
        assert_eq!(stats.in_flight, 1);
        assert_eq!(stats.max_in_flight, 2);
    }
}
