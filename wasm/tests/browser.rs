//! The wasm test suite in a browser page (`wasm-pack test --headless --chrome`).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

common::all_cases!();
common::persist_cases!();
