//! Random copies, moves and positions for the differential test: `COPY`, `RENAMENX`,
//! `UNLINK`, `TOUCH`, `HSTRLEN`.
//!
//! Not generated: `COPY … DB n` for `n` from 1 to 15, which hedgestore refuses (it has one
//! database) where Redis copies to another database.

use hedgestore_testkit::Rng;

/// Keys of every type the other generators fill (`k0` strings, `h0` hashes, `l0` lists, `s0`
/// sets, `z0` sorted sets) and keys that are usually missing.
const KEYS: &[&str] = &["k0", "k1", "h0", "l0", "s0", "z0", "c0", "c1"];
const FIELDS: &[&str] = &["f0", "f1", "f2", "n", "nofield"];

fn key(rng: &mut Rng) -> String {
    rng.pick(KEYS).to_string()
}

fn keys(rng: &mut Rng) -> Vec<String> {
    (0..=rng.below(3)).map(|_| key(rng)).collect()
}

/// One random command of these families.
pub fn command(rng: &mut Rng) -> Vec<String> {
    let name = |s: &str| s.to_string();
    match rng.below(6) {
        0 | 1 => {
            let mut c = vec![name("COPY"), key(rng), key(rng)];
            for _ in 0..rng.below(3) {
                match rng.below(5) {
                    0 | 1 => c.push(name(*rng.pick(&["REPLACE", "replace"]))),
                    2 => c.extend([name("DB"), name(*rng.pick(&["0", "16", "-1", "x"]))]),
                    3 => c.push(name("DB")),
                    _ => c.push(name("BOGUS")),
                }
            }
            c
        }
        2 => vec![name("RENAMENX"), key(rng), key(rng)],
        3 => [vec![name("UNLINK")], keys(rng)].concat(),
        4 => [vec![name("TOUCH")], keys(rng)].concat(),
        _ => vec![name("HSTRLEN"), key(rng), rng.pick(FIELDS).to_string()],
    }
}
