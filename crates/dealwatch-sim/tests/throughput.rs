//! Throughput of seeding and draining a large backlog. Ignored by default because
//! debug builds are slow. Run it with
//! `cargo test -p dealwatch-sim --release --test throughput -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::Harness;
use serde::de::IgnoredAny;
use serde::Deserialize;

/// The parts of a page that paging needs. Items are checked for valid JSON but not
/// kept, so that the measurement is not dominated by building JSON values.
#[derive(Deserialize)]
struct PageSummary {
    items: Vec<IgnoredAny>,
    meta: PageMeta,
}

#[derive(Deserialize)]
struct PageMeta {
    position: String,
    top: bool,
}

/// Minimum drain rate that keeps the simulator from being a client benchmark's
/// bottleneck, in events per second.
const MIN_EVENTS_PER_SEC: f64 = 50_000.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures release-build throughput"]
async fn drain_large_backlog() {
    let harness = Harness::start().await;

    let seeding = Instant::now();
    harness.sim.seed_demo_backlog(200_000);
    let seed_time = seeding.elapsed();
    let deals = harness.sim.event_count("deals");
    println!("seeded 200000 events ({deals} deals) in {seed_time:?}");

    let draining = Instant::now();
    let mut position = "tail".to_owned();
    let mut received = 0;
    loop {
        let response = harness.page("deals", &position, Some("100")).await;
        let bytes = response.bytes().await.unwrap();
        let page: PageSummary = serde_json::from_slice(&bytes).unwrap();
        received += page.items.len();
        position = page.meta.position;
        if page.meta.top {
            break;
        }
    }
    let drain_time = draining.elapsed();
    let rate = received as f64 / drain_time.as_secs_f64();
    println!("drained {received} events in {drain_time:?}: {rate:.0} events/s");

    assert_eq!(received, deals);
    assert!(rate >= MIN_EVENTS_PER_SEC, "{rate:.0} events/s");
}
