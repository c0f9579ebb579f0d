//! The pub/sub bus: delivery, patterns, bounded queues, introspection.

mod common;

use std::sync::Arc;

use common::{bulk, engine, ok};
use hedgestore_core::{Engine, EngineConfig, ManualClock, Reply};

#[test]
fn a_subscriber_receives_what_is_published_on_its_channel() {
    let (mut e, _) = engine();
    let s = e.create_subscriber();
    assert!(e.subscribe(s, b"news"));
    assert!(!e.subscribe(s, b"news"), "already subscribed");
    assert_eq!(e.publish(b"news", b"hello"), 1);
    assert_eq!(e.publish(b"other", b"ignored"), 0);
    let m = e.next_message(s).unwrap();
    assert_eq!(
        (&*m.channel, &*m.payload, m.pattern),
        (&b"news"[..], &b"hello"[..], None)
    );
    assert_eq!(e.next_message(s), None);
}

#[test]
fn patterns_match_and_a_double_match_counts_twice() {
    let (mut e, _) = engine();
    let s = e.create_subscriber();
    e.subscribe(s, b"prices.eur");
    e.psubscribe(s, b"prices.*").unwrap();
    assert_eq!(e.publish(b"prices.eur", b"1.08"), 2, "as in Redis");
    let first = e.next_message(s).unwrap();
    let second = e.next_message(s).unwrap();
    assert_eq!(first.pattern, None);
    assert_eq!(second.pattern.as_deref(), Some(&b"prices.*"[..]));
    assert!(e.psubscribe(s, b"bad[").is_err());
}

#[test]
fn a_payload_shared_by_many_subscribers_is_stored_once() {
    let (mut e, _) = engine();
    let subs: Vec<_> = (0..100).map(|_| e.create_subscriber()).collect();
    for s in &subs {
        e.subscribe(*s, b"fanout");
    }
    assert_eq!(e.publish(b"fanout", &[42u8; 4096]), 100);
    let first = e.next_message(subs[0]).unwrap();
    for s in &subs[1..] {
        let m = e.next_message(*s).unwrap();
        assert!(Arc::ptr_eq(&first.payload, &m.payload));
    }
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts_lag() {
    let mut e = Engine::with_config(
        ManualClock::new(0),
        EngineConfig {
            subscriber_queue_capacity: 3,
            ..EngineConfig::default()
        },
    );
    let slow = e.create_subscriber();
    let fast = e.create_subscriber_with_capacity(100);
    e.subscribe(slow, b"c");
    e.subscribe(fast, b"c");
    for i in 0..10u8 {
        e.publish(b"c", &[i]);
    }
    assert_eq!(e.subscriber_backlog(slow), 3);
    assert_eq!(e.subscriber_lag(slow), 7);
    assert_eq!(e.subscriber_lag(fast), 0);
    let kept: Vec<u8> = std::iter::from_fn(|| e.next_message(slow))
        .map(|m| m.payload[0])
        .collect();
    assert_eq!(kept, vec![7, 8, 9], "the newest messages are kept");
}

#[test]
fn ready_subscribers_are_reported_once_until_drained() {
    let (mut e, _) = engine();
    let a = e.create_subscriber();
    let b = e.create_subscriber();
    e.subscribe(a, b"x");
    e.subscribe(b, b"y");
    e.publish(b"x", b"1");
    e.publish(b"x", b"2");
    e.publish(b"y", b"3");
    assert_eq!(e.next_ready_subscriber(), Some(a));
    assert_eq!(e.next_ready_subscriber(), Some(b));
    assert_eq!(e.next_ready_subscriber(), None);
    while e.next_message(a).is_some() {}
    e.publish(b"x", b"4");
    assert_eq!(e.next_ready_subscriber(), Some(a));
}

#[test]
fn unsubscribing_and_dropping_stop_delivery() {
    let (mut e, _) = engine();
    let s = e.create_subscriber();
    e.subscribe(s, b"a");
    e.psubscribe(s, b"a*").unwrap();
    assert!(e.unsubscribe(s, b"a"));
    assert!(!e.unsubscribe(s, b"a"));
    assert_eq!(e.publish(b"a", b"m"), 1);
    assert!(e.punsubscribe(s, b"a*"));
    assert_eq!(e.publish(b"a", b"m"), 0);
    e.subscribe(s, b"a");
    e.drop_subscriber(s);
    assert_eq!(e.publish(b"a", b"m"), 0);
    assert_eq!(e.pubsub_numpat(), 0);
    assert!(e.pubsub_channels(None).unwrap().is_empty());
}

#[test]
fn pubsub_introspection_and_publish_as_commands() {
    let (mut e, _) = engine();
    let s1 = e.create_subscriber();
    let s2 = e.create_subscriber();
    e.subscribe(s1, b"ch1");
    e.subscribe(s2, b"ch1");
    e.subscribe(s2, b"ch2");
    e.psubscribe(s1, b"ch*").unwrap();
    e.psubscribe(s2, b"ch*").unwrap();
    assert_eq!(ok(&mut e, "PUBLISH ch1 hi"), Reply::Int(4));
    assert_eq!(
        ok(&mut e, "PUBSUB NUMSUB ch1 ch2 none"),
        Reply::Array(vec![
            bulk("ch1"),
            Reply::Int(2),
            bulk("ch2"),
            Reply::Int(1),
            bulk("none"),
            Reply::Int(0)
        ])
    );
    assert_eq!(ok(&mut e, "PUBSUB NUMPAT"), Reply::Int(1));
    let Reply::Array(mut chans) = ok(&mut e, "PUBSUB CHANNELS") else {
        panic!()
    };
    chans.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(chans, vec![bulk("ch1"), bulk("ch2")]);
    assert_eq!(
        ok(&mut e, "PUBSUB CHANNELS *2"),
        Reply::Array(vec![bulk("ch2")])
    );
    assert!(common::run(&mut e, "PUBSUB NOPE").is_err());
}
