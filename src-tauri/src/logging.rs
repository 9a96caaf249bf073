//! Log setup. Logs go through `tracing`; the token is never a field of any
//! log line (its `Debug` is redacted as a second line of defence).

use tracing_subscriber::EnvFilter;

/// For the terminal subcommands: log lines on stderr only when
/// `DEALWATCH_LOG` requests them (for example `DEALWATCH_LOG=info`), so
/// that the printed changes stay readable.
pub fn init_terminal() {
    let filter = EnvFilter::try_from_env("DEALWATCH_LOG").unwrap_or_else(|_| EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// For the tray app: log lines on stderr at `info` unless `DEALWATCH_LOG`
/// sets another filter; noisy dependencies are held to warnings.
pub fn init_app() {
    let filter = EnvFilter::try_from_env("DEALWATCH_LOG").unwrap_or_else(|_| {
        EnvFilter::new("info,zbus=warn,tao=warn,wry=warn,reqwest=warn,hyper=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
