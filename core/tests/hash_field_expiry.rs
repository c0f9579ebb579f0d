//! Hash field expiration (Redis 7.4): `HEXPIRE`, `HPEXPIRE`, `HEXPIREAT`, `HPEXPIREAT`,
//! `HTTL`, `HPTTL`, `HEXPIRETIME`, `HPEXPIRETIME`, `HPERSIST`, with Redis's exact replies, on
//! a manual clock. The local redis-server (7.0) lacks these commands, so the replies here
//! are Redis 7.4's as its documentation and test suite give them.

mod common;

use common::{bulk, bulks, engine, ok, run, T0};
use hedgestore_core::{Clock, Command, Engine, EngineConfig, Error, ManualClock, Reply};

fn ints(values: &[i64]) -> Reply {
    Reply::Array(values.iter().map(|v| Reply::Int(*v)).collect())
}

fn err(e: &mut Engine<ManualClock>, line: &str) -> String {
    run(e, line).expect_err(line).to_string()
}

#[test]
fn hexpire_replies_per_field() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 b 2 c 3");
    assert_eq!(
        ok(&mut e, "HEXPIRE h 100 FIELDS 3 a b missing"),
        ints(&[1, 1, -2])
    );
    assert_eq!(
        ok(&mut e, "HTTL h FIELDS 3 a c missing"),
        ints(&[100, -1, -2])
    );
    assert_eq!(ok(&mut e, "HPTTL h FIELDS 1 a"), ints(&[100_000]));
    assert_eq!(
        ok(&mut e, "HEXPIRETIME h FIELDS 1 a"),
        ints(&[(T0 as i64 + 100_000) / 1000])
    );
    assert_eq!(
        ok(&mut e, "HPEXPIRETIME h FIELDS 2 a c"),
        ints(&[T0 as i64 + 100_000, -1])
    );
    assert_eq!(
        ok(&mut e, "HEXPIRE missing 10 FIELDS 2 a b"),
        ints(&[-2, -2])
    );
    assert_eq!(ok(&mut e, "HTTL missing FIELDS 1 a"), ints(&[-2]));
    assert_eq!(ok(&mut e, "HPERSIST missing FIELDS 1 a"), ints(&[-2]));
}

#[test]
fn conditions_nx_xx_gt_lt() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 b 2");
    ok(&mut e, "HEXPIRE h 100 FIELDS 1 a");
    assert_eq!(ok(&mut e, "HEXPIRE h 50 NX FIELDS 2 a b"), ints(&[0, 1]));
    ok(&mut e, "HPERSIST h FIELDS 1 b");
    assert_eq!(ok(&mut e, "HEXPIRE h 50 XX FIELDS 2 a b"), ints(&[1, 0]));
    // GT: a field without a TTL counts as infinite, so GT never sets it.
    assert_eq!(ok(&mut e, "HEXPIRE h 60 GT FIELDS 2 a b"), ints(&[1, 0]));
    assert_eq!(ok(&mut e, "HEXPIRE h 60 GT FIELDS 1 a"), ints(&[0]));
    // LT: a field without a TTL accepts any time.
    assert_eq!(ok(&mut e, "HEXPIRE h 70 LT FIELDS 2 a b"), ints(&[0, 1]));
    assert_eq!(ok(&mut e, "HTTL h FIELDS 2 a b"), ints(&[60, 70]));
    assert_eq!(ok(&mut e, "HEXPIRE h 10 lt FIELDS 1 a"), ints(&[1]));
}

#[test]
fn a_time_not_in_the_future_deletes_the_field_and_an_emptied_hash() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 b 2");
    assert_eq!(ok(&mut e, "HEXPIRE h 0 FIELDS 1 a"), ints(&[2]));
    assert_eq!(ok(&mut e, "HEXISTS h a"), Reply::Int(0));
    let past = (T0 - 1).to_string();
    assert_eq!(
        ok(&mut e, &format!("HPEXPIREAT h {past} FIELDS 2 b b")),
        ints(&[2, -2])
    );
    assert_eq!(ok(&mut e, "EXISTS h"), Reply::Int(0));
    e.check_integrity().unwrap();
}

#[test]
fn expired_fields_are_invisible_to_every_hash_command() {
    let (mut e, clock) = engine();
    ok(&mut e, "HSET h a 1 b 2 c 3");
    ok(&mut e, "HPEXPIRE h 100 FIELDS 2 a b");
    clock.advance(99);
    assert_eq!(ok(&mut e, "HLEN h"), Reply::Int(3));
    clock.advance(1);
    assert_eq!(ok(&mut e, "HGET h a"), Reply::Nil);
    assert_eq!(ok(&mut e, "HLEN h"), Reply::Int(1));
    assert_eq!(ok(&mut e, "HEXISTS h b"), Reply::Int(0));
    assert_eq!(ok(&mut e, "HKEYS h"), bulks(&["c"]));
    assert_eq!(ok(&mut e, "HVALS h"), bulks(&["3"]));
    assert_eq!(ok(&mut e, "HGETALL h"), bulks(&["c", "3"]));
    assert_eq!(
        ok(&mut e, "HMGET h a c"),
        Reply::Array(vec![Reply::Nil, bulk("3")])
    );
    assert_eq!(ok(&mut e, "HTTL h FIELDS 2 a c"), ints(&[-2, -1]));
    assert_eq!(
        ok(&mut e, "HINCRBY h a 5"),
        Reply::Int(5),
        "an expired field starts over"
    );
    e.check_integrity().unwrap();
}

#[test]
fn a_hash_whose_last_field_expires_is_deleted() {
    let (mut e, clock) = engine();
    ok(&mut e, "HSET h a 1");
    ok(&mut e, "HPEXPIRE h 10 FIELDS 1 a");
    clock.advance(10);
    assert_eq!(ok(&mut e, "EXISTS h"), Reply::Int(0));
    assert_eq!(ok(&mut e, "TYPE h"), Reply::Status("none"));
    assert_eq!(e.len(), 0);
    e.check_integrity().unwrap();
}

#[test]
fn hset_clears_a_field_ttl_and_hincrby_keeps_it() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 n 1");
    ok(&mut e, "HEXPIRE h 100 FIELDS 2 a n");
    ok(&mut e, "HSET h a 2");
    ok(&mut e, "HINCRBY h n 1");
    assert_eq!(ok(&mut e, "HTTL h FIELDS 2 a n"), ints(&[-1, 100]));
    ok(&mut e, "HDEL h n");
    ok(&mut e, "HSET h n 1");
    assert_eq!(
        ok(&mut e, "HTTL h FIELDS 1 n"),
        ints(&[-1]),
        "a deleted field's TTL goes"
    );
}

#[test]
fn hpersist_removes_field_ttls() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 b 2");
    ok(&mut e, "HEXPIRE h 100 FIELDS 1 a");
    assert_eq!(
        ok(&mut e, "HPERSIST h FIELDS 4 a b missing a"),
        ints(&[1, -1, -2, -1])
    );
    assert_eq!(ok(&mut e, "HTTL h FIELDS 1 a"), ints(&[-1]));
    e.check_integrity().unwrap();
}

#[test]
fn seconds_round_up() {
    let (mut e, clock) = engine();
    ok(&mut e, "HSET h a 1");
    ok(&mut e, "HPEXPIRE h 1500 FIELDS 1 a");
    assert_eq!(ok(&mut e, "HTTL h FIELDS 1 a"), ints(&[2]));
    clock.advance(1499);
    assert_eq!(ok(&mut e, "HTTL h FIELDS 1 a"), ints(&[1]));
    assert_eq!(ok(&mut e, "HPTTL h FIELDS 1 a"), ints(&[1]));
    let at = (T0 + 1500) as i64;
    assert_eq!(
        ok(&mut e, "HEXPIRETIME h FIELDS 1 a"),
        ints(&[(at + 999) / 1000])
    );
}

#[test]
fn errors_are_worded_as_redis_7_4_words_them() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1");
    ok(&mut e, "SET s v");
    assert_eq!(
        err(&mut e, "HEXPIRE h 10 FIELDS 0 a"),
        "ERR Parameter `numFields` should be greater than 0"
    );
    assert_eq!(
        err(&mut e, "HEXPIRE h 10 FIELDS x a"),
        "ERR Parameter `numFields` should be greater than 0"
    );
    assert_eq!(
        err(&mut e, "HEXPIRE h 10 FIELDS 2 a"),
        "ERR The `numfields` parameter must match the number of arguments"
    );
    assert_eq!(
        err(&mut e, "HTTL h FIELDS 1 a b"),
        "ERR The `numfields` parameter must match the number of arguments"
    );
    assert_eq!(
        err(&mut e, "HEXPIRE h 10 XYZ FIELDS 1 a"),
        "ERR Mandatory argument FIELDS is missing or not at the right position"
    );
    assert_eq!(
        err(&mut e, "HTTL h NOTFIELDS 1 a"),
        "ERR Mandatory argument FIELDS is missing or not at the right position"
    );
    assert_eq!(
        err(&mut e, "HEXPIRE h -1 FIELDS 1 a"),
        "ERR invalid expire time, must be >= 0"
    );
    assert_eq!(
        err(&mut e, "HPEXPIREAT h 281474976710656 FIELDS 1 a"),
        "ERR invalid expire time in 'hpexpireat' command"
    );
    assert_eq!(
        err(&mut e, "HEXPIRE h x FIELDS 1 a"),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut e, "HEXPIRE h 10 FIELDS"),
        "ERR wrong number of arguments for 'hexpire' command"
    );
    assert_eq!(
        err(&mut e, "HEXPIRE s 10 FIELDS 1 a"),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        err(&mut e, "HPERSIST s FIELDS 1 a"),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(
        Error::from_reply("ERR The `numfields` parameter must match the number of arguments"),
        Error::NumFieldsMismatch
    );
}

#[test]
fn active_expiry_reclaims_fields_within_its_budget() {
    let clock = ManualClock::new(T0);
    let config = EngineConfig {
        expire_work_budget: 4,
        ..EngineConfig::default()
    };
    let mut e = Engine::with_config(clock.clone(), config);
    for i in 0..10 {
        ok(&mut e, &format!("HSET h{i} a 1 b 2"));
        ok(&mut e, &format!("HPEXPIRE h{i} 10 FIELDS 1 a"));
    }
    let before = e.used_memory();
    assert!(e.next_deadline().is_some(), "field TTLs need active expiry");
    clock.advance(10);
    let report = e.handle_timeout(clock.now());
    assert!(report.examined <= 4);
    assert_eq!(report.fields_expired, 4);
    let mut total = report.fields_expired;
    while total < 10 {
        let report = e.handle_timeout(clock.now());
        assert!(report.examined <= 4);
        total += report.fields_expired;
    }
    assert_eq!(total, 10);
    assert!(
        e.used_memory() < before,
        "reclaimed fields give their memory back"
    );
    assert_eq!(e.len(), 10, "the hashes keep their other field");
    e.check_integrity().unwrap();
    assert_eq!(e.next_deadline(), None, "no TTL left");
}

#[test]
fn memory_accounting_follows_field_ttls() {
    let (mut e, clock) = engine();
    ok(&mut e, "HSET h a 1 b 2");
    let plain = e.used_memory();
    ok(&mut e, "HEXPIRE h 100 FIELDS 2 a b");
    assert!(e.used_memory() > plain, "a field TTL takes memory");
    e.check_integrity().unwrap();
    ok(&mut e, "HPERSIST h FIELDS 1 a");
    e.check_integrity().unwrap();
    clock.advance(100_000);
    assert_eq!(ok(&mut e, "HLEN h"), Reply::Int(1));
    e.check_integrity().unwrap();
}

#[test]
fn a_log_rewrite_keeps_field_ttls() {
    let (mut e, clock) = engine();
    ok(&mut e, "HSET h a 1 b 2 c 3");
    ok(&mut e, "HPEXPIRE h 100 FIELDS 2 a b");
    ok(&mut e, "HPEXPIRE h 50 FIELDS 1 c");
    let mut commands = Vec::new();
    e.rebuild_commands(|c| commands.push(c));
    assert!(
        commands.contains(
            &Command::parse(&[
                "HPEXPIREAT",
                "h",
                &(T0 + 100).to_string(),
                "FIELDS",
                "2",
                "a",
                "b"
            ])
            .unwrap()
        ) || commands.contains(
            &Command::parse(&[
                "HPEXPIREAT",
                "h",
                &(T0 + 100).to_string(),
                "FIELDS",
                "2",
                "b",
                "a"
            ])
            .unwrap()
        )
    );
    let mut copy = Engine::new(clock.clone());
    for c in commands {
        copy.execute(c).unwrap();
    }
    assert_eq!(
        ok(&mut copy, "HPTTL h FIELDS 3 a b c"),
        ints(&[100, 100, 50])
    );
    clock.advance(50);
    assert_eq!(ok(&mut copy, "HGET h c"), Reply::Nil);
    assert_eq!(ok(&mut copy, "HLEN h"), Reply::Int(2));
}
