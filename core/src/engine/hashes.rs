//! Hash commands: HSET, HGET, HMGET, HGETALL, HDEL, HEXISTS, HLEN, HKEYS, HVALS, HINCRBY,
//! HINCRBYFLOAT, HSETNX.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::Engine;
use crate::command::CommandKind;
use crate::num::{format_i64, incr_float, parse_i64};
use crate::value::{HashValue, Value};
use crate::{Clock, Error};

/// A hash field and its value, as `HGETALL` returns them.
pub type FieldValue = (Vec<u8>, Vec<u8>);

fn is_hash(v: &Value) -> bool {
    matches!(v, Value::Hash(_))
}

fn new_hash() -> Value {
    Value::Hash(Box::default())
}

fn as_hash(v: &mut Value) -> &mut HashValue {
    match v {
        Value::Hash(h) => h,
        _ => unreachable!("callers check the type before modifying"),
    }
}

impl<C: Clock> Engine<C> {
    /// The hash at `key`: `Ok(None)` when missing, `WRONGTYPE` for another type.
    fn hash_ref(&mut self, key: &[u8]) -> Result<Option<&HashValue>, Error> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(i) => match &self.keys.slot(i).value {
                Value::Hash(h) => Ok(Some(h)),
                _ => Err(Error::WrongType),
            },
        }
    }

    /// `HSET`: sets the fields; returns how many were new.
    pub fn hset<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        pairs: &[(F, V)],
    ) -> Result<usize, Error> {
        self.run_as(CommandKind::HSet, |e| e.hset_unguarded(key, pairs))
    }

    pub(super) fn hset_unguarded<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        pairs: &[(F, V)],
    ) -> Result<usize, Error> {
        let i = self.lookup_or_create(key, is_hash, new_hash)?;
        Ok(self.modify(i, |v| {
            let h = as_hash(v);
            pairs
                .iter()
                .filter(|(f, val)| h.insert(f.as_ref(), val.as_ref().to_vec()))
                .count()
        }))
    }

    /// `HGET`: the value of `field`.
    pub fn hget(&mut self, key: &[u8], field: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.hash_ref(key)?.and_then(|h| h.get(field).cloned()))
    }

    /// `HSTRLEN`: the length in bytes of the field's value (0 for a missing field or key).
    pub fn hstrlen(&mut self, key: &[u8], field: &[u8]) -> Result<usize, Error> {
        Ok(self
            .hash_ref(key)?
            .and_then(|h| h.get(field).map(Vec::len))
            .unwrap_or(0))
    }

    /// `HRANDFIELD key count`: up to `count` distinct random fields with their values, or for
    /// a negative count `-count` fields that may repeat (chosen with the engine's seeded
    /// generator); empty for a missing key.
    pub fn hrandfield(&mut self, key: &[u8], count: i64) -> Result<Vec<FieldValue>, Error> {
        let entries: Vec<FieldValue> = match self.hash_ref(key)? {
            None => return Ok(Vec::new()),
            Some(h) => h.iter().map(|(f, v)| (f.clone(), v.clone())).collect(),
        };
        let positions = self.random_positions(entries.len(), count)?;
        Ok(positions.into_iter().map(|p| entries[p].clone()).collect())
    }

    /// `HSCAN`: the fields matching `pattern` with their values, all in one page (cursor 0),
    /// as Redis answers for a small hash.
    pub fn hscan(&mut self, key: &[u8], pattern: Option<&[u8]>) -> Result<Vec<FieldValue>, Error> {
        let pattern = pattern.map(crate::glob::Pattern::new).transpose()?;
        Ok(self
            .hash_ref(key)?
            .map(|h| {
                h.iter()
                    .filter(|(f, _)| pattern.as_ref().is_none_or(|p| p.matches(f)))
                    .map(|(f, v)| (f.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `HMGET`: the value of each field (`None` where missing).
    pub fn hmget<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        fields: &[F],
    ) -> Result<Vec<Option<Vec<u8>>>, Error> {
        let h = self.hash_ref(key)?;
        Ok(fields
            .iter()
            .map(|f| h.and_then(|h| h.get(f.as_ref()).cloned()))
            .collect())
    }

    /// `HGETALL`: every field and value, in no particular order.
    pub fn hgetall(&mut self, key: &[u8]) -> Result<Vec<FieldValue>, Error> {
        Ok(self
            .hash_ref(key)?
            .map(|h| h.iter().map(|(f, v)| (f.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    /// `HDEL`: removes the fields; returns how many existed. An emptied hash is deleted.
    pub fn hdel<F: AsRef<[u8]>>(&mut self, key: &[u8], fields: &[F]) -> Result<usize, Error> {
        let Some(i) = self.lookup(key) else {
            return Ok(0);
        };
        if !is_hash(&self.keys.slot(i).value) {
            return Err(Error::WrongType);
        }
        Ok(self.modify(i, |v| {
            let h = as_hash(v);
            fields.iter().filter(|f| h.remove(f.as_ref())).count()
        }))
    }

    /// `HEXISTS`: whether `field` exists.
    pub fn hexists(&mut self, key: &[u8], field: &[u8]) -> Result<bool, Error> {
        Ok(self.hash_ref(key)?.is_some_and(|h| h.contains(field)))
    }

    /// `HLEN`: number of fields.
    pub fn hlen(&mut self, key: &[u8]) -> Result<usize, Error> {
        Ok(self.hash_ref(key)?.map_or(0, HashValue::len))
    }

    /// `HKEYS`: every field name.
    pub fn hkeys(&mut self, key: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        Ok(self
            .hash_ref(key)?
            .map(|h| h.iter().map(|(f, _)| f.clone()).collect())
            .unwrap_or_default())
    }

    /// `HVALS`: every value.
    pub fn hvals(&mut self, key: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        Ok(self
            .hash_ref(key)?
            .map(|h| h.iter().map(|(_, v)| v.clone()).collect())
            .unwrap_or_default())
    }

    /// `HINCRBY`: adds `delta` to the integer in `field` (missing counts as 0).
    pub fn hincr_by(&mut self, key: &[u8], field: &[u8], delta: i64) -> Result<i64, Error> {
        self.run_as(CommandKind::HIncrBy, |e| {
            e.hincr_by_unguarded(key, field, delta)
        })
    }

    pub(super) fn hincr_by_unguarded(
        &mut self,
        key: &[u8],
        field: &[u8],
        delta: i64,
    ) -> Result<i64, Error> {
        let current = match self.hash_ref(key)?.and_then(|h| h.get(field)) {
            None => 0,
            Some(raw) => parse_i64(raw).ok_or(Error::HashValueNotInteger)?,
        };
        let next = current.checked_add(delta).ok_or(Error::Overflow)?;
        let i = self.lookup_or_create(key, is_hash, new_hash)?;
        self.modify(i, |v| as_hash(v).update(field, format_i64(next)));
        Ok(next)
    }

    /// `HINCRBYFLOAT`: adds `delta` to the number in `field`; returns the stored text.
    pub fn hincr_by_float(
        &mut self,
        key: &[u8],
        field: &[u8],
        delta: f64,
    ) -> Result<Vec<u8>, Error> {
        self.run_as(CommandKind::HIncrByFloat, |e| {
            e.hincr_by_float_unguarded(key, field, delta)
        })
    }

    pub(super) fn hincr_by_float_unguarded(
        &mut self,
        key: &[u8],
        field: &[u8],
        delta: f64,
    ) -> Result<Vec<u8>, Error> {
        let current = self
            .hash_ref(key)?
            .and_then(|h| h.get(field))
            .map(Vec::as_slice);
        let text = incr_float(current, delta, Error::HashValueNotFloat)?;
        let i = self.lookup_or_create(key, is_hash, new_hash)?;
        self.modify(i, |v| as_hash(v).update(field, text.clone()));
        Ok(text)
    }

    /// `HSETNX`: sets `field` only if it does not exist; true when it did.
    pub fn hsetnx(&mut self, key: &[u8], field: &[u8], value: &[u8]) -> Result<bool, Error> {
        self.run_as(CommandKind::HSetNx, |e| {
            e.hsetnx_unguarded(key, field, value)
        })
    }

    pub(super) fn hsetnx_unguarded(
        &mut self,
        key: &[u8],
        field: &[u8],
        value: &[u8],
    ) -> Result<bool, Error> {
        if self.hash_ref(key)?.is_some_and(|h| h.contains(field)) {
            return Ok(false);
        }
        let i = self.lookup_or_create(key, is_hash, new_hash)?;
        self.modify(i, |v| as_hash(v).insert(field, value.to_vec()));
        Ok(true)
    }
}
