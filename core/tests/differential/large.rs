//! Large sets and sorted sets against Redis: past 128 members Redis switches to its
//! hashtable and skiplist encodings, and hedgestore's sorted sets span many chunks; ranges,
//! ranks, updates and combinations must still agree. (`-0` is not generated here: a large
//! sorted set of Redis's keeps it, a small one does not.) `HEDGESTORE_DIFF_SEED` picks
//! another sequence.

use hedgestore_core::{Command, Engine};
use hedgestore_testkit::{RedisServer, Rng};

use super::super::{canonical, from_engine, from_resp, WallClock};
use super::full_scan;

fn score(rng: &mut Rng) -> String {
    match rng.below(40) {
        0 => "-inf".into(),
        1 => "+inf".into(),
        _ => format!("{}", rng.below(400) as f64 / 4.0 - 50.0),
    }
}

fn bound(rng: &mut Rng) -> String {
    let b = score(rng);
    if rng.chance(40) {
        format!("({b}")
    } else {
        b
    }
}

fn member(rng: &mut Rng) -> String {
    format!("m{}", rng.below(500))
}

fn lex(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => "-".into(),
        1 => "+".into(),
        n => format!("{}{}", if n % 2 == 0 { "[" } else { "(" }, member(rng)),
    }
}

fn rank(rng: &mut Rng) -> String {
    (rng.below(900) as i64 - 450).to_string()
}

fn words(items: &[&str]) -> Vec<String> {
    items.iter().map(|w| w.to_string()).collect()
}

fn command(rng: &mut Rng) -> Vec<String> {
    let z = rng.pick(&["zbig", "zbig2"]).to_string();
    let s = rng.pick(&["sbig", "sbig2"]).to_string();
    let mut c: Vec<String> = match rng.below(20) {
        0..=2 => {
            let mut c = vec!["ZADD".to_string(), z];
            if rng.chance(30) {
                c.push(rng.pick(&["GT", "LT", "XX", "NX", "CH"]).to_string());
            }
            for _ in 0..=rng.below(4) {
                c.extend([score(rng), member(rng)]);
            }
            c
        }
        3 => vec!["ZINCRBY".into(), z, score(rng), member(rng)],
        4 => vec!["ZREM".into(), z, member(rng), member(rng)],
        5 | 6 => {
            let mut c = match rng.below(3) {
                0 => vec!["ZRANGE".into(), z, rank(rng), rank(rng)],
                1 => vec!["ZRANGE".into(), z, bound(rng), bound(rng), "BYSCORE".into()],
                _ => vec![
                    "ZRANGE".into(),
                    "zlex".into(),
                    lex(rng),
                    lex(rng),
                    "BYLEX".into(),
                ],
            };
            if rng.chance(40) {
                c.push("REV".into());
            }
            let by = c.len() >= 5 && c[4].starts_with("BY");
            if by && rng.chance(50) {
                c.extend(["LIMIT".into(), rng.below(50).to_string()]);
                c.push(rng.pick(&["-1", "0", "5", "40"]).to_string());
            }
            if !c.iter().any(|w| w == "BYLEX") && rng.chance(50) {
                c.push("WITHSCORES".into());
            }
            c
        }
        7 => vec![rng.pick(&["ZRANK", "ZREVRANK"]).to_string(), z, member(rng)],
        8 => vec!["ZCOUNT".into(), z, bound(rng), bound(rng)],
        9 => vec!["ZLEXCOUNT".into(), "zlex".into(), lex(rng), lex(rng)],
        10 => vec![
            rng.pick(&["ZPOPMIN", "ZPOPMAX"]).to_string(),
            z,
            rng.below(4).to_string(),
        ],
        11 => match rng.below(3) {
            0 => vec![
                "ZREMRANGEBYRANK".into(),
                z,
                rank(rng),
                (rng.below(5) as i64 - 450).to_string(),
            ],
            1 => {
                let lo = rng.below(400) as f64 / 4.0 - 50.0;
                vec![
                    "ZREMRANGEBYSCORE".into(),
                    z,
                    lo.to_string(),
                    (lo + 0.5).to_string(),
                ]
            }
            _ => vec!["ZREMRANGEBYLEX".into(), "zlex".into(), lex(rng), lex(rng)],
        },
        12 => {
            let cmd = rng
                .pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
                .to_string();
            let dest = rng.pick(&["zdest", "zbig2"]).to_string();
            let mut c = vec![cmd.clone(), dest, "2".into(), "zbig".into(), "sbig".into()];
            if cmd != "ZDIFFSTORE" && rng.chance(50) {
                c.extend(words(&["WEIGHTS", "2", "-1", "AGGREGATE"]));
                c.push(rng.pick(&["SUM", "MIN", "MAX"]).to_string());
            }
            c
        }
        13 => {
            let mut c = vec![rng.pick(&["SADD", "SREM"]).to_string(), s];
            for _ in 0..=rng.below(5) {
                c.push(member(rng));
            }
            c
        }
        14 => vec![
            rng.pick(&["SINTER", "SUNION", "SDIFF"]).to_string(),
            "sbig".into(),
            "sbig2".into(),
        ],
        15 => vec![
            rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])
                .to_string(),
            "sdest".into(),
            "sbig".into(),
            "sbig2".into(),
        ],
        16 => words(&["SINTERCARD", "2", "sbig", "sbig2", "LIMIT", "50"]),
        17 => vec!["SMISMEMBER".into(), s, member(rng), member(rng)],
        18 => vec!["ZMSCORE".into(), z, member(rng), member(rng)],
        _ => vec![
            rng.pick(&["SSCAN", "ZSCAN"]).to_string(),
            String::new(),
            "0".into(),
            "COUNT".into(),
            rng.pick(&["5", "50"]).to_string(),
        ],
    };
    match c[0].as_str() {
        "SSCAN" => c[1] = "sbig".into(),
        "ZSCAN" => c[1] = "zbig".into(),
        _ => {}
    }
    c
}

#[test]
fn large_sets_and_sorted_sets_match_redis() {
    let server = RedisServer::start().expect("start redis-server");
    let mut redis = server.connect().unwrap();
    let mut engine = Engine::new(WallClock);
    let seed = std::env::var("HEDGESTORE_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1a4e);
    let mut rng = Rng::new(seed);
    let mut setup: Vec<Vec<String>> = Vec::new();
    for (key, n) in [("zbig", 400), ("zbig2", 300)] {
        for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
            let mut c = vec!["ZADD".to_string(), key.to_string()];
            for i in chunk {
                c.extend([score(&mut rng), format!("m{i}")]);
            }
            setup.push(c);
        }
    }
    let mut lex = vec!["ZADD".to_string(), "zlex".to_string()];
    for i in 0..300 {
        lex.extend(["0".to_string(), format!("m{i}")]);
    }
    setup.push(lex);
    for (key, from) in [("sbig", 0), ("sbig2", 150)] {
        let mut c = vec!["SADD".to_string(), key.to_string()];
        c.extend((from..from + 300).map(|i| format!("m{i}")));
        setup.push(c);
    }
    for c in &setup {
        redis.call(c).unwrap();
        engine.execute(Command::parse(c).unwrap()).unwrap();
    }
    for n in 0..3000 {
        let args = command(&mut rng);
        let cmd = args[0].clone();
        if cmd.ends_with("SCAN") {
            let (expected, ours) = full_scan(&args, &mut redis, &mut engine);
            assert_eq!(expected, ours, "seed {seed}, command #{n}: {args:?}");
            continue;
        }
        let expected = canonical(&cmd, from_resp(redis.call(&args).unwrap()));
        let ours = canonical(
            &cmd,
            from_engine(Command::parse(&args).and_then(|c| engine.execute(c))),
        );
        assert_eq!(expected, ours, "seed {seed}, command #{n}: {args:?}");
    }
    engine.check_integrity().unwrap();
}
