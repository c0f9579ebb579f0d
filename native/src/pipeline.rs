//! Pipelines: many commands in one round trip, without atomicity.
//!
//! ```no_run
//! # async fn demo(storage: hedgestore_native::Storage) -> hedgestore_native::Result<()> {
//! let mut pipeline = storage.pipeline();
//! for i in 0..100 {
//!     pipeline.set(format!("price:{i}"), "101.5", None);
//! }
//! pipeline.incr("updates").get("price:0");
//! for reply in pipeline.execute().await {
//!     reply?; // each command's own result, in order
//! }
//! # Ok(()) }
//! ```
//!
//! On Redis the commands go out as one `redis::pipe()` (one round trip, not `MULTI`): other
//! clients' commands may run between them, and a command that fails (`WRONGTYPE` …) fails
//! alone. If the connection fails, each command gets the failure a single call would
//! (a write that may have been applied: `OutcomeUnknown`). Through the fallback, each
//! command is then settled like a single call (mirrored, or served from memory and
//! journaled). On memory the commands run one after another. For all-or-nothing, use a
//! [`Transaction`](crate::Transaction).

use hedgestore_core::{Command, Reply};

use crate::error::Result;
use crate::traits::CompleteStorage;
use crate::transaction::hand_written_queue_methods;

/// A batch of commands sent together, each with its own result. Build it with the chainable
/// methods (the same as [`Transaction`](crate::Transaction)'s), then
/// [`execute`](Self::execute) it.
pub struct Pipeline<'a> {
    storage: &'a dyn CompleteStorage,
    commands: Vec<Command>,
}

impl std::fmt::Debug for Pipeline<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("commands", &self.commands.len())
            .finish()
    }
}

impl<'a> Pipeline<'a> {
    /// An empty pipeline over `storage`.
    pub fn new(storage: &'a dyn CompleteStorage) -> Self {
        Self {
            storage,
            commands: Vec::new(),
        }
    }

    /// Sends the queued commands: each command's result, in order (see the module docs).
    pub async fn execute(self) -> Vec<Result<Reply>> {
        if self.commands.is_empty() {
            return Vec::new();
        }
        self.storage.execute_pipeline(self.commands).await
    }
}

hand_written_queue_methods!(Pipeline);
