//! The string shortcut of `MemoryStore`'s `get` and `set`: arguments in a scratch buffer.
//!
//! Measured in Node on 100k short keys, a `get` through wasm-bindgen's string passing cost
//! some 370 ns against lru-cache's 55: allocating the key in wasm memory (a `malloc` export
//! call, a copy, a free), a `Result<JsValue>` through the externref table, and a
//! `TextDecoder` call for the value. Here JavaScript (`js/fast.js`) writes the key (and the
//! value) as UTF-8 straight into one buffer that lives as long as the module, and the exports
//! take only lengths: nothing is allocated for the arguments. `get` answers the value's
//! version (see [`Engine::get_versioned_with`](hedgestore_core::Engine::get_versioned_with))
//! and leaves where its bytes are in the buffer's header, so JavaScript decodes them only when
//! it has no string for that version yet.
//!
//! The semantics are the general path's exactly: the same engine calls (expiry, access clock,
//! hit/miss counts, memory admission and eviction), the timer re-armed after a write, delivery
//! queued when keyspace events are on. Anything that does not fit the buffer, or is not a
//! string, takes the general path (`js/methods.js`).

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use super::{borrow, MemoryStore};
use crate::bindings::errors::engine_error;

/// Bytes of the scratch buffer: a 32-byte header, then the key and (for `set`) the value.
pub(crate) const SCRATCH_BYTES: usize = 64 * 1024;

/// Where the arguments start, after the header.
const ARGS: usize = 32;

/// Header fields, as 32-bit word offsets from the (8-byte aligned) start.
mod header {
    /// Non-zero while a shortcut runs: JavaScript must not write the buffer then (only a
    /// custom clock function can call back into a store mid-call; it takes the general path
    /// and gets the re-entrancy error).
    pub const BUSY: usize = 0;
    /// `get`: where the value's bytes are in wasm memory, and how many.
    pub const VALUE_PTR: usize = 1;
    pub const VALUE_LEN: usize = 2;
    /// `get`: the keys in the store (the decoded-string cache sizes itself by it).
    pub const KEYS: usize = 3;
    /// `get`: the value's version, low and high 32 bits.
    pub const VERSION_LOW: usize = 4;
    pub const VERSION_HIGH: usize = 5;
}

/// The buffer and where its 8-byte aligned part starts.
struct Scratch {
    bytes: Box<[u8]>,
    start: usize,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new({
        // 8 spare bytes, so the header can start at an 8-byte boundary whatever the
        // allocator returned.
        let bytes = vec![0u8; SCRATCH_BYTES + 8].into_boxed_slice();
        let start = (8 - bytes.as_ptr() as usize % 8) % 8;
        Scratch { bytes, start }
    });
}

impl Scratch {
    #[inline(always)]
    fn word(&mut self, i: usize, value: u32) {
        let at = self.start + 4 * i;
        self.bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    #[inline(always)]
    fn args(&self, len: usize) -> Result<&[u8], JsValue> {
        let from = self.start + ARGS;
        self.bytes
            .get(from..from + len)
            .ok_or_else(|| crate::bindings::errors::hedgestore_error("MemoryStore: bad length"))
    }
}

/// Runs `f` with the scratch buffer marked busy. A call made while it is busy (which
/// `js/fast.js` never makes: it reads the busy mark first) is an error, not a panic, which
/// would abort the module.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> Result<R, JsValue>) -> Result<R, JsValue> {
    SCRATCH.with(|s| {
        let mut s = s.try_borrow_mut().map_err(|_| {
            crate::bindings::errors::hedgestore_error("MemoryStore: re-entrant call")
        })?;
        s.word(header::BUSY, 1);
        let r = f(&mut s);
        s.word(header::BUSY, 0);
        r
    })
}

#[wasm_bindgen(module = "/js/fast.js")]
extern "C" {
    #[wasm_bindgen(js_name = useScratch)]
    fn use_scratch(memory: JsValue, start: u32, capacity: u32);
}

/// Tells `js/fast.js` where the scratch buffer is (at start-up, from [`install`](crate::install)).
pub(crate) fn install() {
    let start = SCRATCH.with(|s| {
        let s = s.borrow();
        (s.bytes.as_ptr() as usize + s.start) as u32
    });
    use_scratch(wasm_bindgen::memory(), start, (SCRATCH_BYTES - ARGS) as u32);
}

#[wasm_bindgen]
impl MemoryStore {
    /// `get` of the key in the scratch buffer (`key_len` UTF-8 bytes): 1 when it has a
    /// value (the header then says where its bytes are, and its version), 0 when there is
    /// none, -1 when it failed ([`MemoryStore::failure`] has the error). An `i32` because a
    /// small integer is all V8 passes without allocating.
    #[wasm_bindgen(js_name = __get, skip_typescript)]
    pub fn get_scratch(&self, key_len: usize) -> i32 {
        answer(self.get_scratch_inner(key_len))
    }

    /// `set` of the key and value in the scratch buffer (`key_len` bytes, then `value_len`),
    /// with a TTL in milliseconds when `ttl_ms` > 0: 1 when written, 0 when not, -1 when it
    /// failed ([`MemoryStore::failure`] has the error).
    #[wasm_bindgen(js_name = __set, skip_typescript)]
    pub fn set_scratch(&self, key_len: usize, value_len: usize, ttl_ms: f64) -> i32 {
        let set = || {
            let mut state = borrow(&self.shared)?;
            with_scratch(|s| {
                let args = s.args(key_len + value_len)?;
                let (key, value) = args.split_at(key_len);
                state.set_string(key, value, ttl_ms)
            })
        };
        answer(set().map(i32::from))
    }

    /// The error of the last shortcut call that answered -1 (taken: a second call answers
    /// `undefined`).
    #[wasm_bindgen(js_name = __failure, skip_typescript)]
    pub fn failure() -> JsValue {
        FAILURE.with(|f| f.take()).unwrap_or(JsValue::UNDEFINED)
    }
}

thread_local! {
    /// The error a shortcut could not return: a `Result` crosses into JavaScript as a fresh
    /// array per call (wasm multi-value), garbage on every `get`.
    static FAILURE: std::cell::Cell<Option<JsValue>> = const { std::cell::Cell::new(None) };
}

/// `r`'s number, or -1 with the error kept for [`MemoryStore::failure`].
fn answer(r: Result<i32, JsValue>) -> i32 {
    r.unwrap_or_else(|e| {
        FAILURE.with(|f| f.set(Some(e)));
        -1
    })
}

impl MemoryStore {
    fn get_scratch_inner(&self, key_len: usize) -> Result<i32, JsValue> {
        let mut state = borrow(&self.shared)?;
        with_scratch(|s| {
            let found = state
                .engine
                .get_versioned_with(s.args(key_len)?, |v, version| {
                    (v.as_ptr() as u32, v.len() as u32, version)
                })
                .map_err(|e| engine_error(&e));
            if state.engine.config().keyspace_events {
                state.queue_delivery();
            }
            let Some((ptr, len, version)) = found? else {
                return Ok(0);
            };
            s.word(header::VALUE_PTR, ptr);
            s.word(header::VALUE_LEN, len);
            s.word(header::KEYS, state.engine.len() as u32);
            s.word(header::VERSION_LOW, version as u32);
            s.word(header::VERSION_HIGH, (version >> 32) as u32);
            Ok(1)
        })
    }
}

impl super::State {
    /// `SET key value [PX ttl_ms]` (no TTL when `ttl_ms` <= 0), with the housekeeping
    /// [`State::execute`](super::State::execute) does after a write.
    pub(crate) fn set_string(
        &mut self,
        key: &[u8],
        value: &[u8],
        ttl_ms: f64,
    ) -> Result<bool, JsValue> {
        let mut options = hedgestore_core::SetOptions::default();
        if ttl_ms > 0.0 {
            options = options.px(ttl_ms as i64);
        }
        if self.persist.is_some() {
            return super::persist::set(self, key, value, options);
        }
        let clock = self.engine.clock().clone();
        let written = clock
            .one_reading(|| self.engine.set(key, value, options))
            .map_err(|e| engine_error(&e));
        self.arm_timer();
        if self.engine.config().keyspace_events {
            self.queue_delivery();
        }
        written
    }
}
