//! The sharded memory engine: commands, transactions and keyspace-wide commands across
//! shards behave as on one engine; the memory budget is split; locks, pub/sub and the
//! append-only log keep their guarantees however the keys are spread.

mod support;

use support::TempDir;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hedgestore::{
    hashed_part, BaseStorage, BatchError, Command, CompleteStorage, Durability, Engine,
    EngineConfig, Fsync, LockStorage, ManualClock, MemoryConfig, MemoryStorage, Reply,
    ShardedEngine, SystemClock,
};

const SHARDS: usize = 16;

fn cmd(args: &[&str]) -> Command {
    Command::parse(args).unwrap()
}

fn bulk(text: &str) -> Reply {
    Reply::Bulk(text.as_bytes().to_vec())
}

fn sharded() -> (ShardedEngine<ManualClock>, ManualClock) {
    let clock = ManualClock::new(1_000);
    (
        ShardedEngine::new(clock.clone(), EngineConfig::default(), SHARDS),
        clock,
    )
}

fn run(e: &ShardedEngine<ManualClock>, args: &[&str]) -> Reply {
    e.execute(cmd(args)).unwrap()
}

/// Two key names in different shards.
fn apart(e: &ShardedEngine<ManualClock>) -> (String, String) {
    let a = "a".to_string();
    let b = (0..)
        .map(|i| format!("b{i}"))
        .find(|b| e.shard_of(b.as_bytes()) != e.shard_of(a.as_bytes()))
        .unwrap();
    (a, b)
}

#[test]
fn keys_are_spread_and_tags_colocate() {
    let (e, _) = sharded();
    assert_eq!(hashed_part(b"{user:1}:name"), b"user:1");
    assert_eq!(e.shard_of(b"{user:1}:name"), e.shard_of(b"{user:1}:cart"));
    let used: BTreeSet<usize> = (0..200)
        .map(|i| e.shard_of(format!("k{i}").as_bytes()))
        .collect();
    assert_eq!(used.len(), SHARDS, "200 keys reach every shard");
}

#[test]
fn mset_mget_del_exists_across_shards() {
    let (e, _) = sharded();
    let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    let mut mset = vec!["MSET".to_string()];
    for k in &keys {
        mset.push(k.clone());
        mset.push(format!("v-{k}"));
    }
    let mset: Vec<&str> = mset.iter().map(String::as_str).collect();
    assert_eq!(run(&e, &mset), Reply::Ok);
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    mget.push("missing");
    let Reply::Array(values) = run(&e, &mget) else {
        panic!("MGET answers an array")
    };
    assert_eq!(values.len(), 41);
    for (k, v) in keys.iter().zip(&values) {
        assert_eq!(*v, bulk(&format!("v-{k}")));
    }
    assert_eq!(values[40], Reply::Nil);
    assert_eq!(
        run(&e, &["EXISTS", "k1", "k2", "k1", "nope"]),
        Reply::Int(3)
    );
    assert_eq!(run(&e, &["DEL", "k1", "k2", "k3", "nope"]), Reply::Int(3));
    assert_eq!(run(&e, &["DBSIZE"]), Reply::Int(37));
    assert_eq!(run(&e, &["MSETNX", "k4", "x", "new", "y"]), Reply::Int(0));
    assert_eq!(run(&e, &["GET", "new"]), Reply::Nil);
}

#[test]
fn rename_across_shards_keeps_value_and_expiry() {
    let (e, clock) = sharded();
    let (a, b) = apart(&e);
    run(&e, &["SET", &a, "value", "PX", "5000"]);
    assert_eq!(run(&e, &["RENAME", &a, &b]), Reply::Ok);
    assert_eq!(run(&e, &["GET", &a]), Reply::Nil);
    assert_eq!(run(&e, &["GET", &b]), bulk("value"));
    assert_eq!(run(&e, &["PTTL", &b]), Reply::Int(5000));
    assert_eq!(run(&e, &["DBSIZE"]), Reply::Int(1));
    // The moved key is in its own shard: it expires there.
    clock.advance(5001);
    assert_eq!(run(&e, &["GET", &b]), Reply::Nil);
    assert!(e.execute(cmd(&["RENAME", &a, &b])).is_err(), "no such key");
}

#[test]
fn multi_key_writes_across_shards() {
    let (e, _) = sharded();
    let (a, b) = apart(&e);
    run(&e, &["SADD", &a, "x", "y"]);
    assert_eq!(run(&e, &["SMOVE", &a, &b, "x"]), Reply::Int(1));
    assert_eq!(run(&e, &["SCARD", &a]), Reply::Int(1));
    assert_eq!(run(&e, &["SISMEMBER", &b, "x"]), Reply::Int(1));
    run(&e, &["RPUSH", "list1", "1", "2"]);
    let (l1, l2) = ("list1".to_string(), apart_from(&e, "list1"));
    assert_eq!(run(&e, &["LMOVE", &l1, &l2, "LEFT", "RIGHT"]), bulk("1"));
    assert_eq!(
        run(&e, &["LRANGE", &l2, "0", "-1"]),
        Reply::Array(vec![bulk("1")])
    );
    run(&e, &["ZADD", "z1", "1", "m", "2", "n"]);
    let z2 = apart_from(&e, "z1");
    run(&e, &["ZADD", &z2, "10", "m"]);
    let dest = apart_from(&e, &z2);
    assert_eq!(
        run(&e, &["ZUNIONSTORE", &dest, "2", "z1", &z2]),
        Reply::Int(2)
    );
    assert_eq!(run(&e, &["ZSCORE", &dest, "m"]), bulk("11"));
    // A WRONGTYPE across shards changes nothing.
    assert!(e.execute(cmd(&["SMOVE", &l2, &a, "x"])).is_err());
    assert_eq!(run(&e, &["LLEN", &l2]), Reply::Int(1));
}

fn apart_from(e: &ShardedEngine<ManualClock>, key: &str) -> String {
    (0..)
        .map(|i| format!("{key}-{i}"))
        .find(|k| e.shard_of(k.as_bytes()) != e.shard_of(key.as_bytes()))
        .unwrap()
}

#[test]
fn a_transaction_across_shards_is_all_or_nothing() {
    let (e, _) = sharded();
    let (a, b) = apart(&e);
    run(&e, &["SET", &a, "1"]);
    run(&e, &["SET", &b, "text"]);
    let version_a = e.key_version(a.as_bytes());
    let err = e
        .execute_batch_watched::<&[u8]>(
            &[],
            vec![
                cmd(&["INCR", &a]),
                cmd(&["SET", "c", "new"]),
                cmd(&["INCR", &b]),
            ],
        )
        .unwrap_err();
    assert!(
        matches!(err, BatchError::Command { index: 2, .. }),
        "{err:?}"
    );
    assert_eq!(run(&e, &["GET", &a]), bulk("1"));
    assert_eq!(run(&e, &["GET", "c"]), Reply::Nil);
    assert_eq!(
        e.key_version(a.as_bytes()),
        version_a,
        "a rolled-back key keeps its version"
    );
    let replies = e
        .execute_batch_watched::<&[u8]>(&[], vec![cmd(&["INCR", &a]), cmd(&["SET", &b, "2"])])
        .unwrap();
    assert_eq!(replies, vec![Reply::Int(2), Reply::Ok]);
    assert_ne!(
        e.key_version(a.as_bytes()),
        version_a,
        "a written key gets a new version"
    );
}

#[test]
fn watch_across_shards_detects_a_change_and_ignores_reads() {
    let (e, _) = sharded();
    let (a, b) = apart(&e);
    run(&e, &["SET", &a, "1"]);
    run(&e, &["SET", &b, "1"]);
    let watched = vec![
        (a.clone().into_bytes(), e.key_version(a.as_bytes())),
        (b.clone().into_bytes(), e.key_version(b.as_bytes())),
    ];
    // A cross-shard read moves both keys through a scratch engine: no version changes.
    run(&e, &["MGET", &a, &b]);
    assert!(e.execute(cmd(&["SUNION", &a, &b])).is_err(), "WRONGTYPE");
    assert!(e
        .execute_batch_watched(&watched, vec![cmd(&["SET", "x", "1"])])
        .is_ok());
    run(&e, &["SET", &b, "2"]);
    let err = e
        .execute_batch_watched(&watched, vec![cmd(&["SET", "y", "1"])])
        .unwrap_err();
    assert_eq!(
        err,
        BatchError::Conflict {
            key: b.into_bytes()
        }
    );
    assert_eq!(run(&e, &["GET", "y"]), Reply::Nil);
}

#[test]
fn scan_returns_every_key_exactly_once() {
    let (e, _) = sharded();
    for i in 0..1000 {
        run(&e, &["SET", &format!("key:{i}"), "v"]);
    }
    run(&e, &["SADD", "a-set", "m"]);
    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let Reply::Array(page) = run(&e, &["SCAN", &cursor, "MATCH", "key:*", "COUNT", "7"]) else {
            panic!("SCAN answers an array")
        };
        let [Reply::Bulk(next), Reply::Array(keys)] = &page[..] else {
            panic!("SCAN answers a cursor and keys")
        };
        assert!(keys.len() <= 7, "a page holds at most COUNT keys");
        seen.extend(keys.iter().map(|k| match k {
            Reply::Bulk(k) => String::from_utf8(k.clone()).unwrap(),
            other => panic!("{other:?}"),
        }));
        cursor = String::from_utf8(next.clone()).unwrap();
        calls += 1;
        if cursor == "0" {
            break;
        }
        assert!(calls < 10_000, "SCAN never ends");
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 1000, "no key twice");
    assert_eq!(unique.len(), 1000);
    assert!(unique.iter().all(|k| k.starts_with("key:")));
}

#[test]
fn keyspace_wide_commands_cover_every_shard() {
    let (e, _) = sharded();
    for i in 0..100 {
        run(&e, &["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(run(&e, &["DBSIZE"]), Reply::Int(100));
    let Reply::Array(keys) = run(&e, &["KEYS", "k1*"]) else {
        panic!()
    };
    assert_eq!(keys.len(), 11);
    let Reply::Bulk(random) = run(&e, &["RANDOMKEY"]) else {
        panic!("a key")
    };
    assert_eq!(
        run(&e, &["EXISTS", std::str::from_utf8(&random).unwrap()]),
        Reply::Int(1)
    );
    assert_eq!(run(&e, &["FLUSHDB"]), Reply::Ok);
    assert_eq!(run(&e, &["DBSIZE"]), Reply::Int(0));
    assert_eq!(run(&e, &["RANDOMKEY"]), Reply::Nil);
    assert_eq!(e.stats().keys, 0);
}

#[test]
fn a_transaction_with_flushdb_rolls_back_every_shard() {
    let (e, _) = sharded();
    for i in 0..50 {
        run(&e, &["SET", &format!("k{i}"), "1"]);
    }
    let err = e
        .execute_batch_watched::<&[u8]>(
            &[],
            vec![
                cmd(&["FLUSHDB"]),
                cmd(&["SET", "s", "x"]),
                cmd(&["INCR", "s"]),
            ],
        )
        .unwrap_err();
    assert!(matches!(err, BatchError::Command { index: 2, .. }));
    assert_eq!(run(&e, &["DBSIZE"]), Reply::Int(50));
    assert_eq!(run(&e, &["GET", "k7"]), bulk("1"));
}

#[test]
fn each_shard_evicts_within_its_part_of_the_budget() {
    let clock = ManualClock::new(1_000);
    let config = EngineConfig {
        max_memory: 256 << 10,
        ..EngineConfig::default()
    };
    let e = ShardedEngine::new(clock, config, 8);
    let value = "v".repeat(1000);
    for i in 0..2000 {
        run(&e, &["SET", &format!("key:{i}"), &value]);
    }
    let stats = e.stats();
    assert_eq!(stats.max_memory, 256 << 10);
    assert!(stats.evicted > 0, "{stats:?}");
    assert!(stats.used_memory <= stats.max_memory, "{stats:?}");
    for shard in 0..e.shards() {
        let s = e.with_engine(shard, |engine| engine.stats());
        assert_eq!(s.max_memory, 32 << 10);
        assert!(s.used_memory <= s.max_memory, "shard {shard}: {s:?}");
        assert!(s.keys > 0, "shard {shard} keeps keys");
    }
}

#[test]
fn one_shard_is_one_engine() {
    let clock = ManualClock::new(1_000);
    let e = ShardedEngine::new(clock.clone(), EngineConfig::default(), 1);
    let mut plain = Engine::new(clock);
    assert_eq!(e.engines(), 1);
    for args in [
        &["SET", "a", "1"][..],
        &["RENAME", "a", "b"],
        &["MSET", "c", "1", "d", "2"],
        &["PUBLISH", "ch", "m"],
        &["DBSIZE"],
        &["SCAN", "0"],
    ] {
        assert_eq!(e.execute(cmd(args)), plain.execute(cmd(args)), "{args:?}");
    }
}

#[test]
fn concurrent_transfers_across_shards_keep_the_total() {
    let accounts: Vec<String> = (0..8).map(|i| format!("acct:{i}")).collect();
    let e = ShardedEngine::new(SystemClock::new(), EngineConfig::default(), SHARDS);
    let shards: BTreeSet<usize> = accounts.iter().map(|a| e.shard_of(a.as_bytes())).collect();
    assert!(shards.len() > 1, "the accounts span shards");
    for a in &accounts {
        e.execute(cmd(&["SET", a, "1000"])).unwrap();
    }
    let stop = AtomicBool::new(false);
    let total = |e: &ShardedEngine<SystemClock>| -> i64 {
        let mut mget = vec!["MGET"];
        mget.extend(accounts.iter().map(String::as_str));
        let Reply::Array(values) = e.execute(cmd(&mget)).unwrap() else {
            panic!("MGET answers an array")
        };
        values
            .iter()
            .map(|v| match v {
                Reply::Bulk(b) => std::str::from_utf8(b).unwrap().parse::<i64>().unwrap(),
                other => panic!("{other:?}"),
            })
            .sum()
    };
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..3)
            .map(|t| {
                let e = &e;
                let accounts = &accounts;
                scope.spawn(move || {
                    for i in 0..2000 {
                        let from = &accounts[(i + t) % accounts.len()];
                        let to = &accounts[(i * 3 + t + 1) % accounts.len()];
                        // Every 7th transfer fails at its end (WRONGTYPE): nothing of it
                        // may stay.
                        let mut batch =
                            vec![cmd(&["DECRBY", from, "5"]), cmd(&["INCRBY", to, "5"])];
                        if i % 7 == 0 {
                            batch.push(cmd(&["HSET", to, "f", "v"]));
                        }
                        let result = e.execute_batch_watched::<&[u8]>(&[], batch);
                        assert_eq!(result.is_err(), i % 7 == 0, "{result:?}");
                    }
                })
            })
            .collect();
        let reader = scope.spawn(|| {
            let mut checks = 0u64;
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(total(&e), 8000, "a reader saw a half-applied transfer");
                checks += 1;
            }
            checks
        });
        for w in writers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    assert_eq!(total(&e), 8000);
}

fn log_settings(dir: &Path) -> Durability {
    Durability {
        data_dir: Some(dir.to_path_buf()),
        fsync: Fsync::Always,
        ..Durability::default()
    }
}

fn open(dir: &Path, shards: usize) -> MemoryStorage {
    let config = MemoryConfig {
        shards,
        ..MemoryConfig::default()
    };
    MemoryStorage::open(config, &log_settings(dir)).unwrap()
}

async fn exec(storage: &MemoryStorage, args: &[&str]) -> Reply {
    storage.execute(cmd(args)).await.unwrap()
}

/// Every key with its type and a dump of its value, sorted: the whole state to compare.
async fn state(storage: &MemoryStorage) -> Vec<(Reply, Reply)> {
    let Reply::Array(keys) = exec(storage, &["KEYS", "*"]).await else {
        panic!("KEYS answers an array")
    };
    let mut keys: Vec<String> = keys
        .into_iter()
        .map(|k| match k {
            Reply::Bulk(k) => String::from_utf8(k).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    keys.sort();
    let mut out = Vec::new();
    for k in keys {
        let Reply::Status(kind) = exec(storage, &["TYPE", &k]).await else {
            panic!("TYPE answers a status")
        };
        let value = match kind {
            "string" => exec(storage, &["GET", &k]).await,
            "list" => exec(storage, &["LRANGE", &k, "0", "-1"]).await,
            "set" => exec(storage, &["SMEMBERS", &k]).await,
            "hash" => exec(storage, &["HGETALL", &k]).await,
            "zset" => exec(storage, &["ZRANGE", &k, "0", "-1", "WITHSCORES"]).await,
            other => panic!("type {other}"),
        };
        out.push((bulk(&k), value));
    }
    out
}

#[tokio::test]
async fn the_log_replays_cross_shard_transactions_after_a_restart() {
    let dir = tempdir();
    let storage = open(dir.path(), SHARDS);
    for i in 0..30 {
        exec(&storage, &["SET", &format!("k{i}"), &i.to_string()]).await;
    }
    exec(&storage, &["MSET", "m1", "a", "m2", "b", "m3", "c"]).await;
    exec(&storage, &["RENAME", "k1", "renamed"]).await;
    exec(&storage, &["SADD", "s1", "x", "y"]).await;
    exec(&storage, &["SMOVE", "s1", "s2", "x"]).await;
    exec(&storage, &["RPUSH", "l1", "1", "2", "3"]).await;
    exec(&storage, &["LMOVE", "l1", "l2", "LEFT", "LEFT"]).await;
    storage
        .execute_transaction(
            Vec::new(),
            vec![
                cmd(&["INCRBY", "k2", "100"]),
                cmd(&["DECRBY", "k3", "100"]),
                cmd(&["HSET", "h", "f", "v"]),
                cmd(&["PUBLISH", "ch", "hello"]),
            ],
        )
        .await
        .unwrap();
    // A failed transaction leaves no trace, in memory or in the log.
    assert!(storage
        .execute_transaction(
            Vec::new(),
            vec![cmd(&["INCRBY", "k4", "1"]), cmd(&["INCR", "m1"])],
        )
        .await
        .is_err());
    exec(&storage, &["DEL", "k5", "k6", "m3"]).await;
    let before = state(&storage).await;
    assert_eq!(exec(&storage, &["GET", "k2"]).await, bulk("102"));
    assert_eq!(exec(&storage, &["GET", "k4"]).await, bulk("4"));
    storage.close().await.unwrap();
    drop(storage);

    // The same state whatever the number of shards it is replayed into.
    for shards in [SHARDS, 1, 4] {
        let storage = open(dir.path(), shards);
        assert_eq!(state(&storage).await, before, "{shards} shards");
        storage.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_lock_keeps_growing_tokens_while_keys_in_every_shard_change() {
    let storage = MemoryStorage::start(MemoryConfig {
        shards: SHARDS,
        ..MemoryConfig::default()
    })
    .unwrap();
    let ttl = Duration::from_secs(10);
    let first = storage
        .acquire_lock(b"job", ttl, None)
        .await
        .unwrap()
        .unwrap();
    assert!(storage
        .acquire_lock(b"job", ttl, None)
        .await
        .unwrap()
        .is_none());
    for i in 0..64 {
        exec(&storage, &["SET", &format!("k{i}"), "v"]).await;
    }
    exec(&storage, &["FLUSHDB"]).await;
    assert!(storage.release(&first).await.unwrap());
    let second = storage
        .acquire_lock(b"job", ttl, None)
        .await
        .unwrap()
        .unwrap();
    assert!(second.token > first.token, "{second:?} after {first:?}");
    // A waiter is woken by the release, whatever shards the keys are in.
    let waiter = {
        let storage = storage.clone();
        tokio::spawn(async move {
            storage
                .acquire_lock(b"job", ttl, Some(Duration::from_secs(30)))
                .await
        })
    };
    tokio::task::yield_now().await;
    exec(&storage, &["MSET", "a", "1", "b", "2", "c", "3"]).await;
    assert!(storage.release(&second).await.unwrap());
    let third = waiter.await.unwrap().unwrap().unwrap();
    assert!(third.token > second.token);
}

#[tokio::test]
async fn key_versions_across_shards_detect_a_change() {
    let storage = MemoryStorage::start(MemoryConfig {
        shards: SHARDS,
        ..MemoryConfig::default()
    })
    .unwrap();
    assert_eq!(storage.shards(), SHARDS);
    exec(&storage, &["MSET", "x", "1", "y", "2", "z", "3"]).await;
    let keys = vec![b"x".to_vec(), b"y".to_vec(), b"z".to_vec()];
    let versions = storage.key_versions(&keys).await.unwrap();
    let watched: Vec<_> = keys.iter().cloned().zip(versions).collect();
    exec(&storage, &["SET", "z", "changed"]).await;
    let err = storage
        .execute_transaction(watched, vec![cmd(&["SET", "x", "10"])])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("CONFLICT"), "{err}");
    assert_eq!(exec(&storage, &["GET", "x"]).await, bulk("1"));
}

fn tempdir() -> TempDir {
    support::tempdir("shards")
}
