//! The endpoints: what each request means and how it is answered.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hedgestore_core::codec::{self, Encoding, ENCODING_HEADER};
use hedgestore_core::Command;
use http_body_util::Either;
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, ORIGIN, RETRY_AFTER, WWW_AUTHENTICATE,
};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::watch;

use crate::auth::AuthFailures;
use crate::commands::{busy, multi_exec, pipeline, run_one};
use crate::config::{BackendChoice, ProxyConfig};
use crate::cors::{Cors, METHODS};
use crate::health::health_report;
use crate::inflight::{Charge, Inflight};
use crate::locks::lock;
use crate::request::{
    path_segments, presented_token, query_pairs, read_body, token_matches, BodyRefused,
};
use crate::response::{error_message, error_status, hold, json, ProxyBody, Rejection};
use crate::sse::{ConnectionKill, QueueLimits, SseBody, SubscriptionKind};
use hedgestore_native::Secret;
use hedgestore_native::Storage;

/// `Keep-Alive` (not among `hyper::header`'s names).
const KEEP_ALIVE: &str = "keep-alive";

/// The response header carrying the read-your-writes token.
const SYNC_TOKEN: &str = "upstash-sync-token";

/// Commands refused unless `HEDGESTORE_PROXY_ALLOW` names them: they act on the whole
/// keyspace or the server rather than on keys. The command table's `ADMIN` rows (`KEYS`,
/// `FLUSHDB`, the scripts) are refused the same way. (Most are not commands of the storage at all
/// and would fail as unknown anyway; refusing them first gives the clearer answer.)
const ADMIN_COMMANDS: &[&str] = &[
    "ACL",
    "BGREWRITEAOF",
    "BGSAVE",
    "CLIENT",
    "CLUSTER",
    "CONFIG",
    "DEBUG",
    "FAILOVER",
    "FLUSHALL",
    "FLUSHDB",
    "FUNCTION",
    "KEYS",
    "LASTSAVE",
    "LATENCY",
    "MEMORY",
    "MIGRATE",
    "MODULE",
    "MONITOR",
    "MOVE",
    "PSYNC",
    "REPLICAOF",
    "SAVE",
    "SCRIPT",
    "SELECT",
    "SHUTDOWN",
    "SLAVEOF",
    "SLOWLOG",
    "SWAPDB",
    "SYNC",
];

/// The peer's IP address, set by the server on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Peer(pub(crate) IpAddr);

/// What every request handler shares.
pub(crate) struct Shared {
    pub(crate) storage: Storage,
    token: Option<Secret>,
    cors: Cors,
    allow_all: bool,
    allowed: Vec<String>,
    max_body: usize,
    pub(crate) max_reply: usize,
    max_scan_count: usize,
    /// What all requests and subscribers hold at once (`HEDGESTORE_PROXY_MAX_INFLIGHT`).
    pub(crate) inflight: Inflight,
    body_timeout: Duration,
    sse_keepalive: Duration,
    sse_limits: QueueLimits,
    /// `Keep-Alive: timeout=<s>`: a second less than the idle timeout.
    keep_alive: HeaderValue,
    backend: BackendChoice,
    /// Recent failed authentications by peer, to slow down guessing.
    auth_failures: AuthFailures,
    /// Writes completed so far: the read-your-writes token handed out.
    writes: AtomicU64,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn new(
        config: &ProxyConfig,
        storage: Storage,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            storage,
            token: config.token.clone(),
            cors: Cors::new(config.cors_origins.clone()),
            allow_all: config.allow.iter().any(|a| a == "*"),
            allowed: config
                .allow
                .iter()
                .map(|a| a.to_ascii_uppercase())
                .collect(),
            max_body: config.max_body,
            max_reply: config.max_reply,
            max_scan_count: config.max_scan_count,
            inflight: Inflight::new(config.max_inflight),
            body_timeout: config.body_timeout,
            sse_keepalive: config.sse_keepalive,
            keep_alive: HeaderValue::from_str(&format!(
                "timeout={}",
                config.header_timeout.as_secs().saturating_sub(1).max(1)
            ))
            .expect("a number is a valid header value"),
            sse_limits: QueueLimits {
                hard: config.sse_hard_limit,
                soft: config.sse_soft_limit,
                soft_for: config.sse_soft_limit_for,
            },
            backend: config.backend,
            auth_failures: AuthFailures::default(),
            writes: AtomicU64::new(0),
            shutdown,
        }
    }

    fn authorized(&self, parts: &Parts) -> bool {
        match &self.token {
            None => true,
            Some(expected) => presented_token(parts)
                .is_some_and(|given| token_matches(expected.expose().as_bytes(), &given)),
        }
    }

    /// Turns an argument array into a command, refusing administrative commands that are
    /// not allowed and the connection-state commands a request cannot carry.
    pub(crate) fn prepare(&self, args: &[Vec<u8>]) -> Result<Command, Rejection> {
        let name = args
            .first()
            .map(|n| n.to_ascii_uppercase())
            .unwrap_or_default();
        let shown = || String::from_utf8_lossy(&name[..name.len().min(64)]).to_lowercase();
        if let Ok(upper) = std::str::from_utf8(&name) {
            let admin = ADMIN_COMMANDS.contains(&upper)
                || hedgestore_native::CommandKind::from_id(&upper.to_ascii_lowercase())
                    .is_some_and(|k| {
                        k.spec()
                            .flags
                            .contains(hedgestore_native::CommandFlags::ADMIN)
                    });
            if admin && !self.allow_all && !self.allowed.iter().any(|a| a == upper) {
                return Err(Rejection::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "NOPERM this proxy does not run the administrative command '{0}' \
                         (HEDGESTORE_PROXY_ALLOW={0} allows it)",
                        shown()
                    ),
                ));
            }
            match upper {
                "SUBSCRIBE" | "PSUBSCRIBE" | "SSUBSCRIBE" | "UNSUBSCRIBE" | "PUNSUBSCRIBE" => {
                    return Err(Rejection::new(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "ERR '{}' is not a request/response command: subscribe with \
                             GET or POST /subscribe/<channel> (or /psubscribe/<pattern>) as \
                             Server-Sent Events",
                            shown()
                        ),
                    ))
                }
                "MULTI" | "EXEC" | "DISCARD" | "WATCH" | "UNWATCH" => {
                    return Err(Rejection::new(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "ERR '{}' needs a connection: send the transaction's commands \
                             to POST /multi-exec instead",
                            shown()
                        ),
                    ))
                }
                _ => {}
            }
        }
        let mut command = Command::parse(args)
            .map_err(|e| Rejection::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        // COUNT is a hint in Redis too: clamped, SCAN cannot list the keyspace in one call.
        if let Command::Scan {
            count: Some(count), ..
        } = &mut command
        {
            *count = (*count).min(self.max_scan_count);
        }
        Ok(command)
    }

    fn sync_token(&self) -> HeaderValue {
        HeaderValue::from(self.writes.load(Ordering::Acquire))
    }

    pub(crate) fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }
}

/// The service: routes the request, then adds CORS headers for allowed origins.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let mut response = route(&shared, &parts, body).await;
    shared
        .cors
        .decorate(parts.headers.get(ORIGIN), response.headers_mut());
    // Tells clients that pool connections (Node's fetch does) to drop an idle one before
    // the proxy closes it, so no request is sent on a connection being closed.
    response
        .headers_mut()
        .insert(KEEP_ALIVE, shared.keep_alive.clone());
    Ok(response)
}

async fn route(shared: &Shared, parts: &Parts, body: Incoming) -> Response<ProxyBody> {
    let method = &parts.method;
    if method == Method::OPTIONS {
        return shared.cors.preflight(parts);
    }
    let path = parts.uri.path();
    if path == "/health" && (method == Method::GET || method == Method::HEAD) {
        return health_report(&shared.storage, shared.backend, method == Method::HEAD).await;
    }
    let peer = parts.extensions.get::<Peer>().map(|p| p.0);
    if shared.token.is_some() {
        if let Some(peer) = peer {
            // A peer that failed too often waits before its token is even looked at.
            if let Some(delay) = shared.auth_failures.delay(peer) {
                tokio::time::sleep(delay).await;
            }
        }
    }
    if !shared.authorized(parts) {
        if let Some(peer) = peer {
            shared.auth_failures.record(peer);
        }
        let mut response = Rejection::new(
            StatusCode::UNAUTHORIZED,
            "ERR unauthorized: send the proxy's token as 'Authorization: Bearer <token>' \
             or as the _token query parameter",
        )
        .into_response();
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    if path == "/metrics" {
        if method != Method::GET {
            return method_not_allowed(method, "GET");
        }
        return crate::metrics::metrics_report(&shared.storage).await;
    }
    let has_body = method == Method::POST || method == Method::PUT;
    if !has_body && method != Method::GET {
        return method_not_allowed(method, METHODS);
    }
    let encoding = Encoding::from_header(
        parts
            .headers
            .get(ENCODING_HEADER)
            .map(HeaderValue::as_bytes),
    );
    let mut segments = path_segments(path);
    let first = segments.first().map(|s| s.to_ascii_lowercase());
    // What this request holds (body, reply) until its response is sent.
    let mut charge = shared.inflight.charge();
    let response = match first.as_deref() {
        None if has_body => match body_of(shared, parts, body, &mut charge).await {
            Ok(bytes) => match codec::parse_command(&bytes) {
                Ok(args) => run_one(shared, args, encoding, &mut charge).await,
                Err(e) => Rejection::new(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
            },
            Err(rejection) => rejection.into_response(),
        },
        None => Rejection::new(
            StatusCode::BAD_REQUEST,
            "ERR no command: POST a JSON array like [\"GET\",\"key\"] to /, or GET /get/key",
        )
        .into_response(),
        Some(b"pipeline" | b"multi-exec") if segments.len() == 1 => {
            if !has_body {
                return method_not_allowed(method, "POST, PUT, OPTIONS");
            }
            let atomic = first.as_deref() == Some(b"multi-exec");
            match body_of(shared, parts, body, &mut charge).await {
                Ok(bytes) if atomic => multi_exec(shared, &bytes, encoding, &mut charge).await,
                Ok(bytes) => pipeline(shared, &bytes, encoding, &mut charge).await,
                Err(rejection) => rejection.into_response(),
            }
        }
        Some(b"lock") if segments.len() == 2 => {
            if !has_body {
                return method_not_allowed(method, "POST, PUT, OPTIONS");
            }
            match body_of(shared, parts, body, &mut charge).await {
                Ok(bytes) => {
                    lock(shared, &segments[1].to_ascii_lowercase(), &bytes, encoding).await
                }
                Err(rejection) => rejection.into_response(),
            }
        }
        Some(b"subscribe") => {
            return subscribe(
                shared,
                parts,
                SubscriptionKind::Channels,
                segments.split_off(1),
            )
            .await
        }
        Some(b"psubscribe") => {
            return subscribe(
                shared,
                parts,
                SubscriptionKind::Patterns,
                segments.split_off(1),
            )
            .await
        }
        Some(_) => {
            // The path form: /set/key/value?EX=10, a POST body appended as the last argument
            // before the query's.
            if has_body {
                match body_of(shared, parts, body, &mut charge).await {
                    Ok(bytes) if !bytes.is_empty() => segments.push(bytes.to_vec()),
                    Ok(_) => {}
                    Err(rejection) => return rejection.into_response(),
                }
            }
            for (name, value) in query_pairs(parts.uri.query().unwrap_or("")) {
                if name != b"_token" {
                    segments.push(name);
                    if !value.is_empty() {
                        segments.push(value);
                    }
                }
            }
            run_one(shared, segments, encoding, &mut charge).await
        }
    };
    with_sync_token(
        shared,
        hold(response, charge, parts.extensions.get::<ConnectionKill>()),
    )
}

/// The answer on a connection of the health reserve (the connection limit is reached):
/// `/health` as usual, anything else a 503 asking to retry.
pub(crate) async fn at_capacity(
    shared: &Shared,
    request: Request<Incoming>,
) -> Response<ProxyBody> {
    let (parts, _body) = request.into_parts();
    let method = &parts.method;
    let mut response =
        if parts.uri.path() == "/health" && (method == Method::GET || method == Method::HEAD) {
            health_report(&shared.storage, shared.backend, method == Method::HEAD).await
        } else {
            let mut response = Rejection::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ERR the proxy is at its connection limit (HEDGESTORE_PROXY_MAX_CONNECTIONS): \
             retry shortly",
            )
            .into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            response
        };
    shared
        .cors
        .decorate(parts.headers.get(ORIGIN), response.headers_mut());
    response
}

async fn body_of(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
    charge: &mut Charge,
) -> Result<Bytes, Rejection> {
    read_body(parts, body, shared.max_body, shared.body_timeout, charge)
        .await
        .map_err(|refused| match refused {
            BodyRefused::Rejected(rejection) => rejection,
            BodyRefused::Busy => busy(shared),
        })
}

fn with_sync_token(shared: &Shared, mut response: Response<ProxyBody>) -> Response<ProxyBody> {
    response
        .headers_mut()
        .insert(SYNC_TOKEN, shared.sync_token());
    response
}

fn method_not_allowed(method: &Method, allowed: &'static str) -> Response<ProxyBody> {
    let mut response = Rejection::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("ERR method {method} is not allowed here: use {allowed}"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allowed));
    response
}

async fn subscribe(
    shared: &Shared,
    parts: &Parts,
    kind: SubscriptionKind,
    names: Vec<Vec<u8>>,
) -> Response<ProxyBody> {
    if names.is_empty() {
        return Rejection::new(
            StatusCode::BAD_REQUEST,
            "ERR name at least one channel: /subscribe/<channel> or /psubscribe/<pattern>",
        )
        .into_response();
    }
    let body = match SseBody::open(
        &shared.storage,
        kind,
        names,
        shared.sse_keepalive,
        shared.sse_limits,
        (
            parts
                .extensions
                .get::<ConnectionKill>()
                .cloned()
                .unwrap_or_default(),
            shared.inflight.charge(),
        ),
        shared.shutdown.clone(),
    )
    .await
    {
        Ok(body) => body,
        Err(e) => return json(error_status(&e), codec::encode_error(&error_message(&e))),
    };
    let mut response = Response::new(Either::Right(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
