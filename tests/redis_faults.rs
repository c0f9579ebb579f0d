//! What users of Redis clients complain about, each against a real `redis-server` that the
//! test kills, restarts or freezes: lost subscriptions after a reconnect, a first command
//! failing after a dropped connection, commands hanging without timeouts, a client stuck
//! after an auth error, retry loops without bound.

mod support;

use support::forwarding;

use std::time::Duration;

use hedgestore::{RedisStorage, Storage, StorageConfig, StorageError};
use hedgestore_testkit::RedisServer;
use tokio::time::Instant;

const TIMEOUT: Duration = Duration::from_millis(500);
/// What "never a hang" means in these tests: the operation timeout plus a margin generous
/// enough for a loaded 2-core machine (a bound, not a speed claim; BENCHMARKS.md has speeds).
const BOUND: Duration = Duration::from_secs(3);

fn config(server: &RedisServer) -> StorageConfig {
    StorageConfig::default()
        .redis_url(server.url())
        .redis_response_timeout(TIMEOUT)
        .redis_connect_timeout(Duration::from_millis(300))
        .redis_health_check_interval(Duration::from_millis(100))
        .redis_backoff(
            Duration::from_millis(20),
            2.0,
            Duration::from_millis(200),
            4,
        )
}

async fn connect(server: &RedisServer) -> (RedisStorage, Storage) {
    let redis = RedisStorage::connect(config(server).redis).await.unwrap();
    (redis.clone(), Storage::new(redis))
}

/// Retries `op` until it succeeds or `within` passes.
async fn eventually<T, F, Fut>(within: Duration, mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = hedgestore::Result<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        match op().await {
            Ok(v) => return v,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("still failing after {within:?}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_fails_fast_then_works_again_after_restart() {
    let mut server = RedisServer::start().unwrap();
    let (_, s) = connect(&server).await;
    s.set("k", "before", None).await.unwrap();
    server.kill();
    // While it is down: a typed error within the timeout, never a hang: Unavailable, or
    // Timeout for a read whose reconnect attempts outlasted the timeout; a write may also be
    // OutcomeUnknown (sent on a connection that broke, for all the client knows).
    for _ in 0..3 {
        let start = Instant::now();
        let err = s.get("k").await.unwrap_err();
        assert!(
            matches!(err, StorageError::Unavailable(_) | StorageError::Timeout(_)),
            "{err}"
        );
        assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
        let err = s.incr("n").await.unwrap_err();
        assert!(
            matches!(
                err,
                StorageError::Unavailable(_) | StorageError::OutcomeUnknown(_)
            ),
            "{err}"
        );
    }
    server.restart().unwrap();
    // The data died with the server (no persistence); the client recovers by itself.
    let value = eventually(Duration::from_secs(5), || s.get("k")).await;
    assert_eq!(value, None);
    s.set("k", "after", None).await.unwrap();
    assert_eq!(s.get_string("k").await.unwrap().as_deref(), Some("after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_command_after_a_restart_succeeds() {
    let mut server = RedisServer::start().unwrap();
    let (_, s) = connect(&server).await;
    s.set("k", "v", None).await.unwrap();
    server.restart().unwrap();
    // Wait (without sending commands) until two health-check rounds have run since the
    // restart: the second one found the command connection re-established.
    let after_restart = s.health().await.health_checks;
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.health().await.health_checks < after_restart + 2 {
        assert!(Instant::now() < deadline, "the health checks stopped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Not a read: a write, which is only retried when it provably was not sent.
    s.set("first", "write", None)
        .await
        .expect("the first write after the restart");
    assert_eq!(
        s.get_string("first").await.unwrap().as_deref(),
        Some("write")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_server_times_out_instead_of_hanging() {
    let server = RedisServer::start().unwrap();
    let (_, s) = connect(&server).await;
    s.set("k", "v", None).await.unwrap();
    server.pause().unwrap();
    // A read gets Timeout (nothing changed), a write OutcomeUnknown (sent: a stopped Redis
    // applies it when it resumes), each within the timeout.
    let start = Instant::now();
    let err = s.get("k").await.unwrap_err();
    assert!(matches!(err, StorageError::Timeout(_)), "{err}");
    assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
    let start = Instant::now();
    let err = s.rpush("l", &["x"]).await.unwrap_err();
    assert!(matches!(err, StorageError::OutcomeUnknown(_)), "{err}");
    assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
    server.resume().unwrap();
    let v = eventually(Duration::from_secs(5), || s.get_string("k")).await;
    assert_eq!(v.as_deref(), Some("v"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_restored_after_a_restart() {
    let mut server = RedisServer::start().unwrap();
    let (_, s) = connect(&server).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let tx2 = tx.clone();
    let _sub = s.subscribe("news", forwarding(tx.clone())).await.unwrap();
    let _psub = s
        .psubscribe("prices.*", forwarding(tx2.clone()))
        .await
        .unwrap();
    s.publish("news", "before").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got[..], b"before");

    server.restart().unwrap();
    // Publish until the restored subscriptions see it (publishing returns the receiver count).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(n) = s.publish("news", "after").await {
            if n == 1 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "channel subscription not restored"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got[..], b"after");
    assert_eq!(
        s.publish("prices.eur", "p").await.unwrap(),
        1,
        "pattern subscription restored"
    );
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got[..], b"p");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_an_error_that_names_no_secret() {
    let server = RedisServer::start_with_password(Some("right-password")).unwrap();
    let config = StorageConfig::default()
        .redis_host("127.0.0.1")
        .redis_port(server.port())
        .redis_password("wrong-password-xyz")
        .redis_connect_timeout(Duration::from_millis(500))
        .redis_response_timeout(TIMEOUT);
    let start = Instant::now();
    let err = RedisStorage::connect(config.redis.clone())
        .await
        .unwrap_err();
    assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("wrong-password-xyz") && !text.contains("right-password"),
        "{text}"
    );
    assert!(matches!(err, StorageError::Unavailable(_)), "{err}");
    assert!(
        err.to_string().contains("authentication failed"),
        "a wrong password is named as such: {err}"
    );
    // The fallback storage starts anyway, and its health names the cause.
    let fallback = Storage::connect(config.clone()).await.unwrap();
    let health = fallback.health().await;
    assert!(
        health
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("authentication failed")),
        "{health:?}"
    );
    // The right password works, and the client is not stuck after the failure.
    let good = StorageConfig::default()
        .redis_host("127.0.0.1")
        .redis_port(server.port())
        .redis_password("right-password");
    let s = Storage::new(RedisStorage::connect(good.redis).await.unwrap());
    s.set("k", "v", None).await.unwrap();
    assert!(!format!("{s:?}").contains("right-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_comes_back_gets_bounded_retries() {
    let mut server = RedisServer::start().unwrap();
    let (redis, s) = connect(&server).await;
    server.kill();
    // Many calls while down: each bounded by the timeout, none hangs, and the storage
    // reports itself down with the last error.
    let start = Instant::now();
    for _ in 0..5 {
        assert!(s.get("k").await.is_err());
    }
    assert!(start.elapsed() < 5 * BOUND, "took {:?}", start.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let health = s.health().await;
    assert!(!health.healthy);
    assert!(health.last_error.is_some());
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_latency_and_reconnects() {
    let mut server = RedisServer::start().unwrap();
    let (_, s) = connect(&server).await;
    let h = s.health().await;
    assert!(h.healthy);
    assert!(h.latency.is_some());
    assert_eq!(h.reconnects, 0);
    server.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let h = s.health().await;
        if h.healthy && h.reconnects >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no reconnect recorded: {h:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An outage longer than every reconnect backoff cycle (here: 4 attempts, at most 200 ms
/// apart): when the server is back, the health checks notice it by themselves (each round
/// connects whatever the backoff says) and calls work again, with no call made meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_longer_than_the_backoff_cycles_still_ends_in_a_reconnect() {
    let mut server = RedisServer::start().unwrap();
    let (_, s) = connect(&server).await;
    s.set("k", "before", None).await.unwrap();
    server.kill();
    // 20 health rounds, each a failed connect on both of the storage's connections: far
    // past the 4 attempts of a cycle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!s.health().await.healthy);
    server.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.health().await.healthy {
        assert!(
            Instant::now() < deadline,
            "never healthy again after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.set("k", "after", None).await.unwrap();
    assert_eq!(s.get_string("k").await.unwrap().as_deref(), Some("after"));
}

/// A write whose operation deadline passes while the storage is still connecting (the
/// server accepts TCP connections but answers nothing: stopped with SIGSTOP) was never
/// sent: it answers `Unavailable` ("nothing was applied"), not `OutcomeUnknown`, and the
/// server, once resumed, does not hold it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_deadline_passes_while_connecting_was_never_sent() {
    let server = RedisServer::start().unwrap();
    server.pause().unwrap();
    for connect_timeout in [Duration::from_millis(300), Duration::from_secs(5)] {
        let redis = RedisStorage::connect_lazy(
            config(&server).redis_connect_timeout(connect_timeout).redis,
        )
        .unwrap();
        let s = Storage::new(redis);
        let start = Instant::now();
        let err = s.rpush("never", &["x"]).await.unwrap_err();
        assert!(
            matches!(err, StorageError::Unavailable(_)),
            "connect timeout {connect_timeout:?}: {err}"
        );
        assert!(start.elapsed() < BOUND, "took {:?}", start.elapsed());
        s.close().await.unwrap();
    }
    server.resume().unwrap();
    let (_, s) = connect(&server).await;
    assert_eq!(
        s.llen("never").await.unwrap(),
        0,
        "a write reported unsent was applied"
    );
}
