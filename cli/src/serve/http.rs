//! The HTTP side: AWS JSON 1.1 over HTTP/1.1 (hyper on tokio), optionally inside TLS. `POST /` with
//! `X-Amz-Target: TrentService.<Operation>` and a JSON body of at most [`MAX_BODY`] bytes;
//! the answer is JSON with the status AWS uses, and errors are `{"__type", "message"}`.
//!
//! Each request is checked here as far as no secret is needed (method, size, signature
//! headers, canonical request), then handed to a façade lane (`engine`, through `queue`), which checks the
//! signature and runs the operation. Shutdown (SIGTERM or SIGINT) stops accepting
//! connections, lets the requests in flight finish (keep-alive connections are closed once
//! idle), and returns.
//!
//! Slow clients are bounded ([`Limits`]): each request has a deadline (`deadline`) and each
//! peer a cap on its connections (`peers`) below the server's total.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Buf;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio_rustls::TlsAcceptor;
use zeroize::{Zeroize as _, Zeroizing};

use super::deadline::{Deadline, DeadlineIo, RestartOnDrop};
use super::engine::Call;
use super::peers::Peers;
use super::queue::{CallQueue, Refused};
use super::sigv4;
use crate::api::ApiError;

/// The largest request body accepted: 64 KiB (an Encrypt of 4096 bytes is under 6 KiB).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// The JSON 1.1 content type.
const JSON_11: &str = "application/x-amz-json-1.1";
/// The target prefix of AWS KMS operations.
const TARGET_PREFIX: &str = "TrentService.";

/// A response body that zeroizes itself when dropped (it may hold plaintext or a data key).
/// Dropped once the HTTP layer has taken it to write, which starts the next request's deadline.
#[derive(Debug)]
pub(crate) struct SecretBody {
    bytes: Zeroizing<Vec<u8>>,
    pos: usize,
    _written: RestartOnDrop,
}

impl Buf for SecretBody {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn chunk(&self) -> &[u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    fn advance(&mut self, cnt: usize) {
        self.pos = self.pos.saturating_add(cnt).min(self.bytes.len());
    }
}

type Answer = Response<Full<SecretBody>>;

/// Counters reported at shutdown.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) requests: AtomicU64,
    pub(crate) errors: AtomicU64,
}

fn respond(status: u16, body: Zeroizing<Vec<u8>>, deadline: &Arc<Deadline>) -> Answer {
    let len = body.len();
    let written = RestartOnDrop(Arc::clone(deadline));
    let mut response = Response::new(Full::new(SecretBody { bytes: body, pos: 0, _written: written }));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_11));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

fn error_response(e: &ApiError, deadline: &Arc<Deadline>) -> Answer {
    respond(e.status, Zeroizing::new(e.body().into_bytes()), deadline)
}

/// The bounds on connections and on the time a client may take over a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The request deadline (`deadline`).
    pub(crate) request_timeout: Duration,
    /// Connections served at once; more wait in the listen queue.
    pub(crate) max_connections: usize,
    /// Connections one peer may hold at once; more from it are closed at once.
    pub(crate) max_per_peer: usize,
}

/// Serves connections from `listener` until `shutdown` resolves, then drains.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    calls: Arc<CallQueue>,
    stats: Arc<Stats>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let peers = Peers::new(limits.max_per_peer);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    eprintln!("coffer serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(peer_slot) = peers.admit(peer.ip()) else {
            // Plain text on a TLS port would be garbage to the client: it is only closed.
            if tls.is_none() {
                refuse_busy(&stream);
            }
            continue;
        };
        // From here on, the client's time is bounded: TLS handshake, headers, body, answer.
        let deadline = Deadline::start(limits.request_timeout);
        let stream = DeadlineIo::new(stream, Arc::clone(&deadline));
        let calls = Arc::clone(&calls);
        let stats = Arc::clone(&stats);
        let service = service_fn(move |req| {
            let calls = Arc::clone(&calls);
            let stats = Arc::clone(&stats);
            let deadline = Arc::clone(&deadline);
            async move { Ok::<_, Infallible>(handle(req, &calls, &stats, &deadline).await) }
        });
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(limits.request_timeout);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // A connection error (client gone or too slow, malformed HTTP, failed handshake)
            // concerns that client only.
            match tls {
                None => {
                    let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
                }
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
                    }
                }
            }
            drop(peer_slot);
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {
            eprintln!("coffer serve: some connections were still open after {DRAIN_TIMEOUT:?}; closing");
        }
    }
}

/// Tells a peer over its cap why it is closed, if its socket takes the answer at once (it is
/// never waited for), and closes the connection.
fn refuse_busy(stream: &tokio::net::TcpStream) {
    let body = ApiError {
        status: 503,
        code: "ThrottlingException",
        message: "too many connections from this address; retry once some are closed".into(),
        detail: None,
    }
    .body();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: {JSON_11}\r\nContent-Length: {}\r\nConnection: \
         close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(answer.as_bytes());
}

async fn handle(req: Request<Incoming>, calls: &CallQueue, stats: &Stats, deadline: &Arc<Deadline>) -> Answer {
    stats.requests.fetch_add(1, Ordering::Relaxed);
    match answer(req, calls, deadline).await {
        // The zeroizing string's buffer becomes the body's, uncopied.
        Ok(mut body) => respond(200, Zeroizing::new(std::mem::take(&mut *body).into_bytes()), deadline),
        Err(e) => {
            stats.errors.fetch_add(1, Ordering::Relaxed);
            if e.status >= 500 {
                eprintln!("coffer serve: {}: {}", e.code, e.log_text());
            }
            error_response(&e, deadline)
        }
    }
}

async fn answer(
    req: Request<Incoming>,
    calls: &CallQueue,
    deadline: &Arc<Deadline>,
) -> Result<Zeroizing<String>, ApiError> {
    let (parts, body) = req.into_parts();
    if parts.method != hyper::Method::POST {
        return Err(ApiError {
            status: 405,
            code: "MethodNotAllowedException",
            message: "only POST / is served".into(),
            detail: None,
        });
    }
    let too_large = || ApiError {
        status: 413,
        code: "RequestEntityTooLargeException",
        message: format!("the request body is larger than {MAX_BODY} bytes"),
        detail: None,
    };
    if let Some(len) =
        parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
        && len > u64::try_from(MAX_BODY).unwrap_or(u64::MAX)
    {
        return Err(too_large());
    }
    let collected = Limited::new(body, MAX_BODY).collect().await.map_err(|e| {
        if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            too_large()
        } else {
            ApiError::client("SerializationException", "the request body could not be read")
        }
    })?;
    // The body may hold a plaintext: copied into a zeroizing buffer, the original cleared
    // (when hyper's buffer is ours alone).
    let raw = collected.to_bytes();
    let body = Zeroizing::new(raw.to_vec());
    if let Ok(mut owned) = raw.try_into_mut() {
        owned.as_mut().zeroize();
    }

    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str().to_owned(), v.to_owned())))
        .collect();
    refuse_session_token(&parts.headers, parts.uri.query().unwrap_or(""))?;
    let Some(authorization) = headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.clone()) else {
        return Err(ApiError::client("MissingAuthenticationTokenException", "Missing Authentication Token"));
    };
    let auth = sigv4::parse_authorization(&authorization)?;
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let signed = sigv4::prepare(auth, parts.method.as_str(), path, query, &headers, &body)?;

    let request = match headers.iter().find(|(n, _)| n == "x-amz-target").map(|(_, v)| v.as_str()) {
        Some(target) => match target.strip_prefix(TARGET_PREFIX) {
            Some(op) if path == "/" => crate::api::Request::decode(op, &body),
            Some(_) => Err(ApiError::client("UnknownOperationException", "only POST / is served")),
            None => Err(ApiError::client("UnknownOperationException", format!("unknown target {target:?}"))),
        },
        None => Err(ApiError::client("UnknownOperationException", "X-Amz-Target is missing")),
    };
    drop(body);
    // The wait for the lane is the server's time, not the client's.
    let _paused = deadline.pause();
    let (reply, answer) = oneshot::channel();
    calls.try_push(Call { signed, request, reply }).map_err(|refused| match refused {
        Refused::Full => throttled(),
        Refused::Closed => ApiError::internal("the server is shutting down"),
    })?;
    answer.await.map_err(|_| ApiError::internal("the request was not answered"))?
}

/// The answer when the lanes' queue is full: status 400 and `ThrottlingException`, as AWS KMS
/// answers a request over its quota (the SDKs retry it with back-off).
fn throttled() -> ApiError {
    ApiError::client("ThrottlingException", "Rate exceeded: every façade lane is busy and the request queue is full")
}

/// Refuses a request that carries a session token (`X-Amz-Security-Token`, as a header or a
/// query parameter): Coffer has no temporary credentials, and a token it ignored would make
/// such a request pass on its access key alone, whatever the token's scope or expiry.
fn refuse_session_token(headers: &hyper::HeaderMap, query: &str) -> Result<(), ApiError> {
    const TOKEN: &str = "x-amz-security-token";
    // Present at all counts, whatever its value (even one that is not valid text).
    let in_query = query.split('&').any(|p| p.split('=').next().is_some_and(|k| k.eq_ignore_ascii_case(TOKEN)));
    if in_query || headers.contains_key(TOKEN) {
        return Err(ApiError::client(
            "UnrecognizedClientException",
            "The security token included in the request is invalid: session tokens are not supported by Coffer \
             (X-Amz-Security-Token); sign requests with an access key of `coffer access-key create` alone",
        ));
    }
    Ok(())
}
