//! hedgestore-proxy's guards over real HTTP on loopback: the token, CORS, administrative
//! commands, and every kind of bad input (each answered with a clear JSON error, nothing
//! stored changed, the server still serving).

mod support;

use std::time::Duration;

use hedgestore_proxy::CorsOrigins;
use support::{bearer, get, post, request, start, start_with, Conn, TOKEN};

fn auth() -> String {
    bearer()
}

// ---- auth -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_the_right_token_get_401() {
    let p = start().await;
    for headers in [
        vec![],
        vec![("Authorization", "Bearer wrong-token")],
        vec![("Authorization", "Bearer test-token-012345678")],
        vec![("Authorization", "Basic dGVzdDp0ZXN0")],
        vec![("Authorization", TOKEN)],
    ] {
        let r = request(p.addr, "POST", "/", &headers, br#"["set","k","v"]"#).await;
        assert_eq!(r.status, 401, "{headers:?}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert!(r.text().starts_with(r#"{"error":"ERR unauthorized"#));
        assert!(!r.text().contains(TOKEN));
    }
    let r = request(p.addr, "GET", "/get/k?_token=nope", &[], b"").await;
    assert_eq!(r.status, 401);
    assert_eq!(p.storage.exists(&["k"]).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sets_and_sorted_sets_run_through_the_proxy() {
    let p = start_with(|_| {}).await;
    assert_eq!(
        post(p.addr, "/", r#"["sadd","s","a","b"]"#).await.text(),
        r#"{"result":2}"#
    );
    assert_eq!(
        post(p.addr, "/", r#"["zadd","z","1.5","a","-inf","b"]"#)
            .await
            .text(),
        r#"{"result":2}"#
    );
    assert_eq!(
        post(p.addr, "/", r#"["zrange","z","0","-1","WITHSCORES"]"#)
            .await
            .text(),
        r#"{"result":["b","-inf","a","1.5"]}"#
    );
    assert_eq!(
        post(p.addr, "/", r#"["type","s"]"#).await.text(),
        r#"{"result":"set"}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_may_come_as_a_query_parameter_or_any_case_bearer() {
    let p = start().await;
    let r = request(p.addr, "GET", &format!("/set/k/v?_token={TOKEN}"), &[], b"").await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    // `_token` is not passed on as an argument.
    assert_eq!(p.storage.get("k").await.unwrap().unwrap(), "v");
    let lower = format!("bearer {TOKEN}");
    let r = request(p.addr, "GET", "/get/k", &[("authorization", &lower)], b"").await;
    assert_eq!(r.text(), r#"{"result":"v"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_mode_needs_no_token() {
    let p = start_with(|c| {
        c.token = None;
        c.insecure = true;
    })
    .await;
    let r = request(p.addr, "GET", "/set/k/v", &[], b"").await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_without_token_refuses_to_start_off_loopback() {
    let mut config = hedgestore_proxy::ProxyConfig::insecure_loopback();
    config.addr = "0.0.0.0:0".parse().unwrap();
    let storage = hedgestore_native::Storage::memory(Default::default()).unwrap();
    let err = hedgestore_proxy::serve(config, storage, std::future::pending())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
}

// ---- CORS -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_from_an_allowed_origin_allows_the_upstash_headers() {
    let p = start_with(|c| {
        c.cors_origins = CorsOrigins::List(vec!["https://app.example.com".into()]);
    })
    .await;
    let r = request(
        p.addr,
        "OPTIONS",
        "/pipeline",
        &[
            ("Origin", "https://app.example.com"),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization,content-type,upstash-encoding,upstash-sync-token,upstash-telemetry-sdk,upstash-telemetry-runtime,x-evil",
            ),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, content-type, upstash-encoding, upstash-sync-token, upstash-telemetry-sdk, upstash-telemetry-runtime")
    );
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    // The actual request from that origin is readable and exposes the sync token.
    let auth = auth();
    let r = request(
        p.addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth),
            ("Origin", "https://app.example.com"),
        ],
        br#"["ping"]"#,
    )
    .await;
    assert_eq!(r.text(), r#"{"result":"PONG"}"#);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("upstash-sync-token")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_origins_get_no_cors_headers() {
    let p = start_with(|c| {
        c.cors_origins = CorsOrigins::List(vec!["https://app.example.com".into()]);
    })
    .await;
    let r = request(
        p.addr,
        "OPTIONS",
        "/",
        &[
            ("Origin", "https://evil.example.com"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let auth = auth();
    let r = request(
        p.addr,
        "POST",
        "/",
        &[
            ("Authorization", &auth),
            ("Origin", "https://evil.example.com"),
        ],
        br#"["ping"]"#,
    )
    .await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    // Without configuration, no origin is allowed.
    let q = start().await;
    let r = request(
        q.addr,
        "OPTIONS",
        "/",
        &[
            ("Origin", "https://app.example.com"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_origin_when_configured_with_a_star() {
    let p = start_with(|c| c.cors_origins = CorsOrigins::Any).await;
    let r = request(
        p.addr,
        "OPTIONS",
        "/",
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
}

// ---- bad input ------------------------------------------------------------------------

/// Every bad request answers a 4xx JSON error, changes nothing, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_get_clear_errors_and_change_nothing() {
    let p = start_with(|c| c.max_body = 1024).await;
    p.storage.set("sentinel", "intact", None).await.unwrap();
    let cases: [(&str, &str, u16, &str); 17] = [
        (
            "/",
            "not json",
            400,
            "ERR the request body is not valid JSON",
        ),
        ("/", "", 400, "ERR the request body is not valid JSON"),
        ("/", r#"{"cmd":"set"}"#, 400, "must be a JSON array"),
        ("/", r#""set""#, 400, "must be a JSON array"),
        ("/", "[]", 400, "ERR empty command"),
        (
            "/",
            r#"["set","sentinel",{"a":1}]"#,
            400,
            "index 2: an object is not allowed",
        ),
        (
            "/",
            r#"["set","sentinel",null]"#,
            400,
            "index 2: null is not allowed",
        ),
        (
            "/",
            r#"["set","sentinel",["x"]]"#,
            400,
            "index 2: an array is not allowed",
        ),
        (
            "/",
            r#"["set","sentinel"]"#,
            400,
            "ERR wrong number of arguments for 'set' command",
        ),
        (
            "/",
            r#"["frobnicate","sentinel"]"#,
            400,
            "ERR unknown command 'frobnicate'",
        ),
        (
            "/",
            r#"["set","sentinel","x","EX","soon"]"#,
            400,
            "ERR value is not an integer",
        ),
        ("/", r#"["flushdb"]"#, 403, "NOPERM"),
        ("/", r#"["flushall"]"#, 403, "NOPERM"),
        ("/", r#"["subscribe","ch"]"#, 400, "/subscribe/<channel>"),
        (
            "/pipeline",
            r#"["set","sentinel","x"]"#,
            400,
            "command #0 of the pipeline must be a JSON array",
        ),
        (
            "/pipeline",
            r#"[["set","sentinel","x"],7]"#,
            400,
            "command #1 of the pipeline must be a JSON array",
        ),
        (
            "/multi-exec",
            r#"{"a":1}"#,
            400,
            "must be a JSON array of commands",
        ),
    ];
    for (path, body, status, message) in cases {
        let r = post(p.addr, path, body).await;
        assert_eq!(r.status, status, "{path} {body}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"));
        let text = r.text();
        assert!(text.starts_with(r#"{"error":""#), "{text}");
        assert!(text.contains(message), "{path} {body}: {text}");
    }
    // Oversized bodies: declared, and streamed without a length.
    let big = format!(r#"["set","sentinel","{}"]"#, "x".repeat(2000));
    let r = post(p.addr, "/", &big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("1024 bytes"));
    let mut conn = Conn::open(p.addr).await;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        bearer()
    );
    conn.write(head.as_bytes()).await;
    conn.write(format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len()).as_bytes())
        .await;
    let r = conn.response().await;
    assert_eq!(r.status, 413);
    // Other methods.
    let auth = auth();
    let r = request(
        p.addr,
        "DELETE",
        "/del/sentinel",
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(r.status, 405);
    assert!(r.header("allow").unwrap().contains("POST"));
    let r = get(p.addr, "/pipeline").await;
    assert_eq!(r.status, 405);
    let r = get(p.addr, "/").await;
    assert_eq!(r.status, 400);
    // Nothing changed, and the server still serves.
    assert_eq!(p.storage.get("sentinel").await.unwrap().unwrap(), "intact");
    assert_eq!(p.storage.keys("*").await.unwrap().len(), 1);
    assert_eq!(
        get(p.addr, "/get/sentinel").await.text(),
        r#"{"result":"intact"}"#
    );
}

/// Arbitrary bytes (and JSON-looking noise) as bodies: always a JSON answer, never a crash,
/// and the server keeps serving. (The codec's own property tests cover the parser itself.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bodies_never_break_the_server() {
    let p = start().await;
    p.storage.set("sentinel", "intact", None).await.unwrap();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = br#"[]{}",:0123456789.eE+-\/truefalsnulGETSETgetset sentinel"#;
    let auth = auth();
    let mut conn = Conn::open(p.addr).await;
    for i in 0..300 {
        let len = (next() % 64) as usize;
        let body: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if i % 2 == 0 {
                    r as u8
                } else {
                    alphabet[(r % alphabet.len() as u64) as usize]
                }
            })
            .collect();
        let path = ["/", "/pipeline", "/multi-exec"][i % 3];
        let r = conn
            .request("POST", path, &[("Authorization", &auth)], &body)
            .await;
        assert!(
            matches!(r.status, 200 | 400 | 403),
            "{path} {body:?}: {} {}",
            r.status,
            r.text()
        );
        assert!(r.text().starts_with('{') || r.text().starts_with('['));
    }
    assert_eq!(
        get(p.addr, "/get/sentinel").await.text(),
        r#"{"result":"intact"}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrative_commands_run_when_allowed() {
    let p = start_with(|c| c.allow = vec!["FLUSHDB".into(), "KEYS".into()]).await;
    p.storage.set("k", "v", None).await.unwrap();
    assert_eq!(
        post(p.addr, "/", r#"["keys","*"]"#).await.text(),
        r#"{"result":["k"]}"#
    );
    assert_eq!(
        post(p.addr, "/", r#"["flushdb"]"#).await.text(),
        r#"{"result":"OK"}"#
    );
    assert_eq!(p.storage.exists(&["k"]).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_times_out_with_408() {
    let p = start_with(|c| c.body_timeout = Duration::from_millis(200)).await;
    let mut conn = Conn::open(p.addr).await;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 100\r\n\r\n[\"ping\"",
        bearer()
    );
    conn.write(head.as_bytes()).await;
    let r = tokio::time::timeout(Duration::from_secs(5), conn.response())
        .await
        .unwrap();
    assert_eq!(r.status, 408);
}
