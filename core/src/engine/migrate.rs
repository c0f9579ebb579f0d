//! Moving a key between engines, for hosts that shard one keyspace over several engines.
//!
//! A command whose keys live in different engines runs on a scratch engine: the host takes
//! each key out of its home engine ([`Engine::take_entry`]), puts it into the scratch engine
//! ([`Engine::put_entry`]), runs the command there, and moves the keys back the same way. The
//! entry carries the value, the expiry and the version, so nothing about a key changes by
//! moving it; the host decides which version a key gets back (its own, or a fresh one from
//! the home engine when the command wrote it).

use core::num::NonZeroU64;

use super::{Engine, TtlChange};
use crate::value::Value;
use crate::Clock;

/// A key's value, absolute expiry and version, taken out of an engine by
/// [`Engine::take_entry`] and put into one by [`Engine::put_entry`].
pub struct KeyEntry {
    value: Value,
    expires_at: Option<NonZeroU64>,
    version: u64,
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
        let slot = self.remove_slot(i);
        Some(KeyEntry {
            value: slot.value,
            expires_at: slot.expires_at,
            version: slot.version,
        })
    }

    /// Stores `entry` at `key`, replacing whatever is there, with its expiry and with
    /// `version` (`None`: a fresh version of this engine, as a write gets). Not admitted
    /// against the memory budget: it puts back what was taken out.
    pub fn put_entry(&mut self, key: &[u8], entry: KeyEntry, version: Option<u64>) {
        let hash = self.keys.hash(key);
        if let Some(i) = self.keys.find(hash, key) {
            self.remove_slot(i);
        }
        let ttl = entry.expires_at.map_or(TtlChange::Clear, TtlChange::At);
        self.store(hash, key, None, entry.value, ttl);
        if let Some(version) = version {
            let i = self.keys.len() - 1;
            self.keys.slot_mut(i).version = version;
        }
    }
}
