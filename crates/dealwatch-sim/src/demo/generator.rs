//! The demo generator: a deterministic source of lifelike deal, lead and contact
//! events.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::catalog::{
    self, catalog_contacts, closing_stage, open_stages, organization_by_id, DEAL_CUSTOM_FIELDS,
    DEAL_SOURCES, DEAL_TAGS, LEAD_TAGS, LOSS_REASONS, ORGANIZATIONS, PIPELINES, SELF_USER_ID,
    USERS,
};
use super::deal_changes::{
    change_close_date, change_custom_field, change_tags, change_value, compose_deal_name,
    move_stage, pipeline_of, random_value_cents, rename,
};
use super::fake_data::{
    domain_for, email_for, fresh_phone, organization_address, other_user_id, pick_other,
    pick_weighted, random_address, random_phone,
};
use super::records::{format_cents, Changes, Contact, CustomFieldValue, Deal, Lead, TagRef};
use super::words::{
    CURRENCIES, FIRST_NAMES, INDUSTRIES, JOB_TITLES, LAST_NAMES, PRODUCTS, PROSPECT_COMPANIES,
};
use crate::clock::{format_date, format_timestamp};

const DAY_SECS: i64 = 24 * 3600;

/// Number of deals that exist before the first event, so that early updates concern
/// deals whose creation no client saw.
const EXISTING_DEALS: usize = 12;

/// Number of open deals at which deal creation pauses.
const MAX_OPEN_DEALS: usize = 60;

/// Number of closed deals kept as candidates for deletion. Older ones stop changing.
const MAX_CLOSED_DEALS: usize = 40;

/// Number of leads kept as candidates for updates. Older ones stop changing.
const MAX_LEADS: usize = 30;

/// One generated event, ready to be appended to its stream.
#[derive(Debug)]
pub struct DemoEvent {
    /// Stream name: `deals`, `leads` or `contacts`.
    pub stream: &'static str,
    /// `created`, `updated` or `deleted`.
    pub event_type: &'static str,
    pub record_id: u64,
    /// The record snapshot after the event, or only `{"id": N}` for some deletions.
    pub data: Box<RawValue>,
    /// For updates, the changed fields with their old values.
    pub previous: Option<Map<String, Value>>,
    /// For contact events, the contact's new Core API v2 record.
    pub(crate) contact_v2: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    CreateDeal,
    AdvanceStage,
    RegressStage,
    ChangeValue,
    ReviseQuote,
    ChangeCloseDate,
    Rename,
    ToggleHot,
    Reassign,
    ChangeTags,
    ChangeCustomField,
    Win,
    Lose,
    DeleteDeal,
    LeadEvent,
    ContactEvent,
}

/// Actions with their relative weights. About 90% of events are deal events.
const ACTION_WEIGHTS: [(Action, u32); 16] = [
    (Action::CreateDeal, 14),
    (Action::AdvanceStage, 20),
    (Action::RegressStage, 3),
    (Action::ChangeValue, 10),
    (Action::ReviseQuote, 4),
    (Action::ChangeCloseDate, 7),
    (Action::Rename, 4),
    (Action::ToggleHot, 4),
    (Action::Reassign, 3),
    (Action::ChangeTags, 4),
    (Action::ChangeCustomField, 5),
    (Action::Win, 7),
    (Action::Lose, 6),
    (Action::DeleteDeal, 3),
    (Action::LeadEvent, 5),
    (Action::ContactEvent, 5),
];

/// Generates the activity of a small sales team: deals created, renamed, moved
/// through stages, revalued, won, lost and deleted, with some lead and contact
/// events in between.
///
/// The sequence of events depends only on the seed and on the times passed in, for a
/// given version of the `rand` crate.
#[derive(Debug)]
pub struct DemoGenerator {
    rng: StdRng,
    started: bool,
    next_deal_id: u64,
    next_lead_id: u64,
    next_contact_id: u64,
    open_deals: Vec<Deal>,
    closed_deals: VecDeque<Deal>,
    leads: VecDeque<Lead>,
    /// Catalog organizations and people, then the people created since.
    contacts: Vec<Contact>,
    /// Ids of the people in `contacts`, each with the id of their organization.
    people: Vec<(u64, u64)>,
}

impl DemoGenerator {
    /// Creates a generator whose events depend only on `seed` and on the times
    /// passed to it.
    pub fn new(seed: u64) -> Self {
        let contacts = catalog_contacts();
        let people = contacts
            .iter()
            .filter_map(|contact| {
                let organization_id = contact.contact_id?;
                Some((contact.id, organization_id))
            })
            .collect();
        DemoGenerator {
            rng: StdRng::seed_from_u64(seed),
            started: false,
            next_deal_id: 39_912_401,
            next_lead_id: 52_118_001,
            next_contact_id: 174_842_001,
            open_deals: Vec::new(),
            closed_deals: VecDeque::new(),
            leads: VecDeque::new(),
            contacts,
            people,
        }
    }

    /// Generates the next event, stamping `now_unix` (Unix seconds) on any time
    /// field that the event changes.
    pub fn next_event(&mut self, now_unix: i64) -> DemoEvent {
        if !self.started {
            self.started = true;
            for _ in 0..EXISTING_DEALS {
                let age_days = self.rng.gen_range(2..40);
                let deal = self.new_deal(now_unix - age_days * DAY_SECS, true);
                self.open_deals.push(deal);
            }
        }

        match self.pick_action() {
            Action::CreateDeal => self.create_deal(now_unix),
            Action::Win => self.close_deal(now_unix, catalog::WON),
            Action::Lose => self.close_deal(now_unix, catalog::LOST),
            Action::DeleteDeal => self.delete_deal(now_unix),
            Action::LeadEvent => self.lead_event(now_unix),
            Action::ContactEvent => self.contact_event(now_unix),
            update => self.update_deal(update, now_unix),
        }
    }

    /// Generates the events of one tick of live activity: usually one, sometimes two
    /// to four at once, as when a user edits several deals in a row.
    pub fn next_burst(&mut self, now_unix: i64) -> Vec<DemoEvent> {
        let roll = self.rng.gen_range(0..100);
        let count = match roll {
            0..=84 => 1,
            85..=94 => 2,
            _ => self.rng.gen_range(3..=4),
        };
        (0..count).map(|_| self.next_event(now_unix)).collect()
    }

    fn pick_action(&mut self) -> Action {
        if self.open_deals.is_empty() {
            return Action::CreateDeal;
        }
        let total: u32 = ACTION_WEIGHTS.iter().map(|(_, weight)| weight).sum();
        let mut roll = self.rng.gen_range(0..total);
        let mut action = Action::AdvanceStage;
        for (candidate, weight) in ACTION_WEIGHTS {
            if roll < weight {
                action = candidate;
                break;
            }
            roll -= weight;
        }
        if action == Action::CreateDeal && self.open_deals.len() >= MAX_OPEN_DEALS {
            return Action::AdvanceStage;
        }
        action
    }

    fn random_user_id(&mut self) -> u64 {
        USERS[self.rng.gen_range(0..USERS.len())].id
    }

    /// Builds a deal. An existing deal sits in any open stage, a new one in the first
    /// or second stage of its pipeline.
    fn new_deal(&mut self, created_unix: i64, existing: bool) -> Deal {
        let rng = &mut self.rng;
        let id = self.next_deal_id;
        self.next_deal_id += rng.gen_range(1..40);

        let (person_id, organization_id) = self.people[rng.gen_range(0..self.people.len())];
        let account_name = organization_by_id(organization_id)
            .map(|organization| organization.name)
            .unwrap_or("Northwind Traders");
        let product = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];

        let pipeline_id = if rng.gen_bool(0.8) {
            PIPELINES[0].id
        } else {
            PIPELINES[1].id
        };
        let stages: Vec<u64> = open_stages(pipeline_id).map(|stage| stage.id).collect();
        let stage_id = if existing {
            stages[rng.gen_range(0..stages.len())]
        } else if rng.gen_bool(0.7) {
            stages[0]
        } else {
            stages[1]
        };

        let owner_id = USERS[rng.gen_range(0..USERS.len())].id;
        let creator_id = if rng.gen_bool(0.6) {
            owner_id
        } else {
            SELF_USER_ID
        };
        let value_cents = random_value_cents(rng);
        let currency = pick_weighted(rng, &CURRENCIES);
        let estimated_close_date = rng
            .gen_bool(0.75)
            .then(|| format_date(created_unix + rng.gen_range(14..120) * DAY_SECS));
        let customized_win_likelihood = rng.gen_bool(0.1).then(|| rng.gen_range(2..19) * 5);
        let source_id = rng
            .gen_bool(0.8)
            .then(|| DEAL_SOURCES[rng.gen_range(0..DEAL_SOURCES.len())].id);

        let tag_count = rng.gen_range(0..=2);
        let mut tags: Vec<TagRef> = DEAL_TAGS
            .choose_multiple(rng, tag_count)
            .map(|tag| TagRef::new(tag, "deal"))
            .collect();
        tags.sort_by_key(|tag| tag.data.id);
        let mut custom_field_values = Vec::new();
        for field in &DEAL_CUSTOM_FIELDS {
            if rng.gen_bool(0.4) {
                let choices = (field.choices)();
                let value = choices[rng.gen_range(0..choices.len())].clone();
                custom_field_values.push(CustomFieldValue::new(field, value));
            }
        }

        let created_at = format_timestamp(created_unix);
        let stage_changed_unix = if existing {
            created_unix + rng.gen_range(0..DAY_SECS)
        } else {
            created_unix
        };
        Deal {
            id,
            name: compose_deal_name(account_name, product, rng.gen_bool(0.8)),
            value: format_cents(value_cents),
            currency,
            hot: rng.gen_bool(0.15),
            stage_id,
            owner_id,
            creator_id,
            contact_id: rng.gen_bool(0.9).then_some(person_id),
            organization_id: Some(organization_id),
            source_id,
            loss_reason_id: None,
            last_stage_change_at: format_timestamp(stage_changed_unix),
            last_stage_change_by_id: Some(creator_id),
            estimated_close_date,
            customized_win_likelihood,
            dropbox_email: format!("deal{id}@dropbox.example.com"),
            created_at,
            tags,
            custom_field_values,
            value_cents,
            account_name,
            product,
        }
    }

    fn create_deal(&mut self, now_unix: i64) -> DemoEvent {
        let deal = self.new_deal(now_unix, false);
        let event = deal_event("created", &deal, None);
        self.open_deals.push(deal);
        event
    }

    fn update_deal(&mut self, action: Action, now_unix: i64) -> DemoEvent {
        let index = self.rng.gen_range(0..self.open_deals.len());
        let actor = self.random_user_id();
        let rng = &mut self.rng;
        let deal = &mut self.open_deals[index];
        let mut changes = Changes::default();

        match action {
            Action::AdvanceStage | Action::RegressStage => {
                let stages: Vec<u64> = open_stages(pipeline_of(deal))
                    .map(|stage| stage.id)
                    .collect();
                let current = stages.iter().position(|id| *id == deal.stage_id);
                let target = match (action, current) {
                    (Action::RegressStage, Some(position)) if position > 0 => position - 1,
                    (_, Some(position)) => position + 1,
                    (_, None) => 0,
                };
                match stages.get(target) {
                    Some(stage_id) => move_stage(deal, &mut changes, *stage_id, actor, now_unix),
                    // Advancing past the last open stage wins the deal.
                    None => return self.close_deal_at(index, now_unix, catalog::WON),
                }
            }
            Action::ChangeValue => change_value(rng, deal, &mut changes),
            Action::ReviseQuote => {
                change_value(rng, deal, &mut changes);
                change_close_date(rng, deal, &mut changes, now_unix);
            }
            Action::ChangeCloseDate => change_close_date(rng, deal, &mut changes, now_unix),
            Action::Rename => rename(rng, deal, &mut changes),
            Action::ToggleHot => {
                let hot = !deal.hot;
                changes.set("hot", &mut deal.hot, hot);
            }
            Action::Reassign => {
                let owner = other_user_id(rng, deal.owner_id);
                changes.set("owner_id", &mut deal.owner_id, owner);
            }
            Action::ChangeTags => change_tags(rng, deal, &mut changes),
            Action::ChangeCustomField => change_custom_field(rng, deal, &mut changes),
            _ => unreachable!("update_deal handles update actions only"),
        }

        let deal = &self.open_deals[index];
        deal_event("updated", deal, Some(changes.into_previous()))
    }

    fn close_deal(&mut self, now_unix: i64, category: &str) -> DemoEvent {
        let index = self.rng.gen_range(0..self.open_deals.len());
        self.close_deal_at(index, now_unix, category)
    }

    /// Moves an open deal to its pipeline's won or lost stage. A lost deal gets a
    /// loss reason.
    fn close_deal_at(&mut self, index: usize, now_unix: i64, category: &str) -> DemoEvent {
        let actor = self.random_user_id();
        let mut deal = self.open_deals.swap_remove(index);
        let mut changes = Changes::default();

        if let Some(stage) = closing_stage(pipeline_of(&deal), category) {
            move_stage(&mut deal, &mut changes, stage.id, actor, now_unix);
        }
        if category == catalog::LOST {
            let reason = LOSS_REASONS[self.rng.gen_range(0..LOSS_REASONS.len())].id;
            changes.set("loss_reason_id", &mut deal.loss_reason_id, Some(reason));
        }

        let event = deal_event("updated", &deal, Some(changes.into_previous()));
        self.closed_deals.push_back(deal);
        if self.closed_deals.len() > MAX_CLOSED_DEALS {
            self.closed_deals.pop_front();
        }
        event
    }

    /// Deletes a closed deal, or an open one when none is closed. Half of the
    /// deletions carry the last snapshot, the other half only the id.
    fn delete_deal(&mut self, now_unix: i64) -> DemoEvent {
        let deal = if !self.closed_deals.is_empty() && self.rng.gen_bool(0.7) {
            let index = self.rng.gen_range(0..self.closed_deals.len());
            self.closed_deals.remove(index)
        } else {
            let index = self.rng.gen_range(0..self.open_deals.len());
            Some(self.open_deals.swap_remove(index))
        };
        let Some(deal) = deal else {
            return self.create_deal(now_unix);
        };
        if self.rng.gen_bool(0.5) {
            deal_event("deleted", &deal, None)
        } else {
            id_only_event("deals", deal.id)
        }
    }

    fn lead_event(&mut self, now_unix: i64) -> DemoEvent {
        if self.leads.len() < 3 || self.rng.gen_bool(0.4) {
            let lead = self.new_lead(now_unix);
            let event = record_event("leads", "created", lead.id, &lead, None);
            self.leads.push_back(lead);
            if self.leads.len() > MAX_LEADS {
                self.leads.pop_front();
            }
            return event;
        }

        let index = self.rng.gen_range(0..self.leads.len());
        if self.rng.gen_bool(0.1) {
            let lead_id = self.leads.remove(index).map_or(0, |lead| lead.id);
            return id_only_event("leads", lead_id);
        }

        let rng = &mut self.rng;
        let lead = &mut self.leads[index];
        let mut changes = Changes::default();
        match (lead.status, rng.gen_range(0..4)) {
            ("New", _) => changes.set("status", &mut lead.status, "Working"),
            ("Working", 0) => changes.set("status", &mut lead.status, "Unqualified"),
            (_, 1) => {
                let owner = other_user_id(rng, lead.owner_id);
                changes.set("owner_id", &mut lead.owner_id, owner);
            }
            (_, 2) => {
                let phone = fresh_phone(rng, Some(&lead.phone));
                changes.set("phone", &mut lead.phone, phone);
            }
            _ => {
                let title = pick_other(rng, &JOB_TITLES, lead.title);
                changes.set("title", &mut lead.title, title);
            }
        }
        let lead = &self.leads[index];
        record_event(
            "leads",
            "updated",
            lead.id,
            lead,
            Some(changes.into_previous()),
        )
    }

    fn new_lead(&mut self, now_unix: i64) -> Lead {
        let id = self.next_lead_id;
        self.next_lead_id += self.rng.gen_range(1..25);
        let owner_id = self.random_user_id();
        let rng = &mut self.rng;

        let first_name = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last_name = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        let organization_name = PROSPECT_COMPANIES[rng.gen_range(0..PROSPECT_COMPANIES.len())];
        let domain = domain_for(organization_name);
        let tag_count = rng.gen_range(0..=1);
        let tags = LEAD_TAGS
            .choose_multiple(rng, tag_count)
            .map(|tag| TagRef::new(tag, "lead"))
            .collect();
        Lead {
            id,
            owner_id,
            creator_id: owner_id,
            source_id: rng
                .gen_bool(0.7)
                .then(|| DEAL_SOURCES[rng.gen_range(0..DEAL_SOURCES.len())].id),
            first_name,
            last_name,
            organization_name,
            status: "New",
            title: JOB_TITLES[rng.gen_range(0..JOB_TITLES.len())],
            description: None,
            industry: INDUSTRIES[rng.gen_range(0..INDUSTRIES.len())],
            website: Some(format!("https://{domain}")),
            email: email_for(first_name, last_name, &domain),
            phone: random_phone(rng),
            mobile: None,
            fax: None,
            twitter: None,
            facebook: None,
            linkedin: None,
            skype: None,
            address: random_address(rng),
            tags,
            custom_field_values: Vec::new(),
            created_at: format_timestamp(now_unix),
        }
    }

    fn contact_event(&mut self, now_unix: i64) -> DemoEvent {
        let updated_at = format_timestamp(now_unix);
        if self.rng.gen_bool(0.4) {
            let contact = self.new_person(now_unix);
            let mut event = record_event("contacts", "created", contact.id, &contact, None);
            event.contact_v2 = Some(contact.to_v2_json(&updated_at));
            if let Some(organization_id) = contact.contact_id {
                self.people.push((contact.id, organization_id));
            }
            self.contacts.push(contact);
            return event;
        }

        let index = self.rng.gen_range(0..self.contacts.len());
        let rng = &mut self.rng;
        let contact = &mut self.contacts[index];
        let mut changes = Changes::default();
        if contact.is_organization {
            match contact.customer_status {
                "none" => changes.set("customer_status", &mut contact.customer_status, "current"),
                _ => {
                    let phone = Some(fresh_phone(rng, contact.phone.as_deref()));
                    changes.set("phone", &mut contact.phone, phone);
                }
            }
        } else {
            match rng.gen_range(0..3) {
                0 => {
                    let current = contact.title.unwrap_or("");
                    let title = Some(pick_other(rng, &JOB_TITLES, current));
                    changes.set("title", &mut contact.title, title);
                }
                1 => {
                    let status = match contact.prospect_status {
                        "none" => "current",
                        "current" => "lost",
                        _ => "current",
                    };
                    changes.set("prospect_status", &mut contact.prospect_status, status);
                }
                _ => {
                    let phone = Some(fresh_phone(rng, contact.phone.as_deref()));
                    changes.set("phone", &mut contact.phone, phone);
                }
            }
        }

        let contact = &self.contacts[index];
        let mut event = record_event(
            "contacts",
            "updated",
            contact.id,
            contact,
            Some(changes.into_previous()),
        );
        event.contact_v2 = Some(contact.to_v2_json(&updated_at));
        event
    }

    /// Builds a new person who works for a catalog organization.
    fn new_person(&mut self, now_unix: i64) -> Contact {
        let id = self.next_contact_id;
        self.next_contact_id += self.rng.gen_range(1..10);
        let owner_id = self.random_user_id();
        let rng = &mut self.rng;

        let organization = &ORGANIZATIONS[rng.gen_range(0..ORGANIZATIONS.len())];
        let first_name = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last_name = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        Contact {
            id,
            creator_id: owner_id,
            owner_id,
            is_organization: false,
            contact_id: Some(organization.id),
            name: format!("{first_name} {last_name}"),
            first_name: Some(first_name),
            last_name: Some(last_name),
            customer_status: "none",
            prospect_status: "current",
            title: Some(JOB_TITLES[rng.gen_range(0..JOB_TITLES.len())]),
            description: None,
            industry: None,
            website: None,
            email: Some(email_for(first_name, last_name, organization.domain)),
            phone: Some(random_phone(rng)),
            mobile: None,
            address: organization_address(organization.city, organization.country, id),
            tags: Vec::new(),
            custom_field_values: Vec::new(),
            created_at: format_timestamp(now_unix),
        }
    }
}

fn deal_event(
    event_type: &'static str,
    deal: &Deal,
    previous: Option<Map<String, Value>>,
) -> DemoEvent {
    record_event("deals", event_type, deal.id, deal, previous)
}

fn record_event<T: Serialize>(
    stream: &'static str,
    event_type: &'static str,
    record_id: u64,
    record: &T,
    previous: Option<Map<String, Value>>,
) -> DemoEvent {
    DemoEvent {
        stream,
        event_type,
        record_id,
        data: to_raw(record),
        previous,
        contact_v2: None,
    }
}

/// Builds a deletion whose data is only `{"id": N}`.
fn id_only_event(stream: &'static str, record_id: u64) -> DemoEvent {
    record_event(
        stream,
        "deleted",
        record_id,
        &json!({ "id": record_id }),
        None,
    )
}

fn to_raw<T: Serialize>(record: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(record)
        .expect("demo records are structs with string keys, which always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::catalog::stage_by_id;
    use std::collections::{HashMap, HashSet};

    const NOW: i64 = 1_735_689_600;

    fn run(seed: u64, count: usize) -> Vec<DemoEvent> {
        let mut generator = DemoGenerator::new(seed);
        (0..count)
            .map(|step| generator.next_event(NOW + step as i64 * 30))
            .collect()
    }

    fn parse(event: &DemoEvent) -> Value {
        serde_json::from_str(event.data.get()).unwrap()
    }

    #[test]
    fn same_seed_gives_same_events() {
        let first = run(7, 300);
        let second = run(7, 300);
        for (left, right) in first.iter().zip(&second) {
            assert_eq!(left.data.get(), right.data.get());
            assert_eq!(left.previous, right.previous);
            assert_eq!(left.event_type, right.event_type);
        }
    }

    #[test]
    fn different_seeds_differ() {
        let first: Vec<String> = run(1, 50).iter().map(|e| e.data.get().to_owned()).collect();
        let second: Vec<String> = run(2, 50).iter().map(|e| e.data.get().to_owned()).collect();
        assert_ne!(first, second);
    }

    #[test]
    fn deal_snapshots_have_documented_fields() {
        let fields = [
            "id",
            "name",
            "value",
            "currency",
            "hot",
            "stage_id",
            "owner_id",
            "creator_id",
            "contact_id",
            "organization_id",
            "source_id",
            "loss_reason_id",
            "last_stage_change_at",
            "last_stage_change_by_id",
            "estimated_close_date",
            "customized_win_likelihood",
            "dropbox_email",
            "created_at",
            "tags",
            "custom_field_values",
        ];
        let events = run(3, 500);
        let snapshots = events
            .iter()
            .filter(|event| event.stream == "deals")
            .map(parse)
            .filter(|data| data.as_object().unwrap().len() > 1);
        for data in snapshots {
            for field in fields {
                assert!(data.get(field).is_some(), "deal lacks {field}: {data}");
            }
            assert_eq!(data.as_object().unwrap().len(), fields.len(), "{data}");
            let value = data["value"].as_str().unwrap();
            let (units, cents) = value.split_once('.').unwrap();
            assert!(units.parse::<u64>().is_ok(), "{value}");
            assert_eq!(cents.len(), 2, "{value}");
        }
    }

    #[test]
    fn previous_holds_exactly_changed_fields() {
        let mut generator = DemoGenerator::new(11);
        let mut snapshots: HashMap<(&str, u64), Value> = HashMap::new();
        for step in 0..3_000 {
            let event = generator.next_event(NOW + step * 45);
            let data = parse(&event);
            let key = (event.stream, event.record_id);
            if event.event_type == "updated" {
                let previous = event.previous.as_ref().unwrap();
                assert!(!previous.is_empty(), "empty previous at step {step}");
                if let Some(before) = snapshots.get(&key) {
                    let before = before.as_object().unwrap();
                    let after = data.as_object().unwrap();
                    for (field, old) in previous {
                        assert_eq!(&before[field], old, "{field} at step {step}");
                        assert_ne!(&after[field], old, "{field} at step {step}");
                    }
                    for (field, value) in after {
                        if !previous.contains_key(field) {
                            assert_eq!(&before[field], value, "{field} at step {step}");
                        }
                    }
                }
            } else {
                assert!(event.previous.is_none());
            }
            snapshots.insert(key, data);
        }
    }

    #[test]
    fn activity_covers_every_kind_of_change() {
        let events = run(5, 3_000);
        let mut seen = HashSet::new();
        for event in &events {
            seen.insert((event.stream, event.event_type));
            if let Some(previous) = &event.previous {
                for field in previous.keys() {
                    seen.insert((event.stream, field.as_str()));
                }
            }
        }
        for expected in [
            ("deals", "created"),
            ("deals", "updated"),
            ("deals", "deleted"),
            ("deals", "name"),
            ("deals", "value"),
            ("deals", "stage_id"),
            ("deals", "loss_reason_id"),
            ("deals", "estimated_close_date"),
            ("deals", "owner_id"),
            ("deals", "tags"),
            ("deals", "custom_field_values"),
            ("deals", "hot"),
            ("leads", "created"),
            ("leads", "updated"),
            ("contacts", "created"),
            ("contacts", "updated"),
        ] {
            assert!(seen.contains(&expected), "missing {expected:?}");
        }
    }

    #[test]
    fn won_and_lost_use_closing_stages() {
        for event in run(9, 2_000) {
            let Some(previous) = &event.previous else {
                continue;
            };
            if !previous.contains_key("stage_id") || event.stream != "deals" {
                continue;
            }
            let data = parse(&event);
            let stage = stage_by_id(data["stage_id"].as_u64().unwrap()).unwrap();
            if stage.category == catalog::LOST {
                assert!(data["loss_reason_id"].as_u64().is_some(), "{data}");
            } else {
                assert!(data["loss_reason_id"].is_null(), "{data}");
            }
        }
    }

    #[test]
    fn burst_sizes_stay_small() {
        let mut generator = DemoGenerator::new(4);
        for step in 0..200 {
            let burst = generator.next_burst(NOW + step);
            assert!((1..=4).contains(&burst.len()));
        }
    }
}
