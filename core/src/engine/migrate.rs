//! Moving a key between engines, for hosts that shard one keyspace over several engines.
//!
//! A command whose keys live in different engines runs on a scratch engine: the host takes
//! each key out of its home engine ([`Engine::take_entry`]), puts it into the scratch engine
//! ([`Engine::put_entry`]), runs the command there, and moves the keys back the same way. The
//! entry carries the value, the expiry and the version, so nothing about a key changes by
//! moving it; the host decides which version a key gets back (its own, or a fresh one from
//! the home engine when the command wrote it).
//!
//! The eviction stamp moves as far as it means something in another engine: under the LFU
//! policies the key's (decayed) access counter goes with it, so a hot key touched by a
//! command across shards stays hot; under the LRU policies a stamp is a position on its
//! engine's own access clock, so the key lands as just accessed (which it was).

use core::num::NonZeroU64;

use super::memory::{lfu_decayed, lfu_stamp};
use super::{Engine, TtlChange};
use crate::value::Value;
use crate::Clock;

/// A key's value, absolute expiry and version, taken out of an engine by
/// [`Engine::take_entry`] and put into one by [`Engine::put_entry`].
pub struct KeyEntry {
    value: Value,
    expires_at: Option<NonZeroU64>,
    version: u64,
    /// The LFU access counter, decayed to the moment it was taken, when the engine it came
    /// from runs an LFU policy.
    lfu_counter: Option<u8>,
}

impl KeyEntry {
    /// The version the key had in the engine it was taken from (see
    /// [`Engine::key_version`]).
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl<C: Clock> Engine<C> {
    /// Removes `key` and returns its entry, or `None` when it does not exist (an expired key
    /// is removed as on any access). Not a write: no version is consumed and no counter moves
    /// but the expiry one.
    pub fn take_entry(&mut self, key: &[u8]) -> Option<KeyEntry> {
        let i = self.lookup(key)?;
        let lfu_counter = self
            .lfu
            .then(|| lfu_decayed(self.keys.stamp(i), self.lru_clock, self.lfu_decay_shift));
        let slot = self.remove_slot(i);
        Some(KeyEntry {
            value: slot.value,
            expires_at: slot.expires_at,
            version: slot.version,
            lfu_counter,
        })
    }

    /// Stores `entry` at `key`, replacing whatever is there, with its expiry and with
    /// `version` (`None`: a fresh version of this engine, as a write gets). Not admitted
    /// against the memory budget: it puts back what was taken out. Under an LFU policy the
    /// key keeps the access counter it was taken with (see the module documentation).
    pub fn put_entry(&mut self, key: &[u8], entry: KeyEntry, version: Option<u64>) {
        let hash = self.keys.hash(key);
        if let Some(i) = self.keys.find(hash, key) {
            self.remove_slot_hashed(i, hash);
        }
        let ttl = entry.expires_at.map_or(TtlChange::Clear, TtlChange::At);
        self.store(hash, key, None, entry.value, ttl);
        // A new key is stored in the last slot.
        let i = self.keys.len() - 1;
        if let Some(version) = version {
            self.keys.slot_mut(i).version = version;
        }
        if let (true, Some(counter)) = (self.lfu, entry.lfu_counter) {
            let epoch = self.lru_clock >> self.lfu_decay_shift;
            self.keys.set_stamp(i, lfu_stamp(epoch, counter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{ExpireCondition, Expiry, SetOptions};
    use crate::config::{EngineConfig, EvictionPolicy};
    use crate::ManualClock;

    fn lfu_engine(seed: u64) -> Engine<ManualClock> {
        Engine::with_config(
            ManualClock::new(0),
            EngineConfig {
                eviction_policy: EvictionPolicy::AllKeysLfu,
                seed,
                ..EngineConfig::default()
            },
        )
    }

    /// The key's decayed LFU counter in `e`.
    fn counter(e: &Engine<ManualClock>, key: &[u8]) -> u8 {
        let i = e.keys.find(e.keys.hash(key), key).expect("key exists");
        lfu_decayed(e.keys.stamp(i), e.lru_clock, e.lfu_decay_shift)
    }

    #[test]
    fn a_moved_key_keeps_its_value_expiry_version_and_lfu_counter() {
        let mut home = lfu_engine(1);
        let mut scratch = lfu_engine(2);
        home.set(b"hot", b"v", SetOptions::default()).unwrap();
        let at = Expiry::PxAt(1_000_000);
        assert!(home.expire(b"hot", at, ExpireCondition::Always).unwrap());
        // With lfu_log_factor 0 every access counts.
        for _ in 0..50 {
            home.get(b"hot").unwrap();
        }
        let version = home.key_version(b"hot");
        let entry = home.take_entry(b"hot").expect("the key exists");
        // take_entry's own lookup is an access too.
        let taken = entry.lfu_counter.expect("an LFU engine");
        assert!(taken > 50, "{taken}");
        scratch.put_entry(b"hot", entry, None);
        // Read before anything else: every lookup below is an access and counts.
        assert_eq!(counter(&scratch, b"hot"), taken);
        assert_eq!(home.key_version(b"hot"), 0, "taken out");
        assert_eq!(scratch.pttl(b"hot"), 1_000_000);
        assert_eq!(scratch.get(b"hot").unwrap(), Some(b"v".to_vec()));
        scratch.check_integrity().unwrap();

        // And back home, with the version it had there.
        let entry = scratch.take_entry(b"hot").expect("the key exists");
        let back = entry.lfu_counter.expect("an LFU engine");
        home.put_entry(b"hot", entry, Some(version));
        assert_eq!(counter(&home, b"hot"), back);
        assert_eq!(home.key_version(b"hot"), version);
        assert_eq!(home.pttl(b"hot"), 1_000_000);
        home.check_integrity().unwrap();
        scratch.check_integrity().unwrap();
    }
}
