//! `dealwatch tail` as a user runs it: the real binary against the
//! simulator over loopback, checking its output, exit codes and messages.

use std::process::Output;
use std::time::Duration;

use dealwatch_sim::{Fault, SimConfig, Simulator};
use serde_json::json;
use tokio::process::Command;

const FIXTURE: &str = include_str!("fixtures/deal-updated.json");

async fn simulator() -> Simulator {
    Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

/// A `dealwatch` command with its own empty data directory and no keyring.
fn dealwatch(sim: &Simulator, data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealwatch"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("DEALWATCH_DATA_DIR", data_dir)
        .env("DEALWATCH_API_URL", sim.url())
        .env("DEALWATCH_TOKEN", sim.token())
        .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
        .kill_on_drop(true);
    command
}

async fn run(mut command: Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("dealwatch finished within a minute")
        .expect("dealwatch ran")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn fixture_item() -> String {
    let page: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    page["items"][0].to_string()
}

#[tokio::test]
async fn documented_update_prints_old_and_new() {
    let sim = simulator().await;
    sim.push_raw("deals", &fixture_item());
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--once", "--from", "tail"]);
    let output = run(command).await;

    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("2017-07-05 17:24:10Z  deal 39912342  Website Redesign  updated"),
        "{text}"
    );
    assert!(text.contains("    Value: 50.00 → 100.00 USD"), "{text}");
    assert!(
        text.contains("    Name: Website → Website Redesign"),
        "{text}"
    );
}

#[tokio::test]
async fn json_output_is_exactly_as_received() {
    let sim = simulator().await;
    let big = "é".repeat(50 * 1024);
    let mut raws = vec![fixture_item()];
    for (index, name) in [
        "🚀 商談 e\u{301}",
        "<b>&amp;</b> \"q\" 'a'",
        "\"><img src=x onerror=alert(1)>",
    ]
    .iter()
    .enumerate()
    {
        raws.push(
            json!({"data": {"id": index, "name": name, "value": "98765432109876543210.99",
                             "custom_field_values": [{"value": big, "custom_field": {"data": {"id": 4, "name": "Notes"}}}]},
                   "meta": {"type": "deal", "event_type": "created", "event_id": format!("json{index:018}"),
                            "event_time": "2024-01-01T00:00:00Z"}})
            .to_string(),
        );
    }
    raws.push(r#"{"data":{"id":5,"exact":12345678901234567890123,"value":"0.10"},"meta":{"type":"deal","event_type":"deleted","event_id":"wide00000000000000000x","event_time":"2024-01-01T00:00:01Z","future":null}}"#.to_owned());
    for raw in &raws {
        sim.push_raw("deals", raw);
    }

    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--once", "--json", "--from", "tail"]);
    let output = run(command).await;

    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), raws.len());
    for (line, raw) in lines.iter().zip(&raws) {
        assert_eq!(line, raw, "each line is the item as served");
    }
}

#[tokio::test]
async fn kill_before_commit_replays_the_page() {
    let sim = simulator().await;
    let ids: Vec<String> = (1..=7)
        .map(|id| {
            sim.push_event(
                "deals",
                "created",
                json!({"id": id, "name": format!("Deal {id}")}),
                None,
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();

    // The first run aborts after fetching its second page, before committing
    // it. The first page is committed by then, but whether it was printed,
    // and marked printed, before the abort depends on timing. Either way the
    // resumed run prints what is missing, and repeats at most the one page
    // that was printed but not yet marked.
    let mut command = dealwatch(&sim, dir.path());
    command
        .args([
            "tail", "--once", "--json", "--resume", "--from", "tail", "--limit", "3",
        ])
        .env("DEALWATCH_FAILPOINT", "abort-before-commit:2");
    let crashed = run(command).await;
    assert!(
        !crashed.status.success(),
        "the failpoint aborts the process"
    );
    let first: Vec<String> = stdout(&crashed).lines().map(event_id).collect();
    assert!(
        first.is_empty() || first == ids[..3],
        "at most the committed first page: {first:?}"
    );

    let mut command = dealwatch(&sim, dir.path());
    command.args([
        "tail", "--once", "--json", "--resume", "--from", "tail", "--limit", "3",
    ]);
    let resumed = run(command).await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let second: Vec<String> = stdout(&resumed).lines().map(event_id).collect();
    assert!(
        second.len() <= ids.len(),
        "no event printed twice: {second:?}"
    );
    let resumed_at = ids.len() - second.len();
    assert_eq!(second, ids[resumed_at..], "the rest, in order: {second:?}");
    assert!(
        resumed_at == first.len() || (first.len() == 3 && resumed_at == 0),
        "nothing lost and at most the first page repeated: {first:?} then {second:?}"
    );

    // A third run has nothing new to print.
    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--once", "--json", "--resume", "--from", "tail"]);
    let third = run(command).await;
    assert!(third.status.success());
    assert_eq!(stdout(&third), "");
}

fn event_id(line: &str) -> String {
    let item: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
    item["meta"]["event_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rejected_token_exits_3() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command
        .args(["tail", "--once"])
        .env("DEALWATCH_TOKEN", "not-the-token");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.contains("rejected the access token (HTTP 401)"),
        "{message}"
    );
    assert!(
        !message.contains("not-the-token"),
        "the token never appears in a message"
    );
}

#[tokio::test]
async fn forbidden_token_exits_3() {
    let sim = simulator().await;
    sim.set_forbidden(true);
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--once"]);
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("Growth plan"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn missing_token_and_keyring_exit_1() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command
        .args(["tail", "--once"])
        .env_remove("DEALWATCH_TOKEN");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("DEALWATCH_TOKEN is not set"), "{message}");
    assert!(message.contains("keyring"), "{message}");
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["tail", "--limit", "0"],
        vec!["tail", "--limit", "101"],
        vec!["tail", "--from", "middle"],
        vec!["tail", "--resource", "Deals; rm"],
        vec!["tail", "--api-url", "ftp://127.0.0.1/"],
        vec!["no-such-command"],
    ] {
        let mut command = dealwatch(&sim, dir.path());
        command.args(&args);
        let output = run(command).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).is_empty(), "{args:?} explains the error");
    }
}

#[tokio::test]
async fn server_errors_are_retried_then_given_up_with_once() {
    let sim = simulator().await;
    for _ in 0..10 {
        sim.inject(
            "deals",
            Fault::ServerError {
                status: 500,
                html: true,
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command.args([
        "tail",
        "--once",
        "--backoff-base-ms",
        "10",
        "--max-failures",
        "3",
    ]);
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("giving up after 3 failed attempts"),
        "{message}"
    );
    assert!(message.contains("HTTP 500"), "{message}");
    assert_eq!(sim.stats("deals").requests, 3);
}

#[tokio::test]
async fn several_streams_in_one_run() {
    let sim = simulator().await;
    sim.push_event(
        "deals",
        "created",
        json!({"id": 1, "name": "Big deal"}),
        None,
    );
    sim.push_event(
        "leads",
        "created",
        json!({"id": 2, "first_name": "Ada", "last_name": "Lovelace"}),
        None,
    );
    sim.push_event(
        "contacts",
        "created",
        json!({"id": 3, "name": "Acme Corp"}),
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command.args([
        "tail",
        "--once",
        "--from",
        "tail",
        "--resource",
        "deals",
        "--resource",
        "leads",
        "--resource",
        "contacts",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("deal 1  Big deal  created"), "{text}");
    assert!(text.contains("lead 2  Ada Lovelace  created"), "{text}");
    assert!(text.contains("contact 3  Acme Corp  created"), "{text}");
}

#[tokio::test]
async fn expired_position_is_reported_as_a_gap() {
    let sim = simulator().await;
    sim.push_event("deals", "created", json!({"id": 1, "name": "Old"}), None);
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--once", "--resume", "--from", "tail"]);
    assert!(run(command).await.status.success());

    sim.push_event(
        "deals",
        "updated",
        json!({"id": 1, "name": "Missed"}),
        Some(json!({"name": "Old"})),
    );
    sim.advance_clock(Duration::from_secs(80 * 3600));
    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--once", "--resume"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("the saved position had expired"),
        "{message}"
    );
    assert!(message.contains("were missed"), "{message}");
}

#[tokio::test]
async fn simulate_prints_url_and_token() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dealwatch"))
        .args(["simulate", "--port", "0", "--pace-ms", "0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let url = first
        .strip_prefix("Simulator listening on ")
        .expect("first line gives the URL");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let second = lines.next_line().await.unwrap().unwrap();
    assert_eq!(second, "Demo token: demo-token");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn stored_but_unprinted_events_print_on_resume() {
    let sim = simulator().await;
    let ids: Vec<String> = (1..=4)
        .map(|id| {
            sim.push_event(
                "deals",
                "created",
                json!({"id": id, "name": format!("Deal {id}")}),
                None,
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();

    // The first run aborts right after committing its first page, before
    // printing it.
    let mut command = dealwatch(&sim, dir.path());
    command
        .args([
            "tail", "--once", "--json", "--resume", "--from", "tail", "--limit", "2",
        ])
        .env("DEALWATCH_FAILPOINT", "abort-after-commit:1");
    let crashed = run(command).await;
    assert!(
        !crashed.status.success(),
        "the failpoint aborts the process"
    );
    assert_eq!(stdout(&crashed), "", "nothing was printed before the abort");

    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--once", "--json", "--resume"]);
    let resumed = run(command).await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let printed: Vec<String> = stdout(&resumed).lines().map(event_id).collect();
    assert_eq!(
        printed, ids,
        "the committed but unprinted page first, then the rest"
    );
}

#[tokio::test]
async fn token_set_rejects_several_lines() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command
        .args(["token", "set"])
        .stdin(std::process::Stdio::piped());
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, b"first-token\nsecond-token\n")
        .await
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("more than one line"),
        "{}",
        stderr(&output)
    );
    assert!(
        !stderr(&output).contains("first-token"),
        "the token never appears in a message"
    );
}

#[tokio::test]
async fn demo_ignores_api_url_from_environment() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = dealwatch(&sim, dir.path());
    command.args(["tail", "--demo", "--once"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        sim.stats("deals").requests,
        0,
        "demo mode polls its own simulator"
    );
}
