//! The wasm test suite, shared by `node.rs`, `browser.rs` and `worker.rs`, which only say
//! where it runs.
//!
//! The cases are JavaScript (`tests/js/*_cases.js`): they use the classes exactly as a user
//! does, through wasm-bindgen's generated glue (variadic arguments, `undefined` for missing
//! ones, thrown errors). Each case is one `#[wasm_bindgen_test]` here, and a last test checks
//! that every case the JavaScript files define is run.
//!
//! `RemoteStore`'s cases talk to a real `hedgestore-proxy`, whose address and token are given
//! at build time (the wasm test has no environment at run time):
//! `HEDGESTORE_TEST_PROXY_URL` and `HEDGESTORE_TEST_PROXY_TOKEN`, which
//! `scripts/test-wasm.sh` sets after starting the proxy. Without them the remote cases fail
//! and say how to run them.

use hedgestore_wasm::{MemoryStore, RemoteStore};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "/tests/js/assert.js")]
extern "C" {
    /// Referenced so that wasm-bindgen ships the helpers the case files import.
    #[allow(dead_code)]
    fn fail(message: &str);
}

#[wasm_bindgen(module = "/tests/js/set_cases.js")]
extern "C" {
    /// Referenced so that wasm-bindgen ships the cases `memory_cases.js` imports.
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = setCaseNames)]
    fn set_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/bit_cases.js")]
extern "C" {
    /// Referenced so that wasm-bindgen ships the cases `memory_cases.js` imports.
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = bitCaseNames)]
    fn bit_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/key_list_cases.js")]
extern "C" {
    /// Referenced so that wasm-bindgen ships the cases `memory_cases.js` imports.
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = keyListCaseNames)]
    fn key_list_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/geo_cases.js")]
extern "C" {
    /// Referenced so that wasm-bindgen ships the cases `memory_cases.js` imports.
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = geoCaseNames)]
    fn geo_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/hash_ttl_cases.js")]
extern "C" {
    /// Referenced so that wasm-bindgen ships the cases `memory_cases.js` imports.
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = hashTtlCaseNames)]
    fn hash_ttl_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/fast_path_cases.js")]
extern "C" {
    /// Referenced so that wasm-bindgen ships the cases `memory_cases.js` imports.
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = fastPathCaseNames)]
    fn fast_path_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/memory_cases.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = runMemoryCase)]
    async fn run_memory_case(name: &str, store: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = memoryCaseNames)]
    fn memory_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/remote_cases.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = runRemoteCase)]
    async fn run_remote_case(
        name: &str,
        store: JsValue,
        url: &str,
        token: &str,
        prefix: &str,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = remoteCaseNames)]
    fn remote_case_names() -> Vec<String>;
}

#[wasm_bindgen(module = "/tests/js/persist_cases.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = runPersistCase)]
    async fn run_persist_case(name: &str, store: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = persistCaseNames)]
    fn persist_case_names() -> Vec<String>;
    #[wasm_bindgen(catch, js_name = persistNeedsIndexedDb)]
    async fn persist_needs_indexed_db(store: JsValue) -> Result<JsValue, JsValue>;
}

/// A thrown JavaScript value as text: an `Error`'s name, message and stack.
fn describe(e: JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => {
            let stack = js_sys::Reflect::get(err, &"stack".into())
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default();
            format!(
                "{}: {}\n{stack}",
                String::from(err.name()),
                String::from(err.message())
            )
        }
        None => format!("{e:?}"),
    }
}

pub async fn memory(name: &str) {
    hedgestore_wasm::install();
    let store = MemoryStore::new(JsValue::UNDEFINED).expect("a default MemoryStore");
    if let Err(e) = run_memory_case(name, store.into()).await {
        panic!("{name}: {}", describe(e));
    }
}

/// A case of `persist_cases.js` (IndexedDB: Chromium pages and workers).
#[allow(dead_code)] // not in Node
pub async fn persist(name: &str) {
    hedgestore_wasm::install();
    let store = MemoryStore::new(JsValue::UNDEFINED).expect("a default MemoryStore");
    if let Err(e) = run_persist_case(name, store.into()).await {
        panic!("{name}: {}", describe(e));
    }
}

/// Node has no IndexedDB: `MemoryStore.open({ persist })` says so.
#[allow(dead_code)] // Node only
pub async fn persist_without_indexed_db() {
    hedgestore_wasm::install();
    let store = MemoryStore::new(JsValue::UNDEFINED).expect("a default MemoryStore");
    if let Err(e) = persist_needs_indexed_db(store.into()).await {
        panic!("persist_needs_indexed_db: {}", describe(e));
    }
}

#[allow(dead_code)] // not in Node
pub fn check_persist_names(listed: &[&str]) {
    let mut names = persist_case_names();
    names.sort();
    let mut listed: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(names, listed, "persist cases");
}

/// The IndexedDB cases, for hosts that have it (`browser.rs`, `worker.rs`).
#[allow(unused_macros)] // not in Node
macro_rules! persist_cases {
    () => {
        common::persist_cases!(
            persisted_store_survives_reopening,
            persisted_store_loads_before_use_and_is_exclusive,
            persisted_log_is_the_native_record_format,
            persisted_log_drops_a_torn_or_corrupt_tail,
            persisted_log_is_compacted,
            persisted_writes_are_refused_once_indexeddb_fails,
        );
    };
    ($($p:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $p() {
                common::persist(stringify!($p)).await
            }
        )*
        #[wasm_bindgen_test]
        fn every_persist_case_is_run() {
            common::check_persist_names(&[$(stringify!($p)),*]);
        }
    };
}

#[allow(unused_imports)] // not in Node
pub(crate) use persist_cases;

pub async fn remote(name: &str) {
    hedgestore_wasm::install();
    let (Some(url), Some(token)) = (
        option_env!("HEDGESTORE_TEST_PROXY_URL"),
        option_env!("HEDGESTORE_TEST_PROXY_TOKEN"),
    ) else {
        panic!(
            "{name}: RemoteStore's end-to-end tests need a running hedgestore-proxy, named at \
             build time by HEDGESTORE_TEST_PROXY_URL and HEDGESTORE_TEST_PROXY_TOKEN; run \
             scripts/test-wasm.sh, which starts one"
        );
    };
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"url".into(), &url.into()).unwrap();
    js_sys::Reflect::set(&options, &"token".into(), &token.into()).unwrap();
    let store = RemoteStore::new(options.into()).expect("a RemoteStore");
    let prefix = format!(
        "wasmtest:{}:{}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e9) as u64
    );
    if let Err(e) = run_remote_case(name, store.into(), url, token, &prefix).await {
        panic!("{name}: {}", describe(e));
    }
}

macro_rules! cases {
    (memory: [$($m:ident),* $(,)?], remote: [$($r:ident),* $(,)?] $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $m() {
                common::memory(stringify!($m)).await
            }
        )*
        $(
            #[wasm_bindgen_test]
            async fn $r() {
                common::remote(stringify!($r)).await
            }
        )*
        #[wasm_bindgen_test]
        fn every_case_is_run() {
            common::check_names(&[$(stringify!($m)),*], &[$(stringify!($r)),*]);
        }
    };
}

pub(crate) use cases;

pub fn check_names(memory: &[&str], remote: &[&str]) {
    let sorted = |v: Vec<String>| {
        let mut v = v;
        v.sort();
        v
    };
    let listed = |v: &[&str]| sorted(v.iter().map(|s| s.to_string()).collect());
    assert_eq!(sorted(memory_case_names()), listed(memory), "memory cases");
    assert_eq!(sorted(remote_case_names()), listed(remote), "remote cases");
}

/// Every case, by name; each test file expands this where it runs.
macro_rules! all_cases {
    () => {
        common::cases! {
            memory: [
                strings_set_get_and_options,
                set_options_speak_upstash_and_unknown_options_are_type_errors,
                strings_binary_values,
                strings_mget_mset,
                strings_counters,
                json_helpers,
                keys_del_exists_type_rename,
                keys_patterns_scan_dbsize_flushdb_ping,
                expiry_with_a_manual_clock,
                expire_family_and_persist,
                active_expiry_reclaims_unread_keys,
                timer_expires_keys_on_real_time,
                hashes,
                hashes_odd_fields_and_bytes,
                lists,
                wrong_types_are_reply_errors_and_change_nothing,
                bad_arguments_are_type_errors_and_change_nothing,
                pubsub_delivers_in_a_microtask,
                pubsub_patterns_bytes_and_counts,
                pubsub_handlers_are_isolated,
                pubsub_unsubscribe_inside_a_handler_and_queue_bounds,
                keyspace_events_announce_expiry,
                locks_with_fencing_tokens,
                transactions_apply_all_or_nothing,
                transactions_publish_after_commit,
                memory_limits_and_eviction,
                stats_count_hits_and_misses,
                clock_is_monotonic_and_validated,
                free_releases_the_store,
                sets_speak_upstash,
                sorted_sets_speak_upstash,
                string_aliases_speak_upstash,
                bitmaps_speak_upstash,
                hyperloglogs_speak_upstash,
                keys_copy_renamenx_unlink_touch,
                hashes_hstrlen,
                keys_randomkey_and_time,
                scripts_need_redis,
                sorted_set_combinations,
                hashes_hrandfield_hscan,
                lists_lpos_lmove_lmpop,
                geo_speaks_upstash,
                hash_field_expiration_speaks_upstash,
                hgetdel_hgetex_hsetex_speak_upstash,
                fast_path_round_trips_any_text,
                fast_path_handles_keys_and_values_beyond_its_buffer,
                fast_path_sees_every_write,
                fast_path_keeps_ttl_stats_and_types,
                fast_path_and_general_path_leave_the_same_state,
                fast_path_defers_to_the_general_path_during_a_clock_call,
            ],
            remote: [
                remote_strings,
                remote_values_that_look_like_protocol_words,
                remote_hashes_and_lists,
                remote_expiry,
                remote_errors_carry_the_servers_message,
                remote_network_failures_are_network_errors,
                remote_retries_recover_reads,
                remote_pipeline,
                remote_transaction_is_all_or_nothing,
                remote_subscribe_over_server_sent_events,
                remote_subscribe_times_out_without_confirmation,
                remote_proxy_refuses_administrative_commands_by_default,
                remote_subscribe_reconnects_and_reports_through_callbacks,
                remote_sets_and_sorted_sets,
                remote_locks_with_fencing_tokens_through_the_proxy,
            ],
        }
    };
}

pub(crate) use all_cases;
