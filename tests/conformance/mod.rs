//! The conformance suite: one contract, every backend.
//!
//! Each case is an async function over a [`Harness`] (a storage plus a way to move time).
//! A backend's test file runs them all with [`conformance_suite!`]:
//!
//! ```ignore
//! mod conformance;
//! conformance_suite!(memory_harness());
//! ```
//!
//! Cases use their own key names, so they can share a server; none assumes an empty store.
//!
//! Longer than 600 lines on purpose: one function per case of the contract, all in one list.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hedgestore::{
    handler, message_handler, Bytes, Command, Error, Reply, SetOptions, Storage, StorageError, Ttl,
};
use tokio::sync::mpsc;

mod api;
mod scripts;
pub use api::{every_typed_method_runs, hash_field_expiration, sets_and_sorted_sets};
pub use scripts::scripts_run_on_redis_only;

/// How a backend's tests move time.
#[derive(Clone, Copy, Debug)]
pub enum Time {
    /// tokio's clock is paused (the storage's clock follows it): advance instantly.
    Paused,
    /// A real server keeps real time: sleep.
    Real,
}

/// A storage under test, its time control, and whatever must live as long as the test
/// (a private redis-server, for instance).
pub struct Harness {
    pub storage: Storage,
    pub time: Time,
    pub guard: Option<Box<dyn std::any::Any + Send>>,
}

impl Harness {
    pub async fn advance(&self, d: Duration) {
        match self.time {
            Time::Paused => tokio::time::advance(d).await,
            Time::Real => tokio::time::sleep(d).await,
        }
    }
}

/// Generates one `#[tokio::test]` per case for the harness expression `$make` (an async
/// expression yielding a [`Harness`]): `conformance_suite!(paused: make())` runs with tokio's
/// clock paused, `conformance_suite!(real_time: make())` on a multi-threaded runtime in real
/// time (for servers).
#[macro_export]
macro_rules! conformance_suite {
    (paused: $make:expr) => {
        $crate::conformance_suite!(@all (start_paused = true) $make);
    };
    (real_time: $make:expr) => {
        $crate::conformance_suite!(@all (flavor = "multi_thread", worker_threads = 2) $make);
    };
    (@all $attr:tt $make:expr) => {
        $crate::conformance_suite!(@cases $attr $make;
            strings_set_get_delete_exists,
            set_options_nx_xx_keepttl,
            ttl_expire_and_persist,
            expired_keys_are_gone,
            incr_and_typed_errors,
            mget_and_mset,
            keys_and_scan,
            binary_keys_and_values_round_trip,
            hashes,
            lists,
            pubsub_handler_receives_until_unsubscribed,
            pubsub_patterns_and_streams,
            locks_are_exclusive_and_released_by_holder,
            lock_waiter_is_woken_by_release,
            lock_wait_gives_up_at_the_wait_time,
            lock_expires_at_its_ttl,
            lock_contention_keeps_mutual_exclusion,
            transaction_is_all_or_nothing,
            transaction_watch_detects_a_change,
            pipeline_answers_each_command_and_is_not_atomic,
            health_reports_up,
            json_helpers_round_trip,
            every_typed_method_runs,
            sets_and_sorted_sets,
            scripts_run_on_redis_only,
            hash_field_expiration
        );
    };
    (@cases $attr:tt $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test $attr]
            async fn $case() {
                let harness = $make.await;
                $crate::conformance::$case(&harness).await;
            }
        )*
    };
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

pub async fn strings_set_get_delete_exists(h: &Harness) {
    let s = &h.storage;
    s.set("c:s:a", "1", None).await.unwrap();
    s.set("c:s:b", "2", None).await.unwrap();
    assert_eq!(s.get("c:s:a").await.unwrap(), Some(b("1")));
    assert_eq!(s.get_string("c:s:b").await.unwrap().as_deref(), Some("2"));
    assert_eq!(s.get("c:s:missing").await.unwrap(), None);
    assert_eq!(
        s.exists(&["c:s:a", "c:s:b", "c:s:missing", "c:s:a"])
            .await
            .unwrap(),
        3
    );
    assert_eq!(s.del(&["c:s:a", "c:s:b", "c:s:missing"]).await.unwrap(), 2);
    assert_eq!(s.exists(&["c:s:a"]).await.unwrap(), 0);
}

pub async fn set_options_nx_xx_keepttl(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:o:k"]).await.unwrap();
    assert!(!s
        .set_with("c:o:k", "x", SetOptions::default().xx())
        .await
        .unwrap());
    assert!(s
        .set_with("c:o:k", "v1", SetOptions::default().nx())
        .await
        .unwrap());
    assert!(!s
        .set_with("c:o:k", "v2", SetOptions::default().nx())
        .await
        .unwrap());
    assert!(s
        .set_with("c:o:k", "v3", SetOptions::default().xx().ex(100))
        .await
        .unwrap());
    assert!(s
        .set_with("c:o:k", "v4", SetOptions::default().keep_ttl())
        .await
        .unwrap());
    assert!(
        matches!(s.pttl("c:o:k").await.unwrap(), Ttl::Expires(d) if d > Duration::from_secs(90))
    );
    s.set("c:o:k", "v5", None).await.unwrap();
    assert_eq!(
        s.pttl("c:o:k").await.unwrap(),
        Ttl::Persistent,
        "a plain SET clears the TTL"
    );
    assert_eq!(s.get("c:o:k").await.unwrap(), Some(b("v5")));
}

pub async fn ttl_expire_and_persist(h: &Harness) {
    let s = &h.storage;
    s.set("c:t:k", "v", None).await.unwrap();
    assert_eq!(s.pttl("c:t:missing").await.unwrap(), Ttl::Missing);
    assert_eq!(s.pttl("c:t:k").await.unwrap(), Ttl::Persistent);
    assert!(s.expire("c:t:k", 50).await.unwrap());
    let Ttl::Expires(left) = s.pttl("c:t:k").await.unwrap() else {
        panic!("expected a TTL")
    };
    assert!(left <= Duration::from_secs(50) && left > Duration::from_secs(45));
    assert!(s.persist("c:t:k").await.unwrap());
    assert!(!s.persist("c:t:k").await.unwrap());
    assert_eq!(s.pttl("c:t:k").await.unwrap(), Ttl::Persistent);
    assert!(!s.expire("c:t:missing", 5).await.unwrap());
}

pub async fn expired_keys_are_gone(h: &Harness) {
    let s = &h.storage;
    s.set("c:x:short", "v", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    s.hset("c:x:hash", &[("f", "v")]).await.unwrap();
    s.pexpire("c:x:hash", 300).await.unwrap();
    s.set("c:x:long", "v", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    h.advance(Duration::from_millis(500)).await;
    assert_eq!(s.get("c:x:short").await.unwrap(), None);
    assert_eq!(s.hget("c:x:hash", "f").await.unwrap(), None);
    assert_eq!(s.pttl("c:x:short").await.unwrap(), Ttl::Missing);
    assert_eq!(s.get("c:x:long").await.unwrap(), Some(b("v")));
}

pub async fn incr_and_typed_errors(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:i:n", "c:i:text", "c:i:list"]).await.unwrap();
    assert_eq!(s.incrby("c:i:n", 5).await.unwrap(), 5);
    assert_eq!(s.incrby("c:i:n", -7).await.unwrap(), -2);
    s.set("c:i:text", "abc", None).await.unwrap();
    let err = s.incr("c:i:text").await.unwrap_err();
    assert_eq!(err.command_error(), Some(&Error::NotInteger));
    s.rpush("c:i:list", &["x"]).await.unwrap();
    let err = s.get("c:i:list").await.unwrap_err();
    assert_eq!(err, StorageError::Command(Error::WrongType));
    assert!(err.to_string().starts_with("WRONGTYPE"));
    assert_eq!(
        s.lrange("c:i:list", 0, -1).await.unwrap(),
        vec![b("x")],
        "nothing changed"
    );
    let err = s.set("c:i:n", "v", Some(Duration::ZERO)).await.unwrap_err();
    assert!(matches!(
        err.command_error(),
        Some(Error::InvalidExpireTime(_))
    ));
    assert_eq!(s.get("c:i:n").await.unwrap(), Some(b("-2")));
}

pub async fn mget_and_mset(h: &Harness) {
    let s = &h.storage;
    s.mset(&[("c:m:a", "1"), ("c:m:b", "2")]).await.unwrap();
    s.del(&["c:m:none"]).await.unwrap();
    assert_eq!(
        s.mget(&["c:m:a", "c:m:none", "c:m:b"]).await.unwrap(),
        vec![Some(b("1")), None, Some(b("2"))]
    );
}

pub async fn keys_and_scan(h: &Harness) {
    let s = &h.storage;
    for i in 0..30 {
        s.set(format!("c:k:{i}"), "v", None).await.unwrap();
    }
    let mut keys = s.keys("c:k:*").await.unwrap();
    keys.sort();
    assert_eq!(keys.len(), 30);
    let mut scanned = Vec::new();
    let mut cursor = 0;
    loop {
        let (next, page) = s.scan(cursor, Some("c:k:*"), Some(7), None).await.unwrap();
        scanned.extend(page);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    scanned.sort();
    scanned.dedup();
    assert_eq!(scanned, keys);
}

pub async fn binary_keys_and_values_round_trip(h: &Harness) {
    let s = &h.storage;
    let key = [0u8, 159, 146, 150, b'\r', b'\n'];
    let value: Vec<u8> = (0..=255u8).collect();
    s.set(key, &value, None).await.unwrap();
    assert_eq!(s.get(key).await.unwrap().as_deref(), Some(&value[..]));
    s.hset("c:bin:h", &[(key, &value)]).await.unwrap();
    assert_eq!(
        s.hget("c:bin:h", key).await.unwrap().as_deref(),
        Some(&value[..])
    );
}

pub async fn hashes(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:h:o"]).await.unwrap();
    assert_eq!(s.hset("c:h:o", &[("side", "buy")]).await.unwrap(), 1);
    assert_eq!(s.hset("c:h:o", &[("side", "sell")]).await.unwrap(), 0);
    assert_eq!(
        s.hset("c:h:o", &[("qty", "100"), ("px", "99.5"), ("side", "buy")])
            .await
            .unwrap(),
        2
    );
    assert_eq!(s.hget("c:h:o", "side").await.unwrap(), Some(b("buy")));
    assert_eq!(
        s.hmget("c:h:o", &["qty", "nope"]).await.unwrap(),
        vec![Some(b("100")), None]
    );
    let all = s.hgetall("c:h:o").await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all.get(&b("px")), Some(&b("99.5")));
    assert!(s.hexists("c:h:o", "qty").await.unwrap());
    assert_eq!(s.hlen("c:h:o").await.unwrap(), 3);
    assert_eq!(s.hincrby("c:h:o", "qty", -40).await.unwrap(), 60);
    assert_eq!(s.hdel("c:h:o", &["qty", "px", "nope"]).await.unwrap(), 2);
    assert_eq!(s.hdel("c:h:o", &["side"]).await.unwrap(), 1);
    assert_eq!(
        s.exists(&["c:h:o"]).await.unwrap(),
        0,
        "an emptied hash is gone"
    );
    assert!(s.hgetall("c:h:o").await.unwrap().is_empty());
}

pub async fn lists(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:l:q"]).await.unwrap();
    assert_eq!(s.lpush("c:l:q", &["b", "a"]).await.unwrap(), 2);
    assert_eq!(s.rpush("c:l:q", &["c", "d", "e"]).await.unwrap(), 5);
    assert_eq!(
        s.lrange("c:l:q", 0, -1).await.unwrap(),
        vec![b("a"), b("b"), b("c"), b("d"), b("e")]
    );
    assert_eq!(
        s.lrange("c:l:q", -2, -1).await.unwrap(),
        vec![b("d"), b("e")]
    );
    assert_eq!(s.lpop("c:l:q", 2).await.unwrap(), vec![b("a"), b("b")]);
    assert_eq!(s.rpop("c:l:q", 1).await.unwrap(), vec![b("e")]);
    assert_eq!(s.llen("c:l:q").await.unwrap(), 2);
    s.ltrim("c:l:q", 1, 1).await.unwrap();
    assert_eq!(s.lrange("c:l:q", 0, -1).await.unwrap(), vec![b("d")]);
    assert_eq!(s.lpop("c:l:q", 5).await.unwrap(), vec![b("d")]);
    assert_eq!(
        s.exists(&["c:l:q"]).await.unwrap(),
        0,
        "an emptied list is gone"
    );
    assert!(s.lpop("c:l:q", 1).await.unwrap().is_empty());
}

async fn recv(rx: &mut mpsc::UnboundedReceiver<(Bytes, Bytes)>) -> Option<(Bytes, Bytes)> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .ok()
        .flatten()
}

pub async fn pubsub_handler_receives_until_unsubscribed(h: &Harness) {
    let s = &h.storage;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sub = s
        .subscribe(
            "c:ps:news",
            handler(move |channel, payload| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send((channel, payload));
                }
            }),
        )
        .await
        .unwrap();
    assert!(s.publish("c:ps:news", "one").await.unwrap() >= 1);
    s.publish("c:ps:news", "two").await.unwrap();
    assert_eq!(recv(&mut rx).await, Some((b("c:ps:news"), b("one"))));
    assert_eq!(recv(&mut rx).await, Some((b("c:ps:news"), b("two"))));
    sub.unsubscribe().await.unwrap();
    assert_eq!(s.publish("c:ps:news", "three").await.unwrap(), 0);
    assert!(tokio::time::timeout(Duration::from_millis(300), rx.recv())
        .await
        .map_or(true, |m| m.is_none()));
}

pub async fn pubsub_patterns_and_streams(h: &Harness) {
    let s = &h.storage;
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let _psub = s
        .psubscribe(
            "c:pp:prices.*",
            message_handler(move |m| {
                let counter = counter.clone();
                async move {
                    assert_eq!(m.pattern.as_deref(), Some(&b"c:pp:prices.*"[..]));
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }),
        )
        .await
        .unwrap();
    let mut stream = s.subscribe_stream("c:pp:prices.eur").await.unwrap();
    assert_eq!(s.publish("c:pp:prices.eur", "1.08").await.unwrap(), 2);
    assert_eq!(s.publish("c:pp:prices.usd", "1.00").await.unwrap(), 1);
    let m = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((m.channel, m.payload), (b("c:pp:prices.eur"), b("1.08")));
    for _ in 0..100 {
        if seen.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen.load(Ordering::SeqCst), 2);
}

pub async fn locks_are_exclusive_and_released_by_holder(h: &Harness) {
    let s = &h.storage;
    let ttl = Duration::from_secs(30);
    let first = s
        .acquire_lock("c:lk:a", ttl, None)
        .await
        .unwrap()
        .expect("free lock");
    assert_eq!(
        s.acquire_lock("c:lk:a", ttl, None).await.unwrap(),
        None,
        "held"
    );
    assert!(s
        .extend_lock("c:lk:a", Duration::from_secs(60))
        .await
        .unwrap());
    assert!(s.release(&first).await.unwrap());
    assert!(!s.release(&first).await.unwrap(), "already released");
    let second = s.acquire_lock("c:lk:a", ttl, None).await.unwrap().unwrap();
    assert!(second.token > first.token, "fencing tokens grow");
    assert!(s.release_lock("c:lk:a").await.unwrap());
    assert!(!s.release_lock("c:lk:a").await.unwrap());
}

pub async fn lock_waiter_is_woken_by_release(h: &Harness) {
    let s = h.storage.clone();
    let held = s
        .acquire_lock("c:lw:a", Duration::from_secs(30), None)
        .await
        .unwrap()
        .unwrap();
    let waiter = {
        let s = s.clone();
        tokio::spawn(async move {
            s.acquire_lock(
                "c:lw:a",
                Duration::from_secs(30),
                Some(Duration::from_secs(20)),
            )
            .await
        })
    };
    h.advance(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished());
    assert!(s.release(&held).await.unwrap());
    let got = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(got.expect("woken and acquired").token > held.token);
}

pub async fn lock_wait_gives_up_at_the_wait_time(h: &Harness) {
    let s = &h.storage;
    let _held = s
        .acquire_lock("c:lg:a", Duration::from_secs(60), None)
        .await
        .unwrap()
        .unwrap();
    let start = tokio::time::Instant::now();
    let got = s
        .acquire_lock(
            "c:lg:a",
            Duration::from_secs(5),
            Some(Duration::from_millis(400)),
        )
        .await
        .unwrap();
    assert_eq!(got, None);
    assert!(start.elapsed() >= Duration::from_millis(400));
    assert!(start.elapsed() < Duration::from_secs(5));
}

pub async fn lock_expires_at_its_ttl(h: &Harness) {
    let s = &h.storage;
    let first = s
        .acquire_lock("c:le:a", Duration::from_millis(300), None)
        .await
        .unwrap()
        .unwrap();
    // A waiter with a long wait gets the lock when it expires.
    let got = s
        .acquire_lock(
            "c:le:a",
            Duration::from_secs(5),
            Some(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert!(got.expect("acquired after expiry").token > first.token);
    assert!(
        !s.release(&first).await.unwrap(),
        "the expired holder cannot release"
    );
}

pub async fn lock_contention_keeps_mutual_exclusion(h: &Harness) {
    let inside = Arc::new(AtomicUsize::new(0));
    let entered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (s, inside, entered) = (h.storage.clone(), inside.clone(), entered.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..3 {
                let lock = s
                    .acquire_lock(
                        "c:lc:a",
                        Duration::from_secs(30),
                        Some(Duration::from_secs(60)),
                    )
                    .await
                    .unwrap()
                    .expect("acquired within the wait");
                assert_eq!(
                    inside.fetch_add(1, Ordering::SeqCst),
                    0,
                    "two holders at once"
                );
                entered.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                assert!(s.release(&lock).await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(entered.load(Ordering::SeqCst), 48);
}

pub async fn pipeline_answers_each_command_and_is_not_atomic(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:pipe:n", "c:pipe:text", "c:pipe:h"])
        .await
        .unwrap();
    s.set("c:pipe:text", "abc", None).await.unwrap();
    assert!(s.pipeline().execute().await.is_empty());
    let mut pipeline = s.pipeline();
    for i in 0..100 {
        pipeline.incrby("c:pipe:n", i);
    }
    pipeline
        .incr("c:pipe:text")
        .hset("c:pipe:h", &[("f", "v")])
        .get("c:pipe:n")
        .command(Command::Keys {
            pattern: b"[".to_vec(),
        });
    assert_eq!(pipeline.len(), 104);
    let replies = pipeline.execute().await;
    assert_eq!(replies.len(), 104);
    let mut total = 0;
    for (i, reply) in replies[..100].iter().enumerate() {
        total += i as i64;
        assert_eq!(reply, &Ok(Reply::Int(total)), "INCRBY #{i}");
    }
    // A command that fails fails alone: the ones after it still apply.
    assert!(
        matches!(&replies[100], Err(StorageError::Command(e)) if e.to_string().contains("not an integer")),
        "{:?}",
        replies[100]
    );
    assert_eq!(replies[101], Ok(Reply::Int(1)));
    assert_eq!(
        replies[102],
        Ok(Reply::Bulk(total.to_string().into_bytes()))
    );
    // An invalid command is answered without being sent.
    assert!(replies[103].is_err(), "{:?}", replies[103]);
    assert_eq!(
        s.hget("c:pipe:h", "f").await.unwrap().as_deref(),
        Some(&b"v"[..])
    );
}

pub async fn transaction_is_all_or_nothing(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:tx:a", "c:tx:h", "c:tx:text"]).await.unwrap();
    s.set("c:tx:text", "abc", None).await.unwrap();
    let mut tx = s.transaction();
    tx.set("c:tx:a", "1", None)
        .hset("c:tx:h", &[("f", "v")])
        .incr("c:tx:text");
    let err = tx.execute().await.unwrap_err();
    assert!(
        err.to_string().contains("#2"),
        "names the failing command: {err}"
    );
    assert_eq!(
        s.exists(&["c:tx:a", "c:tx:h"]).await.unwrap(),
        0,
        "nothing applied"
    );
    let mut tx = s.transaction();
    tx.set("c:tx:a", "1", None)
        .hset("c:tx:h", &[("f", "v")])
        .incrby("c:tx:a", 5)
        .get("c:tx:a");
    let replies = tx.execute().await.unwrap();
    assert_eq!(
        replies,
        vec![
            Reply::Ok,
            Reply::Int(1),
            Reply::Int(6),
            Reply::Bulk(b"6".to_vec())
        ]
    );
}

pub async fn transaction_watch_detects_a_change(h: &Harness) {
    let s = &h.storage;
    s.set("c:tw:balance", "100", None).await.unwrap();
    let mut tx = s.transaction();
    tx.watch(&["c:tw:balance"]).await.unwrap();
    s.incrby("c:tw:balance", -30).await.unwrap(); // a concurrent writer
    tx.set("c:tw:balance", "0", None);
    let err = tx.execute().await.unwrap_err();
    assert!(matches!(err, StorageError::Transaction(_)), "{err}");
    assert_eq!(s.get("c:tw:balance").await.unwrap(), Some(b("70")));
    let mut tx = s.transaction();
    tx.watch(&["c:tw:balance"]).await.unwrap();
    tx.command(Command::Set {
        key: b"c:tw:balance".to_vec(),
        value: b"0".to_vec(),
        options: SetOptions::default(),
    });
    tx.execute().await.unwrap();
    assert_eq!(s.get("c:tw:balance").await.unwrap(), Some(b("0")));
}

pub async fn health_reports_up(h: &Harness) {
    assert!(h.storage.health().await.healthy);
}

pub async fn json_helpers_round_trip(h: &Harness) {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Order {
        id: u32,
        side: String,
        qty: f64,
    }
    let order = Order {
        id: 7,
        side: "buy".into(),
        qty: 1.5,
    };
    h.storage.set_json("c:j:order", &order, None).await.unwrap();
    assert_eq!(
        h.storage.get_json::<Order>("c:j:order").await.unwrap(),
        Some(order)
    );
    h.storage.set("c:j:bad", "not json", None).await.unwrap();
    assert!(matches!(
        h.storage.get_json::<Order>("c:j:bad").await,
        Err(StorageError::Decode(_))
    ));
}
