//! The conformance suite against `MemoryStorage`, with tokio's clock paused (the storage's
//! clock follows it, so TTL cases take no real time).

#[macro_use]
mod conformance;

use conformance::{Harness, Time};
use hedgestore::{MemoryConfig, Storage};

/// 16 shards, whatever this machine's default (one core defaults to one shard).
async fn memory_harness() -> Harness {
    let config = MemoryConfig {
        shards: 16,
        ..MemoryConfig::default()
    };
    Harness {
        storage: Storage::memory(config).unwrap(),
        time: Time::Paused,
        guard: None,
    }
}

conformance_suite!(paused: memory_harness());

/// The same suite on one shard: the single engine behind one lock.
mod one_shard {
    use super::*;

    async fn one_shard_harness() -> Harness {
        let config = MemoryConfig {
            shards: 1,
            ..MemoryConfig::default()
        };
        Harness {
            storage: Storage::memory(config).unwrap(),
            time: Time::Paused,
            guard: None,
        }
    }

    conformance_suite!(paused: one_shard_harness());
}
