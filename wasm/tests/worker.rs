//! The wasm test suite in a dedicated Web Worker (`wasm-pack test --headless --chrome`): no
//! `window`, as in edge runtimes and worker threads.
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

common::all_cases!();
common::persist_cases!();
