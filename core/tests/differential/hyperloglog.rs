//! The differential generator's HyperLogLog commands: `PFADD` (now and then with hundreds of
//! elements, so sparse HyperLogLogs grow past 3000 bytes and turn dense), `PFCOUNT` of one
//! or several keys, `PFMERGE`, and `GET`/`STRLEN` of the stored bytes, which must be Redis's
//! byte for byte (cached cardinality included).
//!
//! `pbad` is corrupted with `APPEND` and `SETRANGE` (header, encoding, registers) to exercise
//! both HyperLogLog errors and dense registers above the sparse maximum. `PFADD` never
//! targets it, nor, in the main generator, the keys other commands write: on a corrupted
//! HyperLogLog Redis keeps the registers it raised before it found the corruption,
//! hedgestore changes nothing (a documented difference).
//!
//! The main generator mixes these commands with the others (and with flushes, so its
//! HyperLogLogs stay small); [`hyperloglogs_match_redis`] runs long sequences of them alone,
//! where they turn dense, and compares the bytes of the key each command wrote, and of every
//! key at the end.

use hedgestore_core::{Command, Engine};
use hedgestore_testkit::{RedisServer, Rng};

use super::super::{from_engine, from_resp, WallClock};

/// HyperLogLog keys, the corrupted one, and other types (`k0` a string, `h0` a hash).
const KEYS: &[&str] = &["p0", "p1", "p2", "p3", "pbad", "k0", "h0"];
const ADD_KEYS: &[&str] = &["p0", "p1", "p2", "p3", "k0", "h0"];
/// `PFADD`'s keys in the main generator, where other commands write `k0` and `h0` and may
/// corrupt a HyperLogLog there.
const MIXED_ADD_KEYS: &[&str] = &["p0", "p1", "p2", "p3"];

/// Redis's hash of HyperLogLog elements (MurmurHash64A, seed `0xadc83b19`), written again
/// here so the test can choose elements by the register they hit.
fn murmur64a(key: &[u8]) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    let mut h = 0xadc8_3b19 ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().unwrap()).wrapping_mul(M);
        k ^= k >> 47;
        h = (h ^ k.wrapping_mul(M)).wrapping_mul(M);
    }
    if !chunks.remainder().is_empty() {
        for (i, b) in chunks.remainder().iter().enumerate() {
            h ^= u64::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 47;
    h = h.wrapping_mul(M);
    h ^ (h >> 47)
}

/// Elements that hit registers 100 to 111 with run lengths 1 to 3, so that `p3`'s sparse
/// opcodes split and merge (adjacent VAL runs of equal and different values).
fn neighbours() -> &'static [String] {
    static POOL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let mut wanted: Vec<(u64, u32)> = (100..112)
            .flat_map(|r| (1..=3).map(move |c| (r, c)))
            .collect();
        let mut found = Vec::new();
        let mut i = 0u64;
        while !wanted.is_empty() {
            let element = format!("n{i}");
            let h = murmur64a(element.as_bytes());
            let hit = (h & 16383, ((h >> 14) | (1 << 50)).trailing_zeros() + 1);
            if let Some(at) = wanted.iter().position(|w| *w == hit) {
                wanted.swap_remove(at);
                found.push(element);
            }
            i += 1;
        }
        found
    })
}

fn key(rng: &mut Rng, keys: &[&str]) -> String {
    rng.pick(keys).to_string()
}

fn elements(rng: &mut Rng) -> Vec<String> {
    let n = match rng.below(10) {
        0 | 1 => 50 + rng.below(250),
        2 => 0,
        _ => 1 + rng.below(5),
    };
    if rng.chance(30) {
        let pool = neighbours();
        return (0..n.min(3)).map(|_| rng.pick(pool).clone()).collect();
    }
    let range = if rng.chance(50) { 50 } else { 20_000 };
    (0..n).map(|_| format!("e{}", rng.below(range))).collect()
}

/// One random HyperLogLog command for the main generator.
pub fn command(rng: &mut Rng) -> Vec<String> {
    generate(rng, MIXED_ADD_KEYS)
}

/// One random HyperLogLog command, `PFADD` writing to `add_keys`.
fn generate(rng: &mut Rng, add_keys: &[&str]) -> Vec<String> {
    match rng.below(12) {
        0..=3 => {
            let key = key(rng, add_keys);
            let neighbours_only = key == "p3";
            let mut c = vec!["PFADD".into(), key];
            if neighbours_only {
                // `p3` stays sparse: only neighbouring registers, whose runs split and merge.
                for _ in 0..=rng.below(4) {
                    c.push(rng.pick(neighbours()).clone());
                }
            } else {
                c.extend(elements(rng));
            }
            c
        }
        4 | 5 => {
            let mut c = vec!["PFCOUNT".into()];
            for _ in 0..=rng.below(3) {
                c.push(key(rng, KEYS));
            }
            c
        }
        6 => {
            let mut c = vec!["PFMERGE".into(), key(rng, KEYS)];
            for _ in 0..rng.below(3) {
                c.push(key(rng, KEYS));
            }
            c
        }
        7 | 8 => vec![rng.pick(&["GET", "STRLEN"]).to_string(), key(rng, KEYS)],
        9 => vec!["APPEND".into(), "pbad".into(), "\u{1}".into()],
        10 => {
            let (offset, value) = *rng.pick(&[
                ("4", "\u{0}"),
                ("4", "\u{1}"),
                ("4", "\u{2}"),
                ("15", "\u{0}"),
                ("16", "\u{7f}"),
                ("16", "x"),
                ("0", "HYLX"),
                ("100", "\u{7f}"),
                ("5000", "\u{3f}"),
                ("12303", "\u{0}"),
            ]);
            vec![
                "SETRANGE".into(),
                "pbad".into(),
                offset.into(),
                value.into(),
            ]
        }
        _ => {
            let source = key(rng, &["p0", "p1", "p2"]);
            vec!["PFMERGE".into(), "pbad".into(), source]
        }
    }
}

/// Runs `ops` HyperLogLog commands from `seed` on both sides, then compares every key's
/// bytes; with `coverage`, also asserts that a HyperLogLog turned dense and an error came up
/// (what the fixed seeds are chosen for; another seed may be short of either).
fn run(seed: u64, ops: usize, coverage: bool) {
    let server = RedisServer::start().expect("start redis-server");
    let mut redis = server.connect().unwrap();
    let mut engine = Engine::new(WallClock);
    let mut rng = Rng::new(seed);
    redis.call(&["HSET", "h0", "f", "v"]).unwrap();
    redis.call(&["SET", "k0", "HYLL"]).unwrap();
    engine
        .execute(Command::parse(&["HSET", "h0", "f", "v"]).unwrap())
        .unwrap();
    engine
        .execute(Command::parse(&["SET", "k0", "HYLL"]).unwrap())
        .unwrap();
    let (mut dense, mut errors) = (0, 0);
    for n in 0..ops {
        let args = generate(&mut rng, ADD_KEYS);
        let expected = from_resp(redis.call(&args).unwrap());
        let ours = from_engine(Command::parse(&args).and_then(|c| engine.execute(c)));
        assert_eq!(expected, ours, "seed {seed}, command #{n}: {args:?}");
        if matches!(expected, super::Norm::Error(_)) {
            errors += 1;
        }
        if matches!(args[0].as_str(), "PFADD" | "PFMERGE" | "PFCOUNT") {
            // The bytes a command wrote (or cached) are compared at once.
            let get = ["GET", args[1].as_str()];
            let expected = from_resp(redis.call(&get).unwrap());
            let ours = from_engine(engine.execute(Command::parse(&get).unwrap()));
            assert_eq!(expected, ours, "seed {seed}, after command #{n}: {args:?}");
            if matches!(&ours, super::Norm::Bulk(b) if b.len() == 12304) {
                dense += 1;
            }
        }
    }
    for key in KEYS {
        let expected = from_resp(redis.call(&["GET", key]).unwrap());
        let ours = from_engine(engine.execute(Command::parse(&["GET", key]).unwrap()));
        assert_eq!(expected, ours, "seed {seed}: GET {key}");
    }
    if coverage {
        assert!(dense > 0, "seed {seed}: no HyperLogLog turned dense");
        assert!(errors > 0, "seed {seed}: no HyperLogLog error came up");
    }
}

#[test]
fn hyperloglogs_match_redis() {
    match std::env::var("HEDGESTORE_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => run(seed, 1500, false),
        None => run(0x4711, 1500, true),
    }
    for seed in 1..=3 {
        run(seed * 104_729, 800, true);
    }
}
