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
//! its keys are moved out of their shards into a fresh engine (value, expiry and version,
//! see [`Engine::take_entry`]), the command runs there with the engine's own semantics
//! (and a transaction with its own all-or-nothing rollback), and the keys move back to
//! their shards. A key the command wrote gets a fresh version from its shard (so `WATCH`
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

/// The engines a call needs, ascending: one (no allocation: the common case) or several.
pub(crate) enum Engines {
    One(usize),
    Many(Vec<usize>),
}

impl Engines {
    /// The engines' indexes, ascending.
    pub(crate) fn as_slice(&self) -> &[usize] {
        match self {
            Engines::One(i) => std::slice::from_ref(i),
            Engines::Many(set) => set,
        }
    }
}

/// The guards of the engines a call holds, with their indexes: inline for one engine.
enum Guards<'a, C: Clock> {
    One([(usize, MutexGuard<'a, Engine<C>>); 1]),
    Many(Vec<(usize, MutexGuard<'a, Engine<C>>)>),
}

impl<'a, C: Clock> Guards<'a, C> {
    fn as_slice(&self) -> &[(usize, MutexGuard<'a, Engine<C>>)] {
        match self {
            Guards::One(one) => one,
            Guards::Many(many) => many,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [(usize, MutexGuard<'a, Engine<C>>)] {
        match self {
            Guards::One(one) => one,
            Guards::Many(many) => many,
        }
    }
}

/// The engines a call holds locked, and what runs on them.
pub(crate) struct Locked<'a, C: Clock> {
    owner: &'a ShardedEngine<C>,
    guards: Guards<'a, C>,
}

impl<C: Clock + Clone> Locked<'_, C> {
    /// Engine `index`, which the call holds.
    fn engine(&mut self, index: usize) -> &mut Engine<C> {
        let guards = self.guards.as_mut_slice();
        let at = guards
            .iter()
            .position(|(i, _)| *i == index)
            .expect("a call locks every engine it uses before using it");
        &mut guards[at].1
    }

    /// The locked engine, when the call holds exactly one.
    fn single(&mut self) -> Option<&mut Engine<C>> {
        match &mut self.guards {
            Guards::One([(_, engine)]) => Some(engine),
            Guards::Many(_) => None,
        }
    }

    /// The bus, if this call holds it.
    pub(crate) fn bus(&mut self) -> Option<&mut Engine<C>> {
        let bus = self.owner.bus_index();
        self.guards
            .as_mut_slice()
            .iter_mut()
            .find(|(i, _)| *i == bus)
            .map(|(_, e)| &mut **e)
    }

    /// The earliest deadline of the locked engines.
    pub(crate) fn next_deadline(&self) -> Option<Millis> {
        self.guards
            .as_slice()
            .iter()
            .filter_map(|(_, e)| e.next_deadline())
            .min()
    }

    /// Runs one bounded expiry step on each locked engine whose deadline is at or before
    /// `now`.
    pub(crate) fn handle_timeout(&mut self, now: Millis) {
        for (_, engine) in self.guards.as_mut_slice() {
            if engine.next_deadline().is_some_and(|d| d <= now) {
                engine.handle_timeout(now);
            }
        }
    }

    /// The version of `key`, whose shard the call holds.
    pub(crate) fn key_version(&mut self, key: &[u8]) -> u64 {
        let shard = self.owner.shard_of(key);
        self.engine(shard).key_version(key)
    }

    /// Calls `emit` with the commands that rebuild every locked shard's keys (for a log
    /// rewrite, with every engine locked).
    pub(crate) fn rebuild_commands(&self, emit: &mut dyn FnMut(Command)) {
        for (i, engine) in self.guards.as_slice() {
            if *i < self.owner.shards {
                engine.rebuild_commands(&mut *emit);
            }
        }
    }

    /// Runs `command` on the locked engines.
    pub(crate) fn execute(&mut self, command: Command) -> Result<Reply, Error> {
        if let Some(engine) = self.single() {
            return engine.execute(command);
        }
        match route(&command) {
            Route::All => self.execute_all(command),
            Route::Bus => {
                let bus = self.owner.bus_index();
                self.engine(bus).execute(command)
            }
            Route::Key(key) => {
                let shard = self.owner.shard_of(key);
                self.engine(shard).execute(command)
            }
            Route::Keys(keys) => {
                let mut keys: Vec<Vec<u8>> = keys.into_iter().map(<[u8]>::to_vec).collect();
                keys.sort_unstable();
                keys.dedup();
                self.on_scratch(&keys, |scratch| scratch.execute(command))
            }
        }
    }

    /// Runs `commands` atomically on the locked engines, after the watch check.
    pub(crate) fn execute_batch_watched<K: AsRef<[u8]>>(
        &mut self,
        watched: &[(K, u64)],
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>, BatchError> {
        if let Some(engine) = self.single() {
            return engine.execute_batch_watched(watched, commands);
        }
        for (key, version) in watched {
            let key = key.as_ref();
            let shard = self.owner.shard_of(key);
            if self.engine(shard).key_version(key) != *version {
                return Err(BatchError::Conflict { key: key.to_vec() });
            }
        }
        let mut keys: Vec<Vec<u8>> = Vec::new();
        let mut global = false;
        let mut held_back = Vec::new();
        let mut commands = commands;
        for (index, command) in commands.iter_mut().enumerate() {
            match route(command) {
                Route::All => global = true,
                Route::Key(k) => keys.push(k.to_vec()),
                Route::Keys(k) => keys.extend(k.into_iter().map(<[u8]>::to_vec)),
                Route::Bus => {
                    if matches!(
                        command,
                        Command::Publish { .. }
                            | Command::PubSubChannels { .. }
                            | Command::PubSubNumSub { .. }
                            | Command::PubSubNumPat
                    ) {
                        let placeholder = Command::Ping { message: None };
                        held_back.push((index, std::mem::replace(command, placeholder)));
                    }
                }
            }
        }
        if global {
            keys = self.all_keys();
        }
        keys.sort_unstable();
        keys.dedup();
        let mut replies = self.on_scratch(&keys, |scratch| scratch.execute_batch(commands))?;
        let bus = self.owner.bus_index();
        for (index, command) in held_back {
            // Pub/sub commands never fail on a valid command.
            replies[index] = self.engine(bus).execute(command).unwrap_or(Reply::Nil);
        }
        Ok(replies)
    }

    /// Every live key of every locked shard.
    fn all_keys(&mut self) -> Vec<Vec<u8>> {
        let shards = self.owner.shards;
        let mut keys = Vec::new();
        for (i, engine) in self.guards.as_mut_slice() {
            if *i < shards {
                keys.extend(engine.keys(b"*").unwrap_or_default());
            }
        }
        keys
    }

    /// Moves `keys` (sorted, no repeats) from their shards into a scratch engine, runs `run`
    /// there, and moves them back: a key written there gets a fresh version from its shard,
    /// the others keep theirs.
    fn on_scratch<R>(&mut self, keys: &[Vec<u8>], run: impl FnOnce(&mut Engine<C>) -> R) -> R {
        let owner = self.owner;
        let mut scratch = Engine::with_config(owner.clock.clone(), owner.scratch_config.clone());
        let mut versions = Vec::with_capacity(keys.len());
        for key in keys {
            let shard = owner.shard_of(key);
            let entry = self.engine(shard).take_entry(key);
            versions.push(entry.as_ref().map(|e| e.version()));
            if let Some(entry) = entry {
                scratch.put_entry(key, entry, Some(UNTOUCHED));
            }
        }
        let result = run(&mut scratch);
        for (key, original) in keys.iter().zip(versions) {
            let Some(entry) = scratch.take_entry(key) else {
                continue;
            };
            let version = match (entry.version(), original) {
                (UNTOUCHED, Some(v)) => Some(v),
                _ => None,
            };
            let shard = owner.shard_of(key);
            self.engine(shard).put_entry(key, entry, version);
        }
        let stats = scratch.stats();
        owner.scratch_hits.fetch_add(stats.hits, Ordering::Relaxed);
        owner
            .scratch_misses
            .fetch_add(stats.misses, Ordering::Relaxed);
        result
    }

    /// `KEYS`, `SCAN`, `DBSIZE`, `RANDOMKEY`, `FLUSHDB`, `FLUSHALL` over every shard (all
    /// locked).
    fn execute_all(&mut self, command: Command) -> Result<Reply, Error> {
        let shards = self.owner.shards;
        match command {
            Command::DbSize => {
                let n: usize = (0..shards).map(|i| self.engine(i).len()).sum();
                Ok(Reply::Int(n as i64))
            }
            Command::FlushDb | Command::FlushAll => {
                for i in 0..shards {
                    self.engine(i).flushdb();
                }
                Ok(Reply::Ok)
            }
            Command::Keys { pattern } => {
                let mut keys = Vec::new();
                for i in 0..shards {
                    keys.extend(self.engine(i).keys(&pattern)?);
                }
                Ok(Reply::Array(keys.into_iter().map(Reply::Bulk).collect()))
            }
            Command::RandomKey => {
                let total: usize = (0..shards).map(|i| self.engine(i).len()).sum();
                if total == 0 {
                    return Ok(Reply::Nil);
                }
                // A shard chosen in proportion to its keys, then the next ones if its keys
                // all turned out expired.
                let mut pick = (self.owner.random() % total as u64) as usize;
                let mut first = 0;
                for i in 0..shards {
                    let len = self.engine(i).len();
                    if pick < len {
                        first = i;
                        break;
                    }
                    pick -= len;
                }
                for step in 0..shards {
                    let i = (first + step) % shards;
                    if let Some(key) = self.engine(i).randomkey() {
                        return Ok(Reply::Bulk(key));
                    }
                }
                Ok(Reply::Nil)
            }
            Command::Scan {
                cursor,
                pattern,
                count,
                key_type,
            } => self.scan(cursor, pattern.as_deref(), count, key_type),
            other => {
                // Not a keyspace-wide command: runs on the first shard.
                self.engine(0).execute(other)
            }
        }
    }

    /// `SCAN` over the shards in order. The cursor is `inner × N + shard`: the shard being
    /// walked and that shard's own cursor (0 at its start), so 0 starts and ends the walk.
    /// One call visits at most `COUNT` slots of a shard and moves on to the next shard while
    /// its page has fewer than `COUNT` keys, never returning more than `COUNT` keys.
    fn scan(
        &mut self,
        cursor: u64,
        pattern: Option<&[u8]>,
        count: Option<usize>,
        key_type: Option<hedgestore_core::KeyType>,
    ) -> Result<Reply, Error> {
        let n = self.owner.shards as u64;
        let mut shard = cursor % n;
        let mut inner = cursor / n;
        let wanted = count.unwrap_or(10).max(1);
        let mut keys = Vec::new();
        let next = loop {
            // What is left of this call's `COUNT`: a page never holds more keys than that.
            let budget = Some(wanted - keys.len());
            let page = self
                .engine(shard as usize)
                .scan(inner, pattern, budget, key_type)?;
            keys.extend(page.keys);
            if page.cursor != 0 {
                break page.cursor.saturating_mul(n).saturating_add(shard);
            }
            shard += 1;
            inner = 0;
            if shard == n {
                break 0;
            }
            if keys.len() >= wanted {
                break shard;
            }
        };
        Ok(Reply::Array(vec![
            Reply::Bulk(next.to_string().into_bytes()),
            Reply::Array(keys.into_iter().map(Reply::Bulk).collect()),
        ]))
    }
}
