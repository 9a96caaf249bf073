//! Catch-up throughput: drains a backlog from the simulator over loopback
//! into an on-disk store and reports events per second and peak RSS.
//!
//!     cargo bench -p dealwatch-core --bench catch_up [-- EVENTS]
//!
//! The simulator runs in this process on its own runtime thread, so the
//! peak RSS printed includes its event log and is an upper bound for the
//! client alone (docs/BENCHMARKS.md also gives the client-only figure).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dealwatch_core::client::{Client, ClientConfig};
use dealwatch_core::engine::{Engine, EngineConfig, EngineEvent, StartFrom};
use dealwatch_core::store::{Store, DEFAULT_EVENT_CAP};
use dealwatch_core::token::Token;
use dealwatch_sim::{SimConfig, Simulator};

fn main() {
    let events: usize = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(100_000);

    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let simulator = server_runtime
        .block_on(Simulator::start(SimConfig::default()))
        .unwrap();
    simulator.seed_demo_backlog(events);

    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(&dir.path().join("bench.db"), DEFAULT_EVENT_CAP).unwrap();
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();

    let (elapsed, received) = client_runtime.block_on(async {
        let client = Client::new(
            &ClientConfig {
                api_url: simulator.url(),
                timeout: Duration::from_secs(30),
            },
            Token::new(&simulator.token()),
        )
        .unwrap()
        // The benchmark measures Dealwatch, not Sell's rate limit.
        .with_rate_limit(None);
        let config = EngineConfig {
            resources: vec!["deals".into()],
            start: StartFrom::Tail,
            limit: 100,
            ..EngineConfig::default()
        };
        let started = Instant::now();
        let (engine, mut events) = Engine::start(client, Arc::new(store), config);
        let mut received = 0usize;
        while let Some(event) = events.recv().await {
            match event {
                EngineEvent::Changes { events, .. } => received += events.len(),
                EngineEvent::Drained { .. } => break,
                EngineEvent::Retry { error, .. } => {
                    panic!("a request failed during the benchmark: {error}")
                }
                _ => {}
            }
        }
        let elapsed = started.elapsed();
        engine.shutdown().await;
        (elapsed, received)
    });

    assert_eq!(
        received,
        simulator.event_count("deals"),
        "every event was stored once"
    );
    let rate = received as f64 / elapsed.as_secs_f64();
    println!(
        "catch-up: {received} events in {:.2} s = {rate:.0} events/s",
        elapsed.as_secs_f64()
    );
    println!(
        "peak RSS (client and simulator): {} MB",
        peak_rss_kb() / 1024
    );
    simulator.shutdown();
}

/// The process's peak resident set size, from `VmHWM` in /proc/self/status.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
