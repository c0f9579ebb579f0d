//! Shared by the proxy's integration tests: start a proxy on a free loopback port over a
//! memory storage, and a tiny HTTP/1.1 client over tokio's `TcpStream` (keep-alive,
//! `Content-Length` and chunked bodies, Server-Sent Events).
#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::time::Duration;

use hedgestore_native::{MemoryConfig, Storage};
use hedgestore_proxy::{self as proxy, ProxyConfig, ProxyHandle};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const TOKEN: &str = "test-token-0123456789";

/// A proxy under test and a handle on its storage (to check what is stored directly).
pub struct Proxy {
    pub addr: SocketAddr,
    pub storage: Storage,
    pub handle: ProxyHandle,
}

pub async fn start() -> Proxy {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut ProxyConfig)) -> Proxy {
    start_on(Storage::memory(MemoryConfig::default()).unwrap(), adjust).await
}

/// A proxy over `storage` (a Redis or fallback storage, say).
pub async fn start_on(storage: Storage, adjust: impl FnOnce(&mut ProxyConfig)) -> Proxy {
    let mut config = ProxyConfig::new(TOKEN);
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.sse_keepalive = Duration::from_millis(100);
    config.shutdown_grace = Duration::from_secs(5);
    adjust(&mut config);
    let handle = proxy::serve(config, storage.clone(), std::future::pending())
        .await
        .unwrap();
    Proxy {
        addr: handle.local_addr(),
        storage,
        handle,
    }
}

/// A response, body read in full.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream),
        }
    }

    /// Writes raw bytes (for requests sent in pieces).
    pub async fn write(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).await.unwrap();
    }

    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" || method == "PUT" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.write(&bytes).await;
    }

    async fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).await.unwrap();
        assert!(n > 0, "connection closed while reading a line");
        line.trim_end_matches(['\r', '\n']).to_string()
    }

    /// Reads the status line and headers.
    pub async fn head(&mut self) -> (u16, Vec<(String, String)>) {
        let status_line = self.line().await;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("header line");
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        (status, headers)
    }

    /// The next chunk of a chunked body; `None` at its end.
    pub async fn chunk(&mut self) -> Option<Vec<u8>> {
        let size_line = self.line().await;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size {size_line:?}"));
        let mut data = vec![0; size];
        self.reader.read_exact(&mut data).await.unwrap();
        let end = self.line().await;
        assert!(end.is_empty(), "chunk not followed by CRLF");
        (size > 0).then_some(data)
    }

    /// Reads a whole response (a HEAD-less request: body by length or chunks).
    pub async fn response(&mut self) -> Response {
        let (status, headers) = self.head().await;
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let mut body = Vec::new();
        if let Some(len) = get("content-length") {
            body = vec![0; len.parse().unwrap()];
            self.reader.read_exact(&mut body).await.unwrap();
        } else if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            while let Some(chunk) = self.chunk().await {
                body.extend_from_slice(&chunk);
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(method, path, headers, body).await;
        tokio::time::timeout(Duration::from_secs(10), self.response())
            .await
            .expect("a response within 10 s")
    }

    /// True when the server closed the connection (EOF) within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(wait, self.reader.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// One request on a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    Conn::open(addr)
        .await
        .request(method, path, headers, body)
        .await
}

pub fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

/// `POST path` with the token and a body.
pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Response {
    let auth = bearer();
    request(
        addr,
        "POST",
        path,
        &[("Authorization", &auth)],
        body.as_bytes(),
    )
    .await
}

/// `GET path` with the token.
pub async fn get(addr: SocketAddr, path: &str) -> Response {
    let auth = bearer();
    request(addr, "GET", path, &[("Authorization", &auth)], b"").await
}

/// A Server-Sent Events stream: the response head, then events one at a time.
pub struct Events {
    pub conn: Conn,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    buffer: String,
}

impl Events {
    pub async fn open(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Events {
        let mut conn = Conn::open(addr).await;
        let mut all = vec![
            ("Accept", "text/event-stream"),
            ("Cache-Control", "no-cache"),
        ];
        all.extend_from_slice(headers);
        let body: &[u8] = if method == "POST" { b"[]" } else { b"" };
        conn.send(method, path, &all, body).await;
        let (status, headers) = conn.head().await;
        Events {
            conn,
            status,
            headers,
            buffer: String::new(),
        }
    }

    /// The next event's raw text (its lines, without the blank line that ends it); comments
    /// (`: keepalive`) are skipped. `None` when the stream ended.
    pub async fn next_raw(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer[..end].to_string();
                self.buffer.drain(..end + 2);
                if event.lines().all(|l| l.starts_with(':')) {
                    continue;
                }
                return Some(event);
            }
            let chunk = self.conn.chunk().await?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event, within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, self.next_raw())
            .await
            .expect("an event in time")
    }
}

/// The `hedgestore-proxy` binary running as a child process (memory backend, the test token,
/// a free port), killed when dropped however the test ends.
pub struct ProxyProcess {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the proxy binary with `extra` environment variables on top of a clean
/// environment, and waits for the address it prints.
pub fn spawn_binary(extra: &[(&str, &std::ffi::OsStr)]) -> ProxyProcess {
    use std::io::BufRead;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hedgestore-proxy"));
    command
        .env_clear()
        .env("HEDGESTORE_BACKEND", "memory")
        .env("HEDGESTORE_PROXY_ADDR", "127.0.0.1:0")
        .env("HEDGESTORE_PROXY_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the proxy binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the proxy prints its address");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    ProxyProcess { child, addr }
}
