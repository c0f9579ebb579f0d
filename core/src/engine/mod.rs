//! The engine: a keyspace with Redis semantics, told the time by a [`Clock`].
//!
//! `Engine` is a plain single-threaded state machine (`&mut self` everywhere): hosts decide how
//! to share it (a mutex in `hedgestore-native`, a `RefCell` in `hedgestore-wasm`). Every
//! command family lives in its own file; this one holds the shared plumbing: lookup with lazy
//! expiry, storing, and the bookkeeping (memory, versions, counters) around every mutation.

mod batch;
mod bits;
mod classic;
mod execute;
mod expiry;
mod geo;
mod hash_getset;
mod hash_ttl;
mod hashes;
mod hyperloglog;
mod keys;
mod lfu_history;
mod list_moves;
mod lists;
mod locks;
mod memory;
mod migrate;
mod pubsub;
mod set_algebra;
mod sets;
mod snapshot;
#[cfg(test)]
mod string_layout_tests;
mod strings;
mod zset_algebra;
mod zset_ranges;
mod zsets;

use alloc::vec::Vec;
use core::num::NonZeroU64;

pub use batch::BatchError;
pub use expiry::TimeoutReport;
pub use hashes::FieldValue;
pub use keys::ScanPage;
pub use list_moves::Popped;
pub use locks::{Event, FencingToken, LockHolder};
pub use migrate::KeyEntry;
pub use pubsub::{Message, PubSub, SubscriberId};
pub use set_algebra::SetOp;
pub use zset_algebra::ZSetOp;
pub use zsets::{ScoredMember, ZAddOutcome};

use alloc::collections::VecDeque;

use crate::command::Expiry;
use crate::config::EngineConfig;
use crate::keyspace::{Keyspace, Slot};
use crate::value::Value;
use crate::{Clock, Error, Millis};

/// Counters kept by the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    pub(crate) expired: u64,
    pub(crate) evicted: u64,
}

/// A snapshot of the engine's counters ([`Engine::stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Keys in the keyspace (expired keys not yet removed included, as `DBSIZE`).
    pub keys: usize,
    /// Keys that have a TTL.
    pub keys_with_ttl: usize,
    /// Bytes held, by the formula of [`Engine::used_memory`].
    pub used_memory: usize,
    /// The configured budget.
    pub max_memory: usize,
    /// Reads that found their key.
    pub hits: u64,
    /// Reads that did not.
    pub misses: u64,
    /// Keys removed because their TTL passed (lazily or actively).
    pub expired: u64,
    /// Keys removed to stay under the memory threshold.
    pub evicted: u64,
}

/// An in-memory keyspace with Redis 7 semantics for strings, hashes, lists, sets and sorted
/// sets, with per-key expiry on the time its [`Clock`] reports, a memory budget with
/// eviction, locks with fencing tokens, a pub/sub bus and atomic batches.
///
/// Expired keys are invisible to every command: each access checks the key's deadline and
/// removes it when due (lazy expiry). Active expiry runs when the host calls
/// [`handle_timeout`](Engine::handle_timeout) at [`next_deadline`](Engine::next_deadline).
pub struct Engine<C: Clock> {
    clock: C,
    config: EngineConfig,
    keys: Keyspace,
    /// Σ heap bytes of every slot's key and value.
    heap_bytes: usize,
    /// Source of slot versions; every write stamps the key with the next one.
    version_counter: u64,
    counters: Counters,
    /// Access clock for LRU: advances on every key access.
    lru_clock: u32,
    /// The policy is an LFU one (slots' `lru` hold LFU stamps).
    lfu: bool,
    /// `log2` of the accesses per LFU decay epoch.
    lfu_decay_shift: u32,
    /// Recently evicted keys (LFU policies with `lfu_history`).
    lfu_history: lfu_history::LfuHistory,
    /// Number of keys with a TTL.
    volatile: usize,
    /// Number of hashes with at least one field TTL.
    field_volatile: usize,
    /// State of the sampling generator (xorshift64*).
    rng: u64,
    eviction_pool: Vec<memory::Candidate>,
    expiry: expiry::ExpiryState,
    locks: locks::Locks,
    pubsub: pubsub::PubSub,
    events: VecDeque<Event>,
}

/// What a write does to the key's TTL.
#[derive(Clone, Copy)]
pub(crate) enum TtlChange {
    /// Remove any TTL (`SET` without `KEEPTTL`).
    Clear,
    /// Leave it as it is.
    Keep,
    /// Expire at this absolute time.
    At(NonZeroU64),
}

impl<C: Clock> Engine<C> {
    /// An empty engine with the default [`EngineConfig`], reading time from `clock`.
    pub fn new(clock: C) -> Self {
        Self::with_config(clock, EngineConfig::default())
    }

    /// An empty engine with `config`, reading time from `clock`.
    pub fn with_config(clock: C, config: EngineConfig) -> Self {
        let now = clock.now();
        let lfu = config.eviction_policy.is_lfu();
        let lfu_decay_shift = config.lfu_decay_accesses.max(1).ilog2();
        Self {
            clock,
            rng: config.seed | 1,
            pubsub: pubsub::PubSub::new(config.subscriber_queue_capacity),
            expiry: expiry::ExpiryState::new(now, config.cleanup_interval),
            config,
            keys: Keyspace::new(),
            heap_bytes: 0,
            version_counter: 0,
            counters: Counters::default(),
            lru_clock: 0,
            lfu,
            lfu_decay_shift,
            lfu_history: lfu_history::LfuHistory::new(),
            volatile: 0,
            field_volatile: 0,
            eviction_pool: Vec::new(),
            locks: locks::Locks::default(),
            events: VecDeque::new(),
        }
    }

    /// The settings this engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The counters: keys, memory, hits, misses, expired, evicted.
    pub fn stats(&self) -> Stats {
        Stats {
            keys: self.keys.len(),
            keys_with_ttl: self.volatile,
            used_memory: self.used_memory(),
            max_memory: self.config.max_memory,
            hits: self.counters.hits,
            misses: self.counters.misses,
            expired: self.counters.expired,
            evicted: self.counters.evicted,
        }
    }

    /// The clock this engine reads.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Number of keys, including expired keys not yet removed (as Redis's `DBSIZE`).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the keyspace holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    /// Bytes the engine holds, by this formula (every term is something the engine
    /// allocates; a counting-allocator test keeps it within 10 % of the real total):
    ///
    /// * per key, the table: one slot (`size_of::<Slot>()`, 112 bytes on 64-bit targets), its
    ///   eviction stamp (4 bytes) and one index entry (6 bytes);
    /// * per key, key bytes when longer than 22 (shorter keys are stored inside the slot);
    /// * strings: the value buffer's capacity when longer than 70 bytes (shorter strings are
    ///   stored inside the slot, next to the key);
    /// * hashes: a header, the field table (`buckets × 49 + 16`) and every field and value
    ///   buffer's capacity;
    /// * lists: a header, the ring buffer (`capacity × 24`) and every element's capacity;
    /// * sets: a header, the member array (`capacity × 24`), the position index
    ///   (`buckets × 5 + 16`) and every member's capacity;
    /// * sorted sets: a header, the member → score table (`buckets × 33 + 16`), the chunk
    ///   list (`capacity × 24`), every chunk (`capacity × 32`) and every member's capacity
    ///   twice (the table and the ordered chunks each hold a copy).
    ///
    /// Under the LFU policies with [`lfu_history`](EngineConfig::lfu_history), the history
    /// of evicted keys is counted too (one byte per key of the keyspace, rounded up to a
    /// power of two, once eviction has begun). Locks and pub/sub queues are not counted.
    pub fn used_memory(&self) -> usize {
        self.keys.table_bytes() + self.heap_bytes + self.lfu_history.heap_bytes()
    }

    /// Checks the engine's internal invariants in O(n): every slot is indexed where it lives,
    /// the memory counter equals the formula recomputed from scratch, and no empty hash or
    /// list exists. Meant for tests and fuzzing; a failure is a bug in hedgestore.
    pub fn check_integrity(&self) -> Result<(), &'static str> {
        let mut heap = 0;
        for i in 0..self.keys.len() {
            let slot = self.keys.slot(i);
            if self
                .keys
                .find(self.keys.hash(slot.key.as_bytes()), slot.key.as_bytes())
                != Some(i)
            {
                return Err("a slot is not indexed at its position");
            }
            if slot.value.is_empty_collection() {
                return Err("an empty collection is stored");
            }
            if slot.version == 0 || slot.version > self.version_counter {
                return Err("a slot's version is outside the issued range");
            }
            heap += slot.heap_bytes();
        }
        if heap != self.heap_bytes {
            return Err("memory accounting drifted from the formula");
        }
        let volatile = (0..self.keys.len())
            .filter(|&i| self.keys.slot(i).expires_at.is_some())
            .count();
        if volatile != self.volatile {
            return Err("the count of keys with a TTL drifted");
        }
        let field_volatile = (0..self.keys.len())
            .filter(|&i| has_field_ttls(&self.keys.slot(i).value))
            .count();
        if field_volatile != self.field_volatile {
            return Err("the count of hashes with field TTLs drifted");
        }
        Ok(())
    }

    // ----- shared plumbing -------------------------------------------------------------------

    #[inline]
    fn now(&self) -> Millis {
        self.clock.now()
    }

    fn next_version(&mut self) -> u64 {
        self.version_counter += 1;
        self.version_counter
    }

    /// The slot of `key` if it exists and has not expired; removes it if it has.
    ///
    /// The clock is read only for keys that have a TTL: a persistent key costs no clock
    /// read (on servers, a system call's worth of time per operation).
    #[inline]
    fn live(&mut self, hash: u64, key: &[u8]) -> Option<usize> {
        let i = self.keys.find(hash, key)?;
        if let Some(at) = self.keys.slot(i).expires_at {
            if at.get() <= self.now() {
                self.expire_slot(i);
                return None;
            }
        }
        if let Value::Hash(h) = &self.keys.slot(i).value {
            if h.has_field_ttls() && h.may_have_expired(self.now()) {
                self.purge_fields(i);
                if self.keys.find(hash, key) != Some(i) {
                    return None;
                }
            }
        }
        self.record_access(i);
        Some(i)
    }

    /// [`live`](Self::live) for a key given by bytes, at the current time.
    #[inline]
    fn lookup(&mut self, key: &[u8]) -> Option<usize> {
        let hash = self.keys.hash(key);
        self.live(hash, key)
    }

    /// A read lookup: like [`lookup`](Self::lookup) but counted as a hit or a miss.
    #[inline]
    fn lookup_read(&mut self, key: &[u8]) -> Option<usize> {
        let found = self.lookup(key);
        match found {
            Some(_) => self.counters.hits += 1,
            None => self.counters.misses += 1,
        }
        found
    }

    fn remove_slot(&mut self, i: usize) -> Slot {
        let hash = self.keys.hash(self.keys.slot(i).key.as_bytes());
        self.remove_slot_hashed(i, hash)
    }

    /// [`remove_slot`](Self::remove_slot) for a caller that has already hashed the key.
    fn remove_slot_hashed(&mut self, i: usize, hash: u64) -> Slot {
        let slot = self.keys.remove_hashed(i, hash);
        self.heap_bytes -= slot.heap_bytes();
        if slot.expires_at.is_some() {
            self.volatile -= 1;
        }
        self.field_volatile -= usize::from(has_field_ttls(&slot.value));
        slot
    }

    /// Removes slot `i` because its TTL passed: counted, and announced when keyspace events
    /// are on.
    fn expire_slot(&mut self, i: usize) {
        let slot = self.remove_slot(i);
        self.next_version();
        self.counters.expired += 1;
        if self.config.keyspace_events {
            self.pubsub
                .publish(b"__keyevent@0__:expired", slot.key.as_bytes());
        }
    }

    /// Sets or clears the TTL of slot `i`, keeping the count of keys with a TTL.
    fn set_slot_expiry(&mut self, i: usize, at: Option<NonZeroU64>) {
        let version = self.next_version();
        let slot = self.keys.slot_mut(i);
        match (slot.expires_at.is_some(), at.is_some()) {
            (false, true) => self.volatile += 1,
            (true, false) => self.volatile -= 1,
            _ => {}
        }
        slot.expires_at = at;
        slot.version = version;
    }

    /// Stores `value` at `key` (whose live slot, if any, is `existing`), replacing the old
    /// value whatever its type.
    fn store(
        &mut self,
        hash: u64,
        key: &[u8],
        existing: Option<usize>,
        value: Value,
        ttl: TtlChange,
    ) {
        let version = self.next_version();
        match existing {
            Some(i) => {
                self.record_access(i);
                let slot = self.keys.slot_mut(i);
                let before = slot.value.heap_bytes();
                let had_field_ttls = has_field_ttls(&slot.value);
                slot.value = value;
                let after = slot.value.heap_bytes();
                slot.version = version;
                self.heap_bytes = self.heap_bytes + after - before;
                self.field_volatile = self.field_volatile
                    + usize::from(has_field_ttls(&slot.value))
                    - usize::from(had_field_ttls);
                match ttl {
                    TtlChange::Clear => self.set_slot_expiry(i, None),
                    TtlChange::Keep => {}
                    TtlChange::At(at) => self.set_slot_expiry(i, Some(at)),
                }
            }
            None => {
                let expires_at = match ttl {
                    TtlChange::At(at) => Some(at),
                    TtlChange::Clear | TtlChange::Keep => None,
                };
                self.volatile += usize::from(expires_at.is_some());
                self.field_volatile += usize::from(has_field_ttls(&value));
                let stamp = self.new_stamp(hash);
                let slot = Slot {
                    key: crate::key::Key::new(key),
                    value,
                    expires_at,
                    version,
                };
                self.heap_bytes += slot.heap_bytes();
                self.keys.insert(hash, slot, stamp);
            }
        }
    }

    /// Runs `f` on the value in slot `i`, keeping memory accounting and the key's version up
    /// to date, and removing the key when `f` leaves an empty hash or list behind (Redis never
    /// keeps empty collections).
    fn modify<R>(&mut self, i: usize, f: impl FnOnce(&mut Value) -> R) -> R {
        let version = self.next_version();
        let slot = self.keys.slot_mut(i);
        let before = slot.value.heap_bytes();
        let had_field_ttls = has_field_ttls(&slot.value);
        let r = f(&mut slot.value);
        let after = slot.value.heap_bytes();
        slot.version = version;
        let empty = slot.value.is_empty_collection();
        self.heap_bytes = self.heap_bytes + after - before;
        self.field_volatile = self.field_volatile + usize::from(has_field_ttls(&slot.value))
            - usize::from(had_field_ttls);
        if empty {
            self.remove_slot(i);
        }
        r
    }

    /// Like [`lookup`](Self::lookup), but creates the key with `init()` when missing. Fails
    /// with `WRONGTYPE` when the key holds another type than `init` makes.
    fn lookup_or_create(
        &mut self,
        key: &[u8],
        is_type: fn(&Value) -> bool,
        init: fn() -> Value,
    ) -> Result<usize, Error> {
        let hash = self.keys.hash(key);
        if let Some(i) = self.live(hash, key) {
            return if is_type(&self.keys.slot(i).value) {
                Ok(i)
            } else {
                Err(Error::WrongType)
            };
        }
        self.store(hash, key, None, init(), TtlChange::Keep);
        Ok(self.keys.len() - 1)
    }
}

/// Whether `value` is a hash with at least one field TTL.
fn has_field_ttls(value: &Value) -> bool {
    matches!(value, Value::Hash(h) if h.has_field_ttls())
}

/// Absolute expiry for `SET` and `GETEX` (Redis's `getExpireMillisecondsOrReply`): the
/// amount must be positive and the result must not overflow.
fn expiry_for_set(expiry: Expiry, now: Millis, command: &'static str) -> Result<NonZeroU64, Error> {
    let invalid = Error::InvalidExpireTime(command);
    let (amount, seconds, relative) = match expiry {
        Expiry::Ex(v) => (v, true, true),
        Expiry::Px(v) => (v, false, true),
        Expiry::ExAt(v) => (v, true, false),
        Expiry::PxAt(v) => (v, false, false),
    };
    if amount <= 0 {
        return Err(invalid);
    }
    let mut ms = if seconds {
        amount.checked_mul(1000).ok_or(invalid.clone())?
    } else {
        amount
    };
    if relative {
        ms = ms.checked_add(now as i64).ok_or(invalid.clone())?;
    }
    NonZeroU64::new(ms as u64).ok_or(invalid)
}

/// Absolute expiry for the `EXPIRE` family: negative amounts are allowed (the key is deleted)
/// but unit conversion and addition must not overflow.
fn expiry_for_expire(expiry: Expiry, now: Millis) -> Result<i64, Error> {
    let (name, amount, seconds, relative) = match expiry {
        Expiry::Ex(v) => ("expire", v, true, true),
        Expiry::Px(v) => ("pexpire", v, false, true),
        Expiry::ExAt(v) => ("expireat", v, true, false),
        Expiry::PxAt(v) => ("pexpireat", v, false, false),
    };
    let invalid = Error::InvalidExpireTime(name);
    let ms = if seconds {
        amount.checked_mul(1000).ok_or(invalid.clone())?
    } else {
        amount
    };
    if relative {
        ms.checked_add(now as i64).ok_or(invalid)
    } else {
        Ok(ms)
    }
}
