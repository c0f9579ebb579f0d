//! Transactions: queue commands, optionally watch keys, execute all-or-nothing.
//!
//! ```no_run
//! # async fn demo(storage: hedgestore_native::Storage) -> hedgestore_native::Result<()> {
//! let mut tx = storage.transaction();
//! tx.watch(&["balance"]).await?;
//! tx.set("k1", "v1").hset("h", "f", "v").incr("orders", 1);
//! let replies = tx.execute().await?; // every reply, or an error and no change at all
//! # Ok(()) }
//! ```

use std::time::Duration;

use hedgestore_core::{Command, ExpireCondition, Expiry, Reply, SetOptions};

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

    /// Queues any command.
    pub fn command(&mut self, command: Command) -> &mut Self {
        self.commands.push(command);
        self
    }

    /// Queues `SET key value`.
    pub fn set(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        self.set_with(key, value, SetOptions::default())
    }

    /// Queues `SET` with options.
    pub fn set_with(
        &mut self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        options: SetOptions,
    ) -> &mut Self {
        self.command(Command::Set {
            key: bytes(key),
            value: bytes(value),
            options,
        })
    }

    /// Queues `GET key` (its reply comes back with the others).
    pub fn get(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        self.command(Command::Get { key: bytes(key) })
    }

    /// Queues `DEL key`.
    pub fn delete(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        self.command(Command::Del {
            keys: vec![bytes(key)],
        })
    }

    /// Queues `INCRBY key by`.
    pub fn incr(&mut self, key: impl AsRef<[u8]>, by: i64) -> &mut Self {
        self.command(Command::IncrBy {
            key: bytes(key),
            delta: by,
        })
    }

    /// Queues `PEXPIRE key ttl`.
    pub fn expire(&mut self, key: impl AsRef<[u8]>, ttl: Duration) -> &mut Self {
        self.command(Command::Expire {
            key: bytes(key),
            expiry: Expiry::Px(crate::clock::duration_millis(ttl)),
            condition: ExpireCondition::Always,
        })
    }

    /// Queues `HSET key field value`.
    pub fn hset(
        &mut self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> &mut Self {
        self.command(Command::HSet {
            key: bytes(key),
            pairs: vec![(bytes(field), bytes(value))],
        })
    }

    /// Queues `HDEL key field`.
    pub fn hdel(&mut self, key: impl AsRef<[u8]>, field: impl AsRef<[u8]>) -> &mut Self {
        self.command(Command::HDel {
            key: bytes(key),
            fields: vec![bytes(field)],
        })
    }

    /// Queues `HINCRBY key field by`.
    pub fn hincrby(
        &mut self,
        key: impl AsRef<[u8]>,
        field: impl AsRef<[u8]>,
        by: i64,
    ) -> &mut Self {
        self.command(Command::HIncrBy {
            key: bytes(key),
            field: bytes(field),
            delta: by,
        })
    }

    /// Queues `LPUSH key value`.
    pub fn lpush(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        self.command(Command::LPush {
            key: bytes(key),
            values: vec![bytes(value)],
        })
    }

    /// Queues `RPUSH key value`.
    pub fn rpush(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        self.command(Command::RPush {
            key: bytes(key),
            values: vec![bytes(value)],
        })
    }

    /// Number of queued commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Runs the queued commands atomically: every reply in order, or an error
    /// ([`StorageError::Transaction`](crate::StorageError::Transaction)) and no change at all.
    pub async fn execute(self) -> Result<Vec<Reply>> {
        self.storage
            .execute_transaction(self.watched, self.commands)
            .await
    }
}
