//! Raw HTTP/1.x client over std::net::TcpStream. Sends exactly the bytes
//! asked for (so repeated `Cookie:` headers stay separate) and returns the
//! status line and headers in wire order, duplicates kept.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// "HTTP/1.1" or "HTTP/1.0"
    pub version: String,
    /// Sent as `Host:` when set (always set by the constructors).
    pub host: Option<String>,
    /// Extra headers, in order (e.g. two `Cookie` headers).
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// `GET <target> HTTP/1.1`, `Host: <host>`, `Connection: close`.
    pub fn get(host: &str, target: &str) -> Request {
        Request {
            method: "GET".into(),
            target: target.into(),
            version: "HTTP/1.1".into(),
            host: Some(host.into()),
            headers: Vec::new(),
        }
    }

    pub fn head(host: &str, target: &str) -> Request {
        Request {
            method: "HEAD".into(),
            ..Request::get(host, target)
        }
    }

    /// HTTP/1.0 request (still with a Host header so name-based vhosts work).
    pub fn http10(host: &str, target: &str) -> Request {
        Request {
            version: "HTTP/1.0".into(),
            ..Request::get(host, target)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn cookie(self, value: &str) -> Request {
        self.header("Cookie", value)
    }

    /// The request line as httpd logs it with `%r`.
    pub fn request_line(&self) -> String {
        format!("{} {} {}", self.method, self.target, self.version)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = self.request_line();
        s.push_str("\r\n");
        if let Some(h) = &self.host {
            s.push_str(&format!("Host: {h}\r\n"));
        }
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
        s.push_str("Connection: close\r\n\r\n");
        s.into_bytes()
    }

    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} (Host: {})",
            self.request_line(),
            self.host.as_deref().unwrap_or("-")
        );
        for (n, v) in &self.headers {
            s.push_str(&format!(" [{n}: {v}]"));
        }
        s
    }
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status_line: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header_names(&self) -> Vec<String> {
        self.headers.iter().map(|(n, _)| n.clone()).collect()
    }

    /// All values of a header (case-insensitive name), in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn first(&self, name: &str) -> Option<String> {
        self.all(name).into_iter().next()
    }
}

/// Sends one request on a fresh connection and reads the response to EOF
/// (the request carries `Connection: close`). Bounded by socket timeouts.
pub fn send(port: u16, req: &Request) -> Result<Response, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect 127.0.0.1:{port}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(&req.to_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e} (got {} bytes)", raw.len()))?;
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let body = raw[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("").to_string();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            // obsolete line folding: append to the previous header
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        let (n, v) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        headers.push((
            n.to_string(),
            v.trim_matches(|c| c == ' ' || c == '\t').to_string(),
        ));
    }
    Ok(Response {
        status_line,
        status,
        headers,
        body,
    })
}
