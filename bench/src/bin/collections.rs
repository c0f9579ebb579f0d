//! Sets and sorted sets: the engine's command throughput and bytes per member, next to a
//! private `redis-server` on the same machine, in one run.
//!
//! * Throughput: ZADD, ZRANGE (first 10), ZRANK, ZSCORE, SADD, SISMEMBER against one key
//!   holding 100,000 members, random members (fixed seed). hedgestore: `Engine::execute` in
//!   process (the command parsed before timing, as the proxy or Redis protocol layer hands
//!   it over). Redis: `redis-benchmark -P 100 -c 1` (pipelined, one connection), the closest
//!   a client gets to Redis's own command cost; its network and protocol cost is still in it,
//!   so the ratio flatters the engine by that much: read it as "per-command engine cost".
//! * Memory: bytes per member of a 1,000,000-member set and sorted set (members `m:<i>`,
//!   random scores): the engine's `used_memory()` (checked against a counting allocator in
//!   `core/tests/memory_accounting.rs`) and Redis's `INFO memory` `used_memory` delta.
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --bin collections`
//! (`--quick` for a smoke run). Output is Markdown.

#[path = "../redis_process.rs"]
mod redis_process;
use redis_process::start_redis;

use std::process::Command as Process;
use std::time::Instant;

use hedgestore_core::{Command, Engine, EngineConfig, ManualClock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MEMBERS: usize = 100_000;

fn cmd(args: &[String]) -> Command {
    Command::parse(args).expect("a valid command")
}

fn strs(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Requests per second of one command shape (`__rand_int__` replaced by redis-benchmark).
fn redis_benchmark(port: u16, ops: usize, command: &[&str]) -> f64 {
    let out = Process::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-c", "1", "-P", "100", "-q"])
        .args(["-n", &ops.to_string(), "-r", &MEMBERS.to_string()])
        .args(command)
        .output()
        .expect("redis-benchmark");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "\n");
    text.lines()
        .rfind(|l| l.contains("requests per second"))
        .and_then(|l| l.split(" requests per second").next())
        .and_then(|v| v.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn used_memory(conn: &mut redis::Connection) -> usize {
    let info: String = redis::cmd("INFO").arg("memory").query(conn).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory in INFO")
}

/// Operations per second of `commands` through `engine`.
fn engine_rate(engine: &mut Engine<ManualClock>, commands: Vec<Command>) -> f64 {
    let n = commands.len();
    let start = Instant::now();
    for c in commands {
        std::hint::black_box(engine.execute(c).expect("command"));
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let ops = if quick { 100_000 } else { 1_000_000 };
    let big = if quick { 100_000 } else { 1_000_000 };
    let mut rng = StdRng::seed_from_u64(0x5e75);
    let config = EngineConfig {
        max_memory: 8 << 30,
        ..EngineConfig::default()
    };
    let mut engine = Engine::with_config(ManualClock::new(1_700_000_000_000), config);
    // The keys the reads and writes go to, filled first.
    for i in 0..MEMBERS {
        let score = rng.random_range(0..MEMBERS).to_string();
        let member = format!("member:{i:012}");
        engine
            .execute(cmd(&strs(&["ZADD", "z", &score, &member])))
            .expect("ZADD");
        engine
            .execute(cmd(&strs(&["SADD", "s", &member])))
            .expect("SADD");
    }
    let redis = start_redis(&std::env::temp_dir(), &["--appendonly", "no"]);
    let port = redis.port;
    let mut conn = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection())
        .expect("a connection to redis-server");
    // The same keys in Redis (redis-benchmark's __rand_int__ is 12 digits, zero-padded).
    for i in 0..MEMBERS {
        if i % 10_000 == 0 {
            let mut args = vec!["ZADD".to_string(), "z".to_string()];
            let mut sargs = vec!["SADD".to_string(), "s".to_string()];
            for j in i..(i + 10_000).min(MEMBERS) {
                args.push(rng.random_range(0..MEMBERS).to_string());
                args.push(format!("member:{j:012}"));
                sargs.push(format!("member:{j:012}"));
            }
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let srefs: Vec<&str> = sargs.iter().map(String::as_str).collect();
            pipe_in(&mut conn, &refs);
            pipe_in(&mut conn, &srefs);
        }
    }

    println!("## Sets and sorted sets: commands per second, one key of {MEMBERS} members\n");
    println!("| command | hedgestore engine (in process) | redis-server (`redis-benchmark -P 100 -c 1`) | ratio |");
    println!("|---|---:|---:|---:|");
    let random = |rng: &mut StdRng| format!("member:{:012}", rng.random_range(0..MEMBERS));
    type Shape = (
        &'static str,
        fn(&mut StdRng, &dyn Fn(&mut StdRng) -> String) -> Vec<String>,
        &'static [&'static str],
    );
    let shapes: [Shape; 6] = [
        (
            "ZADD (update a member's score)",
            |rng, m| {
                strs(&[
                    "ZADD",
                    "z",
                    &rng.random_range(0..MEMBERS).to_string(),
                    &m(rng),
                ])
            },
            &["ZADD", "z", "__rand_int__", "member:__rand_int__"],
        ),
        (
            "ZRANGE 0 9",
            |_, _| strs(&["ZRANGE", "z", "0", "9"]),
            &["ZRANGE", "z", "0", "9"],
        ),
        (
            "ZRANK",
            |rng, m| strs(&["ZRANK", "z", &m(rng)]),
            &["ZRANK", "z", "member:__rand_int__"],
        ),
        (
            "ZSCORE",
            |rng, m| strs(&["ZSCORE", "z", &m(rng)]),
            &["ZSCORE", "z", "member:__rand_int__"],
        ),
        (
            "SADD (existing member)",
            |rng, m| strs(&["SADD", "s", &m(rng)]),
            &["SADD", "s", "member:__rand_int__"],
        ),
        (
            "SISMEMBER",
            |rng, m| strs(&["SISMEMBER", "s", &m(rng)]),
            &["SISMEMBER", "s", "member:__rand_int__"],
        ),
    ];
    for (name, make, redis_shape) in shapes {
        let commands: Vec<Command> = (0..ops).map(|_| cmd(&make(&mut rng, &random))).collect();
        let ours = engine_rate(&mut engine, commands);
        let theirs = redis_benchmark(port, ops, redis_shape);
        println!(
            "| {name} | {ours:.0} | {theirs:.0} | {:.2}x |",
            ours / theirs
        );
    }

    println!("\n## Bytes per member, {big} members (`m:<i>`, random scores)\n");
    println!("| type | hedgestore engine | redis-server 7.0 | ratio |");
    println!("|---|---:|---:|---:|");
    for (name, add) in [("set", "SADD"), ("sorted set", "ZADD")] {
        let key = format!("big:{add}");
        let before = engine.used_memory();
        let redis_before = used_memory(&mut conn);
        let mut i = 0;
        while i < big {
            let end = (i + 10_000).min(big);
            let mut args = vec![add.to_string(), key.clone()];
            for j in i..end {
                if add == "ZADD" {
                    args.push(rng.random_range(0..1_000_000).to_string());
                }
                args.push(format!("m:{j}"));
            }
            engine.execute(cmd(&args)).expect("add");
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            pipe_in(&mut conn, &refs);
            i = end;
        }
        let ours = (engine.used_memory() - before) as f64 / big as f64;
        let theirs = used_memory(&mut conn).saturating_sub(redis_before) as f64 / big as f64;
        println!(
            "| {name} | {ours:.1} B | {theirs:.1} B | {:.2}x |",
            ours / theirs
        );
    }
    drop(redis);
}

/// Sends one command to Redis and waits for its reply.
fn pipe_in(conn: &mut redis::Connection, args: &[&str]) {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    let _: redis::Value = c.query(conn).expect("a Redis command");
}
