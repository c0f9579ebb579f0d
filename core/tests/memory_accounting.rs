//! `used_memory()` is checked against what the allocator really hands out: a counting global
//! allocator measures the bytes live after loading a mixed keyspace, and the engine's formula
//! must be within 10 % of it. (One test in this binary, so no other test allocates meanwhile.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use hedgestore_core::{Engine, ManualClock, SetOptions};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn within_ten_percent(label: &str, formula: usize, real: isize) {
    let real = real as f64;
    let diff = (formula as f64 - real).abs() / real;
    println!(
        "{label}: formula {formula} B, allocator {real} B, off by {:.2}%",
        diff * 100.0
    );
    assert!(
        diff <= 0.10,
        "{label}: formula {formula} vs allocator {real}"
    );
}

#[test]
fn used_memory_tracks_the_allocator_within_ten_percent() {
    // Pre-build every input so only the engine's own allocations are counted.
    let strings: Vec<(Vec<u8>, Vec<u8>)> = (0..200_000u32)
        .map(|i| {
            let key = if i % 3 == 0 {
                format!("a-rather-long-key-name-that-spills:{i}")
            } else {
                format!("k:{i}")
            };
            (key.into_bytes(), vec![b'v'; (i % 200) as usize])
        })
        .collect();
    let fields: Vec<(String, String)> = (0..50)
        .map(|f| (format!("field{f}"), "x".repeat(f * 3)))
        .collect();
    let items: Vec<Vec<u8>> = (0..60).map(|i| vec![b'i'; i * 2]).collect();
    let members: Vec<Vec<u8>> = (0..300)
        .map(|i| format!("member:{i}").into_bytes())
        .collect();
    let scored: Vec<(f64, Vec<u8>)> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (i as f64 * 1.5, m.clone()))
        .collect();

    let before = LIVE.load(Ordering::Relaxed);
    let mut e = Engine::new(ManualClock::new(0));
    for (k, v) in &strings {
        e.set(k, v, SetOptions::default()).unwrap();
    }
    let after_strings = LIVE.load(Ordering::Relaxed);
    within_ten_percent("strings", e.used_memory(), after_strings - before);

    for h in 0..2000 {
        e.hset(format!("hash:{h}").as_bytes(), &fields).unwrap();
    }
    for l in 0..2000 {
        e.rpush(format!("list:{l}").as_bytes(), &items).unwrap();
    }
    let (formula_before_sets, live_before_sets) = (e.used_memory(), LIVE.load(Ordering::Relaxed));
    for s in 0..300 {
        e.sadd(format!("set:{s}").as_bytes(), &members).unwrap();
    }
    for z in 0..300 {
        e.zadd(format!("zset:{z}").as_bytes(), Default::default(), &scored)
            .unwrap();
    }
    let after_all = LIVE.load(Ordering::Relaxed);
    within_ten_percent(
        "sets + sorted sets alone",
        e.used_memory() - formula_before_sets,
        after_all - live_before_sets,
    );
    within_ten_percent(
        "strings + hashes + lists + sets + sorted sets",
        e.used_memory(),
        after_all - before,
    );

    // Deleting half of everything: the formula follows frees too.
    let doomed: Vec<&[u8]> = strings
        .iter()
        .step_by(2)
        .map(|(k, _)| k.as_slice())
        .collect();
    e.del(&doomed);
    for h in 0..1000 {
        e.del(&[format!("hash:{h}")]);
    }
    for s in 0..150 {
        e.del(&[format!("set:{s}")]);
        e.zrem(format!("zset:{s}").as_bytes(), &members[..150])
            .unwrap();
    }
    let after_delete = LIVE.load(Ordering::Relaxed);
    within_ten_percent(
        "after deleting half",
        e.used_memory(),
        after_delete - before,
    );
    e.check_integrity().unwrap();

    // Strings crossing the inline limit (70 bytes) both ways: APPEND moves short values
    // (inside their slots) to the heap, SET writes long values short again.
    // (The 80-byte tail is allocated before the count is read, and nothing else is built
    // meanwhile, so only the engine's own allocations move the count.)
    let tail = vec![b't'; 80];
    let live_before_moves = LIVE.load(Ordering::Relaxed);
    let formula_before_moves = e.used_memory();
    for (n, (k, _)) in strings.iter().skip(1).step_by(2).enumerate() {
        if n % 2 == 0 {
            e.append(k, &tail).unwrap();
        } else {
            e.set(k, b"short", SetOptions::default()).unwrap();
        }
    }
    let after_moves = LIVE.load(Ordering::Relaxed);
    within_ten_percent(
        "values crossing the inline limit alone",
        e.used_memory() - formula_before_moves,
        after_moves - live_before_moves,
    );
    within_ten_percent(
        "after values crossed the inline limit",
        e.used_memory(),
        after_moves - before,
    );
    e.check_integrity().unwrap();
}
