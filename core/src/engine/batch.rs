//! Atomic batches: all commands apply, or none does.
//!
//! Before a write in the batch runs, the keys it touches are snapshotted (once per key per
//! batch); if any command fails, the snapshots are put back in reverse order, restoring each
//! key's value, TTL and version exactly. The engine is single-threaded, so nobody can observe
//! the intermediate state. Redis's own MULTI/EXEC does not roll back: this is the stronger
//! contract hedgestore gives on every backend.
//!
//! Optimistic concurrency (`WATCH`): read [`Engine::key_version`] for the keys a decision
//! depends on, then pass them to [`Engine::execute_batch_watched`]; if any changed in
//! between (written, deleted, expired or evicted) the batch fails with
//! [`BatchError::Conflict`] and applies nothing.

use alloc::string::String;
use alloc::vec::Vec;
use core::num::NonZeroU64;

use hashbrown::HashSet;

use super::{Engine, TtlChange};
use crate::command::{Command, Reply};
use crate::value::Value;
use crate::{Clock, Error};

/// Why a batch applied nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// Command number `index` (0-based) would fail; nothing was applied.
    #[error("EXECABORT command #{index} ({command}) failed, nothing was applied: {error}")]
    Command {
        /// Position of the failing command in the batch.
        index: usize,
        /// Its name (`"incr"`).
        command: &'static str,
        /// What went wrong.
        error: Error,
    },
    /// A watched key changed since its version was read; nothing was applied.
    #[error("CONFLICT watched key '{}' changed, nothing was applied", lossy(.key))]
    Conflict {
        /// The first watched key found changed.
        key: Vec<u8>,
    },
}

fn lossy(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

struct SavedEntry {
    value: Value,
    expires_at: Option<NonZeroU64>,
    version: u64,
}

struct Saved {
    key: Vec<u8>,
    prior: Option<SavedEntry>,
}

enum Undo {
    Key(Saved),
    /// The whole keyspace as it was (before a `FLUSHDB` in the batch).
    All(Vec<Saved>),
}

impl<C: Clock> Engine<C> {
    /// Runs `commands` atomically: every reply, or a [`BatchError`] and no change at all.
    pub fn execute_batch(&mut self, commands: Vec<Command>) -> Result<Vec<Reply>, BatchError> {
        self.execute_batch_watched::<&[u8]>(&[], commands)
    }

    /// Like [`execute_batch`](Self::execute_batch), but first checks that each watched key
    /// still has the version read earlier with [`key_version`](Self::key_version).
    pub fn execute_batch_watched<K: AsRef<[u8]>>(
        &mut self,
        watched: &[(K, u64)],
        commands: Vec<Command>,
    ) -> Result<Vec<Reply>, BatchError> {
        for (key, version) in watched {
            if self.key_version(key.as_ref()) != *version {
                return Err(BatchError::Conflict {
                    key: key.as_ref().to_vec(),
                });
            }
        }
        let mut undo: Vec<Undo> = Vec::new();
        let mut saved: HashSet<Vec<u8>> = HashSet::new();
        let mut saved_all = false;
        let mut replies = Vec::with_capacity(commands.len());
        for (index, command) in commands.into_iter().enumerate() {
            if !saved_all && command.is_write() {
                if command.touches_all_keys() {
                    // Collect the names first: snapshotting drops expired keys, which moves
                    // slots around.
                    let names: Vec<Vec<u8>> = (0..self.keys.len())
                        .map(|i| self.keys.slot(i).key.as_bytes().to_vec())
                        .collect();
                    let all = names.into_iter().map(|key| self.snapshot(key)).collect();
                    undo.push(Undo::All(all));
                    saved_all = true;
                } else {
                    for key in command.keys() {
                        if saved.insert(key.to_vec()) {
                            let s = self.snapshot(key.to_vec());
                            undo.push(Undo::Key(s));
                        }
                    }
                }
            }
            let name = command.name();
            match self.execute(command) {
                Ok(reply) => replies.push(reply),
                Err(error) => {
                    self.roll_back(undo);
                    return Err(BatchError::Command {
                        index,
                        command: name,
                        error,
                    });
                }
            }
        }
        Ok(replies)
    }

    fn snapshot(&mut self, key: Vec<u8>) -> Saved {
        let prior = self.lookup(&key).map(|i| {
            let slot = self.keys.slot(i);
            SavedEntry {
                value: slot.value.clone(),
                expires_at: slot.expires_at,
                version: slot.version,
            }
        });
        Saved { key, prior }
    }

    fn roll_back(&mut self, undo: Vec<Undo>) {
        for record in undo.into_iter().rev() {
            match record {
                Undo::Key(saved) => self.restore(saved),
                Undo::All(all) => {
                    self.flushdb();
                    for saved in all {
                        self.restore(saved);
                    }
                }
            }
        }
    }

    /// Puts `key` back exactly as snapshotted: value, TTL and version.
    fn restore(&mut self, saved: Saved) {
        let hash = self.keys.hash(&saved.key);
        if let Some(i) = self.keys.find(hash, &saved.key) {
            self.remove_slot(i);
        }
        if let Some(entry) = saved.prior {
            let ttl = entry.expires_at.map_or(TtlChange::Clear, TtlChange::At);
            self.store(hash, &saved.key, None, entry.value, ttl);
            let i = self.keys.len() - 1;
            self.keys.slot_mut(i).version = entry.version;
        }
    }
}
