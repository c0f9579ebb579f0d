//! List commands that search or move between lists: LPOS, LMOVE, LMPOP.

use alloc::vec::Vec;

use super::lists::{as_list, is_list, new_list, End};
use super::Engine;
use crate::command::{CommandKind, ListEnd};
use crate::{Clock, Error};

/// What `LMPOP` popped: the key and the elements, in pop order.
pub type Popped = (Vec<u8>, Vec<Vec<u8>>);

fn end(e: ListEnd) -> End {
    match e {
        ListEnd::Left => End::Left,
        ListEnd::Right => End::Right,
    }
}

impl<C: Clock> Engine<C> {
    /// `LPOS`: the positions (from the head, 0-based) of the elements equal to `element`.
    /// `rank` picks the first match to report (1 the first, 2 the second; negative counts
    /// matches from the tail), `count` how many to report (`None` one, `Some(0)` all), and
    /// `max_len` how many elements to compare at most (`None` or 0: all). A missing key has
    /// no matches. `rank` must not be 0; `i64::MIN` acts as -1 reporting every match
    /// when `count` is given, as in Redis 7.0.
    pub fn lpos(
        &mut self,
        key: &[u8],
        element: &[u8],
        rank: i64,
        count: Option<usize>,
        max_len: Option<usize>,
    ) -> Result<Vec<usize>, Error> {
        if rank == 0 {
            return Err(Error::RankZero);
        }
        let Some(l) = self.list_ref(key)? else {
            return Ok(Vec::new());
        };
        let items = l.items();
        let len = items.len();
        let compared = match max_len {
            None | Some(0) => len,
            Some(m) => m.min(len),
        };
        // Redis 7.0 negates the rank in place, so `i64::MIN` stays negative: every match
        // from the tail reaches it (it acts as -1), and its count check wraps around, so a
        // `COUNT` reports every match.
        let skip = match rank {
            i64::MIN => 0,
            r => (r.unsigned_abs() - 1) as usize,
        };
        let wanted = match count {
            None => 1,
            Some(_) if rank == i64::MIN => usize::MAX,
            Some(0) => usize::MAX,
            Some(n) => n,
        };
        let positions: Vec<usize> = if rank > 0 {
            (0..compared).collect()
        } else {
            (len - compared..len).rev().collect()
        };
        Ok(positions
            .into_iter()
            .filter(|i| items[*i] == element)
            .skip(skip)
            .take(wanted)
            .collect())
    }

    /// `LMOVE`: pops an element from `from` of `source` and pushes it at `to` of
    /// `destination` (the same list rotates); the element, or `None` when `source` is
    /// missing. Both keys must hold lists (or be missing).
    pub fn lmove(
        &mut self,
        source: &[u8],
        destination: &[u8],
        from: ListEnd,
        to: ListEnd,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.run_as(CommandKind::LMove, |e| {
            e.lmove_unguarded(source, destination, from, to)
        })
    }

    pub(super) fn lmove_unguarded(
        &mut self,
        source: &[u8],
        destination: &[u8],
        from: ListEnd,
        to: ListEnd,
    ) -> Result<Option<Vec<u8>>, Error> {
        if self.list_slot(source)?.is_none() {
            return Ok(None);
        }
        self.list_slot(destination)?;
        if source == destination {
            let i = self.list_slot(source)?.ok_or(Error::NoSuchKey)?;
            return Ok(self.modify(i, |v| {
                let l = as_list(v);
                let value = match end(from) {
                    End::Left => l.pop_front(),
                    End::Right => l.pop_back(),
                }?;
                match end(to) {
                    End::Left => l.push_front(value.clone()),
                    End::Right => l.push_back(value.clone()),
                }
                Some(value)
            }));
        }
        let Some(value) = self.pop(source, end(from), 1)?.and_then(|mut v| v.pop()) else {
            return Ok(None);
        };
        let i = self.lookup_or_create(destination, is_list, new_list)?;
        self.modify(i, |v| {
            let l = as_list(v);
            match end(to) {
                End::Left => l.push_front(value.clone()),
                End::Right => l.push_back(value.clone()),
            }
        });
        Ok(Some(value))
    }

    /// `LMPOP`: pops up to `count` elements from `from` of the first of `keys` that holds a
    /// non-empty list; that key and the elements, or `None` when every key is missing. A key
    /// of another type met before a list is `WRONGTYPE`.
    pub fn lmpop<K: AsRef<[u8]>>(
        &mut self,
        keys: &[K],
        from: ListEnd,
        count: usize,
    ) -> Result<Option<Popped>, Error> {
        for key in keys {
            let key = key.as_ref();
            if let Some(values) = self.pop(key, end(from), count)? {
                return Ok(Some((key.to_vec(), values)));
            }
        }
        Ok(None)
    }
}
