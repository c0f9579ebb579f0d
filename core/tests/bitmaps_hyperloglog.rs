//! Bitmaps and HyperLogLogs at their limits: the largest bit offset, memory admission of a
//! huge `SETBIT`, and HyperLogLog values that other string commands changed. (Everyday
//! behaviour is compared with `redis-server` in the differential test.)

use hedgestore_core::{
    BitOp, Command, Engine, EngineConfig, Error, ManualClock, Reply, SetOptions,
};

fn engine() -> Engine<ManualClock> {
    Engine::new(ManualClock::new(1_000))
}

fn run(e: &mut Engine<ManualClock>, args: &[&str]) -> Result<Reply, Error> {
    Command::parse(args).and_then(|c| e.execute(c))
}

#[test]
fn bit_offsets_stop_at_two_to_the_32() {
    let mut e = engine();
    assert_eq!(
        Command::parse(&["SETBIT", "b", "4294967296", "1"]),
        Err(Error::BitOffset)
    );
    assert_eq!(
        Command::parse(&["GETBIT", "b", "-1"]),
        Err(Error::BitOffset)
    );
    assert_eq!(e.setbit(b"b", 1 << 32, true), Err(Error::BitOffset));
    assert_eq!(e.getbit(b"b", 1 << 32), Err(Error::BitOffset));
    assert_eq!(e.getbit(b"b", (1 << 32) - 1), Ok(false));
    assert_eq!(
        Command::parse(&["SETBIT", "b", "1", "2"]),
        Err(Error::BitValue)
    );
    assert!(e.is_empty());
}

#[test]
fn a_setbit_larger_than_the_memory_budget_is_refused_before_allocating() {
    let config = EngineConfig {
        max_memory: 1 << 20,
        ..EngineConfig::default()
    };
    let mut e = Engine::with_config(ManualClock::new(1_000), config);
    assert_eq!(e.setbit(b"b", (1 << 32) - 1, true), Err(Error::OutOfMemory));
    assert_eq!(e.strlen(b"b"), Ok(0));
    assert_eq!(e.setbit(b"b", 8 * 1000 + 7, true), Ok(false));
    assert_eq!(e.strlen(b"b"), Ok(1001));
    e.check_integrity().unwrap();
}

#[test]
fn bitop_not_takes_one_key_and_an_empty_result_deletes() {
    let mut e = engine();
    assert_eq!(
        run(&mut e, &["BITOP", "NOT", "d", "a", "b"]),
        Err(Error::BitOpNotSingleKey)
    );
    e.set(b"d", b"x", SetOptions::default()).unwrap();
    assert_eq!(e.bitop(BitOp::Or, b"d", &[b"missing"]), Ok(0));
    assert_eq!(e.get(b"d"), Ok(None));
}

#[test]
fn pfcount_caches_the_cardinality_in_the_header() {
    let mut e = engine();
    assert_eq!(e.pfadd(b"h", &[b"a", b"b", b"c"]), Ok(true));
    let stale = e.get(b"h").unwrap().unwrap();
    assert_eq!(&stale[..4], b"HYLL");
    assert_eq!(stale[15] & 0x80, 0x80, "the cache is marked stale");
    assert_eq!(e.pfcount(&[b"h"]), Ok(3));
    let cached = e.get(b"h").unwrap().unwrap();
    assert_eq!(&cached[8..16], &3u64.to_le_bytes());
    // A cached value is answered as it is, as Redis does.
    e.setrange(b"h", 8, &[7]).unwrap();
    assert_eq!(e.pfcount(&[b"h"]), Ok(7));
    assert_eq!(e.pfadd(b"h", &[b"a"]), Ok(false));
    assert_eq!(e.pfadd(b"h", &[b"d"]), Ok(true));
    assert_eq!(e.pfcount(&[b"h"]), Ok(4));
}

#[test]
fn strings_that_are_not_hyperloglogs_are_refused_and_left_alone() {
    let mut e = engine();
    e.set(b"s", b"not a hyperloglog", SetOptions::default())
        .unwrap();
    assert_eq!(e.pfadd(b"s", &[b"a"]), Err(Error::NotHyperLogLog));
    assert_eq!(e.pfcount(&[b"s"]), Err(Error::NotHyperLogLog));
    assert_eq!(e.pfmerge(b"d", &[b"s"]), Err(Error::NotHyperLogLog));
    assert_eq!(e.get(b"d"), Ok(None));
    e.pfadd(b"h", &[b"a"]).unwrap();
    // Extra opcodes past the last register: a corrupted sparse HyperLogLog.
    e.append(b"h", &[0x01]).unwrap();
    let before = e.get(b"h").unwrap();
    assert_eq!(e.pfcount(&[b"h"]), Err(Error::CorruptedHyperLogLog));
    assert_eq!(e.pfcount(&[b"h", b"x"]), Err(Error::CorruptedHyperLogLog));
    assert_eq!(e.pfmerge(b"h", &[b"x"]), Err(Error::CorruptedHyperLogLog));
    assert_eq!(e.get(b"h").unwrap(), before);
    assert_eq!(
        Error::CorruptedHyperLogLog.to_string(),
        "INVALIDOBJ Corrupted HLL object detected"
    );
}

/// A value run past the last register makes a sparse HyperLogLog corrupted, as a zero run
/// does: Redis since 7.0.12 (CVE-2023-36824) refuses it in `PFCOUNT` and `PFMERGE`, while
/// `PFADD` still updates it. The string is the one the differential test against
/// redis-server 7.0.15 found (seed 3037): every register covered by an XZERO, then value
/// runs.
#[test]
fn a_value_run_past_the_last_register_is_corrupted_as_in_redis() {
    let mut e = engine();
    let header = [
        b'H', b'Y', b'L', b'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80,
    ];
    let all_zero: Vec<u8> = header.iter().copied().chain([0x7f, 0xff]).collect();
    let past_the_end: Vec<u8> = all_zero.iter().copied().chain([0xc3, 0xa9, 0]).collect();
    e.set(b"ok", &all_zero, SetOptions::default()).unwrap();
    e.set(b"bad", &past_the_end, SetOptions::default()).unwrap();
    assert_eq!(e.pfcount(&[b"ok"]), Ok(0));
    assert_eq!(e.pfcount(&[b"bad"]), Err(Error::CorruptedHyperLogLog));
    assert_eq!(
        e.pfcount(&[&b"bad"[..], &b"ok"[..]]),
        Err(Error::CorruptedHyperLogLog)
    );
    assert_eq!(e.pfmerge(b"d", &[b"bad"]), Err(Error::CorruptedHyperLogLog));
    assert_eq!(e.get(b"d"), Ok(None));
    assert_eq!(e.get(b"bad").unwrap().as_deref(), Some(&past_the_end[..]));
    assert_eq!(e.pfadd(b"bad", &[b"a"]), Ok(true));
}

#[test]
fn many_elements_turn_a_hyperloglog_dense() {
    let mut e = engine();
    let elements: Vec<String> = (0..5000).map(|i| format!("e{i}")).collect();
    e.pfadd(b"h", &elements[..100]).unwrap();
    assert!(e.strlen(b"h").unwrap() < 3000);
    e.pfadd(b"h", &elements).unwrap();
    assert_eq!(e.strlen(b"h"), Ok(12304));
    let count = e.pfcount(&[b"h"]).unwrap();
    assert!((4900..=5100).contains(&count), "{count}");
    e.pfmerge(b"m", &[b"h"]).unwrap();
    assert_eq!(e.pfcount(&[b"m"]), Ok(count));
    assert_eq!(e.pfcount(&[&b"m"[..], b"h", b"missing"]), Ok(count));
}
