//! Configuration: from the environment (the variables below, as a deployment sets them) or
//! built in code.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `REDIS_URL` | `redis://[user:password@]host:port/db` (`rediss://` for TLS); wins over the four below | — |
//! | `REDIS_HOST` | Redis host | `localhost` |
//! | `REDIS_PORT` | Redis port | `6379` |
//! | `REDIS_DB` | database number | `0` |
//! | `REDIS_PASSWORD` | password (never logged or printed) | none |
//! | `REDIS_CLUSTER_NODES` | `host:port,…` seed nodes of a Redis Cluster (see [`RedisTopology`]) | none |
//! | `REDIS_SENTINELS` | `host:port,…` Sentinels watching the master | none |
//! | `REDIS_SENTINEL_MASTER` | the master's name in Sentinel (or `REDIS_URL=redis+sentinel://host:port,…/<name>[/<db>]`) | none |
//! | `HEDGESTORE_MAX_MEMORY` | memory budget of the in-memory engine: bytes, or with a `kb`/`mb`/`gb` suffix (binary) | `1gb` |
//! | `HEDGESTORE_EVICTION_THRESHOLD` | eviction starts past this percentage of the budget (1–100) | `90` |
//! | `HEDGESTORE_EVICTION_POLICY` | `allkeys-lru`, `allkeys-lfu`, `volatile-lru`, `volatile-lfu`, `volatile-ttl` or `noeviction` | `allkeys-lru` |
//! | `HEDGESTORE_MEMORY_SHARDS` | shards of the in-memory engine (1–16384; see [`MemoryConfig::shards`]) | 1 on one core; else 16, or the power of two ≥ 2 × cores when more (at most 256) |
//! | `HEDGESTORE_CLEANUP_INTERVAL_MS` | full expiry sweep at least this often | `60000` |
//! | `HEDGESTORE_DATA_DIR` | memory-only storage logs its writes here and restarts from them (see [`Durability`]); with Redis, the fallback's outage journal is written here | none (nothing written) |
//! | `HEDGESTORE_FSYNC` | when logged writes reach the disk: `always`, `everysec` or `no` | `everysec` |
//! | `HEDGESTORE_JOURNAL_MAX_BYTES` | bound of the fallback's outage journal | `64mb` |
//! | `HEDGESTORE_JOURNAL_OVERFLOW` | `reject` (refuse writes when full) or `drop` (drop the journal, write memory's keys back) | `reject` |
//! | `HEDGESTORE_LOCK_FALLBACK` | `fail` (no locks during an outage) or `local` (memory locks) | `fail` |
//! | `HEDGESTORE_MIRROR_WRITES` | mirror writes into memory while Redis is healthy | `true` |
//!
//! An invalid value is a [`ConfigError`] naming the variable and what is wrong with the
//! value, never echoing a secret.
//!
//! Longer than 600 lines on purpose: the parsing and validation of every setting sit next to
//! the settings table, with their tests.

use std::fmt;
use std::time::Duration;

use hedgestore_core::{EngineConfig, EvictionPolicy};

use crate::durable::{Durability, Fsync};
use crate::topology::{parse_nodes, parse_sentinel_url, NodeAddr, RedisTopology};

/// A configuration value that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable (or setting) at fault.
    pub variable: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

/// A secret string (password, URL with credentials): `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must use it (the connection).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where Redis is.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisConfig {
    /// A full URL; when set it wins over host, port, db and password.
    pub url: Option<Secret>,
    /// Host name or address. Default `localhost`.
    pub host: String,
    /// Port. Default 6379.
    pub port: u16,
    /// Database number. Default 0.
    pub db: u32,
    /// Password, if the server requires one.
    pub password: Option<Secret>,
    /// One server, a Redis Cluster or a Sentinel-watched master. Default one server.
    pub topology: RedisTopology,
    /// How long one connection attempt may take. Default 1 s.
    pub connect_timeout: Duration,
    /// How long an operation may take in all, retries included, before it fails with
    /// `Unavailable`. Default 1 s.
    pub response_timeout: Duration,
    /// How often a PING checks the connection. Default 1 s.
    pub health_check_interval: Duration,
    /// How long a health-check PING (on its own connection) may go unanswered before Redis
    /// is declared down and the fallback switches to memory. A command that times out is
    /// not an outage by itself: it makes the health check run at once. Default 2 s.
    pub health_check_timeout: Duration,
    /// Reconnect backoff: first delay. Default 50 ms.
    pub backoff_base: Duration,
    /// Reconnect backoff: growth factor per attempt. Default 2.
    pub backoff_factor: f32,
    /// Reconnect backoff: longest delay between attempts. Default 2 s.
    pub backoff_max_delay: Duration,
    /// Reconnect attempts per reconnect cycle (the health check starts a new cycle).
    /// Default 6.
    pub backoff_max_attempts: usize,
    /// Redis was asked for: some `REDIS_*` variable was set, or a Redis address setter was
    /// called. When it was not and nothing answers on the default address,
    /// [`Storage::connect`](crate::Storage::connect) (and so `get_storage()`) serves from
    /// memory only, with local locks, instead of waiting for a Redis nobody configured.
    /// Default `false`.
    pub explicit: bool,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            host: "localhost".into(),
            port: 6379,
            db: 0,
            password: None,
            topology: RedisTopology::Single,
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            health_check_interval: Duration::from_secs(1),
            health_check_timeout: Duration::from_secs(2),
            backoff_base: Duration::from_millis(50),
            backoff_factor: 2.0,
            backoff_max_delay: Duration::from_secs(2),
            backoff_max_attempts: 6,
            explicit: false,
        }
    }
}

impl RedisConfig {
    /// Checks that the topology and the other settings fit together (see
    /// [`RedisTopology`]): no plain `REDIS_URL` next to cluster nodes or Sentinels, database
    /// 0 on a cluster, a master name and at least one address.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.topology {
            RedisTopology::Single => Ok(()),
            RedisTopology::Cluster { nodes } => {
                if nodes.is_empty() {
                    return Err(ConfigError {
                        variable: "REDIS_CLUSTER_NODES",
                        problem: "no seed node given".into(),
                    });
                }
                if self.url.is_some() {
                    return Err(ConfigError {
                        variable: "REDIS_URL",
                        problem: "set together with REDIS_CLUSTER_NODES: give the cluster's seed nodes in REDIS_CLUSTER_NODES and the password in REDIS_PASSWORD".into(),
                    });
                }
                if self.db != 0 {
                    return Err(ConfigError {
                        variable: "REDIS_DB",
                        problem: format!(
                            "{} with a Redis Cluster, which has only database 0",
                            self.db
                        ),
                    });
                }
                Ok(())
            }
            RedisTopology::Sentinel { sentinels, master } => {
                if sentinels.is_empty() {
                    return Err(ConfigError {
                        variable: "REDIS_SENTINELS",
                        problem: "no Sentinel given".into(),
                    });
                }
                if master.is_empty() {
                    return Err(ConfigError {
                        variable: "REDIS_SENTINEL_MASTER",
                        problem: "the master name is empty".into(),
                    });
                }
                if self.url.is_some() {
                    return Err(ConfigError {
                        variable: "REDIS_URL",
                        problem: "set together with REDIS_SENTINELS: give the Sentinels in REDIS_SENTINELS (or the whole setup as a redis+sentinel:// REDIS_URL)".into(),
                    });
                }
                Ok(())
            }
        }
    }

    /// The URL to connect to (a secret: it may carry the password).
    pub fn connection_url(&self) -> Secret {
        if let Some(url) = &self.url {
            return url.clone();
        }
        let auth = match &self.password {
            Some(pw) => format!(":{}@", percent_encode(pw.expose())),
            None => String::new(),
        };
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host) // an IPv6 literal
        } else {
            self.host.clone()
        };
        Secret::new(format!("redis://{auth}{host}:{}/{}", self.port, self.db))
    }
}

pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `REDIS_CLUSTER_NODES` / `REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER`, checked for mixed
/// settings. `sentinel_url`: a `redis+sentinel://` `REDIS_URL` gives the Sentinels.
fn topology_from(
    get: &impl Fn(&str) -> Option<String>,
    sentinel_url: bool,
) -> Result<RedisTopology, ConfigError> {
    let cluster = get("REDIS_CLUSTER_NODES");
    let sentinels = get("REDIS_SENTINELS");
    let master = get("REDIS_SENTINEL_MASTER");
    if cluster.is_some() && (sentinels.is_some() || master.is_some()) {
        return Err(ConfigError {
            variable: "REDIS_CLUSTER_NODES",
            problem: "set together with REDIS_SENTINELS/REDIS_SENTINEL_MASTER: a deployment is either a cluster or Sentinel-watched, choose one".into(),
        });
    }
    if sentinel_url && (sentinels.is_some() || master.is_some()) {
        return Err(ConfigError {
            variable: "REDIS_SENTINELS",
            problem: "set together with a redis+sentinel:// REDIS_URL: choose one".into(),
        });
    }
    if let Some(nodes) = cluster {
        return Ok(RedisTopology::Cluster {
            nodes: parse_nodes("REDIS_CLUSTER_NODES", &nodes)?,
        });
    }
    match (sentinels, master) {
        (None, None) => Ok(RedisTopology::Single),
        (Some(list), Some(master)) => Ok(RedisTopology::Sentinel {
            sentinels: parse_nodes("REDIS_SENTINELS", &list)?,
            master,
        }),
        (Some(_), None) => Err(ConfigError {
            variable: "REDIS_SENTINEL_MASTER",
            problem: "missing: REDIS_SENTINELS needs the master's name too".into(),
        }),
        (None, Some(_)) => Err(ConfigError {
            variable: "REDIS_SENTINELS",
            problem: "missing: REDIS_SENTINEL_MASTER needs the Sentinels' host:port list too"
                .into(),
        }),
    }
}

/// Settings of the in-memory engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryConfig {
    /// Memory budget in bytes. Default 1 GiB.
    pub max_memory: usize,
    /// Eviction starts past this percentage of `max_memory`. Default 90.
    pub eviction_threshold_percent: u8,
    /// What to evict. Default all keys, least recently used first.
    pub eviction_policy: EvictionPolicy,
    /// A full expiry sweep runs at least this often. Default 60 s.
    pub cleanup_interval: Duration,
    /// How many shards the keyspace is spread over, each an engine behind its own lock, so
    /// that commands on different keys run in parallel (keys are placed by a hash of the
    /// key, or of its `{hash tag}`: keys sharing a tag share a shard). Each shard gets an
    /// equal part of `max_memory` and evicts its own keys, so a single value larger than
    /// `max_memory / shards` cannot be stored. 1 is a single engine behind one lock, with
    /// no routing at all. Default [`MemoryConfig::default_shards`] (1 on one core, 16 on
    /// 2–8 cores); 0 counts as 1.
    pub shards: usize,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        let engine = EngineConfig::default();
        Self {
            max_memory: engine.max_memory,
            eviction_threshold_percent: engine.eviction_threshold_percent,
            eviction_policy: engine.eviction_policy,
            cleanup_interval: Duration::from_millis(engine.cleanup_interval),
            shards: Self::default_shards(),
        }
    }
}

impl MemoryConfig {
    /// The default number of shards for this machine: see [`shards_for_cores`](Self::shards_for_cores).
    pub fn default_shards() -> usize {
        Self::shards_for_cores(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// The number of shards chosen for `cores` cores: 1 on one core (no two commands run at
    /// once, so shards would only add the cost of placing each key: a hash of it before
    /// the lock), else 16, or the power of two at least twice the cores when that is more
    /// (at most 256), so that two threads rarely want the same shard.
    ///
    /// Measured on 2 cores (BENCHMARKS.md §11): with 16 shards a command through
    /// `MemoryStorage` costs about 64 more instructions than with one (routing), within the
    /// noise of its one-thread throughput, and two threads ran 2.2x the one-shard
    /// storage's throughput.
    pub fn shards_for_cores(cores: usize) -> usize {
        if cores <= 1 {
            1
        } else {
            (2 * cores).next_power_of_two().clamp(16, 256)
        }
    }

    /// The engine configuration these settings describe (each shard's budget is
    /// `max_memory / shards`).
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            max_memory: self.max_memory,
            eviction_threshold_percent: self.eviction_threshold_percent,
            eviction_policy: self.eviction_policy,
            cleanup_interval: self.cleanup_interval.as_millis() as u64,
            ..EngineConfig::default()
        }
    }
}

/// What the fallback storage does when the outage journal is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JournalOverflow {
    /// Refuse further writes with `Unavailable` until Redis is back (nothing is lost;
    /// callers see errors). The default.
    #[default]
    RejectWrites,
    /// Keep accepting writes on memory and drop the journal; when Redis is back, every key in
    /// memory is written to Redis instead of replaying commands (writes to keys memory
    /// evicted meanwhile are lost for Redis).
    DropJournal,
}

/// Where locks go while Redis is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockFallback {
    /// `acquire_lock` fails with `Unavailable`: a memory lock is not distributed, so handing
    /// one out could let two processes hold "the same" lock. The default.
    #[default]
    FailClosed,
    /// Use local (memory) locks during the outage.
    Local,
}

/// Settings of the Redis-with-memory-fallback storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackConfig {
    /// Mirror writes made while Redis is healthy into memory, so an outage serves last-known
    /// values. Default on. Each write copies itself into memory before it returns, unless
    /// another caller is copying at that moment: it then leaves its copy in a queue that
    /// caller copies too (one engine lock for many writes under contention). At most 1,024
    /// copies wait (a write that finds that many waits and copies them), and anything that
    /// reads memory for the fallback (a failover, a read served from memory, the recovery)
    /// copies what waits first.
    pub mirror_writes: bool,
    /// Bound of the outage journal, in bytes of command arguments. Default 64 MiB.
    pub journal_max_bytes: usize,
    /// What happens when the journal is full. Default [`JournalOverflow::RejectWrites`].
    pub journal_overflow: JournalOverflow,
    /// Locks during an outage. Default [`LockFallback::FailClosed`].
    pub lock_fallback: LockFallback,
}

impl Default for FallbackConfig {
    fn default() -> Self {
        Self {
            mirror_writes: true,
            journal_max_bytes: 64 << 20,
            journal_overflow: JournalOverflow::RejectWrites,
            lock_fallback: LockFallback::FailClosed,
        }
    }
}

/// Everything a storage needs to start. Build it in code with the chainable setters, or
/// read it with [`StorageConfig::from_env`].
///
/// ```
/// use hedgestore_native::StorageConfig;
/// use hedgestore_core::EvictionPolicy;
///
/// let config = StorageConfig::default()
///     .redis_host("cache.internal")
///     .redis_password("s3cret")
///     .max_memory(256 << 20)
///     .eviction_policy(EvictionPolicy::VolatileLru);
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageConfig {
    /// Where Redis is.
    pub redis: RedisConfig,
    /// The in-memory engine.
    pub memory: MemoryConfig,
    /// The fallback between them.
    pub fallback: FallbackConfig,
    /// The data directory: the append-only log of memory-only storage, and the fallback's
    /// outage journal on disk (`hedgestore-outage.journal`: outage writes survive a crash).
    pub durability: Durability,
}

impl StorageConfig {
    /// Reads the variables in the table above from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the same variables through `lookup` (for tests and custom sources).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        config.redis.explicit = [
            "REDIS_URL",
            "REDIS_HOST",
            "REDIS_PORT",
            "REDIS_DB",
            "REDIS_PASSWORD",
            "REDIS_CLUSTER_NODES",
            "REDIS_SENTINELS",
            "REDIS_SENTINEL_MASTER",
        ]
        .iter()
        .any(|name| get(name).is_some());
        let sentinel_url = match get("REDIS_URL") {
            Some(url) if url.starts_with("redis+sentinel://") => Some(parse_sentinel_url(&url)?),
            _ => None,
        };
        if let Some(url) = get("REDIS_URL").filter(|_| sentinel_url.is_none()) {
            if !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("unix://"))
            {
                return Err(ConfigError {
                    variable: "REDIS_URL",
                    problem: "must start with redis://, rediss://, unix:// or redis+sentinel:// (value not shown: it may hold a password)".into(),
                });
            }
            config.redis.url = Some(Secret::new(url));
        }
        if let Some(host) = get("REDIS_HOST") {
            config.redis.host = host;
        }
        if let Some(port) = get("REDIS_PORT") {
            config.redis.port =
                port.parse()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| ConfigError {
                        variable: "REDIS_PORT",
                        problem: format!("'{port}' is not a port number (1-65535)"),
                    })?;
        }
        if let Some(db) = get("REDIS_DB") {
            config.redis.db = db.parse().map_err(|_| ConfigError {
                variable: "REDIS_DB",
                problem: format!("'{db}' is not a database number (0, 1, 2, …)"),
            })?;
        }
        if let Some(pw) = get("REDIS_PASSWORD") {
            config.redis.password = Some(Secret::new(pw));
        }
        config.redis.topology = topology_from(&get, sentinel_url.is_some())?;
        if let Some(url) = sentinel_url {
            if matches!(config.redis.topology, RedisTopology::Cluster { .. }) {
                return Err(ConfigError {
                    variable: "REDIS_CLUSTER_NODES",
                    problem: "set together with a redis+sentinel:// REDIS_URL: choose one".into(),
                });
            }
            config.redis.topology = RedisTopology::Sentinel {
                sentinels: url.sentinels,
                master: url.master,
            };
            if let Some(db) = url.db {
                config.redis.db = db;
            }
            if url.password.is_some() {
                config.redis.password = url.password;
            }
        }
        config.redis.validate()?;
        if let Some(v) = get("HEDGESTORE_MAX_MEMORY") {
            config.memory.max_memory = parse_size(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_MAX_MEMORY",
                problem: format!("'{v}' is not a size (bytes, or a number with kb, mb or gb)"),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_DATA_DIR") {
            config.durability.data_dir = Some(v.into());
        }
        if let Some(v) = get("HEDGESTORE_FSYNC") {
            config.durability.fsync = Fsync::parse(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_FSYNC",
                problem: format!("'{v}' is not one of always, everysec, no"),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_EVICTION_THRESHOLD") {
            config.memory.eviction_threshold_percent = v
                .trim_end_matches('%')
                .parse()
                .ok()
                .filter(|p| (1..=100).contains(p))
                .ok_or_else(|| ConfigError {
                    variable: "HEDGESTORE_EVICTION_THRESHOLD",
                    problem: format!("'{v}' is not a percentage from 1 to 100"),
                })?;
        }
        if let Some(v) = get("HEDGESTORE_EVICTION_POLICY") {
            config.memory.eviction_policy = parse_policy(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_EVICTION_POLICY",
                problem: format!(
                    "'{v}' is not one of allkeys-lru, allkeys-lfu, volatile-lru, volatile-lfu, \
                     volatile-ttl, noeviction"
                ),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_MEMORY_SHARDS") {
            config.memory.shards = v
                .parse()
                .ok()
                .filter(|n| (1..=16384).contains(n))
                .ok_or_else(|| ConfigError {
                    variable: "HEDGESTORE_MEMORY_SHARDS",
                    problem: format!("'{v}' is not a number of shards from 1 to 16384"),
                })?;
        }
        if let Some(v) = get("HEDGESTORE_CLEANUP_INTERVAL_MS") {
            let ms: u64 = v
                .parse()
                .ok()
                .filter(|ms| *ms > 0)
                .ok_or_else(|| ConfigError {
                    variable: "HEDGESTORE_CLEANUP_INTERVAL_MS",
                    problem: format!("'{v}' is not a positive number of milliseconds"),
                })?;
            config.memory.cleanup_interval = Duration::from_millis(ms);
        }
        if let Some(v) = get("HEDGESTORE_JOURNAL_MAX_BYTES") {
            config.fallback.journal_max_bytes = parse_size(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_JOURNAL_MAX_BYTES",
                problem: format!("'{v}' is not a size (bytes, or a number with kb, mb or gb)"),
            })?;
        }
        if let Some(v) = get("HEDGESTORE_JOURNAL_OVERFLOW") {
            config.fallback.journal_overflow = match v.to_ascii_lowercase().as_str() {
                "reject" | "reject-writes" => JournalOverflow::RejectWrites,
                "drop" | "drop-journal" => JournalOverflow::DropJournal,
                _ => {
                    return Err(ConfigError {
                        variable: "HEDGESTORE_JOURNAL_OVERFLOW",
                        problem: format!("'{v}' is not one of reject, drop"),
                    })
                }
            };
        }
        if let Some(v) = get("HEDGESTORE_LOCK_FALLBACK") {
            config.fallback.lock_fallback = match v.to_ascii_lowercase().as_str() {
                "fail" | "fail-closed" => LockFallback::FailClosed,
                "local" => LockFallback::Local,
                _ => {
                    return Err(ConfigError {
                        variable: "HEDGESTORE_LOCK_FALLBACK",
                        problem: format!("'{v}' is not one of fail, local"),
                    })
                }
            };
        }
        if let Some(v) = get("HEDGESTORE_MIRROR_WRITES") {
            config.fallback.mirror_writes = parse_bool(&v).ok_or_else(|| ConfigError {
                variable: "HEDGESTORE_MIRROR_WRITES",
                problem: format!("'{v}' is not a boolean (true/false)"),
            })?;
        }
        Ok(config)
    }

    /// Connect to Redis at this URL (wins over host/port/db/password).
    pub fn redis_url(mut self, url: impl Into<String>) -> Self {
        self.redis.explicit = true;
        self.redis.url = Some(Secret::new(url));
        self
    }
    /// Redis host.
    pub fn redis_host(mut self, host: impl Into<String>) -> Self {
        self.redis.explicit = true;
        self.redis.host = host.into();
        self
    }
    /// Redis port.
    pub fn redis_port(mut self, port: u16) -> Self {
        self.redis.explicit = true;
        self.redis.port = port;
        self
    }
    /// Redis database number.
    pub fn redis_db(mut self, db: u32) -> Self {
        self.redis.explicit = true;
        self.redis.db = db;
        self
    }
    /// Redis password.
    pub fn redis_password(mut self, password: impl Into<String>) -> Self {
        self.redis.explicit = true;
        self.redis.password = Some(Secret::new(password));
        self
    }

    /// A Redis Cluster reached through these seed nodes (`REDIS_CLUSTER_NODES`).
    pub fn redis_cluster(mut self, nodes: impl IntoIterator<Item = NodeAddr>) -> Self {
        self.redis.topology = RedisTopology::Cluster {
            nodes: nodes.into_iter().collect(),
        };
        self.redis.explicit = true;
        self
    }

    /// A master found through these Sentinels under the name `master`, followed across
    /// failovers (`REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER`).
    pub fn redis_sentinel(
        mut self,
        sentinels: impl IntoIterator<Item = NodeAddr>,
        master: impl Into<String>,
    ) -> Self {
        self.redis.topology = RedisTopology::Sentinel {
            sentinels: sentinels.into_iter().collect(),
            master: master.into(),
        };
        self.redis.explicit = true;
        self
    }

    /// Operation timeout (retries included) for Redis.
    pub fn redis_response_timeout(mut self, timeout: Duration) -> Self {
        self.redis.response_timeout = timeout;
        self
    }
    /// Connection attempt timeout for Redis.
    pub fn redis_connect_timeout(mut self, timeout: Duration) -> Self {
        self.redis.connect_timeout = timeout;
        self
    }
    /// Interval of the Redis health-check PING.
    pub fn redis_health_check_interval(mut self, interval: Duration) -> Self {
        self.redis.health_check_interval = interval;
        self
    }
    /// How long a health-check PING may go unanswered before Redis counts as down.
    pub fn redis_health_check_timeout(mut self, timeout: Duration) -> Self {
        self.redis.health_check_timeout = timeout;
        self
    }
    /// Reconnect backoff: first delay, growth factor, longest delay, attempts per cycle.
    pub fn redis_backoff(
        mut self,
        base: Duration,
        factor: f32,
        max_delay: Duration,
        max_attempts: usize,
    ) -> Self {
        self.redis.backoff_base = base;
        self.redis.backoff_factor = factor;
        self.redis.backoff_max_delay = max_delay;
        self.redis.backoff_max_attempts = max_attempts;
        self
    }
    /// Memory budget of the in-memory engine, in bytes.
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.memory.max_memory = bytes;
        self
    }
    /// Eviction threshold in percent of the budget (clamped to 1–100).
    pub fn eviction_threshold_percent(mut self, percent: u8) -> Self {
        self.memory.eviction_threshold_percent = percent.clamp(1, 100);
        self
    }
    /// Eviction policy.
    pub fn eviction_policy(mut self, policy: EvictionPolicy) -> Self {
        self.memory.eviction_policy = policy;
        self
    }
    /// Full expiry sweep interval.
    pub fn cleanup_interval(mut self, interval: Duration) -> Self {
        self.memory.cleanup_interval = interval;
        self
    }
}

/// A size in bytes: a number, or with a `b`, `kb`, `mb` or `gb` suffix (binary multiples).
pub fn parse_size(v: &str) -> Option<usize> {
    let lower = v.trim().to_ascii_lowercase();
    let (digits, unit): (&str, usize) = if let Some(d) = lower.strip_suffix("gb") {
        (d, 1 << 30)
    } else if let Some(d) = lower.strip_suffix("mb") {
        (d, 1 << 20)
    } else if let Some(d) = lower.strip_suffix("kb") {
        (d, 1 << 10)
    } else if let Some(d) = lower.strip_suffix('b') {
        (d, 1)
    } else {
        (lower.as_str(), 1)
    };
    digits
        .trim()
        .parse::<usize>()
        .ok()?
        .checked_mul(unit)
        .filter(|n| *n > 0)
}

/// A boolean setting: `1/true/yes/on` or `0/false/no/off`, any case.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_policy(v: &str) -> Option<EvictionPolicy> {
    match v.to_ascii_lowercase().replace('_', "-").as_str() {
        "allkeys-lru" => Some(EvictionPolicy::AllKeysLru),
        "volatile-lru" => Some(EvictionPolicy::VolatileLru),
        "volatile-ttl" => Some(EvictionPolicy::VolatileTtl),
        "allkeys-lfu" => Some(EvictionPolicy::AllKeysLfu),
        "volatile-lfu" => Some(EvictionPolicy::VolatileLfu),
        "noeviction" | "no-eviction" => Some(EvictionPolicy::NoEviction),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(vars: &[(&str, &str)]) -> Result<StorageConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        StorageConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn shards_follow_the_cores_and_the_variable() {
        assert_eq!(MemoryConfig::shards_for_cores(1), 1);
        assert_eq!(MemoryConfig::shards_for_cores(2), 16);
        assert_eq!(MemoryConfig::shards_for_cores(8), 16);
        assert_eq!(MemoryConfig::shards_for_cores(12), 32);
        assert_eq!(MemoryConfig::shards_for_cores(1000), 256);
        let config = from(&[("HEDGESTORE_MEMORY_SHARDS", "4")]).unwrap();
        assert_eq!(config.memory.shards, 4);
        for bad in ["0", "16385", "many"] {
            let err = from(&[("HEDGESTORE_MEMORY_SHARDS", bad)]).unwrap_err();
            assert_eq!(err.variable, "HEDGESTORE_MEMORY_SHARDS", "{bad}");
        }
    }

    #[test]
    fn defaults_are_the_seeds() {
        let c = from(&[]).unwrap();
        assert_eq!(c.redis.host, "localhost");
        assert_eq!(c.redis.port, 6379);
        assert_eq!(c.redis.db, 0);
        assert_eq!(c.redis.password, None);
        assert_eq!(c.memory.max_memory, 1 << 30);
        assert_eq!(c.memory.eviction_threshold_percent, 90);
        assert_eq!(c.memory.eviction_policy, EvictionPolicy::AllKeysLru);
        assert_eq!(c.memory.cleanup_interval, Duration::from_secs(60));
        assert_eq!(
            c.redis.connection_url().expose(),
            "redis://localhost:6379/0"
        );
    }

    #[test]
    fn host_port_db_password_build_the_url() {
        let c = from(&[
            ("REDIS_HOST", "10.0.0.5"),
            ("REDIS_PORT", "6380"),
            ("REDIS_DB", "3"),
            ("REDIS_PASSWORD", "p@ss word"),
        ])
        .unwrap();
        assert_eq!(
            c.redis.connection_url().expose(),
            "redis://:p%40ss%20word@10.0.0.5:6380/3"
        );
    }

    #[test]
    fn redis_is_explicit_only_when_some_redis_setting_is_given() {
        assert!(!from(&[]).unwrap().redis.explicit);
        assert!(
            !from(&[("HEDGESTORE_MAX_MEMORY", "1mb")])
                .unwrap()
                .redis
                .explicit
        );
        for name in [
            "REDIS_URL",
            "REDIS_HOST",
            "REDIS_PORT",
            "REDIS_DB",
            "REDIS_PASSWORD",
        ] {
            let value = if name == "REDIS_URL" {
                "redis://h:1"
            } else {
                "1"
            };
            assert!(from(&[(name, value)]).unwrap().redis.explicit, "{name}");
        }
        assert!(StorageConfig::default().redis_port(7000).redis.explicit);
    }

    #[test]
    fn redis_url_wins() {
        let c = from(&[("REDIS_URL", "redis://:pw@h:1/2"), ("REDIS_HOST", "other")]).unwrap();
        assert_eq!(c.redis.connection_url().expose(), "redis://:pw@h:1/2");
    }

    #[test]
    fn memory_settings_parse_sizes_and_policies() {
        let c = from(&[
            ("HEDGESTORE_MAX_MEMORY", "512mb"),
            ("HEDGESTORE_EVICTION_THRESHOLD", "75"),
            ("HEDGESTORE_EVICTION_POLICY", "volatile-ttl"),
            ("HEDGESTORE_CLEANUP_INTERVAL_MS", "5000"),
        ])
        .unwrap();
        assert_eq!(c.memory.max_memory, 512 << 20);
        assert_eq!(c.memory.eviction_threshold_percent, 75);
        assert_eq!(c.memory.eviction_policy, EvictionPolicy::VolatileTtl);
        assert_eq!(c.memory.cleanup_interval, Duration::from_secs(5));
        assert_eq!(
            from(&[("HEDGESTORE_MAX_MEMORY", "1024")])
                .unwrap()
                .memory
                .max_memory,
            1024
        );
    }

    #[test]
    fn invalid_values_name_the_variable_and_the_problem() {
        let cases = [
            ("REDIS_PORT", "abc"),
            ("REDIS_PORT", "70000"),
            ("REDIS_DB", "-1"),
            ("HEDGESTORE_MAX_MEMORY", "lots"),
            ("HEDGESTORE_EVICTION_THRESHOLD", "0"),
            ("HEDGESTORE_EVICTION_POLICY", "random"),
            ("HEDGESTORE_CLEANUP_INTERVAL_MS", "0"),
        ];
        for (var, value) in cases {
            let err = from(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var);
            let text = err.to_string();
            assert!(text.contains(var) && text.contains(value), "{text}");
        }
    }

    #[test]
    fn secrets_never_show() {
        let c = from(&[
            ("REDIS_PASSWORD", "hunter2"),
            ("REDIS_URL", "redis://:hunter2@h:1/0"),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{}", c.redis.connection_url()).contains("hunter2"));
        let err = from(&[("REDIS_URL", "http://:hunter2@h")]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn cluster_and_sentinel_settings_parse() {
        let c = from(&[("REDIS_CLUSTER_NODES", "127.0.0.1:7000,127.0.0.1:7001")]).unwrap();
        assert!(c.redis.explicit);
        assert_eq!(
            c.redis.topology,
            RedisTopology::Cluster {
                nodes: vec![
                    NodeAddr::new("127.0.0.1", 7000),
                    NodeAddr::new("127.0.0.1", 7001)
                ]
            }
        );
        let c = from(&[
            ("REDIS_SENTINELS", "s1:26379"),
            ("REDIS_SENTINEL_MASTER", "mymaster"),
            ("REDIS_PASSWORD", "pw"),
        ])
        .unwrap();
        assert_eq!(c.redis.topology.kind(), "sentinel");
        let c = from(&[(
            "REDIS_URL",
            "redis+sentinel://:pw@s1:26379,s2:26379/mymaster/3",
        )])
        .unwrap();
        assert_eq!(
            c.redis.topology,
            RedisTopology::Sentinel {
                sentinels: vec![NodeAddr::new("s1", 26379), NodeAddr::new("s2", 26379)],
                master: "mymaster".into()
            }
        );
        assert_eq!((c.redis.db, c.redis.url.is_none()), (3, true));
        assert_eq!(c.redis.password.as_ref().map(Secret::expose), Some("pw"));
    }

    #[test]
    fn mixed_topology_settings_are_refused_by_name() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    ("REDIS_CLUSTER_NODES", "a:1"),
                    ("REDIS_SENTINELS", "b:2"),
                    ("REDIS_SENTINEL_MASTER", "m"),
                ],
                "REDIS_CLUSTER_NODES",
            ),
            (
                &[("REDIS_CLUSTER_NODES", "a:1"), ("REDIS_DB", "2")],
                "REDIS_DB",
            ),
            (
                &[
                    ("REDIS_CLUSTER_NODES", "a:1"),
                    ("REDIS_URL", "redis://:hunter2@h:1"),
                ],
                "REDIS_URL",
            ),
            (&[("REDIS_CLUSTER_NODES", "a")], "REDIS_CLUSTER_NODES"),
            (&[("REDIS_SENTINELS", "b:2")], "REDIS_SENTINEL_MASTER"),
            (&[("REDIS_SENTINEL_MASTER", "m")], "REDIS_SENTINELS"),
            (
                &[
                    ("REDIS_SENTINELS", "b:2"),
                    ("REDIS_SENTINEL_MASTER", "m"),
                    ("REDIS_URL", "redis://:hunter2@h:1"),
                ],
                "REDIS_URL",
            ),
            (
                &[
                    ("REDIS_SENTINELS", "b:2"),
                    ("REDIS_URL", "redis+sentinel://:hunter2@h:1/m"),
                ],
                "REDIS_SENTINELS",
            ),
            (
                &[
                    ("REDIS_CLUSTER_NODES", "a:1"),
                    ("REDIS_URL", "redis+sentinel://:hunter2@h:1/m"),
                ],
                "REDIS_CLUSTER_NODES",
            ),
        ];
        for (vars, variable) in cases {
            let err = from(vars).unwrap_err();
            assert_eq!(err.variable, *variable, "{vars:?}: {err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        let in_code = StorageConfig::default()
            .redis_cluster([NodeAddr::new("a", 1)])
            .redis_db(1);
        assert_eq!(in_code.redis.validate().unwrap_err().variable, "REDIS_DB");
    }
}
