//! The listener going away and coming back on the same port with the same state.

mod common;

use std::time::Duration;

use common::{deal, Harness};
use dealwatch_sim::{Fault, SimConfig, Simulator};
use reqwest::StatusCode;

#[tokio::test]
async fn stop_and_resume_keep_state_and_port() {
    let harness = Harness::start().await;
    harness
        .sim
        .push_event("deals", "created", deal(1, "Before"), None);
    let (items, position) = harness.drain("deals", "tail", "100").await;
    assert_eq!(items.len(), 1);
    let url = harness.sim.url();

    harness.sim.stop_listening().await;
    let result = harness
        .client
        .get(format!("{url}/v3/deals/stream?position=top"))
        .bearer_auth(harness.sim.token())
        .send()
        .await;
    let error = result.expect_err("the port is closed");
    assert!(error.is_connect(), "{error}");

    harness
        .sim
        .push_event("deals", "created", deal(2, "While away"), None);
    harness.sim.resume_listening().await.unwrap();
    assert_eq!(harness.sim.url(), url);

    let page = harness.page_json("deals", &position, None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["data"]["name"], "While away");
    assert_eq!(
        harness.sim.stats("deals").requests,
        2,
        "the refused request never arrived"
    );
}

#[tokio::test]
async fn stop_drops_keep_alive_connections() {
    let harness = Harness::start().await;
    let first = harness.page("deals", "top", None).await;
    assert_eq!(first.status(), StatusCode::OK);

    harness.sim.stop_listening().await;
    let result = harness
        .client
        .get(format!(
            "{}/v3/deals/stream?position=top",
            harness.sim.url()
        ))
        .bearer_auth(harness.sim.token())
        .send()
        .await;
    assert!(
        result.is_err(),
        "a pooled connection must not outlive the listener"
    );
}

#[tokio::test]
async fn stop_ends_hanging_requests() {
    let harness = Harness::start().await;
    harness.sim.inject("deals", Fault::Hang(None));
    let hanging = harness.page_request_in_background();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(harness.sim.stats("deals").in_flight, 1);

    harness.sim.stop_listening().await;
    let result = hanging.await.unwrap();
    assert!(
        result.is_err(),
        "the hanging request ends without a response"
    );
    assert_eq!(harness.sim.stats("deals").in_flight, 0);
}

#[tokio::test]
async fn resume_while_listening_is_a_no_op() {
    let harness = Harness::start().await;
    harness.sim.resume_listening().await.unwrap();
    let response = harness.page("deals", "top", None).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn fixed_port_is_reused() {
    let probe = Simulator::start(SimConfig::default()).await.unwrap();
    let port = probe.port();
    probe.stop_listening().await;
    drop(probe);

    let config = SimConfig {
        port,
        ..SimConfig::default()
    };
    let harness = Harness::start_with(config).await;
    assert_eq!(harness.sim.url(), format!("http://127.0.0.1:{port}"));
    harness.sim.stop_listening().await;
    harness.sim.resume_listening().await.unwrap();
    let response = harness.page("deals", "top", None).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutdown_closes_listener() {
    let harness = Harness::start().await;
    harness.sim.start_demo(Duration::from_millis(50));
    harness.sim.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let result = harness
        .client
        .get(format!(
            "{}/v3/deals/stream?position=top",
            harness.sim.url()
        ))
        .bearer_auth(harness.sim.token())
        .send()
        .await;
    assert!(result.is_err());

    let count = harness.sim.event_count("deals");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        harness.sim.event_count("deals"),
        count,
        "the demo generator stopped"
    );
}

impl Harness {
    fn page_request_in_background(
        &self,
    ) -> tokio::task::JoinHandle<Result<reqwest::Response, reqwest::Error>> {
        let request = self
            .client
            .get(format!("{}/v3/deals/stream?position=top", self.sim.url()))
            .bearer_auth(self.sim.token());
        tokio::spawn(request.send())
    }
}
