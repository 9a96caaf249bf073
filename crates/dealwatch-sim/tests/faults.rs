//! Injected faults over loopback: each queued fault spoils exactly one request.

mod common;

use std::time::{Duration, Instant};

use common::{deal, error_code, Harness};
use dealwatch_sim::Fault;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn rate_limit_with_and_without_retry_after() {
    let harness = Harness::start().await;
    harness.sim.inject(
        "deals",
        Fault::RateLimited {
            retry_after: Some(7),
        },
    );
    harness
        .sim
        .inject("deals", Fault::RateLimited { retry_after: None });

    let first = harness.page("deals", "top", None).await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.headers()["retry-after"], "7");
    let body: Value = first.json().await.unwrap();
    assert_eq!(error_code(&body), "rate_limit_exceeded");

    let second = harness.page("deals", "top", None).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!second.headers().contains_key("retry-after"));

    let third = harness.page("deals", "top", None).await;
    assert_eq!(third.status(), StatusCode::OK);
}

#[tokio::test]
async fn server_errors_with_html_and_empty_bodies() {
    let harness = Harness::start().await;
    harness.sim.inject(
        "deals",
        Fault::ServerError {
            status: 502,
            html: true,
        },
    );
    harness.sim.inject(
        "deals",
        Fault::ServerError {
            status: 503,
            html: false,
        },
    );
    harness.sim.inject(
        "deals",
        Fault::ServerError {
            status: 200,
            html: false,
        },
    );

    let html = harness.page("deals", "top", None).await;
    assert_eq!(html.status(), StatusCode::BAD_GATEWAY);
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let text = html.text().await.unwrap();
    assert!(text.contains("<html>"), "{text}");
    assert!(text.contains("502 Bad Gateway"), "{text}");

    let empty = harness.page("deals", "top", None).await;
    assert_eq!(empty.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(empty.text().await.unwrap().is_empty());

    let not_5xx = harness.page("deals", "top", None).await;
    assert_eq!(not_5xx.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn truncated_json_then_intact_page() {
    let harness = Harness::start().await;
    for id in 0..4 {
        harness
            .sim
            .push_event("deals", "created", deal(id, "Deal"), None);
    }
    harness.sim.plan_pages("deals", vec![3]);
    harness.sim.inject("deals", Fault::TruncatedJson);

    let spoiled = harness.page("deals", "tail", None).await;
    assert_eq!(spoiled.status(), StatusCode::OK);
    let text = spoiled.text().await.unwrap();
    assert!(text.starts_with("{\"items\":["), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let page = harness.page_json("deals", "tail", None).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        3,
        "the page plan is still in force after a spoiled page"
    );
}

#[tokio::test]
async fn html_body_with_status_200() {
    let harness = Harness::start().await;
    harness.sim.inject("deals", Fault::HtmlBody);
    let response = harness.page("deals", "top", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let text = response.text().await.unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
}

#[tokio::test]
async fn one_off_unauthorized() {
    let harness = Harness::start().await;
    harness.sim.inject("deals", Fault::Unauthorized);
    let first = harness.page("deals", "top", None).await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    let second = harness.page("deals", "top", None).await;
    assert_eq!(second.status(), StatusCode::OK);
}

#[tokio::test]
async fn hang_for_duration_then_serves() {
    let harness = Harness::start().await;
    harness
        .sim
        .push_event("deals", "created", deal(1, "Deal"), None);
    harness
        .sim
        .inject("deals", Fault::Hang(Some(Duration::from_millis(300))));

    let started = Instant::now();
    let page = harness.page_json("deals", "tail", None).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn hang_forever_until_client_gives_up() {
    let harness = Harness::start().await;
    harness.sim.inject("deals", Fault::Hang(None));

    let url = format!("{}/v3/deals/stream?position=top", harness.sim.url());
    let result = harness
        .client
        .get(&url)
        .bearer_auth(harness.sim.token())
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    let error = result.expect_err("a hanging request times out");
    assert!(error.is_timeout(), "{error}");

    // The server notices the closed connection and ends the hanging request.
    let mut in_flight = harness.sim.stats("deals").in_flight;
    for _ in 0..50 {
        if in_flight == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        in_flight = harness.sim.stats("deals").in_flight;
    }
    assert_eq!(in_flight, 0);

    let next = harness.page("deals", "top", None).await;
    assert_eq!(next.status(), StatusCode::OK);
    assert_eq!(harness.sim.stats("deals").max_in_flight, 1);
}

#[tokio::test]
async fn faults_are_per_stream() {
    let harness = Harness::start().await;
    harness.sim.inject("leads", Fault::HtmlBody);
    let deals = harness.page("deals", "top", None).await;
    assert_eq!(deals.status(), StatusCode::OK);
    let leads = harness.page("leads", "top", None).await;
    assert!(leads.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn rejected_token_leaves_fault_queued() {
    let harness = Harness::start().await;
    harness.sim.inject("deals", Fault::HtmlBody);
    let url = format!("{}/v3/deals/stream?position=top", harness.sim.url());
    let rejected = harness
        .client
        .get(url)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);

    let faulted = harness.page("deals", "top", None).await;
    assert!(faulted.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}
