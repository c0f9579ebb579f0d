//! Connection and backend events, broadcast to whoever listens.

use crate::traits::BackendKind;

/// Something that happened to a storage's connection or backend.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageEvent {
    /// The backend answered again after being down (or for the first time).
    Up {
        /// Which backend.
        backend: BackendKind,
    },
    /// The backend stopped answering.
    Down {
        /// Which backend.
        backend: BackendKind,
        /// Why (never contains a secret).
        error: String,
    },
    /// The fallback's outage journal is full; its overflow policy now applies.
    JournalFull {
        /// Bytes in the journal.
        bytes: usize,
    },
    /// Requests are now served by another backend (fallback storage).
    BackendChanged {
        /// The backend that served until now.
        from: BackendKind,
        /// The backend that serves from now on.
        to: BackendKind,
    },
}
