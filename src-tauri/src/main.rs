//! The `dealwatch` binary: the tray app when run without a subcommand, and
//! the terminal subcommands `tail`, `simulate` and `token`.

// Without this a release build on Windows would open a console window too.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod cli;
#[cfg(feature = "desktop")]
mod desktop;
mod exit;
mod logging;
mod simulate;
mod tail;
mod token_cmd;

use clap::Parser;

use cli::{Cli, Command};
use exit::Exit;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and --version are printed by clap and exit 0; usage errors exit 2.
            err.exit();
        }
    };

    let result = match cli.command {
        Some(command) => run_command(command),
        None => run_app(cli.demo, cli.hidden),
    };

    if let Err(exit) = result {
        eprintln!("dealwatch: {exit}");
        std::process::exit(exit.code as i32);
    }
}

fn run_command(command: Command) -> Result<(), Exit> {
    logging::init_terminal();
    match command {
        Command::Token { action } => token_cmd::run(action),
        Command::Tail(args) => runtime()?.block_on(tail::run(args)),
        Command::Simulate(args) => runtime()?.block_on(simulate::run(args)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| Exit::failure(format!("could not start the async runtime: {err}")))
}

#[cfg(not(feature = "desktop"))]
fn run_app(_demo: bool, _hidden: bool) -> Result<(), Exit> {
    Err(Exit::usage(
        "this build has no desktop app (it was built without the `desktop` feature). \
         Use a subcommand: tail, simulate or token. See `dealwatch --help`."
            .to_owned(),
    ))
}

#[cfg(feature = "desktop")]
fn run_app(demo: bool, hidden: bool) -> Result<(), Exit> {
    desktop::run(demo, hidden)
}
