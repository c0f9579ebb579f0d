//! Set commands: replies, empty-key deletion, TTLs, seeded randomness, scans of large sets.

mod common;

use std::collections::BTreeSet;

use common::{bulk, engine, ok, run};
use hedgestore_core::{Engine, EngineConfig, Error, ManualClock, Reply, SetOp};

fn sorted(r: Reply) -> Vec<Vec<u8>> {
    let Reply::Array(items) = r else {
        panic!("not an array: {r:?}")
    };
    let mut v: Vec<Vec<u8>> = items
        .into_iter()
        .map(|i| match i {
            Reply::Bulk(b) => b,
            other => panic!("not a bulk: {other:?}"),
        })
        .collect();
    v.sort();
    v
}

fn strs(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn sadd_srem_and_the_emptied_set_is_deleted() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "SADD s a b a"), Reply::Int(2));
    assert_eq!(ok(&mut e, "SCARD s"), Reply::Int(2));
    assert_eq!(ok(&mut e, "TYPE s"), Reply::Status("set"));
    assert_eq!(ok(&mut e, "SREM s a zz"), Reply::Int(1));
    assert_eq!(ok(&mut e, "SREM s b"), Reply::Int(1));
    assert_eq!(ok(&mut e, "EXISTS s"), Reply::Int(0));
    ok(&mut e, "SET k v");
    assert_eq!(run(&mut e, "SADD k a"), Err(Error::WrongType));
    assert_eq!(run(&mut e, "SMEMBERS k"), Err(Error::WrongType));
    e.check_integrity().unwrap();
}

#[test]
fn membership_and_algebra() {
    let (mut e, _) = engine();
    ok(&mut e, "SADD a 1 2 3");
    ok(&mut e, "SADD b 2 3 4");
    assert_eq!(
        ok(&mut e, "SMISMEMBER a 1 4"),
        Reply::Array(vec![Reply::Int(1), Reply::Int(0)])
    );
    assert_eq!(sorted(ok(&mut e, "SINTER a b")), strs(&["2", "3"]));
    assert_eq!(
        sorted(ok(&mut e, "SUNION a b")),
        strs(&["1", "2", "3", "4"])
    );
    assert_eq!(sorted(ok(&mut e, "SDIFF a b")), strs(&["1"]));
    assert_eq!(sorted(ok(&mut e, "SINTER a missing")), strs(&[]));
    assert_eq!(ok(&mut e, "SINTERCARD 2 a b LIMIT 1"), Reply::Int(1));
    assert_eq!(ok(&mut e, "SINTERCARD 2 a b"), Reply::Int(2));
    ok(&mut e, "SET k v");
    assert_eq!(run(&mut e, "SINTER missing k"), Err(Error::WrongType));
    // A store replaces the destination and its TTL; an empty result deletes it.
    ok(&mut e, "SET d x EX 100");
    assert_eq!(ok(&mut e, "SUNIONSTORE d a b"), Reply::Int(4));
    assert_eq!(ok(&mut e, "TTL d"), Reply::Int(-1));
    assert_eq!(ok(&mut e, "SINTERSTORE d a missing"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXISTS d"), Reply::Int(0));
    assert_eq!(
        e.set_combine(SetOp::Diff, &["b", "a"]).unwrap(),
        vec![b"4".to_vec()]
    );
    e.check_integrity().unwrap();
}

#[test]
fn smove_moves_and_deletes_an_emptied_source() {
    let (mut e, _) = engine();
    ok(&mut e, "SADD src a");
    ok(&mut e, "SET k v");
    assert_eq!(run(&mut e, "SMOVE src k a"), Err(Error::WrongType));
    assert_eq!(ok(&mut e, "SMOVE missing k a"), Reply::Int(0));
    assert_eq!(ok(&mut e, "SMOVE src src a"), Reply::Int(1));
    assert_eq!(ok(&mut e, "SMOVE src dst a"), Reply::Int(1));
    assert_eq!(ok(&mut e, "EXISTS src"), Reply::Int(0));
    assert_eq!(ok(&mut e, "SMEMBERS dst"), Reply::Array(vec![bulk("a")]));
    e.check_integrity().unwrap();
}

#[test]
fn spop_and_srandmember_follow_the_counts_and_the_seed() {
    let run_with_seed = |seed: u64| {
        let mut e = Engine::with_config(
            ManualClock::new(0),
            EngineConfig {
                seed,
                ..EngineConfig::default()
            },
        );
        let members: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
        e.sadd(b"s", &members).unwrap();
        let distinct = e.srandmember(b"s", 10).unwrap();
        assert_eq!(distinct.iter().collect::<BTreeSet<_>>().len(), 10);
        assert_eq!(e.srandmember(b"s", 1000).unwrap().len(), 100);
        assert_eq!(e.srandmember(b"s", -1000).unwrap().len(), 1000);
        let popped = e.spop(b"s", 30).unwrap().unwrap();
        assert_eq!(popped.iter().collect::<BTreeSet<_>>().len(), 30);
        assert_eq!(e.scard(b"s").unwrap(), 70);
        for m in &popped {
            assert!(!e.sismember(b"s", m).unwrap());
        }
        e.check_integrity().unwrap();
        (distinct, popped)
    };
    assert_eq!(
        run_with_seed(7),
        run_with_seed(7),
        "a seed replays its picks"
    );
    assert_ne!(run_with_seed(7), run_with_seed(8));
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "SPOP missing"), Reply::Nil);
    assert_eq!(ok(&mut e, "SPOP missing 3"), Reply::Array(vec![]));
    assert_eq!(run(&mut e, "SPOP s -1"), Err(Error::NotPositive));
    assert_eq!(run(&mut e, "SRANDMEMBER s 1 2"), Err(Error::Syntax));
    ok(&mut e, "SADD s a");
    assert_eq!(
        run(&mut e, "SRANDMEMBER s -9223372036854775807"),
        Err(Error::OutOfMemory),
        "a reply that could not be held is refused, not attempted"
    );
    ok(&mut e, "ZADD z 1 a");
    assert_eq!(
        run(&mut e, "ZRANDMEMBER z -4611686018427387903"),
        Err(Error::OutOfMemory)
    );
}

#[test]
fn sscan_returns_every_member_that_stays_despite_changes() {
    let (mut e, _) = engine();
    let members: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    e.sadd(b"s", &members).unwrap();
    let mut seen = BTreeSet::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        let page = e.sscan(b"s", cursor, None, Some(37)).unwrap();
        seen.extend(page.keys);
        // Churn between pages: remove and add members that are not among the kept ones.
        round += 1;
        e.srem(b"s", &[format!("m{}", 900 + round % 100)]).unwrap();
        e.sadd(b"s", &[format!("new{round}")]).unwrap();
        cursor = page.cursor;
        if cursor == 0 {
            break;
        }
    }
    for i in 0..900 {
        assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
    }
    let matching = e.sscan(b"s", 0, Some(b"m1?"), Some(10_000)).unwrap();
    assert_eq!(matching.cursor, 0);
    assert_eq!(matching.keys.len(), 10);
    e.check_integrity().unwrap();
}
