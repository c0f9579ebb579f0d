//! An application crate that uses `redis` (default features, `num-bigint`, `json`) next to
//! hedgestore. It only has to compile: that proves hedgestore builds against the `redis`
//! features an application brings.

/// A RESP3 big number as this application's `redis` holds it (a `num_bigint::BigInt`).
pub fn big_number_digits(value: &redis::Value) -> Option<String> {
    match value {
        redis::Value::BigNumber(n) => Some(n.to_string()),
        _ => None,
    }
}

/// hedgestore's storage, built in the same crate graph.
pub type Store = hedgestore::MemoryStorage;
