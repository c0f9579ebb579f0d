//! `GET /metrics`: the storage's metrics (see the `hedgestore_native` metrics table in the
//! README) in Prometheus text format, rendered by `metrics-exporter-prometheus` from the
//! recorder [`install_metrics`] installs (the binary does so at start).
//!
//! **Behind the token, like every endpoint but `/health`.** The scrape tells how busy the
//! storage is, which commands clients run, when Redis failed and how large the outage
//! journal is: operational detail a public endpoint should not hand to anyone who asks.
//! Prometheus sends the token with `authorization: {credentials: <token>}` (or
//! `bearer_token_file`) in its scrape config. A separate listener on a private address was
//! the alternative; one port with one credential is simpler to run and to firewall.
//!
//! The body never holds a key, a value or a channel name: every label value is a fixed
//! word (backend, command name from the command table, outcome, subscriber kind).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::response::{json, ProxyBody, Rejection};
use hedgestore_native::Storage;

/// The Prometheus text format's content type.
const CONTENT_TYPE_PROMETHEUS: &str = "text/plain; version=0.0.4";

/// How often recorded histogram samples are folded into their buckets between scrapes (so
/// they never pile up in memory when nobody scrapes).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Bucket bounds, in seconds, of the `*_duration_seconds` histograms: 100 µs (a memory
/// command) to 10 minutes (an outage).
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0, 300.0, 600.0,
];

static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Why [`install_metrics`] could not install its recorder.
#[derive(Debug, thiserror::Error)]
#[error("cannot install the Prometheus recorder: {0}")]
pub struct MetricsError(String);

/// Installs a Prometheus recorder as the process's global `metrics` recorder (once: later
/// calls return the same handle), registers hedgestore's metric descriptions, and starts a
/// thread that runs the recorder's upkeep every 5 s. From then on `GET /metrics` answers
/// with the scrape; without it, `/metrics` answers 404. Fails when another global recorder
/// was installed first (an application embedding the proxy with its own exporter serves
/// its metrics itself).
pub fn install_metrics() -> Result<PrometheusHandle, MetricsError> {
    let mut installed = HANDLE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)
        .map_err(|e| MetricsError(e.to_string()))?
        .install_recorder()
        .map_err(|e| MetricsError(e.to_string()))?;
    hedgestore_native::describe_metrics();
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("hedgestore-metrics".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        })
        .map_err(|e| MetricsError(e.to_string()))?;
    *installed = Some(handle.clone());
    Ok(handle)
}

fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// The answer to an authorized `GET /metrics`.
pub(crate) async fn metrics_report(storage: &Storage) -> Response<ProxyBody> {
    let Some(handle) = handle() else {
        return Rejection::new(
            StatusCode::NOT_FOUND,
            "ERR metrics are off: no Prometheus recorder was installed (install_metrics)",
        )
        .into_response();
    };
    // A health call also brings the memory engine's counters up to date.
    let _ = storage.health().await;
    handle.run_upkeep();
    // `json` sets the body; the content type is replaced right after.
    let mut response = json(StatusCode::OK, handle.render());
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE_PROMETHEUS),
    );
    response
}
