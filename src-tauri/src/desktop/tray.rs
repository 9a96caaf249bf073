//! The tray icon and its menu. Linux tray hosts send no click events to the
//! icon, so every action is in the menu.

use std::sync::{Arc, Mutex};

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt;

use super::rows::Status;
use super::{window, App};

const ICON_NORMAL: &[u8] = include_bytes!("../../../icons/tray-normal@2x.png");
const ICON_UNREAD: &[u8] = include_bytes!("../../../icons/tray-unread@2x.png");
const ICON_PAUSED: &[u8] = include_bytes!("../../../icons/tray-paused@2x.png");
const ICON_PROBLEM: &[u8] = include_bytes!("../../../icons/tray-problem@2x.png");

/// The parts of the tray that change with the state.
pub struct Tray {
    icon: TrayIcon,
    status: MenuItem<tauri::Wry>,
    pause: MenuItem<tauri::Wry>,
    autostart: CheckMenuItem<tauri::Wry>,
    shown: Mutex<Option<(String, String, String)>>,
}

pub fn build(app: &AppHandle, state: &Arc<App>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Dealwatch", true, None::<&str>)?;
    let status = MenuItem::with_id(app, "status", "Connecting…", false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause notifications", true, None::<&str>)?;
    let check = MenuItem::with_id(app, "check", "Check now", true, None::<&str>)?;
    let autostart_on = app.autolaunch().is_enabled().unwrap_or(false);
    let autostart = CheckMenuItem::with_id(
        app,
        "autostart",
        "Start at login",
        true,
        autostart_on,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &status,
            &PredefinedMenuItem::separator(app)?,
            &pause,
            &check,
            &autostart,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;

    let icon = TrayIconBuilder::with_id("dealwatch")
        .icon(Image::from_bytes(ICON_NORMAL)?)
        .tooltip("Dealwatch")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;

    app.manage(Tray {
        icon,
        status,
        pause,
        autostart,
        shown: Mutex::new(None),
    });
    update(app, &state.status());
    Ok(())
}

fn on_menu_event(app: &AppHandle, event: tauri::menu::MenuEvent) {
    let Some(state) = app.try_state::<Arc<App>>() else {
        return;
    };
    let state = state.inner().clone();
    match event.id().as_ref() {
        "open" => window::show(app),
        "pause" => state.set_paused(!state.is_paused()),
        "check" => {
            tauri::async_runtime::spawn(async move { state.session().engine.check_now().await });
        }
        "autostart" => {
            let enable = !app.autolaunch().is_enabled().unwrap_or(false);
            super::commands::apply_autostart(app, enable);
            let mut settings = state.settings.lock().unwrap_or_else(|p| p.into_inner());
            settings.start_at_login = enable;
            if let Err(err) = dealwatch_core::settings::save(
                &dealwatch_core::settings::settings_path(),
                &settings,
            ) {
                tracing::warn!(%err, "could not save settings");
            }
        }
        "quit" => {
            tracing::info!("quit chosen from the tray menu");
            app.exit(0);
        }
        _ => {}
    }
}

/// Brings the icon, tooltip and menu in line with the status. Unchanged
/// values are not sent again.
pub fn update(app: &AppHandle, status: &Status) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let problem = matches!(
        status.state,
        "token_rejected" | "forbidden" | "no_token" | "offline" | "rate_limited" | "backing_off"
    );
    let icon = if problem {
        "problem"
    } else if status.paused {
        "paused"
    } else if status.unread > 0 {
        "unread"
    } else {
        "normal"
    };
    let line = status_line(status);
    let tooltip = tooltip(status, &line);
    let next = (icon.to_owned(), line.clone(), tooltip.clone());

    let mut shown = tray.shown.lock().unwrap_or_else(|p| p.into_inner());
    if shown.as_ref() == Some(&next) {
        return;
    }
    let icon_changed = shown.as_ref().is_none_or(|(old, ..)| old != icon);
    *shown = Some(next);
    drop(shown);

    if icon_changed {
        let bytes = match icon {
            "problem" => ICON_PROBLEM,
            "paused" => ICON_PAUSED,
            "unread" => ICON_UNREAD,
            _ => ICON_NORMAL,
        };
        if let Ok(image) = Image::from_bytes(bytes) {
            let _ = tray.icon.set_icon(Some(image));
        }
    }
    // NOTE: Linux tray hosts (libayatana-appindicator) show no tooltip, so
    // the status line also goes into the icon's title, which hosts such as
    // KDE Plasma display, and into the menu's disabled first line.
    let _ = tray.icon.set_tooltip(Some(&tooltip));
    let _ = tray.icon.set_title(Some(&line));
    let _ = tray.status.set_text(&line);
    let _ = tray.pause.set_text(if status.paused {
        "Resume notifications"
    } else {
        "Pause notifications"
    });
    let _ = tray
        .autostart
        .set_checked(app.autolaunch().is_enabled().unwrap_or(false));
}

fn status_line(status: &Status) -> String {
    let base = match status.state {
        "ok" => "Connected".to_owned(),
        "starting" => "Connecting…".to_owned(),
        "backing_off" => "Sell error, retrying".to_owned(),
        "rate_limited" => "Rate limited, retrying".to_owned(),
        "offline" => "Offline, retrying".to_owned(),
        "token_rejected" => "Token rejected".to_owned(),
        "forbidden" => "Token lacks access".to_owned(),
        "no_token" => "No token set".to_owned(),
        other => other.to_owned(),
    };
    if status.paused {
        format!("{base} · paused")
    } else {
        base
    }
}

fn tooltip(status: &Status, line: &str) -> String {
    let mut text = format!("Dealwatch: {line}");
    if let Some(at) = &status.last_poll_at {
        text.push_str(&format!("\nLast poll: {}", local_time(at)));
    }
    if status.unread > 0 {
        text.push_str(&format!("\n{} unread", status.unread));
    }
    text
}

fn local_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|at| {
            at.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// True when a StatusNotifierItem host is registered on the session bus, so
/// a tray icon will be visible. Elsewhere than Linux a tray always exists.
pub fn has_tray_host() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let check = async {
        let connection = zbus::Connection::session().await?;
        let reply = connection
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "NameHasOwner",
                &("org.kde.StatusNotifierWatcher",),
            )
            .await?;
        reply.body().deserialize::<bool>()
    };
    let timed = async { tokio::time::timeout(std::time::Duration::from_secs(2), check).await };
    matches!(tauri::async_runtime::block_on(timed), Ok(Ok(true)))
}
