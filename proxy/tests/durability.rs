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
