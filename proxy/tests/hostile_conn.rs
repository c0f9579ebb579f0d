//! Hostile clients at the connection and protocol level: huge heads, idle and silent
//! connections, one peer opening too many, the connection limit reached, token guessing, and
//! the protocol slips that must get a clear JSON answer. Each test checks the specific answer
//! and that a well-behaved client is served and stored data is intact.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hedgestore_proxy::{ProxyConfig, ProxyError};
use support::{bearer, post, request, start, start_with, Conn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A generous deadline for conditions the tests wait for.
const DEADLINE: Duration = Duration::from_secs(30);

/// Sends `bytes` (errors ignored: the server may close before reading them all) and returns
/// everything the server answers until it closes the connection.
async fn raw_exchange(addr: SocketAddr, bytes: Vec<u8>) -> String {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        let _ = write.write_all(&bytes).await;
        write
    });
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let read_all = async {
        loop {
            match read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(DEADLINE, read_all)
        .await
        .expect("the server answers and closes");
    drop(writer);
    String::from_utf8_lossy(&answer).into_owned()
}

async fn served(addr: SocketAddr) {
    let r = post(addr, "/", r#"["SET","bystander","here"]"#).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    let r = post(addr, "/", r#"["GET","bystander"]"#).await;
    assert_eq!(r.text(), r#"{"result":"here"}"#);
}

// ---- heads -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_head_is_answered_431_in_json() {
    let p = start().await;
    p.storage.set("kept", "yes", None).await.unwrap();
    let expected = r#"{"error":"ERR request head too large: the request line and headers may take at most 16 KB (HEDGESTORE_PROXY_MAX_HEADER)"}"#;
    // A 1 MB URI, and 300 KB of headers that never end.
    let uri = format!(
        "GET /get/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "k".repeat(1 << 20)
    );
    let headers = format!(
        "GET /get/kept HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n",
        "f".repeat(300 << 10)
    );
    for attack in [uri, headers] {
        let answer = raw_exchange(p.addr, attack.into_bytes()).await;
        assert!(
            answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{answer:.200}"
        );
        assert!(
            answer.contains("content-type: application/json"),
            "{answer}"
        );
        assert!(answer.ends_with(expected), "{answer}");
    }
    served(p.addr).await;
    assert_eq!(p.storage.get("kept").await.unwrap().unwrap(), "yes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_idle_connections_are_closed_by_the_header_timeout() {
    let p = start_with(|c| c.header_timeout = Duration::from_secs(1)).await;
    // Connected, never sends a byte.
    let mut silent = Conn::open(p.addr).await;
    // Sends half a head, then stops.
    let mut half = Conn::open(p.addr).await;
    half.write(b"GET /get/k HTTP/1.1\r\nHost: x\r\n").await;
    // A keep-alive connection, idle after its request.
    let mut idle = Conn::open(p.addr).await;
    let auth = bearer();
    let r = idle
        .request("GET", "/get/k", &[("Authorization", &auth)], b"")
        .await;
    assert_eq!(r.status, 200);
    // Pooling clients are told to let go first.
    assert_eq!(r.header("keep-alive"), Some("timeout=1"));
    for conn in [&mut silent, &mut half, &mut idle] {
        assert!(conn.closed_within(DEADLINE).await, "closed by the server");
    }
    served(p.addr).await;
}

// ---- connection limits -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_peer_cannot_take_more_than_its_connections() {
    let p = start_with(|c| {
        c.max_connections_per_peer = 5;
        // The held connections stay open however slow the machine is.
        c.header_timeout = Duration::from_secs(300);
    })
    .await;
    let auth = bearer();
    let mut held = Vec::new();
    for _ in 0..5 {
        let mut conn = Conn::open(p.addr).await;
        let r = conn
            .request("GET", "/ping", &[("Authorization", &auth)], b"")
            .await;
        assert_eq!(r.text(), r#"{"result":"PONG"}"#);
        held.push(conn);
    }
    // The sixth is answered at once and closed.
    let answer = raw_exchange(p.addr, Vec::new()).await;
    assert!(
        answer.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with(r#"{"error":"ERR too many connections from your address: at most 5 (HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER)"}"#),
        "{answer}"
    );
    // The held connections still work; one closing makes room again.
    let r = held[0]
        .request("GET", "/ping", &[("Authorization", &auth)], b"")
        .await;
    assert_eq!(r.status, 200);
    held.pop();
    let started = Instant::now();
    loop {
        let answer = raw_exchange_request(p.addr, &auth).await;
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "no room after a close: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One `GET /ping` with `Connection: close`, raw.
async fn raw_exchange_request(addr: SocketAddr, auth: &str) -> String {
    raw_exchange(
        addr,
        format!(
            "GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
        )
        .into_bytes(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_answered_when_the_connection_limit_is_reached() {
    let p = start_with(|c| {
        c.max_connections = 3;
        c.header_timeout = Duration::from_secs(300);
    })
    .await;
    let auth = bearer();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = Conn::open(p.addr).await;
        let r = conn
            .request("GET", "/ping", &[("Authorization", &auth)], b"")
            .await;
        assert_eq!(r.status, 200);
        held.push(conn);
    }
    let r = request(p.addr, "GET", "/health", &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().starts_with(r#"{"status":"ok""#), "{}", r.text());
    let r = post(p.addr, "/", r#"["SET","k","v"]"#).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r
        .text()
        .contains("connection limit (HEDGESTORE_PROXY_MAX_CONNECTIONS)"));
    assert_eq!(p.storage.exists(&["k"]).await.unwrap(), 0);
    // The held connections are served meanwhile, and a freed place serves new clients.
    let r = held[1]
        .request("GET", "/ping", &[("Authorization", &auth)], b"")
        .await;
    assert_eq!(r.status, 200);
    held.pop();
    let started = Instant::now();
    while post(p.addr, "/", r#"["SET","k","v"]"#).await.status != 200 {
        assert!(started.elapsed() < DEADLINE, "no room after a close");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(p.storage.get("k").await.unwrap().unwrap(), "v");
}

// ---- auth --------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_token_is_refused_at_start() {
    let mut config = ProxyConfig::new("0123456789abcde");
    config.addr = "127.0.0.1:0".parse().unwrap();
    let storage = hedgestore_native::Storage::memory(Default::default()).unwrap();
    let err = hedgestore_proxy::serve(config.clone(), storage.clone(), std::future::pending())
        .await
        .unwrap_err();
    assert!(matches!(err, ProxyError::Config(_)), "{err}");
    assert!(err.to_string().contains("shorter than 16"), "{err}");
    assert!(!err.to_string().contains("0123456789abcde"), "{err}");
    config.insecure = true;
    let handle = hedgestore_proxy::serve(config, storage, std::future::pending())
        .await
        .expect("accepted with the insecure setting");
    handle.shutdown();
    handle.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessing_peer_is_slowed_but_the_right_token_still_works() {
    let p = start().await;
    for i in 0..15 {
        let wrong = format!("Bearer wrong-token-{i:04}-padding");
        let r = request(
            p.addr,
            "POST",
            "/",
            &[("Authorization", &wrong)],
            br#"["SET","k","v"]"#,
        )
        .await;
        assert_eq!(r.status, 401);
    }
    assert_eq!(p.storage.exists(&["k"]).await.unwrap(), 0);
    // Past the burst, each request waits before its token is checked, a right one included.
    served(p.addr).await;
}

// ---- protocol slips ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_on_pipeline_names_post() {
    let p = start().await;
    for path in ["/pipeline", "/multi-exec"] {
        let auth = bearer();
        let r = request(p.addr, "GET", path, &[("Authorization", &auth)], b"").await;
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("POST, PUT, OPTIONS"));
        assert_eq!(
            r.text(),
            r#"{"error":"ERR method GET is not allowed here: use POST, PUT, OPTIONS"}"#
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_over_the_limit_is_answered_413() {
    let p = start_with(|c| c.max_body = 64 << 10).await;
    let chunk = format!("{:x}\r\n{}\r\n", 64 << 10, "x".repeat(64 << 10));
    let mut attack = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        bearer()
    );
    for _ in 0..128 {
        attack.push_str(&chunk); // 8 MB
    }
    attack.push_str("0\r\n\r\n");
    let answer = raw_exchange(p.addr, attack.into_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.300}");
    assert!(
        answer.ends_with(r#"{"error":"ERR request body too large: the limit is 65536 bytes (HEDGESTORE_PROXY_MAX_BODY)"}"#),
        "{answer}"
    );
    served(p.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_command_in_a_pipeline_fails_only_its_entry() {
    let p = start().await;
    let r = post(
        p.addr,
        "/pipeline",
        r#"[["set","a","1"],[],["get","a"],["set","b",null]]"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(
        text.starts_with(r#"[{"result":"OK"},{"error":"ERR "#),
        "{text}"
    );
    assert!(text.contains(r#"{"result":"1"},{"error":"ERR "#), "{text}");
    assert_eq!(p.storage.get("a").await.unwrap().unwrap(), "1");
    assert_eq!(p.storage.exists(&["b"]).await.unwrap(), 0);
    // A body that is not a pipeline at all is still a 400.
    let r = post(p.addr, "/pipeline", r#"["set","a","2"]"#).await;
    assert_eq!(r.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_echo_only_a_short_prefix_of_the_input() {
    let p = start().await;
    let long = "z".repeat(512 << 10);
    for body in [
        format!(r#"["{long}","a"]"#),
        format!(r#"["frobnicate","{long}"]"#),
        format!(r#"["set","k","v","{long}"]"#),
        format!(r#"["set","k","v","EX","{long}"]"#),
    ] {
        let r = post(p.addr, "/", &body).await;
        assert_eq!(r.status, 400);
        assert!(
            r.body.len() < 400,
            "{} bytes: {:.100}",
            r.body.len(),
            r.text()
        );
        assert!(
            r.text().starts_with(r#"{"error":"ERR "#),
            "{:.100}",
            r.text()
        );
    }
    let r = post(p.addr, "/pipeline", &format!(r#"[["{long}"]]"#)).await;
    assert!(r.body.len() < 400, "{} bytes", r.body.len());
    served(p.addr).await;
}
