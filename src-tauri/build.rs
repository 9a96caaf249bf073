fn main() {
    // Each command gets an `allow-<name>` permission, so the window's
    // capability file can list exactly the commands it may call.
    #[cfg(feature = "desktop")]
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "token_status",
            "token_set",
            "token_clear",
            "start_demo",
            "history",
            "mark_read",
            "mark_all_read",
            "status",
            "settings_get",
            "settings_set",
            "filter_options",
            "check_now",
            "set_paused",
            "dismiss_gap",
            "open_record",
        ]),
    ))
    .expect("tauri build configuration is valid");
}
