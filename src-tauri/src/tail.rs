//! `dealwatch tail`: the engine in a terminal.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use dealwatch_core::client::{Client, ClientConfig};
use dealwatch_core::engine::{Backoff, Engine, EngineConfig, EngineEvent, StartFrom, StreamState};
use dealwatch_core::format::{self, NoNames};
use dealwatch_core::store::{Store, StoredEvent, DEFAULT_EVENT_CAP};
use dealwatch_core::token::{self, Token};

use crate::cli::{self, TailArgs};
use crate::exit::{Exit, ExitCode};

/// Runs `tail` until it is interrupted, or, with `--once`, until every stream
/// reached its newest event.
pub async fn run(args: TailArgs) -> Result<(), Exit> {
    let demo = if args.demo {
        Some(crate::simulate::start_demo_simulator().await?)
    } else {
        None
    };
    let (api_url, token) = match &demo {
        Some(simulator) => (simulator.url(), Token::new(&simulator.token())),
        None => (args.api_url.clone(), Some(resolve_token()?)),
    };

    let client = Client::new(
        &ClientConfig {
            api_url,
            timeout: Duration::from_secs(args.timeout),
        },
        token,
    )
    .map_err(|reason| Exit::usage(format!("{reason}.")))?
    .with_rate_limit(Some(args.max_requests_per_second).filter(|n| *n > 0));

    let store = if args.resume {
        let path = cli::tail_database();
        let (store, report) = Store::open(&path, DEFAULT_EVENT_CAP).map_err(|err| {
            Exit::failure(format!(
                "{err}. Check that the data directory is writable, or set DEALWATCH_DATA_DIR."
            ))
        })?;
        if let Some(aside) = report.moved_aside {
            eprintln!(
                "dealwatch: the saved positions in {} could not be read; the file was moved to {} and streams start again from --from.",
                path.display(),
                aside.display()
            );
        }
        store
    } else {
        Store::open_in_memory(DEFAULT_EVENT_CAP)
            .map_err(|err| Exit::failure(format!("could not set up the in-memory store: {err}")))?
    };

    let mut resources: Vec<String> = Vec::new();
    for resource in &args.resources {
        if !resources.contains(resource) {
            resources.push(resource.clone());
        }
    }
    let config = EngineConfig {
        resources: resources.clone(),
        interval: Duration::from_secs(args.interval),
        limit: args.limit,
        start: match args.from {
            cli::From::Top => StartFrom::Top,
            cli::From::Tail => StartFrom::Tail,
        },
        backoff: Backoff {
            base: Duration::from_millis(args.backoff_base_ms.max(1)),
            ..Backoff::default()
        },
    };
    // Events a previous run stored but did not print before it stopped
    // (a crash between committing a page and writing it out) come first.
    let store = Arc::new(store);
    let unprinted = store
        .unnotified()
        .map_err(|err| Exit::failure(format!("could not read the saved events: {err}")))?;
    let unprinted: Vec<_> = unprinted
        .into_iter()
        .filter(|e| resources.contains(&e.resource))
        .collect();
    if !print_events(&args, &store, &unprinted) {
        return Ok(());
    }

    let (engine, mut events) = Engine::start(client, store.clone(), config);
    if !args.once {
        engine.spawn_wake_detector();
    }

    let outcome = follow(&args, &store, &resources, &mut events).await;
    engine.shutdown().await;
    if let Some(simulator) = demo {
        simulator.shutdown();
    }
    outcome
}

async fn follow(
    args: &TailArgs,
    store: &Store,
    resources: &[String],
    events: &mut tokio::sync::mpsc::UnboundedReceiver<EngineEvent>,
) -> Result<(), Exit> {
    let mut drained: HashSet<String> = HashSet::new();
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);

    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = &mut interrupt => return Ok(()),
        };
        let Some(event) = event else { return Ok(()) };

        match event {
            EngineEvent::Changes { events, .. } => {
                if !print_events(args, store, &events) {
                    return Ok(());
                }
            }
            EngineEvent::State { resource, state } => {
                report_state(&resource, &state)?;
            }
            EngineEvent::Retry {
                resource,
                error,
                delay,
                failures,
            } => {
                if args.once && failures >= args.max_failures {
                    return Err(Exit::failure(format!(
                        "{resource}: giving up after {failures} failed attempts in a row. Last error: {error}."
                    )));
                }
                if failures == 1 {
                    eprintln!(
                        "dealwatch: {resource}: {error}; retrying in {}.",
                        describe_delay(delay)
                    );
                }
            }
            EngineEvent::Gap(gap) => {
                let since = gap.since.as_deref().unwrap_or("an unknown time");
                eprintln!(
                    "dealwatch: {}: the saved position had expired (Sell keeps events for 72 hours). \
                     Restarted at the newest event; changes made between {since} and {} were missed.",
                    gap.resource, gap.detected_at
                );
            }
            EngineEvent::Drained { resource, .. } => {
                drained.insert(resource);
                if args.once && resources.iter().all(|r| drained.contains(r)) {
                    return Ok(());
                }
            }
        }
    }
}

/// Prints events, then marks them printed in the store, so that with
/// `--resume` a crash can repeat an event's output but never lose it.
/// Returns false when stdout is closed (`dealwatch tail | head`), which ends
/// the run quietly.
fn print_events(args: &TailArgs, store: &Store, events: &[StoredEvent]) -> bool {
    if events.is_empty() {
        return true;
    }
    // Standard output flushes at every line, a write call per event. One
    // buffer per batch, flushed before the batch is marked printed, keeps
    // the guarantee above.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    for event in events {
        let written = if args.json {
            writeln!(out, "{}", event.raw)
        } else {
            writeln!(out, "{}\n", format::terminal_block(event, &NoNames))
        };
        if written.is_err() {
            return false;
        }
    }
    if out.flush().is_err() {
        return false;
    }
    let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
    if let Err(err) = store.mark_notified(&ids) {
        tracing::warn!(%err, "could not mark events printed; a resumed run may print them again");
    }
    true
}

fn report_state(resource: &str, state: &StreamState) -> Result<(), Exit> {
    match state {
        StreamState::TokenRejected => Err(Exit::token(format!(
            "{resource}: Sell rejected the access token (HTTP 401). Create a new token in Sell \
             under Settings > Integrations > OAuth > Access Tokens, then run `dealwatch token set` \
             or set DEALWATCH_TOKEN."
        ))),
        StreamState::Forbidden => Err(Exit::token(format!(
            "{resource}: the access token lacks access to this stream (HTTP 403). The Firehose API \
             needs the Growth plan or above, and possibly a token of the account's root user."
        ))),
        StreamState::NoToken => Err(Exit::token(
            "no access token is set. Run `dealwatch token set` or set DEALWATCH_TOKEN.".to_owned(),
        )),
        StreamState::Ok => {
            eprintln!("dealwatch: {resource}: connected.");
            Ok(())
        }
        StreamState::Offline { .. }
        | StreamState::BackingOff { .. }
        | StreamState::RateLimited { .. } => {
            // The matching Retry event prints the error and the delay.
            Ok(())
        }
        StreamState::Starting | StreamState::Stopped => Ok(()),
    }
}

fn describe_delay(delay: Duration) -> String {
    let millis = delay.as_millis();
    if millis < 1000 {
        format!("{millis} ms")
    } else {
        format!("{:.0} s", delay.as_secs_f64().ceil())
    }
}

/// Reads the token from `DEALWATCH_TOKEN`, or else from the OS keyring.
pub fn resolve_token() -> Result<Token, Exit> {
    if let Ok(text) = std::env::var("DEALWATCH_TOKEN") {
        return Token::new(&text).ok_or_else(|| {
            Exit::usage(
                "DEALWATCH_TOKEN is set but empty or invalid (it must be one line of printable ASCII)."
                    .to_owned(),
            )
        });
    }
    match token::load() {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(Exit::new(
            ExitCode::Failure,
            "no access token is set. Run `dealwatch token set` to store one in the OS keyring, \
             or set DEALWATCH_TOKEN. To try Dealwatch without a Sell account, run `dealwatch tail --demo`."
                .to_owned(),
        )),
        Err(err) => Err(Exit::failure(format!(
            "DEALWATCH_TOKEN is not set and the token could not be read from the keyring: {err}"
        ))),
    }
}
