//! Core API v2 look-ups over loopback.

mod common;

use common::{error_code, Harness};
use dealwatch_sim::V2Collection;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn json_ok(harness: &Harness, path: &str) -> Value {
    let response = harness.v2(path).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn users_self_returns_token_owner() {
    let harness = Harness::start().await;
    let body = json_ok(&harness, "/v2/users/self").await;
    assert_eq!(body["meta"]["type"], "user");
    assert!(body["data"]["id"].as_u64().is_some());
    assert!(body["data"]["name"].as_str().unwrap().contains(' '));

    let id = body["data"]["id"].as_u64().unwrap();
    let by_id = json_ok(&harness, &format!("/v2/users/{id}")).await;
    assert_eq!(by_id["data"], body["data"]);
}

#[tokio::test]
async fn users_list_by_ids() {
    let harness = Harness::start().await;
    let all = json_ok(&harness, "/v2/users").await;
    let items = all["items"].as_array().unwrap();
    assert!(items.len() >= 4, "several owners exist");
    assert_eq!(all["meta"]["type"], "collection");
    assert_eq!(all["meta"]["count"], items.len());

    let first = items[0]["data"]["id"].as_u64().unwrap();
    let second = items[1]["data"]["id"].as_u64().unwrap();
    let path = format!("/v2/users?ids={second},{first},404");
    let some = json_ok(&harness, &path).await;
    let ids: Vec<u64> = some["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["data"]["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [first, second]);
    assert_eq!(some["items"][0]["meta"]["type"], "user");
}

#[tokio::test]
async fn stages_carry_pipeline_and_category() {
    let harness = Harness::start().await;
    let stages = json_ok(&harness, "/v2/stages?per_page=100").await;
    let items = stages["items"].as_array().unwrap();
    let names: Vec<&str> = items
        .iter()
        .map(|item| item["data"]["name"].as_str().unwrap())
        .collect();
    for expected in ["Incoming", "Qualified", "Quote", "Closure", "Won", "Lost"] {
        assert!(names.contains(&expected), "missing stage {expected}");
    }
    let categories: Vec<&str> = items
        .iter()
        .map(|item| item["data"]["category"].as_str().unwrap())
        .collect();
    assert!(categories.contains(&"won"));
    assert!(categories.contains(&"lost"));

    let pipeline_id = items[0]["data"]["pipeline_id"].as_u64().unwrap();
    let pipelines = json_ok(&harness, &format!("/v2/pipelines?ids={pipeline_id}")).await;
    assert_eq!(pipelines["items"][0]["data"]["id"], pipeline_id);
    assert_eq!(pipelines["items"][0]["meta"]["type"], "pipeline");
}

#[tokio::test]
async fn single_records_and_unknown_ids() {
    let harness = Harness::start().await;
    for collection in ["contacts", "loss_reasons", "deal_sources"] {
        let list = json_ok(&harness, &format!("/v2/{collection}")).await;
        let id = list["items"][0]["data"]["id"].as_u64().unwrap();
        let record = json_ok(&harness, &format!("/v2/{collection}/{id}")).await;
        assert_eq!(record["data"]["id"], id, "{collection}");

        for unknown in ["1", "abc", "self"] {
            let response = harness.v2(&format!("/v2/{collection}/{unknown}")).await;
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{collection}/{unknown}"
            );
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "not_found");
        }
    }
}

#[tokio::test]
async fn paging_follows_page_and_per_page() {
    let harness = Harness::start().await;
    let first = json_ok(&harness, "/v2/stages?per_page=4").await;
    let second = json_ok(&harness, "/v2/stages?per_page=4&page=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    assert!(first["meta"]["links"]["next_page"].is_string());
    assert_ne!(first["items"][0], second["items"][0]);

    for bad in ["per_page=0", "per_page=101", "page=0", "ids=1,x"] {
        let response = harness.v2(&format!("/v2/stages?{bad}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "invalid_param", "{bad}");
    }
}

#[tokio::test]
async fn requests_are_counted_and_authenticated() {
    let harness = Harness::start().await;
    json_ok(&harness, "/v2/users/self").await;
    harness.v2("/v2/users/999").await;
    let unauthenticated = harness
        .client
        .get(format!("{}/v2/users/self", harness.sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(harness.sim.v2_requests(), 3);
}

#[tokio::test]
async fn added_records_are_served() {
    let harness = Harness::start().await;
    let id = harness
        .sim
        .put_v2_record(V2Collection::Users, json!({"id": 77, "name": "Test User"}));
    assert_eq!(id, Some(77));
    let body = json_ok(&harness, "/v2/users/77").await;
    assert_eq!(body["data"]["name"], "Test User");

    let missing = harness
        .sim
        .put_v2_record(V2Collection::Users, json!({"name": "No id"}));
    assert_eq!(missing, None);
}

#[tokio::test]
async fn unknown_collection_gets_404() {
    let harness = Harness::start().await;
    let response = harness.v2("/v2/deals/1").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["meta"]["type"], "errors");
}
