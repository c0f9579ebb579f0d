//! Durability for memory-only storage: an append-only log of the engine's commands, replayed
//! at start, and rewritten from a snapshot of the engine in the background so it does not
//! grow without bound. Off unless a data directory is set ([`Durability::data_dir`],
//! `HEDGESTORE_DATA_DIR`).
//!
//! # What is logged
//!
//! Every write that succeeded, in the order the engine applied it, as the command that
//! reproduces it: relative expiry times become absolute Unix milliseconds (`SET … PX 500`
//! is logged as `SET … PXAT <t>`, `EXPIRE` as `PEXPIREAT`), and a write whose effect depends
//! on what it read is logged by its result (`INCRBYFLOAT` as the `SET` of the new value), as
//! the fallback's memory mirror does. A transaction or batch is one record: after a crash it
//! is replayed whole or not at all. Not logged: reads, expirations (the absolute times expire
//! the same keys again on replay, and a key whose time passed while the process was down is
//! gone), evictions (replaying into the same memory budget evicts again, not necessarily the
//! same keys), locks and subscriptions (a restart releases every lock; fencing tokens still
//! only grow, being time-based).
//!
//! # When it reaches the disk ([`Fsync`], `HEDGESTORE_FSYNC`)
//!
//! Each write is handed to the operating system (`write(2)`) before its reply. `always`
//! also waits for `fdatasync(2)` before replying: nothing acknowledged is lost even if the
//! machine loses power. `everysec` (the default, as Redis's `appendfsync everysec`) syncs
//! once a second from a background thread: a process crash loses nothing, a power loss at
//! most the last second or so. `no` leaves syncing to the operating system.
//!
//! # File format
//!
//! `<data_dir>/hedgestore.aof`, in the format of [`hedgestore_core::log`] (a header with the
//! version byte, then length-prefixed, CRC-32-checked records of commands).
//!
//! # Recovery
//!
//! At start the log is replayed into the empty engine (all its shards) record by record. The first record that
//! is cut short (a crash in the middle of a write) or fails its checksum or does not parse
//! ends the replay: the file is truncated there and one warning says how many bytes were
//! dropped and why. A partial record is never applied, and the storage always starts. A file
//! that is not a hedgestore log, or one written by a newer version, is refused with an error
//! naming it (nothing is overwritten).
//!
//! # Rewrite
//!
//! When the log is at least [`Durability::rewrite_min_bytes`] (64 MiB) and twice its size
//! after the last rewrite, the engine's keyspace is encoded (under the locks of all its shards, as
//! `SET`/`HSET`/`RPUSH`/`PEXPIREAT` records) and written by a background thread to
//! `hedgestore.aof.rewrite`; writes meanwhile go to the old log and to a buffer. The thread
//! syncs the new file, appends the buffered records under the lock, renames it over the old
//! log and syncs the directory: at every moment one complete log is on disk.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use hedgestore_core::log::{self, decode_head, decode_payload, encode_record, HEADER, VERSION};
use hedgestore_core::{Clock, Command};

use crate::clock::SystemClock;
pub(crate) use hedgestore_core::forms::logged_form;

/// When logged writes are synced to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fsync {
    /// Before every reply: nothing acknowledged is lost, even on power loss. Slowest.
    Always,
    /// Once a second, in the background (the default).
    #[default]
    EverySec,
    /// Left to the operating system.
    No,
}

impl Fsync {
    /// `always`, `everysec` or `no` (case-insensitive), as Redis's `appendfsync` spells them.
    pub fn parse(text: &str) -> Option<Fsync> {
        match text.trim().to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }
}

/// Durability settings of memory-only storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durability {
    /// Where the log lives (`HEDGESTORE_DATA_DIR`); `None` (the default): nothing is written,
    /// a restart starts empty.
    pub data_dir: Option<PathBuf>,
    /// When writes are synced (`HEDGESTORE_FSYNC`).
    pub fsync: Fsync,
    /// The log is rewritten once it is at least this large and twice its size after the
    /// last rewrite. Default 64 MiB.
    pub rewrite_min_bytes: u64,
}

impl Default for Durability {
    fn default() -> Self {
        Self {
            data_dir: None,
            fsync: Fsync::EverySec,
            rewrite_min_bytes: 64 << 20,
        }
    }
}

/// The log's file name in the data directory.
pub const LOG_FILE: &str = "hedgestore.aof";
const REWRITE_FILE: &str = "hedgestore.aof.rewrite";

/// What a start-up replay found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Records replayed.
    pub records: u64,
    /// Commands replayed.
    pub commands: u64,
    /// Bytes cut from the end of the log (a torn or corrupt tail).
    pub truncated_bytes: u64,
}

/// A file a [`GroupSync`] syncs: the memory storage's [`Log`], the fallback's outage journal.
pub(crate) trait Syncable {
    /// A handle to sync the file without holding its lock.
    fn sync_handle(&self) -> io::Result<File>;
    /// Bytes appended over the file's life: the position writers wait for.
    fn appended(&self) -> u64;
    /// Records that a sync failed (`message` says why).
    fn sync_failed(&mut self, message: String);
}

impl Syncable for Log {
    fn sync_handle(&self) -> io::Result<File> {
        Log::sync_handle(self)
    }

    fn appended(&self) -> u64 {
        Log::appended(self)
    }

    fn sync_failed(&mut self, message: String) {
        self.failed = Some(message);
    }
}

/// The open log of one memory storage. Appended to under the locks of the shards a write
/// touched, so the records of each key are in the order its shard applied them.
pub(crate) struct Log {
    file: File,
    dir: PathBuf,
    pub(crate) fsync: Fsync,
    size: u64,
    base_size: u64,
    rewrite_min: u64,
    /// Records written since a rewrite started, for the rewritten log.
    rewriting: Option<Vec<u8>>,
    /// Set by the first failed write or sync: the log no longer holds every write.
    pub(crate) failed: Option<String>,
    scratch: Vec<u8>,
    appended: u64,
}

/// Creates `dir` if needed and opens (or creates) the file `name` in it for reading and
/// appending, as it is: the memory log and the fallback's outage journal both start here.
pub(crate) fn open_in(dir: &Path, name: &str) -> Result<(File, PathBuf), String> {
    std::fs::create_dir_all(dir).map_err(|e| describe(dir, &e))?;
    let path = dir.join(name);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| describe(&path, &e))?;
    Ok((file, path))
}

fn describe(path: &Path, e: &io::Error) -> String {
    format!("{}: {e}", path.display())
}

impl Log {
    /// Opens (or creates) the log in `settings.data_dir` and replays it through `apply`
    /// (each command of each whole record, in order).
    pub(crate) fn open(
        settings: &Durability,
        dir: &Path,
        apply: &mut dyn FnMut(Command),
    ) -> Result<(Log, Recovered), String> {
        let (mut file, path) = open_in(dir, LOG_FILE)?;
        let len = file.metadata().map_err(|e| describe(&path, &e))?.len();
        let mut recovered = Recovered::default();
        let good = if len == 0 {
            file.write_all(HEADER).map_err(|e| describe(&path, &e))?;
            file.sync_all().map_err(|e| describe(&path, &e))?;
            HEADER.len() as u64
        } else {
            replay(&mut file, &path, len, apply, &mut recovered)?
        };
        if good < len {
            recovered.truncated_bytes = len - good;
            file.set_len(good).map_err(|e| describe(&path, &e))?;
            file.sync_all().map_err(|e| describe(&path, &e))?;
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| describe(&path, &e))?;
        Ok((
            Log {
                file,
                dir: dir.to_path_buf(),
                fsync: settings.fsync,
                size: good,
                base_size: good,
                rewrite_min: settings.rewrite_min_bytes,
                rewriting: None,
                failed: None,
                scratch: Vec::new(),
                appended: 0,
            },
            recovered,
        ))
    }

    /// Appends one record of `commands` (handed to the operating system; under
    /// [`Fsync::Always`] the caller then waits for [`GroupSync::sync_to`] before replying).
    pub(crate) fn append(&mut self, commands: &[Command]) -> Result<(), String> {
        if let Some(failed) = &self.failed {
            return Err(failed.clone());
        }
        self.scratch.clear();
        encode_record(commands, &mut self.scratch);
        let written = self.file.write_all(&self.scratch);
        if let Err(e) = written {
            let message = describe(&self.dir.join(LOG_FILE), &e);
            self.failed = Some(message.clone());
            return Err(message);
        }
        self.size += self.scratch.len() as u64;
        self.appended += self.scratch.len() as u64;
        if let Some(buffer) = &mut self.rewriting {
            buffer.extend_from_slice(&self.scratch);
        }
        Ok(())
    }

    /// Whether a rewrite should start now.
    pub(crate) fn wants_rewrite(&self) -> bool {
        self.rewriting.is_none()
            && self.failed.is_none()
            && self.size >= self.rewrite_min
            && self.size >= self.base_size.saturating_mul(2)
    }

    /// Starts a rewrite: the keyspace as records (the commands `rebuild` emits, see
    /// [`Engine::rebuild_commands`](hedgestore_core::Engine::rebuild_commands)), to be
    /// written by [`write_rewrite`].
    pub(crate) fn begin_rewrite(
        &mut self,
        rebuild: impl FnOnce(&mut dyn FnMut(Command)),
    ) -> (PathBuf, Vec<u8>) {
        let mut snapshot = HEADER.to_vec();
        let mut batch = Vec::with_capacity(1);
        rebuild(&mut |command| {
            batch.push(command);
            encode_record(&batch, &mut snapshot);
            batch.clear();
        });
        self.rewriting = Some(Vec::new());
        (self.dir.clone(), snapshot)
    }

    /// Finishes a rewrite whose snapshot is synced in `dir/REWRITE_FILE` as `file`: appends
    /// what was written meanwhile, renames it over the log and switches to it. Called under
    /// the log's lock so nothing is appended meanwhile.
    pub(crate) fn finish_rewrite(&mut self, mut file: File, snapshot_len: u64) -> io::Result<()> {
        let tail = self.rewriting.take().unwrap_or_default();
        file.write_all(&tail)?;
        file.sync_all()?;
        std::fs::rename(self.dir.join(REWRITE_FILE), self.dir.join(LOG_FILE))?;
        File::open(&self.dir)?.sync_all()?;
        file.seek(SeekFrom::End(0))?;
        self.file = file;
        self.size = snapshot_len + tail.len() as u64;
        self.base_size = self.size;
        Ok(())
    }

    /// Abandons a rewrite that failed.
    pub(crate) fn abandon_rewrite(&mut self) {
        self.rewriting = None;
        let _ = std::fs::remove_file(self.dir.join(REWRITE_FILE));
    }

    /// A handle to sync the log without holding its lock.
    pub(crate) fn sync_handle(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    /// Size of the log in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// How many bytes have been appended to this log over its life (rewrites included):
    /// the position a [`GroupSync`] waits for.
    pub(crate) fn appended(&self) -> u64 {
        self.appended
    }
}

/// Group commit for [`Fsync::Always`]: one sync thread runs `fdatasync` back to back while
/// writers wait, each sync covering every record written before it started; writers wait
/// (asynchronously) for the sync that covers their record. While one sync runs, the next
/// batch gathers, as Redis's `appendfsync always` syncs once per event-loop turn for all
/// clients.
pub(crate) struct GroupSync {
    /// The highest log position a writer waits for.
    requested: std::sync::Mutex<u64>,
    wake: std::sync::Condvar,
    /// What is on the disk, or why syncing stopped.
    synced: tokio::sync::watch::Sender<Synced>,
}

/// How long the sync thread lets writers gather before each sync.
const GATHER: std::time::Duration = std::time::Duration::from_micros(50);

/// The state of a [`GroupSync`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Synced {
    position: u64,
    failed: Option<String>,
}

impl Default for GroupSync {
    fn default() -> Self {
        Self {
            requested: std::sync::Mutex::new(0),
            wake: std::sync::Condvar::new(),
            synced: tokio::sync::watch::Sender::new(Synced::default()),
        }
    }
}

impl GroupSync {
    /// Waits until everything up to `position` (in [`Log::appended`] terms) is on the disk.
    pub(crate) async fn wait(&self, position: u64) -> Result<(), String> {
        let mut synced = self.synced.subscribe();
        {
            let mut requested = self.requested.lock().unwrap_or_else(|e| e.into_inner());
            if *requested < position {
                *requested = position;
                self.wake.notify_one();
            }
        }
        let state = synced
            .wait_for(|s| s.position >= position || s.failed.is_some())
            .await
            .map_err(|_| "the sync thread stopped".to_string())?;
        match &state.failed {
            Some(failed) if state.position < position => Err(failed.clone()),
            _ => Ok(()),
        }
    }

    /// Ends the group sync (its file's storage is closing): one last sync of everything
    /// appended, then every later wait beyond it answers an error instead of waiting for a
    /// sync thread that has stopped.
    pub(crate) fn close(&self, log: &std::sync::Mutex<impl Syncable>) {
        let (handle, upto) = {
            let log = log.lock().unwrap_or_else(|e| e.into_inner());
            (log.sync_handle(), log.appended())
        };
        let synced = match handle.and_then(|f| f.sync_data()) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "the last sync at close failed");
                false
            }
        };
        self.synced.send_modify(|s| {
            if synced {
                s.position = s.position.max(upto);
            }
            s.failed
                .get_or_insert_with(|| "the storage is closed".to_string());
        });
    }

    /// One turn of the sync thread: waits up to a second for a writer, then syncs `log`
    /// for everything appended so far.
    pub(crate) fn serve(&self, log: &std::sync::Mutex<impl Syncable>) {
        let synced_to = self.synced.borrow().position;
        {
            let requested = self.requested.lock().unwrap_or_else(|e| e.into_inner());
            let (requested, _) = self
                .wake
                .wait_timeout_while(requested, std::time::Duration::from_secs(1), |r| {
                    *r <= synced_to
                })
                .unwrap_or_else(|e| e.into_inner());
            if *requested <= synced_to {
                return;
            }
        }
        // A short gathering window (like PostgreSQL's `commit_delay`): the writers woken by
        // the previous sync are still appending their next records; without it the next sync
        // covers one or two of them and the rest wait a whole sync more. Measured with the
        // durability benchmark: 0 µs 27k SET/s, 50 µs 97–121k, 500 µs 59k (50 tasks).
        std::thread::sleep(GATHER);
        let (handle, upto) = {
            let log = log.lock().unwrap_or_else(|e| e.into_inner());
            (log.sync_handle(), log.appended())
        };
        match handle.and_then(|f| f.sync_data()) {
            Ok(()) => self.synced.send_modify(|s| s.position = upto),
            Err(e) => {
                let message = format!("sync failed: {e}");
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .sync_failed(message.clone());
                self.synced.send_modify(|s| s.failed = Some(message));
            }
        }
    }
}

/// Writes a rewrite's snapshot to `dir/REWRITE_FILE`, synced; the file is returned open for
/// appending the tail.
pub(crate) fn write_rewrite(dir: &Path, snapshot: &[u8]) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(REWRITE_FILE))?;
    file.write_all(snapshot)?;
    file.sync_all()?;
    Ok(file)
}

/// Replays the records of the log `file` (`len` bytes) through `apply`; returns the offset
/// after the last whole, valid record.
fn replay(
    file: &mut File,
    path: &Path,
    len: u64,
    apply: &mut dyn FnMut(Command),
    recovered: &mut Recovered,
) -> Result<u64, String> {
    let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
    let mut header = [0u8; 8];
    let got = read_full(&mut reader, &mut header).map_err(|e| describe(path, &e))?;
    if got < header.len() || header[..7] != HEADER[..7] {
        if got < header.len() && header[..got] == HEADER[..got] {
            // Cut short while the header itself was written: an empty log.
            tracing::warn!(
                path = %path.display(),
                "append-only log: incomplete header, starting empty"
            );
            drop(reader);
            file.set_len(0).map_err(|e| describe(path, &e))?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| describe(path, &e))?;
            file.write_all(HEADER).map_err(|e| describe(path, &e))?;
            file.sync_all().map_err(|e| describe(path, &e))?;
            return Ok(HEADER.len() as u64);
        }
        return Err(format!(
            "{} is not a hedgestore append-only log (it does not start with HSAOF); move it \
             away or point HEDGESTORE_DATA_DIR elsewhere",
            path.display()
        ));
    }
    if header[7] != VERSION {
        return Err(format!(
            "{} was written by a newer hedgestore (log format version {}, this one reads {VERSION})",
            path.display(),
            header[7]
        ));
    }
    let mut good = HEADER.len() as u64;
    let mut payload = Vec::new();
    let stop = loop {
        let mut head = [0u8; log::RECORD_HEAD];
        let got = read_full(&mut reader, &mut head).map_err(|e| describe(path, &e))?;
        if got == 0 {
            break None;
        }
        if got < head.len() {
            break Some(log::Stop::Torn);
        }
        let (record_len, crc) = match decode_head(&head) {
            Ok(head) => head,
            Err(stop) => break Some(stop),
        };
        if u64::from(record_len) > len - good - 8 {
            break Some(log::Stop::Torn);
        }
        payload.resize(record_len as usize, 0);
        if read_full(&mut reader, &mut payload).map_err(|e| describe(path, &e))? < payload.len() {
            break Some(log::Stop::Torn);
        }
        let commands = match decode_payload(crc, &payload) {
            Ok(commands) => commands,
            Err(stop) => break Some(stop),
        };
        recovered.records += 1;
        for command in commands {
            recovered.commands += 1;
            apply(command);
        }
        good += 8 + u64::from(record_len);
    };
    if let Some(why) = stop {
        tracing::warn!(
            path = %path.display(),
            dropped_bytes = len - good,
            kept_records = recovered.records,
            "append-only log: {} at byte {good}; the log is truncated there",
            why.describe()
        );
    }
    Ok(good)
}

/// Reads until `buf` is full or the end of the file; returns how much was read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The current Unix time in milliseconds, as the engine's clock reads it.
pub(crate) fn now_ms(clock: &SystemClock) -> i64 {
    clock.now() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsync_settings_parse_like_redis() {
        assert_eq!(Fsync::parse("Always"), Some(Fsync::Always));
        assert_eq!(Fsync::parse("everysec"), Some(Fsync::EverySec));
        assert_eq!(Fsync::parse("no"), Some(Fsync::No));
        assert_eq!(Fsync::parse("sometimes"), None);
    }
}
