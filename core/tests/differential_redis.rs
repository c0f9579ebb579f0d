//! Differential test: thousands of random commands (including wrong types, bad numbers, bad
//! options and wrong arity) go to a real `redis-server` and to the engine; every reply and
//! every error must be identical.
//!
//! The server is started by the test on a free loopback port. Set `HEDGESTORE_DIFF_SEED` to
//! explore other sequences and `HEDGESTORE_DIFF_OPS` to change their length.
//!
//! Known, documented differences are not generated: argument errors of `LINDEX`, `LSET`,
//! `GETEX` and `INCRBYFLOAT` on missing or wrong-type keys (hedgestore validates arguments
//! before it looks at the key), `INCRBYFLOAT`/`HINCRBYFLOAT` sums that `f64` cannot hold
//! exactly (Redis adds in 80-bit floats, which round differently and reach past `f64::MAX`),
//! and `SCAN` cursors (compared as a full iteration instead). Exact sums are generated,
//! large integers and values near `f64::MAX` included, and must print digit for digit. An
//! increment stands for its shortest decimal form unless it is a whole number, so increments
//! written with more digits than that form are not generated either.

mod differential;

use std::time::{SystemTime, UNIX_EPOCH};

use hedgestore_core::{Clock, Command, Engine, Error, Millis, Reply};
use hedgestore_testkit::{RedisServer, Resp, RespConnection, Rng};

struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as Millis
    }
}

fn now_ms() -> i64 {
    WallClock.now() as i64
}

const KEYS: &[&str] = &["k0", "k1", "k2", "h0", "l0", "x"];
const VALUES: &[&str] = &[
    "v",
    "10",
    "-3",
    "abc",
    "1.5",
    "",
    "0",
    "a b",
    "\u{e9}\u{0}\u{ff}",
];
const INTS: &[&str] = &["0", "1", "2", "3", "-1", "-2", "5", "-100", "100"];
const BAD_INTS: &[&str] = &["abc", "1.5", " 1", "", "+1", "01", "99999999999999999999"];
const FLOATS: &[&str] = &[
    "0.5",
    "1.25",
    "-2",
    "3",
    "1e2",
    "-0.75",
    "0.00000095367431640625",
    // Large integers, where the shortest round-trip form would print the wrong digits.
    "9223372036854775808",
    "-9223372036854775808",
    "-36893488147419103232",
    "4096",
    "10000000000000000000000",
    // Near the top of f64's range (an overflowing sum is skipped: Redis's 80-bit floats
    // reach further).
    TWO_POW_1022,
    F64_MAX,
];
const FIELDS: &[&str] = &["f0", "f1", "f2", "n"];
const PATTERNS: &[&str] = &["*", "k*", "?0", "[hk]0", "*1*", "x", "\\k0", "[^k]*"];

struct Gen {
    rng: Rng,
}

impl Gen {
    fn key(&mut self) -> String {
        self.rng.pick(KEYS).to_string()
    }
    fn value(&mut self) -> String {
        self.rng.pick(VALUES).to_string()
    }
    fn int(&mut self) -> String {
        if self.rng.chance(10) {
            self.rng.pick(BAD_INTS).to_string()
        } else {
            self.rng.pick(INTS).to_string()
        }
    }
    fn good_int(&mut self) -> String {
        self.rng.pick(INTS).to_string()
    }
    fn float(&mut self) -> String {
        if self.rng.chance(10) {
            "abc".into()
        } else {
            self.rng.pick(FLOATS).to_string()
        }
    }
    fn field(&mut self) -> String {
        self.rng.pick(FIELDS).to_string()
    }

    /// A relative or absolute expiry option pair for SET/GETEX.
    fn expiry(&mut self, set: bool) -> Vec<String> {
        let now = now_ms();
        let (opt, val) = match self.rng.below(9) {
            0 => ("EX", "100".to_string()),
            1 => ("PX", "150000".to_string()),
            2 => ("EXAT", (now / 1000 + 200).to_string()),
            3 => ("PXAT", (now + 250_000).to_string()),
            4 => ("EXAT", "1".to_string()), // in the past
            5 => ("EX", "0".to_string()),
            6 => ("PX", "-5".to_string()),
            7 if set => ("EX", "abc".to_string()),
            _ => ("EX", "9223372036854775807".to_string()),
        };
        vec![opt.to_string(), val]
    }

    fn command(&mut self, redis: &mut RespConnection) -> Vec<String> {
        if self.rng.chance(35) {
            return differential::command(&mut self.rng, redis);
        }
        let mut c: Vec<String> = match self.rng.below(53) {
            0..=3 => {
                let mut c = vec!["SET".into(), self.key(), self.value()];
                for _ in 0..self.rng.below(3) {
                    match self.rng.below(6) {
                        0 => c.push("NX".into()),
                        1 => c.push("XX".into()),
                        2 => c.push("GET".into()),
                        3 => c.push("KEEPTTL".into()),
                        4 => c.extend(self.expiry(true)),
                        _ => c.push(if self.rng.chance(50) {
                            "ex".into()
                        } else {
                            "BOGUS".into()
                        }),
                    }
                }
                c
            }
            4 | 5 => vec!["GET".into(), self.key()],
            6 => vec!["GETDEL".into(), self.key()],
            7 => {
                let mut c = vec!["GETEX".into(), self.key()];
                match self.rng.below(4) {
                    0 => {}
                    1 => c.push("PERSIST".into()),
                    _ => c.extend(self.expiry(false)),
                }
                c
            }
            8 => vec!["MGET".into(), self.key(), self.key(), self.key()],
            9 => {
                let mut c = vec!["MSET".into()];
                for _ in 0..=self.rng.below(3) {
                    c.push(self.key());
                    c.push(self.value());
                }
                c
            }
            10 => vec!["SETNX".into(), self.key(), self.value()],
            11 => vec!["INCR".into(), self.key()],
            12 => vec!["DECR".into(), self.key()],
            13 => {
                let delta = match self.rng.below(4) {
                    0 => "9223372036854775807".into(),
                    1 => "-9223372036854775808".into(),
                    _ => self.int(),
                };
                vec![
                    self.rng.pick(&["INCRBY", "DECRBY"]).to_string(),
                    self.key(),
                    delta,
                ]
            }
            14 => {
                let key = self.key();
                let delta = self.rng.pick(FLOATS).to_string();
                // Skip sums f64 cannot hold exactly (see the module docs).
                if let Ok(Resp::Bulk(Some(v))) = redis.call(&["GET", key.as_str()]) {
                    if !exact_float_sum(&v, &delta) {
                        return vec!["GET".into(), key];
                    }
                }
                vec!["INCRBYFLOAT".into(), key, delta]
            }
            15 => vec!["APPEND".into(), self.key(), self.value()],
            16 => vec!["STRLEN".into(), self.key()],
            17 => vec!["DEL".into(), self.key(), self.key()],
            18 => vec!["EXISTS".into(), self.key(), self.key(), self.key()],
            19 | 20 => {
                let now = now_ms();
                let (cmd, t) = match self.rng.below(6) {
                    0 => ("EXPIRE", "100".to_string()),
                    1 => ("PEXPIRE", "200000".to_string()),
                    2 => ("EXPIREAT", (now / 1000 + 300).to_string()),
                    3 => ("PEXPIREAT", (now + 400_000).to_string()),
                    4 => (
                        "EXPIRE",
                        self.rng
                            .pick(&["-1", "0", "abc", "9223372036854775807"])
                            .to_string(),
                    ),
                    _ => ("EXPIRE", self.rng.pick(&["50", "500", "5000"]).to_string()),
                };
                let mut c = vec![cmd.to_string(), self.key(), t];
                for _ in 0..self.rng.below(3) {
                    c.push(
                        self.rng
                            .pick(&["NX", "XX", "GT", "LT", "nx", "BAD"])
                            .to_string(),
                    );
                }
                if close_to_current_deadline(&c, now, redis) {
                    // GT/LT between two deadlines a few milliseconds apart compares the
                    // moments each side ran the commands, not the engine: leave them out.
                    c.retain(|a| a != "GT" && a != "LT");
                }
                c
            }
            21 => vec!["TTL".into(), self.key()],
            22 => vec!["PTTL".into(), self.key()],
            23 => vec!["PERSIST".into(), self.key()],
            24 => vec!["TYPE".into(), self.key()],
            25 => vec!["RENAME".into(), self.key(), self.key()],
            26 => vec!["KEYS".into(), self.rng.pick(PATTERNS).to_string()],
            27 => vec!["DBSIZE".into()],
            28 | 29 => {
                let mut c = vec!["HSET".into(), self.key()];
                for _ in 0..=self.rng.below(3) {
                    c.push(self.field());
                    c.push(self.value());
                }
                c
            }
            30 => vec!["HGET".into(), self.key(), self.field()],
            31 => vec!["HMGET".into(), self.key(), self.field(), self.field()],
            32 => vec!["HGETALL".into(), self.key()],
            33 => vec!["HDEL".into(), self.key(), self.field(), self.field()],
            34 => vec!["HEXISTS".into(), self.key(), self.field()],
            35 => vec![
                self.rng.pick(&["HLEN", "HKEYS", "HVALS"]).to_string(),
                self.key(),
            ],
            36 => vec!["HINCRBY".into(), self.key(), self.field(), self.int()],
            37 => {
                let (key, field, delta) = (self.key(), self.field(), self.float());
                if let Ok(Resp::Bulk(Some(v))) = redis.call(&["HGET", key.as_str(), field.as_str()])
                {
                    if !exact_float_sum(&v, &delta) {
                        return vec!["HGET".into(), key, field];
                    }
                }
                vec!["HINCRBYFLOAT".into(), key, field, delta]
            }
            38 => vec!["HSETNX".into(), self.key(), self.field(), self.value()],
            39..=41 => {
                let cmd = self
                    .rng
                    .pick(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
                let mut c = vec![cmd.to_string(), self.key()];
                for _ in 0..=self.rng.below(3) {
                    c.push(self.value());
                }
                c
            }
            42 => {
                let mut c = vec![self.rng.pick(&["LPOP", "RPOP"]).to_string(), self.key()];
                if self.rng.chance(50) {
                    c.push(self.int());
                }
                c
            }
            43 | 44 => vec!["LRANGE".into(), self.key(), self.int(), self.int()],
            45 => vec!["LLEN".into(), self.key()],
            46 => vec!["LINDEX".into(), self.key(), self.good_int()],
            47 => vec!["LSET".into(), self.key(), self.good_int(), self.value()],
            48 => vec!["LTRIM".into(), self.key(), self.int(), self.int()],
            49 => vec!["LREM".into(), self.key(), self.int(), self.value()],
            50 => vec![
                "LINSERT".into(),
                self.key(),
                self.rng
                    .pick(&["BEFORE", "AFTER", "after", "MIDDLE"])
                    .to_string(),
                self.value(),
                self.value(),
            ],
            51 => {
                // Pub/sub with no subscriber on either side: replies, subcommand lookup and
                // subcommand errors.
                const CASES: &[&[&str]] = &[
                    &["PUBLISH", "chan", "hello"],
                    &["PUBSUB", "CHANNELS"],
                    &["PUBSUB", "channels", "c*"],
                    &["PUBSUB", "CHANNELS", "a", "b"],
                    &["PUBSUB", "NUMSUB", "c1", "c2"],
                    &["PUBSUB", "NUMPAT"],
                    &["pubsub", "numpat", "x"],
                    &["PUBSUB", "BOGUS"],
                    &["PUBSUB"],
                ];
                let words = *self.rng.pick(CASES);
                words.iter().map(|w| w.to_string()).collect()
            }
            _ => {
                if self.rng.chance(10) {
                    vec!["FLUSHDB".into()]
                } else {
                    vec!["PING".into()]
                }
            }
        };
        // Now and then break the arity.
        if self.rng.chance(3) {
            if self.rng.chance(50) {
                c.truncate(1 + self.rng.below(c.len() as u64) as usize);
            } else {
                c.push(self.value());
            }
        }
        c
    }
}

/// Whether `text` is a decimal that `f64` holds exactly (a non-number counts as exact: both
/// sides report the same error for it).
fn exact_text(text: &str) -> bool {
    let Ok(v) = text.parse::<f64>() else {
        return true;
    };
    if !v.is_finite() {
        return false;
    }
    if text.contains(['e', 'E']) {
        return v.fract() == 0.0 && v.abs() < 2f64.powi(53);
    }
    // Rust prints the exact binary value with as many decimals as asked (1074 suffice).
    let trim = |s: &str| -> String {
        let s = s.strip_prefix('+').unwrap_or(s);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            s
        };
        let (sign, digits) = match s.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", s),
        };
        let digits = digits.trim_start_matches('0');
        let digits = if digits.is_empty() || digits.starts_with('.') {
            format!("0{digits}")
        } else {
            digits.to_string()
        };
        if digits == "0" {
            digits
        } else {
            format!("{sign}{digits}")
        }
    };
    trim(text) == trim(&format!("{v:.1100}"))
}

/// Whether `stored + delta` is exact in `f64`, so that Redis's 80-bit sum is the same value
/// and both must print the same digits.
fn exact_float_sum(stored: &[u8], delta: &str) -> bool {
    let stored = std::str::from_utf8(stored).unwrap_or("x");
    let (Ok(a), Ok(b)) = (stored.parse::<f64>(), delta.parse::<f64>()) else {
        return true; // not a number: both sides report the same error
    };
    let s = a + b;
    let b_virtual = s - a;
    let exact_sum = s.is_finite() && (a - (s - b_virtual)) + (b - b_virtual) == 0.0;
    exact_text(stored) && exact_text(delta) && exact_sum
}

/// A reply in a form both sides can be compared in.
#[derive(Debug, PartialEq)]
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
        Resp::Array(Some(v)) => Norm::Array(v.into_iter().map(from_resp).collect()),
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
        Ok(Reply::Array(v)) => Norm::Array(v.into_iter().map(|r| from_engine(Ok(r))).collect()),
    }
}

/// Puts unordered replies (KEYS, HKEYS, HVALS, HGETALL) in a canonical order.
fn canonical(cmd: &str, n: Norm) -> Norm {
    let key = |x: &Norm| format!("{x:?}");
    match (cmd, differential::canonical(cmd, n)) {
        ("KEYS" | "HKEYS" | "HVALS", Norm::Array(mut v)) => {
            v.sort_by_key(key);
            Norm::Array(v)
        }
        ("HGETALL", Norm::Array(v)) => {
            let mut pairs: Vec<Vec<Norm>> = Vec::new();
            let mut it = v.into_iter();
            while let (Some(f), Some(val)) = (it.next(), it.next()) {
                pairs.push(vec![f, val]);
            }
            pairs.sort_by_key(|p| key(&p[0]));
            Norm::Array(pairs.into_iter().flatten().collect())
        }
        (_, n) => n,
    }
}

/// Removes every key whose deadline has passed, on both sides, before a `DBSIZE`: both
/// count such keys until expiry removes them, and Redis removes them in the background
/// (active expiry, ten times a second), whenever it gets to them. A full `SCAN` makes Redis
/// remove every expired key it meets; the engine's expiry cycle is run until it has visited
/// every key.
fn settle_expired_keys(redis: &mut RespConnection, engine: &mut Engine<WallClock>) {
    let mut cursor = "0".to_string();
    loop {
        let Ok(Resp::Array(Some(page))) = redis.call(&["SCAN", cursor.as_str(), "COUNT", "100"])
        else {
            panic!("SCAN failed")
        };
        let Some(Resp::Bulk(Some(next))) = page.first() else {
            panic!("not a SCAN page: {page:?}")
        };
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    for _ in 0..=engine.len() {
        engine.handle_timeout(WallClock.now());
    }
}

/// Whether an `EXPIRE`-family command `c` (built at `now`) sets a deadline within 3 s of
/// the one its key has in Redis: a relative deadline repeated (`PEXPIRE k 200000` twice, or
/// `EXPIRE k 100` after `SET k v EX 100`) lands a millisecond later or not depending on when
/// each side ran it.
fn close_to_current_deadline(c: &[String], now: i64, redis: &mut RespConnection) -> bool {
    let Ok(t) = c[2].parse::<i64>() else {
        return false;
    };
    let deadline = match c[0].as_str() {
        "EXPIRE" => now.saturating_add(t.saturating_mul(1000)),
        "PEXPIRE" => now.saturating_add(t),
        "EXPIREAT" => t.saturating_mul(1000),
        _ => t,
    };
    match redis.call(&["PTTL", c[1].as_str()]) {
        Ok(Resp::Int(left)) if left >= 0 => (now + left - deadline).abs() < 3000,
        _ => false,
    }
}

fn same(cmd: &str, redis: &Norm, ours: &Norm) -> bool {
    match (cmd, redis, ours) {
        // Both sides read their own clock, microseconds apart when the machine is idle and
        // up to a second apart on a loaded CI machine running many test binaries at once.
        ("PTTL", Norm::Int(a), Norm::Int(b)) if *a >= 0 && *b >= 0 => (a - b).abs() <= 1500,
        ("TTL", Norm::Int(a), Norm::Int(b)) if *a >= 0 && *b >= 0 => (a - b).abs() <= 2,
        _ => redis == ours,
    }
}

fn run(seed: u64, ops: usize) {
    let server = RedisServer::start().expect("start redis-server");
    let mut redis = server.connect().unwrap();
    let mut oracle = server.connect().unwrap();
    let mut engine = Engine::new(WallClock);
    let mut gen = Gen {
        rng: Rng::new(seed),
    };
    let mut errors = 0;
    for n in 0..ops {
        let args = gen.command(&mut oracle);
        let cmd = args[0].to_ascii_uppercase();
        if differential::is_key_scan(&cmd) {
            let (expected, ours) = differential::full_scan(&args, &mut redis, &mut engine);
            assert_eq!(expected, ours, "seed {seed}, command #{n}: {args:?}");
            continue;
        }
        if cmd == "DBSIZE" {
            settle_expired_keys(&mut redis, &mut engine);
        }
        let expected = canonical(&cmd, from_resp(redis.call(&args).unwrap()));
        let parsed = Command::parse(&args);
        if let Ok(c) = &parsed {
            // The argument form round-trips: what the Redis backend sends is what was parsed.
            assert_eq!(Command::parse(&c.to_args()).as_ref(), Ok(c), "{args:?}");
        }
        let result = parsed.and_then(|c| engine.execute(c));
        if let Err(e) = &result {
            // Error replies read back into the same typed error.
            assert_eq!(&Error::from_reply(&e.to_string()), e);
        }
        let ours = canonical(&cmd, from_engine(result));
        if matches!(expected, Norm::Error(_)) {
            errors += 1;
        }
        assert!(
            same(&cmd, &expected, &ours),
            "seed {seed}, command #{n}: {args:?}\n redis: {expected:?}\n  ours: {ours:?}"
        );
    }
    // The whole keyspace must match too.
    let scan_all = |r: &mut RespConnection| {
        let mut keys = Vec::new();
        let mut cursor = "0".to_string();
        loop {
            let Resp::Array(Some(page)) = r.call(&["SCAN", cursor.as_str(), "COUNT", "3"]).unwrap()
            else {
                panic!()
            };
            let [Resp::Bulk(Some(c)), Resp::Array(Some(found))] = &page[..] else {
                panic!()
            };
            keys.extend(found.iter().cloned().map(from_resp));
            cursor = String::from_utf8(c.clone()).unwrap();
            if cursor == "0" {
                break;
            }
        }
        keys.sort_by_key(|k| format!("{k:?}"));
        keys.dedup();
        keys
    };
    let mut ours_scanned = Vec::new();
    let mut cursor = 0;
    loop {
        let page = engine.scan(cursor, None, Some(3), None).unwrap();
        ours_scanned.extend(page.keys.into_iter().map(Norm::Bulk));
        cursor = page.cursor;
        if cursor == 0 {
            break;
        }
    }
    ours_scanned.sort_by_key(|k| format!("{k:?}"));
    ours_scanned.dedup();
    assert_eq!(
        scan_all(&mut redis),
        ours_scanned,
        "seed {seed}: SCAN differs"
    );
    assert!(
        errors > ops / 20,
        "the generator should exercise error paths ({errors} errors)"
    );
}

#[test]
fn engine_matches_redis_on_random_commands() {
    let seed = std::env::var("HEDGESTORE_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let ops = std::env::var("HEDGESTORE_DIFF_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6000);
    run(seed, ops);
}

#[test]
fn engine_matches_redis_on_other_seeds() {
    for seed in 1..=3 {
        run(seed * 7919, 2000);
    }
}

/// `2^1022`, `2^1023` and `f64::MAX` written out: exact values at the top of `f64`'s range.
const TWO_POW_1022: &str = "44942328371557897693232629769725618340449424473557664318357520289433168951375240783177119330601884005280028469967848339414697442203604155623211857659868531094441973356216371319075554900311523529863270738021251442209537670585615720368478277635206809290837627671146574559986811484619929076208839082406056034304";
const F64_MAX: &str = "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368";
const TWO_POW_1023: &str = "89884656743115795386465259539451236680898848947115328636715040578866337902750481566354238661203768010560056939935696678829394884407208311246423715319737062188883946712432742638151109800623047059726541476042502884419075341171231440736956555270413618581675255342293149119973622969239858152417678164812112068608";
