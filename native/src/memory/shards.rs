//! [`ShardedEngine`]: one keyspace over several engines, each behind its own mutex, so that
//! commands on different keys run in parallel on different cores.
//!
//! # The layout
//!
//! `N` key shards (a key's shard is a hash of the key, or of its `{hash tag}`, see
//! [`route`](super::route)) and, when `N > 1`,
//! one more engine that holds no keys: the *bus*, with the pub/sub registry and the locks.
//! Every subscription, pattern and lock lives in that one engine, so their semantics are
//! exactly the single engine's: a pattern sees every channel, and a lock's fencing tokens
//! grow per name however the keys are spread (and `FLUSHDB`, which empties the key shards,
//! never touches them). With `N = 1` the single shard is also the bus: the storage is the
//! one engine it always was.
//!
//! # Locking
//!
//! The engines are numbered, the bus last, and a call locks every engine it needs in
//! ascending order (so two calls never wait for each other in a cycle), then releases them
//! all when done. A single-key command locks one shard: the fast path. A command or batch
//! whose keys are in several shards locks each of them, and a keyless command over the
//! keyspace (`KEYS`, `SCAN`, `DBSIZE`, `RANDOMKEY`, `FLUSHDB`) locks them all. Whoever holds
//! the locks sees no concurrent change on those shards, so a transaction over several
//! shards is as isolated as on one engine.
//!
//! # Commands across shards
//!
//! A command or transaction whose keys are in several shards runs on a *scratch engine*:
//! its keys are moved out of their shards into a fresh engine (value, expiry, version and,
//! under the LFU policies, access counter, see [`Engine::take_entry`]), the command runs
//! there with the engine's own semantics (and a transaction with its own all-or-nothing
//! rollback), and the keys move back to their shards. A key the command wrote gets a fresh version from its shard (so `WATCH`
//! sees the change); a key it did not write keeps its version. Nobody sees the keys while
//! they are away: their shards are locked. A `PUBLISH` in such a transaction is held back
//! and published on the bus once the transaction succeeded; a transaction that uses a
//! keyless command over the keyspace moves every key of every shard (rare, and linear in
//! the keyspace, as `FLUSHDB`'s undo is on one engine). Cross-shard commands are the slow
//! path; hash tags keep related keys in one shard.
//!
//! # The memory budget
//!
//! Split evenly: each shard gets `max_memory / N` and evicts its own keys when it passes
//! its threshold, as each Redis Cluster node applies its own `maxmemory`. With keys spread
//! by hash, shards fill evenly; the sum of the shards' budgets is the configured one. A
//! command across shards is not refused for memory (the scratch engine has no budget); the
//! shards it wrote to evict on their next write.
//!
//! # Counters
//!
//! [`ShardedEngine::stats`] sums the shards (and the bus, which only counts locks' expiry);
//! hits and misses of commands run on a scratch engine are added too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use hedgestore_core::{
    BatchError, Clock, Command, Engine, EngineConfig, Error, Millis, Reply, Stats,
};

use super::route::{route, Route, Router};

mod locked;
use locked::Guards;
pub(crate) use locked::{Engines, Locked};

/// A version no scratch engine ever gives: marks a key moved in and not written since.
const UNTOUCHED: u64 = u64::MAX;

/// Locks a mutex, ignoring poisoning: every critical section leaves the engine consistent
/// (the engine never panics on input), so a panic elsewhere must not wedge the storage.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One keyspace over several [`Engine`]s, each behind its own mutex (see the module
/// documentation for the layout, the lock order and what crosses shards).
pub struct ShardedEngine<C: Clock> {
    /// The key shards, then the bus (when there is more than one shard).
    engines: Box<[Mutex<Engine<C>>]>,
    shards: usize,
    router: Router,
    clock: C,
    /// The configuration of a scratch engine: the shards', without a memory budget.
    scratch_config: EngineConfig,
    /// Hits and misses counted by scratch engines.
    scratch_hits: AtomicU64,
    scratch_misses: AtomicU64,
    /// State of the generator that picks a shard for `RANDOMKEY`.
    rng: AtomicU64,
}

impl<C: Clock + Clone> ShardedEngine<C> {
    /// `shards` key shards (at least 1) reading time from `clock`, each with `config` and
    /// `config.max_memory / shards` of the budget.
    pub fn new(clock: C, config: EngineConfig, shards: usize) -> Self {
        let shards = shards.max(1);
        let mut shard_config = config.clone();
        shard_config.max_memory = config.max_memory / shards;
        let mut engines: Vec<Mutex<Engine<C>>> = (0..shards)
            .map(|i| {
                let mut c = shard_config.clone();
                // Distinct sampling sequences per shard (eviction, RANDOMKEY).
                c.seed = config.seed.wrapping_add(i as u64);
                Mutex::new(Engine::with_config(clock.clone(), c))
            })
            .collect();
        if shards > 1 {
            engines.push(Mutex::new(Engine::with_config(
                clock.clone(),
                config.clone(),
            )));
        }
        let mut scratch_config = config.clone();
        scratch_config.max_memory = usize::MAX;
        scratch_config.keyspace_events = false;
        Self {
            engines: engines.into_boxed_slice(),
            shards,
            router: Router::new(shards),
            clock,
            scratch_config,
            scratch_hits: AtomicU64::new(0),
            scratch_misses: AtomicU64::new(0),
            rng: AtomicU64::new(config.seed | 1),
        }
    }

    /// The number of key shards.
    #[inline]
    pub fn shards(&self) -> usize {
        self.shards
    }

    /// The clock the engines read.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The shard that holds `key`.
    #[inline]
    pub fn shard_of(&self, key: &[u8]) -> usize {
        self.router.shard_of(key)
    }

    /// The index of the bus engine (pub/sub and locks): the last one.
    pub(crate) fn bus_index(&self) -> usize {
        self.engines.len() - 1
    }

    /// How many engines there are (the shards and the bus): the indexes
    /// [`with_engine`](Self::with_engine) takes.
    pub fn engines(&self) -> usize {
        self.engines.len()
    }

    /// Runs `f` on engine `index` (a shard, or the bus at `engines() - 1`) under its lock.
    ///
    /// # Panics
    ///
    /// When `index` is not below [`engines`](Self::engines).
    pub fn with_engine<R>(&self, index: usize, f: impl FnOnce(&mut Engine<C>) -> R) -> R {
        f(&mut self.lock_engine(index))
    }

    /// Locks engine `index` alone (a call that needs only it).
    #[inline]
    pub(crate) fn lock_engine(&self, index: usize) -> MutexGuard<'_, Engine<C>> {
        lock(&self.engines[index])
    }

    /// Runs `f` on the shard of `key` under its lock: the engine-level fast path for
    /// single-key work (typed engine calls, no [`Command`] needed).
    pub fn with_key<R>(&self, key: &[u8], f: impl FnOnce(&mut Engine<C>) -> R) -> R {
        self.with_engine(self.shard_of(key), f)
    }

    /// Runs `f` on the bus: the engine with the pub/sub registry and the locks.
    pub fn with_bus<R>(&self, f: impl FnOnce(&mut Engine<C>) -> R) -> R {
        self.with_engine(self.bus_index(), f)
    }

    /// Runs `command`, locking the engines it needs.
    pub fn execute(&self, command: Command) -> Result<Reply, Error> {
        let set = self.engines_for(std::slice::from_ref(&command), &[]);
        self.locked(set.as_slice(), |l| l.execute(command))
    }

    /// Runs `commands` atomically (all or nothing) after checking that each watched key still
    /// has the version read with [`key_version`](Self::key_version), as
    /// [`Engine::execute_batch_watched`] does on one engine.
    pub fn execute_batch_watched<K: AsRef<[u8]>>(
        &self,
        watched: &[(K, u64)],
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>, BatchError> {
        let keys: Vec<&[u8]> = watched.iter().map(|(k, _)| k.as_ref()).collect();
        let set = self.engines_for(&commands, &keys);
        self.locked(set.as_slice(), |l| {
            l.execute_batch_watched(watched, commands)
        })
    }

    /// The version of `key` (0 when it does not exist), as [`Engine::key_version`].
    pub fn key_version(&self, key: &[u8]) -> u64 {
        self.with_key(key, |e| e.key_version(key))
    }

    /// The counters summed over every engine (see the module documentation).
    pub fn stats(&self) -> Stats {
        let mut total = Stats::default();
        for (i, engine) in self.engines.iter().enumerate() {
            let s = lock(engine).stats();
            total.keys += s.keys;
            total.keys_with_ttl += s.keys_with_ttl;
            total.used_memory += s.used_memory;
            if i < self.shards {
                total.max_memory += s.max_memory;
            }
            total.hits += s.hits;
            total.misses += s.misses;
            total.expired += s.expired;
            total.evicted += s.evicted;
        }
        total.hits += self.scratch_hits.load(Ordering::Relaxed);
        total.misses += self.scratch_misses.load(Ordering::Relaxed);
        total
    }

    /// The earliest deadline of any engine (see [`Engine::next_deadline`]).
    pub fn next_deadline(&self) -> Option<Millis> {
        (0..self.engines.len())
            .filter_map(|i| self.with_engine(i, |e| e.next_deadline()))
            .min()
    }

    /// Runs one bounded expiry step on every engine whose deadline is at or before `now`,
    /// one engine locked at a time.
    pub fn handle_timeout(&self, now: Millis) {
        for i in 0..self.engines.len() {
            self.locked(&[i], |l| l.handle_timeout(now));
        }
    }

    /// The engines (ascending) that `commands` and the `watched` keys need.
    ///
    /// With one shard, always that one engine, without looking at the commands: the path
    /// of the unsharded storage. With more, a lone command whose row names one key (almost
    /// every command) costs one hash of its key and no allocation.
    pub(crate) fn engines_for(&self, commands: &[Command], watched: &[&[u8]]) -> Engines {
        if self.shards == 1 {
            return Engines::One(0);
        }
        if let ([command], []) = (commands, watched) {
            match route(command) {
                Route::Key(key) => return Engines::One(self.shard_of(key)),
                Route::Bus => return Engines::One(self.bus_index()),
                Route::Keys(keys) if keys.is_empty() => return Engines::One(0),
                Route::All | Route::Keys(_) => {}
            }
        }
        let mut set = Vec::with_capacity(4);
        for key in watched {
            set.push(self.shard_of(key));
        }
        for command in commands {
            match route(command) {
                Route::Bus => set.push(self.bus_index()),
                Route::All => set.extend(0..self.shards),
                Route::Key(key) => set.push(self.shard_of(key)),
                Route::Keys(keys) if keys.is_empty() => set.push(0),
                Route::Keys(keys) => set.extend(keys.iter().map(|k| self.shard_of(k))),
            }
        }
        set.sort_unstable();
        set.dedup();
        Engines::Many(set)
    }

    /// Every engine: what a rewrite of the log or a global operation locks.
    pub(crate) fn all_engines(&self) -> Engines {
        Engines::Many((0..self.engines.len()).collect())
    }

    /// Locks the engines of `set` (ascending, no repeats) and runs `f` with them.
    pub(crate) fn locked<R>(&self, set: &[usize], f: impl FnOnce(&mut Locked<'_, C>) -> R) -> R {
        debug_assert!(set.windows(2).all(|w| w[0] < w[1]), "lock order");
        let guards = match set {
            [i] => Guards::One([(*i, lock(&self.engines[*i]))]),
            _ => Guards::Many(set.iter().map(|&i| (i, lock(&self.engines[i]))).collect()),
        };
        f(&mut Locked {
            owner: self,
            guards,
        })
    }

    fn random(&self) -> u64 {
        // xorshift64*, advanced without a lock (a lost update only repeats a number).
        let mut x = self.rng.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.store(x, Ordering::Relaxed);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
