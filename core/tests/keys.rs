//! Keyspace commands and TTL, on a manual clock: nothing here sleeps.

mod common;

use common::{bulk, bulks, engine, ok, run, T0};
use hedgestore_core::{Error, ExpireCondition, Expiry, KeyType, Reply};

#[test]
fn del_and_exists_count_every_key_named() {
    let (mut e, _) = engine();
    ok(&mut e, "MSET a 1 b 2");
    assert_eq!(ok(&mut e, "EXISTS a a b missing"), Reply::Int(3));
    assert_eq!(ok(&mut e, "DEL a b missing"), Reply::Int(2));
    assert_eq!(ok(&mut e, "DBSIZE"), Reply::Int(0));
}

#[test]
fn expired_key_is_gone_without_sleeping() {
    let (mut e, clock) = engine();
    ok(&mut e, "SET k v PX 100");
    clock.advance(99);
    assert_eq!(ok(&mut e, "GET k"), bulk("v"));
    clock.advance(1);
    assert_eq!(ok(&mut e, "GET k"), Reply::Nil);
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(-2));
    assert_eq!(e.len(), 0, "lazy expiry removed the key on access");
}

#[test]
fn expired_keys_are_invisible_to_every_command() {
    let (mut e, clock) = engine();
    ok(&mut e, "HSET h f v");
    ok(&mut e, "RPUSH l a b");
    ok(&mut e, "SET s 5");
    for k in ["h", "l", "s"] {
        ok(&mut e, &format!("PEXPIRE {k} 10"));
    }
    clock.advance(10);
    assert_eq!(ok(&mut e, "HGET h f"), Reply::Nil);
    assert_eq!(ok(&mut e, "LLEN l"), Reply::Int(0));
    assert_eq!(
        ok(&mut e, "INCR s"),
        Reply::Int(1),
        "an expired counter starts over"
    );
    assert_eq!(ok(&mut e, "KEYS *"), bulks(&["s"]));
    assert_eq!(ok(&mut e, "TYPE h"), Reply::Status("none"));
}

#[test]
fn ttl_reports_missing_persistent_and_rounded_seconds() {
    let (mut e, clock) = engine();
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(-2));
    assert_eq!(ok(&mut e, "PTTL k"), Reply::Int(-2));
    ok(&mut e, "SET k v");
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(-1));
    ok(&mut e, "PEXPIRE k 10000");
    clock.advance(1_400);
    assert_eq!(ok(&mut e, "PTTL k"), Reply::Int(8_600));
    assert_eq!(
        ok(&mut e, "TTL k"),
        Reply::Int(9),
        "8.6 s rounds to 9 as in Redis"
    );
}

#[test]
fn expire_conditions_follow_redis_7() {
    let (mut e, _) = engine();
    ok(&mut e, "SET k v");
    assert_eq!(ok(&mut e, "EXPIRE k 100 XX"), Reply::Int(0));
    assert_eq!(
        ok(&mut e, "EXPIRE k 100 GT"),
        Reply::Int(0),
        "no TTL counts as infinite"
    );
    assert_eq!(ok(&mut e, "EXPIRE k 100 LT"), Reply::Int(1));
    assert_eq!(ok(&mut e, "EXPIRE k 50 NX"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXPIRE k 200 GT"), Reply::Int(1));
    assert_eq!(ok(&mut e, "EXPIRE k 100 XX GT"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXPIRE k 100 XX LT"), Reply::Int(1));
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(100));
    assert_eq!(
        run(&mut e, "EXPIRE k 1 NX XX"),
        Err(Error::NxAndOtherConditions)
    );
    assert_eq!(run(&mut e, "EXPIRE k 1 GT LT"), Err(Error::GtAndLt));
    assert_eq!(
        run(&mut e, "EXPIRE k 1 SOON"),
        Err(Error::UnsupportedOption("SOON".into()))
    );
    assert_eq!(ok(&mut e, "EXPIRE missing 10"), Reply::Int(0));
}

#[test]
fn expire_in_the_past_deletes_the_key() {
    let (mut e, _) = engine();
    ok(&mut e, "SET a v");
    ok(&mut e, "SET b v");
    assert_eq!(ok(&mut e, "EXPIRE a -1"), Reply::Int(1));
    assert_eq!(ok(&mut e, &format!("PEXPIREAT b {T0}")), Reply::Int(1));
    assert_eq!(ok(&mut e, "DBSIZE"), Reply::Int(0));
}

#[test]
fn expire_overflow_is_an_invalid_expire_time() {
    let (mut e, _) = engine();
    ok(&mut e, "SET k v");
    assert_eq!(
        run(&mut e, "EXPIRE k 9223372036854775807"),
        Err(Error::InvalidExpireTime("expire"))
    );
    assert_eq!(
        e.expire(b"k", Expiry::Px(i64::MAX), ExpireCondition::Always),
        Err(Error::InvalidExpireTime("pexpire"))
    );
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(-1));
}

#[test]
fn persist_removes_only_an_existing_ttl() {
    let (mut e, _) = engine();
    ok(&mut e, "SET k v EX 10");
    assert_eq!(ok(&mut e, "PERSIST k"), Reply::Int(1));
    assert_eq!(ok(&mut e, "PERSIST k"), Reply::Int(0));
    assert_eq!(ok(&mut e, "PERSIST missing"), Reply::Int(0));
}

#[test]
fn type_names_every_kind() {
    let (mut e, _) = engine();
    ok(&mut e, "SET s v");
    ok(&mut e, "HSET h f v");
    ok(&mut e, "LPUSH l v");
    assert_eq!(e.key_type(b"s"), Some(KeyType::String));
    assert_eq!(ok(&mut e, "TYPE h"), Reply::Status("hash"));
    assert_eq!(ok(&mut e, "TYPE l"), Reply::Status("list"));
    assert_eq!(ok(&mut e, "TYPE nope"), Reply::Status("none"));
}

#[test]
fn rename_moves_value_and_ttl_and_replaces_the_target() {
    let (mut e, _) = engine();
    ok(&mut e, "RPUSH src a b");
    ok(&mut e, "EXPIRE src 100");
    ok(&mut e, "SET dst old");
    assert_eq!(ok(&mut e, "RENAME src dst"), Reply::Ok);
    assert_eq!(ok(&mut e, "LRANGE dst 0 -1"), bulks(&["a", "b"]));
    assert_eq!(ok(&mut e, "TTL dst"), Reply::Int(100));
    assert_eq!(ok(&mut e, "EXISTS src"), Reply::Int(0));
    assert_eq!(run(&mut e, "RENAME src x"), Err(Error::NoSuchKey));
    assert_eq!(ok(&mut e, "RENAME dst dst"), Reply::Ok);
    assert_eq!(ok(&mut e, "LLEN dst"), Reply::Int(2));
}

#[test]
fn keys_matches_globs_and_rejects_an_unterminated_class() {
    let (mut e, _) = engine();
    ok(&mut e, "MSET user:1 a user:2 b order:1 c");
    let mut found = e.keys(b"user:*").unwrap();
    found.sort();
    assert_eq!(found, vec![b"user:1".to_vec(), b"user:2".to_vec()]);
    assert_eq!(e.keys(b"*:[1]").unwrap().len(), 2);
    assert!(matches!(
        run(&mut e, "KEYS user:[12"),
        Err(Error::InvalidPattern(_))
    ));
}

#[test]
fn scan_visits_every_key_once_when_nothing_changes() {
    let (mut e, _) = engine();
    for i in 0..2500 {
        ok(&mut e, &format!("SET key:{i} v"));
    }
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let page = e.scan(cursor, None, Some(100), None).unwrap();
        seen.extend(page.keys);
        cursor = page.cursor;
        if cursor == 0 {
            break;
        }
    }
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!(
        before,
        seen.len(),
        "no duplicates without concurrent changes"
    );
    assert_eq!(seen.len(), 2500);
}

#[test]
fn scan_never_misses_a_key_that_lives_through_concurrent_deletes_and_inserts() {
    let (mut e, _) = engine();
    for i in 0..3000 {
        ok(&mut e, &format!("SET stay:{i} v"));
        ok(&mut e, &format!("SET churn:{i} v"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        let page = e.scan(cursor, Some(b"stay:*"), Some(50), None).unwrap();
        seen.extend(page.keys);
        // Between calls: delete some churn keys (moving slots around) and add new ones.
        for j in 0..20 {
            let n = round * 20 + j;
            ok(&mut e, &format!("DEL churn:{n}"));
            ok(&mut e, &format!("SET fresh:{n} v"));
        }
        round += 1;
        cursor = page.cursor;
        if cursor == 0 {
            break;
        }
    }
    for i in 0..3000 {
        assert!(
            seen.contains(format!("stay:{i}").as_bytes()),
            "missed stay:{i}"
        );
    }
}

#[test]
fn scan_filters_by_type_and_pattern() {
    let (mut e, _) = engine();
    ok(&mut e, "SET s1 v");
    ok(&mut e, "HSET h1 f v");
    ok(&mut e, "HSET x1 f v");
    let page = e
        .scan(0, Some(b"h*"), Some(100), Some(KeyType::Hash))
        .unwrap();
    assert_eq!(page.cursor, 0);
    assert_eq!(page.keys, vec![b"h1".to_vec()]);
    assert_eq!(run(&mut e, "SCAN x"), Err(Error::InvalidCursor));
    assert_eq!(run(&mut e, "SCAN 0 COUNT 0"), Err(Error::Syntax));
    assert_eq!(
        run(&mut e, "SCAN 0 TYPE nosuchtype"),
        Err(Error::UnknownTypeName("nosuchtype".into()))
    );
    ok(&mut e, "SADD set1 a");
    ok(&mut e, "ZADD zset1 1 a");
    for (t, key) in [("set", "set1"), ("zset", "zset1")] {
        let Reply::Array(reply) = ok(&mut e, &format!("SCAN 0 TYPE {t}")) else {
            panic!()
        };
        assert_eq!(reply, vec![bulk("0"), bulks(&[key])], "TYPE {t}");
    }
    ok(&mut e, "DEL set1 zset1");
    let Reply::Array(reply) = ok(&mut e, "SCAN 0 MATCH s* COUNT 10") else {
        panic!()
    };
    assert_eq!(reply, vec![bulk("0"), bulks(&["s1"])]);
}

#[test]
fn flushdb_empties_everything_and_frees_memory() {
    let (mut e, _) = engine();
    ok(&mut e, "MSET a 1 b 2");
    ok(&mut e, "RPUSH l x");
    ok(&mut e, "FLUSHDB");
    assert_eq!(ok(&mut e, "DBSIZE"), Reply::Int(0));
    assert_eq!(e.used_memory(), 0);
    assert_eq!(run(&mut e, "FLUSHDB LATER"), Err(Error::Syntax));
}

#[test]
fn key_version_changes_on_every_write_delete_and_expiry() {
    let (mut e, clock) = engine();
    assert_eq!(e.key_version(b"k"), 0);
    ok(&mut e, "SET k v");
    let v1 = e.key_version(b"k");
    assert_ne!(v1, 0);
    ok(&mut e, "GET k");
    assert_eq!(e.key_version(b"k"), v1, "reads do not change the version");
    ok(&mut e, "APPEND k x");
    let v2 = e.key_version(b"k");
    assert_ne!(v2, v1);
    ok(&mut e, "PEXPIRE k 5");
    assert_ne!(e.key_version(b"k"), v2);
    clock.advance(5);
    assert_eq!(e.key_version(b"k"), 0);
}

#[test]
fn ping_answers() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "PING"), Reply::Status("PONG"));
    assert_eq!(ok(&mut e, "PING hi"), bulk("hi"));
}
