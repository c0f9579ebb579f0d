//! `get_storage()`: the process-wide default storage, configured from the environment on
//! first use, so application code can reach storage anywhere without passing a handle around.

use tokio::sync::OnceCell;

use crate::config::StorageConfig;
use crate::error::Result;
use crate::storage::Storage;

static DEFAULT: OnceCell<Storage> = OnceCell::const_new();

/// The process-wide storage, created on first call from [`StorageConfig::from_env`] and
/// shared by every later call (clones of one handle).
///
/// Its background tasks run on the tokio runtime of the first call: use it from one
/// long-lived runtime (an application's `#[tokio::main]`). Tests and libraries that create
/// runtimes of their own should build instances with [`Storage::connect`] instead.
pub async fn get_storage() -> Result<Storage> {
    DEFAULT
        .get_or_try_init(|| async { Storage::connect(StorageConfig::from_env()?).await })
        .await
        .cloned()
}
