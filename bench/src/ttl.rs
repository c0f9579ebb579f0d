//! Suite `ttl`: throughput of writes that carry a TTL.
//!
//! 1,000,000 distinct keys (`key:0000123456`) are written once each, with a 64-byte value
//! and a 60 s TTL, into an empty structure: the engine through
//! `set(key, value, SetOptions::default().px(60_000))` (it reads its [`ManualClock`] for
//! every such write, to turn the relative TTL into a deadline), and `moka::sync::Cache` built
//! with `time_to_live(60 s)` and `max_capacity` 2,000,000 (so it never evicts). quick_cache
//! has no TTL and is left out. The same fill without a TTL is measured as a reference, so the
//! table shows what the TTL itself costs each structure.
//!
//! Keys are written in a shuffled order. Building the empty structure and dropping the full
//! one are outside the timed region; moka's deferred maintenance is settled
//! (`run_pending_tasks`) inside it, so both contenders are timed until every write is fully
//! applied. Best of 3, interleaved.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hedgestore_core::{Engine, ManualClock, SetOptions};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::common::{grouped, ops_per_sec, per_op_ns, Key, SEED, VALUE_LEN};

/// TTL of every write, in milliseconds.
const TTL_MS: u64 = 60_000;
/// Keys written with `--quick`.
const QUICK_KEYS: usize = 100_000;
/// Timed runs per contender and mode.
const ROUNDS: usize = 3;
/// moka's capacity, above the key count so it never evicts.
const MOKA_CAPACITY: u64 = 2_000_000;
/// Mixed into [`SEED`] for the write order.
const SEED_TWEAK: u64 = 0x0074_746c;

/// Fills an empty engine; returns the time.
fn engine_fill(keys: &[Key], value: &[u8; VALUE_LEN], with_ttl: bool) -> Duration {
    let mut engine = Engine::new(ManualClock::new(0));
    let options = if with_ttl {
        SetOptions::default().px(TTL_MS as i64)
    } else {
        SetOptions::default()
    };
    let start = Instant::now();
    for key in keys {
        let written = engine.set(black_box(key), black_box(value), options);
        black_box(written.expect("SET succeeds"));
    }
    let elapsed = start.elapsed();
    let stats = engine.stats();
    assert_eq!(stats.keys, keys.len(), "engine lost keys");
    assert_eq!(stats.keys_with_ttl, if with_ttl { keys.len() } else { 0 });
    elapsed
}

/// Fills an empty moka cache; returns the time (maintenance settled).
fn moka_fill(keys: &[Key], value: &[u8; VALUE_LEN], with_ttl: bool) -> Duration {
    let mut builder = moka::sync::Cache::<Vec<u8>, Vec<u8>>::builder().max_capacity(MOKA_CAPACITY);
    if with_ttl {
        builder = builder.time_to_live(Duration::from_millis(TTL_MS));
    }
    let cache = builder.build();
    let start = Instant::now();
    for key in keys {
        cache.insert(black_box(key).to_vec(), black_box(value).to_vec());
    }
    cache.run_pending_tasks();
    let elapsed = start.elapsed();
    assert_eq!(cache.entry_count(), keys.len() as u64, "moka lost keys");
    elapsed
}

/// Runs the suite and prints its table.
pub fn bench(keys: &[Key], quick: bool) {
    let mut order: Vec<Key> = keys.to_vec();
    order.shuffle(&mut StdRng::seed_from_u64(SEED ^ SEED_TWEAK));
    if quick {
        order.truncate(QUICK_KEYS);
    }
    let n = order.len();
    let value = [0x5Au8; VALUE_LEN];

    type Fill = fn(&[Key], &[u8; VALUE_LEN], bool) -> Duration;
    let contenders: [(&str, Fill); 2] = [
        ("hedgestore Engine", engine_fill),
        ("moka sync::Cache", moka_fill),
    ];
    // best[contender][0 = with TTL, 1 = without]
    let mut best = [[Duration::MAX; 2]; 2];
    for round in 0..ROUNDS {
        for i in 0..contenders.len() {
            let c = (round + i) % contenders.len();
            let (name, fill) = contenders[c];
            for (mode, with_ttl) in [(0, true), (1, false)] {
                eprintln!(
                    "  round {}/{ROUNDS}: {name}, {}",
                    round + 1,
                    if with_ttl { "with TTL" } else { "without TTL" }
                );
                let elapsed = fill(&order, &value, with_ttl);
                best[c][mode] = best[c][mode].min(elapsed);
            }
        }
    }

    println!("## SET with a TTL\n");
    println!(
        "{} distinct keys written once each into an empty structure, {VALUE_LEN}-byte values, \
         TTL {} s; best of {ROUNDS}.\n",
        grouped(n as u64),
        TTL_MS / 1000,
    );
    println!("| contender | SET with TTL, ns/op | ops/s | SET without TTL, ns/op | TTL cost |");
    println!("|---|---:|---:|---:|---:|");
    for (c, (name, _)) in contenders.iter().enumerate() {
        let with = per_op_ns(best[c][0], n);
        let without = per_op_ns(best[c][1], n);
        println!(
            "| {name} | {with:.1} | {} | {without:.1} | {:+.1} ns |",
            ops_per_sec(with),
            with - without,
        );
    }
    println!();
}
