//! The first program to run: `cargo run --example quickstart`.
//!
//! It needs nothing but Rust: `get_storage()` reads its settings from the environment
//! (`REDIS_*`, `HEDGESTORE_*`). It exits 0 in each of the three situations a newcomer meets:
//!
//! * no `REDIS_*` setting and nothing on `localhost:6379`: memory only, local locks;
//! * Redis configured and up (`REDIS_HOST=127.0.0.1 cargo run --example quickstart`):
//!   Redis, with writes mirrored into memory for a failover;
//! * Redis configured but down: served from memory until Redis answers; locks fail closed
//!   meanwhile (a memory lock is not distributed), which the tour shows instead of failing.

use std::time::Duration;

use hedgestore::{get_storage, handler, Reply, StorageError};

#[tokio::main]
async fn main() -> hedgestore::Result<()> {
    let storage = get_storage().await?;
    println!("backend            -> {:?}", storage.health().await.backend);

    // Strings, with and without a TTL.
    storage.set("greeting", "hello", None).await?;
    storage
        .set("session:42", "alice", Some(Duration::from_millis(300)))
        .await?;
    println!(
        "GET greeting       -> {:?}",
        storage.get_string("greeting").await?
    );
    println!(
        "TTL session:42     -> {:?}",
        storage.ttl("session:42").await?
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    println!(
        "after 350 ms       -> session:42 = {:?}",
        storage.get_string("session:42").await?
    );
    println!(
        "DEL greeting       -> {} deleted",
        storage.del(&["greeting"]).await?
    );

    // Counters and hashes.
    storage.incr("orders:seq").await?;
    println!(
        "INCR orders:seq    -> {}",
        storage.incr("orders:seq").await?
    );
    storage
        .hset("order:7", &[("side", "buy"), ("qty", "100")])
        .await?;
    println!(
        "HINCRBY qty -40    -> {}",
        storage.hincrby("order:7", "qty", -40).await?
    );

    // Lists.
    storage.rpush("fills", &["10@99.5", "30@99.6"]).await?;
    println!(
        "LRANGE fills       -> {:?}",
        storage.lrange("fills", 0, -1).await?
    );

    // Pub/sub: handlers run on tokio, never inside publish.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let subscription = storage
        .subscribe(
            "prices",
            handler(move |channel, payload| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(format!("{channel:?} -> {payload:?}"));
                }
            }),
        )
        .await?;
    storage.publish("prices", "EURUSD 1.0842").await?;
    println!("subscriber got     -> {:?}", rx.recv().await);
    subscription.unsubscribe().await?;

    // A lock with a fencing token.
    match storage
        .acquire_lock("rebalance", Duration::from_secs(10), None)
        .await
    {
        Ok(Some(lock)) => {
            println!("lock acquired      -> token {:?}", lock.token);
            storage.release(&lock).await?;
        }
        Ok(None) => println!("lock busy          -> another holder has it"),
        Err(StorageError::Unavailable(why)) => {
            println!("lock refused       -> {why} (set HEDGESTORE_LOCK_FALLBACK=local to allow local locks)")
        }
        Err(e) => return Err(e),
    }

    // A transaction: all or nothing.
    let mut tx = storage.transaction();
    tx.set("k1", "v1", None)
        .hset("h", &[("f", "v")])
        .incr("greeting-count");
    let replies: Vec<Reply> = tx.execute().await?;
    println!("transaction        -> {replies:?}");
    let mut tx = storage.transaction();
    tx.set("k2", "v2", None).incr("order:7"); // order:7 is a hash: this fails...
    println!("failing tx         -> {}", tx.execute().await.unwrap_err());
    println!(
        "k2 after it        -> {:?} (nothing was applied)",
        storage.get_string("k2").await?
    );

    storage.close().await
}
