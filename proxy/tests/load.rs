//! Many clients at once: 200 concurrent keep-alive connections on loopback, every request
//! answered correctly, nothing lost.

mod support;

use std::time::Duration;

use support::{bearer, start, Conn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_connections_are_all_served() {
    const CONNECTIONS: usize = 200;
    const REQUESTS: usize = 25;
    let p = start().await;
    let addr = p.addr;
    let auth = bearer();
    let mut tasks = Vec::with_capacity(CONNECTIONS);
    for c in 0..CONNECTIONS {
        let auth = auth.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await;
            let h = [("Authorization", auth.as_str())];
            for i in 0..REQUESTS {
                let set = format!(r#"["set","conn:{c}","{i}"]"#);
                let r = conn.request("POST", "/", &h, set.as_bytes()).await;
                assert_eq!((r.status, r.text().as_str()), (200, r#"{"result":"OK"}"#));
                let r = conn
                    .request("GET", &format!("/get/conn:{c}"), &h, b"")
                    .await;
                assert_eq!(r.text(), format!(r#"{{"result":"{i}"}}"#));
                let r = conn
                    .request("POST", "/pipeline", &h, br#"[["incr","total"]]"#)
                    .await;
                assert_eq!(r.status, 200);
            }
        }));
    }
    let all = async {
        for task in tasks {
            task.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("every client finished");
    let total = p.storage.get("total").await.unwrap().unwrap();
    assert_eq!(total, (CONNECTIONS * REQUESTS).to_string());
}
