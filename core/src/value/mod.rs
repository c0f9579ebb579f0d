//! Stored values and their memory footprint.
//!
//! Hashes and lists track the bytes of their elements as they change, so the footprint of any
//! value is an O(1) formula, not a walk: the engine recomputes it around every mutation.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::mem::size_of;

use crate::command::KeyType;

mod hash;
mod set;
mod str;
mod zset;

pub(crate) use hash::HashValue;
pub(crate) use set::SetValue;
pub(crate) use str::Str;
#[cfg(test)]
pub(crate) use str::INLINE_STR;
pub(crate) use zset::ZSetValue;

/// A value in the keyspace. Strings of up to [`INLINE_STR`] bytes are stored in the value
/// itself (so in the slot); collections are boxed.
#[derive(Clone)]
pub(crate) enum Value {
    Str(Str),
    Hash(Box<HashValue>),
    List(Box<ListValue>),
    Set(Box<SetValue>),
    ZSet(Box<ZSetValue>),
}

impl Value {
    pub(crate) fn key_type(&self) -> KeyType {
        match self {
            Value::Str(_) => KeyType::String,
            Value::Hash(_) => KeyType::Hash,
            Value::List(_) => KeyType::List,
            Value::Set(_) => KeyType::Set,
            Value::ZSet(_) => KeyType::ZSet,
        }
    }

    /// Heap bytes owned by this value (see [`crate::Engine::used_memory`] for the formula).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_bytes(),
            Value::Hash(h) => size_of::<HashValue>() + h.heap_bytes(),
            Value::List(l) => size_of::<ListValue>() + l.heap_bytes(),
            Value::Set(s) => size_of::<SetValue>() + s.heap_bytes(),
            Value::ZSet(z) => size_of::<ZSetValue>() + z.heap_bytes(),
        }
    }

    /// Whether this is an empty collection, which the keyspace never keeps.
    pub(crate) fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::Hash(h) => h.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod size_tests {
    use super::*;

    #[test]
    fn value_is_72_bytes_with_the_inline_string() {
        // The collections' boxes fit around the string's tag, so the whole enum is the
        // inline string's 70 bytes plus its length and tag.
        assert_eq!(size_of::<Value>(), 72);
    }
}

/// A list of byte strings, cheap to push and pop at both ends.
#[derive(Default, Clone)]
pub(crate) struct ListValue {
    items: VecDeque<Vec<u8>>,
    /// Σ capacity of every element buffer.
    payload: usize,
}

impl ListValue {
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn items(&self) -> &VecDeque<Vec<u8>> {
        &self.items
    }

    pub(crate) fn push_front(&mut self, v: Vec<u8>) {
        self.payload += v.capacity();
        self.items.push_front(v);
    }

    pub(crate) fn push_back(&mut self, v: Vec<u8>) {
        self.payload += v.capacity();
        self.items.push_back(v);
    }

    pub(crate) fn pop_front(&mut self) -> Option<Vec<u8>> {
        let v = self.items.pop_front()?;
        self.payload -= v.capacity();
        Some(v)
    }

    pub(crate) fn pop_back(&mut self) -> Option<Vec<u8>> {
        let v = self.items.pop_back()?;
        self.payload -= v.capacity();
        Some(v)
    }

    pub(crate) fn set(&mut self, index: usize, v: Vec<u8>) {
        self.payload += v.capacity();
        let old = core::mem::replace(&mut self.items[index], v);
        self.payload -= old.capacity();
    }

    pub(crate) fn insert(&mut self, index: usize, v: Vec<u8>) {
        self.payload += v.capacity();
        self.items.insert(index, v);
    }

    /// Keeps only the elements in `start..=end` (both in range, `start <= end`), or nothing
    /// when `keep` is false.
    pub(crate) fn retain_range(&mut self, keep: Option<(usize, usize)>) {
        match keep {
            None => {
                self.items.clear();
                self.payload = 0;
            }
            Some((start, end)) => {
                for v in self.items.drain(end + 1..) {
                    self.payload -= v.capacity();
                }
                for v in self.items.drain(..start) {
                    self.payload -= v.capacity();
                }
            }
        }
    }

    /// Removes the elements whose index `remove` selects, preserving order.
    pub(crate) fn remove_where(&mut self, mut remove: impl FnMut(usize, &[u8]) -> bool) {
        let mut kept = VecDeque::with_capacity(self.items.len());
        let mut payload = 0;
        for (i, v) in core::mem::take(&mut self.items).into_iter().enumerate() {
            if !remove(i, &v) {
                payload += v.capacity();
                kept.push_back(v);
            }
        }
        self.items = kept;
        self.payload = payload;
    }

    fn heap_bytes(&self) -> usize {
        self.items.capacity() * size_of::<Vec<u8>>() + self.payload
    }
}

/// Bytes a hashbrown table with this `capacity` allocates for elements of type `T`: one slot
/// and one control byte per bucket, plus one group of trailing control bytes.
pub(crate) fn table_bytes<T>(capacity: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity * 8 / 7).next_power_of_two()
    };
    buckets * (size_of::<T>() + 1) + 16
}
