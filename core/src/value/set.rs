//! The set value: members in a dense array, found through a hash index of positions.
//!
//! The same layout as the keyspace: a random member is one random number away (`SPOP`,
//! `SRANDMEMBER` in O(1) per member), and a scan cursor is a position. Removing swaps the
//! last member into the hole, so `SSCAN` walking positions from the top down never skips a
//! member that stays in the set for the whole scan.

use alloc::vec::Vec;
use core::hash::BuildHasher;
use core::mem::size_of;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::table_bytes;

/// A set of distinct byte strings.
#[derive(Default, Clone)]
pub(crate) struct SetValue {
    members: Vec<Vec<u8>>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Σ capacity of every member buffer.
    payload: usize,
}

impl SetValue {
    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The member at position `i` (below [`len`](Self::len)).
    pub(crate) fn at(&self, i: usize) -> &Vec<u8> {
        &self.members[i]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.members.iter()
    }

    fn position(&self, member: &[u8]) -> Option<usize> {
        let hash = self.hasher.hash_one(member);
        let members = &self.members;
        self.index
            .find(hash, |&i| members[i as usize] == member)
            .map(|&i| i as usize)
    }

    pub(crate) fn contains(&self, member: &[u8]) -> bool {
        self.position(member).is_some()
    }

    /// Adds `member`; true when it is new.
    pub(crate) fn insert(&mut self, member: &[u8]) -> bool {
        if self.contains(member) {
            return false;
        }
        self.insert_new(member.to_vec());
        true
    }

    /// Adds a member known to be absent.
    fn insert_new(&mut self, member: Vec<u8>) {
        let hash = self.hasher.hash_one(&member);
        let i = self.members.len() as u32;
        self.payload += member.capacity();
        self.members.push(member);
        let (members, hasher) = (&self.members, &self.hasher);
        self.index
            .insert_unique(hash, i, |&j| hasher.hash_one(&members[j as usize]));
    }

    /// Removes `member`; true when it was there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        match self.position(member) {
            Some(i) => {
                self.remove_at(i);
                true
            }
            None => false,
        }
    }

    /// Removes and returns the member at position `i`, moving the last member into its place.
    pub(crate) fn remove_at(&mut self, i: usize) -> Vec<u8> {
        let last = self.members.len() - 1;
        let hash = self.hasher.hash_one(&self.members[i]);
        if let Ok(entry) = self.index.find_entry(hash, |&j| j as usize == i) {
            entry.remove();
        }
        if i != last {
            let moved = self.hasher.hash_one(&self.members[last]);
            if let Some(j) = self.index.find_mut(moved, |&j| j as usize == last) {
                *j = i as u32;
            }
        }
        let member = self.members.swap_remove(i);
        self.payload -= member.capacity();
        member
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.members.capacity() * size_of::<Vec<u8>>()
            + table_bytes::<u32>(self.index.capacity())
            + self.payload
    }
}

impl FromIterator<Vec<u8>> for SetValue {
    /// A set of the distinct items (later duplicates are dropped).
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(items: I) -> Self {
        let mut set = SetValue::default();
        for item in items {
            if !set.contains(&item) {
                set.insert_new(item);
            }
        }
        set
    }
}
