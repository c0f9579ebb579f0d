//! The wasm test suite in Node (`wasm-pack test --node`).
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::*;

common::all_cases!();

#[wasm_bindgen_test]
async fn persist_needs_indexed_db() {
    common::persist_without_indexed_db().await
}
