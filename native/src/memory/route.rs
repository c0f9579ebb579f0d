//! Which shard a key lives in, and which shards a command needs.
//!
//! The shard is a hash of the key modulo the number of shards; when the key has a hash tag
//! (a non-empty part between its first `{` and the next `}`, as Redis Cluster defines it),
//! only the tag is hashed. Keys that share a tag (`{user:1}:name`, `{user:1}:cart`) are
//! always in the same shard, so commands over them take one shard's lock, as Redis Cluster
//! runs them on one node.
//!
//! The hash is the engine's own family (hashbrown's default, foldhash) with a seed of its
//! own, salted, not Redis Cluster's CRC16: an exploratory run of the first version measured
//! 16 engines filled by a (bitwise) CRC16 about 1.5x slower than by foldhash; the hash-tag
//! rule is all the co-location Redis Cluster's slots give a client, and it is kept.
//!
//! What placing a key costs: one hash of the key before its shard's lock, about 35
//! instructions of the scaling benchmark's GET/SET (callgrind, BENCHMARKS.md §11), but on
//! the serial path of every command (the lock's atomic instruction waits for the hash, the
//! engine's lookup waits for the lock), which is why one engine plus one extra hash of the
//! key ran as slowly as 16 engines on one thread there. With one shard there is no hash.

use std::hash::{BuildHasher, Hasher};

use hashbrown::DefaultHashBuilder;
use hedgestore_core::Command;

/// The bytes of `key` that decide its shard: its hash tag if it has one, else all of it.
pub fn hashed_part(key: &[u8]) -> &[u8] {
    if let Some(open) = find_open_brace(key) {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// `0x01` in every byte of a word.
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// `0x80` in every byte of a word.
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
/// `{` in every byte of a word.
const BRACES: u64 = u64::from_le_bytes([b'{'; 8]);

/// The position of the first `{` in `key`, looked for eight bytes at a time.
///
/// On the routing path of every command, before the shard's lock and the first cache miss:
/// a byte-by-byte search cost a 14-byte key about 25 instructions (counted with callgrind),
/// this about 10.
#[inline]
fn find_open_brace(key: &[u8]) -> Option<usize> {
    // The first byte of `word` (little-endian) that is `{`: a byte of `word ^ BRACES` is
    // zero there, and the lowest zero byte of `x` is the lowest set bit of
    // `(x - ONES) & !x & HIGHS` (a borrow only makes bytes above it look zero).
    let first_in = |word: u64| {
        let x = word ^ BRACES;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
    };
    let word_at = |at: usize| {
        let bytes: [u8; 8] = key[at..at + 8]
            .try_into()
            .expect("eight bytes from inside the key");
        u64::from_le_bytes(bytes)
    };
    let len = key.len();
    if len < 8 {
        // Padded with zero bytes, which are not `{`.
        let mut padded = [0u8; 8];
        padded[..len].copy_from_slice(key);
        return first_in(u64::from_le_bytes(padded));
    }
    let mut at = 0;
    while at + 8 <= len {
        if let Some(i) = first_in(word_at(at)) {
            return Some(at + i);
        }
        at += 8;
    }
    // The tail: the last eight bytes, overlapping bytes already searched (none was `{`).
    if at < len {
        let last = len - 8;
        return first_in(word_at(last)).map(|i| last + i);
    }
    None
}

/// Places keys on `shards` shards.
pub(crate) struct Router {
    hasher: DefaultHashBuilder,
    shards: usize,
}

impl Router {
    pub(crate) fn new(shards: usize) -> Self {
        Self {
            hasher: DefaultHashBuilder::default(),
            shards,
        }
    }

    /// The shard of `key`.
    #[inline]
    pub(crate) fn shard_of(&self, key: &[u8]) -> usize {
        if self.shards == 1 {
            return 0;
        }
        // Salted, so that the shard says nothing about the key's hash inside its engine
        // (the engines' indexes may hash with the same seed).
        let mut hasher = self.hasher.build_hasher();
        hasher.write_u64(0x7368_6172_6473_2121);
        hasher.write(hashed_part(key));
        let hash = hasher.finish();
        // The high 32 bits, scaled to 0..shards (Lemire's reduction: no division).
        (((hash >> 32) * self.shards as u64) >> 32) as usize
    }
}

/// Where a command runs.
pub(crate) enum Route<'a> {
    /// On the pub/sub and lock engine (`PUBLISH`, `PUBSUB …`), or on any engine because it
    /// reads no state (`PING`, `ECHO`, `TIME`, scripts, which only Redis runs).
    Bus,
    /// On every shard at once (`KEYS`, `SCAN`, `DBSIZE`, `RANDOMKEY`, `FLUSHDB`, `FLUSHALL`).
    All,
    /// On the shard of this key: a command whose table row names one key (the fast path,
    /// no allocation).
    Key(&'a [u8]),
    /// On the shards of these keys (the first shard when the command names none).
    Keys(Vec<&'a [u8]>),
}

/// Where `command` runs, with every key it reads or writes (including the source keys that
/// follow a count, which the command table does not list).
pub(crate) fn route(command: &Command) -> Route<'_> {
    match command {
        Command::Publish { .. }
        | Command::PubSubChannels { .. }
        | Command::PubSubNumSub { .. }
        | Command::PubSubNumPat
        | Command::Echo { .. }
        | Command::Ping { .. }
        | Command::Time
        | Command::Eval { .. }
        | Command::EvalSha { .. }
        | Command::EvalRo { .. }
        | Command::EvalShaRo { .. }
        | Command::ScriptLoad { .. }
        | Command::ScriptExists { .. }
        | Command::ScriptFlush => Route::Bus,
        Command::Keys { .. }
        | Command::Scan { .. }
        | Command::DbSize
        | Command::FlushDb
        | Command::FlushAll
        | Command::RandomKey => Route::All,
        Command::SInterCard { keys, .. }
        | Command::ZUnion { keys, .. }
        | Command::ZInter { keys, .. }
        | Command::ZDiff { keys, .. }
        | Command::ZInterCard { keys, .. } => Route::Keys(keys.iter().map(Vec::as_slice).collect()),
        Command::ZUnionStore {
            destination, keys, ..
        }
        | Command::ZInterStore {
            destination, keys, ..
        }
        | Command::ZDiffStore { destination, keys } => {
            let mut all = Vec::with_capacity(keys.len() + 1);
            all.push(destination.as_slice());
            all.extend(keys.iter().map(Vec::as_slice));
            Route::Keys(all)
        }
        // The rows above list fewer keys than the command reads; every other command's
        // keys are where its row says.
        _ => match command.single_key() {
            Some(key) => Route::Key(key),
            None => Route::Keys(command.keys()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_tags_as_redis_cluster_reads_them() {
        assert_eq!(hashed_part(b"{user1000}.following"), b"user1000");
        assert_eq!(hashed_part(b"user1000"), b"user1000");
        // An empty tag hashes the whole key; only the first `{` and the next `}` count.
        assert_eq!(hashed_part(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hashed_part(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hashed_part(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hashed_part(b"foo{bar"), b"foo{bar");
    }

    #[test]
    fn the_brace_search_finds_what_a_byte_search_finds() {
        // Every length up to 40, `{` at every position (and none), other bytes around it,
        // including the neighbours of `{` (`z`, `|`) and high bytes.
        for len in 0..40 {
            for at in 0..=len {
                let mut key: Vec<u8> = (0..len).map(|i| [b'a', b'z', b'|', 0xfb][i % 4]).collect();
                if at < len {
                    key[at] = b'{';
                    key.push(b'{');
                }
                assert_eq!(
                    find_open_brace(&key),
                    key.iter().position(|&b| b == b'{'),
                    "{key:?}"
                );
            }
        }
    }

    #[test]
    fn one_key_commands_route_by_their_key() {
        let get = Command::Get { key: b"k".to_vec() };
        assert!(matches!(route(&get), Route::Key(b"k")));
        let del = Command::Del {
            keys: vec![b"a".to_vec(), b"b".to_vec()],
        };
        assert!(matches!(route(&del), Route::Keys(k) if k == vec![&b"a"[..], b"b"]));
    }

    #[test]
    fn every_shard_gets_keys_and_tags_colocate() {
        let router = Router::new(16);
        let mut counts = [0usize; 16];
        for i in 0..16_000 {
            counts[router.shard_of(format!("key:{i}").as_bytes())] += 1;
        }
        assert!(
            counts.iter().all(|&n| (700..1300).contains(&n)),
            "{counts:?}"
        );
        assert_eq!(
            router.shard_of(b"{user1000}.following"),
            router.shard_of(b"{user1000}.followers")
        );
        assert_eq!(Router::new(1).shard_of(b"anything"), 0);
    }

    #[test]
    fn count_prefixed_sources_are_routed() {
        let command = Command::ZUnionStore {
            destination: b"d".to_vec(),
            keys: vec![b"a".to_vec(), b"b".to_vec()],
            weights: None,
            aggregate: Default::default(),
        };
        let Route::Keys(keys) = route(&command) else {
            panic!("ZUNIONSTORE routes by its keys");
        };
        assert_eq!(keys, vec![&b"d"[..], b"a", b"b"]);
    }
}
