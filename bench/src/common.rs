//! What every suite shares: the key set, the Zipf key picker, formatting helpers.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Zipf};

/// Number of distinct keys.
pub const KEYS: usize = 1_000_000;
/// Length of each key, `key:` followed by ten digits.
pub const KEY_LEN: usize = 14;
/// Length of every stored value.
pub const VALUE_LEN: usize = 64;
/// Exponent of the Zipf key distributions.
pub const ZIPF_S: f64 = 0.99;
/// Base seed; every suite derives its generator from it, so each run replays the same
/// sequences whichever suites are selected.
pub const SEED: u64 = 0x6865_6467_6573_746f;

/// A key's bytes, stored inline so timed loops read them sequentially.
pub type Key = [u8; KEY_LEN];

/// The key `key:` + `i` as ten zero-padded digits.
pub fn key_bytes(i: usize) -> Key {
    let text = format!("key:{i:010}");
    text.as_bytes()
        .try_into()
        .expect("key index fits in ten digits")
}

/// Draws key indices from Zipf([`ZIPF_S`]) over `n` keys.
///
/// Rank r (1-based) names key `ranked[r - 1]`, a random permutation, so popularity is
/// unrelated to insertion order (the engine's slab would otherwise keep all hot keys together
/// in its first chunk, an advantage a real workload would not give it).
pub struct ZipfKeys {
    ranked: Vec<usize>,
    zipf: Zipf<f64>,
}

impl ZipfKeys {
    /// Shuffles the ranks with `rng`.
    pub fn new(n: usize, rng: &mut StdRng) -> Self {
        let mut ranked: Vec<usize> = (0..n).collect();
        ranked.shuffle(rng);
        let zipf = Zipf::new(n as f64, ZIPF_S).expect("valid Zipf parameters");
        Self { ranked, zipf }
    }

    /// The next key index.
    #[inline]
    pub fn sample(&self, rng: &mut StdRng) -> usize {
        self.ranked[self.zipf.sample(rng) as usize - 1]
    }
}

/// Thousands separators for a whole number: `12345678` → `12,345,678`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Nanoseconds per operation.
pub fn per_op_ns(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_nanos() as f64 / ops as f64
}

/// Operations per second at `ns` nanoseconds each, grouped.
pub fn ops_per_sec(ns: f64) -> String {
    grouped((1e9 / ns).round() as u64)
}
