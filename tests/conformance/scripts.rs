//! Scripts on every backend: Redis runs them (`EVAL`, `EVALSHA` after `SCRIPT LOAD`,
//! `SCRIPT EXISTS`, the `_RO` forms); the memory engine, which has no Lua interpreter, refuses
//! each with a clear error and changes nothing.

use hedgestore::{BackendKind, Bytes, Error, Reply, StorageError};

use super::Harness;

/// `EVAL` and friends answer what Redis answers on a Redis backend (the fallback with Redis
/// up included), and [`Error::ScriptsNeedRedis`] on memory.
pub async fn scripts_run_on_redis_only(h: &Harness) {
    let s = &h.storage;
    s.del(&["c:lua:n"]).await.unwrap();
    let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    let eval = s.eval(script, &["c:lua:n"], &["5"]).await;
    if s.health().await.backend == BackendKind::Memory {
        let refused = |r: &Result<_, StorageError>| {
            matches!(r, Err(StorageError::Command(Error::ScriptsNeedRedis)))
        };
        assert!(refused(&eval), "{eval:?}");
        assert!(refused(&s.script_load(script).await.map(|_| Reply::Nil)));
        assert!(refused(&s.script_exists(&["x"]).await.map(|_| Reply::Nil)));
        assert!(refused(&s.script_flush().await.map(|_| Reply::Nil)));
        assert!(refused(
            &s.evalsha_ro("x", &["c:lua:n"], &[] as &[&str]).await
        ));
        assert_eq!(s.exists(&["c:lua:n"]).await.unwrap(), 0, "nothing ran");
        return;
    }
    assert_eq!(eval.unwrap(), Reply::Int(5));
    let sha = s.script_load(script).await.unwrap();
    assert_eq!(sha.len(), 40);
    let sha = std::str::from_utf8(&sha).unwrap().to_string();
    assert_eq!(
        s.evalsha(&sha, &["c:lua:n"], &["2"]).await.unwrap(),
        Reply::Int(7)
    );
    assert_eq!(
        s.script_exists(&[sha.as_str(), "0000000000000000000000000000000000000000"])
            .await
            .unwrap(),
        vec![true, false]
    );
    let read = "return redis.call('GET', KEYS[1])";
    assert_eq!(
        s.eval_ro(read, &["c:lua:n"], &[] as &[&str]).await.unwrap(),
        Reply::Bulk(b"7".to_vec())
    );
    let err = s
        .eval_ro(script, &["c:lua:n"], &["1"])
        .await
        .expect_err("a write in EVAL_RO");
    assert!(
        format!("{err}").contains("Write commands are not allowed"),
        "{err}"
    );
    assert_eq!(s.get("c:lua:n").await.unwrap(), Some(Bytes::from("7")));
}
