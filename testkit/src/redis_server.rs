use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
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
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers `PING`.
    pub fn start() -> io::Result<Self> {
        Self::start_with_password(None)
    }

    /// Starts a server that requires `password` (`requirepass`).
    pub fn start_with_password(password: Option<&str>) -> io::Result<Self> {
        let port = free_port()?;
        let mut server = Self {
            child: None,
            port,
            password: password.map(str::to_owned),
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

    /// Kills the server at once (`SIGKILL`), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (after [`kill`](Self::kill)); its data is
    /// gone, as with a real crash of a server without persistence.
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
        cmd.args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .args(["--protected-mode", "yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
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
    }
}

/// A port nobody listens on right now (the OS picks it).
pub(crate) fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = listener.local_addr()?.port();
    drop(listener);
    // Make sure nothing else grabbed it in between (best effort).
    if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
        return free_port();
    }
    Ok(port)
}
