//! Locks with fencing tokens, and the events that wake their waiters.
//!
//! A lock is held by an owner (any bytes the host chooses: an instance id, a task id) until
//! it is released or its TTL passes. Each successful acquire returns a [`FencingToken`]: the
//! larger of the engine's last token + 1 and the clock in microseconds rounded up to the
//! end of the current millisecond (`now_ms × 1000 + 999`), so tokens grow monotonically per
//! lock name (and across names), and — with a host clock in Unix milliseconds — they also
//! stay above tokens issued earlier by another store that draws them from the same time
//! scale (the Redis backend uses Redis's `TIME` in microseconds): a switch from Redis locks
//! to local ones and back, a restart or a `FLUSHDB` never makes a token go backwards, as
//! long as the clocks agree to within a millisecond. A storage system that remembers the
//! highest token it has seen can reject a stale holder that still believes it owns the lock.
//!
//! Locks live beside the keyspace, not in it: they are not keys, are not evicted, and are not
//! counted in `used_memory`.
//!
//! Waiting is sans-IO too: a host registers a waiter id with [`Engine::wait_for_lock`]; when
//! that lock is released or expires, [`Engine::poll_event`] yields an [`Event::LockFreed`]
//! naming the waiters, and the host wakes them to try again. No polling of the lock itself.

use alloc::vec::Vec;

use hashbrown::HashMap;

use super::Engine;
use crate::{Clock, Error, Millis};

/// Proof of holding a lock: larger tokens were issued later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FencingToken(pub u64);

/// Who asks to release or extend a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockHolder<'a> {
    /// The owner given at acquire time.
    Owner(&'a [u8]),
    /// The token returned at acquire time.
    Token(FencingToken),
}

/// Something the host should act on, from [`Engine::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A lock that had waiters became free; wake `waiters` so they can try to acquire it.
    LockFreed {
        /// The lock's name.
        name: Vec<u8>,
        /// The waiter ids registered with [`Engine::wait_for_lock`] (now unregistered).
        waiters: Vec<u64>,
        /// True when it expired at its TTL, false when its holder released it.
        expired: bool,
    },
}

struct Held {
    owner: Vec<u8>,
    token: u64,
    expires_at: Millis,
}

#[derive(Default)]
pub(crate) struct Locks {
    held: HashMap<Vec<u8>, Held>,
    waiters: HashMap<Vec<u8>, Vec<u64>>,
    last_token: u64,
}

impl Locks {
    /// The earliest expiry among locks somebody waits for.
    pub(crate) fn next_expiry_with_waiters(&self) -> Option<Millis> {
        self.waiters
            .keys()
            .filter_map(|name| self.held.get(name).map(|h| h.expires_at))
            .min()
    }
}

impl<C: Clock> Engine<C> {
    /// Acquires `name` for `owner` for `ttl_ms` milliseconds. Returns the fencing token, or
    /// `None` when someone (including `owner` itself: locks are not re-entrant) holds it.
    pub fn acquire_lock(
        &mut self,
        name: &[u8],
        owner: &[u8],
        ttl_ms: u64,
    ) -> Result<Option<FencingToken>, Error> {
        if ttl_ms == 0 {
            return Err(Error::InvalidLockTtl);
        }
        let now = self.now();
        if let Some(h) = self.locks.held.get(name) {
            if h.expires_at > now {
                return Ok(None);
            }
        }
        let token = self
            .locks
            .last_token
            .saturating_add(1)
            .max(now.saturating_mul(1000).saturating_add(999));
        self.locks.last_token = token;
        self.locks.held.insert(
            name.to_vec(),
            Held {
                owner: owner.to_vec(),
                token,
                expires_at: now.saturating_add(ttl_ms),
            },
        );
        Ok(Some(FencingToken(token)))
    }

    /// The live lock `name` if `holder` holds it.
    fn held_by(&mut self, name: &[u8], holder: LockHolder<'_>) -> Option<&mut Held> {
        let now = self.now();
        self.locks.held.get_mut(name).filter(|h| {
            h.expires_at > now
                && match holder {
                    LockHolder::Owner(o) => h.owner == o,
                    LockHolder::Token(t) => h.token == t.0,
                }
        })
    }

    /// Releases `name` if `holder` holds it; true when it did. Waiters get an event.
    pub fn release_lock(&mut self, name: &[u8], holder: LockHolder<'_>) -> bool {
        if self.held_by(name, holder).is_none() {
            return false;
        }
        self.locks.held.remove(name);
        self.notify_waiters(name, false);
        true
    }

    /// Sets the TTL of `name` to `ttl_ms` from now if `holder` holds it; true when it did.
    pub fn extend_lock(
        &mut self,
        name: &[u8],
        holder: LockHolder<'_>,
        ttl_ms: u64,
    ) -> Result<bool, Error> {
        if ttl_ms == 0 {
            return Err(Error::InvalidLockTtl);
        }
        let now = self.now();
        Ok(match self.held_by(name, holder) {
            Some(h) => {
                h.expires_at = now.saturating_add(ttl_ms);
                true
            }
            None => false,
        })
    }

    /// The owner of `name`, if it is held.
    pub fn lock_owner(&mut self, name: &[u8]) -> Option<Vec<u8>> {
        let now = self.now();
        self.locks
            .held
            .get(name)
            .filter(|h| h.expires_at > now)
            .map(|h| h.owner.clone())
    }

    /// Milliseconds until `name` expires, if it is held.
    pub fn lock_ttl(&mut self, name: &[u8]) -> Option<Millis> {
        let now = self.now();
        self.locks
            .held
            .get(name)
            .filter(|h| h.expires_at > now)
            .map(|h| h.expires_at - now)
    }

    /// Registers `waiter` to hear (through [`poll_event`](Self::poll_event)) when `name` is
    /// released or expires. A waiter is told once, then unregistered.
    pub fn wait_for_lock(&mut self, name: &[u8], waiter: u64) {
        let list = self.locks.waiters.entry(name.to_vec()).or_default();
        if !list.contains(&waiter) {
            list.push(waiter);
        }
    }

    /// Unregisters `waiter` (it gave up or acquired the lock).
    pub fn cancel_lock_wait(&mut self, name: &[u8], waiter: u64) {
        if let Some(list) = self.locks.waiters.get_mut(name) {
            list.retain(|w| *w != waiter);
            if list.is_empty() {
                self.locks.waiters.remove(name);
            }
        }
    }

    /// The next event for the host, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn notify_waiters(&mut self, name: &[u8], expired: bool) {
        if let Some(waiters) = self.locks.waiters.remove(name) {
            self.events.push_back(Event::LockFreed {
                name: name.to_vec(),
                waiters,
                expired,
            });
        }
    }

    /// Removes locks whose TTL passed by `now`; returns how many.
    pub(crate) fn expire_locks(&mut self, now: Millis) -> usize {
        let due: Vec<Vec<u8>> = self
            .locks
            .held
            .iter()
            .filter(|(_, h)| h.expires_at <= now)
            .map(|(n, _)| n.clone())
            .collect();
        for name in &due {
            self.locks.held.remove(name);
            self.notify_waiters(name, true);
        }
        due.len()
    }
}
