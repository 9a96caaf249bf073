//! Firehose pages and items, parsed tolerantly.
//!
//! Each item keeps its exact JSON text next to the parsed view, so output that
//! must match the input (`tail --json`, the stored snapshot) never re-renders
//! a value. Only the fields the engine uses are typed; `data` stays a
//! `serde_json::Value` and unknown fields are kept.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// One page of a stream, as returned by `GET /v3/{resource}/stream`.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Item>,
    /// The position to send with the next request.
    pub position: String,
    /// True when this page reached the newest end of the stream.
    pub top: bool,
}

/// One event of a stream: the record's snapshot after the event and the event's metadata.
#[derive(Debug, Clone)]
pub struct Item {
    /// The item's JSON text exactly as received.
    pub raw: String,
    pub data: Value,
    pub meta: ItemMeta,
}

/// The item's `meta` object, with every field optional except what identifies the event.
#[derive(Debug, Clone, Default)]
pub struct ItemMeta {
    /// The record type: `deal`, `lead`, `contact`, ...
    pub record_type: String,
    pub event_type: EventType,
    pub event_id: String,
    /// ISO 8601 UTC text, as received.
    pub event_time: String,
    pub sequence: Option<u64>,
    /// The old values of the changed fields, in the order received. Empty for
    /// creations and deletions and for updates that name no field.
    pub previous: Map<String, Value>,
}

/// The kind of change an event records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum EventType {
    Created,
    Updated,
    Deleted,
    /// An event type this version does not know, kept as received.
    Other(String),
    #[default]
    Missing,
}

impl EventType {
    pub fn parse(text: &str) -> EventType {
        match text {
            "created" => EventType::Created,
            "updated" => EventType::Updated,
            "deleted" => EventType::Deleted,
            "" => EventType::Missing,
            other => EventType::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            EventType::Created => "created",
            EventType::Updated => "updated",
            EventType::Deleted => "deleted",
            EventType::Other(text) => text,
            EventType::Missing => "unknown",
        }
    }
}

/// The reason a response body could not be read as a stream page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("the response body is empty")]
    Empty,
    #[error("the response body is HTML, not JSON")]
    Html,
    #[error("the response body is cut off before the end of the JSON")]
    Truncated,
    #[error("the response body is not a stream page: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(borrow, default)]
    items: Vec<&'a RawValue>,
    meta: RawPageMeta,
}

#[derive(Deserialize)]
struct RawPageMeta {
    position: String,
    top: bool,
}

#[derive(Deserialize)]
struct RawItem {
    #[serde(default)]
    data: Value,
    #[serde(default)]
    meta: Map<String, Value>,
}

impl Page {
    /// Parses a response body. Items that lack an `event_id` get a stable
    /// one derived from their text, so that a redelivery is still recognised.
    pub fn parse(body: &str) -> Result<Page, PageError> {
        let trimmed = body.trim_start();
        if trimmed.is_empty() {
            return Err(PageError::Empty);
        }
        if trimmed.starts_with('<') {
            return Err(PageError::Html);
        }

        let page: RawPage<'_> = serde_json::from_str(body).map_err(|err| {
            if err.is_eof() {
                PageError::Truncated
            } else {
                PageError::Invalid(err.to_string())
            }
        })?;

        let mut items = Vec::with_capacity(page.items.len());
        for raw in page.items {
            items.push(Item::parse(raw.get()).map_err(|err| PageError::Invalid(err.to_string()))?);
        }

        Ok(Page {
            items,
            position: page.meta.position,
            top: page.meta.top,
        })
    }
}

impl Item {
    /// Parses one item from its JSON text.
    pub fn parse(raw: &str) -> Result<Item, serde_json::Error> {
        let mut item: RawItem = serde_json::from_str(raw)?;
        let previous = match item.meta.remove("previous") {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let meta = &item.meta;
        let text = |key: &str| meta.get(key).and_then(Value::as_str).unwrap_or_default();

        let event_id = match text("event_id") {
            "" => synthetic_event_id(raw),
            id => id.to_owned(),
        };

        Ok(Item {
            raw: raw.to_owned(),
            meta: ItemMeta {
                record_type: text("type").to_owned(),
                event_type: EventType::parse(text("event_type")),
                event_id,
                event_time: text("event_time").to_owned(),
                sequence: meta.get("sequence").and_then(Value::as_u64),
                previous,
            },
            data: item.data,
        })
    }

    /// Returns the record's id, when the snapshot has a numeric one.
    pub fn record_id(&self) -> Option<i64> {
        self.data.get("id").and_then(Value::as_i64)
    }

    /// Returns the record's display name: `name`, or a lead's or contact's first and last name.
    pub fn record_name(&self) -> Option<String> {
        record_name(&self.data)
    }
}

/// Returns the display name of a record snapshot, if it has one.
pub fn record_name(data: &Value) -> Option<String> {
    if let Some(name) = data.get("name").and_then(Value::as_str) {
        if !name.trim().is_empty() {
            return Some(name.to_owned());
        }
    }
    let first = data.get("first_name").and_then(Value::as_str).unwrap_or("");
    let last = data.get("last_name").and_then(Value::as_str).unwrap_or("");
    let full = format!("{first} {last}").trim().to_owned();
    if !full.is_empty() {
        return Some(full);
    }
    for key in ["organization_name", "content", "title"] {
        if let Some(text) = data.get(key).and_then(Value::as_str) {
            if !text.trim().is_empty() {
                return Some(text.to_owned());
            }
        }
    }
    None
}

/// Derives a stable id for an item that came without one: FNV-1a over its text,
/// so the same item delivered twice gets the same id.
fn synthetic_event_id(raw: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in raw.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("synthetic-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = r#"{"items":[{"data":{"id":39912342,"name":"Website Redesign","value":"100.00","currency":"USD","extra_field":{"nested":[1,2]}},"meta":{"type":"deal","event_type":"updated","event_id":"Wq7C0m3pTj2c5yJkN1xGvA","event_time":"2017-07-05T17:24:10Z","event_cause":"interaction","sequence":2,"previous":{"name":"Website","value":"50.00"}}}],"meta":{"links":{"next":""},"position":"ab+/c=","top":true}}"#;

    #[test]
    fn page_keeps_item_text_and_typed_meta() {
        let page = Page::parse(FIXTURE).unwrap();
        assert_eq!(page.position, "ab+/c=");
        assert!(page.top);
        let item = &page.items[0];
        assert!(item.raw.starts_with(r#"{"data":{"id":39912342"#));
        assert!(item.raw.contains(r#""extra_field":{"nested":[1,2]}"#));
        assert_eq!(item.meta.event_type, EventType::Updated);
        assert_eq!(item.meta.sequence, Some(2));
        let keys: Vec<_> = item.meta.previous.keys().collect();
        assert_eq!(keys, ["name", "value"]);
        assert_eq!(item.data["value"], "100.00");
    }

    #[test]
    fn deleted_with_only_id_and_nulls_parse() {
        let raw = r#"{"data":{"id":7},"meta":{"type":"deal","event_type":"deleted","event_id":"x","event_time":"2024-01-01T00:00:00Z","previous":null,"sequence":null}}"#;
        let item = Item::parse(raw).unwrap();
        assert_eq!(item.meta.event_type, EventType::Deleted);
        assert_eq!(item.record_id(), Some(7));
        assert_eq!(item.record_name(), None);
        assert!(item.meta.previous.is_empty());
    }

    #[test]
    fn broken_bodies_are_classified() {
        assert_eq!(Page::parse("").unwrap_err(), PageError::Empty);
        assert_eq!(
            Page::parse("<html><body>502</body></html>").unwrap_err(),
            PageError::Html
        );
        assert_eq!(
            Page::parse(&FIXTURE[..FIXTURE.len() / 2]).unwrap_err(),
            PageError::Truncated
        );
        assert!(matches!(
            Page::parse(r#"{"items":[]}"#),
            Err(PageError::Invalid(_))
        ));
    }

    #[test]
    fn missing_event_id_is_stable() {
        let raw = r#"{"data":{"id":1},"meta":{"type":"deal","event_type":"created"}}"#;
        let first = Item::parse(raw).unwrap().meta.event_id;
        let second = Item::parse(raw).unwrap().meta.event_id;
        assert_eq!(first, second);
        assert!(first.starts_with("synthetic-"));
    }
}
