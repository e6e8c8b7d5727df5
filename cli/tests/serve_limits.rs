//! Slow clients against `coffer serve`: stalled requests (headers and one body byte, then
//! silence) are cut at the request deadline, TLS handshakes included; one peer cannot hold
//! more connections than its cap; other peers are served meanwhile.
//!
//! Peers are loopback addresses: on Linux the whole 127.0.0.0/8 is local, so a test can
//! connect from 127.0.0.2 as another client would from another host.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod common;
mod serve_support;

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serve_support::{
    Request, STALLED, Server, closed, connect_from, cut_at, raw_from, stall, status_and_body, store_with_access_key,
};

const PEER_1: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const PEER_2: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const PEER_3: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

/// The request deadline the tests give the server.
const DEADLINE: Duration = Duration::from_secs(4);
/// How much earlier than the deadline a cut may be seen (clocks, scheduling).
const EARLY: Duration = Duration::from_millis(500);
/// How long a test waits for a cut before it calls the connection uncut.
const PATIENCE: Duration = Duration::from_secs(15);

fn start(store: &common::Store, extra: &[&str]) -> Server {
    let secs = DEADLINE.as_secs().to_string();
    Server::start_with(store, &[&["--bind", "127.0.0.1:0", "--request-timeout", &secs], extra].concat())
}

/// A signed ListKeys from `source`: its status.
fn list_keys_from(source: IpAddr, server: &Server, id: &str, secret: &str) -> u16 {
    let request = Request::new(&server.addr, id, secret, "ListKeys", "{}");
    let answer = raw_from(source, &server.addr, &request.bytes());
    status_and_body(&answer).0
}

#[test]
fn a_peer_is_capped_and_its_stalled_requests_are_cut_at_the_deadline() {
    let (store, id, secret) = store_with_access_key();
    let server = start(&store, &["--max-connections", "16", "--max-connections-per-peer", "4"]);
    let started = Instant::now();
    let stalled: Vec<TcpStream> = (0..10).map(|_| stall(PEER_1, &server.addr)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let (refused, held): (Vec<_>, Vec<_>) = stalled.into_iter().partition(closed);
    assert_eq!((held.len(), refused.len()), (4, 6), "the peer holds its cap, no more");

    // Another peer is served while they stall (they are still open after its answer).
    assert_eq!(list_keys_from(PEER_2, &server, &id, &secret), 200);
    assert!(held.iter().all(|s| !closed(s)), "the stalled requests were cut before another peer was served");

    for s in &held {
        let at = cut_at(s, PATIENCE).expect("a stalled request was never cut");
        assert!(at.duration_since(started) >= DEADLINE - EARLY, "cut before the deadline: {:?}", at - started);
    }
    // Their slots are back: the peer is served again.
    assert_eq!(list_keys_from(PEER_1, &server, &id, &secret), 200);
    let (code, _) = server.stop();
    assert_eq!(code, 0);
}

/// With every connection slot held by stalled peers, a new connection waits (it is not
/// refused) and is served once the deadline frees a slot.
#[test]
fn the_total_is_capped_and_waiting_peers_are_served_after_the_deadline() {
    let (store, id, secret) = store_with_access_key();
    let server = start(&store, &["--max-connections", "4", "--max-connections-per-peer", "2"]);
    let started = Instant::now();
    let stalled: Vec<TcpStream> =
        [PEER_1, PEER_1, PEER_3, PEER_3].into_iter().map(|peer| stall(peer, &server.addr)).collect();
    std::thread::sleep(Duration::from_millis(500));
    assert!(stalled.iter().all(|s| !closed(s)));
    assert_eq!(list_keys_from(PEER_2, &server, &id, &secret), 200);
    assert!(started.elapsed() >= DEADLINE - EARLY, "served before a slot was free: {:?}", started.elapsed());
    assert!(stalled.iter().all(closed));
}

/// One answer read off a keep-alive connection: its status.
fn read_answer(s: &mut TcpStream) -> u16 {
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "closed before the answer's headers: {head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
        .unwrap();
    let mut body = vec![0u8; length];
    s.read_exact(&mut body).unwrap();
    status_and_body(&head).0
}

/// The deadline is per request, not per connection: a keep-alive connection serves requests
/// for longer than the deadline as long as each is quick, and is closed once idle that long.
#[test]
fn each_request_on_a_keep_alive_connection_has_its_own_deadline() {
    let (store, id, secret) = store_with_access_key();
    let server = start(&store, &[]);
    let mut s = connect_from(PEER_1, &server.addr);
    let started = Instant::now();
    for _ in 0..3 {
        let mut request = Request::new(&server.addr, &id, &secret, "ListKeys", "{}");
        request.keep_alive = true;
        s.write_all(&request.bytes()).unwrap();
        assert_eq!(read_answer(&mut s), 200);
        std::thread::sleep(DEADLINE * 5 / 8);
    }
    assert!(started.elapsed() > DEADLINE + EARLY);
    let idle = Instant::now();
    let at = cut_at(&s, PATIENCE).expect("an idle keep-alive connection was never closed");
    assert!(at.duration_since(idle) >= DEADLINE * 3 / 8 - EARLY, "closed early: {:?}", at - idle);
}

#[test]
fn more_per_peer_than_in_total_is_refused() {
    let store = common::Store::new();
    let run =
        store.run(&["serve", "--bind", "127.0.0.1:0", "--max-connections", "4", "--max-connections-per-peer", "5"]);
    let err = run.failed("ValidationException", 3);
    assert!(err.contains("--max-connections-per-peer"), "{err}");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls").join(name)
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(fixture("cert.pem")).unwrap()).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Over HTTPS: a handshake never begun, one left half-way, and a request stalled after the
/// handshake are all cut at the deadline, while a signed request over TLS is served.
#[test]
fn tls_handshakes_and_requests_are_cut_at_the_deadline() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let (store, id, secret) = store_with_access_key();
    let cert = fixture("cert.pem");
    let key = fixture("key.pem");
    let server = start(&store, &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    assert!(server.endpoint.starts_with("https://"), "{}", server.endpoint);
    let started = Instant::now();
    let silent = connect_from(PEER_1, &server.addr);
    let mut half = connect_from(PEER_1, &server.addr);
    // A TLS record header announcing a ClientHello of 512 bytes, and 4 of them.
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]).unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let connect = || {
        let (addr, name) = (server.addr.clone(), name.clone());
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tls_connector().connect(name, tcp).await.unwrap()
        }
    };
    // Served over TLS while the others stall (they are still open after its answer).
    let served = runtime.block_on(async {
        let mut tls = connect().await;
        tls.write_all(&Request::new(&server.addr, &id, &secret, "ListKeys", "{}").bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(PATIENCE, tls.read_to_end(&mut answer)).await;
        status_and_body(&String::from_utf8_lossy(&answer)).0
    });
    assert!(!closed(&silent) && !closed(&half), "a handshake was cut before another client was served");
    let cut = runtime.block_on(async {
        let mut stalled = connect().await;
        stalled.write_all(STALLED).await.unwrap();
        let mut rest = Vec::new();
        tokio::time::timeout(PATIENCE, stalled.read_to_end(&mut rest)).await.ok().map(|_| Instant::now())
    });
    assert_eq!(served, 200);
    for (what, at) in [
        ("TLS request", cut),
        ("silent handshake", cut_at(&silent, PATIENCE)),
        ("half handshake", cut_at(&half, PATIENCE)),
    ] {
        let at = at.unwrap_or_else(|| panic!("the {what} was never cut"));
        assert!(at.duration_since(started) >= DEADLINE - EARLY, "{what} cut early: {:?}", at - started);
    }
}
