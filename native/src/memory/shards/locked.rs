//! The engines one call holds locked ([`Locked`]), and what runs on them: a command on one
//! engine directly, a command or transaction across shards on a scratch engine, and the
//! keyless commands over the whole keyspace (`KEYS`, `SCAN`, `DBSIZE`, `RANDOMKEY`,
//! `FLUSHDB`). See the parent module for the layout and the lock order.

use std::sync::atomic::Ordering;
use std::sync::MutexGuard;

use hedgestore_core::{BatchError, Clock, Command, Engine, Error, Millis, Reply};

use super::super::route::{route, Route};
use super::{ShardedEngine, UNTOUCHED};

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
pub(super) enum Guards<'a, C: Clock> {
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
    pub(super) owner: &'a ShardedEngine<C>,
    pub(super) guards: Guards<'a, C>,
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
