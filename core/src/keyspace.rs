//! The keyspace table: slots in a chunked slab, found through a hash index of slot numbers.
//!
//! Why not a plain `HashMap<Key, Entry>`? Eviction and active expiry must *sample* keys at
//! random, and `SCAN` needs a cursor that survives inserts and deletes between calls. A dense
//! array of slots gives both: a random slot is one random number away, and a cursor is a
//! position in the array. The index maps a key's hash to its slot number.
//!
//! * Slots live in fixed-size chunks, so the table never reallocates (and copies) one giant
//!   array as it grows, and its slack is at most one chunk.
//! * Deleting swaps the last slot into the hole (`swap_remove`), keeping the array dense.
//! * `SCAN` walks slot numbers from the top down. A delete only ever moves the *last* slot,
//!   which a descending walk has already visited, to a lower position: so a key that exists
//!   for the whole scan is never skipped (it may be returned twice, as Redis also allows).

use alloc::vec::Vec;
use core::hash::BuildHasher;
use core::mem::size_of;
use core::num::NonZeroU64;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::key::Key;
use crate::value::Value;
use crate::Millis;

/// Slots per chunk.
const CHUNK: usize = 1024;

/// One key and everything the engine knows about it but its eviction stamp: 112 bytes on
/// 64-bit targets (a test checks it), with keys of up to 22 bytes and strings of up to 70
/// bytes inside.
///
/// The field order is fixed (`repr(C)`) so that what eviction reads from its victim (the
/// version, then the key, to find it in the index) sits together in the first 40 bytes,
/// usually one cache line; the value comes last.
///
/// The key's hash is not stored: the index needs it only when it grows and when a slot is
/// removed or moved, and hashing a short key again then costs a few nanoseconds, less than
/// the 8 bytes per key it would take (at 1M keys, 8 MB) cost in cache misses elsewhere.
#[repr(C)]
pub(crate) struct Slot {
    /// Changes on every write to this key (for optimistic, `WATCH`-style checks).
    pub(crate) version: u64,
    /// Absolute expiry time; `None` when the key is persistent.
    pub(crate) expires_at: Option<NonZeroU64>,
    pub(crate) key: Key,
    pub(crate) value: Value,
}

impl Slot {
    #[inline]
    pub(crate) fn is_expired(&self, now: Millis) -> bool {
        matches!(self.expires_at, Some(at) if at.get() <= now)
    }

    /// Heap bytes owned by this slot's key and value.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.key.heap_bytes() + self.value.heap_bytes()
    }
}

pub(crate) struct Keyspace {
    index: HashTable<u32>,
    chunks: Vec<Vec<Slot>>,
    /// Slot `i`'s eviction stamp (the access clock at its last access under the LRU
    /// policies, an LFU stamp under the LFU ones) is `stamps[i]`. Kept apart from the slots,
    /// dense: eviction samples random slots, and 4 bytes per key are a table small enough
    /// to stay in the processor's caches (400 KB at 100,000 keys), where the slots are not.
    stamps: Vec<u32>,
    /// One emptied chunk kept back, so a keyspace that hovers at a chunk boundary does not
    /// allocate and free a chunk on every insert/delete pair.
    spare: Option<Vec<Slot>>,
    len: usize,
    hasher: DefaultHashBuilder,
}

impl Keyspace {
    pub(crate) fn new() -> Self {
        Self {
            index: HashTable::new(),
            chunks: Vec::new(),
            stamps: Vec::new(),
            spare: None,
            len: 0,
            hasher: DefaultHashBuilder::default(),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    #[inline(always)]
    pub(crate) fn slot(&self, i: usize) -> &Slot {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    #[inline(always)]
    pub(crate) fn slot_mut(&mut self, i: usize) -> &mut Slot {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }

    /// Slot `i`'s eviction stamp.
    #[inline(always)]
    pub(crate) fn stamp(&self, i: usize) -> u32 {
        self.stamps[i]
    }

    /// Sets slot `i`'s eviction stamp.
    #[inline(always)]
    pub(crate) fn set_stamp(&mut self, i: usize, stamp: u32) {
        self.stamps[i] = stamp;
    }

    /// The slot number holding `key`, expired or not.
    #[inline]
    pub(crate) fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        let chunks = &self.chunks;
        self.index
            .find(hash, |&i| {
                let i = i as usize;
                chunks[i / CHUNK][i % CHUNK].key.eq_bytes(key)
            })
            .map(|&i| i as usize)
    }

    /// Appends a slot for a key that is not present, `hash` being its key's
    /// [`hash`](Self::hash), with eviction stamp `stamp`; returns its number.
    pub(crate) fn insert(&mut self, hash: u64, slot: Slot, stamp: u32) -> usize {
        let i = self.len;
        assert!(
            i < u32::MAX as usize,
            "keyspace holds at most u32::MAX - 1 keys"
        );
        if i % CHUNK == 0 {
            let chunk = self
                .spare
                .take()
                .unwrap_or_else(|| Vec::with_capacity(CHUNK));
            self.chunks.push(chunk);
        }
        self.chunks[i / CHUNK].push(slot);
        self.stamps.push(stamp);
        self.len += 1;
        let (chunks, hasher) = (&self.chunks, &self.hasher);
        self.index.insert_unique(hash, i as u32, |&j| {
            let j = j as usize;
            hasher.hash_one(chunks[j / CHUNK][j % CHUNK].key.as_bytes())
        });
        i
    }

    /// Removes slot `i`, moving the last slot into its place; returns the removed slot.
    #[cfg(test)]
    pub(crate) fn remove(&mut self, i: usize) -> Slot {
        let hash = self.hash(self.slot(i).key.as_bytes());
        self.remove_hashed(i, hash)
    }

    /// Removes slot `i`, whose key hashes to `hash`, moving the last slot into its place;
    /// returns the removed slot.
    pub(crate) fn remove_hashed(&mut self, i: usize, hash: u64) -> Slot {
        let last = self.len - 1;
        match self.index.find_entry(hash, |&j| j as usize == i) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => unreachable!("every slot has exactly one index entry"),
        }
        if i != last {
            let moved_hash = self.hash(self.slot(last).key.as_bytes());
            match self.index.find_mut(moved_hash, |&j| j as usize == last) {
                Some(j) => *j = i as u32,
                None => unreachable!("every slot has exactly one index entry"),
            }
        }
        let tail = self
            .chunks
            .last_mut()
            .expect("len > 0 means a chunk exists");
        let moved = tail.pop().expect("the last chunk holds the last slot");
        self.stamps.swap_remove(i);
        if tail.is_empty() {
            let empty = self.chunks.pop();
            if self.spare.is_none() {
                self.spare = empty;
            }
        }
        self.len -= 1;
        if i == last {
            moved
        } else {
            core::mem::replace(self.slot_mut(i), moved)
        }
    }

    /// Removes every slot, keeping no allocation.
    pub(crate) fn clear(&mut self) {
        *self = Self {
            hasher: self.hasher.clone(),
            ..Self::new()
        };
    }

    /// Bytes of the table charged for the keys it holds: one slot, one eviction stamp and
    /// one index entry (4 bytes and a control byte, at hashbrown's 7/8 load) per key.
    ///
    /// Charged per key rather than per allocation on purpose: the slab grows in chunks of
    /// 1024 slots and the index doubles when it resizes, and charging those steps would make
    /// usage jump by far more than one entry on a single write (eviction would then throw out
    /// thousands of keys at once). The difference from the allocator is at most one chunk of
    /// slots plus the index's unused buckets and the stamp array's spare capacity: well
    /// under 10 % (see the accounting test).
    pub(crate) fn table_bytes(&self) -> usize {
        self.len * PER_KEY_TABLE_BYTES
    }
}

/// Table bytes charged per key.
pub(crate) const PER_KEY_TABLE_BYTES: usize = size_of::<Slot>() + size_of::<u32>() + 6;

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(key: &[u8]) -> Slot {
        Slot {
            key: Key::new(key),
            value: Value::Str(crate::value::Str::from_slice(key)),
            expires_at: None,
            version: 0,
        }
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn slot_is_112_bytes() {
        assert_eq!(size_of::<Slot>(), 112);
    }

    #[test]
    fn insert_find_remove_across_chunks() {
        let mut ks = Keyspace::new();
        let keys: Vec<Vec<u8>> = (0..3 * CHUNK + 7)
            .map(|i| alloc::format!("k{i}").into_bytes())
            .collect();
        for k in &keys {
            ks.insert(ks.hash(k), slot(k), 0);
        }
        assert_eq!(ks.len(), keys.len());
        // Remove every third key, then check every survivor is still found at a slot that
        // holds it.
        for k in keys.iter().step_by(3) {
            let i = ks.find(ks.hash(k), k).unwrap();
            let removed = ks.remove(i);
            assert_eq!(removed.key.as_bytes(), &k[..]);
        }
        for (n, k) in keys.iter().enumerate() {
            let found = ks.find(ks.hash(k), k);
            if n % 3 == 0 {
                assert!(found.is_none());
            } else {
                assert_eq!(ks.slot(found.unwrap()).key.as_bytes(), &k[..]);
            }
        }
        while ks.len() > 0 {
            ks.remove(0);
        }
        assert!(ks.chunks.is_empty());
    }
}
