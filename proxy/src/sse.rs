//! Subscriptions as Server-Sent Events, in the event format `@upstash/redis`'s `subscribe()`
//! and `psubscribe()` parse (one `data:` line per event, fields separated by commas):
//!
//! ```text
//! data: subscribe,<channel>,<count>
//! data: message,<channel>,<payload>
//! data: psubscribe,<pattern>,<count>
//! data: pmessage,<pattern>,<channel>,<payload>
//! ```
//!
//! `<count>` is the number of subscriptions this stream holds after the one confirmed (1 for
//! one channel). The client takes everything after the second comma (the third, for
//! `pmessage`) as the payload, so commas in a payload are fine. Payloads are sent as text
//! (never base64: the client does not decode them), with invalid UTF-8 replaced by U+FFFD. A
//! payload containing line breaks is split over several `data:` lines as the SSE standard
//! requires, which a browser `EventSource` joins back with `\n`.
//!
//! Idle streams get a `: keepalive` comment every [`ProxyConfig::sse_keepalive`]; writing it
//! is also how a vanished client is noticed. When the client disconnects the body is dropped,
//! and with it the storage subscriptions. Each subscription has the storage's own bounded
//! queue, so a slow subscriber loses its oldest messages (counted as lag) instead of slowing
//! publishers. On shutdown every stream ends cleanly.
//!
//! [`ProxyConfig::sse_keepalive`]: crate::ProxyConfig::sse_keepalive

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use hedgestore_native::Result;
use hedgestore_native::Storage;
use hedgestore_native::{Handler, Message, Subscription};

/// Channel subscriptions (`/subscribe/…`) or pattern subscriptions (`/psubscribe/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubscriptionKind {
    Channels,
    Patterns,
}

/// Messages waiting between the storage's dispatcher and the HTTP connection.
const BUFFER: usize = 64;

/// One SSE event carrying `text`, split into one `data:` line per line of text.
pub(crate) fn event(text: &str) -> Bytes {
    let mut out = String::with_capacity(text.len() + 8);
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    for line in normalized.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

fn message_event(message: &Message) -> Bytes {
    let channel = lossy(&message.channel);
    let payload = lossy(&message.payload);
    match &message.pattern {
        Some(pattern) => event(&format!("pmessage,{},{channel},{payload}", lossy(pattern))),
        None => event(&format!("message,{channel},{payload}")),
    }
}

/// The streaming body of a subscription response.
pub(crate) struct SseBody {
    pending: VecDeque<Bytes>,
    frames: mpsc::Receiver<Bytes>,
    keepalive: Interval,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    done: bool,
    _subscriptions: Vec<Subscription>,
}

impl std::fmt::Debug for SseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseBody")
            .field("subscriptions", &self._subscriptions.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl SseBody {
    /// Subscribes to every name and returns the stream, starting with one confirmation event
    /// per subscription.
    pub(crate) async fn open(
        storage: &Storage,
        kind: SubscriptionKind,
        names: Vec<Vec<u8>>,
        keepalive: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<SseBody> {
        let (sender, frames) = mpsc::channel(BUFFER);
        let handler: Handler = Arc::new(move |message: Message| {
            let sender = sender.clone();
            Box::pin(async move {
                // Waiting here holds up only this subscription's dispatcher; its bounded
                // queue in the storage absorbs (and counts) what a slow client cannot take.
                let _ = sender.send(message_event(&message)).await;
            })
        });
        let mut subscriptions = Vec::with_capacity(names.len());
        let mut pending = VecDeque::with_capacity(names.len());
        for (i, name) in names.into_iter().enumerate() {
            let subscription = match kind {
                SubscriptionKind::Channels => storage.subscribe(&name, handler.clone()).await?,
                SubscriptionKind::Patterns => storage.psubscribe(&name, handler.clone()).await?,
            };
            subscriptions.push(subscription);
            let verb = match kind {
                SubscriptionKind::Channels => "subscribe",
                SubscriptionKind::Patterns => "psubscribe",
            };
            pending.push_back(event(&format!("{verb},{},{}", lossy(&name), i + 1)));
        }
        let mut keepalive = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
        keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ok(SseBody {
            pending,
            frames,
            keepalive,
            shutdown: Box::pin(async move {
                // A dropped sender means the server is gone: end as well.
                let _ = shutdown.wait_for(|stop| *stop).await;
            }),
            done: false,
            _subscriptions: subscriptions,
        })
    }
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if this.shutdown.as_mut().poll(cx).is_ready() {
            this.done = true;
            return Poll::Ready(None);
        }
        if let Some(frame) = this.pending.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        match this.frames.poll_recv(cx) {
            Poll::Ready(Some(frame)) => {
                this.keepalive.reset();
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            }
            Poll::Ready(None) => {
                // The storage dropped the handlers (closed): the stream is over.
                this.done = true;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if this.keepalive.poll_tick(cx).is_ready() {
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                b": keepalive\n\n",
            )))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_data_lines_ended_by_a_blank_line() {
        assert_eq!(
            &event("subscribe,news,1")[..],
            b"data: subscribe,news,1\n\n"
        );
        assert_eq!(
            &event("message,ch,a\nb\r\nc")[..],
            b"data: message,ch,a\ndata: b\ndata: c\n\n"
        );
    }

    #[test]
    fn messages_name_channel_and_pattern() {
        let m = Message {
            channel: Bytes::from_static(b"news.1"),
            pattern: None,
            payload: Bytes::from_static(b"{\"a\":1,\"b\":2}"),
        };
        assert_eq!(
            &message_event(&m)[..],
            b"data: message,news.1,{\"a\":1,\"b\":2}\n\n"
        );
        let p = Message {
            pattern: Some(Bytes::from_static(b"news.*")),
            ..m
        };
        assert_eq!(
            &message_event(&p)[..],
            b"data: pmessage,news.*,news.1,{\"a\":1,\"b\":2}\n\n"
        );
    }
}
