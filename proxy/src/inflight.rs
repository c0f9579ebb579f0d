//! The in-flight memory limit: what the proxy holds for all clients at once is bounded by
//! [`ProxyConfig::max_inflight`] (`HEDGESTORE_PROXY_MAX_INFLIGHT`, default 256 MiB), on top
//! of the per-client limits (body, reply, subscriber queue).
//!
//! The per-client limits alone multiply by the number of clients: 10 000 connections each
//! waiting for an 8 MiB reply they never read would be 80 GB. So every byte the proxy holds
//! for a client is charged to one shared account while it is held:
//!
//! * a request body, from the moment it is read until its response has been sent (charged
//!   by its `Content-Length` before reading, or chunk by chunk when it has none);
//! * a reply, from its exact encoded length (known before it is encoded) until the last
//!   byte went to the socket (the charge travels with the response body);
//! * a subscriber's queued events, from queueing until written.
//!
//! When a charge does not fit, a request **waits** up to [`WAIT`] for memory to be freed,
//! then is answered `503` with `ERR the proxy is busy: …`, before anything is applied: a body
//! is charged before its command runs, and a reply whose command only read is dropped and
//! can be asked for again. A reply whose command **wrote** is never dropped for this limit
//! (the write is applied and its caller must learn so): it is charged over the limit, which
//! the next charges then wait for. Overshoot is so bounded by one reply
//! (`HEDGESTORE_PROXY_MAX_REPLY`) per concurrent write. A subscriber whose next event does
//! not fit is disconnected like a slow subscriber (its queue freed, a last event saying why):
//! a publisher never waits.
//!
//! [`ProxyConfig::max_inflight`]: crate::ProxyConfig::max_inflight

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// How long a request waits for in-flight memory before it is answered 503.
pub(crate) const WAIT: Duration = Duration::from_secs(2);

/// The shared account.
#[derive(Debug)]
struct Account {
    limit: usize,
    held: AtomicUsize,
    freed: Notify,
}

/// The proxy's in-flight memory account; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Inflight(Arc<Account>);

/// A charge did not fit within the limit (after waiting, where waiting is allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

impl Inflight {
    /// An account of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self(Arc::new(Account {
            limit,
            held: AtomicUsize::new(0),
            freed: Notify::new(),
        }))
    }

    /// The limit in bytes.
    pub(crate) fn limit(&self) -> usize {
        self.0.limit
    }

    /// Bytes held right now.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.0.held.load(Ordering::Acquire)
    }

    /// A new, empty charge against this account.
    pub(crate) fn charge(&self) -> Charge {
        Charge {
            account: self.clone(),
            bytes: 0,
        }
    }

    fn try_take(&self, n: usize) -> bool {
        let account = &self.0;
        let mut held = account.held.load(Ordering::Acquire);
        loop {
            // An empty account always admits one charge, however large, so a limit below a
            // single request's needs slows requests down to one at a time but never wedges.
            if held != 0 && held.saturating_add(n) > account.limit {
                return false;
            }
            match account.held.compare_exchange_weak(
                held,
                held + n,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(now) => held = now,
            }
        }
    }

    fn give_back(&self, n: usize) {
        if n > 0 {
            self.0.held.fetch_sub(n, Ordering::AcqRel);
            self.0.freed.notify_waiters();
        }
    }
}

/// Bytes held for one request or subscriber; everything it holds is given back when it is
/// dropped.
#[derive(Debug)]
pub(crate) struct Charge {
    account: Inflight,
    bytes: usize,
}

impl Charge {
    /// Adds `n` bytes, waiting up to [`WAIT`] for room.
    pub(crate) async fn grow(&mut self, n: usize) -> Result<(), Busy> {
        if n == 0 || self.try_grow(n).is_ok() {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        let account = self.account.clone();
        loop {
            let freed = account.0.freed.notified();
            tokio::pin!(freed);
            // Registered before the retry, so a release between the retry and the wait is
            // not missed.
            freed.as_mut().enable();
            if self.try_grow(n).is_ok() {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                return Err(Busy);
            }
        }
    }

    /// Adds `n` bytes if they fit now.
    pub(crate) fn try_grow(&mut self, n: usize) -> Result<(), Busy> {
        if self.account.try_take(n) {
            self.bytes += n;
            Ok(())
        } else {
            Err(Busy)
        }
    }

    /// Adds `n` bytes even over the limit: for what must not be dropped (a write's reply).
    pub(crate) fn force(&mut self, n: usize) {
        self.account.0.held.fetch_add(n, Ordering::AcqRel);
        self.bytes += n;
    }

    /// Gives back `n` of the bytes held (at most all of them).
    pub(crate) fn shrink(&mut self, n: usize) {
        let n = n.min(self.bytes);
        self.bytes -= n;
        self.account.give_back(n);
    }

    /// Gives back everything held.
    pub(crate) fn clear(&mut self) {
        self.shrink(self.bytes);
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.account.give_back(self.bytes);
    }
}

/// The message of a request refused for the in-flight limit.
pub(crate) fn busy_message(limit: usize) -> String {
    format!(
        "ERR the proxy is busy: the memory held for requests in flight reached its limit of {} \
         (HEDGESTORE_PROXY_MAX_INFLIGHT); nothing was applied, retry shortly",
        crate::budget::human_size(limit)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn charges_wait_for_room_and_give_it_back() {
        let inflight = Inflight::new(100);
        let mut a = inflight.charge();
        a.grow(60).await.unwrap();
        let mut b = inflight.charge();
        assert_eq!(b.try_grow(50), Err(Busy));
        b.try_grow(40).unwrap();
        assert_eq!(inflight.held(), 100);
        // Waits until `a` is dropped.
        let waiter = tokio::spawn({
            let inflight = inflight.clone();
            async move {
                let mut c = inflight.charge();
                c.grow(50).await.map(|()| c)
            }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiter.is_finished());
        drop(a);
        let c = waiter.await.unwrap().unwrap();
        assert_eq!(inflight.held(), 90);
        drop((b, c));
        assert_eq!(inflight.held(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_charge_that_never_fits_is_busy_after_the_wait() {
        let inflight = Inflight::new(100);
        let mut a = inflight.charge();
        a.grow(100).await.unwrap();
        let started = tokio::time::Instant::now();
        let mut b = inflight.charge();
        assert_eq!(b.grow(1).await, Err(Busy));
        assert_eq!(started.elapsed(), WAIT);
        assert_eq!(inflight.held(), 100);
    }

    #[tokio::test]
    async fn an_empty_account_admits_one_oversized_charge_and_force_goes_over() {
        let inflight = Inflight::new(10);
        let mut a = inflight.charge();
        a.grow(50).await.unwrap();
        let mut b = inflight.charge();
        assert_eq!(b.try_grow(1), Err(Busy));
        b.force(7);
        assert_eq!(inflight.held(), 57);
        b.shrink(100);
        assert_eq!(inflight.held(), 50);
        drop(b);
        a.clear();
        assert_eq!(inflight.held(), 0);
    }
}
