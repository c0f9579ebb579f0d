//! The command log format: how a sequence of writes is stored so that it can be replayed,
//! with every record checksummed so a torn or corrupt tail is recognized and never applied.
//! Pure encoding (no I/O): native storage writes it to a file, and anything else holding
//! bytes (a browser store, a test) reads it with [`Records`].
//!
//! A log starts with the 8-byte [`HEADER`] (`HSAOF\r\n` + the version byte, [`VERSION`]),
//! then records. A record is `len: u32 LE`, `crc: u32 LE` (CRC-32/ISO-HDLC, the zlib
//! checksum, of the payload), then `len` payload bytes: `count: u32 LE` commands, each
//! `argc: u32 LE` arguments of `len: u32 LE` + bytes, the command's name first. A record is
//! applied whole or not at all: a transaction is one record.

use alloc::vec::Vec;

use crate::command::Command;
use crate::Error;

/// How a record's argument arrays become commands: [`Command::parse`], or
/// [`Command::parse_write`] for a log that holds writes only ([`Records::writes`]).
type Parse = fn(&[Vec<u8>]) -> Result<Command, Error>;

/// The first bytes of a log: a magic string and the format version.
pub const HEADER: &[u8; 8] = b"HSAOF\r\n\x01";
/// The format version this code writes and reads (the header's last byte).
pub const VERSION: u8 = 1;
/// Bytes before a record's payload: its length and checksum.
pub const RECORD_HEAD: usize = 8;
/// A record longer than this is corruption, not data.
pub const MAX_RECORD: u32 = 1 << 30;

/// Why reading stopped before the end of the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The last record is cut short (a crash while it was written).
    Torn,
    /// A record's length is impossible.
    BadLength,
    /// A record's checksum does not match its payload.
    Checksum,
    /// A record's payload is not a sequence of valid commands.
    Unparsable,
}

impl Stop {
    /// What it means, for a log line.
    pub fn describe(self) -> &'static str {
        match self {
            Stop::Torn => "a record cut short",
            Stop::BadLength => "a record of impossible length",
            Stop::Checksum => "a record whose checksum does not match",
            Stop::Unparsable => "a record that does not parse",
        }
    }
}

/// CRC-32/ISO-HDLC (the zlib/PNG checksum) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    const fn table() -> [u32; 256] {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    }
    static TABLE: [u32; 256] = table();
    let mut c = !0u32;
    for &b in bytes {
        c = TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

/// Appends one record holding `commands` to `out`.
pub fn encode_record(commands: &[Command], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; RECORD_HEAD]);
    put_u32(out, commands.len());
    for command in commands {
        let args = command.to_args();
        put_u32(out, args.len());
        for arg in &args {
            put_u32(out, arg.len());
            out.extend_from_slice(arg);
        }
    }
    let payload = &out[start + RECORD_HEAD..];
    let len = payload.len() as u32;
    let crc = crc32(payload);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// A record's payload length and checksum, from its first [`RECORD_HEAD`] bytes.
pub fn decode_head(head: &[u8; RECORD_HEAD]) -> Result<(u32, u32), Stop> {
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if len > MAX_RECORD {
        return Err(Stop::BadLength);
    }
    Ok((len, crc))
}

/// The commands of a record whose head gave `crc`, checked against it.
pub fn decode_payload(crc: u32, payload: &[u8]) -> Result<Vec<Command>, Stop> {
    decode_payload_with(crc, payload, Command::parse)
}

fn decode_payload_with(crc: u32, payload: &[u8], parse: Parse) -> Result<Vec<Command>, Stop> {
    if crc32(payload) != crc {
        return Err(Stop::Checksum);
    }
    let mut cursor = Cursor {
        bytes: payload,
        at: 0,
    };
    let count = cursor.number()?;
    let mut commands = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let argc = cursor.number()?;
        let mut args = Vec::with_capacity(argc.min(1024));
        for _ in 0..argc {
            let len = cursor.number()?;
            args.push(cursor.take(len)?.to_vec());
        }
        commands.push(parse(&args).map_err(|_| Stop::Unparsable)?);
    }
    if cursor.at != payload.len() {
        return Err(Stop::Unparsable);
    }
    Ok(commands)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Stop> {
        let end = self.at.checked_add(n).ok_or(Stop::Unparsable)?;
        let bytes = self.bytes.get(self.at..end).ok_or(Stop::Unparsable)?;
        self.at = end;
        Ok(bytes)
    }

    fn number(&mut self) -> Result<usize, Stop> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
}
/// The records of a log held in memory (header excluded), in order; after the last whole,
/// valid record, [`Records::stop`] says why reading ended early, if it did, and
/// [`Records::offset`] where the valid prefix ends.
pub struct Records<'a> {
    bytes: &'a [u8],
    offset: usize,
    stop: Option<Stop>,
    parse: Parse,
}

impl<'a> Records<'a> {
    /// Reads `bytes`, the records after a log's header.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            stop: None,
            parse: Command::parse,
        }
    }

    /// Reads `bytes`, the records after the header of a log that holds writes only (a
    /// persisted `MemoryStore`'s: [`forms::logged_form`](crate::forms::logged_form)s and
    /// [`Engine::rebuild_commands`](crate::Engine::rebuild_commands)), with
    /// [`Command::parse_write`]: a record holding anything else stops the reading as
    /// [`Stop::Unparsable`]. A program that reads only such logs then carries no parser of
    /// the other commands (the wasm package: 2.4 KB gzipped).
    pub fn writes(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            stop: None,
            parse: Command::parse_write,
        }
    }

    /// Why reading ended before the end of the bytes, once the iterator is exhausted.
    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }

    /// Bytes of whole, valid records read so far.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl Iterator for Records<'_> {
    type Item = Vec<Command>;

    fn next(&mut self) -> Option<Vec<Command>> {
        if self.stop.is_some() || self.offset == self.bytes.len() {
            return None;
        }
        let rest = &self.bytes[self.offset..];
        let result = (|| {
            let head: &[u8; RECORD_HEAD] = rest
                .get(..RECORD_HEAD)
                .and_then(|h| h.try_into().ok())
                .ok_or(Stop::Torn)?;
            let (len, crc) = decode_head(head)?;
            let payload = rest
                .get(RECORD_HEAD..RECORD_HEAD + len as usize)
                .ok_or(Stop::Torn)?;
            decode_payload_with(crc, payload, self.parse).map(|c| (c, RECORD_HEAD + len as usize))
        })();
        match result {
            Ok((commands, used)) => {
                self.offset += used;
                Some(commands)
            }
            Err(stop) => {
                self.stop = Some(stop);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
