//! Scripts on the fallback backend: they pass through to Redis, the keys they declare leave
//! the memory mirror (a script's effects cannot be copied there), they are never journaled,
//! and during an outage they are refused with a clear error.

mod support;

use support::config;

use std::time::Duration;

use hedgestore::{BackendKind, Bytes, Error, Reply, Storage, StorageError};
use hedgestore_testkit::RedisServer;
use tokio::time::Instant;

/// Reads `key` until the storage serves from memory, then answers memory's value.
async fn read_after_failover(s: &Storage, key: &str) -> Option<Bytes> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = s.get(key).await;
        if s.health().await.backend == BackendKind::Memory {
            return s.get(key).await.unwrap();
        }
        assert!(Instant::now() < deadline, "no failover: {value:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_passes_through_and_its_keys_leave_the_mirror() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    assert_eq!(s.health().await.backend, BackendKind::Redis);
    s.set("k", "before", None).await.unwrap();
    s.set("other", "kept", None).await.unwrap();
    let script = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])";
    assert_eq!(
        s.eval(script, &["k"], &["after"]).await.unwrap(),
        Reply::Bulk(b"after".to_vec())
    );
    // A failing script still keeps the writes it made before failing: its keys go too.
    s.set("half", "before", None).await.unwrap();
    let failing = "redis.call('SET', KEYS[1], 'changed') return redis.call('INCR', KEYS[1])";
    assert!(s.eval(failing, &["half"], &[] as &[&str]).await.is_err());
    server.kill();
    assert_eq!(
        read_after_failover(&s, "k").await,
        None,
        "the mirror forgot the script's key rather than keep a stale value"
    );
    assert_eq!(s.get("half").await.unwrap(), None);
    assert_eq!(s.get("other").await.unwrap(), Some(Bytes::from("kept")));
    let refused = s.eval(script, &["k"], &["outage"]).await;
    assert!(
        matches!(
            refused,
            Err(StorageError::Command(Error::ScriptsNeedReachableRedis))
        ),
        "{refused:?}"
    );
    let mut tx = s.transaction();
    tx.set("t", "1", None);
    tx.eval(script, &["k"], &["outage"]);
    let refused = tx.execute().await;
    assert!(
        matches!(
            refused,
            Err(StorageError::Command(Error::ScriptsNeedReachableRedis))
        ),
        "{refused:?}"
    );
    assert_eq!(
        s.get("t").await.unwrap(),
        None,
        "the refused transaction wrote nothing"
    );
    assert_eq!(
        s.get("k").await.unwrap(),
        None,
        "the refused script ran nowhere"
    );
}
