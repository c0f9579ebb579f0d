//! The connection to a Redis deployment, whatever its topology: one `Link` type that the
//! rest of the backend sends commands, pipelines and scripts over (it implements the
//! `redis` crate's `ConnectionLike`), so the retry, deadline and conversion code exists once.
//!
//! * **Single server**: one multiplexed connection of our own ([`SingleConn`]: made on
//!   demand, made again with backoff after it broke).
//! * **Cluster**: the crate's `cluster_async::ClusterConnection`, with its own retries off.
//!   It routes every command by slot and refreshes its slot map when a node answers
//!   `MOVED` or `READONLY`; the retries are hedgestore's (`RedisStorage::attempts`), within
//!   the operation deadline: a command a node refused without running it ([`Refusal`]:
//!   `MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`, …) is sent again (to the named node for
//!   `MOVED`, after `ASKING` for `ASK`), one that was never sent too, but a write whose
//!   connection broke after it was sent is not: the crate would re-send it, and a master
//!   that had applied and replicated it before dying would see it applied twice on the
//!   promoted replica. It answers `OutcomeUnknown`, as on one server.
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
use redis::cluster_routing::{
    MultipleNodeRoutingInfo, ResponsePolicy, RoutingInfo, SingleNodeRoutingInfo,
};
use redis::sentinel::{Sentinel, SentinelNodeConnectionInfo};
use redis::{
    Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, ServerErrorKind, Value,
};

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

/// A cluster client for `config`'s seed nodes. The backoff settings pace the crate's own
/// retries, which only the pub/sub connection keeps (resubscribing is safe to repeat); the
/// command connection turns them off (see the module docs).
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
                // No retries in the crate: it would re-send a write whose connection broke
                // after sending (see the module docs); `RedisStorage` retries what is safe.
                let client = cluster_builder(config, nodes)
                    .retries(0)
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

    /// The single server's connection, when this is one and it is down (the next call
    /// connects first).
    pub(crate) fn single_down(&self) -> Option<&Arc<SingleConn>> {
        match self {
            Link::Single(c) if c.ready().is_none() => Some(c),
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

/// How a cluster node refused a command without running it: the error replies the `redis`
/// crate's own retries would follow. Each means the command was not applied, so sending it
/// again cannot apply it twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `MOVED <slot> <host:port>`: the slot lives on that node now (the client refreshes
    /// its slot map on its own); send it there.
    Moved(String, u16),
    /// `ASK <slot> <host:port>`: the key is being migrated to that node; send it there once,
    /// after `ASKING`.
    Ask(String, u16),
    /// `TRYAGAIN`, `CLUSTERDOWN`, `MASTERDOWN`, `LOADING`, `READONLY` (a replica or a demoted
    /// master), or a redirection without an address: wait a little and send it again by slot.
    Wait,
}

impl Refusal {
    /// The refusal `err` is, if it is one.
    pub(crate) fn of(err: &RedisError) -> Option<Refusal> {
        let ErrorKind::Server(kind) = err.kind() else {
            return None;
        };
        let at = || {
            let (addr, _slot) = err.redirect_node()?;
            let (host, port) = addr.rsplit_once(':')?;
            Some((
                host.trim_matches(['[', ']']).to_string(),
                port.parse().ok()?,
            ))
        };
        match kind {
            ServerErrorKind::Moved => {
                Some(at().map_or(Refusal::Wait, |(h, p)| Refusal::Moved(h, p)))
            }
            ServerErrorKind::Ask => Some(at().map_or(Refusal::Wait, |(h, p)| Refusal::Ask(h, p))),
            ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::MasterDown
            | ServerErrorKind::BusyLoading
            | ServerErrorKind::ReadOnly => Some(Refusal::Wait),
            _ => None,
        }
    }
}

/// Whether the cluster client splits `cmd` over several nodes: `KEYS`, `DBSIZE`,
/// `FLUSHDB`, `RANDOMKEY` and the like go to every master, `MGET`, `MSET`, `DEL`, `EXISTS`,
/// `UNLINK`, `TOUCH` to the master of each slot their keys hash to (the `redis` crate's
/// routing table, for the commands hedgestore sends). A refusal then answers one part,
/// and the others may have been applied; nor can the whole be redirected to one node.
pub(crate) fn fans_out(cmd: &Cmd) -> bool {
    let mut args = cmd.args_iter().map(|arg| match arg {
        redis::Arg::Simple(bytes) => bytes,
        _ => &[][..],
    });
    let Some(name) = args.next() else {
        return false;
    };
    let keys_every = match name.to_ascii_uppercase().as_slice() {
        b"DBSIZE" | b"FLUSHALL" | b"FLUSHDB" | b"KEYS" | b"RANDOMKEY" | b"INFO" | b"PING" => {
            return true
        }
        b"MGET" | b"DEL" | b"EXISTS" | b"UNLINK" | b"TOUCH" | b"WATCH" => 1,
        b"MSET" => 2,
        _ => return false,
    };
    let mut slots = args
        .step_by(keys_every)
        .map(crate::fallback::slots::slot_of);
    let first = slots.next();
    slots.any(|slot| Some(slot) != first)
}

/// Whether `err` proves that the command was never sent: a refused connection, a connect
/// that failed otherwise (timed out, authentication; marked by [`super::single`]), or no
/// connection to route it to.
pub(crate) fn not_sent(err: &RedisError) -> bool {
    super::convert::refused(err)
        || err.kind() == ErrorKind::ClusterConnectionNotFound
        || super::single::never_sent(err).is_some()
}

impl Link {
    /// Sends `cmd` where the cluster redirected it: to the node a `MOVED` names, or after
    /// `ASKING` to the node an `ASK` names. `None` for a [`Refusal::Wait`] or when this is
    /// not a cluster.
    pub(crate) async fn redirect(&self, cmd: &Cmd, to: &Refusal) -> Option<RedisResult<Value>> {
        let Link::Cluster(c) = self else {
            return None;
        };
        let mut c = c.clone();
        let node = |host: &String, port: &u16| SingleNodeRoutingInfo::ByAddress {
            host: host.clone(),
            port: *port,
        };
        Some(match to {
            Refusal::Moved(host, port) => {
                c.route_command(cmd.clone(), RoutingInfo::SingleNode(node(host, port)))
                    .await
            }
            Refusal::Ask(host, port) => {
                let mut pipe = redis::pipe();
                pipe.cmd("ASKING").add_command(cmd.clone());
                c.route_pipeline(pipe, 1, 1, node(host, port))
                    .await
                    .and_then(|mut values| {
                        values.pop().ok_or_else(|| {
                            RedisError::from((ErrorKind::Parse, "no reply after ASKING"))
                        })
                    })
            }
            Refusal::Wait => return None,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_error(wire: &str) -> RedisError {
        match redis::parse_redis_value(wire.as_bytes()).expect("an error reply") {
            Value::ServerError(e) => RedisError::from(e),
            other => panic!("not an error reply: {other:?}"),
        }
    }

    #[test]
    fn cluster_refusals_are_told_from_ordinary_errors() {
        let cases = [
            (
                "-MOVED 3999 127.0.0.1:6381\r\n",
                Some(Refusal::Moved("127.0.0.1".into(), 6381)),
            ),
            (
                "-ASK 3999 10.0.0.7:7000\r\n",
                Some(Refusal::Ask("10.0.0.7".into(), 7000)),
            ),
            (
                "-ASK 3999 [::1]:7001\r\n",
                Some(Refusal::Ask("::1".into(), 7001)),
            ),
            ("-MOVED 3999\r\n", Some(Refusal::Wait)),
            (
                "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
                Some(Refusal::Wait),
            ),
            ("-CLUSTERDOWN The cluster is down\r\n", Some(Refusal::Wait)),
            (
                "-MASTERDOWN Link with MASTER is down\r\n",
                Some(Refusal::Wait),
            ),
            (
                "-LOADING Redis is loading the dataset in memory\r\n",
                Some(Refusal::Wait),
            ),
            (
                "-READONLY You can't write against a read only replica.\r\n",
                Some(Refusal::Wait),
            ),
            (
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                None,
            ),
            ("-ERR value is not an integer or out of range\r\n", None),
            (
                "-CROSSSLOT Keys in request don't hash to the same slot\r\n",
                None,
            ),
            ("-NOSCRIPT No matching script\r\n", None),
        ];
        for (wire, expected) in cases {
            assert_eq!(Refusal::of(&reply_error(wire)), expected, "{wire:?}");
        }
    }

    #[test]
    fn commands_split_over_nodes_are_told_apart() {
        let cmd = |args: &[&str]| {
            let mut c = redis::cmd(args[0]);
            for a in &args[1..] {
                c.arg(*a);
            }
            c
        };
        for split in [
            &["DBSIZE"][..],
            &["KEYS", "*"],
            &["flushdb"],
            &["MGET", "a", "b"],
            &["DEL", "a", "b", "c"],
            &["MSET", "a", "1", "b", "2"],
        ] {
            assert!(fans_out(&cmd(split)), "{split:?}");
        }
        for single in [
            &["GET", "a"][..],
            &["INCR", "b"],
            &["MGET", "{u}a", "{u}b"],
            &["DEL", "a"],
            // Only keys count: the values "a" and "b" hash elsewhere.
            &["MSET", "{u}x", "a", "{u}y", "b"],
            &["EVALSHA", "0123", "2", "a", "b"],
        ] {
            assert!(!fans_out(&cmd(single)), "{single:?}");
        }
    }

    #[test]
    fn only_proof_that_nothing_was_sent_counts_as_not_sent() {
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(not_sent(&refused));
        let no_route = RedisError::from((ErrorKind::ClusterConnectionNotFound, "no connection"));
        assert!(not_sent(&no_route));
        // A broken connection may have carried the command before it broke.
        let broken = RedisError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(!not_sent(&broken));
        assert!(!not_sent(&reply_error("-MOVED 1 127.0.0.1:7000\r\n")));
    }
}
