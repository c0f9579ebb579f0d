//! `Storage` on a Redis Cluster against the `redis` crate's own cluster client, and against
//! one `redis-server` on the same machine.
//!
//! Starts a private cluster of 3 masters (no replicas: replication would compete for the
//! same cores and measure the server, not the client) and one private `redis-server`, all
//! on loopback, and measures SET and GET, sequential and from 50 concurrent tasks, through:
//!
//! * the raw `redis::cluster_async::ClusterConnection` (the anchor of every ratio);
//! * `Storage::redis` on the cluster ([`RedisStorage`]);
//! * `Storage::connect` on the cluster ([`FallbackStorage`]: Redis, writes mirrored into
//!   memory);
//! * the raw multiplexed connection and `Storage::redis` on the single server.
//!
//! Candidates are interleaved within each round; each cell is the median time of 5 rounds
//! of 20,000 operations (keys spread over every master), and the median of the 5 per-round
//! ratios to the raw cluster client.
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --bin cluster`
//! (`--quick` for a smoke run). Output is Markdown. `--profile raw|raw-bounded|redis|fallback
//! get|set [OPS]` runs one candidate alone from 50 tasks (for callgrind or `perf`).

use std::time::Instant;

use hedgestore_native::{RedisStorage, Storage, StorageConfig};
use hedgestore_testkit::{RedisCluster, RedisServer};
use redis::AsyncCommands;

const TASKS: usize = 50;
const VALUE: &str = "value-of-some-forty-bytes-0123456789abcd";

#[derive(Clone, Copy)]
enum Work {
    Set,
    Get,
}

#[derive(Clone)]
enum Candidate {
    RawCluster(redis::cluster_async::ClusterConnection),
    RawSingle(redis::aio::MultiplexedConnection),
    Store(Storage),
}

impl Candidate {
    async fn set(&mut self, key: &str) {
        match self {
            Candidate::RawCluster(c) => c.set::<_, _, ()>(key, VALUE).await.expect("raw SET"),
            Candidate::RawSingle(c) => c.set::<_, _, ()>(key, VALUE).await.expect("raw SET"),
            Candidate::Store(s) => s.set(key, VALUE, None).await.expect("SET"),
        }
    }

    async fn get(&mut self, key: &str) {
        match self {
            Candidate::RawCluster(c) => {
                let _: Option<String> = c.get(key).await.expect("raw GET");
            }
            Candidate::RawSingle(c) => {
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
            for i in 0..per_task {
                let key = format!("bench:{t}:{}", i % 1000);
                match work {
                    Work::Set => c.set(&key).await,
                    Work::Get => c.get(&key).await,
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let ops = if quick { 2_000 } else { 20_000 };
    let rounds = if quick { 1 } else { 5 };
    let cluster = RedisCluster::start(3, 0).expect("a 3-master cluster");
    let single = RedisServer::start().expect("redis-server");
    let seeds = cluster.seeds();
    let cluster_config = || {
        StorageConfig::from_lookup(|name| (name == "REDIS_CLUSTER_NODES").then(|| seeds.clone()))
            .expect("REDIS_CLUSTER_NODES parses")
    };
    let urls: Vec<String> = seeds.split(',').map(|s| format!("redis://{s}")).collect();
    let raw_cluster = redis::cluster::ClusterClient::new(urls.clone())
        .expect("cluster client")
        .get_async_connection()
        .await
        .expect("raw cluster connection");
    // The raw client configured as `RedisStorage` configures it (`link::cluster_builder`
    // with the default `RedisConfig`): every request bounded by the 1 s response timeout
    // (per node connection and overall), 1 s connect timeout, no retries of its own.
    let defaults = StorageConfig::default().redis;
    let raw_bounded = redis::cluster::ClusterClientBuilder::new(urls)
        .connection_timeout(defaults.connect_timeout)
        .response_timeout(defaults.response_timeout)
        .retries(0)
        .build()
        .expect("cluster client")
        .get_async_connection()
        .await
        .expect("raw cluster connection with timeouts");
    // `--profile raw|raw-bounded|redis|fallback get|set [OPS]`: one candidate on the cluster, from 50
    // tasks, nothing else (for `valgrind --tool=callgrind` or `perf record`: run it at two
    // sizes and subtract to remove the start-up).
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        let work = match args.get(i + 2).map_or("get", String::as_str) {
            "set" => Work::Set,
            "get" => Work::Get,
            other => panic!("--profile CANDIDATE get|set [OPS], not {other}"),
        };
        let ops = args
            .get(i + 3)
            .map_or(100_000, |n| n.parse().expect("a count of operations"));
        let candidate = match args.get(i + 1).map_or("redis", String::as_str) {
            "raw" => Candidate::RawCluster(raw_cluster),
            "raw-bounded" => Candidate::RawCluster(raw_bounded),
            "redis" => Candidate::Store(Storage::new(
                RedisStorage::connect(cluster_config().redis)
                    .await
                    .expect("redis storage on the cluster"),
            )),
            "fallback" => Candidate::Store(
                Storage::connect(cluster_config())
                    .await
                    .expect("fallback storage on the cluster"),
            ),
            other => panic!("--profile raw|raw-bounded|redis|fallback, not {other}"),
        };
        // Every key present for GET, as in the table's runs.
        run(&candidate, 50_000, Work::Set, true).await;
        let ns = run(&candidate, ops, work, true).await;
        println!("{ns:.0} ns per operation");
        return;
    }
    let raw_single = redis::Client::open(single.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection");
    let single_config = StorageConfig::default().redis_url(single.url());
    let candidates = [
        (
            "raw `ClusterConnection`",
            Candidate::RawCluster(raw_cluster),
        ),
        (
            "raw, RedisStorage's timeouts",
            Candidate::RawCluster(raw_bounded),
        ),
        (
            "RedisStorage (cluster)",
            Candidate::Store(Storage::new(
                RedisStorage::connect(cluster_config().redis)
                    .await
                    .expect("redis storage on the cluster"),
            )),
        ),
        (
            "FallbackStorage (cluster)",
            Candidate::Store(
                Storage::connect(cluster_config())
                    .await
                    .expect("fallback storage on the cluster"),
            ),
        ),
        ("raw client (one server)", Candidate::RawSingle(raw_single)),
        (
            "RedisStorage (one server)",
            Candidate::Store(Storage::new(
                RedisStorage::connect(single_config.redis)
                    .await
                    .expect("redis storage on one server"),
            )),
        ),
    ];
    println!(
        "## Redis Cluster (3 masters, no replicas) beside one server: cost per operation \
         ({ops} ops, median of {rounds} rounds; in brackets the median per-round ratio to \
         the raw cluster client)\n"
    );
    let names: Vec<&str> = candidates.iter().map(|(n, _)| *n).collect();
    println!("| workload | {} |", names.join(" | "));
    println!("|---|{}", "---|".repeat(names.len()));
    for (label, work, concurrent) in [
        ("SET, 1 task", Work::Set, false),
        ("GET, 1 task", Work::Get, false),
        ("SET, 50 tasks", Work::Set, true),
        ("GET, 50 tasks", Work::Get, true),
    ] {
        let mut samples = vec![Vec::new(); candidates.len()];
        for _ in 0..rounds {
            for (i, (_, c)) in candidates.iter().enumerate() {
                samples[i].push(run(c, ops, work, concurrent).await);
            }
        }
        // The ratio of each round (to the raw cluster client's time in the same round),
        // then the median of those: steadier than a ratio of medians when the machine's
        // load drifts between rounds.
        let cells: Vec<String> = samples
            .iter()
            .map(|times| {
                let ratios = times.iter().zip(&samples[0]).map(|(t, raw)| t / raw);
                format!(
                    "{:.2} µs ({:.2}x)",
                    median(times.clone()) / 1000.0,
                    median(ratios.collect())
                )
            })
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
    println!();
    drop(cluster);
}
