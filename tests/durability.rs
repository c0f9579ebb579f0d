//! Memory-only storage with a data directory: what was acknowledged is there after a
//! restart, expiry times are absolute, a torn or corrupt tail is cut off, and the log is
//! rewritten so it does not grow without bound.

mod support;

use support::TempDir;

use std::path::Path;
use std::time::Duration;

use hedgestore::{
    BaseStorage, Command, CompleteStorage, Durability, Fsync, MemoryConfig, MemoryStorage, Reply,
    LOG_FILE,
};

fn settings(dir: &Path) -> Durability {
    Durability {
        data_dir: Some(dir.to_path_buf()),
        fsync: Fsync::Always,
        ..Durability::default()
    }
}

fn cmd(args: &[&str]) -> Command {
    Command::parse(args).unwrap()
}

async fn run(storage: &MemoryStorage, args: &[&str]) -> Reply {
    storage.execute(cmd(args)).await.unwrap()
}

fn open(dir: &Path) -> MemoryStorage {
    MemoryStorage::open(MemoryConfig::default(), &settings(dir)).unwrap()
}

fn bulk(text: &str) -> Reply {
    Reply::Bulk(text.as_bytes().to_vec())
}

#[tokio::test]
async fn acknowledged_writes_survive_a_restart_with_absolute_expiry() {
    let dir = tempdir();
    let storage = open(dir.path());
    run(&storage, &["SET", "s", "v"]).await;
    for _ in 0..5 {
        run(&storage, &["INCR", "n"]).await;
    }
    run(&storage, &["INCRBYFLOAT", "f", "1.5"]).await;
    run(&storage, &["HSET", "h", "a", "1", "b", "2"]).await;
    run(&storage, &["RPUSH", "l", "x", "y", "z"]).await;
    run(&storage, &["LPOP", "l"]).await;
    run(&storage, &["SET", "short", "gone", "PX", "150"]).await;
    run(&storage, &["SET", "long", "kept", "EX", "100"]).await;
    run(&storage, &["DEL", "s"]).await;
    run(&storage, &["SET", "s2", "v2"]).await;
    // A transaction is one record.
    storage
        .execute_transaction(
            Vec::new(),
            vec![cmd(&["INCRBY", "n", "10"]), cmd(&["HDEL", "h", "a"])],
        )
        .await
        .unwrap();
    storage.close().await.unwrap();
    drop(storage);
    // Down for longer than `short` had to live.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let storage = open(dir.path());
    assert_eq!(run(&storage, &["GET", "s"]).await, Reply::Nil);
    assert_eq!(run(&storage, &["GET", "s2"]).await, bulk("v2"));
    assert_eq!(run(&storage, &["GET", "n"]).await, bulk("15"));
    assert_eq!(run(&storage, &["GET", "f"]).await, bulk("1.5"));
    assert_eq!(
        run(&storage, &["HGETALL", "h"]).await,
        Reply::Array(vec![bulk("b"), bulk("2")])
    );
    assert_eq!(
        run(&storage, &["LRANGE", "l", "0", "-1"]).await,
        Reply::Array(vec![bulk("y"), bulk("z")])
    );
    assert_eq!(run(&storage, &["GET", "short"]).await, Reply::Nil);
    let Reply::Int(ttl) = run(&storage, &["TTL", "long"]).await else {
        panic!("TTL is an integer")
    };
    assert!(
        (98..=100).contains(&ttl),
        "ttl {ttl}: counted from the write, not the restart"
    );
}

#[tokio::test]
async fn a_torn_tail_is_cut_off_and_the_rest_is_kept() {
    let dir = tempdir();
    let storage = open(dir.path());
    run(&storage, &["SET", "a", "1"]).await;
    run(&storage, &["SET", "b", "2"]).await;
    storage.close().await.unwrap();
    drop(storage);
    let path = dir.path().join(LOG_FILE);
    let whole = std::fs::read(&path).unwrap();
    // A crash in the middle of the last record: half of it reached the file.
    std::fs::write(&path, &whole[..whole.len() - 5]).unwrap();

    let storage = open(dir.path());
    assert_eq!(run(&storage, &["GET", "a"]).await, bulk("1"));
    assert_eq!(
        run(&storage, &["GET", "b"]).await,
        Reply::Nil,
        "never half applied"
    );
    run(&storage, &["SET", "c", "3"]).await;
    storage.close().await.unwrap();
    drop(storage);
    let storage = open(dir.path());
    assert_eq!(run(&storage, &["GET", "a"]).await, bulk("1"));
    assert_eq!(run(&storage, &["GET", "c"]).await, bulk("3"));
}

#[tokio::test]
async fn a_corrupt_record_ends_the_replay_there() {
    let dir = tempdir();
    let storage = open(dir.path());
    run(&storage, &["SET", "a", "first"]).await;
    let after_first = std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len();
    run(&storage, &["SET", "b", "second"]).await;
    run(&storage, &["SET", "c", "third"]).await;
    storage.close().await.unwrap();
    drop(storage);
    let path = dir.path().join(LOG_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    // One flipped bit inside the second record's payload.
    let at = after_first as usize + 12;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let storage = open(dir.path());
    assert_eq!(run(&storage, &["GET", "a"]).await, bulk("first"));
    assert_eq!(run(&storage, &["GET", "b"]).await, Reply::Nil);
    assert_eq!(run(&storage, &["GET", "c"]).await, Reply::Nil);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), after_first);
}

#[tokio::test]
async fn a_file_that_is_not_a_log_is_refused_not_overwritten() {
    let dir = tempdir();
    let path = dir.path().join(LOG_FILE);
    std::fs::write(&path, b"something else entirely").unwrap();
    let err = MemoryStorage::open(MemoryConfig::default(), &settings(dir.path())).unwrap_err();
    assert!(
        err.to_string()
            .contains("is not a hedgestore append-only log"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"something else entirely");
}

#[tokio::test]
async fn the_log_is_rewritten_and_stays_bounded() {
    let dir = tempdir();
    let durability = Durability {
        data_dir: Some(dir.path().to_path_buf()),
        fsync: Fsync::No,
        rewrite_min_bytes: 16 << 10,
    };
    let storage = MemoryStorage::open(MemoryConfig::default(), &durability).unwrap();
    let path = dir.path().join(LOG_FILE);
    let mut largest = 0;
    for i in 0..20_000 {
        run(&storage, &["INCR", "counter"]).await;
        run(
            &storage,
            &["HSET", "h", &format!("f{}", i % 100), &i.to_string()],
        )
        .await;
        if i % 500 == 0 {
            largest = largest.max(std::fs::metadata(&path).unwrap().len());
        }
    }
    // The rewrite runs in the background: wait for the last one to land.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&path).unwrap().len() > 64 << 10 {
        assert!(std::time::Instant::now() < deadline, "no rewrite finished");
        run(&storage, &["INCR", "counter2"]).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let counter2 = run(&storage, &["GET", "counter2"]).await;
    storage.close().await.unwrap();
    drop(storage);

    let storage = MemoryStorage::open(MemoryConfig::default(), &durability).unwrap();
    assert_eq!(run(&storage, &["GET", "counter"]).await, bulk("20000"));
    assert_eq!(run(&storage, &["GET", "counter2"]).await, counter2);
    assert_eq!(run(&storage, &["HLEN", "h"]).await, Reply::Int(100));
    assert_eq!(run(&storage, &["HGET", "h", "f99"]).await, bulk("19999"));
}

fn tempdir() -> TempDir {
    support::tempdir("durability")
}

/// Closing the storage while writers wait for their records to be synced (`Fsync::Always`)
/// answers every one of them: its record synced at the close (`Ok`), or an error. None is
/// left waiting for the sync thread, which stops with the storage. Several rounds, since
/// the close lands at a different point of the writers' appends each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_answers_writers_waiting_for_the_sync() {
    for round in 0..20 {
        let dir = tempdir();
        let storage = std::sync::Arc::new(open(dir.path()));
        let writers: Vec<_> = (0..16)
            .map(|t| {
                let storage = storage.clone();
                tokio::spawn(async move {
                    for i in 0.. {
                        let key = format!("w{t}:{i}");
                        if storage.execute(cmd(&["SET", &key, "v"])).await.is_err() {
                            return i;
                        }
                    }
                    unreachable!()
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(5 + round)).await;
        storage.close().await.unwrap();
        for writer in writers {
            // A bound for a writer left waiting forever, not a speed claim.
            tokio::time::timeout(Duration::from_secs(10), writer)
                .await
                .unwrap_or_else(|_| panic!("round {round}: a writer still waits after close"))
                .unwrap();
        }
    }
}

/// The memory storage answers `GET`/`SET` without building a command (the trait's typed
/// calls) and `Storage` calls without a boxed future; with a data directory, writes made
/// either way still go through the log before they are answered.
#[tokio::test]
async fn typed_writes_and_handle_writes_reach_the_log() {
    let dir = tempdir();
    let storage = open(dir.path());
    BaseStorage::set(&storage, b"typed", b"1", None)
        .await
        .unwrap();
    let handle = hedgestore::Storage::new(storage.clone());
    handle.set("handle", "2", None).await.unwrap();
    handle.incr("counter").await.unwrap();
    assert_eq!(
        BaseStorage::get(&storage, b"handle")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"2"[..])
    );
    storage.close().await.unwrap();

    let reopened = open(dir.path());
    assert_eq!(run(&reopened, &["GET", "typed"]).await, bulk("1"));
    assert_eq!(run(&reopened, &["GET", "handle"]).await, bulk("2"));
    assert_eq!(run(&reopened, &["GET", "counter"]).await, bulk("1"));
    reopened.close().await.unwrap();
}
