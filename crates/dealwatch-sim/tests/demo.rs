//! The demo generator as a client sees it: snapshots, changes and names that the
//! Core API resolves.

mod common;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::Harness;
use dealwatch_sim::SimConfig;
use reqwest::StatusCode;
use serde_json::Value;

const DEAL_FIELDS: [&str; 20] = [
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

async fn resolve(harness: &Harness, path: &str) -> Value {
    let response = harness.v2(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn backlog_has_documented_deal_shapes() {
    let harness = Harness::start().await;
    harness.sim.seed_demo_backlog(1_500);
    assert_eq!(demo_event_count(&harness), 1_500);
    assert!(harness.sim.event_count("deals") > 1_200);

    let (items, _) = harness.drain("deals", "tail", "100").await;
    assert_eq!(items.len(), harness.sim.event_count("deals"));

    let mut last_sequence: HashMap<u64, u64> = HashMap::new();
    let mut event_ids = HashSet::new();
    let mut event_types = HashSet::new();
    for item in &items {
        let meta = &item["meta"];
        let data = &item["data"];
        let id = data["id"].as_u64().unwrap();
        let event_type = meta["event_type"].as_str().unwrap();
        event_types.insert(event_type.to_owned());
        assert_eq!(meta["type"], "deal");
        assert_eq!(meta["event_cause"], "interaction");
        assert!(event_ids.insert(meta["event_id"].as_str().unwrap().to_owned()));

        let sequence = meta["sequence"].as_u64().unwrap();
        let previous_sequence = last_sequence.insert(id, sequence).unwrap_or(0);
        assert_eq!(sequence, previous_sequence + 1, "deal {id}");

        if event_type == "updated" {
            assert!(meta["previous"].is_object(), "{item}");
        } else {
            assert!(meta.get("previous").is_none(), "{item}");
        }
        if event_type == "deleted" && data.as_object().unwrap().len() == 1 {
            continue;
        }
        for field in DEAL_FIELDS {
            assert!(data.get(field).is_some(), "deal {id} lacks {field}");
        }
        let value = data["value"].as_str().unwrap();
        assert!(
            value.contains('.') && value.split('.').nth(1).unwrap().len() == 2,
            "{value}"
        );
        assert_eq!(data["currency"].as_str().unwrap().len(), 3);
    }
    for expected in ["created", "updated", "deleted"] {
        assert!(event_types.contains(expected), "no {expected} event");
    }
}

#[tokio::test]
async fn backlog_event_times_are_retained_and_ordered() {
    let harness = Harness::start().await;
    harness.sim.seed_demo_backlog(400);
    let (items, _) = harness.drain("deals", "tail", "100").await;
    let times: Vec<&str> = items
        .iter()
        .map(|item| item["meta"]["event_time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));

    harness.sim.advance_clock(Duration::from_secs(23 * 3600));
    let retained = harness.sim.event_count("deals");
    assert_eq!(retained, items.len(), "a backlog spans less than 49 hours");
}

#[tokio::test]
async fn previous_matches_snapshots() {
    let harness = Harness::start().await;
    harness.sim.seed_demo_backlog(2_000);
    let (items, _) = harness.drain("deals", "tail", "100").await;

    let mut snapshots: HashMap<u64, Value> = HashMap::new();
    let mut checked = 0;
    for item in &items {
        let data = &item["data"];
        let id = data["id"].as_u64().unwrap();
        if item["meta"]["event_type"] == "updated" {
            let previous = item["meta"]["previous"].as_object().unwrap();
            assert!(!previous.is_empty());
            if let Some(before) = snapshots.get(&id) {
                for (field, old) in previous {
                    assert_eq!(&before[field], old, "deal {id} field {field}");
                    assert_ne!(&data[field], old, "deal {id} field {field}");
                }
                for field in DEAL_FIELDS {
                    if !previous.contains_key(field) {
                        assert_eq!(before[field], data[field], "deal {id} field {field}");
                    }
                }
                checked += 1;
            }
        }
        snapshots.insert(id, data.clone());
    }
    assert!(checked > 500, "only {checked} updates were compared");
}

#[tokio::test]
async fn ids_in_deals_resolve_through_core_api() {
    let harness = Harness::start().await;
    harness.sim.seed_demo_backlog(600);
    let (items, _) = harness.drain("deals", "tail", "100").await;

    let mut won = 0;
    let mut lost = 0;
    let mut looked_up = HashSet::new();
    let mut stages: HashMap<u64, Value> = HashMap::new();
    for item in items
        .iter()
        .filter(|item| item["data"].get("stage_id").is_some())
    {
        let data = &item["data"];
        let stage_id = data["stage_id"].as_u64().unwrap();
        if let Entry::Vacant(slot) = stages.entry(stage_id) {
            let list = resolve(&harness, &format!("/v2/stages?ids={stage_id}")).await;
            slot.insert(list["items"][0]["data"].clone());
        }
        let stage = &stages[&stage_id];
        match stage["category"].as_str().unwrap() {
            "won" => won += 1,
            "lost" => {
                lost += 1;
                let reason = data["loss_reason_id"]
                    .as_u64()
                    .expect("lost deals have a reason");
                resolve(&harness, &format!("/v2/loss_reasons/{reason}")).await;
            }
            _ => {}
        }

        let paths = [
            Some(format!("/v2/users/{}", data["owner_id"])),
            data["contact_id"]
                .as_u64()
                .map(|id| format!("/v2/contacts/{id}")),
            data["organization_id"]
                .as_u64()
                .map(|id| format!("/v2/contacts/{id}")),
            data["source_id"]
                .as_u64()
                .map(|id| format!("/v2/deal_sources/{id}")),
            Some(format!("/v2/pipelines?ids={}", stage["pipeline_id"])),
        ];
        for path in paths.into_iter().flatten() {
            if looked_up.insert(path.clone()) {
                resolve(&harness, &path).await;
            }
        }
    }
    assert!(won > 0, "no deal was won");
    assert!(lost > 0, "no deal was lost");
}

#[tokio::test]
async fn leads_and_contacts_streams_get_events() {
    let harness = Harness::start().await;
    harness.sim.seed_demo_backlog(2_000);
    let (leads, _) = harness.drain("leads", "tail", "100").await;
    let (contacts, _) = harness.drain("contacts", "tail", "100").await;
    assert!(!leads.is_empty());
    assert!(!contacts.is_empty());
    assert_eq!(leads[0]["meta"]["type"], "lead");
    assert!(leads[0]["data"]["first_name"].is_string());
    assert_eq!(contacts[0]["meta"]["type"], "contact");
    assert!(contacts[0]["data"]["is_organization"].is_boolean());

    let created = contacts
        .iter()
        .find(|item| item["meta"]["event_type"] == "created")
        .expect("a contact was created");
    let id = created["data"]["id"].as_u64().unwrap();
    resolve(&harness, &format!("/v2/contacts/{id}")).await;
}

#[tokio::test]
async fn same_seed_gives_same_backlog() {
    let config = SimConfig {
        seed: 99,
        ..SimConfig::default()
    };
    let first = Harness::start_with(config.clone()).await;
    let second = Harness::start_with(config).await;
    first.sim.seed_demo_backlog(300);
    second.sim.seed_demo_backlog(300);
    let (first_items, _) = first.drain("deals", "tail", "100").await;
    let (second_items, _) = second.drain("deals", "tail", "100").await;

    assert_eq!(first_items.len(), second_items.len());
    for (left, right) in first_items.iter().zip(&second_items) {
        assert_eq!(left["meta"]["event_id"], right["meta"]["event_id"]);
        assert_eq!(left["data"]["id"], right["data"]["id"]);
        assert_eq!(left["data"]["name"], right["data"]["name"]);
        assert_eq!(left["data"]["value"], right["data"]["value"]);
        assert_eq!(left["data"]["stage_id"], right["data"]["stage_id"]);
    }
}

fn demo_event_count(harness: &Harness) -> usize {
    ["deals", "leads", "contacts"]
        .iter()
        .map(|stream| harness.sim.event_count(stream))
        .sum()
}

#[tokio::test]
async fn live_demo_emits_first_change_quickly() {
    let harness = Harness::start().await;
    harness.sim.start_demo(Duration::from_secs(2));

    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        demo_event_count(&harness),
        0,
        "a client starting at top would miss it"
    );
    while demo_event_count(&harness) == 0 && started.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    assert!(
        demo_event_count(&harness) >= 1,
        "no event after {elapsed:?}"
    );
    assert!(
        elapsed <= Duration::from_millis(1_500),
        "first event after {elapsed:?}"
    );
    harness.sim.shutdown();
}

#[tokio::test]
async fn live_demo_keeps_pace() {
    let harness = Harness::start().await;
    harness.sim.start_demo(Duration::from_millis(50));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let total = demo_event_count(&harness);
    assert!(total >= 10, "only {total} events in 1 s at a 50 ms pace");
    harness.sim.shutdown();
}
