//! `hedgestore-proxy`: the Upstash-compatible Redis REST server in front of hedgestore's
//! storage. Configured by the environment (see `--help`); stops gracefully on SIGTERM or
//! Ctrl-C. The server itself is this package's library, [`hedgestore_proxy`].

use std::io::Write;
use std::process::ExitCode;

use hedgestore_proxy::{self as proxy, ProxyConfig};

const HELP: &str = "\
hedgestore-proxy: an Upstash-compatible Redis REST server (HTTP) in front of hedgestore.

Configuration (environment):
  HEDGESTORE_PROXY_ADDR            ip:port to listen on (port 0: any free port)  [127.0.0.1:8079]
  HEDGESTORE_PROXY_TOKEN           bearer token required on every request, at least 16
                                   characters                                    [required]
  HEDGESTORE_PROXY_INSECURE=1      run without a token (loopback addresses only), or accept
                                   a token shorter than 16 characters
  HEDGESTORE_BACKEND               fallback (Redis, memory when down) | redis | memory  [fallback]
  HEDGESTORE_PROXY_CORS_ORIGINS    comma list of browser origins allowed, or *   [none]
  HEDGESTORE_PROXY_ALLOW           administrative commands to allow (flushdb,keys,...) [none]
  HEDGESTORE_PROXY_SSE_KEEPALIVE_MS  keep-alive comment interval on subscriptions [15000]
  HEDGESTORE_PROXY_SHUTDOWN_GRACE_MS how long shutdown waits for requests        [10000]
  REDIS_URL / REDIS_HOST / REDIS_PORT / REDIS_DB / REDIS_PASSWORD, HEDGESTORE_MAX_MEMORY, ...
                                   the storage's own settings

Limits (sizes in bytes, or with kb / mb / gb):
  HEDGESTORE_PROXY_MAX_BODY        largest request body; more: 413               [1mb]
  HEDGESTORE_PROXY_MAX_REPLY       largest reply of a command, pipeline or transaction;
                                   more: 'ERR reply exceeds ...' (pipeline: per entry)  [8mb]
  HEDGESTORE_PROXY_MAX_INFLIGHT    memory held for all clients at once (bodies, replies
                                   until sent, subscriber queues); more waits up to 2 s,
                                   then 503 'ERR the proxy is busy ...'          [256mb]
  HEDGESTORE_PROXY_MAX_SCAN_COUNT  SCAN's COUNT is clamped to this                [1000]
  HEDGESTORE_PROXY_MAX_HEADER      largest request line + headers; more: 431      [16kb]
  HEDGESTORE_PROXY_HEADER_TIMEOUT_MS time to send a request head, also the idle
                                   keep-alive timeout; then the connection closes [10000]
  HEDGESTORE_PROXY_MAX_CONNECTIONS open connections at most; past it 64 more are
                                   accepted to answer /health (503 otherwise)     [10000]
  HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER  connections from one IP address; more: 429
                                   (behind a load balancer: raise to MAX_CONNECTIONS) [1000]
  HEDGESTORE_PROXY_SSE_HARD_LIMIT  a subscriber with more events waiting is disconnected [32mb]
  HEDGESTORE_PROXY_SSE_SOFT_LIMIT  ... or with more than this waiting for       [8mb]
  HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS ... this long                               [60000]
  Fixed: a body must arrive within 30 s (408); after 10 failed authentications from one
  address (one more allowed per second) its requests wait 1 s; errors are cut to 256 bytes.

Endpoints: POST / (one command), POST /pipeline, POST /multi-exec (atomic), GET /<cmd>/<args>,
GET|POST /subscribe/<channel> and /psubscribe/<pattern> (Server-Sent Events), GET /health,
GET /metrics (Prometheus text format; needs the token).
On start it prints 'hedgestore-proxy listening on http://<addr>' to standard output.
";

fn main() -> ExitCode {
    if let Some(arg) = std::env::args().nth(1) {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "-V" | "--version" => {
                println!("hedgestore-proxy {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!(
                    "hedgestore-proxy: unknown argument '{other}' \
                     (configuration is by environment; see --help)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hedgestore-proxy: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    let config = match ProxyConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("hedgestore-proxy: {e}");
            return ExitCode::from(2);
        }
    };
    // Before the storage opens, so that its first metrics are recorded.
    if let Err(e) = proxy::install_metrics() {
        eprintln!("hedgestore-proxy: {e}");
        return ExitCode::FAILURE;
    }
    let mode = config.backend;
    let storage = match config.open_storage().await {
        Ok(storage) => storage,
        Err(e) => {
            eprintln!("hedgestore-proxy: cannot open the {mode} storage: {e}");
            return ExitCode::FAILURE;
        }
    };
    if config.token.is_none() {
        eprintln!(
            "hedgestore-proxy: WARNING: running without a token (HEDGESTORE_PROXY_INSECURE=1)"
        );
    }
    let handle = match proxy::serve(config, storage, shutdown_signal()).await {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("hedgestore-proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "hedgestore-proxy listening on http://{} (backend: {mode})",
        handle.local_addr()
    );
    let _ = std::io::stdout().flush();
    match handle.wait().await {
        Ok(()) => {
            eprintln!("hedgestore-proxy: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hedgestore-proxy: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => eprintln!("hedgestore-proxy: interrupted, shutting down"),
        _ = terminate => eprintln!("hedgestore-proxy: terminated, shutting down"),
    }
}
