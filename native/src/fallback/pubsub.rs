//! Pub/sub of the fallback storage: handlers registered on both backends, the Redis side
//! restored by recovery (see [`Inner::restore_subscriptions`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;

use super::{lock, FallbackStorage, Inner, PendingSub};
use crate::error::Result;
use crate::subscription::{Handler, Subscription, SubscriptionControl, Unsubscribed};
use crate::traits::PubSubStorage;

struct FallbackSubscription {
    sub: Arc<PendingSub>,
    memory: Mutex<Option<Subscription>>,
    hub: Weak<Inner>,
}

impl SubscriptionControl for FallbackSubscription {
    /// The memory side ends before this returns, and recovery will not restore the Redis side
    /// any more; the future resolves once Redis confirmed the end of the Redis side (at once
    /// when there is none, as during an outage).
    fn unsubscribe(&self) -> Unsubscribed {
        self.sub.active.store(false, Ordering::Release);
        drop(lock(&self.memory).take());
        if let Some(inner) = self.hub.upgrade() {
            lock(&inner.subscriptions).retain(|s| !Arc::ptr_eq(s, &self.sub));
        }
        let sub = self.sub.clone();
        let hub = self.hub.clone();
        Box::pin(async move {
            let redis = sub.redis.lock().await.take();
            let Some(redis) = redis else { return Ok(()) };
            match redis.unsubscribe().await {
                // During an outage the Redis side cannot be confirmed now; recovery confirms
                // it before Redis serves again, so no later PUBLISH through Redis counts it.
                Err(_) if hub.upgrade().is_some_and(|i| !i.on_redis()) => Ok(()),
                other => other,
            }
        })
    }

    fn lag(&self) -> u64 {
        let memory = lock(&self.memory).as_ref().map_or(0, Subscription::lag);
        let redis = self
            .sub
            .redis
            .try_lock()
            .map_or(0, |r| r.as_ref().map_or(0, Subscription::lag));
        memory + redis
    }
}

impl FallbackStorage {
    async fn subscribe_both(
        &self,
        pattern: bool,
        name: &[u8],
        handler: Handler,
    ) -> Result<Subscription> {
        self.inner.check_open()?;
        let memory = if pattern {
            self.inner.memory.psubscribe(name, handler.clone()).await?
        } else {
            self.inner.memory.subscribe(name, handler.clone()).await?
        };
        let redis = if self.inner.on_redis() {
            let made = if pattern {
                self.inner.redis.psubscribe(name, handler.clone()).await
            } else {
                self.inner.redis.subscribe(name, handler.clone()).await
            };
            made.ok()
        } else {
            None
        };
        let sub = Arc::new(PendingSub {
            pattern,
            name: name.to_vec(),
            handler,
            redis: tokio::sync::Mutex::new(redis),
            active: AtomicBool::new(true),
        });
        lock(&self.inner.subscriptions).push(sub.clone());
        Ok(Subscription::new(Box::new(FallbackSubscription {
            sub,
            memory: Mutex::new(Some(memory)),
            hub: Arc::downgrade(&self.inner),
        })))
    }
}

#[async_trait]
impl PubSubStorage for FallbackStorage {
    async fn subscribe(&self, channel: &[u8], handler: Handler) -> Result<Subscription> {
        self.subscribe_both(false, channel, handler).await
    }

    async fn psubscribe(&self, pattern: &[u8], handler: Handler) -> Result<Subscription> {
        hedgestore_core::Pattern::new(pattern)?;
        self.subscribe_both(true, pattern, handler).await
    }
}
