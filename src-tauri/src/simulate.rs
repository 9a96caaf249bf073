//! `dealwatch simulate`: the Firehose simulator as a standalone server.

use std::time::Duration;

use dealwatch_sim::{SimConfig, Simulator};

use crate::cli::SimulateArgs;
use crate::exit::Exit;

/// How often the demo generator makes a change in demo mode.
pub const DEMO_PACE: Duration = Duration::from_millis(2500);

pub async fn run(args: SimulateArgs) -> Result<(), Exit> {
    let simulator = Simulator::start(SimConfig {
        port: args.port,
        token: args.token.clone(),
        seed: args.seed,
    })
    .await
    .map_err(|err| {
        Exit::failure(format!(
            "could not listen on 127.0.0.1:{}: {err}. Choose another port with --port, or 0 for any free one.",
            args.port
        ))
    })?;

    if args.backlog > 0 {
        simulator.seed_demo_backlog(args.backlog);
    }
    if args.pace_ms > 0 {
        simulator.start_demo(Duration::from_millis(args.pace_ms));
    }

    println!("Simulator listening on {}", simulator.url());
    println!("Demo token: {}", simulator.token());
    println!();
    println!("Follow it in another terminal:");
    println!(
        "  DEALWATCH_TOKEN={} dealwatch tail --api-url {}",
        simulator.token(),
        simulator.url()
    );
    println!("Press Ctrl+C to stop.");

    let _ = tokio::signal::ctrl_c().await;
    simulator.shutdown();
    Ok(())
}

/// Starts the simulator in-process with live demo activity, for demo mode.
pub async fn start_demo_simulator() -> Result<Simulator, Exit> {
    let simulator = Simulator::start(SimConfig::default())
        .await
        .map_err(|err| {
            Exit::failure(format!(
                "could not start the demo simulator on 127.0.0.1: {err}"
            ))
        })?;
    simulator.start_demo(DEMO_PACE);
    Ok(simulator)
}
