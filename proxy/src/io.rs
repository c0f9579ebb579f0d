//! The socket under each connection, with one job besides passing bytes through: hyper
//! answers a request head over [`ProxyConfig::max_header`] (`431`) or an overlong URI (`414`)
//! itself, with an empty body, before any handler runs. This wrapper recognizes those canned
//! answers as they are written (the proxy never sends 431 or 414 on its own) and sends a
//! JSON one with `{"error"}` instead, like every other answer. Hyper closes the connection
//! right after them, so whatever else it writes is dropped.
//!
//! [`ProxyConfig::max_header`]: crate::ProxyConfig::max_header

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::budget::human_size;

/// A connection's socket.
pub(crate) struct ConnIo {
    inner: TcpStream,
    max_header: usize,
    /// The JSON answer being written in place of a canned one, and how much of it is out.
    replacing: Option<(Vec<u8>, usize)>,
    /// The replacement is out: hyper's own bytes are dropped from now on.
    replaced: bool,
}

impl ConnIo {
    pub(crate) fn new(inner: TcpStream, max_header: usize) -> Self {
        Self {
            inner,
            max_header,
            replacing: None,
            replaced: false,
        }
    }

    fn replacement(&self, status: &[u8]) -> Vec<u8> {
        let (line, message) = if status == b"431" {
            (
                "431 Request Header Fields Too Large",
                format!(
                    "ERR request head too large: the request line and headers may take at \
                     most {} (HEDGESTORE_PROXY_MAX_HEADER)",
                    human_size(self.max_header)
                ),
            )
        } else {
            ("414 URI Too Long", "ERR the URI is too long".to_string())
        };
        let body = hedgestore_core::codec::encode_error(&message);
        format!(
            "HTTP/1.1 {line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    /// Writes the replacement for a canned answer; `Ready(Ok(consumed))` once it is all out.
    fn drive(&mut self, cx: &mut Context<'_>, consumed: usize) -> Poll<io::Result<usize>> {
        while let Some((bytes, written)) = &mut self.replacing {
            if *written == bytes.len() {
                self.replacing = None;
                self.replaced = true;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(consumed))
    }
}

/// `Some(status)` when `buf` starts a response hyper writes on its own for a bad head.
fn canned_status(buf: &[u8]) -> Option<&[u8]> {
    if buf.len() >= 13 && buf.starts_with(b"HTTP/1.") {
        let status = &buf[9..12];
        if buf[8] == b' ' && buf[12] == b' ' && (status == b"431" || status == b"414") {
            return Some(status);
        }
    }
    None
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replaced {
            return Poll::Ready(Ok(buf.len()));
        }
        if this.replacing.is_none() {
            match canned_status(buf) {
                Some(status) => this.replacing = Some((this.replacement(status), 0)),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        this.drive(cx, buf.len())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let total = bufs.iter().map(|b| b.len()).sum();
        if this.replaced {
            return Poll::Ready(Ok(total));
        }
        if this.replacing.is_none() {
            let first = bufs.iter().find(|b| !b.is_empty()).map(|b| &b[..]);
            match first.and_then(canned_status) {
                Some(status) => this.replacing = Some((this.replacement(status), 0)),
                None => return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs),
            }
        }
        this.drive(cx, total)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canned_heads_are_recognized() {
        assert_eq!(
            canned_status(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            Some(&b"431"[..])
        );
        assert_eq!(
            canned_status(b"HTTP/1.0 414 URI Too Long\r\n"),
            Some(&b"414"[..])
        );
        assert_eq!(canned_status(b"HTTP/1.1 400 Bad Request\r\n"), None);
        assert_eq!(canned_status(b"{\"result\":\"HTTP/1.1 431 \"}"), None);
        assert_eq!(canned_status(b"HTTP/1.1 43"), None);
    }
}
