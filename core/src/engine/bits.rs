//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP. A bitmap is a string; bit 0 is
//! the most significant bit of the first byte, and bits past the end read as 0.

use alloc::vec::Vec;

use super::{Engine, TtlChange};
use crate::command::{BitOp, BitRange, BitUnit, CommandKind, MAX_BITS};
use crate::value::{Str, Value};
use crate::{Clock, Error};

/// The bit at `offset` of `s` (0 past the end).
fn bit_at(s: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    s.get(byte).is_some_and(|b| b & (0x80 >> (offset & 7)) != 0)
}

/// The inclusive bit range `[first, last]` that a range selects in a string of `len` bytes,
/// with Redis's rules (negative offsets count from the end, both ends clamped), or `None` when
/// it is empty. `BITCOUNT` (`negative_check`) also answers empty for two negative offsets
/// in the wrong order before clamping them; `BITPOS` does not.
fn bit_span(len: usize, range: Option<BitRange>, negative_check: bool) -> Option<(u64, u64)> {
    let (start, end, unit) = match range {
        None => (0, -1, BitUnit::Byte),
        Some(BitRange::From(start)) => (start, -1, BitUnit::Byte),
        Some(BitRange::Between { start, end, unit }) => {
            if negative_check && start < 0 && end < 0 && start > end {
                return None;
            }
            (start, end, unit)
        }
    };
    let total = match unit {
        BitUnit::Byte => len as i64,
        BitUnit::Bit => len as i64 * 8,
    };
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let start = from_end(start);
    let end = from_end(end).min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(match unit {
        BitUnit::Byte => (start * 8, end * 8 + 7),
        BitUnit::Bit => (start, end),
    })
}

/// Counts the set bits of `s` in the inclusive bit range `[first, last]`.
fn count_bits(s: &[u8], first: u64, last: u64) -> u64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let head_mask = 0xFFu8 >> (first & 7);
    let tail_mask = 0xFFu8 << (7 - (last & 7));
    if fb == lb {
        return u64::from((s[fb] & head_mask & tail_mask).count_ones());
    }
    let middle: u64 = s[fb + 1..lb]
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    u64::from((s[fb] & head_mask).count_ones())
        + middle
        + u64::from((s[lb] & tail_mask).count_ones())
}

impl<C: Clock> Engine<C> {
    /// The string at `key` for a bitmap read: `None` when missing, `WRONGTYPE` for another
    /// type.
    fn bitmap_read(&mut self, key: &[u8]) -> Result<Option<&[u8]>, Error> {
        match self.lookup_read(key) {
            None => Ok(None),
            Some(i) => match &self.keys.slot(i).value {
                Value::Str(s) => Ok(Some(s)),
                _ => Err(Error::WrongType),
            },
        }
    }

    /// `SETBIT`: sets the bit at `offset` of the string at `key` (created, and zero-padded,
    /// as needed); returns the bit's previous value. Offsets reach 2^32 − 1 (512 MB). A
    /// growth larger than the whole memory budget is refused with `OutOfMemory` before any
    /// allocation (eviction could not make room for it).
    pub fn setbit(&mut self, key: &[u8], offset: u64, value: bool) -> Result<bool, Error> {
        self.run_as(CommandKind::SetBit, |e| {
            e.setbit_unguarded(key, offset, value)
        })
    }

    pub(super) fn setbit_unguarded(
        &mut self,
        key: &[u8],
        offset: u64,
        value: bool,
    ) -> Result<bool, Error> {
        if offset >= MAX_BITS {
            return Err(Error::BitOffset);
        }
        let byte = (offset >> 3) as usize;
        let mask = 0x80u8 >> (offset & 7);
        let write = |s: &mut [u8]| {
            let old = s[byte] & mask != 0;
            if value {
                s[byte] |= mask;
            } else {
                s[byte] &= !mask;
            }
            old
        };
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        let current = match existing.map(|i| &self.keys.slot(i).value) {
            None => 0,
            Some(Value::Str(s)) => s.len(),
            Some(_) => return Err(Error::WrongType),
        };
        if byte + 1 > current && byte + 1 - current > self.config.eviction_limit() {
            return Err(Error::OutOfMemory);
        }
        Ok(self.edit_string(hash, key, existing, byte + 1, write))
    }

    /// `GETBIT`: the bit at `offset` of the string at `key` (0 when missing or past the end).
    pub fn getbit(&mut self, key: &[u8], offset: u64) -> Result<bool, Error> {
        if offset >= MAX_BITS {
            return Err(Error::BitOffset);
        }
        Ok(self.bitmap_read(key)?.is_some_and(|s| bit_at(s, offset)))
    }

    /// `BITCOUNT`: the number of set bits of the string at `key`, in `range` when given.
    /// [`BitRange::From`] is a syntax error, as in Redis.
    pub fn bitcount(&mut self, key: &[u8], range: Option<BitRange>) -> Result<u64, Error> {
        if matches!(range, Some(BitRange::From(_))) {
            return Err(Error::Syntax);
        }
        let Some(s) = self.bitmap_read(key)? else {
            return Ok(0);
        };
        Ok(bit_span(s.len(), range, true).map_or(0, |(first, last)| count_bits(s, first, last)))
    }

    /// `BITPOS`: the position of the first bit equal to `bit` in the string at `key`, within
    /// `range` when given; -1 when there is none. A missing key is all zeros. Looking for a
    /// 0 without an explicit end answers the first bit past the string when every bit is 1.
    pub fn bitpos(&mut self, key: &[u8], bit: bool, range: Option<BitRange>) -> Result<i64, Error> {
        let Some(s) = self.bitmap_read(key)? else {
            return Ok(if bit { -1 } else { 0 });
        };
        let Some((first, last)) = bit_span(s.len(), range, false) else {
            return Ok(-1);
        };
        let found = find_bit(s, bit, first, last);
        Ok(match found {
            Some(pos) => pos as i64,
            None if !bit && !matches!(range, Some(BitRange::Between { .. })) => last as i64 + 1,
            None => -1,
        })
    }

    /// `BITOP`: stores the bitwise `op` of the strings at `keys` under `destination` (missing
    /// keys are empty strings, shorter strings are padded with zeros) and returns its length;
    /// an empty result deletes `destination`.
    pub fn bitop<K: AsRef<[u8]>>(
        &mut self,
        op: BitOp,
        destination: &[u8],
        keys: &[K],
    ) -> Result<usize, Error> {
        self.run_as(CommandKind::BitOp, |e| {
            e.bitop_unguarded(op, destination, keys)
        })
    }

    pub(super) fn bitop_unguarded<K: AsRef<[u8]>>(
        &mut self,
        op: BitOp,
        destination: &[u8],
        keys: &[K],
    ) -> Result<usize, Error> {
        if op == BitOp::Not && keys.len() != 1 {
            return Err(Error::BitOpNotSingleKey);
        }
        let mut sources: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
        for k in keys {
            sources.push(
                self.bitmap_read(k.as_ref())?
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default(),
            );
        }
        let len = sources.iter().map(Vec::len).max().unwrap_or(0);
        let byte = |s: &Vec<u8>, i: usize| s.get(i).copied().unwrap_or(0);
        let result: Vec<u8> = (0..len)
            .map(|i| {
                let mut it = sources.iter().map(|s| byte(s, i));
                let first = it.next().unwrap_or(0);
                match op {
                    BitOp::And => it.fold(first, |a, b| a & b),
                    BitOp::Or => it.fold(first, |a, b| a | b),
                    BitOp::Xor => it.fold(first, |a, b| a ^ b),
                    BitOp::Not => !first,
                }
            })
            .collect();
        let hash = self.keys.hash(destination);
        let existing = self.live(hash, destination);
        if result.is_empty() {
            if let Some(i) = existing {
                self.next_version();
                self.remove_slot(i);
            }
        } else {
            self.store(
                hash,
                destination,
                existing,
                Value::Str(Str::from_vec(result)),
                TtlChange::Clear,
            );
        }
        Ok(len)
    }
}

/// The first bit equal to `bit` in the inclusive bit range `[first, last]` of `s`.
fn find_bit(s: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let skip = if bit { 0x00 } else { 0xFF };
    let mut pos = first;
    while pos <= last {
        if pos & 7 == 0 && pos + 7 <= last && s[(pos >> 3) as usize] == skip {
            pos += 8;
            continue;
        }
        if bit_at(s, pos) == bit {
            return Some(pos);
        }
        pos += 1;
    }
    None
}
