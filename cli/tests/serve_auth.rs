//! `coffer serve`'s signature rules end to end, with requests signed by the test's own SigV4
//! signer (`serve_support`): a header the signature must cover (`host`, `x-amz-date`,
//! `x-amz-target`) left out of `SignedHeaders`, with a signature that is otherwise right, is
//! refused; so is a session token, signed or not.

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

use serve_support::{DEFAULT_SIGNED, Request, Server, raw, status_and_body, store_with_access_key};

/// The answer's status, `__type` and message for `request` sent to a fresh server.
fn send(server: &Server, request: &Request<'_>) -> (u16, String, String) {
    let answer = raw(&server.addr, &request.bytes());
    let (status, body) = status_and_body(&answer);
    (status, body["__type"].as_str().unwrap_or("").to_owned(), body["message"].as_str().unwrap_or("").to_owned())
}

/// A ListKeys request signed over every default header but `left_out` is refused with
/// IncompleteSignatureException naming it; signed over all of them, the same request is
/// served (so the signature is right, and only the rule refuses it).
fn unsigned_header_is_refused(left_out: &str) {
    let (store, id, secret) = store_with_access_key();
    let server = Server::start(&store);
    let full = Request::new(&server.addr, &id, &secret, "ListKeys", "{}");
    let (status, code, message) = send(&server, &full);
    assert_eq!((status, code.as_str()), (200, ""), "{message}");

    let mut partial = Request::new(&server.addr, &id, &secret, "ListKeys", "{}");
    partial.signed = DEFAULT_SIGNED.iter().copied().filter(|h| *h != left_out).collect();
    let (status, code, message) = send(&server, &partial);
    assert_eq!((status, code.as_str()), (400, "IncompleteSignatureException"), "{left_out}: {message}");
    assert!(message.contains(left_out), "{message}");
}

#[test]
fn host_must_be_signed() {
    unsigned_header_is_refused("host");
}

#[test]
fn x_amz_date_must_be_signed() {
    unsigned_header_is_refused("x-amz-date");
}

#[test]
fn x_amz_target_must_be_signed() {
    unsigned_header_is_refused("x-amz-target");
}

/// `X-Amz-Security-Token` is refused with UnrecognizedClientException, signed or not, and as
/// a query parameter; the same request without it is served.
#[test]
fn session_tokens_are_refused() {
    let (store, id, secret) = store_with_access_key();
    let server = Server::start(&store);
    let token = "FwoGZXIvYXdzEJr//////////wEaDM1example";
    for signed in [true, false] {
        let mut request = Request::new(&server.addr, &id, &secret, "ListKeys", "{}");
        request.extra.push(("x-amz-security-token", token));
        if signed {
            request.signed.push("x-amz-security-token");
        }
        let (status, code, message) = send(&server, &request);
        assert_eq!((status, code.as_str()), (400, "UnrecognizedClientException"), "signed {signed}: {message}");
        assert!(message.contains("session tokens"), "{message}");
    }
    let request = Request::new(&server.addr, &id, &secret, "ListKeys", "{}");
    let bytes = String::from_utf8(request.bytes()).unwrap();
    let with_query = bytes.replacen("POST / ", "POST /?X-Amz-Security-Token=abc ", 1);
    let (status, body) = status_and_body(&raw(&server.addr, with_query.as_bytes()));
    assert_eq!((status, body["__type"].as_str()), (400, Some("UnrecognizedClientException")), "{body}");
    let (status, code, message) = send(&server, &request);
    assert_eq!((status, code.as_str()), (200, ""), "{message}");
}
