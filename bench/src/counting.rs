//! A counting global allocator for the footprint suite.
//!
//! It wraps [`System`] and, while counting is switched on, keeps three live totals: bytes
//! requested (the `Layout` sizes), allocations, and bytes as glibc's malloc holds them (each
//! block's `malloc_usable_size` plus its 8-byte header; on other platforms this equals the
//! requested bytes). Counting is off by default, so the timed suites pay only a relaxed
//! load and a predictable branch per allocation, not an atomic read-modify-write.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// The allocator; installed as the binary's global allocator in `main.rs`.
pub struct Counting;

static ENABLED: AtomicBool = AtomicBool::new(false);
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_ALLOCS: AtomicIsize = AtomicIsize::new(0);
static LIVE_MALLOC_BYTES: AtomicIsize = AtomicIsize::new(0);

/// Live totals at one moment (only allocations made and freed while counting are seen).
#[derive(Clone, Copy, Debug)]
pub struct Snapshot {
    /// Σ requested sizes.
    pub bytes: isize,
    /// Number of blocks.
    pub allocs: isize,
    /// Σ block sizes as the C allocator holds them.
    pub malloc_bytes: isize,
}

impl Snapshot {
    /// The totals now.
    pub fn now() -> Self {
        Self {
            bytes: LIVE_BYTES.load(Ordering::SeqCst),
            allocs: LIVE_ALLOCS.load(Ordering::SeqCst),
            malloc_bytes: LIVE_MALLOC_BYTES.load(Ordering::SeqCst),
        }
    }

    /// What was allocated (net) between `earlier` and `self`.
    pub fn since(self, earlier: Snapshot) -> Snapshot {
        Snapshot {
            bytes: self.bytes - earlier.bytes,
            allocs: self.allocs - earlier.allocs,
            malloc_bytes: self.malloc_bytes - earlier.malloc_bytes,
        }
    }
}

/// Switches counting on for the rest of the process.
pub fn enable() {
    ENABLED.store(true, Ordering::SeqCst);
}

/// Bytes glibc holds for the block at `ptr` of `size` requested bytes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_bytes(ptr: *mut u8, _size: usize) -> isize {
    // SAFETY: `ptr` is a live block handed out by `System`, i.e. by glibc's malloc family.
    let usable = unsafe { libc::malloc_usable_size(ptr.cast()) };
    (usable + size_of::<usize>()) as isize
}

/// Elsewhere the requested size stands in for the allocator's view.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_bytes(_ptr: *mut u8, size: usize) -> isize {
    size as isize
}

fn record(ptr: *mut u8, size: usize, sign: isize) {
    LIVE_BYTES.fetch_add(sign * size as isize, Ordering::Relaxed);
    LIVE_ALLOCS.fetch_add(sign, Ordering::Relaxed);
    LIVE_MALLOC_BYTES.fetch_add(sign * malloc_bytes(ptr, size), Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` with the caller's arguments unchanged; the
// counting around it only reads the blocks' sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && ENABLED.load(Ordering::Relaxed) {
            record(ptr, layout.size(), 1);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() && ENABLED.load(Ordering::Relaxed) {
            record(ptr, layout.size(), 1);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ENABLED.load(Ordering::Relaxed) {
            record(ptr, layout.size(), -1);
        }
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let counting = ENABLED.load(Ordering::Relaxed);
        let old_malloc = if counting {
            malloc_bytes(ptr, layout.size())
        } else {
            0
        };
        // SAFETY: as for `alloc`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if counting && !new.is_null() {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
            LIVE_MALLOC_BYTES
                .fetch_add(malloc_bytes(new, new_size) - old_malloc, Ordering::Relaxed);
        }
        new
    }
}
