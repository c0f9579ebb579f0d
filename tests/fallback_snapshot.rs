//! Redis killed with `SIGKILL` and restarted from an older RDB snapshot while the fallback
//! serves from memory: Redis ends with the snapshot plus every write acknowledged during
//! the outage, replayed once; what Redis itself acknowledged after its snapshot is as
//! durable as its persistence made it (gone for keys the snapshot holds, healed from this
//! instance's memory for keys the snapshot lacks).

mod support;

use support::{config, wait_for_backend};

use std::time::Duration;

use hedgestore::{BackendKind, Storage};
use hedgestore_testkit::{RedisServer, Resp};

/// One phase of writes: `n` INCRs of `counter` and RPUSHes of `list`, all acknowledged.
async fn phase(s: &Storage, counter: &str, list: &str, tag: &str, n: usize) {
    for i in 0..n {
        s.incr(counter).await.expect("INCR acknowledged");
        s.rpush(list, &[format!("{tag}{i}")])
            .await
            .expect("RPUSH acknowledged");
    }
}

fn bulk_text(r: Resp) -> Option<String> {
    match r {
        Resp::Bulk(b) => b.map(|b| String::from_utf8(b).unwrap()),
        other => panic!("not a bulk string: {other:?}"),
    }
}

fn list(r: Resp) -> Vec<String> {
    match r {
        Resp::Array(Some(items)) => items.into_iter().filter_map(bulk_text).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_from_an_older_snapshot_gets_the_outage_writes_once() {
    let mut server = RedisServer::start().unwrap();
    let s = Storage::connect(config(server.port())).await.unwrap();
    assert_eq!(s.health().await.backend, BackendKind::Redis);

    // A: on Redis, then its snapshot.
    phase(&s, "snap:counter", "snap:list", "a", 20).await;
    let mut direct = server.connect().unwrap();
    assert_eq!(
        direct.call(&[b"SAVE".as_slice()]).unwrap(),
        Resp::Simple("OK".into())
    );
    // B: on Redis after the snapshot, and a key the snapshot does not have.
    phase(&s, "snap:counter", "snap:list", "b", 10).await;
    phase(&s, "snap:new-counter", "snap:new-list", "b", 5).await;
    drop(direct);

    // The crash; C: during the outage, from memory.
    server.kill();
    wait_for_backend(&s, BackendKind::Memory, Duration::from_secs(30)).await;
    phase(&s, "snap:counter", "snap:list", "c", 7).await;
    phase(&s, "snap:new-counter", "snap:new-list", "c", 3).await;

    // Back from the snapshot (A's state): the recovery replays C once.
    server.restart().unwrap();
    wait_for_backend(&s, BackendKind::Redis, Duration::from_secs(30)).await;

    let mut direct = server.connect().unwrap();
    let get = |d: &mut hedgestore_testkit::RespConnection, k: &str| {
        bulk_text(d.call(&[b"GET".as_slice(), k.as_bytes()]).unwrap())
    };
    let lrange = |d: &mut hedgestore_testkit::RespConnection, k: &str| {
        list(
            d.call(&[b"LRANGE".as_slice(), k.as_bytes(), b"0", b"-1"])
                .unwrap(),
        )
    };
    // In the snapshot: its value, B lost with Redis's own persistence, C on top.
    assert_eq!(get(&mut direct, "snap:counter").as_deref(), Some("27"));
    let expected: Vec<String> = (0..20)
        .map(|i| format!("a{i}"))
        .chain((0..7).map(|i| format!("c{i}")))
        .collect();
    assert_eq!(lrange(&mut direct, "snap:list"), expected);
    // Not in the snapshot: healed from this instance's memory (B), then C.
    assert_eq!(get(&mut direct, "snap:new-counter").as_deref(), Some("8"));
    let expected: Vec<String> = (0..5)
        .map(|i| format!("b{i}"))
        .chain((0..3).map(|i| format!("c{i}")))
        .collect();
    assert_eq!(lrange(&mut direct, "snap:new-list"), expected);
    // And the storage reads the same.
    assert_eq!(
        s.get_string("snap:counter").await.unwrap().as_deref(),
        Some("27")
    );
    s.close().await.unwrap();
}
