//! The stream endpoint over loopback: positions, parameters, authentication,
//! retention, page plans, redelivery, raw items and request counters.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{deal, error_code, event_ids, Harness};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn positions_contain_plus_slash_and_padding() {
    let harness = Harness::start().await;
    let mut position = "tail".to_owned();
    for id in 0..12 {
        harness
            .sim
            .push_event("deals", "created", deal(id, "Deal"), None);
        let page = harness.page_json("deals", &position, Some("100")).await;
        position = page["meta"]["position"].as_str().unwrap().to_owned();
        assert!(position.contains('+'), "{position}");
        assert!(position.contains('/'), "{position}");
        assert!(position.ends_with('='), "{position}");
    }
}

#[tokio::test]
async fn unencoded_position_is_rejected() {
    let harness = Harness::start().await;
    harness
        .sim
        .push_event("deals", "created", deal(1, "Deal"), None);
    let page = harness.page_json("deals", "tail", None).await;
    let position = page["meta"]["position"].as_str().unwrap();

    let url = format!("{}/v3/deals/stream?position={position}", harness.sim.url());
    let response = harness
        .client
        .get(url)
        .bearer_auth(harness.sim.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "invalid_param");
}

#[tokio::test]
async fn page_has_documented_shape() {
    let harness = Harness::start().await;
    let previous = json!({"name": "Website", "value": "50.00"});
    let event_id = harness.sim.push_event(
        "deals",
        "updated",
        deal(39_912_342, "Website Redesign"),
        Some(previous.clone()),
    );

    let page = harness.page_json("deals", "tail", None).await;
    let item = &page["items"][0];
    assert_eq!(item["data"]["name"], "Website Redesign");
    assert_eq!(item["meta"]["type"], "deal");
    assert_eq!(item["meta"]["event_type"], "updated");
    assert_eq!(item["meta"]["event_id"], event_id.as_str());
    assert_eq!(item["meta"]["event_cause"], "interaction");
    assert_eq!(item["meta"]["sequence"], 1);
    assert_eq!(item["meta"]["previous"], previous);
    let event_time = item["meta"]["event_time"].as_str().unwrap();
    assert_eq!(event_time.len(), 20, "{event_time}");
    assert!(event_time.ends_with('Z'), "{event_time}");
    assert_eq!(event_id.len(), 22);
    assert_eq!(page["meta"]["top"], true);

    let next = page["meta"]["links"]["next"].as_str().unwrap();
    let prefix = format!("{}/v3/deals/stream?position=", harness.sim.url());
    assert!(next.starts_with(&prefix), "{next}");
    assert!(next.contains("%2B"), "{next}");
}

#[tokio::test]
async fn record_types_follow_stream_names() {
    let harness = Harness::start().await;
    for (stream, record_type) in [
        ("leads", "lead"),
        ("contacts", "contact"),
        ("tasks", "task"),
        ("associated_contacts", "associated_contact"),
        ("collaboration_requests", "collaboration_request"),
        ("custom_fields", "custom_field"),
    ] {
        harness
            .sim
            .push_event(stream, "created", json!({"id": 1}), None);
        let page = harness.page_json(stream, "tail", None).await;
        assert_eq!(page["items"][0]["meta"]["type"], record_type, "{stream}");
    }
}

#[tokio::test]
async fn sequence_increases_per_record() {
    let harness = Harness::start().await;
    for id in [1, 2, 1, 1, 2] {
        harness
            .sim
            .push_event("deals", "updated", deal(id, "Deal"), Some(json!({})));
    }
    let page = harness.page_json("deals", "tail", None).await;
    let sequences: Vec<(u64, u64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["data"]["id"].as_u64().unwrap(),
                item["meta"]["sequence"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(sequences, [(1, 1), (2, 1), (1, 2), (1, 3), (2, 2)]);
    assert_eq!(page["items"][0]["meta"]["previous"], json!({}));
}

#[tokio::test]
async fn limit_outside_range_is_rejected() {
    let harness = Harness::start().await;
    for limit in [
        "0",
        "101",
        "-1",
        "abc",
        "",
        "1.5",
        "99999999999999999999999",
    ] {
        let response = harness.page("deals", "tail", Some(limit)).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "limit {limit:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "invalid_param", "limit {limit:?}");
        assert_eq!(body["meta"]["http_status"], "400 Bad Request");
    }
}

#[tokio::test]
async fn limit_bounds_and_default_size_pages() {
    let harness = Harness::start().await;
    for id in 0..150 {
        harness
            .sim
            .push_event("deals", "created", deal(id, "Deal"), None);
    }
    for (limit, expected) in [(Some("1"), 1), (Some("100"), 100), (None, 25)] {
        let page = harness.page_json("deals", "tail", limit).await;
        let count = page["items"].as_array().unwrap().len();
        assert_eq!(count, expected, "limit {limit:?}");
        assert_eq!(page["meta"]["top"], false, "limit {limit:?}");
    }
}

#[tokio::test]
async fn bad_positions_are_rejected() {
    let harness = Harness::start().await;
    harness
        .sim
        .push_event("leads", "created", json!({"id": 1}), None);
    let lead_page = harness.page_json("leads", "tail", None).await;
    let lead_position = lead_page["meta"]["position"].as_str().unwrap().to_owned();

    for position in ["", "bottom", "ZmlyZWhvc2U=", "!!!", lead_position.as_str()] {
        let response = harness.page("deals", position, None).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{position:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "invalid_param", "{position:?}");
    }

    let url = format!("{}/v3/deals/stream", harness.sim.url());
    let response = harness
        .client
        .get(url)
        .bearer_auth(harness.sim.token())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "missing position"
    );
}

#[tokio::test]
async fn malformed_query_strings_get_400() {
    let harness = Harness::start().await;
    for query in [
        "position=%FF",
        "position=top&position=tail",
        "position=top&limit=%FF",
        "position=top&limit=1e2",
    ] {
        let url = format!("{}/v3/deals/stream?{query}", harness.sim.url());
        let response = harness
            .client
            .get(url)
            .bearer_auth(harness.sim.token())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "invalid_param", "{query}");
    }

    let url = format!("{}/v3/de%FFals/stream?position=top", harness.sim.url());
    let response = harness
        .client
        .get(url)
        .bearer_auth(harness.sim.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn top_skips_backlog_and_tail_reads_it() {
    let harness = Harness::start().await;
    for id in 0..3 {
        harness
            .sim
            .push_event("deals", "created", deal(id, "Old"), None);
    }
    let top = harness.page_json("deals", "top", None).await;
    assert_eq!(top["items"].as_array().unwrap().len(), 0);
    assert_eq!(top["meta"]["top"], true);

    harness
        .sim
        .push_event("deals", "created", deal(9, "New"), None);
    let position = top["meta"]["position"].as_str().unwrap();
    let next = harness.page_json("deals", position, None).await;
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert_eq!(next["items"][0]["data"]["name"], "New");

    let tail = harness.page_json("deals", "tail", None).await;
    assert_eq!(tail["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn wrong_or_missing_token_gets_401() {
    let harness = Harness::start().await;
    let url = format!("{}/v3/deals/stream?position=top", harness.sim.url());
    let requests = [
        ("missing", harness.client.get(&url)),
        (
            "wrong",
            harness.client.get(&url).bearer_auth("not-the-token"),
        ),
        (
            "basic scheme",
            harness
                .client
                .get(&url)
                .header("Authorization", format!("Basic {}", harness.sim.token())),
        ),
        (
            "empty bearer",
            harness.client.get(&url).header("Authorization", "Bearer "),
        ),
    ];
    for (case, request) in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
        assert!(response.headers().contains_key("x-request-id"), "{case}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "unauthorized", "{case}");
        assert_eq!(body["meta"]["type"], "errors", "{case}");
        assert_eq!(body["meta"]["http_status"], "401 Unauthorized", "{case}");
        assert_eq!(body["errors"][0]["meta"]["type"], "error", "{case}");
    }
}

#[tokio::test]
async fn set_token_replaces_token() {
    let harness = Harness::start().await;
    let old_token = harness.sim.token();
    harness.sim.set_token("rotated");
    assert_eq!(harness.sim.token(), "rotated");

    let url = format!("{}/v3/deals/stream?position=top", harness.sim.url());
    let old = harness
        .client
        .get(&url)
        .bearer_auth(old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = harness.page("deals", "top", None).await;
    assert_eq!(new.status(), StatusCode::OK);
}

#[tokio::test]
async fn forbidden_switch_gets_403() {
    let harness = Harness::start().await;
    harness.sim.set_forbidden(true);
    let response = harness.page("deals", "top", None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "insufficient_scope");

    let v2 = harness.v2("/v2/users/self").await;
    assert_eq!(v2.status(), StatusCode::FORBIDDEN);

    harness.sim.set_forbidden(false);
    let response = harness.page("deals", "top", None).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn missing_user_agent_gets_400() {
    let harness = Harness::start().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/v3/deals/stream?position=top", harness.sim.url());
    let response = client
        .get(url)
        .bearer_auth(harness.sim.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "invalid_user_agent");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_error_bodies() {
    let harness = Harness::start().await;
    let base = harness.sim.url();
    let cases = [
        (
            harness.client.get(format!("{base}/v3/deals")),
            StatusCode::NOT_FOUND,
        ),
        (
            harness.client.get(format!("{base}/v3/Deals/stream")),
            StatusCode::NOT_FOUND,
        ),
        (
            harness.client.get(format!("{base}/")),
            StatusCode::NOT_FOUND,
        ),
        (
            harness.client.post(format!("{base}/v3/deals/stream")),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (request, expected) in cases {
        let response = request
            .bearer_auth(harness.sim.token())
            .send()
            .await
            .unwrap();
        let url = response.url().to_string();
        assert_eq!(response.status(), expected, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["meta"]["type"], "errors", "{url}");
    }
}

#[tokio::test]
async fn expired_position_gets_410() {
    let harness = Harness::start().await;
    let start = harness.page_json("deals", "tail", None).await;
    let old_position = start["meta"]["position"].as_str().unwrap().to_owned();
    for id in 0..5 {
        harness
            .sim
            .push_event("deals", "created", deal(id, "Deal"), None);
    }
    assert_eq!(harness.sim.event_count("deals"), 5);

    harness.sim.advance_clock(Duration::from_secs(71 * 3600));
    assert_eq!(
        harness.sim.event_count("deals"),
        5,
        "71 h are within retention"
    );

    harness.sim.advance_clock(Duration::from_secs(2 * 3600));
    assert_eq!(harness.sim.event_count("deals"), 0);
    let response = harness.page("deals", &old_position, None).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["meta"]["http_status"], "410 Gone");

    let tail = harness.page_json("deals", "tail", None).await;
    assert_eq!(tail["items"].as_array().unwrap().len(), 0);
    assert_eq!(tail["meta"]["top"], true);
}

#[tokio::test]
async fn position_older_than_retention_expires() {
    // Sell responds 410 for a position issued more than 72 hours ago, even
    // when no event after it was dropped.
    let harness = Harness::start().await;
    harness
        .sim
        .push_event("deals", "created", deal(1, "Deal"), None);
    let (_, position) = harness.drain("deals", "tail", "100").await;

    harness.sim.advance_clock(Duration::from_secs(71 * 3600));
    let response = harness.page("deals", &position, None).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "71 hours old is still valid"
    );

    harness.sim.advance_clock(Duration::from_secs(2 * 3600));
    harness
        .sim
        .push_event("deals", "created", deal(2, "Later"), None);
    let response = harness.page("deals", &position, None).await;
    assert_eq!(
        response.status(),
        StatusCode::GONE,
        "73 hours old has expired"
    );
}

#[tokio::test]
async fn page_plan_shapes_next_pages() {
    let harness = Harness::start().await;
    for id in 0..3 {
        harness
            .sim
            .push_event("deals", "created", deal(id, "Deal"), None);
    }
    harness.sim.plan_pages("deals", vec![2, 0, 0, 1]);

    let mut position = "tail".to_owned();
    let mut shapes = Vec::new();
    for _ in 0..4 {
        let page = harness.page_json("deals", &position, Some("100")).await;
        shapes.push((
            page["items"].as_array().unwrap().len(),
            page["meta"]["top"].as_bool().unwrap(),
        ));
        position = page["meta"]["position"].as_str().unwrap().to_owned();
    }
    assert_eq!(shapes, [(2, false), (0, false), (0, false), (1, true)]);
}

#[tokio::test]
async fn redelivery_repeats_delivered_events() {
    let harness = Harness::start().await;
    for id in 0..5 {
        harness
            .sim
            .push_event("deals", "created", deal(id, "Deal"), None);
    }
    let (first, position) = harness.drain("deals", "tail", "100").await;
    assert_eq!(first.len(), 5);

    harness.sim.redeliver_next("deals", 2);
    let again = harness.page_json("deals", &position, None).await;
    let again_items = again["items"].as_array().unwrap();
    assert_eq!(event_ids(again_items), event_ids(&first[3..]));
    assert_eq!(again["meta"]["position"], position.as_str());

    let after = harness.page_json("deals", &position, None).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn raw_items_are_served_verbatim() {
    let harness = Harness::start().await;
    let item = concat!(
        r#"{"data": {"id": 12345678901234567890, "value": "1200.10","#,
        r#" "ratio": 1.10, "huge": 1e400, "name": "Caf\u00e9 \ud83d\ude00","#,
        r#" "odd_field": [null, {"nested": true}]},"#,
        r#" "meta": {"type": "deal", "event_type": "created", "sequence": 1}}"#
    );
    harness.sim.push_raw("deals", item);
    harness
        .sim
        .push_event("deals", "created", deal(1, "Typed"), None);

    let response = harness.page("deals", "tail", None).await;
    let body = response.text().await.unwrap();
    let expected_start = format!("{{\"items\":[{item},");
    assert!(body.starts_with(&expected_start), "{body}");
    assert_eq!(harness.sim.event_count("deals"), 2);
}

#[tokio::test]
async fn invalid_raw_item_is_an_error() {
    let harness = Harness::start().await;
    assert!(harness.sim.try_push_raw("deals", "{\"data\": ").is_err());
    assert_eq!(harness.sim.event_count("deals"), 0);
}

#[tokio::test]
async fn stats_count_requests_per_stream() {
    let harness = Harness::start().await;
    for _ in 0..3 {
        harness.page_json("deals", "top", None).await;
    }
    harness.page("deals", "tail", Some("0")).await;
    harness.page_json("leads", "top", None).await;

    let deals = harness.sim.stats("deals");
    assert_eq!(deals.requests, 4);
    assert_eq!(deals.in_flight, 0);
    assert_eq!(deals.max_in_flight, 1);
    assert_eq!(harness.sim.stats("leads").requests, 1);
    assert_eq!(harness.sim.stats("tasks"), Default::default());
}

#[tokio::test]
async fn stats_see_concurrent_requests() {
    let harness = Harness::start().await;
    harness.sim.inject(
        "deals",
        dealwatch_sim::Fault::Hang(Some(Duration::from_millis(400))),
    );
    let slow = harness.page("deals", "top", None);
    let fast = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stats = harness.sim.stats("deals");
        let response = harness.page("deals", "top", None).await;
        (stats, response.status())
    };
    let (slow_response, (stats_during, fast_status)) = tokio::join!(slow, fast);

    assert_eq!(stats_during.in_flight, 1);
    assert_eq!(slow_response.status(), StatusCode::OK);
    assert_eq!(fast_status, StatusCode::OK);
    let stats = harness.sim.stats("deals");
    assert_eq!(stats.max_in_flight, 2);
    assert_eq!(stats.in_flight, 0);
    assert_eq!(stats.requests, 2);
}

#[tokio::test]
async fn event_ids_are_unique_across_streams() {
    let harness = Harness::start().await;
    let mut seen = HashMap::new();
    for id in 0..200 {
        let stream = if id % 2 == 0 { "deals" } else { "leads" };
        let event_id = harness
            .sim
            .push_event(stream, "created", deal(id, "Deal"), None);
        assert!(seen.insert(event_id.clone(), id).is_none(), "{event_id}");
        assert!(event_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'));
    }
}
