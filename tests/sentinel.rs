//! hedgestore on a master found through Redis Sentinel: a master, a replica and Sentinels
//! (quorum 1, `down-after-milliseconds` 1000), private processes on free loopback ports
//! started by this test binary and killed when each test ends.
//!
//! The failover cases share one setup and run in order inside one test (a setup takes a few
//! seconds); each case is its own function, named for the behaviour it checks.

mod conformance;

mod support;

use support::{fast, forwarding, start_load, wait_for_backend, Load, Seen};
use tokio::task::block_in_place;

use std::time::{Duration, Instant};

use conformance::{Harness, Time};
use hedgestore::{BackendKind, Bytes, Storage, StorageConfig};
use hedgestore_testkit::{Resp, RespConnection, SentinelSet};
use tokio::sync::mpsc;

fn sentinel_config(set: &SentinelSet) -> StorageConfig {
    let sentinels = set.sentinel_list();
    let master = set.master_name.clone();
    StorageConfig::from_lookup(|name| match name {
        "REDIS_SENTINELS" => Some(sentinels.clone()),
        "REDIS_SENTINEL_MASTER" => Some(master.clone()),
        _ => None,
    })
    .expect("the Sentinel settings parse")
    .redis_health_check_interval(Duration::from_millis(200))
}

fn raw_get(port: u16, key: &str) -> Option<Vec<u8>> {
    match RespConnection::connect(port)
        .unwrap()
        .call(&["GET", key])
        .unwrap()
    {
        Resp::Bulk(v) => v,
        other => panic!("GET {key}: {other:?}"),
    }
}

fn subscribers_on(port: u16, channel: &str) -> i64 {
    match RespConnection::connect(port)
        .unwrap()
        .call(&["PUBSUB", "NUMSUB", channel])
        .unwrap()
    {
        Resp::Array(Some(items)) => match items.get(1) {
            Some(Resp::Int(n)) => *n,
            other => panic!("NUMSUB: {other:?}"),
        },
        other => panic!("NUMSUB: {other:?}"),
    }
}

/// Stops the load and checks the counters against what was acknowledged: never more than
/// acknowledged + outcome unknown + failed (those may have been applied: nothing applied
/// twice), and no call that started after the storage followed the new master (`followed`)
/// failed. Returns the acknowledged writes lost (the old master acknowledged them and did
/// not replicate them before the switch: Redis's documented window) and the failed calls.
async fn finish_load(s: &Storage, load: Load, followed: Instant) -> (u64, usize) {
    let (mut lost, mut failed) = (0, 0);
    for Seen {
        key,
        acked,
        unknown,
        errors,
    } in load.stop().await
    {
        let value: u64 = s
            .get_string(key.as_str())
            .await
            .unwrap()
            .map_or(0, |v| v.parse().unwrap());
        let failed_calls = errors.len() as u64;
        assert!(
            value <= acked + unknown + failed_calls,
            "{key}: {value} applied, {acked} acknowledged, {unknown} unknown, {failed_calls} failed"
        );
        for (started, error) in &errors {
            assert!(
                *started < followed,
                "{key}: a call failed after the storage followed the new master: {error}"
            );
        }
        lost += acked.saturating_sub(value);
        if !errors.is_empty() {
            eprintln!(
                "{key}: {} failed calls, e.g. {:?}",
                errors.len(),
                errors[0].1
            );
        }
        failed += errors.len();
    }
    (lost, failed)
}

async fn recv(rx: &mut mpsc::UnboundedReceiver<Bytes>) -> Bytes {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a message within 5 s")
        .expect("the handler is alive")
}

async fn the_master_named_by_the_sentinels_serves(s: &Storage, set: &SentinelSet) {
    s.set("sentinel:where", "master", None).await.unwrap();
    assert_eq!(
        block_in_place(|| raw_get(set.master_port().unwrap(), "sentinel:where")),
        Some(b"master".to_vec())
    );
}

/// Every case of the conformance suite, on the master the Sentinels name.
async fn the_conformance_suite_passes(s: &Storage) {
    let h = Harness {
        storage: s.clone(),
        time: Time::Real,
        guard: None,
    };
    conformance::strings_set_get_delete_exists(&h).await;
    conformance::set_options_nx_xx_keepttl(&h).await;
    conformance::ttl_expire_and_persist(&h).await;
    conformance::expired_keys_are_gone(&h).await;
    conformance::incr_and_typed_errors(&h).await;
    conformance::mget_and_mset(&h).await;
    conformance::keys_and_scan(&h).await;
    conformance::binary_keys_and_values_round_trip(&h).await;
    conformance::hashes(&h).await;
    conformance::lists(&h).await;
    conformance::pubsub_handler_receives_until_unsubscribed(&h).await;
    conformance::pubsub_patterns_and_streams(&h).await;
    conformance::locks_are_exclusive_and_released_by_holder(&h).await;
    conformance::lock_waiter_is_woken_by_release(&h).await;
    conformance::lock_wait_gives_up_at_the_wait_time(&h).await;
    conformance::lock_expires_at_its_ttl(&h).await;
    conformance::lock_contention_keeps_mutual_exclusion(&h).await;
    conformance::transaction_is_all_or_nothing(&h).await;
    conformance::transaction_watch_detects_a_change(&h).await;
    conformance::health_reports_up(&h).await;
    conformance::json_helpers_round_trip(&h).await;
    conformance::every_typed_method_runs(&h).await;
    conformance::sets_and_sorted_sets(&h).await;
    conformance::scripts_run_on_redis_only(&h).await;
    conformance::hash_field_expiration(&h).await;
}

/// Switches the master (`switch` returns the new one's port) under load, then checks that
/// writes go to the new master and that the subscription lives there and still receives.
async fn writes_and_subscriptions_follow_a_new_master(
    s: &Storage,
    rx: &mut mpsc::UnboundedReceiver<Bytes>,
    what: &str,
    switch: impl FnOnce() -> u16,
) {
    let load = start_load(16, &format!("load:{what}"), |_| s.clone());
    load.wait_for_more(200).await;
    let started = Instant::now();
    let new_master = block_in_place(switch);
    let switched = started.elapsed();
    // The storage follows soon after the Sentinels name the new master: within a health
    // round, or at once when the old master refuses connections or answers READONLY.
    let named = Instant::now();
    for i in 0u64.. {
        s.set("sentinel:probe", i.to_string().as_str(), None)
            .await
            .unwrap();
        if block_in_place(|| raw_get(new_master, "sentinel:probe"))
            == Some(i.to_string().into_bytes())
        {
            break;
        }
        // A bound for a stuck storage, not a speed claim (the time is printed below; a
        // loaded 2-core machine must not fail it).
        assert!(
            named.elapsed() < Duration::from_secs(10),
            "{what}: still writing elsewhere 10 s after the Sentinels named {new_master}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let followed_at = Instant::now();
    let followed = named.elapsed();
    load.wait_for_more(200).await;
    let (lost, failed) = finish_load(s, load, followed_at).await;
    eprintln!(
        "{what}: new master {new_master} named after {switched:?}, followed {followed:?} later; \
         {lost} acknowledged writes lost (the replication window), {failed} calls failed"
    );
    let key = format!("sentinel:after:{what}");
    s.set(key.as_str(), "1", None).await.unwrap();
    assert_eq!(
        block_in_place(|| raw_get(new_master, &key)),
        Some(b"1".to_vec())
    );
    // The subscription was sent again to the new master.
    let deadline = Instant::now() + Duration::from_secs(5);
    while block_in_place(|| subscribers_on(new_master, "sentinel:news")) < 1 {
        assert!(
            Instant::now() < deadline,
            "not resubscribed on the new master"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while rx.try_recv().is_ok() {}
    let payload = format!("after {what}");
    assert!(s.publish("sentinel:news", payload.as_str()).await.unwrap() >= 1);
    assert_eq!(recv(rx).await, payload.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failovers_are_followed() {
    let started = Instant::now();
    let mut set =
        block_in_place(|| SentinelSet::start(3)).expect("start master, replica and Sentinels");
    eprintln!("sentinel setup up in {:?}", started.elapsed());
    let s = Storage::redis(sentinel_config(&set).redis_response_timeout(Duration::from_secs(5)))
        .await
        .expect("connect through the Sentinels");
    the_master_named_by_the_sentinels_serves(&s, &set).await;
    the_conformance_suite_passes(&s).await;

    let (tx, mut rx) = mpsc::unbounded_channel();
    let _sub = s
        .subscribe("sentinel:news", forwarding(tx.clone()))
        .await
        .unwrap();
    s.publish("sentinel:news", "before").await.unwrap();
    assert_eq!(recv(&mut rx).await, "before");

    writes_and_subscriptions_follow_a_new_master(&s, &mut rx, "failover", || {
        set.failover().expect("SENTINEL FAILOVER")
    })
    .await;
    // The demoted master resynchronizes from the new one before that one is killed.
    block_in_place(|| set.wait_replicas_synced()).expect("the old master follows the new one");
    writes_and_subscriptions_follow_a_new_master(&s, &mut rx, "kill", || {
        set.kill_master().expect("the replica is promoted")
    })
    .await;
    assert!(s.health().await.healthy);
    s.close().await.unwrap();
    eprintln!("sentinel suite in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_serves_memory_while_every_node_is_down_and_replays_afterwards() {
    let mut set =
        block_in_place(|| SentinelSet::start(1)).expect("start master, replica and a Sentinel");
    // The same setup as one URL this time.
    let url = format!(
        "redis+sentinel://{}/{}",
        set.sentinel_list(),
        set.master_name
    );
    let config = fast(
        StorageConfig::from_lookup(|name| (name == "REDIS_URL").then(|| url.clone()))
            .expect("the redis+sentinel:// URL parses"),
    )
    .redis_health_check_interval(Duration::from_millis(200));
    let s = Storage::connect(config).await.unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(5)).await;
    s.set("fb:before", "1", None).await.unwrap();

    block_in_place(|| set.kill_data());
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(10)).await;
    let mut acked = 0;
    for i in 0..50 {
        s.incr("fb:count").await.unwrap();
        s.rpush("fb:list", &[i.to_string().as_str()]).await.unwrap();
        acked += 1;
    }
    assert_eq!(
        s.get_string("fb:count").await.unwrap().as_deref(),
        Some("50")
    );

    block_in_place(|| set.restart_data()).expect("restart master and replica");
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(20)).await;
    let master = block_in_place(|| set.master_port()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while block_in_place(|| raw_get(master, "fb:count")) != Some(acked.to_string().into_bytes()) {
        assert!(
            Instant::now() < deadline,
            "the outage writes were not replayed into the master: {:?}",
            block_in_place(|| raw_get(master, "fb:count"))
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let len =
        block_in_place(|| RespConnection::connect(master)?.call(&["LLEN", "fb:list"])).unwrap();
    assert_eq!(len, Resp::Int(acked));
    s.close().await.unwrap();
}

/// The memory fallback over Sentinel through a `SENTINEL FAILOVER`: it stays on Redis (a
/// failover is not an outage when the new master answers within the operation timeout),
/// writes reach the new master, and nothing is applied twice; writes the old master
/// acknowledged after the promotion are the documented window, counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_follows_a_sentinel_failover() {
    let set =
        block_in_place(|| SentinelSet::start(1)).expect("start master, replica and a Sentinel");
    let config = sentinel_config(&set)
        .redis_response_timeout(Duration::from_secs(3))
        .redis_connect_timeout(Duration::from_millis(200));
    let s = Storage::connect(config).await.unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(5)).await;
    for _ in 0..100 {
        s.incr("fbf:count").await.unwrap();
    }
    block_in_place(|| set.wait_replicas_synced()).unwrap();
    let new_master = block_in_place(|| set.failover()).expect("SENTINEL FAILOVER");
    let (mut acked, mut maybe) = (100, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while block_in_place(|| raw_get(new_master, "fbf:probe")).is_none() {
        assert!(Instant::now() < deadline, "never wrote to the new master");
        match s.incr("fbf:count").await {
            Ok(_) => acked += 1,
            // Failed during the switch: may or may not have been applied.
            Err(_) => maybe += 1,
        }
        let _ = s.set("fbf:probe", "1", None).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..50 {
        s.incr("fbf:count").await.unwrap();
        acked += 1;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let health = s.health().await;
    let value: u64 =
        String::from_utf8(block_in_place(|| raw_get(new_master, "fbf:count")).unwrap())
            .unwrap()
            .parse()
            .unwrap();
    eprintln!(
        "fallback over a failover: backend {:?}, {value} on the new master, {acked} acknowledged",
        health.backend
    );
    assert_eq!(health.backend, BackendKind::Redis);
    assert!(
        value <= acked + maybe,
        "applied twice: {value} > {acked} + {maybe}"
    );
    s.close().await.unwrap();
}
