//! Test support for `coffer serve`: a running server on a free loopback port, raw HTTP
//! exchanges, and a SigV4 signer of our own that can leave headers out of `SignedHeaders`
//! (which no AWS client will do), so each refusal of the server can be reached end to end.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::common::Store;

/// A running `coffer serve`, stopped with SIGTERM when dropped.
pub struct Server {
    pub child: Child,
    pub endpoint: String,
    pub addr: String,
}

impl Server {
    pub fn start(store: &Store) -> Self {
        Self::start_with(store, &["--bind", "127.0.0.1:0"])
    }

    pub fn start_with(store: &Store, args: &[&str]) -> Self {
        let mut child = store
            .command(&[&["serve"], args].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("first line {line:?}: {e}"));
        let endpoint = v["Endpoint"].as_str().unwrap().to_owned();
        let addr = endpoint.split("://").nth(1).unwrap().to_owned();
        Self { child, endpoint, addr }
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// SIGTERM, then the exit status and the rest of stdout.
    pub fn stop(mut self) -> (i32, String) {
        terminate(&self.child);
        let mut rest = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut rest).unwrap();
        let status = self.child.wait().unwrap();
        (status.code().unwrap_or(-1), rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            terminate(&self.child);
            let _ = self.child.wait();
        }
    }
}

pub fn terminate(child: &Child) {
    // The server may have exited already (a second SIGTERM): then kill fails, harmlessly.
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
}

/// A fresh store with an access key; returns the store and (id, secret).
pub fn store_with_access_key() -> (Store, String, String) {
    let store = Store::new();
    let key = store.run(&["access-key", "create"]).json();
    let id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = key["AccessKey"]["SecretAccessKey"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 40);
    (store, id, secret)
}

/// Sends raw bytes on a fresh connection and returns the whole answer (the request asks the
/// server to close the connection, or is not HTTP).
pub fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    exchange(&mut s, request)
}

/// As [`raw`], from the loopback address `source` (127.0.0.2 and the like: on Linux the whole
/// 127.0.0.0/8 is local).
pub fn raw_from(source: IpAddr, addr: &str, request: &[u8]) -> String {
    let mut s = connect_from(source, addr);
    exchange(&mut s, request)
}

fn exchange(s: &mut TcpStream, request: &[u8]) -> String {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A connection to `addr` from the local address `source` (any port).
pub fn connect_from(source: IpAddr, addr: &str) -> TcpStream {
    let addr: SocketAddr = addr.parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap();
    runtime.block_on(async {
        let socket = match source {
            IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
            IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
        }
        .unwrap();
        socket.bind(SocketAddr::new(source, 0)).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
    })
}

/// Headers announcing a 100-byte body, and its first byte: a request that then stalls.
pub const STALLED: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n\
X-Amz-Target: TrentService.ListKeys\r\nContent-Length: 100\r\n\r\n{";

/// A stalled request from `source` ([`STALLED`], then silence).
pub fn stall(source: IpAddr, addr: &str) -> TcpStream {
    let mut s = connect_from(source, addr);
    s.write_all(STALLED).unwrap();
    s
}

/// Whether the server has closed `s` (an answer, if any, read first), without waiting.
pub fn closed(s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 512];
    let gone = loop {
        match (&*s).read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    s.set_nonblocking(false).unwrap();
    gone
}

/// Waits up to `patience` for the server to close `s`; when it did, or None.
pub fn cut_at(s: &TcpStream, patience: Duration) -> Option<std::time::Instant> {
    s.set_read_timeout(Some(patience)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match (&*s).read(&mut buf) {
            Ok(0) => return Some(std::time::Instant::now()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return None,
            Err(_) => return Some(std::time::Instant::now()),
        }
    }
}

/// The status line's code and the JSON body of an HTTP answer.
pub fn status_and_body(answer: &str) -> (u16, Value) {
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The headers a [`Request`] sends (besides Content-Length and Connection), lower-case.
pub const DEFAULT_SIGNED: [&str; 4] = ["content-type", "host", "x-amz-date", "x-amz-target"];

/// A KMS request signed with SigV4 by this module (not by Coffer's code).
pub struct Request<'a> {
    pub host: &'a str,
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub operation: &'a str,
    pub body: &'a str,
    /// The names put in `SignedHeaders` (a name not sent is still listed).
    pub signed: Vec<&'a str>,
    /// More headers sent (lower-case names), signed if listed in `signed`.
    pub extra: Vec<(&'a str, &'a str)>,
    /// Whether the connection is kept open after the answer.
    pub keep_alive: bool,
}

impl<'a> Request<'a> {
    pub fn new(host: &'a str, access_key_id: &'a str, secret: &'a str, operation: &'a str, body: &'a str) -> Self {
        Self {
            host,
            access_key_id,
            secret,
            region: "us-east-1",
            operation,
            body,
            signed: DEFAULT_SIGNED.to_vec(),
            extra: Vec::new(),
            keep_alive: false,
        }
    }

    /// The request's bytes, signed now.
    pub fn bytes(&self) -> Vec<u8> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let amz_date = amz_date(now);
        let date = &amz_date[..8];
        let target = format!("TrentService.{}", self.operation);
        let mut headers: Vec<(&str, &str)> = vec![
            ("content-type", "application/x-amz-json-1.1"),
            ("host", self.host),
            ("x-amz-date", &amz_date),
            ("x-amz-target", &target),
        ];
        headers.extend(self.extra.iter().copied());

        let mut signed = self.signed.clone();
        signed.sort_unstable();
        let mut canonical_headers = String::new();
        for name in &signed {
            let values: Vec<&str> = headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.trim()).collect();
            canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
        }
        let signed_list = signed.join(";");
        let canonical_request =
            format!("POST\n/\n\n{canonical_headers}\n{signed_list}\n{}", hex(&Sha256::digest(self.body.as_bytes())));
        let scope = format!("{date}/{}/kms/aws4_request", self.region);
        let string_to_sign =
            format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical_request.as_bytes())));
        let mut key = hmac(format!("AWS4{}", self.secret).as_bytes(), date.as_bytes());
        for part in [self.region, "kms", "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, string_to_sign.as_bytes()));

        let mut out = String::from("POST / HTTP/1.1\r\n");
        for (name, value) in &headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "authorization: AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_list}, Signature={signature}\r\n",
            self.access_key_id
        ));
        if !self.keep_alive {
            out.push_str("connection: close\r\n");
        }
        out.push_str(&format!("content-length: {}\r\n\r\n{}", self.body.len(), self.body));
        out.into_bytes()
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `YYYYMMDDTHHMMSSZ` of seconds since the epoch (civil calendar from days, H. Hinnant).
pub fn amz_date(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap();
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}
