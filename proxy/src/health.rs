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

use std::fmt::Write;
use std::time::UNIX_EPOCH;

use hedgestore_core::codec::write_json_string;
use hyper::{Response, StatusCode};

use crate::config::BackendChoice;
use crate::response::{empty, json, ProxyBody};
use hedgestore_native::Storage;

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
    let mut out = String::with_capacity(256);
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{{\"status\":\"{}\",\"mode\":\"{mode}\",\"backend\":\"{}\",\"healthy\":{},\"last_error\":",
        if health.healthy { "ok" } else { "unavailable" },
        health.backend.as_str(),
        health.healthy,
    );
    match &health.last_error {
        Some(e) => write_json_string(&mut out, e),
        None => out.push_str("null"),
    }
    out.push_str(",\"latency_ms\":");
    match health.latency {
        Some(d) => {
            let _ = write!(out, "{:.3}", d.as_secs_f64() * 1000.0);
        }
        None => out.push_str("null"),
    }
    let _ = write!(out, ",\"reconnects\":{}", health.reconnects);
    if let Some(f) = &health.fallback {
        let since = f
            .serving_since
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let _ = write!(
            out,
            ",\"fallback\":{{\"serving_since_unix_ms\":{since},\"journal_entries\":{},\
             \"journal_bytes\":{},\"recoveries\":{},\"failovers\":{},\"replay_errors\":{},\
             \"journal_overflows\":{}}}",
            f.journal_entries,
            f.journal_bytes,
            f.recoveries,
            f.failovers,
            f.replay_errors,
            f.journal_overflows,
        );
    }
    if let Some(m) = &health.memory {
        let _ = write!(
            out,
            ",\"memory\":{{\"keys\":{},\"used_memory\":{},\"max_memory\":{}}}",
            m.keys, m.used_memory, m.max_memory
        );
    }
    out.push('}');
    json(status, out)
}
