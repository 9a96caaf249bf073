//! The locations of Dealwatch's files.

use std::path::PathBuf;

/// The data directory: `DEALWATCH_DATA_DIR` when set, otherwise the
/// platform's data directory (`~/.local/share/dealwatch` on Linux).
pub fn data_dir() -> PathBuf {
    match std::env::var_os("DEALWATCH_DATA_DIR").filter(|value| !value.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("dealwatch"),
    }
}

/// The config directory: `DEALWATCH_CONFIG_DIR` when set, otherwise the
/// platform's config directory (`~/.config/dealwatch` on Linux).
pub fn config_dir() -> PathBuf {
    match std::env::var_os("DEALWATCH_CONFIG_DIR").filter(|value| !value.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => dirs::config_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("dealwatch"),
    }
}

/// The database file inside the data directory.
pub fn database_path() -> PathBuf {
    data_dir().join("dealwatch.db")
}
