//! Random copies, moves and positions for the differential test: `COPY`, `RENAMENX`,
//! `UNLINK`, `TOUCH`, `HSTRLEN`, `LPOS`, `LMOVE`, `LMPOP`, `RANDOMKEY`, `TIME` (the last
//! two compared by the shape of their reply: Redis picks the key, and both sides read their
//! own clock), `ZUNION`, `ZINTER`, `ZDIFF`, `ZINTERCARD`, `ZRANGESTORE` (into `zd`), `HRANDFIELD` (compared by the
//! number of fields it returns), `HSCAN` (as a full iteration with valid options: Redis looks
//! the key up before it reads them, hedgestore after).
//!
//! The combinations read only sorted sets, sets and missing keys: Redis checks the keys'
//! types before their options, hedgestore after (as for the `*STORE` forms); and at most
//! two sources are summed (Redis orders more with an unstable sort, and float sums depend
//! on that order).
//!
//! Not generated: `COPY … DB n` for `n` from 1 to 15, which hedgestore refuses (it has one
//! database) where Redis copies to another database.

use hedgestore_testkit::Rng;

/// Keys of every type the other generators fill (`k0` strings, `h0` hashes, `l0` lists, `s0`
/// sets) and keys that are usually missing. The sorted sets are left alone: the
/// combinations below read them, and must find sorted sets there.
const KEYS: &[&str] = &["k0", "k1", "h0", "l0", "s0", "c0", "c1"];
const FIELDS: &[&str] = &["f0", "f1", "f2", "n", "nofield"];
/// Lists: `l0` (filled by the main generator) and `l1`, `l2` (filled here).
const LISTS: &[&str] = &["l0", "l1", "l2", "l1", "k0", "c0"];
const ELEMENTS: &[&str] = &["a", "b", "v", "10", "-1", ""];
const ENDS: &[&str] = &["LEFT", "RIGHT", "left", "right", "UP"];
/// Sources of the combinations: sorted sets (`z0`, `z1`, filled by the sorted set generator
/// and by nothing else) and a missing key.
const ZKEYS: &[&str] = &["z0", "z1", "z1", "nokey"];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "-2",
    "3",
    "10",
    "x",
    "-9223372036854775808",
];

fn key(rng: &mut Rng) -> String {
    rng.pick(KEYS).to_string()
}

fn keys(rng: &mut Rng) -> Vec<String> {
    (0..=rng.below(3)).map(|_| key(rng)).collect()
}

/// One random command of these families.
pub fn command(rng: &mut Rng) -> Vec<String> {
    let name = |s: &str| s.to_string();
    let list = |rng: &mut Rng| rng.pick(LISTS).to_string();
    let pick = |rng: &mut Rng, items: &[&str]| rng.pick(items).to_string();
    match rng.below(20) {
        0 | 1 => {
            let mut c = vec![name("COPY"), key(rng), key(rng)];
            for _ in 0..rng.below(3) {
                match rng.below(5) {
                    0 | 1 => c.push(pick(rng, &["REPLACE", "replace"])),
                    2 => c.extend([name("DB"), pick(rng, &["0", "16", "-1", "x"])]),
                    3 => c.push(name("DB")),
                    _ => c.push(name("BOGUS")),
                }
            }
            c
        }
        2 => vec![name("RENAMENX"), key(rng), key(rng)],
        3 => [vec![name("UNLINK")], keys(rng)].concat(),
        4 => [vec![name("TOUCH")], keys(rng)].concat(),
        5 => vec![name("HSTRLEN"), key(rng), rng.pick(FIELDS).to_string()],
        6 | 7 => {
            let mut c = vec![name("RPUSH"), list(rng)];
            c.extend((0..=rng.below(4)).map(|_| pick(rng, ELEMENTS)));
            c
        }
        8 => {
            let mut c = vec![name("LPOS"), list(rng), pick(rng, ELEMENTS)];
            for _ in 0..rng.below(4) {
                let opt = pick(rng, &["RANK", "COUNT", "MAXLEN", "rank", "BAD"]);
                c.extend([opt, pick(rng, NUMBERS)]);
            }
            if rng.chance(5) {
                c.push(name("RANK"));
            }
            c
        }
        12 => vec![pick(rng, &["RANDOMKEY", "TIME"])],
        13 | 14 => {
            let cmd = pick(rng, &["ZUNION", "ZINTER", "ZDIFF"]);
            let n = 1 + rng.below(2) as usize;
            let mut c = vec![cmd.clone(), n.to_string()];
            c.extend((0..n).map(|_| pick(rng, ZKEYS)));
            if cmd != "ZDIFF" && rng.chance(40) {
                c.push(name("WEIGHTS"));
                c.extend((0..n).map(|_| pick(rng, &["1", "2", "0.5", "-1", "x"])));
            }
            if cmd != "ZDIFF" && rng.chance(40) {
                c.push(name("AGGREGATE"));
                c.push(pick(rng, &["SUM", "MIN", "max", "BAD"]));
            }
            if rng.chance(50) {
                c.push(pick(rng, &["WITHSCORES", "withscores", "BOGUS"]));
            }
            c
        }
        18 | 19 => {
            let mut c = vec![name("ZRANGESTORE"), name("zd"), pick(rng, ZKEYS)];
            match rng.below(3) {
                0 => c.extend([pick(rng, NUMBERS), pick(rng, NUMBERS)]),
                1 => {
                    let bounds = ["-inf", "+inf", "(1", "2", "0", "(2.5", "x"];
                    c.extend([pick(rng, &bounds), pick(rng, &bounds), name("BYSCORE")]);
                }
                _ => {
                    // Lex ranges are defined on equal scores only: `zl` holds score 0 alone.
                    c[2] = pick(rng, &["zl", "zmissing"]);
                    let bounds = ["-", "+", "[a", "(b", "[c", "x"];
                    c.extend([pick(rng, &bounds), pick(rng, &bounds), name("BYLEX")]);
                }
            }
            if rng.chance(30) {
                c.push(name("REV"));
            }
            if rng.chance(30) {
                c.extend([
                    name("LIMIT"),
                    pick(rng, &["0", "1", "-1"]),
                    pick(rng, &["1", "2", "-1"]),
                ]);
            }
            if rng.chance(5) {
                c.push(pick(rng, &["WITHSCORES", "BAD"]));
            }
            c
        }
        16 => {
            let mut c = vec![name("HRANDFIELD"), key(rng)];
            if rng.chance(70) {
                c.push(pick(rng, &["0", "1", "2", "-3", "20", "-20", "abc"]));
                if rng.chance(40) {
                    c.push(pick(rng, &["WITHVALUES", "withvalues", "BAD"]));
                }
            }
            c
        }
        17 => {
            let mut c = vec![
                name("HSCAN"),
                pick(rng, &["h0", "h0", "c0", "s0"]),
                name("0"),
            ];
            if rng.chance(50) {
                c.extend([name("MATCH"), pick(rng, &["*", "f*", "?0", "n"])]);
            }
            if rng.chance(50) {
                c.extend([name("COUNT"), pick(rng, &["1", "2", "100"])]);
            }
            c
        }
        15 => {
            let n = 1 + rng.below(3) as usize;
            let numkeys = match rng.below(8) {
                0 => pick(rng, &["0", "-1", "x", "9"]),
                _ => n.to_string(),
            };
            let mut c = vec![name("ZINTERCARD"), numkeys];
            c.extend((0..n).map(|_| pick(rng, ZKEYS)));
            if rng.chance(50) {
                c.extend([pick(rng, &["LIMIT", "limit", "BAD"]), pick(rng, NUMBERS)]);
            }
            c
        }
        9 | 10 => vec![
            name("LMOVE"),
            list(rng),
            list(rng),
            pick(rng, ENDS),
            pick(rng, ENDS),
        ],
        _ => {
            let keys: Vec<String> = (0..=rng.below(3)).map(|_| list(rng)).collect();
            let numkeys = match rng.below(8) {
                0 => pick(rng, &["0", "-1", "x", "9"]),
                _ => keys.len().to_string(),
            };
            let mut c = vec![name("LMPOP"), numkeys];
            c.extend(keys);
            c.push(pick(rng, ENDS));
            if rng.chance(50) {
                c.extend([pick(rng, &["COUNT", "count", "BAD"]), pick(rng, NUMBERS)]);
            }
            if rng.chance(10) {
                c.extend([name("COUNT"), name("1")]);
            }
            c
        }
    }
}
