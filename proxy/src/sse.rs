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
//! and with it the storage subscriptions. On shutdown every stream ends cleanly.
//!
//! # Slow subscribers
//!
//! The storage hands each message to this stream's handler, which only appends the event to
//! the stream's own queue and returns: **a publisher never waits on a subscriber**. The queue
//! is bounded in bytes, like Redis's `client-output-buffer-limit pubsub 32mb 8mb 60`:
//!
//! * past [`ProxyConfig::sse_hard_limit`] (`HEDGESTORE_PROXY_SSE_HARD_LIMIT`, 32 MiB) of
//!   events waiting, or
//! * above [`ProxyConfig::sse_soft_limit`] (`HEDGESTORE_PROXY_SSE_SOFT_LIMIT`, 8 MiB)
//!   continuously for [`ProxyConfig::sse_soft_limit_for`]
//!   (`HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS`, 60 s; checked as messages arrive),
//!
//! * when the proxy's memory for all clients (`HEDGESTORE_PROXY_MAX_INFLIGHT`, see the
//!   `inflight` module) has no room for the next event,
//!
//! the subscriber is disconnected: its queue is freed at once, its subscriptions end, it is
//! sent one last event `data: error,ERR slow subscriber disconnected: …` (when it reads
//! again), and its connection is closed, after at most [`FINAL_EVENT_GRACE`] for that last
//! event to go out. Besides the queue, a subscriber holds what the HTTP layer has buffered
//! for its socket: hyper's write buffer (one event, or up to `HEDGESTORE_PROXY_MAX_HEADER` of
//! small ones) and the kernel's socket buffer.
//!
//! [`ProxyConfig::sse_keepalive`]: crate::ProxyConfig::sse_keepalive
//! [`ProxyConfig::sse_hard_limit`]: crate::ProxyConfig::sse_hard_limit
//! [`ProxyConfig::sse_soft_limit`]: crate::ProxyConfig::sse_soft_limit
//! [`ProxyConfig::sse_soft_limit_for`]: crate::ProxyConfig::sse_soft_limit_for

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use tokio::sync::{watch, Notify};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::budget::human_size;
use crate::inflight::Charge;
use hedgestore_native::Result;
use hedgestore_native::Storage;
use hedgestore_native::{Handler, Message, Subscription};

/// How long a disconnected slow subscriber's connection may take to send its last event
/// before it is closed anyway.
pub(crate) const FINAL_EVENT_GRACE: Duration = Duration::from_secs(10);

/// Channel subscriptions (`/subscribe/…`) or pattern subscriptions (`/psubscribe/…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubscriptionKind {
    Channels,
    Patterns,
}

/// The byte limits of one subscriber's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueLimits {
    /// Disconnect as soon as more than this is waiting.
    pub(crate) hard: usize,
    /// Disconnect when more than this has been waiting for `soft_for`.
    pub(crate) soft: usize,
    /// How long the soft limit may be exceeded.
    pub(crate) soft_for: Duration,
}

/// Asks the connection a stream runs on to close (set by the server on every request).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);

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

/// Events waiting for one subscriber.
#[derive(Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    bytes: usize,
    /// Since when more than the soft limit has been waiting.
    over_soft_since: Option<Instant>,
    /// Why the subscriber was disconnected; the last event is not sent yet while `Some`.
    disconnected: Option<String>,
    /// Set once disconnected: later messages are dropped.
    closed: bool,
    /// Every handler is gone (the storage closed): the stream ends once drained.
    senders_gone: bool,
    waker: Option<Waker>,
    /// The queued bytes, charged to the proxy's in-flight memory (`HEDGESTORE_PROXY_MAX_INFLIGHT`).
    charge: Option<Charge>,
}

/// The queue between the storage's handler (producer) and the HTTP body (consumer).
struct Outbox {
    queue: Mutex<Queue>,
    /// The stream's storage subscriptions, ended as soon as the subscriber is disconnected.
    subscriptions: Mutex<Vec<Subscription>>,
    limits: QueueLimits,
    kill: ConnectionKill,
}

impl Outbox {
    /// The queue; a poisoned lock (a panic elsewhere while holding it) still holds a usable
    /// queue, since every update keeps it consistent.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends an event without ever waiting; disconnects the subscriber past its limits.
    fn push(&self, frame: Bytes) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        let len = frame.len();
        let admitted = q.charge.as_mut().is_none_or(|c| c.try_grow(len).is_ok());
        q.bytes += len;
        q.frames.push_back(frame);
        let over = if !admitted {
            Some("the memory for all clients is in use (HEDGESTORE_PROXY_MAX_INFLIGHT)".to_string())
        } else if q.bytes > self.limits.hard {
            Some(format!(
                "more than {} of events waiting (HEDGESTORE_PROXY_SSE_HARD_LIMIT)",
                human_size(self.limits.hard)
            ))
        } else if q.bytes > self.limits.soft {
            let now = Instant::now();
            let since = *q.over_soft_since.get_or_insert(now);
            (now.duration_since(since) >= self.limits.soft_for).then(|| {
                format!(
                    "more than {} of events waiting for {} ms (HEDGESTORE_PROXY_SSE_SOFT_LIMIT, \
                     HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS)",
                    human_size(self.limits.soft),
                    self.limits.soft_for.as_millis()
                )
            })
        } else {
            None
        };
        if let Some(reason) = over {
            // Free the memory now, not when the connection goes.
            q.frames = VecDeque::new();
            q.bytes = 0;
            if let Some(c) = &mut q.charge {
                c.clear();
            }
            q.closed = true;
            q.disconnected = Some(reason);
            self.kill.0.notify_one();
            tracing::info!("hedgestore-proxy: slow subscriber disconnected");
            self.unsubscribe();
        }
        if let Some(waker) = q.waker.take() {
            waker.wake();
        }
    }

    /// Ends the storage subscriptions. Called from the storage's delivery, so they are dropped
    /// on another task: unsubscribing must not wait on the delivery in progress.
    fn unsubscribe(&self) {
        let subscriptions =
            std::mem::take(&mut *self.subscriptions.lock().unwrap_or_else(|e| e.into_inner()));
        if subscriptions.is_empty() {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { drop(subscriptions) });
            }
            Err(_) => drop(subscriptions),
        }
    }

    fn pop(&self, waker: &Waker) -> Popped {
        let mut q = self.lock();
        if let Some(frame) = q.frames.pop_front() {
            q.bytes -= frame.len();
            if let Some(c) = &mut q.charge {
                c.shrink(frame.len());
            }
            if q.bytes <= self.limits.soft {
                q.over_soft_since = None;
            }
            return Popped::Frame(frame);
        }
        if let Some(reason) = q.disconnected.take() {
            return Popped::Last(event(&format!(
                "error,ERR slow subscriber disconnected: {reason}"
            )));
        }
        if q.closed || q.senders_gone {
            return Popped::End;
        }
        q.waker = Some(waker.clone());
        Popped::Empty
    }
}

enum Popped {
    Frame(Bytes),
    Last(Bytes),
    End,
    Empty,
}

/// Held by the handler: when the storage drops every handler (it closed), the stream ends.
struct Producer(Arc<Outbox>);

impl Drop for Producer {
    fn drop(&mut self) {
        let mut q = self.0.lock();
        q.senders_gone = true;
        if let Some(waker) = q.waker.take() {
            waker.wake();
        }
    }
}

/// The streaming body of a subscription response.
pub(crate) struct SseBody {
    pending: VecDeque<Bytes>,
    outbox: Arc<Outbox>,
    keepalive: Interval,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    done: bool,
}

impl std::fmt::Debug for SseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseBody")
            .field("pending", &self.pending.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl SseBody {
    /// Subscribes to every name and returns the stream, starting with one confirmation event
    /// per subscription. `kill` closes the stream's connection; `charge` is what its queue
    /// holds of the proxy's in-flight memory.
    pub(crate) async fn open(
        storage: &Storage,
        kind: SubscriptionKind,
        names: Vec<Vec<u8>>,
        keepalive: Duration,
        limits: QueueLimits,
        (kill, charge): (ConnectionKill, Charge),
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<SseBody> {
        let outbox = Arc::new(Outbox {
            queue: Mutex::new(Queue {
                charge: Some(charge),
                ..Queue::default()
            }),
            subscriptions: Mutex::new(Vec::with_capacity(names.len())),
            limits,
            kill,
        });
        let producer = Producer(Arc::clone(&outbox));
        let handler: Handler = Arc::new(move |message: Message| {
            producer.0.push(message_event(&message));
            Box::pin(std::future::ready(()))
        });
        let mut pending = VecDeque::with_capacity(names.len());
        for (i, name) in names.into_iter().enumerate() {
            let subscription = match kind {
                SubscriptionKind::Channels => storage.subscribe(&name, handler.clone()).await?,
                SubscriptionKind::Patterns => storage.psubscribe(&name, handler.clone()).await?,
            };
            outbox
                .subscriptions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(subscription);
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
            outbox,
            keepalive,
            shutdown: Box::pin(async move {
                // A dropped sender means the server is gone: end as well.
                let _ = shutdown.wait_for(|stop| *stop).await;
            }),
            done: false,
        })
    }
}

impl Drop for SseBody {
    fn drop(&mut self) {
        // The client left (or the stream ended): unsubscribe now. The handler holds the
        // outbox too, so it would not go away on its own.
        let subscriptions = std::mem::take(
            &mut *self
                .outbox
                .subscriptions
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        drop(subscriptions);
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
        match this.outbox.pop(cx.waker()) {
            Popped::Frame(frame) => {
                this.keepalive.reset();
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            }
            Popped::Last(frame) => {
                this.done = true;
                return Poll::Ready(Some(Ok(Frame::data(frame))));
            }
            Popped::End => {
                this.done = true;
                return Poll::Ready(None);
            }
            Popped::Empty => {}
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
