//! Peak memory of a real `hedgestore-proxy` process under requests that ask for huge replies:
//! a bound check on `VmHWM` (the process's peak resident set), not a timing. Without the
//! reply budget the first of these requests alone builds a 3 GB reply.

mod support;

use support::{post, ProxyProcess};

const MB: usize = 1 << 20;

fn spawn_proxy(extra: &[(&str, &str)]) -> ProxyProcess {
    let extra: Vec<(&str, &std::ffi::OsStr)> = extra
        .iter()
        .map(|(name, value)| (*name, std::ffi::OsStr::new(value)))
        .collect();
    support::spawn_binary(&extra)
}

/// Peak resident set of `pid` in bytes (`VmHWM` in /proc/<pid>/status).
fn peak_rss(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_replies_are_refused_with_peak_memory_bounded() {
    let proxy = spawn_proxy(&[("HEDGESTORE_PROXY_MAX_BODY", "2mb")]);
    let value = "b".repeat(MB);
    let r = post(proxy.addr, "/", &format!(r#"["SET","b","{value}"]"#)).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    let before = peak_rss(proxy.child.id());

    let mget = format!(r#"["MGET"{}]"#, r#","b""#.repeat(3000));
    let r = post(proxy.addr, "/", &mget).await;
    assert_eq!(r.status, 400, "MGET x3000");
    let pipeline = format!("[{}]", vec![r#"["get","b"]"#; 3000].join(","));
    let r = post(proxy.addr, "/pipeline", &pipeline).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("ERR reply exceeds 8 MB"));
    let r = post(proxy.addr, "/multi-exec", &pipeline).await;
    assert_eq!(r.status, 400, "multi-exec x3000");
    let r = post(proxy.addr, "/", r#"["STRLEN","b"]"#).await;
    assert_eq!(r.text(), format!(r#"{{"result":{MB}}}"#));

    let peak = peak_rss(proxy.child.id());
    eprintln!(
        "peak RSS: {} MB before the attack, {} MB after",
        before / MB,
        peak / MB
    );
    // The budget is 8 MB: a pipeline answer of up to 8 MB (and its growth), one 1 MB value
    // read at a time, the 2 MB bodies. 3 GB without the budget.
    assert!(
        peak < before + 64 * MB,
        "peak RSS {} MB (from {} MB)",
        peak / MB,
        before / MB
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_that_never_read_hold_bounded_memory() {
    const SUBSCRIBERS: usize = 20;
    let proxy = spawn_proxy(&[("HEDGESTORE_PROXY_SSE_HARD_LIMIT", "1mb")]);
    let auth = support::bearer();
    let mut stuck = Vec::with_capacity(SUBSCRIBERS);
    for _ in 0..SUBSCRIBERS {
        let mut events = support::Events::open(
            proxy.addr,
            "POST",
            "/subscribe/firehose",
            &[("Authorization", &auth)],
        )
        .await;
        assert_eq!(
            events.next(std::time::Duration::from_secs(30)).await,
            Some("data: subscribe,firehose,1".to_string())
        );
        stuck.push(events);
    }
    let before = peak_rss(proxy.child.id());
    // 50 MB for each subscriber, 1 GB in all, published at readers that take none of it.
    let payload = "p".repeat(256 << 10);
    let body = format!(r#"["PUBLISH","firehose","{payload}"]"#);
    for _ in 0..200 {
        let r = post(proxy.addr, "/", &body).await;
        assert_eq!(r.status, 200, "publishing never waits on a subscriber");
    }
    let started = std::time::Instant::now();
    loop {
        let r = post(proxy.addr, "/", r#"["PUBSUB","NUMSUB","firehose"]"#).await;
        if r.text() == r#"{"result":["firehose",0]}"# {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "still subscribed: {}",
            r.text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let peak = peak_rss(proxy.child.id());
    eprintln!(
        "peak RSS: {} MB with {SUBSCRIBERS} subscribers, {} MB after 1 GB of messages",
        before / MB,
        peak / MB
    );
    // Each subscriber holds at most its 1 MB queue (plus a 16 KB write buffer); the kernel's
    // socket buffers are not in the process's RSS.
    assert!(
        peak < before + 64 * MB,
        "peak RSS {} MB (from {} MB)",
        peak / MB,
        before / MB
    );
    drop(stuck);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_heads_hold_bounded_memory() {
    const CONNECTIONS: usize = 400;
    let proxy = spawn_proxy(&[]);
    let r = post(proxy.addr, "/", r#"["SET","k","v"]"#).await;
    assert_eq!(r.status, 200);
    let before = peak_rss(proxy.child.id());
    // Each connection sends 300 KB of a head that never ends (the attack that took 2.6 GB at
    // the connection limit). Past 16 KB the proxy answers 431 and closes.
    let filler = format!(
        "GET /get/k HTTP/1.1\r\nHost: x\r\nX-Filler: {}",
        "f".repeat(300 << 10)
    );
    let mut held = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let stream = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
        let (read, mut write) = stream.into_split();
        let filler = filler.clone();
        held.push((
            read,
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let _ = write.write_all(filler.as_bytes()).await;
                write
            }),
        ));
    }
    // Every one of them is answered (431) or closed; a well-behaved client is served.
    for (mut read, writer) in held {
        use tokio::io::AsyncReadExt;
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            read.read_to_end(&mut sink),
        )
        .await
        .expect("answered and closed");
        writer.abort();
    }
    // Heads just under the limit, held open until the header timeout.
    let partial = format!(
        "GET /get/k HTTP/1.1\r\nHost: x\r\nX-Filler: {}",
        "f".repeat(15 << 10)
    );
    let mut open = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
        stream.write_all(partial.as_bytes()).await.unwrap();
        open.push(stream);
    }
    // Served meanwhile (the peer's 1000 connections are not all taken).
    let r = post(proxy.addr, "/", r#"["GET","k"]"#).await;
    assert_eq!(r.text(), r#"{"result":"v"}"#);
    let peak = peak_rss(proxy.child.id());
    drop(open);
    eprintln!(
        "peak RSS: {} MB before, {} MB after {CONNECTIONS} connections x 300 KB of head \
         and {CONNECTIONS} holding 15 KB",
        before / MB,
        peak / MB
    );
    assert!(
        peak < before + 64 * MB,
        "peak RSS {} MB (from {} MB)",
        peak / MB,
        before / MB
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_their_replies_cannot_pile_them_up() {
    const HOGS: usize = 80;
    const VALUE: usize = 8 * MB;
    const INFLIGHT: usize = 64 * MB;
    let proxy = spawn_proxy(&[
        ("HEDGESTORE_PROXY_MAX_BODY", "9mb"),
        ("HEDGESTORE_PROXY_MAX_REPLY", "13mb"),
        ("HEDGESTORE_PROXY_MAX_INFLIGHT", "64mb"),
    ]);
    let value = "b".repeat(VALUE);
    let r = post(proxy.addr, "/", &format!(r#"["SET","b","{value}"]"#)).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    let before = peak_rss(proxy.child.id());

    // 80 clients ask for the 8 MB value and never read a byte of it: 640 MB of replies, ten
    // times the in-flight limit (the kernel's socket buffers take up to 4 MB of each, outside
    // the process).
    let auth = support::bearer();
    let mut hogs = Vec::with_capacity(HOGS);
    for _ in 0..HOGS {
        let mut conn = support::Conn::open(proxy.addr).await;
        conn.send("GET", "/get/b", &[("Authorization", &auth)], b"")
            .await;
        hogs.push(conn);
    }
    // Meanwhile a well-behaved client is told the proxy is busy (503, nothing applied) or
    // served, never left hanging; small requests and /health go through.
    let started = std::time::Instant::now();
    let mut busy = 0;
    for _ in 0..10 {
        if busy > 0 {
            break;
        }
        let r = support::get(proxy.addr, "/get/b").await;
        match r.status {
            503 => {
                assert!(r.text().contains("ERR the proxy is busy"), "{}", r.text());
                assert!(r.text().contains("HEDGESTORE_PROXY_MAX_INFLIGHT"));
                busy += 1;
            }
            200 => assert_eq!(r.text().len(), VALUE + 13),
            other => panic!("status {other}: {}", r.text()),
        }
    }
    assert!(
        busy > 0,
        "80 unread 8 MB replies never filled a 64 MB limit"
    );
    let r = post(proxy.addr, "/", r#"["INCR","small"]"#).await;
    assert_eq!(r.text(), r#"{"result":1}"#);
    assert_eq!(support::get(proxy.addr, "/health").await.status, 200);
    let peak = peak_rss(proxy.child.id());
    eprintln!(
        "peak RSS: {} MB before, {} MB with {HOGS} unread replies ({:?})",
        before / MB,
        peak / MB,
        started.elapsed()
    );
    assert!(
        peak < before + INFLIGHT + 48 * MB,
        "peak RSS {} MB (from {} MB)",
        peak / MB,
        before / MB
    );

    // The hogs still neither read nor close, but replies not taken within 30 s have their
    // connections closed: the value can be read again.
    let started = std::time::Instant::now();
    loop {
        let r = support::get(proxy.addr, "/get/b").await;
        if r.status == 200 {
            assert_eq!(r.text().len(), VALUE + 13);
            break;
        }
        assert_eq!(r.status, 503, "{}", r.text());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "still busy after 2 minutes"
        );
    }
    let r = post(proxy.addr, "/", r#"["STRLEN","b"]"#).await;
    assert_eq!(r.text(), format!(r#"{{"result":{VALUE}}}"#));
    drop(hogs);
}
