//! Scaling: one shared store, 1..N threads, GET/SET throughput.
//!
//! Every store is prefilled with 1,000,000 keys (`key:0000123456`) holding 64-byte values;
//! then `T` threads share it, each running its own pre-generated sequence of operations
//! (90 % `GET` returning an owned copy, 10 % `SET` overwriting with a fresh 64-byte value),
//! keys drawn uniformly. Throughput is the total operations over the wall time from a common
//! start until the last thread is done. Each contender runs 5 rounds per thread count (`--rounds`),
//! interleaved in a rotating order; the table gives the median throughput and the median of
//! the per-round ratios to quick_cache's time (each ratio taken between runs a few seconds
//! apart, so a load that comes and goes on a shared machine moves both sides), and the
//! per-round ratios at the highest thread count are listed below it.
//!
//! Contenders:
//!
//! * `quick_cache sync::Cache` (sized 2,000,000, nothing evicted) and a 16-shard
//!   `hashbrown::HashMap` behind 16 `std::sync::Mutex`es: the anchors;
//! * the engine behind one `Mutex` (how `MemoryStorage` ran before it was sharded);
//! * `ShardedEngine` with 16 shards and with 1, through its typed engine calls (`with_key`);
//! * `MemoryStorage` through its async API (`get`/`set`) on a tokio runtime with `T` worker
//!   threads and `T` tasks, with the default shard count and with 1 shard;
//! * the same storage through the `Storage` handle (what `get_storage()` returns), default
//!   shards.
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --bin scaling [-- --threads N]
//! [--rounds R] [--quick] [--only TEXT]`. `N` defaults to `available_parallelism` (or `SCALING_THREADS`);
//! `--only` keeps the contenders whose name contains `TEXT` (and quick_cache, the anchor).

use std::hash::BuildHasher;
use std::hint::black_box;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use hedgestore_core::{Engine, EngineConfig, SetOptions};
use hedgestore_native::{
    BaseStorage, MemoryConfig, MemoryStorage, ShardedEngine, Storage, SystemClock,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const KEYS: usize = 1_000_000;
const VALUE_LEN: usize = 64;
const GET_PERCENT: u32 = 90;
const ROUNDS: usize = 5;
const FULL_OPS: usize = 2_000_000;
const QUICK_OPS: usize = 100_000;
const SEED: u64 = 0x7363_616c_696e_6721;

type Key = [u8; 14];

fn key_bytes(i: usize) -> Key {
    format!("key:{i:010}")
        .as_bytes()
        .try_into()
        .expect("key index fits in ten digits")
}

#[derive(Clone, Copy)]
enum Op {
    Get(Key),
    Set(Key),
}

fn ops_for(thread: usize, len: usize) -> Vec<Op> {
    let mut rng = StdRng::seed_from_u64(SEED ^ (thread as u64).wrapping_mul(0x9E37_79B9));
    (0..len)
        .map(|_| {
            let key = key_bytes(rng.random_range(0..KEYS));
            if rng.random_range(0..100) < GET_PERCENT {
                Op::Get(key)
            } else {
                Op::Set(key)
            }
        })
        .collect()
}

/// A store shared by threads through `&self`.
trait Shared: Send + Sync {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    fn set(&self, key: &[u8], value: &[u8]);
}

impl Shared for quick_cache::sync::Cache<Vec<u8>, Vec<u8>> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        quick_cache::sync::Cache::get(self, key)
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.insert(key.to_vec(), value.to_vec());
    }
}

/// 16 `hashbrown` maps, each behind its own mutex, keyed by the map's own hash.
struct ShardedMap {
    hasher: hashbrown::DefaultHashBuilder,
    shards: Vec<Mutex<hashbrown::HashMap<Vec<u8>, Vec<u8>>>>,
}

impl ShardedMap {
    fn new() -> Self {
        Self {
            hasher: hashbrown::DefaultHashBuilder::default(),
            shards: (0..16)
                .map(|_| Mutex::new(hashbrown::HashMap::new()))
                .collect(),
        }
    }
    fn shard(&self, key: &[u8]) -> &Mutex<hashbrown::HashMap<Vec<u8>, Vec<u8>>> {
        &self.shards[(self.hasher.hash_one(key) >> 60) as usize]
    }
}

impl Shared for ShardedMap {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.shard(key).lock().unwrap().get(key).cloned()
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.shard(key)
            .lock()
            .unwrap()
            .insert(key.to_vec(), value.to_vec());
    }
}

fn engine_config() -> EngineConfig {
    EngineConfig {
        max_memory: usize::MAX / 2,
        ..EngineConfig::default()
    }
}

impl Shared for Mutex<Engine<SystemClock>> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.lock().unwrap().get(key).expect("GET")
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        black_box(
            self.lock()
                .unwrap()
                .set(key, value, SetOptions::default())
                .expect("SET"),
        );
    }
}

impl Shared for ShardedEngine<SystemClock> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.with_key(key, |e| e.get(key)).expect("GET")
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        black_box(
            self.with_key(key, |e| e.set(key, value, SetOptions::default()))
                .expect("SET"),
        );
    }
}

/// One thread's share of a round. Never inlined, so that a profiler can count exactly the
/// timed operations: `valgrind --tool=callgrind --demangle=no --toggle-collect='_ZN7scaling4work*'`.
#[inline(never)]
fn work<S: Shared>(store: &S, ops: &[Op], value: &[u8]) {
    for op in ops {
        match op {
            Op::Get(k) => {
                black_box(store.get(k).expect("every key is present"));
            }
            Op::Set(k) => store.set(k, value),
        }
    }
}

fn run_threads<S: Shared>(store: &S, ops: &[Arc<Vec<Op>>]) -> Duration {
    let value = [b'w'; VALUE_LEN];
    let start = Barrier::new(ops.len() + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = ops
            .iter()
            .map(|ops| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    work(store, ops, &value);
                })
            })
            .collect();
        let began = Instant::now();
        start.wait();
        for h in handles {
            h.join().expect("bench thread");
        }
        began.elapsed()
    })
}

/// The async calls a storage contender is driven through: the backend's trait methods or
/// the handle's, their futures returned as they are (no wrapping `async` layer of the
/// bench's own in the count).
trait AsyncKv: Clone + Send + Sync + 'static {
    fn get_value<'a>(
        &'a self,
        key: &'a [u8],
    ) -> impl std::future::Future<Output = hedgestore_native::Result<Option<hedgestore_native::Bytes>>>
           + Send
           + 'a;
    fn set_value<'a>(
        &'a self,
        key: &'a [u8],
        value: &'a [u8],
    ) -> impl std::future::Future<Output = hedgestore_native::Result<()>> + Send + 'a;
}

/// Both storages' `AsyncKv`: their own `get` and `set`, the futures returned as they are.
macro_rules! async_kv {
    ($($storage:ty),*) => {$(
        impl AsyncKv for $storage {
            fn get_value<'a>(
                &'a self,
                key: &'a [u8],
            ) -> impl std::future::Future<
                Output = hedgestore_native::Result<Option<hedgestore_native::Bytes>>,
            > + Send
                   + 'a {
                self.get(key)
            }
            fn set_value<'a>(
                &'a self,
                key: &'a [u8],
                value: &'a [u8],
            ) -> impl std::future::Future<Output = hedgestore_native::Result<()>> + Send + 'a {
                self.set(key, value, None)
            }
        }
    )*};
}

async_kv!(MemoryStorage, Storage);

fn run_storage(storage: &impl AsyncKv, ops: &[Arc<Vec<Op>>]) -> Duration {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(ops.len())
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let began = Instant::now();
        let tasks: Vec<_> = ops
            .iter()
            .map(|ops| {
                let storage = storage.clone();
                let ops = ops.clone();
                tokio::spawn(async move {
                    let value = [b'w'; VALUE_LEN];
                    for op in ops.iter() {
                        match op {
                            Op::Get(k) => {
                                let v = storage.get_value(k).await.expect("GET");
                                black_box(v.expect("every key is present"));
                            }
                            Op::Set(k) => storage.set_value(k, &value).await.expect("SET"),
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("bench task");
        }
        began.elapsed()
    })
}

enum Contender {
    Quick(quick_cache::sync::Cache<Vec<u8>, Vec<u8>>),
    Map(ShardedMap),
    OneLock(Box<Mutex<Engine<SystemClock>>>),
    Sharded(&'static str, ShardedEngine<SystemClock>),
    Storage(&'static str, MemoryStorage),
    Handle(&'static str, Storage),
}

impl Contender {
    fn name(&self) -> &'static str {
        match self {
            Contender::Quick(_) => "quick_cache sync::Cache",
            Contender::Map(_) => "hashbrown, 16 shards",
            Contender::OneLock(_) => "Engine behind one Mutex",
            Contender::Sharded(name, _) => name,
            Contender::Storage(name, _) | Contender::Handle(name, _) => name,
        }
    }

    fn run(&self, ops: &[Arc<Vec<Op>>]) -> Duration {
        match self {
            Contender::Quick(s) => run_threads(s, ops),
            Contender::Map(s) => run_threads(s, ops),
            Contender::OneLock(s) => run_threads(&**s, ops),
            Contender::Sharded(_, s) => run_threads(s, ops),
            Contender::Storage(_, s) => run_storage(s, ops),
            Contender::Handle(_, s) => run_storage(s, ops),
        }
    }
}

fn prefill(set: impl Fn(&[u8], &[u8])) {
    let value = [b'v'; VALUE_LEN];
    for i in 0..KEYS {
        set(&key_bytes(i), &value);
    }
}

fn storage(shards: usize, runtime: &tokio::runtime::Runtime) -> MemoryStorage {
    let _guard = runtime.enter();
    let storage = MemoryStorage::start(MemoryConfig {
        max_memory: usize::MAX / 2,
        shards,
        ..MemoryConfig::default()
    })
    .expect("memory storage");
    runtime.block_on(async {
        let value = [b'v'; VALUE_LEN];
        for i in 0..KEYS {
            storage.set(&key_bytes(i), &value, None).await.expect("SET");
        }
    });
    storage
}

/// Contender `c`'s time over quick_cache's (contender 0) in each round.
fn ratios(by_round: &[Vec<Duration>], c: usize) -> Vec<f64> {
    by_round
        .iter()
        .map(|r| r[c].as_secs_f64() / r[0].as_secs_f64())
        .collect()
}

/// The median of `values` (the mean of the middle two when their number is even).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let mut quick = false;
    let mut rounds = ROUNDS;
    let mut only: Option<String> = None;
    let mut max_threads = std::env::var("SCALING_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--only" => only = args.next(),
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&r| r > 0)
                    .expect("--rounds R (at least 1)");
            }
            "--threads" => {
                max_threads = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--threads N");
            }
            other => panic!(
                "unknown argument {other}; usage: scaling [--quick] [--threads N] [--rounds R] [--only TEXT]"
            ),
        }
    }
    let max_threads = max_threads.max(1);
    let per_thread = if quick { QUICK_OPS } else { FULL_OPS };
    // The storages' driver tasks live on this runtime; the timed runs use their own.
    let background = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");

    // quick_cache first: the anchor every ratio is taken against, always run. `--only`
    // keeps the other contenders whose name contains its text.
    let wanted = |name: &str| only.as_ref().is_none_or(|o| name.contains(o.as_str()));
    let default_shards = MemoryConfig::default_shards();
    let quick_cache = quick_cache::sync::Cache::new(2_000_000);
    prefill(|k, v| quick_cache.insert(k.to_vec(), v.to_vec()));
    let mut contenders = vec![Contender::Quick(quick_cache)];
    if wanted("hashbrown, 16 shards") {
        let map = ShardedMap::new();
        prefill(|k, v| map.set(k, v));
        contenders.push(Contender::Map(map));
    }
    if wanted("Engine behind one Mutex") {
        let one = Mutex::new(Engine::with_config(SystemClock::new(), engine_config()));
        prefill(|k, v| Shared::set(&one, k, v));
        contenders.push(Contender::OneLock(Box::new(one)));
    }
    for (name, shards) in [
        ("ShardedEngine, 16 shards", 16),
        ("ShardedEngine, 1 shard", 1),
    ] {
        if wanted(name) {
            let sharded = ShardedEngine::new(SystemClock::new(), engine_config(), shards);
            prefill(|k, v| sharded.set(k, v));
            contenders.push(Contender::Sharded(name, sharded));
        }
    }
    for (name, shards) in [
        ("MemoryStorage (async API), default shards", default_shards),
        ("MemoryStorage (async API), 1 shard", 1),
    ] {
        if wanted(name) {
            contenders.push(Contender::Storage(name, storage(shards, &background)));
        }
    }
    let handle = "Storage handle (memory), default shards";
    if wanted(handle) {
        let backend = storage(default_shards, &background);
        contenders.push(Contender::Handle(handle, Storage::new(backend)));
    }

    println!(
        "Shared store of {KEYS} keys, 64-byte values, 90/10 GET/SET uniform, {per_thread} \
         operations per thread; {rounds} interleaved rounds, medians. Default shards here: \
         {default_shards}. Load average at start: {}.",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!();

    // times[threads - 1][round][contender]
    let mut times = vec![vec![vec![Duration::ZERO; contenders.len()]; rounds]; max_threads];
    for (t, by_round) in times.iter_mut().enumerate() {
        let ops: Vec<Arc<Vec<Op>>> = (0..=t)
            .map(|thread| Arc::new(ops_for(thread, per_thread)))
            .collect();
        for (round, row) in by_round.iter_mut().enumerate() {
            // A rotating order: no contender always runs first or right after another.
            for i in 0..contenders.len() {
                let c = (i + round) % contenders.len();
                row[c] = contenders[c].run(&ops);
            }
        }
    }

    print!("| store |");
    for t in 1..=max_threads {
        print!(" {t} thread{} Mops/s |", if t == 1 { "" } else { "s" });
    }
    for t in 1..=max_threads {
        print!(" {t}-thread time vs quick_cache |");
    }
    println!();
    print!("|---|");
    for _ in 0..2 * max_threads {
        print!("---:|");
    }
    println!();
    for (c, contender) in contenders.iter().enumerate() {
        print!("| {} |", contender.name());
        for (t, by_round) in times.iter().enumerate() {
            let time = median(by_round.iter().map(|r| r[c].as_secs_f64()).collect());
            let mops = ((t + 1) * per_thread) as f64 / time / 1e6;
            print!(" {mops:.2} |");
        }
        for by_round in &times {
            print!(" {:.2}x |", median(ratios(by_round, c)));
        }
        println!();
    }
    println!();
    println!(
        "Per round, {max_threads}-thread time vs quick_cache's in the same round (the median is \
         the table's last column):"
    );
    println!();
    for (c, contender) in contenders.iter().enumerate().skip(1) {
        let per_round: Vec<String> = ratios(&times[max_threads - 1], c)
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect();
        println!("- {}: {}", contender.name(), per_round.join(", "));
    }
    println!();
    println!(
        "Load average at end: {}.",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
