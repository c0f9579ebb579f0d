//! The command table against a real `redis-server`'s `COMMAND INFO`: for every row, the
//! arity, the `write`/`readonly`/`denyoom`/`pubsub` flags, the administrative flag (Redis's
//! `@dangerous` category) and the first/last/step key positions must be Redis's own.
//! `RETRY_SAFE` has no Redis flag; it is checked against what would make a retry unsafe:
//! Redis's `write` or `may_replicate` (a command that reaches replicas has an effect).
//!
//! Deliberate differences are listed in [`DIFFERENCES`] with their reason. Every row is
//! also run against the server: its example invocation must get the same reply, and too
//! few or too many arguments the same error text; containers
//! (`PUBSUB`) must refuse a missing or unknown subcommand with Redis's words. The server is
//! started by the test on a free loopback port.

use std::time::{SystemTime, UNIX_EPOCH};

use hedgestore_core::{
    Command, CommandFlags, CommandSpec, Engine, Error, ManualClock, Reply, COMMAND_TABLE,
};
use hedgestore_testkit::{RedisServer, Resp, RespConnection};

/// `(command id, fact)` pairs where hedgestore deliberately differs from Redis, each with
/// the reason in a comment. A fact is one of `arity`, `write`, `readonly`, `denyoom`,
/// `pubsub`, `admin`, `keys`.
const DIFFERENCES: &[(&str, &str)] = &[
    // `ZRANK … WITHSCORE` and `ZREVRANK … WITHSCORE` are Redis 7.2's (arity -3); the
    // redis-server these tests start is 7.0 (arity 3). On a 7.2 server these agree: then
    // remove them.
    ("zrank", "arity"),
    ("zrevrank", "arity"),
    // Scripts can read and write any key, so a shared endpoint refuses them unless allowed,
    // though Redis files them under `@scripting` only.
    ("eval", "admin"),
    ("evalsha", "admin"),
    ("eval_ro", "admin"),
    ("evalsha_ro", "admin"),
    ("script|load", "admin"),
    ("script|exists", "admin"),
    ("script|flush", "admin"),
];

/// Commands newer than the redis-server these tests start (7.0): hash field expiration is
/// Redis 7.4's, `HGETDEL`/`HGETEX`/`HSETEX` Redis 8.0's. A server that lacks one of them is not asked about it; a server that has it
/// is checked like any other row, so on a 7.4 server these are tested in full.
const NEWER_THAN_REDIS_7_0: &[&str] = &[
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

/// Whether `spec` is one of [`NEWER_THAN_REDIS_7_0`] and the server does not know it.
fn server_lacks(conn: &mut RespConnection, spec: &CommandSpec) -> bool {
    if !NEWER_THAN_REDIS_7_0.contains(&spec.id) {
        return false;
    }
    let reply = conn
        .call(&["COMMAND", "INFO", spec.name()])
        .expect("COMMAND INFO");
    matches!(&reply, Resp::Array(Some(entries))
        if matches!(entries.first(), Some(Resp::Array(None) | Resp::Bulk(None))))
}

/// What `COMMAND INFO` says about one command or subcommand.
#[derive(Debug)]
struct RedisInfo {
    arity: i64,
    flags: Vec<String>,
    keys: (i64, i64, i64),
    categories: Vec<String>,
    subcommands: Vec<Resp>,
}

fn words(reply: &Resp) -> Vec<String> {
    match reply {
        Resp::Array(Some(items)) => items
            .iter()
            .map(|item| match item {
                Resp::Simple(s) => s.clone(),
                Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("expected a word, got {other:?}"),
            })
            .collect(),
        other => panic!("expected an array of words, got {other:?}"),
    }
}

fn int(reply: &Resp) -> i64 {
    match reply {
        Resp::Int(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn parse_info(entry: &Resp) -> (String, RedisInfo) {
    let Resp::Array(Some(fields)) = entry else {
        panic!("expected a COMMAND INFO entry, got {entry:?}");
    };
    let name = match &fields[0] {
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        Resp::Simple(s) => s.clone(),
        other => panic!("expected a command name, got {other:?}"),
    };
    let subcommands = match fields.get(9) {
        Some(Resp::Array(Some(subs))) => subs.clone(),
        _ => Vec::new(),
    };
    let info = RedisInfo {
        arity: int(&fields[1]),
        flags: words(&fields[2]),
        keys: (int(&fields[3]), int(&fields[4]), int(&fields[5])),
        categories: words(&fields[6]),
        subcommands,
    };
    (name, info)
}

fn command_info(conn: &mut RespConnection, spec: &CommandSpec) -> RedisInfo {
    let reply = conn
        .call(&["COMMAND", "INFO", spec.name()])
        .expect("COMMAND INFO");
    let Resp::Array(Some(entries)) = reply else {
        panic!("{}: unexpected COMMAND INFO reply {reply:?}", spec.id);
    };
    let entry = entries
        .first()
        .unwrap_or_else(|| panic!("{}: no entry", spec.id));
    if let Resp::Array(None) | Resp::Bulk(None) = entry {
        panic!("{}: redis-server does not know this command", spec.id);
    }
    let (_, info) = parse_info(entry);
    if spec.subcommand().is_none() {
        return info;
    }
    info.subcommands
        .iter()
        .map(parse_info)
        .find(|(name, _)| name.eq_ignore_ascii_case(spec.id))
        .unwrap_or_else(|| panic!("{}: redis-server has no such subcommand", spec.id))
        .1
}

fn differs_deliberately(id: &str, fact: &str) -> bool {
    DIFFERENCES.contains(&(id, fact))
}

#[test]
fn the_command_table_agrees_with_redis_command_info() {
    let server = RedisServer::start().expect("start redis-server");
    let mut conn = server.connect().expect("connect");
    let mut mismatches = Vec::new();
    let mut deliberate = Vec::new();
    for spec in COMMAND_TABLE {
        if server_lacks(&mut conn, spec) {
            continue;
        }
        let redis = command_info(&mut conn, spec);
        let mut check = |fact: &str, ours: String, theirs: String| {
            if ours == theirs {
                return;
            }
            if differs_deliberately(spec.id, fact) {
                deliberate.push((spec.id, fact.to_string()));
            } else {
                mismatches.push(format!("{}: {fact}: table {ours}, redis {theirs}", spec.id));
            }
        };
        check("arity", spec.arity.to_string(), redis.arity.to_string());
        let flag_pairs = [
            ("write", CommandFlags::WRITE),
            ("readonly", CommandFlags::READONLY),
            ("denyoom", CommandFlags::DENYOOM),
            ("pubsub", CommandFlags::PUBSUB),
        ];
        for (name, flag) in flag_pairs {
            check(
                name,
                spec.flags.contains(flag).to_string(),
                redis.flags.iter().any(|f| f == name).to_string(),
            );
        }
        check(
            "admin",
            spec.flags.contains(CommandFlags::ADMIN).to_string(),
            redis
                .categories
                .iter()
                .any(|c| c == "@dangerous")
                .to_string(),
        );
        let ours = (
            i64::from(spec.keys.first),
            i64::from(spec.keys.last),
            i64::from(spec.keys.step),
        );
        check("keys", format!("{ours:?}"), format!("{:?}", redis.keys));
        if spec.flags.contains(CommandFlags::RETRY_SAFE) {
            let effect = redis
                .flags
                .iter()
                .any(|f| f == "write" || f == "may_replicate");
            check("retry_safe", "true".into(), (!effect).to_string());
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    for (id, fact) in DIFFERENCES {
        assert!(
            deliberate.iter().any(|(i, f)| i == id && f == fact),
            "{id}: {fact} is listed as a deliberate difference but agrees with redis (or is \
             not in the table): remove it from DIFFERENCES"
        );
    }
}

/// Sends `args` to Redis and to the parser; both must refuse them with the same text.
fn same_refusal(conn: &mut RespConnection, args: &[&str]) -> Result<(), String> {
    let expected = match conn.call(args).expect("call") {
        Resp::Error(e) => e,
        other => return Err(format!("{args:?}: redis accepted it: {other:?}")),
    };
    match Command::parse(args) {
        Ok(c) => Err(format!("{args:?}: hedgestore accepted it: {c:?}")),
        Err(e) if e.to_string() == expected => Ok(()),
        Err(e) => Err(format!("{args:?}: redis {expected:?}, hedgestore {e:?}")),
    }
}

#[test]
fn arity_errors_are_worded_as_redis_words_them() {
    let server = RedisServer::start().expect("start redis-server");
    let mut conn = server.connect().expect("connect");
    let mut mismatches = Vec::new();
    for spec in COMMAND_TABLE {
        if server_lacks(&mut conn, spec) {
            continue;
        }
        let min = spec.arity.unsigned_abs() as usize;
        if min >= 2 {
            mismatches.extend(same_refusal(&mut conn, &spec.example()[..min - 1]).err());
        }
        if spec.arity > 0 {
            let mut long = spec.example().to_vec();
            long.push("extra");
            mismatches.extend(same_refusal(&mut conn, &long).err());
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn containers_and_unknown_subcommands_are_refused_as_redis_refuses_them() {
    let server = RedisServer::start().expect("start redis-server");
    let mut conn = server.connect().expect("connect");
    let mut containers: Vec<&str> = COMMAND_TABLE
        .iter()
        .filter(|spec| spec.subcommand().is_some())
        .map(|spec| spec.name())
        .collect();
    containers.dedup();
    assert!(!containers.is_empty());
    for container in containers {
        let upper = container.to_ascii_uppercase();
        for args in [
            vec![upper.as_str()],
            vec![upper.as_str(), "NOSUCHSUB"],
            vec![upper.as_str(), "nosuch", "x", "y"],
            vec![upper.as_str(), "channels|numpat"],
        ] {
            let Resp::Error(expected) = conn.call(&args).expect("call") else {
                panic!("{args:?}: redis accepted it");
            };
            let ours = Command::parse(&args)
                .expect_err("hedgestore accepted it")
                .to_string();
            assert_eq!(ours, expected, "{args:?}");
        }
    }
}

/// A reply in a form both sides compare in; arrays sorted, since `KEYS`, `SCAN`, `HKEYS` and
/// `HGETALL` order is unspecified (`HGETALL`'s pairs are compared as a sorted list of items,
/// which is enough for the one-field fixture).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Norm {
    Nil,
    Status(String),
    Int(i64),
    Bulk(Vec<u8>),
    Array(Vec<Norm>),
    Error(String),
}

fn from_resp(r: Resp) -> Norm {
    match r {
        Resp::Simple(s) => Norm::Status(s),
        Resp::Error(e) => Norm::Error(e),
        Resp::Int(i) => Norm::Int(i),
        Resp::Bulk(None) | Resp::Array(None) => Norm::Nil,
        Resp::Bulk(Some(b)) => Norm::Bulk(b),
        Resp::Array(Some(v)) => {
            let mut items: Vec<Norm> = v.into_iter().map(from_resp).collect();
            items.sort();
            Norm::Array(items)
        }
    }
}

fn from_engine(r: Result<Reply, Error>) -> Norm {
    match r {
        Err(e) => Norm::Error(e.to_string()),
        Ok(Reply::Nil) => Norm::Nil,
        Ok(Reply::Ok) => Norm::Status("OK".into()),
        Ok(Reply::Status(s)) => Norm::Status(s.into()),
        Ok(Reply::Int(i)) => Norm::Int(i),
        Ok(Reply::Bulk(b)) => Norm::Bulk(b),
        Ok(Reply::Array(v)) => {
            let mut items: Vec<Norm> = v.into_iter().map(|r| from_engine(Ok(r))).collect();
            items.sort();
            Norm::Array(items)
        }
    }
}

/// A reply reduced to what chance and the clock leave determined: `RANDOMKEY`'s key to
/// whether it is one of the fixture's, `TIME`'s two numbers to their count.
fn chance_free(id: &str, n: Norm) -> Norm {
    const FIXTURE_KEYS: &[&[u8]] = &[b"k", b"n", b"h", b"l", b"s", b"z"];
    match (id, n) {
        ("randomkey", Norm::Bulk(b)) if FIXTURE_KEYS.contains(&b.as_slice()) => {
            Norm::Status("a key".into())
        }
        ("time", Norm::Array(v)) if v.len() == 2 && v.iter().all(is_digits) => Norm::Int(2),
        (_, n) => n,
    }
}

fn is_digits(n: &Norm) -> bool {
    matches!(n, Norm::Bulk(b) if !b.is_empty() && b.iter().all(u8::is_ascii_digit))
}

/// The keys the examples use: a string `k`, a counter `n`, a hash `h`, a list `l`, a set
/// `s`, a sorted set `z`.
const FIXTURE: &[&[&str]] = &[
    &["SET", "k", "v"],
    &["SET", "n", "10"],
    &["HSET", "h", "f", "v", "n", "1"],
    &["RPUSH", "l", "a", "b", "c"],
    &["SADD", "s", "a", "b", "c"],
    &["ZADD", "z", "1", "a", "2", "b", "2.5", "c"],
];

#[test]
fn every_example_replies_as_redis_does() {
    let server = RedisServer::start().expect("start redis-server");
    let mut conn = server.connect().expect("connect");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64;
    let mut mismatches = Vec::new();
    for spec in COMMAND_TABLE {
        if server_lacks(&mut conn, spec) {
            continue;
        }
        let mut engine = Engine::new(ManualClock::new(now));
        conn.call(&["FLUSHDB"]).expect("FLUSHDB");
        for setup in FIXTURE {
            conn.call(setup).expect("fixture");
            engine
                .execute(Command::parse(setup).expect("fixture parses"))
                .expect("fixture runs");
        }
        let expected = chance_free(spec.id, from_resp(conn.call(spec.example()).expect("call")));
        let ours = chance_free(
            spec.id,
            from_engine(Command::parse(spec.example()).and_then(|c| engine.execute(c))),
        );
        if spec.id.starts_with("eval") || spec.id.starts_with("script|") {
            // Redis runs the example; the engine, without a Lua interpreter, refuses it.
            let refused = Norm::Error(Error::ScriptsNeedRedis.to_string());
            if matches!(expected, Norm::Error(_)) || ours != refused {
                mismatches.push(format!(
                    "{:?}: redis {expected:?}, hedgestore {ours:?}",
                    spec.example()
                ));
            }
            continue;
        }
        if expected != ours {
            mismatches.push(format!(
                "{:?}: redis {expected:?}, hedgestore {ours:?}",
                spec.example()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
