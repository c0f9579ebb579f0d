//! `GET /health`: no token needed, for load balancers. 200 while the storage can serve, 503
//! when it cannot; the body says which backend serves and how it is doing (never a secret).
//!
//! ```json
//! {"status":"ok","mode":"fallback","backend":"memory","healthy":true,"last_error":"…",
//!  "latency_ms":null,"reconnects":3,
//!  "fallback":{"serving_since_unix_ms":1700000000000,"journal_entries":12,"journal_bytes":480,
//!              "recoveries":0,"failovers":1,"replay_errors":0,"journal_overflows":0},
//!  "memory":{"keys":12,"used_memory":4096,"max_memory":1073741824}}
//! ```

use std::time::UNIX_EPOCH;

use hyper::{Response, StatusCode};
use serde::Serialize;

use crate::config::BackendChoice;
use crate::response::{empty, json, ProxyBody};
use hedgestore_native::{FallbackHealth, Stats, Storage};

/// The body of `GET /health`.
#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    mode: String,
    backend: &'static str,
    healthy: bool,
    last_error: Option<String>,
    /// Milliseconds, to the microsecond.
    latency_ms: Option<f64>,
    reconnects: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback: Option<FallbackBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<MemoryBody>,
}

#[derive(Serialize)]
struct FallbackBody {
    serving_since_unix_ms: u128,
    journal_entries: usize,
    journal_bytes: usize,
    recoveries: u64,
    failovers: u64,
    replay_errors: u64,
    journal_overflows: u64,
}

impl From<&FallbackHealth> for FallbackBody {
    fn from(f: &FallbackHealth) -> Self {
        Self {
            serving_since_unix_ms: f
                .serving_since
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
            journal_entries: f.journal_entries,
            journal_bytes: f.journal_bytes,
            recoveries: f.recoveries,
            failovers: f.failovers,
            replay_errors: f.replay_errors,
            journal_overflows: f.journal_overflows,
        }
    }
}

#[derive(Serialize)]
struct MemoryBody {
    keys: usize,
    used_memory: usize,
    max_memory: usize,
}

impl From<&Stats> for MemoryBody {
    fn from(m: &Stats) -> Self {
        Self {
            keys: m.keys,
            used_memory: m.used_memory,
            max_memory: m.max_memory,
        }
    }
}

pub(crate) async fn health_report(
    storage: &Storage,
    mode: BackendChoice,
    head_only: bool,
) -> Response<ProxyBody> {
    let health = storage.health().await;
    let status = if health.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if head_only {
        return empty(status);
    }
    let body = HealthBody {
        status: if health.healthy { "ok" } else { "unavailable" },
        mode: mode.to_string(),
        backend: health.backend.as_str(),
        healthy: health.healthy,
        last_error: health.last_error,
        latency_ms: health
            .latency
            .map(|d| (d.as_secs_f64() * 1_000_000.0).round() / 1000.0),
        reconnects: health.reconnects,
        fallback: health.fallback.as_ref().map(FallbackBody::from),
        memory: health.memory.as_ref().map(MemoryBody::from),
    };
    let text = serde_json::to_string(&body).expect("the health body serializes");
    json(status, text)
}
