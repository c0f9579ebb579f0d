//! Behaviour specific to `MemoryStorage` on tokio: concurrency, background work, slow
//! subscribers, shutdown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hedgestore::{handler, Bytes, MemoryConfig, MemoryStorage, Storage, StorageError};

fn storage() -> Storage {
    Storage::memory(MemoryConfig::default()).unwrap()
}

/// 64 tasks on a multi-threaded runtime hammer overlapping keys; the final state is what a
/// sequential model of the same operations predicts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_tasks_on_overlapping_keys_end_in_the_modelled_state() {
    let s = storage();
    let tasks: Vec<_> = (0..64u32)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                for i in 0..200u32 {
                    s.incr("shared:counter").await.unwrap();
                    s.hincrby("shared:hash", format!("f{}", i % 8), 1)
                        .await
                        .unwrap();
                    s.rpush(format!("own:list:{t}"), &[i.to_string()])
                        .await
                        .unwrap();
                    s.rpush("shared:list", &[format!("{t}:{i}")]).await.unwrap();
                    s.set(format!("own:last:{t}"), i.to_string(), None)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        s.get_string("shared:counter").await.unwrap().as_deref(),
        Some("12800")
    );
    let hash = s.hgetall("shared:hash").await.unwrap();
    assert_eq!(hash.len(), 8);
    assert!(hash.values().all(|v| v.as_ref() == b"1600"));
    let shared = s.lrange("shared:list", 0, -1).await.unwrap();
    assert_eq!(shared.len(), 64 * 200);
    for t in 0..64u32 {
        let own = s.lrange(format!("own:list:{t}"), 0, -1).await.unwrap();
        let expected: Vec<Bytes> = (0..200u32).map(|i| Bytes::from(i.to_string())).collect();
        assert_eq!(own, expected, "each task's pushes stay in its order");
        assert_eq!(
            s.get_string(format!("own:last:{t}"))
                .await
                .unwrap()
                .as_deref(),
            Some("199")
        );
        // Within the shared list, each task's entries also keep their order.
        let mine: Vec<&Bytes> = shared
            .iter()
            .filter(|e| e.starts_with(format!("{t}:").as_bytes()))
            .collect();
        let order: Vec<u32> = mine
            .iter()
            .map(|e| {
                std::str::from_utf8(&e[e.iter().position(|c| *c == b':').unwrap() + 1..])
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(order, (0..200).collect::<Vec<_>>());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_blocks_neither_publishers_nor_other_subscribers() {
    let s = Storage::new(MemoryStorage::start(MemoryConfig::default()).unwrap());
    let fast_seen = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let entered = Arc::new(tokio::sync::Notify::new());
    let slow = {
        let (gate, entered) = (gate.clone(), entered.clone());
        s.subscribe(
            "ticks",
            handler(move |_, _| {
                let (gate, entered) = (gate.clone(), entered.clone());
                async move {
                    entered.notify_one();
                    // Blocks until the test opens the gate: the slowest handler possible.
                    let _ = gate.acquire().await.map(|p| p.forget());
                }
            }),
        )
        .await
        .unwrap()
    };
    let fast = {
        let seen = fast_seen.clone();
        s.subscribe(
            "ticks",
            handler(move |_, _| {
                let seen = seen.clone();
                async move {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            }),
        )
        .await
        .unwrap()
    };
    // The first message is in the slow handler before the rest is published, so what the slow
    // subscriber holds is known exactly: one message in its handler, a full queue, the rest lag.
    s.publish("ticks", "0").await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), entered.notified())
        .await
        .expect("the slow handler got the first message");
    let publishing = tokio::time::timeout(Duration::from_secs(10), async {
        for i in 1..5000 {
            s.publish("ticks", i.to_string()).await.unwrap();
        }
    })
    .await;
    assert!(
        publishing.is_ok(),
        "publishers were blocked by a slow subscriber"
    );
    // Nothing is lost silently: each message was delivered or counted as lag.
    for _ in 0..500 {
        if fast_seen.load(Ordering::SeqCst) as u64 + fast.lag() == 5000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fast_seen.load(Ordering::SeqCst) as u64 + fast.lag(), 5000);
    assert!(
        fast_seen.load(Ordering::SeqCst) >= 1024,
        "the fast subscriber kept up at least a queue's worth"
    );
    // The blocked subscriber holds one message in its handler and a full queue (1024).
    assert_eq!(
        slow.lag(),
        5000 - 1024 - 1,
        "the slow subscriber's overflow is counted as lag"
    );
    gate.add_permits(10_000);
}

#[tokio::test(start_paused = true)]
async fn the_background_driver_reclaims_expired_keys_nobody_reads() {
    let memory = MemoryStorage::start(MemoryConfig::default()).unwrap();
    let s = Storage::new(memory.clone());
    for i in 0..500 {
        s.set(format!("k{i}"), "v", Some(Duration::from_millis(200)))
            .await
            .unwrap();
    }
    assert_eq!(memory.stats().keys, 500);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(memory.stats().keys, 0, "active expiry ran without any read");
    assert_eq!(memory.stats().expired, 500);
}

#[tokio::test(start_paused = true)]
async fn close_refuses_further_calls() {
    let s = storage();
    s.set("k", "v", None).await.unwrap();
    s.close().await.unwrap();
    assert_eq!(s.get("k").await.unwrap_err(), StorageError::Closed);
    assert!(!s.health().await.healthy);
}

#[tokio::test]
async fn background_tasks_stop_when_the_last_handle_is_dropped() {
    let s = storage();
    let weak_probe = {
        // A subscription's dispatcher and the expiry driver hold only weak references.
        let sub = s.subscribe("c", handler(|_, _| async {})).await.unwrap();
        sub.detach();
        s.set("t", "v", Some(Duration::from_secs(60)))
            .await
            .unwrap();
        Arc::new(())
    };
    let before = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert!(before >= 2, "driver and dispatcher are running ({before})");
    drop(s);
    for _ in 0..100 {
        if tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks(),
        0
    );
    drop(weak_probe);
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_storage_returns_one_shared_instance_that_works_without_redis() {
    // Point it at a loopback port where nothing listens: never at a server this test did not
    // start. (No other test in this binary reads the environment.)
    let mut dead = hedgestore_testkit::RedisServer::start().unwrap();
    dead.kill();
    std::env::set_var("REDIS_URL", dead.url());
    let a = hedgestore::get_storage().await.unwrap();
    assert_eq!(a.health().await.backend, hedgestore::BackendKind::Memory);
    let b = hedgestore::get_storage().await.unwrap();
    a.set("shared-by-default", "yes", None).await.unwrap();
    assert_eq!(
        b.get_string("shared-by-default").await.unwrap().as_deref(),
        Some("yes")
    );
}

/// Built without the `redis` feature, the default storage is memory, and a Redis that is
/// configured anyway is a clear error, not a silent memory-only start.
#[cfg(not(feature = "redis"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_redis_feature_storage_is_memory_and_redis_settings_are_refused() {
    let storage = hedgestore::Storage::connect(hedgestore::StorageConfig::default())
        .await
        .unwrap();
    assert_eq!(
        storage.health().await.backend,
        hedgestore::BackendKind::Memory
    );
    storage.set("k", "v", None).await.unwrap();
    let configured = hedgestore::StorageConfig::from_lookup(|name| {
        (name == "REDIS_HOST").then(|| "127.0.0.1".to_string())
    })
    .unwrap();
    let err = hedgestore::Storage::connect(configured).await.unwrap_err();
    assert!(
        err.to_string().contains("without its `redis` feature"),
        "{err}"
    );
}

#[test]
fn starting_outside_a_runtime_is_an_error_not_a_panic() {
    assert!(matches!(
        MemoryStorage::start(MemoryConfig::default()),
        Err(StorageError::Unavailable(_))
    ));
}

/// `MemoryStorage`'s typed `GET` and `SET` (through the traits) run when their future is
/// first polled, like every other call: a future dropped unpolled writes nothing, and a
/// read made before a write but awaited after it sees the write.
#[tokio::test]
async fn typed_calls_run_when_polled_not_when_made() {
    let memory = MemoryStorage::start(MemoryConfig::default()).unwrap();
    let s: &dyn hedgestore::CompleteStorage = &memory;
    let unpolled = s.set(b"k", b"1", None);
    drop(unpolled);
    assert_eq!(s.get(b"k").await.unwrap(), None, "a dropped SET ran");
    let read = s.get(b"k");
    s.set(b"k", b"2", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(read.await.unwrap().as_deref(), Some(&b"2"[..]));
    s.close().await.unwrap();
}
