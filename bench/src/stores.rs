//! The contenders behind one interface, each used the way a plain user would call it.

use std::hint::black_box;

use hedgestore_core::{Engine, ManualClock, SetOptions};

/// The operations every contender implements.
pub trait Store {
    /// Name shown in the results tables.
    const NAME: &'static str;
    /// An owned copy of `key`'s value.
    fn get(&mut self, key: &[u8]) -> Option<Vec<u8>>;
    /// Stores a copy of `value` under `key`.
    fn set(&mut self, key: &[u8], value: &[u8]);
    /// Number of entries held (settling any deferred bookkeeping first).
    fn entries(&mut self) -> usize;
    /// Keys evicted so far, for contenders that count them.
    fn evictions(&self) -> Option<u64> {
        None
    }
}

impl Store for Engine<ManualClock> {
    const NAME: &'static str = "hedgestore Engine";

    #[inline]
    fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        match Engine::get(self, key) {
            Ok(value) => value,
            Err(e) => panic!("GET failed: {e}"),
        }
    }

    #[inline]
    fn set(&mut self, key: &[u8], value: &[u8]) {
        match Engine::set(self, key, value, SetOptions::default()) {
            Ok(written) => {
                black_box(written);
            }
            Err(e) => panic!("SET failed: {e}"),
        }
    }

    fn entries(&mut self) -> usize {
        self.len()
    }

    fn evictions(&self) -> Option<u64> {
        Some(self.stats().evicted)
    }
}

impl Store for hashbrown::HashMap<Vec<u8>, Vec<u8>> {
    const NAME: &'static str = "hashbrown HashMap";

    #[inline]
    fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        hashbrown::HashMap::get(self, key).cloned()
    }

    #[inline]
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.insert(key.to_vec(), value.to_vec());
    }

    fn entries(&mut self) -> usize {
        self.len()
    }
}

impl Store for moka::sync::Cache<Vec<u8>, Vec<u8>> {
    const NAME: &'static str = "moka sync::Cache";

    #[inline]
    fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        moka::sync::Cache::get(self, key)
    }

    #[inline]
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.insert(key.to_vec(), value.to_vec());
    }

    fn entries(&mut self) -> usize {
        self.run_pending_tasks();
        usize::try_from(self.entry_count()).expect("entry count fits in usize")
    }
}

impl Store for quick_cache::sync::Cache<Vec<u8>, Vec<u8>> {
    const NAME: &'static str = "quick_cache sync::Cache";

    #[inline]
    fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        quick_cache::sync::Cache::get(self, key)
    }

    #[inline]
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.insert(key.to_vec(), value.to_vec());
    }

    fn entries(&mut self) -> usize {
        self.len()
    }
}

impl Store for lru::LruCache<Vec<u8>, Vec<u8>> {
    const NAME: &'static str = "lru LruCache";

    #[inline]
    fn get(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        lru::LruCache::get(self, key).cloned()
    }

    #[inline]
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.put(key.to_vec(), value.to_vec());
    }

    fn entries(&mut self) -> usize {
        self.len()
    }
}
