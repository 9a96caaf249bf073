//! The shapes the window receives: history rows and the connection status.

use dealwatch_core::engine::StreamState;
use dealwatch_core::format::{self, NameKind, NameLookup};
use dealwatch_core::store::{Gap, StoredEvent};
use serde::Serialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

/// One change as the history list shows it. Values are display text.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub id: i64,
    pub event_id: String,
    pub resource: String,
    pub record_type: String,
    pub record_id: Option<i64>,
    pub event_type: String,
    pub event_time: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub stage: Option<String>,
    pub pipeline: Option<String>,
    pub value: Option<String>,
    pub currency: Option<String>,
    pub changes: Vec<Change>,
    /// The record snapshot as received, JSON text.
    pub snapshot: String,
    pub read: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub field: String,
    pub label: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

pub fn row(event: &StoredEvent, names: &dyn NameLookup) -> Row {
    let id_name = |kind: NameKind, id: Option<i64>| {
        id.map(|id| names.name(kind, id).unwrap_or_else(|| format!("#{id}")))
    };
    let pipeline = event
        .stage_id
        .and_then(|stage| names.stage_pipeline(stage))
        .map(|pipeline| {
            names
                .name(NameKind::Pipeline, pipeline)
                .unwrap_or_else(|| format!("#{pipeline}"))
        });
    let snapshot =
        serde_json::to_string_pretty(&event.data).unwrap_or_else(|_| event.raw.to_string());
    Row {
        id: event.id,
        event_id: event.event_id.clone(),
        resource: event.resource.clone(),
        record_type: event.record_type.clone(),
        record_id: event.record_id,
        event_type: event.event_type.as_str().to_owned(),
        event_time: event.event_time.clone(),
        name: event.name.clone(),
        owner: id_name(NameKind::User, event.owner_id),
        stage: id_name(NameKind::Stage, event.stage_id),
        pipeline,
        value: match event.data.get("value") {
            Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            _ => None,
        },
        currency: event
            .data
            .get("currency")
            .and_then(Value::as_str)
            .map(str::to_owned),
        changes: format::field_changes(event, names)
            .into_iter()
            .map(|change| Change {
                field: change.field,
                label: change.label,
                old: change.old,
                new: change.new,
            })
            .collect(),
        snapshot,
        read: event.read,
    }
}

/// The connection state, as the status bar and tray show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub state: &'static str,
    pub message: String,
    pub last_poll_at: Option<String>,
    pub retry_at: Option<String>,
    pub gap: Option<GapView>,
    pub paused: bool,
    pub unread: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GapView {
    pub since: Option<String>,
    pub detected_at: String,
}

pub fn status(
    state: &StreamState,
    last_poll_at: Option<String>,
    retry_at: Option<String>,
    gap: Option<Gap>,
    paused: bool,
    unread: usize,
    store_problem: Option<&str>,
) -> Status {
    let mut message = match state {
        StreamState::Starting => "Connecting to Sell…".to_owned(),
        StreamState::Ok => "Connected".to_owned(),
        // The error names its own cause: Sell's reply, or saving the events.
        StreamState::BackingOff { error, .. } => format!("{}. Retrying automatically.", sentence_case(error)),
        StreamState::RateLimited { .. } => "Sell's rate limit was reached. Retrying automatically.".to_owned(),
        StreamState::Offline { error, .. } => format!("Cannot reach Sell ({error}). Retrying automatically."),
        StreamState::TokenRejected => {
            "Sell rejected the access token. Replace it in Settings with a new one.".to_owned()
        }
        StreamState::Forbidden => "The access token lacks access to the Firehose API. It needs the Growth plan or above, and possibly a token of the account's root user.".to_owned(),
        StreamState::NoToken => "No access token is set.".to_owned(),
        StreamState::Stopped => "Stopped.".to_owned(),
    };
    if let Some(problem) = store_problem {
        message = format!("{message} {problem}");
    }
    Status {
        state: state.kind(),
        message,
        last_poll_at,
        retry_at,
        gap: gap.map(|gap| GapView {
            since: gap.since,
            detected_at: gap.detected_at,
        }),
        paused,
        unread,
    }
}

pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Returns `text` with its first letter upper-cased, to start a sentence.
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn backing_off(error: &str) -> String {
        let state = StreamState::BackingOff {
            error: error.to_owned(),
            retry_in: Duration::from_secs(2),
        };
        status(&state, None, None, None, false, 0, None).message
    }

    #[test]
    fn backing_off_names_its_cause() {
        assert_eq!(
            backing_off("could not save events: database or disk is full"),
            "Could not save events: database or disk is full. Retrying automatically."
        );
        assert_eq!(
            backing_off("Sell answered HTTP 502: Bad Gateway"),
            "Sell answered HTTP 502: Bad Gateway. Retrying automatically."
        );
    }

    #[test]
    fn sentence_case_handles_empty_and_non_ascii() {
        assert_eq!(sentence_case(""), "");
        assert_eq!(sentence_case("été"), "Été");
    }
}
