//! `MemoryStore`: the engine inside the page, worker or Node process.
//!
//! The handle/state split follows mini-redis: `MemoryStore` is a small handle around an
//! `Rc<RefCell<State>>`, and the callbacks the store hands to the host (the expiry timer,
//! pub/sub delivery, unsubscribe functions, transaction builders) hold only a `Weak` to the
//! state, so once the store is freed they find nothing and do nothing.
//!
//! JavaScript is single-threaded and every method is synchronous, so the `RefCell` is never
//! contended; the one way to call back into the store while it is busy is from inside a
//! user-supplied clock function, and that gets an error instead of a panic. User callbacks
//! (message handlers) never run while the state is borrowed: messages are collected first,
//! then delivered.

mod fast;
pub(crate) mod locks;
mod persist;
mod pubsub;
mod timer;
mod transaction;

use std::cell::{RefCell, RefMut};
use std::rc::{Rc, Weak};

use hedgestore_core::{Clock, Command, Engine, EngineConfig, EvictionPolicy};
use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use super::clock::JsClock;
use super::commands::{self, Built};
use super::convert::{self, Encoding, Options};
use super::errors::{engine_error, hedgestore_error};
use super::js;
use super::shape::to_js_value;

pub(crate) use fast::install as install_fast_paths;
pub use transaction::Transaction;

/// Everything a store owns.
pub(crate) struct State {
    pub(crate) engine: Engine<JsClock>,
    /// Subscriptions by the engine's subscriber id.
    pub(crate) subscriptions: Vec<(u64, pubsub::Subscription)>,
    /// A delivery microtask is queued.
    pub(crate) delivery_queued: bool,
    /// The active-expiry timer, when timers are on.
    pub(crate) timer: Option<timer::ExpiryTimer>,
    /// The owner name this store's locks are held under.
    pub(crate) lock_owner: Vec<u8>,
    /// A weak handle to this state, for the callbacks it schedules.
    pub(crate) this: Weak<RefCell<State>>,
    /// The IndexedDB log of a store opened with `persist`.
    pub(crate) persist: Option<persist::Persist>,
}

pub(crate) type Shared = Rc<RefCell<State>>;

/// Borrows the state, or explains why it cannot be.
pub(crate) fn borrow(shared: &Shared) -> Result<RefMut<'_, State>, JsValue> {
    shared.try_borrow_mut().map_err(|_| {
        hedgestore_error(
            "MemoryStore: re-entrant call (a clock function called back into the store it \
             serves)",
        )
    })
}

impl State {
    /// Runs `command` and does the housekeeping it may need: re-arming the expiry timer after
    /// a write, queueing delivery after a publish (or any command, when keyspace events can
    /// publish on expiry).
    pub(crate) fn execute(&mut self, command: Command) -> Result<hedgestore_core::Reply, JsValue> {
        let write = command.is_write();
        let publish = matches!(command, Command::Publish { .. });
        let logged = match &self.persist {
            Some(p) if write => {
                p.check()?;
                Some(command.duplicate())
            }
            _ => None,
        };
        let reply = self.engine.execute(command).map_err(|e| engine_error(&e));
        if let (Some(command), Ok(reply), Some(p)) = (logged, &reply, &mut self.persist) {
            p.record(&[command], std::slice::from_ref(reply), &self.engine);
        }
        if write {
            self.arm_timer();
        }
        if publish || self.engine.config().keyspace_events {
            self.queue_delivery();
        }
        reply
    }
}

/// A Redis-semantics keyspace in wasm memory: strings, hashes and lists with per-key TTL,
/// a memory budget with eviction, pub/sub to JavaScript callbacks, locks with fencing
/// tokens and all-or-nothing transactions. Every method is synchronous.
#[wasm_bindgen]
pub struct MemoryStore {
    shared: Shared,
    /// The dialect of the command methods: 0 hedgestore, 1 `@upstash/redis`, 2 that
    /// without automatic deserialization (`Options::dialect`).
    upstash: u32,
}

/// The options `new MemoryStore({…})` takes.
const MEMORY_STORE_OPTIONS: &[&str] = &[
    "maxMemory",
    "evictionPolicy",
    "evictionThreshold",
    "evictionSamples",
    "subscriberQueueCapacity",
    "keyspaceEvents",
    "activeExpireInterval",
    "cleanupInterval",
    "activeExpiry",
    "clock",
    "lockOwner",
    "persist",
    "dialect",
    "automaticDeserialization",
];

static NEXT_STORE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

fn eviction_policy(o: &Options) -> Result<EvictionPolicy, JsValue> {
    Ok(match o.string("evictionPolicy")?.as_deref() {
        None | Some("allkeys-lru") => EvictionPolicy::AllKeysLru,
        Some("volatile-lru") => EvictionPolicy::VolatileLru,
        Some("volatile-ttl") => EvictionPolicy::VolatileTtl,
        Some("allkeys-lfu") => EvictionPolicy::AllKeysLfu,
        Some("volatile-lfu") => EvictionPolicy::VolatileLfu,
        Some("noeviction") => EvictionPolicy::NoEviction,
        Some(other) => {
            return Err(o.invalid(&format!(
                "evictionPolicy must be 'allkeys-lru', 'allkeys-lfu', 'volatile-lru', \
                 'volatile-lfu', 'volatile-ttl' or 'noeviction', got '{other}'"
            )))
        }
    })
}

fn positive(o: &Options, name: &'static str) -> Result<Option<u64>, JsValue> {
    match o.int(name)? {
        None => Ok(None),
        Some(n) if n > 0 => Ok(Some(n as u64)),
        Some(_) => Err(o.invalid(&format!("option {name} must be positive"))),
    }
}

fn config(o: &Options) -> Result<EngineConfig, JsValue> {
    let mut config = EngineConfig {
        eviction_policy: eviction_policy(o)?,
        keyspace_events: o.flag("keyspaceEvents")?,
        ..EngineConfig::default()
    };
    if let Some(n) = positive(o, "maxMemory")? {
        config.max_memory = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = positive(o, "evictionThreshold")? {
        if n > 100 {
            return Err(o.invalid("option evictionThreshold is a percentage (1-100)"));
        }
        config.eviction_threshold_percent = n as u8;
    }
    if let Some(n) = positive(o, "evictionSamples")? {
        config.eviction_samples = n as usize;
    }
    if let Some(n) = positive(o, "subscriberQueueCapacity")? {
        config.subscriber_queue_capacity = n as usize;
    }
    if let Some(n) = positive(o, "activeExpireInterval")? {
        config.active_expire_interval = n;
    }
    if let Some(n) = positive(o, "cleanupInterval")? {
        config.cleanup_interval = n;
    }
    Ok(config)
}

impl MemoryStore {
    /// A store with the defaults, whatever the host (for taking the prototype at start-up).
    pub(crate) fn placeholder() -> MemoryStore {
        MemoryStore::new(JsValue::UNDEFINED).expect("the default options are valid")
    }
}

#[wasm_bindgen]
impl MemoryStore {
    /// `new MemoryStore({ maxMemory, evictionPolicy, evictionThreshold, evictionSamples,
    /// subscriberQueueCapacity, keyspaceEvents, activeExpireInterval, cleanupInterval,
    /// activeExpiry, clock, lockOwner })`; every option is optional.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<MemoryStore, JsValue> {
        let o = Options::new("MemoryStore", &options, MEMORY_STORE_OPTIONS)?;
        if o.get("persist").is_some() {
            return Err(o.invalid(
                "option persist loads the store from IndexedDB, which is asynchronous: use \
                 `await MemoryStore.open({ persist, … })`",
            ));
        }
        MemoryStore::build(&o)
    }

    /// `await MemoryStore.open({ persist, …the constructor's options })`: a store persisted
    /// to IndexedDB under the name `persist` (or `{ name, rewriteMinBytes }`), resolved once
    /// what was stored under that name is loaded. Without `persist`, a new store like the
    /// constructor's.
    pub fn open(options: JsValue) -> Result<Promise, JsValue> {
        let o = Options::new("MemoryStore.open", &options, MEMORY_STORE_OPTIONS)?;
        let persist = persist::options(&o)?;
        let store = MemoryStore::build(&o)?;
        let Some(persist) = persist else {
            return Ok(Promise::resolve(&JsValue::from(store)));
        };
        let opening = persist::open_log(&persist.name);
        let loaded = Closure::once_into_js(move |log: JsValue| -> Result<JsValue, JsValue> {
            {
                let mut state = borrow(&store.shared)?;
                let state = &mut *state;
                let log =
                    persist::Persist::load(&persist, log.unchecked_into(), &mut state.engine)?;
                state.persist = Some(log);
                state.arm_timer();
            }
            Ok(store.into())
        });
        let then = js::get(&opening, "then").unchecked_into::<js_sys::Function>();
        Ok(then.call1(&opening, &loaded)?.unchecked_into())
    }

    /// Resolves once every write so far is stored in IndexedDB (at once for a store that is
    /// not persisted); rejects with the error if persisting failed.
    pub fn flush(&self) -> Result<Promise, JsValue> {
        let state = borrow(&self.shared)?;
        Ok(match &state.persist {
            Some(p) => p.flush(),
            None => Promise::resolve(&JsValue::UNDEFINED),
        })
    }

    /// Frees the store; for a persisted one, resolves once every write is stored and the
    /// name is free to open again (rejects if persisting failed).
    pub fn close(self) -> Result<Promise, JsValue> {
        let persist = borrow(&self.shared)?.persist.take();
        Ok(match persist {
            Some(p) => p.close(),
            None => Promise::resolve(&JsValue::UNDEFINED),
        })
    }
}

impl MemoryStore {
    fn build(o: &Options) -> Result<MemoryStore, JsValue> {
        let config = config(o)?;
        let upstash = o.dialect()?;
        let clock = match o.function("clock")? {
            Some(f) => JsClock::custom(f),
            None => JsClock::system(),
        };
        let timers = match o.get("activeExpiry") {
            Some(_) => o.flag("activeExpiry")?,
            None => !clock.is_custom(),
        } && js::has_timers();
        let lock_owner = match o.bytes("lockOwner")? {
            Some(owner) => owner,
            None => {
                let n = NEXT_STORE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                format!("memorystore-{n}-{}", js_sys::Math::random().to_bits() >> 20).into_bytes()
            }
        };
        let shared = Rc::new_cyclic(|this: &Weak<RefCell<State>>| {
            RefCell::new(State {
                engine: Engine::with_config(clock, config),
                subscriptions: Vec::new(),
                delivery_queued: false,
                timer: timers.then(|| timer::ExpiryTimer::new(this.clone())),
                lock_owner,
                this: this.clone(),
                persist: None,
            })
        });
        Ok(MemoryStore { shared, upstash })
    }
}

#[wasm_bindgen]
impl MemoryStore {
    /// The dialect of the command methods (`Options::dialect`); `js/methods.js` asks once.
    #[wasm_bindgen(js_name = __upstash, skip_typescript)]
    pub fn upstash(&self) -> u32 {
        self.upstash
    }

    /// `get` of a string key too long for the scratch buffer of `get`'s shortcut
    /// (`js/fast.js`).
    /// Decodes the value straight from the engine's storage, without copying it first.
    #[wasm_bindgen(js_name = __getText, skip_typescript)]
    pub fn get_text(&self, key: &str) -> Result<JsValue, JsValue> {
        let mut state = borrow(&self.shared)?;
        let value = state
            .engine
            .get_with(key.as_bytes(), |v| convert::to_js(v, Encoding::Text))
            .map_err(|e| engine_error(&e));
        if state.engine.config().keyspace_events {
            state.queue_delivery();
        }
        Ok(value?.unwrap_or(JsValue::NULL))
    }

    /// `set` of a string key and value, with a TTL in milliseconds when `ttl_ms` > 0, when
    /// they are too long for the scratch buffer of `set`'s shortcut (`js/fast.js`).
    #[wasm_bindgen(js_name = __setText, skip_typescript)]
    pub fn set_text(&self, key: &str, value: &str, ttl_ms: f64) -> Result<bool, JsValue> {
        borrow(&self.shared)?.set_string(key.as_bytes(), value.as_bytes(), ttl_ms)
    }

    fn dispatch(&self, built: Built) -> Result<JsValue, JsValue> {
        let call = built?;
        let reply = borrow(&self.shared)?.execute(call.command)?;
        to_js_value(reply, call.shape)
    }

    /// A builder with the same command methods; `exec()` runs everything queued atomically:
    /// if any command would fail, nothing is applied and a `TransactionError` names it.
    pub fn transaction(&self) -> Transaction {
        Transaction::new(Rc::downgrade(&self.shared))
    }

    /// The engine's counters: `{ keys, keysWithTtl, usedMemory, maxMemory, hits, misses,
    /// expired, evicted }`.
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let stats = borrow(&self.shared)?.engine.stats();
        let out = Object::new();
        for (name, value) in [
            ("keys", stats.keys as f64),
            ("keysWithTtl", stats.keys_with_ttl as f64),
            ("usedMemory", stats.used_memory as f64),
            ("maxMemory", stats.max_memory as f64),
            ("hits", stats.hits as f64),
            ("misses", stats.misses as f64),
            ("expired", stats.expired as f64),
            ("evicted", stats.evicted as f64),
        ] {
            js::set(&out, name, &JsValue::from_f64(value));
        }
        Ok(out.into())
    }

    /// Runs one bounded cycle of active expiry now (what the timer does on its own) and
    /// answers how many keys it removed. For stores driven by a custom clock, or with
    /// `activeExpiry: false`, where the host decides when housekeeping runs.
    #[wasm_bindgen(js_name = runExpiry)]
    pub fn run_expiry(&self) -> Result<u32, JsValue> {
        let mut state = borrow(&self.shared)?;
        let now = state.engine.clock().now();
        let report = state.engine.handle_timeout(now);
        state.arm_timer();
        if state.engine.config().keyspace_events {
            state.queue_delivery();
        }
        Ok(report.expired as u32)
    }
}

commands::command_entry!(MemoryStore, Result<JsValue, JsValue>);
