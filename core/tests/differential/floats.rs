//! Float increments against Redis digit for digit: chosen exact sums, and random ones.

use hedgestore_core::{Command, Engine};
use hedgestore_testkit::{RedisServer, Rng};

use super::super::{from_engine, from_resp, WallClock, F64_MAX, TWO_POW_1022, TWO_POW_1023};

/// Float increments whose exact result `f64` holds: `(stored value, increment)`. Redis adds
/// in 80-bit floats and prints `%.17Lf` trimmed; hedgestore must print the same digits.
const EXACT_FLOAT_CASES: &[(&str, &str)] = &[
    ("9223372036854775807", "1.5"),
    ("9223372036854775808", "0"),
    ("-9223372036854775808", "-2048"),
    ("18446744073709551616", "4096"),
    ("1180591620717411303424", "0"),
    ("1e22", "1"),
    ("2251799813685248", "0.5"),
    ("9007199254740992", "2"),
    ("1", "0.00000095367431640625"),
    ("0", "0.000003814697265625"),
    ("0", "0.00000000000000000694"),
    ("0", "-0.0000000000000000001"),
    ("10.5", "-10.5"),
    ("-0", "0"),
    ("1.25e2", "0.75"),
    ("0", TWO_POW_1023),
    (TWO_POW_1023, TWO_POW_1022),
    (F64_MAX, "0"),
    ("-1", F64_MAX),
];

#[test]
fn exact_float_increments_match_redis_digit_for_digit() {
    let server = RedisServer::start().expect("start redis-server");
    let mut redis = server.connect().unwrap();
    let mut engine = Engine::new(WallClock);
    let mut mismatches = Vec::new();
    for (start, delta) in EXACT_FLOAT_CASES {
        for (set, incr) in [
            (vec!["SET", "k", start], vec!["INCRBYFLOAT", "k", delta]),
            (
                vec!["HSET", "h", "f", start],
                vec!["HINCRBYFLOAT", "h", "f", delta],
            ),
        ] {
            redis.call(&["DEL", "k", "h"]).unwrap();
            engine
                .execute(Command::parse(&["DEL", "k", "h"]).unwrap())
                .unwrap();
            redis.call(&set).unwrap();
            engine.execute(Command::parse(&set).unwrap()).unwrap();
            let expected = from_resp(redis.call(&incr).unwrap());
            let ours = from_engine(Command::parse(&incr).and_then(|c| engine.execute(c)));
            if expected != ours {
                mismatches.push(format!(
                    "{incr:?} on {start}: redis {expected:?}, ours {ours:?}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// `v` written out exactly (Rust prints the exact binary value when asked for enough
/// decimals), trailing zeros removed.
fn exact_decimal_text(v: f64) -> String {
    let s = format!("{v:.1100}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

#[test]
fn random_exact_float_sums_match_redis() {
    let server = RedisServer::start().expect("start redis-server");
    let mut redis = server.connect().unwrap();
    let mut engine = Engine::new(WallClock);
    let mut rng = Rng::new(0xf10a7);
    let mut checked = 0;
    let mut mismatches = Vec::new();
    while checked < 400 {
        // Small mantissas at random binary exponents: tiny fractions (17th-decimal rounding
        // and ties), integers past 2^53 and 2^64, and values near f64::MAX.
        let pick = |rng: &mut Rng| {
            let mantissa = (rng.below(1 << 20) as f64) * if rng.chance(30) { -1.0 } else { 1.0 };
            let exp = rng.below(1100) as i32 - 100;
            mantissa * 2f64.powi(exp.min(1003))
        };
        let (a, b) = (pick(&mut rng), pick(&mut rng));
        // An increment stands for its shortest decimal form unless it is a whole number (that
        // is what `Command::to_args` sends a Redis server), so only increments whose shortest
        // form is their exact value are written out exactly here.
        if b.fract() != 0.0 && format!("{b}") != exact_decimal_text(b) {
            continue;
        }
        let sum = a + b;
        let b_virtual = sum - a;
        if !sum.is_finite() || (a - (sum - b_virtual)) + (b - b_virtual) != 0.0 {
            continue; // not exact in f64: outside what must match
        }
        checked += 1;
        let (a, b) = (exact_decimal_text(a), exact_decimal_text(b));
        let set = ["SET", "k", a.as_str()];
        let incr = ["INCRBYFLOAT", "k", b.as_str()];
        redis.call(&set).unwrap();
        engine.execute(Command::parse(&set).unwrap()).unwrap();
        let expected = from_resp(redis.call(&incr).unwrap());
        let ours = from_engine(Command::parse(&incr).and_then(|c| engine.execute(c)));
        if expected != ours {
            mismatches.push(format!("{a} + {b}: redis {expected:?}, ours {ours:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
