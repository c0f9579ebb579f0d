use std::fs::File;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::resp::{Resp, RespConnection};

/// A `redis-server` child process on `127.0.0.1:<free port>`, killed when dropped.
///
/// The binary is `redis-server` from `PATH`, or the path in `REDIS_SERVER_BIN`. The project's
/// test command installs it when missing.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    password: Option<String>,
    /// The server's working directory (`--dir`): where a `SAVE` writes its snapshot and a
    /// restart loads it from; removed when the server is dropped.
    dir: std::path::PathBuf,
    /// Keeps the port reserved for this server's whole life, killed phases included.
    _lease: PortLease,
    /// More command-line settings (cluster mode, `--replicaof`, …).
    extra: Vec<String>,
    /// Runs as a Sentinel with this configuration file (written into `dir`).
    sentinel_conf: Option<String>,
    /// More leased ports (a cluster node's bus port).
    _more_leases: Vec<PortLease>,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers `PING`.
    pub fn start() -> io::Result<Self> {
        Self::start_with_password(None)
    }

    /// Starts a server that requires `password` (`requirepass`).
    pub fn start_with_password(password: Option<&str>) -> io::Result<Self> {
        Self::start_configured(password, Vec::new(), |_| Ok(Vec::new()), None)
    }

    /// Starts a server with more command-line settings: `extra(port)` gives them, knowing
    /// the server's port (more ports it needs are leased by [`RedisServer::lease_port`]).
    pub(crate) fn start_configured(
        password: Option<&str>,
        more_leases: Vec<PortLease>,
        extra: impl FnOnce(u16) -> io::Result<Vec<String>>,
        sentinel_conf: Option<&dyn Fn(u16) -> String>,
    ) -> io::Result<Self> {
        let lease = PortLease::take()?;
        let dir = std::env::temp_dir().join(format!(
            "hedgestore-redis-{}-{}",
            std::process::id(),
            lease.port
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let port = lease.port;
        let mut server = Self {
            child: None,
            port,
            password: password.map(str::to_owned),
            dir,
            _lease: lease,
            extra: extra(port)?,
            sentinel_conf: sentinel_conf.map(|conf| conf(port)),
            _more_leases: more_leases,
        };
        server.spawn()?;
        Ok(server)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>` (without the password).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A fresh connection to the server (authenticated if it has a password).
    pub fn connect(&self) -> io::Result<RespConnection> {
        let mut conn = RespConnection::connect(self.port)?;
        if let Some(pw) = &self.password {
            match conn.call(&[b"AUTH".as_slice(), pw.as_bytes()])? {
                Resp::Simple(_) => {}
                other => return Err(io::Error::other(format!("AUTH failed: {other:?}"))),
            }
        }
        Ok(conn)
    }

    /// The server's working directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Leases one more loopback port (for a cluster node's bus port).
    pub(crate) fn lease_port() -> io::Result<PortLease> {
        PortLease::take()
    }

    /// Whether the process is running (not killed).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the server at once (`SIGKILL`), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)). It comes back
    /// empty, as a crashed server without persistence does, unless a `SAVE` wrote a snapshot
    /// into its directory: then it comes back with that snapshot's data.
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        self.spawn()
    }

    /// Freezes the server (`SIGSTOP`): connections stay open but nothing answers.
    pub fn pause(&self) -> io::Result<()> {
        self.signal("-STOP")
    }

    /// Thaws a server frozen by [`pause`](Self::pause) (`SIGCONT`).
    pub fn resume(&self) -> io::Result<()> {
        self.signal("-CONT")
    }

    fn signal(&self, sig: &str) -> io::Result<()> {
        let child = self
            .child
            .as_ref()
            .ok_or_else(|| io::Error::other("redis-server is not running"))?;
        let status = Command::new("kill")
            .arg(sig)
            .arg(child.id().to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("kill {sig} failed: {status}")))
        }
    }

    fn spawn(&mut self) -> io::Result<()> {
        let bin = std::env::var("REDIS_SERVER_BIN").unwrap_or_else(|_| "redis-server".into());
        let mut cmd = Command::new(&bin);
        if let Some(conf) = &self.sentinel_conf {
            // A Sentinel rewrites its configuration file: a fresh one at every start.
            let path = self.dir.join("sentinel.conf");
            std::fs::write(&path, conf)?;
            cmd.arg(&path).arg("--sentinel");
        }
        cmd.args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--daemonize", "no"])
            .args(["--protected-mode", "yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if self.sentinel_conf.is_none() {
            cmd.args(["--save", ""]).args(["--appendonly", "no"]);
        }
        cmd.args(&self.extra);
        if let Some(pw) = &self.password {
            cmd.args(["--requirepass", pw]);
        }
        let child = cmd.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start `{bin}` ({e}); install redis-server (scripts/test.sh does)"),
            )
        })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut conn) = self.connect() {
                if let Ok(Resp::Simple(s)) = conn.call(&[b"PING".as_slice()]) {
                    if s == "PONG" {
                        return Ok(());
                    }
                }
            }
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    return Err(io::Error::other(format!("redis-server exited: {status}")));
                }
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(io::Error::other(
                    "redis-server did not answer PING within 10 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL works on a stopped process too; continuing it first just lets it be
        // reaped at once.
        let _ = self.resume();
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port reserved for one [`RedisServer`] for as long as it exists.
///
/// A test that kills its server and restarts it on the same port must not find another
/// test's server there in between (that server would look like its own Redis, restarted).
/// So a port is leased, not just found free: an exclusive lock on
/// `$TMPDIR/hedgestore-test-ports/<port>.lock`, held until the server is dropped, keeps every
/// other `RedisServer` — in this process or any other test process on the machine — off it.
/// Ports come from 10000–31999, below Linux's ephemeral range (32768–60999), so no
/// outgoing connection can take a killed server's port either.
#[derive(Debug)]
pub(crate) struct PortLease {
    pub(crate) port: u16,
    _lock: File,
}

const FIRST_PORT: u16 = 10_000;
const PORTS: u32 = 22_000;

impl PortLease {
    fn take() -> io::Result<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join("hedgestore-test-ports");
        std::fs::create_dir_all(&dir)?;
        // Processes start at different offsets, so they rarely probe the same ports.
        let offset = std::process::id().wrapping_mul(7919);
        for _ in 0..PORTS {
            let n = offset.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % PORTS;
            let port = FIRST_PORT + u16::try_from(n).expect("below 22000");
            let lock = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join(format!("{port}.lock")))?;
            if lock.try_lock().is_err() {
                continue;
            }
            // Leased; usable only if nothing else (outside these tests) listens there.
            if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return Ok(Self { port, _lock: lock });
            }
        }
        Err(io::Error::other("no free loopback port to lease"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_id(server: &RedisServer) -> String {
        let mut conn = server.connect().unwrap();
        match conn.call(&[b"INFO".as_slice(), b"server"]).unwrap() {
            Resp::Bulk(Some(text)) => String::from_utf8_lossy(&text)
                .lines()
                .find_map(|l| l.strip_prefix("run_id:").map(str::to_owned))
                .unwrap(),
            other => panic!("INFO: {other:?}"),
        }
    }

    #[test]
    fn a_restart_is_a_new_server_on_the_same_port() {
        let mut server = RedisServer::start().unwrap();
        let port = server.port();
        for round in 0..20 {
            let before = run_id(&server);
            server.restart().unwrap();
            assert_eq!(server.port(), port);
            assert_ne!(
                run_id(&server),
                before,
                "round {round}: the old server answered"
            );
        }
    }
}
