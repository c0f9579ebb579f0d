//! The differential generator's bitmap commands: `SETBIT`, `GETBIT`, `BITCOUNT`, `BITPOS`,
//! `BITOP`, on bitmap keys and on the keys other families write (strings of any content,
//! and other types for `WRONGTYPE`).
//!
//! `BITCOUNT` and `BITPOS` ranges are generated well-formed: Redis 7.0 looks the key up
//! before it reads them (a bad range on a missing key answers 0), hedgestore reads them
//! first, a documented difference. Offsets stay below a few hundred kilobytes, the one
//! out-of-range offset being 2^32 (refused on both sides without allocating).

use hedgestore_testkit::Rng;

/// Bitmap keys, and keys of the other generators (`k0`: strings, `h0`: a hash, `s0`: a set).
const KEYS: &[&str] = &["b0", "b1", "b2", "k0", "h0", "s0"];
const OFFSETS: &[&str] = &[
    "0",
    "1",
    "7",
    "8",
    "9",
    "15",
    "23",
    "63",
    "100",
    "1000",
    "4242",
    "800000",
    "-1",
    "x",
    "4294967296",
    "1.5",
];
const BITS: &[&str] = &["0", "1", "0", "1", "2", "-1", "x"];
const BOUNDS: &[&str] = &[
    "0", "1", "2", "3", "-1", "-2", "-3", "5", "7", "8", "9", "17", "-9", "-100", "100",
];

fn key(rng: &mut Rng) -> String {
    rng.pick(KEYS).to_string()
}

fn pick(rng: &mut Rng, items: &[&str]) -> String {
    rng.pick(items).to_string()
}

/// A well-formed range: `start end [BYTE|BIT]`, or for `BITPOS` also `start` alone.
fn range(rng: &mut Rng, start_alone: bool, c: &mut Vec<String>) {
    match rng.below(4) {
        0 => {}
        1 if start_alone => c.push(pick(rng, BOUNDS)),
        _ => {
            c.push(pick(rng, BOUNDS));
            c.push(pick(rng, BOUNDS));
            if rng.chance(60) {
                c.push(pick(rng, &["BIT", "BYTE", "bit", "byte"]));
            }
        }
    }
}

/// One random bitmap command, or a `GET`/`STRLEN` that compares the bytes bitmaps left.
pub fn command(rng: &mut Rng) -> Vec<String> {
    match rng.below(10) {
        0..=2 => vec![
            "SETBIT".into(),
            key(rng),
            pick(rng, OFFSETS),
            pick(rng, BITS),
        ],
        3 => vec!["GETBIT".into(), key(rng), pick(rng, OFFSETS)],
        4 | 5 => {
            let mut c = vec!["BITCOUNT".into(), key(rng)];
            range(rng, false, &mut c);
            c
        }
        6 | 7 => {
            let mut c = vec!["BITPOS".into(), key(rng), pick(rng, BITS)];
            range(rng, true, &mut c);
            c
        }
        8 => vec![pick(rng, &["GET", "STRLEN"]), key(rng)],
        _ => {
            let op = pick(rng, &["AND", "or", "XOR", "not", "NOT", "bogus"]);
            let mut c = vec!["BITOP".into(), op, key(rng)];
            for _ in 0..=rng.below(3) {
                c.push(key(rng));
            }
            if rng.chance(20) {
                c.truncate(3);
            }
            c
        }
    }
}
