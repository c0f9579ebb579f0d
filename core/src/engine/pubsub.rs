//! The pub/sub bus, sans-IO: `publish` enqueues, the host drains.
//!
//! Each subscriber has a bounded queue. Publishing never blocks and never grows memory
//! without bound: a full queue drops its *oldest* message and counts it in that subscriber's
//! lag, which the subscriber can read. A message's channel and payload are reference-counted,
//! so a payload published to ten thousand subscribers is stored once.
//!
//! The host learns which subscribers have messages from [`Engine::next_ready_subscriber`] and
//! drains each with [`Engine::next_message`] until it returns `None`.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

use hashbrown::HashMap;

use super::Engine;
use crate::glob::Pattern;
use crate::{Clock, Error};

/// Identifies a subscriber (a connection, a handler) of one engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriberId(pub u64);

/// A published message as one subscriber receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published to.
    pub channel: Arc<[u8]>,
    /// The pattern that matched, for pattern subscriptions.
    pub pattern: Option<Arc<[u8]>>,
    /// The payload (shared by every receiver).
    pub payload: Arc<[u8]>,
}

struct Subscriber {
    queue: VecDeque<Message>,
    capacity: usize,
    lag: u64,
    channels: Vec<Vec<u8>>,
    patterns: Vec<Vec<u8>>,
    /// Listed in `ready` (has messages the host has not drained).
    ready: bool,
}

struct PatternSubs {
    raw: Arc<[u8]>,
    compiled: Pattern,
    subscribers: Vec<u64>,
}

/// A pub/sub bus on its own: subscribers with bounded queues, channel and pattern
/// subscriptions, publishing. The engine holds one (its `PUBLISH`/`SUBSCRIBE` commands and the
/// methods below); a host that only fans messages out (a Redis client delivering what Redis
/// pushed to local handlers) can hold one without an engine.
pub struct PubSub {
    pub(crate) default_capacity: usize,
    next_id: u64,
    subscribers: HashMap<u64, Subscriber>,
    channels: HashMap<Vec<u8>, Vec<u64>>,
    patterns: Vec<PatternSubs>,
    ready: VecDeque<u64>,
}

impl PubSub {
    /// An empty bus whose subscribers' queues hold `default_capacity` messages (at least 1).
    pub fn new(default_capacity: usize) -> Self {
        Self {
            default_capacity: default_capacity.max(1),
            next_id: 0,
            subscribers: HashMap::new(),
            channels: HashMap::new(),
            patterns: Vec::new(),
            ready: VecDeque::new(),
        }
    }

    fn deliver(&mut self, id: u64, message: Message) {
        let Some(sub) = self.subscribers.get_mut(&id) else {
            return;
        };
        if sub.queue.len() >= sub.capacity {
            sub.queue.pop_front();
            sub.lag += 1;
        }
        sub.queue.push_back(message);
        if !sub.ready {
            sub.ready = true;
            self.ready.push_back(id);
        }
    }

    /// Publishes `payload` on `channel`; returns how many subscriptions received it (a
    /// subscriber matching by channel and by a pattern counts twice, as in Redis).
    pub fn publish(&mut self, channel: &[u8], payload: &[u8]) -> usize {
        let channel_arc: Arc<[u8]> = Arc::from(channel);
        let payload: Arc<[u8]> = Arc::from(payload);
        let mut receivers = 0;
        let direct = self.channels.get(channel).cloned().unwrap_or_default();
        for id in direct {
            receivers += 1;
            self.deliver(
                id,
                Message {
                    channel: channel_arc.clone(),
                    pattern: None,
                    payload: payload.clone(),
                },
            );
        }
        let mut by_pattern = Vec::new();
        for p in &self.patterns {
            if p.compiled.matches(channel) {
                for id in &p.subscribers {
                    by_pattern.push((*id, p.raw.clone()));
                }
            }
        }
        for (id, pattern) in by_pattern {
            receivers += 1;
            self.deliver(
                id,
                Message {
                    channel: channel_arc.clone(),
                    pattern: Some(pattern),
                    payload: payload.clone(),
                },
            );
        }
        receivers
    }
}

impl<C: Clock> Engine<C> {
    /// The engine's pub/sub bus (see [`PubSub`] for every operation).
    pub fn bus(&self) -> &PubSub {
        &self.pubsub
    }

    /// The engine's pub/sub bus, to subscribe, unsubscribe and drain queues.
    pub fn bus_mut(&mut self) -> &mut PubSub {
        &mut self.pubsub
    }

    /// A new subscriber with the configured queue capacity.
    pub fn create_subscriber(&mut self) -> SubscriberId {
        self.pubsub.create_subscriber()
    }

    /// A new subscriber whose queue holds at most `capacity` messages (at least 1).
    pub fn create_subscriber_with_capacity(&mut self, capacity: usize) -> SubscriberId {
        self.pubsub.create_subscriber_with_capacity(capacity)
    }

    /// Removes a subscriber with all its subscriptions and pending messages.
    pub fn drop_subscriber(&mut self, id: SubscriberId) {
        self.pubsub.drop_subscriber(id)
    }

    /// Subscribes `id` to `channel`; false when already subscribed or `id` is unknown.
    pub fn subscribe(&mut self, id: SubscriberId, channel: &[u8]) -> bool {
        self.pubsub.subscribe(id, channel)
    }

    /// Subscribes `id` to every channel matching the glob `pattern`.
    pub fn psubscribe(&mut self, id: SubscriberId, pattern: &[u8]) -> Result<bool, Error> {
        self.pubsub.psubscribe(id, pattern)
    }

    /// Unsubscribes `id` from `channel`; false when it was not subscribed.
    pub fn unsubscribe(&mut self, id: SubscriberId, channel: &[u8]) -> bool {
        self.pubsub.unsubscribe(id, channel)
    }

    /// Unsubscribes `id` from `pattern`; false when it was not subscribed.
    pub fn punsubscribe(&mut self, id: SubscriberId, pattern: &[u8]) -> bool {
        self.pubsub.punsubscribe(id, pattern)
    }

    /// Publishes `payload` on `channel`; returns how many subscriptions received it (a
    /// subscriber matching by channel and by a pattern counts twice, as in Redis).
    pub fn publish(&mut self, channel: &[u8], payload: &[u8]) -> usize {
        self.pubsub.publish(channel, payload)
    }

    /// The next queued message of `id`.
    pub fn next_message(&mut self, id: SubscriberId) -> Option<Message> {
        self.pubsub.next_message(id)
    }

    /// A subscriber that has queued messages, each reported once until drained empty.
    pub fn next_ready_subscriber(&mut self) -> Option<SubscriberId> {
        self.pubsub.next_ready_subscriber()
    }

    /// Messages `id` lost because its queue was full (oldest dropped first).
    pub fn subscriber_lag(&self, id: SubscriberId) -> u64 {
        self.pubsub.subscriber_lag(id)
    }

    /// Messages waiting in `id`'s queue.
    pub fn subscriber_backlog(&self, id: SubscriberId) -> usize {
        self.pubsub.subscriber_backlog(id)
    }

    /// `PUBSUB CHANNELS [pattern]`: channels with at least one subscriber.
    pub fn pubsub_channels(&self, pattern: Option<&[u8]>) -> Result<Vec<Vec<u8>>, Error> {
        self.pubsub.pubsub_channels(pattern)
    }

    /// `PUBSUB NUMSUB`: subscribers of each channel (patterns not counted).
    pub fn pubsub_numsub<K: AsRef<[u8]>>(&self, channels: &[K]) -> Vec<usize> {
        self.pubsub.pubsub_numsub(channels)
    }

    /// `PUBSUB NUMPAT`: distinct patterns subscribed to.
    pub fn pubsub_numpat(&self) -> usize {
        self.pubsub.pubsub_numpat()
    }
}

impl PubSub {
    /// Delivers `message` as it is to the subscribers of `channel` (channel subscriptions
    /// only, no pattern matching), for a host relaying what another server already matched
    /// (a Redis client's pushes); returns how many received it.
    pub fn relay(&mut self, channel: &[u8], message: Message) -> usize {
        let ids = self.channels.get(channel).cloned().unwrap_or_default();
        for id in &ids {
            self.deliver(*id, message.clone());
        }
        ids.len()
    }

    /// A new subscriber with the configured queue capacity.
    pub fn create_subscriber(&mut self) -> SubscriberId {
        let capacity = self.default_capacity;
        self.create_subscriber_with_capacity(capacity)
    }

    /// A new subscriber whose queue holds at most `capacity` messages (at least 1).
    pub fn create_subscriber_with_capacity(&mut self, capacity: usize) -> SubscriberId {
        let ps = self;
        ps.next_id += 1;
        ps.subscribers.insert(
            ps.next_id,
            Subscriber {
                queue: VecDeque::new(),
                capacity: capacity.max(1),
                lag: 0,
                channels: Vec::new(),
                patterns: Vec::new(),
                ready: false,
            },
        );
        SubscriberId(ps.next_id)
    }

    /// Removes a subscriber with all its subscriptions and pending messages.
    pub fn drop_subscriber(&mut self, id: SubscriberId) {
        let Some(sub) = self.subscribers.get(&id.0) else {
            return;
        };
        let (channels, patterns) = (sub.channels.clone(), sub.patterns.clone());
        for c in channels {
            self.unsubscribe(id, &c);
        }
        for p in patterns {
            self.punsubscribe(id, &p);
        }
        self.subscribers.remove(&id.0);
    }

    /// Subscribes `id` to `channel`; false when already subscribed or `id` is unknown.
    pub fn subscribe(&mut self, id: SubscriberId, channel: &[u8]) -> bool {
        let ps = self;
        let Some(sub) = ps.subscribers.get_mut(&id.0) else {
            return false;
        };
        if sub.channels.iter().any(|c| c == channel) {
            return false;
        }
        sub.channels.push(channel.to_vec());
        ps.channels.entry(channel.to_vec()).or_default().push(id.0);
        true
    }

    /// Subscribes `id` to every channel matching the glob `pattern`.
    pub fn psubscribe(&mut self, id: SubscriberId, pattern: &[u8]) -> Result<bool, Error> {
        let compiled = Pattern::new(pattern)?;
        let ps = self;
        let Some(sub) = ps.subscribers.get_mut(&id.0) else {
            return Ok(false);
        };
        if sub.patterns.iter().any(|p| p == pattern) {
            return Ok(false);
        }
        sub.patterns.push(pattern.to_vec());
        match ps.patterns.iter_mut().find(|p| &*p.raw == pattern) {
            Some(p) => p.subscribers.push(id.0),
            None => ps.patterns.push(PatternSubs {
                raw: Arc::from(pattern),
                compiled,
                subscribers: alloc::vec![id.0],
            }),
        }
        Ok(true)
    }

    /// Unsubscribes `id` from `channel`; false when it was not subscribed.
    pub fn unsubscribe(&mut self, id: SubscriberId, channel: &[u8]) -> bool {
        let ps = self;
        let Some(sub) = ps.subscribers.get_mut(&id.0) else {
            return false;
        };
        let before = sub.channels.len();
        sub.channels.retain(|c| c != channel);
        if sub.channels.len() == before {
            return false;
        }
        if let Some(list) = ps.channels.get_mut(channel) {
            list.retain(|s| *s != id.0);
            if list.is_empty() {
                ps.channels.remove(channel);
            }
        }
        true
    }

    /// Unsubscribes `id` from `pattern`; false when it was not subscribed.
    pub fn punsubscribe(&mut self, id: SubscriberId, pattern: &[u8]) -> bool {
        let ps = self;
        let Some(sub) = ps.subscribers.get_mut(&id.0) else {
            return false;
        };
        let before = sub.patterns.len();
        sub.patterns.retain(|p| p != pattern);
        if sub.patterns.len() == before {
            return false;
        }
        for p in &mut ps.patterns {
            if &*p.raw == pattern {
                p.subscribers.retain(|s| *s != id.0);
            }
        }
        ps.patterns.retain(|p| !p.subscribers.is_empty());
        true
    }

    /// The next queued message of `id`.
    pub fn next_message(&mut self, id: SubscriberId) -> Option<Message> {
        let sub = self.subscribers.get_mut(&id.0)?;
        let m = sub.queue.pop_front();
        if sub.queue.is_empty() {
            sub.ready = false;
        }
        m
    }

    /// A subscriber that has queued messages, each reported once until drained empty.
    pub fn next_ready_subscriber(&mut self) -> Option<SubscriberId> {
        while let Some(id) = self.ready.pop_front() {
            if self.subscribers.get(&id).is_some_and(|s| s.ready) {
                return Some(SubscriberId(id));
            }
        }
        None
    }

    /// Messages `id` lost because its queue was full (oldest dropped first).
    pub fn subscriber_lag(&self, id: SubscriberId) -> u64 {
        self.subscribers.get(&id.0).map_or(0, |s| s.lag)
    }

    /// Messages waiting in `id`'s queue.
    pub fn subscriber_backlog(&self, id: SubscriberId) -> usize {
        self.subscribers.get(&id.0).map_or(0, |s| s.queue.len())
    }

    /// `PUBSUB CHANNELS [pattern]`: channels with at least one subscriber.
    pub fn pubsub_channels(&self, pattern: Option<&[u8]>) -> Result<Vec<Vec<u8>>, Error> {
        let pattern = pattern.map(Pattern::new).transpose()?;
        Ok(self
            .channels
            .keys()
            .filter(|c| pattern.as_ref().is_none_or(|p| p.matches(c)))
            .cloned()
            .collect())
    }

    /// `PUBSUB NUMSUB`: subscribers of each channel (patterns not counted).
    pub fn pubsub_numsub<K: AsRef<[u8]>>(&self, channels: &[K]) -> Vec<usize> {
        channels
            .iter()
            .map(|c| self.channels.get(c.as_ref()).map_or(0, Vec::len))
            .collect()
    }

    /// `PUBSUB NUMPAT`: distinct patterns subscribed to.
    pub fn pubsub_numpat(&self) -> usize {
        self.patterns.len()
    }
}
