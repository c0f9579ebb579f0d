//! What recording metrics costs: `MemoryStorage` and `RedisStorage` throughput with no
//! recorder and with a Prometheus recorder (`metrics-exporter-prometheus`, the histograms
//! with buckets as the proxy configures them), in one process.
//!
//! A global recorder can be installed only once per process, so the Prometheus recorder is
//! made the *local* recorder of the benchmark's thread for its rounds (a current-thread
//! tokio runtime: every task, the storages' own included, runs on that thread). Rounds
//! alternate (none, Prometheus, Prometheus, none, …) so that drift in the machine's load
//! hits both alike; the tables give the median of the rounds. After each Prometheus round
//! the recorder's upkeep runs, as an application's would every few seconds.
//!
//! Workloads: GET and SET (alternating, 1,000 keys, 40-byte values) from one task, and from
//! 50 tasks for Redis (a private `redis-server` on loopback, started and stopped here).
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --bin metrics`
//! (`--quick` for a smoke run). Output is Markdown.

use std::time::{Duration, Instant};

use hedgestore_native::{describe_metrics, MemoryConfig, RedisStorage, Storage, StorageConfig};
use hedgestore_testkit::RedisServer;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

const VALUE: &str = "value-of-some-forty-bytes-0123456789abcd";

/// Nanoseconds per operation of `ops` GET/SET pairs' halves, from `tasks` tasks.
async fn run(storage: &Storage, ops: usize, tasks: usize) -> f64 {
    let per_task = ops / tasks;
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let s = storage.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                let key = format!("bench:{t}:{}", i % 1000);
                if i % 2 == 0 {
                    s.set(&key, VALUE, None).await.expect("SET");
                } else {
                    s.get(&key).await.expect("GET");
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

fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("duration_seconds".into()),
            &[
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0,
            ],
        )
        .expect("buckets")
        .build_recorder()
}

/// One workload, interleaved: (ns/op without a recorder, ns/op with Prometheus).
fn compare(
    runtime: &tokio::runtime::Runtime,
    prometheus: &PrometheusRecorder,
    storage: &Storage,
    ops: usize,
    tasks: usize,
    rounds: usize,
) -> (f64, f64) {
    // Warm-up, both ways (connections, allocations, the handle cache).
    runtime.block_on(run(storage, ops / 4, tasks));
    {
        let _local = metrics::set_default_local_recorder(prometheus);
        runtime.block_on(run(storage, ops / 4, tasks));
    }
    let (mut none, mut with) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for recorded in [round % 2 == 1, round % 2 == 0] {
            if recorded {
                let _local = metrics::set_default_local_recorder(prometheus);
                with.push(runtime.block_on(run(storage, ops, tasks)));
                prometheus.handle().run_upkeep();
            } else {
                none.push(runtime.block_on(run(storage, ops, tasks)));
            }
        }
    }
    (median(none), median(with))
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 2 } else { 9 };
    let memory_ops = if quick { 20_000 } else { 400_000 };
    let redis_ops = if quick { 2_000 } else { 20_000 };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let prometheus = recorder();
    {
        let _local = metrics::set_default_local_recorder(&prometheus);
        describe_metrics();
    }

    let server = RedisServer::start().expect("redis-server");
    let (memory, redis) = runtime.block_on(async {
        let memory = Storage::memory(MemoryConfig::default()).expect("memory storage");
        let config = StorageConfig::default().redis_url(server.url());
        let redis = RedisStorage::connect(config.redis)
            .await
            .expect("redis storage");
        (memory, Storage::new(redis))
    });

    let cases: [(&str, &Storage, usize, usize); 3] = [
        ("MemoryStorage, 1 task", &memory, memory_ops, 1),
        ("RedisStorage, 1 task", &redis, redis_ops, 1),
        ("RedisStorage, 50 tasks", &redis, redis_ops, 50),
    ];
    println!(
        "### Cost per operation, GET/SET alternating (median of {rounds} interleaved rounds)\n"
    );
    println!("| workload | ops per round | no recorder | Prometheus recorder | overhead |");
    println!("|---|---|---|---|---|");
    for (name, storage, ops, tasks) in cases {
        eprintln!("{name} …");
        let (none, with) = compare(&runtime, &prometheus, storage, ops, tasks, rounds);
        println!(
            "| {name} | {ops} | {} | {} | {:+.1} % |",
            shown(none),
            shown(with),
            (with / none - 1.0) * 100.0
        );
    }
    // What the recorder saw, as a check that it recorded: command counts are handed over
    // as process totals (every round, with or without the recorder, and the warm-ups).
    {
        let _local = metrics::set_default_local_recorder(&prometheus);
        runtime.block_on(memory.health());
    }
    let scrape = prometheus.handle().render();
    let counted: f64 = scrape
        .lines()
        .filter(|l| l.starts_with("hedgestore_commands_total{"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    println!("\nCommands counted (process totals, all rounds): {counted}");
    runtime.block_on(async {
        let _ = memory.close().await;
        let _ = redis.close().await;
    });
    std::thread::sleep(Duration::from_millis(50));
}

fn shown(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}
