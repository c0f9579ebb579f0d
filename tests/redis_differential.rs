//! `MemoryStorage` and `RedisStorage` side by side: thousands of random commands (strings,
//! hashes, lists, sets, sorted sets) through the public `Storage` API (wrong types and bad
//! numbers included) must give identical replies and errors, and leave identical keyspaces.
//! A plain `GET` and `SET` go through the handle's typed `get`/`set` as well (on memory,
//! the storage's typed calls rather than a `Command`). `HEDGESTORE_DIFF_SEED` explores
//! other sequences.

use hedgestore::{
    Command, MemoryConfig, RedisStorage, Reply, Storage, StorageConfig, StorageError,
};
use hedgestore_testkit::{RedisServer, Rng};

const KEYS: &[&str] = &["a", "b", "c", "h", "l"];
const VALUES: &[&str] = &["1", "-5", "x", "", "2.5", "abc"];
const INTS: &[&str] = &["0", "1", "-1", "2", "10", "-3", "z"];

fn pick(rng: &mut Rng, from: &[&str]) -> String {
    rng.pick(from).to_string()
}

fn random_command(rng: &mut Rng) -> Vec<String> {
    let k = pick(rng, KEYS);
    let v = pick(rng, VALUES);
    let i = pick(rng, INTS);
    let j = pick(rng, INTS);
    let f = pick(rng, &["f1", "f2", "f3"]);
    let score = pick(rng, &["1", "2.5", "-inf", "0.1", "1e20", "x"]);
    let words: Vec<String> = match rng.below(36) {
        0 => vec!["SET".into(), k, v],
        1 => vec!["SET".into(), k, v, "NX".into()],
        2 => vec!["GET".into(), k],
        3 => vec!["INCRBY".into(), k, i],
        4 => vec!["APPEND".into(), k, v],
        5 => vec!["DEL".into(), k, pick(rng, KEYS)],
        6 => vec!["EXISTS".into(), k, pick(rng, KEYS)],
        7 => vec!["EXPIRE".into(), k, "1000".into()],
        8 => vec!["TTL".into(), k],
        9 => vec!["PERSIST".into(), k],
        10 => vec!["TYPE".into(), k],
        11 => vec!["HSET".into(), k, f, v],
        12 => vec!["HGET".into(), k, f],
        13 => vec!["HDEL".into(), k, f],
        14 => vec!["HINCRBY".into(), k, f, i],
        15 => vec!["HLEN".into(), k],
        16 => vec!["LPUSH".into(), k, v, pick(rng, VALUES)],
        17 => vec!["RPUSH".into(), k, v],
        18 => vec!["LPOP".into(), k],
        19 => vec!["RPOP".into(), k, "2".into()],
        20 => vec!["LRANGE".into(), k, i, j],
        21 => vec!["LLEN".into(), k],
        22 => vec!["MGET".into(), k, pick(rng, KEYS)],
        23 => vec!["SADD".into(), k, v, f],
        24 => vec!["SISMEMBER".into(), k, v],
        25 => vec!["SCARD".into(), k],
        26 => vec!["SREM".into(), k, v],
        27 => vec!["ZADD".into(), k, score, f],
        28 => vec!["ZINCRBY".into(), k, score, f],
        29 => vec!["ZRANGE".into(), k, i, j, "WITHSCORES".into()],
        30 => vec!["ZSCORE".into(), k, f],
        31 => vec!["ZRANK".into(), k, f],
        32 => vec!["SETRANGE".into(), k, pick(rng, &["0", "2", "-1"]), v],
        33 => vec!["GETRANGE".into(), k, i, j],
        34 => vec!["ECHO".into(), v],
        _ => vec!["STRLEN".into(), k],
    };
    words
}

fn normalize(r: Result<Reply, StorageError>) -> Result<Reply, String> {
    r.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_and_redis_agree_on_random_commands() {
    let server = RedisServer::start().unwrap();
    let redis = Storage::new(
        RedisStorage::connect(StorageConfig::default().redis_url(server.url()).redis)
            .await
            .unwrap(),
    );
    let memory = Storage::memory(MemoryConfig::default()).unwrap();
    let seed = std::env::var("HEDGESTORE_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_127);
    let mut rng = Rng::new(seed);
    let mut errors = 0;
    for n in 0..3000 {
        let args = random_command(&mut rng);
        let Ok(command) = Command::parse(&args) else {
            continue;
        };
        let (expected, actual) = match &args[..] {
            // The typed calls: what they answer, as the reply `execute` would give.
            [name, key] if name == "GET" => {
                let typed = |r: Result<Option<hedgestore::Bytes>, StorageError>| {
                    normalize(r.map(|v| v.map_or(Reply::Nil, |b| Reply::Bulk(b.to_vec()))))
                };
                (typed(redis.get(key).await), typed(memory.get(key).await))
            }
            [name, key, value] if name == "SET" => {
                let typed = |r: Result<(), StorageError>| normalize(r.map(|()| Reply::Ok));
                (
                    typed(redis.set(key, value, None).await),
                    typed(memory.set(key, value, None).await),
                )
            }
            _ => (
                normalize(redis.execute(command.clone()).await),
                normalize(memory.execute(command).await),
            ),
        };
        if expected.is_err() {
            errors += 1;
        }
        match (&expected, &actual) {
            // Both backends read their own clock: allow a second of rounding on TTL.
            (Ok(Reply::Int(a)), Ok(Reply::Int(b))) if args[0] == "TTL" && *a >= 0 => {
                assert!((a - b).abs() <= 1, "#{n} {args:?}: redis {a} vs memory {b}")
            }
            _ => assert_eq!(expected, actual, "seed {seed}, #{n} {args:?}"),
        }
    }
    assert!(
        errors > 100,
        "the mix should exercise error paths ({errors})"
    );
    let mut a = redis.keys("*").await.unwrap();
    let mut b = memory.keys("*").await.unwrap();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    for key in a {
        let dump = |s: &Storage| {
            let s = s.clone();
            let key = key.clone();
            async move {
                let t = s
                    .execute(Command::Type { key: key.to_vec() })
                    .await
                    .unwrap();
                let content = match &t {
                    Reply::Status("string") => {
                        s.execute(Command::Get { key: key.to_vec() }).await.unwrap()
                    }
                    Reply::Status("list") => s
                        .execute(Command::LRange {
                            key: key.to_vec(),
                            start: 0,
                            stop: -1,
                        })
                        .await
                        .unwrap(),
                    Reply::Status("set") => {
                        let members = s
                            .execute(Command::SMembers { key: key.to_vec() })
                            .await
                            .unwrap();
                        let Reply::Array(mut members) = members else {
                            panic!("SMEMBERS answers an array")
                        };
                        members.sort_by_key(|m| format!("{m:?}"));
                        Reply::Array(members)
                    }
                    Reply::Status("zset") => s
                        .execute(
                            Command::parse(&[&b"ZRANGE"[..], &key, b"0", b"-1", b"WITHSCORES"])
                                .unwrap(),
                        )
                        .await
                        .unwrap(),
                    _ => {
                        let mut all: Vec<_> = s.hgetall(&key).await.unwrap().into_iter().collect();
                        all.sort();
                        Reply::Array(
                            all.into_iter()
                                .flat_map(|(f, v)| {
                                    [Reply::Bulk(f.to_vec()), Reply::Bulk(v.to_vec())]
                                })
                                .collect(),
                        )
                    }
                };
                (t, content)
            }
        };
        assert_eq!(dump(&redis).await, dump(&memory).await, "key {key:?}");
    }
}
