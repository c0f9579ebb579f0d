//! A network partition between the application and Redis, under write load, through the
//! fallback storage: packets silently lost (no refusal, no reset), new connections hanging,
//! then the network healing. Every acknowledged write ends up in Redis exactly once; a write
//! whose outcome was unknown (`Timeout`/`OutcomeUnknown`) is applied at most once.
//!
//! The partition is real and stays on loopback: the test runs itself again inside a private
//! network namespace (`unshare -n`, which needs root, as CI has), starts `redis-server` on
//! that namespace's `127.0.0.1`, and takes the namespace's loopback interface down and up
//! again (`ip link set lo down|up`). With `lo` down, new connections hang on their SYN and
//! data on established ones is lost until the link is back, when TCP retransmits it: what a
//! partition does to a client, unlike killing or freezing the server.

mod support;

use support::fast;

use std::collections::HashMap;
use std::process::Command as Process;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hedgestore::{BackendKind, Storage, StorageConfig, StorageError};
use hedgestore_testkit::{RedisServer, Resp};
use tokio::time::Instant;

const INSIDE: &str = "HEDGESTORE_PARTITION_NETNS";
const WRITERS: usize = 8;

fn ip(args: &[&str]) {
    let status = Process::new("ip")
        .args(args)
        .status()
        .expect("`ip` (iproute2) runs");
    assert!(status.success(), "ip {args:?}: {status}");
}

#[test]
fn a_partition_loses_no_acknowledged_write_and_applies_none_twice() {
    in_network_namespace(
        "a_partition_loses_no_acknowledged_write_and_applies_none_twice",
        || partition_scenario(Restart::No),
    );
}

#[test]
fn a_partition_longer_than_redis_idle_timeout_loses_nothing() {
    in_network_namespace(
        "a_partition_longer_than_redis_idle_timeout_loses_nothing",
        || partition_scenario(Restart::IdleTimeout),
    );
}

#[test]
fn a_redis_restarted_empty_during_a_partition_gets_every_write_back() {
    in_network_namespace(
        "a_redis_restarted_empty_during_a_partition_gets_every_write_back",
        || partition_scenario(Restart::EmptyDuringPartition),
    );
}

/// Runs `scenario` when already inside the test's network namespace; otherwise runs the test
/// `name` of this binary again inside a fresh one and asserts it passed.
fn in_network_namespace(name: &str, scenario: impl FnOnce()) {
    if std::env::var_os(INSIDE).is_some() {
        return scenario();
    }
    let output = Process::new("unshare")
        .arg("-n")
        .arg(std::env::current_exe().expect("the test binary"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .expect("unshare (util-linux) runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the scenario failed in its network namespace ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // The inner run must have run the scenario (not matched zero tests).
    assert!(stdout.contains("1 passed"), "{stdout}\n{stderr}");
    eprint!("{stderr}");
}

/// What one writer saw.
#[derive(Default, Debug)]
struct Seen {
    /// Elements whose RPUSH was acknowledged.
    acked: Vec<u64>,
    /// Elements whose RPUSH answered Timeout or OutcomeUnknown.
    unknown: Vec<u64>,
    /// The slowest call.
    slowest: Duration,
}

/// Whether Redis is also restarted while the network is cut.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Restart {
    No,
    /// Not restarted, but set to close connections idle for a second (`timeout 1`): during
    /// the partition it closes every connection of the client, whose goodbye is lost.
    IdleTimeout,
    /// Killed during the partition and restarted empty as the network heals: the client's
    /// connections are then half-open (the server side is gone without a word reaching the
    /// client) and must be noticed and replaced.
    EmptyDuringPartition,
}

fn partition_scenario(restart: Restart) {
    ip(&["link", "set", "lo", "up"]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut server = RedisServer::start().expect("redis-server in the namespace");
        let config = fast(
            StorageConfig::default().redis_url(format!("redis://127.0.0.1:{}", server.port())),
        );
        if restart == Restart::IdleTimeout {
            let mut direct = server.connect().expect("a direct connection");
            direct
                .call(&[b"CONFIG".as_slice(), b"SET", b"timeout", b"1"])
                .expect("CONFIG SET timeout");
        }
        let storage = Storage::connect(config).await.expect("connects");
        assert_eq!(storage.health().await.backend, BackendKind::Redis);

        let stop = Arc::new(AtomicBool::new(false));
        let seen: Arc<Vec<Mutex<Seen>>> =
            Arc::new((0..WRITERS).map(|_| Mutex::new(Seen::default())).collect());
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let (storage, stop, seen) = (storage.clone(), stop.clone(), seen.clone());
            writers.push(tokio::spawn(async move {
                let key = format!("partition:list:{w}");
                let mut i = 0u64;
                while !stop.load(Ordering::Acquire) {
                    i += 1;
                    let started = Instant::now();
                    let result = storage.rpush(&key, &[i.to_string()]).await;
                    {
                        let mut seen = seen[w].lock().unwrap();
                        seen.slowest = seen.slowest.max(started.elapsed());
                    }
                    match result {
                        Ok(_) => seen[w].lock().unwrap().acked.push(i),
                        Err(StorageError::Timeout(_) | StorageError::OutcomeUnknown(_)) => {
                            seen[w].lock().unwrap().unknown.push(i)
                        }
                        Err(e) => panic!("writer {w}, element {i}: {e}"),
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;

        ip(&["link", "set", "lo", "down"]);
        let partitioned = Instant::now();
        // The health check notices within its timeout; writes go on, into memory.
        let deadline = partitioned + Duration::from_secs(20);
        while storage.health().await.backend != BackendKind::Memory {
            assert!(
                Instant::now() < deadline,
                "no failover during the partition"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("failover {:?} after the partition", partitioned.elapsed());
        let during = acked_total(&seen);
        // Longer than Redis's idle timeout in the `IdleTimeout` scenario.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(
            acked_total(&seen) > during,
            "writes are acknowledged during the partition"
        );

        if restart == Restart::EmptyDuringPartition {
            // Its goodbye (FIN/RST) is lost with the link down.
            server.kill();
        }
        ip(&["link", "set", "lo", "up"]);
        if restart == Restart::EmptyDuringPartition {
            server.restart().expect("redis-server restarts empty");
        }
        let healed = Instant::now();
        let deadline = healed + Duration::from_secs(60);
        while storage.health().await.backend != BackendKind::Redis {
            assert!(Instant::now() < deadline, "no recovery after the partition");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("recovered {:?} after the network healed", healed.elapsed());
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Ordering::Release);
        for writer in writers {
            writer.await.expect("writer");
        }
        // Late retransmissions of writes sent before the partition have landed by now:
        // their connections were waited on by the recovery or have timed out.
        tokio::time::sleep(Duration::from_secs(1)).await;

        let mut direct = server.connect().expect("a direct connection");
        let mut unknown_total = 0;
        for (w, seen) in seen.iter().enumerate() {
            let seen = seen.lock().unwrap();
            let key = format!("partition:list:{w}");
            let Resp::Array(Some(items)) = direct
                .call(&[b"LRANGE".as_slice(), key.as_bytes(), b"0", b"-1"])
                .expect("LRANGE")
            else {
                panic!("LRANGE {key} is not an array");
            };
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for item in items {
                let Resp::Bulk(Some(b)) = item else {
                    panic!("a list element is not a string")
                };
                let n: u64 = String::from_utf8(b).unwrap().parse().unwrap();
                *counts.entry(n).or_default() += 1;
            }
            for (n, c) in &counts {
                assert_eq!(*c, 1, "writer {w}: element {n} applied {c} times");
                assert!(
                    seen.acked.contains(n) || seen.unknown.contains(n),
                    "writer {w}: element {n} was never written"
                );
            }
            for n in &seen.acked {
                assert!(
                    counts.contains_key(n),
                    "writer {w}: acknowledged element {n} is missing"
                );
            }
            unknown_total += seen.unknown.len();
        }
        let slowest = seen.iter().map(|s| s.lock().unwrap().slowest).max();
        eprintln!(
            "{} writes acknowledged, {unknown_total} with an unknown outcome; all acknowledged \
             ones in Redis exactly once; slowest call {slowest:?}",
            acked_total(&seen)
        );
        storage.close().await.expect("close");
    });
}

fn acked_total(seen: &[Mutex<Seen>]) -> usize {
    seen.iter().map(|s| s.lock().unwrap().acked.len()).sum()
}
