//! Firehose pages and items, parsed tolerantly.
//!
//! Each item keeps its exact JSON text next to the parsed view, so output that
//! must match the input (`tail --json`, the stored snapshot) never re-renders
//! a value. Only the fields the engine uses are typed, and unknown fields are
//! kept in that text.
//!
//! Reading a page builds no `serde_json::Value` for a record's snapshot. The
//! fields the store indexes (id, name, owner, stage) are picked out of the
//! text, and the whole snapshot is parsed into [`Snapshot`] only when
//! something reads it. Catching up on a backlog stores most events without
//! anyone reading them, and building the full tree was most of its cost.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::{Arc, OnceLock};

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
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
    pub raw: Arc<str>,
    /// The item's `data`, parsed when first read.
    pub data: Snapshot,
    pub meta: ItemMeta,
    /// The snapshot's fields that the store indexes, read without parsing the rest.
    pub fields: RecordFields,
}

/// The few snapshot fields the store keeps in columns of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFields {
    /// `id`, when it is an integer.
    pub id: Option<i64>,
    /// The display name, as [`record_name`] gives it.
    pub name: Option<String>,
    pub owner_id: Option<i64>,
    pub stage_id: Option<i64>,
}

/// A record snapshot: a span of the item's JSON text, parsed into a
/// `serde_json::Value` the first time it is read and kept from then on.
///
/// It dereferences to `Value`, so `snapshot.get("value")` and
/// `&*snapshot` read it like the tree itself. Text that fails to parse
/// reads as `null`. A page is checked as a whole before its items are
/// taken apart, so only a snapshot nested deeper than serde_json's limit
/// of 128 levels reads as `null`.
#[derive(Clone, Default)]
pub struct Snapshot {
    text: Option<(Arc<str>, Range<usize>)>,
    value: OnceLock<Value>,
}

impl Snapshot {
    fn from_span(source: Arc<str>, span: Range<usize>) -> Snapshot {
        Snapshot {
            text: Some((source, span)),
            value: OnceLock::new(),
        }
    }

    /// Returns the snapshot as a `Value`, parsing it on the first call.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| match self.text() {
            Some(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            None => Value::Null,
        })
    }

    /// Returns the snapshot's JSON text as received, when it came from an item.
    pub fn text(&self) -> Option<&str> {
        self.text
            .as_ref()
            .map(|(source, span)| &source[span.clone()])
    }

    /// True once the snapshot has been parsed.
    pub fn is_parsed(&self) -> bool {
        self.value.get().is_some()
    }
}

impl From<Value> for Snapshot {
    fn from(value: Value) -> Snapshot {
        Snapshot {
            text: None,
            value: OnceLock::from(value),
        }
    }
}

impl Deref for Snapshot {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl Serialize for Snapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.value.get(), self.text()) {
            (Some(value), _) => fmt::Debug::fmt(value, f),
            (None, Some(text)) => write!(f, "Snapshot({text})"),
            (None, None) => f.write_str("Snapshot(null)"),
        }
    }
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
    /// Parses one item from its JSON text. Only the text must be valid
    /// JSON: an item, `data` or `meta` of another type than an object, and
    /// fields of unexpected types, read as missing.
    pub fn parse(raw: &str) -> Result<Item, serde_json::Error> {
        let source: Arc<str> = Arc::from(raw);
        let parts: ItemParts<'_> = if is_object(raw) {
            serde_json::from_str(&source)?
        } else {
            serde_json::from_str::<IgnoredAny>(raw)?;
            ItemParts::default()
        };

        let meta = match parts.meta {
            Some(text) if is_object(text.get()) => serde_json::from_str(text.get())?,
            _ => MetaFields::default(),
        };
        let fields = match parts.data {
            Some(text) if is_object(text.get()) => {
                serde_json::from_str::<DataFields>(text.get())?.into_record_fields()
            }
            _ => RecordFields::default(),
        };
        let data = match parts.data {
            Some(text) => {
                let start = text.get().as_ptr() as usize - source.as_ptr() as usize;
                Snapshot::from_span(source.clone(), start..start + text.get().len())
            }
            None => Snapshot::default(),
        };

        let event_id = if meta.event_id.is_empty() {
            synthetic_event_id(raw)
        } else {
            meta.event_id
        };

        Ok(Item {
            meta: ItemMeta {
                record_type: meta.record_type,
                event_type: EventType::parse(&meta.event_type),
                event_id,
                event_time: meta.event_time,
                sequence: meta.sequence,
                previous: meta.previous,
            },
            fields,
            data,
            raw: source,
        })
    }

    /// Returns the record's id, when the snapshot has a numeric one.
    pub fn record_id(&self) -> Option<i64> {
        self.fields.id
    }

    /// Returns the record's display name: `name`, or a lead's or contact's first and last name.
    pub fn record_name(&self) -> Option<String> {
        self.fields.name.clone()
    }
}

/// Returns the display name of a record snapshot, if it has one.
pub fn record_name(data: &Value) -> Option<String> {
    display_name(|key| data.get(key).and_then(Value::as_str))
}

/// The keys a display name is made from, in the order [`display_name`] tries them.
const NAME_KEYS: [&str; 6] = [
    "name",
    "first_name",
    "last_name",
    "organization_name",
    "content",
    "title",
];

/// Picks a display name from a record's text fields: a non-blank `name`,
/// else first and last name, else an organisation name, a task's content
/// or a title.
fn display_name<'a>(text: impl Fn(&str) -> Option<&'a str>) -> Option<String> {
    if let Some(name) = text("name") {
        if !name.trim().is_empty() {
            return Some(name.to_owned());
        }
    }
    let first = text("first_name").unwrap_or("");
    let last = text("last_name").unwrap_or("");
    let full = format!("{first} {last}").trim().to_owned();
    if !full.is_empty() {
        return Some(full);
    }
    for key in ["organization_name", "content", "title"] {
        if let Some(found) = text(key) {
            if !found.trim().is_empty() {
                return Some(found.to_owned());
            }
        }
    }
    None
}

/// True when JSON text contains an object.
fn is_object(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// An object key, borrowed from the text unless it contains escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// An item split into the text of its `data` and its `meta`. A key given
/// twice counts once, with its last value, as in a `serde_json::Map`.
#[derive(Default)]
struct ItemParts<'a> {
    data: Option<&'a RawValue>,
    meta: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for ItemParts<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PartsVisitor;
        impl<'de> Visitor<'de> for PartsVisitor {
            type Value = ItemParts<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a stream item")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut parts = ItemParts::default();
                while let Some(Key(key)) = map.next_key()? {
                    match &*key {
                        "data" => parts.data = Some(map.next_value()?),
                        "meta" => parts.meta = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(parts)
            }
        }
        deserializer.deserialize_map(PartsVisitor)
    }
}

/// The fields of an item's `meta` that Dealwatch uses. Text fields of
/// another type read as empty, as they did when `meta` was a `Map`.
#[derive(Default)]
struct MetaFields {
    record_type: String,
    event_type: String,
    event_id: String,
    event_time: String,
    sequence: Option<u64>,
    previous: Map<String, Value>,
}

impl<'de> Deserialize<'de> for MetaFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MetaVisitor;
        impl<'de> Visitor<'de> for MetaVisitor {
            type Value = MetaFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an item's meta object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut meta = MetaFields::default();
                while let Some(Key(key)) = map.next_key()? {
                    let text = match &*key {
                        "type" => &mut meta.record_type,
                        "event_type" => &mut meta.event_type,
                        "event_id" => &mut meta.event_id,
                        "event_time" => &mut meta.event_time,
                        "sequence" => {
                            meta.sequence = map.next_value::<Value>()?.as_u64();
                            continue;
                        }
                        "previous" => {
                            meta.previous = match map.next_value()? {
                                Value::Object(previous) => previous,
                                _ => Map::new(),
                            };
                            continue;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *text = match map.next_value()? {
                        Value::String(value) => value,
                        _ => String::new(),
                    };
                }
                Ok(meta)
            }
        }
        deserializer.deserialize_map(MetaVisitor)
    }
}

/// The snapshot fields that [`RecordFields`] is made from, each as its
/// last value in the object. Every other field is skipped unparsed.
#[derive(Default)]
struct DataFields {
    id: Option<i64>,
    owner_id: Option<i64>,
    stage_id: Option<i64>,
    /// The text values of [`NAME_KEYS`], in that order.
    names: [Option<String>; NAME_KEYS.len()],
}

impl DataFields {
    fn into_record_fields(self) -> RecordFields {
        let name = display_name(|key| {
            let index = NAME_KEYS.iter().position(|candidate| *candidate == key)?;
            self.names[index].as_deref()
        });
        RecordFields {
            id: self.id,
            name,
            owner_id: self.owner_id,
            stage_id: self.stage_id,
        }
    }
}

impl<'de> Deserialize<'de> for DataFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataVisitor;
        impl<'de> Visitor<'de> for DataVisitor {
            type Value = DataFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record snapshot")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = DataFields::default();
                while let Some(Key(key)) = map.next_key()? {
                    let number = match &*key {
                        "id" => &mut fields.id,
                        "owner_id" => &mut fields.owner_id,
                        "stage_id" => &mut fields.stage_id,
                        other => {
                            match NAME_KEYS.iter().position(|name| *name == other) {
                                Some(index) => {
                                    fields.names[index] = match map.next_value()? {
                                        Value::String(text) => Some(text),
                                        _ => None,
                                    };
                                }
                                None => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                            continue;
                        }
                    };
                    *number = map.next_value::<Value>()?.as_i64();
                }
                Ok(fields)
            }
        }
        deserializer.deserialize_map(DataVisitor)
    }
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

    #[test]
    fn snapshot_is_parsed_only_when_read() {
        let page = Page::parse(FIXTURE).unwrap();
        let item = &page.items[0];
        assert!(!item.data.is_parsed());
        assert_eq!(item.record_id(), Some(39912342));
        assert_eq!(item.record_name().as_deref(), Some("Website Redesign"));
        assert!(!item.data.is_parsed(), "the indexed fields need no parse");
        assert_eq!(
            item.data.text(),
            Some(
                r#"{"id":39912342,"name":"Website Redesign","value":"100.00","currency":"USD","extra_field":{"nested":[1,2]}}"#
            )
        );
        assert_eq!(item.data["extra_field"]["nested"][1], 2);
        assert!(item.data.is_parsed());
        assert_eq!(
            serde_json::to_value(&item.data).unwrap(),
            serde_json::from_str::<Value>(item.data.text().unwrap()).unwrap()
        );
    }

    /// The fields read without a parse agree with those read from the
    /// parsed snapshot, whatever the snapshot contains.
    #[test]
    fn indexed_fields_match_parsed_snapshot() {
        let snapshots = [
            r#"{"id":1,"name":"Plain","owner_id":7,"stage_id":9}"#,
            r#"{"id":2,"name":"  ","first_name":"Ada","last_name":"Lovelace"}"#,
            r#"{"id":3,"first_name":null,"last_name":"Hopper"}"#,
            r#"{"id":4,"organization_name":"Acme \u00e9\"quoted\""}"#,
            r#"{"id":5,"content":"Call back","title":"ignored"}"#,
            r#"{"id":"6","name":7,"title":"Title only","owner_id":"7","stage_id":1.5}"#,
            r#"{"id":8,"name":"First","name":"Second","id":9}"#,
            r#"{"id":-10,"owner_id":18446744073709551615,"stage_id":null}"#,
            r#"{"\u006eame":"Escaped key","id":11}"#,
            r#"{"id":12,"custom_fields":{"name":"nested, not the record's"}}"#,
            r#"{}"#,
            r#"null"#,
            r#"[1,2,3]"#,
            r#""a string""#,
        ];
        for data in snapshots {
            let raw = format!(
                r#"{{"data":{data},"meta":{{"type":"deal","event_type":"updated","event_id":"x"}}}}"#
            );
            let item = Item::parse(&raw).unwrap();
            let value: Value = serde_json::from_str(data).unwrap();
            let expected = RecordFields {
                id: value.get("id").and_then(Value::as_i64),
                name: record_name(&value),
                owner_id: value.get("owner_id").and_then(Value::as_i64),
                stage_id: value.get("stage_id").and_then(Value::as_i64),
            };
            assert_eq!(item.fields, expected, "{data}");
            assert_eq!(*item.data, value, "{data}");
        }
    }

    #[test]
    fn odd_items_keep_stable_ids() {
        for raw in [
            r#"{"data":{"id":1},"meta":null}"#,
            r#"{"data":{"id":1},"meta":"text"}"#,
            r#"{"data":{"id":1},"meta":{"event_id":5,"event_type":null,"sequence":"2"}}"#,
            r#"{"data":{"id":1}}"#,
            r#"42"#,
            r#"[{"data":{"id":1}}]"#,
        ] {
            let item = Item::parse(raw).unwrap();
            assert!(item.meta.event_id.starts_with("synthetic-"), "{raw}");
            assert_eq!(item.meta.event_type, EventType::Missing, "{raw}");
            assert_eq!(item.meta.sequence, None, "{raw}");
            assert_eq!(&*item.raw, raw);
        }
        let repeated = r#"{"meta":{"event_id":"old"},"data":{"id":1},"meta":{"event_id":"new","type":"lead"}}"#;
        let item = Item::parse(repeated).unwrap();
        assert_eq!(
            item.meta.event_id, "new",
            "the last of a repeated key counts"
        );
        assert_eq!(item.meta.record_type, "lead");
        assert!(Item::parse(r#"{"data":{"id":1},"meta":"#).is_err());
    }

    #[test]
    fn page_with_odd_item_parses() {
        let body = r#"{"items":[7,{"data":{"id":1},"meta":{"event_id":"a","event_type":"created"}}],"meta":{"position":"p","top":true}}"#;
        let page = Page::parse(body).unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].record_id(), None);
        assert_eq!(page.items[1].meta.event_type, EventType::Created);
    }
}
