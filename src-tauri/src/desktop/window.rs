//! The one window. It is created when needed and destroyed when closed, so
//! that WebKit's processes and memory are freed while the app sits in the tray.

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

pub const LABEL: &str = "main";

/// Shows the window, creating it if it is closed.
pub fn show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Dealwatch")
        .inner_size(440.0, 660.0)
        .min_inner_size(360.0, 420.0)
        .build();
    match built {
        Ok(window) => {
            let _ = window.set_focus();
        }
        Err(err) => tracing::error!(%err, "could not open the window"),
    }
}
