//! One subscriber-dispatch type for every backend: each subscription's messages wait in its
//! bounded queue of a core [`PubSub`] bus (oldest dropped first and counted as lag when the
//! handler falls behind), and one task per subscription hands them to its handler, one at a
//! time. A publisher never waits on a handler.
//!
//! The memory backend's bus is its engine's (so `PUBLISH` inside a transaction is part of
//! it); the Redis backend relays what Redis pushes into a [`LocalBus`] of its own. Both are
//! an [`Inbox`], and everything else (the task, waking it, unsubscribing, lag) is here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bytes::Bytes;
#[cfg(feature = "redis")]
use hedgestore_core::EngineConfig;
use hedgestore_core::{PubSub, SubscriberId};
use tokio::sync::Notify;

use super::{Handler, Message, Subscription, SubscriptionControl, Unsubscribed};
use crate::telemetry::{Backend, SubscriberMetrics};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where dispatchers take their messages from.
pub(crate) trait Inbox: Send + Sync + 'static {
    /// The `backend` label of this inbox's pub/sub metrics.
    const BACKEND: Backend;
    /// Runs `f` on the bus; `None` once the inbox is closed.
    fn with_bus<R>(&self, f: impl FnOnce(&mut PubSub) -> R) -> Option<R>;
    /// The wake-up of each subscription's task, by subscriber id.
    fn dispatchers(&self) -> &Mutex<HashMap<u64, Arc<Notify>>>;
}

/// Starts delivering subscriber `id`'s messages to `handler` (`pattern`: a pattern
/// subscription, for the metrics' `kind` label).
pub(crate) fn start<I: Inbox>(
    inbox: &Arc<I>,
    id: SubscriberId,
    handler: Handler,
    pattern: bool,
) -> Subscription {
    let notify = Arc::new(Notify::new());
    lock(inbox.dispatchers()).insert(id.0, notify.clone());
    let stop = Arc::new(AtomicBool::new(false));
    tokio::spawn(dispatch(
        Arc::downgrade(inbox),
        id,
        notify.clone(),
        handler,
        stop.clone(),
        SubscriberMetrics::new(I::BACKEND, pattern),
    ));
    // A message may have been queued before the task was registered.
    notify.notify_one();
    Subscription::new(Box::new(Dispatched {
        inbox: Arc::downgrade(inbox),
        id,
        notify,
        stop,
    }))
}

/// Wakes the tasks of the subscribers `ready` names (those with new messages).
pub(crate) fn wake<I: Inbox>(inbox: &I, ready: &[u64]) {
    if ready.is_empty() {
        return;
    }
    let dispatchers = lock(inbox.dispatchers());
    for id in ready {
        if let Some(n) = dispatchers.get(id) {
            n.notify_one();
        }
    }
}

/// Wakes every task (the inbox closed: they end).
pub(crate) fn wake_all<I: Inbox>(inbox: &I) {
    for n in lock(inbox.dispatchers()).values() {
        n.notify_one();
    }
}

/// The subscribers of `bus` with new messages, each once.
pub(crate) fn ready(bus: &mut PubSub) -> Vec<u64> {
    let mut ready = Vec::new();
    while let Some(id) = bus.next_ready_subscriber() {
        ready.push(id.0);
    }
    ready
}

/// Delivers one subscription's messages to its handler, one at a time, counting what it
/// delivers and what the bus dropped because the handler fell behind (seen as the
/// subscriber's lag growing, when the task next takes a message).
async fn dispatch<I: Inbox>(
    inbox: Weak<I>,
    id: SubscriberId,
    notify: Arc<Notify>,
    handler: Handler,
    stop: Arc<AtomicBool>,
    mut metrics: SubscriberMetrics,
) {
    loop {
        notify.notified().await;
        loop {
            if stop.load(Ordering::Acquire) {
                return;
            }
            let message = {
                let Some(inbox) = inbox.upgrade() else { return };
                match inbox.with_bus(|bus| (bus.next_message(id), bus.subscriber_lag(id))) {
                    None => return,
                    Some((m, lag)) => {
                        metrics.lag(lag);
                        m
                    }
                }
            };
            match message {
                None => break,
                Some(m) => {
                    metrics.delivered();
                    handler(Message {
                        channel: Bytes::copy_from_slice(&m.channel),
                        pattern: m.pattern.map(|p| Bytes::copy_from_slice(&p)),
                        payload: Bytes::copy_from_slice(&m.payload),
                    })
                    .await
                }
            }
        }
    }
}

struct Dispatched<I: Inbox> {
    inbox: Weak<I>,
    id: SubscriberId,
    notify: Arc<Notify>,
    stop: Arc<AtomicBool>,
}

impl<I: Inbox> SubscriptionControl for Dispatched<I> {
    /// Complete before it returns: the bus forgets the subscriber (so `PUBLISH` no longer
    /// counts it) and its task starts no further handler call.
    fn unsubscribe(&self) -> Unsubscribed {
        self.stop.store(true, Ordering::Release);
        self.notify.notify_one();
        if let Some(inbox) = self.inbox.upgrade() {
            inbox.with_bus(|bus| bus.drop_subscriber(self.id));
            lock(inbox.dispatchers()).remove(&self.id.0);
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn lag(&self) -> u64 {
        self.inbox
            .upgrade()
            .and_then(|inbox| inbox.with_bus(|bus| bus.subscriber_lag(self.id)))
            .unwrap_or(0)
    }
}

/// A bus of its own, for a backend that relays messages another server delivered (the Redis
/// backend's pushes) to local handlers.
#[cfg(feature = "redis")]
pub(crate) struct LocalBus {
    bus: Mutex<PubSub>,
    dispatchers: Mutex<HashMap<u64, Arc<Notify>>>,
    closed: AtomicBool,
}

#[cfg(feature = "redis")]
impl Inbox for LocalBus {
    const BACKEND: Backend = Backend::Redis;

    fn with_bus<R>(&self, f: impl FnOnce(&mut PubSub) -> R) -> Option<R> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        Some(f(&mut lock(&self.bus)))
    }

    fn dispatchers(&self) -> &Mutex<HashMap<u64, Arc<Notify>>> {
        &self.dispatchers
    }
}

#[cfg(feature = "redis")]
impl LocalBus {
    /// An empty bus with the engine's default queue capacity per subscriber.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            bus: Mutex::new(PubSub::new(
                EngineConfig::default().subscriber_queue_capacity,
            )),
            dispatchers: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
        })
    }

    /// `handler` receives what is relayed to `route` (`pattern`: for the metrics' label).
    pub(crate) fn subscribe(
        self: &Arc<Self>,
        route: &[u8],
        handler: Handler,
        pattern: bool,
    ) -> Subscription {
        let id = {
            let mut bus = lock(&self.bus);
            let id = bus.create_subscriber();
            bus.subscribe(id, route);
            id
        };
        start(self, id, handler, pattern)
    }

    /// Ends every subscription: handlers get nothing more.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        wake_all(self);
    }

    /// Hands `message` to the handlers subscribed to `route`.
    pub(crate) fn relay(&self, route: &[u8], message: hedgestore_core::Message) {
        let ready = {
            let mut bus = lock(&self.bus);
            bus.relay(route, message);
            ready(&mut bus)
        };
        wake(self, &ready);
    }
}

#[cfg(feature = "redis")]
impl Drop for LocalBus {
    fn drop(&mut self) {
        self.close();
    }
}
