//! Building responses: JSON bodies with the right status, and the one body type every route
//! returns (a full JSON body, or a Server-Sent Events stream).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Either;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use tokio::sync::oneshot;

use crate::inflight::Charge;
use crate::sse::{ConnectionKill, SseBody};
use hedgestore_native::StorageError;

/// The body of every proxy response.
pub(crate) type ProxyBody = Either<HeldBody, SseBody>;

/// A whole body, with the in-flight memory charged for its request (see the `inflight`
/// module). It is handed to the HTTP layer in [`CHUNK`]-sized frames, which hyper takes only
/// as its write buffer drains, so the charge is held until the last frame went out (or the
/// body is dropped unsent).
pub(crate) struct HeldBody {
    rest: Bytes,
    /// Given back (dropped) once the last frame is handed over, with `sent`.
    charge: Option<(Charge, Option<oneshot::Sender<()>>)>,
}

/// A reply larger than one frame must be taken by its client within this long, or its
/// connection is closed (and the memory charged for it given back): a client that never
/// reads cannot hold in-flight memory for ever.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest frame of a [`HeldBody`].
const CHUNK: usize = 64 << 10;

impl HeldBody {
    fn new(bytes: Bytes) -> Self {
        Self {
            rest: bytes,
            charge: None,
        }
    }
}

impl Body for HeldBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.rest.is_empty() {
            self.charge = None;
            return Poll::Ready(None);
        }
        let n = self.rest.len().min(CHUNK);
        let chunk = self.rest.split_to(n);
        if self.rest.is_empty() {
            self.charge = None;
        }
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

/// `response` holding `charge` until its body is sent. A body of more than one frame must be
/// sent within [`SEND_TIMEOUT`], or `kill` closes its connection. (A streamed body keeps its
/// own charge.)
pub(crate) fn hold(
    mut response: Response<ProxyBody>,
    charge: Charge,
    kill: Option<&ConnectionKill>,
) -> Response<ProxyBody> {
    if let Either::Left(held) = response.body_mut() {
        let mut sent = None;
        if held.rest.len() > CHUNK {
            if let Some(kill) = kill {
                let (tx, rx) = oneshot::channel::<()>();
                let kill = kill.clone();
                tokio::spawn(async move {
                    if tokio::time::timeout(SEND_TIMEOUT, rx).await.is_err() {
                        tracing::info!(
                            "hedgestore-proxy: a reply was not taken within {} s, closing its \
                             connection",
                            SEND_TIMEOUT.as_secs()
                        );
                        kill.0.notify_one();
                    }
                });
                sent = Some(tx);
            }
        }
        held.charge = Some((charge, sent));
    }
    response
}

/// A request refused before (or instead of) running a command: the status and the message
/// that goes into `{"error": …}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Rejection {
    /// A rejection; a message longer than [`MAX_ERROR_LEN`] is cut (it may quote the
    /// client's input).
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: clip(message.into()),
        }
    }

    pub(crate) fn into_response(self) -> Response<ProxyBody> {
        json(
            self.status,
            hedgestore_core::codec::encode_error(&self.message),
        )
    }
}

/// Error messages are cut to this many bytes: one that quotes a client's input (an unknown
/// command and its arguments, say) never echoes more than a short prefix of it.
pub(crate) const MAX_ERROR_LEN: usize = 256;

/// `message`, cut to [`MAX_ERROR_LEN`] bytes (at a character boundary) with `…` when longer.
pub(crate) fn clip(mut message: String) -> String {
    if message.len() > MAX_ERROR_LEN {
        let mut end = MAX_ERROR_LEN;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: String) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Left(HeldBody::new(Bytes::from(body))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A response without a body.
pub(crate) fn empty(status: StatusCode) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Left(HeldBody::new(Bytes::new())));
    *response.status_mut() = status;
    response
}

/// The status a failed storage call answers: a command's own error (Redis-worded, nothing
/// changed) is the client's problem, 400; an unreachable or closed backend is 503; a call
/// the backend did not answer in time is 504 (a read: nothing changed; a write: outcome
/// unknown, see [`error_message`]).
pub(crate) fn error_status(error: &StorageError) -> StatusCode {
    match error {
        StorageError::Command(_) | StorageError::Transaction(_) | StorageError::Unsupported(_) => {
            StatusCode::BAD_REQUEST
        }
        StorageError::Unavailable(_) | StorageError::Closed => StatusCode::SERVICE_UNAVAILABLE,
        StorageError::Timeout(_) | StorageError::OutcomeUnknown(_) => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a failed storage call answers: Redis's own text for command errors; a write
/// whose outcome is unknown starts with `OUTCOMEUNKNOWN` and a read that timed out with
/// `TIMEOUT`, so a client can tell "may have been applied, do not retry blindly" from "safe
/// to retry"; the others are prefixed `ERR` so every error reads like a Redis error. (Storage
/// errors never carry secrets.)
pub(crate) fn error_message(error: &StorageError) -> String {
    clip(match error {
        StorageError::Command(_) | StorageError::Transaction(_) => error.to_string(),
        StorageError::OutcomeUnknown(_) => format!("OUTCOMEUNKNOWN {error}"),
        StorageError::Timeout(_) => format!("TIMEOUT {error}"),
        other => format!("ERR {other}"),
    })
}

#[cfg(test)]
mod tests {
    use hedgestore_core::Error;

    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        assert_eq!(clip("short".into()), "short");
        let long = format!("ERR unknown command '{}'", "é".repeat(1000));
        let cut = clip(long);
        assert!(cut.len() <= MAX_ERROR_LEN + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn command_errors_keep_redis_wording_and_answer_400() {
        let e = StorageError::Command(Error::WrongType);
        assert_eq!(error_status(&e), StatusCode::BAD_REQUEST);
        assert!(error_message(&e).starts_with("WRONGTYPE"));
        let e = StorageError::Unavailable("connection refused".into());
        assert_eq!(error_status(&e), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            error_message(&e),
            "ERR storage unavailable: connection refused"
        );
    }

    #[test]
    fn unanswered_calls_say_whether_a_write_may_have_been_applied() {
        let e = StorageError::OutcomeUnknown("no answer".into());
        assert_eq!(error_status(&e), StatusCode::GATEWAY_TIMEOUT);
        assert!(error_message(&e).starts_with("OUTCOMEUNKNOWN "));
        assert!(error_message(&e).contains("may have been applied"));
        let e = StorageError::Timeout("no answer".into());
        assert_eq!(error_status(&e), StatusCode::GATEWAY_TIMEOUT);
        assert!(error_message(&e).starts_with("TIMEOUT "));
    }
}
