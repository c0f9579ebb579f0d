//! What the fault tests share: timeouts short enough for a test (a failover within a few
//! hundred milliseconds) and waiting for the backend that serves.
#![allow(dead_code)]

use std::time::Duration;

use hedgestore::{BackendKind, Bytes, Handler, Storage, StorageConfig};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// `config` with the test timings: 300 ms response timeout, 200 ms connect timeout, a
/// health check every 100 ms that gives up after 600 ms, reconnect backoff 20 ms × 2ⁿ up
/// to 200 ms, 3 attempts.
pub fn fast(config: StorageConfig) -> StorageConfig {
    config
        .redis_response_timeout(Duration::from_millis(300))
        .redis_connect_timeout(Duration::from_millis(200))
        .redis_health_check_interval(Duration::from_millis(100))
        .redis_health_check_timeout(Duration::from_millis(600))
        .redis_backoff(
            Duration::from_millis(20),
            2.0,
            Duration::from_millis(200),
            3,
        )
}

/// The test timings for a `redis-server` on loopback port `port`.
pub fn config(port: u16) -> StorageConfig {
    fast(StorageConfig::default().redis_url(format!("redis://127.0.0.1:{port}")))
}

/// Waits until `s` serves from `backend`, failing the test after `within`.
pub async fn wait_for_backend(s: &Storage, backend: BackendKind, within: Duration) {
    let deadline = Instant::now() + within;
    while s.health().await.backend != backend {
        assert!(
            Instant::now() < deadline,
            "still not on {backend:?} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A handler that forwards every payload it receives into `tx`.
pub fn forwarding(tx: mpsc::UnboundedSender<Bytes>) -> Handler {
    hedgestore::handler(move |_, payload| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(payload);
        }
    })
}

/// A handler forwarding every payload it receives to the returned channel.
pub fn collecting_handler() -> (Handler, mpsc::UnboundedReceiver<Bytes>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (forwarding(tx), rx)
}
