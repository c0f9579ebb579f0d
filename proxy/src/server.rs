//! Accepting connections and shutting down gracefully.
//!
//! One tokio task per connection (HTTP/1.1 with keep-alive), at most
//! [`ProxyConfig::max_connections`] at once, and at most
//! [`ProxyConfig::max_connections_per_peer`] from one IP address (more are answered 429 and
//! closed). Past the global limit, [`HEALTH_RESERVE`] more connections are accepted to answer
//! `/health` (anything else gets a 503), one request each; past that, new connections wait
//! in the listen backlog. A connection must send each request head within
//! [`ProxyConfig::header_timeout`], which is also how long an idle keep-alive connection
//! stays open, and a head over [`ProxyConfig::max_header`] is answered 431 and closed.
//! Shutdown is a `watch` flag: the accept loop stops, every connection finishes its
//! in-flight request and closes ([`hyper`]'s graceful shutdown), subscription streams end,
//! and once all connections are gone (or [`ProxyConfig::shutdown_grace`] has passed) the
//! storage is closed.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use crate::config::ProxyConfig;
use crate::io::ConnIo;
use crate::routes::{at_capacity, handle, Peer, Shared};
use crate::sse::{ConnectionKill, FINAL_EVENT_GRACE};
use crate::ProxyError;
use hedgestore_native::Storage;

/// A running proxy.
#[derive(Debug)]
pub struct ProxyHandle {
    local_addr: SocketAddr,
    stop: Arc<watch::Sender<bool>>,
    task: JoinHandle<Result<(), ProxyError>>,
}

impl ProxyHandle {
    /// The address the proxy listens on (with the real port when configured with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Starts a graceful shutdown (the same as the shutdown future completing).
    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// Waits until the proxy has stopped: connections drained and the storage closed.
    pub async fn wait(self) -> Result<(), ProxyError> {
        self.task
            .await
            .map_err(|e| ProxyError::Task(e.to_string()))?
    }
}

async fn stopped(flag: &mut watch::Receiver<bool>) {
    // A dropped sender cannot happen while the server runs (the task holds one); treat it
    // as a stop anyway.
    let _ = flag.wait_for(|stop| *stop).await;
}

/// Binds `config.addr`, then serves `storage` until `shutdown` completes (or
/// [`ProxyHandle::shutdown`] is called). The storage is closed when the proxy stops.
pub(crate) async fn serve<F>(
    config: ProxyConfig,
    storage: Storage,
    shutdown: F,
) -> Result<ProxyHandle, ProxyError>
where
    F: Future<Output = ()> + Send + 'static,
{
    config.validate()?;
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ProxyError::Bind {
            addr: config.addr,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| ProxyError::Bind {
        addr: config.addr,
        source,
    })?;
    let (stop, flag) = watch::channel(false);
    let stop = Arc::new(stop);
    let trigger = Arc::clone(&stop);
    tokio::spawn(async move {
        shutdown.await;
        trigger.send_replace(true);
    });
    let shared = Arc::new(Shared::new(&config, storage, flag.clone()));
    let keep = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let result = accept_loop(listener, shared, flag, &config).await;
        drop(keep);
        result
    });
    tracing::info!(%local_addr, "hedgestore-proxy listening");
    Ok(ProxyHandle {
        local_addr,
        stop,
        task,
    })
}

/// Connections accepted past [`ProxyConfig::max_connections`] to answer `/health` (and a
/// 503 to anything else): a flood of connections cannot hide the proxy's health from a load
/// balancer. Each serves one request, with a short header timeout, then closes.
pub(crate) const HEALTH_RESERVE: usize = 64;

/// How long a connection in the health reserve may take to send its request head.
const HEALTH_RESERVE_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// Open connections per peer address; a connection's entry is released when it closes.
#[derive(Default)]
struct PeerCounts(Mutex<HashMap<IpAddr, usize>>);

/// One connection's place in [`PeerCounts`].
struct PeerSlot {
    counts: Arc<PeerCounts>,
    ip: IpAddr,
}

impl PeerCounts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for `ip`, unless it already has `max` connections open.
    fn claim(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<PeerSlot> {
        let mut counts = self.lock();
        let count = counts.entry(ip).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(PeerSlot {
            counts: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock();
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Which kind of place an accepted connection has.
enum Place {
    /// One of [`ProxyConfig::max_connections`].
    Regular(OwnedSemaphorePermit),
    /// One of [`HEALTH_RESERVE`]: the connection limit is reached.
    Reserve(OwnedSemaphorePermit),
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut flag: watch::Receiver<bool>,
    config: &ProxyConfig,
) -> Result<(), ProxyError> {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let reserve = Arc::new(Semaphore::new(HEALTH_RESERVE));
    let peers = Arc::new(PeerCounts::default());
    let limits = ConnLimits::of(config);
    let mut connections = JoinSet::new();
    loop {
        let place = tokio::select! {
            biased;
            _ = stopped(&mut flag) => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => Place::Regular(permit),
                Err(_) => break, // the semaphore is never closed
            },
            permit = Arc::clone(&reserve).acquire_owned(), if slots.available_permits() == 0 => {
                match permit {
                    Ok(permit) => Place::Reserve(permit),
                    Err(_) => break,
                }
            }
        };
        let accepted = tokio::select! {
            biased;
            _ = stopped(&mut flag) => break,
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let Some(peer_slot) = peers.claim(peer.ip(), config.max_connections_per_peer)
                else {
                    refuse_peer(&stream, config.max_connections_per_peer);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let io = ConnIo::new(stream, config.max_header);
                match place {
                    Place::Regular(permit) => {
                        connections.spawn(connection(
                            io,
                            peer.ip(),
                            Arc::clone(&shared),
                            flag.clone(),
                            limits,
                            (permit, peer_slot),
                        ));
                    }
                    Place::Reserve(permit) => {
                        connections.spawn(reserve_connection(
                            io,
                            Arc::clone(&shared),
                            limits,
                            (permit, peer_slot),
                        ));
                    }
                }
            }
            Err(e) => {
                // Out of file descriptors and the like: wait a moment instead of spinning.
                tracing::warn!(error = %e, "hedgestore-proxy: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            remaining = connections.len(),
            "hedgestore-proxy: shutdown grace period over, closing remaining connections"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    shared.storage.close().await?;
    tracing::info!("hedgestore-proxy stopped");
    Ok(())
}

/// Answers a peer over [`ProxyConfig::max_connections_per_peer`] with a 429 and closes. The
/// answer is one small write into a fresh socket's empty buffer, so it never waits; if the
/// client's request is still unread, the close may reset the connection before the client
/// reads the answer (it sees a refused connection then).
fn refuse_peer(stream: &TcpStream, max: usize) {
    let body = hedgestore_core::codec::encode_error(&format!(
        "ERR too many connections from your address: at most {max} \
         (HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER)"
    ));
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(answer.as_bytes());
    tracing::debug!("hedgestore-proxy: connection refused, too many from one peer");
}

/// The connection settings hyper needs.
#[derive(Debug, Clone, Copy)]
struct ConnLimits {
    max_header: usize,
    header_timeout: Duration,
}

impl ConnLimits {
    fn of(config: &ProxyConfig) -> Self {
        Self {
            max_header: config.max_header,
            header_timeout: config.header_timeout,
        }
    }

    fn builder(&self, header_timeout: Duration) -> http1::Builder {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            // Also the idle keep-alive timeout: hyper starts it whenever it waits for a head.
            .header_read_timeout(header_timeout)
            .max_header_size(self.max_header)
            // An unfinished head is held in this buffer: it cannot grow past the limit.
            .max_buf_size(self.max_header.max(8192))
            .keep_alive(true);
        builder
    }
}

async fn connection(
    io: ConnIo,
    peer: IpAddr,
    shared: Arc<Shared>,
    mut flag: watch::Receiver<bool>,
    limits: ConnLimits,
    _places: (OwnedSemaphorePermit, PeerSlot),
) {
    // A slow subscriber's stream asks for its connection to be closed through this.
    let kill = Arc::new(Notify::new());
    let kill_switch = ConnectionKill(Arc::clone(&kill));
    let service = service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(kill_switch.clone());
        request.extensions_mut().insert(Peer(peer));
        handle(Arc::clone(&shared), request)
    });
    let builder = limits.builder(limits.header_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "hedgestore-proxy: connection ended with an error");
            }
        }
        _ = kill.notified() => {
            // Let the last event go out if the client reads, then close regardless.
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(FINAL_EVENT_GRACE, conn.as_mut()).await;
        }
        _ = stopped(&mut flag) => {
            conn.as_mut().graceful_shutdown();
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "hedgestore-proxy: connection ended with an error");
            }
        }
    }
}

/// A connection in the [`HEALTH_RESERVE`]: one request, `/health` answered, anything else a
/// 503 saying the proxy is at its connection limit.
async fn reserve_connection(
    io: ConnIo,
    shared: Arc<Shared>,
    limits: ConnLimits,
    _places: (OwnedSemaphorePermit, PeerSlot),
) {
    let service = service_fn(move |request: Request<Incoming>| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, std::convert::Infallible>(at_capacity(&shared, request).await) }
    });
    let mut builder = limits.builder(limits.header_timeout.min(HEALTH_RESERVE_HEADER_TIMEOUT));
    builder.keep_alive(false);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "hedgestore-proxy: reserve connection ended with an error");
    }
}
