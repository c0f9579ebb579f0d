//! Set algebra across keys: SINTER, SUNION, SDIFF, their STORE forms, and SINTERCARD.
//!
//! A missing key counts as an empty set; a key of another type fails the whole command with
//! `WRONGTYPE`, whatever the other keys hold (Redis checks every key first).

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::sets::is_set;
use super::{Engine, TtlChange};
use crate::command::CommandKind;
use crate::value::{SetValue, Value};
use crate::{Clock, Error};

/// Which combination of sets ([`Engine::set_combine`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SetOp {
    /// Members in every set.
    Inter,
    /// Members in any set.
    Union,
    /// Members of the first set in none of the others.
    Diff,
}

impl SetOp {
    fn store_kind(self) -> CommandKind {
        match self {
            SetOp::Inter => CommandKind::SInterStore,
            SetOp::Union => CommandKind::SUnionStore,
            SetOp::Diff => CommandKind::SDiffStore,
        }
    }
}

impl<C: Clock> Engine<C> {
    /// The sets at `keys` (`None` for a missing key), or `WRONGTYPE` if any key holds
    /// another type. Every key is looked up, and expired if due, before any slot is read.
    fn with_sets<R, K: AsRef<[u8]>>(
        &mut self,
        keys: &[K],
        f: impl FnOnce(&[Option<&SetValue>]) -> R,
    ) -> Result<R, Error> {
        for k in keys {
            if let Some(i) = self.lookup_read(k.as_ref()) {
                if !is_set(&self.keys.slot(i).value) {
                    return Err(Error::WrongType);
                }
            }
        }
        let sets: Vec<Option<&SetValue>> = keys
            .iter()
            .map(|k| {
                let k = k.as_ref();
                self.keys
                    .find(self.keys.hash(k), k)
                    .and_then(|i| match &self.keys.slot(i).value {
                        Value::Set(s) => Some(&**s),
                        _ => None,
                    })
            })
            .collect();
        Ok(f(&sets))
    }

    /// `SINTER` / `SUNION` / `SDIFF`: the members of the combination, in no particular order.
    pub fn set_combine<K: AsRef<[u8]>>(
        &mut self,
        op: SetOp,
        keys: &[K],
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.with_sets(keys, |sets| combine(op, sets, usize::MAX))
    }

    /// `SINTERCARD`: how many members are in every set, counting up to `limit` (0 or `None`
    /// counts them all).
    pub fn sintercard<K: AsRef<[u8]>>(
        &mut self,
        keys: &[K],
        limit: Option<usize>,
    ) -> Result<usize, Error> {
        let limit = limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        self.with_sets(keys, |sets| combine(SetOp::Inter, sets, limit).len())
    }

    /// `SINTERSTORE` / `SUNIONSTORE` / `SDIFFSTORE`: stores the combination at
    /// `destination` (replacing it and its TTL; deleting it when the result is empty) and
    /// returns its size.
    pub fn set_combine_store<K: AsRef<[u8]>>(
        &mut self,
        op: SetOp,
        destination: &[u8],
        keys: &[K],
    ) -> Result<usize, Error> {
        self.run_as(op.store_kind(), |e| {
            e.set_combine_store_unguarded(op, destination, keys)
        })
    }

    pub(super) fn set_combine_store_unguarded<K: AsRef<[u8]>>(
        &mut self,
        op: SetOp,
        destination: &[u8],
        keys: &[K],
    ) -> Result<usize, Error> {
        let members = self.with_sets(keys, |sets| combine(op, sets, usize::MAX))?;
        let len = members.len();
        self.replace_with(
            destination,
            (len > 0).then(|| Value::Set(Box::new(members.into_iter().collect()))),
        );
        Ok(len)
    }

    /// Stores `value` at `key` whatever was there, clearing its TTL; `None` deletes the key.
    pub(super) fn replace_with(&mut self, key: &[u8], value: Option<Value>) {
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        match (value, existing) {
            (Some(v), _) => self.store(hash, key, existing, v, TtlChange::Clear),
            (None, Some(i)) => {
                self.next_version();
                self.remove_slot(i);
            }
            (None, None) => {}
        }
    }
}

/// The members of `op` over `sets` (`None` is an empty set), at most `limit` of them.
fn combine(op: SetOp, sets: &[Option<&SetValue>], limit: usize) -> Vec<Vec<u8>> {
    match op {
        SetOp::Inter => {
            let Some(present) = sets.iter().copied().collect::<Option<Vec<&SetValue>>>() else {
                return Vec::new();
            };
            let Some(smallest) = present.iter().min_by_key(|s| s.len()) else {
                return Vec::new();
            };
            smallest
                .iter()
                .filter(|m| present.iter().all(|s| s.contains(m)))
                .take(limit)
                .cloned()
                .collect()
        }
        SetOp::Union => {
            let mut seen = SetValue::default();
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    seen.insert(m);
                }
            }
            seen.iter().cloned().collect()
        }
        SetOp::Diff => {
            let Some(Some(first)) = sets.first() else {
                return Vec::new();
            };
            first
                .iter()
                .filter(|m| !sets[1..].iter().flatten().any(|s| s.contains(m)))
                .cloned()
                .collect()
        }
    }
}
