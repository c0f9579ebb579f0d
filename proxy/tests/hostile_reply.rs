//! Hostile clients against the reply budget and SCAN: a tiny request asking for a huge reply
//! gets a clear error, nothing stored is lost, and a well-behaved client is served meanwhile.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;

use support::{post, start, start_with};
use tokio::task::JoinHandle;

const MB: usize = 1 << 20;
const BUDGET_ERROR: &str = "ERR reply exceeds 8 MB (HEDGESTORE_PROXY_MAX_REPLY)";

/// A well-behaved client: sets and reads back its own keys until `stop`, every answer right
/// (each request has the support client's 10 s deadline). Returns how many rounds it made.
fn bystander(addr: SocketAddr, stop: tokio::sync::watch::Receiver<bool>) -> JoinHandle<usize> {
    tokio::spawn(async move {
        let mut rounds = 0;
        while !*stop.borrow() || rounds < 3 {
            let value = format!("v{rounds}");
            let r = post(addr, "/", &format!(r#"["SET","bystander","{value}"]"#)).await;
            assert_eq!(r.text(), r#"{"result":"OK"}"#);
            let r = post(addr, "/", r#"["GET","bystander"]"#).await;
            assert_eq!(r.text(), format!(r#"{{"result":"{value}"}}"#));
            rounds += 1;
        }
        rounds
    })
}

fn big_value() -> String {
    "b".repeat(MB)
}

fn repeated(command: &str, times: usize) -> String {
    let mut body = format!(r#"["{command}""#);
    for _ in 0..times {
        body.push_str(r#","b""#);
    }
    body.push(']');
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mget_of_one_big_value_three_thousand_times_is_refused() {
    let p = start().await;
    p.storage.set("b", big_value(), None).await.unwrap();
    let (stop, watching) = tokio::sync::watch::channel(false);
    let client = bystander(p.addr, watching);
    let body = repeated("MGET", 3000);
    assert!(body.len() < 16 << 10, "a 15 KB request");
    let r = post(p.addr, "/", &body).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.text(), format!(r#"{{"error":"{BUDGET_ERROR}"}}"#));
    // Many distinct keys whose sum is over the budget: refused the same way.
    for i in 0..9 {
        p.storage
            .set(format!("k{i}"), big_value(), None)
            .await
            .unwrap();
    }
    let keys: Vec<String> = (0..9).map(|i| format!(r#""k{i}""#)).collect();
    let r = post(p.addr, "/", &format!(r#"["MGET",{}]"#, keys.join(","))).await;
    assert_eq!(r.text(), format!(r#"{{"error":"{BUDGET_ERROR}"}}"#));
    stop.send_replace(true);
    assert!(client.await.unwrap() >= 3);
    assert_eq!(p.storage.get("b").await.unwrap().unwrap(), big_value());
    // A reply within the budget is still answered in full.
    let r = post(p.addr, "/", &repeated("MGET", 5)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 5 * (MB + 3) + 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_of_three_thousand_big_gets_answers_errors_past_the_budget() {
    let p = start().await;
    p.storage.set("b", big_value(), None).await.unwrap();
    let (stop, watching) = tokio::sync::watch::channel(false);
    let client = bystander(p.addr, watching);
    let body = format!("[{}]", vec![r#"["get","b"]"#; 3000].join(","));
    let r = post(p.addr, "/pipeline", &body).await;
    stop.send_replace(true);
    assert_eq!(r.status, 200);
    let text = r.text();
    let results = text.matches(r#"{"result":"bbb"#).count();
    let refused = text.matches(BUDGET_ERROR).count();
    assert_eq!(results + refused, 3000, "one answer per command");
    assert!((1..=8).contains(&results), "{results} results fit in 8 MB");
    assert!(
        r.body.len() <= 8 * MB + 3000 * 80,
        "answer of {} bytes",
        r.body.len()
    );
    assert!(client.await.unwrap() >= 3);
    assert_eq!(p.storage.get("b").await.unwrap().unwrap(), big_value());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_whose_replies_exceed_the_budget_applies_nothing() {
    let p = start().await;
    p.storage.set("b", big_value(), None).await.unwrap();
    let mut commands = vec![r#"["set","marker","x"]"#.to_string()];
    commands.extend(std::iter::repeat_n(r#"["get","b"]"#.to_string(), 3000));
    let r = post(p.addr, "/multi-exec", &format!("[{}]", commands.join(","))).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        format!(r#"{{"error":"EXECABORT nothing was applied: {BUDGET_ERROR}"}}"#)
    );
    assert_eq!(p.storage.exists(&["marker"]).await.unwrap(), 0);
    // Writes earlier in the batch count: a key grown by the batch itself, read many times.
    let grow = format!(r#"["set","g","{}"]"#, "g".repeat(512 << 10));
    let mut commands = vec![grow];
    commands.extend(std::iter::repeat_n(r#"["get","g"]"#.to_string(), 20));
    let r = post(p.addr, "/multi-exec", &format!("[{}]", commands.join(","))).await;
    assert_eq!(r.status, 400, "{}", &r.text()[..r.text().len().min(200)]);
    assert_eq!(p.storage.exists(&["g"]).await.unwrap(), 0);
    // A transaction within the budget runs.
    let r = post(p.addr, "/multi-exec", r#"[["set","m","1"],["get","b"]]"#).await;
    assert_eq!(r.status, 200);
    assert_eq!(p.storage.get("m").await.unwrap().unwrap(), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_too_big_to_answer_is_not_removed() {
    let p = start_with(|c| {
        c.max_reply = 64 << 10;
        c.max_body = 16 << 10;
    })
    .await;
    let value = "v".repeat(100 << 10);
    p.storage.set("big", &value, None).await.unwrap();
    p.storage.rpush("list", &[&value]).await.unwrap();
    let limit = "ERR reply exceeds 64 KB (HEDGESTORE_PROXY_MAX_REPLY)";
    for command in [
        r#"["GETDEL","big"]"#,
        r#"["SET","big","new","GET"]"#,
        r#"["GET","big"]"#,
        r#"["LPOP","list"]"#,
        r#"["RPOP","list",5]"#,
    ] {
        let r = post(p.addr, "/", command).await;
        assert_eq!(
            (r.status, r.text()),
            (400, format!(r#"{{"error":"{limit}"}}"#)),
            "{command}"
        );
    }
    assert_eq!(p.storage.get("big").await.unwrap().unwrap(), value);
    assert_eq!(p.storage.llen("list").await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_count_is_clamped() {
    let p = start_with(|c| c.max_scan_count = 100).await;
    let pairs: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("key:{i}"), "v".into()))
        .collect();
    p.storage.mset(&pairs).await.unwrap();
    let r = post(p.addr, "/", r#"["SCAN","0","COUNT",1000000000]"#).await;
    assert_eq!(r.status, 200);
    let text = r.text();
    let keys = text.matches("key:").count();
    assert!((1..=100).contains(&keys), "{keys} keys in one SCAN call");
    assert!(
        !text.starts_with(r#"{"result":["0""#),
        "the cursor goes on: {text:.40}"
    );
    // Every key is still reachable by following the cursor.
    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    let mut calls = 0;
    loop {
        let r = post(p.addr, "/", &format!(r#"["SCAN","{cursor}","COUNT",5000]"#)).await;
        let text = r.text();
        seen.extend(
            text.split('"')
                .filter(|s| s.starts_with("key:"))
                .map(str::to_string),
        );
        calls += 1;
        cursor = text.split('"').nth(3).expect("a cursor").to_string();
        if cursor == "0" {
            break;
        }
        assert!(calls < 1000, "SCAN ends");
    }
    assert_eq!(seen.len(), 1000);
    assert!(calls >= 10, "{calls} calls of at most 100 keys");
}
