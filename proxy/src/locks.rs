//! Locks with fencing tokens over HTTP, for clients that cannot run the storage's lock
//! scripts themselves (the npm package's `RemoteStore`):
//!
//! * `POST /lock/acquire` with `["name", ttlMs]`: `{"result": token}` (the fencing token, a
//!   number that grows with every acquisition of the name) or `{"result": null}` while the
//!   lock is held;
//! * `POST /lock/release` with `["name", token]`: `{"result": 1}` if that token held the lock
//!   and it is now released, `0` if it no longer held it (expired, or taken since).
//!
//! The semantics are the storage's own (`LockStorage::acquire_lock` and `release`), so a
//! lock taken through the proxy and one taken by a Rust application on the same Redis
//! exclude each other. Every client of a proxy shares one storage instance, and so one lock
//! owner: releasing by name alone (or extending by name) would reach another client's lock,
//! so the token is required here. The bodies use the command codec (a JSON array of strings
//! or numbers), so the routes need nothing new from a client.

use std::time::Duration;

use hedgestore_core::codec::{self, Encoding};
use hedgestore_core::{FencingToken, Reply};
use hedgestore_native::{Bytes, Lock};
use hyper::{Response, StatusCode};

use crate::response::{error_message, error_status, json, ProxyBody, Rejection};
use crate::routes::Shared;

fn bad(message: &str) -> Response<ProxyBody> {
    Rejection::new(StatusCode::BAD_REQUEST, format!("ERR {message}")).into_response()
}

fn positive(arg: &[u8]) -> Option<u64> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|n| *n > 0)
}

/// `POST /lock/<action>` with `body`.
pub(crate) async fn lock(
    shared: &Shared,
    action: &[u8],
    body: &[u8],
    encoding: Encoding,
) -> Response<ProxyBody> {
    let args = match codec::parse_command(body) {
        Ok(args) => args,
        Err(e) => return bad(&format!("lock: {e}")),
    };
    let outcome = match (action, &args[..]) {
        (b"acquire", [name, ttl]) => {
            let Some(ttl) = positive(ttl) else {
                return bad("the lock's ttl (milliseconds) must be a positive integer");
            };
            shared
                .storage
                .acquire_lock(name, Duration::from_millis(ttl), None)
                .await
                .map(|lock| lock.map_or(Reply::Nil, |l| Reply::Int(l.token.0 as i64)))
        }
        (b"release", [name, token]) => {
            let Some(token) = positive(token) else {
                return bad("the lock's token must be a positive integer");
            };
            let lock = Lock {
                name: Bytes::copy_from_slice(name),
                token: FencingToken(token),
            };
            shared
                .storage
                .release(&lock)
                .await
                .map(|released| Reply::Int(i64::from(released)))
        }
        (b"acquire", _) => return bad("POST /lock/acquire takes [\"name\", ttlMs]"),
        (b"release", _) => return bad("POST /lock/release takes [\"name\", token]"),
        _ => {
            return Rejection::new(
                StatusCode::NOT_FOUND,
                "ERR no such lock operation: POST /lock/acquire or /lock/release",
            )
            .into_response()
        }
    };
    match outcome {
        Ok(reply) => json(StatusCode::OK, codec::encode_result(&reply, encoding)),
        Err(e) => json(error_status(&e), codec::encode_error(&error_message(&e))),
    }
}
