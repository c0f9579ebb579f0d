//! Redis 8.0's hash commands that read or write fields together with their TTLs: HGETDEL,
//! HGETEX, HSETEX.

use alloc::vec::Vec;

use super::hash_ttl::{as_hash, MAX_FIELD_EXPIRY};
use super::Engine;
use crate::command::{CommandKind, Expiry, FieldSetCondition, FieldSetTtl, GetExOption};
use crate::value::{HashValue, Value};
use crate::{Clock, Error};

/// Absolute field expiry for `HGETEX` and `HSETEX` (named `command` in errors): the amount
/// must be positive, and the time at most 2^48 − 1 once made absolute.
fn set_expiry(expiry: Expiry, now: u64, command: &'static str) -> Result<u64, Error> {
    let invalid = Error::InvalidExpireTime(command);
    let (amount, seconds, base) = match expiry {
        Expiry::Ex(v) => (v, true, now as i64),
        Expiry::Px(v) => (v, false, now as i64),
        Expiry::ExAt(v) => (v, true, 0),
        Expiry::PxAt(v) => (v, false, 0),
    };
    if amount <= 0 {
        return Err(invalid);
    }
    let ms = if seconds {
        amount.checked_mul(1000).ok_or(invalid.clone())?
    } else {
        amount
    };
    match ms.checked_add(base) {
        Some(at) if at <= MAX_FIELD_EXPIRY => Ok(at as u64),
        _ => Err(invalid),
    }
}

fn values<F: AsRef<[u8]>>(h: &HashValue, fields: &[F]) -> Vec<Option<Vec<u8>>> {
    fields.iter().map(|f| h.get(f.as_ref()).cloned()).collect()
}

impl<C: Clock> Engine<C> {
    /// `HGETDEL key FIELDS n field …`: the value of each field (`None` where missing), and
    /// the fields are deleted (the hash too, when none is left).
    pub fn hgetdel<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        fields: &[F],
    ) -> Result<Vec<Option<Vec<u8>>>, Error> {
        let Some(i) = self.field_ttl_target(key)? else {
            return Ok(alloc::vec![None; fields.len()]);
        };
        let Value::Hash(h) = &self.keys.slot(i).value else {
            unreachable!("field_ttl_target returns hashes only")
        };
        let found = values(h, fields);
        if found.iter().any(Option::is_some) {
            self.modify(i, |v| {
                let h = as_hash(v);
                for f in fields {
                    h.remove(f.as_ref());
                }
            });
        }
        Ok(found)
    }

    /// `HGETEX key [EX|PX|EXAT|PXAT t|PERSIST] FIELDS n field …`: the value of each field
    /// (`None` where missing), then the TTL of the existing ones changed as `option` says;
    /// a time not in the future deletes them.
    pub fn hgetex<F: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        option: Option<GetExOption>,
        fields: &[F],
    ) -> Result<Vec<Option<Vec<u8>>>, Error> {
        let target = self.field_ttl_target(key)?;
        let now = self.now();
        let when = match option {
            Some(GetExOption::Expiry(e)) => Some(set_expiry(e, now, "hgetex")?),
            _ => None,
        };
        let Some(i) = target else {
            return Ok(alloc::vec![None; fields.len()]);
        };
        let Value::Hash(h) = &self.keys.slot(i).value else {
            unreachable!("field_ttl_target returns hashes only")
        };
        let found = values(h, fields);
        let changes = match option {
            None => false,
            Some(GetExOption::Persist) => fields
                .iter()
                .any(|f| h.contains(f.as_ref()) && h.field_ttl(f.as_ref()).is_some()),
            Some(GetExOption::Expiry(_)) => found.iter().any(Option::is_some),
        };
        if changes {
            self.modify(i, |v| {
                let h = as_hash(v);
                for f in fields.iter().map(AsRef::as_ref) {
                    match when {
                        None => {
                            h.clear_ttl(f);
                        }
                        Some(at) if at <= now => {
                            h.remove(f);
                        }
                        Some(at) if h.contains(f) => h.set_ttl(f, at),
                        Some(_) => {}
                    }
                }
            });
        }
        Ok(found)
    }

    /// `HSETEX key [FNX|FXX] [EX|PX|EXAT|PXAT t|KEEPTTL] FIELDS n field value …`: sets
    /// every pair if `condition` allows (true) or none (false). Without `KEEPTTL` or a time
    /// the fields lose their TTL; a time not in the future deletes them once set.
    pub fn hsetex<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        condition: FieldSetCondition,
        ttl: FieldSetTtl,
        pairs: &[(F, V)],
    ) -> Result<bool, Error> {
        self.run_as(CommandKind::HSetEx, |e| {
            e.hsetex_unguarded(key, condition, ttl, pairs)
        })
    }

    pub(super) fn hsetex_unguarded<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        key: &[u8],
        condition: FieldSetCondition,
        ttl: FieldSetTtl,
        pairs: &[(F, V)],
    ) -> Result<bool, Error> {
        let target = self.field_ttl_target(key)?;
        let now = self.now();
        let when = match ttl {
            FieldSetTtl::Set(e) => Some(set_expiry(e, now, "hsetex")?),
            FieldSetTtl::Clear | FieldSetTtl::Keep => None,
        };
        let exists = |f: &[u8]| {
            target.is_some_and(
                |i| matches!(&self.keys.slot(i).value, Value::Hash(h) if h.contains(f)),
            )
        };
        let allowed = match condition {
            FieldSetCondition::Always => true,
            FieldSetCondition::Fnx => !pairs.iter().any(|(f, _)| exists(f.as_ref())),
            FieldSetCondition::Fxx => pairs.iter().all(|(f, _)| exists(f.as_ref())),
        };
        if !allowed {
            return Ok(false);
        }
        let i = self.lookup_or_create(
            key,
            |v| matches!(v, Value::Hash(_)),
            || Value::Hash(alloc::boxed::Box::default()),
        )?;
        self.modify(i, |v| {
            let h = as_hash(v);
            for (f, value) in pairs {
                let (f, value) = (f.as_ref(), value.as_ref().to_vec());
                match (ttl, when) {
                    (FieldSetTtl::Keep, _) => {
                        h.update(f, value);
                    }
                    (_, Some(at)) if at <= now => {
                        h.remove(f);
                    }
                    (_, Some(at)) => {
                        h.insert(f, value);
                        h.set_ttl(f, at);
                    }
                    (_, None) => {
                        h.insert(f, value);
                    }
                }
            }
        });
        Ok(true)
    }
}
