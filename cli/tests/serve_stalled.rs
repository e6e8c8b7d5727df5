//! `coffer serve` under 300 stalled connections (issue 16): clients from other loopback
//! addresses (127.0.0.2 and up, as other hosts would be) each send the headers of a request
//! and one byte of its body, then nothing. A signed request from 127.0.0.1 is still answered
//! within a second, the stalled ones are cut at the request deadline, and one peer alone
//! cannot hold more than its cap, however many connections it opens.
//!
//! The server's options make the numbers add up: 300 stalled connections need a total above
//! 300 to leave room for anyone else (the default total, 256, does not: see cli/README.md),
//! and no more than the per-peer cap (64 by default) from each address.

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

use std::io::Read as _;
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

use serve_support::{Request, Server, closed, connect_from, cut_at, raw_from, status_and_body, store_with_access_key};

/// The client whose signed requests must be answered.
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
/// The per-peer cap the tests give the server (the default).
const PER_PEER: usize = 64;
/// Stalled connections from each of the stalling peers, under the cap.
const STALLED_PER_PEER: usize = 60;
/// The stalling peers: 127.0.0.2 to 127.0.0.6, 300 connections in all.
const STALLING_PEERS: [u8; 5] = [2, 3, 4, 5, 6];
/// The total the first test gives the server: the 300 stalled, and room for 20 more.
const TOTAL: usize = 320;
/// How soon a signed request must be answered while the others stall.
const ANSWERED_WITHIN: Duration = Duration::from_secs(1);
/// The request deadline of the first test.
const DEADLINE: Duration = Duration::from_secs(6);
/// How much earlier than the deadline a cut may be seen (clocks, scheduling).
const EARLY: Duration = Duration::from_millis(500);
/// How long a test waits for a connection to be closed before it calls it held.
const PATIENCE: Duration = Duration::from_secs(20);

fn peer(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A stalled request from `source`, and when its headers were sent.
fn stall(source: IpAddr, addr: &str) -> (TcpStream, Instant) {
    (serve_support::stall(source, addr), Instant::now())
}

/// A signed Encrypt of 32 bytes from [`CLIENT`] on a connection of its own: the answer's
/// status, and how long it took from the connection's start to the answer's last byte.
fn encrypt(server: &Server, id: &str, secret: &str, key: &str) -> (u16, Duration) {
    let body = format!(r#"{{"KeyId":"{key}","Plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}}"#);
    let request = Request::new(&server.addr, id, secret, "Encrypt", &body).bytes();
    let started = Instant::now();
    let answer = raw_from(CLIENT, &server.addr, &request);
    let took = started.elapsed();
    let (status, json) = status_and_body(&answer);
    if status == 200 {
        assert!(json["CiphertextBlob"].is_string(), "{answer}");
    }
    (status, took)
}

#[test]
fn a_signed_request_is_answered_within_a_second_while_300_connections_stall() {
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("stalled");
    let server = Server::start_with(
        &store,
        &[
            "--bind",
            "127.0.0.1:0",
            "--request-timeout",
            &DEADLINE.as_secs().to_string(),
            "--max-connections",
            &TOTAL.to_string(),
            "--max-connections-per-peer",
            &PER_PEER.to_string(),
        ],
    );
    let stalled: Vec<(TcpStream, Instant)> = STALLING_PEERS
        .iter()
        .flat_map(|&last| std::iter::repeat_n(peer(last), STALLED_PER_PEER))
        .map(|source| stall(source, &server.addr))
        .collect();
    assert_eq!(stalled.len(), 300);
    let all_sent = Instant::now();

    // The server accepts in order: the client's connection comes after the 300, so its answer
    // also shows that they were accepted, and are held (checked below), not waiting unseen.
    for _ in 0..5 {
        let (status, took) = encrypt(&server, &id, &secret, &key);
        assert_eq!(status, 200);
        assert!(took < ANSWERED_WITHIN, "answered in {took:?} while 300 connections stall");
    }
    assert!(all_sent.elapsed() < DEADLINE - EARLY, "too slow to tell held connections from cut ones");
    let held = stalled.iter().filter(|(s, _)| !closed(s)).count();
    assert_eq!(held, 300, "the stalled connections were not all held by the server");

    // Each is cut at the deadline, not before, and the server still answers afterwards.
    for (s, sent) in &stalled {
        let at = cut_at(s, PATIENCE).expect("a stalled request was never cut");
        assert!(at.duration_since(*sent) >= DEADLINE - EARLY, "cut before the deadline: {:?}", at - *sent);
    }
    let (status, took) = encrypt(&server, &id, &secret, &key);
    assert_eq!(status, 200);
    assert!(took < ANSWERED_WITHIN, "answered in {took:?} after the stalled connections were cut");
    let (code, _) = server.stop();
    assert_eq!(code, 0);
}

/// One address opening as many connections as the server's total holds its cap and no more:
/// the rest are closed at once, and another client is answered within a second.
#[test]
fn one_peer_holds_its_cap_and_no_more() {
    const TOTAL_HERE: usize = 2 * PER_PEER;
    let attacker = peer(7);
    let (store, id, secret) = store_with_access_key();
    let key = store.create_key("one peer");
    let server = Server::start_with(
        &store,
        &[
            "--bind",
            "127.0.0.1:0",
            "--max-connections",
            &TOTAL_HERE.to_string(),
            "--max-connections-per-peer",
            &PER_PEER.to_string(),
        ],
    );
    let opened: Vec<TcpStream> = (0..TOTAL_HERE).map(|_| stall(attacker, &server.addr).0).collect();

    // The answer to the client's request shows the server has seen every one of them (it
    // accepts in order); the refused ones are closed at once, the others held.
    let (status, took) = encrypt(&server, &id, &secret, &key);
    assert_eq!(status, 200);
    assert!(took < ANSWERED_WITHIN, "answered in {took:?} while one peer holds its cap");
    let (refused, held): (Vec<_>, Vec<_>) = opened.into_iter().partition(closed);
    assert_eq!((held.len(), refused.len()), (PER_PEER, TOTAL_HERE - PER_PEER), "the peer holds its cap, no more");

    // The peer's next connection is refused, with a reason, while the others are served. (It
    // sends nothing: a request the server never read would turn its close into a reset that
    // may discard the reason before it is read.)
    let mut again = connect_from(attacker, &server.addr);
    let (status, took) = encrypt(&server, &id, &secret, &key);
    assert_eq!(status, 200);
    assert!(took < ANSWERED_WITHIN, "answered in {took:?} while one peer holds its cap");
    again.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut answer = Vec::new();
    let _ = again.read_to_end(&mut answer);
    let (status, json) = status_and_body(&String::from_utf8_lossy(&answer));
    assert_eq!((status, json["__type"].as_str()), (503, Some("ThrottlingException")), "{answer:?}");
    assert!(held.iter().all(|s| !closed(s)), "the peer's held connections were closed");
}
