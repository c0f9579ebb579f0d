//! The fallback's metrics across a real outage: a `redis-server` of this test's own is
//! killed and restarted while a test recorder (installed for this whole binary: a global
//! recorder can be installed once per process) watches failovers, recoveries, the outage
//! journal and the replay.

mod support;

use support::{config, wait_for_backend};

use std::collections::BTreeMap;
use std::time::Duration;

use hedgestore::{BackendKind, Storage};
use hedgestore_testkit::RedisServer;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

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
    let mut totals = BTreeMap::new();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this binary");
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
