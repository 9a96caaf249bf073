//! The engine against the simulator over loopback: draining, dedupe,
//! resuming, gaps, token errors, rate limits, broken responses, timeouts and
//! several streams at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dealwatch_core::client::{Client, ClientConfig, FetchError};
use dealwatch_core::engine::{
    Backoff, Engine, EngineConfig, EngineEvent, StartFrom, StreamState, UNHANDLED_EVENTS,
};
use dealwatch_core::store::{HistoryQuery, Store};
use dealwatch_core::token::Token;
use dealwatch_sim::{Fault, SimConfig, Simulator};
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

const WAIT: Duration = Duration::from_secs(20);

async fn simulator() -> Simulator {
    Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

fn client(sim: &Simulator, timeout: Duration) -> Client {
    let config = ClientConfig {
        api_url: sim.url(),
        timeout,
    };
    Client::new(&config, Token::new(&sim.token())).unwrap()
}

fn config(resources: &[&str], start: StartFrom) -> EngineConfig {
    EngineConfig {
        resources: resources.iter().map(|r| r.to_string()).collect(),
        interval: Duration::from_millis(200),
        limit: 100,
        start,
        backoff: Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
        },
    }
}

fn start(
    sim: &Simulator,
    store: Arc<Store>,
    config: EngineConfig,
) -> (Arc<Engine>, UnboundedReceiver<EngineEvent>) {
    Engine::start(client(sim, Duration::from_secs(5)), store, config)
}

fn memory_store() -> Arc<Store> {
    Arc::new(Store::open_in_memory(10_000).unwrap())
}

fn push_deals(sim: &Simulator, stream: &str, ids: std::ops::Range<i64>) -> Vec<String> {
    ids.map(|id| {
        sim.push_event(
            stream,
            "updated",
            json!({"id": id, "name": format!("Deal {id}"), "value": format!("{id}.00"), "currency": "USD"}),
            Some(json!({"value": "1.00"})),
        )
    })
    .collect()
}

/// Waits for the next event that `pick` accepts, failing after `WAIT`.
async fn wait_for<T>(
    events: &mut UnboundedReceiver<EngineEvent>,
    mut pick: impl FnMut(EngineEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("timed out waiting for an engine event")
            .expect("engine event channel closed");
        if let Some(found) = pick(event) {
            return found;
        }
    }
}

async fn wait_drained(events: &mut UnboundedReceiver<EngineEvent>, stream: &str) -> usize {
    wait_for(events, |event| match event {
        EngineEvent::Drained {
            resource,
            new_events,
            ..
        } if resource == stream => Some(new_events),
        _ => None,
    })
    .await
}

/// Collects the event ids of every `Changes` event until the stream drained.
async fn changes_until_drained(
    events: &mut UnboundedReceiver<EngineEvent>,
    stream: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    wait_for(events, |event| match event {
        EngineEvent::Changes { resource, events } if resource == stream => {
            seen.extend(events.into_iter().map(|e| e.event_id));
            None
        }
        EngineEvent::Drained { resource, .. } if resource == stream => Some(()),
        _ => None,
    })
    .await;
    seen
}

fn stored_ids(store: &Store) -> Vec<String> {
    let (rows, _) = store
        .history(&HistoryQuery {
            limit: 500,
            ..Default::default()
        })
        .unwrap();
    rows.into_iter().rev().map(|e| e.event_id).collect()
}

#[tokio::test]
async fn full_drain_with_short_and_empty_pages() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 1..11);
    sim.plan_pages("deals", vec![3, 0, 0, 2, 5]);
    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));

    let seen = changes_until_drained(&mut events, "deals").await;
    assert_eq!(seen, ids, "every event once, in order");
    assert_eq!(stored_ids(&store), ids);
    assert!(
        sim.stats("deals").requests >= 5,
        "empty pages with top:false are followed at once"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn redelivered_events_are_not_repeated() {
    let sim = simulator().await;
    let first = push_deals(&sim, "deals", 1..6);
    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));
    assert_eq!(changes_until_drained(&mut events, "deals").await, first);

    sim.redeliver_next("deals", 3);
    let second = push_deals(&sim, "deals", 6..8);
    engine.check_now().await;
    let seen = changes_until_drained(&mut events, "deals").await;
    assert_eq!(seen, second, "only the two new events are reported");
    assert_eq!(store.event_count().unwrap(), 7);
    engine.shutdown().await;
}

#[tokio::test]
async fn resume_across_restarts_loses_and_repeats_nothing() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dealwatch.db");
    let first = push_deals(&sim, "deals", 1..6);

    {
        let store = Arc::new(Store::open(&path, 10_000).unwrap().0);
        let (engine, mut events) = start(&sim, store, config(&["deals"], StartFrom::Tail));
        assert_eq!(changes_until_drained(&mut events, "deals").await, first);
        engine.shutdown().await;
    }

    let second = push_deals(&sim, "deals", 6..9);
    let store = Arc::new(Store::open(&path, 10_000).unwrap().0);
    // StartFrom::Top would skip the backlog, so getting the three new events
    // proves the saved position was used.
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Top));
    assert_eq!(changes_until_drained(&mut events, "deals").await, second);
    let mut all = first.clone();
    all.extend(second);
    assert_eq!(stored_ids(&store), all);
    engine.shutdown().await;
}

#[tokio::test]
async fn expired_position_records_a_gap_and_reanchors() {
    let sim = simulator().await;
    push_deals(&sim, "deals", 1..4);
    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));
    wait_drained(&mut events, "deals").await;
    let last_ok = store
        .last_ok_at("deals")
        .unwrap()
        .expect("a successful poll is recorded");
    engine.shutdown().await;

    // Events made after the last poll expire unseen: that is the gap.
    push_deals(&sim, "deals", 4..6);
    sim.advance_clock(Duration::from_secs(73 * 3600));
    push_deals(&sim, "deals", 6..8);
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));
    let gap = wait_for(&mut events, |event| match event {
        EngineEvent::Gap(gap) => Some(gap),
        _ => None,
    })
    .await;
    assert_eq!(gap.resource, "deals");
    assert_eq!(
        gap.since.as_deref(),
        Some(last_ok.as_str()),
        "the gap names the last good poll"
    );
    wait_drained(&mut events, "deals").await;
    assert_eq!(store.open_gaps().unwrap().len(), 1);

    let after = push_deals(&sim, "deals", 8..10);
    engine.check_now().await;
    assert_eq!(
        changes_until_drained(&mut events, "deals").await,
        after,
        "polling goes on from the top"
    );
    engine.shutdown().await;
}

/// Collects the event ids of `Changes` events until `count` have arrived.
async fn collect_changes(
    events: &mut UnboundedReceiver<EngineEvent>,
    stream: &str,
    count: usize,
) -> Vec<String> {
    let mut seen = Vec::new();
    wait_for(events, |event| {
        if let EngineEvent::Changes { resource, events } = event {
            if resource == stream {
                seen.extend(events.into_iter().map(|e| e.event_id));
            }
        }
        (seen.len() >= count).then_some(())
    })
    .await;
    seen
}

/// Pages are committed while the next ones are fetched. A request that
/// fails in the middle of a catch-up must still leave every page before it
/// stored, in order, with the position after the last of them.
#[tokio::test]
async fn failure_mid_catch_up_keeps_earlier_pages() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 1..351);
    // The first two requests are served as usual, the third fails.
    sim.inject("deals", Fault::Hang(Some(Duration::ZERO)));
    sim.inject("deals", Fault::Hang(Some(Duration::ZERO)));
    sim.inject(
        "deals",
        Fault::ServerError {
            status: 500,
            html: false,
        },
    );
    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));

    let mut seen = Vec::new();
    wait_for(&mut events, |event| match event {
        EngineEvent::Changes { events, .. } => {
            seen.extend(events.into_iter().map(|e| e.event_id));
            None
        }
        EngineEvent::Retry { .. } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(seen, ids[..200], "both pages before the failure, in order");
    assert_eq!(stored_ids(&store), ids[..200]);

    assert_eq!(
        changes_until_drained(&mut events, "deals").await,
        ids[200..],
        "the retry goes on from the last stored page"
    );
    assert_eq!(store.event_count().unwrap(), 350);
    engine.shutdown().await;
}

/// A position that expires in the middle of a catch-up: the pages fetched
/// before it are committed before the stream moves to the top, so none of
/// them moves the position back to where it expired.
#[tokio::test]
async fn expiry_mid_catch_up_reanchors_after_earlier_pages() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 1..351);
    sim.inject("deals", Fault::Hang(Some(Duration::ZERO)));
    sim.inject("deals", Fault::Hang(Some(Duration::ZERO)));
    // The third request waits while its position ages past 72 hours.
    sim.inject("deals", Fault::Hang(Some(Duration::from_secs(2))));
    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));

    assert_eq!(collect_changes(&mut events, "deals", 200).await, ids[..200]);
    sim.advance_clock(Duration::from_secs(73 * 3600));
    wait_for(&mut events, |event| match event {
        EngineEvent::Gap(gap) => Some(gap),
        _ => None,
    })
    .await;
    wait_drained(&mut events, "deals").await;
    assert_eq!(stored_ids(&store), ids[..200]);
    assert_eq!(store.open_gaps().unwrap().len(), 1);

    let after = push_deals(&sim, "deals", 351..354);
    engine.check_now().await;
    assert_eq!(
        changes_until_drained(&mut events, "deals").await,
        after,
        "polling goes on from the top"
    );
    assert_eq!(store.open_gaps().unwrap().len(), 1, "no second gap");
    engine.shutdown().await;
}

/// A consumer slower than a catch-up sets its pace: once
/// `UNHANDLED_EVENTS` reported events are held, the engine stores no more
/// pages until some are dropped, instead of queueing the whole backlog in
/// memory.
#[tokio::test]
async fn slow_consumer_holds_back_catch_up() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 1..8001);
    let store = memory_store();
    let (engine, mut events) = Engine::start(
        client(&sim, Duration::from_secs(5)).with_rate_limit(None),
        store.clone(),
        config(&["deals"], StartFrom::Tail),
    );

    // Nothing is read until the budget is spent.
    let deadline = Instant::now() + WAIT;
    while store.event_count().unwrap() < UNHANDLED_EVENTS {
        assert!(
            Instant::now() < deadline,
            "the catch-up never reached the budget"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stored = store.event_count().unwrap();
    assert!(
        stored <= UNHANDLED_EVENTS + 100,
        "{stored} events stored while {UNHANDLED_EVENTS} reported ones were held"
    );

    assert_eq!(
        changes_until_drained(&mut events, "deals").await,
        ids,
        "every event once, in order"
    );
    assert_eq!(store.event_count().unwrap(), 8000);
    engine.shutdown().await;
}

/// A catch-up into a database file, with every page marked announced as
/// the app and `tail` do. The write-ahead log must start over now and then
/// instead of growing with the backlog, which took 200 MB of disk for
/// 90,000 events.
#[tokio::test]
async fn catch_up_keeps_log_file_small() {
    let sim = simulator().await;
    let notes = "n".repeat(1000);
    for id in 0..30_000 {
        sim.push_event(
            "deals",
            "updated",
            json!({"id": id, "name": format!("Deal {id}"), "notes": notes}),
            None,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let (store, _) = Store::open(&path, 10_000).unwrap();
    let store = Arc::new(store);
    let (engine, mut events) = Engine::start(
        client(&sim, Duration::from_secs(5)).with_rate_limit(None),
        store.clone(),
        config(&["deals"], StartFrom::Tail),
    );

    let wal = dir.path().join("events.db-wal");
    let mut largest = 0;
    let mut received = 0;
    loop {
        let event = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("timed out waiting for the catch-up")
            .expect("engine event channel closed");
        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        match event {
            EngineEvent::Changes { events, .. } => {
                received += events.len();
                let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
                store.mark_notified(&ids).unwrap();
            }
            EngineEvent::Drained { .. } => break,
            _ => {}
        }
    }
    assert_eq!(received, 30_000);
    assert!(
        largest < 40 * 1024 * 1024,
        "the log file grew to {largest} bytes for 30 MB of events"
    );
    engine.shutdown().await;
}

async fn token_error_stops_without_retrying(forbidden: bool) {
    let sim = simulator().await;
    let first_token = if forbidden {
        sim.set_forbidden(true);
        sim.token()
    } else {
        "a-revoked-token".to_owned()
    };
    let store = memory_store();
    let client = Client::new(
        &ClientConfig {
            api_url: sim.url(),
            timeout: Duration::from_secs(5),
        },
        Token::new(&first_token),
    )
    .unwrap();
    let (engine, mut events) =
        Engine::start(client, store.clone(), config(&["deals"], StartFrom::Tail));
    let expected = if forbidden {
        StreamState::Forbidden
    } else {
        StreamState::TokenRejected
    };
    let state = wait_for(&mut events, |event| match event {
        EngineEvent::State { state, .. } if state.needs_token() => Some(state),
        _ => None,
    })
    .await;
    assert_eq!(state, expected);

    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        sim.stats("deals").requests,
        1,
        "a rejected token is not retried in a loop"
    );

    let ids = push_deals(&sim, "deals", 1..3);
    if forbidden {
        sim.set_forbidden(false);
    }
    engine.set_token(Token::new(&sim.token()));
    assert_eq!(
        changes_until_drained(&mut events, "deals").await,
        ids,
        "polling resumes with a new token"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn unauthorized_stops_until_new_token() {
    token_error_stops_without_retrying(false).await;
}

#[tokio::test]
async fn forbidden_stops_until_new_token() {
    token_error_stops_without_retrying(true).await;
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 1..3);
    sim.inject(
        "deals",
        Fault::RateLimited {
            retry_after: Some(2),
        },
    );
    let store = memory_store();
    let started = Instant::now();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));

    let (delay, error) = wait_for(&mut events, |event| match event {
        EngineEvent::Retry { delay, error, .. } => Some((delay, error)),
        _ => None,
    })
    .await;
    assert_eq!(
        error,
        FetchError::RateLimited {
            retry_after: Some(Duration::from_secs(2))
        }
    );
    assert_eq!(delay, Duration::from_secs(2));
    assert_eq!(
        store.position("deals").unwrap(),
        None,
        "position unchanged after a 429"
    );

    assert_eq!(changes_until_drained(&mut events, "deals").await, ids);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the retry waited for Retry-After"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn rate_limit_without_retry_after_backs_off() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 1..3);
    sim.inject("deals", Fault::RateLimited { retry_after: None });
    sim.inject("deals", Fault::RateLimited { retry_after: None });
    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));

    let mut delays = Vec::new();
    let seen = {
        let mut seen = Vec::new();
        wait_for(&mut events, |event| match event {
            EngineEvent::Retry {
                delay, failures, ..
            } => {
                delays.push((failures, delay));
                None
            }
            EngineEvent::Changes { events, .. } => {
                seen.extend(events.into_iter().map(|e| e.event_id));
                None
            }
            EngineEvent::Drained { .. } => Some(()),
            _ => None,
        })
        .await;
        seen
    };
    assert_eq!(seen, ids);
    assert_eq!(delays.len(), 2);
    let (first, second) = (delays[0].1, delays[1].1);
    assert!(
        first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
        "first backoff {first:?}"
    );
    assert!(
        second >= Duration::from_millis(100) && second <= Duration::from_millis(200),
        "second backoff {second:?}"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn broken_responses_leave_position_unchanged() {
    let faults = [
        (
            "5xx with HTML",
            Fault::ServerError {
                status: 502,
                html: true,
            },
        ),
        (
            "5xx empty",
            Fault::ServerError {
                status: 503,
                html: false,
            },
        ),
        ("HTML body", Fault::HtmlBody),
        ("truncated JSON", Fault::TruncatedJson),
    ];
    for (label, fault) in faults {
        let sim = simulator().await;
        let first = push_deals(&sim, "deals", 1..3);
        let store = memory_store();
        let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));
        assert_eq!(
            changes_until_drained(&mut events, "deals").await,
            first,
            "{label}"
        );
        let position = store.position("deals").unwrap();

        let second = push_deals(&sim, "deals", 3..5);
        sim.inject("deals", fault);
        engine.check_now().await;
        let error = wait_for(&mut events, |event| match event {
            EngineEvent::Retry { error, .. } => Some(error),
            _ => None,
        })
        .await;
        assert_eq!(
            store.position("deals").unwrap(),
            position,
            "{label}: position unchanged ({error})"
        );
        assert_eq!(
            store.event_count().unwrap(),
            2,
            "{label}: nothing stored from the broken page"
        );

        assert_eq!(
            changes_until_drained(&mut events, "deals").await,
            second,
            "{label}: recovered"
        );
        assert_eq!(store.event_count().unwrap(), 4, "{label}");
        engine.shutdown().await;
        sim.shutdown();
    }
}

#[tokio::test]
async fn hanging_response_times_out_then_recovers() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 1..3);
    sim.inject("deals", Fault::Hang(None));
    let store = memory_store();
    let (engine, mut events) = Engine::start(
        client(&sim, Duration::from_secs(1)),
        store.clone(),
        config(&["deals"], StartFrom::Tail),
    );

    let state = wait_for(&mut events, |event| match event {
        EngineEvent::State {
            state: state @ StreamState::Offline { .. },
            ..
        } => Some(state),
        _ => None,
    })
    .await;
    assert!(
        matches!(state, StreamState::Offline { ref error, .. } if error.contains("timed out")),
        "{state:?}"
    );
    assert_eq!(changes_until_drained(&mut events, "deals").await, ids);
    let ok = wait_for(&mut events, |event| match event {
        EngineEvent::State { state, .. } => Some(state),
        _ => None,
    });
    // The Ok state is sent before Drained, so it may already have been consumed.
    let _ = tokio::time::timeout(Duration::from_millis(10), ok).await;
    engine.shutdown().await;
}

#[tokio::test]
async fn check_now_joins_running_poll() {
    let sim = simulator().await;
    push_deals(&sim, "deals", 1..3);
    sim.inject("deals", Fault::Hang(Some(Duration::from_millis(700))));
    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));

    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    tokio::join!(engine.check_now(), engine.check_now(), engine.check_now());
    assert!(started.elapsed() < Duration::from_secs(5));
    wait_drained(&mut events, "deals").await;
    assert_eq!(
        sim.stats("deals").max_in_flight,
        1,
        "never two requests for one stream"
    );
    assert_eq!(store.event_count().unwrap(), 2);
    engine.shutdown().await;
}

#[tokio::test]
async fn several_streams_keep_their_own_positions() {
    let sim = simulator().await;
    let mut expected = Vec::new();
    for (stream, kind) in [
        ("deals", "deal"),
        ("leads", "lead"),
        ("contacts", "contact"),
    ] {
        let ids: Vec<String> = (1..4)
            .map(|id| {
                sim.push_event(
                    stream,
                    "created",
                    json!({"id": id, "name": format!("{kind} {id}")}),
                    None,
                )
            })
            .collect();
        expected.push((stream, ids));
    }
    let store = memory_store();
    let (engine, mut events) = start(
        &sim,
        store.clone(),
        config(&["deals", "leads", "contacts"], StartFrom::Tail),
    );

    let mut drained = std::collections::HashSet::new();
    let mut seen: std::collections::HashMap<String, Vec<String>> = Default::default();
    wait_for(&mut events, |event| match event {
        EngineEvent::Changes { resource, events } => {
            seen.entry(resource)
                .or_default()
                .extend(events.into_iter().map(|e| e.event_id));
            None
        }
        EngineEvent::Drained { resource, .. } => {
            drained.insert(resource);
            (drained.len() == 3).then_some(())
        }
        _ => None,
    })
    .await;

    for (stream, ids) in &expected {
        assert_eq!(seen.get(*stream), Some(ids), "{stream}");
        let position = store
            .position(stream)
            .unwrap()
            .expect("each stream saves a position");
        assert!(
            position.contains('+') && position.contains('/'),
            "{stream}: {position}"
        );
        assert_eq!(
            sim.stats(stream).max_in_flight,
            1,
            "{stream}: one request in flight at most"
        );
    }
    let positions: std::collections::HashSet<_> = ["deals", "leads", "contacts"]
        .iter()
        .map(|s| store.position(s).unwrap())
        .collect();
    assert_eq!(positions.len(), 3, "each stream has a position of its own");
    engine.shutdown().await;
}

#[tokio::test]
async fn hostile_data_passes_through_intact() {
    let sim = simulator().await;
    let big = "x".repeat(100 * 1024);
    let names = [
        "Déjà vu 🚀 商談",
        "Cafe\u{301} ñ\u{303}",
        "<script>alert(\"&amp;\")</script> 'quoted'",
        "\"><img src=x onerror=alert(1)>",
    ];
    let mut raws = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let raw = json!({
            "data": {"id": index + 1, "name": name, "value": "12345678901234567890.12", "currency": "JPY",
                     "custom_field_values": [{"value": big, "custom_field": {"data": {"id": 1, "name": "Notes"}}}],
                     "unknown_field": {"nested": [null, true, 1.5]}},
            "meta": {"type": "deal", "event_type": "created", "event_id": format!("hostile{index:014}"),
                     "event_time": "2024-05-01T10:00:00Z", "sequence": 1}
        })
        .to_string();
        sim.push_raw("deals", &raw);
        raws.push(raw);
    }
    // A number wider than 64 bits, written by hand because serde_json would round it.
    let wide = r#"{"data":{"id":99,"name":"Wide","value":"1.00","amount_exact":123456789012345678901234567890},"meta":{"type":"deal","event_type":"created","event_id":"wide0000000000000000ab","event_time":"2024-05-01T10:00:01Z"}}"#;
    sim.push_raw("deals", wide);
    raws.push(wide.to_owned());

    let store = memory_store();
    let (engine, mut events) = start(&sim, store.clone(), config(&["deals"], StartFrom::Tail));
    wait_drained(&mut events, "deals").await;

    let (rows, total) = store
        .history(&HistoryQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(total, raws.len());
    let stored: Vec<String> = rows.into_iter().rev().map(|e| e.raw.to_string()).collect();
    assert_eq!(stored, raws, "stored text is byte for byte what was served");
    let (rows, _) = store
        .history(&HistoryQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let stored_names: Vec<_> = rows.iter().rev().filter_map(|e| e.name.clone()).collect();
    assert_eq!(&stored_names[..4], &names);
    engine.shutdown().await;
}

#[tokio::test]
async fn catch_up_stays_within_sell_rate_limit() {
    let sim = simulator().await;
    let ids = push_deals(&sim, "deals", 0..2_500);
    let store = memory_store();
    let started = Instant::now();
    let mut config = config(&["deals"], StartFrom::Tail);
    config.limit = 100;
    let (engine, mut events) = start(&sim, store.clone(), config);

    let seen = changes_until_drained(&mut events, "deals").await;
    let elapsed = started.elapsed();
    assert_eq!(seen.len(), ids.len());
    let requests = sim.stats("deals").requests;
    assert_eq!(requests, 25, "one request per page of 100");
    // A burst of 10 goes out at once, then 10 per second: 15 more take 1.5 s.
    assert!(
        elapsed >= Duration::from_millis(1_400),
        "{requests} requests in {elapsed:?}"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn wake_polls_at_once_without_second_loop() {
    let sim = simulator().await;
    let store = memory_store();
    let mut config = config(&["deals"], StartFrom::Tail);
    config.interval = Duration::from_secs(600);
    let (engine, mut events) = start(&sim, store.clone(), config);
    wait_drained(&mut events, "deals").await;

    let ids = push_deals(&sim, "deals", 1..3);
    let woken = Instant::now();
    engine.wake();
    engine.wake();
    assert_eq!(changes_until_drained(&mut events, "deals").await, ids);
    assert!(
        woken.elapsed() < Duration::from_secs(2),
        "the poll followed the wake, not the 600 s interval"
    );
    assert_eq!(
        sim.stats("deals").max_in_flight,
        1,
        "two wakes start no second loop"
    );

    // After the wake the stream waits its interval again.
    let before = sim.stats("deals").requests;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sim.stats("deals").requests,
        before,
        "one loop, back to waiting"
    );
    engine.shutdown().await;
}

#[test]
fn streams_change_from_a_thread_outside_the_runtime() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(simulator());
    let store = memory_store();
    let (engine, mut events) =
        runtime.block_on(async { start(&sim, store.clone(), config(&["deals"], StartFrom::Tail)) });

    // A GUI thread (the Tauri main thread) is outside the runtime.
    let ids = sim.push_event(
        "leads",
        "created",
        json!({"id": 1, "first_name": "Ada"}),
        None,
    );
    std::thread::spawn({
        let engine = engine.clone();
        move || engine.set_resources(&["deals".to_owned(), "leads".to_owned()])
    })
    .join()
    .expect("adding a stream from another thread does not panic");

    let seen = runtime.block_on(changes_until_drained(&mut events, "leads"));
    assert_eq!(seen, [ids]);
    runtime.block_on(engine.shutdown());
}
