//! Redis 8.0's `HGETDEL`, `HGETEX` and `HSETEX`, with Redis's replies, on a manual clock. The
//! local redis-server (7.0) lacks these commands, so the replies here are Redis 8.0's as its
//! documentation gives them.

mod common;

use common::{bulk, engine, ok, run, T0};
use hedgestore_core::{Engine, ManualClock, Reply};

fn ints(values: &[i64]) -> Reply {
    Reply::Array(values.iter().map(|v| Reply::Int(*v)).collect())
}

fn err(e: &mut Engine<ManualClock>, line: &str) -> String {
    run(e, line).expect_err(line).to_string()
}

#[test]
fn hgetdel_answers_the_values_and_deletes_the_fields() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 b 2");
    assert_eq!(
        ok(&mut e, "HGETDEL h FIELDS 2 a x"),
        Reply::Array(vec![bulk("1"), Reply::Nil])
    );
    assert_eq!(ok(&mut e, "HLEN h"), Reply::Int(1));
    assert_eq!(
        ok(&mut e, "HGETDEL h FIELDS 1 b"),
        Reply::Array(vec![bulk("2")])
    );
    assert_eq!(
        ok(&mut e, "EXISTS h"),
        Reply::Int(0),
        "the emptied hash is deleted"
    );
    assert_eq!(
        ok(&mut e, "HGETDEL h FIELDS 1 b"),
        Reply::Array(vec![Reply::Nil])
    );
    e.check_integrity().unwrap();
}

#[test]
fn hgetex_sets_or_removes_field_ttls() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 b 2");
    assert_eq!(
        ok(&mut e, "HGETEX h EX 100 FIELDS 2 a x"),
        Reply::Array(vec![bulk("1"), Reply::Nil])
    );
    assert_eq!(ok(&mut e, "HTTL h FIELDS 3 a b x"), ints(&[100, -1, -2]));
    assert_eq!(
        ok(&mut e, "HGETEX h PERSIST FIELDS 1 a"),
        Reply::Array(vec![bulk("1")])
    );
    assert_eq!(ok(&mut e, "HTTL h FIELDS 1 a"), ints(&[-1]));
    let at = T0 + 5000;
    ok(&mut e, &format!("HGETEX h PXAT {at} FIELDS 1 b"));
    assert_eq!(ok(&mut e, "HPEXPIRETIME h FIELDS 1 b"), ints(&[at as i64]));
    assert_eq!(
        ok(&mut e, &format!("HGETEX h PXAT {T0} FIELDS 1 b")),
        Reply::Array(vec![bulk("2")]),
        "a time not in the future answers the value and deletes the field"
    );
    assert_eq!(ok(&mut e, "HEXISTS h b"), Reply::Int(0));
    assert_eq!(
        ok(&mut e, "HGETEX h FIELDS 1 a"),
        Reply::Array(vec![bulk("1")])
    );
    assert_eq!(
        err(&mut e, "HGETEX h EX 0 FIELDS 1 a"),
        "ERR invalid expire time in 'hgetex' command"
    );
    assert_eq!(
        err(&mut e, "HGETEX h EX 10 FIELDS 2 a"),
        "ERR The `numfields` parameter must match the number of arguments"
    );
    e.check_integrity().unwrap();
}

#[test]
fn hsetex_conditions_and_ttls() {
    let (mut e, clock) = engine();
    assert_eq!(ok(&mut e, "HSETEX h FXX FIELDS 1 a 1"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXISTS h"), Reply::Int(0));
    assert_eq!(
        ok(&mut e, "HSETEX h FNX EX 10 FIELDS 2 a 1 b 2"),
        Reply::Int(1)
    );
    assert_eq!(ok(&mut e, "HTTL h FIELDS 2 a b"), ints(&[10, 10]));
    assert_eq!(ok(&mut e, "HSETEX h FNX FIELDS 2 a 9 c 3"), Reply::Int(0));
    assert_eq!(ok(&mut e, "HEXISTS h c"), Reply::Int(0), "FNX sets none");
    assert_eq!(
        ok(&mut e, "HSETEX h FXX KEEPTTL FIELDS 1 a 5"),
        Reply::Int(1)
    );
    assert_eq!(ok(&mut e, "HGET h a"), bulk("5"));
    assert_eq!(
        ok(&mut e, "HTTL h FIELDS 1 a"),
        ints(&[10]),
        "KEEPTTL keeps it"
    );
    assert_eq!(ok(&mut e, "HSETEX h FIELDS 1 a 6"), Reply::Int(1));
    assert_eq!(
        ok(&mut e, "HTTL h FIELDS 1 a"),
        ints(&[-1]),
        "no option clears it"
    );
    assert_eq!(ok(&mut e, "HSETEX h PX 500 FIELDS 1 c 3"), Reply::Int(1));
    clock.advance(500);
    assert_eq!(ok(&mut e, "HGET h c"), Reply::Nil);
    assert_eq!(
        err(&mut e, "HSETEX h FIELDS 2 a 1"),
        "ERR The `numfields` parameter must match the number of arguments"
    );
    assert_eq!(
        err(&mut e, "HSETEX h EX -1 FIELDS 1 a 1"),
        "ERR invalid expire time in 'hsetex' command"
    );
    assert_eq!(
        err(&mut e, "HSETEX h FNX FXX FIELDS 1 a 1"),
        "ERR syntax error"
    );
    ok(&mut e, "SET s v");
    assert_eq!(
        err(&mut e, "HSETEX s FIELDS 1 a 1"),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    e.check_integrity().unwrap();
}
