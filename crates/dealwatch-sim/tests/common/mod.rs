//! Helpers shared by the loopback tests: a simulator, an HTTP client and page
//! requests.

#![allow(dead_code)]

use std::time::Duration;

use dealwatch_sim::{SimConfig, Simulator};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const USER_AGENT: &str = "dealwatch-sim-tests/0.1";

/// A simulator and a client that sends its token and a user agent.
pub struct Harness {
    pub sim: Simulator,
    pub client: Client,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(SimConfig::default()).await
    }

    pub async fn start_with(config: SimConfig) -> Self {
        let sim = Simulator::start(config).await.expect("simulator starts");
        Harness {
            sim,
            client: client(),
        }
    }

    /// Requests one page. `limit` is sent as given, so tests can send invalid text.
    pub async fn page(&self, stream: &str, position: &str, limit: Option<&str>) -> Response {
        let mut query = vec![("position", position)];
        if let Some(limit) = limit {
            query.push(("limit", limit));
        }
        self.client
            .get(format!("{}/v3/{stream}/stream", self.sim.url()))
            .bearer_auth(self.sim.token())
            .query(&query)
            .send()
            .await
            .expect("request reaches the simulator")
    }

    /// Requests one page and returns its body, asserting a 200.
    pub async fn page_json(&self, stream: &str, position: &str, limit: Option<&str>) -> Value {
        let response = self.page(stream, position, limit).await;
        let status = response.status();
        let text = response.text().await.expect("body is readable");
        assert_eq!(status, StatusCode::OK, "page request failed: {text}");
        serde_json::from_str(&text).expect("page is valid JSON")
    }

    /// Requests a Core API v2 path such as `/v2/users/self`.
    pub async fn v2(&self, path_and_query: &str) -> Response {
        self.client
            .get(format!("{}{path_and_query}", self.sim.url()))
            .bearer_auth(self.sim.token())
            .send()
            .await
            .expect("request reaches the simulator")
    }

    /// Reads pages from `position` until `top` is true and returns every item and
    /// the last position.
    pub async fn drain(&self, stream: &str, position: &str, limit: &str) -> (Vec<Value>, String) {
        let mut items = Vec::new();
        let mut position = position.to_owned();
        loop {
            let page = self.page_json(stream, &position, Some(limit)).await;
            items.extend(page["items"].as_array().expect("items is an array").clone());
            position = page["meta"]["position"]
                .as_str()
                .expect("meta.position is a string")
                .to_owned();
            if page["meta"]["top"] == Value::Bool(true) {
                return (items, position);
            }
        }
    }
}

/// Builds a client with a user agent, a timeout and no proxy, so that requests go
/// straight to 127.0.0.1.
pub fn client() -> Client {
    Client::builder()
        .user_agent(USER_AGENT)
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// Returns the error code of a documented error body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["error"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

pub fn deal(id: u64, name: &str) -> Value {
    serde_json::json!({ "id": id, "name": name, "value": "100.00", "currency": "USD" })
}

pub fn event_ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            item["meta"]["event_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}
