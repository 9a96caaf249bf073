//! The tray app: Tauri glue around the core engine. It owns the tray icon
//! and menu, the window, the pop-ups and the commands the window calls.

mod commands;
mod notify;
mod rows;
mod session;
mod state;
mod tray;
mod wake;
mod window;

use std::sync::Arc;

use tauri::{Manager, RunEvent};
use tauri_plugin_autostart::MacosLauncher;

use crate::exit::Exit;
pub use state::App;

/// Starts the tray app and returns when it quits.
pub fn run(demo: bool, hidden: bool) -> Result<(), Exit> {
    crate::logging::init_app();
    check_display()?;
    check_api_url()?;
    window::disable_gl();

    let app = tauri::Builder::default()
        // First, so a second launch hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tracing::info!("second launch: showing the window");
            window::show(app);
        }))
        .plugin(tauri_plugin_autostart::init(
            MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::token_status,
            commands::token_set,
            commands::token_clear,
            commands::start_demo,
            commands::history,
            commands::mark_read,
            commands::mark_all_read,
            commands::status,
            commands::settings_get,
            commands::settings_set,
            commands::filter_options,
            commands::check_now,
            commands::set_paused,
            commands::dismiss_gap,
            commands::open_record,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let state = App::start(handle, demo)?;
            app.manage(state.clone());
            tray::build(app.handle(), &state)?;
            wake::spawn(Arc::downgrade(&state));
            state.open_window_at_start(hidden);
            Ok(())
        })
        .build(tauri::generate_context!())
        .map_err(|err| Exit::failure(format!("could not start the desktop app: {err}")))?;

    app.run(|handle, event| match event {
        // Closing the window frees the webview; the app stays in the tray.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(state) = handle.try_state::<Arc<App>>() {
                state.shutdown();
            }
            tracing::info!("quit");
        }
        _ => {}
    });
    Ok(())
}

/// Rejects an invalid `DEALWATCH_API_URL` with a plain message before the
/// app starts, since a failure inside Tauri's setup ends in a panic.
fn check_api_url() -> Result<(), Exit> {
    let Ok(url) = std::env::var("DEALWATCH_API_URL") else {
        return Ok(());
    };
    if url.trim().is_empty() {
        return Ok(());
    }
    dealwatch_core::client::parse_api_url(&url)
        .map(|_| ())
        .map_err(|reason| Exit::usage(format!("DEALWATCH_API_URL: {reason}.")))
}

/// Returns an error when there is no display, where GTK would panic.
fn check_display() -> Result<(), Exit> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err(Exit::failure(
            "there is no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the \
             tray app cannot start. In a terminal, use `dealwatch tail` instead."
                .to_owned(),
        ));
    }
    Ok(())
}
