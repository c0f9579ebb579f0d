//! Strings move between the slot and the heap as their length crosses [`INLINE_STR`]; these
//! tests pin where each write leaves them and that `used_memory()` follows every move.

use alloc::vec;
use alloc::vec::Vec;

use super::Engine;
use crate::command::SetOptions;
use crate::keyspace::PER_KEY_TABLE_BYTES;
use crate::value::{Value, INLINE_STR};
use crate::ManualClock;

fn engine() -> Engine<ManualClock> {
    Engine::new(ManualClock::new(0))
}

/// Whether `key`'s string is stored inline, and the heap bytes it owns.
fn layout(e: &Engine<ManualClock>, key: &[u8]) -> (bool, usize) {
    let i = e.keys.find(e.keys.hash(key), key).expect("key exists");
    match &e.keys.slot(i).value {
        Value::Str(s) => (s.is_inline(), s.heap_bytes()),
        _ => panic!("not a string"),
    }
}

/// `used_memory()` is exactly the table charge plus the heap bytes of every value, and the
/// engine's own recount agrees.
fn assert_accounting(e: &Engine<ManualClock>, heap: usize) {
    e.check_integrity().expect("integrity");
    assert_eq!(e.used_memory(), e.len() * PER_KEY_TABLE_BYTES + heap);
}

#[test]
fn a_short_value_is_inline_and_costs_only_the_slot() {
    let mut e = engine();
    e.set(b"k", &[b'x'; INLINE_STR], SetOptions::default())
        .unwrap();
    assert_eq!(layout(&e, b"k"), (true, 0));
    assert_accounting(&e, 0);
    assert_eq!(e.get(b"k").unwrap().unwrap(), vec![b'x'; INLINE_STR]);
}

#[test]
fn append_past_the_limit_moves_the_value_to_the_heap() {
    let mut e = engine();
    e.set(b"k", &[b'a'; INLINE_STR - 1], SetOptions::default())
        .unwrap();
    assert_eq!(e.append(b"k", b"b").unwrap(), INLINE_STR);
    assert_eq!(layout(&e, b"k"), (true, 0));
    assert_accounting(&e, 0);
    assert_eq!(e.append(b"k", b"c").unwrap(), INLINE_STR + 1);
    let (inline, heap) = layout(&e, b"k");
    assert!(!inline);
    assert!(heap > INLINE_STR);
    assert_accounting(&e, heap);
    let mut expected = vec![b'a'; INLINE_STR - 1];
    expected.extend_from_slice(b"bc");
    assert_eq!(e.get(b"k").unwrap().unwrap(), expected);
    // Appending to a heap value keeps it there, with amortised growth.
    e.append(b"k", &[b'd'; 100]).unwrap();
    let (inline, heap) = layout(&e, b"k");
    assert!(!inline);
    assert!(heap >= INLINE_STR + 102);
    assert_accounting(&e, heap);
}

#[test]
fn append_to_a_missing_key_picks_the_layout_by_length() {
    let mut e = engine();
    e.append(b"short", b"abc").unwrap();
    e.append(b"long", &[b'z'; INLINE_STR + 5]).unwrap();
    assert_eq!(layout(&e, b"short"), (true, 0));
    assert_eq!(layout(&e, b"long"), (false, INLINE_STR + 5));
    assert_accounting(&e, INLINE_STR + 5);
}

#[test]
fn setrange_inside_stays_inline_and_past_the_limit_moves_out() {
    let mut e = engine();
    e.set(b"k", b"hello world", SetOptions::default()).unwrap();
    assert_eq!(e.setrange(b"k", 6, b"WORLD").unwrap(), 11);
    assert_eq!(layout(&e, b"k"), (true, 0));
    assert_eq!(e.get(b"k").unwrap().unwrap(), b"hello WORLD");
    assert_accounting(&e, 0);
    let end = e.setrange(b"k", INLINE_STR as i64, b"!").unwrap();
    assert_eq!(end, INLINE_STR + 1);
    let (inline, heap) = layout(&e, b"k");
    assert!(!inline);
    assert_accounting(&e, heap);
    let mut expected = b"hello WORLD".to_vec();
    expected.resize(INLINE_STR, 0);
    expected.push(b'!');
    assert_eq!(e.get(b"k").unwrap().unwrap(), expected);
}

#[test]
fn setbit_past_the_limit_moves_the_value_to_the_heap() {
    let mut e = engine();
    e.setbit(b"bits", 7, true).unwrap();
    assert_eq!(layout(&e, b"bits"), (true, 0));
    assert_accounting(&e, 0);
    e.setbit(b"bits", (INLINE_STR as u64) * 8, true).unwrap();
    let (inline, heap) = layout(&e, b"bits");
    assert!(!inline);
    assert_accounting(&e, heap);
    assert!(e.getbit(b"bits", 7).unwrap());
    assert!(e.getbit(b"bits", (INLINE_STR as u64) * 8).unwrap());
    assert_eq!(e.strlen(b"bits").unwrap(), INLINE_STR + 1);
}

#[test]
fn overwriting_moves_a_value_between_heap_and_slot_both_ways() {
    let mut e = engine();
    let long = vec![b'L'; 500];
    e.set(b"k", &long, SetOptions::default()).unwrap();
    assert_eq!(layout(&e, b"k"), (false, 500));
    assert_accounting(&e, 500);
    e.set(b"k", b"short", SetOptions::default()).unwrap();
    assert_eq!(layout(&e, b"k"), (true, 0));
    assert_accounting(&e, 0);
    e.set(b"k", &long, SetOptions::default()).unwrap();
    assert_eq!(layout(&e, b"k"), (false, 500));
    assert_accounting(&e, 500);
    // Through the command path (an owned buffer) and INCR's formatted integer too.
    e.execute(crate::Command::Set {
        key: b"k".to_vec(),
        value: b"41".to_vec(),
        options: SetOptions::default(),
    })
    .unwrap();
    assert_eq!(e.incr_by(b"k", 1).unwrap(), 42);
    assert_eq!(layout(&e, b"k"), (true, 0));
    assert_accounting(&e, 0);
}

#[test]
fn getdel_and_getset_return_inline_and_heap_values_whole() {
    let mut e = engine();
    let long: Vec<u8> = (0..200u8).collect();
    e.set(b"a", b"inline", SetOptions::default()).unwrap();
    e.set(b"b", &long, SetOptions::default()).unwrap();
    assert_eq!(e.getset(b"a", &long).unwrap().unwrap(), b"inline");
    assert_eq!(layout(&e, b"a"), (false, 200));
    assert_eq!(e.getset(b"b", b"x").unwrap().unwrap(), long);
    assert_eq!(layout(&e, b"b"), (true, 0));
    assert_accounting(&e, 200);
    assert_eq!(e.getdel(b"a").unwrap().unwrap(), long);
    assert_eq!(e.getdel(b"b").unwrap().unwrap(), b"x");
    assert_accounting(&e, 0);
    assert!(e.is_empty());
}
