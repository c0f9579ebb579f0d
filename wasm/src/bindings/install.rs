//! Start-up: the command methods (`get`, `hset`, `lpush`, …) are installed on every class's
//! prototype when the module is instantiated, each calling the class's `__command` export.
//!
//! wasm-bindgen gives Rust no handle on the classes it exports, so each prototype is taken
//! from a throwaway instance. This runs once per module instance, before any user code can
//! construct a store (`start` runs inside `init()`/`initSync()` and at `require`/`import`).

use std::rc::{Rc, Weak};

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::commands::METHODS;
use super::js;
use super::memory::{install_fast_paths, MemoryStore, Transaction};
use super::remote::{Client, Pipeline, RemoteStore, RemoteTransaction};

#[wasm_bindgen(module = "/js/methods.js")]
extern "C" {
    #[wasm_bindgen(js_name = installCommandMethods)]
    fn install_command_methods(prototype: &JsValue, names: &Array, fast: bool, asynchronous: bool);
}

/// Installs the command methods on `instance`'s prototype (`fast`: with the string
/// shortcuts of `get` and `set`; `asynchronous`: its commands answer Promises, so a use after
/// `free()` rejects rather than throws), then frees the instance.
fn install_from(instance: JsValue, names: &Array, fast: bool, asynchronous: bool) {
    install_command_methods(
        &Object::get_prototype_of(&instance),
        names,
        fast,
        asynchronous,
    );
    let _ = js::call_method0(&instance, "free");
}

/// Installs the command methods on every class. Runs by itself when the module is
/// instantiated; a Rust program that embeds this crate in its own wasm module (the wasm test
/// suite does) calls it before handing objects to JavaScript. Calling it again does nothing.
#[wasm_bindgen(start)]
pub fn install() {
    install_fast_paths();
    let names: Array = METHODS.iter().map(|m| JsValue::from_str(m.name)).collect();
    let client = Rc::new(Client::placeholder());
    install_from(MemoryStore::placeholder().into(), &names, true, false);
    install_from(Transaction::new(Weak::new()).into(), &names, false, false);
    install_from(
        RemoteStore::placeholder(client.clone()).into(),
        &names,
        false,
        true,
    );
    install_from(Pipeline::new(client.clone()).into(), &names, false, false);
    install_from(RemoteTransaction::new(client).into(), &names, false, false);
}
