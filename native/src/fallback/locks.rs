//! Locks of the fallback storage: Redis's while it serves; during an outage local ones only
//! when [`LockFallback::Local`] says so.

use std::time::Duration;

use async_trait::async_trait;

use super::FallbackStorage;
use crate::config::LockFallback;
use crate::error::{Result, StorageError};
use crate::traits::{Lock, LockStorage};

#[async_trait]
impl LockStorage for FallbackStorage {
    async fn acquire_lock(
        &self,
        name: &[u8],
        ttl: Duration,
        wait: Option<Duration>,
    ) -> Result<Option<Lock>> {
        self.inner.check_open()?;
        let local = self.inner.config.lock_fallback == LockFallback::Local;
        if self.inner.on_redis() {
            match self.inner.redis.acquire_lock(name, ttl, wait).await {
                Err(StorageError::Unavailable(e)) => {
                    // On a cluster, the lock's master down while others answer is this
                    // call's failure, not an outage (see `shards`).
                    if self.inner.only_a_shard_is_down().await {
                        return Err(StorageError::Unavailable(e));
                    }
                    self.inner.fail_over(&StorageError::Unavailable(e.clone()));
                    if !local {
                        return Err(StorageError::Unavailable(e));
                    }
                }
                other => return other,
            }
        }
        if local {
            self.inner.memory.acquire_lock(name, ttl, wait).await
        } else {
            Err(StorageError::Unavailable(
                "redis is down and locks fail closed (LockFallback::FailClosed)".into(),
            ))
        }
    }

    async fn release_lock(&self, name: &[u8]) -> Result<bool> {
        match self.inner.redis.release_lock(name).await {
            Ok(true) => Ok(true),
            Ok(false) | Err(StorageError::Unavailable(_))
                if self.inner.config.lock_fallback == LockFallback::Local =>
            {
                self.inner.memory.release_lock(name).await
            }
            other => other,
        }
    }

    async fn release(&self, lock: &Lock) -> Result<bool> {
        match self.inner.redis.release(lock).await {
            Ok(true) => Ok(true),
            Ok(false) | Err(StorageError::Unavailable(_))
                if self.inner.config.lock_fallback == LockFallback::Local =>
            {
                self.inner.memory.release(lock).await
            }
            other => other,
        }
    }

    async fn extend_lock(&self, name: &[u8], ttl: Duration) -> Result<bool> {
        match self.inner.redis.extend_lock(name, ttl).await {
            Ok(true) => Ok(true),
            Ok(false) | Err(StorageError::Unavailable(_))
                if self.inner.config.lock_fallback == LockFallback::Local =>
            {
                self.inner.memory.extend_lock(name, ttl).await
            }
            other => other,
        }
    }
}
