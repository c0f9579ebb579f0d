//! Helpers shared by the engine's test files.
#![allow(dead_code)]

use hedgestore_core::{Command, Engine, Error, ManualClock, Reply};

/// Tests start at a plausible Unix time so absolute expiries read naturally.
pub const T0: u64 = 1_700_000_000_000;

pub fn engine() -> (Engine<ManualClock>, ManualClock) {
    let clock = ManualClock::new(T0);
    (Engine::new(clock.clone()), clock)
}

/// Runs a command written as whitespace-separated words.
pub fn run(e: &mut Engine<ManualClock>, line: &str) -> Result<Reply, Error> {
    let args: Vec<&str> = line.split_whitespace().collect();
    e.execute(Command::parse(&args)?)
}

/// Runs a command that must succeed.
pub fn ok(e: &mut Engine<ManualClock>, line: &str) -> Reply {
    run(e, line).unwrap_or_else(|err| panic!("{line}: {err}"))
}

pub fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

pub fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|s| bulk(s)).collect())
}
