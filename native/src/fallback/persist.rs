//! The outage journal on disk: with a data directory (`HEDGESTORE_DATA_DIR`), every write
//! acknowledged from memory during an outage is also appended to
//! `<data_dir>/hedgestore-outage.journal` before its reply, so an application killed during
//! an outage (or before its recovery finished) replays every acknowledged outage write into
//! Redis when it starts again, exactly once.
//!
//! # Format
//!
//! The command log format of [`hedgestore_core::log`] (header with its version byte, then
//! length-prefixed, CRC-32-checked records of commands). Each record starts with an `ECHO`
//! whose message names what the record holds:
//!
//! | first command                               | rest of the record | meaning |
//! |---------------------------------------------|--------------------|---------|
//! | `ECHO "outage <owner> <run id or ->"`       | —                  | an outage began: the replay-marker owner and the Redis server (run id) last served from |
//! | `ECHO "entries <seq>"`                      | the writes          | journal entries `seq`, `seq + 1`, … (a transaction is one record: all or nothing) |
//! | `ECHO "base <kind> <expires at ms>"`        | `RPUSH key payload…` | a key's value before the outage first wrote it (see `Journal::bases`) |
//! | `ECHO "replayed <run id> <last seq>"`       | —                  | entries up to `last seq` were replayed into that server |
//! | `ECHO "merged <run id> <count>"`            | —                  | the first `count` bases were merged into that server |
//!
//! The file is emptied (back to its header) once a recovery switched back to Redis. At start
//! a torn or corrupt tail is cut with one warning (a partial record is never applied); a
//! file that is not a hedgestore log is refused with an error naming it.
//!
//! # When it reaches the disk
//!
//! As for memory-only storage ([`Fsync`]): `always` syncs before each reply, with group
//! commit (a sync thread, [`GroupSync`](crate::durable::GroupSync): writers append, leave
//! the journal's lock and wait for the sync that covers their record, so concurrent outage
//! writes share syncs instead of queueing one `fdatasync` each behind the lock; a failed
//! sync is not retried, the disk is not trusted again: every later outage write answers
//! `OutcomeUnknown` until the process restarts); `everysec` syncs once a second from a
//! background task while there is something to sync; `no` leaves it to the operating
//! system. Each write is handed to the operating system before
//! its reply in every mode, so a crash of the process alone loses nothing.
//!
//! # Exactly once across a restart
//!
//! The restarted process replays with the owner id of the file, so the replay markers in
//! Redis (`hedgestore:replay:<owner>`) skip what an earlier run already applied; the
//! `replayed` records say the same locally, so a marker that expired while the application
//! was down (10 minutes) costs nothing for batches recorded as replayed. The one batch that
//! was applied but not yet recorded when the process died is skipped by the marker only
//! while it lives: an application down for longer than 10 minutes in the middle of a replay
//! may apply that one batch twice.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use hedgestore_core::log::{encode_record, Records, HEADER};
use hedgestore_core::Command;

use super::journal::Base;
use crate::durable::Fsync;

/// The journal's file name in the data directory.
pub const OUTAGE_FILE: &str = "hedgestore-outage.journal";

/// What an earlier run left in the file.
#[derive(Default)]
pub(crate) struct Loaded {
    /// The replay-marker owner of the earlier run.
    pub(crate) owner: Option<String>,
    /// The Redis server the earlier run last served from.
    pub(crate) server: Option<String>,
    /// Journal entries, in order: (sequence number, write).
    pub(crate) entries: Vec<(u64, Command)>,
    /// Pre-outage values.
    pub(crate) bases: Vec<Base>,
    /// The last `replayed` record: server and last sequence number.
    pub(crate) replayed: Option<(String, u64)>,
    /// The last `merged` record: server and count.
    pub(crate) merged: Option<(String, usize)>,
    /// Bytes cut from a torn or corrupt tail.
    pub(crate) truncated: u64,
}

/// The open journal file.
pub(crate) struct JournalFile {
    file: File,
    path: PathBuf,
    fsync: Fsync,
    /// Records were written since the last sync.
    dirty: bool,
    /// An `outage` record was written since the file was last emptied.
    begun: bool,
    scratch: Vec<u8>,
    /// Bytes appended over the file's life (what the group sync waits for).
    appended: u64,
    /// Under `always`: whether writers wait for a group sync (`entries` and `base` records
    /// then leave the sync to it); otherwise every record is synced as it is written.
    grouped: bool,
}

impl crate::durable::Syncable for JournalFile {
    fn sync_handle(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    fn appended(&self) -> u64 {
        self.appended
    }

    fn sync_failed(&mut self, message: String) {
        tracing::error!(
            error = %message,
            "outage journal: sync failed; later outage writes answer OutcomeUnknown"
        );
    }
}

fn describe(path: &Path, e: &io::Error) -> String {
    format!("outage journal {}: {e}", path.display())
}

fn tag(commands: &[Command]) -> Option<(&str, Vec<&str>)> {
    match commands.first() {
        Some(Command::Echo { message }) => {
            let text = std::str::from_utf8(message).ok()?;
            let mut words = text.split(' ');
            let kind = words.next()?;
            Some((kind, words.collect()))
        }
        _ => None,
    }
}

fn echo(text: String) -> Command {
    Command::Echo {
        message: text.into_bytes(),
    }
}

impl JournalFile {
    /// Opens (or creates) the journal in `dir`, and reads what an earlier run left.
    pub(crate) fn open(dir: &Path, fsync: Fsync) -> Result<(JournalFile, Loaded), String> {
        let (mut file, path) = crate::durable::open_in(dir, OUTAGE_FILE)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| describe(&path, &e))?;
        let mut loaded = Loaded::default();
        // Empty, or a header cut short by a crash while the file was created: a new journal.
        if bytes.len() < HEADER.len() && HEADER.starts_with(&bytes) {
            file.set_len(0).map_err(|e| describe(&path, &e))?;
            file.seek(io::SeekFrom::Start(0))
                .map_err(|e| describe(&path, &e))?;
            file.write_all(HEADER).map_err(|e| describe(&path, &e))?;
            file.sync_all().map_err(|e| describe(&path, &e))?;
        } else {
            if bytes.len() < HEADER.len() || bytes[..HEADER.len() - 1] != HEADER[..HEADER.len() - 1]
            {
                return Err(format!(
                    "{} is not a hedgestore outage journal (refusing to overwrite it)",
                    path.display()
                ));
            }
            if bytes[HEADER.len() - 1] != HEADER[HEADER.len() - 1] {
                return Err(format!(
                    "{} was written by another version of the log format ({})",
                    path.display(),
                    bytes[HEADER.len() - 1]
                ));
            }
            let mut records = Records::new(&bytes[HEADER.len()..]);
            for record in records.by_ref() {
                read_record(record, &mut loaded);
            }
            let good = (HEADER.len() + records.offset()) as u64;
            if let Some(stop) = records.stop() {
                loaded.truncated = bytes.len() as u64 - good;
                tracing::warn!(
                    path = %path.display(),
                    bytes = loaded.truncated,
                    "outage journal: cut {} at its end ({})",
                    loaded.truncated,
                    stop.describe()
                );
                file.set_len(good).map_err(|e| describe(&path, &e))?;
                file.sync_all().map_err(|e| describe(&path, &e))?;
            }
        }
        file.seek(io::SeekFrom::End(0))
            .map_err(|e| describe(&path, &e))?;
        let begun = loaded.owner.is_some();
        Ok((
            JournalFile {
                file,
                path,
                fsync,
                dirty: false,
                begun,
                scratch: Vec::new(),
                appended: 0,
                grouped: false,
            },
            loaded,
        ))
    }

    /// Under `always`, leaves the syncs of `entries` and `base` records to a group sync
    /// whose writers wait for [`appended`](crate::durable::Syncable::appended).
    pub(crate) fn group_syncs(&mut self) {
        self.grouped = self.fsync == Fsync::Always;
    }

    /// The position a writer of the records just written waits for, when a group sync
    /// serves this file (`None`: nothing to wait for).
    pub(crate) fn wait_for(&self) -> Option<u64> {
        self.grouped.then_some(self.appended)
    }

    /// Whether the `outage` record is written.
    pub(crate) fn begun(&self) -> bool {
        self.begun
    }

    /// The first record of an outage: the marker owner and the server last served from.
    pub(crate) fn begin(&mut self, owner: &str, server: Option<&str>) -> Result<(), String> {
        self.begun = true;
        self.write(
            &[echo(format!("outage {owner} {}", server.unwrap_or("-")))],
            self.grouped,
        )
    }

    /// Journal entries from `first_seq` on, as one record.
    pub(crate) fn entries(&mut self, first_seq: u64, commands: &[&Command]) -> Result<(), String> {
        let mut record = Vec::with_capacity(commands.len() + 1);
        record.push(echo(format!("entries {first_seq}")));
        record.extend(commands.iter().map(|c| (*c).clone()));
        self.write(&record, self.grouped)
    }

    /// A pre-outage value.
    pub(crate) fn base(&mut self, base: &Base) -> Result<(), String> {
        self.write(
            &[
                echo(format!("base {} {}", base.kind, base.expires_at)),
                Command::RPush {
                    key: base.key.clone(),
                    values: base.payload.clone(),
                },
            ],
            self.grouped,
        )
    }

    /// Entries up to `last_seq` were replayed into `run_id`.
    pub(crate) fn replayed(&mut self, run_id: &str, last_seq: u64) -> Result<(), String> {
        self.write(&[echo(format!("replayed {run_id} {last_seq}"))], false)
    }

    /// The first `count` bases were merged into `run_id`.
    pub(crate) fn merged(&mut self, run_id: &str, count: usize) -> Result<(), String> {
        self.write(&[echo(format!("merged {run_id} {count}"))], false)
    }

    /// Empties the journal (a recovery finished): back to its header, synced.
    pub(crate) fn clear(&mut self) -> Result<(), String> {
        self.begun = false;
        self.dirty = false;
        self.file
            .set_len(HEADER.len() as u64)
            .and_then(|()| self.file.seek(io::SeekFrom::End(0)).map(|_| ()))
            .and_then(|()| self.file.sync_all())
            .map_err(|e| describe(&self.path, &e))
    }

    /// Syncs if something was written since the last sync (the `everysec` task).
    pub(crate) fn sync_if_dirty(&mut self) -> Result<(), String> {
        if self.dirty {
            // Still dirty if the sync fails: the next round tries again.
            self.file
                .sync_data()
                .map_err(|e| describe(&self.path, &e))?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Appends one record (synced under `always` unless `grouped`: then its writer waits
    /// for the group sync). A write that fails part-way is cut off again, so the records
    /// after it are not hidden behind a torn one at the next start.
    fn write(&mut self, commands: &[Command], grouped: bool) -> Result<(), String> {
        self.scratch.clear();
        encode_record(commands, &mut self.scratch);
        let before = self
            .file
            .stream_position()
            .map_err(|e| describe(&self.path, &e))?;
        if let Err(e) = self.file.write_all(&self.scratch) {
            let _ = self.file.set_len(before);
            let _ = self.file.seek(io::SeekFrom::Start(before));
            return Err(describe(&self.path, &e));
        }
        self.dirty = true;
        self.appended += self.scratch.len() as u64;
        if self.fsync == Fsync::Always && !grouped {
            self.sync_if_dirty()?;
        }
        Ok(())
    }
}

/// Adds one record to what was loaded (records this version does not know are skipped).
fn read_record(record: Vec<Command>, loaded: &mut Loaded) {
    let Some((kind, fields)) = tag(&record) else {
        return;
    };
    match (kind, fields.as_slice()) {
        ("outage", [owner, server]) => {
            // A later outage of the same run restarts nothing: the owner is the same.
            loaded.owner = Some((*owner).to_string());
            loaded.server = (*server != "-").then(|| (*server).to_string());
        }
        ("entries", [first]) => {
            if let Ok(first) = first.parse::<u64>() {
                for (i, command) in record.into_iter().skip(1).enumerate() {
                    loaded.entries.push((first + i as u64, command));
                }
            }
        }
        ("base", [kind, expires_at]) => {
            let kind = match *kind {
                "string" => "string",
                "hash" => "hash",
                "list" => "list",
                "set" => "set",
                "zset" => "zset",
                _ => return,
            };
            if let (Ok(expires_at), Some(Command::RPush { key, values })) =
                (expires_at.parse::<i64>(), record.into_iter().nth(1))
            {
                loaded.bases.push(Base {
                    key,
                    kind,
                    payload: values,
                    expires_at,
                });
            }
        }
        ("replayed", [run_id, last]) => {
            if let Ok(last) = last.parse() {
                loaded.replayed = Some(((*run_id).to_string(), last));
            }
        }
        ("merged", [run_id, count]) => {
            if let Ok(count) = count.parse() {
                loaded.merged = Some(((*run_id).to_string(), count));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::{GroupSync, Syncable};
    use std::sync::{Arc, Mutex};

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "hedgestore-persist-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Under `always` with a group sync, an outage write's records are left to the sync
    /// thread: the writer's position covers them, and its wait ends once a sync ran.
    #[tokio::test]
    async fn grouped_writers_wait_for_the_sync_that_covers_their_records() {
        let dir = scratch_dir("grouped");
        let (file, loaded) = JournalFile::open(&dir, Fsync::Always).unwrap();
        assert!(loaded.entries.is_empty());
        let file = Arc::new(Mutex::new(file));
        let position = {
            let mut f = file.lock().unwrap();
            f.group_syncs();
            f.begin("owner", None).unwrap();
            let set = Command::Set {
                key: b"k".to_vec(),
                value: b"v".to_vec(),
                options: Default::default(),
            };
            f.entries(1, &[&set]).unwrap();
            assert!(f.dirty, "left to the group sync, not synced inline");
            f.wait_for().expect("a position to wait for")
        };
        assert_eq!(position, file.lock().unwrap().appended());
        let sync = Arc::new(GroupSync::default());
        let server = {
            let (sync, file) = (sync.clone(), file.clone());
            std::thread::spawn(move || sync.serve(&file))
        };
        sync.wait(position).await.expect("synced");
        server.join().unwrap();
        // What was synced is what a restart reads.
        drop(file);
        let (_, loaded) = JournalFile::open(&dir, Fsync::Always).unwrap();
        assert_eq!(loaded.entries.len(), 1);
        assert_eq!(loaded.owner.as_deref(), Some("owner"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Closing the group sync answers writers instead of leaving them waiting for a sync
    /// thread that stopped: what was appended is synced (Ok), a later wait is an error.
    #[tokio::test]
    async fn closing_the_group_sync_answers_every_writer() {
        let dir = scratch_dir("close");
        let (mut file, _) = JournalFile::open(&dir, Fsync::Always).unwrap();
        file.group_syncs();
        file.begin("owner", None).unwrap();
        let covered = file.wait_for().unwrap();
        let file = Mutex::new(file);
        let sync = GroupSync::default();
        sync.close(&file);
        sync.wait(covered).await.expect("synced at close");
        let err = sync.wait(covered + 1).await.unwrap_err();
        assert!(err.contains("closed"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Without a group sync, `always` syncs every record as it is written.
    #[test]
    fn ungrouped_always_syncs_inline() {
        let dir = scratch_dir("inline");
        let (mut file, _) = JournalFile::open(&dir, Fsync::Always).unwrap();
        file.begin("owner", None).unwrap();
        assert!(!file.dirty);
        assert_eq!(file.wait_for(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
