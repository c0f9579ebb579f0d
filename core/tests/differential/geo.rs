//! Random geospatial commands for the differential test: `GEOADD` (with `NX`, `XX`, `CH`,
//! points on and past the range's edges, malformed coordinates), `GEOPOS`, `GEODIST` (every
//! unit, and unknown ones), `GEOHASH`, mixed with sorted set commands on the same keys
//! (`ZADD` of integer scores below 2^52, which decode as geohashes; `ZREM`, `ZSCORE`,
//! `ZRANGE … WITHSCORES`, `ZCARD`).
//!
//! The main generator mixes these commands with the others; [`geo_matches_redis`] runs long
//! sequences of them alone and counts the replies that carry a decoded point, a distance or a
//! geohash, so that the comparison cannot pass without them.
//!
//! Scores outside 0..2^53 are never decoded: Redis converts a score to its 52-bit geohash with
//! C's `double` to `uint64_t` conversion, undefined for negative and infinite scores.

use hedgestore_core::{Command, Engine};
use hedgestore_testkit::{RedisServer, Rng};

use super::super::{from_engine, from_resp, Norm, WallClock};

/// Geospatial keys, a string (`k0`) and a missing key.
const KEYS: &[&str] = &["g0", "g1", "g0", "g1", "k0", "gmissing"];
const MEMBERS: &[&str] = &["Palermo", "Catania", "a", "b", "c", "x y", ""];
const EDGE_LONS: &[&str] = &["180", "-180", "0", "-0", "179.9999999", "13.361389"];
const EDGE_LATS: &[&str] = &["85.05112878", "-85.05112878", "0", "85.051128", "38.115556"];
const BAD_COORDS: &[&str] = &[
    "180.0000001",
    "-181",
    "85.05112879",
    "abc",
    "nan",
    "",
    "inf",
];
const UNITS: &[&str] = &["m", "km", "ft", "mi", "M", "KM", "Ft", "mI", "yd", ""];
const SCORES: &[&str] = &[
    "0",
    "1",
    "1.5",
    "4503599627370495",
    "3479099956230698",
    "1e10",
];

fn s<T: AsRef<str> + ?Sized>(x: &T) -> String {
    x.as_ref().to_string()
}

/// A coordinate within `±limit` with up to eight decimals.
fn coordinate(rng: &mut Rng, limit: u64) -> String {
    let whole = rng.below(limit) as i64;
    let frac = rng.below(100_000_000);
    let sign = if rng.chance(2) { "-" } else { "" };
    format!("{sign}{whole}.{frac:08}")
}

/// A longitude/latitude pair: mostly within the range, now and then on its edges or past it.
fn point(rng: &mut Rng) -> [String; 2] {
    let mut lon = coordinate(rng, 180);
    let mut lat = coordinate(rng, 85);
    if rng.chance(6) {
        lon = s(rng.pick(EDGE_LONS));
    }
    if rng.chance(6) {
        lat = s(rng.pick(EDGE_LATS));
    }
    if rng.chance(25) {
        lon = s(rng.pick(BAD_COORDS));
    } else if rng.chance(25) {
        lat = s(rng.pick(BAD_COORDS));
    }
    [lon, lat]
}

fn members(rng: &mut Rng, c: &mut Vec<String>) {
    for _ in 0..1 + rng.below(3) {
        c.push(s(rng.pick(MEMBERS)));
    }
}

/// One random geospatial or sorted set command on the geospatial keys.
pub fn command(rng: &mut Rng) -> Vec<String> {
    let key = s(rng.pick(KEYS));
    match rng.below(12) {
        0..=3 => {
            let mut c = vec![s("GEOADD"), key];
            for _ in 0..rng.below(3) {
                c.push(s(rng.pick(&["NX", "XX", "CH", "ch", "nx"])));
            }
            for _ in 0..1 + rng.below(3) {
                c.extend(point(rng));
                c.push(s(rng.pick(MEMBERS)));
            }
            if rng.chance(20) {
                c.pop();
            }
            c
        }
        4 => {
            let mut c = vec![s("GEOPOS"), key];
            members(rng, &mut c);
            c
        }
        5 | 6 => {
            let mut c = vec![s("GEODIST"), key];
            c.push(s(rng.pick(MEMBERS)));
            c.push(s(rng.pick(MEMBERS)));
            for _ in 0..rng.below(3) {
                c.push(s(rng.pick(UNITS)));
            }
            c
        }
        7 => {
            let mut c = vec![s("GEOHASH"), key];
            members(rng, &mut c);
            c
        }
        8 => vec![s("ZADD"), key, s(rng.pick(SCORES)), s(rng.pick(MEMBERS))],
        9 => {
            let mut c = vec![s("ZREM"), key];
            members(rng, &mut c);
            c
        }
        10 => vec![s("ZRANGE"), key, s("0"), s("-1"), s("WITHSCORES")],
        _ => vec![s(rng.pick(&["ZCARD", "TYPE"])), key],
    }
}

/// Runs `ops` geospatial commands from `seed` on both sides, comparing every reply; returns
/// how many replies carried a position, a distance and a geohash, and how many were errors.
fn run(seed: u64, ops: usize) -> [usize; 4] {
    let server = RedisServer::start().expect("start redis-server");
    let mut redis = server.connect().unwrap();
    let mut engine = Engine::new(WallClock);
    let mut rng = Rng::new(seed);
    let setup = ["SET", "k0", "x"];
    redis.call(&setup).unwrap();
    engine.execute(Command::parse(&setup).unwrap()).unwrap();
    let mut seen = [0; 4];
    for n in 0..ops {
        let args = command(&mut rng);
        let expected = from_resp(redis.call(&args).unwrap());
        let parsed = Command::parse(&args);
        if let Ok(c) = &parsed {
            assert_eq!(Command::parse(&c.to_args()).as_ref(), Ok(c), "{args:?}");
        }
        let ours = from_engine(parsed.and_then(|c| engine.execute(c)));
        assert_eq!(expected, ours, "seed {seed}, command #{n}: {args:?}");
        match (args[0].as_str(), &expected) {
            (_, Norm::Error(_)) => seen[3] += 1,
            ("GEOPOS", Norm::Array(v)) if v.iter().any(|p| matches!(p, Norm::Array(_))) => {
                seen[0] += 1
            }
            ("GEODIST", Norm::Bulk(_)) => seen[1] += 1,
            ("GEOHASH", Norm::Array(v)) if v.iter().any(|h| matches!(h, Norm::Bulk(_))) => {
                seen[2] += 1
            }
            _ => {}
        }
    }
    seen
}

#[test]
fn geo_matches_redis() {
    let seed = std::env::var("HEDGESTORE_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6e0);
    for seed in [seed, 7, 104_729] {
        let [positions, distances, hashes, errors] = run(seed, 3000);
        assert!(
            positions > 50 && distances > 50 && hashes > 50 && errors > 20,
            "seed {seed}: too few decoded replies ({positions} positions, {distances} \
             distances, {hashes} geohashes, {errors} errors)"
        );
    }
}
