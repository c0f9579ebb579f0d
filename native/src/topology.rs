//! Which kind of Redis deployment the storage talks to: one server, a Redis Cluster, or a
//! master with replicas watched by Redis Sentinel.
//!
//! | variable | meaning |
//! |---|---|
//! | `REDIS_CLUSTER_NODES` | `host:port,host:port,…`: seed nodes of a Redis Cluster (any reachable node is enough; the rest is discovered) |
//! | `REDIS_SENTINELS` | `host:port,host:port,…`: the Sentinels that watch the master |
//! | `REDIS_SENTINEL_MASTER` | the master's name in Sentinel (`sentinel monitor <name> …`) |
//! | `REDIS_URL=redis+sentinel://[:password@]host:port[,host:port…]/<master>[/<db>]` | the same Sentinel settings in one URL |
//!
//! `REDIS_PASSWORD` applies to the cluster nodes and to the Sentinel-discovered master (not
//! to the Sentinels themselves). Mixed settings are refused with a [`ConfigError`]: cluster
//! nodes together with Sentinels, a cluster or Sentinel setup together with a plain
//! `redis://` `REDIS_URL`, `REDIS_DB` other than 0 with a cluster (Redis Cluster has only
//! database 0), a Sentinel list without a master name or the reverse.

use std::fmt;

use crate::config::{ConfigError, Secret};

/// One `host:port` address of a cluster node or a Sentinel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddr {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl NodeAddr {
    /// An address.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }

    /// Parses `host:port` (an IPv6 literal in brackets: `[::1]:7000`).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (host, port) = text.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = port.parse().ok().filter(|p| *p > 0)?;
        (!host.is_empty()).then(|| Self::new(host, port))
    }

    /// `redis://[:password@]host:port/db` for this node.
    #[cfg(feature = "redis")]
    pub(crate) fn url(&self, password: Option<&Secret>, db: u32) -> Secret {
        let auth = match password {
            Some(pw) => format!(":{}@", crate::config::percent_encode(pw.expose())),
            None => String::new(),
        };
        Secret::new(format!("redis://{auth}{self}/{db}"))
    }
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The kind of Redis deployment (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RedisTopology {
    /// One server (`REDIS_URL`, or `REDIS_HOST`/`REDIS_PORT`). The default.
    #[default]
    Single,
    /// A Redis Cluster, reached through these seed nodes.
    Cluster {
        /// Seed nodes; the client discovers the others and the slot map from them.
        nodes: Vec<NodeAddr>,
    },
    /// A master found through Redis Sentinel and followed across failovers.
    Sentinel {
        /// The Sentinels.
        sentinels: Vec<NodeAddr>,
        /// The master's name in Sentinel.
        master: String,
    },
}

impl RedisTopology {
    /// A short name for logs and errors: `single`, `cluster` or `sentinel`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Cluster { .. } => "cluster",
            Self::Sentinel { .. } => "sentinel",
        }
    }
}

/// Parses a comma-separated `host:port` list (the value of `variable`).
pub(crate) fn parse_nodes(
    variable: &'static str,
    value: &str,
) -> Result<Vec<NodeAddr>, ConfigError> {
    let mut nodes = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        nodes.push(NodeAddr::parse(part).ok_or_else(|| ConfigError {
            variable,
            problem: format!("'{part}' is not host:port (port 1-65535)"),
        })?);
    }
    if nodes.is_empty() {
        return Err(ConfigError {
            variable,
            problem: "no host:port given".into(),
        });
    }
    Ok(nodes)
}

/// What a `redis+sentinel://` URL says.
#[derive(Debug)]
pub(crate) struct SentinelUrl {
    pub(crate) sentinels: Vec<NodeAddr>,
    pub(crate) master: String,
    pub(crate) db: Option<u32>,
    pub(crate) password: Option<Secret>,
}

/// Parses `redis+sentinel://[[user]:password@]host:port[,host:port…]/<master>[/<db>]`.
/// Errors never show the URL (it may hold a password).
pub(crate) fn parse_sentinel_url(url: &str) -> Result<SentinelUrl, ConfigError> {
    let bad = |problem: &str| ConfigError {
        variable: "REDIS_URL",
        problem: format!("{problem} (value not shown: it may hold a password)"),
    };
    let rest = url
        .strip_prefix("redis+sentinel://")
        .ok_or_else(|| bad("not a redis+sentinel:// URL"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (auth, hosts) = match authority.rsplit_once('@') {
        Some((auth, hosts)) => (Some(auth), hosts),
        None => (None, authority),
    };
    let password = match auth {
        Some(auth) => {
            let pw = auth.split_once(':').map_or("", |(_, pw)| pw);
            let pw = percent_decode(pw).ok_or_else(|| bad("the password is badly escaped"))?;
            (!pw.is_empty()).then(|| Secret::new(pw))
        }
        None => None,
    };
    let sentinels =
        parse_nodes("REDIS_URL", hosts).map_err(|_| bad("the Sentinels must be host:port,…"))?;
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let master = segments
        .next()
        .map(str::to_string)
        .ok_or_else(|| bad("the master name is missing (redis+sentinel://host:port/<master>)"))?;
    let db = match segments.next() {
        Some(db) => Some(
            db.parse()
                .map_err(|_| bad("the database after the master name is not a number"))?,
        ),
        None => None,
    };
    if segments.next().is_some() {
        return Err(bad("expected /<master>[/<db>] after the Sentinels"));
    }
    Ok(SentinelUrl {
        sentinels,
        master,
        db,
        password,
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_lists_parse_hosts_ports_and_ipv6() {
        let nodes = parse_nodes("V", "a:1, 127.0.0.1:7000,[::1]:7001").unwrap();
        assert_eq!(
            nodes,
            vec![
                NodeAddr::new("a", 1),
                NodeAddr::new("127.0.0.1", 7000),
                NodeAddr::new("::1", 7001)
            ]
        );
        assert_eq!(nodes[2].to_string(), "[::1]:7001");
        assert!(parse_nodes("V", "a").is_err());
        assert!(parse_nodes("V", "a:0").is_err());
        assert!(parse_nodes("V", ":7000").is_err());
        assert!(parse_nodes("V", " , ").is_err());
    }

    #[test]
    fn sentinel_urls_parse_and_never_echo_the_password() {
        let u =
            parse_sentinel_url("redis+sentinel://:p%40ss@s1:26379,s2:26380/mymaster/2").unwrap();
        assert_eq!(u.master, "mymaster");
        assert_eq!(u.db, Some(2));
        assert_eq!(u.password.as_ref().map(Secret::expose), Some("p@ss"));
        assert_eq!(u.sentinels.len(), 2);
        let u = parse_sentinel_url("redis+sentinel://s1:26379/m").unwrap();
        assert_eq!((u.db, u.password), (None, None));
        for bad in [
            "redis+sentinel://:hunter2@s1:26379",
            "redis+sentinel://:hunter2@s1/m",
            "redis+sentinel://:hunter2@s1:1/m/x",
            "redis+sentinel://:hunter2@s1:1/m/0/extra",
        ] {
            let e = parse_sentinel_url(bad).unwrap_err();
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }
}
