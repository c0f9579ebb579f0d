//! The append-only log's cost, next to Redis's own `appendonly yes`, in one run on one disk.
//!
//! * SET throughput, 50 concurrent tasks (100-byte values over 100,000 keys): hedgestore's
//!   `MemoryStorage` with the log off, `no`, `everysec`, `always`; a private `redis-server`
//!   with `appendonly no` and `appendonly yes` + `appendfsync no|everysec|always`, driven by
//!   the `redis` crate's multiplexed connection from the same number of tasks. Both write
//!   their files under the same directory (`$TMPDIR`, default `/tmp`).
//! * Restart time with 1,000,000 keys: `MemoryStorage::open` replaying its log, next to
//!   Redis's `DEBUG LOADAOF` (flush and reload from its AOF).
//! * The fallback's outage journal on disk: `FallbackStorage` serving from memory while
//!   Redis is down (nothing listens on its port), the same SETs from the same tasks, each
//!   journaled with `no`, `everysec`, `always` (a group commit, as the log's) before it is
//!   acknowledged, next to `MemoryStorage`'s log with the same policy.
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --bin durability`
//! (`--quick` for a smoke run). Output is Markdown.

#[path = "../redis_process.rs"]
mod redis_process;
use redis_process::start_redis;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hedgestore_native::{
    BackendKind, BaseStorage, Command, CompleteStorage, Durability, FallbackStorage, Fsync,
    MemoryConfig, MemoryStorage, StorageConfig,
};

const TASKS: usize = 50;
const KEYS: usize = 100_000;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hedgestore-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn set(i: usize, value: &[u8]) -> Command {
    Command::parse(&[
        b"SET".as_slice(),
        format!("key:{}", i % KEYS).as_bytes(),
        value,
    ])
    .expect("a SET")
}

/// SETs per second through `storage` from [`TASKS`] tasks.
async fn hedgestore_sets<S: BaseStorage + Clone + 'static>(storage: &S, ops: usize) -> f64 {
    let storage = Arc::new(storage.clone());
    let value = Arc::new(vec![b'v'; 100]);
    let per_task = ops / TASKS;
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let storage = Arc::clone(&storage);
        let value = Arc::clone(&value);
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                storage
                    .execute(set(t * per_task + i, &value))
                    .await
                    .expect("SET");
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    (per_task * TASKS) as f64 / start.elapsed().as_secs_f64()
}

async fn connect(port: u16) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("url");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.get_multiplexed_async_connection().await {
            Ok(c) => return c,
            Err(e) if Instant::now() > deadline => panic!("connect: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// SETs per second against Redis from [`TASKS`] tasks.
async fn redis_sets(conn: &redis::aio::MultiplexedConnection, ops: usize) -> f64 {
    let value = Arc::new(vec![b'v'; 100]);
    let per_task = ops / TASKS;
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let mut conn = conn.clone();
        let value = Arc::clone(&value);
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                let key = format!("key:{}", (t * per_task + i) % KEYS);
                let _: () = redis::cmd("SET")
                    .arg(key)
                    .arg(value.as_slice())
                    .query_async(&mut conn)
                    .await
                    .expect("SET");
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    (per_task * TASKS) as f64 / start.elapsed().as_secs_f64()
}

/// `appendonly` settings (`None`: off) and the debug command `DEBUG LOADAOF` needs.
fn redis_args(appendfsync: Option<&str>) -> Vec<&str> {
    let mut args = vec!["--enable-debug-command", "local"];
    match appendfsync {
        None => args.extend(["--appendonly", "no"]),
        Some(fsync) => args.extend(["--appendonly", "yes", "--appendfsync", fsync]),
    }
    args
}

fn durability(dir: &Path, fsync: Fsync) -> Durability {
    Durability {
        data_dir: Some(dir.to_path_buf()),
        fsync,
        ..Durability::default()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let ops = if quick { 20_000 } else { 200_000 };
    let restart_keys = if quick { 100_000 } else { 1_000_000 };
    let disk = std::env::temp_dir();
    println!(
        "## SET throughput with the log, {TASKS} tasks, {ops} SETs of 100 B (files under {})\n",
        disk.display()
    );
    println!("| sync policy | hedgestore MemoryStorage (SET/s) | redis-server (SET/s) | ratio |");
    println!("|---|---:|---:|---:|");
    let modes: [(&str, Option<Fsync>, Option<&str>); 4] = [
        ("log off / appendonly no", None, None),
        ("`no`", Some(Fsync::No), Some("no")),
        ("`everysec`", Some(Fsync::EverySec), Some("everysec")),
        ("`always`", Some(Fsync::Always), Some("always")),
    ];
    for (name, fsync, redis_fsync) in modes {
        // `always` is disk-bound on both sides: fewer operations keep the run short.
        let ops = if fsync == Some(Fsync::Always) {
            ops / 4
        } else {
            ops
        };
        let dir = scratch("hs");
        let settings = match fsync {
            None => Durability::default(),
            Some(f) => durability(&dir, f),
        };
        let storage = MemoryStorage::open(MemoryConfig::default(), &settings).expect("open");
        let ours = hedgestore_sets(&storage, ops).await;
        storage.close().await.expect("close");
        drop(storage);
        let _ = std::fs::remove_dir_all(&dir);

        let rdir = scratch("redis");
        let redis = start_redis(&rdir, &redis_args(redis_fsync));
        let conn = connect(redis.port).await;
        let theirs = redis_sets(&conn, ops).await;
        drop(conn);
        drop(redis);
        let _ = std::fs::remove_dir_all(&rdir);
        println!(
            "| {name} | {ours:.0} | {theirs:.0} | {:.2}x |",
            ours / theirs
        );
    }

    println!("\n## The outage journal: SETs while Redis is down, {TASKS} tasks, 100 B values\n");
    println!(
        "| sync policy | FallbackStorage on memory, journaled (SET/s) | MemoryStorage, logged \
         (SET/s) | ratio |"
    );
    println!("|---|---:|---:|---:|");
    for (name, fsync) in [
        ("`no`", Fsync::No),
        ("`everysec`", Fsync::EverySec),
        ("`always`", Fsync::Always),
    ] {
        // The journal's bound holds every SET of the run (arguments only).
        let ops = if fsync == Fsync::Always { ops / 4 } else { ops };
        let dir = scratch("journal");
        let mut config = StorageConfig::default()
            .redis_url(format!("redis://127.0.0.1:{}", closed_port()))
            .redis_connect_timeout(Duration::from_millis(200));
        config.durability = durability(&dir, fsync);
        config.fallback.journal_max_bytes = 1 << 30;
        let fallback = FallbackStorage::start(config).await.expect("fallback");
        assert_eq!(fallback.serving(), BackendKind::Memory, "redis is down");
        let journaled = hedgestore_sets(&fallback, ops).await;
        fallback.close().await.expect("close");
        drop(fallback);
        let _ = std::fs::remove_dir_all(&dir);

        let dir = scratch("hs-log");
        let storage =
            MemoryStorage::open(MemoryConfig::default(), &durability(&dir, fsync)).expect("open");
        let logged = hedgestore_sets(&storage, ops).await;
        storage.close().await.expect("close");
        drop(storage);
        let _ = std::fs::remove_dir_all(&dir);
        println!(
            "| {name} | {journaled:.0} | {logged:.0} | {:.2}x |",
            journaled / logged
        );
    }

    println!("\n## Restart with {restart_keys} keys (100 B values)\n");
    let dir = scratch("restart");
    let settings = durability(&dir, Fsync::No);
    let storage = MemoryStorage::open(MemoryConfig::default(), &settings).expect("open");
    let value = vec![b'v'; 100];
    for i in 0..restart_keys {
        let key = format!("key:{i}");
        storage
            .execute(Command::parse(&[b"SET".as_slice(), key.as_bytes(), &value]).expect("SET"))
            .await
            .expect("SET");
    }
    storage.close().await.expect("close");
    drop(storage);
    let log_bytes = std::fs::metadata(dir.join(hedgestore_native::LOG_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    let start = Instant::now();
    let storage = MemoryStorage::open(MemoryConfig::default(), &settings).expect("reopen");
    let ours = start.elapsed();
    assert_eq!(storage.stats().keys, restart_keys, "every key back");
    storage.close().await.expect("close");
    drop(storage);
    let _ = std::fs::remove_dir_all(&dir);

    let rdir = scratch("redis-restart");
    let redis = start_redis(&rdir, &redis_args(Some("no")));
    let mut conn = connect(redis.port).await;
    let mut pipe = redis::pipe();
    for i in 0..restart_keys {
        pipe.cmd("SET")
            .arg(format!("key:{i}"))
            .arg(value.as_slice())
            .ignore();
        if pipe.len() == 10_000 {
            let _: () = pipe.query_async(&mut conn).await.expect("pipeline");
            pipe = redis::pipe();
        }
    }
    if !pipe.is_empty() {
        let _: () = pipe.query_async(&mut conn).await.expect("pipeline");
    }
    // A plain connection: the multiplexed one gives up on a reply after its response timeout.
    let mut plain = redis::Client::open(format!("redis://127.0.0.1:{}/", redis.port))
        .and_then(|c| c.get_connection())
        .expect("a connection");
    let start = Instant::now();
    let loaded: redis::RedisResult<()> = redis::cmd("DEBUG").arg("LOADAOF").query(&mut plain);
    let theirs = start.elapsed();
    drop(plain);
    drop(conn);
    drop(redis);
    let _ = std::fs::remove_dir_all(&rdir);
    println!("| | hedgestore (`MemoryStorage::open`) | redis-server (`DEBUG LOADAOF`) |");
    println!("|---|---:|---:|");
    println!(
        "| load time | {:.0} ms (log {:.1} MB) | {} |",
        ours.as_secs_f64() * 1e3,
        log_bytes as f64 / 1e6,
        match loaded {
            Ok(()) => format!("{:.0} ms", theirs.as_secs_f64() * 1e3),
            Err(e) => format!("n/a ({e})"),
        }
    );
}

/// A loopback port nothing listens on (bound, then released): a Redis that is down.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}
