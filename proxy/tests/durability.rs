//! `hedgestore-proxy` on the memory backend with a data directory, killed with SIGKILL under
//! load and restarted: every write it acknowledged is there (the log is written before each
//! reply; `everysec` only matters for a power loss, which a process kill is not).

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use support::{post, ProxyProcess, TOKEN};

fn spawn_proxy(dir: &std::path::Path, fsync: &str) -> ProxyProcess {
    support::spawn_binary(&[
        ("HEDGESTORE_FSYNC", std::ffi::OsStr::new(fsync)),
        ("HEDGESTORE_DATA_DIR", dir.as_os_str()),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_kill_9() {
    // 20 crashes at different points, alternating the sync policies (a process crash loses
    // nothing under either: the log is written before each reply; they differ on power loss).
    for run in 0..20u64 {
        let fsync = if run % 2 == 0 { "always" } else { "everysec" };
        // Kill after 50 to ~1,500 acknowledged transactions (a fixed pseudo-random spread).
        let kill_after = 50 + (run * 7919) % 1_450;
        crash_once(run, fsync, kill_after).await;
    }
}

async fn crash_once(run: u64, fsync: &str, kill_after: u64) {
    const WRITERS: usize = 8;
    let dir =
        std::env::temp_dir().join(format!("hedgestore-proxy-aof-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let proxy = spawn_proxy(&dir, fsync);
    let addr = proxy.addr;
    // Each writer increments its own counter and appends to its own list, and counts what
    // was acknowledged.
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..WRITERS).map(|_| AtomicU64::new(0)).collect());
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let acked = Arc::clone(&acked);
        writers.push(tokio::spawn(async move {
            for i in 1u64.. {
                let body = format!(
                    r#"[["INCR","n:{w}"],["RPUSH","l:{w}","{i}"],["SET","last:{w}","{i}","EX","3600"]]"#
                );
                let Ok(Ok((status, text))) = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    try_post(addr, "/multi-exec", &body),
                )
                .await
                else {
                    return;
                };
                if status != 200 {
                    return;
                }
                let expected =
                    format!(r#"[{{"result":{i}}},{{"result":{i}}},{{"result":"OK"}}]"#);
                if text != expected {
                    // A reply cut by the kill is not an acknowledgement.
                    assert!(expected.starts_with(&text), "{text}");
                    return;
                }
                acked[w].store(i, Ordering::SeqCst);
            }
        }));
    }
    // Let them write for a while, then kill the process mid-stream.
    while acked.iter().map(|a| a.load(Ordering::SeqCst)).sum::<u64>() < kill_after {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut proxy = proxy;
    proxy.child.kill().expect("SIGKILL"); // `Child::kill` is SIGKILL on Unix
    proxy.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    drop(proxy);

    let proxy = spawn_proxy(&dir, fsync);
    for w in 0..WRITERS {
        let acknowledged = acked[w].load(Ordering::SeqCst);
        let text = post(proxy.addr, "/", &format!(r#"["GET","n:{w}"]"#))
            .await
            .text();
        let n: u64 = match text.as_str() {
            r#"{"result":null}"# => 0,
            _ => text
                .trim_start_matches(r#"{"result":""#)
                .trim_end_matches(r#""}"#)
                .parse()
                .unwrap_or_else(|_| panic!("{text}")),
        };
        // Everything acknowledged is there; at most the one write in flight at the kill
        // may have been applied without its reply arriving.
        assert!(
            n == acknowledged || n == acknowledged + 1,
            "run {run} ({fsync}), writer {w}: {n} applied, {acknowledged} acknowledged"
        );
        let len = post(proxy.addr, "/", &format!(r#"["LLEN","l:{w}"]"#))
            .await
            .text();
        assert_eq!(
            len,
            format!(r#"{{"result":{n}}}"#),
            "transactions are whole"
        );
    }
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `POST path` with the token; `Err` when the connection fails (the process was killed).
async fn try_post(addr: SocketAddr, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .ok_or_else(|| std::io::Error::other("no body"))?;
    Ok((status, body))
}

/// `GET /health`'s `backend` ("redis" or "memory"), `None` when the proxy does not answer.
async fn serving(addr: SocketAddr) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let rest = text.split("\"backend\":\"").nth(1)?;
    Some(rest.split('"').next()?.to_string())
}

async fn wait_serving(addr: SocketAddr, backend: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while serving(addr).await.as_deref() != Some(backend) {
        assert!(
            std::time::Instant::now() < deadline,
            "the proxy never served from {backend}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn spawn_fallback_proxy(dir: &std::path::Path, redis: &str) -> ProxyProcess {
    support::spawn_binary(&[
        ("HEDGESTORE_BACKEND", std::ffi::OsStr::new("fallback")),
        ("REDIS_URL", std::ffi::OsStr::new(redis)),
        ("HEDGESTORE_FSYNC", std::ffi::OsStr::new("always")),
        ("HEDGESTORE_DATA_DIR", dir.as_os_str()),
    ])
}

/// The fallback's outage journal on disk: writes acknowledged during an outage, the proxy
/// killed with SIGKILL; restarted while Redis is still down (it serves what it acknowledged
/// and journals more), killed again; Redis restarted empty, the proxy restarted (and killed
/// again in the middle of its replay, at spread points): Redis ends with every acknowledged
/// outage write exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_writes_survive_kill_9_and_reach_redis_exactly_once() {
    let mut server = hedgestore_testkit::RedisServer::start().unwrap();
    let url = server.url();
    let dir = std::env::temp_dir().join(format!("hedgestore-outage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let proxy = spawn_fallback_proxy(&dir, &url);
    let addr = proxy.addr;
    wait_serving(addr, "redis").await;
    assert_eq!(
        post(addr, "/", r#"["SET","before","known"]"#).await.text(),
        r#"{"result":"OK"}"#
    );
    server.kill();
    wait_serving(addr, "memory").await;
    // The outage: counters, lists and a last-write key, each write acknowledged.
    const WRITES: u64 = 300;
    for i in 1..=WRITES {
        for (body, expected) in [
            (
                r#"["INCR","counter"]"#.to_string(),
                format!(r#"{{"result":{i}}}"#),
            ),
            (
                format!(r#"["RPUSH","list","{i}"]"#),
                format!(r#"{{"result":{i}}}"#),
            ),
            (
                format!(r#"["SET","last","{i}","EX","3600"]"#),
                r#"{"result":"OK"}"#.to_string(),
            ),
        ] {
            assert_eq!(post(addr, "/", &body).await.text(), expected, "{body}");
        }
    }
    let mut proxy = proxy;
    proxy.child.kill().expect("SIGKILL");
    proxy.child.wait().unwrap();
    drop(proxy);

    // Restarted while Redis is still down: it serves what it acknowledged from its journal,
    // and journals more.
    let mut again = spawn_fallback_proxy(&dir, &url);
    assert_eq!(serving(again.addr).await.as_deref(), Some("memory"));
    assert_eq!(
        post(again.addr, "/", r#"["GET","counter"]"#).await.text(),
        format!(r#"{{"result":"{WRITES}"}}"#)
    );
    const MORE: u64 = 10;
    for i in 1..=MORE {
        assert_eq!(
            post(
                again.addr,
                "/",
                &format!(r#"["RPUSH","list","{}"]"#, WRITES + i)
            )
            .await
            .text(),
            format!(r#"{{"result":{}}}"#, WRITES + i)
        );
    }
    again.child.kill().expect("SIGKILL");
    again.child.wait().unwrap();
    drop(again);

    // Redis back, empty; the proxy restarts from its data directory and replays. It is
    // killed again a few times during that replay (at spread points), then left to finish.
    server.restart().unwrap();
    for delay_ms in [0u64, 15, 40, 90] {
        let mut again = spawn_fallback_proxy(&dir, &url);
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        again.child.kill().expect("SIGKILL");
        again.child.wait().unwrap();
    }
    let proxy = spawn_fallback_proxy(&dir, &url);
    wait_serving(proxy.addr, "redis").await;

    let mut redis = server.connect().unwrap();
    use hedgestore_testkit::Resp;
    assert_eq!(
        redis.call(&["GET", "counter"]).unwrap(),
        Resp::Bulk(Some(WRITES.to_string().into_bytes())),
        "every acknowledged INCR once"
    );
    let expected: Vec<Resp> = (1..=WRITES + MORE)
        .map(|i| Resp::Bulk(Some(i.to_string().into_bytes())))
        .collect();
    assert_eq!(
        redis.call(&["LRANGE", "list", "0", "-1"]).unwrap(),
        Resp::Array(Some(expected)),
        "every acknowledged RPUSH once, in order"
    );
    assert_eq!(
        redis.call(&["GET", "last"]).unwrap(),
        Resp::Bulk(Some(WRITES.to_string().into_bytes()))
    );
    match redis.call(&["TTL", "last"]).unwrap() {
        Resp::Int(ttl) => assert!((3000..=3600).contains(&ttl), "TTL {ttl}: not extended"),
        other => panic!("{other:?}"),
    }
    // Served from Redis now, and the journal file is empty again (its header only).
    assert_eq!(
        post(proxy.addr, "/", r#"["INCR","counter"]"#).await.text(),
        format!(r#"{{"result":{}}}"#, WRITES + 1)
    );
    let file = std::fs::metadata(dir.join("hedgestore-outage.journal")).unwrap();
    assert_eq!(file.len(), 8, "emptied after the recovery");
    drop(proxy);
    let _ = std::fs::remove_dir_all(&dir);
}
