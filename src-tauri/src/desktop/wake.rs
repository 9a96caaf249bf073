//! Polls at once when the machine resumes from sleep or the network comes
//! back, as systemd-logind and NetworkManager announce on the D-Bus system
//! bus. This complements the engine's clock-jump check, which notices a
//! resume only on its next tick and never notices a network that returns.
//!
//! Without a system bus (containers, other platforms) the app carries on
//! with the clock-jump check alone.

use std::sync::Weak;
use std::time::Duration;

use futures_util::StreamExt;
use zbus::message::Type;
use zbus::{Connection, MatchRule, Message, MessageStream};

use super::App;

const LOGIN1_NAME: &str = "org.freedesktop.login1";
const LOGIN1_PATH: &str = "/org/freedesktop/login1";
const LOGIN1_MANAGER: &str = "org.freedesktop.login1.Manager";

const NETWORK_MANAGER_NAME: &str = "org.freedesktop.NetworkManager";
const NETWORK_MANAGER_PATH: &str = "/org/freedesktop/NetworkManager";

/// `NM_STATE_CONNECTED_GLOBAL` from NetworkManager's `NMState`: the machine
/// has full network access.
const NM_STATE_CONNECTED_GLOBAL: u32 = 70;

/// How long connecting to the system bus may take before the app gives up on it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts listening in the background. The task ends when the app is gone or
/// the system bus closes the connection.
pub fn spawn(app: Weak<App>) {
    tauri::async_runtime::spawn(async move {
        if let Err(err) = listen(app).await {
            tracing::warn!(%err, "stopped listening for resume and network signals on the D-Bus system bus");
        }
    });
}

/// The meaning of a system bus signal for polling.
#[derive(Debug, PartialEq, Eq)]
enum Signal {
    Resumed,
    NetworkConnected,
    Ignored,
}

async fn listen(app: Weak<App>) -> zbus::Result<()> {
    let connection = match tokio::time::timeout(CONNECT_TIMEOUT, Connection::system()).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(err)) => {
            tracing::info!(%err, "no D-Bus system bus; a resume from sleep is noticed by the clock check only");
            return Ok(());
        }
        Err(_) => {
            tracing::info!(
                timeout_secs = CONNECT_TIMEOUT.as_secs(),
                "the D-Bus system bus did not answer; a resume from sleep is noticed by the clock check only"
            );
            return Ok(());
        }
    };

    // The bus delivers these signals only when their sender owns the
    // well-known name, so another process cannot fake them.
    let sleep_rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .sender(LOGIN1_NAME)
        .path(LOGIN1_PATH)
        .interface(LOGIN1_MANAGER)
        .member("PrepareForSleep")
        .build()?;
    let network_rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .sender(NETWORK_MANAGER_NAME)
        .path(NETWORK_MANAGER_PATH)
        .interface(NETWORK_MANAGER_NAME)
        .member("StateChanged")
        .build()?;
    let mut sleep = MessageStream::for_match_rule(sleep_rule, &connection, None).await?;
    let mut network = MessageStream::for_match_rule(network_rule, &connection, None).await?;
    tracing::info!("listening for resume and network signals on the D-Bus system bus");

    loop {
        let message = tokio::select! {
            message = sleep.next() => message,
            message = network.next() => message,
        };
        let Some(message) = message else {
            tracing::info!("the D-Bus system bus closed the connection; a resume from sleep is noticed by the clock check only");
            return Ok(());
        };
        let signal = match message {
            Ok(message) => classify(&message),
            Err(err) => {
                tracing::warn!(%err, "could not read a signal from the D-Bus system bus");
                continue;
            }
        };
        let Some(app) = app.upgrade() else {
            return Ok(());
        };
        match signal {
            Signal::Resumed => {
                tracing::info!("the machine resumed from sleep (logind)");
                app.session().engine.wake();
            }
            Signal::NetworkConnected => {
                tracing::info!("the network is connected again (NetworkManager)");
                app.session().engine.wake();
            }
            Signal::Ignored => {}
        }
    }
}

/// Reads `PrepareForSleep(false)`, sent after a resume, and
/// `StateChanged(70)`, sent when the network is fully connected. The same
/// signals with other arguments (going to sleep, disconnected) are ignored.
fn classify(message: &Message) -> Signal {
    let header = message.header();
    let member = header.member().map(|member| member.as_str());
    let body = message.body();
    match member {
        Some("PrepareForSleep") => match body.deserialize::<bool>() {
            Ok(false) => Signal::Resumed,
            Ok(true) => Signal::Ignored,
            Err(err) => {
                tracing::warn!(%err, "PrepareForSleep from logind has an unexpected argument");
                Signal::Ignored
            }
        },
        Some("StateChanged") => match body.deserialize::<u32>() {
            Ok(NM_STATE_CONNECTED_GLOBAL) => Signal::NetworkConnected,
            Ok(_) => Signal::Ignored,
            Err(err) => {
                tracing::warn!(%err, "StateChanged from NetworkManager has an unexpected argument");
                Signal::Ignored
            }
        },
        _ => Signal::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal<B>(path: &str, interface: &str, member: &str, body: &B) -> Message
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        Message::signal(path, interface, member)
            .build(body)
            .unwrap()
    }

    #[test]
    fn resume_and_connected_network_wake() {
        let cases = [
            (
                signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", &false),
                Signal::Resumed,
            ),
            (
                signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", &true),
                Signal::Ignored,
            ),
            (
                signal(
                    NETWORK_MANAGER_PATH,
                    NETWORK_MANAGER_NAME,
                    "StateChanged",
                    &70u32,
                ),
                Signal::NetworkConnected,
            ),
            (
                signal(
                    NETWORK_MANAGER_PATH,
                    NETWORK_MANAGER_NAME,
                    "StateChanged",
                    &20u32,
                ),
                Signal::Ignored,
            ),
            (
                signal(LOGIN1_PATH, LOGIN1_MANAGER, "PrepareForSleep", &"false"),
                Signal::Ignored,
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(classify(&message), expected, "{message:?}");
        }
    }
}
