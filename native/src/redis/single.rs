//! The connection to a single Redis server: one multiplexed connection (many tasks pipeline
//! over one socket), made on demand and made again after it broke.
//!
//! This replaces the `redis` crate's `ConnectionManager` on the hot path, for two reasons
//! that BENCHMARKS.md §6 measured: a call that finds the connection up costs one `ArcSwap`
//! load and a clone (no shared future to poll), and it is bounded by the connection's own
//! response timeout, so [`RedisStorage`](super::RedisStorage) needs no timer of its own for
//! it ([`SingleConn::ready`]). A call that finds no connection connects under the caller's
//! deadline, and whether a failed call was sent is known exactly (a connect that failed sent
//! nothing), which is what the fallback's journal needs.
//!
//! **Reconnecting.** One connect at a time ([`SingleConn::connect_with`]); callers that arrive
//! meanwhile wait for it and share its connection. After a failed connect, further connects
//! wait `backoff_base × backoff_factor^(n-1)` (at most `backoff_max_delay`) after the n-th
//! consecutive failure, and stop after `backoff_max_attempts` of them; callers arriving
//! during such a wait fail at once with the last connect error (nothing sent). The health
//! checks (their probe and the keepalive) connect whatever the backoff says, and so
//! start a new cycle every `health_check_interval`: retrying never stops for good and
//! never spins. A connection is dropped when a call on it fails with an error after which
//! it cannot be used (the crate's `is_unrecoverable_error`: dropped socket, parse error);
//! a response timeout alone does not drop it (a slow command is not a broken connection).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Cmd, Pipeline, RedisError, RedisResult, Value};
use tokio::time::Instant;

use crate::config::RedisConfig;

/// A live connection and its generation (which connect made it).
struct Live {
    generation: u64,
    conn: MultiplexedConnection,
}

/// Consecutive failed connects, and when the next one may be tried.
#[derive(Default)]
struct Backoff {
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<RedisError>,
    generation: u64,
}

/// The settings of [`SingleConn`]'s reconnect backoff.
#[derive(Clone, Copy, Debug)]
struct BackoffSettings {
    base: Duration,
    factor: f32,
    max_delay: Duration,
    max_attempts: u32,
}

impl BackoffSettings {
    /// The wait after the `failures`-th consecutive failed connect (`None`: no more
    /// connects in this cycle).
    fn delay(&self, failures: u32) -> Option<Duration> {
        if failures >= self.max_attempts.max(1) {
            return None;
        }
        let exponent = i32::try_from(failures.saturating_sub(1)).unwrap_or(i32::MAX);
        let scaled = self.base.as_secs_f64() * f64::from(self.factor.max(1.0)).powi(exponent);
        Some(Duration::from_secs_f64(
            scaled.min(self.max_delay.as_secs_f64()).max(0.0),
        ))
    }
}

/// What a caller gets from [`SingleConn`]: a connection, or why none is there. A connect
/// error means nothing was sent.
pub(crate) struct Connected {
    pub(crate) conn: MultiplexedConnection,
    generation: u64,
}

/// One server's command (or health) connection. Cheap to share (`Arc`).
pub(crate) struct SingleConn {
    client: Client,
    config: AsyncConnectionConfig,
    backoff: BackoffSettings,
    live: ArcSwapOption<Live>,
    /// Held while connecting: one connect at a time.
    connecting: tokio::sync::Mutex<()>,
    state: Mutex<Backoff>,
}

impl SingleConn {
    /// A connection to `client`'s server with `config`'s timeouts and backoff (the response
    /// timeout given: the command connection uses `response_timeout`, the health checks
    /// their own). Nothing is contacted until the first call.
    pub(crate) fn new(client: Client, config: &RedisConfig, response_timeout: Duration) -> Self {
        Self {
            client,
            config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(config.connect_timeout))
                .set_response_timeout(Some(response_timeout)),
            backoff: BackoffSettings {
                base: config.backoff_base,
                factor: config.backoff_factor,
                max_delay: config.backoff_max_delay,
                max_attempts: u32::try_from(config.backoff_max_attempts).unwrap_or(u32::MAX),
            },
            live: ArcSwapOption::const_empty(),
            connecting: tokio::sync::Mutex::new(()),
            state: Mutex::new(Backoff::default()),
        }
    }

    /// The live connection, if there is one: no waiting, no connecting.
    pub(crate) fn ready(&self) -> Option<Connected> {
        self.live.load().as_ref().map(|live| Connected {
            conn: live.conn.clone(),
            generation: live.generation,
        })
    }

    /// The live connection, connecting first when there is none, unless the backoff says
    /// to wait (then the last connect error, nothing sent); `now` connects whatever the
    /// backoff says (the health checks: each round starts a new backoff cycle). Bounded in
    /// time only by the connect timeout; callers put their deadline around it.
    pub(crate) async fn connect_with(&self, now: bool) -> RedisResult<Connected> {
        if let Some(c) = self.ready() {
            return Ok(c);
        }
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(c) = self.ready() {
            return Ok(c);
        }
        if !now {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(error) = &state.last_error {
                let waiting = state.retry_at.is_none_or(|at| Instant::now() < at);
                if waiting {
                    return Err(error.clone());
                }
            }
        }
        let attempt = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match attempt {
            Ok(conn) => {
                state.failures = 0;
                state.retry_at = None;
                state.last_error = None;
                state.generation += 1;
                let live = Arc::new(Live {
                    generation: state.generation,
                    conn,
                });
                let connected = Connected {
                    conn: live.conn.clone(),
                    generation: live.generation,
                };
                self.live.store(Some(live));
                Ok(connected)
            }
            Err(error) => {
                state.failures = if now { 1 } else { state.failures + 1 };
                state.retry_at = self
                    .backoff
                    .delay(state.failures)
                    .map(|d| Instant::now() + d);
                state.last_error = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Notes how a call on `connected` ended: a connection that cannot be used again is
    /// dropped (the next call connects anew), unless a newer one replaced it already.
    pub(crate) fn settle<T>(&self, connected: &Connected, result: &RedisResult<T>) {
        let Err(error) = result else { return };
        if !error.is_unrecoverable_error() {
            return;
        }
        let current = self.live.load();
        if current
            .as_ref()
            .is_some_and(|live| live.generation == connected.generation)
        {
            self.live.compare_and_swap(&*current, None);
        }
    }

    /// The database this connection selects.
    pub(crate) fn db(&self) -> i64 {
        self.client.get_connection_info().redis_settings().db()
    }
}

/// Calls over a shared [`SingleConn`]: connects when needed, drops a broken connection.
pub(crate) struct SingleLink {
    pub(crate) conn: Arc<SingleConn>,
    /// Connects whatever the backoff says (the health checks: each round is a new cycle,
    /// so they notice a server that is back however long it was away).
    pub(crate) force: bool,
}

/// The marker a failed connect carries: nothing was sent. A connect error is handed on as
/// an I/O error of kind `NotConnected` wrapping this, whose source is the [`NotSent`] that
/// [`never_sent`] finds (the `redis` crate's error hides the I/O error itself behind an
/// `Arc`, but passes `source()` through). It holds only the kind of failure: no address,
/// since errors may be logged.
#[derive(Debug)]
struct NeverSent(NotSent);

/// What [`never_sent`] finds: why the connect failed.
#[derive(Debug)]
pub(crate) struct NotSent(&'static str);

impl std::fmt::Display for NeverSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not connected: {}", self.0 .0)
    }
}

impl std::fmt::Display for NotSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for NeverSent {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl std::error::Error for NotSent {}

/// `error`, a failed connect, marked as [`NeverSent`]; a refusal stays as it is (already
/// recognised as "nothing sent", and reported as "connection refused").
pub(crate) fn mark_never_sent(error: RedisError) -> RedisError {
    if super::convert::refused(&error) {
        return error;
    }
    let what = if error.is_timeout() {
        "the connect timed out"
    } else if error.kind() == redis::ErrorKind::AuthenticationFailed {
        "authentication failed"
    } else if error.kind() == redis::ErrorKind::Io {
        "the connect failed"
    } else {
        "the connection could not be set up"
    };
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        NeverSent(NotSent(what)),
    ))
}

/// Why a failed connect sent nothing, when `err` is one ([`NeverSent`]).
pub(crate) fn never_sent(err: &RedisError) -> Option<&'static str> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(marker) = e.downcast_ref::<NotSent>() {
            return Some(marker.0);
        }
        source = e.source();
    }
    None
}

impl SingleLink {
    async fn call<T, F, Fut>(&self, send: F) -> RedisResult<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = (MultiplexedConnection, RedisResult<T>)>,
    {
        let connected = self
            .conn
            .connect_with(self.force)
            .await
            .map_err(mark_never_sent)?;
        let generation = connected.generation;
        let (conn, result) = send(connected.conn).await;
        self.conn.settle(&Connected { conn, generation }, &result);
        result
    }

    pub(crate) async fn command(&self, cmd: &Cmd) -> RedisResult<Value> {
        self.call(|mut c| async move {
            let r = c.req_packed_command(cmd).await;
            (c, r)
        })
        .await
    }

    pub(crate) async fn commands(
        &self,
        pipeline: &Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        self.call(|mut c| async move {
            let r = c.req_packed_commands(pipeline, offset, count).await;
            (c, r)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_connect_is_known_to_have_sent_nothing() {
        let timed_out = RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        let marked = mark_never_sent(timed_out);
        assert_eq!(never_sent(&marked), Some("the connect timed out"));
        assert!(!marked.is_timeout(), "not a response timeout");
        assert!(super::super::link::not_sent(&marked));
        let text = super::super::convert::unavailable(&marked).to_string();
        assert!(
            text.contains("not connected (the connect timed out; nothing sent)"),
            "{text}"
        );
        let auth = mark_never_sent(RedisError::from((
            redis::ErrorKind::AuthenticationFailed,
            "WRONGPASS",
        )));
        assert_eq!(never_sent(&auth), Some("authentication failed"));
        // A refusal keeps its own form; errors after sending carry no marker.
        let refused = mark_never_sent(RedisError::from(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        assert_eq!(never_sent(&refused), None);
        assert!(super::super::link::not_sent(&refused));
        let dropped = RedisError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(never_sent(&dropped), None);
        assert!(!super::super::link::not_sent(&dropped));
    }

    #[test]
    fn the_backoff_grows_to_its_cap_and_ends_the_cycle() {
        let b = BackoffSettings {
            base: Duration::from_millis(50),
            factor: 2.0,
            max_delay: Duration::from_millis(300),
            max_attempts: 5,
        };
        let delays: Vec<Option<Duration>> = (1..=5).map(|n| b.delay(n)).collect();
        assert_eq!(
            delays,
            vec![
                Some(Duration::from_millis(50)),
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(300)),
                None,
            ]
        );
    }
}
