//! The HTTP side: AWS JSON 1.1 over HTTP/1.1 (hyper on tokio), optionally inside TLS. `POST /` with
//! `X-Amz-Target: TrentService.<Operation>` and a JSON body of at most [`MAX_BODY`] bytes;
//! the answer is JSON with the status AWS uses, and errors are `{"__type", "message"}`.
//!
//! Each request is checked here as far as no secret is needed (method, size, signature
//! headers, canonical request), then handed to the façade lane (`engine`), which checks the
//! signature and runs the operation. Shutdown (SIGTERM or SIGINT) stops accepting
//! connections, lets the requests in flight finish (keep-alive connections are closed once
//! idle), and returns.

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
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_rustls::TlsAcceptor;
use zeroize::{Zeroize as _, Zeroizing};

use super::engine::Call;
use super::error::ApiError;
use super::{ops, sigv4};

/// The largest request body accepted: 64 KiB (an Encrypt of 4096 bytes is under 6 KiB).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// The most connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 256;
/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// The JSON 1.1 content type.
const JSON_11: &str = "application/x-amz-json-1.1";
/// The target prefix of AWS KMS operations.
const TARGET_PREFIX: &str = "TrentService.";

/// A response body that zeroizes itself when dropped (it may hold plaintext or a data key).
#[derive(Debug)]
pub(crate) struct SecretBody {
    bytes: Zeroizing<Vec<u8>>,
    pos: usize,
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

fn respond(status: u16, body: Zeroizing<Vec<u8>>) -> Answer {
    let len = body.len();
    let mut response = Response::new(Full::new(SecretBody { bytes: body, pos: 0 }));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_11));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

fn error_response(e: &ApiError) -> Answer {
    respond(e.status, Zeroizing::new(e.body().into_bytes()))
}

/// Serves connections from `listener` until `shutdown` resolves, then drains.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    calls: mpsc::Sender<Call>,
    stats: Arc<Stats>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, _peer) = tokio::select! {
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
        let calls = calls.clone();
        let stats = Arc::clone(&stats);
        let service = service_fn(move |req| {
            let calls = calls.clone();
            let stats = Arc::clone(&stats);
            async move { Ok::<_, Infallible>(handle(req, &calls, &stats).await) }
        });
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // A connection error (client gone, malformed HTTP, failed handshake) concerns that
            // client only.
            match tls {
                None => {
                    let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
                }
                Some(acceptor) => {
                    if let Ok(Ok(stream)) = tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await {
                        let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
                    }
                }
            }
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

async fn handle(req: Request<Incoming>, calls: &mpsc::Sender<Call>, stats: &Stats) -> Answer {
    stats.requests.fetch_add(1, Ordering::Relaxed);
    match answer(req, calls).await {
        // The zeroizing string's buffer becomes the body's, uncopied.
        Ok(mut body) => respond(200, Zeroizing::new(std::mem::take(&mut *body).into_bytes())),
        Err(e) => {
            stats.errors.fetch_add(1, Ordering::Relaxed);
            if e.status >= 500 {
                eprintln!("coffer serve: {}: {}", e.code, e.message);
            }
            error_response(&e)
        }
    }
}

async fn answer(req: Request<Incoming>, calls: &mpsc::Sender<Call>) -> Result<Zeroizing<String>, ApiError> {
    let (parts, body) = req.into_parts();
    if parts.method != hyper::Method::POST {
        return Err(ApiError {
            status: 405,
            code: "MethodNotAllowedException",
            message: "only POST / is served".into(),
        });
    }
    let too_large = || ApiError {
        status: 413,
        code: "RequestEntityTooLargeException",
        message: format!("the request body is larger than {MAX_BODY} bytes"),
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
    let Some(authorization) = headers.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.clone()) else {
        return Err(ApiError::client("MissingAuthenticationTokenException", "Missing Authentication Token"));
    };
    let auth = sigv4::parse_authorization(&authorization)?;
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let signed = sigv4::prepare(auth, parts.method.as_str(), path, query, &headers, &body)?;

    let command = match headers.iter().find(|(n, _)| n == "x-amz-target").map(|(_, v)| v.as_str()) {
        Some(target) => match target.strip_prefix(TARGET_PREFIX) {
            Some(op) if path == "/" => ops::parse(op, &body),
            Some(_) => Err(ApiError::client("UnknownOperationException", "only POST / is served")),
            None => Err(ApiError::client("UnknownOperationException", format!("unknown target {target:?}"))),
        },
        None => Err(ApiError::client("UnknownOperationException", "X-Amz-Target is missing")),
    };
    drop(body);
    let (reply, answer) = oneshot::channel();
    calls.send(Call { signed, command, reply }).await.map_err(|_| ApiError::internal("the server is shutting down"))?;
    answer.await.map_err(|_| ApiError::internal("the request was not answered"))?
}
