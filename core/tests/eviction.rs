//! The memory budget: threshold, policies, and how close sampled LRU comes to exact LRU.

mod common;

use std::collections::{BTreeMap, HashMap};

use common::T0;
use hedgestore_core::{
    Command, Engine, EngineConfig, Error, EvictionPolicy, ExpireCondition, Expiry, ManualClock,
    SetOptions,
};

fn engine_with(max_memory: usize, policy: EvictionPolicy) -> Engine<ManualClock> {
    Engine::with_config(
        ManualClock::new(T0),
        EngineConfig {
            max_memory,
            eviction_policy: policy,
            ..EngineConfig::default()
        },
    )
}

fn key(i: usize) -> Vec<u8> {
    format!("key:{i:08}").into_bytes()
}

#[test]
fn usage_never_passes_the_limit_by_more_than_one_entry() {
    let max = 2 << 20;
    let mut e = engine_with(max, EvictionPolicy::AllKeysLru);
    let value = vec![7u8; 100];
    let mut peak = 0;
    for i in 0..100_000 {
        e.set(&key(i), &value, SetOptions::default()).unwrap();
        peak = peak.max(e.used_memory());
        assert!(
            e.used_memory() <= e.config().eviction_limit() + 256,
            "write {i}"
        );
    }
    assert!(peak <= max);
    let stats = e.stats();
    assert!(stats.evicted > 50_000, "{stats:?}");
    assert_eq!(stats.keys as u64 + stats.evicted, 100_000);
    e.check_integrity().unwrap();
}

#[test]
fn the_key_just_written_is_never_the_one_evicted() {
    let mut e = engine_with(1 << 20, EvictionPolicy::AllKeysLru);
    for i in 0..50_000 {
        e.set(&key(i), b"v", SetOptions::default()).unwrap();
        assert!(
            e.get(&key(i)).unwrap().is_some(),
            "key {i} vanished right after its write"
        );
    }
}

#[test]
fn recently_read_keys_survive_eviction() {
    let mut e = engine_with(4 << 20, EvictionPolicy::AllKeysLru);
    let value = vec![1u8; 64];
    for i in 0..1000 {
        e.set(&key(i), &value, SetOptions::default()).unwrap();
    }
    // Keep the first 100 keys hot while pushing many cold keys through.
    for i in 1000..200_000 {
        if i % 10 == 0 {
            for hot in 0..100 {
                e.get(&key(hot)).unwrap();
            }
        }
        e.set(&key(i), &value, SetOptions::default()).unwrap();
    }
    let hot_alive = (0..100)
        .filter(|&h| e.get(&key(h)).unwrap().is_some())
        .count();
    assert!(hot_alive >= 95, "only {hot_alive}/100 hot keys survived");
}

#[test]
fn no_eviction_refuses_growing_writes_but_serves_reads_and_deletes() {
    let mut e = engine_with(1 << 20, EvictionPolicy::NoEviction);
    let value = vec![0u8; 200];
    let mut written = 0;
    let err = loop {
        match e.set(&key(written), &value, SetOptions::default()) {
            Ok(_) => written += 1,
            Err(err) => break err,
        }
        assert!(written < 1_000_000);
    };
    assert_eq!(err, Error::OutOfMemory);
    assert_eq!(e.stats().evicted, 0);
    assert_eq!(
        e.get(&key(0)).unwrap(),
        Some(value.clone()),
        "reads still work"
    );
    assert_eq!(
        e.execute(Command::parse(&["RPUSH", "l", "x"]).unwrap()),
        Err(Error::OutOfMemory)
    );
    // Deleting frees room, and then writes work again.
    let keys: Vec<Vec<u8>> = (0..written / 2).map(key).collect();
    assert_eq!(e.del(&keys), written / 2);
    e.set(b"again", b"fits", SetOptions::default()).unwrap();
    e.check_integrity().unwrap();
}

/// Fills a small budget with persistent keys, then with keys that have a TTL until the
/// budget refuses: under a volatile policy only keys with a TTL may have been evicted.
fn assert_only_keys_with_a_ttl_are_evicted(policy: EvictionPolicy) {
    let mut e = engine_with(1 << 20, policy);
    for i in 0..2000 {
        e.set(&key(i), &[0u8; 100], SetOptions::default()).unwrap();
    }
    for i in 2000..200_000 {
        if e.set(&key(i), &[0u8; 100], SetOptions::default().ex(1000))
            .is_err()
        {
            break;
        }
    }
    for i in 0..2000 {
        assert!(
            e.get(&key(i)).unwrap().is_some(),
            "persistent key {i} was evicted"
        );
    }
    assert!(e.stats().evicted > 0);
}

#[test]
fn volatile_lru_evicts_only_keys_with_a_ttl() {
    assert_only_keys_with_a_ttl_are_evicted(EvictionPolicy::VolatileLru);
}

#[test]
fn volatile_policy_without_ttl_keys_behaves_like_no_eviction() {
    let mut e = engine_with(1 << 20, EvictionPolicy::VolatileTtl);
    let result = (0..100_000).try_for_each(|i| {
        e.set(&key(i), &[0u8; 100], SetOptions::default())
            .map(|_| ())
    });
    assert_eq!(result, Err(Error::OutOfMemory));
    assert_eq!(e.stats().evicted, 0);
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let mut e = engine_with(1 << 20, EvictionPolicy::VolatileTtl);
    // Long-lived keys first, then a stream of short-lived ones.
    for i in 0..1000 {
        e.set(&key(i), &[0u8; 100], SetOptions::default().ex(100_000))
            .unwrap();
    }
    for i in 1000..100_000 {
        e.set(
            &key(i),
            &[0u8; 100],
            SetOptions::default().ex(10 + (i % 50) as i64),
        )
        .unwrap();
    }
    let long_alive = (0..1000)
        .filter(|&i| e.get(&key(i)).unwrap().is_some())
        .count();
    assert!(
        long_alive >= 950,
        "only {long_alive}/1000 long-lived keys survived"
    );
    assert!(e.stats().evicted > 0);
}

/// An exact LRU cache of `capacity` keys: the reference sampled eviction is measured against.
struct ExactLru {
    capacity: usize,
    clock: u64,
    stamp: HashMap<u64, u64>,
    order: BTreeMap<u64, u64>,
}

impl ExactLru {
    fn access(&mut self, k: u64) -> bool {
        self.clock += 1;
        let hit = if let Some(old) = self.stamp.insert(k, self.clock) {
            self.order.remove(&old);
            true
        } else {
            false
        };
        self.order.insert(self.clock, k);
        if self.stamp.len() > self.capacity {
            let (&oldest, &victim) = self.order.iter().next().unwrap();
            self.order.remove(&oldest);
            self.stamp.remove(&victim);
        }
        hit
    }
}

/// Zipf(s) over `n` ranks by inverse CDF (precomputed), driven by a seeded generator.
struct Zipf {
    cdf: Vec<f64>,
    rng: hedgestore_testkit::Rng,
}

impl Zipf {
    fn new(n: usize, s: f64, seed: u64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for rank in 1..=n {
            total += 1.0 / (rank as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Self {
            cdf,
            rng: hedgestore_testkit::Rng::new(seed),
        }
    }
    fn sample(&mut self) -> u64 {
        let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        self.cdf.partition_point(|&c| c < u) as u64
    }
}

/// The hit ratio of read-through caching (miss → insert) over a Zipf(0.99) stream, for the
/// engine under a memory limit and for exact LRU holding the same number of keys.
#[test]
fn sampled_lru_hit_ratio_is_within_two_points_of_exact_lru() {
    let (universe, ops) = (100_000, 400_000);
    let mut e = engine_with(2 << 20, EvictionPolicy::AllKeysLru);
    let mut zipf = Zipf::new(universe, 0.99, 42);
    let stream: Vec<u64> = (0..ops).map(|_| zipf.sample()).collect();
    let value = [9u8; 32];
    let mut hits = 0;
    let mut resident = Vec::new();
    for (n, &k) in stream.iter().enumerate() {
        let kb = k.to_le_bytes();
        if e.get(&kb).unwrap().is_some() {
            hits += 1;
        } else {
            e.set(&kb, &value, SetOptions::default()).unwrap();
        }
        if n % 1000 == 0 && n > ops / 4 {
            resident.push(e.len());
        }
    }
    let capacity = resident.iter().sum::<usize>() / resident.len();
    let mut lru = ExactLru {
        capacity,
        clock: 0,
        stamp: HashMap::new(),
        order: BTreeMap::new(),
    };
    let exact_hits = stream.iter().filter(|&&k| lru.access(k)).count();
    let ours = hits as f64 / ops as f64 * 100.0;
    let exact = exact_hits as f64 / ops as f64 * 100.0;
    println!("capacity {capacity} keys: engine {ours:.2}% vs exact LRU {exact:.2}%");
    assert!(
        capacity > 5_000 && capacity < universe / 2,
        "the budget should force eviction"
    );
    assert!(
        ours >= exact - 2.0,
        "engine {ours:.2}% vs exact LRU {exact:.2}%"
    );
}

#[test]
fn eviction_changes_watched_versions() {
    let mut e = engine_with(1 << 20, EvictionPolicy::AllKeysLru);
    e.set(b"watched", b"v", SetOptions::default()).unwrap();
    let v = e.key_version(b"watched");
    e.expire(b"watched", Expiry::Ex(1000), ExpireCondition::Always)
        .unwrap();
    let v2 = e.key_version(b"watched");
    assert_ne!(v, v2);
    for i in 0..100_000 {
        e.set(&key(i), &[0u8; 64], SetOptions::default()).unwrap();
    }
    assert_eq!(e.key_version(b"watched"), 0, "the cold key was evicted");
    assert!(e.stats().evicted > 0);
}

/// Reads 200 hot keys many times, then sweeps 58,000 one-off keys (each read twice right
/// after its write, so each is as *recent* as can be) through a cache of about 15,000 keys,
/// reading the hot keys again only once in the middle of the sweep; returns how many hot
/// keys survived.
fn hot_keys_surviving_a_scan(policy: EvictionPolicy) -> usize {
    let mut e = engine_with(2 << 20, policy);
    let value = vec![1u8; 64];
    for i in 0..200 {
        e.set(&key(i), &value, SetOptions::default()).unwrap();
    }
    for _ in 0..300 {
        for hot in 0..200 {
            e.get(&key(hot)).unwrap();
        }
    }
    for i in 1_000..59_000 {
        e.set(&key(i), &value, SetOptions::default()).unwrap();
        e.get(&key(i)).unwrap();
        e.get(&key(i)).unwrap();
        if i % 30_000 == 0 {
            for hot in 0..200 {
                e.get(&key(hot)).unwrap();
            }
        }
    }
    (0..200)
        .filter(|&h| e.get(&key(h)).unwrap().is_some())
        .count()
}

#[test]
fn lfu_keeps_frequently_read_keys_through_a_scan_that_lru_lets_evict_them() {
    let lfu = hot_keys_surviving_a_scan(EvictionPolicy::AllKeysLfu);
    let lru = hot_keys_surviving_a_scan(EvictionPolicy::AllKeysLru);
    assert!(lfu >= 190, "LFU kept only {lfu}/200 hot keys");
    assert!(
        lru <= 20,
        "LRU kept {lru}/200 keys it had not read for 29,000 writes"
    );
}

#[test]
fn lfu_counters_decay_so_keys_hot_long_ago_can_go() {
    let mut e = Engine::with_config(
        ManualClock::new(T0),
        EngineConfig {
            max_memory: 2 << 20,
            eviction_policy: EvictionPolicy::AllKeysLfu,
            lfu_decay_accesses: 1024,
            ..EngineConfig::default()
        },
    );
    let value = vec![1u8; 64];
    for i in 0..200 {
        e.set(&key(i), &value, SetOptions::default()).unwrap();
    }
    for _ in 0..30 {
        for hot in 0..200 {
            e.get(&key(hot)).unwrap();
        }
    }
    // A long phase of other keys, each read a few times: the old hot keys' counters decay
    // by one per 1024 accesses, to nothing, and they are evicted like any other key.
    for i in 1_000..100_000 {
        e.set(&key(i), &value, SetOptions::default()).unwrap();
        for _ in 0..3 {
            e.get(&key(i)).unwrap();
        }
    }
    let alive = (0..200)
        .filter(|&h| e.get(&key(h)).unwrap().is_some())
        .count();
    assert!(alive <= 20, "{alive}/200 keys hot long ago are still there");
}

#[test]
fn volatile_lfu_evicts_only_keys_with_a_ttl() {
    assert_only_keys_with_a_ttl_are_evicted(EvictionPolicy::VolatileLfu);
}
