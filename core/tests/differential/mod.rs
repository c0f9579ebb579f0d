//! The differential generator's newer families: the classic string commands, sets (and the
//! helpers that compare replies whose order or choice Redis leaves unspecified).
//!
//! Not generated, being random in Redis: `SPOP` that would choose among members (only a
//! `SPOP` that takes the whole set, or a one-member set, is sent), and `SRANDMEMBER` is
//! compared by the number of members it returns. `SSCAN` is compared as a full iteration
//! with valid options only (Redis looks the key up before it reads the options, hedgestore
//! after).

use hedgestore_core::{Clock, Command, Engine};
use hedgestore_testkit::{Resp, RespConnection, Rng};

use super::{from_engine, from_resp, Norm};

mod bits;
mod floats;
mod geo;
mod hyperloglog;
mod keys_lists;
mod large;
mod zsets;

/// Keys of the newer families; `k0` and `h0` are shared with the main generator, so wrong
/// types come up.
const KEYS: &[&str] = &["s0", "s1", "s2", "k0", "h0"];
const MEMBERS: &[&str] = &["a", "b", "c", "1", "2", "10", "-3", "x y", ""];
const OFFSETS: &[&str] = &["0", "1", "3", "10", "-1", "536870912", "4096", "abc"];
const RANGES: &[&str] = &["0", "1", "-1", "-2", "2", "5", "-100", "100", "x"];

fn key(rng: &mut Rng) -> String {
    rng.pick(KEYS).to_string()
}

fn members(rng: &mut Rng, at_least: u64) -> Vec<String> {
    (0..at_least + rng.below(4))
        .map(|_| rng.pick(MEMBERS).to_string())
        .collect()
}

fn words(items: &[&str]) -> Vec<String> {
    items.iter().map(|w| w.to_string()).collect()
}

/// How many members the set at `key` has on the Redis side (0 for another type).
fn scard(redis: &mut RespConnection, key: &str) -> i64 {
    match redis.call(&["SCARD", key]) {
        Ok(Resp::Int(n)) => n,
        _ => 0,
    }
}

/// One random command of the newer families.
pub fn command(rng: &mut Rng, redis: &mut RespConnection) -> Vec<String> {
    match rng.below(100) {
        0..=14 => return bits::command(rng),
        15..=29 => return hyperloglog::command(rng),
        30..=41 => return geo::command(rng),
        _ => {}
    }
    if rng.chance(15) {
        let mut c = keys_lists::command(rng);
        // A scan keeps its cursor (it runs as a full iteration).
        if rng.chance(3) && !is_key_scan(&c[0]) {
            c.truncate(1 + rng.below(c.len() as u64) as usize);
        }
        return c;
    }
    if rng.chance(50) {
        let mut c = zsets::command(rng);
        // Combinations keep their options whole (their option errors are a documented
        // difference, see the zsets module).
        if rng.chance(3) && c[0] != "ZSCAN" && !c[0].ends_with("STORE") {
            c.truncate(1 + rng.below(c.len() as u64) as usize);
        }
        return c;
    }
    let mut c = match rng.below(26) {
        0 => vec!["ECHO".into(), rng.pick(MEMBERS).to_string()],
        1 => {
            let cmd = rng.pick(&["SETEX", "PSETEX"]).to_string();
            let t = rng.pick(&["100000", "200000", "0", "-5", "abc", "9223372036854775807"]);
            vec![cmd, key(rng), t.to_string(), rng.pick(MEMBERS).to_string()]
        }
        2 => {
            let mut c = vec!["HMSET".into(), key(rng)];
            for m in members(rng, 1) {
                c.push(m);
                c.push(rng.pick(MEMBERS).to_string());
            }
            c
        }
        3 => vec!["GETSET".into(), key(rng), rng.pick(MEMBERS).to_string()],
        4 => {
            let mut c = vec!["MSETNX".into()];
            for _ in 0..=rng.below(2) {
                c.push(key(rng));
                c.push(rng.pick(MEMBERS).to_string());
            }
            c
        }
        5 => vec![
            "SETRANGE".into(),
            key(rng),
            rng.pick(OFFSETS).to_string(),
            rng.pick(MEMBERS).to_string(),
        ],
        6 => vec![
            "GETRANGE".into(),
            key(rng),
            rng.pick(RANGES).to_string(),
            rng.pick(RANGES).to_string(),
        ],
        7..=9 => {
            let mut c = vec!["SADD".into(), key(rng)];
            c.extend(members(rng, 1));
            c
        }
        10 => {
            let mut c = vec!["SREM".into(), key(rng)];
            c.extend(members(rng, 1));
            c
        }
        11 => vec!["SMEMBERS".into(), key(rng)],
        12 => vec!["SISMEMBER".into(), key(rng), rng.pick(MEMBERS).to_string()],
        13 => {
            let mut c = vec!["SMISMEMBER".into(), key(rng)];
            c.extend(members(rng, 1));
            c
        }
        14 => vec!["SCARD".into(), key(rng)],
        15 => {
            let k = key(rng);
            let n = scard(redis, &k);
            // Sent as they are: dropping the count would make the pop random.
            return match rng.below(5) {
                0 if n <= 1 => vec!["SPOP".into(), k],
                1 => vec!["SPOP".into(), k, rng.pick(&["-1", "abc", "0"]).to_string()],
                2 => words(&["SPOP", &k, "1", "2"]),
                _ => vec!["SPOP".into(), k, (n + rng.below(2) as i64).to_string()],
            };
        }
        16 => {
            let mut c = vec!["SRANDMEMBER".into(), key(rng)];
            if rng.chance(70) {
                let n = [
                    "0",
                    "1",
                    "3",
                    "-3",
                    "20",
                    "-20",
                    "abc",
                    "-9223372036854775808",
                ];
                c.push(rng.pick(&n).to_string());
            }
            c
        }
        17 => vec![
            "SMOVE".into(),
            key(rng),
            key(rng),
            rng.pick(MEMBERS).to_string(),
        ],
        18..=20 => {
            let cmd = rng.pick(&["SINTER", "SUNION", "SDIFF"]).to_string();
            let mut c = vec![cmd];
            for _ in 0..=rng.below(3) {
                c.push(key(rng));
            }
            c
        }
        21 | 22 => {
            let cmd = rng
                .pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
                .to_string();
            let mut c = vec![cmd, key(rng)];
            for _ in 0..=rng.below(3) {
                c.push(key(rng));
            }
            c
        }
        23 => {
            let n = rng.below(3);
            let mut c = vec![
                "SINTERCARD".into(),
                rng.pick(&["1", "2", "3", "0", "x"]).to_string(),
            ];
            for _ in 0..=n {
                c.push(key(rng));
            }
            if rng.chance(50) {
                c.push(rng.pick(&["LIMIT", "limit", "BAD"]).to_string());
                c.push(rng.pick(&["0", "1", "2", "-1", "x"]).to_string());
            }
            c
        }
        24 => {
            let mut c = vec!["SSCAN".into(), key(rng), "0".into()];
            if rng.chance(50) {
                c.extend(words(&["MATCH", *rng.pick(&["*", "a*", "?", "1*"])]));
            }
            if rng.chance(50) {
                c.extend(words(&["COUNT", *rng.pick(&["1", "2", "100"])]));
            }
            return c;
        }
        _ => words(&["FLUSHALL"]),
    };
    if rng.chance(3) {
        if rng.chance(50) {
            c.truncate(1 + rng.below(c.len() as u64) as usize);
        } else {
            c.push(rng.pick(MEMBERS).to_string());
        }
    }
    c
}

/// Puts replies whose order Redis does not specify in a canonical order, and reduces replies
/// whose content Redis chooses at random to what is determined: their length.
pub fn canonical(cmd: &str, n: Norm) -> Norm {
    match (cmd, n) {
        ("SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" | "SPOP", Norm::Array(mut v)) => {
            v.sort_by_key(|x| format!("{x:?}"));
            Norm::Array(v)
        }
        ("SRANDMEMBER" | "ZRANDMEMBER" | "HRANDFIELD", Norm::Array(v)) => Norm::Int(v.len() as i64),
        ("SRANDMEMBER" | "ZRANDMEMBER" | "HRANDFIELD", Norm::Bulk(_)) => {
            Norm::Status("a member".into())
        }
        ("RANDOMKEY", Norm::Bulk(_)) => Norm::Status("a key".into()),
        ("TIME", Norm::Array(v)) => Norm::Int(v.len() as i64),
        (_, n) => n,
    }
}

/// Whether `cmd` is a scan of one key, compared as a full iteration by [`full_scan`].
pub fn is_key_scan(cmd: &str) -> bool {
    cmd == "SSCAN" || cmd == "ZSCAN" || cmd == "HSCAN"
}

/// Runs the scan `args` (cursor 0) to completion on both sides: the sorted, deduplicated
/// elements each returned, or the error.
pub fn full_scan<C: Clock>(
    args: &[String],
    redis: &mut RespConnection,
    engine: &mut Engine<C>,
) -> (Norm, Norm) {
    let run = |call: &mut dyn FnMut(&[String]) -> Norm| {
        let mut args = args.to_vec();
        let mut items = Vec::new();
        loop {
            let page = call(&args);
            let Norm::Array(page) = page else {
                return page;
            };
            let [Norm::Bulk(cursor), Norm::Array(found)] = &page[..] else {
                panic!("not a scan page: {page:?}");
            };
            if args[0].eq_ignore_ascii_case("ZSCAN") || args[0].eq_ignore_ascii_case("HSCAN") {
                // Member and score pairs, field and value pairs.
                items.extend(found.chunks(2).map(|p| format!("{p:?}")));
            } else {
                items.extend(found.iter().map(|x| format!("{x:?}")));
            }
            args[2] = String::from_utf8(cursor.clone()).unwrap();
            if args[2] == "0" {
                break;
            }
        }
        items.sort();
        items.dedup();
        Norm::Array(
            items
                .into_iter()
                .map(|s| Norm::Bulk(s.into_bytes()))
                .collect(),
        )
    };
    let expected = run(&mut |a| from_resp(redis.call(a).unwrap()));
    let ours = run(&mut |a| from_engine(Command::parse(a).and_then(|c| engine.execute(c))));
    (expected, ours)
}
