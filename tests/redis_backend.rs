//! The conformance suite against `RedisStorage`, each test with its own `redis-server` on a
//! free loopback port (started here, killed when the test ends).

#[macro_use]
mod conformance;

use conformance::{Harness, Time};
use hedgestore::{RedisStorage, Storage, StorageConfig};
use hedgestore_testkit::RedisServer;

async fn redis_harness() -> Harness {
    let server = RedisServer::start().expect("start redis-server");
    let config = StorageConfig::default().redis_url(server.url());
    let storage = RedisStorage::connect(config.redis)
        .await
        .expect("connect to the test server");
    Harness {
        storage: Storage::new(storage),
        time: Time::Real,
        guard: Some(Box::new(server)),
    }
}

conformance_suite!(real_time: redis_harness());
