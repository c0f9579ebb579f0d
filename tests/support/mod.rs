//! What the tests share: timeouts short enough for a test (a failover within a few
//! hundred milliseconds), waiting for the backend that serves, temporary directories.
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

/// What one load task saw: its key, writes acknowledged, writes with an unknown outcome
/// (`OutcomeUnknown`), and the calls that failed with `Unavailable` (when each started, and
/// the error).
#[derive(Debug)]
pub struct Seen {
    /// The counter this task INCRs.
    pub key: String,
    /// Writes acknowledged.
    pub acked: u64,
    /// Writes answered `OutcomeUnknown` (may or may not have been applied).
    pub unknown: u64,
    /// Calls answered `Unavailable`: when each started, and the error.
    pub errors: Vec<(std::time::Instant, String)>,
}

/// Load: tasks INCR their own counters (`<prefix>:<task>`) until stopped.
pub struct Load {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    acked: std::sync::Arc<std::sync::atomic::AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<Seen>>,
}

/// Starts `tasks` load tasks, task `t` writing through `storage(t)`. `Unavailable` (the
/// documented error of a write whose connection broke: it may or may not have been applied)
/// is recorded and the task goes on after 20 ms; `OutcomeUnknown` is counted; any other
/// error fails the test (an undocumented error).
pub fn start_load(tasks: usize, prefix: &str, storage: impl Fn(usize) -> Storage) -> Load {
    use std::sync::atomic::Ordering;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let tasks = (0..tasks)
        .map(|t| {
            let s = storage(t);
            let (stop, total) = (stop.clone(), acked.clone());
            let key = format!("{prefix}:{t}");
            tokio::spawn(async move {
                let mut seen = Seen {
                    key,
                    acked: 0,
                    unknown: 0,
                    errors: Vec::new(),
                };
                while !stop.load(Ordering::Relaxed) {
                    let started = std::time::Instant::now();
                    match s.incr(seen.key.as_str()).await {
                        Ok(_) => {
                            seen.acked += 1;
                            total.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(hedgestore::StorageError::OutcomeUnknown(_)) => seen.unknown += 1,
                        Err(e @ hedgestore::StorageError::Unavailable(_)) => {
                            seen.errors.push((started, e.to_string()));
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err(e) => panic!("{}: an undocumented error: {e}", seen.key),
                    }
                }
                seen
            })
        })
        .collect();
    Load { stop, acked, tasks }
}

impl Load {
    /// Waits until `n` more writes than now are acknowledged (instead of sleeping for a
    /// while). The bound fails a stuck load, it is no speed claim.
    pub async fn wait_for_more(&self, n: u64) {
        use std::sync::atomic::Ordering;
        let target = self.acked.load(Ordering::Relaxed) + n;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.acked.load(Ordering::Relaxed) < target {
            assert!(
                Instant::now() < deadline,
                "the load acknowledged fewer than {n} writes in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the tasks and returns what each saw, in task order.
    pub async fn stop(self) -> Vec<Seen> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut seen = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            seen.push(task.await.expect("a load task"));
        }
        seen
    }
}

/// A directory removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// Its path.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty directory under the system's temporary directory, named after `what`,
/// this process and a counter.
pub fn tempdir(what: &str) -> TempDir {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hedgestore-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}
