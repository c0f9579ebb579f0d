//! Model-based property test: random command sequences run against the engine and against
//! a deliberately simple reference model (ordered maps and vectors, expiry checked on every
//! access); every reply must agree, and the engine's internal invariants must hold after
//! every step. `HEDGESTORE_MODEL_CASES` runs more cases (CI runs 256).

use std::collections::{BTreeMap, VecDeque};

use hedgestore_core::{
    Command, Engine, Error, ExpireCondition, Expiry, ManualClock, Reply, SetOptions,
};
use proptest::prelude::*;

#[derive(Clone, Debug, PartialEq)]
enum MVal {
    Str(Vec<u8>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    List(VecDeque<Vec<u8>>),
}

#[derive(Default)]
struct Model {
    now: u64,
    map: BTreeMap<Vec<u8>, (MVal, Option<u64>)>,
}

#[derive(Clone, Debug)]
enum Op {
    Set(u8, u8, Option<u16>),
    Get(u8),
    Del(u8),
    Incr(u8),
    Append(u8, u8),
    HSet(u8, u8, u8),
    HDel(u8, u8),
    HGet(u8, u8),
    Push(bool, u8, u8),
    Pop(bool, u8),
    LRange(u8, i8, i8),
    PExpire(u8, i16),
    Persist(u8),
    PTtl(u8),
    Rename(u8, u8),
    Advance(u16),
}

fn key(k: u8) -> Vec<u8> {
    format!("k{}", k % 4).into_bytes()
}

fn val(v: u8) -> Vec<u8> {
    match v % 5 {
        0 => b"7".to_vec(),
        1 => b"-2".to_vec(),
        2 => b"x".to_vec(),
        3 => Vec::new(),
        _ => vec![0, 255, v],
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u8>(), any::<u8>(), proptest::option::of(1u16..500))
            .prop_map(|(k, v, t)| Op::Set(k, v, t)),
        any::<u8>().prop_map(Op::Get),
        any::<u8>().prop_map(Op::Del),
        any::<u8>().prop_map(Op::Incr),
        (any::<u8>(), any::<u8>()).prop_map(|(k, v)| Op::Append(k, v)),
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(k, f, v)| Op::HSet(k, f, v)),
        (any::<u8>(), any::<u8>()).prop_map(|(k, f)| Op::HDel(k, f)),
        (any::<u8>(), any::<u8>()).prop_map(|(k, f)| Op::HGet(k, f)),
        (any::<bool>(), any::<u8>(), any::<u8>()).prop_map(|(l, k, v)| Op::Push(l, k, v)),
        (any::<bool>(), any::<u8>()).prop_map(|(l, k)| Op::Pop(l, k)),
        (any::<u8>(), -4i8..4, -4i8..4).prop_map(|(k, a, b)| Op::LRange(k, a, b)),
        (any::<u8>(), -50i16..500).prop_map(|(k, t)| Op::PExpire(k, t)),
        any::<u8>().prop_map(Op::Persist),
        any::<u8>().prop_map(Op::PTtl),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Rename(a, b)),
        (0u16..300).prop_map(Op::Advance),
    ]
}

impl Model {
    /// The live entry for `k`, dropping it if expired.
    fn live(&mut self, k: &[u8]) -> Option<&mut (MVal, Option<u64>)> {
        if let Some((_, Some(at))) = self.map.get(k) {
            if *at <= self.now {
                self.map.remove(k);
            }
        }
        self.map.get_mut(k)
    }

    fn apply(&mut self, op: &Op) -> Result<Reply, Error> {
        let bulk = Reply::Bulk;
        Ok(match op.clone() {
            Op::Set(k, v, t) => {
                let at = t.map(|t| self.now + u64::from(t));
                self.map.insert(key(k), (MVal::Str(val(v)), at));
                Reply::Ok
            }
            Op::Get(k) => match self.live(&key(k)) {
                None => Reply::Nil,
                Some((MVal::Str(s), _)) => bulk(s.clone()),
                Some(_) => return Err(Error::WrongType),
            },
            Op::Del(k) => Reply::Int(i64::from(
                self.live(&key(k)).is_some() && self.map.remove(&key(k)).is_some(),
            )),
            Op::Incr(k) => {
                let cur = match self.live(&key(k)) {
                    None => 0,
                    Some((MVal::Str(s), _)) => {
                        let s = String::from_utf8(s.clone()).map_err(|_| Error::NotInteger)?;
                        if s.starts_with('+')
                            || (s.len() > 1 && s.starts_with('0'))
                            || s.starts_with("-0")
                        {
                            return Err(Error::NotInteger);
                        }
                        s.parse::<i64>().map_err(|_| Error::NotInteger)?
                    }
                    Some(_) => return Err(Error::WrongType),
                };
                let next = cur.checked_add(1).ok_or(Error::Overflow)?;
                let ttl = self.live(&key(k)).and_then(|e| e.1);
                self.map
                    .insert(key(k), (MVal::Str(next.to_string().into_bytes()), ttl));
                Reply::Int(next)
            }
            Op::Append(k, v) => match self.live(&key(k)) {
                None => {
                    self.map.insert(key(k), (MVal::Str(val(v)), None));
                    Reply::Int(val(v).len() as i64)
                }
                Some((MVal::Str(s), _)) => {
                    s.extend(val(v));
                    Reply::Int(s.len() as i64)
                }
                Some(_) => return Err(Error::WrongType),
            },
            Op::HSet(k, f, v) => {
                if self.live(&key(k)).is_none() {
                    self.map.insert(key(k), (MVal::Hash(BTreeMap::new()), None));
                }
                match self.live(&key(k)) {
                    Some((MVal::Hash(h), _)) => {
                        Reply::Int(i64::from(h.insert(val(f), val(v)).is_none()))
                    }
                    _ => return Err(Error::WrongType),
                }
            }
            Op::HDel(k, f) => match self.live(&key(k)) {
                None => Reply::Int(0),
                Some((MVal::Hash(h), _)) => {
                    let n = i64::from(h.remove(&val(f)).is_some());
                    if h.is_empty() {
                        self.map.remove(&key(k));
                    }
                    Reply::Int(n)
                }
                Some(_) => return Err(Error::WrongType),
            },
            Op::HGet(k, f) => match self.live(&key(k)) {
                None => Reply::Nil,
                Some((MVal::Hash(h), _)) => h.get(&val(f)).cloned().map_or(Reply::Nil, bulk),
                Some(_) => return Err(Error::WrongType),
            },
            Op::Push(left, k, v) => {
                if self.live(&key(k)).is_none() {
                    self.map.insert(key(k), (MVal::List(VecDeque::new()), None));
                }
                match self.live(&key(k)) {
                    Some((MVal::List(l), _)) => {
                        if left {
                            l.push_front(val(v));
                        } else {
                            l.push_back(val(v));
                        }
                        Reply::Int(l.len() as i64)
                    }
                    _ => return Err(Error::WrongType),
                }
            }
            Op::Pop(left, k) => match self.live(&key(k)) {
                None => Reply::Nil,
                Some((MVal::List(l), _)) => {
                    let v = if left { l.pop_front() } else { l.pop_back() };
                    if l.is_empty() {
                        self.map.remove(&key(k));
                    }
                    v.map_or(Reply::Nil, bulk)
                }
                Some(_) => return Err(Error::WrongType),
            },
            Op::LRange(k, a, b) => match self.live(&key(k)) {
                None => Reply::Array(vec![]),
                Some((MVal::List(l), _)) => {
                    let n = l.len() as i64;
                    let norm = |i: i8| {
                        if i < 0 {
                            n + i64::from(i)
                        } else {
                            i64::from(i)
                        }
                    };
                    let (start, stop) = (norm(a).max(0), norm(b).min(n - 1));
                    Reply::Array(
                        (start..=stop)
                            .map(|i| bulk(l[i as usize].clone()))
                            .collect(),
                    )
                }
                Some(_) => return Err(Error::WrongType),
            },
            Op::PExpire(k, t) => {
                let now = self.now as i64;
                match self.live(&key(k)) {
                    None => Reply::Int(0),
                    Some(entry) => {
                        let when = now + i64::from(t);
                        if when <= now {
                            self.map.remove(&key(k));
                        } else {
                            entry.1 = Some(when as u64);
                        }
                        Reply::Int(1)
                    }
                }
            }
            Op::Persist(k) => match self.live(&key(k)) {
                Some(entry) if entry.1.is_some() => {
                    entry.1 = None;
                    Reply::Int(1)
                }
                _ => Reply::Int(0),
            },
            Op::PTtl(k) => {
                let now = self.now;
                match self.live(&key(k)) {
                    None => Reply::Int(-2),
                    Some((_, None)) => Reply::Int(-1),
                    Some((_, Some(at))) => Reply::Int((*at - now) as i64),
                }
            }
            Op::Rename(a, b) => {
                let Some(entry) = self.live(&key(a)).cloned() else {
                    return Err(Error::NoSuchKey);
                };
                self.map.remove(&key(a));
                self.map.insert(key(b), entry);
                Reply::Ok
            }
            Op::Advance(ms) => {
                self.now += u64::from(ms);
                Reply::Ok
            }
        })
    }
}

fn command(op: &Op) -> Option<Command> {
    Some(match op.clone() {
        Op::Set(k, v, t) => Command::Set {
            key: key(k),
            value: val(v),
            options: match t {
                Some(t) => SetOptions::default().px(i64::from(t)),
                None => SetOptions::default(),
            },
        },
        Op::Get(k) => Command::Get { key: key(k) },
        Op::Del(k) => Command::Del { keys: vec![key(k)] },
        Op::Incr(k) => Command::Incr { key: key(k) },
        Op::Append(k, v) => Command::Append {
            key: key(k),
            value: val(v),
        },
        Op::HSet(k, f, v) => Command::HSet {
            key: key(k),
            pairs: vec![(val(f), val(v))],
        },
        Op::HDel(k, f) => Command::HDel {
            key: key(k),
            fields: vec![val(f)],
        },
        Op::HGet(k, f) => Command::HGet {
            key: key(k),
            field: val(f),
        },
        Op::Push(true, k, v) => Command::LPush {
            key: key(k),
            values: vec![val(v)],
        },
        Op::Push(false, k, v) => Command::RPush {
            key: key(k),
            values: vec![val(v)],
        },
        Op::Pop(true, k) => Command::LPop {
            key: key(k),
            count: None,
        },
        Op::Pop(false, k) => Command::RPop {
            key: key(k),
            count: None,
        },
        Op::LRange(k, a, b) => Command::LRange {
            key: key(k),
            start: a.into(),
            stop: b.into(),
        },
        Op::PExpire(k, t) => Command::Expire {
            key: key(k),
            expiry: Expiry::Px(t.into()),
            condition: ExpireCondition::Always,
        },
        Op::Persist(k) => Command::Persist { key: key(k) },
        Op::PTtl(k) => Command::PTtl { key: key(k) },
        Op::Rename(a, b) => Command::Rename {
            key: key(a),
            new_key: key(b),
        },
        Op::Advance(_) => return None,
    })
}

fn cases() -> u32 {
    std::env::var("HEDGESTORE_MODEL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_reference_model(ops in proptest::collection::vec(op(), 1..200)) {
        let clock = ManualClock::new(0);
        let mut engine = Engine::new(clock.clone());
        let mut model = Model::default();
        for (n, op) in ops.iter().enumerate() {
            let expected = model.apply(op);
            let actual = match command(op) {
                Some(cmd) => engine.execute(cmd),
                None => {
                    if let Op::Advance(ms) = op {
                        clock.advance(u64::from(*ms));
                    }
                    Ok(Reply::Ok)
                }
            };
            prop_assert_eq!(&actual, &expected, "step {}: {:?}", n, op);
            prop_assert_eq!(engine.check_integrity(), Ok(()), "step {}: {:?}", n, op);
        }
        // The final keyspaces agree too.
        let mut keys = engine.keys(b"*").unwrap();
        keys.sort();
        let now = model.now;
        let live: Vec<Vec<u8>> = model
            .map
            .iter()
            .filter(|(_, (_, at))| at.is_none_or(|at| at > now))
            .map(|(k, _)| k.clone())
            .collect();
        prop_assert_eq!(keys, live);
    }
}
