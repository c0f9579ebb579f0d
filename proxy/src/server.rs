//! Accepting connections and shutting down gracefully.
//!
//! One tokio task per connection (HTTP/1.1 with keep-alive), at most
//! [`ProxyConfig::max_connections`] at once: past that, new connections wait in the listen
//! backlog. Shutdown is a `watch` flag: the accept loop stops, every connection finishes its
//! in-flight request and closes ([`hyper`]'s graceful shutdown), subscription streams end,
//! and once all connections are gone (or [`ProxyConfig::shutdown_grace`] has passed) the
//! storage is closed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use crate::config::ProxyConfig;
use crate::routes::{handle, Shared};
use crate::sse::{ConnectionKill, FINAL_EVENT_GRACE};
use crate::ProxyError;
use hedgestore_native::Storage;

/// How long a client may take to send a request's headers (slowloris protection).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

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

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut flag: watch::Receiver<bool>,
    config: &ProxyConfig,
) -> Result<(), ProxyError> {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            biased;
            _ = stopped(&mut flag) => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // the semaphore is never closed
            },
        };
        let accepted = tokio::select! {
            biased;
            _ = stopped(&mut flag) => break,
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                connections.spawn(connection(
                    stream,
                    Arc::clone(&shared),
                    flag.clone(),
                    permit,
                ));
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

async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut flag: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    // A slow subscriber's stream asks for its connection to be closed through this.
    let kill = Arc::new(Notify::new());
    let kill_switch = ConnectionKill(Arc::clone(&kill));
    let service = service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(kill_switch.clone());
        handle(Arc::clone(&shared), request)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
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
