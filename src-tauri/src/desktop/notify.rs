//! Native pop-ups through notify-rust.
//!
//! Pop-ups go out one at a time from a single queue, in the order planned.
//! Before each one the notification server's capabilities are read (cached
//! for a minute): body text is escaped when the server renders body markup
//! and sent as is otherwise. Without a server, one warning is logged, the
//! pop-up is dropped and the next one tries again, so pop-ups resume when a
//! server appears. Nothing waits on a pop-up forever: a click is awaited for
//! at most `CLICK_WAIT`.

use std::time::{Duration, Instant};

use dealwatch_core::format;
use dealwatch_core::rules::{ClickTarget, Popup};
use notify_rust::{Notification, NotificationResponse};
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;
use tokio::sync::mpsc;

/// The maximum time a pop-up's click is awaited.
const CLICK_WAIT: Duration = Duration::from_secs(30 * 60);
/// How long the server's capabilities are trusted before being read again.
const CAPABILITIES_TTL: Duration = Duration::from_secs(60);
/// Pop-up titles and bodies are cut to these many characters.
const MAX_TITLE_CHARS: usize = 90;
const MAX_BODY_CHARS: usize = 300;

pub struct Notifier {
    queue: mpsc::UnboundedSender<(AppHandle, Popup)>,
}

impl Notifier {
    pub fn new() -> Notifier {
        let (queue, receiver) = mpsc::unbounded_channel();
        tauri::async_runtime::spawn(deliver_all(receiver));
        Notifier { queue }
    }

    /// Queues a pop-up. Returns at once.
    pub fn send(&self, app: &AppHandle, popup: Popup) {
        let _ = self.queue.send((app.clone(), popup));
    }
}

struct Server {
    capabilities: Vec<String>,
    read_at: Instant,
}

async fn deliver_all(mut receiver: mpsc::UnboundedReceiver<(AppHandle, Popup)>) {
    let mut server: Option<Server> = None;
    let mut warned = false;

    while let Some((app, popup)) = receiver.recv().await {
        let fresh = server
            .as_ref()
            .is_some_and(|s| s.read_at.elapsed() < CAPABILITIES_TTL);
        if !fresh {
            let capabilities =
                tauri::async_runtime::spawn_blocking(notify_rust::get_capabilities).await;
            match capabilities {
                Ok(Ok(capabilities)) => {
                    if warned {
                        tracing::info!("a notification server is available again; pop-ups resume");
                        warned = false;
                    }
                    server = Some(Server {
                        capabilities,
                        read_at: Instant::now(),
                    });
                }
                Ok(Err(err)) => {
                    server = None;
                    if !warned {
                        tracing::warn!(%err, "no notification server; changes still reach the window, pop-ups resume when a server appears");
                        warned = true;
                    }
                    continue;
                }
                Err(err) => {
                    tracing::error!(%err, "reading the notification server's capabilities failed");
                    continue;
                }
            }
        }
        let Some(current) = &server else { continue };
        let markup = current.capabilities.iter().any(|c| c == "body-markup");
        let actions = current.capabilities.iter().any(|c| c == "actions");

        let title = format::truncate(&popup.text.title, MAX_TITLE_CHARS);
        let body = format::truncate(&popup.text.body, MAX_BODY_CHARS);
        let body = if markup { escape_markup(&body) } else { body };

        let mut notification = Notification::new();
        notification
            .appname("Dealwatch")
            .summary(&title)
            .body(&body)
            .icon("dealwatch")
            .hint(notify_rust::Hint::DesktopEntry("dealwatch".into()));
        if actions {
            notification.action("default", "Open");
        }

        tracing::debug!(event_ids = ?popup.event_ids, "sending a pop-up");
        let started = Instant::now();
        match notification.show_async().await {
            Ok(handle) => {
                tracing::debug!(
                    elapsed_us = started.elapsed().as_micros() as u64,
                    "pop-up sent"
                );
                if actions {
                    tauri::async_runtime::spawn(wait_for_click(app, handle, popup.click));
                }
            }
            Err(err) => {
                server = None;
                if !warned {
                    tracing::warn!(%err, "sending a pop-up failed; pop-ups resume when a notification server responds");
                    warned = true;
                }
            }
        }
    }
}

async fn wait_for_click(
    app: AppHandle,
    handle: notify_rust::NotificationHandle,
    click: ClickTarget,
) {
    let mut clicked = false;
    let waited = tokio::time::timeout(
        CLICK_WAIT,
        handle.wait_for_action_async(|response| {
            clicked = matches!(response, NotificationResponse::Default)
                || matches!(response, NotificationResponse::Action(key) if key == "default");
        }),
    )
    .await;
    if waited.is_err() {
        tracing::debug!(id = handle.id(), "stopped waiting for a click on a pop-up");
        return;
    }
    if !clicked {
        return;
    }
    match click {
        ClickTarget::Record { url } => {
            tracing::info!(%url, "pop-up clicked: opening the record in Sell");
            if let Err(err) = app.opener().open_url(url, None::<&str>) {
                tracing::warn!(%err, "could not open the browser");
            }
        }
        ClickTarget::Window => super::window::show(&app),
    }
}

/// Escapes the characters that notification body markup gives meaning to.
pub fn escape_markup(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape_markup("R&D <b>\"x\"</b> 🚀"),
            "R&amp;D &lt;b&gt;&quot;x&quot;&lt;/b&gt; 🚀"
        );
    }
}
