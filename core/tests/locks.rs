//! Locks with fencing tokens, expiry, and waiter events.

mod common;

use common::{engine, T0};
use hedgestore_core::{Error, Event, FencingToken, LockHolder};

#[test]
fn only_one_holder_at_a_time_and_tokens_grow() {
    let (mut e, _) = engine();
    let t1 = e.acquire_lock(b"job", b"a", 1000).unwrap().unwrap();
    assert_eq!(e.acquire_lock(b"job", b"b", 1000).unwrap(), None);
    assert_eq!(
        e.acquire_lock(b"job", b"a", 1000).unwrap(),
        None,
        "not re-entrant"
    );
    assert!(e.release_lock(b"job", LockHolder::Owner(b"a")));
    let t2 = e.acquire_lock(b"job", b"b", 1000).unwrap().unwrap();
    assert!(t2 > t1);
    let other = e.acquire_lock(b"other", b"a", 1000).unwrap().unwrap();
    assert!(other > t2, "tokens are monotonic across the engine's life");
}

#[test]
fn only_the_holder_can_release_or_extend() {
    let (mut e, _) = engine();
    let token = e.acquire_lock(b"l", b"owner", 1000).unwrap().unwrap();
    assert!(!e.release_lock(b"l", LockHolder::Owner(b"intruder")));
    assert!(!e.release_lock(b"l", LockHolder::Token(FencingToken(token.0 + 1))));
    assert!(!e
        .extend_lock(b"l", LockHolder::Owner(b"intruder"), 5000)
        .unwrap());
    assert_eq!(e.lock_owner(b"l"), Some(b"owner".to_vec()));
    assert!(e.extend_lock(b"l", LockHolder::Token(token), 5000).unwrap());
    assert_eq!(e.lock_ttl(b"l"), Some(5000));
    assert!(e.release_lock(b"l", LockHolder::Token(token)));
    assert_eq!(e.lock_owner(b"l"), None);
    assert!(
        !e.release_lock(b"l", LockHolder::Token(token)),
        "released once"
    );
}

#[test]
fn a_lock_expires_at_its_ttl() {
    let (mut e, clock) = engine();
    let old = e.acquire_lock(b"l", b"a", 100).unwrap().unwrap();
    clock.advance(99);
    assert_eq!(e.lock_ttl(b"l"), Some(1));
    clock.advance(1);
    assert_eq!(e.lock_owner(b"l"), None);
    assert!(
        !e.release_lock(b"l", LockHolder::Token(old)),
        "an expired holder cannot release"
    );
    let new = e.acquire_lock(b"l", b"b", 100).unwrap().unwrap();
    assert!(new > old);
    assert!(!e.extend_lock(b"l", LockHolder::Token(old), 100).unwrap());
}

#[test]
fn zero_ttl_is_refused() {
    let (mut e, _) = engine();
    assert_eq!(e.acquire_lock(b"l", b"a", 0), Err(Error::InvalidLockTtl));
    assert_eq!(e.lock_owner(b"l"), None);
}

#[test]
fn waiters_hear_of_a_release_without_polling() {
    let (mut e, _) = engine();
    e.acquire_lock(b"l", b"a", 10_000).unwrap().unwrap();
    e.wait_for_lock(b"l", 7);
    e.wait_for_lock(b"l", 8);
    e.wait_for_lock(b"l", 7);
    assert_eq!(e.poll_event(), None);
    assert!(e.release_lock(b"l", LockHolder::Owner(b"a")));
    assert_eq!(
        e.poll_event(),
        Some(Event::LockFreed {
            name: b"l".to_vec(),
            waiters: vec![7, 8],
            expired: false
        })
    );
    assert_eq!(e.poll_event(), None);
}

#[test]
fn waiters_hear_of_an_expiry_at_the_deadline() {
    let (mut e, clock) = engine();
    e.acquire_lock(b"l", b"a", 250).unwrap().unwrap();
    assert_eq!(e.next_deadline(), None, "no waiter, no deadline");
    e.wait_for_lock(b"l", 1);
    assert_eq!(e.next_deadline(), Some(T0 + 250));
    clock.advance(250);
    let report = e.handle_timeout(T0 + 250);
    assert_eq!(report.locks_expired, 1);
    assert_eq!(
        e.poll_event(),
        Some(Event::LockFreed {
            name: b"l".to_vec(),
            waiters: vec![1],
            expired: true
        })
    );
}

#[test]
fn a_cancelled_waiter_is_not_told() {
    let (mut e, _) = engine();
    e.acquire_lock(b"l", b"a", 1000).unwrap().unwrap();
    e.wait_for_lock(b"l", 1);
    e.cancel_lock_wait(b"l", 1);
    e.release_lock(b"l", LockHolder::Owner(b"a"));
    assert_eq!(e.poll_event(), None);
}
