//! Writes that grow a short string in place (`SETRANGE`, `SETBIT`, `APPEND`) allocate
//! nothing while the result still fits inline: a global allocator counts the calls.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use hedgestore_core::{Engine, ManualClock, SetOptions};

struct Counting;

thread_local! {
    /// Allocation calls made by this thread (other test threads do not count).
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn calls() -> u64 {
    CALLS.with(Cell::get)
}

#[test]
fn growing_a_short_string_allocates_nothing() {
    let mut e = Engine::new(ManualClock::new(0));
    e.set(b"bits", b"", SetOptions::default()).unwrap();
    e.set(b"text", b"hello", SetOptions::default()).unwrap();
    e.set(b"log", b"", SetOptions::default()).unwrap();
    let before = calls();
    for i in 0..400u64 {
        e.setbit(b"bits", i % 480, i % 3 == 0).unwrap();
        e.setrange(b"text", (i % 40) as i64, b"world").unwrap();
        if i < 60 {
            e.append(b"log", b"x").unwrap();
        }
    }
    assert_eq!(
        calls() - before,
        0,
        "allocations while editing inline strings"
    );
    assert_eq!(e.strlen(b"bits").unwrap(), 50);
    assert_eq!(e.strlen(b"text").unwrap(), 44);
    assert_eq!(e.strlen(b"log").unwrap(), 60);
    // Past the inline room the value moves to the heap once.
    e.append(b"log", &[b'y'; 20]).unwrap();
    assert_eq!(calls() - before, 1);
    assert_eq!(e.strlen(b"log").unwrap(), 80);
}
