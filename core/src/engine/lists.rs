//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LRANGE, LLEN, LINDEX, LSET,
//! LTRIM, LREM, LINSERT.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::Engine;
use crate::command::{CommandKind, InsertPosition};
use crate::value::{ListValue, Value};
use crate::{Clock, Error};

/// Which end of a list.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Left,
    Right,
}

pub(super) fn is_list(v: &Value) -> bool {
    matches!(v, Value::List(_))
}

pub(super) fn new_list() -> Value {
    Value::List(Box::default())
}

pub(super) fn as_list(v: &mut Value) -> &mut ListValue {
    match v {
        Value::List(l) => l,
        _ => unreachable!("callers check the type before modifying"),
    }
}

/// Redis's index normalization: negative indices count from the end.
fn normalize(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { len + index } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

/// Redis's `LRANGE`/`LTRIM` range normalization: the inclusive range of existing positions
/// `start..=stop` covers, or `None` when it covers nothing.
fn range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut stop = if stop < 0 { len + stop } else { stop };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        return None;
    }
    if stop >= len {
        stop = len - 1;
    }
    Some((start as usize, stop as usize))
}

impl<C: Clock> Engine<C> {
    pub(super) fn list_ref(&mut self, key: &[u8]) -> Result<Option<&ListValue>, Error> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(i) => match &self.keys.slot(i).value {
                Value::List(l) => Ok(Some(l)),
                _ => Err(Error::WrongType),
            },
        }
    }

    /// The slot of the list at `key`, `None` when missing, `WRONGTYPE` for another type.
    pub(super) fn list_slot(&mut self, key: &[u8]) -> Result<Option<usize>, Error> {
        match self.lookup(key) {
            Some(i) if !is_list(&self.keys.slot(i).value) => Err(Error::WrongType),
            found => Ok(found),
        }
    }

    /// Pushes `values` at `end` (onto an existing list only, with `only_if_exists`), without
    /// memory admission: callers run it through [`run_as`](Self::run_as).
    pub(super) fn push_owned(
        &mut self,
        key: &[u8],
        values: Vec<Vec<u8>>,
        end: End,
        only_if_exists: bool,
    ) -> Result<usize, Error> {
        let i = if only_if_exists {
            match self.list_slot(key)? {
                Some(i) => i,
                None => return Ok(0),
            }
        } else {
            self.lookup_or_create(key, is_list, new_list)?
        };
        Ok(self.modify(i, |v| {
            let l = as_list(v);
            for value in values {
                match end {
                    End::Left => l.push_front(value),
                    End::Right => l.push_back(value),
                }
            }
            l.len()
        }))
    }

    /// `LPUSH`: pushes each value at the head in turn (so the last ends up first); returns the
    /// new length.
    pub fn lpush<V: AsRef<[u8]>>(&mut self, key: &[u8], values: &[V]) -> Result<usize, Error> {
        self.run_as(CommandKind::LPush, |e| {
            e.push_owned(key, owned(values), End::Left, false)
        })
    }

    /// `RPUSH`: pushes the values at the tail; returns the new length.
    pub fn rpush<V: AsRef<[u8]>>(&mut self, key: &[u8], values: &[V]) -> Result<usize, Error> {
        self.run_as(CommandKind::RPush, |e| {
            e.push_owned(key, owned(values), End::Right, false)
        })
    }

    /// `LPUSHX`: `LPUSH` only onto an existing list; 0 when missing.
    pub fn lpushx<V: AsRef<[u8]>>(&mut self, key: &[u8], values: &[V]) -> Result<usize, Error> {
        self.run_as(CommandKind::LPushX, |e| {
            e.push_owned(key, owned(values), End::Left, true)
        })
    }

    /// `RPUSHX`: `RPUSH` only onto an existing list; 0 when missing.
    pub fn rpushx<V: AsRef<[u8]>>(&mut self, key: &[u8], values: &[V]) -> Result<usize, Error> {
        self.run_as(CommandKind::RPushX, |e| {
            e.push_owned(key, owned(values), End::Right, true)
        })
    }

    pub(crate) fn pop(
        &mut self,
        key: &[u8],
        end: End,
        count: usize,
    ) -> Result<Option<Vec<Vec<u8>>>, Error> {
        let Some(i) = self.list_slot(key)? else {
            return Ok(None);
        };
        if count == 0 {
            return Ok(Some(Vec::new()));
        }
        Ok(Some(self.modify(i, |v| {
            let l = as_list(v);
            let n = count.min(l.len());
            (0..n)
                .filter_map(|_| match end {
                    End::Left => l.pop_front(),
                    End::Right => l.pop_back(),
                })
                .collect()
        })))
    }

    /// `LPOP key`: removes and returns the first element.
    pub fn lpop(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.pop(key, End::Left, 1)?.and_then(|mut v| v.pop()))
    }

    /// `RPOP key`: removes and returns the last element.
    pub fn rpop(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.pop(key, End::Right, 1)?.and_then(|mut v| v.pop()))
    }

    /// `LPOP key count`: up to `count` elements from the head; `None` when the key is missing.
    pub fn lpop_count(&mut self, key: &[u8], count: usize) -> Result<Option<Vec<Vec<u8>>>, Error> {
        self.pop(key, End::Left, count)
    }

    /// `RPOP key count`: up to `count` elements from the tail; `None` when the key is missing.
    pub fn rpop_count(&mut self, key: &[u8], count: usize) -> Result<Option<Vec<Vec<u8>>>, Error> {
        self.pop(key, End::Right, count)
    }

    /// `LRANGE`: elements `start..=stop`, negative indices counting from the end.
    pub fn lrange(&mut self, key: &[u8], start: i64, stop: i64) -> Result<Vec<Vec<u8>>, Error> {
        let Some(l) = self.list_ref(key)? else {
            return Ok(Vec::new());
        };
        Ok(match range(start, stop, l.len()) {
            None => Vec::new(),
            Some((a, b)) => l.items().range(a..=b).cloned().collect(),
        })
    }

    /// `LLEN`: length of the list, 0 when missing.
    pub fn llen(&mut self, key: &[u8]) -> Result<usize, Error> {
        Ok(self.list_ref(key)?.map_or(0, ListValue::len))
    }

    /// `LINDEX`: the element at `index` (negative counts from the end).
    pub fn lindex(&mut self, key: &[u8], index: i64) -> Result<Option<Vec<u8>>, Error> {
        let Some(l) = self.list_ref(key)? else {
            return Ok(None);
        };
        Ok(normalize(index, l.len()).map(|i| l.items()[i].clone()))
    }

    /// `LSET`: replaces the element at `index`.
    pub fn lset(&mut self, key: &[u8], index: i64, value: &[u8]) -> Result<(), Error> {
        self.run_as(CommandKind::LSet, |e| e.lset_unguarded(key, index, value))
    }

    pub(super) fn lset_unguarded(
        &mut self,
        key: &[u8],
        index: i64,
        value: &[u8],
    ) -> Result<(), Error> {
        let Some(i) = self.list_slot(key)? else {
            return Err(Error::NoSuchKey);
        };
        let len = match &self.keys.slot(i).value {
            Value::List(l) => l.len(),
            _ => unreachable!("list_slot checked the type"),
        };
        let at = normalize(index, len).ok_or(Error::IndexOutOfRange)?;
        self.modify(i, |v| as_list(v).set(at, value.to_vec()));
        Ok(())
    }

    /// `LTRIM`: keeps only elements `start..=stop`; an emptied list is deleted.
    pub fn ltrim(&mut self, key: &[u8], start: i64, stop: i64) -> Result<(), Error> {
        let Some(i) = self.list_slot(key)? else {
            return Ok(());
        };
        self.modify(i, |v| {
            let l = as_list(v);
            let keep = range(start, stop, l.len());
            l.retain_range(keep);
        });
        Ok(())
    }

    /// `LREM`: removes up to `|count|` elements equal to `value` (from the head when
    /// positive, from the tail when negative, all when 0); returns how many.
    pub fn lrem(&mut self, key: &[u8], count: i64, value: &[u8]) -> Result<usize, Error> {
        let Some(i) = self.list_slot(key)? else {
            return Ok(0);
        };
        Ok(self.modify(i, |v| {
            let l = as_list(v);
            let len = l.len();
            let limit = if count == 0 {
                usize::MAX
            } else {
                count.unsigned_abs() as usize
            };
            // Pick the positions to drop first, scanning from the requested end.
            let mut drop = Vec::new();
            let matches = |j: &usize| l.items()[*j] == value;
            if count >= 0 {
                drop.extend((0..len).filter(matches).take(limit));
            } else {
                drop.extend((0..len).rev().filter(matches).take(limit));
                drop.reverse();
            }
            let removed = drop.len();
            if removed > 0 {
                let mut next = drop.iter().peekable();
                l.remove_where(|j, _| {
                    if next.peek() == Some(&&j) {
                        next.next();
                        true
                    } else {
                        false
                    }
                });
            }
            removed
        }))
    }

    /// `LINSERT`: inserts `value` before or after the first `pivot`; returns the new length,
    /// -1 when `pivot` is absent, 0 when the key is missing.
    pub fn linsert(
        &mut self,
        key: &[u8],
        position: InsertPosition,
        pivot: &[u8],
        value: &[u8],
    ) -> Result<i64, Error> {
        self.run_as(CommandKind::LInsert, |e| {
            e.linsert_unguarded(key, position, pivot, value)
        })
    }

    pub(super) fn linsert_unguarded(
        &mut self,
        key: &[u8],
        position: InsertPosition,
        pivot: &[u8],
        value: &[u8],
    ) -> Result<i64, Error> {
        let Some(i) = self.list_slot(key)? else {
            return Ok(0);
        };
        let found = match &self.keys.slot(i).value {
            Value::List(l) => l.items().iter().position(|e| e == pivot),
            _ => unreachable!("list_slot checked the type"),
        };
        let Some(at) = found else {
            return Ok(-1);
        };
        let at = match position {
            InsertPosition::Before => at,
            InsertPosition::After => at + 1,
        };
        Ok(self.modify(i, |v| {
            let l = as_list(v);
            l.insert(at, value.to_vec());
            l.len() as i64
        }))
    }
}

fn owned<V: AsRef<[u8]>>(values: &[V]) -> Vec<Vec<u8>> {
    values.iter().map(|v| v.as_ref().to_vec()).collect()
}
