//! The LFU policies' memory of evicted keys (`EngineConfig::lfu_history`).
//!
//! Redis's LFU forgets a key when it evicts it: if the key comes back (a read-through cache
//! stores it again on its next miss), it starts over at the initial counter, level with keys
//! that were never read twice. On a skewed workload with a cache smaller than the set of
//! warm keys, the moderately popular keys cycle through exactly that way, and each time
//! they compete with one-off keys on equal terms. The history remembers recently evicted
//! keys; a key written again while remembered counts its return as an access (its counter
//! starts one logarithmic step above the initial one), so it outranks keys seen once. Admission-
//! aware caches keep the same kind of memory (TinyLFU's frequency sketch in moka, the ghost
//! entries of CLOCK-Pro in quick_cache).
//!
//! Only the fact is kept, not the counter: the policy evicts the keys with the lowest
//! counters, so an evicted key's counter is almost always the initial one (measured: storing
//! it changed nothing on the benchmark trace). It is a direct-mapped table of one byte per
//! key of the keyspace (rounded up to a power of two), holding 8 bits of the key's hash as a
//! fingerprint. A newer eviction overwrites an older one in the same entry, and a
//! fingerprint can match another key (1 in 255 of the occupied entries): both only make the
//! estimate fuzzier, never wrong in a way a command could see. The table exists only once
//! an LFU policy has evicted, and `used_memory()` counts its bytes.

use alloc::vec;
use alloc::vec::Vec;

/// Fingerprints of recently evicted keys, by hash; 0 is an empty entry.
pub(crate) struct LfuHistory {
    entries: Vec<u8>,
}

impl LfuHistory {
    pub(crate) const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Bytes allocated.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.capacity()
    }

    /// Drops everything remembered and the table.
    pub(crate) fn clear(&mut self) {
        self.entries = Vec::new();
    }

    /// Entry position and fingerprint (never 0) of `hash`: the position takes the low bits,
    /// as the keyspace's own index does, the fingerprint 8 bits above 32.
    #[inline]
    fn locate(&self, hash: u64) -> (usize, u8) {
        let at = (hash as usize) & (self.entries.len() - 1);
        let fingerprint = ((hash >> 32) as u8).max(1);
        (at, fingerprint)
    }

    /// Remembers that the key with `hash` was evicted. `keys` (the keyspace's size) sizes
    /// the table: it is (re)built, forgetting what it held, when it has fewer entries.
    pub(crate) fn remember(&mut self, hash: u64, keys: usize) {
        let wanted = keys.max(1).next_power_of_two();
        if self.entries.len() < wanted {
            self.entries = vec![0; wanted];
        }
        let (at, fingerprint) = self.locate(hash);
        self.entries[at] = fingerprint;
    }

    /// Whether the key with `hash` would be recalled, without forgetting it.
    #[cfg(test)]
    fn remembers(&self, hash: u64) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let (at, fingerprint) = self.locate(hash);
        self.entries[at] == fingerprint
    }

    /// Whether the key with `hash` is remembered; it is forgotten either way.
    #[inline]
    pub(crate) fn recall(&mut self, hash: u64) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let (at, fingerprint) = self.locate(hash);
        let found = self.entries[at] == fingerprint;
        if found {
            self.entries[at] = 0;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_key_is_recalled_once() {
        let mut h = LfuHistory::new();
        assert!(!h.recall(42));
        h.remember(0x1234_5678_0000_0007, 100);
        assert_eq!(h.heap_bytes(), 128);
        assert!(!h.recall(0x1299_0000_0000_0007), "other fingerprint");
        assert!(h.recall(0x1234_5678_0000_0007));
        assert!(!h.recall(0x1234_5678_0000_0007), "forgotten once recalled");
        // A fingerprint of 0 is stored as 1, so it is not mistaken for an empty entry.
        h.remember(0x0000_0000_0000_0003, 100);
        assert!(h.recall(0x0000_0000_0000_0003));
    }

    #[test]
    fn growing_the_keyspace_rebuilds_the_table() {
        let mut h = LfuHistory::new();
        h.remember(1 << 32 | 1, 10);
        assert_eq!(h.heap_bytes(), 16);
        h.remember(2 << 32 | 2, 1000);
        assert_eq!(h.heap_bytes(), 1024);
        assert!(!h.recall(1 << 32 | 1));
        assert!(h.recall(2 << 32 | 2));
        h.clear();
        assert_eq!(h.heap_bytes(), 0);
        assert!(!h.recall(2 << 32 | 2));
    }

    /// An engine under `AllKeysLfu` with room for a few hundred keys, filled past it.
    fn evicting_engine(history: bool) -> crate::Engine<crate::ManualClock> {
        let mut e = crate::Engine::with_config(
            crate::ManualClock::new(0),
            crate::EngineConfig {
                max_memory: 64 << 10,
                eviction_policy: crate::EvictionPolicy::AllKeysLfu,
                lfu_history: history,
                ..crate::EngineConfig::default()
            },
        );
        for i in 0..2000u32 {
            e.set(&i.to_be_bytes(), b"v", crate::SetOptions::default())
                .unwrap();
        }
        assert!(e.stats().evicted > 0);
        e
    }

    /// The counter of `key`'s LFU stamp.
    fn counter(e: &crate::Engine<crate::ManualClock>, key: &[u8]) -> u8 {
        let i = e.keys.find(e.keys.hash(key), key).expect("present");
        (e.keys.stamp(i) & 0xFF) as u8
    }

    /// Writes one more key and returns the keys that write evicted (the most recent
    /// evictions: nothing evicted later can have overwritten their entries in the
    /// direct-mapped table, except one another), then deletes 100 present keys so that
    /// writing a few keys back evicts nothing more.
    fn evict_some_then_make_room(e: &mut crate::Engine<crate::ManualClock>) -> Vec<[u8; 4]> {
        let present = |e: &crate::Engine<crate::ManualClock>, k: &[u8; 4]| {
            e.keys.find(e.keys.hash(k), k).is_some()
        };
        let keys: Vec<[u8; 4]> = (0..3000u32).map(u32::to_be_bytes).collect();
        let before: Vec<bool> = keys.iter().map(|k| present(e, k)).collect();
        let mut next = 2000u32;
        let evicted = loop {
            e.set(&next.to_be_bytes(), b"v", crate::SetOptions::default())
                .unwrap();
            next += 1;
            let evicted: Vec<[u8; 4]> = keys
                .iter()
                .zip(&before)
                .filter(|(k, &was)| was && !present(e, k))
                .map(|(k, _)| *k)
                .collect();
            if !evicted.is_empty() {
                break evicted;
            }
        };
        let room: Vec<[u8; 4]> = keys
            .iter()
            .filter(|k| present(e, k))
            .take(100)
            .copied()
            .collect();
        assert_eq!(e.del(&room), 100);
        evicted
    }

    #[test]
    fn a_key_written_again_after_its_eviction_starts_one_access_up() {
        use crate::engine::memory::LFU_INIT;
        let mut e = evicting_engine(true);
        let evicted = evict_some_then_make_room(&mut e);
        let evictions = e.stats().evicted;
        // The last write's evictions are remembered (two of them sharing an entry keep
        // the later one only): every key written back that is remembered starts one
        // access up (lfu_log_factor 0, the default: the return always counts), and at
        // least one is.
        let mut returned = 0;
        for back in &evicted {
            let remembered = e.lfu_history.remembers(e.keys.hash(back));
            e.set(back, b"v", crate::SetOptions::default()).unwrap();
            let expected = if remembered { LFU_INIT + 1 } else { LFU_INIT };
            assert_eq!(counter(&e, back), expected);
            returned += usize::from(remembered);
        }
        assert!(
            returned >= 1,
            "none of {} fresh evictions remembered",
            evicted.len()
        );
        assert_eq!(
            e.stats().evicted,
            evictions,
            "writing them back evicted nothing"
        );
        // A key never seen starts at the initial counter (one whose fingerprint matches
        // nothing in the table: 1 in 255 occupied entries would match by chance).
        let fresh = (0u32..)
            .map(|i| alloc::format!("never seen {i}").into_bytes())
            .find(|k| !e.lfu_history.remembers(e.keys.hash(k)))
            .expect("a key the table does not match");
        e.set(&fresh, b"v", crate::SetOptions::default()).unwrap();
        assert_eq!(counter(&e, &fresh), LFU_INIT);
        // The table is counted: one byte per key, rounded up to a power of two.
        let table = e.lfu_history.heap_bytes();
        assert!(table >= e.len() && table.is_power_of_two());
        assert_eq!(e.used_memory(), e.keys.table_bytes() + e.heap_bytes + table);
        e.check_integrity().unwrap();
        e.flushdb();
        assert_eq!(e.used_memory(), 0, "FLUSHDB drops the history too");
    }

    #[test]
    fn without_the_history_a_returning_key_starts_over_as_in_redis() {
        use crate::engine::memory::LFU_INIT;
        let mut e = evicting_engine(false);
        for back in evict_some_then_make_room(&mut e) {
            e.set(&back, b"v", crate::SetOptions::default()).unwrap();
            assert_eq!(counter(&e, &back), LFU_INIT);
        }
        assert_eq!(e.lfu_history.heap_bytes(), 0);
    }
}
