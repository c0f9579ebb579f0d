//! Suite `footprint`: heap bytes held per entry.
//!
//! Each structure is built empty, loaded with 1,000,000 entries (14-byte keys
//! `key:0000123456`, 64-byte values) the way a plain user would load it, and the counting
//! global allocator ([`crate::counting`]) reports the net heap growth: bytes requested, number
//! of live allocations, and bytes as glibc's malloc holds them (each block's usable size plus
//! its 8-byte header, i.e. including the allocator's rounding and per-block overhead, which
//! the requested bytes hide). The keys are pre-built before counting starts, so only the
//! structure's own allocations (its table and its copies of the keys and values) are seen.
//!
//! * hedgestore `Engine`, default config (also reporting its own `used_memory() / len`), and
//!   again with every key written with a TTL (`SET key value PX 60000`), Redis's other
//!   reference point (152 B per entry without a TTL, 193 B with one);
//! * `hashbrown::HashMap<Vec<u8>, Vec<u8>>` (the baseline: no cache bookkeeping at all);
//! * `moka::sync::Cache` with `max_capacity` 1,000,000 (its frequency sketch is sized from the
//!   capacity, so the capacity is the entry count, not more); `run_pending_tasks()` is called
//!   before measuring so its deferred bookkeeping is applied;
//! * `quick_cache::sync::Cache` with capacity 1,100,000 (its per-shard capacity needs some
//!   headroom to hold all 1M keys without evicting; it allocates as it grows, not up front);
//! * `lru::LruCache` with capacity 1,000,000 (it reserves its hash map for the capacity).
//!
//! Every structure is checked to hold all 1M entries; after it is dropped, what it left
//! allocated (should be ~0) is printed on stderr. `--quick` does not shorten this suite.
//!
//! Beside the allocator's view, the growth of the process's resident set (`VmRSS` of
//! `/proc/self/status`) over the load is shown, which is what Redis's comparison figures are
//! (its `used_memory` counts jemalloc's blocks). Before each structure is built, glibc is
//! asked to return free memory to the system (`malloc_trim(0)`), so a structure measured
//! after another does not reuse the first one's pages unseen; the figure still includes
//! page-granular slack, so read it as a check on the allocator columns, not a finer one.

use std::num::NonZeroUsize;

use hedgestore_core::{Engine, ManualClock, SetOptions};

use crate::common::{grouped, Key, VALUE_LEN};
use crate::counting::{self, Snapshot};
use crate::stores::Store;

/// quick_cache's capacity: the 1M entries plus headroom for uneven shards.
const QUICK_CACHE_CAPACITY: usize = 1_100_000;

/// TTL of every write in the with-TTL row, in milliseconds.
const TTL_MS: i64 = 60_000;

/// The engine with every key written with a TTL, as `SET key value PX 60000`.
struct EngineWithTtl(Engine<ManualClock>);

impl Store for EngineWithTtl {
    const NAME: &'static str = "hedgestore Engine, every key with a TTL";

    fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        Store::get(&mut self.0, key)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) {
        let written = self
            .0
            .set(key, value, SetOptions::default().px(TTL_MS))
            .expect("SET with a TTL succeeds");
        assert!(written);
    }

    fn entries(&mut self) -> usize {
        assert_eq!(self.0.stats().keys_with_ttl, self.0.len());
        self.0.len()
    }
}

/// The process's resident set size in bytes (`VmRSS`), 0 where `/proc` is missing.
fn rss_bytes() -> isize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            let kb: isize = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        })
        .unwrap_or(0)
}

/// Returns glibc's free memory to the system, so the next RSS reading starts clean.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What one structure held.
struct Footprint {
    name: &'static str,
    held: Snapshot,
    /// Growth of the resident set over the load (bytes).
    rss: isize,
    /// The structure's own estimate, where it has one (bytes).
    self_reported: Option<usize>,
}

/// Builds a structure with `make`, loads every key, settles it, and measures.
fn measure<S: Store>(
    keys: &[Key],
    value: &[u8; VALUE_LEN],
    make: impl FnOnce() -> S,
    self_report: impl FnOnce(&S) -> Option<usize>,
) -> Footprint {
    eprintln!("  footprint: {}", S::NAME);
    trim();
    let rss_before = rss_bytes();
    let before = Snapshot::now();
    let mut store = make();
    for key in keys {
        store.set(key, value);
    }
    // Settles deferred work (moka) and checks nothing was evicted.
    assert_eq!(store.entries(), keys.len(), "{} lost entries", S::NAME);
    let held = Snapshot::now().since(before);
    let rss = rss_bytes() - rss_before;
    let self_reported = self_report(&store);
    drop(store);
    let left = Snapshot::now().since(before);
    eprintln!(
        "    held {} B in {} allocations; after drop {} B in {} allocations remain",
        held.bytes, held.allocs, left.bytes, left.allocs
    );
    Footprint {
        name: S::NAME,
        held,
        rss,
        self_reported,
    }
}

/// For structures without an estimate of their own.
fn no_report<S>(_: &S) -> Option<usize> {
    None
}

/// Runs the suite and prints its table.
pub fn bench(keys: &[Key]) {
    counting::enable();
    let value = [0x5Au8; VALUE_LEN];
    let n = keys.len();
    let results = [
        measure(
            keys,
            &value,
            || Engine::new(ManualClock::new(0)),
            |e: &Engine<ManualClock>| Some(e.used_memory()),
        ),
        measure(
            keys,
            &value,
            || EngineWithTtl(Engine::new(ManualClock::new(0))),
            |e: &EngineWithTtl| Some(e.0.used_memory()),
        ),
        measure(
            keys,
            &value,
            hashbrown::HashMap::<Vec<u8>, Vec<u8>>::new,
            no_report,
        ),
        measure(
            keys,
            &value,
            || {
                moka::sync::Cache::<Vec<u8>, Vec<u8>>::builder()
                    .max_capacity(n as u64)
                    .build()
            },
            no_report,
        ),
        measure(
            keys,
            &value,
            || quick_cache::sync::Cache::<Vec<u8>, Vec<u8>>::new(QUICK_CACHE_CAPACITY),
            no_report,
        ),
        measure(
            keys,
            &value,
            || {
                lru::LruCache::<Vec<u8>, Vec<u8>>::new(
                    NonZeroUsize::new(n).expect("key count is not zero"),
                )
            },
            no_report,
        ),
    ];

    let per = |bytes: isize| bytes as f64 / n as f64;
    let engine = per(results[0].held.bytes);
    println!("## Heap bytes per entry\n");
    println!(
        "{} entries, 14-byte keys, {VALUE_LEN}-byte values; net heap growth measured by a \
         counting global allocator.\n",
        grouped(n as u64),
    );
    println!(
        "| structure | bytes/entry | vs engine | allocations/entry | bytes/entry incl. malloc overhead | RSS growth/entry | self-reported bytes/entry |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &results {
        let bytes = per(r.held.bytes);
        let own = r
            .self_reported
            .map_or_else(|| "—".to_owned(), |b| format!("{:.1}", b as f64 / n as f64));
        println!(
            "| {} | {bytes:.1} | {:.2}x | {:.2} | {:.1} | {:.1} | {own} |",
            r.name,
            bytes / engine,
            per(r.held.allocs),
            per(r.held.malloc_bytes),
            per(r.rss),
        );
    }
    println!();
}
