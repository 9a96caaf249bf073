//! Changes that the generator makes to an open deal, each recording old values for
//! the event's `previous`.

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::Value;

use super::catalog::{stage_by_id, DEAL_CUSTOM_FIELDS, DEAL_TAGS, PIPELINES};
use super::fake_data::pick_other;
use super::records::{format_cents, Changes, CustomFieldValue, Deal, TagRef};
use super::words::{NAME_SUFFIXES, PRODUCTS};
use crate::clock::{format_date, format_timestamp};

const DAY_SECS: i64 = 24 * 3600;

pub(super) fn pipeline_of(deal: &Deal) -> u64 {
    stage_by_id(deal.stage_id).map_or(PIPELINES[0].id, |stage| stage.pipeline_id)
}

pub(super) fn move_stage(
    deal: &mut Deal,
    changes: &mut Changes,
    stage_id: u64,
    actor: u64,
    now_unix: i64,
) {
    changes.set("stage_id", &mut deal.stage_id, stage_id);
    changes.set(
        "last_stage_change_at",
        &mut deal.last_stage_change_at,
        format_timestamp(now_unix),
    );
    changes.set(
        "last_stage_change_by_id",
        &mut deal.last_stage_change_by_id,
        Some(actor),
    );
}

/// Scales the value by 70% to 140%, rounded down to a multiple of 50.00 and at least
/// 500.00.
pub(super) fn change_value(rng: &mut StdRng, deal: &mut Deal, changes: &mut Changes) {
    let percent = rng.gen_range(70..=140_u64);
    let mut cents = (deal.value_cents * percent / 100) / 5_000 * 5_000;
    cents = cents.max(50_000);
    if cents == deal.value_cents {
        cents += 10_000;
    }
    deal.value_cents = cents;
    changes.set("value", &mut deal.value, format_cents(cents));
}

/// Sets the close date one to eight weeks after today or after the current close date,
/// whichever is later.
pub(super) fn change_close_date(
    rng: &mut StdRng,
    deal: &mut Deal,
    changes: &mut Changes,
    now_unix: i64,
) {
    let current = deal
        .estimated_close_date
        .as_deref()
        .and_then(parse_date_unix)
        .unwrap_or(now_unix);
    let base = current.max(now_unix);
    let new_date = format_date(base + rng.gen_range(7..56) * DAY_SECS);
    changes.set(
        "estimated_close_date",
        &mut deal.estimated_close_date,
        Some(new_date),
    );
}

pub(super) fn rename(rng: &mut StdRng, deal: &mut Deal, changes: &mut Changes) {
    let new_name = if rng.gen_bool(0.6) {
        let product = pick_other(rng, &PRODUCTS, deal.product);
        deal.product = product;
        compose_deal_name(deal.account_name, product, true)
    } else {
        let suffix = NAME_SUFFIXES[rng.gen_range(0..NAME_SUFFIXES.len())];
        if deal.name.ends_with(suffix) {
            compose_deal_name(deal.account_name, deal.product, true)
        } else {
            format!(
                "{}{suffix}",
                compose_deal_name(deal.account_name, deal.product, true)
            )
        }
    };
    let new_name = if new_name == deal.name {
        format!("{new_name} (renewal)")
    } else {
        new_name
    };
    changes.set("name", &mut deal.name, new_name);
}

/// Adds a tag the deal lacks, or removes one of its tags.
pub(super) fn change_tags(rng: &mut StdRng, deal: &mut Deal, changes: &mut Changes) {
    let mut tags = deal.tags.clone();
    let missing: Vec<_> = DEAL_TAGS
        .iter()
        .filter(|tag| !tags.iter().any(|present| present.data.id == tag.id))
        .collect();
    if !missing.is_empty() && (tags.is_empty() || rng.gen_bool(0.6)) {
        let tag = missing[rng.gen_range(0..missing.len())];
        tags.push(TagRef::new(tag, "deal"));
        tags.sort_by_key(|tag| tag.data.id);
    } else {
        tags.remove(rng.gen_range(0..tags.len()));
    }
    changes.set("tags", &mut deal.tags, tags);
}

/// Sets one custom field to a value other than its current one.
pub(super) fn change_custom_field(rng: &mut StdRng, deal: &mut Deal, changes: &mut Changes) {
    let field = &DEAL_CUSTOM_FIELDS[rng.gen_range(0..DEAL_CUSTOM_FIELDS.len())];
    let mut values = deal.custom_field_values.clone();
    let current = values
        .iter()
        .position(|entry| entry.custom_field.data.id == field.id);
    let choices: Vec<Value> = (field.choices)()
        .into_iter()
        .filter(|choice| current.is_none_or(|index| values[index].value != *choice))
        .collect();
    let value = choices[rng.gen_range(0..choices.len())].clone();
    match current {
        Some(index) => values[index].value = value,
        None => {
            values.push(CustomFieldValue::new(field, value));
            values.sort_by_key(|entry| entry.custom_field.data.id);
        }
    }
    changes.set("custom_field_values", &mut deal.custom_field_values, values);
}

pub(super) fn compose_deal_name(account: &str, product: &str, account_first: bool) -> String {
    if account_first {
        format!("{account} – {product}")
    } else {
        format!("{product} for {account}")
    }
}

/// Returns a random deal value in cents: a round hundred from 500.00 to 60,000.00, or
/// one time in ten such a hundred minus 0.01, as in 1499.99.
pub(super) fn random_value_cents(rng: &mut StdRng) -> u64 {
    let hundreds = rng.gen_range(5..=600_u64);
    let cents = hundreds * 100 * 100;
    if rng.gen_bool(0.1) {
        cents - 1
    } else {
        cents
    }
}

/// Parses a `YYYY-MM-DD` date as Unix seconds at midnight UTC.
pub(super) fn parse_date_unix(date: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(date, &format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_parsing_round_trips() {
        let midnight = 1_735_689_600;
        assert_eq!(parse_date_unix(&format_date(midnight)), Some(midnight));
        assert_eq!(parse_date_unix("not a date"), None);
    }

    #[test]
    fn value_cents_are_round_or_end_in_99() {
        let mut rng = rand::SeedableRng::seed_from_u64(1);
        for _ in 0..1_000 {
            let cents = random_value_cents(&mut rng);
            assert!((50_000..=6_000_000).contains(&cents), "{cents}");
            assert!(cents.is_multiple_of(10_000) || cents % 100 == 99, "{cents}");
        }
    }
}
