//! What hedgestore reports to a metrics system: `cargo run --example observe`.
//!
//! It installs a Prometheus recorder (the `metrics-exporter-prometheus` crate, without its
//! HTTP listener: the application decides where the scrape is served), runs a small
//! workload through `get_storage()` and prints the scrape. Like the quickstart it needs
//! nothing but Rust: with Redis down or absent, `get_storage()` serves from memory and the
//! scrape shows `backend="memory"`.
//!
//! In an application, serve `handle.render()` on the endpoint Prometheus scrapes (the
//! `hedgestore-proxy` binary serves it as `GET /metrics`) and call `handle.run_upkeep()`
//! every few seconds.

use std::time::Duration;

use hedgestore::{describe_metrics, get_storage, handler};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // First the recorder, then the storage: metrics recorded before a recorder is installed
    // are lost.
    // Histograms with buckets (aggregatable across instances) rather than summaries.
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("duration_seconds".into()),
            &[0.0001, 0.001, 0.01, 0.1, 1.0, 10.0, 60.0, 600.0],
        )?
        .install_recorder()?;
    describe_metrics();

    let storage = get_storage().await?;
    let backend = storage.health().await.backend;

    storage.set("greeting", "hello", None).await?;
    storage
        .set("session:1", "alice", Some(Duration::from_millis(50)))
        .await?;
    storage.get("greeting").await?; // a hit
    storage.get("no-such-key").await?; // a miss
    let _ = storage.hset("greeting", &[("f", "v")]).await; // WRONGTYPE: a command error
    storage.incr("visits").await?;
    let subscription = storage.subscribe("news", handler(|_, _| async {})).await?;
    storage.publish("news", "hello subscribers").await?;
    tokio::time::sleep(Duration::from_millis(100)).await; // session:1 expires meanwhile
    storage.get("session:1").await?; // a miss, and an expired key
    if let Some(lock) = storage
        .acquire_lock("report", Duration::from_secs(5), None)
        .await
        .unwrap_or(None)
    {
        storage.release(&lock).await?;
    }
    subscription.unsubscribe().await?;
    storage.del(&["greeting", "visits"]).await?;

    // A health call brings the memory engine's counters up to date (they are also exported
    // every second in the background).
    storage.health().await;
    prometheus.run_upkeep();
    println!("# backend: {backend:?}");
    print!("{}", prometheus.render());
    storage.close().await?;
    Ok(())
}
