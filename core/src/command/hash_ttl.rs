//! Options of `HSETEX` (Redis 8.0).

/// `HSETEX`'s condition on the fields named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldSetCondition {
    /// Set the fields whatever exists.
    #[default]
    Always,
    /// `FNX`: set them only if none of them exists.
    Fnx,
    /// `FXX`: set them only if all of them exist.
    Fxx,
}

/// What `HSETEX` does to the TTL of the fields it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldSetTtl {
    /// No option: the fields lose any TTL, as with `HSET`.
    #[default]
    Clear,
    /// `KEEPTTL`: existing fields keep theirs.
    Keep,
    /// `EX`/`PX`/`EXAT`/`PXAT`: the fields get this expiry.
    Set(super::Expiry),
}
