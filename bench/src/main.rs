//! Single-threaded benchmarks of [`hedgestore_core::Engine`] against the data structures a
//! user would otherwise reach for. Four suites, selectable with `--suite NAME` (default: all,
//! in this order):
//!
//! * `getset` ([`getset`]): GET/SET throughput over 1M keys that are all present, uniform
//!   and Zipf keys, against hashbrown, moka and quick_cache;
//! * `eviction` ([`eviction`]): read-through caching of a Zipf stream with room for a tenth
//!   of the keys: hit ratio, time and resident entries against moka, quick_cache and exact
//!   LRU (`lru`);
//! * `ttl` ([`ttl`]): writing 1M keys with a TTL, against moka with `time_to_live`;
//! * `footprint` ([`footprint`]): heap bytes per entry, measured with a counting global
//!   allocator ([`counting`]).
//!
//! Everything that is not the data structure (key strings, operation sequences) is generated
//! before timing, with fixed seeds, so every run replays the same work. `--quick` shortens the
//! timed suites for a smoke test.
//!
//! Run with `cargo run --release --manifest-path bench/Cargo.toml -- [--quick] [--suite NAME]`
//! (`--only NAME` runs only the eviction contenders whose name contains `NAME`).
//! The output is Markdown (tables on stdout, progress on stderr).

mod common;
mod counting;
mod eviction;
mod footprint;
mod getset;
mod stores;
mod ttl;

use common::{key_bytes, Key, KEYS};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// The suites, in the order a full run takes them.
const SUITES: [&str; 4] = ["getset", "eviction", "ttl", "footprint"];

fn usage() -> ! {
    eprintln!(
        "usage: hedgestore-bench [--quick] [--suite all|{}] [--only NAME]",
        SUITES.join("|")
    );
    std::process::exit(2);
}

fn main() {
    let mut quick = false;
    let mut selected: Option<String> = None;
    // Eviction suite: run only the contenders whose name contains this (for profiling).
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--suite" => selected = Some(args.next().unwrap_or_else(|| usage())),
            "--only" => only = Some(args.next().unwrap_or_else(|| usage())),
            // `cargo bench`-style harness flags are accepted and ignored.
            "--bench" => {}
            other => match other.strip_prefix("--suite=") {
                Some(name) => selected = Some(name.to_owned()),
                None => {
                    eprintln!("unknown argument {other:?}");
                    usage();
                }
            },
        }
    }
    let suites: Vec<&str> = match selected.as_deref() {
        None | Some("all") => SUITES.to_vec(),
        Some(name) if SUITES.contains(&name) => vec![name],
        Some(name) => {
            eprintln!("unknown suite {name:?}");
            usage();
        }
    };

    let keys: Vec<Key> = (0..KEYS).map(key_bytes).collect();
    for suite in suites {
        match suite {
            "getset" => getset::bench(&keys, quick),
            "eviction" => eviction::bench(&keys, quick, only.as_deref()),
            "ttl" => ttl::bench(&keys, quick),
            "footprint" => footprint::bench(&keys),
            _ => unreachable!("suite names are checked above"),
        }
    }
}
