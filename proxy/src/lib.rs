//! `hedgestore-proxy`: an HTTP server speaking the Upstash Redis REST protocol in front of any
//! [`Storage`], so browsers and edge runtimes (which can `fetch` but cannot open a TCP
//! connection to Redis) reach it safely. Any Upstash-compatible client works against it,
//! `@upstash/redis` first of all; the wasm crate's `RemoteStore` is its own client.
//!
//! ```no_run
//! use hedgestore_proxy::{self as proxy, ProxyConfig};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = ProxyConfig::new("a-long-random-token");
//! config.addr = "127.0.0.1:0".parse()?;
//! let storage = hedgestore_native::Storage::memory(Default::default())?;
//! let proxy = proxy::serve(config, storage, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! println!("listening on {}", proxy.local_addr());
//! proxy.wait().await?; // until Ctrl-C: in-flight requests finish, then storage.close()
//! # Ok(()) }
//! ```
//!
//! # The protocol
//!
//! Checked against the `@upstash/redis` 1.39 client source (`pkg/http.ts`,
//! `pkg/pipeline.ts`, `pkg/commands/subscribe.ts`) and Upstash's REST API documentation.
//! The JSON codec itself is [`hedgestore_core::codec`], shared with the wasm client.
//!
//! | request | meaning |
//! |---|---|
//! | `POST /` body `["SET","k","v","EX",10]` | one command → `{"result": …}` |
//! | `POST /pipeline` body `[["SET","a",1],["GET","a"]]` | commands in order → `[{"result"}, {"error"}, …]` |
//! | `POST /multi-exec` (same body) | atomic: every result, or one `{"error"}` and nothing applied |
//! | `GET /set/k/v`, `GET /get/k`, `GET /set/k/v?EX=10` | the path form: segments (percent-decoded) are the arguments, then query parameters as `name value` |
//! | `POST /set/k` with a raw body | the body is appended as the last argument (before the query's), binary-safe |
//! | `GET`/`POST /subscribe/<channel>…`, `/psubscribe/<pattern>…` | Server-Sent Events (see below) |
//! | `GET /health` | no token needed; backend and state, 200 or 503 |
//! | `OPTIONS` any path | CORS preflight |
//!
//! * **Auth.** Every request except `/health` and preflights needs the token, as
//!   `Authorization: Bearer <token>` or as the `_token` query parameter (how a browser
//!   `EventSource`, which cannot set headers, subscribes). It is compared in constant time;
//!   anything else answers 401 with `{"error"}` and `WWW-Authenticate: Bearer`. The token is
//!   never logged, printed or echoed ([`hedgestore_native::Secret`]).
//! * **Arguments.** Command names are case-insensitive. JSON numbers and booleans are valid
//!   arguments and become strings as Redis clients convert them (`10` → `"10"`,
//!   `true` → `"true"`); `null`, objects and nested arrays are refused with a 400 naming the
//!   position. `@upstash/redis` sends numbers as numbers and lowercase names, and even single
//!   commands as a one-element `/pipeline` (auto-pipelining).
//! * **Status codes.** 200 with `{"result"}` on success. A failing command answers 400 with
//!   `{"error": "<Redis's error text>"}` (`WRONGTYPE …`, `ERR wrong number of arguments …`,
//!   `ERR unknown command …`); malformed JSON, a non-array body and bad arguments answer 400;
//!   a refused administrative command 403 (`NOPERM …`); a missing or wrong token 401; a body
//!   over the limit 413; a body that does not arrive within 30 s 408; a method other than
//!   GET, POST, PUT, OPTIONS (or HEAD on `/health`) 405; a storage that cannot be reached 503.
//!   Within a pipeline every command has its own `{"result"}` or `{"error"}` and the answer
//!   is 200 (only a body that is not a pipeline at all is a 400). Nothing is stored by a
//!   request that fails before running.
//! * **`Upstash-Encoding: base64`** (sent by `@upstash/redis` by default): every string in
//!   the result, nested in arrays too, is base64 (standard alphabet, padded), except the
//!   `OK` status; integers and `null` are unchanged; errors are never encoded. Without it,
//!   strings are JSON text and bytes that are not UTF-8 are replaced by U+FFFD (use base64
//!   for binary values).
//! * **Read-your-writes.** `@upstash/redis` sends `upstash-sync-token` (the value from its
//!   previous response, empty at first) and stores the `upstash-sync-token` response header
//!   for the next request; Upstash uses it to make a read replica catch up with the client's
//!   writes. This proxy has one storage that every request reads directly, so every read
//!   already sees every completed write: the request header is accepted and ignored, and
//!   every command response carries `upstash-sync-token: <n>`, the number of writes this
//!   proxy has completed (monotonic; exposed to browsers through CORS).
//! * **Pub/sub.** `PUBLISH` is an ordinary command. `subscribe()` in `@upstash/redis` POSTs
//!   `[]` to `/subscribe/<channel>` with `Accept: text/event-stream` and reads `data: ` lines;
//!   `GET` works the same for a browser `EventSource`. Events:
//!   `data: subscribe,<channel>,<count>`, then `data: message,<channel>,<payload>`
//!   (`psubscribe,<pattern>,<count>` and `pmessage,<pattern>,<channel>,<payload>` for
//!   patterns). Messages flow until the client disconnects; its subscriptions are dropped
//!   then. Details in the `sse` module.
//! * **CORS.** Only origins in `HEDGESTORE_PROXY_CORS_ORIGINS` (none by default); a
//!   preflight allows `authorization`, `content-type`, `upstash-encoding`,
//!   `upstash-sync-token`, `upstash-telemetry-*`, `accept`, `cache-control` and
//!   `last-event-id`.
//! * **Administrative commands** (`FLUSHDB`, `FLUSHALL`, `KEYS`, `CONFIG`, `SHUTDOWN`,
//!   `DEBUG`, …) are refused with 403 unless `HEDGESTORE_PROXY_ALLOW` names them. Other
//!   commands are those the storage supports; anything else is `ERR unknown command`.
//!   `SCAN` works (the unstorage Upstash driver lists keys with it).
//!
//! # Differences from Upstash
//!
//! * **`/multi-exec` is all-or-nothing.** Redis's MULTI/EXEC (and Upstash's) runs every
//!   command and reports failures per command, applying the others. Here the batch runs as
//!   one storage transaction ([`hedgestore_native::CompleteStorage::execute_transaction`]): when any
//!   command would fail (a wrong type, a bad argument, an unknown or refused command), nothing
//!   is applied and the answer is a single 400
//!   `{"error": "EXECABORT command #<i> (<name>) failed, nothing was applied: <error>"}`
//!   (`#<i>` counts from 0). `@upstash/redis` throws that as an `UpstashError`.
//! * `HEAD` is answered only on `/health` (Upstash also accepts it for commands).
//! * Commands outside hedgestore's set (sorted sets, streams, scripting, …) answer
//!   `ERR unknown command`.
//! * The read-your-writes token is a plain write counter (see above).
//! * A subscription payload with line breaks is sent as several `data:` lines (SSE framing),
//!   which `EventSource` joins; `@upstash/redis` reads it line by line and would see only the
//!   first line. JSON messages (what its `publish()` sends) never contain raw line breaks.

mod auth;
mod budget;
mod config;
mod cors;
mod health;
mod io;
mod request;
mod response;
mod routes;
mod server;
mod sse;

use std::future::Future;
use std::net::SocketAddr;

pub use config::{BackendChoice, CorsOrigins, ProxyConfig};
pub use server::ProxyHandle;

use hedgestore_native::ConfigError;
use hedgestore_native::Storage;
use hedgestore_native::StorageError;

/// Why the proxy could not start, or did not stop cleanly. Never contains the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address could not be bound (in use, not permitted, …).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The storage failed (to open, or to close at shutdown).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The server task failed unexpectedly.
    #[error("proxy task failed: {0}")]
    Task(String),
}

/// Starts the proxy: binds [`ProxyConfig::addr`] and serves `storage` on the current tokio
/// runtime until `shutdown` completes or [`ProxyHandle::shutdown`] is called. Then it stops
/// accepting, lets in-flight requests finish (up to [`ProxyConfig::shutdown_grace`]), ends
/// subscription streams and closes the storage; [`ProxyHandle::wait`] returns after that.
///
/// Fails at once when the configuration is invalid (see [`ProxyConfig::validate`]) or the
/// address cannot be bound.
pub async fn serve<F>(
    config: ProxyConfig,
    storage: Storage,
    shutdown: F,
) -> Result<ProxyHandle, ProxyError>
where
    F: Future<Output = ()> + Send + 'static,
{
    server::serve(config, storage, shutdown).await
}
