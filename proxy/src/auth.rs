//! Slowing down token guessing: a token bucket of failed authentications per peer address.
//!
//! Each peer may fail [`FAILURE_BURST`] times at once, and one more time every
//! [`FAILURE_REFILL`]; past that, each of its requests waits [`FAILURE_DELAY`] before its
//! token is even compared. A right token is still served (after the wait), so a client that
//! shares its address with a guesser is slowed, not locked out. Guessing speed per peer then
//! falls to `HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER` guesses per [`FAILURE_DELAY`]; the
//! token's length (at least 16 characters) is what makes guessing hopeless.
//!
//! The table holds one small entry per peer that failed recently, at most
//! [`MAX_TRACKED_PEERS`]: entries whose bucket has refilled are dropped when it is full, and
//! if every entry is still busy, the oldest is dropped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Failures a peer may have at once before it is slowed down.
pub(crate) const FAILURE_BURST: f64 = 10.0;
/// One more failure is allowed this often.
pub(crate) const FAILURE_REFILL: Duration = Duration::from_secs(1);
/// How long a request from a peer out of failures waits.
pub(crate) const FAILURE_DELAY: Duration = Duration::from_secs(1);
/// Peers tracked at most.
pub(crate) const MAX_TRACKED_PEERS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Failures still allowed (refilled over time, up to [`FAILURE_BURST`]).
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    fn refilled(self, now: Instant) -> f64 {
        let elapsed = now.duration_since(self.updated).as_secs_f64();
        (self.tokens + elapsed / FAILURE_REFILL.as_secs_f64()).min(FAILURE_BURST)
    }
}

/// Failed authentications by peer.
#[derive(Debug, Default)]
pub(crate) struct AuthFailures {
    peers: Mutex<HashMap<IpAddr, Bucket>>,
}

impl AuthFailures {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Bucket>> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long a request from `peer` waits before its token is checked: `None` unless the
    /// peer has used up its failures.
    pub(crate) fn delay(&self, peer: IpAddr) -> Option<Duration> {
        let peers = self.lock();
        let bucket = peers.get(&peer)?;
        (bucket.refilled(Instant::now()) < 1.0).then_some(FAILURE_DELAY)
    }

    /// Counts one failed authentication of `peer`.
    pub(crate) fn record(&self, peer: IpAddr) {
        let now = Instant::now();
        let mut peers = self.lock();
        if peers.len() >= MAX_TRACKED_PEERS && !peers.contains_key(&peer) {
            peers.retain(|_, b| b.refilled(now) < FAILURE_BURST);
            if peers.len() >= MAX_TRACKED_PEERS {
                if let Some(oldest) = peers.iter().min_by_key(|(_, b)| b.updated).map(|(p, _)| *p) {
                    peers.remove(&oldest);
                }
            }
        }
        let bucket = peers.entry(peer).or_insert(Bucket {
            tokens: FAILURE_BURST,
            updated: now,
        });
        bucket.tokens = (bucket.refilled(now) - 1.0).max(0.0);
        bucket.updated = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_peer_is_slowed_after_its_burst_and_recovers_over_time() {
        let failures = AuthFailures::default();
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(failures.delay(peer), None);
            failures.record(peer);
        }
        assert_eq!(failures.delay(peer), Some(FAILURE_DELAY));
        assert_eq!(failures.delay(other), None, "other peers are not affected");
        tokio::time::advance(FAILURE_REFILL).await;
        assert_eq!(failures.delay(peer), None, "one more failure allowed");
        failures.record(peer);
        assert_eq!(failures.delay(peer), Some(FAILURE_DELAY));
    }

    #[tokio::test(start_paused = true)]
    async fn the_table_stays_bounded() {
        let failures = AuthFailures::default();
        for i in 0..(MAX_TRACKED_PEERS as u32 + 50) {
            failures.record(IpAddr::from(i.to_be_bytes()));
        }
        assert!(failures.lock().len() <= MAX_TRACKED_PEERS);
    }
}
