//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE. A HyperLogLog is a string in Redis's
//! encoding ([`crate::hll`]), so the other string commands see the same bytes as in Redis.
//!
//! A write works on a copy of the value and stores it only when every step succeeded, so a
//! corrupted HyperLogLog changes nothing (Redis keeps the registers it raised before it
//! found the corruption).

use alloc::vec;

use super::{Engine, TtlChange};
use crate::command::CommandKind;
use crate::hll::{self, Corrupted};
use crate::value::{Str, Value};
use crate::{Clock, Error};

impl From<Corrupted> for Error {
    fn from(_: Corrupted) -> Error {
        Error::CorruptedHyperLogLog
    }
}

/// The HyperLogLog a value holds: `WRONGTYPE` for another type, Redis's HyperLogLog error for
/// a string that is not one.
fn hyperloglog(value: &Value) -> Result<&[u8], Error> {
    match value {
        Value::Str(s) if hll::is_valid(s) => Ok(s),
        Value::Str(_) => Err(Error::NotHyperLogLog),
        _ => Err(Error::WrongType),
    }
}

impl<C: Clock> Engine<C> {
    /// `PFADD`: adds `elements` to the HyperLogLog at `key` (created when missing); true when
    /// the key was created or a register changed.
    pub fn pfadd<E: AsRef<[u8]>>(&mut self, key: &[u8], elements: &[E]) -> Result<bool, Error> {
        self.run_as(CommandKind::PfAdd, |e| e.pfadd_unguarded(key, elements))
    }

    pub(super) fn pfadd_unguarded<E: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        elements: &[E],
    ) -> Result<bool, Error> {
        let hash = self.keys.hash(key);
        let existing = self.live(hash, key);
        let (mut s, mut updated) = match existing {
            None => (hll::new_sparse(), true),
            Some(i) => (hyperloglog(&self.keys.slot(i).value)?.to_vec(), false),
        };
        for element in elements {
            updated |= hll::add(&mut s, element.as_ref())?;
        }
        if updated {
            hll::invalidate_cache(&mut s);
            self.store(
                hash,
                key,
                existing,
                Value::Str(Str::from_vec(s)),
                TtlChange::Keep,
            );
        }
        Ok(updated)
    }

    /// `PFCOUNT`: the estimated cardinality of the HyperLogLog at a single key (0 when
    /// missing), cached in its header as Redis does; for several keys, of their union
    /// (missing keys are empty).
    pub fn pfcount<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Result<u64, Error> {
        if let [key] = keys {
            let Some(i) = self.lookup_read(key.as_ref()) else {
                return Ok(0);
            };
            let s = hyperloglog(&self.keys.slot(i).value)?;
            if let Some(card) = hll::cached(s) {
                return Ok(card);
            }
            let card = hll::count(s)?;
            self.modify(i, |v| {
                if let Value::Str(s) = v {
                    hll::set_cache(s, card);
                }
            });
            return Ok(card);
        }
        let mut max = vec![0u8; hll::REGISTERS];
        for key in keys {
            if let Some(i) = self.lookup_read(key.as_ref()) {
                hll::merge_into(&mut max, hyperloglog(&self.keys.slot(i).value)?)?;
            }
        }
        Ok(hll::count_registers(&max))
    }

    /// `PFMERGE`: stores the union of the HyperLogLogs at `destination` and `sources` under
    /// `destination` (created when missing, keeping its TTL otherwise).
    pub fn pfmerge<K: AsRef<[u8]>>(
        &mut self,
        destination: &[u8],
        sources: &[K],
    ) -> Result<(), Error> {
        self.run_as(CommandKind::PfMerge, |e| {
            e.pfmerge_unguarded(destination, sources)
        })
    }

    pub(super) fn pfmerge_unguarded<K: AsRef<[u8]>>(
        &mut self,
        destination: &[u8],
        sources: &[K],
    ) -> Result<(), Error> {
        let mut max = vec![0u8; hll::REGISTERS];
        let mut dense = false;
        for key in core::iter::once(destination).chain(sources.iter().map(AsRef::as_ref)) {
            if let Some(i) = self.lookup_read(key) {
                let s = hyperloglog(&self.keys.slot(i).value)?;
                dense |= hll::is_dense(s);
                hll::merge_into(&mut max, s)?;
            }
        }
        let hash = self.keys.hash(destination);
        let existing = self.live(hash, destination);
        let mut s = match existing {
            None => hll::new_sparse(),
            Some(i) => hyperloglog(&self.keys.slot(i).value)?.to_vec(),
        };
        hll::store_registers(&mut s, &max, dense)?;
        self.store(
            hash,
            destination,
            existing,
            Value::Str(Str::from_vec(s)),
            TtlChange::Keep,
        );
        Ok(())
    }
}
