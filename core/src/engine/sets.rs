//! Set commands on one key: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
//! SRANDMEMBER, SMOVE, SSCAN. Random picks come from the engine's own generator (the one
//! eviction samples with), so a seeded engine replays the same picks.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::{Engine, ScanPage};
use crate::command::CommandKind;
use crate::glob::Pattern;
use crate::value::{SetValue, Value};
use crate::{Clock, Error};

/// `SSCAN` visits this many members per call unless told otherwise.
const DEFAULT_SCAN_COUNT: usize = 10;

pub(super) fn is_set(v: &Value) -> bool {
    matches!(v, Value::Set(_))
}

pub(super) fn new_set() -> Value {
    Value::Set(Box::default())
}

pub(super) fn as_set(v: &mut Value) -> &mut SetValue {
    match v {
        Value::Set(s) => s,
        _ => unreachable!("callers check the type before modifying"),
    }
}

impl<C: Clock> Engine<C> {
    /// The set at `key`: `Ok(None)` when missing, `WRONGTYPE` for another type.
    pub(super) fn set_ref(&mut self, key: &[u8]) -> Result<Option<&SetValue>, Error> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(i) => match &self.keys.slot(i).value {
                Value::Set(s) => Ok(Some(s)),
                _ => Err(Error::WrongType),
            },
        }
    }

    /// The slot of the set at `key` for a write: `Ok(None)` when missing.
    fn set_slot(&mut self, key: &[u8]) -> Result<Option<usize>, Error> {
        match self.lookup(key) {
            None => Ok(None),
            Some(i) if is_set(&self.keys.slot(i).value) => Ok(Some(i)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// `SADD`: adds the members; returns how many were new.
    pub fn sadd<M: AsRef<[u8]>>(&mut self, key: &[u8], members: &[M]) -> Result<usize, Error> {
        self.run_as(CommandKind::SAdd, |e| e.sadd_unguarded(key, members))
    }

    pub(super) fn sadd_unguarded<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        members: &[M],
    ) -> Result<usize, Error> {
        let i = self.lookup_or_create(key, is_set, new_set)?;
        Ok(self.modify(i, |v| {
            let s = as_set(v);
            members.iter().filter(|m| s.insert(m.as_ref())).count()
        }))
    }

    /// `SREM`: removes the members; returns how many were there. An emptied set is deleted.
    pub fn srem<M: AsRef<[u8]>>(&mut self, key: &[u8], members: &[M]) -> Result<usize, Error> {
        let Some(i) = self.set_slot(key)? else {
            return Ok(0);
        };
        Ok(self.modify(i, |v| {
            let s = as_set(v);
            members.iter().filter(|m| s.remove(m.as_ref())).count()
        }))
    }

    /// `SMEMBERS`: every member, in no particular order.
    pub fn smembers(&mut self, key: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        Ok(self
            .set_ref(key)?
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }

    /// `SISMEMBER`: whether `member` is in the set.
    pub fn sismember(&mut self, key: &[u8], member: &[u8]) -> Result<bool, Error> {
        Ok(self.set_ref(key)?.is_some_and(|s| s.contains(member)))
    }

    /// `SMISMEMBER`: for each member, whether it is in the set.
    pub fn smismember<M: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        members: &[M],
    ) -> Result<Vec<bool>, Error> {
        let s = self.set_ref(key)?;
        Ok(members
            .iter()
            .map(|m| s.is_some_and(|s| s.contains(m.as_ref())))
            .collect())
    }

    /// `SCARD`: the number of members.
    pub fn scard(&mut self, key: &[u8]) -> Result<usize, Error> {
        Ok(self.set_ref(key)?.map_or(0, SetValue::len))
    }

    /// `SPOP`: removes and returns up to `count` random members (`None` when the key is
    /// missing). An emptied set is deleted.
    pub fn spop(&mut self, key: &[u8], count: usize) -> Result<Option<Vec<Vec<u8>>>, Error> {
        let Some(i) = self.set_slot(key)? else {
            return Ok(None);
        };
        let len = match &self.keys.slot(i).value {
            Value::Set(s) => s.len(),
            _ => unreachable!("type checked above"),
        };
        let picks: Vec<u64> = (0..count.min(len)).map(|_| self.random()).collect();
        Ok(Some(self.modify(i, |v| {
            let s = as_set(v);
            picks
                .iter()
                .map(|r| s.remove_at((*r % s.len() as u64) as usize))
                .collect()
        })))
    }

    /// `SRANDMEMBER`: random members without removing them: `count` distinct ones (at most
    /// the whole set) when positive, `-count` possibly repeated ones when negative (see
    /// [`OutOfMemory`](Error::OutOfMemory) for a count too large to hold).
    pub fn srandmember(&mut self, key: &[u8], count: i64) -> Result<Vec<Vec<u8>>, Error> {
        let len = match self.set_ref(key)? {
            None => return Ok(Vec::new()),
            Some(s) => s.len(),
        };
        let positions = self.random_positions(len, count)?;
        let Some(Value::Set(s)) = self.lookup(key).map(|i| &self.keys.slot(i).value) else {
            unreachable!("the set was just read");
        };
        Ok(positions.into_iter().map(|p| s.at(p).clone()).collect())
    }

    /// Random positions below `len`: `count` distinct ones (at most `len`) when positive,
    /// `-count` independent ones when negative.
    ///
    /// A negative count whose positions alone would take more than the memory budget is
    /// refused with `OutOfMemory` (Redis streams such a reply; the engine would have to
    /// hold it).
    pub(super) fn random_positions(&mut self, len: usize, count: i64) -> Result<Vec<usize>, Error> {
        if count < 0 {
            let n = count.unsigned_abs();
            if n > (self.config.max_memory / core::mem::size_of::<Vec<u8>>()) as u64 {
                return Err(Error::OutOfMemory);
            }
            return Ok((0..n)
                .map(|_| (self.random() % len as u64) as usize)
                .collect());
        }
        let want = (count as u64).min(len as u64) as usize;
        if want * 4 < len {
            // Few of many: draw until `want` distinct positions came up.
            let mut seen = hashbrown::HashSet::with_capacity(want);
            let mut picks = Vec::with_capacity(want);
            while picks.len() < want {
                let p = (self.random() % len as u64) as usize;
                if seen.insert(p) {
                    picks.push(p);
                }
            }
            return Ok(picks);
        }
        // Most of the set: a partial Fisher-Yates shuffle of every position.
        let mut all: Vec<usize> = (0..len).collect();
        for k in 0..want {
            let j = k + (self.random() % (len - k) as u64) as usize;
            all.swap(k, j);
        }
        all.truncate(want);
        Ok(all)
    }

    /// `SMOVE`: moves `member` from `source` to `destination`; true when it was in `source`.
    pub fn smove(
        &mut self,
        source: &[u8],
        destination: &[u8],
        member: &[u8],
    ) -> Result<bool, Error> {
        // Both keys are looked up (and expired if due) before any slot number is kept.
        let destination_is_other_type = self
            .lookup(destination)
            .is_some_and(|i| !is_set(&self.keys.slot(i).value));
        let Some(src) = self.set_slot(source)? else {
            return Ok(false);
        };
        if destination_is_other_type {
            return Err(Error::WrongType);
        }
        if source == destination {
            return self.sismember(source, member);
        }
        if !self.modify(src, |v| as_set(v).remove(member)) {
            return Ok(false);
        }
        let dst = self.lookup_or_create(destination, is_set, new_set)?;
        self.modify(dst, |v| as_set(v).insert(member));
        Ok(true)
    }

    /// `SSCAN`: one page of members matching `pattern`. Start with cursor 0 and pass each
    /// returned cursor back until it is 0 again; every member in the set for the whole
    /// iteration is returned at least once.
    pub fn sscan(
        &mut self,
        key: &[u8],
        cursor: u64,
        pattern: Option<&[u8]>,
        count: Option<usize>,
    ) -> Result<ScanPage, Error> {
        let pattern = pattern.map(Pattern::new).transpose()?;
        let Some(s) = self.set_ref(key)? else {
            return Ok(ScanPage {
                cursor: 0,
                keys: Vec::new(),
            });
        };
        let count = count.unwrap_or(DEFAULT_SCAN_COUNT).max(1);
        // The cursor is the number of positions still to visit, walking down from the top.
        let mut pos = match cursor {
            0 => s.len(),
            c => usize::try_from(c).unwrap_or(usize::MAX).min(s.len()),
        };
        let mut keys = Vec::new();
        let mut visited = 0;
        while pos > 0 && visited < count {
            pos -= 1;
            visited += 1;
            let m = s.at(pos);
            if pattern.as_ref().is_none_or(|p| p.matches(m)) {
                keys.push(m.clone());
            }
        }
        Ok(ScanPage {
            cursor: pos as u64,
            keys,
        })
    }
}
