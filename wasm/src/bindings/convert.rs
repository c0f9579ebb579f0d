//! JavaScript values in, bytes and numbers out (and back).
//!
//! Keys, fields and values are bytes in the engine. From JavaScript a string (stored as
//! UTF-8), a `Uint8Array` (stored as is; a Node `Buffer` is one) or a finite number (stored
//! as its decimal text, as Redis clients do) is accepted anywhere a value goes; anything
//! else is a `TypeError` naming the method and the argument, thrown before any change.
//! Results come back as strings (UTF-8 decoded, invalid sequences replaced by U+FFFD as
//! `TextDecoder` does) or, from the `…Bytes` methods, as `Uint8Array`s.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::errors::type_error;

/// How a method hands back stored bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// As a string (the default).
    Text,
    /// As a `Uint8Array` (the `…Bytes` methods).
    Bytes,
}

/// What kind of value `v` is, for error messages: `undefined`, `an object`, ….
pub fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if Array::is_array(v) {
        "an array".into()
    } else if v.is_function() {
        "a function".into()
    } else if v.is_string() {
        "a string".into()
    } else if let Some(n) = v.as_f64() {
        format!("the number {n}")
    } else if v.as_bool().is_some() {
        "a boolean".into()
    } else if v.is_symbol() {
        "a symbol".into()
    } else if v.is_bigint() {
        "a bigint".into()
    } else if v.is_object() {
        "an object".into()
    } else {
        "a value of another type".into()
    }
}

/// `v` as bytes: a string, a `Uint8Array` or a finite number.
pub fn bytes(method: &str, what: &str, v: &JsValue) -> Result<Vec<u8>, JsValue> {
    bytes_or_none(v).ok_or_else(|| not_bytes(method, what, v))
}

/// `v` as bytes, if it is a string, a `Uint8Array` or a finite number.
fn bytes_or_none(v: &JsValue) -> Option<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Some(s.into_bytes());
    }
    if let Some(array) = v.dyn_ref::<Uint8Array>() {
        return Some(array.to_vec());
    }
    match v.as_f64() {
        Some(n) if n.is_finite() => Some(number_text(v, n).into_bytes()),
        _ => None,
    }
}

fn not_bytes(method: &str, what: &str, v: &JsValue) -> JsValue {
    type_error(
        method,
        &format!(
            "{what} must be a string, a Uint8Array or a finite number, got {}",
            describe(v)
        ),
    )
}

/// A number's text as JavaScript's `String(n)` writes it.
fn number_text(v: &JsValue, n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        // Integral and exact: the common case, without a call into JavaScript.
        format!("{}", n as i64)
    } else {
        js_sys::Number::from(v.clone())
            .to_string_with_radix(10)
            .map(String::from)
            .unwrap_or_else(|_| n.to_string())
    }
}

/// Every element of `values` as bytes; `what` names one element in messages.
pub fn bytes_list(method: &str, what: &str, values: &Array) -> Result<Vec<Vec<u8>>, JsValue> {
    let mut out = Vec::with_capacity(values.length() as usize);
    for (i, v) in values.iter().enumerate() {
        // The element's label is only formatted when it is needed, for the error.
        match bytes_or_none(&v) {
            Some(b) => out.push(b),
            None => return Err(not_bytes(method, &format!("{what} #{}", i + 1), &v)),
        }
    }
    Ok(out)
}

/// Like [`bytes_list`], but at least one element is required (Redis commands that take
/// "one or more" keys or values).
pub fn bytes_list_nonempty(
    method: &str,
    what: &str,
    values: &Array,
) -> Result<Vec<Vec<u8>>, JsValue> {
    if values.length() == 0 {
        return Err(type_error(method, &format!("expects at least one {what}")));
    }
    bytes_list(method, what, values)
}

/// `v` as a 64-bit integer: a safe-integer `number` or a `bigint` in range.
pub fn int(method: &str, what: &str, v: &JsValue) -> Result<i64, JsValue> {
    if let Some(n) = v.as_f64() {
        if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 {
            return Ok(n as i64);
        }
    } else if v.is_bigint() {
        if let Ok(i) = i64::try_from(js_sys::BigInt::unchecked_from_js_ref(v).clone()) {
            return Ok(i);
        }
        return Err(type_error(
            method,
            &format!("{what} is out of the 64-bit range"),
        ));
    }
    Err(type_error(
        method,
        &format!(
            "{what} must be an integer (a safe-integer number or a bigint), got {}",
            describe(v)
        ),
    ))
}

/// `v` as an integer, `None` when `undefined` or `null`.
pub fn opt_int(method: &str, what: &str, v: &JsValue) -> Result<Option<i64>, JsValue> {
    if v.is_undefined() || v.is_null() {
        Ok(None)
    } else {
        int(method, what, v).map(Some)
    }
}

/// `v` as a count (a non-negative integer), `None` when `undefined` or `null`.
pub fn opt_count(method: &str, what: &str, v: &JsValue) -> Result<Option<usize>, JsValue> {
    match opt_int(method, what, v)? {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(n as usize)),
        Some(_) => Err(type_error(method, &format!("{what} must not be negative"))),
    }
}

/// `v` as a float: any `number`.
pub fn float(method: &str, what: &str, v: &JsValue) -> Result<f64, JsValue> {
    v.as_f64().ok_or_else(|| {
        type_error(
            method,
            &format!("{what} must be a number, got {}", describe(v)),
        )
    })
}

/// An options object: `undefined` and `null` mean none given; anything but a plain object
/// is a `TypeError`.
pub struct Options {
    object: JsValue,
    method: &'static str,
}

impl Options {
    /// Reads argument `v` of `method` as an options object whose keys are all in `known`: a
    /// misspelled option (`{ tll: 5 }`) is a `TypeError` naming it, never silently ignored.
    pub fn new(method: &'static str, v: &JsValue, known: &[&str]) -> Result<Options, JsValue> {
        let o = Options::any(method, v)?;
        if o.object.is_undefined() {
            return Ok(o);
        }
        let unknown: Vec<String> = js_sys::Object::keys(o.object.unchecked_ref::<js_sys::Object>())
            .iter()
            .filter_map(|k| k.as_string())
            .filter(|k| !known.contains(&k.as_str()))
            .collect();
        if unknown.is_empty() {
            return Ok(o);
        }
        let hint = if unknown.iter().any(|k| k == "ttl") && known.contains(&"px") {
            " (for a TTL give px in milliseconds or ex in seconds)"
        } else {
            ""
        };
        Err(type_error(
            method,
            &format!(
                "unknown option{} {}{hint}; the options are {}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.join(", "),
                known.join(", ")
            ),
        ))
    }

    /// Reads argument `v` of `method` as an object with any keys (`headers`).
    pub fn any(method: &'static str, v: &JsValue) -> Result<Options, JsValue> {
        if v.is_undefined() || v.is_null() {
            return Ok(Options {
                object: JsValue::UNDEFINED,
                method,
            });
        }
        if !v.is_object() || Array::is_array(v) || v.is_function() {
            return Err(type_error(
                method,
                &format!("options must be an object, got {}", describe(v)),
            ));
        }
        Ok(Options {
            object: v.clone(),
            method,
        })
    }

    /// Option `name`; `None` when absent, `undefined` or `null`.
    pub fn get(&self, option: &'static str) -> Option<JsValue> {
        if self.object.is_undefined() {
            return None;
        }
        let v = js_sys::Reflect::get(&self.object, &name(option)).unwrap_or(JsValue::UNDEFINED);
        (!v.is_undefined() && !v.is_null()).then_some(v)
    }

    /// A boolean option (absent: false).
    pub fn flag(&self, name: &'static str) -> Result<bool, JsValue> {
        match self.get(name) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| {
                type_error(
                    self.method,
                    &format!("option {name} must be a boolean, got {}", describe(&v)),
                )
            }),
        }
    }

    /// An integer option.
    pub fn int(&self, name: &'static str) -> Result<Option<i64>, JsValue> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => int(self.method, &format!("option {name}"), &v).map(Some),
        }
    }

    /// A non-negative integer option.
    pub fn count(&self, name: &'static str) -> Result<Option<usize>, JsValue> {
        match self.int(name)? {
            None => Ok(None),
            Some(n) if n >= 0 => Ok(Some(n as usize)),
            Some(_) => Err(type_error(
                self.method,
                &format!("option {name} must not be negative"),
            )),
        }
    }

    /// A string option.
    pub fn string(&self, name: &'static str) -> Result<Option<String>, JsValue> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.as_string().map(Some).ok_or_else(|| {
                type_error(
                    self.method,
                    &format!("option {name} must be a string, got {}", describe(&v)),
                )
            }),
        }
    }

    /// Options `dialect` and `automaticDeserialization`: `dialect: 'upstash'` makes the
    /// command methods take and answer `@upstash/redis`'s values (`js/methods.js`): 1, or 2
    /// with `automaticDeserialization: false` (replies as the REST endpoint sends them, as
    /// that client then answers). Absent or `'hedgestore'`: 0, hedgestore's own values.
    pub fn dialect(&self) -> Result<u32, JsValue> {
        let upstash = match self.string("dialect")?.as_deref() {
            None | Some("hedgestore") => false,
            Some("upstash") => true,
            Some(other) => {
                return Err(type_error(
                    self.method,
                    &format!("option dialect must be 'upstash' or 'hedgestore', got '{other}'"),
                ))
            }
        };
        let automatic = match self.get("automaticDeserialization") {
            None => true,
            Some(_) => self.flag("automaticDeserialization")?,
        };
        match (upstash, automatic) {
            (false, true) => Ok(0),
            (false, false) => Err(type_error(
                self.method,
                "option automaticDeserialization belongs to dialect: 'upstash'",
            )),
            (true, true) => Ok(1),
            (true, false) => Ok(2),
        }
    }

    /// A bytes option (string, `Uint8Array` or number).
    pub fn bytes(&self, name: &'static str) -> Result<Option<Vec<u8>>, JsValue> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => bytes(self.method, &format!("option {name}"), &v).map(Some),
        }
    }

    /// A function option.
    pub fn function(&self, name: &'static str) -> Result<Option<js_sys::Function>, JsValue> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.dyn_into::<js_sys::Function>().map(Some).map_err(|v| {
                type_error(
                    self.method,
                    &format!("option {name} must be a function, got {}", describe(&v)),
                )
            }),
        }
    }

    /// The error for an option that has a valid type but a value that does not fit.
    pub fn invalid(&self, message: &str) -> JsValue {
        type_error(self.method, message)
    }
}

#[wasm_bindgen(module = "/js/text.js")]
extern "C" {
    /// UTF-8 bytes as a string (lossy, as `TextDecoder`).
    #[wasm_bindgen(js_name = textFromUtf8)]
    fn decode_text(bytes: &[u8]) -> JsValue;
}

/// Stored bytes as a JavaScript string (lossy for invalid UTF-8) or `Uint8Array`.
pub fn to_js(bytes: &[u8], encoding: Encoding) -> JsValue {
    match encoding {
        Encoding::Text => decode_text(bytes),
        Encoding::Bytes => Uint8Array::from(bytes).into(),
    }
}

/// A JavaScript string for a property or option name, created once per name: creating a
/// string from Rust costs a `TextDecoder` call each time, and these are read on every call.
pub fn name(name: &'static str) -> JsValue {
    thread_local! {
        static NAMES: std::cell::RefCell<Vec<(&'static str, JsValue)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some((_, v)) = names
            .iter()
            .find(|(n, _)| std::ptr::eq(*n, name) || *n == name)
        {
            return v.clone();
        }
        let v = JsValue::from_str(name);
        names.push((name, v.clone()));
        v
    })
}
