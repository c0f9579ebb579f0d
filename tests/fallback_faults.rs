//! Automatic fallback from Redis to memory and back, against a real `redis-server` that the
//! tests kill, freeze and restart: callers see no error but `OutcomeUnknown` for a write in
//! flight when Redis went away (applied at most once), and Redis ends up holding exactly
//! what was acknowledged.
//!
//! Longer than 600 lines on purpose: every fault scenario (kill, freeze, empty restart, two
//! instances, flapping, …) is one self-contained test with its own load and checks.

mod support;

use support::{collecting_handler, config, wait_for_backend};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hedgestore::{
    BackendKind, Bytes, Command, FallbackStorage, JournalOverflow, LockFallback, RedisStorage,
    Reply, SetOptions, Storage, StorageConfig, StorageError, StorageEvent, Ttl,
};
use hedgestore_testkit::RedisServer;
use tokio::time::Instant;

/// A direct client to check what Redis really holds.
async fn direct(server: &RedisServer) -> Storage {
    Storage::new(
        RedisStorage::connect(config(server.port()).redis)
            .await
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_start_then_up_receives_every_write() {
    let mut server = RedisServer::start().unwrap();
    server.kill();
    let s = Storage::connect(config(server.port()))
        .await
        .expect("starts without redis");
    assert_eq!(s.health().await.backend, BackendKind::Memory);
    for i in 0..50 {
        s.set(format!("k{i}"), i.to_string(), None).await.unwrap();
    }
    s.rpush("list", &["a", "b", "c"]).await.unwrap();
    s.hset("h", &[("f", "v")]).await.unwrap();
    s.incrby("n", 5).await.unwrap();
    assert_eq!(
        s.get_string("k7").await.unwrap().as_deref(),
        Some("7"),
        "reads see outage writes"
    );
    let health = s.health().await;
    assert!(health.fallback.unwrap().journal_entries >= 53);

    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    let r = direct(&server).await;
    for i in 0..50 {
        assert_eq!(
            r.get_string(format!("k{i}")).await.unwrap(),
            Some(i.to_string())
        );
    }
    assert_eq!(
        r.lrange("list", 0, -1).await.unwrap(),
        vec![Bytes::from("a"), Bytes::from("b"), Bytes::from("c")]
    );
    assert_eq!(r.hget("h", "f").await.unwrap(), Some(Bytes::from("v")));
    assert_eq!(r.get_string("n").await.unwrap().as_deref(), Some("5"));
    assert_eq!(s.health().await.fallback.unwrap().journal_entries, 0);
}

/// What the load saw: caller-visible errors other than `OutcomeUnknown` (each printed), how
/// many rounds each task wrote, and per task the rounds whose write answered
/// `OutcomeUnknown` (sent when Redis became unreachable: applied at most once), one set per
/// operation of the round.
struct Seen {
    errors: Vec<StorageError>,
    counts: Vec<u32>,
    unknown: Vec<[std::collections::BTreeSet<u32>; 4]>,
}

impl Seen {
    /// Writes answered `OutcomeUnknown`, all tasks and operations.
    fn unknown_writes(&self) -> usize {
        self.unknown.iter().flatten().map(|u| u.len()).sum()
    }
}

/// Writes from 16 tasks: distinct keys (last write wins), a shared list (each task's pushes
/// in order), a shared hash (a field per task), a list per task.
async fn load(s: Storage, stop: Arc<AtomicBool>, rounds: Arc<AtomicUsize>) -> Seen {
    let mut tasks = Vec::new();
    for t in 0..16u32 {
        let (s, stop, rounds) = (s.clone(), stop.clone(), rounds.clone());
        tasks.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            let mut unknown: [std::collections::BTreeSet<u32>; 4] = Default::default();
            let mut i = 0u32;
            while !stop.load(Ordering::Acquire) || i < 20 {
                let results = [
                    s.set(format!("t{t}:last"), i.to_string(), None).await.err(),
                    s.rpush("shared:list", &[format!("{t}:{i}")]).await.err(),
                    s.hset("shared:hash", &[(format!("t{t}"), i.to_string())])
                        .await
                        .err(),
                    s.rpush(format!("t{t}:list"), &[i.to_string()]).await.err(),
                ];
                for (op, e) in results.into_iter().enumerate() {
                    match e {
                        None => {}
                        Some(StorageError::OutcomeUnknown(_)) => {
                            unknown[op].insert(i);
                        }
                        Some(e) => {
                            eprintln!("caller-visible error: {e}");
                            errors.push(e);
                        }
                    }
                }
                i += 1;
                rounds.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (errors, i, unknown)
        }));
    }
    let mut seen = Seen {
        errors: Vec::new(),
        counts: Vec::new(),
        unknown: Vec::new(),
    };
    for t in tasks {
        let (e, n, u) = t.await.unwrap();
        seen.errors.extend(e);
        seen.counts.push(n);
        seen.unknown.push(u);
    }
    seen
}

/// A task's pushes as Redis must hold them: every round in order, except that a round whose
/// push answered `OutcomeUnknown` may be missing (never doubled).
fn assert_pushes(held: &[u32], n: u32, unknown: &std::collections::BTreeSet<u32>, what: &str) {
    let expected: Vec<u32> = (0..n)
        .filter(|i| !unknown.contains(i) || held.contains(i))
        .collect();
    assert_eq!(held, expected, "{what} (no loss, no duplicate, in order)");
}

/// The value a last-write-wins key may hold: the last acknowledged round, or a later one
/// whose outcome was unknown.
fn assert_last(held: Option<u32>, n: u32, unknown: &std::collections::BTreeSet<u32>, what: &str) {
    let acked = (0..n).rev().find(|i| !unknown.contains(i));
    let ok = match held {
        Some(v) => Some(v) == acked || (unknown.contains(&v) && acked.is_none_or(|a| v > a)),
        None => acked.is_none(),
    };
    assert!(
        ok,
        "{what}: holds {held:?}, last acknowledged {acked:?}, unknown {unknown:?}"
    );
}

/// Redis must hold exactly the modelled final state.
async fn assert_final_state(r: &Storage, seen: &Seen) {
    assert_eq!(seen.counts.len(), 16);
    let shared = r.lrange("shared:list", 0, -1).await.unwrap();
    let hash = r.hgetall("shared:hash").await.unwrap();
    let mut in_shared: HashMap<u32, Vec<u32>> = HashMap::new();
    for e in &shared {
        let text = std::str::from_utf8(e).unwrap();
        let (t, i) = text.split_once(':').unwrap();
        in_shared
            .entry(t.parse().unwrap())
            .or_default()
            .push(i.parse().unwrap());
    }
    let number = |b: &Bytes| std::str::from_utf8(b).unwrap().parse::<u32>().unwrap();
    for (t, &n) in seen.counts.iter().enumerate() {
        let unknown = &seen.unknown[t];
        assert_pushes(
            &in_shared.get(&(t as u32)).cloned().unwrap_or_default(),
            n,
            &unknown[1],
            &format!("shared list entries of task {t}"),
        );
        let own: Vec<u32> = r
            .lrange(format!("t{t}:list"), 0, -1)
            .await
            .unwrap()
            .iter()
            .map(number)
            .collect();
        assert_pushes(&own, n, &unknown[3], &format!("own list of task {t}"));
        let last = r.get(format!("t{t}:last")).await.unwrap();
        assert_last(
            last.as_ref().map(number),
            n,
            &unknown[0],
            &format!("last write of task {t}"),
        );
        assert_last(
            hash.get(&Bytes::from(format!("t{t}"))).map(number),
            n,
            &unknown[2],
            &format!("hash field of task {t}"),
        );
    }
}

async fn wait_rounds(rounds: &AtomicUsize, more: usize) {
    let target = rounds.load(Ordering::Relaxed) + more;
    while rounds.load(Ordering::Relaxed) < target {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_under_load_no_error_and_redis_ends_with_every_write() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(load(s.clone(), stop.clone(), rounds.clone()));
    wait_rounds(&rounds, 200).await;
    server.kill();
    wait_rounds(&rounds, 300).await;
    assert_eq!(s.health().await.backend, BackendKind::Memory);
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    wait_rounds(&rounds, 200).await;
    stop.store(true, Ordering::Release);
    let seen = load.await.unwrap();
    assert!(
        seen.errors.is_empty(),
        "callers saw errors: {:?}",
        seen.errors
    );
    // Only a write in flight at the kill (one per task at most) may answer OutcomeUnknown.
    assert!(seen.unknown_writes() <= 16, "{}", seen.unknown_writes());
    assert_final_state(&direct(&server).await, &seen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_under_load_no_error_and_redis_ends_with_every_write() {
    let server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    assert_eq!(
        s.health().await.backend,
        BackendKind::Redis,
        "starts on redis"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(load(s.clone(), stop.clone(), rounds.clone()));
    wait_rounds(&rounds, 200).await;
    server.pause().unwrap();
    // The writes already sent get no answer: each caller is told its write may have been
    // applied (it was: a stopped Redis applies them when it resumes); the health check on
    // its own connection then finds Redis hung and switches to memory.
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(10)).await;
    wait_rounds(&rounds, 300).await;
    server.resume().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    wait_rounds(&rounds, 200).await;
    stop.store(true, Ordering::Release);
    let seen = load.await.unwrap();
    assert!(
        seen.errors.is_empty(),
        "only outcome-unknown errors for writes sent to the stopped redis: {:?}",
        seen.errors
    );
    // Each task's write sent to the stopped Redis answers OutcomeUnknown, and so does the
    // next one or two sent before the health check (600 ms) declares Redis hung.
    assert!(seen.unknown_writes() <= 4 * 16, "{}", seen.unknown_writes());
    assert_final_state(&direct(&server).await, &seen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flapping_redis_loses_nothing_and_duplicates_nothing() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let load = tokio::spawn(load(s.clone(), stop.clone(), rounds.clone()));
    for _ in 0..3 {
        wait_rounds(&rounds, 100).await;
        server.kill();
        wait_rounds(&rounds, 50).await;
        server.restart().unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    wait_rounds(&rounds, 100).await;
    stop.store(true, Ordering::Release);
    let seen = tokio::time::timeout(Duration::from_secs(30), load)
        .await
        .expect("no deadlock")
        .unwrap();
    assert!(
        seen.errors.is_empty(),
        "callers saw errors: {:?}",
        seen.errors
    );
    assert!(seen.unknown_writes() <= 3 * 16, "{}", seen.unknown_writes());
    assert_final_state(&direct(&server).await, &seen).await;
}

/// Plain `SET`s (the typed call: sent to Redis from the caller's bytes, copied into the
/// memory mirror from them too) and `GET`s while Redis serves, then a kill: memory answers
/// every acknowledged value, TTLs included, and one written by the command path alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_sets_are_in_the_mirror_when_redis_dies() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::new(FallbackStorage::start(config(server.port())).await.unwrap());
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                for i in 0..200 {
                    let key = format!("typed:{t}:{}", i % 50);
                    s.set(&key, format!("v{i}"), None).await.unwrap();
                    // Read back through the typed GET while Redis serves.
                    assert_eq!(
                        s.get_string(&key).await.unwrap().as_deref(),
                        Some(format!("v{i}").as_str())
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    s.set("typed:ttl", "t", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(s
        .set_with("typed:nx", "n", SetOptions::default().nx())
        .await
        .unwrap());
    server.kill();
    // The first call after the kill finds Redis gone and fails over.
    assert_eq!(
        s.get_string("typed:ttl").await.unwrap().as_deref(),
        Some("t")
    );
    assert_eq!(s.health().await.backend, BackendKind::Memory);
    for t in 0..4 {
        for k in 0..50 {
            // Each writer's last value of key k was written at i = 150 + k.
            assert_eq!(
                s.get_string(format!("typed:{t}:{k}")).await.unwrap(),
                Some(format!("v{}", 150 + k)),
                "typed:{t}:{k}"
            );
        }
    }
    match s.pttl("typed:ttl").await.unwrap() {
        Ttl::Expires(left) => assert!(left > Duration::from_secs(50), "{left:?}"),
        other => panic!("typed:ttl: {other:?}"),
    }
    assert_eq!(
        s.get_string("typed:nx").await.unwrap().as_deref(),
        Some("n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_is_announced_and_counted() {
    let mut server = RedisServer::start().unwrap();
    let fallback = FallbackStorage::start(config(server.port())).await.unwrap();
    let mut events = fallback.events();
    let s = Storage::new(fallback);
    s.set("k", "v", None).await.unwrap();
    server.kill();
    s.set("k", "during", None)
        .await
        .expect("served from memory");
    let event = tokio::time::timeout(Duration::from_secs(2), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        StorageEvent::BackendChanged {
            from: BackendKind::Redis,
            to: BackendKind::Memory
        }
    );
    let h = s.health().await;
    assert_eq!(h.backend, BackendKind::Memory);
    assert_eq!(h.fallback.as_ref().unwrap().failovers, 1);
    assert!(h.last_error.is_some());
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    assert_eq!(s.health().await.fallback.unwrap().recoveries, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_journal_refuses_writes_visibly_and_keeps_reads() {
    let mut server = RedisServer::start().unwrap();
    server.kill();
    let mut c = config(server.port());
    c.fallback.journal_max_bytes = 2_000;
    c.fallback.journal_overflow = JournalOverflow::RejectWrites;
    let fallback = FallbackStorage::start(c).await.unwrap();
    let mut events = fallback.events();
    let s = Storage::new(fallback);
    let mut refused = None;
    for i in 0..200 {
        if let Err(e) = s.set(format!("key{i}"), "some value", None).await {
            refused = Some((i, e));
            break;
        }
    }
    let (i, err) = refused.expect("the journal fills up");
    assert!(matches!(err, StorageError::Unavailable(_)), "{err}");
    assert!(matches!(
        events.recv().await.unwrap(),
        StorageEvent::JournalFull { .. }
    ));
    assert!(s.health().await.fallback.unwrap().journal_overflows >= 1);
    assert_eq!(
        s.get_string("key0").await.unwrap().as_deref(),
        Some("some value"),
        "reads still work"
    );
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    let r = direct(&server).await;
    assert_eq!(
        r.exists(&(0..i).map(|k| format!("key{k}")).collect::<Vec<_>>())
            .await
            .unwrap(),
        i as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locks_fail_closed_during_an_outage_unless_local_is_chosen() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    let held = s
        .acquire_lock("job", Duration::from_secs(30), None)
        .await
        .unwrap()
        .unwrap();
    server.kill();
    s.set("x", "1", None).await.unwrap(); // fails over
    let err = s
        .acquire_lock("other", Duration::from_secs(5), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Unavailable(_)), "{err}");
    drop(held);

    let mut c = config(server.port());
    c.fallback.lock_fallback = LockFallback::Local;
    let local = Storage::connect(c).await.unwrap();
    let lock = local
        .acquire_lock("other", Duration::from_secs(5), None)
        .await
        .unwrap()
        .expect("local lock");
    assert!(local.release(&lock).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_hear_local_publishes_during_an_outage_and_redis_after() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    let (handler, mut rx) = collecting_handler();
    let _sub = s.subscribe("alerts", handler).await.unwrap();
    s.publish("alerts", "on redis").await.unwrap();
    assert_eq!(
        &tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap()[..],
        b"on redis"
    );
    server.kill();
    s.set("trip", "1", None).await.unwrap();
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(5)).await;
    s.publish("alerts", "during outage").await.unwrap();
    assert_eq!(
        &tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap()[..],
        b"during outage"
    );
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.publish("alerts", "after").await.unwrap() == 0 {
        assert!(Instant::now() < deadline, "redis subscription not restored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        &tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap()[..],
        b"after"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_storage_notices_the_outage_from_health_checks() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    assert_eq!(s.health().await.backend, BackendKind::Redis);
    server.kill();
    // No call is made: the health check alone switches the backend.
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_during_an_outage_holds_after_recovery() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    let (handler, mut rx) = collecting_handler();
    let sub = s.subscribe("gone", handler).await.unwrap();
    assert_eq!(s.publish("gone", "on redis").await.unwrap(), 1);
    // Received before the kill: a reset connection may discard what it had not read yet.
    assert_eq!(&rx.recv().await.unwrap()[..], b"on redis");
    server.kill();
    s.set("trip", "1", None).await.unwrap();
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(10)).await;
    // Redis cannot confirm now; the fallback confirms it before it serves from Redis again.
    sub.unsubscribe().await.unwrap();
    assert_eq!(s.publish("gone", "during outage").await.unwrap(), 0);
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    assert_eq!(
        s.publish("gone", "after").await.unwrap(),
        0,
        "a subscription ended during the outage came back with redis"
    );
    let late = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(
        !matches!(late, Ok(Some(_))),
        "the handler heard {late:?} after its unsubscription"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_is_confirmed_before_it_returns_on_every_round() {
    let server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    for round in 0..50 {
        let sub = s
            .subscribe("rounds", hedgestore::handler(|_, _| async {}))
            .await
            .unwrap();
        assert_eq!(s.publish("rounds", "x").await.unwrap(), 1, "round {round}");
        sub.unsubscribe().await.unwrap();
        assert_eq!(s.publish("rounds", "x").await.unwrap(), 0, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_settings_and_no_redis_it_is_memory_only_with_local_locks() {
    let mut server = RedisServer::start().unwrap();
    server.kill();
    // Fields set directly, not through the setters: as if no REDIS_* variable was given.
    let mut unconfigured = StorageConfig::default();
    unconfigured.redis.port = server.port();
    unconfigured.redis.host = "127.0.0.1".into();
    assert!(!unconfigured.redis.explicit);
    let s = Storage::connect(unconfigured).await.unwrap();
    let health = s.health().await;
    assert_eq!(health.backend, BackendKind::Memory);
    assert!(health.fallback.is_none(), "memory only, not a fallback");
    let lock = s
        .acquire_lock("job", Duration::from_secs(5), None)
        .await
        .unwrap()
        .expect("local locks");
    assert!(s.release(&lock).await.unwrap());

    // The same address configured explicitly: the fallback, with fail-closed locks.
    let s = Storage::connect(config(server.port())).await.unwrap();
    assert!(s.health().await.fallback.is_some());
    assert!(matches!(
        s.acquire_lock("job", Duration::from_secs(5), None).await,
        Err(StorageError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_command_gets_its_own_error_and_no_failover() {
    let server = RedisServer::start().unwrap();
    // Health checks that tolerate Redis being busy for a while (copying the large reply
    // below on a loaded machine): what is tested is that a *command* timeout alone never
    // causes a failover.
    let patient = config(server.port())
        .redis_response_timeout(Duration::from_millis(100))
        .redis_health_check_timeout(Duration::from_secs(5));
    let fallback = FallbackStorage::start(patient).await.unwrap();
    let mut events = fallback.events();
    let s = Storage::new(fallback);
    let setup =
        Storage::redis(config(server.port()).redis_response_timeout(Duration::from_secs(30)))
            .await
            .unwrap();
    setup.set("kept", "on redis", None).await.unwrap();
    setup.set("big", vec![b'x'; 16 << 20], None).await.unwrap();
    // A 480 MB reply takes far longer than this test's 100 ms response timeout to arrive,
    // while Redis itself stays responsive: a slow command, not an outage.
    let keys = vec!["big"; 30];
    let slow = s.mget(&keys).await.map(|values| values.len());
    assert!(
        matches!(slow, Err(StorageError::Timeout(_))),
        "a read that got no answer in time is a Timeout: {slow:?}"
    );
    // Calls queued behind the big reply may time out as well; once it has drained, Redis
    // serves again, and it never stopped serving: no failover, no answer from memory.
    let deadline = Instant::now() + Duration::from_secs(30);
    let kept = loop {
        match s.get_string("kept").await {
            Ok(v) => break v,
            Err(StorageError::Timeout(_)) => {
                assert!(Instant::now() < deadline, "redis never answered again")
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    };
    assert_eq!(kept.as_deref(), Some("on redis"));
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(format!("{event:?}"));
    }
    let health = s.health().await;
    assert_eq!(health.backend, BackendKind::Redis, "events: {seen:?}");
    assert_eq!(health.fallback.unwrap().failovers, 0);
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, StorageEvent::BackendChanged { .. }),
            "a slow command switched the backend: {event:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_pass_the_same_journal_bound_as_single_writes() {
    let mut server = RedisServer::start().unwrap();
    server.kill();
    let mut c = config(server.port());
    c.fallback.journal_max_bytes = 2_000;
    c.fallback.journal_overflow = JournalOverflow::RejectWrites;
    let s = Storage::new(FallbackStorage::start(c).await.unwrap());
    let mut refused = None;
    for i in 0..200 {
        let mut tx = s.transaction();
        tx.set(format!("tx{i}:a"), "some value", None)
            .set(format!("tx{i}:b"), "some value", None);
        if let Err(e) = tx.execute().await {
            refused = Some((i, e));
            break;
        }
    }
    let (i, err) = refused.expect("transactions fill the journal and are then refused");
    assert!(matches!(err, StorageError::Unavailable(_)), "{err}");
    let health = s.health().await.fallback.unwrap();
    assert!(
        health.journal_bytes <= 2_000,
        "journal grew past its bound: {} bytes",
        health.journal_bytes
    );
    assert_eq!(
        s.exists(&[format!("tx{i}:a"), format!("tx{i}:b")])
            .await
            .unwrap(),
        0,
        "a refused transaction applied nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_never_extends_a_ttl_nor_revives_an_expired_key() {
    let server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    server.pause().unwrap();
    // Written during the outage (the first write may time out while the hang is detected).
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.health().await.backend != BackendKind::Memory {
        let _ = s.set("probe", "x", None).await;
        assert!(Instant::now() < deadline, "the hang was never detected");
    }
    s.set("short", "gone soon", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    s.set("long", "stays", Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let written = Instant::now();
    while s.get("short").await.unwrap().is_some() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.resume().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    let r = direct(&server).await;
    assert_eq!(
        r.get("short").await.unwrap(),
        None,
        "an expired key came back"
    );
    let left = match r.pttl("long").await.unwrap() {
        hedgestore::Ttl::Expires(left) => left,
        other => panic!("long has no TTL in redis: {other:?}"),
    };
    assert!(
        left <= Duration::from_secs(5).saturating_sub(written.elapsed())
            + Duration::from_millis(50),
        "TTL extended by the replay: {left:?} left, {:?} after the write",
        written.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_an_outage_and_an_empty_restart_lose_nothing() {
    let mut server = RedisServer::start().unwrap();
    let a = Storage::connect(config(server.port())).await.unwrap();
    let b = Storage::connect(config(server.port())).await.unwrap();
    // Before the outage both instances know the counter (each mirrors its own replies);
    // only `a` knows the list.
    assert_eq!(a.incrby("shared:counter", 100).await.unwrap(), 100);
    assert_eq!(b.incrby("shared:counter", 0).await.unwrap(), 100);
    a.rpush("shared:list", &["a0", "a1"]).await.unwrap();
    a.hset("shared:hash", &[("a", "1")]).await.unwrap();
    a.set("only:a", "kept", None).await.unwrap();
    run(&a, &["SADD", "shared:set", "a0", "a1"]).await;
    run(&a, &["ZADD", "shared:zset", "1.5", "a", "-inf", "low"]).await;
    run(&a, &["SADD", "only:a:set", "x"]).await;

    server.kill();
    // Both instances are idle when Redis dies: their health checks notice, and their next
    // writes are served from memory (none was in flight).
    wait_for_backend(&a, BackendKind::Memory, Duration::from_secs(10)).await;
    wait_for_backend(&b, BackendKind::Memory, Duration::from_secs(10)).await;
    for i in 0..5 {
        a.incr("shared:counter").await.unwrap();
        a.rpush("shared:list", &[format!("a{}", i + 2)])
            .await
            .unwrap();
    }
    for i in 0..3 {
        b.incr("shared:counter").await.unwrap();
        b.rpush("shared:list", &[format!("b{i}")]).await.unwrap();
    }
    b.hset("shared:hash", &[("b", "2")]).await.unwrap();
    run(&b, &["SADD", "shared:set", "b0"]).await;
    run(&b, &["ZADD", "shared:zset", "7", "b", "2", "a"]).await;
    assert_eq!(a.health().await.backend, BackendKind::Memory);
    assert_eq!(b.health().await.backend, BackendKind::Memory);

    // Redis comes back empty (no persistence): both instances recover into it.
    server.restart().unwrap();
    wait_for_backend(&a, BackendKind::Redis, Duration::from_secs(10)).await;
    wait_for_backend(&b, BackendKind::Redis, Duration::from_secs(10)).await;
    let r = direct(&server).await;
    assert_eq!(
        r.get_string("shared:counter").await.unwrap().as_deref(),
        Some("108"),
        "the known value plus every acknowledged increment of both instances"
    );
    let list: Vec<String> = r
        .lrange("shared:list", 0, -1)
        .await
        .unwrap()
        .iter()
        .map(|v| String::from_utf8(v.to_vec()).unwrap())
        .collect();
    let of = |prefix: char| -> Vec<String> {
        list.iter()
            .filter(|v| v.starts_with(prefix))
            .cloned()
            .collect()
    };
    assert_eq!(list.len(), 10, "every element once: {list:?}");
    assert_eq!(&list[..2], ["a0", "a1"], "the known items first: {list:?}");
    assert_eq!(of('a'), (0..7).map(|i| format!("a{i}")).collect::<Vec<_>>());
    assert_eq!(of('b'), (0..3).map(|i| format!("b{i}")).collect::<Vec<_>>());
    assert_eq!(
        r.get_string("only:a").await.unwrap().as_deref(),
        Some("kept"),
        "a key only one instance knew comes back"
    );
    assert_eq!(
        r.get_string("only:a").await.unwrap().as_deref(),
        Some("kept"),
        "a key only one instance knew comes back"
    );
    let hash = r.hgetall("shared:hash").await.unwrap();
    assert_eq!(hash.get(&Bytes::from("a")), Some(&Bytes::from("1")));
    assert_eq!(hash.get(&Bytes::from("b")), Some(&Bytes::from("2")));
    // Sets get the members they lack; sorted sets the members they lack with their known
    // scores (an outage write's score wins).
    let Reply::Array(mut set) = run(&r, &["SMEMBERS", "shared:set"]).await else {
        panic!("not an array")
    };
    set.sort_by(|x, y| format!("{x:?}").cmp(&format!("{y:?}")));
    assert_eq!(set, bulks(&["a0", "a1", "b0"]));
    assert_eq!(
        run(&r, &["ZRANGE", "shared:zset", "0", "-1", "WITHSCORES"]).await,
        Reply::Array(bulks(&["low", "-inf", "a", "2", "b", "7"]))
    );
    assert_eq!(
        run(&r, &["SMEMBERS", "only:a:set"]).await,
        Reply::Array(bulks(&["x"]))
    );
}

/// Runs a command written as words, which must succeed.
async fn run(s: &Storage, words: &[&str]) -> Reply {
    s.execute(Command::parse(words).unwrap()).await.unwrap()
}

fn bulks(items: &[&str]) -> Vec<Reply> {
    items
        .iter()
        .map(|i| Reply::Bulk(i.as_bytes().to_vec()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fencing_tokens_never_decrease_across_flushdb_restarts_and_local_locks() {
    let mut server = RedisServer::start().unwrap();
    let mut c = config(server.port());
    c.fallback.lock_fallback = LockFallback::Local;
    let s = Storage::connect(c).await.unwrap();
    let mut last = 0u64;
    let mut next = |label: &str, token: u64| {
        assert!(token > last, "{label}: token {token} after {last}");
        last = token;
    };
    let take = |s: &Storage| {
        let s = s.clone();
        async move {
            let lock = s
                .acquire_lock("fenced", Duration::from_secs(30), None)
                .await
                .unwrap()
                .expect("free");
            assert!(s.release(&lock).await.unwrap());
            lock.token.0
        }
    };
    next("on redis", take(&s).await);
    next("again", take(&s).await);
    s.execute(hedgestore::Command::FlushDb).await.unwrap();
    next("after FLUSHDB", take(&s).await);
    server.kill();
    s.set("trip", "1", None).await.unwrap();
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(10)).await;
    next("local lock during the outage", take(&s).await);
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    next("on a redis restarted empty", take(&s).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_go_on_while_a_long_journal_is_replayed() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    s.set("warm", "up", None).await.unwrap();
    server.kill();
    // Idle when Redis dies: the health check notices; nothing was in flight.
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(10)).await;
    // A long outage journal: 40,000 pushes.
    let mut tasks = Vec::new();
    for t in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5_000 {
                s.rpush(format!("before:{t}"), &[i.to_string()])
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(s.health().await.fallback.unwrap().journal_entries, 40_000);
    // Redis comes back: the journal replays in the background while a writer goes on.
    server.restart().unwrap();
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let mut n = 0u32;
            let mut on_redis_after = None;
            loop {
                let started = Instant::now();
                s.rpush("during", &[n.to_string()]).await.unwrap();
                slowest = slowest.max(started.elapsed());
                n += 1;
                if s.health().await.backend == BackendKind::Redis {
                    // A few more on Redis, then stop.
                    let after = on_redis_after.get_or_insert(n);
                    if n >= *after + 20 {
                        break;
                    }
                }
                assert!(n < 1_000_000, "never switched back");
            }
            (n, slowest)
        })
    };
    let (n, slowest) = tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .expect("recovered")
        .unwrap();
    eprintln!("{n} writes during the recovery, slowest {slowest:?}");
    // The documented contract: no call waits past the operation timeout (the response
    // timeout, 300 ms here) because of a recovery; the old recovery held every write for
    // the whole replay.
    assert!(
        slowest < Duration::from_millis(300),
        "a write waited {slowest:?}"
    );
    let r = direct(&server).await;
    let during: Vec<u32> = r
        .lrange("during", 0, -1)
        .await
        .unwrap()
        .iter()
        .map(|b| std::str::from_utf8(b).unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        during,
        (0..n).collect::<Vec<_>>(),
        "every write, once, in order"
    );
    for t in 0..8 {
        assert_eq!(r.llen(format!("before:{t}")).await.unwrap(), 5_000);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelines_settle_each_command_across_a_failover() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    let pipeline_of = |round: u32| {
        let mut p = s.pipeline();
        for i in 0..20 {
            p.set(format!("p:{round}:{i}"), i.to_string(), None)
                .rpush("p:list", &[format!("{round}:{i}")]);
        }
        p
    };
    let settle = |replies: Vec<hedgestore::Result<Reply>>, round: u32, pushed: &mut Vec<String>| {
        for (j, reply) in replies.into_iter().enumerate() {
            let i = j / 2;
            match (j % 2, reply) {
                (0, Ok(Reply::Ok)) => {}
                (1, Ok(Reply::Int(_))) => pushed.push(format!("{round}:{i}")),
                // A push sent on the connection Redis died under: applied at most once (here:
                // never, Redis is gone), never journaled.
                (1, Err(StorageError::OutcomeUnknown(_))) => {}
                (_, other) => panic!("command {j} of round {round}: {other:?}"),
            }
        }
    };
    let mut pushed = Vec::new();
    settle(pipeline_of(0).execute().await, 0, &mut pushed);
    server.kill();
    // The next pipeline meets the dead connection (or a refusal): SETs are idempotent, so
    // they are served from memory and journaled; pushes may have an unknown outcome.
    settle(pipeline_of(1).execute().await, 1, &mut pushed);
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(10)).await;
    settle(pipeline_of(2).execute().await, 2, &mut pushed);
    assert_eq!(pushed.len() % 20, 0, "rounds 0 and 2 fully acknowledged");
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    settle(pipeline_of(3).execute().await, 3, &mut pushed);
    let r = direct(&server).await;
    let list: Vec<String> = r
        .lrange("p:list", 0, -1)
        .await
        .unwrap()
        .iter()
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
        .collect();
    // Redis restarted empty: the outage's journal (rounds 1 and 2) and round 3; round 0 was
    // acknowledged by the Redis that died, and the memory mirror merges it back.
    assert_eq!(list, pushed, "every acknowledged push once, in order");
    for round in 1..=3 {
        for i in 0..20 {
            assert_eq!(
                r.get_string(format!("p:{round}:{i}")).await.unwrap(),
                Some(i.to_string()),
                "p:{round}:{i}"
            );
        }
    }
}

/// Redis frozen at startup (SIGSTOP: the kernel still accepts TCP connections, nothing
/// answers, unlike a killed Redis that refuses them): the storage starts, every write is
/// served from memory and journaled (none answers `OutcomeUnknown`: none was sent), and
/// after Redis resumes it holds each of them exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_frozen_at_start_then_resumed_receives_every_write_once() {
    let server = RedisServer::start().unwrap();
    server.pause().unwrap();
    let s = Storage::connect(config(server.port()))
        .await
        .expect("starts with redis frozen");
    for i in 0..10 {
        s.rpush("frozen", &[i.to_string()])
            .await
            .unwrap_or_else(|e| panic!("push {i}: {e}"));
    }
    server.resume().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(10)).await;
    let expected: Vec<Bytes> = (0..10).map(|i| Bytes::from(i.to_string())).collect();
    assert_eq!(
        direct(&server).await.lrange("frozen", 0, -1).await.unwrap(),
        expected
    );
}
