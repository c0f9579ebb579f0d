//! The proxy's configuration: from the environment (what the binary reads) or built in code
//! (what tests and embedding applications do).
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `HEDGESTORE_PROXY_ADDR` | `ip:port` to listen on (port 0 picks a free one) | `127.0.0.1:8079` |
//! | `HEDGESTORE_PROXY_TOKEN` | the bearer token every request must present (never logged), at least 16 characters | required |
//! | `HEDGESTORE_PROXY_INSECURE` | `1` runs without a token (allowed only on a loopback address) or accepts a shorter token | off |
//! | `HEDGESTORE_BACKEND` | `fallback` (Redis with memory fallback), `redis` or `memory` | `fallback` |
//! | `HEDGESTORE_PROXY_CORS_ORIGINS` | comma list of browser origins allowed (`*` for any) | none |
//! | `HEDGESTORE_PROXY_MAX_BODY` | largest request body: bytes, or with `kb`/`mb` (binary) | `1mb` |
//! | `HEDGESTORE_PROXY_MAX_REPLY` | largest reply (a command's, a pipeline's or a transaction's), same units | `8mb` |
//! | `HEDGESTORE_PROXY_MAX_INFLIGHT` | memory held for all clients at once: request bodies, replies until sent, subscriber queues (more waits, then 503) | `256mb` |
//! | `HEDGESTORE_PROXY_MAX_SCAN_COUNT` | `SCAN … COUNT n` is clamped to this | `1000` |
//! | `HEDGESTORE_PROXY_ALLOW` | comma list of administrative commands to allow (`*` for all; `eval,evalsha,script` for Lua scripts, with `eval_ro,evalsha_ro` for their read-only forms) | none |
//! | `HEDGESTORE_PROXY_MAX_CONNECTIONS` | open connections at most (more wait to be accepted) | `10000` |
//! | `HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER` | open connections from one IP address at most (more: 429) | `1000` |
//! | `HEDGESTORE_PROXY_MAX_HEADER` | largest request head (request line + headers; more: 431) | `16kb` |
//! | `HEDGESTORE_PROXY_HEADER_TIMEOUT_MS` | time to send a request head, also the idle keep-alive timeout | `10000` |
//! | `HEDGESTORE_PROXY_SSE_KEEPALIVE_MS` | comment sent on idle subscriptions this often | `15000` |
//! | `HEDGESTORE_PROXY_SSE_HARD_LIMIT` | a subscriber with more events than this waiting is disconnected | `32mb` |
//! | `HEDGESTORE_PROXY_SSE_SOFT_LIMIT` | … or with more than this waiting for the time below | `8mb` |
//! | `HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS` | how long the soft limit may be exceeded | `60000` |
//! | `HEDGESTORE_PROXY_SHUTDOWN_GRACE_MS` | how long shutdown waits for in-flight requests | `10000` |
//!
//! The storage itself is configured by the variables of [`StorageConfig::from_env`]
//! (`REDIS_URL`, `REDIS_HOST`, …, `REDIS_CLUSTER_NODES`, `REDIS_SENTINELS` +
//! `REDIS_SENTINEL_MASTER`, `HEDGESTORE_MAX_MEMORY`, …), on every topology, the memory
//! fallback (the default backend) included.
//!
//! Longer than 600 lines on purpose: the parsing and validation of every setting sit next to
//! the settings table, with their tests.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use hedgestore_native::Result;
use hedgestore_native::Storage;
use hedgestore_native::{parse_bool, parse_size};
use hedgestore_native::{ConfigError, Secret, StorageConfig};

/// Tokens shorter than this are refused unless [`ProxyConfig::insecure`] is set.
pub const MIN_TOKEN_LEN: usize = 16;

/// Which storage the proxy serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// Redis with memory fallback ([`Storage::connect`]): keeps serving through an outage.
    #[default]
    Fallback,
    /// Redis only ([`Storage::redis`]): requests fail with 503 while Redis is down.
    Redis,
    /// The in-memory engine only ([`Storage::memory`]).
    Memory,
}

impl BackendChoice {
    /// `"fallback"`, `"redis"` or `"memory"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendChoice::Fallback => "fallback",
            BackendChoice::Redis => "redis",
            BackendChoice::Memory => "memory",
        }
    }
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Browser origins allowed to call the proxy (CORS).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CorsOrigins {
    /// No cross-origin access (the default): browsers on other origins are refused.
    #[default]
    None,
    /// Any origin (`*`).
    Any,
    /// Exactly these origins (`https://app.example.com`), compared case-insensitively.
    List(Vec<String>),
}

/// Everything the proxy needs besides the storage.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// Where to listen. Default `127.0.0.1:8079`.
    pub addr: SocketAddr,
    /// The bearer token. `None` is allowed only with `insecure` on a loopback address.
    pub token: Option<Secret>,
    /// Run without a token (loopback only), or accept a token shorter than
    /// [`MIN_TOKEN_LEN`].
    pub insecure: bool,
    /// Which storage [`open_storage`](Self::open_storage) builds.
    pub backend: BackendChoice,
    /// CORS origins.
    pub cors_origins: CorsOrigins,
    /// Largest accepted request body in bytes. Default 1 MiB.
    pub max_body: usize,
    /// Largest reply in bytes (a command's, or a whole pipeline's or transaction's): past
    /// it the answer is `ERR reply exceeds … (HEDGESTORE_PROXY_MAX_REPLY)`. Default 8 MiB.
    pub max_reply: usize,
    /// `SCAN … COUNT n` is clamped to this, so SCAN cannot list the keyspace in one call.
    /// Default 1000.
    pub max_scan_count: usize,
    /// Bytes held for all clients at once: request bodies, replies until sent and subscriber
    /// queues (`HEDGESTORE_PROXY_MAX_INFLIGHT`, 256 MiB). A request that does not fit waits
    /// up to 2 s, then is answered 503 before anything is applied; a subscriber that does
    /// not fit is disconnected. At least `max_body + max_reply`.
    pub max_inflight: usize,
    /// Administrative commands allowed anyway (uppercase names; `"*"` allows all).
    pub allow: Vec<String>,
    /// Open connections at most. Default 10 000.
    pub max_connections: usize,
    /// Open connections from one IP address at most. Default 1 000. (Behind a load balancer
    /// or reverse proxy every client shares its address: raise this to `max_connections`.)
    pub max_connections_per_peer: usize,
    /// Largest request head (request line and headers) in bytes; larger ones are answered
    /// 431 and the connection closed. Default 16 KiB.
    pub max_header: usize,
    /// How long a client may take to send a request head, counted from the connection's
    /// start or its previous response, so it is also the idle keep-alive timeout. Default
    /// 10 s.
    pub header_timeout: Duration,
    /// Idle subscriptions get an SSE comment this often (it also detects gone clients).
    pub sse_keepalive: Duration,
    /// A subscriber (SSE stream) with more than this many bytes of events waiting is
    /// disconnected. Default 32 MiB.
    pub sse_hard_limit: usize,
    /// A subscriber with more than this many bytes waiting for [`sse_soft_limit_for`]
    /// is disconnected. Default 8 MiB.
    ///
    /// [`sse_soft_limit_for`]: Self::sse_soft_limit_for
    pub sse_soft_limit: usize,
    /// How long a subscriber may stay above [`sse_soft_limit`](Self::sse_soft_limit).
    /// Default 60 s.
    pub sse_soft_limit_for: Duration,
    /// How long a graceful shutdown waits for in-flight requests. Default 10 s.
    pub shutdown_grace: Duration,
    /// How long a client may take to send a request body. Default 30 s.
    pub body_timeout: Duration,
    /// The storage's own settings (Redis address, memory budget, …).
    pub storage: StorageConfig,
}

impl ProxyConfig {
    /// Defaults, with `token` required on every request.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Some(Secret::new(token)),
            insecure: false,
            ..Self::insecure_loopback()
        }
    }

    /// Defaults without a token: valid only on a loopback address (local development).
    pub fn insecure_loopback() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8079)),
            token: None,
            insecure: true,
            backend: BackendChoice::Fallback,
            cors_origins: CorsOrigins::None,
            max_body: 1 << 20,
            max_reply: 8 << 20,
            max_scan_count: 1000,
            max_inflight: 256 << 20,
            allow: Vec::new(),
            max_connections: 10_000,
            max_connections_per_peer: 1_000,
            max_header: 16 << 10,
            header_timeout: Duration::from_secs(10),
            sse_keepalive: Duration::from_secs(15),
            sse_hard_limit: 32 << 20,
            sse_soft_limit: 8 << 20,
            sse_soft_limit_for: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            storage: StorageConfig::default(),
        }
    }

    /// Reads the variables in the table above (and the storage's) from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the same variables through `lookup` (tests, custom sources).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut config = Self::insecure_loopback();
        config.insecure = false;
        config.storage = StorageConfig::from_lookup(&lookup)?;
        if let Some(v) = get("HEDGESTORE_PROXY_ADDR") {
            config.addr = v.parse().map_err(|_| ConfigError {
                variable: "HEDGESTORE_PROXY_ADDR",
                problem: format!(
                    "'{v}' is not an ip:port address (like 127.0.0.1:8079 or [::1]:8079)"
                ),
            })?;
        }
        config.token = get("HEDGESTORE_PROXY_TOKEN").map(Secret::new);
        if let Some(v) = get("HEDGESTORE_PROXY_INSECURE") {
            config.insecure = parse_bool(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_PROXY_INSECURE",
                problem: format!("'{v}' is not a boolean (1/0, true/false)"),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_BACKEND") {
            config.backend = match v.to_ascii_lowercase().as_str() {
                "fallback" => BackendChoice::Fallback,
                "redis" => BackendChoice::Redis,
                "memory" => BackendChoice::Memory,
                _ => {
                    return Err(ConfigError {
                        variable: "HEDGESTORE_BACKEND",
                        problem: format!("'{v}' is not one of fallback, redis, memory"),
                    })
                }
            };
        }
        if let Some(v) = get("HEDGESTORE_PROXY_CORS_ORIGINS") {
            config.cors_origins = parse_origins(&v)?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_MAX_BODY") {
            config.max_body = parse_size(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_BODY",
                problem: format!("'{v}' is not a size (bytes, or a number with kb or mb)"),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_MAX_REPLY") {
            config.max_reply = parse_size(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_REPLY",
                problem: format!("'{v}' is not a size (bytes, or a number with kb or mb)"),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_MAX_INFLIGHT") {
            config.max_inflight = parse_size(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_INFLIGHT",
                problem: format!("'{v}' is not a size (bytes, or a number with kb or mb)"),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_MAX_SCAN_COUNT") {
            config.max_scan_count = positive(
                "HEDGESTORE_PROXY_MAX_SCAN_COUNT",
                &v,
                "a number of keys per SCAN call",
            )?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_ALLOW") {
            config.allow = v
                .split(',')
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = get("HEDGESTORE_PROXY_MAX_CONNECTIONS") {
            config.max_connections = positive(
                "HEDGESTORE_PROXY_MAX_CONNECTIONS",
                &v,
                "a number of connections",
            )?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER") {
            config.max_connections_per_peer = positive(
                "HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER",
                &v,
                "a number of connections",
            )?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_MAX_HEADER") {
            config.max_header = size("HEDGESTORE_PROXY_MAX_HEADER", &v)?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_HEADER_TIMEOUT_MS") {
            let ms = positive(
                "HEDGESTORE_PROXY_HEADER_TIMEOUT_MS",
                &v,
                "a number of milliseconds",
            )?;
            config.header_timeout = Duration::from_millis(ms as u64);
        }
        if let Some(v) = get("HEDGESTORE_PROXY_SSE_KEEPALIVE_MS") {
            let ms = positive(
                "HEDGESTORE_PROXY_SSE_KEEPALIVE_MS",
                &v,
                "a number of milliseconds",
            )?;
            config.sse_keepalive = Duration::from_millis(ms as u64);
        }
        if let Some(v) = get("HEDGESTORE_PROXY_SSE_HARD_LIMIT") {
            config.sse_hard_limit = size("HEDGESTORE_PROXY_SSE_HARD_LIMIT", &v)?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_SSE_SOFT_LIMIT") {
            config.sse_soft_limit = size("HEDGESTORE_PROXY_SSE_SOFT_LIMIT", &v)?;
        }
        if let Some(v) = get("HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS") {
            let ms = positive(
                "HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS",
                &v,
                "a number of milliseconds",
            )?;
            config.sse_soft_limit_for = Duration::from_millis(ms as u64);
        }
        if let Some(v) = get("HEDGESTORE_PROXY_SHUTDOWN_GRACE_MS") {
            let ms = positive(
                "HEDGESTORE_PROXY_SHUTDOWN_GRACE_MS",
                &v,
                "a number of milliseconds",
            )?;
            config.shutdown_grace = Duration::from_millis(ms as u64);
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the rules that keep the proxy safe: a token is required unless `insecure` is set
    /// and the address is loopback; the token must fit in a header; limits are positive.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.token {
            Some(token) => {
                let t = token.expose();
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(ConfigError {
                        variable: "HEDGESTORE_PROXY_TOKEN",
                        problem:
                            "must be non-empty printable ASCII without spaces (value not shown)"
                                .into(),
                    });
                }
                if t.len() < MIN_TOKEN_LEN && !self.insecure {
                    return Err(ConfigError {
                        variable: "HEDGESTORE_PROXY_TOKEN",
                        problem: format!(
                            "is shorter than {MIN_TOKEN_LEN} characters (value not shown): use a \
                             long random token (openssl rand -hex 32), or \
                             HEDGESTORE_PROXY_INSECURE=1 to accept it anyway"
                        ),
                    });
                }
            }
            None if !self.insecure => {
                return Err(ConfigError {
                    variable: "HEDGESTORE_PROXY_TOKEN",
                    problem: "is required: every request must present it as a bearer token \
                              (for local development only, HEDGESTORE_PROXY_INSECURE=1 runs \
                              without one on a loopback address)"
                        .into(),
                })
            }
            None if !self.addr.ip().is_loopback() => {
                return Err(ConfigError {
                    variable: "HEDGESTORE_PROXY_INSECURE",
                    problem: format!(
                        "is allowed only on a loopback address, not {}: set HEDGESTORE_PROXY_TOKEN",
                        self.addr
                    ),
                })
            }
            None => {}
        }
        if self.max_body == 0 {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_BODY",
                problem: "must be positive".into(),
            });
        }
        if self.max_reply == 0 {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_REPLY",
                problem: "must be positive".into(),
            });
        }
        // A value that can be written in one request can be read back in one reply.
        let largest_value_reply = self.max_body.div_ceil(3).saturating_mul(4) + 64;
        if self.max_reply < largest_value_reply {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_REPLY",
                problem: format!(
                    "{} bytes cannot carry back a value of HEDGESTORE_PROXY_MAX_BODY ({} bytes) \
                     in base64: raise it to at least {largest_value_reply} bytes, or lower \
                     HEDGESTORE_PROXY_MAX_BODY",
                    self.max_reply, self.max_body
                ),
            });
        }
        let one_request = self.max_body.saturating_add(self.max_reply);
        if self.max_inflight < one_request {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_INFLIGHT",
                problem: format!(
                    "{} bytes cannot hold one request of HEDGESTORE_PROXY_MAX_BODY and its reply \
                     of HEDGESTORE_PROXY_MAX_REPLY: raise it to at least {one_request} bytes",
                    self.max_inflight
                ),
            });
        }
        if self.max_scan_count == 0 {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_SCAN_COUNT",
                problem: "must be positive".into(),
            });
        }
        if self.sse_hard_limit == 0 || self.sse_soft_limit == 0 {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_SSE_HARD_LIMIT",
                problem: "the subscriber limits must be positive".into(),
            });
        }
        if self.max_connections_per_peer == 0 {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER",
                problem: "must be positive".into(),
            });
        }
        if self.max_header < 1024 {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_HEADER",
                problem: format!("must be at least 1kb, not {} bytes", self.max_header),
            });
        }
        if self.max_connections == 0 {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_MAX_CONNECTIONS",
                problem: "must be positive".into(),
            });
        }
        Ok(())
    }

    /// Builds the storage [`backend`](Self::backend) names from [`storage`](Self::storage).
    /// `fallback` never fails because Redis is down; `redis` does.
    pub async fn open_storage(&self) -> Result<Storage> {
        match self.backend {
            BackendChoice::Fallback => Storage::connect(self.storage.clone()).await,
            BackendChoice::Redis => Storage::redis(self.storage.clone()).await,
            BackendChoice::Memory => Ok(Storage::new(hedgestore_native::MemoryStorage::open(
                self.storage.memory.clone(),
                &self.storage.durability,
            )?)),
        }
    }
}

fn size(variable: &'static str, v: &str) -> Result<usize, ConfigError> {
    parse_size(v).ok_or_else(|| ConfigError {
        variable,
        problem: format!("'{v}' is not a size (bytes, or a number with kb, mb or gb)"),
    })
}

fn positive(variable: &'static str, v: &str, what: &str) -> Result<usize, ConfigError> {
    v.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ConfigError {
            variable,
            problem: format!("'{v}' is not a positive number ({what})"),
        })
}

fn parse_origins(v: &str) -> Result<CorsOrigins, ConfigError> {
    let mut list = Vec::new();
    for origin in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if origin == "*" {
            return Ok(CorsOrigins::Any);
        }
        let origin = origin.trim_end_matches('/');
        if !(origin.starts_with("http://") || origin.starts_with("https://")) {
            return Err(ConfigError {
                variable: "HEDGESTORE_PROXY_CORS_ORIGINS",
                problem: format!(
                    "'{origin}' is not an origin (scheme://host[:port], like https://app.example.com) or *"
                ),
            });
        }
        list.push(origin.to_ascii_lowercase());
    }
    Ok(if list.is_empty() {
        CorsOrigins::None
    } else {
        CorsOrigins::List(list)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const LONG_TOKEN: &str = "a-token-long-enough-0123";

    #[test]
    fn a_body_limit_the_reply_budget_cannot_answer_is_refused() {
        let err = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("HEDGESTORE_PROXY_MAX_BODY", "300mb"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "HEDGESTORE_PROXY_MAX_REPLY");
        // Nor can the in-flight memory hold one such request and its reply.
        let err = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("HEDGESTORE_PROXY_MAX_BODY", "300mb"),
            ("HEDGESTORE_PROXY_MAX_REPLY", "401mb"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "HEDGESTORE_PROXY_MAX_INFLIGHT");
        let c = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("HEDGESTORE_PROXY_MAX_BODY", "300mb"),
            ("HEDGESTORE_PROXY_MAX_REPLY", "401mb"),
            ("HEDGESTORE_PROXY_MAX_INFLIGHT", "1024mb"),
        ])
        .unwrap();
        assert_eq!(c.max_body, 300 << 20);
        assert_eq!(c.max_inflight, 1 << 30);
    }

    #[test]
    fn short_tokens_are_refused_unless_insecure() {
        let err = from(&[("HEDGESTORE_PROXY_TOKEN", "short-token")]).unwrap_err();
        assert_eq!(err.variable, "HEDGESTORE_PROXY_TOKEN");
        assert!(err.to_string().contains("shorter than 16"), "{err}");
        assert!(!err.to_string().contains("short-token"), "{err}");
        let c = from(&[
            ("HEDGESTORE_PROXY_TOKEN", "short-token"),
            ("HEDGESTORE_PROXY_INSECURE", "1"),
            ("HEDGESTORE_PROXY_ADDR", "0.0.0.0:8079"),
        ])
        .unwrap();
        assert!(c.insecure && c.token.is_some());
    }

    fn from(vars: &[(&str, &str)]) -> Result<ProxyConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxyConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_documented_limits() {
        let c = from(&[("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN)]).unwrap();
        assert_eq!(c.addr, "127.0.0.1:8079".parse().unwrap());
        assert_eq!(c.backend, BackendChoice::Fallback);
        assert_eq!(c.cors_origins, CorsOrigins::None);
        assert_eq!(c.max_body, 1 << 20);
        assert_eq!(c.max_reply, 8 << 20);
        assert_eq!(c.max_scan_count, 1000);
        assert_eq!(c.max_header, 16 << 10);
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert_eq!(c.max_connections, 10_000);
        assert_eq!(c.max_connections_per_peer, 1_000);
        assert_eq!(
            (c.sse_hard_limit, c.sse_soft_limit, c.sse_soft_limit_for),
            (32 << 20, 8 << 20, Duration::from_secs(60))
        );
        assert!(c.allow.is_empty());
        assert!(!c.insecure);
    }

    #[test]
    fn cluster_and_sentinel_settings_reach_the_storage() {
        let c = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("HEDGESTORE_BACKEND", "redis"),
            ("REDIS_CLUSTER_NODES", "127.0.0.1:7000,127.0.0.1:7001"),
        ])
        .unwrap();
        assert_eq!(c.storage.redis.topology.kind(), "cluster");
        let c = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("REDIS_SENTINELS", "127.0.0.1:26379"),
            ("REDIS_SENTINEL_MASTER", "mymaster"),
        ])
        .unwrap();
        assert_eq!(c.storage.redis.topology.kind(), "sentinel");
        // The memory fallback (the default backend) runs over a cluster too.
        let c = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("REDIS_CLUSTER_NODES", "127.0.0.1:7000"),
        ])
        .unwrap();
        assert_eq!(c.backend, BackendChoice::Fallback);
    }

    #[test]
    fn a_token_is_required() {
        let err = from(&[]).unwrap_err();
        assert_eq!(err.variable, "HEDGESTORE_PROXY_TOKEN");
        assert!(
            err.to_string().contains("HEDGESTORE_PROXY_INSECURE"),
            "{err}"
        );
    }

    #[test]
    fn insecure_mode_is_loopback_only() {
        let c = from(&[("HEDGESTORE_PROXY_INSECURE", "1")]).unwrap();
        assert!(c.insecure && c.token.is_none());
        let c = from(&[
            ("HEDGESTORE_PROXY_INSECURE", "1"),
            ("HEDGESTORE_PROXY_ADDR", "[::1]:9000"),
        ])
        .unwrap();
        assert_eq!(c.addr.port(), 9000);
        let err = from(&[
            ("HEDGESTORE_PROXY_INSECURE", "1"),
            ("HEDGESTORE_PROXY_ADDR", "0.0.0.0:8079"),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "HEDGESTORE_PROXY_INSECURE");
    }

    #[test]
    fn every_setting_parses() {
        let c = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("HEDGESTORE_PROXY_ADDR", "0.0.0.0:0"),
            ("HEDGESTORE_BACKEND", "Memory"),
            (
                "HEDGESTORE_PROXY_CORS_ORIGINS",
                "https://App.example.com/, http://localhost:3000",
            ),
            ("HEDGESTORE_PROXY_MAX_BODY", "64kb"),
            ("HEDGESTORE_PROXY_ALLOW", "flushdb, keys"),
            ("HEDGESTORE_PROXY_MAX_CONNECTIONS", "50"),
            ("HEDGESTORE_PROXY_SSE_KEEPALIVE_MS", "250"),
            ("HEDGESTORE_PROXY_SHUTDOWN_GRACE_MS", "500"),
            ("HEDGESTORE_PROXY_MAX_REPLY", "2mb"),
            ("HEDGESTORE_PROXY_MAX_SCAN_COUNT", "50"),
            ("HEDGESTORE_PROXY_MAX_HEADER", "8kb"),
            ("HEDGESTORE_PROXY_HEADER_TIMEOUT_MS", "1500"),
            ("HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER", "7"),
            ("HEDGESTORE_PROXY_SSE_HARD_LIMIT", "1mb"),
            ("HEDGESTORE_PROXY_SSE_SOFT_LIMIT", "256kb"),
            ("HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS", "3000"),
            ("HEDGESTORE_MAX_MEMORY", "16mb"),
        ])
        .unwrap();
        assert_eq!(c.max_reply, 2 << 20);
        assert_eq!(c.max_scan_count, 50);
        assert_eq!(c.max_header, 8 << 10);
        assert_eq!(c.header_timeout, Duration::from_millis(1500));
        assert_eq!(c.max_connections_per_peer, 7);
        assert_eq!(
            (c.sse_hard_limit, c.sse_soft_limit, c.sse_soft_limit_for),
            (1 << 20, 256 << 10, Duration::from_secs(3))
        );
        assert_eq!(c.backend, BackendChoice::Memory);
        assert_eq!(
            c.cors_origins,
            CorsOrigins::List(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ])
        );
        assert_eq!(c.max_body, 64 << 10);
        assert_eq!(c.allow, ["FLUSHDB", "KEYS"]);
        assert_eq!(c.max_connections, 50);
        assert_eq!(c.sse_keepalive, Duration::from_millis(250));
        assert_eq!(c.shutdown_grace, Duration::from_millis(500));
        assert_eq!(c.storage.memory.max_memory, 16 << 20);
        let any = from(&[
            ("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN),
            ("HEDGESTORE_PROXY_CORS_ORIGINS", "*"),
        ])
        .unwrap();
        assert_eq!(any.cors_origins, CorsOrigins::Any);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (var, value) in [
            ("HEDGESTORE_PROXY_ADDR", "localhost"),
            ("HEDGESTORE_BACKEND", "postgres"),
            ("HEDGESTORE_PROXY_CORS_ORIGINS", "example.com"),
            ("HEDGESTORE_PROXY_MAX_BODY", "huge"),
            ("HEDGESTORE_PROXY_INSECURE", "maybe"),
            ("HEDGESTORE_PROXY_MAX_CONNECTIONS", "0"),
            ("HEDGESTORE_PROXY_MAX_REPLY", "lots"),
            ("HEDGESTORE_PROXY_MAX_SCAN_COUNT", "-1"),
            ("HEDGESTORE_PROXY_MAX_HEADER", "16 kilobytes"),
            ("HEDGESTORE_PROXY_HEADER_TIMEOUT_MS", "0"),
            ("HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER", "many"),
            ("HEDGESTORE_PROXY_SSE_HARD_LIMIT", "x"),
            ("HEDGESTORE_PROXY_SSE_SOFT_LIMIT", "0"),
            ("HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS", "soon"),
        ] {
            let err = from(&[("HEDGESTORE_PROXY_TOKEN", LONG_TOKEN), (var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{err}");
            assert!(err.to_string().contains(value), "{err}");
        }
    }

    #[test]
    fn the_token_never_shows() {
        let c = from(&[("HEDGESTORE_PROXY_TOKEN", "hunter2-token-long-enough")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        let err = from(&[("HEDGESTORE_PROXY_TOKEN", "bad hunter2 token")]).unwrap_err();
        assert_eq!(err.variable, "HEDGESTORE_PROXY_TOKEN");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
