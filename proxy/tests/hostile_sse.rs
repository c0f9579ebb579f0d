//! Slow subscribers: a Server-Sent Events client that stops reading while big messages are
//! published is disconnected once its byte-bounded queue is over the limit, with a last event
//! saying why, while publishers and other clients carry on.

mod support;

use std::time::{Duration, Instant};

use support::{bearer, post, start_with, Events};

/// A generous deadline for conditions the tests wait for.
const DEADLINE: Duration = Duration::from_secs(60);

async fn subscribers(addr: std::net::SocketAddr, channel: &str) -> String {
    post(addr, "/", &format!(r#"["pubsub","numsub","{channel}"]"#))
        .await
        .text()
}

/// Reads `events` to its end and returns the last event.
async fn last_event(events: &mut Events) -> String {
    let mut last = String::new();
    let read_all = async {
        while let Some(event) = events.next_raw().await {
            last = event;
        }
    };
    tokio::time::timeout(DEADLINE, read_all)
        .await
        .expect("the stream ends");
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_past_the_hard_limit_is_disconnected_with_a_last_event() {
    let p = start_with(|c| c.sse_hard_limit = 256 << 10).await;
    let auth = bearer();
    let headers = [("Authorization", auth.as_str())];
    let mut stuck = Events::open(p.addr, "POST", "/subscribe/firehose", &headers).await;
    assert_eq!(
        stuck.next(DEADLINE).await.unwrap(),
        "data: subscribe,firehose,1"
    );
    let mut calm = Events::open(p.addr, "POST", "/subscribe/calm", &headers).await;
    calm.next(DEADLINE).await.unwrap();
    // 25 MB at a reader that takes none of it: more than the socket buffers hold.
    let payload = "x".repeat(64 << 10);
    for _ in 0..400 {
        p.storage.publish("firehose", &payload).await.unwrap();
    }
    let started = Instant::now();
    while subscribers(p.addr, "firehose").await != r#"{"result":["firehose",0]}"# {
        assert!(started.elapsed() < DEADLINE, "the slow subscriber stays");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Others are served meanwhile: a request, and another subscriber.
    let r = post(p.addr, "/", r#"["SET","k","v"]"#).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    p.storage.publish("calm", "hello").await.unwrap();
    assert_eq!(
        calm.next(DEADLINE).await.unwrap(),
        "data: message,calm,hello"
    );
    // What the slow one gets when it reads again: what was already sent, then why it ends.
    assert_eq!(
        last_event(&mut stuck).await,
        "data: error,ERR slow subscriber disconnected: more than 256 KB of events waiting \
         (HEDGESTORE_PROXY_SSE_HARD_LIMIT)"
    );
    assert!(
        stuck.conn.closed_within(DEADLINE).await,
        "connection closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_whose_events_find_no_in_flight_memory_is_disconnected() {
    // Its own queue may hold 32 MB, but all clients together only 1 MB.
    let p = start_with(|c| {
        c.max_body = 64 << 10;
        c.max_reply = 256 << 10;
        c.max_inflight = 1 << 20;
    })
    .await;
    let auth = bearer();
    let headers = [("Authorization", auth.as_str())];
    let mut stuck = Events::open(p.addr, "POST", "/subscribe/firehose", &headers).await;
    stuck.next(DEADLINE).await.unwrap();
    // 25 MB at a reader that takes none of it: more than the socket buffers hold.
    let payload = "x".repeat(64 << 10);
    for _ in 0..400 {
        p.storage.publish("firehose", &payload).await.unwrap();
    }
    let started = Instant::now();
    while subscribers(p.addr, "firehose").await != r#"{"result":["firehose",0]}"# {
        assert!(started.elapsed() < DEADLINE, "the slow subscriber stays");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Its memory is given back: others are served at once.
    let r = post(p.addr, "/", r#"["SET","k","v"]"#).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    assert_eq!(
        last_event(&mut stuck).await,
        "data: error,ERR slow subscriber disconnected: the memory for all clients is in use \
         (HEDGESTORE_PROXY_MAX_INFLIGHT)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_above_the_soft_limit_for_too_long_is_disconnected() {
    let p = start_with(|c| {
        c.sse_soft_limit = 128 << 10;
        c.sse_soft_limit_for = Duration::from_millis(200);
    })
    .await;
    let auth = bearer();
    let mut stuck = Events::open(
        p.addr,
        "POST",
        "/subscribe/drip",
        &[("Authorization", &auth)],
    )
    .await;
    stuck.next(DEADLINE).await.unwrap();
    let payload = "y".repeat(512 << 10);
    let started = Instant::now();
    loop {
        let delivered = p.storage.publish("drip", &payload).await.unwrap();
        if delivered == 0 {
            break;
        }
        assert!(started.elapsed() < DEADLINE, "the slow subscriber stays");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(last_event(&mut stuck)
        .await
        .starts_with("data: error,ERR slow subscriber disconnected: more than 128 KB of events waiting for 200 ms"));
}
