//! The storage layer's error type.

use hedgestore_core::{BatchError, Error as EngineError};

/// Why a storage operation failed.
///
/// Command errors carry the engine's (Redis-worded) error unchanged, so `WRONGTYPE` stays
/// `WRONGTYPE` whichever backend served the call. No variant ever contains a password or a
/// token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The command failed (wrong type, not an integer, …); nothing was changed.
    #[error(transparent)]
    Command(#[from] EngineError),
    /// A transaction applied nothing: a command in it would fail, or a watched key changed.
    #[error(transparent)]
    Transaction(#[from] BatchError),
    /// The backend cannot be reached right now (connection refused or reset, health check
    /// failing, …). For a write, this means it was not applied.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A read got no answer within the response timeout; nothing was changed. The backend is
    /// not considered down for that (a slow command is not an outage): retrying is safe.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A write was sent and then no answer came (timed out): it **may or may not have been
    /// applied**. It is never retried automatically; read the state back before retrying, or
    /// retry only writes that are safe to apply twice.
    #[error("outcome unknown, the write may have been applied: {0}")]
    OutcomeUnknown(String),
    /// The storage was closed with `close()`.
    #[error("storage is closed")]
    Closed,
    /// A reply did not have the shape the operation expects (a protocol bug).
    #[error("unexpected reply from {backend}: {detail}")]
    UnexpectedReply {
        /// Which backend answered.
        backend: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A value could not be encoded or decoded (JSON helpers, `get_string`).
    #[error("cannot decode value: {0}")]
    Decode(String),
    /// Invalid configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The operation has no meaning on this Redis deployment (`SCAN` on a Redis Cluster,
    /// whose cursors are per node); nothing was changed. The text says what to use instead.
    #[error("not supported here: {0}")]
    Unsupported(String),
}

impl StorageError {
    /// The engine error behind a failed command, if that is what this is.
    pub fn command_error(&self) -> Option<&EngineError> {
        match self {
            StorageError::Command(e) => Some(e),
            _ => None,
        }
    }

    /// Whether a Redis Cluster refused the command (or the transaction) because its keys
    /// hash to different slots (Redis's `CROSSSLOT` error). Put the keys in one slot with a
    /// hash tag (`{user:1}:a`, `{user:1}:b`) to run it.
    pub fn is_cross_slot(&self) -> bool {
        let error = match self {
            StorageError::Command(e) => e,
            StorageError::Transaction(BatchError::Command { error, .. }) => error,
            _ => return false,
        };
        error.to_string().starts_with("CROSSSLOT")
    }
}

/// Result of storage operations.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
