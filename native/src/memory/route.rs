//! Which shard a key lives in, and which shards a command needs.
//!
//! Keys are placed as Redis Cluster places them: the hash slot is CRC16 (XMODEM) of the key,
//! or of its hash tag (the part between the first `{` and the next `}`, when not empty),
//! modulo 16384; the shard is the slot modulo the number of shards. Keys that share a tag
//! (`{user:1}:name`, `{user:1}:cart`) are always in the same shard, so commands over them
//! take one shard's lock, as Redis Cluster runs them on one node.

use hedgestore_core::Command;

/// Redis Cluster's number of hash slots.
pub const HASH_SLOTS: u16 = 16384;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis Cluster computes it.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[usize::from(((crc >> 8) as u8) ^ b)]
    })
}

/// The Redis Cluster hash slot of `key` (0..16384), hash tags included.
pub fn hash_slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) % HASH_SLOTS
}

/// Where a command runs.
pub(crate) enum Route {
    /// On the pub/sub and lock engine (`PUBLISH`, `PUBSUB …`), or on any engine because it
    /// reads no state (`PING`, `ECHO`, `TIME`, scripts, which only Redis runs).
    Bus,
    /// On every shard at once (`KEYS`, `SCAN`, `DBSIZE`, `RANDOMKEY`, `FLUSHDB`, `FLUSHALL`).
    All,
    /// On the shards of these keys (the first shard when the command names none).
    Keys(Vec<Vec<u8>>),
}

/// Where `command` runs, with every key it reads or writes (including the source keys that
/// follow a count, which the command table does not list).
pub(crate) fn route(command: &Command) -> Route {
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
        | Command::ZInterCard { keys, .. } => Route::Keys(keys.clone()),
        Command::ZUnionStore {
            destination, keys, ..
        }
        | Command::ZInterStore {
            destination, keys, ..
        }
        | Command::ZDiffStore { destination, keys } => {
            let mut all = Vec::with_capacity(keys.len() + 1);
            all.push(destination.clone());
            all.extend(keys.iter().cloned());
            Route::Keys(all)
        }
        _ => Route::Keys(command.keys().into_iter().map(<[u8]>::to_vec).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        // Values from Redis Cluster's specification and `CLUSTER KEYSLOT`.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(hash_slot(b"foo"), 12182);
        assert_eq!(hash_slot(b"bar"), 5061);
        assert_eq!(hash_slot(b""), 0);
    }

    #[test]
    fn hash_tags_colocate_keys() {
        assert_eq!(hash_slot(b"{user1000}.following"), hash_slot(b"user1000"));
        assert_eq!(
            hash_slot(b"{user1000}.following"),
            hash_slot(b"{user1000}.followers")
        );
        // An empty tag hashes the whole key; only the first `{` counts.
        assert_eq!(hash_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % HASH_SLOTS);
        assert_eq!(hash_slot(b"foo{{bar}}zap"), crc16(b"{bar") % HASH_SLOTS);
        assert_eq!(hash_slot(b"foo{bar}{zap}"), hash_slot(b"bar"));
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
        assert_eq!(keys, vec![b"d".to_vec(), b"a".to_vec(), b"b".to_vec()]);
    }
}
