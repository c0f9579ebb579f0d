//! Rust, JavaScript and TypeScript offer the same command methods, the ones of core's method
//! list ([`COMMAND_METHODS`]), and every generated Rust method works.
//!
//! * The JavaScript methods are the wasm package's `METHODS` list
//!   (`wasm/src/bindings/commands/mod.rs`, read as text: the bindings only compile for
//!   wasm32). Each method of the list must be there under its JavaScript name (the Rust name,
//!   camelCase for a subcommand: `pubsub_numsub` is `pubsubNumsub`); anything else must be a
//!   listed JavaScript-only extra.
//! * The TypeScript declarations must declare exactly the JavaScript methods in the
//!   `Commands` interface (`wasm/npm/commands.d.ts`), which every store and builder extends
//!   (`wasm/npm/hedgestore.d.ts`).
//! * Every generated method of `Storage` and of `Transaction` runs against a memory storage
//!   and its reply converts to the method's return type (driven by the list itself, so a new
//!   command is covered without editing this file).

use std::collections::BTreeSet;
use std::time::Duration;

use hedgestore_native::{
    Aggregate, Bytes, GeoUnit, InsertPosition, KeyType, LexBound, MemoryConfig, ScoreBound,
    Storage, StorageError, Ttl, ZAddCondition, ZAddOptions, ZRangeBy, COMMAND_METHODS,
};

/// JavaScript methods that are not commands of the list: byte-answering variants and the
/// JSON helpers.
const JS_EXTRAS: &[&str] = &[
    "getBytes",
    "getJson",
    "setJson",
    "getdelBytes",
    "getexBytes",
    "mgetBytes",
    "keysBytes",
    "scanBytes",
    "hgetBytes",
    "hmgetBytes",
    "hgetallBytes",
    "hkeysBytes",
    "hvalsBytes",
    "lpopBytes",
    "rpopBytes",
    "lrangeBytes",
    "lindexBytes",
    "lmoveBytes",
];

fn repo_file(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

/// The JavaScript name of a method of the list.
fn js_name(rust_name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in rust_name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The method names of the wasm `METHODS` list, in order: each entry is `m("name", …)`.
fn wasm_methods() -> Vec<String> {
    let source = repo_file("wasm/src/bindings/commands/mod.rs");
    let start = source
        .find("static METHODS: &[Method] = &[")
        .expect("the METHODS list");
    let end = start + source[start..].find("\n];").expect("the end of METHODS");
    let names: Vec<String> = source[start..end]
        .split("m(\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("a closing quote")].to_string())
        .collect();
    assert!(names.len() > 50, "METHODS read as {names:?}");
    names
}

/// The body of `export interface <name>… {` … `}` in the declarations.
fn ts_interface<'a>(dts: &'a str, head: &str) -> &'a str {
    let start = dts
        .find(head)
        .unwrap_or_else(|| panic!("the declarations have no `{head}`"));
    let body = &dts[start..];
    &body[..body.find("\n}").expect("the interface's end")]
}

/// The method names the `Commands` interface declares (overloads once).
fn ts_command_methods() -> BTreeSet<String> {
    let dts = repo_file("wasm/npm/commands.d.ts");
    ts_interface(&dts, "export interface Commands<")
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|line| !line.starts_with("/**") && !line.starts_with('*'))
        .filter_map(|line| {
            let name = &line[..line.find('(')?];
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| name.to_string())
        })
        .collect()
}

#[test]
fn every_method_of_the_list_is_a_javascript_method_and_nothing_else_is() {
    let js: Vec<String> = wasm_methods();
    let js_set: BTreeSet<&str> = js.iter().map(String::as_str).collect();
    assert_eq!(js.len(), js_set.len(), "a METHODS name appears twice");

    let listed: BTreeSet<String> = COMMAND_METHODS.iter().map(|m| js_name(m.name())).collect();
    let missing: Vec<&String> = listed
        .iter()
        .filter(|n| !js_set.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "methods of core's list without a JavaScript builder in wasm METHODS: {missing:?}"
    );
    let unlisted: Vec<&&str> = js_set
        .iter()
        .filter(|n| !listed.contains(**n) && !JS_EXTRAS.contains(n))
        .collect();
    assert!(
        unlisted.is_empty(),
        "JavaScript methods that are neither in core's list nor listed extras: {unlisted:?}"
    );
    let stale: Vec<&&str> = JS_EXTRAS.iter().filter(|n| !js_set.contains(**n)).collect();
    assert!(
        stale.is_empty(),
        "listed extras that do not exist: {stale:?}"
    );
}

#[test]
fn the_typescript_declarations_declare_exactly_the_javascript_methods() {
    let js: BTreeSet<String> = wasm_methods().into_iter().collect();
    let ts = ts_command_methods();
    let undeclared: Vec<&String> = js.difference(&ts).collect();
    let phantom: Vec<&String> = ts.difference(&js).collect();
    assert!(
        undeclared.is_empty() && phantom.is_empty(),
        "commands.d.ts's Commands disagrees with wasm METHODS: not declared {undeclared:?}, \
         declared but missing {phantom:?}"
    );
}

#[test]
fn every_store_and_builder_has_the_command_methods() {
    let dts = repo_file("wasm/npm/hedgestore.d.ts");
    for class in [
        "MemoryStore",
        "RemoteStore",
        "Transaction",
        "Pipeline",
        "RemoteTransaction",
    ] {
        // `export interface MemoryStore<D …> extends Commands<…> {}` (generic over the
        // dialect) or without type parameters.
        let declares = |line: &str, keyword: &str| {
            line.strip_prefix(&format!("export {keyword} {class}"))
                .is_some_and(|rest| rest.starts_with('<') || rest.starts_with(' '))
        };
        assert!(
            dts.lines()
                .any(|line| declares(line, "interface") && line.contains(" extends Commands<")),
            "{class} does not extend Commands in hedgestore.d.ts"
        );
        // No class redeclares a command method with another signature.
        let head = dts
            .lines()
            .find(|line| declares(line, "class"))
            .unwrap_or_else(|| panic!("hedgestore.d.ts declares no class {class}"));
        let class_body = ts_interface(&dts, head);
        for name in ts_command_methods() {
            assert!(
                !class_body.contains(&format!("\n  {name}(")),
                "{class} redeclares {name}"
            );
        }
    }
}

/// A storage with a string `s`, a hash `h`, a list `l`, a set `t` and a sorted set `z`, so
/// every command has something to work on.
async fn seeded() -> Storage {
    let storage = Storage::memory(MemoryConfig::default()).unwrap();
    storage.set("s", "1", None).await.unwrap();
    storage.hset("h", &[("f", "1")]).await.unwrap();
    storage.rpush("l", &["1", "2"]).await.unwrap();
    storage.sadd("t", &["a", "b"]).await.unwrap();
    storage.zadd("z", &[(1.0, "a"), (2.0, "b")]).await.unwrap();
    storage.pfadd("p", &["a", "b"]).await.unwrap();
    storage
}

/// An argument of a parameter kind for a method of a group, fitting the seeded storage.
macro_rules! sample {
    (base, key, bytes) => {
        "s"
    };
    (hash, key, bytes) => {
        "h"
    };
    (list, key, bytes) => {
        "l"
    };
    (set, key, bytes) => {
        "t"
    };
    (set, source, bytes) => {
        "t"
    };
    (zset, key, bytes) => {
        "z"
    };
    (pubsub, $param:ident, bytes) => {
        "c"
    };
    (hll, key, bytes) => {
        "p"
    };
    ($group:ident, $param:ident, bytes) => {
        "f"
    };
    (base, $param:ident, bytes_list) => {
        &["s"]
    };
    (hash, $param:ident, bytes_list) => {
        &["f"]
    };
    (list, $param:ident, bytes_list) => {
        &["1"]
    };
    (pubsub, $param:ident, bytes_list) => {
        &["c"]
    };
    (hll, $param:ident, bytes_list) => {
        &["p"]
    };
    (set, keys, bytes_list) => {
        &["t"]
    };
    (zset, keys, bytes_list) => {
        &["z"]
    };
    ($group:ident, $param:ident, bytes_list) => {
        &["a"]
    };
    ($group:ident, $param:ident, pairs) => {
        &[("f", "1")]
    };
    ($group:ident, $param:ident, opt_text) => {
        None
    };
    ($group:ident, $param:ident, int) => {
        1
    };
    ($group:ident, $param:ident, float) => {
        1.5
    };
    ($group:ident, $param:ident, count) => {
        1
    };
    ($group:ident, $param:ident, opt_count) => {
        None
    };
    ($group:ident, $param:ident, cursor) => {
        0
    };
    ($group:ident, $param:ident, position) => {
        InsertPosition::Before
    };
    ($group:ident, $param:ident, getex_option) => {
        None
    };
    ($group:ident, $param:ident, opt_duration) => {
        Some(std::time::Duration::from_secs(60))
    };
    ($group:ident, $param:ident, type_filter) => {
        None
    };
    ($group:ident, $param:ident, scored_members) => {
        &[(1.0, "a")]
    };
    ($group:ident, $param:ident, score_bound) => {
        ScoreBound::inclusive(0.0)
    };
    ($group:ident, $param:ident, lex_bound) => {
        LexBound::Min
    };
    ($group:ident, $param:ident, limit) => {
        None
    };
    ($group:ident, $param:ident, opt_floats) => {
        None
    };
    ($group:ident, $param:ident, aggregate) => {
        Aggregate::Sum
    };
    ($group:ident, $param:ident, bit) => {
        true
    };
    ($group:ident, $param:ident, bit_range) => {
        Some(hedgestore_native::BitRange::Between {
            start: 0,
            end: -1,
            unit: hedgestore_native::BitUnit::Bit,
        })
    };
    ($group:ident, $param:ident, geo_points) => {
        &[(13.361389, 38.115556, "a")]
    };
    ($group:ident, $param:ident, geo_unit) => {
        hedgestore_native::GeoUnit::Km
    };
    ($group:ident, $param:ident, bit_op) => {
        hedgestore_native::BitOp::Or
    };
    ($group:ident, $param:ident, switch) => {
        false
    };
    ($group:ident, $param:ident, list_end) => {
        hedgestore_native::ListEnd::Left
    };
}

/// The methods that run Lua scripts or manage them, which only Redis serves.
fn is_script_method(name: &str) -> bool {
    name.starts_with("eval") || name.starts_with("script_")
}

/// Calls every generated method on a fresh seeded storage, then queues it alone in a
/// transaction: both must succeed (a reply that does not convert is `UnexpectedReply`).
macro_rules! run_every_method {
    (
        generated: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
                -> $reply:ident = $variant:ident $fields:tt;
        )*],)*],
        hand_written: $hand_written:tt,
    ) => {{
        let mut ran = Vec::new();
        $($(
            let storage = seeded().await;
            let result = storage.$name($(sample!($group, $param, $pkind)),*).await;
            let storage = seeded().await;
            let mut tx = storage.transaction();
            tx.$name($(sample!($group, $param, $pkind)),*);
            let replies = tx.execute().await;
            if is_script_method(stringify!($name)) {
                // The memory engine has no Lua interpreter: scripts are refused, clearly.
                let refused = hedgestore_native::Error::ScriptsNeedRedis.to_string();
                assert!(
                    matches!(&result, Err(e) if e.to_string().contains(&refused)),
                    "{}: {:?}",
                    stringify!($name),
                    result
                );
                assert!(
                    matches!(&replies, Err(e) if e.to_string().contains(&refused)),
                    "transaction {}: {:?}",
                    stringify!($name),
                    replies
                );
            } else {
                assert!(result.is_ok(), "{}: {:?}", stringify!($name), result);
                assert!(
                    matches!(&replies, Ok(r) if r.len() == 1),
                    "transaction {}: {:?}",
                    stringify!($name),
                    replies
                );
            }
            ran.push(stringify!($name));
        )*)*
        ran
    }};
}

#[tokio::test]
async fn every_generated_method_runs_and_its_reply_converts() {
    let ran = hedgestore_native::for_each_command_method!(run_every_method);
    let generated = COMMAND_METHODS.iter().filter(|m| !m.hand_written).count();
    assert_eq!(ran.len(), generated);
}

#[tokio::test]
async fn typed_replies_carry_what_redis_answered() {
    let storage = seeded().await;
    assert_eq!(storage.r#type("s").await.unwrap(), Some(KeyType::String));
    assert_eq!(storage.r#type("l").await.unwrap(), Some(KeyType::List));
    assert_eq!(storage.r#type("missing").await.unwrap(), None);
    assert!(storage.expire("s", 100).await.unwrap());
    let Ttl::Expires(secs) = storage.ttl("s").await.unwrap() else {
        panic!("s has a TTL")
    };
    assert!(secs > Duration::from_secs(90) && secs <= Duration::from_secs(100));
    assert_eq!(storage.pttl("missing").await.unwrap(), Ttl::Missing);
    assert!(storage.persist("s").await.unwrap());
    assert_eq!(storage.ttl("s").await.unwrap(), Ttl::Persistent);
    assert_eq!(storage.incrbyfloat("s", 0.5).await.unwrap(), 1.5);
    assert_eq!(storage.hincrbyfloat("h", "f", 1.25).await.unwrap(), 2.25);
    assert_eq!(storage.ping(None).await.unwrap(), "PONG");
    assert_eq!(storage.ping(Some("hi")).await.unwrap(), "hi");
    assert_eq!(
        storage.pubsub_numsub(&["c"]).await.unwrap(),
        vec![(Bytes::from("c"), 0)]
    );
    assert_eq!(
        storage
            .linsert("l", InsertPosition::After, "x", "y")
            .await
            .unwrap(),
        -1
    );
    assert_eq!(
        storage
            .linsert("l", InsertPosition::After, "1", "y")
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        storage.lindex("l", 1).await.unwrap(),
        Some(Bytes::from("y"))
    );
    assert_eq!(storage.getdel("s").await.unwrap(), Some(Bytes::from("1.5")));
    assert_eq!(storage.exists(&["s"]).await.unwrap(), 0);
    let err = storage.get("h").await.unwrap_err();
    assert!(matches!(err, StorageError::Command(_)), "{err:?}");
}

#[tokio::test]
async fn set_and_sorted_set_replies_carry_what_redis_answered() {
    let storage = seeded().await;
    let b = |s: &str| Bytes::from(s.to_string());
    assert_eq!(
        storage.smismember("t", &["a", "x"]).await.unwrap(),
        vec![true, false]
    );
    assert_eq!(storage.sintercard(&["t", "t"], Some(1)).await.unwrap(), 1);
    let (cursor, mut members) = storage.sscan("t", 0, None, Some(100)).await.unwrap();
    members.sort();
    assert_eq!((cursor, members), (0, vec![b("a"), b("b")]));
    assert!(storage.smove("t", "t2", "a").await.unwrap());
    assert_eq!(storage.smembers("t2").await.unwrap(), vec![b("a")]);

    assert_eq!(storage.zscore("z", "b").await.unwrap(), Some(2.0));
    assert_eq!(storage.zscore("z", "x").await.unwrap(), None);
    assert_eq!(
        storage.zmscore("z", &["x", "a"]).await.unwrap(),
        vec![None, Some(1.0)]
    );
    assert_eq!(storage.zrank("z", "b").await.unwrap(), Some(1));
    assert_eq!(storage.zrevrank("z", "b").await.unwrap(), Some(0));
    assert_eq!(storage.zrank("z", "x").await.unwrap(), None);
    assert_eq!(storage.zincrby("z", 0.5, "a").await.unwrap(), 1.5);
    let above_one = (
        ScoreBound::inclusive(1.0),
        ScoreBound::inclusive(f64::INFINITY),
    );
    assert_eq!(
        storage.zcount("z", above_one.0, above_one.1).await.unwrap(),
        2
    );
    assert_eq!(
        storage
            .zrangebyscore(
                "z",
                ScoreBound {
                    value: 1.5,
                    exclusive: true
                },
                above_one.1,
                None
            )
            .await
            .unwrap(),
        vec![b("b")]
    );
    assert_eq!(
        storage
            .zrevrangebylex("z", LexBound::Max, LexBound::Min, Some((0, 1)))
            .await
            .unwrap(),
        vec![b("b")]
    );
    let nx = ZAddOptions {
        condition: ZAddCondition::Nx,
        ..ZAddOptions::default()
    };
    assert_eq!(
        storage
            .zadd_with("z", nx, &[(9.0, "a"), (-1.0, "c")])
            .await
            .unwrap(),
        1
    );
    let palermo = (13.361389, 38.115556, "Palermo");
    assert_eq!(storage.geoadd("g", &[palermo]).await.unwrap(), 1);
    let moved = (13.5, 38.115556, "Palermo");
    assert_eq!(
        storage
            .geoadd_with("g", ZAddCondition::Nx, true, &[moved])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        storage
            .geoadd_with("g", ZAddCondition::Xx, true, &[moved])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        storage.geopos("g", &["Palermo", "nope"]).await.unwrap(),
        vec![Some((13.500000536441803, 38.1155563954963)), None]
    );
    assert_eq!(
        storage
            .geodist("g", "Palermo", "Palermo", GeoUnit::Km)
            .await
            .unwrap(),
        Some(0.0)
    );
    assert_eq!(
        storage.geohash("g", &["Palermo"]).await.unwrap(),
        vec![Some(b("sqc8g4wrhy0"))]
    );
    assert_eq!(
        storage
            .zrange_withscores("z", ZRangeBy::Rank(0, -1), true, None)
            .await
            .unwrap(),
        vec![(b("b"), 2.0), (b("a"), 1.5), (b("c"), -1.0)]
    );
    assert_eq!(
        storage
            .zrange_with(
                "z",
                ZRangeBy::Score(above_one.1, above_one.0),
                true,
                Some((1, 5))
            )
            .await
            .unwrap(),
        vec![b("a")]
    );
    assert_eq!(storage.zpopmin("z", 1).await.unwrap(), vec![(b("c"), -1.0)]);
    assert_eq!(
        storage
            .zunionstore("u", &["z", "z"], Some(&[1.0, 2.0]), Aggregate::Max)
            .await
            .unwrap(),
        2
    );
    let (cursor, mut page) = storage.zscan("u", 0, None, None).await.unwrap();
    page.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!((cursor, page), (0, vec![(b("a"), 3.0), (b("b"), 4.0)]));
    assert_eq!(storage.r#type("u").await.unwrap(), Some(KeyType::ZSet));

    storage.setex("e", 100, "hello").await.unwrap();
    assert!(matches!(storage.ttl("e").await.unwrap(), Ttl::Expires(_)));
    assert_eq!(storage.getrange("e", 1, -2).await.unwrap(), b("ell"));
    assert_eq!(storage.setrange("e", 5, "!").await.unwrap(), 6);
    assert_eq!(storage.getset("e", "x").await.unwrap(), Some(b("hello!")));
    assert!(!storage.msetnx(&[("e", "1"), ("new", "1")]).await.unwrap());
    assert_eq!(storage.echo("hi").await.unwrap(), b("hi"));
}
