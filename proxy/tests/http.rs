//! hedgestore-proxy over real HTTP on loopback: every endpoint, and graceful shutdown.
//! (Auth, CORS and bad input: `proxy_guard.rs`.)

mod support;

use std::time::Duration;

use hedgestore_native::StorageError;
use support::{bearer, get, post, request, start, Conn};

fn auth() -> String {
    bearer()
}

// ---- endpoints ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_root_runs_one_command() {
    let p = start().await;
    let r = post(p.addr, "/", r#"["SET","greeting","hello"]"#).await;
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"result":"OK"}"#));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let r = post(p.addr, "/", r#"["GET","greeting"]"#).await;
    assert_eq!(r.text(), r#"{"result":"hello"}"#);
    let r = post(p.addr, "/", r#"["get","missing"]"#).await;
    assert_eq!(r.text(), r#"{"result":null}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_answer_fencing_tokens_and_release_only_by_the_token_holding_them() {
    let p = start().await;
    let r = post(p.addr, "/lock/acquire", r#"["job",60000]"#).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let first: u64 = r.text()["{\"result\":".len()..r.text().len() - 1]
        .parse()
        .expect("a numeric token");
    let r = post(p.addr, "/lock/acquire", r#"["job",60000]"#).await;
    assert_eq!(r.text(), r#"{"result":null}"#, "held: not acquired again");
    let stale = first + 1000;
    let r = post(p.addr, "/lock/release", &format!(r#"["job",{stale}]"#)).await;
    assert_eq!(
        r.text(),
        r#"{"result":0}"#,
        "another token releases nothing"
    );
    let r = post(p.addr, "/lock/release", &format!(r#"["job",{first}]"#)).await;
    assert_eq!(r.text(), r#"{"result":1}"#);
    let r = post(p.addr, "/lock/release", &format!(r#"["job",{first}]"#)).await;
    assert_eq!(r.text(), r#"{"result":0}"#, "released once");
    let r = post(p.addr, "/lock/acquire", r#"["job",60000]"#).await;
    let second: u64 = r.text()["{\"result\":".len()..r.text().len() - 1]
        .parse()
        .expect("a numeric token");
    assert!(second > first, "fencing tokens grow: {first} then {second}");
    let r = post(p.addr, "/lock/acquire", r#"["job",0]"#).await;
    assert_eq!(r.status, 400);
    assert!(r
        .text()
        .contains("ttl (milliseconds) must be a positive integer"));
    let r = post(p.addr, "/lock/release", r#"["job"]"#).await;
    assert_eq!(r.status, 400);
    let r = post(p.addr, "/lock/steal", r#"["job"]"#).await;
    assert_eq!(r.status, 404);
    let r = get(p.addr, "/lock/acquire").await;
    assert_eq!(r.status, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_case_insensitive_and_numbers_and_booleans_are_arguments() {
    let p = start().await;
    let r = post(p.addr, "/", r#"["set","n",41,"ex",100]"#).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    let r = post(p.addr, "/", r#"["InCrBy","n",1]"#).await;
    assert_eq!(r.text(), r#"{"result":42}"#);
    let r = post(p.addr, "/", r#"["set","flag",true]"#).await;
    assert_eq!(r.status, 200);
    assert_eq!(p.storage.get("flag").await.unwrap().unwrap(), "true");
    let r = post(p.addr, "/", r#"["ttl","n"]"#).await;
    assert_eq!(r.text(), r#"{"result":100}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_answers_every_command_and_a_failure_fails_alone() {
    let p = start().await;
    let r = post(
        p.addr,
        "/pipeline",
        r#"[["set","a",1],["incr","a"],["hset","a","f","v"],["set","b","x"],["get","a"]]"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        r#"[{"result":"OK"},{"result":2},{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"},{"result":"OK"},{"result":"2"}]"#
    );
    assert_eq!(p.storage.get("b").await.unwrap().unwrap(), "x");
    let r = post(p.addr, "/pipeline", "[]").await;
    assert_eq!((r.status, r.text().as_str()), (200, "[]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_entries_with_unknown_or_refused_commands_fail_alone() {
    let p = start().await;
    let r = post(
        p.addr,
        "/pipeline",
        r#"[["set","a","1"],["nosuch","x"],["flushdb"],["get","a"]]"#,
    )
    .await;
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(
        text.starts_with(r#"[{"result":"OK"},{"error":"ERR unknown command 'nosuch'"#),
        "{text}"
    );
    assert!(text.contains(r#"{"error":"NOPERM"#), "{text}");
    assert!(text.ends_with(r#"{"result":"1"}]"#), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_exec_applies_every_command() {
    let p = start().await;
    let r = post(
        p.addr,
        "/multi-exec",
        r#"[["set","a","1"],["incr","a"],["rpush","l","x","y"],["lrange","l",0,-1]]"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        r#"[{"result":"OK"},{"result":2},{"result":2},{"result":["x","y"]}]"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_exec_failure_applies_nothing_and_names_the_command() {
    let p = start().await;
    p.storage.set("text", "not a number", None).await.unwrap();
    p.storage.set("a", "before", None).await.unwrap();
    let r = post(
        p.addr,
        "/multi-exec",
        r#"[["set","a","after"],["rpush","new","x"],["incr","text"]]"#,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        r#"{"error":"EXECABORT command #2 (incr) failed, nothing was applied: ERR value is not an integer or out of range"}"#
    );
    assert_eq!(p.storage.get("a").await.unwrap().unwrap(), "before");
    assert_eq!(p.storage.exists(&["new"]).await.unwrap(), 0);
    // A command that does not even parse aborts the same way, before anything runs.
    let r = post(p.addr, "/multi-exec", r#"[["set","a","after"],["get"]]"#).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        r#"{"error":"EXECABORT command #1 (get) failed, nothing was applied: ERR wrong number of arguments for 'get' command"}"#
    );
    let r = post(
        p.addr,
        "/multi-exec",
        r#"[["set","a","after"],["flushdb"]]"#,
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(p.storage.get("a").await.unwrap().unwrap(), "before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_form_runs_simple_commands() {
    let p = start().await;
    let r = get(p.addr, "/set/my%20key/hello%2Fworld").await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    assert_eq!(
        p.storage.get("my key").await.unwrap().unwrap(),
        "hello/world"
    );
    let r = get(p.addr, "/GET/my%20key").await;
    assert_eq!(r.text(), r#"{"result":"hello/world"}"#);
    // Query parameters follow as `name value`.
    let r = get(p.addr, "/set/k/v?EX=100").await;
    assert_eq!(r.status, 200);
    assert_eq!(get(p.addr, "/ttl/k").await.text(), r#"{"result":100}"#);
    // A POST body is the last argument, binary-safe, before the query's.
    let auth = auth();
    let r = request(
        p.addr,
        "POST",
        "/set/bin?PX=100000",
        &[("Authorization", &auth)],
        b"\x00\xff{\"json\": true}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        &p.storage.get("bin").await.unwrap().unwrap()[..],
        b"\x00\xff{\"json\": true}"
    );
    let r = get(p.addr, "/pttl/bin").await;
    let pttl: i64 = r.text()[10..r.text().len() - 1].parse().unwrap();
    assert!((90_000..=100_000).contains(&pttl), "{}", r.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base64_encoding_covers_every_string_but_ok_nested_too() {
    let p = start().await;
    let auth = auth();
    let h = [
        ("Authorization", auth.as_str()),
        ("Upstash-Encoding", "base64"),
    ];
    let r = request(p.addr, "POST", "/", &h, br#"["set","k","hello"]"#).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    let r = request(p.addr, "POST", "/", &h, br#"["get","k"]"#).await;
    assert_eq!(r.text(), r#"{"result":"aGVsbG8="}"#);
    let r = request(p.addr, "POST", "/", &h, br#"["type","k"]"#).await;
    assert_eq!(r.text(), r#"{"result":"c3RyaW5n"}"#);
    let r = request(p.addr, "POST", "/", &h, br#"["scan",0]"#).await;
    assert_eq!(r.text(), r#"{"result":["MA==",["aw=="]]}"#);
    let r = request(p.addr, "POST", "/", &h, br#"["strlen","k"]"#).await;
    assert_eq!(r.text(), r#"{"result":5}"#);
    let r = request(
        p.addr,
        "POST",
        "/pipeline",
        &h,
        br#"[["get","k"],["get","none"]]"#,
    )
    .await;
    assert_eq!(r.text(), r#"[{"result":"aGVsbG8="},{"result":null}]"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_utf8_values_are_exact_in_base64_and_lossy_in_plain_json() {
    let p = start().await;
    p.storage
        .set("bin", b"a\xffb".as_slice(), None)
        .await
        .unwrap();
    let auth = auth();
    let r = request(
        p.addr,
        "GET",
        "/get/bin",
        &[("Authorization", &auth), ("Upstash-Encoding", "base64")],
        b"",
    )
    .await;
    assert_eq!(r.text(), r#"{"result":"Yf9i"}"#);
    let r = get(p.addr, "/get/bin").await;
    assert_eq!(r.text(), "{\"result\":\"a\u{fffd}b\"}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_pages_through_every_key() {
    let p = start().await;
    for i in 0..30 {
        p.storage.set(format!("user:{i}"), "v", None).await.unwrap();
    }
    p.storage.set("other", "v", None).await.unwrap();
    let mut cursor = "0".to_string();
    let mut found = 0;
    loop {
        let r = post(
            p.addr,
            "/",
            &format!(r#"["scan","{cursor}","match","user:*","count",7]"#),
        )
        .await;
        let text = r.text();
        let rest = text.strip_prefix(r#"{"result":[""#).expect("scan reply");
        let (next, keys) = rest.split_once("\",").unwrap();
        found += keys.matches("user:").count();
        cursor = next.to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(found, 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_response_carries_a_growing_sync_token() {
    let p = start().await;
    let auth = auth();
    let h = [
        ("Authorization", auth.as_str()),
        ("upstash-sync-token", "whatever-the-client-had"),
    ];
    let first = request(p.addr, "POST", "/", &h, br#"["get","k"]"#).await;
    let before: u64 = first.header("upstash-sync-token").unwrap().parse().unwrap();
    request(p.addr, "POST", "/", &h, br#"["set","k","v"]"#).await;
    let after = request(p.addr, "POST", "/", &h, br#"["get","k"]"#).await;
    assert_eq!(after.text(), r#"{"result":"v"}"#);
    let after: u64 = after.header("upstash-sync-token").unwrap().parse().unwrap();
    assert!(after > before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_needs_no_token_and_names_the_backend() {
    let p = start().await;
    let r = request(p.addr, "GET", "/health", &[], b"").await;
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(
        text.starts_with(r#"{"status":"ok","mode":"fallback","backend":"memory","healthy":true"#),
        "{text}"
    );
    let r = request(p.addr, "HEAD", "/health", &[], b"").await;
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_connections_serve_many_requests() {
    let p = start().await;
    let auth = auth();
    let mut conn = Conn::open(p.addr).await;
    for i in 0..50 {
        let body = br#"["incr","counter"]"#;
        let r = conn
            .request("POST", "/", &[("Authorization", &auth)], body)
            .await;
        assert_eq!(r.text(), format!(r#"{{"result":{}}}"#, i + 1));
    }
}

// ---- shutdown -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish_then_closes_the_storage() {
    let p = start().await;
    let body = br#"["set","late","arrived"]"#;
    let mut conn = Conn::open(p.addr).await;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n",
        bearer(),
        body.len()
    );
    conn.write(head.as_bytes()).await;
    conn.write(&body[..5]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    p.handle.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New connections are no longer accepted...
    assert!(tokio::net::TcpStream::connect(p.addr).await.is_err());
    // ...but the request in flight completes.
    conn.write(&body[5..]).await;
    let r = conn.response().await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    assert!(conn.closed_within(Duration::from_secs(5)).await);
    p.handle.wait().await.unwrap();
    assert_eq!(p.storage.get("late").await, Err(StorageError::Closed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_close_on_shutdown() {
    let p = start().await;
    let mut conn = Conn::open(p.addr).await;
    let r = conn
        .request("GET", "/get/k", &[("Authorization", &auth())], b"")
        .await;
    assert_eq!(r.status, 200);
    p.handle.shutdown();
    assert!(conn.closed_within(Duration::from_secs(5)).await);
    tokio::time::timeout(Duration::from_secs(5), p.handle.wait())
        .await
        .unwrap()
        .unwrap();
}
