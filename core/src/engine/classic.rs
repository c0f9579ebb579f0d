//! The classic string commands that combine a read and a write: SETEX, PSETEX, GETSET,
//! MSETNX, SETRANGE, GETRANGE.

use alloc::vec::Vec;

use super::{expiry_for_set, Engine, TtlChange};
use crate::command::{CommandKind, Expiry};
use crate::value::{Str, Value};
use crate::{Clock, Error};

/// The longest string Redis builds (`proto-max-bulk-len`, 512 MB).
const MAX_STRING: u64 = 512 * 1024 * 1024;

impl<C: Clock> Engine<C> {
    /// `SETEX` (`Expiry::Ex`) and `PSETEX` (`Expiry::Px`): sets `key` with a relative TTL,
    /// which must be positive.
    pub fn setex(&mut self, key: &[u8], expiry: Expiry, value: &[u8]) -> Result<(), Error> {
        let kind = match expiry {
            Expiry::Px(_) | Expiry::PxAt(_) => CommandKind::PSetEx,
            Expiry::Ex(_) | Expiry::ExAt(_) => CommandKind::SetEx,
        };
        self.run_as(kind, |e| {
            e.setex_unguarded(key, expiry, Str::from_slice(value))
        })
    }

    pub(super) fn setex_unguarded(
        &mut self,
        key: &[u8],
        expiry: Expiry,
        value: Str,
    ) -> Result<(), Error> {
        let name = match expiry {
            Expiry::Px(_) | Expiry::PxAt(_) => "psetex",
            Expiry::Ex(_) | Expiry::ExAt(_) => "setex",
        };
        let at = expiry_for_set(expiry, self.now(), name)?;
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        self.store(hash, key, existing, Value::Str(value), TtlChange::At(at));
        Ok(())
    }

    /// `GETSET`: sets `key` to `value` (clearing its TTL) and returns the previous string.
    pub fn getset(&mut self, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.run_as(CommandKind::GetSet, |e| {
            e.getset_unguarded(key, Str::from_slice(value))
        })
    }

    pub(super) fn getset_unguarded(
        &mut self,
        key: &[u8],
        value: Str,
    ) -> Result<Option<Vec<u8>>, Error> {
        let previous = self.get(key)?;
        self.put(key, value);
        Ok(previous)
    }

    /// `MSETNX`: sets every pair only when none of the keys exists; true when it did.
    pub fn msetnx<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        pairs: &[(K, V)],
    ) -> Result<bool, Error> {
        self.run_as(CommandKind::MSetNx, |e| Ok(e.msetnx_unguarded(pairs)))
    }

    pub(super) fn msetnx_unguarded<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        pairs: &[(K, V)],
    ) -> bool {
        if pairs.iter().any(|(k, _)| self.lookup(k.as_ref()).is_some()) {
            return false;
        }
        for (k, v) in pairs {
            self.put(k.as_ref(), Str::from_slice(v.as_ref()));
        }
        true
    }

    /// `SETRANGE`: overwrites the string at `key` from byte `offset` (padding with zero bytes,
    /// creating the key when missing and `value` is not empty); returns the new length.
    pub fn setrange(&mut self, key: &[u8], offset: i64, value: &[u8]) -> Result<usize, Error> {
        self.run_as(CommandKind::SetRange, |e| {
            e.setrange_unguarded(key, offset, value)
        })
    }

    pub(super) fn setrange_unguarded(
        &mut self,
        key: &[u8],
        offset: i64,
        value: &[u8],
    ) -> Result<usize, Error> {
        let offset = usize::try_from(offset).map_err(|_| Error::OffsetOutOfRange)?;
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        let current = match existing {
            None => 0,
            Some(i) => match &self.keys.slot(i).value {
                Value::Str(s) => s.len(),
                _ => return Err(Error::WrongType),
            },
        };
        if value.is_empty() {
            return Ok(current);
        }
        if offset as u64 + value.len() as u64 > MAX_STRING {
            return Err(Error::StringTooLong);
        }
        let end = offset + value.len();
        let write = |s: &mut [u8]| {
            s[offset..end].copy_from_slice(value);
            s.len()
        };
        Ok(self.edit_string(hash, key, existing, end, write))
    }

    /// Zero-extends the string at `key` (slot `existing`, whose type the caller checked) to
    /// at least `min_len` bytes, or stores a new one of `min_len` zero bytes there when there
    /// is none (no TTL), then runs `write` on its bytes: what `SETRANGE`, `SETBIT` and
    /// `APPEND` share. Short strings are edited inline, without an allocation.
    pub(super) fn edit_string<R>(
        &mut self,
        hash: u64,
        key: &[u8],
        existing: Option<usize>,
        min_len: usize,
        write: impl FnOnce(&mut [u8]) -> R,
    ) -> R {
        match existing {
            None => {
                let mut s = Str::zeroed(min_len);
                let out = write(&mut s);
                self.store(hash, key, None, Value::Str(s), TtlChange::Keep);
                out
            }
            Some(i) => self.modify(i, |v| match v {
                Value::Str(s) => s.grow_and_write(min_len, write),
                _ => unreachable!("type checked by the caller"),
            }),
        }
    }

    /// `GETRANGE`: the bytes of the string at `key` from `start` to `end` inclusive (negative
    /// indexes count from the end); empty when missing or out of range.
    pub fn getrange(&mut self, key: &[u8], start: i64, end: i64) -> Result<Vec<u8>, Error> {
        let range = |s: &[u8]| -> Vec<u8> {
            let len = s.len() as i64;
            if start < 0 && end < 0 && start > end {
                return Vec::new();
            }
            let mut start = if start < 0 { len + start } else { start };
            let mut end = if end < 0 { len + end } else { end };
            start = start.max(0);
            end = end.max(0);
            if end >= len {
                end = len - 1;
            }
            if start > end || len == 0 {
                Vec::new()
            } else {
                s[start as usize..=end as usize].to_vec()
            }
        };
        Ok(self.get_with(key, range)?.unwrap_or_default())
    }
}
