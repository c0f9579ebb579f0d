//! The model Redis of the simulation: a core engine plus what a real server adds (a run
//! id, kills with and without a snapshot, hangs, refused connections, lost replies), and the
//! recovery scripts ported from `redis::scripts`.

use std::collections::BTreeSet;
use std::sync::Arc;

use hedgestore_core::{
    Clock, Command, Engine, KeyType, ManualClock, Reply, SetOptions, ZAddCondition, ZAddOptions,
    ZRangeBy,
};

use super::super::journal::{base_marker, fresh_prefix, Base};

/// Marker lifetime, as the scripts set it.
pub(super) const MARKER_MS: i64 = 600_000;

pub(super) type Db = Engine<Arc<ManualClock>>;

/// xorshift64*: small, seeded, deterministic.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub(super) fn now(clock: &ManualClock) -> i64 {
    i64::try_from(clock.now()).expect("simulated time fits")
}

/// A key's contents with its absolute expiry (0: none), as `Base` and snapshots hold it.
pub(super) fn dump_key(db: &mut Db, key: &[u8], now: i64) -> Option<Base> {
    let (kind, payload) = match db.key_type(key)? {
        KeyType::String => ("string", vec![db.get(key).ok()??]),
        KeyType::Hash => (
            "hash",
            db.hgetall(key)
                .ok()?
                .into_iter()
                .flat_map(|(f, v)| [f, v])
                .collect(),
        ),
        KeyType::List => ("list", db.lrange(key, 0, -1).ok()?),
        KeyType::Set => {
            let mut members = db.smembers(key).ok()?;
            members.sort();
            ("set", members)
        }
        KeyType::ZSet => (
            "zset",
            db.zrange(key, &ZRangeBy::Rank(0, -1), false, None)
                .ok()?
                .into_iter()
                .flat_map(|(m, s)| [s.to_string().into_bytes(), m])
                .collect(),
        ),
    };
    let pttl = db.pttl(key);
    Some(Base {
        key: key.to_vec(),
        kind,
        payload,
        expires_at: if pttl > 0 { now + pttl } else { 0 },
    })
}

pub(super) fn sorted_keys(db: &mut Db) -> Vec<Vec<u8>> {
    let mut keys = db.keys(b"*").expect("valid pattern");
    keys.sort();
    keys
}

pub(super) fn restore_key(db: &mut Db, base: &Base) {
    let key = base.key.clone();
    let command = match base.kind {
        "string" => Command::Set {
            key: key.clone(),
            value: base.payload[0].clone(),
            options: SetOptions::default(),
        },
        "hash" => Command::HSet {
            key: key.clone(),
            pairs: base
                .payload
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect(),
        },
        "set" => Command::SAdd {
            key: key.clone(),
            members: base.payload.clone(),
        },
        "zset" => Command::ZAdd {
            key: key.clone(),
            options: ZAddOptions::default(),
            pairs: zset_pairs(&base.payload),
        },
        _ => Command::RPush {
            key: key.clone(),
            values: base.payload.clone(),
        },
    };
    db.execute(command).expect("restoring a dumped key");
    if base.expires_at > 0 {
        db.execute(Command::Expire {
            key,
            expiry: hedgestore_core::Expiry::PxAt(base.expires_at),
            condition: hedgestore_core::ExpireCondition::default(),
        })
        .expect("restoring an expiry");
    }
}

pub(super) fn set_marker(db: &mut Db, key: Vec<u8>) {
    db.execute(Command::Set {
        key,
        value: b"1".to_vec(),
        options: SetOptions::default().px(MARKER_MS),
    })
    .expect("marker");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Net {
    Up,
    /// Refuses connections (a partition with resets, or flapping); keeps its data.
    Refusing,
    /// Accepts but never answers (SIGSTOP): commands queue until it resumes.
    Hung,
    /// Killed; the next start restarts it with a new run id.
    Dead,
}

/// The model Redis: a core engine plus what a real server adds (run id, persistence).
pub(super) struct ModelRedis {
    pub(super) clock: Arc<ManualClock>,
    pub(super) db: Db,
    pub(super) run: u64,
    pub(super) net: Net,
    /// Lose one reply in `lossy` percent of calls (the command applied, the connection reset).
    pub(super) lossy: u64,
    /// Commands sent while hung, applied when it resumes (ids of direct writes with them).
    pub(super) queued: Vec<(Command, Option<u64>)>,
    /// Ids of the writes the keyspace holds (applied directly or replayed), followed through
    /// snapshots.
    pub(super) ids: BTreeSet<u64>,
    /// Ids of every write any server incarnation ever applied.
    pub(super) ever: BTreeSet<u64>,
    /// The last background save.
    pub(super) saved: Option<(Vec<Base>, BTreeSet<u64>)>,
    /// Bumped when connections break (kill, refusing): a client's next call on its old
    /// connection fails as refused, so a restart is never silent.
    pub(super) connections: u64,
}

pub(super) enum Call {
    Applied(Result<Reply, ()>),
    /// Applied, reply lost.
    Lost,
    Refused,
    NoAnswer,
}

impl ModelRedis {
    pub(super) fn new(clock: Arc<ManualClock>) -> Self {
        Self {
            db: Engine::new(clock.clone()),
            clock,
            run: 1,
            net: Net::Up,
            lossy: 0,
            queued: Vec::new(),
            ids: BTreeSet::new(),
            ever: BTreeSet::new(),
            saved: None,
            connections: 0,
        }
    }
    pub(super) fn run_id(&self) -> String {
        format!("run-{}", self.run)
    }
    pub(super) fn dump(&mut self) -> (Vec<Base>, BTreeSet<u64>) {
        let now = now(&self.clock);
        let keys = sorted_keys(&mut self.db);
        let bases = keys
            .iter()
            .filter_map(|k| dump_key(&mut self.db, k, now))
            .collect();
        (bases, self.ids.clone())
    }
    pub(super) fn kill(&mut self, save_now: bool, from_last_save: bool) {
        if self.net == Net::Dead {
            return;
        }
        self.queued.clear();
        let image = if save_now {
            Some(self.dump())
        } else if from_last_save {
            self.saved.take()
        } else {
            None
        };
        self.db = Engine::new(self.clock.clone());
        self.ids.clear();
        if let Some((bases, ids)) = image {
            for b in bases
                .iter()
                .filter(|b| b.expires_at == 0 || b.expires_at > now(&self.clock))
            {
                restore_key(&mut self.db, b);
            }
            self.ids = ids;
        }
        self.saved = None;
        self.net = Net::Dead;
        self.connections += 1;
    }
    pub(super) fn start(&mut self) {
        if self.net == Net::Dead {
            self.run += 1;
        }
        if self.net == Net::Hung {
            for (command, id) in std::mem::take(&mut self.queued) {
                if self.db.execute(command).is_ok() {
                    self.ids.extend(id);
                    self.ever.extend(id);
                }
            }
        }
        self.net = Net::Up;
    }
    pub(super) fn reachable(&self) -> bool {
        self.net == Net::Up
    }
    /// Whether a client on connection `conn` still talks to this server; reconnects it if
    /// Redis is up.
    pub(super) fn connected(&self, conn: &mut u64) -> bool {
        let same = *conn == self.connections;
        if self.reachable() {
            *conn = self.connections;
        }
        same
    }
    pub(super) fn call(
        &mut self,
        conn: &mut u64,
        command: Command,
        id: u64,
        rng: &mut Rng,
    ) -> Call {
        if !self.connected(conn) {
            return Call::Refused;
        }
        match self.net {
            Net::Refusing | Net::Dead => Call::Refused,
            Net::Hung => {
                self.queued.push((command, Some(id)));
                Call::NoAnswer
            }
            Net::Up => {
                let result = self.db.execute(command).map_err(|_| ());
                if result.is_ok() {
                    self.ids.insert(id);
                    self.ever.insert(id);
                }
                if rng.chance(self.lossy) {
                    Call::Lost
                } else {
                    Call::Applied(result)
                }
            }
        }
    }
    /// A script call's fate (recovery): `Err` when it failed, `Ok(applied)` otherwise; a lost
    /// reply applies the script and fails the call.
    /// A recovery script planned for the server `run_id`: `body` answers the ids of the
    /// writes it applied (`None`: the script failed). Half of the calls on a connection that
    /// broke reach the new server anyway (the connection was re-established by an idempotent
    /// call in between), where the script's `WRONGSERVER` check must stop them.
    pub(super) fn script<F: FnOnce(&mut Db) -> Option<Vec<u64>>>(
        &mut self,
        conn: &mut u64,
        rng: &mut Rng,
        run_id: &str,
        body: F,
    ) -> Result<(), ()> {
        if !self.reachable() || (!self.connected(conn) && rng.chance(50)) {
            return Err(());
        }
        if self.run_id() != run_id {
            return Err(()); // WRONGSERVER
        }
        let ids = body(&mut self.db).ok_or(())?;
        self.ids.extend(&ids);
        self.ever.extend(&ids);
        if rng.chance(self.lossy) {
            Err(())
        } else {
            Ok(())
        }
    }
}

/// `scripts::REPLAY` on the model.
/// Answers the ids of the writes it applied, `None` for `REPLAYLOST`.
pub(super) fn replay_script(
    db: &mut Db,
    marker: &str,
    fresh: Option<&str>,
    (expect, last_seq): (i64, u64),
    commands: &[(u64, Command, u64)],
) -> Option<Vec<u64>> {
    let last = db
        .get(marker.as_bytes())
        .ok()
        .flatten()
        .and_then(|v| String::from_utf8_lossy(&v).parse::<i64>().ok())
        .unwrap_or(-1);
    if last < expect {
        return None;
    }
    let mut top = last.max(i64::try_from(last_seq).expect("small"));
    let mut applied = Vec::new();
    for (seq, command, id) in commands {
        let seq = i64::try_from(*seq).expect("small");
        if seq <= last {
            continue;
        }
        if let (Some(prefix), true) = (fresh, applied.is_empty()) {
            for key in commands.iter().flat_map(|c| c.1.keys()) {
                if db.exists(&[key]) == 0 {
                    let mut m = prefix.as_bytes().to_vec();
                    m.extend_from_slice(key);
                    set_marker(db, m);
                }
            }
        }
        let _ = db.execute(command.clone());
        applied.push(*id);
        top = top.max(seq);
    }
    db.execute(Command::Set {
        key: marker.as_bytes().to_vec(),
        value: top.to_string().into_bytes(),
        options: SetOptions::default().px(MARKER_MS),
    })
    .expect("marker");
    Some(applied)
}

/// `scripts::BASE_MERGE` on the model.
pub(super) fn base_merge_script(db: &mut Db, base: &Base, run_id: &str) {
    let marker = base_marker(run_id, &base.key);
    if db.exists(&[&marker]) == 1 {
        return;
    }
    set_marker(db, marker);
    let key = &base.key;
    if db.exists(&[key]) == 0 {
        restore_key(db, base);
        return;
    }
    let mut fresh = fresh_prefix(run_id).into_bytes();
    fresh.extend_from_slice(key);
    if db.exists(&[&fresh]) == 0 {
        return;
    }
    let kind = match db.key_type(key) {
        Some(KeyType::String) => "string",
        Some(KeyType::Hash) => "hash",
        Some(KeyType::List) => "list",
        Some(KeyType::Set) => "set",
        Some(KeyType::ZSet) => "zset",
        None => return,
    };
    if kind != base.kind {
        return;
    }
    let int = |v: &[u8]| std::str::from_utf8(v).ok()?.parse::<i64>().ok();
    match kind {
        "string" => {
            let current = db.get(key).ok().flatten().unwrap_or_default();
            if let (Some(add), Some(_)) = (int(&base.payload[0]), int(&current)) {
                let _ = db.execute(Command::IncrBy {
                    key: key.clone(),
                    delta: add,
                });
            }
        }
        "hash" => {
            for p in base.payload.chunks(2) {
                let _ = db.hsetnx(key, &p[0], &p[1]);
            }
        }
        "set" => {
            let _ = db.sadd(key, &base.payload);
        }
        "zset" => {
            let nx = ZAddOptions {
                condition: ZAddCondition::Nx,
                ..ZAddOptions::default()
            };
            let _ = db.zadd(key, nx, &zset_pairs(&base.payload));
        }
        _ => {
            let mut items = base.payload.clone();
            items.reverse();
            let _ = db.lpush(key, &items);
        }
    }
}

/// A dumped sorted set's payload (score, member, score, member …) as `ZADD` pairs.
fn zset_pairs(payload: &[Vec<u8>]) -> Vec<(f64, Vec<u8>)> {
    payload
        .chunks(2)
        .map(|p| {
            let score = std::str::from_utf8(&p[0])
                .ok()
                .and_then(|s| s.parse().ok())
                .expect("a dumped score");
            (score, p[1].clone())
        })
        .collect()
}
