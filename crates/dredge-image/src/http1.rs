//! Just enough HTTP/1.1 to talk to the Docker Engine API over its unix socket (or tcp://):
//! one GET per connection, `Connection: close`, chunked or sized bodies. Hand-written because no
//! small synchronous client speaks HTTP over a unix socket; every length read from the peer is
//! bounded.

use std::io::{self, BufRead, BufReader, Read, Write};

pub struct Response {
    pub status: u16,
    pub body: Box<dyn Read + Send>,
}

const MAX_HEADER_LINE: usize = 16 << 10;
const MAX_HEADERS: usize = 128;

fn read_line<R: BufRead>(r: &mut R) -> io::Result<String> {
    let mut line = Vec::new();
    let n = r.by_ref().take(MAX_HEADER_LINE as u64).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed before the response"));
    }
    if !line.ends_with(b"\n") {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "response header line too long"));
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

/// Sends one GET and reads the response head. The body reader fails once `deadline` has passed
/// (the stream's own read timeout catches a peer that stops sending).
pub fn get<S: Read + Write + Send + 'static>(
    mut stream: S,
    host: &str,
    path: &str,
    deadline: Option<std::time::Instant>,
) -> io::Result<Response> {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: dredge\r\nConnection: close\r\n\r\n")?;
    stream.flush()?;
    let mut r = BufReader::with_capacity(256 << 10, stream);
    let status_line = read_line(&mut r)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad status line {status_line:?}")))?;
    let mut chunked = false;
    let mut length: Option<u64> = None;
    for i in 0.. {
        if i > MAX_HEADERS {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "too many response headers"));
        }
        let line = read_line(&mut r)?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                // A length that does not parse is an error, not "read to the end": the body
                // would then be whatever the peer keeps sending.
                length =
                    Some(v.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("malformed Content-Length {v:?}")))?);
            }
        }
    }
    let body: Box<dyn Read + Send> = if chunked {
        Box::new(Chunked { inner: r, left: 0, done: false })
    } else if let Some(n) = length {
        Box::new(r.take(n))
    } else {
        Box::new(r)
    };
    let body = match deadline {
        Some(at) => Box::new(Deadline { inner: body, at }),
        None => body,
    };
    Ok(Response { status, body })
}

/// A body that must be read by a point in time.
struct Deadline {
    inner: Box<dyn Read + Send>,
    at: std::time::Instant,
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if std::time::Instant::now() > self.at {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the response took longer than --timeout"));
        }
        self.inner.read(buf)
    }
}

/// Decodes `Transfer-Encoding: chunked`.
struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let line = read_line(&mut self.inner)?;
            let size = line.split(';').next().unwrap_or("").trim();
            self.left = u64::from_str_radix(size, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad chunk size {size:?}")))?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a chunk"));
        }
        self.left -= n as u64;
        if self.left == 0 {
            let crlf = read_line(&mut self.inner)?;
            if !crlf.is_empty() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "chunk not followed by CRLF"));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(io::Cursor<Vec<u8>>, Vec<u8>);
    impl Read for Fake {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.0.read(b)
        }
    }
    impl Write for Fake {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.1.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn body(resp: &str) -> io::Result<(u16, Vec<u8>)> {
        let mut r = get(Fake(io::Cursor::new(resp.as_bytes().to_vec()), Vec::new()), "docker", "/x", None)?;
        let mut v = Vec::new();
        r.body.read_to_end(&mut v)?;
        Ok((r.status, v))
    }

    #[test]
    fn chunked_and_sized() {
        assert_eq!(
            body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").expect("ok"),
            (200, b"abcde".to_vec())
        );
        assert_eq!(body("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnoEXTRA").expect("ok"), (404, b"no".to_vec()));
    }

    #[test]
    fn hostile_responses_are_errors() {
        assert!(body("").is_err());
        assert!(body("garbage\r\n\r\n").is_err());
        assert!(body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
        assert!(body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nabc").is_err());
        assert!(body(&format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(40000))).is_err());
        // A malformed length is an error, not a body read to the end of the stream.
        assert!(body("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\nendless").is_err());
        assert!(body("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nendless").is_err());
    }
}
