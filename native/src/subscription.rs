//! Subscriptions: async handlers, or a `Stream` of messages.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::mpsc;

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

/// A handler from an async `Fn(channel, payload)`, the seed's handler shape.
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

/// What a backend does when a subscription ends or is asked about.
pub trait SubscriptionControl: Send + Sync {
    /// Stops delivery to this subscription.
    fn unsubscribe(&self);
    /// Messages this subscription lost because it fell behind (oldest dropped first).
    fn lag(&self) -> u64;
}

/// A live subscription. Dropping it unsubscribes (call [`detach`](Self::detach) to keep the
/// handler for the storage's whole life instead).
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

    /// Stops delivery to this subscription's handler.
    pub fn unsubscribe(mut self) {
        if let Some(c) = self.control.take() {
            c.unsubscribe();
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
    fn drop(&mut self) {
        if let Some(c) = self.control.take() {
            c.unsubscribe();
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
