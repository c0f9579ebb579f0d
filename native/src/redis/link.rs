//! The connection to a Redis deployment, whatever its topology: one `Link` type that the
//! rest of the backend sends commands, pipelines and scripts over (it implements the
//! `redis` crate's `ConnectionLike`), so the retry, deadline and conversion code exists once.
//!
//! * **Single server**: one multiplexed connection of our own ([`SingleConn`]: made on
//!   demand, made again with backoff after it broke).
//! * **Cluster**: the crate's `cluster_async::ClusterConnection`. It routes every command
//!   by slot, follows `MOVED`/`ASK` redirections while slots move, refreshes the slot map
//!   after a failover, and retries `TRYAGAIN`/`CLUSTERDOWN` with backoff; all of that stays
//!   inside the operation deadline set by the caller.
//! * **Sentinel**: a `ConnectionManager` to the master the Sentinels name, replaced when
//!   they name another one. [`SentinelShared::refresh`] asks them (through the crate's
//!   `sentinel::Sentinel`, which also checks that the node really is a master); the health
//!   checks call it every round, and a command calls it when the master refuses
//!   connections or answers `READONLY` (it was demoted): such a command was not applied
//!   and is retried on the new master within its deadline.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo};
use redis::sentinel::{Sentinel, SentinelNodeConnectionInfo};
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use super::single::{SingleConn, SingleLink};
use crate::config::{ConfigError, RedisConfig, Secret};
use crate::topology::{NodeAddr, RedisTopology};

/// Reconnect settings shared by every `ConnectionManager` the backend makes (Sentinel
/// masters, pub/sub).
pub(crate) fn manager_config(config: &RedisConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.response_timeout))
        .set_min_delay(config.backoff_base)
        .set_exponent_base(config.backoff_factor)
        .set_max_delay(config.backoff_max_delay)
        .set_number_of_retries(config.backoff_max_attempts)
}

fn bad_url() -> ConfigError {
    ConfigError {
        variable: "REDIS_URL",
        problem: "not a valid Redis URL (value not shown: it may hold a password)".into(),
    }
}

/// A cluster client for `config`'s seed nodes (`resp3`: for the pub/sub connection).
pub(crate) fn cluster_builder(config: &RedisConfig, nodes: &[NodeAddr]) -> ClusterClientBuilder {
    let urls: Vec<String> = nodes.iter().map(|n| format!("redis://{n}")).collect();
    let mut builder = ClusterClientBuilder::new(urls)
        .connection_timeout(config.connect_timeout)
        .response_timeout(config.response_timeout)
        .min_retry_wait(config.backoff_base.as_millis() as u64)
        .max_retry_wait(config.backoff_max_delay.as_millis() as u64);
    if let Some(pw) = &config.password {
        builder = builder.password(pw.expose());
    }
    builder
}

/// A connection to the configured deployment. Cheap to clone (clones share the sockets).
#[derive(Clone)]
pub(crate) enum Link {
    Single(Arc<SingleConn>),
    Cluster(ClusterConnection),
    /// `health`: this is the health checks' own connection (its own socket and timeout).
    Sentinel {
        shared: Arc<SentinelShared>,
        health: bool,
    },
}

impl Link {
    /// The command connection and the health checks' connection, made lazily (nothing is
    /// contacted until the first command).
    pub(crate) fn pair(
        config: &RedisConfig,
        health_timeout: Duration,
    ) -> Result<(Link, Link), ConfigError> {
        config.validate()?;
        match &config.topology {
            RedisTopology::Single => {
                let client =
                    redis::Client::open(config.connection_url().expose()).map_err(|_| bad_url())?;
                let make = |timeout: Duration| {
                    Link::Single(Arc::new(SingleConn::new(client.clone(), config, timeout)))
                };
                Ok((make(config.response_timeout), make(health_timeout)))
            }
            RedisTopology::Cluster { nodes } => {
                let client = cluster_builder(config, nodes)
                    .build()
                    .map_err(|_| ConfigError {
                        variable: "REDIS_CLUSTER_NODES",
                        problem: "the cluster client could not be built from these nodes".into(),
                    })?;
                let make = |timeout: Duration| {
                    Link::Cluster(
                        client.get_pending_async_connection_with_config(
                            ClusterConfig::new()
                                .set_connection_timeout(config.connect_timeout)
                                .set_response_timeout(timeout),
                        ),
                    )
                };
                Ok((make(config.response_timeout), make(health_timeout)))
            }
            RedisTopology::Sentinel { sentinels, master } => {
                let shared = Arc::new(SentinelShared::new(
                    config,
                    sentinels,
                    master,
                    health_timeout,
                )?);
                Ok((
                    Link::Sentinel {
                        shared: shared.clone(),
                        health: false,
                    },
                    Link::Sentinel {
                        shared,
                        health: true,
                    },
                ))
            }
        }
    }

    /// The Sentinel state, when this link follows a Sentinel-watched master.
    pub(crate) fn sentinel(&self) -> Option<&Arc<SentinelShared>> {
        match self {
            Link::Sentinel { shared, .. } => Some(shared),
            _ => None,
        }
    }

    /// The single server's live connection, when this is one and it is up: a call on it is
    /// bounded by the connection's response timeout, no timer needed.
    pub(crate) fn ready(&self) -> Option<(&Arc<SingleConn>, super::single::Connected)> {
        match self {
            Link::Single(c) => c.ready().map(|ready| (c, ready)),
            _ => None,
        }
    }

    /// Whether this is a cluster connection.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Link::Cluster(_))
    }

    /// One health probe. On a cluster: a PING to every master, healthy when any answers (the
    /// cluster as a whole is reachable: a single master being promoted is not an outage,
    /// its commands wait for the promotion instead). Elsewhere: `CLIENT ID` and `INFO
    /// server`, whose answers also identify the server and the connection.
    pub(crate) async fn probe(&mut self) -> RedisResult<Value> {
        match self {
            Link::Cluster(c) => any_master_ping(c).await,
            _ => {
                let mut pipe = redis::pipe();
                pipe.cmd("CLIENT").arg("ID").cmd("INFO").arg("server");
                match self {
                    // Connects whatever the backoff says: each health round is a new cycle.
                    Link::Single(c) => {
                        let link = SingleLink {
                            conn: c.clone(),
                            force: true,
                        };
                        link.commands(&pipe, 0, 2).await.map(Value::Array)
                    }
                    _ => pipe.query_async(self).await,
                }
            }
        }
    }
}

/// A PING to every master of a cluster, answered when any of them answers.
pub(crate) async fn any_master_ping(c: &mut ClusterConnection) -> RedisResult<Value> {
    c.route_command(
        redis::cmd("PING"),
        RoutingInfo::MultiNode((
            MultipleNodeRoutingInfo::AllMasters,
            Some(ResponsePolicy::OneSucceeded),
        )),
    )
    .await
}

/// `INFO server` from every master of a cluster: each master's answer (an error reply as
/// `Value::ServerError`), failing when any master cannot be reached.
pub(crate) async fn all_masters_info(c: &mut ClusterConnection) -> RedisResult<Vec<Value>> {
    let mut info = redis::cmd("INFO");
    info.arg("server");
    match c
        .route_command(
            info,
            RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None)),
        )
        .await?
    {
        Value::Map(answers) => Ok(answers.into_iter().map(|(_, v)| v).collect()),
        other => Ok(vec![other]),
    }
}

impl Link {
    /// A PING that keeps the connection alive (and re-establishes a broken one before a
    /// command needs it); on a cluster it goes to every master and any answer will do.
    pub(crate) async fn keepalive(&mut self) -> RedisResult<Value> {
        match self {
            Link::Cluster(c) => any_master_ping(c).await,
            // Connects whatever the backoff says: each health round starts a new cycle.
            Link::Single(c) => {
                let link = SingleLink {
                    conn: c.clone(),
                    force: true,
                };
                link.command(&redis::cmd("PING")).await
            }
            _ => redis::cmd("PING").query_async(self).await,
        }
    }
}

impl ConnectionLike for Link {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Link::Single(c) => {
                let link = SingleLink {
                    conn: c.clone(),
                    force: false,
                };
                Box::pin(async move { link.command(cmd).await })
            }
            Link::Cluster(c) => c.req_packed_command(cmd),
            Link::Sentinel { shared, health } => Box::pin(async move {
                let mut c = shared.manager(*health).await?;
                c.req_packed_command(cmd).await
            }),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Link::Single(c) => {
                let link = SingleLink {
                    conn: c.clone(),
                    force: false,
                };
                Box::pin(async move { link.commands(pipeline, offset, count).await })
            }
            Link::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            Link::Sentinel { shared, health } => Box::pin(async move {
                let mut c = shared.manager(*health).await?;
                c.req_packed_commands(pipeline, offset, count).await
            }),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Link::Single(c) => c.db(),
            Link::Cluster(_) => 0,
            Link::Sentinel { shared, .. } => i64::from(shared.db),
        }
    }
}

/// The current master of a Sentinel-watched deployment and the connections to it.
pub(crate) struct SentinelShared {
    sentinel: tokio::sync::Mutex<Sentinel>,
    master: String,
    node_info: SentinelNodeConnectionInfo,
    password: Option<Secret>,
    db: u32,
    config: RedisConfig,
    health_timeout: Duration,
    /// The master in use, with the command and health connections to it.
    current: Mutex<Option<Current>>,
}

struct Current {
    addr: NodeAddr,
    main: ConnectionManager,
    health: ConnectionManager,
}

impl SentinelShared {
    fn new(
        config: &RedisConfig,
        sentinels: &[NodeAddr],
        master: &str,
        health_timeout: Duration,
    ) -> Result<Self, ConfigError> {
        let urls: Vec<String> = sentinels.iter().map(|n| format!("redis://{n}")).collect();
        let sentinel = Sentinel::build(urls).map_err(|_| ConfigError {
            variable: "REDIS_SENTINELS",
            problem: "the Sentinel client could not be built from these addresses".into(),
        })?;
        let mut info = redis::RedisConnectionInfo::default();
        if let Some(pw) = &config.password {
            info = info.set_password(pw.expose());
        }
        Ok(Self {
            sentinel: tokio::sync::Mutex::new(sentinel),
            master: master.to_string(),
            node_info: SentinelNodeConnectionInfo::default().set_redis_connection_info(info),
            password: config.password.clone(),
            db: config.db,
            config: config.clone(),
            health_timeout,
            current: Mutex::new(None),
        })
    }

    /// The master's URL (with password and database: a secret), asking the Sentinels when
    /// none is known yet.
    pub(crate) async fn master_url(&self) -> RedisResult<Secret> {
        if self.current_addr().is_none() {
            self.refresh().await?;
        }
        self.current_addr()
            .map(|a| a.url(self.password.as_ref(), self.db))
            .ok_or_else(|| RedisError::from((ErrorKind::Io, "no master known yet")))
    }

    /// The address of the master in use.
    pub(crate) fn current_addr(&self) -> Option<NodeAddr> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|c| c.addr.clone())
    }

    async fn manager(&self, health: bool) -> RedisResult<ConnectionManager> {
        if let Some(c) = self.pick(health) {
            return Ok(c);
        }
        self.refresh().await?;
        self.pick(health)
            .ok_or_else(|| RedisError::from((ErrorKind::Io, "no master known yet")))
    }

    fn pick(&self, health: bool) -> Option<ConnectionManager> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|c| {
                if health {
                    c.health.clone()
                } else {
                    c.main.clone()
                }
            })
    }

    /// Asks the Sentinels which node is the master (and checks that it says so); switches
    /// the connections when it is another one. `Ok(true)`: the master changed.
    pub(crate) async fn refresh(&self) -> RedisResult<bool> {
        let found = {
            let mut sentinel = self.sentinel.lock().await;
            let lookup = sentinel.async_master_for(&self.master, Some(&self.node_info));
            match tokio::time::timeout(self.health_timeout.max(Duration::from_millis(100)), lookup)
                .await
            {
                Ok(found) => found?,
                Err(_) => {
                    return Err(RedisError::from((
                        ErrorKind::Io,
                        "the Sentinels did not answer in time",
                    )))
                }
            }
        };
        let addr = match found.get_connection_info().addr() {
            redis::ConnectionAddr::Tcp(host, port) => NodeAddr::new(host.clone(), *port),
            redis::ConnectionAddr::TcpTls { host, port, .. } => NodeAddr::new(host.clone(), *port),
            _ => {
                return Err(RedisError::from((
                    ErrorKind::Io,
                    "the Sentinels named a master that is not a TCP address",
                )))
            }
        };
        if self.current_addr().as_ref() == Some(&addr) {
            return Ok(false);
        }
        let url = addr.url(self.password.as_ref(), self.db);
        let client = redis::Client::open(url.expose())?;
        // One reconnect attempt per cycle: a command waiting on a reconnect to a dead master
        // would otherwise wait out the whole backoff cycle (seconds) before it can be sent to
        // the new master. The Sentinel lookups and the health checks retry instead.
        let config = manager_config(&self.config).set_number_of_retries(1);
        let main = ConnectionManager::new_lazy_with_config(client.clone(), config.clone())?;
        let health = ConnectionManager::new_lazy_with_config(
            client,
            config.set_response_timeout(Some(self.health_timeout)),
        )?;
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = current.as_ref().is_some_and(|c| c.addr != addr);
        tracing::info!(master = %self.master, address = %addr, "redis sentinel: using master");
        *current = Some(Current { addr, main, health });
        Ok(changed)
    }
}
