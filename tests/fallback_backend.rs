//! The conformance suite against `FallbackStorage` with Redis up (each test with its own
//! `redis-server`).

#[macro_use]
mod conformance;

use conformance::{Harness, Time};
use hedgestore::{Storage, StorageConfig};
use hedgestore_testkit::RedisServer;

async fn fallback_harness() -> Harness {
    let server = RedisServer::start().expect("start redis-server");
    let storage = Storage::connect(StorageConfig::default().redis_url(server.url()))
        .await
        .expect("fallback storage");
    assert_eq!(
        storage.health().await.backend,
        hedgestore::BackendKind::Redis
    );
    Harness {
        storage,
        time: Time::Real,
        guard: Some(Box::new(server)),
    }
}

conformance_suite!(real_time: fallback_harness());
