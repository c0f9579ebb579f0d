//! Sorted set commands: replies and errors, and a large sorted set (many chunks) checked
//! against a plain sorted model under random inserts, updates, removals and range reads.

mod common;

use common::{bulk, bulks, engine, ok, run};
use hedgestore_core::{Error, LexBound, Reply, ScoreBound, ZAddOptions, ZRangeBy};
use hedgestore_testkit::Rng;

#[test]
fn zadd_options_and_replies() {
    let (mut e, _) = engine();
    assert_eq!(ok(&mut e, "ZADD z 1 a 2 b"), Reply::Int(2));
    assert_eq!(ok(&mut e, "TYPE z"), Reply::Status("zset"));
    assert_eq!(ok(&mut e, "ZADD z CH 5 a 2 b 3 c"), Reply::Int(2));
    assert_eq!(ok(&mut e, "ZADD z NX 9 a"), Reply::Int(0));
    assert_eq!(ok(&mut e, "ZADD z XX 9 zz"), Reply::Int(0));
    assert_eq!(ok(&mut e, "ZADD z GT CH 1 a"), Reply::Int(0));
    assert_eq!(ok(&mut e, "ZADD z LT CH 1 a"), Reply::Int(1));
    assert_eq!(ok(&mut e, "ZADD z INCR 0.5 a"), bulk("1.5"));
    assert_eq!(ok(&mut e, "ZADD z NX INCR 1 a"), Reply::Nil);
    assert_eq!(ok(&mut e, "ZINCRBY z 0.1 a"), bulk("1.6000000000000001"));
    assert_eq!(ok(&mut e, "ZADD missing XX 1 a"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXISTS missing"), Reply::Int(0));
    assert_eq!(run(&mut e, "ZADD z NX XX 1 a"), Err(Error::XxAndNx));
    assert_eq!(run(&mut e, "ZADD z NX GT 1 a"), Err(Error::GtLtNx));
    assert_eq!(
        run(&mut e, "ZADD z INCR 1 a 2 b"),
        Err(Error::IncrSinglePair)
    );
    assert_eq!(run(&mut e, "ZADD z nan a"), Err(Error::NotFloat));
    assert_eq!(run(&mut e, "ZADD z 1"), Err(Error::WrongArity("zadd")));
    assert_eq!(run(&mut e, "ZADD z 1 a 2"), Err(Error::Syntax));
    ok(&mut e, "ZADD inf +inf m");
    assert_eq!(run(&mut e, "ZINCRBY inf -inf m"), Err(Error::ScoreNaN));
    assert_eq!(ok(&mut e, "ZSCORE inf m"), bulk("inf"));
    ok(&mut e, "SET k v");
    assert_eq!(run(&mut e, "ZADD k 1 a"), Err(Error::WrongType));
    e.check_integrity().unwrap();
}

#[test]
fn ranges_by_rank_score_and_lex() {
    let (mut e, _) = engine();
    ok(&mut e, "ZADD z 1 a 2 b 2 c 3 d -inf lo +inf hi");
    assert_eq!(
        ok(&mut e, "ZRANGE z 0 -1"),
        bulks(&["lo", "a", "b", "c", "d", "hi"])
    );
    assert_eq!(
        ok(&mut e, "ZRANGE z (1 3 BYSCORE WITHSCORES"),
        bulks(&["b", "2", "c", "2", "d", "3"])
    );
    assert_eq!(
        ok(&mut e, "ZRANGE z +inf (1 BYSCORE REV LIMIT 1 2"),
        bulks(&["d", "c"])
    );
    assert_eq!(
        ok(&mut e, "ZREVRANGEBYSCORE z 2 -inf"),
        bulks(&["c", "b", "a", "lo"])
    );
    assert_eq!(ok(&mut e, "ZCOUNT z -inf +inf"), Reply::Int(6));
    assert_eq!(ok(&mut e, "ZCOUNT z (2 (2"), Reply::Int(0));
    assert_eq!(ok(&mut e, "ZRANK z c"), Reply::Int(3));
    assert_eq!(ok(&mut e, "ZREVRANK z c"), Reply::Int(2));
    assert_eq!(ok(&mut e, "ZRANK z nope"), Reply::Nil);
    assert_eq!(
        ok(&mut e, "ZRANK z c WITHSCORE"),
        Reply::Array(vec![Reply::Int(3), bulk("2")])
    );
    assert_eq!(
        ok(&mut e, "ZREVRANK z hi withscore"),
        Reply::Array(vec![Reply::Int(0), bulk("inf")])
    );
    assert_eq!(ok(&mut e, "ZREVRANK z nope WITHSCORE"), Reply::Nil);
    assert_eq!(run(&mut e, "ZRANK z c WITHSCORES"), Err(Error::Syntax));
    assert_eq!(
        run(&mut e, "ZRANK z c WITHSCORE x"),
        Err(Error::WrongArity("zrank"))
    );
    assert_eq!(
        run(&mut e, "ZRANGE z 0 1 LIMIT 0 1"),
        Err(Error::LimitWithRank)
    );
    assert_eq!(
        run(&mut e, "ZRANGEBYLEX z - + WITHSCORES"),
        Err(Error::WithScoresByLex)
    );
    assert_eq!(run(&mut e, "ZCOUNT z x 1"), Err(Error::MinMaxNotFloat));
    assert_eq!(run(&mut e, "ZLEXCOUNT z a b"), Err(Error::MinMaxNotLex));
    ok(&mut e, "ZADD l 0 a 0 b 0 c 0 d");
    assert_eq!(ok(&mut e, "ZRANGEBYLEX l (a [c"), bulks(&["b", "c"]));
    assert_eq!(ok(&mut e, "ZREVRANGEBYLEX l + (b LIMIT 0 1"), bulks(&["d"]));
    assert_eq!(ok(&mut e, "ZLEXCOUNT l - +"), Reply::Int(4));
    assert_eq!(ok(&mut e, "ZREMRANGEBYLEX l - [b"), Reply::Int(2));
    assert_eq!(ok(&mut e, "ZREMRANGEBYRANK l 0 -1"), Reply::Int(2));
    assert_eq!(ok(&mut e, "EXISTS l"), Reply::Int(0));
    assert_eq!(ok(&mut e, "ZPOPMIN z 2"), bulks(&["lo", "-inf", "a", "1"]));
    assert_eq!(ok(&mut e, "ZPOPMAX z"), bulks(&["hi", "inf"]));
    e.check_integrity().unwrap();
}

#[test]
fn combinations_take_sets_weights_and_aggregates() {
    let (mut e, _) = engine();
    ok(&mut e, "ZADD a 1 x 2 y");
    ok(&mut e, "SADD s y z");
    assert_eq!(ok(&mut e, "ZUNIONSTORE d 2 a s WEIGHTS 2 3"), Reply::Int(3));
    assert_eq!(
        ok(&mut e, "ZRANGE d 0 -1 WITHSCORES"),
        bulks(&["x", "2", "z", "3", "y", "7"])
    );
    assert_eq!(
        ok(&mut e, "ZINTERSTORE d 2 a s AGGREGATE MAX"),
        Reply::Int(1)
    );
    assert_eq!(ok(&mut e, "ZSCORE d y"), bulk("2"));
    assert_eq!(ok(&mut e, "ZDIFFSTORE d 2 a s"), Reply::Int(1));
    assert_eq!(ok(&mut e, "ZRANGE d 0 -1"), bulks(&["x"]));
    assert_eq!(ok(&mut e, "ZINTERSTORE d 2 a missing"), Reply::Int(0));
    assert_eq!(ok(&mut e, "EXISTS d"), Reply::Int(0));
    assert_eq!(
        run(&mut e, "ZUNIONSTORE d 0 a"),
        Err(Error::AtLeastOneKey("zunionstore"))
    );
    assert_eq!(
        run(&mut e, "ZUNIONSTORE d 1 a WEIGHTS x"),
        Err(Error::WeightNotFloat)
    );
    e.check_integrity().unwrap();
}

/// The model: (score, member) pairs kept sorted.
fn model_sorted(model: &[(f64, Vec<u8>)]) -> Vec<(f64, Vec<u8>)> {
    let mut v = model.to_vec();
    v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
    v
}

#[test]
fn a_large_sorted_set_matches_a_sorted_model() {
    let (mut e, _) = engine();
    let mut rng = Rng::new(0x25e7);
    let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
    for step in 0..6000 {
        let member = format!("m{}", rng.below(2500)).into_bytes();
        let score = rng.below(400) as f64 / 4.0 - 50.0;
        match rng.below(10) {
            0..=5 => {
                e.zadd(b"z", ZAddOptions::default(), &[(score, &member)])
                    .unwrap();
                model.retain(|(_, m)| *m != member);
                model.push((score, member));
            }
            6 => {
                e.zrem(b"z", &[&member]).unwrap();
                model.retain(|(_, m)| *m != member);
            }
            _ => {
                let sorted = model_sorted(&model);
                let rank = sorted.iter().position(|(_, m)| *m == member);
                assert_eq!(e.zrank(b"z", &member, false).unwrap(), rank, "step {step}");
                let (lo, hi) = (score, score + 10.0);
                let expected: Vec<Vec<u8>> = sorted
                    .iter()
                    .filter(|(s, _)| *s >= lo && *s < hi)
                    .map(|(_, m)| m.clone())
                    .collect();
                let by = ZRangeBy::Score(
                    ScoreBound::inclusive(lo),
                    ScoreBound {
                        value: hi,
                        exclusive: true,
                    },
                );
                let got: Vec<Vec<u8>> = e
                    .zrange(b"z", &by, false, None)
                    .unwrap()
                    .into_iter()
                    .map(|(m, _)| m)
                    .collect();
                assert_eq!(got, expected, "step {step}");
                let start = rng.below(sorted.len() as u64 + 1) as i64;
                let got: Vec<Vec<u8>> = e
                    .zrange(b"z", &ZRangeBy::Rank(start, start + 20), true, None)
                    .unwrap()
                    .into_iter()
                    .map(|(m, _)| m)
                    .collect();
                let expected: Vec<Vec<u8>> = sorted
                    .iter()
                    .rev()
                    .skip(start as usize)
                    .take(21)
                    .map(|(_, m)| m.clone())
                    .collect();
                assert_eq!(got, expected, "step {step}");
            }
        }
    }
    assert_eq!(e.zcard(b"z").unwrap(), model.len());
    assert!(model.len() > 1000, "the set spans many chunks");
    let all = e
        .zrange(
            b"z",
            &ZRangeBy::Lex(LexBound::Min, LexBound::Max),
            false,
            None,
        )
        .unwrap();
    assert_eq!(all.len(), model.len());
    e.check_integrity().unwrap();
    let removed = e
        .zremrange(
            b"z",
            &ZRangeBy::Score(ScoreBound::inclusive(-10.0), ScoreBound::inclusive(10.0)),
        )
        .unwrap();
    let kept = model
        .iter()
        .filter(|(s, _)| !(-10.0..=10.0).contains(s))
        .count();
    assert_eq!(removed, model.len() - kept);
    assert_eq!(e.zcard(b"z").unwrap(), kept);
    e.check_integrity().unwrap();
}

#[test]
fn new_errors_read_back_from_their_text() {
    for e in [
        Error::MinMaxNotFloat,
        Error::MinMaxNotLex,
        Error::XxAndNx,
        Error::GtLtNx,
        Error::IncrSinglePair,
        Error::ScoreNaN,
        Error::LimitWithRank,
        Error::WithScoresByLex,
        Error::AtLeastOneKey("zinterstore"),
        Error::WeightNotFloat,
        Error::ValueOutOfRange,
        Error::CountOutOfRange,
        Error::NumKeysNotPositive,
        Error::NumKeysOverArgs,
        Error::NegativeLimit,
        Error::OffsetOutOfRange,
        Error::StringTooLong,
    ] {
        assert_eq!(Error::from_reply(&e.to_string()), e);
    }
}
