//! Memory-only storage with its append-only log (see the `durable` module): writes applied
//! and logged under the locks of the shards they touch, the sync threads, and the
//! background rewrite.
//!
//! One log for every shard: a write appends its record while it still holds its shards'
//! locks, so the writes to one key are logged in the order they were applied, and a
//! transaction across shards is one record. Writes to different shards may be logged in
//! either order; they commute (no command reads a key of another shard without locking
//! it), so replaying the log gives the same state.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use hedgestore_core::{Command, Reply};

use super::shards::Locked;
use super::{lock, Shared};
use crate::clock::SystemClock;
use crate::durable::{self, Fsync, Log};
use crate::error::{Result, StorageError};

/// Syncs the log once a second ([`Fsync::EverySec`]) until the storage is gone or closed.
pub(super) fn sync_every_second(shared: Weak<Shared>) {
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if shared.closed.load(Ordering::Acquire) {
            return;
        }
        shared.sync_log();
    }
}

/// Syncs the log for waiting writers ([`Fsync::Always`], see `GroupSync`) until the storage
/// is gone or closed.
pub(super) fn sync_on_request(shared: Weak<Shared>) {
    loop {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if shared.closed.load(Ordering::Acquire) {
            return;
        }
        if let Some(log) = &shared.log {
            shared.group_sync.serve(log);
        }
    }
}

impl Shared {
    /// Syncs the log to the disk (outside its lock: through a second handle).
    pub(super) fn sync_log(&self) {
        let Some(log) = &self.log else { return };
        let handle = lock(log).sync_handle();
        if let Err(e) = handle.and_then(|f| f.sync_data()) {
            let mut log = lock(log);
            if log.failed.is_none() {
                tracing::error!(error = %e, "append-only log: sync failed; writes are refused");
                log.failed = Some(format!("sync failed: {e}"));
            }
        }
    }

    /// Runs `commands` through `run` under the locks of their shards (and of the `watched`
    /// keys' shards) and logs what they applied, as
    /// one record, before anyone can see their effect. A log that failed refuses writes
    /// before they are applied; a write applied but not logged answers `OutcomeUnknown`.
    ///
    /// Under `Fsync::Always` it returns only once the record is on the disk (a group
    /// commit shared with concurrent writers, waited for off the async workers).
    pub(super) async fn call_logged(
        self: &Arc<Self>,
        log: &Mutex<Log>,
        commands: Vec<Command>,
        watched: &[&[u8]],
        run: impl FnOnce(&mut Locked<'_, SystemClock>, Vec<Command>) -> Result<Vec<Reply>>,
    ) -> Result<Vec<Reply>> {
        let (replies, position, always) = self.call_logged_now(log, commands, watched, run)?;
        if always {
            if let Err(failed) = self.group_sync.wait(position).await {
                tracing::error!(error = %failed, "append-only log: sync failed; writes are refused");
                return Err(StorageError::OutcomeUnknown(format!(
                    "applied in memory but not synced to the append-only log ({failed})"
                )));
            }
        }
        Ok(replies)
    }

    /// The synchronous part of [`call_logged`](Self::call_logged): applies and appends;
    /// returns the replies, the log position to sync to, and whether to wait for it.
    fn call_logged_now(
        self: &Arc<Self>,
        log: &Mutex<Log>,
        commands: Vec<Command>,
        watched: &[&[u8]],
        run: impl FnOnce(&mut Locked<'_, SystemClock>, Vec<Command>) -> Result<Vec<Reply>>,
    ) -> Result<(Vec<Reply>, u64, bool)> {
        let copies: Vec<Command> = commands.clone();
        let set = self.engine.engines_for(&commands, watched);
        let (replies, wants_rewrite, position, always) = self.call_locked(set.as_slice(), |l| -> Result<_> {
            let mut log = lock(log);
            if let Some(failed) = &log.failed {
                return Err(StorageError::Unavailable(format!(
                    "the append-only log cannot be written ({failed}): writes are refused"
                )));
            }
            let replies = run(l, commands)?;
            let now = durable::now_ms(&self.clock);
            let forms: Vec<Command> = copies
                .iter()
                .zip(&replies)
                .flat_map(|(command, reply)| durable::logged_form(command, reply, now))
                .collect();
            if !forms.is_empty() {
                if let Err(failed) = log.append(&forms) {
                    tracing::error!(error = %failed, "append-only log: write failed; writes are refused");
                    return Err(StorageError::OutcomeUnknown(format!(
                        "applied in memory but not written to the append-only log ({failed})"
                    )));
                }
            }
            let always = log.fsync == Fsync::Always && !forms.is_empty();
            Ok((replies, log.wants_rewrite(), log.appended(), always))
        })??;
        if wants_rewrite {
            self.start_rewrite(log);
        }
        Ok((replies, position, always))
    }

    /// Starts a log rewrite if one is still wanted: the snapshot of every shard is taken
    /// with all of them locked (so it is exactly what the log holds up to now), and written
    /// by a background thread.
    fn start_rewrite(self: &Arc<Self>, log: &Mutex<Log>) {
        let all = self.engine.all_engines();
        let rewrite = self.engine.locked(all.as_slice(), |l| {
            let mut log = lock(log);
            log.wants_rewrite()
                .then(|| log.begin_rewrite(|emit| l.rebuild_commands(emit)))
        });
        if let Some((dir, snapshot)) = rewrite {
            let shared = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("hedgestore-aof-rewrite".into())
                .spawn(move || shared.rewrite(&dir, &snapshot));
            if spawned.is_err() {
                if let Some(log) = &self.log {
                    lock(log).abandon_rewrite();
                }
            }
        }
    }

    /// The background half of a log rewrite (see the `durable` module).
    fn rewrite(&self, dir: &std::path::Path, snapshot: &[u8]) {
        let Some(log) = &self.log else { return };
        let started = std::time::Instant::now();
        let written = durable::write_rewrite(dir, snapshot);
        // The log's lock alone keeps appends out while the rewrite is finished.
        let mut log = lock(log);
        let before = log.size();
        match written.and_then(|file| log.finish_rewrite(file, snapshot.len() as u64)) {
            Ok(()) => tracing::info!(
                before_bytes = before,
                after_bytes = log.size(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "append-only log rewritten"
            ),
            Err(e) => {
                log.abandon_rewrite();
                tracing::warn!(error = %e, "append-only log rewrite failed; the old log stays");
            }
        }
        drop(log);
    }
}
