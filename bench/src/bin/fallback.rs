//! The Redis-facing layers against the raw `redis` client, and what an outage costs.
//!
//! Against one private `redis-server` on loopback (started and stopped here):
//!
//! * healthy overhead: SET and GET, sequential and from 50 concurrent tasks, and SETs in
//!   pipelines of 100 (`redis::pipe()` / `Storage::pipeline()`), through the raw
//!   `redis` multiplexed connection, [`RedisStorage`] and [`FallbackStorage`] (which also
//!   mirrors writes into memory); candidates interleaved, median of 5 rounds;
//! * failover: a writer loop is running when Redis is killed (`SIGKILL`); the time until the
//!   first write is served from memory, and the slowest call meanwhile;
//! * recovery: with 10,000 journaled outage writes, the time from Redis's restart until the
//!   storage serves from Redis again, and the slowest call of a writer running meanwhile.
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --bin fallback`
//! (`--quick` for a smoke run). Output is Markdown.
//!
//! `--profile raw|redis|fallback [set|get|pipeline] [OPS]` runs only that candidate's
//! 50-task (or pipelined) workload for OPS operations (default 400,000), for a profiler such as
//! `perf record -g` to look at one layer alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hedgestore_native::{BackendKind, FallbackStorage, RedisStorage, Storage, StorageConfig};
use hedgestore_testkit::RedisServer;
use redis::AsyncCommands;

const TASKS: usize = 50;
/// Commands per pipeline.
const PIPELINE: usize = 100;
const VALUE: &str = "value-of-some-forty-bytes-0123456789abcd";

/// What one round does.
#[derive(Clone, Copy)]
enum Work {
    Set,
    Get,
    /// Pipelines of [`PIPELINE`] SETs.
    Pipeline,
}

#[derive(Clone)]
enum Candidate {
    Raw(redis::aio::MultiplexedConnection),
    Store(Storage),
}

impl Candidate {
    async fn set(&mut self, key: &str, value: &str) {
        match self {
            Candidate::Raw(c) => c.set::<_, _, ()>(key, value).await.expect("raw SET"),
            Candidate::Store(s) => s.set(key, value, None).await.expect("SET"),
        }
    }

    /// One pipeline of [`PIPELINE`] SETs (not atomic), keys `prefix:0..`.
    async fn pipeline(&mut self, prefix: &str) {
        match self {
            Candidate::Raw(c) => {
                let mut pipe = redis::pipe();
                for i in 0..PIPELINE {
                    pipe.set(format!("{prefix}:{i}"), VALUE).ignore();
                }
                pipe.query_async::<()>(c).await.expect("raw pipeline");
            }
            Candidate::Store(s) => {
                let mut pipe = s.pipeline();
                for i in 0..PIPELINE {
                    pipe.set(format!("{prefix}:{i}"), VALUE, None);
                }
                for reply in pipe.execute().await {
                    reply.expect("pipelined SET");
                }
            }
        }
    }

    async fn get(&mut self, key: &str) {
        match self {
            Candidate::Raw(c) => {
                let _: Option<String> = c.get(key).await.expect("raw GET");
            }
            Candidate::Store(s) => {
                s.get(key).await.expect("GET");
            }
        }
    }
}

/// Nanoseconds per command of `ops` commands, from one task or from [`TASKS`].
async fn run(candidate: &Candidate, ops: usize, work: Work, concurrent: bool) -> f64 {
    let tasks = if concurrent { TASKS } else { 1 };
    let per_task = ops / tasks;
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let mut c = candidate.clone();
        handles.push(tokio::spawn(async move {
            match work {
                Work::Pipeline => {
                    for i in 0..per_task / PIPELINE {
                        c.pipeline(&format!("bench:pipe:{t}:{}", i % 10)).await;
                    }
                }
                _ => {
                    for i in 0..per_task {
                        let key = format!("bench:{t}:{}", i % 1000);
                        match work {
                            Work::Set => c.set(&key, VALUE).await,
                            _ => c.get(&key).await,
                        }
                    }
                }
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    start.elapsed().as_nanos() as f64 / (per_task * tasks) as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn config(port: u16) -> StorageConfig {
    StorageConfig::default().redis_url(format!("redis://127.0.0.1:{port}"))
}

async fn healthy_overhead(server: &RedisServer, quick: bool) {
    let ops = if quick { 2_000 } else { 20_000 };
    let rounds = if quick { 1 } else { 11 };
    let client = redis::Client::open(server.url()).expect("url");
    let raw = Candidate::Raw(
        client
            .get_multiplexed_async_connection()
            .await
            .expect("raw connection"),
    );
    let redis = Candidate::Store(Storage::new(
        RedisStorage::connect(config(server.port()).redis)
            .await
            .expect("redis storage"),
    ));
    let fallback = Candidate::Store(Storage::new(
        FallbackStorage::start(config(server.port()))
            .await
            .expect("fallback storage"),
    ));
    let candidates = [
        ("raw `redis` client", raw),
        ("RedisStorage", redis),
        ("FallbackStorage", fallback),
    ];
    println!("## Healthy Redis: cost per operation ({ops} ops, median of {rounds} rounds)\n");
    println!(
        "Ratios in the last two columns are medians of per-round ratios (the candidates of a \
         round run back to back), steadier than ratios of medians on a shared machine.\n"
    );
    println!(
        "| workload | raw `redis` client | RedisStorage | FallbackStorage | RedisStorage / raw \
         | Fallback / RedisStorage |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, work, concurrent) in [
        ("SET, 1 task", Work::Set, false),
        ("GET, 1 task", Work::Get, false),
        ("SET, 50 tasks", Work::Set, true),
        ("GET, 50 tasks", Work::Get, true),
        ("SET in pipelines of 100, 1 task", Work::Pipeline, false),
    ] {
        let mut samples = vec![Vec::new(); candidates.len()];
        for _ in 0..rounds {
            for (i, (_, c)) in candidates.iter().enumerate() {
                samples[i].push(run(c, ops, work, concurrent).await);
            }
        }
        let paired = |a: usize, b: usize| {
            median(
                samples[a]
                    .iter()
                    .zip(&samples[b])
                    .map(|(x, y)| x / y)
                    .collect(),
            )
        };
        let (redis_raw, fallback_redis) = (paired(1, 0), paired(2, 1));
        let medians: Vec<f64> = samples.into_iter().map(median).collect();
        let raw = medians[0];
        let cells: Vec<String> = medians
            .iter()
            .map(|m| format!("{:.2} µs ({:.2}x)", m / 1000.0, m / raw))
            .collect();
        println!(
            "| {label} | {} | {redis_raw:.3}x | {fallback_redis:.3}x |",
            cells.join(" | ")
        );
    }
    println!();
}

/// Runs a writer until `stop`, returning the slowest single call and the calls that failed.
fn writer(s: Storage, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<(Duration, usize)> {
    tokio::spawn(async move {
        let (mut slowest, mut failed, mut i) = (Duration::ZERO, 0usize, 0u64);
        while !stop.load(Ordering::Acquire) {
            let start = Instant::now();
            if s.set(format!("w:{}", i % 1000), "x", None).await.is_err() {
                failed += 1;
            }
            slowest = slowest.max(start.elapsed());
            i += 1;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (slowest, failed)
    })
}

async fn wait_for(s: &Storage, backend: BackendKind) -> Duration {
    let start = Instant::now();
    while s.health().await.backend != backend {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never reached {backend:?}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    start.elapsed()
}

async fn outage(server: &mut RedisServer, quick: bool) {
    let journaled = if quick { 1_000 } else { 10_000 };
    let s = Storage::connect(config(server.port()))
        .await
        .expect("fallback");
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(s.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.kill();
    let failover = wait_for(&s, BackendKind::Memory).await;
    stop.store(true, Ordering::Release);
    let (slowest_failover, failed_failover) = w.await.expect("writer");

    for i in 0..journaled {
        s.set(format!("j:{i}"), "journaled", None)
            .await
            .expect("outage write");
    }
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(s.clone(), stop.clone());
    server.restart().expect("restart");
    let recovery = wait_for(&s, BackendKind::Redis).await;
    stop.store(true, Ordering::Release);
    let (slowest_recovery, failed_recovery) = w.await.expect("writer");

    println!("## Outage (default settings: 1 s operation timeout, health check every 1 s)\n");
    println!("| event | time | slowest caller meanwhile | failed calls |");
    println!("|---|---|---|---|");
    println!(
        "| failover: kill -9 → serving from memory | {:.1} ms | {:.1} ms | {failed_failover} |",
        failover.as_secs_f64() * 1e3,
        slowest_failover.as_secs_f64() * 1e3
    );
    println!(
        "| recovery: restart → serving from Redis ({journaled} journaled writes, Redis restarted empty) | {:.1} ms | {:.1} ms | {failed_recovery} |",
        recovery.as_secs_f64() * 1e3,
        slowest_recovery.as_secs_f64() * 1e3
    );
    println!();
}

/// `--profile CANDIDATE [WORK]`: one candidate, one workload, many operations.
async fn profile(server: &RedisServer, candidate: &str, work: &str, ops: usize) {
    let c = match candidate {
        "raw" => Candidate::Raw(
            redis::Client::open(server.url())
                .expect("url")
                .get_multiplexed_async_connection()
                .await
                .expect("raw connection"),
        ),
        // The raw connection configured as `RedisStorage` configures its own
        // (`redis::single`): every request bounded by the response timeout.
        "raw-bounded" => {
            let defaults = StorageConfig::default().redis;
            Candidate::Raw(
                redis::Client::open(server.url())
                    .expect("url")
                    .get_multiplexed_async_connection_with_config(
                        &redis::AsyncConnectionConfig::new()
                            .set_connection_timeout(Some(defaults.connect_timeout))
                            .set_response_timeout(Some(defaults.response_timeout)),
                    )
                    .await
                    .expect("raw connection with timeouts"),
            )
        }
        "redis" => Candidate::Store(Storage::new(
            RedisStorage::connect(config(server.port()).redis)
                .await
                .expect("redis storage"),
        )),
        "fallback" => Candidate::Store(Storage::new(
            FallbackStorage::start(config(server.port()))
                .await
                .expect("fallback storage"),
        )),
        other => panic!("--profile takes raw, raw-bounded, redis or fallback, not {other:?}"),
    };
    let (work, concurrent) = match work {
        "set" => (Work::Set, true),
        "get" => (Work::Get, true),
        "pipeline" => (Work::Pipeline, false),
        other => panic!("--profile's workload is set, get or pipeline, not {other:?}"),
    };
    let cpu = process_cpu();
    let ns = run(&c, ops, work, concurrent).await;
    let cpu_ns = (process_cpu() - cpu).as_nanos() as f64 / ops as f64;
    println!(
        "{candidate}: {:.2} µs per operation, {:.2} µs of this process's CPU per operation",
        ns / 1000.0,
        cpu_ns / 1000.0
    );
}

/// User + system CPU time of this process so far (all its threads; not `redis-server`),
/// from `/proc/self/stat`: steadier than wall time on a busy machine.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // Linux reports them in USER_HZ, 100 per second on every mainstream configuration.
    Duration::from_millis(ticks * 10)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut server = RedisServer::start().expect("redis-server");
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        let candidate = args.get(i + 1).map_or("redis", String::as_str);
        let work = args.get(i + 2).map_or("set", String::as_str);
        let ops = args
            .get(i + 3)
            .map_or(400_000, |n| n.parse().expect("a count of operations"));
        profile(&server, candidate, work, ops).await;
        return;
    }
    healthy_overhead(&server, quick).await;
    outage(&mut server, quick).await;
}
