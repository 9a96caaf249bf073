//! Which changes get a pop-up, and how a poll's changes become pop-ups:
//! one each, or one summary for a burst or a backlog.

use serde_json::Value;

use crate::decimal::Decimal;
use crate::format::{self, NameLookup, PopupText};
use crate::model::EventType;
use crate::settings::NotificationRules;
use crate::store::StoredEvent;

/// Facts the rules need besides the event.
#[derive(Debug, Clone, Default)]
pub struct RuleContext {
    /// The token's own user, from `/v2/users/self`, when known.
    pub self_user_id: Option<i64>,
    /// Local time as minutes since midnight.
    pub local_minute: u32,
}

/// The action a click on a pop-up takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickTarget {
    /// Open this record in the Sell web app.
    Record { url: String },
    /// Show the Dealwatch window.
    Window,
}

/// One pop-up to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    pub text: PopupText,
    pub click: ClickTarget,
    /// The store ids of the events it covers.
    pub event_ids: Vec<i64>,
}

/// True when the rules let this event raise a pop-up.
pub fn wants_popup(
    event: &StoredEvent,
    rules: &NotificationRules,
    context: &RuleContext,
    names: &dyn NameLookup,
) -> bool {
    if !rules.enabled || rules.quiet_hours.contains(context.local_minute) {
        return false;
    }
    let is_deal = event.record_type == "deal";

    if rules.only_mine && is_deal {
        if let Some(me) = context.self_user_id {
            if event.owner_id != Some(me) {
                return false;
            }
        }
    }
    if rules.ignore_own_changes && made_by(event, context.self_user_id) {
        return false;
    }
    if is_deal
        && !rules.stage_ids.is_empty()
        && !event.stage_id.is_some_and(|s| rules.stage_ids.contains(&s))
    {
        return false;
    }
    if is_deal && !rules.pipeline_ids.is_empty() {
        let pipeline_id = event.stage_id.and_then(|stage| names.stage_pipeline(stage));
        if !pipeline_id.is_some_and(|p| rules.pipeline_ids.contains(&p)) {
            return false;
        }
    }
    if let Some(min) = rules.min_value.as_deref().and_then(Decimal::parse) {
        if is_deal {
            let value = match event.data.get("value") {
                Some(Value::String(text)) => Decimal::parse(text),
                Some(Value::Number(number)) => Decimal::parse(&number.to_string()),
                _ => None,
            };
            if value.is_none_or(|v| v < min) {
                return false;
            }
        }
    }
    if event.event_type == EventType::Updated && !rules.ignored_fields.is_empty() {
        let all_ignored = !event.previous.is_empty()
            && event
                .previous
                .keys()
                .all(|field| rules.ignored_fields.iter().any(|i| i == field));
        if all_ignored {
            return false;
        }
    }
    true
}

/// Whether the event is known to be the token user's own doing. Firehose
/// events do not name who made a change, so only two cases are recognised:
/// a record the user created, and a stage move the user made.
fn made_by(event: &StoredEvent, me: Option<i64>) -> bool {
    let Some(me) = me else { return false };
    let field = |name: &str| event.data.get(name).and_then(Value::as_i64);
    match event.event_type {
        EventType::Created => field("creator_id") == Some(me),
        EventType::Updated if event.previous.contains_key("stage_id") => {
            field("last_stage_change_by_id") == Some(me)
        }
        _ => false,
    }
}

/// The address of a record in the Sell web app, or `None` for kinds it has no page for.
pub fn record_url(web_url: &str, event: &StoredEvent) -> Option<String> {
    let id = event.record_id?;
    let path = match event.record_type.as_str() {
        "deal" => "deals",
        "lead" => "leads",
        "contact" => "crm/contacts",
        "task" => "tasks",
        _ => return None,
    };
    Some(format!("{}/{path}/{id}", web_url.trim_end_matches('/')))
}

/// Turns the changes of one poll into pop-ups. Events the rules reject get
/// none. Up to `burst_threshold` changes get one pop-up each; more become one
/// summary. A backlog (`catch_up`) never gets more than one pop-up.
pub fn plan(
    events: &[StoredEvent],
    rules: &NotificationRules,
    context: &RuleContext,
    names: &dyn NameLookup,
    web_url: &str,
    catch_up: bool,
) -> Vec<Popup> {
    let wanted: Vec<&StoredEvent> = events
        .iter()
        .filter(|e| wants_popup(e, rules, context, names))
        .collect();
    let threshold = rules.burst_threshold.max(1) as usize;

    if wanted.len() > threshold || (catch_up && wanted.len() > 1) {
        let owned: Vec<StoredEvent> = wanted.iter().map(|e| (*e).clone()).collect();
        return vec![Popup {
            text: format::summary_text(&owned),
            click: ClickTarget::Window,
            event_ids: wanted.iter().map(|e| e.id).collect(),
        }];
    }

    wanted
        .into_iter()
        .map(|event| {
            let mut shown = event.clone();
            shown
                .previous
                .retain(|field, _| !rules.ignored_fields.contains(field));
            Popup {
                text: format::popup_text(&shown, names),
                click: record_url(web_url, event)
                    .map(|url| ClickTarget::Record { url })
                    .unwrap_or(ClickTarget::Window),
                event_ids: vec![event.id],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::NoNames;
    use crate::model::Item;
    use serde_json::json;

    fn event(id: i64, data: Value, event_type: &str, previous: Value) -> StoredEvent {
        let raw = json!({"data": data, "meta": {"type": "deal", "event_type": event_type,
            "event_id": format!("e{id}"), "event_time": "2024-01-01T00:00:00Z", "previous": previous}})
        .to_string();
        let item = Item::parse(&raw).unwrap();
        StoredEvent {
            id,
            event_id: item.meta.event_id.clone(),
            resource: "deals".into(),
            record_type: "deal".into(),
            record_id: item.record_id(),
            event_type: item.meta.event_type.clone(),
            event_time: item.meta.event_time.clone(),
            received_at: item.meta.event_time.clone(),
            name: item.record_name(),
            owner_id: item.fields.owner_id,
            stage_id: item.fields.stage_id,
            data: item.data,
            previous: item.meta.previous,
            raw: item.raw,
            read: false,
        }
    }

    fn updates(count: i64) -> Vec<StoredEvent> {
        (1..=count)
            .map(|id| event(id, json!({"id": id, "name": format!("Deal {id}"), "value": "10", "owner_id": id % 2}), "updated", json!({"value": "5"})))
            .collect()
    }

    const WEB: &str = "https://app.futuresimple.com/sales";

    #[test]
    fn up_to_threshold_one_popup_each() {
        let rules = NotificationRules::default();
        let popups = plan(
            &updates(3),
            &rules,
            &RuleContext::default(),
            &NoNames,
            WEB,
            false,
        );
        assert_eq!(popups.len(), 3);
        assert_eq!(
            popups[0].click,
            ClickTarget::Record {
                url: format!("{WEB}/deals/1")
            }
        );
    }

    #[test]
    fn burst_becomes_one_summary() {
        let rules = NotificationRules::default();
        let popups = plan(
            &updates(12),
            &rules,
            &RuleContext::default(),
            &NoNames,
            WEB,
            false,
        );
        assert_eq!(popups.len(), 1);
        assert_eq!(popups[0].text.title, "12 deal changes");
        assert_eq!(popups[0].text.body, "Deal 12, Deal 11 and 10 more");
        assert_eq!(popups[0].click, ClickTarget::Window);
        assert_eq!(popups[0].event_ids.len(), 12);
    }

    #[test]
    fn backlog_gets_at_most_one_popup() {
        let rules = NotificationRules::default();
        assert_eq!(
            plan(
                &updates(2),
                &rules,
                &RuleContext::default(),
                &NoNames,
                WEB,
                true
            )
            .len(),
            1
        );
        assert_eq!(
            plan(
                &updates(1),
                &rules,
                &RuleContext::default(),
                &NoNames,
                WEB,
                true
            )
            .len(),
            1
        );
    }

    #[test]
    fn only_mine_and_min_value_filter() {
        let mut rules = NotificationRules {
            only_mine: true,
            ..Default::default()
        };
        let context = RuleContext {
            self_user_id: Some(1),
            local_minute: 0,
        };
        let popups = plan(&updates(3), &rules, &context, &NoNames, WEB, false);
        assert_eq!(
            popups.iter().map(|p| p.event_ids[0]).collect::<Vec<_>>(),
            [1, 3]
        );

        rules.only_mine = false;
        rules.min_value = Some("10.00".into());
        assert_eq!(
            plan(&updates(2), &rules, &context, &NoNames, WEB, false).len(),
            2
        );
        rules.min_value = Some("10.01".into());
        assert_eq!(
            plan(&updates(2), &rules, &context, &NoNames, WEB, false).len(),
            0
        );
    }

    #[test]
    fn ignored_fields_and_quiet_hours() {
        let mut rules = NotificationRules {
            ignored_fields: vec!["value".into()],
            ..Default::default()
        };
        assert!(plan(
            &updates(1),
            &rules,
            &RuleContext::default(),
            &NoNames,
            WEB,
            false
        )
        .is_empty());

        let mixed = vec![event(
            1,
            json!({"id": 1, "name": "N", "value": "2"}),
            "updated",
            json!({"value": "1", "name": "M"}),
        )];
        let popups = plan(
            &mixed,
            &rules,
            &RuleContext::default(),
            &NoNames,
            WEB,
            false,
        );
        assert_eq!(
            popups[0].text.body, "Name: M → N",
            "ignored fields are left out of the body"
        );

        rules.ignored_fields.clear();
        rules.quiet_hours.enabled = true;
        let night = RuleContext {
            self_user_id: None,
            local_minute: 23 * 60,
        };
        assert!(plan(&updates(1), &rules, &night, &NoNames, WEB, false).is_empty());
    }

    #[test]
    fn own_stage_move_is_ignored() {
        let rules = NotificationRules {
            ignore_own_changes: true,
            ..Default::default()
        };
        let context = RuleContext {
            self_user_id: Some(7),
            local_minute: 0,
        };
        let mine = event(
            1,
            json!({"id": 1, "stage_id": 2, "last_stage_change_by_id": 7}),
            "updated",
            json!({"stage_id": 1}),
        );
        let theirs = event(
            2,
            json!({"id": 2, "stage_id": 2, "last_stage_change_by_id": 8}),
            "updated",
            json!({"stage_id": 1}),
        );
        let popups = plan(&[mine, theirs], &rules, &context, &NoNames, WEB, false);
        assert_eq!(popups.len(), 1);
        assert_eq!(popups[0].event_ids, [2]);
    }

    #[test]
    fn disabled_sends_nothing() {
        let rules = NotificationRules {
            enabled: false,
            ..Default::default()
        };
        assert!(plan(
            &updates(2),
            &rules,
            &RuleContext::default(),
            &NoNames,
            WEB,
            false
        )
        .is_empty());
    }
}
