//! `GET /metrics`: after known requests, the Prometheus scrape counts exactly those, in the
//! Prometheus text format's content type, behind the token, and never shows a key or a
//! value. The recorder is process-global, so this binary has a single test.

mod support;

use std::collections::BTreeMap;

use support::{get, post, request};

/// The samples of a Prometheus text body: `name{k="v",…}` (labels sorted) → value.
fn samples(body: &str) -> BTreeMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            let series = match series.split_once('{') {
                None => series.to_string(),
                Some((name, labels)) => {
                    let mut labels: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                    labels.sort();
                    format!("{name}{{{}}}", labels.join(","))
                }
            };
            (series, value.parse().expect("a number"))
        })
        .collect()
}

#[tokio::test]
async fn the_scrape_counts_the_requests_made_and_shows_no_key_or_value() {
    let handle = hedgestore_proxy::install_metrics().unwrap();
    assert!(
        hedgestore_proxy::install_metrics().is_ok(),
        "a second call returns the same handle"
    );
    drop(handle);
    let p = support::start().await;

    assert_eq!(
        post(p.addr, "/", r#"["SET","secret-key-1","secret-value-1"]"#)
            .await
            .status,
        200
    );
    assert_eq!(get(p.addr, "/get/secret-key-1").await.status, 200);
    assert_eq!(get(p.addr, "/get/secret-key-1").await.status, 200);
    assert_eq!(get(p.addr, "/get/missing-key-2").await.status, 200);
    assert_eq!(
        post(p.addr, "/", r#"["HSET","secret-key-1","field-3","v"]"#)
            .await
            .status,
        400,
        "WRONGTYPE"
    );

    // Behind the token, GET only.
    let anonymous = request(p.addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(anonymous.status, 401);
    assert!(!anonymous.text().contains("hedgestore_commands_total"));
    assert_eq!(post(p.addr, "/metrics", "").await.status, 405);

    let scrape = get(p.addr, "/metrics").await;
    assert_eq!(scrape.status, 200);
    assert_eq!(
        scrape.header("content-type"),
        Some("text/plain; version=0.0.4")
    );
    let body = scrape.text();
    for secret in [
        "secret-key-1",
        "secret-value-1",
        "missing-key-2",
        "field-3",
        support::TOKEN,
    ] {
        assert!(!body.contains(secret), "{secret} in the scrape:\n{body}");
    }
    assert!(body.contains("# HELP hedgestore_commands_total "));
    assert!(body.contains("# TYPE hedgestore_command_duration_seconds histogram"));
    let s = samples(&body);
    let value = |series: &str| *s.get(series).unwrap_or_else(|| panic!("{series}:\n{body}"));
    let commands = |command: &str, outcome: &str| {
        value(&format!(
            "hedgestore_commands_total{{backend=\"memory\",command=\"{command}\",outcome=\"{outcome}\"}}"
        ))
    };
    assert_eq!(commands("set", "ok"), 1.0);
    assert_eq!(commands("get", "ok"), 3.0);
    assert_eq!(commands("hset", "command_error"), 1.0);
    let counted: f64 = s
        .iter()
        .filter(|(k, _)| k.starts_with("hedgestore_commands_total{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(counted, 5.0, "nothing else was counted:\n{body}");
    // One memory command in 64 per thread is timed, the thread's first included: the
    // first of these five.
    assert_eq!(
        value("hedgestore_command_duration_seconds_count{backend=\"memory\"}"),
        1.0
    );
    assert_eq!(value("hedgestore_memory_hits_total"), 2.0);
    assert_eq!(value("hedgestore_memory_misses_total"), 1.0);
    assert_eq!(value("hedgestore_memory_keys"), 1.0);
    let stats = p.storage.health().await.memory.unwrap();
    assert_eq!(
        value("hedgestore_memory_used_bytes"),
        stats.used_memory as f64
    );
}
