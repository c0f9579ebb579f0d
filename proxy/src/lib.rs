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
//! | `POST /lock/acquire` body `["name", ttlMs]`, `POST /lock/release` body `["name", token]` | locks with fencing tokens (hedgestore's own, not Upstash's): the token or `null`; `1`/`0` (see the `locks` module) |
//! | `GET /health` | no token needed; backend and state, 200 or 503 |
//! | `GET /metrics` | the storage's metrics in Prometheus text format (`text/plain; version=0.0.4`), token needed; 404 unless [`install_metrics`] ran (the binary runs it) |
//! | `OPTIONS` any path | CORS preflight |
//!
//! * **Auth.** Every request except `/health` and preflights needs the token (`/metrics`
//!   too: it tells how busy the storage is and when Redis failed; see the `metrics` module), as
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
//!   a reply over the budget 400 (`ERR reply exceeds 8 MB (HEDGESTORE_PROXY_MAX_REPLY)`);
//!   a refused administrative command 403 (`NOPERM …`); a missing or wrong token 401; a body
//!   over the limit 413 (also when sent chunked, without a length); a body that does not
//!   arrive within 30 s 408; a request head over the limit 431; a method the path does not
//!   take 405 (naming the ones it takes); too many connections from one address 429; a
//!   storage that cannot be reached, or the connection limit reached, 503. Every error body
//!   is JSON `{"error"}`, cut to 256 bytes so it never echoes more than a short prefix of
//!   the client's input. Within a pipeline every command has its own `{"result"}` or
//!   `{"error"}` and the answer is 200 (only a body that is not an array of arrays is a
//!   400; an empty command fails only its entry). Nothing is stored by a request that fails
//!   before running.
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
//!   then. A subscriber too slow to take its messages is disconnected (see Limits) after
//!   a last event `data: error,ERR slow subscriber disconnected: <why>`. Details in the
//!   `sse` module.
//! * **CORS.** Only origins in `HEDGESTORE_PROXY_CORS_ORIGINS` (none by default); a
//!   preflight allows `authorization`, `content-type`, `upstash-encoding`,
//!   `upstash-sync-token`, `upstash-telemetry-*`, `accept`, `cache-control` and
//!   `last-event-id`.
//! * **SCAN.** `COUNT` is a hint (as in Redis) clamped to `HEDGESTORE_PROXY_MAX_SCAN_COUNT`
//!   (1000), so SCAN cannot list a whole keyspace in one call while `KEYS` is refused.
//! * **Administrative commands** (`FLUSHDB`, `FLUSHALL`, `KEYS`, `CONFIG`, `SHUTDOWN`,
//!   `DEBUG`, …) are refused with 403 unless `HEDGESTORE_PROXY_ALLOW` names them. Other
//!   commands are those the storage supports; anything else is `ERR unknown command`.
//!   `SCAN` works (the unstorage Upstash driver lists keys with it).
//!
//! # Limits
//!
//! Every byte the proxy holds for a client is bounded by a setting; going over a bound is a
//! clear error for that one client (or closes that one connection) while the others are
//! served. All are environment variables of the binary (`--help`) and fields of
//! [`ProxyConfig`].
//!
//! | what | variable | default | over it |
//! |---|---|---|---|
//! | request body | `HEDGESTORE_PROXY_MAX_BODY` | 1 MiB | 413, declared length checked before reading; a chunked body is drained (10 s at most) then 413 |
//! | time to send a body | — | 30 s | 408 |
//! | time to take a reply (larger than 64 KiB) | — | 30 s | connection closed, its memory given back |
//! | reply (command, pipeline or transaction) | `HEDGESTORE_PROXY_MAX_REPLY` | 8 MiB | 400 `ERR reply exceeds 8 MB (HEDGESTORE_PROXY_MAX_REPLY)`, see below |
//! | memory held for all clients at once (bodies, replies until sent, subscriber queues) | `HEDGESTORE_PROXY_MAX_INFLIGHT` | 256 MiB | a request waits up to 2 s for room, then 503 `ERR the proxy is busy …` before anything is applied; a subscriber is disconnected with a last event; see below |
//! | `SCAN` page | `HEDGESTORE_PROXY_MAX_SCAN_COUNT` | 1000 | `COUNT` clamped |
//! | request head (line + headers) | `HEDGESTORE_PROXY_MAX_HEADER` | 16 KiB | 431 with `{"error"}`, connection closed |
//! | time to send a head; idle keep-alive | `HEDGESTORE_PROXY_HEADER_TIMEOUT_MS` | 10 s | connection closed (every response says `Keep-Alive: timeout=<one second less>` so pooling clients let go first) |
//! | open connections | `HEDGESTORE_PROXY_MAX_CONNECTIONS` | 10 000 | 64 more are accepted for `/health` (503 to anything else, one request each); then they wait in the backlog |
//! | connections per IP address | `HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER` | 1 000 | 429 with `{"error"}`, closed |
//! | events waiting for one subscriber | `HEDGESTORE_PROXY_SSE_HARD_LIMIT` | 32 MiB | disconnected with a last event |
//! | … for longer than `HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS` (60 s) | `HEDGESTORE_PROXY_SSE_SOFT_LIMIT` | 8 MiB | disconnected with a last event |
//! | token length | `HEDGESTORE_PROXY_TOKEN` | ≥ 16 characters | refused at start unless `HEDGESTORE_PROXY_INSECURE=1` |
//! | failed authentications per IP address | — | 10, one more per second | each further request waits 1 s before its token is checked |
//! | error message | — | 256 bytes | cut with `…` |
//!
//! * **The reply budget** is checked before a reply is built wherever a small request could
//!   ask for a huge one (a reply only dwarfs the data it reads by repeating it): `MGET` with
//!   repeated or many keys (by `STRLEN`), `HMGET` with repeated fields, and a `/multi-exec`
//!   as a whole (every read measured once, plus what the batch's own writes can add); it is
//!   checked exactly before encoding everywhere. Commands that remove what they return
//!   (`GETDEL`, `SET … GET`, `LPOP`, `RPOP`) are measured first, so nothing is removed and
//!   then refused. In a `/pipeline`, results are encoded as they come and an entry that does
//!   not fit in what is left answers `{"error":"ERR reply exceeds …"}` (its command still
//!   runs, except the ones refused before running), so the answer stays within the budget
//!   plus one short error per command. A single read of one key (`GET`, `HGETALL`,
//!   `LRANGE`, …) holds at most one copy of that key before it is refused.
//! * **Memory per request** is about three times its body at the peak (the body, its parsed
//!   arguments, the stored value) plus its reply (at most the budget): with the defaults,
//!   about 11 MiB per request in flight. Raising `HEDGESTORE_PROXY_MAX_BODY` raises that
//!   proportionally. So that a value written in one request can be read back in one reply,
//!   the proxy refuses to start unless `HEDGESTORE_PROXY_MAX_REPLY` is at least
//!   `4/3 × HEDGESTORE_PROXY_MAX_BODY` (its base64 size); a value grown past the budget by
//!   many writes (`APPEND`) answers the budget error when read, never a timeout.
//! * **All clients together** hold at most `HEDGESTORE_PROXY_MAX_INFLIGHT` of bodies,
//!   replies (charged from their exact encoded length until the last byte was handed to the
//!   socket, so clients that never read their replies cannot pile them up) and subscriber
//!   queues. A read whose reply finds no room within 2 s answers 503 (ask again); a write's
//!   reply is never dropped for this limit (the write happened; its caller must hear so),
//!   so the total may exceed the limit by at most one reply per concurrent write, and the
//!   next requests wait for that. Not charged, and bounded per connection instead: headers
//!   (`HEDGESTORE_PROXY_MAX_HEADER`), hyper's write buffer (~400 KiB) and the kernel's
//!   socket buffers. Details: the `inflight` module.
//! * **Subscribers** never slow publishers (see the `sse` module): each holds at most the
//!   hard limit of queued events plus what the HTTP layer buffers for its socket (16 KiB in
//!   the proxy and the kernel's socket buffer).
//! * **Behind a load balancer**, every client shares the balancer's address: raise
//!   `HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER` to `HEDGESTORE_PROXY_MAX_CONNECTIONS`, and
//!   point the balancer's health check at `/health`, which is answered even at the
//!   connection limit.
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
mod commands;
mod config;
mod cors;
mod health;
mod inflight;
mod io;
mod locks;
mod metrics;
mod request;
mod response;
mod routes;
mod server;
mod sse;

use std::future::Future;
use std::net::SocketAddr;

pub use config::{BackendChoice, CorsOrigins, ProxyConfig, MIN_TOKEN_LEN};
pub use metrics::{install_metrics, MetricsError};
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
