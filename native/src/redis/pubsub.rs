//! Pub/sub over Redis with the same handler API as the memory backend.
//!
//! Subscriptions use their own connection (a RESP3 `ConnectionManager` with a push sender
//! and automatic resubscription, so every channel and pattern is subscribed again after a
//! reconnect). What Redis pushes is relayed to local handlers through a [`LocalBus`], the
//! same subscriber dispatch as the memory backend's (a bounded queue, a lag counter and a
//! task per handler): channel subscribers listen on the route `c:<channel>`, pattern
//! subscribers on `p:<pattern>`, and each message is relayed as Redis matched it (its real
//! channel and pattern), so Redis's pattern matching is not repeated locally. One Redis
//! subscription per channel or pattern is shared by all local handlers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use hedgestore_core::Message as CoreMessage;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{PushInfo, PushKind, Value};
use tokio::sync::{mpsc, OnceCell};

use crate::config::RedisConfig;
use crate::error::{Result, StorageError};
use crate::subscription::dispatch::LocalBus;
use crate::subscription::{Handler, Subscription, SubscriptionControl, Unsubscribed};

use super::convert::unavailable;

pub(crate) struct PubSubHub {
    config: RedisConfig,
    connection: OnceCell<ConnectionManager>,
    bus: Arc<LocalBus>,
    /// Local handlers per Redis subscription: `(is_pattern, name)`.
    counts: Mutex<HashMap<(bool, Vec<u8>), usize>>,
    /// Serializes subscribing and unsubscribing (count change and the Redis call together),
    /// so an `UNSUBSCRIBE` of the last handler can never overtake the `SUBSCRIBE` of a new one
    /// on the wire and leave a local handler without its Redis subscription.
    changes: tokio::sync::Mutex<()>,
    /// Channels and patterns whose last handler is gone but whose `UNSUBSCRIBE` Redis has not
    /// confirmed (it was unreachable): sent again by [`PubSubHub::confirm_unsubscribes`].
    unconfirmed: Mutex<HashSet<(bool, Vec<u8>)>>,
}

fn local_name(pattern: bool, name: &[u8]) -> Vec<u8> {
    let mut n = if pattern {
        b"p:".to_vec()
    } else {
        b"c:".to_vec()
    };
    n.extend_from_slice(name);
    n
}

fn bytes_of(v: &Value) -> Option<&[u8]> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

impl PubSubHub {
    pub(crate) fn new(config: RedisConfig) -> Result<Arc<Self>> {
        Ok(Arc::new(Self {
            config,
            connection: OnceCell::new(),
            bus: LocalBus::new(),
            counts: Mutex::new(HashMap::new()),
            changes: tokio::sync::Mutex::new(()),
            unconfirmed: Mutex::new(HashSet::new()),
        }))
    }

    /// The subscription connection, created on first use.
    async fn connection(self: &Arc<Self>) -> Result<ConnectionManager> {
        let hub = Arc::downgrade(self);
        self.connection
            .get_or_try_init(|| async move {
                let url = self.config.connection_url();
                let url = url.expose();
                let sep = if url.contains('?') { '&' } else { '?' };
                let client =
                    redis::Client::open(format!("{url}{sep}protocol=resp3")).map_err(|_| {
                        StorageError::Unavailable("redis: the connection URL is not valid".into())
                    })?;
                let (tx, rx) = mpsc::unbounded_channel::<PushInfo>();
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.config.connect_timeout))
                    .set_response_timeout(Some(self.config.response_timeout))
                    .set_min_delay(self.config.backoff_base)
                    .set_exponent_base(self.config.backoff_factor)
                    .set_max_delay(self.config.backoff_max_delay)
                    .set_number_of_retries(self.config.backoff_max_attempts)
                    .set_push_sender(tx)
                    .set_automatic_resubscription();
                let manager = ConnectionManager::new_lazy_with_config(client, config)
                    .map_err(|e| unavailable(&e))?;
                tokio::spawn(route(hub, rx));
                Ok(manager)
            })
            .await
            .cloned()
    }

    /// Keeps the subscription connection alive (and reconnecting) while idle: a PING on a
    /// dead connection starts a reconnect, after which every subscription is restored.
    pub(crate) async fn ping(self: &Arc<Self>) {
        if let Some(conn) = self.connection.get() {
            let mut conn = conn.clone();
            let _ = tokio::time::timeout(
                self.config.response_timeout,
                redis::cmd("PING").query_async::<Value>(&mut conn),
            )
            .await;
        }
    }

    pub(crate) async fn subscribe(
        self: &Arc<Self>,
        pattern: bool,
        name: &[u8],
        handler: Handler,
    ) -> Result<Subscription> {
        let _changing = self.changes.lock().await;
        let local = self
            .bus
            .subscribe(&local_name(pattern, name), handler, pattern);
        let key = (pattern, name.to_vec());
        self.unconfirmed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        let first = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            let n = counts.entry(key.clone()).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            if let Err(e) = self.redis_subscribe(pattern, name, true).await {
                self.counts
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&key);
                return Err(e);
            }
        }
        Ok(Subscription::new(Box::new(RedisSubscription {
            hub: Arc::downgrade(self),
            key,
            local: Mutex::new(Some(local)),
        })))
    }

    async fn redis_subscribe(self: &Arc<Self>, pattern: bool, name: &[u8], on: bool) -> Result<()> {
        let mut conn = self.connection().await?;
        let call = async {
            match (pattern, on) {
                (false, true) => conn.subscribe(name).await,
                (true, true) => conn.psubscribe(name).await,
                (false, false) => conn.unsubscribe(name).await,
                (true, false) => conn.punsubscribe(name).await,
            }
        };
        match tokio::time::timeout(
            self.config.response_timeout.max(Duration::from_millis(100)),
            call,
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(unavailable(&e)),
            Err(_) => Err(StorageError::Unavailable(
                "redis: subscribe timed out".into(),
            )),
        }
    }

    /// Drops one local handler of `key`; the last one unsubscribes from Redis. Resolves once
    /// Redis has confirmed that `UNSUBSCRIBE`.
    async fn release(self: Arc<Self>, key: (bool, Vec<u8>)) -> Result<()> {
        let _changing = self.changes.lock().await;
        let last = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            match counts.get_mut(&key) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    false
                }
                Some(_) => {
                    counts.remove(&key);
                    true
                }
                None => false,
            }
        };
        if last {
            if let Err(e) = self.redis_subscribe(key.0, &key.1, false).await {
                self.unconfirmed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Sends the `UNSUBSCRIBE`s Redis did not confirm earlier (it was unreachable) and waits
    /// for their confirmation. The fallback storage calls it before it serves from Redis
    /// again, so a subscription ended during an outage is not counted by a later `PUBLISH`.
    pub(crate) async fn confirm_unsubscribes(self: &Arc<Self>) -> Result<()> {
        let _changing = self.changes.lock().await;
        let keys: Vec<_> = self
            .unconfirmed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        for key in keys {
            self.redis_subscribe(key.0, &key.1, false).await?;
            self.unconfirmed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.bus.close();
    }
}

/// Relays pushes from Redis to the local handlers.
async fn route(hub: Weak<PubSubHub>, mut rx: mpsc::UnboundedReceiver<PushInfo>) {
    while let Some(push) = rx.recv().await {
        let Some(hub) = hub.upgrade() else { return };
        match (push.kind, push.data.as_slice()) {
            (PushKind::Message, [channel, payload]) => {
                if let (Some(c), Some(p)) = (bytes_of(channel), bytes_of(payload)) {
                    hub.bus.relay(
                        &local_name(false, c),
                        CoreMessage {
                            channel: c.into(),
                            pattern: None,
                            payload: p.into(),
                        },
                    );
                }
            }
            (PushKind::PMessage, [pattern, channel, payload]) => {
                if let (Some(pat), Some(c), Some(p)) =
                    (bytes_of(pattern), bytes_of(channel), bytes_of(payload))
                {
                    hub.bus.relay(
                        &local_name(true, pat),
                        CoreMessage {
                            channel: c.into(),
                            pattern: Some(pat.into()),
                            payload: p.into(),
                        },
                    );
                }
            }
            _ => {}
        }
    }
}

struct RedisSubscription {
    hub: Weak<PubSubHub>,
    key: (bool, Vec<u8>),
    local: Mutex<Option<Subscription>>,
}

impl SubscriptionControl for RedisSubscription {
    /// The local handler stops at once (its local-bus subscription ends before this
    /// returns); the future resolves when Redis confirmed the `UNSUBSCRIBE` of the last local
    /// handler of this channel or pattern.
    fn unsubscribe(&self) -> Unsubscribed {
        let local = self
            .local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(local) = local else {
            return Box::pin(std::future::ready(Ok(())));
        };
        // Dropping it ends the local-bus subscription now (that unsubscribes synchronously).
        drop(local);
        match self.hub.upgrade() {
            Some(hub) => Box::pin(hub.release(self.key.clone())),
            None => Box::pin(std::future::ready(Ok(()))),
        }
    }

    fn lag(&self) -> u64 {
        self.local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, Subscription::lag)
    }
}
