//! The outage journal: every write acknowledged from memory during an outage, in order, in the
//! form it is replayed in (relative expiry made absolute), with the pre-outage values
//! ("bases") of the keys it touches, under one byte bound.
//!
//! Sans-IO like the [machine](super::machine): it is told the time (Unix milliseconds) and
//! never reads a clock, a socket or the memory engine; the driver snapshots keys for it.

use std::collections::{HashMap, HashSet, VecDeque};

use hedgestore_core::Command;

use crate::config::JournalOverflow;

/// One journaled write.
pub(crate) struct Entry {
    /// Its position in this instance's journal (never reused, so replay markers are unique).
    pub(crate) seq: u64,
    /// The write, with absolute expiry times.
    pub(crate) command: Command,
}

/// A key's value as memory held it, with its absolute expiry (Unix ms, 0: none).
#[derive(Clone)]
pub(crate) struct Base {
    pub(crate) key: Vec<u8>,
    /// `string`, `hash`, `list`, `set` or `zset` (the names `TYPE` answers).
    pub(crate) kind: &'static str,
    /// The value; field, value, …; the items; the members; or score, member, ….
    pub(crate) payload: Vec<Vec<u8>>,
    pub(crate) expires_at: i64,
}

impl Base {
    /// Its size against the journal's bound.
    pub(crate) fn bytes(&self) -> usize {
        self.key.len() + self.payload.iter().map(|p| p.len() + 8).sum::<usize>()
    }
}

/// What the journal's bound says about a write that needs `bytes` more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// It fits (or the journal was dropped already): apply it.
    Admitted,
    /// Over the bound, policy `RejectWrites`: refuse the write. `announce`: the first time
    /// in this outage (announce `JournalFull` once).
    Refused { announce: bool },
    /// Over the bound, policy `DropJournal`: the journal was dropped now, apply the write;
    /// recovery writes memory back instead of replaying.
    Dropped { announce: bool },
}

/// One batch of the journal to replay (see `scripts::REPLAY`).
pub(crate) struct Batch<'a> {
    /// The marker value the server must hold at least: the last sequence number this
    /// recovery replayed into it (-1: none yet).
    pub(crate) expect: i64,
    /// The sequence number of the batch's last entry (the marker's value afterwards).
    pub(crate) last_seq: u64,
    /// Entries the batch covers (leave the journal once the batch is applied).
    pub(crate) covers: usize,
    /// The writes to send.
    pub(crate) entries: Vec<&'a Entry>,
}

/// The outage journal.
#[derive(Default)]
pub(crate) struct Journal {
    pub(crate) entries: VecDeque<Entry>,
    pub(crate) bytes: usize,
    next_seq: u64,
    /// Keys written during the outage.
    pub(crate) touched: HashSet<Vec<u8>>,
    /// What memory held for each key just before the outage first wrote it: merged into a
    /// Redis that restarted, under the replayed outage writes (`scripts::BASE_MERGE`).
    pub(crate) bases: Vec<Base>,
    /// The journal was dropped (overflow policy `DropJournal`).
    pub(crate) dropped: bool,
    /// `JournalFull` was announced for this outage.
    announced_full: bool,
    /// The server (run id) the front of the journal was replayed into by a recovery that has
    /// not finished, and how many entries that covered. Entries stay in the journal until the
    /// recovery finishes: if that server restarts before then, it may have lost them, and
    /// the next recovery replays them again from the front (batches the restarted server
    /// kept, from a snapshot, carry their markers and are not applied twice).
    replayed: Option<Replayed>,
    /// The server (run id) the first bases were merged into by a recovery that has not
    /// finished, and how many. Bases captured while a recovery runs (keys first written
    /// then) are merged before the batch that replays their writes.
    merged: Option<(String, usize)>,
    /// The replay-marker owner, when it is not this instance's own id: the earlier run whose
    /// journal file this one took over (see `persist`).
    pub(crate) owner: Option<String>,
}

/// How far a recovery that has not finished replayed the journal into one server.
struct Replayed {
    run_id: String,
    /// Entries covered, from the front.
    covers: usize,
    /// The server's marker expired (a recovery stalled for longer than its lifetime): the
    /// next batch does not ask for it.
    marker_expired: bool,
    /// On a Redis Cluster (one replay marker per slot): the last sequence number this
    /// recovery replayed into each slot, what that slot's marker must hold at least.
    slots: HashMap<u16, u64>,
}

impl Journal {
    /// The one bound check every journaled write passes (single commands, transactions,
    /// pipelines), before anything is applied to memory.
    pub(crate) fn admit(
        &mut self,
        bytes: usize,
        max_bytes: usize,
        overflow: JournalOverflow,
    ) -> Admission {
        if self.dropped || self.bytes.saturating_add(bytes) <= max_bytes {
            return Admission::Admitted;
        }
        let announce = !self.announced_full;
        self.announced_full = true;
        match overflow {
            JournalOverflow::RejectWrites => Admission::Refused { announce },
            JournalOverflow::DropJournal => {
                self.entries.clear();
                self.bytes = 0;
                self.dropped = true;
                Admission::Dropped { announce }
            }
        }
    }

    /// The keys of `commands`' writes that this outage has not touched yet, once each: their
    /// current values become [`Base`]s ([`Journal::add_base`]) before the writes apply.
    pub(crate) fn keys_needing_base(&self, commands: &[Command]) -> Vec<Vec<u8>> {
        if self.dropped {
            return Vec::new();
        }
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for command in commands.iter().filter(|c| c.is_write()) {
            for key in command.keys() {
                if !self.touched.contains(key) && seen.insert(key.to_vec()) {
                    keys.push(key.to_vec());
                }
            }
        }
        keys
    }

    /// Keeps a pre-outage value (counted in the journal's bytes).
    pub(crate) fn add_base(&mut self, base: Base) {
        self.bytes += base.bytes();
        self.bases.push(base);
    }

    /// Records an applied write in its journal form ([`journal_form`](hedgestore_core::forms::journal_form)), after
    /// [`Journal::admit`] let its bytes in.
    pub(crate) fn append(&mut self, (command, bytes): (Command, usize)) {
        for k in command.keys() {
            self.touched.insert(k.to_vec());
        }
        if self.dropped {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += bytes;
        self.entries.push_back(Entry { seq, command });
    }

    /// The bases not yet merged into the server `run_id` (all of them for another server).
    pub(crate) fn unmerged_bases(&self, run_id: &str) -> &[Base] {
        match &self.merged {
            Some((id, n)) if id == run_id => &self.bases[(*n).min(self.bases.len())..],
            _ => &self.bases,
        }
    }

    /// `n` more bases of [`Journal::unmerged_bases`] were merged into `run_id`.
    pub(crate) fn bases_merged(&mut self, run_id: &str, n: usize) {
        match &mut self.merged {
            Some((id, done)) if id == run_id => *done += n,
            _ => self.merged = Some((run_id.to_string(), n)),
        }
    }

    /// How many bases were merged into the server `run_id`.
    pub(crate) fn merged_count(&self, run_id: &str) -> usize {
        match &self.merged {
            Some((id, n)) if id == run_id => *n,
            _ => 0,
        }
    }

    /// Entries not yet replayed into the server `run_id`.
    pub(crate) fn unreplayed(&self, run_id: &str) -> usize {
        match &self.replayed {
            Some(r) if r.run_id == run_id => self.entries.len().saturating_sub(r.covers),
            _ => self.entries.len(),
        }
    }

    /// The next batch to replay into the server `run_id`: at most `max` entries, after the
    /// ones already replayed into that same server. `None` when every entry is replayed.
    pub(crate) fn next_batch(&self, run_id: &str, max: usize) -> Option<Batch<'_>> {
        let (start, marker_expired) = match &self.replayed {
            Some(r) if r.run_id == run_id => (r.covers, r.marker_expired),
            _ => (0, false),
        };
        self.entries.get(start)?;
        let covers = (self.entries.len() - start).min(max.max(1));
        let expect = match start.checked_sub(1) {
            Some(prev) if !marker_expired => {
                i64::try_from(self.entries[prev].seq).unwrap_or(i64::MAX)
            }
            _ => -1,
        };
        Some(Batch {
            expect,
            last_seq: self.entries[start + covers - 1].seq,
            covers,
            entries: self.entries.range(start..start + covers).collect(),
        })
    }

    /// The batch of `covers` entries returned by [`Journal::next_batch`] for `run_id` was
    /// applied (or found applied by its marker).
    pub(crate) fn batch_applied(&mut self, run_id: &str, covers: usize) {
        match &mut self.replayed {
            Some(r) if r.run_id == run_id => {
                r.covers += covers;
                r.marker_expired = false;
            }
            _ => {
                self.replayed = Some(Replayed {
                    run_id: run_id.to_string(),
                    covers,
                    marker_expired: false,
                    slots: HashMap::new(),
                });
            }
        }
    }

    /// The replay marker of `run_id` is gone though that same server is still there: it
    /// expired while the recovery stalled. The replay goes on from where it was.
    pub(crate) fn marker_expired(&mut self, run_id: &str) {
        if let Some(r) = self.replayed.as_mut().filter(|r| r.run_id == run_id) {
            r.marker_expired = true;
            r.slots.clear();
        }
    }

    /// On a cluster: what `slot`'s replay marker must hold at least before the next batch
    /// replays into it (the last sequence number this recovery replayed there; -1: none,
    /// or not known, as after a restart of this process).
    pub(crate) fn slot_expect(&self, run_id: &str, slot: u16) -> i64 {
        match &self.replayed {
            Some(r) if r.run_id == run_id => r
                .slots
                .get(&slot)
                .map_or(-1, |seq| i64::try_from(*seq).unwrap_or(i64::MAX)),
            _ => -1,
        }
    }

    /// On a cluster, after [`Journal::batch_applied`]: the batch replayed up to these
    /// sequence numbers into these slots.
    pub(crate) fn slots_applied(&mut self, run_id: &str, slots: &[(u16, u64)]) {
        if let Some(r) = self.replayed.as_mut().filter(|r| r.run_id == run_id) {
            r.slots.extend(slots.iter().copied());
        }
    }

    /// Empties the journal after a recovery (sequence numbers keep counting, the owner
    /// stays).
    pub(crate) fn clear(&mut self) {
        *self = Journal {
            next_seq: self.next_seq,
            owner: self.owner.take(),
            ..Journal::default()
        };
    }

    /// The sequence number the next entry gets.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Takes over what an earlier run left on disk (see `persist`): its entries, bases,
    /// replay and merge progress and its marker owner. `bytes` measures an entry.
    pub(crate) fn restore(
        &mut self,
        owner: String,
        entries: Vec<(u64, Command)>,
        bases: Vec<Base>,
        replayed: Option<(String, u64)>,
        merged: Option<(String, usize)>,
        bytes: impl Fn(&Command) -> usize,
    ) {
        for base in bases {
            self.touched.insert(base.key.clone());
            self.add_base(base);
        }
        for (seq, command) in entries {
            for k in command.keys() {
                self.touched.insert(k.to_vec());
            }
            self.bytes += bytes(&command);
            self.next_seq = self.next_seq.max(seq + 1);
            self.entries.push_back(Entry { seq, command });
        }
        if let Some((run_id, last)) = replayed {
            let covers = self.entries.iter().take_while(|e| e.seq <= last).count();
            self.replayed = Some(Replayed {
                run_id,
                covers,
                marker_expired: false,
                slots: HashMap::new(),
            });
        }
        self.merged = merged;
        self.owner = Some(owner);
    }
}

/// The replay marker of instance `owner`: the highest journal sequence number applied
/// (see `scripts::REPLAY`).
pub(crate) fn replay_marker(owner: &str) -> String {
    format!("hedgestore:replay:{owner}")
}

/// Prefix of the fresh-key markers for one restart of Redis (see `scripts::REPLAY`).
pub(crate) fn fresh_prefix(run_id: &str) -> String {
    format!("hedgestore:fresh:{run_id}:")
}

/// The base marker of `key` for one restart of Redis (see `scripts::BASE_MERGE`).
pub(crate) fn base_marker(run_id: &str, key: &[u8]) -> Vec<u8> {
    let mut marker = format!("hedgestore:base:{run_id}:").into_bytes();
    marker.extend_from_slice(key);
    marker
}
