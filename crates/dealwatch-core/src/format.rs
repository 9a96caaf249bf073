//! How a change reads: field labels, values, the terminal block and the
//! pop-up text. This is the one place that decides the text of a change.

use serde_json::Value;

use crate::model::EventType;
use crate::store::StoredEvent;

/// The kinds of id that can be resolved to a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    Stage,
    Pipeline,
    User,
    Contact,
    Source,
    LossReason,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Stage => "stage",
            NameKind::Pipeline => "pipeline",
            NameKind::User => "user",
            NameKind::Contact => "contact",
            NameKind::Source => "source",
            NameKind::LossReason => "loss_reason",
        }
    }

    /// The kind of name an id field refers to, if it is one this app resolves.
    pub fn of_field(field: &str) -> Option<NameKind> {
        Some(match field {
            "stage_id" => NameKind::Stage,
            "pipeline_id" => NameKind::Pipeline,
            "owner_id" | "creator_id" | "last_stage_change_by_id" | "user_id" => NameKind::User,
            "contact_id" | "organization_id" => NameKind::Contact,
            "source_id" => NameKind::Source,
            "loss_reason_id" => NameKind::LossReason,
            _ => return None,
        })
    }
}

/// Turns ids into names. Lookups must not block on the network: a miss
/// returns `None` and the id is shown instead.
pub trait NameLookup {
    fn name(&self, kind: NameKind, id: i64) -> Option<String>;

    /// A stage's category, such as `won` or `lost`.
    fn stage_category(&self, _id: i64) -> Option<String> {
        None
    }

    /// The id of the pipeline a stage belongs to.
    fn stage_pipeline(&self, _id: i64) -> Option<i64> {
        None
    }
}

/// A lookup that resolves no names.
pub struct NoNames;

impl NameLookup for NoNames {
    fn name(&self, _kind: NameKind, _id: i64) -> Option<String> {
        None
    }
}

/// One changed field, ready to show. `None` means null or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub label: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The text shown in place of a null or empty value.
pub const NONE_TEXT: &str = "—";

impl FieldChange {
    /// `Label: old → new`, with nulls as `—`.
    pub fn line(&self) -> String {
        format!(
            "{}: {} → {}",
            self.label,
            self.old.as_deref().unwrap_or(NONE_TEXT),
            self.new.as_deref().unwrap_or(NONE_TEXT)
        )
    }
}

/// A field's label for people: `estimated_close_date` reads "Close date".
pub fn field_label(field: &str) -> String {
    let known = match field {
        "stage_id" => "Stage",
        "owner_id" => "Owner",
        "creator_id" => "Creator",
        "contact_id" => "Contact",
        "organization_id" => "Organization",
        "source_id" => "Source",
        "loss_reason_id" => "Loss reason",
        "last_stage_change_by_id" => "Stage changed by",
        "estimated_close_date" => "Close date",
        "customized_win_likelihood" => "Win likelihood",
        "custom_field_values" => "Custom fields",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    let words = field.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The changes an update made, in the order the event lists them. Custom
/// fields are expanded to one change per field that differs. A value change
/// carries the currency: `Value: 50.00 → 100.00 USD`.
pub fn field_changes(event: &StoredEvent, names: &dyn NameLookup) -> Vec<FieldChange> {
    let data = &event.data;
    let previous = &event.previous;
    let mut changes = Vec::new();

    for (field, old) in previous {
        let new = data.get(field).unwrap_or(&Value::Null);
        match field.as_str() {
            "custom_field_values" => changes.extend(custom_field_changes(old, new)),
            "currency" if previous.contains_key("value") => {}
            "value" => {
                let old_currency = previous
                    .get("currency")
                    .unwrap_or_else(|| data.get("currency").unwrap_or(&Value::Null));
                let new_currency = data.get("currency").unwrap_or(&Value::Null);
                let show_both = previous.contains_key("currency");
                let old_text = money(
                    old,
                    if show_both {
                        old_currency
                    } else {
                        &Value::Null
                    },
                );
                let new_text = money(new, new_currency);
                changes.push(FieldChange {
                    field: field.clone(),
                    label: field_label(field),
                    old: old_text,
                    new: new_text,
                });
            }
            _ => changes.push(FieldChange {
                field: field.clone(),
                label: field_label(field),
                old: display_value(field, old, names),
                new: display_value(field, new, names),
            }),
        }
    }
    changes.sort_by_key(|change| field_priority(&change.field));
    changes
}

/// Orders changes by what a sales rep looks at first: stage, value, name,
/// owner, then everything else as received.
fn field_priority(field: &str) -> u8 {
    match field {
        "stage_id" => 0,
        "value" => 1,
        "name" => 2,
        "owner_id" => 3,
        _ => 4,
    }
}

/// A value for people: names for ids, `yes`/`no` for booleans, decimal
/// strings exactly as given, tag names joined, `None` for null or empty.
pub fn display_value(field: &str, value: &Value, names: &dyn NameLookup) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(flag) => Some(if *flag { "yes" } else { "no" }.to_owned()),
        Value::Number(number) => {
            if let (Some(kind), Some(id)) = (NameKind::of_field(field), number.as_i64()) {
                return Some(names.name(kind, id).unwrap_or_else(|| format!("#{id}")));
            }
            Some(number.to_string())
        }
        Value::String(text) if text.is_empty() => None,
        Value::String(text) => Some(text.clone()),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(array_item_text).collect();
            Some(parts.join(", "))
        }
        Value::Object(_) => Some(value.to_string()),
    }
}

fn array_item_text(item: &Value) -> String {
    let tag_name = item.pointer("/data/name").or_else(|| item.get("name"));
    match (tag_name, item) {
        (Some(Value::String(name)), _) => name.clone(),
        (_, Value::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}

/// A decimal amount with its currency, digits grouped: `1,200.00 EUR`.
pub fn money(value: &Value, currency: &Value) -> Option<String> {
    let amount = match value {
        Value::String(text) if !text.is_empty() => group_digits(text),
        Value::Number(number) => group_digits(&number.to_string()),
        _ => return None,
    };
    match currency.as_str().filter(|c| !c.is_empty()) {
        Some(code) => Some(format!("{amount} {code}")),
        None => Some(amount),
    }
}

/// Groups the integer digits of a decimal string by thousands, keeping every
/// digit: `1234567.50` becomes `1,234,567.50`. Text that is not a plain
/// decimal is returned unchanged.
pub fn group_digits(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (integer, fraction) = match rest.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (rest, None),
    };
    let plain = !integer.is_empty()
        && integer.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    if !plain {
        return text.to_owned();
    }

    let mut grouped = String::with_capacity(text.len() + integer.len() / 3);
    grouped.push_str(sign);
    for (index, digit) in integer.chars().enumerate() {
        if index > 0 && (integer.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

fn custom_field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let entries = |value: &Value| -> Vec<(String, String, Value)> {
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        let field = item.pointer("/custom_field/data");
                        let id = field
                            .and_then(|f| f.get("id"))
                            .map(Value::to_string)
                            .unwrap_or_default();
                        let name = field
                            .and_then(|f| f.get("name"))
                            .and_then(Value::as_str)
                            .unwrap_or("Custom field")
                            .to_owned();
                        (id, name, item.get("value").cloned().unwrap_or(Value::Null))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let old_entries = entries(old);
    let new_entries = entries(new);
    let mut changes = Vec::new();

    for (id, name, new_value) in &new_entries {
        let old_value = old_entries
            .iter()
            .find(|(old_id, ..)| old_id == id)
            .map(|(.., v)| v);
        if old_value != Some(new_value) {
            changes.push(FieldChange {
                field: format!("custom_field_values.{id}"),
                label: name.clone(),
                old: old_value.and_then(|v| display_value("", v, &NoNames)),
                new: display_value("", new_value, &NoNames),
            });
        }
    }
    for (id, name, old_value) in &old_entries {
        if !new_entries.iter().any(|(new_id, ..)| new_id == id) {
            changes.push(FieldChange {
                field: format!("custom_field_values.{id}"),
                label: name.clone(),
                old: display_value("", old_value, &NoNames),
                new: None,
            });
        }
    }
    changes
}

/// The record kind for people: `deal` reads "Deal".
pub fn kind_label(record_type: &str) -> String {
    field_label(if record_type.is_empty() {
        "record"
    } else {
        record_type
    })
}

/// The record's name, or its kind and id when it has none.
pub fn record_title(event: &StoredEvent) -> String {
    match event.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => name.to_owned(),
        None => match event.record_id {
            Some(id) => format!("{} #{id}", kind_label(&event.record_type)),
            None => kind_label(&event.record_type),
        },
    }
}

/// The title and body of a pop-up, as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopupText {
    pub title: String,
    pub body: String,
}

/// Fields Sell updates along with others, such as the time of a stage
/// change. A pop-up leaves them out unless nothing else changed.
pub const BOOKKEEPING_FIELDS: &[&str] = &[
    "last_stage_change_at",
    "last_stage_change_by_id",
    "updated_at",
    "last_activity_at",
];

/// The pop-up for one change:
/// - "Website Redesign — updated" / "Value: 50.00 → 100.00 USD · Name: Website → Website Redesign";
/// - "New deal: Acme renewal — 1,200.00 EUR";
/// - "Deal deleted: Acme renewal";
/// - "Acme renewal — won" when the stage moved into a won (or lost) stage.
pub fn popup_text(event: &StoredEvent, names: &dyn NameLookup) -> PopupText {
    let title = record_title(event);
    let kind = event.record_type.as_str();
    match &event.event_type {
        EventType::Created => {
            let amount = money(
                event.data.get("value").unwrap_or(&Value::Null),
                event.data.get("currency").unwrap_or(&Value::Null),
            );
            let headline = match amount {
                Some(amount)
                    if amount != "0" && amount != "0.00" && !amount.starts_with("0.00 ") =>
                {
                    format!("New {kind}: {title} — {amount}")
                }
                _ => format!("New {kind}: {title}"),
            };
            let mut details = Vec::new();
            for field in ["stage_id", "owner_id", "organization_id", "contact_id"] {
                let value = event.data.get(field).unwrap_or(&Value::Null);
                if let Some(text) = display_value(field, value, names) {
                    details.push(format!("{}: {text}", field_label(field)));
                }
            }
            PopupText {
                title: headline,
                body: details.join(" · "),
            }
        }
        EventType::Deleted => PopupText {
            title: format!("{} deleted: {title}", kind_label(kind)),
            body: String::new(),
        },
        _ => {
            let changes = field_changes(event, names);
            let outcome = event
                .previous
                .contains_key("stage_id")
                .then(|| event.data.get("stage_id").and_then(Value::as_i64))
                .flatten()
                .and_then(|stage| names.stage_category(stage))
                .filter(|category| category == "won" || category == "lost");
            let verb = outcome.unwrap_or_else(|| event.event_type.as_str().to_owned());
            let meaningful: Vec<&FieldChange> = changes
                .iter()
                .filter(|c| !BOOKKEEPING_FIELDS.contains(&c.field.as_str()))
                .collect();
            let shown = if meaningful.is_empty() {
                changes.iter().collect()
            } else {
                meaningful
            };
            let mut parts: Vec<String> = shown.iter().map(|change| change.line()).collect();
            if parts.is_empty() {
                parts.push("No field changes were listed.".to_owned());
            }
            // The owner gives a stage move or value change its context.
            if kind == "deal" && !event.previous.contains_key("owner_id") {
                let owner = event.data.get("owner_id").and_then(Value::as_i64);
                if let Some(name) = owner.and_then(|id| names.name(NameKind::User, id)) {
                    parts.push(format!("Owner: {name}"));
                }
            }
            let body = parts.join(" · ");
            PopupText {
                title: format!("{title} — {verb}"),
                body,
            }
        }
    }
}

/// One pop-up for many changes: "12 deal changes: Website Redesign, Acme
/// renewal and 10 more".
pub fn summary_text(events: &[StoredEvent]) -> PopupText {
    let mut kinds: Vec<&str> = events.iter().map(|e| e.record_type.as_str()).collect();
    kinds.dedup();
    let noun = match kinds.as_slice() {
        [single] if !single.is_empty() => format!("{single} changes"),
        _ => "changes".to_owned(),
    };
    let noun = if events.len() == 1 {
        noun.trim_end_matches('s').to_owned()
    } else {
        noun
    };

    let mut names: Vec<String> = Vec::new();
    for event in events.iter().rev() {
        let title = record_title(event);
        if !names.contains(&title) {
            names.push(title);
        }
    }
    names.truncate(2);
    // "N more" counts changes, like the headline, not distinct records.
    let more = events
        .iter()
        .filter(|event| !names.contains(&record_title(event)))
        .count();
    let listed = match (names.as_slice(), more) {
        ([], _) => String::new(),
        ([only], 0) => only.clone(),
        ([only], more) => format!("{only} and {more} more"),
        ([first, second], 0) => format!("{first} and {second}"),
        ([first, second], more) => format!("{first}, {second} and {more} more"),
        _ => unreachable!("names holds at most two"),
    };
    PopupText {
        title: format!("{} {noun}", events.len()),
        body: listed,
    }
}

/// Cuts `text` to at most `max` characters, ending it with `…` when cut.
/// It never splits a character, and never leaves a combining mark without
/// its base character.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(1);
    let mut chars: Vec<char> = text.chars().take(keep + 1).collect();
    chars.truncate(keep);
    let next = text.chars().nth(keep);
    if next.is_some_and(is_combining_mark) {
        while chars.last().is_some_and(|c| is_combining_mark(*c)) {
            chars.pop();
        }
        chars.pop();
    }
    let mut cut: String = chars.into_iter().collect();
    cut.push('…');
    cut
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        | 0x200D | 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF)
}

/// Replaces control characters so text printed to a terminal cannot move
/// the cursor or change colours.
pub fn terminal_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The block `dealwatch tail` prints for an event:
///
/// ```text
/// 2017-07-05 17:24:10Z  deal 39912342  Website Redesign  updated
///     Name: Website → Website Redesign
///     Value: 50.00 → 100.00 USD
/// ```
pub fn terminal_block(event: &StoredEvent, names: &dyn NameLookup) -> String {
    let time = event.event_time.replacen('T', " ", 1);
    let id = event
        .record_id
        .map(|id| id.to_string())
        .unwrap_or_else(|| "?".into());
    let name = event
        .name
        .as_deref()
        .map(terminal_safe)
        .unwrap_or_else(|| NONE_TEXT.to_owned());
    let kind = if event.record_type.is_empty() {
        "record"
    } else {
        &event.record_type
    };
    let mut block = format!(
        "{time}  {kind} {id}  {}  {}",
        name.replace('\n', " "),
        event.event_type.as_str()
    );
    if matches!(event.event_type, EventType::Updated | EventType::Other(_)) {
        for change in field_changes(event, names) {
            block.push_str("\n    ");
            block.push_str(&terminal_safe(&change.line()).replace('\n', " "));
        }
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Item;
    use serde_json::json;

    fn event(data: Value, event_type: &str, previous: Value) -> StoredEvent {
        let raw = json!({"data": data, "meta": {"type": "deal", "event_type": event_type,
            "event_id": "e", "event_time": "2017-07-05T17:24:10Z", "previous": previous}})
        .to_string();
        let item = Item::parse(&raw).unwrap();
        StoredEvent {
            id: 1,
            event_id: "e".into(),
            resource: "deals".into(),
            record_type: "deal".into(),
            record_id: item.record_id(),
            event_type: item.meta.event_type.clone(),
            event_time: item.meta.event_time.clone(),
            received_at: item.meta.event_time.clone(),
            name: item.record_name(),
            owner_id: None,
            stage_id: None,
            data: item.data,
            previous: item.meta.previous,
            raw: item.raw,
            read: false,
        }
    }

    struct Names;
    impl NameLookup for Names {
        fn name(&self, kind: NameKind, id: i64) -> Option<String> {
            match (kind, id) {
                (NameKind::Stage, 1) => Some("Qualified".into()),
                (NameKind::Stage, 2) => Some("Won".into()),
                (NameKind::User, 7) => Some("Dana Reyes".into()),
                _ => None,
            }
        }
        fn stage_category(&self, id: i64) -> Option<String> {
            (id == 2).then(|| "won".into())
        }
    }

    #[test]
    fn documented_update_reads_as_expected() {
        let e = event(
            json!({"id": 39912342, "name": "Website Redesign", "value": "100.00", "currency": "USD"}),
            "updated",
            json!({"name": "Website", "value": "50.00"}),
        );
        let popup = popup_text(&e, &NoNames);
        assert_eq!(popup.title, "Website Redesign — updated");
        assert_eq!(
            popup.body,
            "Value: 50.00 → 100.00 USD · Name: Website → Website Redesign"
        );
        assert_eq!(
            terminal_block(&e, &NoNames),
            "2017-07-05 17:24:10Z  deal 39912342  Website Redesign  updated\n    \
             Value: 50.00 → 100.00 USD\n    Name: Website → Website Redesign"
        );
    }

    #[test]
    fn created_shows_grouped_amount() {
        let e = event(
            json!({"id": 1, "name": "Acme renewal", "value": "1200.00", "currency": "EUR"}),
            "created",
            json!(null),
        );
        assert_eq!(
            popup_text(&e, &NoNames).title,
            "New deal: Acme renewal — 1,200.00 EUR"
        );
    }

    #[test]
    fn deleted_uses_stored_name() {
        let mut e = event(json!({"id": 9}), "deleted", json!(null));
        assert_eq!(popup_text(&e, &NoNames).title, "Deal deleted: Deal #9");
        e.name = Some("Acme renewal".into());
        assert_eq!(popup_text(&e, &NoNames).title, "Deal deleted: Acme renewal");
    }

    #[test]
    fn stage_and_owner_use_names() {
        let e = event(
            json!({"id": 1, "name": "X", "stage_id": 2, "owner_id": 7}),
            "updated",
            json!({"stage_id": 1, "owner_id": null}),
        );
        let popup = popup_text(&e, &Names);
        assert_eq!(popup.title, "X — won");
        assert_eq!(popup.body, "Stage: Qualified → Won · Owner: — → Dana Reyes");

        let moved = event(
            json!({"id": 1, "name": "X", "stage_id": 2, "owner_id": 7, "last_stage_change_at": "b"}),
            "updated",
            json!({"stage_id": 1, "last_stage_change_at": "a"}),
        );
        assert_eq!(
            popup_text(&moved, &Names).body,
            "Stage: Qualified → Won · Owner: Dana Reyes"
        );
    }

    #[test]
    fn unknown_id_shows_number() {
        let e = event(
            json!({"id": 1, "stage_id": 99}),
            "updated",
            json!({"stage_id": 98}),
        );
        assert_eq!(field_changes(&e, &NoNames)[0].line(), "Stage: #98 → #99");
    }

    #[test]
    fn currency_change_shows_both_sides() {
        let e = event(
            json!({"id": 1, "value": "10", "currency": "EUR"}),
            "updated",
            json!({"value": "9", "currency": "USD"}),
        );
        let changes = field_changes(&e, &NoNames);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].line(), "Value: 9 USD → 10 EUR");
    }

    #[test]
    fn custom_fields_expand_per_field() {
        let cf = |id: i64, name: &str, value: Value| json!({"value": value, "custom_field": {"data": {"id": id, "name": name, "type": "string"}}});
        let e = event(
            json!({"id": 1, "custom_field_values": [cf(1, "Region", json!("APAC")), cf(2, "Seats", json!(10))]}),
            "updated",
            json!({"custom_field_values": [cf(1, "Region", json!("EMEA")), cf(2, "Seats", json!(10)), cf(3, "Old", json!("x"))]}),
        );
        let lines: Vec<String> = field_changes(&e, &NoNames)
            .iter()
            .map(FieldChange::line)
            .collect();
        assert_eq!(lines, ["Region: EMEA → APAC", "Old: x → —"]);
    }

    #[test]
    fn values_keep_exact_decimals() {
        assert_eq!(
            group_digits("12345678901234567890.123456789"),
            "12,345,678,901,234,567,890.123456789"
        );
        assert_eq!(group_digits("-1000"), "-1,000");
        assert_eq!(group_digits("100.00"), "100.00");
        assert_eq!(group_digits("1e5"), "1e5");
        assert_eq!(
            display_value("hot", &json!(true), &NoNames).as_deref(),
            Some("yes")
        );
        assert_eq!(display_value("name", &json!(""), &NoNames), None);
        assert_eq!(
            display_value(
                "tags",
                &json!([{"data": {"name": "vip"}}, {"data": {"name": "q4"}}]),
                &NoNames
            )
            .as_deref(),
            Some("vip, q4")
        );
    }

    #[test]
    fn summary_names_two_and_counts_rest() {
        let mut events = Vec::new();
        for n in 0..12 {
            events.push(event(
                json!({"id": n, "name": format!("Deal {n}")}),
                "updated",
                json!({"name": "x"}),
            ));
        }
        let text = summary_text(&events);
        assert_eq!(text.title, "12 deal changes");
        assert_eq!(text.body, "Deal 11, Deal 10 and 10 more");
    }

    #[test]
    fn summary_counts_changes_not_records() {
        let mut events = Vec::new();
        for n in [1, 2, 2, 3, 3, 3] {
            events.push(event(
                json!({"id": n, "name": format!("Deal {n}")}),
                "updated",
                json!({"name": "x"}),
            ));
        }
        let text = summary_text(&events);
        assert_eq!(text.title, "6 deal changes");
        assert_eq!(
            text.body, "Deal 3, Deal 2 and 1 more",
            "5 of 6 changes are to the two named deals"
        );
        assert_eq!(summary_text(&events[1..]).body, "Deal 3 and Deal 2");
    }

    #[test]
    fn truncate_keeps_characters_whole() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("日本語のテキスト", 4), "日本語…");
        assert_eq!(truncate("e\u{301}e\u{301}e\u{301}", 4), "e\u{301}…");
        assert_eq!(truncate("😀😀😀😀", 3), "😀😀…");
    }

    #[test]
    fn terminal_output_neutralises_escapes() {
        assert_eq!(terminal_safe("a\u{1b}[31mb"), "a\u{FFFD}[31mb");
    }
}
