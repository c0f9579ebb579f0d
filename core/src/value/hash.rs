//! A hash value: field → value, with an optional expiry time per field.

use alloc::vec::Vec;

use hashbrown::HashMap;

use super::table_bytes;

/// A hash: field → value, and the absolute expiry time (Unix ms) of the fields that have one.
///
/// A field's TTL lives only as long as the field: removing or overwriting the field with
/// [`insert`](Self::insert) drops it, as `HDEL` and `HSET` do in Redis.
#[derive(Clone)]
pub(crate) struct HashValue {
    map: HashMap<Vec<u8>, Vec<u8>>,
    /// Expiry time of each field that has one (a subset of `map`'s fields).
    ttls: HashMap<Vec<u8>, u64>,
    /// No field expires before this time (`u64::MAX` when none has a TTL); may be earlier
    /// than the true earliest time, never later.
    earliest: u64,
    /// Σ capacity of every field and value buffer, and of the field names in `ttls`.
    payload: usize,
}

impl Default for HashValue {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            ttls: HashMap::new(),
            earliest: u64::MAX,
            payload: 0,
        }
    }
}

impl HashValue {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn get(&self, field: &[u8]) -> Option<&Vec<u8>> {
        self.map.get(field)
    }

    pub(crate) fn contains(&self, field: &[u8]) -> bool {
        self.map.contains_key(field)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.map.iter()
    }

    /// Sets `field` to `value` and clears its TTL (`HSET`); true when the field is new.
    pub(crate) fn insert(&mut self, field: &[u8], value: Vec<u8>) -> bool {
        self.clear_ttl(field);
        self.update(field, value)
    }

    /// Sets `field` to `value`, keeping its TTL (`HINCRBY`); true when the field is new.
    pub(crate) fn update(&mut self, field: &[u8], value: Vec<u8>) -> bool {
        self.payload += value.capacity();
        match self.map.get_mut(field) {
            Some(slot) => {
                self.payload -= slot.capacity();
                *slot = value;
                false
            }
            None => {
                let field = field.to_vec();
                self.payload += field.capacity();
                self.map.insert(field, value);
                true
            }
        }
    }

    /// Removes `field` and its TTL; true when it existed.
    pub(crate) fn remove(&mut self, field: &[u8]) -> bool {
        self.clear_ttl(field);
        match self.map.remove_entry(field) {
            Some((f, v)) => {
                self.payload -= f.capacity() + v.capacity();
                true
            }
            None => false,
        }
    }

    /// The expiry time of `field`, `None` when it has none.
    pub(crate) fn field_ttl(&self, field: &[u8]) -> Option<u64> {
        self.ttls.get(field).copied()
    }

    /// Every field with a TTL and its expiry time.
    pub(crate) fn field_ttls(&self) -> impl Iterator<Item = (&Vec<u8>, u64)> {
        self.ttls.iter().map(|(f, t)| (f, *t))
    }

    /// Whether any field has a TTL.
    pub(crate) fn has_field_ttls(&self) -> bool {
        !self.ttls.is_empty()
    }

    /// Sets the expiry time of `field`, which must exist.
    pub(crate) fn set_ttl(&mut self, field: &[u8], at: u64) {
        self.earliest = self.earliest.min(at);
        match self.ttls.get_mut(field) {
            Some(t) => *t = at,
            None => {
                let name = field.to_vec();
                self.payload += name.capacity();
                self.ttls.insert(name, at);
            }
        }
    }

    /// Removes the TTL of `field`; true when it had one.
    pub(crate) fn clear_ttl(&mut self, field: &[u8]) -> bool {
        // Most hashes have no field TTL: skip hashing the field for them.
        if self.ttls.is_empty() {
            return false;
        }
        match self.ttls.remove_entry(field) {
            Some((name, _)) => {
                self.payload -= name.capacity();
                if self.ttls.is_empty() {
                    self.earliest = u64::MAX;
                }
                true
            }
            None => false,
        }
    }

    /// Whether a field may have expired at `now` (cheap: no walk).
    pub(crate) fn may_have_expired(&self, now: u64) -> bool {
        self.earliest <= now
    }

    /// Removes every field whose TTL is at or before `now`; returns how many.
    pub(crate) fn purge_expired(&mut self, now: u64) -> usize {
        if self.ttls.is_empty() {
            self.earliest = u64::MAX;
            return 0;
        }
        let due: Vec<Vec<u8>> = self
            .ttls
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(f, _)| f.clone())
            .collect();
        for field in &due {
            self.remove(field);
        }
        self.earliest = self.ttls.values().copied().min().unwrap_or(u64::MAX);
        due.len()
    }

    pub(super) fn heap_bytes(&self) -> usize {
        table_bytes::<(Vec<u8>, Vec<u8>)>(self.map.capacity())
            + table_bytes::<(Vec<u8>, u64)>(self.ttls.capacity())
            + self.payload
    }
}
