use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resp {
    /// `+OK`
    Simple(String),
    /// `-ERR …` (the whole line after `-`).
    Error(String),
    /// `:42`
    Int(i64),
    /// `$3\r\nabc` or `$-1` (`None`).
    Bulk(Option<Vec<u8>>),
    /// `*2 …` or `*-1` (`None`).
    Array(Option<Vec<Resp>>),
}

/// A blocking RESP2 connection to `127.0.0.1:<port>`.
#[derive(Debug)]
pub struct RespConnection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl RespConnection {
    /// Connects to the loopback port, with 5 s read/write timeouts.
    pub fn connect(port: u16) -> io::Result<Self> {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends one command (as an array of bulk strings) and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Resp> {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            let a = a.as_ref();
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&buf)?;
        self.read()
    }

    fn read(&mut self) -> io::Result<Resp> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        if line.len() < 3 || !line.ends_with(b"\r\n") {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated reply",
            ));
        }
        let body = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        let bad =
            |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("bad {what}: {body}"));
        match line[0] {
            b'+' => Ok(Resp::Simple(body)),
            b'-' => Ok(Resp::Error(body)),
            b':' => body.parse().map(Resp::Int).map_err(|_| bad("integer")),
            b'$' => {
                let n: i64 = body.parse().map_err(|_| bad("bulk length"))?;
                if n < 0 {
                    return Ok(Resp::Bulk(None));
                }
                let mut data = vec![0; n as usize + 2];
                self.reader.read_exact(&mut data)?;
                data.truncate(n as usize);
                Ok(Resp::Bulk(Some(data)))
            }
            b'*' => {
                let n: i64 = body.parse().map_err(|_| bad("array length"))?;
                if n < 0 {
                    return Ok(Resp::Array(None));
                }
                (0..n)
                    .map(|_| self.read())
                    .collect::<io::Result<Vec<_>>>()
                    .map(|v| Resp::Array(Some(v)))
            }
            _ => Err(bad("reply type")),
        }
    }
}
