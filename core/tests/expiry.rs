//! Active expiry driven the sans-IO way: next_deadline / handle_timeout on a manual clock.

mod common;

use common::T0;
use hedgestore_core::{Engine, EngineConfig, ManualClock, Message, SetOptions};

#[test]
fn an_engine_without_ttls_has_no_deadline() {
    let (mut e, _) = common::engine();
    assert_eq!(e.next_deadline(), None);
    e.set(b"k", b"v", SetOptions::default()).unwrap();
    assert_eq!(e.next_deadline(), None);
    e.set(b"t", b"v", SetOptions::default().px(50)).unwrap();
    assert!(e.next_deadline().is_some());
    e.del(&["t"]);
    assert_eq!(e.next_deadline(), None);
}

#[test]
fn a_million_keys_expire_in_bounded_steps() {
    let clock = ManualClock::new(T0);
    let budget = 1000;
    let mut e = Engine::with_config(
        clock.clone(),
        EngineConfig {
            expire_work_budget: budget,
            ..EngineConfig::default()
        },
    );
    let n = 1_000_000;
    for i in 0..n {
        let ttl = 1_000 + (i % 1000) as i64;
        e.set(
            format!("k{i}").as_bytes(),
            b"v",
            SetOptions::default().px(ttl),
        )
        .unwrap();
    }
    // Some persistent keys are mixed in and must survive.
    for i in 0..1000 {
        e.set(format!("keep{i}").as_bytes(), b"v", SetOptions::default())
            .unwrap();
    }
    assert_eq!(e.stats().keys_with_ttl, n);
    clock.advance(2_000);
    let (mut calls, mut total_expired) = (0, 0);
    while let Some(deadline) = e.next_deadline() {
        let now = clock.now_for_test(deadline);
        let report = e.handle_timeout(now);
        assert!(
            report.examined <= budget,
            "call {calls} examined {}",
            report.examined
        );
        total_expired += report.expired;
        calls += 1;
        assert!(calls < 10 * n / budget, "expiry is not making progress");
    }
    assert_eq!(total_expired, n);
    assert_eq!(e.len(), 1000);
    assert_eq!(e.stats().expired, n as u64);
    e.check_integrity().unwrap();
}

/// Reads the clock, moving it up to `deadline` first if the host would have slept until then.
trait ClockExt {
    fn now_for_test(&self, deadline: u64) -> u64;
}

impl ClockExt for ManualClock {
    fn now_for_test(&self, deadline: u64) -> u64 {
        use hedgestore_core::Clock;
        if deadline > self.now() {
            self.set(deadline);
        }
        self.now()
    }
}

#[test]
fn quiet_expiry_runs_at_the_active_interval() {
    let clock = ManualClock::new(T0);
    let mut e = Engine::with_config(clock.clone(), EngineConfig::default());
    for i in 0..100 {
        e.set(
            format!("k{i}").as_bytes(),
            b"v",
            SetOptions::default().ex(3600),
        )
        .unwrap();
    }
    let first = e.next_deadline().unwrap();
    let report = e.handle_timeout(first.max(T0));
    assert_eq!(report.expired, 0);
    assert_eq!(
        e.next_deadline(),
        Some(first.max(T0) + 100),
        "nothing due: next cycle in 100 ms"
    );
}

#[test]
fn the_periodic_cleanup_sweeps_the_whole_keyspace() {
    let clock = ManualClock::new(T0);
    let mut e = Engine::with_config(
        clock.clone(),
        EngineConfig {
            expire_work_budget: 100,
            active_expire_interval: 1_000_000, // effectively only the 60 s cleanup
            ..EngineConfig::default()
        },
    );
    for i in 0..10_000 {
        e.set(format!("p{i}").as_bytes(), b"v", SetOptions::default())
            .unwrap();
    }
    e.set(b"doomed", b"v", SetOptions::default().px(10))
        .unwrap();
    assert_eq!(e.next_deadline(), Some(T0 + 60_000));
    clock.set(T0 + 60_000);
    let mut calls = 0;
    while e.len() > 10_000 {
        let d = e.next_deadline().unwrap();
        assert!(d <= T0 + 60_000, "the sweep runs back to back");
        e.handle_timeout(T0 + 60_000);
        calls += 1;
        assert!(calls <= 101);
    }
}

#[test]
fn expired_keys_can_be_announced_as_keyspace_events() {
    let clock = ManualClock::new(T0);
    let mut e = Engine::with_config(
        clock.clone(),
        EngineConfig {
            keyspace_events: true,
            ..EngineConfig::default()
        },
    );
    let sub = e.create_subscriber();
    e.subscribe(sub, b"__keyevent@0__:expired");
    e.set(b"session", b"v", SetOptions::default().px(5))
        .unwrap();
    clock.advance(5);
    e.handle_timeout(T0 + 5);
    let Message {
        channel, payload, ..
    } = e.next_message(sub).expect("an expired event");
    assert_eq!(&*channel, b"__keyevent@0__:expired");
    assert_eq!(&*payload, b"session");
}

#[test]
fn keyspace_events_are_off_by_default() {
    let (mut e, clock) = common::engine();
    let sub = e.create_subscriber();
    e.subscribe(sub, b"__keyevent@0__:expired");
    e.set(b"k", b"v", SetOptions::default().px(5)).unwrap();
    clock.advance(5);
    assert_eq!(e.get(b"k").unwrap(), None);
    assert_eq!(e.next_message(sub), None);
}
