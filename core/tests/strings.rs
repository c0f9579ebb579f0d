//! String commands, one behaviour per test.

mod common;

use common::{bulk, engine, ok, run, T0};
use hedgestore_core::{Error, Reply, SetOptions};

#[test]
fn set_then_get_round_trips_binary_values() {
    let (mut e, _) = engine();
    let value = [0u8, 255, 10, 13, 0];
    assert!(e.set(b"k\0ey", &value, SetOptions::default()).unwrap());
    assert_eq!(e.get(b"k\0ey").unwrap().as_deref(), Some(&value[..]));
    assert_eq!(e.get(b"missing").unwrap(), None);
}

#[test]
fn set_nx_and_xx_respect_existence() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "SET k v XX"), Reply::Nil);
    assert_eq!(ok(&mut e, "SET k v NX"), Reply::Ok);
    assert_eq!(ok(&mut e, "SET k w NX"), Reply::Nil);
    assert_eq!(ok(&mut e, "SET k w XX"), Reply::Ok);
    assert_eq!(ok(&mut e, "GET k"), bulk("w"));
}

#[test]
fn set_get_returns_the_previous_value() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "SET k a GET"), Reply::Nil);
    assert_eq!(ok(&mut e, "SET k b GET"), bulk("a"));
    assert_eq!(
        ok(&mut e, "SET k c NX GET"),
        bulk("b"),
        "NX GET returns the old value"
    );
    assert_eq!(ok(&mut e, "GET k"), bulk("b"));
}

#[test]
fn set_get_on_a_hash_is_wrongtype_and_changes_nothing() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h f v");
    assert_eq!(run(&mut e, "SET h x GET"), Err(Error::WrongType));
    assert_eq!(ok(&mut e, "HGET h f"), bulk("v"));
}

#[test]
fn set_clears_ttl_unless_keepttl() {
    let (mut e, _) = engine();
    ok(&mut e, "SET k v EX 100");
    ok(&mut e, "SET k v2 KEEPTTL");
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(100));
    ok(&mut e, "SET k v3");
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(-1));
}

#[test]
fn set_expiry_forms_all_land_on_the_same_deadline() {
    let (mut e, _) = engine();
    ok(&mut e, "SET a v EX 10");
    ok(&mut e, "SET b v PX 10000");
    ok(&mut e, &format!("SET c v EXAT {}", T0 / 1000 + 10));
    ok(&mut e, &format!("SET d v PXAT {}", T0 + 10_000));
    for k in ["a", "b", "c", "d"] {
        assert_eq!(e.pttl(k.as_bytes()), 10_000, "{k}");
    }
}

#[test]
fn set_rejects_bad_expiry_and_conflicting_options() {
    let (mut e, _) = engine();
    ok(&mut e, "SET k keep");
    assert_eq!(
        run(&mut e, "SET k v EX 0"),
        Err(Error::InvalidExpireTime("set"))
    );
    assert_eq!(
        run(&mut e, "SET k v PX -1"),
        Err(Error::InvalidExpireTime("set"))
    );
    assert_eq!(
        run(&mut e, "SET k v EX 9223372036854775807"),
        Err(Error::InvalidExpireTime("set"))
    );
    assert_eq!(run(&mut e, "SET k v EX abc"), Err(Error::NotInteger));
    assert_eq!(run(&mut e, "SET k v NX XX"), Err(Error::Syntax));
    assert_eq!(run(&mut e, "SET k v EX 1 PX 1"), Err(Error::Syntax));
    assert_eq!(run(&mut e, "SET k v KEEPTTL EX 1"), Err(Error::Syntax));
    assert_eq!(run(&mut e, "SET k v EX"), Err(Error::Syntax));
    assert_eq!(ok(&mut e, "GET k"), bulk("keep"));
}

#[test]
fn set_with_a_past_absolute_time_leaves_the_key_invisible() {
    let (mut e, _) = engine();
    ok(&mut e, "SET k old");
    assert_eq!(ok(&mut e, "SET k v PXAT 1"), Reply::Ok);
    assert_eq!(ok(&mut e, "GET k"), Reply::Nil);
    assert_eq!(ok(&mut e, "EXISTS k"), Reply::Int(0));
}

#[test]
fn getdel_returns_and_removes() {
    let (mut e, _) = engine();
    ok(&mut e, "SET k v");
    assert_eq!(ok(&mut e, "GETDEL k"), bulk("v"));
    assert_eq!(ok(&mut e, "GETDEL k"), Reply::Nil);
    ok(&mut e, "LPUSH l a");
    assert_eq!(run(&mut e, "GETDEL l"), Err(Error::WrongType));
}

#[test]
fn getex_changes_or_removes_the_ttl() {
    let (mut e, clock) = engine();
    ok(&mut e, "SET k v");
    assert_eq!(ok(&mut e, "GETEX k PX 500"), bulk("v"));
    assert_eq!(e.pttl(b"k"), 500);
    assert_eq!(ok(&mut e, "GETEX k PERSIST"), bulk("v"));
    assert_eq!(e.pttl(b"k"), -1);
    assert_eq!(ok(&mut e, "GETEX k EX 1"), bulk("v"));
    clock.advance(1000);
    assert_eq!(ok(&mut e, "GETEX k"), Reply::Nil);
    ok(&mut e, "SET k v");
    assert_eq!(
        ok(&mut e, "GETEX k EXAT 1"),
        bulk("v"),
        "a past time returns, then deletes"
    );
    assert_eq!(ok(&mut e, "EXISTS k"), Reply::Int(0));
}

#[test]
fn mget_mset_and_setnx() {
    let (mut e, _) = engine();
    ok(&mut e, "MSET a 1 b 2");
    ok(&mut e, "HSET h f v");
    assert_eq!(
        ok(&mut e, "MGET a h missing b"),
        Reply::Array(vec![bulk("1"), Reply::Nil, Reply::Nil, bulk("2")])
    );
    assert_eq!(run(&mut e, "MSET a 1 b"), Err(Error::WrongArity("mset")));
    assert_eq!(ok(&mut e, "SETNX a 9"), Reply::Int(0));
    assert_eq!(ok(&mut e, "SETNX c 9"), Reply::Int(1));
    assert_eq!(ok(&mut e, "GET a"), bulk("1"));
}

#[test]
fn incr_family_counts_and_keeps_ttl() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "INCR n"), Reply::Int(1));
    assert_eq!(ok(&mut e, "INCRBY n 10"), Reply::Int(11));
    assert_eq!(ok(&mut e, "DECR n"), Reply::Int(10));
    assert_eq!(ok(&mut e, "DECRBY n -5"), Reply::Int(15));
    ok(&mut e, "EXPIRE n 100");
    ok(&mut e, "INCR n");
    assert_eq!(ok(&mut e, "TTL n"), Reply::Int(100));
    assert_eq!(ok(&mut e, "GET n"), bulk("16"));
}

#[test]
fn incr_rejects_non_integers_and_overflow_without_changing_the_value() {
    let (mut e, _) = engine();
    ok(&mut e, "SET s 1.5");
    assert_eq!(run(&mut e, "INCR s"), Err(Error::NotInteger));
    ok(&mut e, "SET s 01");
    assert_eq!(run(&mut e, "INCR s"), Err(Error::NotInteger));
    ok(&mut e, "SET n 9223372036854775807");
    assert_eq!(run(&mut e, "INCR n"), Err(Error::Overflow));
    assert_eq!(ok(&mut e, "GET n"), bulk("9223372036854775807"));
    assert_eq!(
        run(&mut e, "DECRBY n -9223372036854775808"),
        Err(Error::DecrementOverflow)
    );
    assert_eq!(run(&mut e, "INCRBY n x"), Err(Error::NotInteger));
    ok(&mut e, "RPUSH l a");
    assert_eq!(run(&mut e, "INCR l"), Err(Error::WrongType));
}

#[test]
fn incrbyfloat_adds_and_formats_like_redis() {
    let (mut e, _) = engine();
    ok(&mut e, "SET f 10.5");
    assert_eq!(ok(&mut e, "INCRBYFLOAT f 0.25"), bulk("10.75"));
    assert_eq!(ok(&mut e, "INCRBYFLOAT f -0.75"), bulk("10"));
    assert_eq!(ok(&mut e, "INCRBYFLOAT f 1e3"), bulk("1010"));
    assert_eq!(run(&mut e, "INCRBYFLOAT f inf"), Err(Error::NanOrInfinity));
    assert_eq!(run(&mut e, "INCRBYFLOAT f nan"), Err(Error::NotFloat));
    ok(&mut e, "SET s abc");
    assert_eq!(run(&mut e, "INCRBYFLOAT s 1"), Err(Error::NotFloat));
    assert_eq!(ok(&mut e, "GET f"), bulk("1010"));
}

#[test]
fn append_and_strlen() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "APPEND k ab"), Reply::Int(2));
    assert_eq!(ok(&mut e, "APPEND k cd"), Reply::Int(4));
    assert_eq!(ok(&mut e, "STRLEN k"), Reply::Int(4));
    assert_eq!(ok(&mut e, "STRLEN missing"), Reply::Int(0));
    ok(&mut e, "HSET h f v");
    assert_eq!(run(&mut e, "APPEND h x"), Err(Error::WrongType));
    assert_eq!(run(&mut e, "STRLEN h"), Err(Error::WrongType));
}

#[test]
fn get_with_reads_without_copying() {
    let (mut e, _) = engine();
    e.set(b"k", b"hello", SetOptions::default()).unwrap();
    assert_eq!(e.get_with(b"k", |v| v.len()).unwrap(), Some(5));
}

#[test]
fn get_versioned_with_names_each_write_and_counts_like_get() {
    let (mut e, clock) = engine();
    let read = |e: &mut hedgestore_core::Engine<_>, k: &[u8]| {
        e.get_versioned_with(k, |v, version| (v.to_vec(), version))
            .unwrap()
    };
    e.set(b"k", b"a", SetOptions::default()).unwrap();
    let (value, first) = read(&mut e, b"k").unwrap();
    assert_eq!(value, b"a");
    assert_eq!(
        read(&mut e, b"k").unwrap().1,
        first,
        "a read keeps the version"
    );
    ok(&mut e, "APPEND k b");
    let (value, second) = read(&mut e, b"k").unwrap();
    assert_eq!(value, b"ab");
    assert_ne!(second, first, "an in-place write takes a new version");
    ok(&mut e, "SET other x");
    ok(&mut e, "SET k ab");
    let third = read(&mut e, b"k").unwrap().1;
    assert!(
        third != first && third != second,
        "versions are never reused"
    );
    assert_eq!(read(&mut e, b"missing"), None);
    let stats = e.stats();
    assert_eq!((stats.hits, stats.misses), (4, 1));
    ok(&mut e, "PEXPIRE k 5");
    clock.advance(5);
    assert_eq!(read(&mut e, b"k"), None, "an expired key is gone");
    ok(&mut e, "HSET h f v");
    assert_eq!(e.get_versioned_with(b"h", |_, _| ()), Err(Error::WrongType));
}

#[test]
fn setex_getset_msetnx_setrange_getrange() {
    let (mut e, clock) = engine();
    assert_eq!(ok(&mut e, "SETEX k 10 v"), Reply::Ok);
    assert_eq!(ok(&mut e, "PTTL k"), Reply::Int(10_000));
    assert_eq!(
        run(&mut e, "PSETEX k 0 v"),
        Err(Error::InvalidExpireTime("psetex"))
    );
    clock.advance(10_000);
    assert_eq!(ok(&mut e, "GET k"), Reply::Nil);
    ok(&mut e, "SET k old EX 100");
    assert_eq!(ok(&mut e, "GETSET k new"), bulk("old"));
    assert_eq!(ok(&mut e, "TTL k"), Reply::Int(-1), "GETSET clears the TTL");
    assert_eq!(ok(&mut e, "MSETNX a 1 k 2"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXISTS a"), Reply::Int(0));
    assert_eq!(ok(&mut e, "MSETNX a 1 b 2"), Reply::Int(1));
    assert_eq!(ok(&mut e, "SETRANGE pad 3 xy"), Reply::Int(5));
    assert_eq!(ok(&mut e, "GET pad"), Reply::Bulk(b"\0\0\0xy".to_vec()));
    assert_eq!(e.setrange(b"missing", 5, b"").unwrap(), 0);
    assert_eq!(ok(&mut e, "EXISTS missing"), Reply::Int(0));
    assert_eq!(run(&mut e, "SETRANGE k -1 x"), Err(Error::OffsetOutOfRange));
    assert_eq!(
        run(&mut e, "SETRANGE k 536870912 x"),
        Err(Error::StringTooLong)
    );
    ok(&mut e, "SET s Hello");
    assert_eq!(ok(&mut e, "GETRANGE s 0 -1"), bulk("Hello"));
    assert_eq!(ok(&mut e, "GETRANGE s -3 -2"), bulk("ll"));
    assert_eq!(ok(&mut e, "GETRANGE s -1 -5"), bulk(""));
    assert_eq!(ok(&mut e, "GETRANGE s 3 100"), bulk("lo"));
    assert_eq!(ok(&mut e, "GETRANGE nope 0 1"), bulk(""));
    assert_eq!(ok(&mut e, "ECHO hi"), bulk("hi"));
    e.check_integrity().unwrap();
}
