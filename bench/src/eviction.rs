//! Suite `eviction`: read-through caching under capacity pressure.
//!
//! A Zipf(0.99) stream of 2,000,000 key references over 1,000,000 keys (`key:0000123456`,
//! ranks mapped to keys through a random permutation) is served read-through: `GET` the key;
//! on a miss, `SET` it to a 64-byte value (what an application does after loading the value
//! from its database). Every contender has room for 100,000 entries, a tenth of the keys, so
//! it must keep choosing what to evict, and its hit ratio shows how well it chooses.
//!
//! * hedgestore `Engine`, `AllKeysLru` and `AllKeysLfu`, with the default 5 eviction samples
//!   and with 10, and `AllKeysLfu` configured as Redis's LFU (no history of evicted keys,
//!   `lfu-log-factor` 1, the engine's former decay of 2^20 accesses).
//!   The engine's budget is in bytes, not entries, so it is calibrated: the suite loads
//!   100,000 entries of this workload into an unbounded engine, reads `used_memory()` per
//!   entry, and sets `max_memory` so that the eviction limit (90% of `max_memory`) is exactly
//!   100,000 such entries. The table reports how many keys the engine really kept, so its
//!   hit ratio is compared at the size it actually had.
//! * `moka::sync::Cache` with `max_capacity` 100,000 (TinyLFU admission, LRU eviction);
//! * `quick_cache::sync::Cache` with capacity 100,000 (CLOCK-Pro-like, with ghost entries);
//! * `lru::LruCache` with capacity 100,000: exact LRU, the reference the engine's sampled
//!   LRU approximates.
//!
//! Time is shown twice: wall time, and the benchmark thread's CPU time over the same region
//! (`CLOCK_THREAD_CPUTIME_ID`), which leaves out the time the thread waited for a core, the
//! larger part of the noise on a machine shared with other work.
//!
//! Each contender starts empty in every round (built outside the timed region), so the
//! sequence includes the cold start that every contender pays alike. `ns/op` is the time of
//! the whole sequence divided by its length: one operation is a `GET`, plus a `SET` when the
//! `GET` missed. Rounds interleave the contenders in a rotating order; the best time is
//! reported, the hit ratio is the mean over the rounds (moka and quick_cache hash with a
//! per-instance random seed, and moka's admission also depends on when its deferred
//! maintenance runs, so their ratios can vary slightly between rounds; the range is shown
//! when they do).
//!
//! Resident entries come from one extra, untimed run per contender: the entry count is
//! sampled every 10,000 operations over the second half of the sequence (the caches are
//! full by then) and averaged. For moka, sampling settles its pending maintenance first.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use hedgestore_core::{Engine, EngineConfig, EvictionPolicy, ManualClock};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::common::{
    grouped, ops_per_sec, per_op_ns, Key, ZipfKeys, KEYS, SEED, VALUE_LEN, ZIPF_S,
};
use crate::stores::Store;

/// Entries every contender has room for.
const CAPACITY: usize = 100_000;
/// Key references in a full run.
const FULL_OPS: usize = 2_000_000;
/// Key references with `--quick` (a smoke test)…
const QUICK_OPS: usize = 200_000;
/// …with room for this many entries, so the caches still fill and evict.
const QUICK_CAPACITY: usize = 10_000;
/// Timed runs per contender.
const ROUNDS: usize = 3;
/// Sampling interval of the resident-entry count in the untimed run.
const SAMPLE_EVERY: usize = 10_000;
/// Mixed into [`SEED`] so this suite's sequence differs from the GET/SET suite's.
const SEED_TWEAK: u64 = 0x0065_7669_6374;

/// The key reference stream.
fn generate(keys: &[Key], len: usize) -> Vec<Key> {
    let mut rng = StdRng::seed_from_u64(SEED ^ SEED_TWEAK);
    let zipf = ZipfKeys::new(keys.len(), &mut rng);
    (0..len).map(|_| keys[zipf.sample(&mut rng)]).collect()
}

/// CPU time this thread has run (`CLOCK_THREAD_CPUTIME_ID`): unlike wall time, it does not
/// count time the thread waited for a core, which on a machine shared with other work is
/// most of the noise. Zero where the clock is missing.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only fills it in.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Serves `seq` read-through; returns the elapsed wall time, the thread's CPU time and the
/// number of hits.
///
/// Generic, so each contender gets its own monomorphised loop with its calls inlined.
fn read_through<S: Store>(
    store: &mut S,
    seq: &[Key],
    value: &[u8; VALUE_LEN],
) -> (Duration, Duration, usize) {
    let mut hits = 0usize;
    let cpu_start = thread_cpu_time();
    let start = Instant::now();
    for key in seq {
        match black_box(store.get(black_box(key))) {
            Some(_) => hits += 1,
            None => store.set(black_box(key), black_box(value)),
        }
    }
    (start.elapsed(), thread_cpu_time() - cpu_start, hits)
}

/// The engine's memory budget: `max_memory` such that the eviction limit holds exactly
/// `capacity` entries of this workload, measured with `used_memory()`.
fn calibrated_max_memory(keys: &[Key], value: &[u8; VALUE_LEN], capacity: usize) -> usize {
    let mut engine = Engine::new(ManualClock::new(0));
    let sample = &keys[..capacity];
    for key in sample {
        Store::set(&mut engine, key, value);
    }
    let used = engine.used_memory();
    let pct = usize::from(EngineConfig::default().eviction_threshold_percent);
    // max_memory × pct / 100 ≥ capacity × used / sample.len(), rounded up.
    let max_memory = (capacity * used * 100).div_ceil(sample.len() * pct);
    let config = EngineConfig {
        max_memory,
        ..EngineConfig::default()
    };
    eprintln!(
        "  engine calibration: used_memory() {used} B for {} entries = {:.1} B/entry; \
         max_memory {max_memory} B, eviction limit {} B",
        sample.len(),
        used as f64 / sample.len() as f64,
        config.eviction_limit(),
    );
    max_memory
}

/// One contender of this suite: how to build it empty, and what it measured.
trait Contender {
    fn name(&self) -> &str;
    /// One timed run from empty; keeps the best time and the hit ratio.
    fn measure(&mut self, seq: &[Key], value: &[u8; VALUE_LEN]);
    /// One untimed run from empty that samples the resident entry count.
    fn probe(&mut self, seq: &[Key], value: &[u8; VALUE_LEN]);
    fn best(&self) -> Duration;
    /// The lowest CPU time of the timed runs.
    fn best_cpu(&self) -> Duration;
    fn hit_ratios(&self) -> &[f64];
    fn resident(&self) -> f64;
}

/// A [`Store`] factory with its results.
struct Bounded<F> {
    name: String,
    make: F,
    best: Duration,
    best_cpu: Duration,
    hit_ratios: Vec<f64>,
    resident: f64,
}

impl<F> Bounded<F> {
    fn new(name: impl Into<String>, make: F) -> Self {
        Self {
            name: name.into(),
            make,
            best: Duration::MAX,
            best_cpu: Duration::MAX,
            hit_ratios: Vec::new(),
            resident: f64::NAN,
        }
    }
}

impl<S: Store, F: Fn() -> S> Contender for Bounded<F> {
    fn name(&self) -> &str {
        &self.name
    }

    fn measure(&mut self, seq: &[Key], value: &[u8; VALUE_LEN]) {
        let mut store = (self.make)();
        let (elapsed, cpu, hits) = read_through(&mut store, seq, value);
        let held = store.entries();
        let inserted = seq.len() - hits;
        if let Some(evicted) = store.evictions() {
            assert_eq!(
                inserted as u64,
                evicted + held as u64,
                "{}: every miss inserts, every insert is held or evicted",
                self.name
            );
        }
        let ratio = hits as f64 / seq.len() as f64;
        eprintln!(
            "    {:.1} ns/op ({:.1} CPU), hit ratio {:.3}%, {held} entries at the end",
            per_op_ns(elapsed, seq.len()),
            per_op_ns(cpu, seq.len()),
            ratio * 100.0
        );
        drop(store);
        self.best = self.best.min(elapsed);
        self.best_cpu = self.best_cpu.min(cpu);
        self.hit_ratios.push(ratio);
    }

    fn probe(&mut self, seq: &[Key], value: &[u8; VALUE_LEN]) {
        let mut store = (self.make)();
        let half = seq.len() / 2;
        let (mut sum, mut samples, mut min, mut max) = (0usize, 0usize, usize::MAX, 0usize);
        for (i, key) in seq.iter().enumerate() {
            if store.get(key).is_none() {
                store.set(key, value);
            }
            if i >= half && (i - half).is_multiple_of(SAMPLE_EVERY) {
                let held = store.entries();
                sum += held;
                samples += 1;
                min = min.min(held);
                max = max.max(held);
            }
        }
        self.resident = sum as f64 / samples as f64;
        eprintln!(
            "  {}: resident entries {:.0} on average ({samples} samples, {min}–{max})",
            self.name, self.resident
        );
    }

    fn best(&self) -> Duration {
        self.best
    }

    fn best_cpu(&self) -> Duration {
        self.best_cpu
    }

    fn hit_ratios(&self) -> &[f64] {
        &self.hit_ratios
    }

    fn resident(&self) -> f64 {
        self.resident
    }
}

/// An engine with `policy`, `samples` eviction samples, the calibrated budget and LFU as
/// Redis does it: no history of evicted keys, Redis's `lfu-log-factor` 1 with the decay of
/// 2^20 accesses this engine defaulted to before.
fn redis_lfu_engine(max_memory: usize, samples: usize) -> impl Fn() -> Engine<ManualClock> {
    move || {
        Engine::with_config(
            ManualClock::new(0),
            EngineConfig {
                max_memory,
                eviction_policy: EvictionPolicy::AllKeysLfu,
                eviction_samples: samples,
                lfu_history: false,
                lfu_log_factor: 1,
                lfu_decay_accesses: 1 << 20,
                ..EngineConfig::default()
            },
        )
    }
}

/// An engine with `policy`, `samples` eviction samples and the calibrated budget.
fn engine(
    max_memory: usize,
    policy: EvictionPolicy,
    samples: usize,
) -> impl Fn() -> Engine<ManualClock> {
    move || {
        Engine::with_config(
            ManualClock::new(0),
            EngineConfig {
                max_memory,
                eviction_policy: policy,
                eviction_samples: samples,
                ..EngineConfig::default()
            },
        )
    }
}

/// Runs the suite and prints its table; with `only`, just the contenders whose name
/// contains it (the exact-LRU column is then blank unless `lru` is among them).
pub fn bench(keys: &[Key], quick: bool, only: Option<&str>) {
    let (len, capacity) = if quick {
        (QUICK_OPS, QUICK_CAPACITY)
    } else {
        (FULL_OPS, CAPACITY)
    };
    eprintln!("Eviction: generating {len} key references…");
    let seq = generate(keys, len);
    let value = [0x5Au8; VALUE_LEN];
    let max_memory = calibrated_max_memory(keys, &value, capacity);

    let mut all: Vec<Box<dyn Contender>> = vec![
        Box::new(Bounded::new(
            "hedgestore Engine, AllKeysLru, 5 samples (default)",
            engine(max_memory, EvictionPolicy::AllKeysLru, 5),
        )),
        Box::new(Bounded::new(
            "hedgestore Engine, AllKeysLru, 10 samples",
            engine(max_memory, EvictionPolicy::AllKeysLru, 10),
        )),
        Box::new(Bounded::new(
            "hedgestore Engine, AllKeysLfu, 5 samples",
            engine(max_memory, EvictionPolicy::AllKeysLfu, 5),
        )),
        Box::new(Bounded::new(
            "hedgestore Engine, AllKeysLfu, 10 samples",
            engine(max_memory, EvictionPolicy::AllKeysLfu, 10),
        )),
        Box::new(Bounded::new(
            "hedgestore Engine, AllKeysLfu as Redis (no history, factor 1), 5 samples",
            redis_lfu_engine(max_memory, 5),
        )),
        Box::new(Bounded::new("moka sync::Cache", move || {
            moka::sync::Cache::<Vec<u8>, Vec<u8>>::builder()
                .max_capacity(capacity as u64)
                .build()
        })),
        Box::new(Bounded::new("quick_cache sync::Cache", move || {
            quick_cache::sync::Cache::<Vec<u8>, Vec<u8>>::new(capacity)
        })),
        Box::new(Bounded::new("lru LruCache (exact LRU)", move || {
            lru::LruCache::<Vec<u8>, Vec<u8>>::new(
                NonZeroUsize::new(capacity).expect("capacity is not zero"),
            )
        })),
    ];
    all.retain(|c| only.is_none_or(|o| c.name().contains(o)));
    let count = all.len();
    for round in 0..ROUNDS {
        for i in 0..count {
            let contender = &mut all[(round + i) % count];
            eprintln!("  round {}/{ROUNDS}: {}", round + 1, contender.name());
            contender.measure(&seq, &value);
        }
    }
    eprintln!("  counting resident entries (untimed)…");
    for contender in &mut all {
        contender.probe(&seq, &value);
    }

    let mean = |r: &[f64]| r.iter().sum::<f64>() / r.len() as f64 * 100.0;
    let reference = all
        .iter()
        .find(|c| c.name().starts_with("lru "))
        .map_or(f64::NAN, |c| mean(c.hit_ratios()));
    println!("## Read-through caching under capacity pressure\n");
    println!(
        "Zipf keys (s = {ZIPF_S}), {} key references over {} keys, {VALUE_LEN}-byte values, \
         room for {} entries (engine: `max_memory` = {} B, calibrated); GET, and SET on a \
         miss; each contender starts empty; best of {ROUNDS} for time, mean of {ROUNDS} for \
         the hit ratio.\n",
        grouped(len as u64),
        grouped(KEYS as u64),
        grouped(capacity as u64),
        grouped(max_memory as u64),
    );
    println!(
        "| contender | hit ratio (%) | vs exact LRU (points) | ns/op | CPU ns/op | ops/s | resident entries (avg) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for contender in &all {
        let ratios = contender.hit_ratios();
        let hit = mean(ratios);
        let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min) * 100.0;
        let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max) * 100.0;
        let spread = if hi - lo >= 0.005 {
            format!(" ({lo:.2}–{hi:.2})")
        } else {
            String::new()
        };
        let ns = per_op_ns(contender.best(), len);
        let cpu = per_op_ns(contender.best_cpu(), len);
        println!(
            "| {} | {hit:.2}{spread} | {:+.2} | {ns:.1} | {cpu:.1} | {} | {} |",
            contender.name(),
            hit - reference,
            ops_per_sec(ns),
            grouped(contender.resident().round() as u64),
        );
    }
    println!();
}
