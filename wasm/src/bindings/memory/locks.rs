//! Locks with fencing tokens.
//!
//! `acquireLock(name, { ttl })` answers a token (a number that grows with every acquisition,
//! so a resource can refuse a holder whose lock has since passed to someone else) or `null`
//! while someone holds the lock. Locks are not re-entrant and expire at their TTL. Releasing
//! or extending needs the token, or, by name alone, releases only a lock this store holds
//! (locks are held under the store's `lockOwner`, random unless given).

use hedgestore_core::{FencingToken, LockHolder};
use wasm_bindgen::prelude::*;

use super::{borrow, MemoryStore};
use crate::bindings::convert::{self, bytes, Options};
use crate::bindings::errors::{engine_error, type_error};

pub(crate) fn ttl(method: &'static str, options: &JsValue, known: &[&str]) -> Result<u64, JsValue> {
    let o = Options::new(method, options, known)?;
    match o.int("ttl")? {
        Some(ms) if ms > 0 => Ok(ms as u64),
        Some(_) => Err(engine_error(&hedgestore_core::Error::InvalidLockTtl)),
        None => Err(type_error(method, "option ttl (milliseconds) is required")),
    }
}

pub(crate) fn token(method: &str, v: &JsValue) -> Result<Option<FencingToken>, JsValue> {
    match convert::opt_int(method, "token", v)? {
        None => Ok(None),
        Some(t) if t > 0 => Ok(Some(FencingToken(t as u64))),
        Some(_) => Err(type_error(method, "token must be positive")),
    }
}

#[wasm_bindgen]
impl MemoryStore {
    /// `acquireLock(name, { ttl })`: the fencing token, or `null` when the lock is held.
    #[wasm_bindgen(js_name = acquireLock)]
    pub fn acquire_lock(&self, name: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let name = bytes("acquireLock", "name", &name)?;
        let ttl = ttl("acquireLock", &options, &["ttl"])?;
        let mut state = borrow(&self.shared)?;
        let owner = state.lock_owner.clone();
        let token = state
            .engine
            .acquire_lock(&name, &owner, ttl)
            .map_err(|e| engine_error(&e))?;
        Ok(token.map_or(JsValue::NULL, |t| JsValue::from_f64(t.0 as f64)))
    }

    /// `releaseLock(name, token?)`: releases the lock if `token` holds it (without a token:
    /// if this store holds it). True when released.
    #[wasm_bindgen(js_name = releaseLock)]
    pub fn release_lock(&self, name: JsValue, token: JsValue) -> Result<bool, JsValue> {
        let name = bytes("releaseLock", "name", &name)?;
        let token = self::token("releaseLock", &token)?;
        let mut state = borrow(&self.shared)?;
        let owner = state.lock_owner.clone();
        let holder = token.map_or(LockHolder::Owner(&owner), LockHolder::Token);
        Ok(state.engine.release_lock(&name, holder))
    }

    /// `extendLock(name, { ttl, token? })`: resets the lock's TTL to `ttl` ms from now if
    /// `token` (without one: this store) holds it. True when extended.
    #[wasm_bindgen(js_name = extendLock)]
    pub fn extend_lock(&self, name: JsValue, options: JsValue) -> Result<bool, JsValue> {
        let name = bytes("extendLock", "name", &name)?;
        let ttl = ttl("extendLock", &options, &["ttl", "token"])?;
        let token = match Options::new("extendLock", &options, &["ttl", "token"])?.get("token") {
            Some(v) => self::token("extendLock", &v)?,
            None => None,
        };
        let mut state = borrow(&self.shared)?;
        let owner = state.lock_owner.clone();
        let holder = token.map_or(LockHolder::Owner(&owner), LockHolder::Token);
        state
            .engine
            .extend_lock(&name, holder, ttl)
            .map_err(|e| engine_error(&e))
    }
}
