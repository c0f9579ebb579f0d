//! List commands.

mod common;

use common::{bulk, bulks, engine, ok, run};
use hedgestore_core::{Error, InsertPosition, Reply};

#[test]
fn lpush_reverses_and_rpush_appends_like_redis() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "LPUSH l a b c"), Reply::Int(3));
    assert_eq!(ok(&mut e, "RPUSH l x y"), Reply::Int(5));
    assert_eq!(
        ok(&mut e, "LRANGE l 0 -1"),
        bulks(&["c", "b", "a", "x", "y"])
    );
}

#[test]
fn pushx_only_touches_existing_lists() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "LPUSHX l a"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXISTS l"), Reply::Int(0));
    ok(&mut e, "RPUSH l a");
    assert_eq!(ok(&mut e, "LPUSHX l z"), Reply::Int(2));
    assert_eq!(ok(&mut e, "RPUSHX l q"), Reply::Int(3));
    ok(&mut e, "SET s v");
    assert_eq!(run(&mut e, "RPUSHX s q"), Err(Error::WrongType));
}

#[test]
fn pop_with_and_without_count() {
    let (mut e, _) = engine();
    ok(&mut e, "RPUSH l a b c d");
    assert_eq!(ok(&mut e, "LPOP l"), bulk("a"));
    assert_eq!(ok(&mut e, "RPOP l 2"), bulks(&["d", "c"]));
    assert_eq!(ok(&mut e, "LPOP l 0"), bulks(&[]));
    assert_eq!(ok(&mut e, "LPOP l 10"), bulks(&["b"]));
    assert_eq!(
        ok(&mut e, "EXISTS l"),
        Reply::Int(0),
        "an emptied list ceases to exist"
    );
    assert_eq!(ok(&mut e, "LPOP l"), Reply::Nil);
    assert_eq!(ok(&mut e, "LPOP l 2"), Reply::Nil);
    assert_eq!(run(&mut e, "LPOP l -1"), Err(Error::NotPositive));
    assert_eq!(run(&mut e, "LPOP l 1 2"), Err(Error::WrongArity("lpop")));
}

#[test]
fn lrange_handles_negative_and_out_of_range_indices() {
    let (mut e, _) = engine();
    ok(&mut e, "RPUSH l a b c d e");
    assert_eq!(ok(&mut e, "LRANGE l -2 -1"), bulks(&["d", "e"]));
    assert_eq!(ok(&mut e, "LRANGE l -100 1"), bulks(&["a", "b"]));
    assert_eq!(ok(&mut e, "LRANGE l 3 100"), bulks(&["d", "e"]));
    assert_eq!(ok(&mut e, "LRANGE l 3 1"), bulks(&[]));
    assert_eq!(ok(&mut e, "LRANGE l 5 10"), bulks(&[]));
    assert_eq!(ok(&mut e, "LRANGE missing 0 -1"), bulks(&[]));
    assert_eq!(
        e.lrange(b"l", i64::MIN, i64::MAX).unwrap().len(),
        5,
        "extreme indices do not overflow"
    );
}

#[test]
fn llen_lindex_lset() {
    let (mut e, _) = engine();
    ok(&mut e, "RPUSH l a b c");
    assert_eq!(ok(&mut e, "LLEN l"), Reply::Int(3));
    assert_eq!(ok(&mut e, "LINDEX l -1"), bulk("c"));
    assert_eq!(ok(&mut e, "LINDEX l 3"), Reply::Nil);
    assert_eq!(ok(&mut e, "LSET l -3 z"), Reply::Ok);
    assert_eq!(ok(&mut e, "LINDEX l 0"), bulk("z"));
    assert_eq!(run(&mut e, "LSET l 3 q"), Err(Error::IndexOutOfRange));
    assert_eq!(run(&mut e, "LSET missing 0 q"), Err(Error::NoSuchKey));
    assert_eq!(run(&mut e, "LINDEX l x"), Err(Error::NotInteger));
    assert_eq!(ok(&mut e, "LRANGE l 0 -1"), bulks(&["z", "b", "c"]));
}

#[test]
fn ltrim_keeps_a_range_and_can_empty_the_list() {
    let (mut e, _) = engine();
    ok(&mut e, "RPUSH l a b c d e");
    ok(&mut e, "LTRIM l 1 -2");
    assert_eq!(ok(&mut e, "LRANGE l 0 -1"), bulks(&["b", "c", "d"]));
    ok(&mut e, "LTRIM l 5 10");
    assert_eq!(ok(&mut e, "EXISTS l"), Reply::Int(0));
    assert_eq!(ok(&mut e, "LTRIM missing 0 1"), Reply::Ok);
}

#[test]
fn lrem_from_head_tail_and_all() {
    let (mut e, _) = engine();
    ok(&mut e, "RPUSH l a x b x c x");
    assert_eq!(ok(&mut e, "LREM l 1 x"), Reply::Int(1));
    assert_eq!(
        ok(&mut e, "LRANGE l 0 -1"),
        bulks(&["a", "b", "x", "c", "x"])
    );
    assert_eq!(ok(&mut e, "LREM l -1 x"), Reply::Int(1));
    assert_eq!(ok(&mut e, "LRANGE l 0 -1"), bulks(&["a", "b", "x", "c"]));
    ok(&mut e, "RPUSH l x");
    assert_eq!(ok(&mut e, "LREM l 0 x"), Reply::Int(2));
    assert_eq!(ok(&mut e, "LRANGE l 0 -1"), bulks(&["a", "b", "c"]));
    assert_eq!(ok(&mut e, "LREM missing 0 x"), Reply::Int(0));
}

#[test]
fn linsert_before_and_after_the_first_pivot() {
    let (mut e, _) = engine();
    ok(&mut e, "RPUSH l a b a");
    assert_eq!(ok(&mut e, "LINSERT l BEFORE a z"), Reply::Int(4));
    assert_eq!(
        e.linsert(b"l", InsertPosition::After, b"b", b"y").unwrap(),
        5
    );
    assert_eq!(
        ok(&mut e, "LRANGE l 0 -1"),
        bulks(&["z", "a", "b", "y", "a"])
    );
    assert_eq!(ok(&mut e, "LINSERT l AFTER nope q"), Reply::Int(-1));
    assert_eq!(ok(&mut e, "LINSERT missing AFTER a q"), Reply::Int(0));
    assert_eq!(run(&mut e, "LINSERT l BESIDE a q"), Err(Error::Syntax));
}

#[test]
fn list_commands_on_a_hash_are_wrongtype_and_change_nothing() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h f v");
    for cmd in [
        "LPUSH h a",
        "RPUSH h a",
        "LPOP h",
        "RPOP h 2",
        "LRANGE h 0 -1",
        "LLEN h",
        "LINDEX h 0",
        "LSET h 0 a",
        "LTRIM h 0 1",
        "LREM h 0 a",
        "LINSERT h BEFORE a b",
    ] {
        assert_eq!(run(&mut e, cmd), Err(Error::WrongType), "{cmd}");
    }
    assert_eq!(ok(&mut e, "HGET h f"), bulk("v"));
}
