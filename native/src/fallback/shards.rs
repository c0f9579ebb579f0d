//! The fallback on a Redis Cluster: one shard down is not an outage.
//!
//! On a cluster, the storage fails over to memory only when the *whole* cluster is
//! unreachable: no master answers (the health check's verdict, or a call that failed as
//! unreachable and a PING to every master that then finds none answering). When one
//! master is down while the others answer (its replica being promoted, about
//! `cluster-node-timeout` plus an election), calls for its slots wait and retry inside the
//! operation timeout (`RedisStorage`'s cluster retries), then fail on their own:
//! `Unavailable` (nothing applied), or `OutcomeUnknown` for a write that was sent. The
//! other slots are served from Redis throughout, and nothing is journaled: serving those
//! slots from memory would need a per-slot journal and recovery, and would split the
//! store between two sources of truth while Redis still answers most of it. (A call that
//! meets the dead master also reports Redis down to the health watcher; on a cluster that
//! report fails over only when a PING to every master then finds none answering. A
//! finding that some master answers stands for 100 ms, so a burst of failed calls asks
//! the cluster once, not once per call.)
//!
//! During an outage on a cluster, writes that no one-slot replay could carry are refused
//! as the cluster would ([`slots::refusal`]): keys of several slots (`CROSSSLOT`, except
//! `DEL`/`UNLINK`/`TOUCH`/`MSET`, split per slot), and keyless writes (`FLUSHDB`).

use hedgestore_core::{Command, Reply};

use super::{slots, Inner};
use crate::error::StorageError;
use crate::redis::Failure;
use crate::traits::KeyVersion;

impl Inner {
    /// On a cluster: a call that failed as unreachable while some master still answers is
    /// that call's own failure (see the module docs): the error its caller gets, with no
    /// failover. `None`: not such a failure (decide as usual).
    pub(super) async fn shard_failure(
        &self,
        result: &std::result::Result<Reply, Failure>,
    ) -> Option<StorageError> {
        let Err(failure) = result else { return None };
        let StorageError::Unavailable(why) = &failure.error else {
            return None;
        };
        if !self.redis.cluster_answers().await {
            return None;
        }
        Some(if failure.maybe_applied {
            StorageError::OutcomeUnknown(format!(
                "{why}; the connection to this key's cluster master failed after the write \
                 was sent: it may have been applied (not retried)"
            ))
        } else {
            failure.error.clone()
        })
    }

    /// Whether an `Unavailable` failure of a transaction or a WATCH on a cluster met one
    /// shard down rather than the whole cluster (see [`Inner::shard_failure`]).
    pub(super) async fn only_a_shard_is_down(&self) -> bool {
        self.redis.cluster_answers().await
    }

    /// Why `command` cannot run on memory during a cluster outage, if it cannot
    /// ([`slots::refusal`]). Nothing on the other topologies.
    pub(super) fn refused_on_cluster(&self, command: &Command) -> Option<StorageError> {
        if !self.redis.is_cluster() {
            return None;
        }
        slots::refusal(command).map(StorageError::Command)
    }

    /// The same for a transaction: every key it uses (watched, read or written) in one slot,
    /// as the Redis path demands on a cluster, and no keyless write.
    pub(super) fn transaction_refused_on_cluster(
        &self,
        watched: &[(Vec<u8>, KeyVersion)],
        commands: &[Command],
    ) -> Option<StorageError> {
        if !self.redis.is_cluster() {
            return None;
        }
        if let Some(e) = commands.iter().find_map(slots::refusal) {
            return Some(StorageError::Command(e));
        }
        let mut keys = watched
            .iter()
            .map(|(k, _)| k.as_slice())
            .chain(commands.iter().flat_map(Command::keys));
        let first = keys.next().map(slots::slot_of)?;
        keys.any(|k| slots::slot_of(k) != first)
            .then(|| StorageError::Command(slots::cross_slot()))
    }
}
