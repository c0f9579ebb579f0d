//! The reply budget in front of Redis (the `redis` and `fallback` backends): the same
//! 15 KB requests asking for gigabytes get the budget error, measured through Redis
//! (`STRLEN`, pipelined), while a well-behaved client is served and nothing is lost.

mod support;

use hedgestore_native::{Storage, StorageConfig};
use hedgestore_testkit::RedisServer;
use support::{post, start_on, Proxy};

const MB: usize = 1 << 20;
const BUDGET_ERROR: &str = "ERR reply exceeds 8 MB (HEDGESTORE_PROXY_MAX_REPLY)";

async fn attack_and_check(p: &Proxy) {
    p.storage.set("b", "b".repeat(MB), None).await.unwrap();
    for i in 0..9 {
        p.storage
            .set(format!("k{i}"), "k".repeat(MB), None)
            .await
            .unwrap();
    }
    let mget = format!(r#"["MGET"{}]"#, r#","b""#.repeat(3000));
    let r = post(p.addr, "/", &mget).await;
    assert_eq!(
        (r.status, r.text()),
        (400, format!(r#"{{"error":"{BUDGET_ERROR}"}}"#))
    );
    let keys: Vec<String> = (0..9).map(|i| format!(r#""k{i}""#)).collect();
    let r = post(p.addr, "/", &format!(r#"["MGET",{}]"#, keys.join(","))).await;
    assert_eq!(r.status, 400, "9 distinct 1 MB keys");

    let pipeline = format!("[{}]", vec![r#"["get","b"]"#; 3000].join(","));
    let r = post(p.addr, "/pipeline", &pipeline).await;
    assert_eq!(r.status, 200);
    let text = r.text();
    let results = text.matches(r#"{"result":"bbb"#).count();
    assert!((1..=8).contains(&results), "{results} results");
    assert_eq!(results + text.matches(BUDGET_ERROR).count(), 3000);

    let mut commands = vec![r#"["set","marker","x"]"#.to_string()];
    commands.extend(std::iter::repeat_n(r#"["get","b"]"#.to_string(), 3000));
    let r = post(p.addr, "/multi-exec", &format!("[{}]", commands.join(","))).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains(BUDGET_ERROR), "{}", r.text());
    assert_eq!(p.storage.exists(&["marker"]).await.unwrap(), 0);

    // Served, and intact.
    let r = post(p.addr, "/", r#"["SET","bystander","here"]"#).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    let r = post(p.addr, "/", r#"["STRLEN","b"]"#).await;
    assert_eq!(r.text(), format!(r#"{{"result":{MB}}}"#));
    assert_eq!(p.storage.get("b").await.unwrap().unwrap(), "b".repeat(MB));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reply_budget_holds_on_the_redis_backend() {
    let server = RedisServer::start().unwrap();
    let storage = Storage::redis(StorageConfig::default().redis_url(server.url()))
        .await
        .unwrap();
    let p = start_on(storage, |_| {}).await;
    attack_and_check(&p).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reply_budget_holds_on_the_fallback_backend() {
    let server = RedisServer::start().unwrap();
    let storage = Storage::connect(StorageConfig::default().redis_url(server.url()))
        .await
        .unwrap();
    let p = start_on(storage, |_| {}).await;
    attack_and_check(&p).await;
}
