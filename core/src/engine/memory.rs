//! The memory budget: admission of growing writes and sampled LRU-like eviction.
//!
//! Eviction follows Redis's approximated LRU: each round samples a few random slots (the
//! slab makes a random key one random number away) and merges them into a small pool of the
//! best candidates seen so far; the best candidate still valid is evicted. The pool carries
//! good candidates across rounds, which is what brings sampling close to exact LRU (see
//! BENCHMARKS.md for the measured hit ratios) at a fraction of its cost: exact LRU would
//! write a linked list on every read.

use alloc::vec::Vec;

use super::Engine;
use crate::command::{CommandFlags, CommandKind};
use crate::config::EvictionPolicy;
use crate::{Clock, Error};

/// Candidates kept between eviction rounds (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;

/// A key worth evicting, remembered by position. Slots move and keys get accessed, so it is
/// only evicted if its slot still holds a key with the same stamp. Under `volatile-ttl` the
/// stamp is the expiry time and the key's version (every write takes a new one from an
/// engine-wide counter) is checked too. Under the other policies the stamp is the eviction
/// stamp alone, read from the dense stamp array without touching the slot: an LRU stamp is
/// the access clock, unique to one access of one key; an LFU stamp can be shared by another
/// key that moved into the slot, but then that key has the same counter, i.e. the same
/// score, and is as good a victim.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    /// Higher is a better victim (idle time, or closeness of expiry).
    score: u64,
    slot: u32,
    /// The key's version, or 0 (never issued) when the policy does not check it.
    version: u64,
    stamp: u64,
}

impl<C: Clock> Engine<C> {
    /// Runs `write` as the command `kind` of the [command table](crate::COMMAND_TABLE):
    /// when the table flags it `DENYOOM`, it is refused with `OutOfMemory` if memory is over
    /// the limit and nothing can be evicted, and after it the engine evicts back under the
    /// limit, never a key the write itself just stored. Other commands run as they are.
    ///
    /// [`execute`](Self::execute) passes every command through here; the typed methods name
    /// the row they implement, so both follow the same flag.
    pub(crate) fn run_as<R>(
        &mut self,
        kind: CommandKind,
        write: impl FnOnce(&mut Self) -> Result<R, Error>,
    ) -> Result<R, Error> {
        if !kind.spec().flags.contains(CommandFlags::DENYOOM) {
            return write(self);
        }
        self.admit_write()?;
        let before = self.version_counter;
        let result = write(self);
        if result.is_ok() {
            self.evict_to_limit(before);
        }
        result
    }

    /// Fails with `OutOfMemory` if memory is over the limit and eviction cannot bring it back.
    fn admit_write(&mut self) -> Result<(), Error> {
        let limit = self.config.eviction_limit();
        if self.used_memory() <= limit {
            return Ok(());
        }
        self.evict_to_limit(u64::MAX);
        if self.used_memory() <= limit {
            Ok(())
        } else {
            Err(Error::OutOfMemory)
        }
    }

    /// Evicts until memory is at or under the limit, or nothing more can go. Keys stamped
    /// with a version above `protect_after` (written since then) are never evicted.
    fn evict_to_limit(&mut self, protect_after: u64) {
        let limit = self.config.eviction_limit();
        while self.used_memory() > limit {
            if !self.evict_one(protect_after) {
                break;
            }
        }
    }

    pub(super) fn random(&mut self) -> u64 {
        // xorshift64*: tiny, fast, good enough to pick sample positions.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Evicts one key according to the policy, never one written after version
    /// `protect_after`; false when no key may be evicted.
    fn evict_one(&mut self, protect_after: u64) -> bool {
        let policy = self.config.eviction_policy;
        let volatile_only = policy.is_volatile();
        if policy == EvictionPolicy::NoEviction
            || self.keys.len() == 0
            || (volatile_only && self.volatile == 0)
        {
            return false;
        }
        // A few rounds: a round can come up empty when every pooled candidate went stale.
        for _ in 0..8 {
            self.fill_pool(policy, volatile_only);
            while let Some(c) = self.eviction_pool.pop() {
                let i = c.slot as usize;
                if i >= self.keys.len() {
                    continue;
                }
                if self.stamp(i, policy) != c.stamp {
                    continue;
                }
                let slot = self.keys.slot(i);
                if (c.version != 0 && slot.version != c.version) || slot.version > protect_after {
                    continue;
                }
                let hash = self.keys.hash(slot.key.as_bytes());
                if self.lfu && self.config.lfu_history {
                    let keys = self.keys.len();
                    self.lfu_history.remember(hash, keys);
                }
                let removed = self.remove_slot_hashed(i, hash);
                self.next_version();
                self.counters.evicted += 1;
                if self.config.keyspace_events {
                    self.pubsub
                        .publish(b"__keyevent@0__:evicted", removed.key.as_bytes());
                }
                return true;
            }
        }
        false
    }

    /// What identifies "untouched since sampled" for this policy.
    fn stamp(&self, i: usize, policy: EvictionPolicy) -> u64 {
        let slot = self.keys.slot(i);
        match policy {
            EvictionPolicy::VolatileTtl => slot.expires_at.map_or(0, |t| t.get()),
            _ => u64::from(self.keys.stamp(i)),
        }
    }

    /// Samples `eviction_samples` slots into the pool, keeping the best `POOL_SIZE`.
    ///
    /// The sampled slots are random positions in a table much larger than the caches, so
    /// each can be a cache miss. Under the `allkeys-*` policies only the dense stamp array is
    /// read (see [`Candidate`]); the `volatile-*` ones read the slots too (the expiry time,
    /// and the version to check later that the slot still holds a key with a TTL). Samples
    /// are read in batches: first every position of the batch is drawn and its fields
    /// loaded (loads that do not depend on each other, which the processor overlaps), and
    /// only then are the candidates scored and merged into the pool, whose data-dependent
    /// branches would otherwise hold back the next load.
    fn fill_pool(&mut self, policy: EvictionPolicy, volatile_only: bool) {
        /// Slots loaded ahead of scoring.
        const BATCH: usize = 8;
        let len = self.keys.len();
        let mut remaining = self.config.eviction_samples.max(1);
        while remaining > 0 {
            let n = remaining.min(BATCH);
            remaining -= n;
            let mut picked = [Sampled::default(); BATCH];
            for sampled in &mut picked[..n] {
                let mut i = self.random_below(len);
                if volatile_only {
                    // Walk forward to the next key with a TTL (bounded: volatile keys may be
                    // rare).
                    let mut steps = 0;
                    while self.keys.slot(i).expires_at.is_none() {
                        i = (i + 1) % len;
                        steps += 1;
                        if steps == len.min(4096) {
                            return;
                        }
                    }
                }
                *sampled = Sampled {
                    slot: i as u32,
                    lru: self.keys.stamp(i),
                    version: 0,
                    expires_at: 0,
                };
                if volatile_only {
                    let slot = self.keys.slot(i);
                    sampled.version = slot.version;
                    sampled.expires_at = slot.expires_at.map_or(0, |t| t.get());
                }
            }
            for sampled in &picked[..n] {
                let (score, stamp) = match policy {
                    EvictionPolicy::VolatileTtl => {
                        let at = if sampled.expires_at == 0 {
                            u64::MAX
                        } else {
                            sampled.expires_at
                        };
                        (u64::MAX - at, sampled.expires_at)
                    }
                    EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu => {
                        let counter =
                            lfu_decayed(sampled.lru, self.lru_clock, self.lfu_decay_shift);
                        (255 - u64::from(counter), u64::from(sampled.lru))
                    }
                    _ => (
                        u64::from(self.lru_clock.wrapping_sub(sampled.lru)),
                        u64::from(sampled.lru),
                    ),
                };
                let candidate = Candidate {
                    score,
                    slot: sampled.slot,
                    version: sampled.version,
                    stamp,
                };
                insert_candidate(&mut self.eviction_pool, candidate);
            }
        }
    }

    /// A uniform random number in `0..n` (`n > 0`), by multiplication rather than division
    /// (Lemire's reduction; the bias is below `n / 2^64`).
    #[inline]
    fn random_below(&mut self, n: usize) -> usize {
        ((u128::from(self.random()) * n as u128) >> 64) as usize
    }
}

/// A sampled slot's eviction fields, loaded before scoring.
#[derive(Clone, Copy, Default)]
struct Sampled {
    slot: u32,
    /// The eviction stamp.
    lru: u32,
    /// The key's version under the `volatile-*` policies, 0 otherwise.
    version: u64,
    /// The expiry time under the `volatile-*` policies; 0 otherwise and when none.
    expires_at: u64,
}

/// An LFU key's counter at its first write (Redis's `LFU_INIT_VAL`): new keys get a chance
/// to be read before they are the first to go.
pub(crate) const LFU_INIT: u8 = 5;

/// An LFU stamp (a key's eviction stamp under the LFU policies): the decay epoch of the last access in
/// the high 24 bits, the logarithmic counter in the low 8.
pub(crate) fn lfu_stamp(epoch: u32, counter: u8) -> u32 {
    (epoch << 8) | u32::from(counter)
}

/// The counter of `stamp`, decayed by the epochs elapsed since it was stamped (the access
/// clock `clock` divided by `2^decay_shift`).
pub(crate) fn lfu_decayed(stamp: u32, clock: u32, decay_shift: u32) -> u8 {
    let now = (clock >> decay_shift) & 0x00FF_FFFF;
    let then = stamp >> 8;
    let elapsed = now.wrapping_sub(then) & 0x00FF_FFFF;
    let counter = (stamp & 0xFF) as u8;
    counter.saturating_sub(u8::try_from(elapsed).unwrap_or(u8::MAX))
}

impl<C: Clock> Engine<C> {
    /// Records an access to slot `i` for eviction: the access clock under the LRU policies;
    /// under the LFU ones the decayed counter, grown logarithmically as Redis's
    /// `LFULogIncr` does.
    #[inline]
    pub(super) fn record_access(&mut self, i: usize) {
        self.lru_clock = self.lru_clock.wrapping_add(1);
        if !self.lfu {
            let clock = self.lru_clock;
            self.keys.set_stamp(i, clock);
            return;
        }
        let (clock, shift) = (self.lru_clock, self.lfu_decay_shift);
        let counter = self.lfu_increment(lfu_decayed(self.keys.stamp(i), clock, shift));
        self.keys.set_stamp(i, lfu_stamp(clock >> shift, counter));
    }

    /// One access's worth of growth of an LFU counter: by 1 with probability
    /// `1 / ((counter - LFU_INIT) × lfu_log_factor + 1)`, as Redis's `LFULogIncr`.
    #[inline]
    fn lfu_increment(&mut self, counter: u8) -> u8 {
        if counter == u8::MAX {
            return counter;
        }
        let base = u64::from(counter.saturating_sub(LFU_INIT));
        let odds = base * u64::from(self.config.lfu_log_factor) + 1;
        // Probability 1 / odds: the random number falls in the first 1/odds of its range
        // (no draw at all when odds is 1, e.g. with factor 0).
        if odds == 1 || (u128::from(self.random()) * u128::from(odds)) >> 64 == 0 {
            counter + 1
        } else {
            counter
        }
    }

    /// The eviction stamp of a key with `hash` written now for the first time: under the
    /// LFU policies, the initial counter; or, when the [history](super::lfu_history) still
    /// remembers the key from its eviction, the initial counter grown by this access, as if
    /// the key had stayed.
    #[inline]
    pub(super) fn new_stamp(&mut self, hash: u64) -> u32 {
        self.lru_clock = self.lru_clock.wrapping_add(1);
        if self.lfu {
            let epoch = self.lru_clock >> self.lfu_decay_shift;
            let counter = if self.lfu_history.recall(hash) {
                self.lfu_increment(LFU_INIT)
            } else {
                LFU_INIT
            };
            lfu_stamp(epoch, counter)
        } else {
            self.lru_clock
        }
    }
}

/// Inserts into the pool kept sorted by ascending score (best victim last), dropping the
/// worst when full; a slot already pooled is replaced by the fresh sample.
fn insert_candidate(pool: &mut Vec<Candidate>, c: Candidate) {
    if pool.len() == POOL_SIZE && pool[0].score >= c.score {
        // No better than the worst kept: not kept (a copy of it already pooled stays as
        // it was, to be checked for staleness when its turn comes).
        return;
    }
    if let Some(existing) = pool.iter_mut().find(|p| p.slot == c.slot) {
        *existing = c;
        pool.sort_unstable_by_key(|p| p.score);
        return;
    }
    if pool.len() == POOL_SIZE {
        if pool[0].score >= c.score {
            return;
        }
        pool.remove(0);
    }
    let at = pool.partition_point(|p| p.score <= c.score);
    pool.insert(at, c);
}
