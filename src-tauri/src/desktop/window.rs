//! The one window. It is created when needed and destroyed when closed, so
//! that WebKit's processes and memory are freed while the app sits in the tray.

use std::time::Duration;

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};

pub const LABEL: &str = "main";

/// How long after the window is destroyed its network process is ended,
/// unless a new window has opened by then.
const NETWORK_PROCESS_GRACE: Duration = Duration::from_secs(2);

/// Shows the window, creating it if it is closed.
///
/// The work runs on the main thread, at once when called there. Two calls
/// from different threads could otherwise both find no window and open two
/// with the same label, and only one of them would receive the app's events.
pub fn show(app: &AppHandle) {
    let handle = app.clone();
    if let Err(err) = app.run_on_main_thread(move || show_on_main_thread(&handle)) {
        tracing::error!(%err, "could not open the window");
    }
}

fn show_on_main_thread(app: &AppHandle) {
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
            let app = app.clone();
            window.on_window_event(move |event| {
                if matches!(event, WindowEvent::Destroyed) {
                    end_network_process_later(&app);
                }
            });
            let _ = window.set_focus();
        }
        Err(err) => tracing::error!(%err, "could not open the window"),
    }
}

/// Turns off GTK's OpenGL support unless `GDK_GL` is set already. GTK 3
/// otherwise probes GLX when it opens the display, which loads the Mesa
/// driver and, with llvmpipe, LLVM: 51 MB of the tray-only app's 129 MB
/// RSS under Xvfb (scripts/bench/idle.sh). WebKitGTK then draws the window
/// without GPU acceleration. Must run before GTK starts, while the process
/// has a single thread, because it changes the environment.
pub fn disable_gl() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}

/// Ends the WebKit network process once the window is gone. WebKitGTK keeps
/// it running after its last web view closes, and tauri-runtime-wry 2.12
/// keeps the web context alive on Linux so that each new window reuses it.
/// Without this, about 60 MB would stay in use while the app sits in the
/// tray. WebKit starts a new network process when the window opens again.
#[cfg(target_os = "linux")]
fn end_network_process_later(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(NETWORK_PROCESS_GRACE).await;
        if app.get_webview_window(LABEL).is_some() {
            return;
        }
        for pid in child_processes_named("WebKitNetworkPr") {
            tracing::debug!(
                pid,
                "ending the WebKit network process of the closed window"
            );
            terminate(pid);
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn end_network_process_later(_app: &AppHandle) {}

/// Lists the ids of this process's children whose name (`comm`, which Linux
/// cuts to 15 bytes) is `name`.
#[cfg(target_os = "linux")]
fn child_processes_named(name: &str) -> Vec<i32> {
    let own = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The format is "PID (COMM) STATE PPID ...". COMM may contain spaces
        // and brackets, so the fields are found around the last ")".
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let parent = stat[close + 1..].split_whitespace().nth(1);
        if comm == name && parent == Some(own.as_str()) {
            found.push(pid);
        }
    }
    found
}

#[cfg(target_os = "linux")]
fn terminate(pid: i32) {
    extern "C" {
        fn kill(pid: i32, signal: i32) -> i32;
    }
    const SIGTERM: i32 = 15;
    // SAFETY: kill(2) only reads its two integer arguments. The pid was read
    // from /proc just before as a child of this process. Should that child
    // exit and be reaped in between, the pid could in theory be reused, as
    // with any signal sent by pid.
    if unsafe { kill(pid, SIGTERM) } != 0 {
        tracing::warn!(pid, error = %std::io::Error::last_os_error(), "could not end the WebKit network process");
    }
}
