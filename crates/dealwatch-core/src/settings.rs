//! User settings, kept as JSON in the config directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{MAX_INTERVAL, MIN_INTERVAL};

/// The Sell web app's address; records open below it.
pub const DEFAULT_WEB_URL: &str = "https://app.futuresimple.com/sales";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// The Firehose streams to follow.
    pub streams: Vec<String>,
    /// Seconds between polls at the newest end of a stream.
    pub poll_interval_secs: u64,
    pub notifications: NotificationRules,
    /// The Sell web app's address, such as `https://app.futuresimple.com/sales`
    /// or `https://example.zendesk.com/sales`.
    pub web_url: String,
    pub start_at_login: bool,
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            streams: vec!["deals".to_owned()],
            poll_interval_secs: 5,
            notifications: NotificationRules::default(),
            web_url: DEFAULT_WEB_URL.to_owned(),
            start_at_login: false,
            theme: Theme::System,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    System,
    Light,
    Dark,
}

/// Which changes get a pop-up. Every change is recorded and listed whatever these rules are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationRules {
    pub enabled: bool,
    /// Only deals owned by the token's user (`/v2/users/self`).
    pub only_mine: bool,
    /// Skip changes the token's user made, as far as events tell.
    pub ignore_own_changes: bool,
    /// Only deals in these pipelines; empty means all.
    pub pipeline_ids: Vec<i64>,
    /// Only deals in these stages; empty means all.
    pub stage_ids: Vec<i64>,
    /// Only deals worth at least this much, as a decimal string.
    pub min_value: Option<String>,
    /// Changes to only these fields get no pop-up, and these fields are left
    /// out of other pop-ups.
    pub ignored_fields: Vec<String>,
    pub quiet_hours: QuietHours,
    /// More changes than this in one poll become one summary pop-up.
    pub burst_threshold: u32,
}

impl Default for NotificationRules {
    fn default() -> Self {
        NotificationRules {
            enabled: true,
            only_mine: false,
            ignore_own_changes: false,
            pipeline_ids: Vec::new(),
            stage_ids: Vec::new(),
            min_value: None,
            ignored_fields: Vec::new(),
            quiet_hours: QuietHours::default(),
            burst_threshold: 3,
        }
    }
}

/// A daily span of local time without pop-ups. `start` after `end` spans midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuietHours {
    pub enabled: bool,
    /// `HH:MM`, local time.
    pub start: String,
    /// `HH:MM`, local time.
    pub end: String,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            enabled: false,
            start: "22:00".to_owned(),
            end: "07:00".to_owned(),
        }
    }
}

impl QuietHours {
    /// True when `minute_of_day` (0..1440, local) falls in the quiet span.
    pub fn contains(&self, minute_of_day: u32) -> bool {
        let (Some(start), Some(end)) = (parse_clock(&self.start), parse_clock(&self.end)) else {
            return false;
        };
        if !self.enabled || start == end {
            return false;
        }
        if start < end {
            (start..end).contains(&minute_of_day)
        } else {
            minute_of_day >= start || minute_of_day < end
        }
    }
}

/// Minutes since midnight for `HH:MM`.
pub fn parse_clock(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    (hours < 24 && minutes < 60 && text.trim().len() == 5).then_some(hours * 60 + minutes)
}

impl Settings {
    /// Checks every field and returns the first problem in words a user can act on.
    pub fn validate(&self) -> Result<(), String> {
        if self.streams.is_empty() {
            return Err("Choose at least one stream to follow.".into());
        }
        for stream in &self.streams {
            if stream.is_empty() || !stream.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(format!("{stream:?} is not a stream name."));
            }
        }
        let interval = std::time::Duration::from_secs(self.poll_interval_secs);
        if interval < MIN_INTERVAL || interval > MAX_INTERVAL {
            return Err(format!(
                "The poll interval must be between {} seconds and {} minutes; {} seconds is outside that.",
                MIN_INTERVAL.as_secs(),
                MAX_INTERVAL.as_secs() / 60,
                self.poll_interval_secs
            ));
        }
        let url = url::Url::parse(&self.web_url).map_err(|_| {
            format!(
                "The Sell web address {:?} is not a valid URL.",
                self.web_url
            )
        })?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err("The Sell web address must start with https://.".into());
        }
        let rules = &self.notifications;
        if let Some(min) = rules.min_value.as_deref().filter(|m| !m.trim().is_empty()) {
            if crate::decimal::Decimal::parse(min).is_none() {
                return Err(format!(
                    "The minimum value {min:?} is not a number such as 1000 or 1000.50."
                ));
            }
        }
        for (label, clock) in [
            ("start", &rules.quiet_hours.start),
            ("end", &rules.quiet_hours.end),
        ] {
            if parse_clock(clock).is_none() {
                return Err(format!(
                    "The quiet hours {label} {clock:?} is not a time such as 22:00."
                ));
            }
        }
        if !(1..=1000).contains(&rules.burst_threshold) {
            return Err("The summary threshold must be between 1 and 1000 changes.".into());
        }
        Ok(())
    }
}

/// Where the settings file lives.
pub fn settings_path() -> PathBuf {
    crate::paths::config_dir().join("settings.json")
}

/// Reads the settings file. A missing file gives the defaults; an unreadable
/// one is moved aside (never deleted) and the defaults are used, with a
/// warning to show the user.
pub fn load(path: &Path) -> (Settings, Option<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return (Settings::default(), None)
        }
        Err(err) => {
            return (
                Settings::default(),
                Some(format!(
                    "Could not read the settings file {}: {err}. Using the defaults.",
                    path.display()
                )),
            )
        }
    };
    match serde_json::from_str::<Settings>(&text) {
        Ok(settings) if settings.validate().is_ok() => (settings, None),
        Ok(_) | Err(_) => {
            let aside = path.with_extension(format!(
                "json.invalid-{}",
                time::OffsetDateTime::now_utc().unix_timestamp()
            ));
            let moved = std::fs::rename(path, &aside).is_ok();
            let warning = if moved {
                format!(
                    "The settings file {} was invalid. It was moved to {} and the defaults are in use.",
                    path.display(),
                    aside.display()
                )
            } else {
                format!(
                    "The settings file {} is invalid. The defaults are in use.",
                    path.display()
                )
            };
            (Settings::default(), Some(warning))
        }
    }
}

/// Writes the settings file atomically: a half-written file is never left in place.
pub fn save(path: &Path, settings: &Settings) -> Result<(), String> {
    settings.validate()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("Could not create the folder {}: {err}", dir.display()))?;
    let text = serde_json::to_string_pretty(settings).map_err(|err| err.to_string())?;
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)
        .map_err(|err| format!("Could not write {}: {err}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .map_err(|err| format!("Could not replace {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_span_midnight() {
        let quiet = QuietHours {
            enabled: true,
            start: "22:00".into(),
            end: "07:00".into(),
        };
        assert!(quiet.contains(23 * 60));
        assert!(quiet.contains(6 * 60 + 59));
        assert!(!quiet.contains(7 * 60));
        assert!(!quiet.contains(12 * 60));
        let day = QuietHours {
            start: "09:00".into(),
            end: "17:00".into(),
            ..quiet.clone()
        };
        assert!(day.contains(9 * 60));
        assert!(!day.contains(17 * 60));
    }

    #[test]
    fn validation_names_the_problem() {
        let mut settings = Settings::default();
        assert_eq!(settings.validate(), Ok(()));
        settings.poll_interval_secs = 1;
        assert!(settings.validate().unwrap_err().contains("poll interval"));
        settings.poll_interval_secs = 601;
        assert!(settings.validate().is_err());
        settings = Settings::default();
        settings.web_url = "javascript:alert(1)".into();
        assert!(settings.validate().unwrap_err().contains("web address"));
        settings = Settings::default();
        settings.notifications.min_value = Some("lots".into());
        assert!(settings.validate().unwrap_err().contains("minimum value"));
        settings = Settings::default();
        settings.notifications.quiet_hours.start = "25:00".into();
        assert!(settings.validate().is_err());
    }

    #[test]
    fn round_trip_and_invalid_file_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        assert_eq!(load(&path), (Settings::default(), None));

        let mut settings = Settings {
            streams: vec!["deals".into(), "leads".into()],
            ..Settings::default()
        };
        settings.notifications.min_value = Some("1000.50".into());
        save(&path, &settings).unwrap();
        assert_eq!(load(&path), (settings, None));

        std::fs::write(&path, "{ not json").unwrap();
        let (loaded, warning) = load(&path);
        assert_eq!(loaded, Settings::default());
        assert!(warning.unwrap().contains("moved to"));
        assert!(!path.exists());
    }

    #[test]
    fn unknown_and_missing_fields_use_defaults() {
        let settings: Settings =
            serde_json::from_str(r#"{"pollIntervalSecs": 30, "futureOption": 1}"#).unwrap();
        assert_eq!(settings.poll_interval_secs, 30);
        assert_eq!(settings.streams, ["deals"]);
    }
}
