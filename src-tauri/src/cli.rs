//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Dealwatch pops up Zendesk Sell deal changes as they happen. With no
/// subcommand it starts the tray app.
#[derive(Debug, Parser)]
#[command(name = "dealwatch", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Run on the built-in simulator's demo activity instead of a Sell
    /// account. The keyring is left untouched.
    #[arg(long)]
    pub demo: bool,

    /// Start with the window hidden, in the tray only (used by start at login).
    #[arg(long)]
    pub hidden: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Follow Firehose streams and print each change as it arrives.
    Tail(TailArgs),
    /// Serve a local fake of the Sell Firehose API with lifelike demo activity.
    Simulate(SimulateArgs),
    /// Store, check or remove the access token in the OS keyring.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum From {
    /// Only changes made from now on.
    Top,
    /// Everything Sell still keeps (72 hours).
    Tail,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// A stream to follow: deals, leads, contacts, tasks, ... Repeat for several.
    #[arg(long = "resource", value_name = "NAME", default_value = "deals", value_parser = parse_resource)]
    pub resources: Vec<String>,

    /// Print each item exactly as received, one JSON object per line.
    #[arg(long)]
    pub json: bool,

    /// Drain every stream to the newest event, then exit.
    #[arg(long)]
    pub once: bool,

    /// The starting point of a stream that has no saved position.
    #[arg(long, value_enum, default_value_t = From::Top)]
    pub from: From,

    /// Save positions in the data directory and continue from them next time.
    #[arg(long)]
    pub resume: bool,

    /// Seconds to wait between polls once a stream is at its newest event.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,

    /// Events per request, 1 to 100.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub limit: u8,

    /// The Sell API address.
    #[arg(long, value_name = "URL", env = "DEALWATCH_API_URL", default_value = dealwatch_core::client::DEFAULT_API_URL)]
    pub api_url: String,

    /// Seconds before a request that has no response is abandoned.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,

    /// Follow the built-in simulator's demo activity instead of a Sell
    /// account (the API address and token are then ignored).
    #[arg(long)]
    pub demo: bool,

    /// The first retry delay in milliseconds; later retries double it.
    #[arg(long, value_name = "MS", default_value_t = 2000, hide = true)]
    pub backoff_base_ms: u64,

    /// Requests per second at most, across all streams (0 lifts the limit,
    /// for benchmarks against the simulator). Sell allows 10.
    #[arg(long, value_name = "N", default_value_t = 10, hide = true)]
    pub max_requests_per_second: u32,

    /// With --once, give up after this many failed attempts in a row.
    #[arg(long, value_name = "N", default_value_t = 5, hide = true)]
    pub max_failures: u32,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The port to listen on, on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// The token the simulator accepts.
    #[arg(long, default_value = "demo-token")]
    pub token: String,

    /// Events to generate before serving, so `--from tail` has a backlog.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub backlog: usize,

    /// Milliseconds between live demo events (0 turns live activity off).
    #[arg(long, value_name = "MS", default_value_t = 2500)]
    pub pace_ms: u64,

    /// Seed for the demo generator, for repeatable activity.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Read a token from standard input and store it in the OS keyring.
    Set,
    /// Say whether a token is stored, without showing it.
    Status,
    /// Remove the stored token.
    Clear,
}

fn parse_resource(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a stream name; use a name such as deals, leads, contacts or tasks"
        ))
    }
}

/// Returns where `dealwatch tail --resume` keeps its positions, apart from the app's
/// database so the two never take events from each other.
pub fn tail_database() -> PathBuf {
    dealwatch_core::paths::data_dir().join("tail.db")
}
