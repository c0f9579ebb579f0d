//! Subscriptions: async handlers, or a `Stream` of messages.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::mpsc;

pub(crate) mod dispatch;

use crate::error::Result;

/// A message as a subscriber receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published on.
    pub channel: Bytes,
    /// The pattern that matched, for pattern subscriptions.
    pub pattern: Option<Bytes>,
    /// The payload.
    pub payload: Bytes,
}

/// An async message handler. Build one with [`handler`] or [`message_handler`].
pub type Handler = Arc<dyn Fn(Message) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A handler from an async `Fn(channel, payload)`: the common case, when the pattern that
/// matched is not needed (see [`message_handler`] for the whole [`Message`]).
///
/// ```
/// use hedgestore_native::handler;
/// let h = handler(|channel, payload| async move {
///     println!("{channel:?}: {payload:?}");
/// });
/// ```
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Bytes, Bytes) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |m: Message| Box::pin(f(m.channel, m.payload)))
}

/// A handler that receives the whole [`Message`] (with the matching pattern).
pub fn message_handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |m: Message| Box::pin(f(m)))
}

/// The confirmation of an unsubscription: resolves once the backend has confirmed it.
pub type Unsubscribed = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// What a backend does when a subscription ends or is asked about.
pub trait SubscriptionControl: Send + Sync {
    /// Ends this subscription.
    ///
    /// Everything local happens before this returns. The returned future resolves once the
    /// backend has confirmed the end (Redis's `UNSUBSCRIBE` reply): from then on `PUBLISH`
    /// no longer counts this subscriber and no message published afterwards reaches its
    /// handler. Dropping the future unpolled leaves the remote part undone, so callers that
    /// cannot wait spawn it.
    fn unsubscribe(&self) -> Unsubscribed;
    /// Messages this subscription lost because it fell behind (oldest dropped first).
    fn lag(&self) -> u64;
}

/// A live subscription.
///
/// End it with [`unsubscribe`](Self::unsubscribe)`.await`, which returns once the backend has
/// confirmed: after it, the handler receives nothing more and `PUBLISH` no longer counts it,
/// on every backend and across fallback switches. Dropping a `Subscription` also
/// unsubscribes, but fire-and-forget: the local handler stops at once, while the remote
/// `UNSUBSCRIBE` is sent by a background task on the current tokio runtime (if any), so a
/// `PUBLISH` right after the drop may still count it. Call [`detach`](Self::detach) to keep
/// the handler for the storage's whole life instead.
pub struct Subscription {
    control: Option<Box<dyn SubscriptionControl>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("active", &self.control.is_some())
            .finish()
    }
}

impl Subscription {
    /// Wraps a backend's control.
    pub fn new(control: Box<dyn SubscriptionControl>) -> Self {
        Self {
            control: Some(control),
        }
    }

    /// Ends this subscription and waits for the backend's confirmation (immediate for
    /// memory; Redis's `UNSUBSCRIBE` reply for Redis and the fallback's Redis side). After it
    /// returns, `PUBLISH` no longer counts it and no message published afterwards reaches
    /// the handler. (A handler call that had already started when it was called runs to its
    /// end; the handler may call `unsubscribe` itself.)
    ///
    /// An error means the backend could not confirm (Redis unreachable): delivery to this
    /// handler has stopped anyway, and a Redis that comes back never resubscribes it.
    pub async fn unsubscribe(mut self) -> Result<()> {
        match self.control.take() {
            Some(c) => c.unsubscribe().await,
            None => Ok(()),
        }
    }

    /// Keeps the subscription active after this handle is dropped.
    pub fn detach(mut self) {
        if let Some(c) = self.control.take() {
            std::mem::forget(c);
        }
    }

    /// Messages lost because the handler fell behind (its queue was full).
    pub fn lag(&self) -> u64 {
        self.control.as_ref().map_or(0, |c| c.lag())
    }
}

impl Drop for Subscription {
    /// Fire-and-forget unsubscription (see the type's docs).
    fn drop(&mut self) {
        if let Some(c) = self.control.take() {
            let confirmed = c.unsubscribe();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = confirmed.await;
                });
            }
        }
    }
}

/// A subscription's messages as a [`futures_core::Stream`] (or with [`next`](Self::next)).
/// Dropping the stream unsubscribes.
#[derive(Debug)]
pub struct MessageStream {
    receiver: mpsc::Receiver<Message>,
    subscription: Option<Subscription>,
}

impl MessageStream {
    /// A handler feeding a new stream. Messages wait in the backend's bounded queue while the
    /// stream is not read, so a slow reader loses the oldest messages (counted as lag), and
    /// never blocks publishers.
    pub fn channel() -> (Handler, MessageStream) {
        let (sender, receiver) = mpsc::channel(1);
        let handler: Handler = Arc::new(move |m: Message| {
            let sender = sender.clone();
            Box::pin(async move {
                let _ = sender.send(m).await;
            })
        });
        (
            handler,
            MessageStream {
                receiver,
                subscription: None,
            },
        )
    }

    /// Ties the stream to its subscription (dropped together).
    pub fn attach(mut self, subscription: Subscription) -> Self {
        self.subscription = Some(subscription);
        self
    }

    /// The next message; `None` once the storage is gone.
    pub async fn next(&mut self) -> Option<Message> {
        self.receiver.recv().await
    }

    /// Messages lost because this stream was read too slowly.
    pub fn lag(&self) -> u64 {
        self.subscription.as_ref().map_or(0, Subscription::lag)
    }
}

impl futures_core::Stream for MessageStream {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        self.receiver.poll_recv(cx)
    }
}
