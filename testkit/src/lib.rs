//! Test harness shared by hedgestore's suites.
//!
//! * [`RedisServer`]: a private `redis-server` on a free loopback port, with no persistence,
//!   stopped on drop. Fault tests can [`kill`](RedisServer::kill) and
//!   [`restart`](RedisServer::restart) it on the same port, or [`pause`](RedisServer::pause)
//!   it (`SIGSTOP`) to simulate a hung server.
//! * [`RedisCluster`]: a Redis Cluster of such servers (`--cluster-enabled`, joined with
//!   `redis-cli --cluster create`), and [`SentinelSet`]: a master, a replica and Sentinels;
//!   both can lose nodes on purpose (a killed master, `SENTINEL FAILOVER`).
//! * [`Resp`] and [`RespConnection`]: a minimal blocking RESP2 client, enough to drive the
//!   server as an oracle without pulling a Redis client crate into every test binary.
//! * [`Rng`]: a tiny seeded generator for reproducible random tests.
//!
//! Tests never touch a server they did not start and never leave loopback.

mod cluster;
mod redis_server;
mod resp;

pub use cluster::{ClusterNode, RedisCluster, SentinelSet};
pub use redis_server::RedisServer;
pub use resp::{Resp, RespConnection};

/// A small, fast, seeded pseudo-random generator (SplitMix64). Reproducible across runs and
/// platforms, which is what a differential test needs to report a failing seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A random element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
