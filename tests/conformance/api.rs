//! The conformance case generated from core's method list: every typed method runs on the
//! backend and its reply converts.

use hedgestore::Storage;

use super::Harness;

/// An argument of a parameter kind for a method of a group, fitting what
/// [`every_typed_method_runs`] seeds: `c:api:s` a string, `c:api:h` a hash, `c:api:l` a list.
macro_rules! api_sample {
    (base, key, bytes) => {
        "c:api:s"
    };
    (hash, key, bytes) => {
        "c:api:h"
    };
    (list, key, bytes) => {
        "c:api:l"
    };
    ($group:ident, $param:ident, bytes) => {
        "c:api:f"
    };
    (base, $param:ident, bytes_list) => {
        &["c:api:s"]
    };
    (hash, $param:ident, bytes_list) => {
        &["f"]
    };
    (list, $param:ident, bytes_list) => {
        &["1"]
    };
    (pubsub, $param:ident, bytes_list) => {
        &["c:api:c"]
    };
    ($group:ident, $param:ident, pairs) => {
        &[("c:api:f", "1")]
    };
    ($group:ident, $param:ident, opt_text) => {
        None
    };
    ($group:ident, $param:ident, int) => {
        1
    };
    ($group:ident, $param:ident, float) => {
        1.5
    };
    ($group:ident, $param:ident, count) => {
        1
    };
    ($group:ident, $param:ident, opt_count) => {
        None
    };
    ($group:ident, $param:ident, cursor) => {
        0
    };
    ($group:ident, $param:ident, position) => {
        hedgestore::InsertPosition::Before
    };
    ($group:ident, $param:ident, getex_option) => {
        None
    };
    ($group:ident, $param:ident, type_filter) => {
        None
    };
}

/// Runs every generated method of the list on freshly seeded keys; `flushdb` is left out, as
/// cases share a server and must not remove each other's keys.
macro_rules! run_every_typed_method {
    (
        $s:ident
        generated: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
                -> $reply:ident = $variant:ident $fields:tt;
        )*],)*],
        hand_written: $hand_written:tt,
    ) => {{
        let mut ran = 0;
        $($(
            if stringify!($name) != "flushdb" {
                seed_api_keys($s).await;
                let result = $s.$name($(api_sample!($group, $param, $pkind)),*).await;
                assert!(result.is_ok(), "{}: {:?}", stringify!($name), result);
                ran += 1;
            }
        )*)*
        ran
    }};
}

async fn seed_api_keys(s: &Storage) {
    s.del(&["c:api:s", "c:api:h", "c:api:l", "c:api:f"])
        .await
        .unwrap();
    s.set("c:api:s", "1", None).await.unwrap();
    s.hset("c:api:h", &[("f", "1")]).await.unwrap();
    s.rpush("c:api:l", &["1", "2"]).await.unwrap();
}

/// Every typed method of core's method list answers in the type it promises, on every
/// backend (a reply that does not convert is `UnexpectedReply`).
pub async fn every_typed_method_runs(h: &Harness) {
    let s = &h.storage;
    let ran = hedgestore::for_each_command_method!(run_every_typed_method, s);
    let generated = hedgestore::COMMAND_METHODS
        .iter()
        .filter(|m| !m.hand_written)
        .count();
    assert_eq!(ran, generated - 1, "every generated method but flushdb ran");
}
