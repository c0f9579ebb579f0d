//! String commands: GET, SET, GETDEL, GETEX, MGET, MSET, SETNX, INCR family, INCRBYFLOAT,
//! APPEND, STRLEN.

use alloc::vec::Vec;

use super::{expiry_for_set, Engine, TtlChange};
use crate::command::{CommandKind, GetExOption, SetCondition, SetOptions};
use crate::num::{format_i64_in, incr_float, parse_i64};
use crate::value::{Str, Value};
use crate::{Clock, Error};

/// What `SET` did: whether it wrote, and (with the `GET` option) the previous value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetOutcome {
    pub(crate) written: bool,
    pub(crate) previous: Option<Vec<u8>>,
}

impl<C: Clock> Engine<C> {
    /// `GET`: the value of `key`, `None` if missing. Allocates only the returned copy.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        self.get_with(key, <[u8]>::to_vec)
    }

    /// `GET` without copying: runs `f` on the stored bytes.
    pub fn get_with<R>(
        &mut self,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, Error> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(i) => match &self.keys.slot(i).value {
                Value::Str(s) => Ok(Some(f(s.as_bytes()))),
                _ => Err(Error::WrongType),
            },
        }
    }

    /// `GET` without copying, also naming the write the value came from: runs `f` on the
    /// stored bytes and the key's version (the one [`key_version`](Self::key_version) reads).
    /// Exactly [`get_with`](Self::get_with) otherwise (expiry, access clock, hit/miss counts).
    ///
    /// Every write to any key takes a new version from one counter (a transaction that rolls
    /// back restores a key's value and version together), so a version names one value for the
    /// engine's lifetime: a host may keep what it derived from the bytes (the wasm bindings keep
    /// the decoded JavaScript string) under the version and reuse it while the version is
    /// unchanged.
    pub fn get_versioned_with<R>(
        &mut self,
        key: &[u8],
        f: impl FnOnce(&[u8], u64) -> R,
    ) -> Result<Option<R>, Error> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(i) => {
                let slot = self.keys.slot(i);
                match &slot.value {
                    Value::Str(s) => Ok(Some(f(s.as_bytes(), slot.version))),
                    _ => Err(Error::WrongType),
                }
            }
        }
    }

    /// `SET`: stores `value` under the options' conditions; returns whether it was written.
    /// (Use [`execute`](Self::execute) with `options.get` to also receive the old value.)
    pub fn set(&mut self, key: &[u8], value: &[u8], options: SetOptions) -> Result<bool, Error> {
        self.run_as(CommandKind::Set, |e| {
            e.set_owned(key, Str::from_slice(value), options)
        })
        .map(|o| o.written)
    }

    /// `SET` without memory admission: callers run it through [`run_as`](Self::run_as).
    pub(super) fn set_owned(
        &mut self,
        key: &[u8],
        value: Str,
        options: SetOptions,
    ) -> Result<SetOutcome, Error> {
        let expires_at = options
            .expiry
            .map(|e| expiry_for_set(e, self.now(), "set"))
            .transpose()?;
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        let previous = match (options.get, existing) {
            (true, Some(i)) => match &self.keys.slot(i).value {
                Value::Str(s) => Some(s.to_vec()),
                _ => return Err(Error::WrongType),
            },
            _ => None,
        };
        let blocked = match options.condition {
            SetCondition::Always => false,
            SetCondition::IfNotExists => existing.is_some(),
            SetCondition::IfExists => existing.is_none(),
        };
        if blocked {
            return Ok(SetOutcome {
                written: false,
                previous,
            });
        }
        // A deadline already in the past (EXAT/PXAT) is stored as it is, as Redis does: the
        // key is invisible at once and counted by DBSIZE until expiry removes it.
        let ttl = match expires_at {
            Some(at) => TtlChange::At(at),
            None if options.keep_ttl => TtlChange::Keep,
            None => TtlChange::Clear,
        };
        self.store(hash, key, existing, Value::Str(value), ttl);
        Ok(SetOutcome {
            written: true,
            previous,
        })
    }

    /// `GETDEL`: the value of `key`, deleting it.
    pub fn getdel(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let Some(i) = self.lookup_read(key) else {
            return Ok(None);
        };
        if !matches!(self.keys.slot(i).value, Value::Str(_)) {
            return Err(Error::WrongType);
        }
        self.next_version();
        match self.remove_slot(i).value {
            Value::Str(s) => Ok(Some(s.into_vec())),
            _ => unreachable!("type checked above"),
        }
    }

    /// `GETEX`: the value of `key`, changing its TTL as `option` says.
    pub fn getex(
        &mut self,
        key: &[u8],
        option: Option<GetExOption>,
    ) -> Result<Option<Vec<u8>>, Error> {
        let Some(i) = self.lookup_read(key) else {
            return Ok(None);
        };
        let Value::Str(s) = &self.keys.slot(i).value else {
            return Err(Error::WrongType);
        };
        let value = s.to_vec();
        let now = self.now();
        match option {
            None => {}
            Some(GetExOption::Persist) => {
                self.persist_slot(i);
            }
            Some(GetExOption::Expiry(e)) => {
                let at = expiry_for_set(e, now, "getex")?;
                if at.get() <= now {
                    self.next_version();
                    self.remove_slot(i);
                } else {
                    self.set_slot_expiry(i, Some(at));
                }
            }
        }
        Ok(Some(value))
    }

    /// `MGET`: each key's value; `None` for missing keys and keys of other types.
    pub fn mget<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Vec<Option<Vec<u8>>> {
        keys.iter()
            .map(|k| self.get(k.as_ref()).ok().flatten())
            .collect()
    }

    /// `MSET`: sets every pair, clearing their TTLs.
    pub fn mset<K: AsRef<[u8]>, V: AsRef<[u8]>>(&mut self, pairs: &[(K, V)]) -> Result<(), Error> {
        self.run_as(CommandKind::MSet, |e| {
            e.mset_owned(
                pairs
                    .iter()
                    .map(|(k, v)| (k.as_ref(), Str::from_slice(v.as_ref()))),
            );
            Ok(())
        })
    }

    /// `MSET` without memory admission: callers run it through [`run_as`](Self::run_as).
    pub(super) fn mset_owned<'k>(&mut self, pairs: impl IntoIterator<Item = (&'k [u8], Str)>) {
        for (k, v) in pairs {
            self.put(k, v);
        }
    }

    /// Plain `SET key value` (no options), which cannot fail.
    pub(crate) fn put(&mut self, key: &[u8], value: Str) {
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        self.store(hash, key, existing, Value::Str(value), TtlChange::Clear);
    }

    /// `SETNX`: sets `key` only if it does not exist; true when it did.
    pub fn setnx(&mut self, key: &[u8], value: &[u8]) -> Result<bool, Error> {
        self.run_as(CommandKind::SetNx, |e| Ok(e.setnx_unguarded(key, value)))
    }

    pub(super) fn setnx_unguarded(&mut self, key: &[u8], value: &[u8]) -> bool {
        let hash = self.keys.hash(key);
        if self.live(hash, key).is_some() {
            return false;
        }
        self.store(
            hash,
            key,
            None,
            Value::Str(Str::from_slice(value)),
            TtlChange::Clear,
        );
        true
    }

    /// `INCRBY` (and `INCR`, `DECR`, `DECRBY`): adds `delta` to the integer at `key`
    /// (missing counts as 0), keeping its TTL.
    pub fn incr_by(&mut self, key: &[u8], delta: i64) -> Result<i64, Error> {
        self.run_as(CommandKind::IncrBy, |e| e.incr_by_unguarded(key, delta))
    }

    pub(super) fn incr_by_unguarded(&mut self, key: &[u8], delta: i64) -> Result<i64, Error> {
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        let current = match existing {
            None => 0,
            Some(i) => match &self.keys.slot(i).value {
                Value::Str(s) => parse_i64(s).ok_or(Error::NotInteger)?,
                _ => return Err(Error::WrongType),
            },
        };
        let next = current.checked_add(delta).ok_or(Error::Overflow)?;
        self.store(
            hash,
            key,
            existing,
            // Formatted on the stack: an integer always fits inline, no allocation.
            Value::Str(Str::from_slice(format_i64_in(next, &mut [0; 20]))),
            TtlChange::Keep,
        );
        Ok(next)
    }

    /// `DECRBY`: subtracts `delta`; `i64::MIN` cannot be negated and is refused.
    pub fn decr_by(&mut self, key: &[u8], delta: i64) -> Result<i64, Error> {
        self.run_as(CommandKind::DecrBy, |e| e.decr_by_unguarded(key, delta))
    }

    /// `DECRBY` without memory admission: callers run it through [`run_as`](Self::run_as).
    pub(super) fn decr_by_unguarded(&mut self, key: &[u8], delta: i64) -> Result<i64, Error> {
        let negated = delta.checked_neg().ok_or(Error::DecrementOverflow)?;
        self.incr_by_unguarded(key, negated)
    }

    /// `INCRBYFLOAT`: adds `delta` to the number at `key`; returns the stored text.
    pub fn incr_by_float(&mut self, key: &[u8], delta: f64) -> Result<Vec<u8>, Error> {
        self.run_as(CommandKind::IncrByFloat, |e| {
            e.incr_by_float_unguarded(key, delta)
        })
    }

    pub(super) fn incr_by_float_unguarded(
        &mut self,
        key: &[u8],
        delta: f64,
    ) -> Result<Vec<u8>, Error> {
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        let current = match existing {
            None => None,
            Some(i) => match &self.keys.slot(i).value {
                Value::Str(s) => Some(s.as_bytes()),
                _ => return Err(Error::WrongType),
            },
        };
        let text = incr_float(current, delta, Error::NotFloat)?;
        self.store(
            hash,
            key,
            existing,
            Value::Str(Str::from_slice(&text)),
            TtlChange::Keep,
        );
        Ok(text)
    }

    /// `APPEND`: appends `value` to the string at `key` (created if missing); returns the new
    /// length.
    pub fn append(&mut self, key: &[u8], value: &[u8]) -> Result<usize, Error> {
        self.run_as(CommandKind::Append, |e| e.append_unguarded(key, value))
    }

    pub(super) fn append_unguarded(&mut self, key: &[u8], value: &[u8]) -> Result<usize, Error> {
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        let current = match existing.map(|i| &self.keys.slot(i).value) {
            None => 0,
            Some(Value::Str(s)) => s.len(),
            Some(_) => return Err(Error::WrongType),
        };
        let write = |s: &mut [u8]| {
            s[current..].copy_from_slice(value);
            s.len()
        };
        Ok(self.edit_string(hash, key, existing, current + value.len(), write))
    }

    /// `STRLEN`: length of the string at `key`, 0 if missing.
    pub fn strlen(&mut self, key: &[u8]) -> Result<usize, Error> {
        Ok(self.get_with(key, <[u8]>::len)?.unwrap_or(0))
    }
}
