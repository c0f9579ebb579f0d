//! Scripts through the proxy: refused by default (they are administrative: a script can
//! touch any key), allowed by `HEDGESTORE_PROXY_ALLOW`, then run by Redis and refused with a
//! clear error by the memory backend, which has no Lua interpreter.

mod support;

use hedgestore_native::{Storage, StorageConfig};
use hedgestore_testkit::RedisServer;
use support::{post, start_on, start_with};

const SCRIPTS: &[&str] = &["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT"];

fn allow_scripts(c: &mut hedgestore_proxy::ProxyConfig) {
    c.allow = SCRIPTS.iter().map(|s| s.to_string()).collect();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_are_refused_unless_allowed() {
    let p = start_with(|_| {}).await;
    for body in [
        r#"["eval","return 1","0"]"#,
        r#"["evalsha","e0e1f9fabfc9d4800c877a703b823ac0578ff8db","0"]"#,
        r#"["eval_ro","return 1","0"]"#,
        r#"["script","load","return 1"]"#,
    ] {
        let r = post(p.addr, "/", body).await;
        assert_eq!(r.status, 403, "{body}: {}", r.text());
        assert!(r.text().contains("NOPERM"), "{body}: {}", r.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_scripts_get_a_clear_error_from_the_memory_backend() {
    let p = start_with(allow_scripts).await;
    for body in [
        r#"["eval","return 1","0"]"#,
        r#"["evalsha","e0e1f9fabfc9d4800c877a703b823ac0578ff8db","1","k"]"#,
        r#"["script","load","return 1"]"#,
    ] {
        let text = post(p.addr, "/", body).await.text();
        assert!(
            text.contains(
                "ERR scripts need Redis: hedgestore's memory engine has no Lua interpreter"
            ),
            "{body}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_scripts_run_on_the_redis_backend() {
    let server = RedisServer::start().unwrap();
    let storage = Storage::redis(StorageConfig::default().redis_url(server.url()))
        .await
        .unwrap();
    let p = start_on(storage, allow_scripts).await;
    let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    let eval = format!(r#"["eval","{script}","1","counter","5"]"#);
    assert_eq!(post(p.addr, "/", &eval).await.text(), r#"{"result":5}"#);
    let load = format!(r#"["script","load","{script}"]"#);
    let sha = post(p.addr, "/", &load).await.text();
    let sha = sha
        .strip_prefix(r#"{"result":""#)
        .and_then(|s| s.strip_suffix(r#""}"#))
        .unwrap_or_else(|| panic!("SCRIPT LOAD answered {sha}"))
        .to_string();
    assert_eq!(sha.len(), 40);
    let evalsha = format!(r#"["evalsha","{sha}","1","counter","2"]"#);
    assert_eq!(post(p.addr, "/", &evalsha).await.text(), r#"{"result":7}"#);
    let exists =
        format!(r#"["script","exists","{sha}","0000000000000000000000000000000000000000"]"#);
    assert_eq!(
        post(p.addr, "/", &exists).await.text(),
        r#"{"result":[1,0]}"#
    );
}
