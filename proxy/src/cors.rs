//! Cross-origin access for browsers: only the configured origins, and only the headers the
//! Upstash clients send.
//!
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed
//! origin answers 204 with the allowed methods and the requested headers that are on the list:
//! `authorization`, `content-type`, `upstash-encoding`, `upstash-sync-token`,
//! `upstash-telemetry-*` (any suffix), and for subscriptions `accept`, `cache-control`
//! (`@upstash/redis` sends `Cache-Control: no-cache` on `subscribe()`) and `last-event-id`
//! (an `EventSource` reconnecting). A preflight from another origin answers 403. Every other
//! response to an allowed origin carries `Access-Control-Allow-Origin` and exposes the
//! `upstash-sync-token` header, which the client reads back.

use hyper::header::{
    HeaderMap, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ALLOW, ORIGIN, VARY,
};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};

use crate::config::CorsOrigins;
use crate::response::{empty, ProxyBody, Rejection};

/// The methods the proxy serves.
pub(crate) const METHODS: &str = "GET, POST, PUT, OPTIONS";

const ALLOWED_HEADERS: [&str; 7] = [
    "authorization",
    "content-type",
    "upstash-encoding",
    "upstash-sync-token",
    "accept",
    "cache-control",
    "last-event-id",
];

fn header_allowed(name: &str) -> bool {
    ALLOWED_HEADERS.contains(&name) || name.starts_with("upstash-telemetry-")
}

/// The CORS policy of one proxy.
#[derive(Debug, Clone)]
pub(crate) struct Cors {
    origins: CorsOrigins,
}

impl Cors {
    pub(crate) fn new(origins: CorsOrigins) -> Self {
        Self { origins }
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        match &self.origins {
            CorsOrigins::None => false,
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => {
                let origin = origin.as_bytes();
                list.iter()
                    .any(|o| o.as_bytes().eq_ignore_ascii_case(origin))
            }
        }
    }

    /// Adds the headers an allowed origin needs to read `response`.
    pub(crate) fn decorate(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        let Some(origin) = origin.filter(|o| self.allows(o)) else {
            return;
        };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.append(VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("upstash-sync-token"),
        );
    }

    /// Answers an `OPTIONS` request.
    pub(crate) fn preflight(&self, parts: &Parts) -> Response<ProxyBody> {
        let Some(origin) = parts.headers.get(ORIGIN) else {
            // Not a browser preflight: say what is served.
            let mut response = empty(StatusCode::NO_CONTENT);
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(METHODS));
            return response;
        };
        if !self.allows(origin) {
            return Rejection::new(
                StatusCode::FORBIDDEN,
                "ERR this origin is not allowed (HEDGESTORE_PROXY_CORS_ORIGINS)",
            )
            .into_response();
        }
        let requested: Vec<String> = parts
            .headers
            .get_all(ACCESS_CONTROL_REQUEST_HEADERS)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty() && header_allowed(h))
            .collect();
        let allow_headers = if requested.is_empty() {
            ALLOWED_HEADERS.join(", ")
        } else {
            requested.join(", ")
        };
        let mut response = empty(StatusCode::NO_CONTENT);
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        if let Ok(value) = HeaderValue::from_str(&allow_headers) {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, value);
        }
        headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        headers.insert(
            VARY,
            HeaderValue::from_static("Origin, Access-Control-Request-Headers"),
        );
        response
    }
}
