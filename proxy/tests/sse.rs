//! Subscriptions over Server-Sent Events, in `@upstash/redis`'s event format.

mod support;

use std::time::{Duration, Instant};

use support::{bearer, post, start, Events, TOKEN};

const WAIT: Duration = Duration::from_secs(5);

async fn subscribers(p: &support::Proxy, channel: &str) -> String {
    post(p.addr, "/", &format!(r#"["pubsub","numsub","{channel}"]"#))
        .await
        .text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_subscribe_streams_the_confirmation_then_messages() {
    let p = start().await;
    let auth = bearer();
    let mut events = Events::open(
        p.addr,
        "POST",
        "/subscribe/news",
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(events.status, 200);
    assert!(events
        .headers
        .iter()
        .any(|(n, v)| n == "content-type" && v == "text/event-stream"));
    assert_eq!(events.next(WAIT).await.unwrap(), "data: subscribe,news,1");
    let r = post(p.addr, "/", r#"["publish","news","{\"price\":101.5}"]"#).await;
    assert_eq!(r.text(), r#"{"result":1}"#);
    post(p.addr, "/", r#"["publish","news","with, commas"]"#).await;
    post(p.addr, "/", r#"["publish","other","not for us"]"#).await;
    assert_eq!(
        events.next(WAIT).await.unwrap(),
        r#"data: message,news,{"price":101.5}"#
    );
    assert_eq!(
        events.next(WAIT).await.unwrap(),
        "data: message,news,with, commas"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psubscribe_streams_pattern_messages() {
    let p = start().await;
    let auth = bearer();
    let mut events = Events::open(
        p.addr,
        "POST",
        "/psubscribe/ticks.*",
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(
        events.next(WAIT).await.unwrap(),
        "data: psubscribe,ticks.*,1"
    );
    post(p.addr, "/", r#"["publish","ticks.ABC","1.25"]"#).await;
    assert_eq!(
        events.next(WAIT).await.unwrap(),
        "data: pmessage,ticks.*,ticks.ABC,1.25"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_source_subscribes_with_get_and_the_token_in_the_query() {
    let p = start().await;
    let path = format!("/subscribe/a/b%20c?_token={TOKEN}");
    let mut events = Events::open(p.addr, "GET", &path, &[]).await;
    assert_eq!(events.status, 200);
    assert_eq!(events.next(WAIT).await.unwrap(), "data: subscribe,a,1");
    assert_eq!(events.next(WAIT).await.unwrap(), "data: subscribe,b c,2");
    post(p.addr, "/", r#"["publish","b c","line one\nline two"]"#).await;
    // A payload with line breaks is split over data lines, as the SSE standard requires.
    assert_eq!(
        events.next(WAIT).await.unwrap(),
        "data: message,b c,line one\ndata: line two"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_needs_the_token_and_a_channel() {
    let p = start().await;
    let events = Events::open(p.addr, "POST", "/subscribe/news", &[]).await;
    assert_eq!(events.status, 401);
    let r = post(p.addr, "/subscribe", "[]").await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("at least one channel"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_subscriber_is_unsubscribed() {
    let p = start().await;
    let auth = bearer();
    let mut events = Events::open(
        p.addr,
        "POST",
        "/subscribe/gone",
        &[("Authorization", &auth)],
    )
    .await;
    events.next(WAIT).await.unwrap();
    assert_eq!(subscribers(&p, "gone").await, r#"{"result":["gone",1]}"#);
    drop(events);
    let deadline = Instant::now() + WAIT;
    while subscribers(&p, "gone").await != r#"{"result":["gone",0]}"# {
        assert!(
            Instant::now() < deadline,
            "still subscribed after the client left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_does_not_slow_publishers() {
    let p = start().await;
    let auth = bearer();
    let mut stuck = Events::open(
        p.addr,
        "POST",
        "/subscribe/firehose",
        &[("Authorization", &auth)],
    )
    .await;
    stuck.next(WAIT).await.unwrap();
    let payload = "x".repeat(1000);
    let started = Instant::now();
    for _ in 0..20_000 {
        let delivered = p.storage.publish("firehose", &payload).await.unwrap();
        assert_eq!(delivered, 1);
    }
    // 20 MB were published at a reader that took none of it: publishing did not wait for it.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    // Other subscribers are served meanwhile.
    let mut other = Events::open(
        p.addr,
        "POST",
        "/subscribe/firehose",
        &[("Authorization", &auth)],
    )
    .await;
    other.next(WAIT).await.unwrap();
    p.storage.publish("firehose", "fresh").await.unwrap();
    assert_eq!(
        other.next(WAIT).await.unwrap(),
        "data: message,firehose,fresh"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_streams_get_keepalive_comments() {
    let p = start().await;
    let auth = bearer();
    let mut events = Events::open(
        p.addr,
        "POST",
        "/subscribe/quiet",
        &[("Authorization", &auth)],
    )
    .await;
    events.next(WAIT).await.unwrap();
    let chunk = tokio::time::timeout(WAIT, events.conn.chunk())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(chunk, b": keepalive\n\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_subscription_streams() {
    let p = start().await;
    let auth = bearer();
    let mut events = Events::open(
        p.addr,
        "POST",
        "/subscribe/news",
        &[("Authorization", &auth)],
    )
    .await;
    events.next(WAIT).await.unwrap();
    p.handle.shutdown();
    assert_eq!(events.next(WAIT).await, None);
    tokio::time::timeout(WAIT, p.handle.wait())
        .await
        .unwrap()
        .unwrap();
}
