//! Keyspace commands: DEL, UNLINK, EXISTS, TOUCH, the EXPIRE family, TTL, PTTL, PERSIST,
//! TYPE, RENAME, RENAMENX, COPY, KEYS, SCAN, DBSIZE, FLUSHDB.

use alloc::vec::Vec;
use core::num::NonZeroU64;

use super::{expiry_for_expire, Engine, TtlChange};
use crate::command::{CommandKind, ExpireCondition, Expiry, KeyType};
use crate::glob::Pattern;
use crate::{Clock, Error};

/// `SCAN` visits this many slots per call unless told otherwise (as Redis's default `COUNT`).
const DEFAULT_SCAN_COUNT: usize = 10;

/// One page of a `SCAN`: the cursor to pass next (0 when the scan is complete) and the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPage {
    /// Cursor for the next call; 0 means the iteration is complete.
    pub cursor: u64,
    /// Keys found on this page.
    pub keys: Vec<Vec<u8>>,
}

impl<C: Clock> Engine<C> {
    /// `DEL`: removes the keys; returns how many existed.
    pub fn del<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> usize {
        let mut removed = 0;
        for k in keys {
            if let Some(i) = self.lookup(k.as_ref()) {
                self.next_version();
                self.remove_slot(i);
                removed += 1;
            }
        }
        removed
    }

    /// `EXISTS`: how many of the keys exist (a key named twice counts twice).
    pub fn exists<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> usize {
        keys.iter()
            .filter(|k| self.lookup(k.as_ref()).is_some())
            .count()
    }

    /// `EXPIRE` / `PEXPIRE` / `EXPIREAT` / `PEXPIREAT`: sets the key's expiry if `condition`
    /// allows; true when it did. A time at or before now deletes the key.
    pub fn expire(
        &mut self,
        key: &[u8],
        expiry: Expiry,
        condition: ExpireCondition,
    ) -> Result<bool, Error> {
        let now = self.now();
        let when = expiry_for_expire(expiry, now)?;
        let Some(i) = self.lookup(key) else {
            return Ok(false);
        };
        let current = self.keys.slot(i).expires_at.map(|t| t.get() as i64);
        let allowed = match condition {
            ExpireCondition::Always => true,
            ExpireCondition::Nx => current.is_none(),
            ExpireCondition::Xx => current.is_some(),
            ExpireCondition::Gt | ExpireCondition::XxGt => current.is_some_and(|c| when > c),
            ExpireCondition::Lt => current.is_none_or(|c| when < c),
            ExpireCondition::XxLt => current.is_some_and(|c| when < c),
        };
        if !allowed {
            return Ok(false);
        }
        if when <= now as i64 {
            self.next_version();
            self.remove_slot(i);
        } else {
            self.set_slot_expiry(i, NonZeroU64::new(when as u64));
        }
        Ok(true)
    }

    /// `PTTL`: milliseconds left, -1 without expiry, -2 when the key does not exist.
    pub fn pttl(&mut self, key: &[u8]) -> i64 {
        let now = self.now();
        match self.lookup(key) {
            None => -2,
            Some(i) => match self.keys.slot(i).expires_at {
                None => -1,
                Some(at) => at.get().saturating_sub(now) as i64,
            },
        }
    }

    /// `TTL`: seconds left, rounded to the nearest second as Redis does; -1 without expiry,
    /// -2 when the key does not exist.
    pub fn ttl(&mut self, key: &[u8]) -> i64 {
        match self.pttl(key) {
            ms if ms < 0 => ms,
            ms => (ms + 500) / 1000,
        }
    }

    /// `PERSIST`: removes the key's TTL; true when there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        match self.lookup(key) {
            Some(i) => self.persist_slot(i),
            None => false,
        }
    }

    /// Removes the TTL of slot `i`; true when it had one.
    pub(super) fn persist_slot(&mut self, i: usize) -> bool {
        if self.keys.slot(i).expires_at.is_none() {
            return false;
        }
        self.set_slot_expiry(i, None);
        true
    }

    /// `TYPE`: the type of the value at `key`, `None` when it does not exist.
    pub fn key_type(&mut self, key: &[u8]) -> Option<KeyType> {
        self.lookup(key).map(|i| self.keys.slot(i).value.key_type())
    }

    /// `RENAME`: moves the value and TTL of `key` to `new_key`, replacing what was there.
    pub fn rename(&mut self, key: &[u8], new_key: &[u8]) -> Result<(), Error> {
        let Some(i) = self.lookup(key) else {
            return Err(Error::NoSuchKey);
        };
        if key == new_key {
            return Ok(());
        }
        let slot = self.remove_slot(i);
        let ttl = match slot.expires_at {
            Some(at) => TtlChange::At(at),
            None => TtlChange::Clear,
        };
        let hash = self.keys.hash(new_key);
        let existing = self.live(hash, new_key);
        self.store(hash, new_key, existing, slot.value, ttl);
        Ok(())
    }

    /// `RENAMENX`: as [`rename`](Self::rename), but only when `new_key` does not exist; true
    /// when it moved. Renaming a key to itself moves nothing (false), as in Redis.
    pub fn renamenx(&mut self, key: &[u8], new_key: &[u8]) -> Result<bool, Error> {
        if self.lookup(key).is_none() {
            return Err(Error::NoSuchKey);
        }
        if key == new_key || self.lookup(new_key).is_some() {
            return Ok(false);
        }
        self.rename(key, new_key)?;
        Ok(true)
    }

    /// `COPY`: copies the value and TTL of `source` to `destination`; true when it did. A
    /// missing source copies nothing, and an existing destination is replaced only with
    /// `replace`. The same key on both sides is [`Error::SameObject`].
    pub fn copy(
        &mut self,
        source: &[u8],
        destination: &[u8],
        replace: bool,
    ) -> Result<bool, Error> {
        self.run_as(CommandKind::Copy, |e| {
            e.copy_unguarded(source, destination, replace)
        })
    }

    pub(super) fn copy_unguarded(
        &mut self,
        source: &[u8],
        destination: &[u8],
        replace: bool,
    ) -> Result<bool, Error> {
        if source == destination {
            return Err(Error::SameObject);
        }
        let Some(i) = self.lookup_read(source) else {
            return Ok(false);
        };
        let slot = self.keys.slot(i);
        let value = slot.value.clone();
        let ttl = match slot.expires_at {
            Some(at) => TtlChange::At(at),
            None => TtlChange::Clear,
        };
        let hash = self.keys.hash(destination);
        let existing = self.live(hash, destination);
        if existing.is_some() && !replace {
            return Ok(false);
        }
        self.store(hash, destination, existing, value, ttl);
        Ok(true)
    }

    /// `RANDOMKEY`: a live key chosen with the engine's seeded generator, `None` when there
    /// is none. Expired keys met on the way are removed.
    pub fn randomkey(&mut self) -> Option<Vec<u8>> {
        let now = self.now();
        while self.keys.len() > 0 {
            let i = (self.random() % self.keys.len() as u64) as usize;
            if self.keys.slot(i).is_expired(now) {
                self.expire_slot(i);
                continue;
            }
            return Some(self.keys.slot(i).key.as_bytes().to_vec());
        }
        None
    }

    /// `TIME`: the engine clock's time as Unix seconds and the microseconds within the second
    /// (the clock counts milliseconds, so the microseconds are whole thousands).
    pub fn time(&self) -> (u64, u64) {
        let now = self.now();
        (now / 1000, (now % 1000) * 1000)
    }

    /// `TOUCH`: how many of the keys exist (a key named twice counts twice), marking each as
    /// just used for eviction.
    pub fn touch<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> usize {
        keys.iter()
            .filter(|k| self.lookup_read(k.as_ref()).is_some())
            .count()
    }

    /// `KEYS`: every live key matching `pattern`, in no particular order.
    pub fn keys(&mut self, pattern: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        let pattern = Pattern::new(pattern)?;
        let now = self.now();
        Ok((0..self.keys.len())
            .map(|i| self.keys.slot(i))
            .filter(|s| !s.is_expired(now) && pattern.matches(s.key.as_bytes()))
            .map(|s| s.key.as_bytes().to_vec())
            .collect())
    }

    /// `SCAN`: one page of keys. Start with cursor 0 and pass each returned cursor back until
    /// it is 0 again. Every key that exists for the whole iteration is returned at least once,
    /// however the keyspace changes between calls; a key may be returned more than once.
    ///
    /// `count` is how many slots to visit (default 10), so a page can hold fewer keys.
    pub fn scan(
        &mut self,
        cursor: u64,
        pattern: Option<&[u8]>,
        count: Option<usize>,
        key_type: Option<KeyType>,
    ) -> Result<ScanPage, Error> {
        let pattern = pattern.map(Pattern::new).transpose()?;
        let count = count.unwrap_or(DEFAULT_SCAN_COUNT).max(1);
        let now = self.now();
        let len = self.keys.len();
        // The cursor is the number of slots still to visit, walking down from the top.
        let mut pos = match cursor {
            0 => len,
            c => usize::try_from(c).unwrap_or(usize::MAX).min(len),
        };
        let mut keys = Vec::new();
        let mut visited = 0;
        while pos > 0 && visited < count {
            pos -= 1;
            visited += 1;
            let slot = self.keys.slot(pos);
            if slot.is_expired(now)
                || key_type.is_some_and(|t| slot.value.key_type() != t)
                || pattern
                    .as_ref()
                    .is_some_and(|p| !p.matches(slot.key.as_bytes()))
            {
                continue;
            }
            keys.push(slot.key.as_bytes().to_vec());
        }
        Ok(ScanPage {
            cursor: pos as u64,
            keys,
        })
    }

    /// `FLUSHDB`: removes every key.
    pub fn flushdb(&mut self) {
        self.keys.clear();
        self.heap_bytes = 0;
        self.lfu_history.clear();
        self.volatile = 0;
        self.field_volatile = 0;
        self.eviction_pool.clear();
        self.next_version();
    }

    /// Version of `key`'s current value (0 when it does not exist). Any write to the key,
    /// including its deletion or expiry, changes it: compare two readings to detect a
    /// concurrent change (what Redis's `WATCH` does).
    pub fn key_version(&mut self, key: &[u8]) -> u64 {
        self.lookup(key).map_or(0, |i| self.keys.slot(i).version)
    }
}
