//! The sorted set value: a member → score map for O(1) lookups, and the members in
//! (score, member) order in a two-level sorted array.
//!
//! The ordered side is a list of sorted chunks of at most [`CHUNK`] entries (a B+ tree of
//! height two): finding an entry is two binary searches, O(log n); inserting or removing
//! one moves at most a chunk's worth of entries, O(log n + CHUNK). A rank adds up the
//! lengths of the chunks before the entry: O(n / CHUNK) additions plus O(log n), a few
//! microseconds for a million members. Iterating a range costs O(log n + n / CHUNK) to
//! find its start and O(1) per element after that.
//!
//! Scores are never NaN; equal scores order by member bytes. `-0` is stored as `0` (Redis
//! 7.0 does so for sorted sets of up to 128 members, which it keeps in a listpack; a larger
//! one of Redis's would keep `-0`).

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::mem::size_of;

use hashbrown::HashMap;

use super::table_bytes;

/// Entries per chunk before it splits in two.
const CHUNK: usize = 128;

/// One member with its score, in the ordered side.
type Entry = (f64, Vec<u8>);

/// Redis's order: by score, then by member bytes.
fn cmp_entry(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    a_score
        .partial_cmp(&b_score)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a_member.cmp(b_member))
}

/// A sorted set.
#[derive(Default, Clone)]
pub(crate) struct ZSetValue {
    scores: HashMap<Vec<u8>, f64>,
    chunks: Vec<Vec<Entry>>,
    len: usize,
    /// Σ capacity × entry size of every chunk.
    chunk_bytes: usize,
    /// Σ capacity of every member buffer, both copies.
    payload: usize,
}

impl ZSetValue {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// How many entries come before the first entry for which `before` is false; `before`
    /// must hold for a prefix of the order.
    pub(crate) fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let c = self.chunks.partition_point(|ch| {
            let (s, m) = ch.last().expect("chunks are never empty");
            before(*s, m)
        });
        let prior: usize = self.chunks[..c].iter().map(Vec::len).sum();
        prior
            + self
                .chunks
                .get(c)
                .map_or(0, |ch| ch.partition_point(|(s, m)| before(*s, m)))
    }

    /// The 0-based rank of `member` in ascending order.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.count_before(|s, m| cmp_entry(s, m, score, member).is_lt()))
    }

    /// The entries at ranks `start..end` (ascending, `end` at most `len`).
    pub(crate) fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &Entry> {
        let mut skip = start;
        let mut c = 0;
        while c < self.chunks.len() && skip >= self.chunks[c].len() {
            skip -= self.chunks[c].len();
            c += 1;
        }
        let tail = self.chunks.get(c..).unwrap_or_default();
        let mut iter = tail.iter().flatten();
        if skip > 0 {
            iter.nth(skip - 1);
        }
        iter.take(end.saturating_sub(start))
    }

    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.chunks.iter().flatten()
    }

    /// Sets `member`'s score; returns the previous score. `-0` is stored as `0`, as Redis
    /// stores it in a small sorted set.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let score = if score == 0.0 { 0.0 } else { score };
        let previous = self.score(member);
        if let Some(old) = previous {
            self.remove_entry(old, member);
            *self.scores.get_mut(member).expect("present") = score;
        } else {
            let key = member.to_vec();
            self.payload += key.capacity();
            self.scores.insert(key, score);
        }
        self.insert_entry(score, member.to_vec());
        previous
    }

    /// Removes `member`; returns its score when it was there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (key, score) = self.scores.remove_entry(member)?;
        self.payload -= key.capacity();
        self.remove_entry(score, member);
        Some(score)
    }

    fn insert_entry(&mut self, score: f64, member: Vec<u8>) {
        self.payload += member.capacity();
        self.len += 1;
        if self.chunks.is_empty() {
            let chunk = alloc::vec![(score, member)];
            self.chunk_bytes += chunk.capacity() * size_of::<Entry>();
            self.chunks.push(chunk);
            return;
        }
        let c = self
            .chunks
            .partition_point(|ch| {
                let (s, m) = ch.last().expect("chunks are never empty");
                cmp_entry(*s, m, score, &member).is_lt()
            })
            .min(self.chunks.len() - 1);
        let chunk = &mut self.chunks[c];
        let before = chunk.capacity();
        let at = chunk.partition_point(|(s, m)| cmp_entry(*s, m, score, &member).is_lt());
        chunk.insert(at, (score, member));
        self.chunk_bytes += (chunk.capacity() - before) * size_of::<Entry>();
        if chunk.len() > CHUNK {
            // The lower half keeps its buffer; the upper half gets its own.
            let upper = chunk.split_off(CHUNK / 2);
            self.chunk_bytes += upper.capacity() * size_of::<Entry>();
            self.chunks.insert(c + 1, upper);
        }
    }

    fn remove_entry(&mut self, score: f64, member: &[u8]) {
        let c = self.chunks.partition_point(|ch| {
            let (s, m) = ch.last().expect("chunks are never empty");
            cmp_entry(*s, m, score, member).is_lt()
        });
        let chunk = &mut self.chunks[c];
        let at = chunk.partition_point(|(s, m)| cmp_entry(*s, m, score, member).is_lt());
        let (_, removed) = chunk.remove(at);
        self.payload -= removed.capacity();
        self.len -= 1;
        if chunk.is_empty() {
            self.chunk_bytes -= chunk.capacity() * size_of::<Entry>();
            self.chunks.remove(c);
        }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        table_bytes::<(Vec<u8>, f64)>(self.scores.capacity())
            + self.chunks.capacity() * size_of::<Vec<Entry>>()
            + self.chunk_bytes
            + self.payload
    }
}
