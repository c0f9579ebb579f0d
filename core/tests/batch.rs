//! Atomic batches: all or nothing, and WATCH-style conflicts.

mod common;

use common::{bulk, engine, ok};
use hedgestore_core::{
    BatchError, Command, Engine, EngineConfig, Error, EvictionPolicy, ManualClock, Reply,
    SetOptions,
};

fn cmd(line: &str) -> Command {
    Command::parse(&line.split_whitespace().collect::<Vec<_>>()).unwrap()
}

fn batch(lines: &[&str]) -> Vec<Command> {
    lines.iter().map(|l| cmd(l)).collect()
}

#[test]
fn a_batch_applies_every_command_and_returns_every_reply() {
    let (mut e, _) = engine();
    let replies = e
        .execute_batch(batch(&[
            "SET a 1",
            "INCR a",
            "RPUSH l x y",
            "HSET h f v",
            "GET a",
        ]))
        .unwrap();
    assert_eq!(
        replies,
        vec![
            Reply::Ok,
            Reply::Int(2),
            Reply::Int(2),
            Reply::Int(1),
            bulk("2")
        ]
    );
}

#[test]
fn a_failing_command_rolls_back_everything_before_it() {
    let (mut e, _) = engine();
    ok(&mut e, "SET a 1");
    ok(&mut e, "EXPIRE a 100");
    ok(&mut e, "RPUSH l x");
    ok(&mut e, "SET word abc");
    let versions: Vec<u64> = ["a", "l", "word", "new"]
        .iter()
        .map(|k| e.key_version(k.as_bytes()))
        .collect();
    let memory = e.used_memory();
    let err = e
        .execute_batch(batch(&[
            "SET a changed",
            "DEL l",
            "SET new 1",
            "HSET h f v",
            "INCR word",
            "SET never reached",
        ]))
        .unwrap_err();
    assert_eq!(
        err,
        BatchError::Command {
            index: 4,
            command: "incr",
            error: Error::NotInteger
        }
    );
    assert_eq!(ok(&mut e, "GET a"), bulk("1"));
    assert_eq!(ok(&mut e, "TTL a"), Reply::Int(100), "TTL restored");
    assert_eq!(ok(&mut e, "LRANGE l 0 -1"), Reply::Array(vec![bulk("x")]));
    assert_eq!(ok(&mut e, "EXISTS new h never"), Reply::Int(0));
    let after: Vec<u64> = ["a", "l", "word", "new"]
        .iter()
        .map(|k| e.key_version(k.as_bytes()))
        .collect();
    assert_eq!(versions, after, "versions restored: watchers see no change");
    assert!(
        e.used_memory() <= memory,
        "restored copies are no larger than the originals"
    );
    e.check_integrity().unwrap();
}

#[test]
fn a_flushdb_inside_a_failed_batch_is_undone() {
    let (mut e, _) = engine();
    ok(&mut e, "MSET a 1 b 2");
    ok(&mut e, "HSET h f v");
    let err = e
        .execute_batch(batch(&["SET a 9", "FLUSHDB", "SET c 3", "LPUSH c x"]))
        .unwrap_err();
    assert!(matches!(
        err,
        BatchError::Command {
            index: 3,
            error: Error::WrongType,
            ..
        }
    ));
    assert_eq!(
        ok(&mut e, "MGET a b c"),
        Reply::Array(vec![bulk("1"), bulk("2"), Reply::Nil])
    );
    assert_eq!(ok(&mut e, "HGET h f"), bulk("v"));
    e.check_integrity().unwrap();
}

#[test]
fn a_watched_key_changed_by_a_write_aborts_the_batch() {
    let (mut e, _) = engine();
    ok(&mut e, "SET balance 100");
    let seen = e.key_version(b"balance");
    ok(&mut e, "INCRBY balance -30"); // someone else's write
    let err = e
        .execute_batch_watched(
            &[(b"balance", seen)],
            batch(&["SET balance 0", "SET audit x"]),
        )
        .unwrap_err();
    assert_eq!(
        err,
        BatchError::Conflict {
            key: b"balance".to_vec()
        }
    );
    assert_eq!(ok(&mut e, "GET balance"), bulk("70"));
    assert_eq!(ok(&mut e, "EXISTS audit"), Reply::Int(0));
    let now = e.key_version(b"balance");
    e.execute_batch_watched(&[(b"balance", now)], batch(&["SET balance 0"]))
        .unwrap();
    assert_eq!(ok(&mut e, "GET balance"), bulk("0"));
}

#[test]
fn a_watched_key_that_expired_aborts_the_batch() {
    let (mut e, clock) = engine();
    ok(&mut e, "SET k v PX 10");
    let seen = e.key_version(b"k");
    clock.advance(10);
    assert!(matches!(
        e.execute_batch_watched(&[(b"k", seen)], batch(&["SET x 1"])),
        Err(BatchError::Conflict { .. })
    ));
}

#[test]
fn watching_a_missing_key_detects_its_creation() {
    let (mut e, _) = engine();
    let seen = e.key_version(b"lock");
    assert_eq!(seen, 0);
    ok(&mut e, "SET lock me");
    assert!(e
        .execute_batch_watched(&[(b"lock", seen)], batch(&["SET lock you"]))
        .is_err());
}

#[test]
fn out_of_memory_under_no_eviction_fails_the_whole_batch() {
    let mut e = Engine::with_config(
        ManualClock::new(0),
        EngineConfig {
            max_memory: 1 << 20,
            eviction_policy: EvictionPolicy::NoEviction,
            ..EngineConfig::default()
        },
    );
    let mut i = 0;
    while e
        .set(
            format!("fill{i}").as_bytes(),
            &[0u8; 500],
            SetOptions::default(),
        )
        .is_ok()
    {
        i += 1;
    }
    ok(&mut e, "DEL fill0"); // a little room for exactly one more write
    let big = |k: &str| Command::Set {
        key: k.as_bytes().to_vec(),
        value: vec![1u8; 2000],
        options: SetOptions::default(),
    };
    let err = e
        .execute_batch(vec![
            cmd("DEL fill1"),
            big("a"),
            big("b"),
            big("c"),
            big("d"),
        ])
        .unwrap_err();
    assert!(
        matches!(
            err,
            BatchError::Command {
                error: Error::OutOfMemory,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        ok(&mut e, "EXISTS fill1 a b c d"),
        Reply::Int(1),
        "fill1 is back, nothing else"
    );
    e.check_integrity().unwrap();
}

#[test]
fn batch_errors_name_the_command() {
    let err = BatchError::Command {
        index: 2,
        command: "incr",
        error: Error::NotInteger,
    };
    assert_eq!(
        err.to_string(),
        "EXECABORT command #2 (incr) failed, nothing was applied: ERR value is not an integer or out of range"
    );
}
