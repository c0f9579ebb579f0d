//! A private Redis Cluster and a private Sentinel setup, built from [`RedisServer`]s on free
//! loopback ports and stopped on drop.

use std::io;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis_server::RedisServer;
use crate::resp::{Resp, RespConnection};

fn text(resp: Resp) -> io::Result<String> {
    match resp {
        Resp::Bulk(Some(b)) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Resp::Simple(s) => Ok(s),
        other => Err(io::Error::other(format!("unexpected reply {other:?}"))),
    }
}

fn call_text(port: u16, args: &[&str]) -> io::Result<String> {
    text(RespConnection::connect(port)?.call(args)?)
}

fn wait_until(
    what: &str,
    within: Duration,
    mut done: impl FnMut() -> io::Result<bool>,
) -> io::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        if done().unwrap_or(false) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(io::Error::other(format!("{what}: not within {within:?}")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One node of a [`RedisCluster`] as `CLUSTER NODES` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// The node's id.
    pub id: String,
    /// Its client port on 127.0.0.1.
    pub port: u16,
    /// Whether it is a master now.
    pub master: bool,
    /// Whether the cluster considers it failed.
    pub failed: bool,
    /// The slot ranges it serves (masters).
    pub slots: Vec<(u16, u16)>,
}

/// A Redis Cluster of `masters` masters with `replicas` replicas each, on loopback, with a
/// short `cluster-node-timeout` (1 s) so a killed master's replica is promoted within a few
/// seconds. Every node process is killed on drop.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts the nodes, joins them with `redis-cli --cluster create`, and waits until
    /// every node reports `cluster_state:ok` and knows every other node.
    pub fn start(masters: usize, replicas: usize) -> io::Result<Self> {
        let total = masters * (1 + replicas);
        let mut nodes = Vec::with_capacity(total);
        for _ in 0..total {
            let bus = RedisServer::lease_port()?;
            let bus_port = bus.port;
            nodes.push(RedisServer::start_configured(
                None,
                vec![bus],
                |_| {
                    Ok([
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "1000",
                        "--cluster-port",
                        &bus_port.to_string(),
                        "--cluster-replica-validity-factor",
                        "0",
                        "--repl-diskless-sync-delay",
                        "0",
                    ]
                    .iter()
                    .map(|s| s.to_string())
                    .collect())
                },
                None,
            )?);
        }
        let cli = std::env::var("REDIS_CLI_BIN").unwrap_or_else(|_| "redis-cli".into());
        let mut create = Command::new(&cli);
        create.arg("--cluster").arg("create");
        for n in &nodes {
            create.arg(format!("127.0.0.1:{}", n.port()));
        }
        let status = create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run `{cli}` ({e})")))?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "redis-cli --cluster create failed: {status}"
            )));
        }
        let cluster = Self { nodes };
        cluster.wait_ok(Duration::from_secs(20))?;
        Ok(cluster)
    }

    /// Waits until every running node reports `cluster_state:ok`, agrees on which nodes are
    /// masters, and every replica's link to its master is up (its initial sync is done: a
    /// replica promoted before that would come up empty).
    pub fn wait_ok(&self, within: Duration) -> io::Result<()> {
        wait_until("cluster state ok", within, || {
            let mut views = Vec::new();
            for n in self.nodes.iter().filter(|n| n.is_running()) {
                let info = call_text(n.port(), &["CLUSTER", "INFO"])?;
                if !info.contains("cluster_state:ok") {
                    return Ok(false);
                }
                let replication = call_text(n.port(), &["INFO", "replication"])?;
                if replication.contains("role:slave")
                    && !replication.contains("master_link_status:up")
                {
                    return Ok(false);
                }
                let mut masters: Vec<u16> = self
                    .topology_from(n.port())?
                    .into_iter()
                    .filter(|m| m.master && !m.failed && !m.slots.is_empty())
                    .map(|m| m.port)
                    .collect();
                masters.sort_unstable();
                views.push(masters);
            }
            Ok(views.windows(2).all(|w| w[0] == w[1]))
        })
    }

    /// `127.0.0.1:p1,127.0.0.1:p2,…`: every node, as `REDIS_CLUSTER_NODES` takes them.
    pub fn seeds(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every node's port.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(RedisServer::port).collect()
    }

    /// The cluster as a running node sees it (`CLUSTER NODES`).
    pub fn topology(&self) -> io::Result<Vec<ClusterNode>> {
        let node = self
            .nodes
            .iter()
            .find(|n| n.is_running())
            .ok_or_else(|| io::Error::other("no node is running"))?;
        self.topology_from(node.port())
    }

    fn topology_from(&self, port: u16) -> io::Result<Vec<ClusterNode>> {
        let listing = call_text(port, &["CLUSTER", "NODES"])?;
        Ok(listing
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let addr = fields.get(1)?;
                let port = addr.split('@').next()?.rsplit(':').next()?.parse().ok()?;
                let flags = fields.get(2)?;
                let slots = fields
                    .iter()
                    .skip(8)
                    .filter(|s| !s.starts_with('['))
                    .filter_map(|s| match s.split_once('-') {
                        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                        None => s.parse().ok().map(|x| (x, x)),
                    })
                    .collect();
                Some(ClusterNode {
                    id: fields[0].to_string(),
                    port,
                    master: flags.contains("master"),
                    failed: flags.contains("fail") && !flags.contains("fail?"),
                    slots,
                })
            })
            .collect())
    }

    /// The port of the master serving `key`'s slot now.
    pub fn master_of(&self, key: &str) -> io::Result<u16> {
        let node = self
            .nodes
            .iter()
            .find(|n| n.is_running())
            .ok_or_else(|| io::Error::other("no node is running"))?;
        let slot = match RespConnection::connect(node.port())?.call(&["CLUSTER", "KEYSLOT", key])? {
            Resp::Int(slot) => slot as u16,
            other => return Err(io::Error::other(format!("KEYSLOT: {other:?}"))),
        };
        self.topology()?
            .into_iter()
            .find(|n| {
                n.master && !n.failed && n.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot))
            })
            .map(|n| n.port)
            .ok_or_else(|| io::Error::other(format!("no master serves slot {slot}")))
    }

    /// The slot of `key` (`CLUSTER KEYSLOT`).
    pub fn slot_of(&self, key: &str) -> io::Result<u16> {
        let node = self
            .nodes
            .iter()
            .find(|n| n.is_running())
            .ok_or_else(|| io::Error::other("no node is running"))?;
        match RespConnection::connect(node.port())?.call(&["CLUSTER", "KEYSLOT", key])? {
            Resp::Int(slot) => Ok(slot as u16),
            other => Err(io::Error::other(format!("KEYSLOT: {other:?}"))),
        }
    }

    /// Moves `slot` to the master on `to` the way `redis-cli --cluster reshard` does: the
    /// target imports it, the owner migrates it, its keys move with `MIGRATE` (clients get
    /// `ASK` meanwhile), then every master learns the new owner (clients get `MOVED`).
    pub fn move_slot(&self, slot: u16, to: u16) -> io::Result<()> {
        let topology = self.topology()?;
        let owner = topology
            .iter()
            .find(|n| n.master && n.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot)))
            .ok_or_else(|| io::Error::other(format!("no master serves slot {slot}")))?;
        let target = topology
            .iter()
            .find(|n| n.port == to && n.master)
            .ok_or_else(|| io::Error::other(format!("{to} is not a master")))?;
        let slot_text = slot.to_string();
        let expect_ok = |port: u16, args: &[&str]| -> io::Result<()> {
            match RespConnection::connect(port)?.call(args)? {
                Resp::Simple(_) => Ok(()),
                other => Err(io::Error::other(format!("{args:?} on {port}: {other:?}"))),
            }
        };
        expect_ok(
            target.port,
            &["CLUSTER", "SETSLOT", &slot_text, "IMPORTING", &owner.id],
        )?;
        expect_ok(
            owner.port,
            &["CLUSTER", "SETSLOT", &slot_text, "MIGRATING", &target.id],
        )?;
        let to_port = target.port.to_string();
        loop {
            let keys = match RespConnection::connect(owner.port)?.call(&[
                "CLUSTER",
                "GETKEYSINSLOT",
                &slot_text,
                "100",
            ])? {
                Resp::Array(Some(keys)) => keys
                    .into_iter()
                    .map(text)
                    .collect::<io::Result<Vec<String>>>()?,
                other => return Err(io::Error::other(format!("GETKEYSINSLOT: {other:?}"))),
            };
            if keys.is_empty() {
                break;
            }
            let mut migrate = vec!["MIGRATE", "127.0.0.1", &to_port, "", "0", "5000", "KEYS"];
            migrate.extend(keys.iter().map(String::as_str));
            match RespConnection::connect(owner.port)?.call(&migrate)? {
                Resp::Simple(_) => {}
                other => return Err(io::Error::other(format!("MIGRATE: {other:?}"))),
            }
        }
        for n in topology.iter().filter(|n| n.master && !n.failed) {
            expect_ok(
                n.port,
                &["CLUSTER", "SETSLOT", &slot_text, "NODE", &target.id],
            )?;
        }
        Ok(())
    }

    /// Kills the node on `port` (`SIGKILL`).
    pub fn kill(&mut self, port: u16) {
        if let Some(n) = self.nodes.iter_mut().find(|n| n.port() == port) {
            n.kill();
        }
    }

    /// Kills every node (`SIGKILL`): the whole cluster is unreachable.
    pub fn kill_all(&mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
    }

    /// Freezes every node (`SIGSTOP`): the whole cluster hangs, connections stay open.
    pub fn pause_all(&self) -> io::Result<()> {
        for n in self.nodes.iter().filter(|n| n.is_running()) {
            n.pause()?;
        }
        Ok(())
    }

    /// Thaws every node frozen by [`pause_all`](Self::pause_all) (`SIGCONT`) and waits until
    /// the cluster is ok again (the nodes may have flagged each other failing meanwhile).
    pub fn resume_all(&self) -> io::Result<()> {
        for n in self.nodes.iter().filter(|n| n.is_running()) {
            n.resume()?;
        }
        self.wait_ok(Duration::from_secs(20))
    }

    /// Starts every killed node again (each reloads its `nodes.conf`, so the cluster comes
    /// back with its slots; data is gone, persistence being off) and waits until it is ok.
    pub fn restart_killed(&mut self) -> io::Result<()> {
        for n in self.nodes.iter_mut().filter(|n| !n.is_running()) {
            n.restart()?;
        }
        self.wait_ok(Duration::from_secs(20))
    }
}

/// A master, one replica and `sentinels` Sentinels (quorum 1, `down-after-milliseconds`
/// 1000), on loopback. Every process is killed on drop.
#[derive(Debug)]
pub struct SentinelSet {
    /// The name the Sentinels know the master by.
    pub master_name: String,
    data: Vec<RedisServer>,
    sentinels: Vec<RedisServer>,
}

impl SentinelSet {
    /// Starts the master, the replica, and the Sentinels, and waits until the Sentinels
    /// know the replica.
    pub fn start(sentinels: usize) -> io::Result<Self> {
        let no_delay = |_| {
            Ok(vec![
                "--repl-diskless-sync-delay".to_string(),
                "0".to_string(),
            ])
        };
        let master = RedisServer::start_configured(None, Vec::new(), no_delay, None)?;
        let master_port = master.port();
        let replica = RedisServer::start_configured(
            None,
            Vec::new(),
            |_| {
                Ok(vec![
                    "--replicaof".into(),
                    "127.0.0.1".into(),
                    master_port.to_string(),
                    "--repl-diskless-sync-delay".into(),
                    "0".into(),
                ])
            },
            None,
        )?;
        let name = "hedgestore".to_string();
        let mut set = Self {
            master_name: name.clone(),
            data: vec![master, replica],
            sentinels: Vec::new(),
        };
        let conf = move |_port: u16| {
            format!(
                "sentinel monitor {name} 127.0.0.1 {master_port} 1\n\
                 sentinel down-after-milliseconds {name} 1000\n\
                 sentinel failover-timeout {name} 3000\n\
                 sentinel parallel-syncs {name} 1\n"
            )
        };
        for _ in 0..sentinels {
            set.sentinels.push(RedisServer::start_configured(
                None,
                Vec::new(),
                |_| Ok(Vec::new()),
                Some(&conf),
            )?);
        }
        let replica_port = set.data[1].port();
        wait_until("the replica in sync", Duration::from_secs(20), || {
            Ok(
                call_text(replica_port, &["INFO", "replication"])?
                    .contains("master_link_status:up"),
            )
        })?;
        let sentinel_ports = set.sentinel_ports();
        let name = set.master_name.clone();
        wait_until(
            "the Sentinels know the replica",
            Duration::from_secs(20),
            || {
                for port in &sentinel_ports {
                    let reply =
                        RespConnection::connect(*port)?.call(&["SENTINEL", "REPLICAS", &name])?;
                    if !matches!(reply, Resp::Array(Some(r)) if !r.is_empty()) {
                        return Ok(false);
                    }
                }
                Ok(true)
            },
        )?;
        Ok(set)
    }

    /// `127.0.0.1:s1,…`: the Sentinels, as `REDIS_SENTINELS` takes them.
    pub fn sentinel_list(&self) -> String {
        self.sentinel_ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The Sentinels' ports.
    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinels.iter().map(RedisServer::port).collect()
    }

    /// The port of the master the Sentinels name now.
    pub fn master_port(&self) -> io::Result<u16> {
        let port = self.sentinels[0].port();
        match RespConnection::connect(port)?.call(&[
            "SENTINEL",
            "GET-MASTER-ADDR-BY-NAME",
            &self.master_name,
        ])? {
            Resp::Array(Some(items)) if items.len() == 2 => text(items[1].clone())?
                .parse()
                .map_err(|_| io::Error::other("SENTINEL: port not a number")),
            other => Err(io::Error::other(format!("SENTINEL: {other:?}"))),
        }
    }

    /// The data nodes' ports (master and replica, in start order).
    pub fn data_ports(&self) -> Vec<u16> {
        self.data.iter().map(RedisServer::port).collect()
    }

    /// `SENTINEL FAILOVER` on the first Sentinel, then waits until the Sentinels name the
    /// other node and it accepts writes. Returns the new master's port.
    pub fn failover(&self) -> io::Result<u16> {
        let old = self.master_port()?;
        // Right after the start a Sentinel may not have heard from the replica recently
        // enough to promote it (`NOGOODSLAVE`): ask again until it has.
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let reply = RespConnection::connect(self.sentinels[0].port())?.call(&[
                "SENTINEL",
                "FAILOVER",
                &self.master_name,
            ])?;
            match reply {
                Resp::Error(e) if e.starts_with("NOGOODSLAVE") && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Resp::Error(e) => return Err(io::Error::other(format!("SENTINEL FAILOVER: {e}"))),
                _ => break,
            }
        }
        self.wait_new_master(old)
    }

    /// Kills the current master (`SIGKILL`) and waits until the Sentinels promoted the
    /// replica. Returns the new master's port.
    pub fn kill_master(&mut self) -> io::Result<u16> {
        let old = self.master_port()?;
        if let Some(n) = self.data.iter_mut().find(|n| n.port() == old) {
            n.kill();
        }
        self.wait_new_master(old)
    }

    /// Waits until every running data node that is a replica has its link to the master up
    /// (its sync is done: promoting it before would lose what it has not received yet).
    pub fn wait_replicas_synced(&self) -> io::Result<()> {
        let master = self.master_port()?;
        let replicas: Vec<u16> = self
            .data
            .iter()
            .filter(|n| n.is_running() && n.port() != master)
            .map(RedisServer::port)
            .collect();
        wait_until("the replicas in sync", Duration::from_secs(20), || {
            for port in &replicas {
                let info = call_text(*port, &["INFO", "replication"])?;
                if !(info.contains(&format!("master_port:{master}"))
                    && info.contains("master_link_status:up"))
                {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    /// Kills the master and the replica (`SIGKILL`): nothing the Sentinels know answers.
    pub fn kill_data(&mut self) {
        for n in &mut self.data {
            n.kill();
        }
    }

    /// Starts the killed data nodes again in their original roles (they come back empty,
    /// persistence being off) and waits until the replica is in sync.
    pub fn restart_data(&mut self) -> io::Result<()> {
        for n in self.data.iter_mut().filter(|n| !n.is_running()) {
            n.restart()?;
        }
        let replica = self.data[1].port();
        wait_until("the replica in sync", Duration::from_secs(20), || {
            Ok(call_text(replica, &["INFO", "replication"])?.contains("master_link_status:up"))
        })
    }

    fn wait_new_master(&self, old: u16) -> io::Result<u16> {
        let mut new = old;
        wait_until(
            "the Sentinels promote the replica",
            Duration::from_secs(30),
            || {
                new = self.master_port()?;
                Ok(new != old && call_text(new, &["INFO", "replication"])?.contains("role:master"))
            },
        )?;
        Ok(new)
    }
}
