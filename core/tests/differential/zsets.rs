//! Random sorted set commands for the differential test.
//!
//! `zl` only ever holds members with score 0, so lex ranges (which Redis defines for equal
//! scores only) go there; `z0` and `z1` get mixed scores, infinities and `-0` included.
//! Not generated: `ZUNIONSTORE`/`ZINTERSTORE` summing three or more sources (Redis orders
//! the sources with an unstable sort, and float sums depend on that order), and options
//! that do not parse on combinations (Redis checks the keys' types first, hedgestore the
//! options).

use hedgestore_testkit::Rng;

const KEYS: &[&str] = &["z0", "z1", "z0", "z1", "zl", "s0", "k0", "nokey"];
const MEMBERS: &[&str] = &["a", "b", "c", "d", "1", "x y", ""];
const SCORES: &[&str] = &[
    "1",
    "2",
    "2.5",
    "-1",
    "0",
    "-0",
    "inf",
    "-inf",
    "+inf",
    "0.1",
    "1e20",
    "1e-5",
    "123456789012345678",
    "3",
];
const BAD_SCORES: &[&str] = &["abc", "nan", "", " 1", "1e400"];
const BOUNDS: &[&str] = &[
    "-inf", "+inf", "(1.5", "1", "(2", "2.5", "(-1", "0", "(0", "inf", "(inf", "-0.5",
];
const BAD_BOUNDS: &[&str] = &["abc", "(", "", "[1", "nan"];
const LEX: &[&str] = &["-", "+", "[a", "(b", "[c", "(a", "[", "(", "[x y", "(d"];
const BAD_LEX: &[&str] = &["a", "", "+a", "-b"];
const RANKS: &[&str] = &["0", "1", "-1", "-2", "2", "10", "-10", "x"];

fn s<T: AsRef<str> + ?Sized>(x: &T) -> String {
    x.as_ref().to_string()
}

fn key(rng: &mut Rng) -> String {
    s(rng.pick(KEYS))
}

fn member(rng: &mut Rng) -> String {
    s(rng.pick(MEMBERS))
}

fn score(rng: &mut Rng) -> String {
    if rng.chance(8) {
        s(rng.pick(BAD_SCORES))
    } else {
        s(rng.pick(SCORES))
    }
}

fn bound(rng: &mut Rng) -> String {
    if rng.chance(6) {
        s(rng.pick(BAD_BOUNDS))
    } else {
        s(rng.pick(BOUNDS))
    }
}

fn lex(rng: &mut Rng) -> String {
    if rng.chance(6) {
        s(rng.pick(BAD_LEX))
    } else {
        s(rng.pick(LEX))
    }
}

/// A lex-range key: `zl`, or one that is missing or of another type.
fn lex_key(rng: &mut Rng) -> String {
    s(rng.pick(&["zl", "zl", "zl", "h0", "zmissing"]))
}

/// A destination of a combination: never `zl`, which keeps equal scores.
fn destination(rng: &mut Rng) -> String {
    s(rng.pick(&["z0", "z1", "s0", "k0", "nokey"]))
}

fn limit(rng: &mut Rng, c: &mut Vec<String>) {
    if rng.chance(40) {
        c.push(s(rng.pick(&["LIMIT", "limit"])));
        c.push(s(rng.pick(&["0", "1", "2", "-1", "x"])));
        c.push(s(rng.pick(&["0", "1", "2", "-1", "10"])));
    }
}

/// One random sorted set command.
pub fn command(rng: &mut Rng) -> Vec<String> {
    match rng.below(24) {
        0..=3 => {
            let k = key(rng);
            if k == "zl" {
                let mut c = vec![s("ZADD"), k];
                for _ in 0..=rng.below(3) {
                    c.extend([s("0"), member(rng)]);
                }
                return c;
            }
            let mut c = vec![s("ZADD"), k];
            for _ in 0..rng.below(3) {
                c.push(s(rng.pick(&["NX", "XX", "GT", "LT", "CH", "INCR", "ch"])));
            }
            for _ in 0..=rng.below(3) {
                c.extend([score(rng), member(rng)]);
            }
            if rng.chance(5) {
                c.pop();
            }
            c
        }
        4 => {
            let k = key(rng);
            let inc = if k == "zl" { s("0") } else { score(rng) };
            vec![s("ZINCRBY"), k, inc, member(rng)]
        }
        5 => vec![s("ZSCORE"), key(rng), member(rng)],
        6 => vec![s("ZMSCORE"), key(rng), member(rng), member(rng)],
        7 => vec![s("ZCARD"), key(rng)],
        8 => vec![s("ZCOUNT"), key(rng), bound(rng), bound(rng)],
        9 => vec![s("ZLEXCOUNT"), lex_key(rng), lex(rng), lex(rng)],
        10 => vec![s(rng.pick(&["ZRANK", "ZREVRANK"])), key(rng), member(rng)],
        11 => vec![s("ZREM"), key(rng), member(rng), member(rng)],
        12 | 13 => {
            let (mut c, by) = match rng.below(3) {
                0 => (
                    vec![
                        s("ZRANGE"),
                        key(rng),
                        s(rng.pick(RANKS)),
                        s(rng.pick(RANKS)),
                    ],
                    "",
                ),
                1 => (
                    vec![s("ZRANGE"), key(rng), bound(rng), bound(rng)],
                    "BYSCORE",
                ),
                _ => (vec![s("ZRANGE"), lex_key(rng), lex(rng), lex(rng)], "BYLEX"),
            };
            if !by.is_empty() && !rng.chance(5) {
                c.push(s(by));
            }
            if rng.chance(40) {
                c.push(s("REV"));
            }
            limit(rng, &mut c);
            if rng.chance(40) {
                c.push(s("WITHSCORES"));
            }
            c
        }
        14 => {
            let mut c = vec![
                s("ZREVRANGE"),
                key(rng),
                s(rng.pick(RANKS)),
                s(rng.pick(RANKS)),
            ];
            if rng.chance(50) {
                c.push(s("WITHSCORES"));
            }
            c
        }
        15 => {
            let cmd = s(rng.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]));
            let mut c = vec![cmd, key(rng), bound(rng), bound(rng)];
            if rng.chance(50) {
                c.push(s("WITHSCORES"));
            }
            limit(rng, &mut c);
            c
        }
        16 => {
            let cmd = s(rng.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]));
            let mut c = vec![cmd, lex_key(rng), lex(rng), lex(rng)];
            limit(rng, &mut c);
            if rng.chance(10) {
                c.push(s("WITHSCORES"));
            }
            c
        }
        17 => match rng.below(3) {
            0 => vec![
                s("ZREMRANGEBYRANK"),
                key(rng),
                s(rng.pick(RANKS)),
                s(rng.pick(RANKS)),
            ],
            1 => vec![s("ZREMRANGEBYSCORE"), key(rng), bound(rng), bound(rng)],
            _ => vec![s("ZREMRANGEBYLEX"), lex_key(rng), lex(rng), lex(rng)],
        },
        18 => {
            let mut c = vec![s(rng.pick(&["ZPOPMIN", "ZPOPMAX"])), key(rng)];
            if rng.chance(60) {
                c.push(s(rng.pick(&["0", "1", "2", "10", "-1", "x"])));
            }
            if rng.chance(5) {
                c.push(s("1"));
            }
            c
        }
        19 => {
            let mut c = vec![s("ZRANDMEMBER"), key(rng)];
            if rng.chance(70) {
                let n = [
                    "0",
                    "1",
                    "3",
                    "-3",
                    "20",
                    "-20",
                    "x",
                    "-9223372036854775808",
                ];
                c.push(s(rng.pick(&n)));
                if rng.chance(50) {
                    c.push(s(rng.pick(&["WITHSCORES", "withscores", "BAD"])));
                }
            }
            c
        }
        20 | 21 => {
            let cmd = s(rng.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]));
            let n = 1 + rng.below(3) as usize;
            let mut c = vec![cmd.clone(), destination(rng), n.to_string()];
            for _ in 0..n {
                c.push(key(rng));
            }
            if cmd == "ZDIFFSTORE" {
                return c;
            }
            if rng.chance(40) {
                c.push(s("WEIGHTS"));
                for _ in 0..n {
                    c.push(s(rng.pick(&["1", "2", "0", "-1", "0.5"])));
                }
            }
            let sum = if n >= 3 {
                c.extend([s("AGGREGATE"), s(rng.pick(&["MIN", "MAX"]))]);
                false
            } else {
                true
            };
            if sum && rng.chance(40) {
                c.extend([s("AGGREGATE"), s(rng.pick(&["SUM", "MIN", "MAX", "max"]))]);
            }
            c
        }
        22 => {
            let cmd = s(rng.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]));
            let n = s(rng.pick(&["0", "-1", "x", "5"]));
            vec![cmd, destination(rng), n, key(rng)]
        }
        _ => {
            let mut c = vec![s("ZSCAN"), key(rng), s("0")];
            if rng.chance(50) {
                c.extend([s("MATCH"), s(rng.pick(&["*", "a*", "?", "x*"]))]);
            }
            c
        }
    }
}
