//! Engine settings and their defaults (1 GiB budget, eviction from 90 %, sampled LRU, a full
//! expiry sweep every 60 s).

use crate::Millis;

/// Which keys the engine evicts when memory passes the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvictionPolicy {
    /// Any key, least recently used first (sampled, as Redis's `allkeys-lru`). The default.
    #[default]
    AllKeysLru,
    /// Only keys with a TTL, least recently used first (`volatile-lru`).
    VolatileLru,
    /// Only keys with a TTL, nearest expiry first (`volatile-ttl`).
    VolatileTtl,
    /// Any key, least frequently used first (sampled, as Redis's `allkeys-lfu`): each key
    /// keeps Redis's logarithmic 8-bit access counter, which decays with time, so a key read
    /// often stays while a burst of one-off keys passes through. The better choice for a
    /// cache whose popular keys stay popular (see BENCHMARKS.md for hit ratios).
    AllKeysLfu,
    /// Only keys with a TTL, least frequently used first (`volatile-lfu`).
    VolatileLfu,
    /// Never evict: writes that may grow memory fail with [`Error::OutOfMemory`]
    /// (`noeviction`); reads and deletes keep working.
    ///
    /// [`Error::OutOfMemory`]: crate::Error::OutOfMemory
    NoEviction,
}

/// Settings of an [`Engine`](crate::Engine). Build with struct update syntax:
/// `EngineConfig { max_memory: 64 << 20, ..EngineConfig::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Memory budget in bytes (as [`Engine::used_memory`](crate::Engine::used_memory) counts
    /// them). Default 1 GiB.
    pub max_memory: usize,
    /// Eviction starts when usage passes this percentage of `max_memory` (1–100). Default 90.
    pub eviction_threshold_percent: u8,
    /// What to evict. Default [`EvictionPolicy::AllKeysLru`].
    pub eviction_policy: EvictionPolicy,
    /// Keys sampled per eviction (Redis's `maxmemory-samples`). More samples approximate
    /// exact LRU more closely and cost more per eviction. Default 5.
    pub eviction_samples: usize,
    /// How often active expiry runs while keys with a TTL exist (Redis runs it 10×/s).
    /// Default 100 ms.
    pub active_expire_interval: Millis,
    /// At most this many slots are examined per [`handle_timeout`] call, so no call pauses
    /// in proportion to the keyspace. Default 1000.
    ///
    /// [`handle_timeout`]: crate::Engine::handle_timeout
    pub expire_work_budget: usize,
    /// Periodic cleanup: at least once per interval the whole keyspace is swept for expired
    /// keys (in budget-sized steps), so an expired key nobody reads again is reclaimed within
    /// about one interval while the host drives `handle_timeout`. Default 60 s.
    pub cleanup_interval: Millis,
    /// Capacity of each subscriber's message queue; a full queue drops its oldest message
    /// and counts it as lag. Default 1024.
    pub subscriber_queue_capacity: usize,
    /// Publish `expired` and `evicted` events on `__keyevent@0__:expired` /
    /// `__keyevent@0__:evicted` (payload: the key). Default off.
    pub keyspace_events: bool,
    /// Seed of the sampling generator (eviction); fixed by default so runs are reproducible.
    pub seed: u64,
    /// LFU policies: a key's access counter grows with probability `1 / (n × factor + 1)`,
    /// `n` being how far it is above its initial value 5 (Redis's `lfu-log-factor`). Default
    /// 0: every access counts, and the counter saturates after 250 of them. What the policy
    /// has to tell apart in a cache is keys read a few times from keys read once, which an
    /// exact count does best: on the Zipf cache trace of BENCHMARKS.md, 0 measured 0.05–0.2
    /// points above 1, and Redis's default 10 (saturating after about a million accesses)
    /// 1.5 points below.
    pub lfu_log_factor: u32,
    /// LFU policies: a key's counter loses 1 for every this many engine accesses it was not
    /// used (Redis counts minutes, `lfu-decay-time`; the engine has no wall clock per access,
    /// so it counts accesses; rounded down to a power of two). Default 2,097,152 (2^21; 2^20
    /// measured 0.1 points lower on the trace above, longer epochs no better).
    pub lfu_decay_accesses: u32,
    /// LFU policies: remember which keys were evicted recently (a one-byte fingerprint per
    /// key of the keyspace, rounded up to a power of two, once eviction begins; counted in
    /// `used_memory()`), so a key evicted and written again soon starts one step above a
    /// key never seen instead of level with it. Not in Redis,
    /// whose LFU forgets; on the Zipf cache trace of BENCHMARKS.md it raises the hit ratio
    /// of `AllKeysLfu` by 0.3–0.4 points, past quick_cache's. Default on; off is Redis's
    /// LFU exactly.
    pub lfu_history: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_memory: 1 << 30,
            eviction_threshold_percent: 90,
            eviction_policy: EvictionPolicy::AllKeysLru,
            eviction_samples: 5,
            active_expire_interval: 100,
            expire_work_budget: 1000,
            cleanup_interval: 60_000,
            subscriber_queue_capacity: 1024,
            keyspace_events: false,
            seed: 0x9E37_79B9_7F4A_7C15,
            lfu_log_factor: 0,
            lfu_decay_accesses: 1 << 21,
            lfu_history: true,
        }
    }
}

impl EvictionPolicy {
    /// Whether it evicts by access frequency (the LFU policies).
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu
        )
    }

    /// Whether it evicts only keys with a TTL.
    pub fn is_volatile(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru | EvictionPolicy::VolatileTtl | EvictionPolicy::VolatileLfu
        )
    }
}

impl EngineConfig {
    /// The byte count past which writes trigger eviction.
    pub fn eviction_limit(&self) -> usize {
        let pct = usize::from(self.eviction_threshold_percent.clamp(1, 100));
        (self.max_memory / 100).saturating_mul(pct) + (self.max_memory % 100) * pct / 100
    }
}
