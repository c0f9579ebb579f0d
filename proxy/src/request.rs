//! Reading what a request carries: the token (header or `_token` query parameter, compared in
//! constant time), the path form's arguments (percent-decoded, binary-safe), the query
//! parameters, and the body (bounded in size and time).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH};
use hyper::http::request::Parts;
use hyper::StatusCode;

use crate::inflight::{Busy, Charge};
use crate::response::Rejection;

/// Compares a presented token with the expected one in time that depends only on the
/// expected token's length, so response timing reveals nothing about how much of a guess was
/// right.
pub(crate) fn token_matches(expected: &[u8], presented: &[u8]) -> bool {
    let mut diff = u8::from(expected.len() != presented.len());
    for (i, e) in expected.iter().enumerate() {
        // Index arithmetic, not a data-dependent branch: a short guess compares against 0.
        let p = presented.get(i).copied().unwrap_or(0);
        diff |= e ^ p;
    }
    std::hint::black_box(diff) == 0
}

/// The token a request presents: `Authorization: Bearer <token>` (scheme case-insensitive),
/// or else the `_token` query parameter.
pub(crate) fn presented_token(parts: &Parts) -> Option<Vec<u8>> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let value = value.as_bytes();
        if value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ") {
            return Some(value[7..].trim_ascii().to_vec());
        }
    }
    query_pairs(parts.uri.query().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == b"_token")
        .map(|(_, v)| v)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes into bytes (binary-safe: `%00`–`%FF`). A `%` not followed by two hex digits
/// is kept as it is, as URL parsers do. With `plus_is_space`, `+` means a space (query strings).
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                if let (Some(h), Some(l)) = (
                    bytes.get(i + 1).copied().and_then(hex),
                    bytes.get(i + 2).copied().and_then(hex),
                ) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The path's segments after the leading `/`, percent-decoded. A trailing `/` adds no empty
/// argument.
pub(crate) fn path_segments(path: &str) -> Vec<Vec<u8>> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Vec::new();
    }
    trimmed
        .split('/')
        .map(|s| percent_decode(s, false))
        .collect()
}

/// The query's `name=value` pairs in order, decoded (`+` is a space). `name` alone gives an
/// empty value.
pub(crate) fn query_pairs(query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name, true), percent_decode(value, true))
        })
        .collect()
}

/// After a body over the limit, the rest of it is read and dropped for at most this long, so
/// the client gets to read the 413 instead of a reset connection (closing a socket with
/// unread data resets it). Nothing is kept, so this costs time, not memory.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyRefused {
    /// Too large, too slow or unreadable: the answer to give.
    Rejected(Rejection),
    /// The in-flight memory limit left no room for it (within the wait).
    Busy,
}

impl From<Rejection> for BodyRefused {
    fn from(rejection: Rejection) -> Self {
        BodyRefused::Rejected(rejection)
    }
}

/// Reads the whole body, refusing more than `max` bytes (413, checked against
/// `Content-Length` first so a declared oversize body is never read; a body without a length
/// that goes over is drained and dropped before the answer) and slower than `timeout` (408).
/// Its bytes are charged to `charge` before they are held: all of a declared length up front,
/// chunk by chunk otherwise.
pub(crate) async fn read_body(
    parts: &Parts,
    body: Incoming,
    max: usize,
    timeout: Duration,
    charge: &mut Charge,
) -> Result<Bytes, BodyRefused> {
    let too_large = || {
        Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "ERR request body too large: the limit is {max} bytes (HEDGESTORE_PROXY_MAX_BODY)"
            ),
        )
    };
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large().into());
    }
    if let Some(n) = declared {
        charge
            .grow(n as usize)
            .await
            .map_err(|Busy| BodyRefused::Busy)?;
    }
    let mut body = body;
    // Declared (and within the limit): room for all of it at once, no regrowth.
    let mut collected = BytesMut::with_capacity(declared.map_or(0, |n| n as usize));
    let read = tokio::time::timeout(timeout, async {
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue; // trailers
            };
            if collected.len() + data.len() > max {
                return Ok(Some(false));
            }
            let spare = collected.capacity() - collected.len();
            if data.len() > spare && charge.grow(data.len() - spare).await.is_err() {
                return Ok(None);
            }
            collected.extend_from_slice(&data);
        }
        Ok::<Option<bool>, hyper::Error>(Some(true))
    })
    .await;
    match read {
        Err(_) => Err(Rejection::new(
            StatusCode::REQUEST_TIMEOUT,
            "ERR the request body did not arrive in time",
        )
        .into()),
        Ok(Err(_)) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "ERR the request body could not be read",
        )
        .into()),
        Ok(Ok(None)) => Err(BodyRefused::Busy),
        Ok(Ok(Some(true))) => Ok(collected.freeze()),
        Ok(Ok(Some(false))) => {
            drop(collected);
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
                while let Some(Ok(_)) = body.frame().await {}
            })
            .await;
            Err(too_large().into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_exactly() {
        assert!(token_matches(b"secret", b"secret"));
        assert!(!token_matches(b"secret", b"secreT"));
        assert!(!token_matches(b"secret", b"secret2"));
        assert!(!token_matches(b"secret", b"secre"));
        assert!(!token_matches(b"secret", b""));
        assert!(!token_matches(b"secret\0", b"secret"));
    }

    #[test]
    fn percent_decoding_is_binary_safe_and_lenient() {
        assert_eq!(percent_decode("a%20b%2Fc%00%ff", false), b"a b/c\0\xff");
        assert_eq!(percent_decode("100%", false), b"100%");
        assert_eq!(percent_decode("%zz", false), b"%zz");
        assert_eq!(percent_decode("a+b", false), b"a+b");
        assert_eq!(percent_decode("a+b", true), b"a b");
    }

    #[test]
    fn path_segments_split_and_decode() {
        assert_eq!(path_segments("/"), Vec::<Vec<u8>>::new());
        assert_eq!(
            path_segments("/set/my%20key/v%2Fw/"),
            [b"set".to_vec(), b"my key".to_vec(), b"v/w".to_vec()]
        );
        assert_eq!(
            path_segments("/set/k//x"),
            [b"set".to_vec(), b"k".to_vec(), b"".to_vec(), b"x".to_vec()]
        );
    }

    #[test]
    fn query_pairs_decode_in_order() {
        assert_eq!(
            query_pairs("EX=100&_token=a%2Bb&NX"),
            [
                (b"EX".to_vec(), b"100".to_vec()),
                (b"_token".to_vec(), b"a+b".to_vec()),
                (b"NX".to_vec(), b"".to_vec()),
            ]
        );
    }
}
