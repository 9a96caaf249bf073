//! The GUI-free core of Dealwatch: the Sell Firehose client, the poller, the
//! SQLite store, the formatting of a change and the notification rules.
//!
//! It builds and tests without Tauri, GTK or a display. The desktop app and
//! the terminal subcommands in `src-tauri/` are both thin layers over it.

pub mod client;
pub mod decimal;
pub mod engine;
pub mod format;
pub mod model;
pub mod names;
pub mod paths;
pub mod rules;
pub mod settings;
pub mod store;
pub mod token;
