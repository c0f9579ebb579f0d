//! When `RemoteStore` tries a request again.
//!
//! Only requests that cannot change anything are retried: a read whose answer got lost on the
//! way back can be asked again, a write cannot (it may have been applied; sending it twice
//! could apply it twice). Writes, `PUBLISH` and any batch containing one are sent once, and a
//! network failure is reported to the caller, who knows whether repeating is safe.
//!
//! Delays grow exponentially from `min_delay_ms` to `max_delay_ms`, each drawn from its upper
//! half ("equal jitter"), so clients that failed together do not retry in lockstep. The
//! waiting itself happens where the I/O does, in `js/remote.js`; this module holds the policy's
//! settings and the rule of which commands may be retried.

use hedgestore_core::Command;

/// How often and how patiently to retry idempotent reads after a network failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub retries: u32,
    /// Delay before the first retry, in milliseconds.
    pub min_delay_ms: f64,
    /// Upper bound of any delay, in milliseconds.
    pub max_delay_ms: f64,
}

impl Default for RetryPolicy {
    /// Three retries, 50 ms growing to at most 2 s.
    fn default() -> Self {
        Self {
            retries: 3,
            min_delay_ms: 50.0,
            max_delay_ms: 2_000.0,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub const NEVER: RetryPolicy = RetryPolicy {
        retries: 0,
        min_delay_ms: 0.0,
        max_delay_ms: 0.0,
    };
}

/// Whether sending `command` twice has the same effect as sending it once: the command
/// table's `RETRY_SAFE` flag (reads only; never a write, never `PUBLISH`).
pub fn is_idempotent(command: &Command) -> bool {
    command.retry_safe()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_are_idempotent() {
        let get = Command::parse(&["GET", "k"]).unwrap();
        let lrange = Command::parse(&["LRANGE", "k", "0", "-1"]).unwrap();
        let incr = Command::parse(&["INCR", "k"]).unwrap();
        let publish = Command::parse(&["PUBLISH", "c", "m"]).unwrap();
        let lpop = Command::parse(&["LPOP", "k"]).unwrap();
        assert!(is_idempotent(&get) && is_idempotent(&lrange));
        assert!(!is_idempotent(&incr) && !is_idempotent(&publish) && !is_idempotent(&lpop));
    }
}
