//! Stress / fuzz test: arbitrary command sequences (every command family, random names,
//! random byte arguments, batches, clock jumps, active expiry, locks, pub/sub) under a tight
//! memory budget. Nothing may panic, and after every step every invariant must hold:
//!
//! * the engine's internal consistency and its memory formula (`check_integrity`);
//! * memory never above `max_memory` by more than one entry;
//! * no expired key is visible;
//! * a failed batch leaves the keyspace exactly as it was;
//! * lock fencing tokens only grow; subscriber queues stay within their capacity.
//!
//! `HEDGESTORE_STRESS_CASES` runs more cases (CI runs the default, a bounded time).

use hedgestore_core::{
    Command, Engine, EngineConfig, EvictionPolicy, ExpireCondition, Expiry, LockHolder,
    ManualClock, Reply, ZRangeBy,
};
use proptest::prelude::*;

/// Command names with their argument count after the name: (name, minimum, variadic).
const SHAPES: &[(&str, usize, bool)] = &[
    ("GET", 1, false),
    ("SET", 2, true),
    ("GETDEL", 1, false),
    ("GETEX", 1, true),
    ("MGET", 1, true),
    ("MSET", 2, true),
    ("SETNX", 2, false),
    ("INCR", 1, false),
    ("DECR", 1, false),
    ("INCRBY", 2, false),
    ("DECRBY", 2, false),
    ("INCRBYFLOAT", 2, false),
    ("APPEND", 2, false),
    ("STRLEN", 1, false),
    ("DEL", 1, true),
    ("EXISTS", 1, true),
    ("EXPIRE", 2, true),
    ("PEXPIRE", 2, true),
    ("EXPIREAT", 2, true),
    ("PEXPIREAT", 2, true),
    ("TTL", 1, false),
    ("PTTL", 1, false),
    ("PERSIST", 1, false),
    ("TYPE", 1, false),
    ("RENAME", 2, false),
    ("KEYS", 1, false),
    ("SCAN", 1, true),
    ("DBSIZE", 0, false),
    ("FLUSHDB", 0, false),
    ("PING", 0, true),
    ("HSET", 3, true),
    ("HGET", 2, false),
    ("HMGET", 2, true),
    ("HGETALL", 1, false),
    ("HDEL", 2, true),
    ("HEXISTS", 2, false),
    ("HLEN", 1, false),
    ("HKEYS", 1, false),
    ("HVALS", 1, false),
    ("HINCRBY", 3, false),
    ("HINCRBYFLOAT", 3, false),
    ("HSETNX", 3, false),
    ("LPUSH", 2, true),
    ("RPUSH", 2, true),
    ("LPUSHX", 2, true),
    ("RPUSHX", 2, true),
    ("LPOP", 1, true),
    ("RPOP", 1, true),
    ("LRANGE", 3, false),
    ("LLEN", 1, false),
    ("LINDEX", 2, false),
    ("LSET", 3, false),
    ("LTRIM", 3, false),
    ("LREM", 3, false),
    ("LINSERT", 4, false),
    ("SETEX", 3, false),
    ("PSETEX", 3, false),
    ("GETSET", 2, false),
    ("MSETNX", 2, true),
    ("SETRANGE", 3, false),
    ("GETRANGE", 3, false),
    ("FLUSHALL", 0, false),
    ("ECHO", 1, false),
    ("HMSET", 3, true),
    ("SADD", 2, true),
    ("SREM", 2, true),
    ("SMEMBERS", 1, false),
    ("SISMEMBER", 2, false),
    ("SMISMEMBER", 2, true),
    ("SCARD", 1, false),
    ("SPOP", 1, true),
    ("SRANDMEMBER", 1, true),
    ("SMOVE", 3, false),
    ("SINTER", 1, true),
    ("SUNION", 1, true),
    ("SDIFF", 1, true),
    ("SINTERSTORE", 2, true),
    ("SUNIONSTORE", 2, true),
    ("SDIFFSTORE", 2, true),
    ("SINTERCARD", 2, true),
    ("SSCAN", 2, true),
    ("ZADD", 3, true),
    ("ZINCRBY", 3, false),
    ("ZSCORE", 2, false),
    ("ZMSCORE", 2, true),
    ("ZCARD", 1, false),
    ("ZCOUNT", 3, false),
    ("ZLEXCOUNT", 3, false),
    ("ZRANK", 2, true),
    ("ZREVRANK", 2, true),
    ("ZREM", 2, true),
    ("ZRANGE", 3, true),
    ("ZREVRANGE", 3, true),
    ("ZRANGEBYSCORE", 3, true),
    ("ZREVRANGEBYSCORE", 3, true),
    ("ZRANGEBYLEX", 3, true),
    ("ZREVRANGEBYLEX", 3, true),
    ("ZREMRANGEBYRANK", 3, false),
    ("ZREMRANGEBYSCORE", 3, false),
    ("ZREMRANGEBYLEX", 3, false),
    ("ZPOPMIN", 1, true),
    ("ZPOPMAX", 1, true),
    ("ZRANDMEMBER", 1, true),
    ("ZUNIONSTORE", 3, true),
    ("ZINTERSTORE", 3, true),
    ("ZDIFFSTORE", 3, true),
    ("ZSCAN", 2, true),
    ("PUBLISH", 2, false),
    ("PUBSUB", 1, true),
    ("NOSUCH", 0, true),
    ("", 0, false),
];

const KEYS: &[&str] = &[
    "k0", "k1", "k2", "k3", "k4", "k5", "h", "h2", "l", "l2", "s", "s2", "z", "z2",
];

const WORDS: &[&str] = &[
    "k0",
    "k1",
    "k2",
    "h",
    "l",
    "0",
    "1",
    "-1",
    "5",
    "100",
    "1.5",
    "abc",
    "EX",
    "PX",
    "NX",
    "XX",
    "GET",
    "KEEPTTL",
    "PERSIST",
    "GT",
    "LT",
    "BEFORE",
    "AFTER",
    "MATCH",
    "COUNT",
    "TYPE",
    "*",
    "k[",
    "9223372036854775807",
    "-9223372036854775808",
    "CHANNELS",
    "NUMSUB",
    "NUMPAT",
    "s",
    "z",
    "2",
    "-inf",
    "+inf",
    "(1",
    "[a",
    "(a",
    "-",
    "+",
    "BYSCORE",
    "BYLEX",
    "REV",
    "LIMIT",
    "WITHSCORES",
    "WITHSCORE",
    "WEIGHTS",
    "AGGREGATE",
    "MAX",
    "INCR",
    "CH",
];

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::sample::select(&["1", "2", "5", "100", "0", "-1", "3000"][..]).prop_map(|w| w.as_bytes().to_vec()),
        3 => proptest::sample::select(WORDS).prop_map(|w| w.as_bytes().to_vec()),
        2 => (500usize..6000).prop_map(|n| vec![b'x'; n]),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

/// Mostly well-formed commands (right arity, a key where the key goes), sometimes not.
fn command() -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        proptest::sample::select(SHAPES),
        proptest::sample::select(KEYS),
        proptest::collection::vec(arg(), 8),
        0usize..3,
        0u8..10,
    )
        .prop_map(|((name, min, variadic), key, pool, extra, mangle)| {
            let mut args = vec![name.as_bytes().to_vec()];
            let n = min + if variadic { extra } else { 0 };
            for i in 0..n {
                if i == 0 {
                    args.push(key.as_bytes().to_vec());
                } else {
                    args.push(pool.get(i).cloned().unwrap_or_else(|| b"1".to_vec()));
                }
            }
            if mangle == 0 {
                args.truncate(args.len().saturating_sub(1).max(1));
            } else if mangle == 1 {
                args.extend(pool.into_iter().take(2));
            }
            args
        })
}

#[derive(Debug, Clone)]
enum Step {
    Run(Vec<Vec<u8>>),
    Batch(Vec<Vec<Vec<u8>>>),
    Advance(u32),
    Expire(usize, u16),
    Timeout,
    Lock(u8, u8, u16),
    Unlock(u8, u8),
    Subscribe(u8, u8),
    Publish(u8, usize),
    Drain(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        10 => command().prop_map(Step::Run),
        2 => proptest::collection::vec(command(), 1..6).prop_map(Step::Batch),
        2 => (0u32..5000).prop_map(Step::Advance),
        2 => (0..KEYS.len(), 1u16..3000).prop_map(|(k, ms)| Step::Expire(k, ms)),
        2 => Just(Step::Timeout),
        1 => (0u8..3, 0u8..3, 0u16..2000).prop_map(|(n, o, t)| Step::Lock(n, o, t)),
        1 => (0u8..3, 0u8..3).prop_map(|(n, o)| Step::Unlock(n, o)),
        1 => (0u8..3, 0u8..3).prop_map(|(s, c)| Step::Subscribe(s, c)),
        1 => (0u8..3, 0usize..200).prop_map(|(c, n)| Step::Publish(c, n)),
        1 => (0u8..3).prop_map(Step::Drain),
    ]
}

/// The visible keyspace, in a comparable form.
fn dump(e: &mut Engine<ManualClock>) -> Vec<(Vec<u8>, Reply, i64)> {
    let mut keys = e.keys(b"*").unwrap();
    keys.sort();
    keys.into_iter()
        .map(|k| {
            let content = match e.key_type(&k).map(|t| t.as_str()) {
                Some("string") => Reply::Bulk(e.get(&k).unwrap().unwrap()),
                Some("hash") => {
                    let mut all = e.hgetall(&k).unwrap();
                    all.sort();
                    Reply::Array(
                        all.into_iter()
                            .flat_map(|(f, v)| [Reply::Bulk(f), Reply::Bulk(v)])
                            .collect(),
                    )
                }
                Some("set") => {
                    let mut all = e.smembers(&k).unwrap();
                    all.sort();
                    Reply::Array(all.into_iter().map(Reply::Bulk).collect())
                }
                Some("zset") => Reply::Array(
                    e.zrange(&k, &ZRangeBy::Rank(0, -1), false, None)
                        .unwrap()
                        .into_iter()
                        .flat_map(|(m, s)| {
                            [Reply::Bulk(m), Reply::Bulk(s.to_string().into_bytes())]
                        })
                        .collect(),
                ),
                _ => Reply::Array(
                    e.lrange(&k, 0, -1)
                        .unwrap()
                        .into_iter()
                        .map(Reply::Bulk)
                        .collect(),
                ),
            };
            let pttl = e.pttl(&k);
            (k, content, pttl)
        })
        .collect()
}

const MAX_MEMORY: usize = 85 << 10;
const QUEUE: usize = 8;

fn run(steps: Vec<Step>, policy: EvictionPolicy) -> Result<(), TestCaseError> {
    let clock = ManualClock::new(1_700_000_000_000);
    let mut e = Engine::with_config(
        clock.clone(),
        EngineConfig {
            max_memory: MAX_MEMORY,
            eviction_policy: policy,
            subscriber_queue_capacity: QUEUE,
            expire_work_budget: 16,
            eviction_threshold_percent: 100,
            ..EngineConfig::default()
        },
    );
    let subs: Vec<_> = (0..3).map(|_| e.create_subscriber()).collect();
    let mut last_token = 0;
    for step in steps {
        // A write may carry usage past the limit by at most what it writes (one entry, or one
        // batch), plus per-entry bookkeeping.
        let slack = 2048
            + match &step {
                Step::Run(args) => args.iter().map(Vec::len).sum(),
                Step::Batch(cmds) => cmds.iter().flatten().map(Vec::len).sum(),
                _ => 0,
            };
        match step {
            Step::Run(args) => {
                let _ = Command::parse(&args).and_then(|c| e.execute(c));
            }
            Step::Batch(cmds) => {
                let parsed: Result<Vec<Command>, _> =
                    cmds.iter().map(|a| Command::parse(a)).collect();
                if let Ok(parsed) = parsed {
                    let before = dump(&mut e);
                    let evicted = e.stats().evicted;
                    if e.execute_batch(parsed).is_err() && e.stats().evicted == evicted {
                        prop_assert_eq!(
                            dump(&mut e),
                            before,
                            "a failed batch changed the keyspace"
                        );
                    }
                }
            }
            Step::Advance(ms) => clock.advance(u64::from(ms)),
            Step::Expire(k, ms) => {
                let _ = e.expire(
                    KEYS[k].as_bytes(),
                    Expiry::Px(i64::from(ms)),
                    ExpireCondition::Always,
                );
            }
            Step::Timeout => {
                use hedgestore_core::Clock;
                let r = e.handle_timeout(clock.now());
                prop_assert!(r.examined <= 16);
            }
            Step::Lock(n, o, ttl) => {
                if let Ok(Some(t)) = e.acquire_lock(&[n], &[o], u64::from(ttl)) {
                    prop_assert!(t.0 > last_token, "fencing tokens must grow");
                    last_token = t.0;
                }
            }
            Step::Unlock(n, o) => {
                e.release_lock(&[n], LockHolder::Owner(&[o]));
            }
            Step::Subscribe(s, c) => {
                e.subscribe(subs[s as usize], &[c]);
            }
            Step::Publish(c, n) => {
                e.publish(&[c], &vec![1u8; n]);
            }
            Step::Drain(s) => while e.next_message(subs[s as usize]).is_some() {},
        }
        prop_assert_eq!(e.check_integrity(), Ok(()));
        prop_assert!(
            e.used_memory() <= MAX_MEMORY + slack,
            "memory {} over budget {} + {}",
            e.used_memory(),
            MAX_MEMORY,
            slack
        );
        for s in &subs {
            prop_assert!(e.subscriber_backlog(*s) <= QUEUE);
        }
        for (k, _, pttl) in dump(&mut e) {
            prop_assert!(
                pttl == -1 || pttl > 0,
                "key {:?} visible with pttl {}",
                k,
                pttl
            );
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("HEDGESTORE_STRESS_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_sequences_keep_every_invariant(steps in proptest::collection::vec(step(), 1..120)) {
        run(steps, EvictionPolicy::AllKeysLru)?;
    }

    #[test]
    fn arbitrary_sequences_keep_every_invariant_without_eviction(steps in proptest::collection::vec(step(), 1..120)) {
        run(steps, EvictionPolicy::NoEviction)?;
    }

    #[test]
    fn arbitrary_bytes_never_make_parse_panic(args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..8)) {
        let _ = Command::parse(&args);
    }
}
