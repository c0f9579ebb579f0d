//! The fallback's metrics across a real outage: a `redis-server` of this test's own is
//! killed and restarted while a test recorder (installed for this whole binary: a global
//! recorder can be installed once per process) watches failovers, recoveries, the outage
//! journal and the replay.

mod support;

use support::{config, wait_for_backend};

use std::collections::BTreeMap;
use std::time::Duration;

use std::sync::LazyLock;

use hedgestore::{BackendKind, BaseStorage, RedisStorage, Storage, StorageError, Ttl};
use hedgestore_testkit::RedisServer;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// The recorder of this binary (a global recorder can be installed once per process),
/// behind a lock that keeps its tests apart: each reads what changed since its own
/// previous snapshot.
static RECORDER: LazyLock<tokio::sync::Mutex<Snapshotter>> = LazyLock::new(|| {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this binary");
    tokio::sync::Mutex::new(snapshotter)
});

/// What changed since the previous snapshot (the debugging recorder resets every value on
/// each): counters by how much they grew, gauges by their last `set` or the sum of their
/// increments, histograms by their number of samples. Keyed by `name{k=v,…}`.
/// `hedgestore_commands_total` is handed over as absolute totals at each export (each
/// `health()` call): `totals` keeps the last ones, to turn them into differences.
fn snapshot(
    snapshotter: &Snapshotter,
    totals: &mut BTreeMap<String, f64>,
) -> BTreeMap<String, f64> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (_, key) = key.into_parts();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            let series = format!("{}{{{}}}", key.name(), labels.join(","));
            let value = match value {
                DebugValue::Counter(n) if key.name() == "hedgestore_commands_total" => {
                    let last = totals.entry(series.clone()).or_default();
                    let total = (n as f64).max(*last);
                    let grown = total - *last;
                    *last = total;
                    grown
                }
                DebugValue::Counter(n) => n as f64,
                DebugValue::Gauge(g) => g.into_inner(),
                DebugValue::Histogram(samples) => samples.len() as f64,
            };
            (series, value)
        })
        .collect()
}

fn value(metrics: &BTreeMap<String, f64>, series: &str) -> f64 {
    metrics.get(series).copied().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_and_restart_show_as_one_failover_one_recovery_and_a_replayed_journal() {
    let snapshotter = RECORDER.lock().await;
    let mut totals = BTreeMap::new();
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    assert_eq!(s.health().await.backend, BackendKind::Redis);
    snapshot(&snapshotter, &mut totals);

    for i in 0..5 {
        s.set(format!("before:{i}"), "v", None).await.unwrap();
    }
    // A pipeline's commands count one by one, each with its own outcome.
    let mut pipe = s.pipeline();
    pipe.set("before:p", "v", None)
        .incr("before:p")
        .get("before:p");
    let replies = pipe.execute().await;
    assert!(replies[1].is_err(), "INCR of a non-number: {replies:?}");
    s.health().await; // hands the command counts to the recorder
    let on_redis = snapshot(&snapshotter, &mut totals);
    assert_eq!(
        value(
            &on_redis,
            "hedgestore_commands_total{backend=redis,command=set,outcome=ok}"
        ),
        6.0
    );
    assert_eq!(
        value(
            &on_redis,
            "hedgestore_commands_total{backend=redis,command=incr,outcome=command_error}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &on_redis,
            "hedgestore_commands_total{backend=redis,command=get,outcome=ok}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &on_redis,
            "hedgestore_commands_total{backend=memory,command=set,outcome=ok}"
        ),
        0.0,
        "mirroring Redis's writes into memory is not counted as traffic"
    );

    server.kill();
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(5)).await;
    for i in 0..10 {
        s.set(format!("outage:{i}"), "v", None).await.unwrap();
    }
    let journal_bytes = s.health().await.fallback.unwrap().journal_bytes;
    let outage = snapshot(&snapshotter, &mut totals);
    assert_eq!(value(&outage, "hedgestore_fallback_failovers_total{}"), 1.0);
    assert_eq!(value(&outage, "hedgestore_fallback_on_memory{}"), 1.0);
    assert_eq!(value(&outage, "hedgestore_redis_up{}"), 0.0);
    assert_eq!(
        value(
            &outage,
            "hedgestore_commands_total{backend=memory,command=set,outcome=ok}"
        ),
        10.0
    );
    assert_eq!(
        value(&outage, "hedgestore_fallback_journal_entries{}"),
        10.0
    );
    assert!(journal_bytes > 0);
    assert_eq!(
        value(&outage, "hedgestore_fallback_journal_bytes{}"),
        journal_bytes as f64
    );
    assert_eq!(
        value(&outage, "hedgestore_fallback_recoveries_total{}"),
        0.0
    );

    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    let back = snapshot(&snapshotter, &mut totals);
    assert_eq!(value(&back, "hedgestore_fallback_recoveries_total{}"), 1.0);
    assert_eq!(value(&back, "hedgestore_fallback_failovers_total{}"), 0.0);
    assert_eq!(
        value(&back, "hedgestore_fallback_on_memory{}"),
        -1.0,
        "back to 0 (moved by increments)"
    );
    assert_eq!(
        value(&back, "hedgestore_fallback_replayed_entries_total{}"),
        10.0
    );
    assert_eq!(
        value(&back, "hedgestore_fallback_replay_remaining_entries{}"),
        0.0
    );
    assert_eq!(value(&back, "hedgestore_fallback_journal_entries{}"), 0.0);
    assert_eq!(value(&back, "hedgestore_fallback_journal_bytes{}"), 0.0);
    assert_eq!(
        value(&back, "hedgestore_fallback_outage_duration_seconds{}"),
        1.0
    );
    assert_eq!(
        value(&back, "hedgestore_fallback_recovery_duration_seconds{}"),
        1.0
    );
    assert_eq!(value(&back, "hedgestore_redis_up{}"), 1.0);
    assert!(value(&back, "hedgestore_redis_reconnects_total{}") >= 1.0);
    assert_eq!(
        s.get_string("outage:9").await.unwrap().as_deref(),
        Some("v")
    );
    s.close().await.unwrap();
}

/// `GET` and `SET` on a Redis backend take typed calls (their `redis::Cmd` encoded from the
/// arguments, no core `Command` built), and so does the fallback storage's `GET` while Redis
/// serves: through the trait and through the `Storage` handle they are counted as the same
/// commands with the same outcomes, every one timed, write what `SET … PX` writes, and fail
/// `Closed` after close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_redis_get_and_set_are_counted_like_commands() {
    let snapshotter = RECORDER.lock().await;
    let mut totals = BTreeMap::new();
    let server = RedisServer::start().unwrap();
    let redis = RedisStorage::connect(config(server.port()).redis)
        .await
        .unwrap();
    let handle = Storage::new(redis.clone());
    let _ = handle.health().await; // exports what connecting counted
    snapshot(&snapshotter, &mut totals);

    BaseStorage::set(&redis, b"a", b"1", None).await.unwrap();
    handle
        .set("b", "2", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        BaseStorage::get(&redis, b"a").await.unwrap().as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(handle.get("b").await.unwrap().as_deref(), Some(&b"2"[..]));
    assert!(handle.get("nope").await.unwrap().is_none());
    // The TTL went out as `PX 60000`, as the command path sends it.
    match handle.pttl("b").await.unwrap() {
        Ttl::Expires(left) => assert!(left > Duration::from_secs(59), "{left:?} to live"),
        other => panic!("b: {other:?}"),
    }
    handle.rpush("list", &["x"]).await.unwrap();
    let err = handle.get("list").await.unwrap_err();
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    // A TTL Redis refuses is the same command error as on the command path.
    let err = handle
        .set("z", "v", Some(Duration::ZERO))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Command(_)), "{err:?}");
    let _ = handle.health().await;
    let metrics = snapshot(&snapshotter, &mut totals);

    assert_redis_commands(
        &metrics,
        &[
            ("set", "ok", 2.0),
            ("set", "command_error", 1.0),
            ("get", "ok", 3.0),
            ("get", "command_error", 1.0),
            ("pttl", "ok", 1.0),
            ("rpush", "ok", 1.0),
        ],
    );

    // The fallback storage (what `Storage::connect` gives with Redis configured) reads
    // through the same typed `GET` while Redis serves: each counted once, and timed.
    let fallback = Storage::connect(config(server.port())).await.unwrap();
    assert_eq!(fallback.health().await.backend, BackendKind::Redis);
    snapshot(&snapshotter, &mut totals);
    assert_eq!(fallback.get("a").await.unwrap().as_deref(), Some(&b"1"[..]));
    assert!(fallback.get("nope").await.unwrap().is_none());
    let err = fallback.get("list").await.unwrap_err();
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    let _ = fallback.health().await;
    let metrics = snapshot(&snapshotter, &mut totals);
    assert_redis_commands(
        &metrics,
        &[("get", "ok", 2.0), ("get", "command_error", 1.0)],
    );
    fallback.close().await.unwrap();

    handle.close().await.unwrap();
    assert!(matches!(handle.get("a").await, Err(StorageError::Closed)));
    assert!(matches!(
        handle.set("a", "1", None).await,
        Err(StorageError::Closed)
    ));
}

/// `metrics` counted exactly these Redis `(command, outcome, count)`s, each with its latency
/// sample (every Redis command is timed).
fn assert_redis_commands(metrics: &BTreeMap<String, f64>, expected: &[(&str, &str, f64)]) {
    for (command, outcome, count) in expected {
        let name = format!(
            "hedgestore_commands_total{{backend=redis,command={command},outcome={outcome}}}"
        );
        assert_eq!(value(metrics, &name), *count, "{name}");
    }
    let samples: f64 = expected.iter().map(|(_, _, count)| count).sum();
    assert_eq!(
        value(
            metrics,
            "hedgestore_command_duration_seconds{backend=redis}"
        ),
        samples
    );
}
