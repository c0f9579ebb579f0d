//! The first program to run: `cargo run --example quickstart`.
//!
//! It needs nothing but Rust: it drives the in-memory engine directly, with a clock the
//! program moves by hand so that expiry is visible without waiting.

use hedgestore::{Command, Engine, ManualClock, SetOptions};

fn main() -> Result<(), hedgestore::Error> {
    let clock = ManualClock::new(0);
    let mut store = Engine::new(clock.clone());

    // Strings, with a TTL.
    store.set(b"session:42", b"alice", SetOptions::default().ex(30))?;
    println!(
        "GET session:42     -> {:?}",
        text(store.get(b"session:42")?)
    );
    println!("TTL session:42     -> {} s", store.ttl(b"session:42"));

    // Counters.
    store.incr_by(b"orders:seq", 1)?;
    let seq = store.incr_by(b"orders:seq", 1)?;
    println!("INCR orders:seq    -> {seq}");

    // Hashes.
    store.hset(
        b"order:7",
        &[("side", "buy"), ("qty", "100"), ("px", "99.5")],
    )?;
    println!(
        "HGET order:7 qty   -> {:?}",
        text(store.hget(b"order:7", b"qty")?)
    );
    let filled = store.hincr_by(b"order:7", b"filled", 40)?;
    println!("HINCRBY filled 40  -> {filled}");

    // Lists.
    store.rpush(b"fills", &["10@99.5", "30@99.6"])?;
    let fills: Vec<_> = store
        .lrange(b"fills", 0, -1)?
        .into_iter()
        .map(|f| text(Some(f)))
        .collect();
    println!("LRANGE fills       -> {fills:?}");

    // Any command, in Redis's own argument form.
    let reply = store.execute(Command::parse(&["SET", "greeting", "hello", "PX", "1500"])?)?;
    println!("SET greeting PX    -> {reply:?}");

    // Errors are typed and worded like Redis's; nothing changes when a command fails.
    let err = store.incr_by(b"order:7", 1).unwrap_err();
    println!("INCR on a hash     -> error: {err}");

    // Time moves only when the host says so.
    clock.advance(30_000);
    println!(
        "after 30 s         -> session:42 = {:?}",
        text(store.get(b"session:42")?)
    );
    println!("keys left          -> {}", store.len());
    Ok(())
}

fn text(v: Option<Vec<u8>>) -> Option<String> {
    v.map(|b| String::from_utf8_lossy(&b).into_owned())
}
