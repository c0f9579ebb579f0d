//! Transactions: queue commands, optionally watch keys, execute all-or-nothing.
//!
//! ```no_run
//! # async fn demo(storage: hedgestore_native::Storage) -> hedgestore_native::Result<()> {
//! let mut tx = storage.transaction();
//! tx.watch(&["balance"]).await?;
//! tx.set("k1", "v1", None).hset("h", &[("f", "v")]).incrby("orders", 1);
//! let replies = tx.execute().await?; // every reply, or an error and no change at all
//! # Ok(()) }
//! ```

use hedgestore_core::{Command, Reply};

use crate::error::Result;
use crate::traits::{CompleteStorage, KeyVersion};

/// A batch of commands that applies atomically. Build it with the chainable methods, then
/// [`execute`](Self::execute) it.
pub struct Transaction<'a> {
    storage: &'a dyn CompleteStorage,
    commands: Vec<Command>,
    watched: Vec<(Vec<u8>, KeyVersion)>,
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("commands", &self.commands.len())
            .field("watched", &self.watched.len())
            .finish()
    }
}

fn bytes(b: impl AsRef<[u8]>) -> Vec<u8> {
    b.as_ref().to_vec()
}

impl<'a> Transaction<'a> {
    /// An empty transaction over `storage`.
    pub fn new(storage: &'a dyn CompleteStorage) -> Self {
        Self {
            storage,
            commands: Vec::new(),
            watched: Vec::new(),
        }
    }

    /// Records the current version of `keys`: if any of them changes before
    /// [`execute`](Self::execute), the transaction fails with a conflict and applies nothing.
    pub async fn watch<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Result<&mut Self> {
        let keys: Vec<Vec<u8>> = keys.iter().map(bytes).collect();
        let versions = self.storage.key_versions(&keys).await?;
        self.watched.extend(keys.into_iter().zip(versions));
        Ok(self)
    }

    /// Runs the queued commands atomically: every reply in order, or an error
    /// ([`StorageError::Transaction`](crate::StorageError::Transaction)) and no change at all.
    pub async fn execute(self) -> Result<Vec<Reply>> {
        self.storage
            .execute_transaction(self.watched, self.commands)
            .await
    }
}

/// The queueing methods written by hand (`SET` and the commands with options), for
/// [`Transaction`] and [`Pipeline`](crate::Pipeline) alike; the other commands' methods are
/// generated from core's method list (`methods.rs`).
macro_rules! hand_written_queue_methods {
    ($ty:ident) => {
        impl $ty<'_> {
            /// Queues any command.
            pub fn command(&mut self, command: hedgestore_core::Command) -> &mut Self {
                self.commands.push(command);
                self
            }

            /// Number of queued commands.
            pub fn len(&self) -> usize {
                self.commands.len()
            }

            /// Whether nothing is queued.
            pub fn is_empty(&self) -> bool {
                self.commands.is_empty()
            }

            /// Queues `SET key value [PX ttl]` (written by hand, as `SET` has options; in core's
            /// method list). The other commands' methods are generated from the list.
            pub fn set(
                &mut self,
                key: impl AsRef<[u8]>,
                value: impl AsRef<[u8]>,
                ttl: Option<std::time::Duration>,
            ) -> &mut Self {
                let options = match ttl {
                    Some(ttl) => hedgestore_core::SetOptions::default()
                        .px($crate::clock::duration_millis(ttl)),
                    None => hedgestore_core::SetOptions::default(),
                };
                self.set_with(key, value, options)
            }

            /// Queues `SET` with options.
            pub fn set_with(
                &mut self,
                key: impl AsRef<[u8]>,
                value: impl AsRef<[u8]>,
                options: hedgestore_core::SetOptions,
            ) -> &mut Self {
                self.command(hedgestore_core::Command::Set {
                    key: key.as_ref().to_vec(),
                    value: value.as_ref().to_vec(),
                    options,
                })
            }

            /// Queues `ZADD` with options (`INCR` is ignored).
            pub fn zadd_with(
                &mut self,
                key: impl AsRef<[u8]>,
                options: hedgestore_core::ZAddOptions,
                pairs: &[(f64, impl AsRef<[u8]>)],
            ) -> &mut Self {
                self.command($crate::traits::zadd_command(key, options, pairs))
            }

            /// Queues `GEOADD` with its options (`NX`/`XX` as `condition`, `CH` as `changed`).
            pub fn geoadd_with(
                &mut self,
                key: impl AsRef<[u8]>,
                condition: hedgestore_core::ZAddCondition,
                changed: bool,
                points: &[(f64, f64, impl AsRef<[u8]>)],
            ) -> &mut Self {
                self.command($crate::traits::geoadd_command(
                    key, condition, changed, points,
                ))
            }

            /// Queues `ZRANGE` in its full form (`BYSCORE`/`BYLEX`, `REV`, `LIMIT`).
            pub fn zrange_with(
                &mut self,
                key: impl AsRef<[u8]>,
                by: hedgestore_core::ZRangeBy,
                rev: bool,
                limit: hedgestore_core::Limit,
            ) -> &mut Self {
                self.command($crate::traits::zrange_command(key, by, rev, limit, false))
            }

            /// Queues `ZRANGE` in its full form with `WITHSCORES`.
            pub fn zrange_withscores(
                &mut self,
                key: impl AsRef<[u8]>,
                by: hedgestore_core::ZRangeBy,
                rev: bool,
                limit: hedgestore_core::Limit,
            ) -> &mut Self {
                self.command($crate::traits::zrange_command(key, by, rev, limit, true))
            }
        }
    };
}
pub(crate) use hand_written_queue_methods;

hand_written_queue_methods!(Transaction);
