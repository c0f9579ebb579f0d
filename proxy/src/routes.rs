//! The endpoints: what each request means and how it is answered.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hedgestore_core::codec::{self, Encoding, ENCODING_HEADER};
use hedgestore_core::{Command, Reply};
use http_body_util::Either;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, ORIGIN, WWW_AUTHENTICATE};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::watch;

use crate::config::{BackendChoice, ProxyConfig};
use crate::cors::{Cors, METHODS};
use crate::health::health_report;
use crate::request::{path_segments, presented_token, query_pairs, read_body, token_matches};
use crate::response::{error_message, error_status, json, ProxyBody, Rejection};
use crate::sse::{SseBody, SubscriptionKind};
use hedgestore_native::Secret;
use hedgestore_native::Storage;

/// The response header carrying the read-your-writes token.
const SYNC_TOKEN: &str = "upstash-sync-token";

/// Commands refused unless `HEDGESTORE_PROXY_ALLOW` names them: they act on the whole
/// keyspace or the server rather than on keys. (Most are not commands of the storage at all
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

/// What every request handler shares.
pub(crate) struct Shared {
    pub(crate) storage: Storage,
    token: Option<Secret>,
    cors: Cors,
    allow_all: bool,
    allowed: Vec<String>,
    max_body: usize,
    body_timeout: Duration,
    sse_keepalive: Duration,
    backend: BackendChoice,
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
            body_timeout: config.body_timeout,
            sse_keepalive: config.sse_keepalive,
            backend: config.backend,
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
    fn prepare(&self, args: &[Vec<u8>]) -> Result<Command, Rejection> {
        let name = args
            .first()
            .map(|n| n.to_ascii_uppercase())
            .unwrap_or_default();
        let shown = || String::from_utf8_lossy(&name[..name.len().min(64)]).to_lowercase();
        if let Ok(upper) = std::str::from_utf8(&name) {
            if ADMIN_COMMANDS.contains(&upper)
                && !self.allow_all
                && !self.allowed.iter().any(|a| a == upper)
            {
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
        Command::parse(args).map_err(|e| Rejection::new(StatusCode::BAD_REQUEST, e.to_string()))
    }

    fn sync_token(&self) -> HeaderValue {
        HeaderValue::from(self.writes.load(Ordering::Acquire))
    }

    fn wrote(&self) {
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
    if !shared.authorized(parts) {
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
    let has_body = method == Method::POST || method == Method::PUT;
    if !has_body && method != Method::GET {
        return method_not_allowed(method);
    }
    let encoding = Encoding::from_header(
        parts
            .headers
            .get(ENCODING_HEADER)
            .map(HeaderValue::as_bytes),
    );
    let mut segments = path_segments(path);
    let first = segments.first().map(|s| s.to_ascii_lowercase());
    let response = match first.as_deref() {
        None if has_body => match body_of(shared, parts, body).await {
            Ok(bytes) => match codec::parse_command(&bytes) {
                Ok(args) => run_one(shared, args, encoding).await,
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
                return method_not_allowed(method);
            }
            let atomic = first.as_deref() == Some(b"multi-exec");
            match body_of(shared, parts, body).await {
                Ok(bytes) if atomic => multi_exec(shared, &bytes, encoding).await,
                Ok(bytes) => pipeline(shared, &bytes, encoding).await,
                Err(rejection) => rejection.into_response(),
            }
        }
        Some(b"subscribe") => {
            return subscribe(shared, SubscriptionKind::Channels, segments.split_off(1)).await
        }
        Some(b"psubscribe") => {
            return subscribe(shared, SubscriptionKind::Patterns, segments.split_off(1)).await
        }
        Some(_) => {
            // The path form: /set/key/value?EX=10, a POST body appended as the last argument
            // before the query's.
            if has_body {
                match body_of(shared, parts, body).await {
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
            run_one(shared, segments, encoding).await
        }
    };
    with_sync_token(shared, response)
}

async fn body_of(shared: &Shared, parts: &Parts, body: Incoming) -> Result<Bytes, Rejection> {
    read_body(parts, body, shared.max_body, shared.body_timeout).await
}

fn with_sync_token(shared: &Shared, mut response: Response<ProxyBody>) -> Response<ProxyBody> {
    response
        .headers_mut()
        .insert(SYNC_TOKEN, shared.sync_token());
    response
}

fn method_not_allowed(method: &Method) -> Response<ProxyBody> {
    let mut response = Rejection::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("ERR method {method} is not allowed here: use {METHODS}"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(METHODS));
    response
}

async fn run_one(shared: &Shared, args: Vec<Vec<u8>>, encoding: Encoding) -> Response<ProxyBody> {
    let command = match shared.prepare(&args) {
        Ok(command) => command,
        Err(rejection) => return rejection.into_response(),
    };
    let write = command.is_write();
    match shared.storage.execute(command).await {
        Ok(reply) => {
            if write {
                shared.wrote();
            }
            json(StatusCode::OK, codec::encode_result(&reply, encoding))
        }
        Err(e) => json(error_status(&e), codec::encode_error(&error_message(&e))),
    }
}

/// `/pipeline`: the commands run in order, each on its own (as a Redis pipeline: a failing
/// command does not stop the others), one `{"result"}` or `{"error"}` each.
async fn pipeline(shared: &Shared, body: &[u8], encoding: Encoding) -> Response<ProxyBody> {
    let commands = match codec::parse_pipeline(body) {
        Ok(commands) => commands,
        Err(e) => return Rejection::new(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let mut outcomes: Vec<Result<Reply, String>> = Vec::with_capacity(commands.len());
    let mut wrote = false;
    for args in commands {
        let outcome = match shared.prepare(&args) {
            Err(rejection) => Err(rejection.message),
            Ok(command) => {
                let write = command.is_write();
                let result = shared.storage.execute(command).await;
                wrote |= write && result.is_ok();
                result.map_err(|e| error_message(&e))
            }
        };
        outcomes.push(outcome);
    }
    if wrote {
        shared.wrote();
    }
    let body = codec::encode_batch(
        outcomes.iter().map(|o| o.as_ref().map_err(String::as_str)),
        encoding,
    );
    json(StatusCode::OK, body)
}

/// `/multi-exec`: all-or-nothing. Every command is checked first; then the batch runs as one
/// storage transaction. Any failure applies nothing and answers one `{"error"}` naming the
/// failing command.
async fn multi_exec(shared: &Shared, body: &[u8], encoding: Encoding) -> Response<ProxyBody> {
    let parsed = match codec::parse_pipeline(body) {
        Ok(commands) => commands,
        Err(e) => return Rejection::new(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let mut commands = Vec::with_capacity(parsed.len());
    for (index, args) in parsed.iter().enumerate() {
        match shared.prepare(args) {
            Ok(command) => commands.push(command),
            Err(rejection) => {
                let name = args
                    .first()
                    .map(|n| n.to_ascii_lowercase())
                    .unwrap_or_default();
                let name = String::from_utf8_lossy(&name[..name.len().min(64)]).into_owned();
                return Rejection::new(
                    rejection.status,
                    format!(
                        "EXECABORT command #{index} ({name}) failed, nothing was applied: {}",
                        rejection.message
                    ),
                )
                .into_response();
            }
        }
    }
    if commands.is_empty() {
        return json(StatusCode::OK, "[]".to_string());
    }
    let write = commands.iter().any(Command::is_write);
    match shared
        .storage
        .backend()
        .execute_transaction(Vec::new(), commands)
        .await
    {
        Ok(replies) => {
            if write {
                shared.wrote();
            }
            json(
                StatusCode::OK,
                codec::encode_batch(replies.iter().map(Ok), encoding),
            )
        }
        Err(e) => json(error_status(&e), codec::encode_error(&error_message(&e))),
    }
}

async fn subscribe(
    shared: &Shared,
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
