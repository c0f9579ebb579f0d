//! Hash commands.

mod common;

use common::{bulk, engine, ok, run};
use hedgestore_core::{Error, Reply};

#[test]
fn hset_counts_only_new_fields() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "HSET h a 1 b 2"), Reply::Int(2));
    assert_eq!(ok(&mut e, "HSET h a 9 c 3"), Reply::Int(1));
    assert_eq!(
        ok(&mut e, "HSET h d 1 d 2"),
        Reply::Int(1),
        "a repeated field counts once"
    );
    assert_eq!(ok(&mut e, "HGET h d"), bulk("2"), "the last value wins");
    assert_eq!(run(&mut e, "HSET h a"), Err(Error::WrongArity("hset")));
    assert_eq!(run(&mut e, "HSET h a 1 b"), Err(Error::WrongArity("hset")));
}

#[test]
fn hget_hmget_hexists_hlen() {
    let (mut e, _) = engine();
    e.hset(b"h", &[("a", "1"), ("b", "2")]).unwrap();
    assert_eq!(e.hget(b"h", b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(e.hget(b"h", b"zz").unwrap(), None);
    assert_eq!(
        ok(&mut e, "HMGET h b zz a"),
        Reply::Array(vec![bulk("2"), Reply::Nil, bulk("1")])
    );
    assert_eq!(
        ok(&mut e, "HMGET missing a"),
        Reply::Array(vec![Reply::Nil])
    );
    assert_eq!(ok(&mut e, "HEXISTS h a"), Reply::Int(1));
    assert_eq!(ok(&mut e, "HEXISTS h zz"), Reply::Int(0));
    assert_eq!(ok(&mut e, "HLEN h"), Reply::Int(2));
    assert_eq!(ok(&mut e, "HLEN missing"), Reply::Int(0));
}

#[test]
fn hgetall_hkeys_hvals_agree() {
    let (mut e, _) = engine();
    e.hset(b"h", &[("a", "1"), ("b", "2"), ("c", "3")]).unwrap();
    let mut all = e.hgetall(b"h").unwrap();
    all.sort();
    assert_eq!(
        all,
        vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"2".to_vec()),
            (b"c".to_vec(), b"3".to_vec())
        ]
    );
    let mut keys = e.hkeys(b"h").unwrap();
    keys.sort();
    assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    let mut vals = e.hvals(b"h").unwrap();
    vals.sort();
    assert_eq!(vals, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    assert!(e.hgetall(b"missing").unwrap().is_empty());
}

#[test]
fn emptied_hash_ceases_to_exist() {
    let (mut e, _) = engine();
    ok(&mut e, "HSET h a 1 b 2");
    assert_eq!(ok(&mut e, "HDEL h a zz"), Reply::Int(1));
    assert_eq!(ok(&mut e, "HDEL h b"), Reply::Int(1));
    assert_eq!(ok(&mut e, "EXISTS h"), Reply::Int(0));
    assert_eq!(ok(&mut e, "HDEL h b"), Reply::Int(0));
}

#[test]
fn hincrby_and_hincrbyfloat() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "HINCRBY h n 5"), Reply::Int(5));
    assert_eq!(ok(&mut e, "HINCRBY h n -7"), Reply::Int(-2));
    assert_eq!(ok(&mut e, "HINCRBYFLOAT h f 1.5"), bulk("1.5"));
    assert_eq!(ok(&mut e, "HINCRBYFLOAT h f 1.5"), bulk("3"));
    ok(&mut e, "HSET h s abc");
    assert_eq!(
        run(&mut e, "HINCRBY h s 1"),
        Err(Error::HashValueNotInteger)
    );
    assert_eq!(
        run(&mut e, "HINCRBYFLOAT h s 1"),
        Err(Error::HashValueNotFloat)
    );
    assert_eq!(run(&mut e, "HINCRBY h n x"), Err(Error::NotInteger));
    ok(&mut e, "HSET h big 9223372036854775807");
    assert_eq!(run(&mut e, "HINCRBY h big 1"), Err(Error::Overflow));
    assert_eq!(ok(&mut e, "HGET h big"), bulk("9223372036854775807"));
}

#[test]
fn hsetnx_sets_only_new_fields() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "HSETNX h a 1"), Reply::Int(1));
    assert_eq!(ok(&mut e, "HSETNX h a 2"), Reply::Int(0));
    assert_eq!(ok(&mut e, "HGET h a"), bulk("1"));
}

#[test]
fn hash_commands_on_a_string_are_wrongtype_and_change_nothing() {
    let (mut e, _) = engine();
    ok(&mut e, "SET s v");
    for cmd in [
        "HSET s f v",
        "HGET s f",
        "HMGET s f",
        "HGETALL s",
        "HDEL s f",
        "HEXISTS s f",
        "HLEN s",
        "HKEYS s",
        "HVALS s",
        "HINCRBY s f 1",
        "HINCRBYFLOAT s f 1",
        "HSETNX s f v",
    ] {
        assert_eq!(run(&mut e, cmd), Err(Error::WrongType), "{cmd}");
    }
    assert_eq!(ok(&mut e, "GET s"), bulk("v"));
}
