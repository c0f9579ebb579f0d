//! The conformance case generated from core's method list: every typed method runs on the
//! backend and its reply converts.

use hedgestore::{
    Aggregate, Bytes, LexBound, ScoreBound, Storage, StorageError, ZAddComparison, ZAddOptions,
    ZRangeBy,
};

use super::Harness;

/// An argument of a parameter kind for a method of a group, fitting what
/// [`every_typed_method_runs`] seeds: `c:api:s` a string, `c:api:h` a hash, `c:api:l` a list,
/// `c:api:t` a set, `c:api:z` a sorted set, `c:api:p` a HyperLogLog.
macro_rules! api_sample {
    (base, key, bytes) => {
        "c:api:s"
    };
    (hash, key, bytes) => {
        "c:api:h"
    };
    (list, key, bytes) => {
        "c:api:l"
    };
    (set, key, bytes) => {
        "c:api:t"
    };
    (set, source, bytes) => {
        "c:api:t"
    };
    (zset, key, bytes) => {
        "c:api:z"
    };
    (hll, key, bytes) => {
        "c:api:p"
    };
    ($group:ident, $param:ident, bytes) => {
        "c:api:f"
    };
    (base, $param:ident, bytes_list) => {
        &["c:api:s"]
    };
    (hash, $param:ident, bytes_list) => {
        &["f"]
    };
    (list, $param:ident, bytes_list) => {
        &["1"]
    };
    (pubsub, $param:ident, bytes_list) => {
        &["c:api:c"]
    };
    (set, keys, bytes_list) => {
        &["c:api:t"]
    };
    (zset, keys, bytes_list) => {
        &["c:api:z"]
    };
    (hll, $param:ident, bytes_list) => {
        &["c:api:p"]
    };
    ($group:ident, $param:ident, bytes_list) => {
        &["a"]
    };
    ($group:ident, $param:ident, pairs) => {
        &[("c:api:f", "1")]
    };
    ($group:ident, $param:ident, opt_text) => {
        None
    };
    ($group:ident, $param:ident, int) => {
        1
    };
    ($group:ident, $param:ident, float) => {
        1.5
    };
    ($group:ident, $param:ident, count) => {
        1
    };
    ($group:ident, $param:ident, opt_count) => {
        None
    };
    ($group:ident, $param:ident, cursor) => {
        0
    };
    ($group:ident, $param:ident, position) => {
        hedgestore::InsertPosition::Before
    };
    ($group:ident, $param:ident, getex_option) => {
        None
    };
    ($group:ident, $param:ident, opt_duration) => {
        Some(std::time::Duration::from_secs(60))
    };
    ($group:ident, $param:ident, type_filter) => {
        None
    };
    ($group:ident, $param:ident, scored_members) => {
        &[(1.0, "a")]
    };
    ($group:ident, $param:ident, score_bound) => {
        hedgestore::ScoreBound::inclusive(0.0)
    };
    ($group:ident, $param:ident, lex_bound) => {
        hedgestore::LexBound::Min
    };
    ($group:ident, $param:ident, limit) => {
        Some((0, 10))
    };
    ($group:ident, $param:ident, opt_floats) => {
        Some(&[2.0])
    };
    ($group:ident, $param:ident, aggregate) => {
        hedgestore::Aggregate::Max
    };
    ($group:ident, $param:ident, bit) => {
        true
    };
    ($group:ident, $param:ident, bit_range) => {
        Some(hedgestore::BitRange::Between {
            start: 0,
            end: -1,
            unit: hedgestore::BitUnit::Bit,
        })
    };
    ($group:ident, $param:ident, geo_points) => {
        &[(13.361389, 38.115556, "a")]
    };
    ($group:ident, $param:ident, geo_unit) => {
        hedgestore::GeoUnit::Km
    };
    ($group:ident, $param:ident, bit_op) => {
        hedgestore::BitOp::Or
    };
    ($group:ident, $param:ident, switch) => {
        true
    };
    ($group:ident, $param:ident, list_end) => {
        hedgestore::ListEnd::Right
    };
}

/// Methods of commands newer than the redis-server the server backends' tests start (7.0):
/// hash field expiration is Redis 7.4's, `HGETDEL`/`HGETEX`/`HSETEX` Redis 8.0's. They run in full on memory; a server that does
/// not know them may refuse them as unknown commands (and only that way).
pub const NEWER_THAN_REDIS_7_0: &[&str] = &[
    "hexpire",
    "hpexpire",
    "hexpireat",
    "hpexpireat",
    "httl",
    "hpttl",
    "hexpiretime",
    "hpexpiretime",
    "hpersist",
    "hgetdel",
    "hgetex",
    "hsetex",
];

/// Whether `error` is a server's refusal of a command it does not know.
pub fn server_lacks_command(error: &StorageError) -> bool {
    matches!(error, StorageError::Command(e) if e.to_string().starts_with("ERR unknown command"))
}

/// Runs every generated method of the list on freshly seeded keys; `flushdb` and `flushall`
/// are left out, as cases share a server and must not remove each other's keys, and so are
/// the scripts, which only Redis runs (`scripts` checks them on every backend).
macro_rules! run_every_typed_method {
    (
        $s:ident
        generated: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
                -> $reply:ident = $variant:ident $fields:tt;
        )*],)*],
        hand_written: $hand_written:tt,
    ) => {{
        let mut ran = 0;
        $($(
            if !matches!(stringify!($name), "flushdb" | "flushall")
                && !stringify!($name).starts_with("eval")
                && !stringify!($name).starts_with("script_")
            {
                seed_api_keys($s).await;
                let result = $s.$name($(api_sample!($group, $param, $pkind)),*).await;
                let refused_as_newer = NEWER_THAN_REDIS_7_0.contains(&stringify!($name))
                    && matches!(&result, Err(e) if server_lacks_command(e));
                assert!(result.is_ok() || refused_as_newer, "{}: {:?}", stringify!($name), result);
                ran += 1;
            }
        )*)*
        ran
    }};
}

async fn seed_api_keys(s: &Storage) {
    s.del(&[
        "c:api:s", "c:api:h", "c:api:l", "c:api:f", "c:api:t", "c:api:z", "c:api:p",
    ])
    .await
    .unwrap();
    s.set("c:api:s", "1", None).await.unwrap();
    s.hset("c:api:h", &[("f", "1")]).await.unwrap();
    s.rpush("c:api:l", &["1", "2"]).await.unwrap();
    s.sadd("c:api:t", &["a", "b"]).await.unwrap();
    s.zadd("c:api:z", &[(1.0, "a"), (2.0, "b")]).await.unwrap();
    s.pfadd("c:api:p", &["a", "b"]).await.unwrap();
}

/// Every typed method of core's method list answers in the type it promises, on every
/// backend (a reply that does not convert is `UnexpectedReply`).
pub async fn every_typed_method_runs(h: &Harness) {
    let s = &h.storage;
    let ran = hedgestore::for_each_command_method!(run_every_typed_method, s);
    let generated = hedgestore::COMMAND_METHODS
        .iter()
        .filter(|m| !m.hand_written)
        .count();
    let scripts = hedgestore::COMMAND_METHODS
        .iter()
        .filter(|m| m.name().starts_with("eval") || m.name().starts_with("script_"))
        .count();
    assert_eq!(
        scripts, 7,
        "eval, evalsha, eval_ro, evalsha_ro, script_load/exists/flush"
    );
    assert_eq!(
        ran,
        generated - 2 - scripts,
        "every generated method but the flushes and the scripts ran"
    );
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Hash field expiration (Redis 7.4) through the typed methods. It runs in full on memory
/// (tokio's clock paused); a server backend whose Redis lacks the commands (the local
/// redis-server is 7.0) must refuse them as unknown, and the case ends there.
pub async fn hash_field_expiration(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:hfe:h"]).await.unwrap();
    s.hset("c:hfe:h", &[("a", "1"), ("b", "2")]).await.unwrap();
    let first = s.hexpire("c:hfe:h", &["a", "x"], 100).await;
    if let (super::Time::Real, Err(e)) = (h.time, &first) {
        assert!(server_lacks_command(e), "{e:?}");
        return;
    }
    assert_eq!(first.unwrap(), vec![1, -2]);
    assert_eq!(s.httl("c:hfe:h", &["a", "b"]).await.unwrap(), vec![100, -1]);
    assert_eq!(
        s.hpersist("c:hfe:h", &["a", "b"]).await.unwrap(),
        vec![1, -1]
    );
    assert_eq!(s.hpexpire("c:hfe:h", &["a"], 1000).await.unwrap(), vec![1]);
    h.advance(std::time::Duration::from_millis(1100)).await;
    assert_eq!(s.hget("c:hfe:h", "a").await.unwrap(), None);
    assert_eq!(s.hlen("c:hfe:h").await.unwrap(), 1);
    assert_eq!(s.hexpire("c:hfe:h", &["b"], 0).await.unwrap(), vec![2]);
    assert_eq!(s.exists(&["c:hfe:h"]).await.unwrap(), 0);
}

/// The set and sorted set methods answer the same values on every backend, including the
/// hand-written `zadd_with`, `zrange_with` and `zrange_withscores`.
pub async fn sets_and_sorted_sets(h: &Harness) {
    let s = &h.storage;
    let keys = ["c:z:s1", "c:z:s2", "c:z:z", "c:z:u", "c:z:d"];
    s.del(&keys).await.unwrap();
    assert_eq!(s.sadd("c:z:s1", &["a", "b", "c"]).await.unwrap(), 3);
    assert_eq!(s.sadd("c:z:s2", &["b", "c", "d"]).await.unwrap(), 3);
    let mut inter = s.sinter(&["c:z:s1", "c:z:s2"]).await.unwrap();
    inter.sort();
    assert_eq!(inter, vec![b("b"), b("c")]);
    assert_eq!(
        s.sdiffstore("c:z:d", &["c:z:s1", "c:z:s2"]).await.unwrap(),
        1
    );
    assert_eq!(s.smembers("c:z:d").await.unwrap(), vec![b("a")]);
    assert_eq!(
        s.smismember("c:z:s1", &["a", "d"]).await.unwrap(),
        vec![true, false]
    );
    assert_eq!(s.sintercard(&["c:z:s1", "c:z:s2"], None).await.unwrap(), 2);
    assert_eq!(s.spop("c:z:d", 5).await.unwrap(), vec![b("a")]);
    assert_eq!(s.scard("c:z:d").await.unwrap(), 0);

    let z = "c:z:z";
    let pairs = [(1.0, "a"), (2.0, "b"), (3.0, "c")];
    assert_eq!(s.zadd(z, &pairs).await.unwrap(), 3);
    let gt_ch = ZAddOptions {
        comparison: ZAddComparison::Gt,
        changed: true,
        ..ZAddOptions::default()
    };
    assert_eq!(
        s.zadd_with(z, gt_ch, &[(0.5, "a"), (4.0, "b")])
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.zscore(z, "b").await.unwrap(), Some(4.0));
    assert_eq!(
        s.zmscore(z, &["a", "x"]).await.unwrap(),
        vec![Some(1.0), None]
    );
    assert_eq!(s.zrank(z, "b").await.unwrap(), Some(2));
    assert_eq!(s.zrevrank(z, "x").await.unwrap(), None);
    assert_eq!(
        s.zrange(z, 0, -1).await.unwrap(),
        vec![b("a"), b("c"), b("b")]
    );
    let all = (
        ScoreBound::inclusive(f64::NEG_INFINITY),
        ScoreBound::inclusive(f64::INFINITY),
    );
    assert_eq!(
        s.zrevrangebyscore(z, all.1, all.0, Some((1, 1)))
            .await
            .unwrap(),
        vec![b("c")]
    );
    assert_eq!(
        s.zrange_withscores(z, ZRangeBy::Score(all.0, all.1), false, Some((0, 2)))
            .await
            .unwrap(),
        vec![(b("a"), 1.0), (b("c"), 3.0)]
    );
    assert_eq!(
        s.zrange_with(z, ZRangeBy::Lex(LexBound::Max, LexBound::Min), true, None)
            .await
            .unwrap(),
        vec![b("b"), b("c"), b("a")],
        "a lex range of unequal scores keeps score order"
    );
    assert_eq!(s.zincrby(z, -0.5, "a").await.unwrap(), 0.5);
    assert_eq!(
        s.zunionstore("c:z:u", &[z, z], Some(&[1.0, 0.5]), Aggregate::Sum)
            .await
            .unwrap(),
        3
    );
    assert_eq!(s.zscore("c:z:u", "b").await.unwrap(), Some(6.0));
    assert_eq!(s.zpopmax("c:z:u", 1).await.unwrap(), vec![(b("b"), 6.0)]);
    let (cursor, mut page) = s.zscan("c:z:u", 0, None, None).await.unwrap();
    page.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!((cursor, page), (0, vec![(b("a"), 0.75), (b("c"), 4.5)]));
    assert_eq!(
        s.zremrangebyscore(
            z,
            ScoreBound {
                value: 3.0,
                exclusive: true
            },
            all.1
        )
        .await
        .unwrap(),
        1
    );
    assert_eq!(s.zcard(z).await.unwrap(), 2);
    s.del(&keys).await.unwrap();
}
