//! The metrics a memory storage records, counted exactly, with a test recorder installed
//! for this whole test binary (a global recorder can be installed once per process, hence a
//! binary of its own). The debugging recorder resets every value on each snapshot: counters
//! are read as differences between two snapshots, gauges (which hedgestore moves by
//! increments) are summed up over all snapshots here, and `hedgestore_commands_total`
//! (handed over as absolute totals at each export, i.e. each `health()` call) is turned
//! back into differences. The tests take turns, so their counts never mix.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use hedgestore::{handler, CompleteStorage, MemoryConfig, MemoryStorage, Storage};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use metrics_util::MetricKind;

/// What was recorded: the snapshotter, and the gauges' sums so far.
struct Recorded {
    snapshotter: Snapshotter,
    gauges: BTreeMap<Series, f64>,
    /// The last total of each `hedgestore_commands_total` series.
    commands: BTreeMap<Series, f64>,
}

/// The recorder, installed on first use; tests hold the lock while they count.
static RECORDER: LazyLock<tokio::sync::Mutex<Recorded>> = LazyLock::new(|| {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this binary");
    tokio::sync::Mutex::new(Recorded {
        snapshotter,
        gauges: BTreeMap::new(),
        commands: BTreeMap::new(),
    })
});

/// One metric series: name and labels as `k=v` pairs, sorted.
type Series = (String, Vec<String>);

/// Counters as they grew since the previous snapshot, gauges as they are, histograms as
/// their sample counts since the previous snapshot.
fn snapshot(recorded: &mut Recorded) -> BTreeMap<Series, f64> {
    let mut values: BTreeMap<Series, f64> = recorded
        .snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (kind, key) = key.into_parts();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            let series = (key.name().to_string(), labels);
            let value = match (kind, value) {
                // An absolute total when exported since the last snapshot, else 0.
                (MetricKind::Counter, DebugValue::Counter(n))
                    if series.0 == "hedgestore_commands_total" =>
                {
                    let last = recorded.commands.entry(series.clone()).or_default();
                    let total = (n as f64).max(*last);
                    let grown = total - *last;
                    *last = total;
                    grown
                }
                (MetricKind::Counter, DebugValue::Counter(n)) => n as f64,
                (MetricKind::Gauge, DebugValue::Gauge(g)) => {
                    let sum = recorded.gauges.entry(series.clone()).or_default();
                    *sum += g.into_inner();
                    *sum
                }
                (MetricKind::Histogram, DebugValue::Histogram(samples)) => samples.len() as f64,
                (kind, value) => panic!("{kind:?} with {value:?}"),
            };
            (series, value)
        })
        .collect();
    for (series, sum) in &recorded.gauges {
        values.entry(series.clone()).or_insert(*sum);
    }
    values
}

fn get(metrics: &BTreeMap<Series, f64>, name: &str, labels: &[&str]) -> f64 {
    let mut labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
    labels.sort();
    metrics
        .get(&(name.to_string(), labels.clone()))
        .copied()
        .unwrap_or(0.0)
}

/// The `hedgestore_commands_total` series that grew: `command/outcome` → count.
fn commands(metrics: &BTreeMap<Series, f64>) -> BTreeMap<String, f64> {
    metrics
        .iter()
        .filter(|((name, _), n)| name == "hedgestore_commands_total" && **n > 0.0)
        .map(|((_, labels), n)| {
            let value = |k: &str| {
                labels
                    .iter()
                    .find_map(|l| l.strip_prefix(&format!("{k}=")))
                    .unwrap_or("?")
                    .to_string()
            };
            assert_eq!(value("backend"), "memory", "{labels:?}");
            (format!("{}/{}", value("command"), value("outcome")), *n)
        })
        .collect()
}

#[tokio::test]
async fn a_scripted_workload_is_counted_exactly() {
    let mut recorded = RECORDER.lock().await;
    let config = MemoryConfig {
        max_memory: 64 * 1024,
        ..MemoryConfig::default()
    };
    let storage = Storage::memory(config).unwrap();
    snapshot(&mut recorded); // counters from 0

    storage.set("a", "1", None).await.unwrap();
    storage.set("b", "2", None).await.unwrap();
    assert!(storage.get("a").await.unwrap().is_some()); // hit
    assert!(storage.get("b").await.unwrap().is_some()); // hit
    assert!(storage.get("nope").await.unwrap().is_none()); // miss
    assert!(storage.hset("a", &[("f", "v")]).await.is_err()); // WRONGTYPE
    storage
        .set("t", "x", Some(Duration::from_millis(1)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(storage.get("t").await.unwrap().is_none()); // expired: a miss
    let mut tx = storage.transaction();
    tx.set("x", "1", None).set("y", "2", None);
    tx.execute().await.unwrap();
    // 100 distinct keys of 1 KiB into a 64 KiB budget: some are evicted.
    for i in 0..100 {
        storage
            .set(format!("fill:{i}"), vec![b'v'; 1024], None)
            .await
            .unwrap();
    }
    let stats = storage.health().await.memory.unwrap(); // also exports the engine's counters
    let metrics = snapshot(&mut recorded);

    let expected: BTreeMap<String, f64> = [
        ("set/ok", 103.0),
        ("get/ok", 4.0),
        ("hset/command_error", 1.0),
        ("exec/ok", 1.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(commands(&metrics), expected);
    // One memory command in 64 per thread is timed (`TIME_MEMORY_EVERY`): of 109, 1 or 2
    // (2 when this thread starts counting here, as it does unless tests share a thread).
    let timed = get(
        &metrics,
        "hedgestore_command_duration_seconds",
        &["backend=memory"],
    );
    assert!(timed == 1.0 || timed == 2.0, "{timed} latency samples");
    assert_eq!(get(&metrics, "hedgestore_memory_hits_total", &[]), 2.0);
    assert_eq!(get(&metrics, "hedgestore_memory_misses_total", &[]), 2.0);
    assert_eq!(
        get(&metrics, "hedgestore_memory_expired_keys_total", &[]),
        1.0
    );
    let evicted = get(&metrics, "hedgestore_memory_evicted_keys_total", &[]);
    let keys = get(&metrics, "hedgestore_memory_keys", &[]);
    assert!(evicted > 0.0, "the budget forced evictions");
    assert_eq!(evicted, stats.evicted as f64);
    assert_eq!(keys, stats.keys as f64);
    // Every key written (a, b, t, x, y and 100 fills) is held, evicted or expired.
    assert_eq!(keys + evicted + 1.0, 105.0);
    assert_eq!(
        get(&metrics, "hedgestore_memory_used_bytes", &[]),
        stats.used_memory as f64
    );
    assert_eq!(
        get(&metrics, "hedgestore_memory_max_bytes", &[]),
        64.0 * 1024.0
    );

    // Closing takes the storage's gauges back; the counters stay.
    storage.close().await.unwrap();
    let after = snapshot(&mut recorded);
    assert_eq!(get(&after, "hedgestore_memory_keys", &[]), 0.0);
    assert_eq!(get(&after, "hedgestore_memory_used_bytes", &[]), 0.0);
    assert_eq!(get(&after, "hedgestore_memory_max_bytes", &[]), 0.0);
    assert!(commands(&after).is_empty(), "nothing ran after close");
}

/// `MemoryStorage`'s typed `GET`/`SET` (through the traits, without a `Command`) are
/// counted as the same commands with the same outcomes, and read the same engine counters.
#[tokio::test]
async fn typed_get_and_set_are_counted_like_commands() {
    let mut recorded = RECORDER.lock().await;
    let memory = MemoryStorage::start(MemoryConfig::default()).unwrap();
    let storage: &dyn CompleteStorage = &memory;
    typed_calls_counted_like_commands!(recorded, storage, memory);
}

/// The same through the `Storage` handle, whose `get` and `set` take the memory storage's
/// typed calls too.
#[tokio::test]
async fn the_handles_get_and_set_on_memory_are_counted_like_commands() {
    let mut recorded = RECORDER.lock().await;
    let memory = MemoryStorage::start(MemoryConfig::default()).unwrap();
    let storage = Storage::new(memory.clone());
    typed_calls_counted_like_commands!(recorded, storage, memory);
}

/// `SET`, `GET` (a hit, a miss, a key of another type) and an `RPUSH` through `$storage`:
/// the command counts, hits and misses are exactly those of the commands, and a closed
/// `$memory` answers `Closed`.
macro_rules! typed_calls_counted_like_commands {
    ($recorded:ident, $storage:ident, $memory:ident) => {
        snapshot(&mut $recorded);
        $storage.set(b"a", b"1", None).await.unwrap();
        $storage
            .set(b"b", b"2", Some(Duration::from_secs(60)))
            .await
            .unwrap();
        assert_eq!(
            $storage.get(b"a").await.unwrap().as_deref(),
            Some(&b"1"[..])
        );
        assert!($storage.get(b"nope").await.unwrap().is_none());
        $storage.rpush(b"list", &[b"x"]).await.unwrap();
        let err = $storage.get(b"list").await.unwrap_err();
        assert!(err.to_string().contains("WRONGTYPE"), "{err}");
        let _ = $storage.health().await; // exports the engine's counters
        let metrics = snapshot(&mut $recorded);

        let expected: BTreeMap<String, f64> = [
            ("set/ok", 2.0),
            ("get/ok", 2.0),
            ("get/command_error", 1.0),
            ("rpush/ok", 1.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(commands(&metrics), expected);
        // "a", and "list" (found, then refused for its type: a hit, as in Redis).
        assert_eq!(get(&metrics, "hedgestore_memory_hits_total", &[]), 2.0);
        assert_eq!(get(&metrics, "hedgestore_memory_misses_total", &[]), 1.0);
        // Typed calls are timed like commands, one in 64 per thread (`TIME_MEMORY_EVERY`):
        // any 128 in a row on this thread take exactly two latency samples.
        for _ in 0..128 {
            $storage.get(b"a").await.unwrap();
        }
        let _ = $storage.health().await;
        let metrics = snapshot(&mut $recorded);
        let timed = get(
            &metrics,
            "hedgestore_command_duration_seconds",
            &["backend=memory"],
        );
        assert_eq!(timed, 2.0, "latency samples of 128 typed GETs");
        assert_eq!(commands(&metrics).get("get/ok"), Some(&128.0));
        $memory.close().await.unwrap();
        assert!(matches!(
            $storage.get(b"a").await,
            Err(hedgestore::StorageError::Closed)
        ));
        assert!(matches!(
            $storage.set(b"a", b"1", None).await,
            Err(hedgestore::StorageError::Closed)
        ));
        // Those two refusals are counted but not exported yet: export them now (a new
        // storage's `health()`), so that the next test's snapshot starts from zero.
        let drain = MemoryStorage::start(MemoryConfig::default()).unwrap();
        let _ = drain.health().await;
        snapshot(&mut $recorded);
        drain.close().await.unwrap();
    };
}
use typed_calls_counted_like_commands;

#[tokio::test]
async fn pubsub_deliveries_and_drops_add_up_to_what_was_published() {
    let mut recorded = RECORDER.lock().await;
    let storage = Storage::memory(MemoryConfig::default()).unwrap();
    snapshot(&mut recorded);
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let subscription = {
        let (gate, seen) = (gate.clone(), seen.clone());
        storage
            .subscribe(
                "ticks",
                handler(move |_, _| {
                    let (gate, seen) = (gate.clone(), seen.clone());
                    async move {
                        seen.fetch_add(1, Ordering::SeqCst);
                        let _ = gate.acquire().await.map(|p| p.forget());
                    }
                }),
            )
            .await
            .unwrap()
    };
    const PUBLISHED: usize = 3000;
    for i in 0..PUBLISHED {
        storage.publish("ticks", i.to_string()).await.unwrap();
    }
    gate.add_permits(PUBLISHED);
    for _ in 0..500 {
        if seen.load(Ordering::SeqCst) as u64 + subscription.lag() == PUBLISHED as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lag = subscription.lag();
    assert!(lag > 0, "the blocked handler made the queue overflow");
    let metrics = snapshot(&mut recorded);
    let labels = ["backend=memory", "kind=channel"];
    let delivered = get(&metrics, "hedgestore_pubsub_delivered_total", &labels);
    let dropped = get(&metrics, "hedgestore_pubsub_dropped_total", &labels);
    assert_eq!(delivered, seen.load(Ordering::SeqCst) as f64);
    assert_eq!(dropped, lag as f64);
    assert_eq!(delivered + dropped, PUBLISHED as f64);
    subscription.unsubscribe().await.unwrap();
    storage.close().await.unwrap();
}

#[tokio::test]
async fn lock_acquisitions_are_counted_by_outcome() {
    let mut recorded = RECORDER.lock().await;
    let storage = Storage::memory(MemoryConfig::default()).unwrap();
    snapshot(&mut recorded);
    let held = storage
        .acquire_lock("job", Duration::from_millis(50), None)
        .await
        .unwrap();
    assert!(held.is_some());
    assert!(storage
        .acquire_lock("job", Duration::from_secs(1), None)
        .await
        .unwrap()
        .is_none());
    assert!(storage
        .acquire_lock("job", Duration::from_secs(1), Some(Duration::from_secs(2)))
        .await
        .unwrap()
        .is_some());
    let metrics = snapshot(&mut recorded);
    for (outcome, n) in [
        ("acquired", 1.0),
        ("not_acquired", 1.0),
        ("acquired_after_wait", 1.0),
    ] {
        let outcome = format!("outcome={outcome}");
        assert_eq!(
            get(
                &metrics,
                "hedgestore_lock_acquire_total",
                &["backend=memory", &outcome]
            ),
            n,
            "{outcome}"
        );
    }
    storage.close().await.unwrap();
}
