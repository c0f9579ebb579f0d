//! A `MemoryStore` persisted to IndexedDB (`await MemoryStore.open({ persist: 'name' })`).
//!
//! The log is the one native memory-only storage writes to its append-only file
//! ([`hedgestore_core::log`]: a header with the version byte, then CRC-32-checked records of
//! commands), kept as chunks in IndexedDB by `js/persist.js`. Every write that succeeded is
//! recorded in its logged form ([`hedgestore_core::forms::logged_form`]: absolute expiry
//! times, by value where its effect depended on what it read), one record per command or per
//! transaction, and handed to the host at once; the host commits it in the background (one
//! IndexedDB transaction per burst of writes, a microtask later). Reads, expirations,
//! evictions, locks and subscriptions are not logged, as in native storage.
//!
//! # Loading
//!
//! Loading is asynchronous in IndexedDB, so a persisted store exists only through
//! `MemoryStore.open`, whose Promise resolves once the log is replayed: no call can see the
//! store half loaded. The replay stops at the first record that is cut short, fails its
//! checksum or does not parse; what follows is dropped (the log is rewritten from the
//! replayed state at once, and a warning on the console says how many bytes went). A
//! database that does not hold a hedgestore log, or one of a newer format version, is
//! refused with an error and left alone.
//!
//! # Compaction
//!
//! When the log reaches `rewriteMinBytes` (1 MiB by default) and twice its size after the
//! last rewrite, the keyspace is encoded as commands (`Engine::rebuild_commands`: live keys
//! with absolute expiry times) right after the write that crossed the line, and the host
//! replaces the log with it in one IndexedDB transaction.
//!
//! # Durability
//!
//! A write is applied and answered at once; it is in IndexedDB once `flush()` resolves (or
//! `close()`). A tab closed or crashed before that can lose the writes since the last
//! committed chunk: always the latest ones, never a part of a transaction. If IndexedDB
//! fails (quota, the database deleted elsewhere), every later write is refused with that
//! error before it is applied, and `flush()` rejects with it; reads still work.

use hedgestore_core::log::{encode_record, Records, HEADER, VERSION};
use hedgestore_core::{Clock, Command, Engine, Reply};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::bindings::clock::JsClock;
use crate::bindings::convert::Options;
use crate::bindings::errors::hedgestore_error;

#[wasm_bindgen(module = "/js/persist.js")]
extern "C" {
    /// An open log in IndexedDB (`js/persist.js`).
    pub type PersistLog;

    /// Opens the log of `name`; resolves to a `PersistLog`.
    #[wasm_bindgen(js_name = openLog)]
    pub fn open_log(name: &str) -> Promise;

    #[wasm_bindgen(method, js_name = takeBytes)]
    fn take_bytes(this: &PersistLog) -> Vec<u8>;

    #[wasm_bindgen(method, catch)]
    fn check(this: &PersistLog) -> Result<(), JsValue>;

    #[wasm_bindgen(method)]
    fn append(this: &PersistLog, bytes: &[u8]);

    #[wasm_bindgen(method)]
    fn rewrite(this: &PersistLog, bytes: &[u8]);

    #[wasm_bindgen(method)]
    fn flush(this: &PersistLog) -> Promise;

    #[wasm_bindgen(method)]
    fn close(this: &PersistLog) -> Promise;

    #[wasm_bindgen(method, js_name = closeQuietly)]
    fn close_quietly(this: &PersistLog);
}

/// The default of `persist: { rewriteMinBytes }`.
const REWRITE_MIN_BYTES: u64 = 1 << 20;

/// What `persist` asked for.
pub(crate) struct PersistOptions {
    /// The name: the IndexedDB database is `hedgestore:<name>`.
    pub(crate) name: String,
    rewrite_min: u64,
}

/// Reads option `persist` of `MemoryStore.open`: a name, or `{ name, rewriteMinBytes }`.
pub(crate) fn options(o: &Options) -> Result<Option<PersistOptions>, JsValue> {
    let Some(v) = o.get("persist") else {
        return Ok(None);
    };
    let (name, rewrite_min) = match v.as_string() {
        Some(name) => (name, None),
        None => {
            let p = Options::new("MemoryStore.open", &v, &["name", "rewriteMinBytes"]).map_err(
                |_| o.invalid("option persist must be a name or { name, rewriteMinBytes }"),
            )?;
            let name = p
                .string("name")?
                .ok_or_else(|| o.invalid("option persist needs a name"))?;
            (name, p.int("rewriteMinBytes")?)
        }
    };
    if name.is_empty() {
        return Err(o.invalid("option persist needs a non-empty name"));
    }
    let rewrite_min = match rewrite_min {
        None => REWRITE_MIN_BYTES,
        Some(n) if n > 0 => n as u64,
        Some(_) => return Err(o.invalid("option persist.rewriteMinBytes must be positive")),
    };
    Ok(Some(PersistOptions { name, rewrite_min }))
}

/// The log of a persisted store, as the store sees it.
pub(crate) struct Persist {
    log: PersistLog,
    /// Bytes in the log (as handed to the host).
    size: u64,
    /// Its size after the last rewrite (or load).
    base: u64,
    rewrite_min: u64,
    scratch: Vec<u8>,
    closed: bool,
}

impl Persist {
    /// Replays `log` (just opened) into `engine`, which is empty, and takes it over.
    pub(crate) fn load(
        options: &PersistOptions,
        log: PersistLog,
        engine: &mut Engine<JsClock>,
    ) -> Result<Persist, JsValue> {
        let bytes = log.take_bytes();
        let mut persist = Persist {
            log,
            size: bytes.len() as u64,
            base: bytes.len() as u64,
            rewrite_min: options.rewrite_min,
            scratch: Vec::new(),
            closed: false,
        };
        if bytes.is_empty() {
            persist.log.append(HEADER);
            persist.size = HEADER.len() as u64;
            persist.base = persist.size;
            return Ok(persist);
        }
        let name = &options.name;
        if bytes.len() < HEADER.len() || bytes[..HEADER.len() - 1] != HEADER[..HEADER.len() - 1] {
            persist.close_quietly();
            return Err(hedgestore_error(&format!(
                "MemoryStore.open: IndexedDB database 'hedgestore:{name}' does not hold a \
                 hedgestore log (it does not start with HSAOF); it was left as it is"
            )));
        }
        if bytes[HEADER.len() - 1] != VERSION {
            persist.close_quietly();
            return Err(hedgestore_error(&format!(
                "MemoryStore.open: 'hedgestore:{name}' was written by a newer hedgestore (log \
                 format version {}, this one reads {VERSION})",
                bytes[HEADER.len() - 1]
            )));
        }
        let mut records = Records::writes(&bytes[HEADER.len()..]);
        for commands in records.by_ref() {
            for command in commands {
                // Each logged write succeeded when it was first applied, in this order, so
                // it succeeds again; a refusal (a smaller maxMemory now) only skips it.
                let _ = engine.execute(command);
            }
        }
        if let Some(stop) = records.stop() {
            let dropped = bytes.len() - HEADER.len() - records.offset();
            warn(&format!(
                "hedgestore: the persisted store '{name}' ends in {} after {} bytes; {dropped} \
                 bytes were dropped and the log is rewritten from what was read",
                stop.describe(),
                HEADER.len() + records.offset()
            ));
            persist.rewrite_from(engine);
        }
        Ok(persist)
    }

    /// Refuses a write if persisting has failed (before the write is applied).
    pub(crate) fn check(&self) -> Result<(), JsValue> {
        self.log.check()
    }

    /// Records `commands`, which answered `replies`, as one record (nothing if none of
    /// them changed anything), then compacts the log if it has grown enough.
    pub(crate) fn record(
        &mut self,
        commands: &[Command],
        replies: &[Reply],
        engine: &Engine<JsClock>,
    ) {
        let now = engine.clock().now() as i64;
        let forms: Vec<Command> = commands
            .iter()
            .zip(replies)
            .flat_map(|(command, reply)| hedgestore_core::forms::logged_form(command, reply, now))
            .collect();
        if forms.is_empty() {
            return;
        }
        self.scratch.clear();
        encode_record(&forms, &mut self.scratch);
        self.log.append(&self.scratch);
        self.size += self.scratch.len() as u64;
        if self.size >= self.rewrite_min && self.size >= self.base.saturating_mul(2) {
            self.rewrite_from(engine);
        }
    }

    /// Replaces the log with the keyspace of `engine` as commands.
    fn rewrite_from(&mut self, engine: &Engine<JsClock>) {
        let mut snapshot = HEADER.to_vec();
        let mut batch = Vec::with_capacity(1);
        engine.rebuild_commands(|command| {
            batch.push(command);
            encode_record(&batch, &mut snapshot);
            batch.clear();
        });
        self.log.rewrite(&snapshot);
        self.size = snapshot.len() as u64;
        self.base = self.size;
    }

    /// Resolves once every write so far is in IndexedDB.
    pub(crate) fn flush(&self) -> Promise {
        self.log.flush()
    }

    /// Flushes, closes the database and gives up the name.
    pub(crate) fn close(mut self) -> Promise {
        self.closed = true;
        self.log.close()
    }

    fn close_quietly(&mut self) {
        self.closed = true;
        self.log.close_quietly();
    }
}

impl Drop for Persist {
    /// A store freed without `close()`: what was written is still committed and the name
    /// given up, only nobody waits for it.
    fn drop(&mut self) {
        if !self.closed {
            self.log.close_quietly();
        }
    }
}

fn warn(message: &str) {
    if let Some(console) = crate::bindings::js::global("console") {
        let _ = js_sys::Reflect::get(&console, &"warn".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .map(|f| f.call1(&console, &message.into()));
    }
}

/// `set` of a string key and value on a persisted store: the shortcut of `set` (see
/// `js/fast.js`) takes the general path, which logs it.
pub(crate) fn set(
    state: &mut super::State,
    key: &[u8],
    value: &[u8],
    options: hedgestore_core::SetOptions,
) -> Result<bool, JsValue> {
    let reply = state.execute(Command::Set {
        key: key.to_vec(),
        value: value.to_vec(),
        options,
    })?;
    Ok(!matches!(reply, Reply::Nil))
}
