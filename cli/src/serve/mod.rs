//! `coffer serve`: the AWS KMS JSON API on a local port, so the AWS CLI and SDKs work against
//! the keys of a Coffer store with no change but the endpoint; and `coffer access-key`, the
//! credentials their requests are signed with (SigV4).
//!
//! A front end of the operation table (`crate::api`): request bodies are decoded into the
//! table's request types and its responses written as JSON there; nothing here goes through
//! the command line's types.
//!
//! - `args`: the command-line arguments.
//! - `http`: HTTP/1.1 on tokio (hyper), body bounds, graceful shutdown.
//! - `deadline`: the time a client may take over a request, enforced on its connection.
//! - `peers`: connections counted per peer, against a cap.
//! - `sigv4`: the signature check.
//! - `signing_keys`: SigV4 signing keys kept per access key and day.
//! - `access_keys`: access keys, their secrets sealed in the store under the root.
//! - `audit_writer`: group commit of the audit events, before the answers leave.
//! - `engine`: a façade lane, a thread that owns an HSM instance and runs the operation table
//!   (`crate::api`) on the façade under the store's lock; several run at once.
//! - `queue`: the bounded queue of calls the lanes take from.
//! - `tls`: HTTPS (rustls), required off loopback.

mod access_keys;
mod args;
mod audit_writer;
mod deadline;
mod engine;
mod http;
mod peers;
mod queue;
mod signing_keys;
mod sigv4;
mod tls;

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coffer_core::hsm::Hsm;

pub(crate) use self::args::{AccessKeyCommand, ServeArgs};
use crate::audit::EventLog;
use crate::config::StoreConfig;
use crate::error::{Class, CliError};
use crate::output::{Obj, Val};
use crate::session::{Session, WithHsm, WithHsms};
use crate::store::DirStore;

/// `coffer access-key ...`.
///
/// # Errors
/// Store and HSM failures; NotFoundException to revoke an unknown access key.
pub(crate) fn access_key(root: &Path, command: &AccessKeyCommand) -> Result<Obj, CliError> {
    match command {
        // The HSM is unlocked (and config.json checked) before the store is locked, as for
        // every command.
        AccessKeyCommand::Create => Session::open(root)?.unlock(CreateAccessKey),
        AccessKeyCommand::Revoke { access_key_id } => {
            // Revoking needs no passphrase (as `audit` does not): it must be quick in an emergency.
            // No store there (or one others can write) is said as for every command.
            StoreConfig::load(root)?;
            let store = lock(root)?;
            let result = access_keys::revoke(root, access_key_id);
            // The id is recorded only if it has the shape of one (it is the caller's text).
            let id = access_keys::valid_id(access_key_id).then_some(access_key_id.as_str());
            audit_access_key(&store, "DeleteAccessKey", id, result.as_ref().map(|_| ()).map_err(|e| e.class.name()));
            drop(store);
            result.map(|()| Obj::new())
        }
        AccessKeyCommand::List => {
            StoreConfig::load(root)?;
            // Listing takes no lock: records are only ever created whole (linked into place).
            let keys = access_keys::list(root)?
                .into_iter()
                .map(|(id, created)| {
                    Obj::new()
                        .str("AccessKeyId", id)
                        .str("Status", "Active")
                        .str("CreateDate", crate::time::iso(created))
                })
                .collect();
            Ok(Obj::new().with("AccessKeyMetadata", Val::List(keys)))
        }
    }
}

fn lock(root: &Path) -> Result<DirStore, CliError> {
    DirStore::open(root).map_err(|e| CliError::store(&e))
}

/// Appends an access key's event to the audit log (the store is locked), dated by the
/// commands' clock as every event is.
fn audit_access_key(store: &DirStore, operation: &'static str, id: Option<&str>, outcome: Result<(), &'static str>) {
    let time = crate::time::CliClock::from_env().ok().and_then(|c| coffer_core::Clock::now(&c).ok());
    let mut log = EventLog::default();
    log.record_access_key(time.unwrap_or_else(now), operation, id, outcome);
    if let Err(e) = log.append_to(store.root()) {
        eprintln!("warning: the audit event of this command was not recorded: {e}");
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `coffer access-key create`, once the session is unlocked.
#[derive(Debug)]
struct CreateAccessKey;

impl WithHsm for CreateAccessKey {
    type Output = Obj;

    fn run<H: Hsm>(self, mut hsm: H, session: &Session) -> Result<Obj, CliError> {
        let store = lock(&session.root)?;
        let now = coffer_core::Clock::now(&session.clock).unwrap_or_else(|_| now());
        let result = access_keys::create(&mut hsm, &session.root, now);
        let id = result.as_ref().ok().map(|key| key.access_key_id.as_str());
        audit_access_key(&store, "CreateAccessKey", id, result.as_ref().map(|_| ()).map_err(|e| e.class.name()));
        drop(store);
        let key = result?;
        Ok(Obj::new().with(
            "AccessKey",
            Val::Obj(
                Obj::new()
                    .str("AccessKeyId", key.access_key_id.clone())
                    .str("Status", "Active")
                    .with("SecretAccessKey", Val::Secret(key.secret_access_key))
                    .str("CreateDate", crate::time::iso(key.creation_date)),
            ),
        ))
    }
}

/// `coffer serve`: unlocks the store's HSM, listens, serves until SIGTERM or SIGINT, drains.
///
/// # Errors
/// A non-loopback address without TLS; unreadable TLS files; the address in use; store and HSM
/// failures.
pub(crate) fn serve(root: &Path, args: &ServeArgs) -> Result<Obj, CliError> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    if tls.is_none() && !args.bind.ip().is_loopback() {
        return Err(CliError::validation(format!(
            "{} is not a loopback address: requests and answers (plaintexts, data keys) would cross the network \
             in clear; give --tls-cert and --tls-key, or bind 127.0.0.1 or ::1",
            args.bind
        )));
    }
    if args.max_connections_per_peer > args.max_connections {
        return Err(CliError::validation(format!(
            "--max-connections-per-peer {} is above --max-connections {}: one peer could take every connection",
            args.max_connections_per_peer, args.max_connections
        )));
    }
    let limits = http::Limits {
        request_timeout: Duration::from_secs(args.request_timeout),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        max_per_peer: usize::try_from(args.max_connections_per_peer).unwrap_or(usize::MAX),
    };
    let lanes = match args.lanes {
        Some(n) => usize::try_from(n).unwrap_or(1),
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    };
    // A clock the commands would refuse is refused at start too (each request checks it again).
    let session = Session::open(root)?;
    // The HSM is unlocked (one instance per lane) and config.json's MAC checked, as for every
    // command, before anything listens.
    let queue_depth = usize::try_from(args.queue_depth).unwrap_or(usize::MAX);
    session.unlock_instances(lanes, Server { tls, limits, bind: args.bind, queue_depth })
}

/// The server, once its HSM instances are unlocked.
struct Server {
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: http::Limits,
    bind: std::net::SocketAddr,
    queue_depth: usize,
}

impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server").field("tls", &self.tls.is_some()).field("bind", &self.bind).finish_non_exhaustive()
    }
}

impl WithHsms for Server {
    type Output = Obj;

    fn run<H: Hsm + Send + 'static>(self, hsms: Vec<H>, session: &Session) -> Result<Obj, CliError> {
        let Self { tls, limits, bind, queue_depth } = self;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (audit, pending) = std::sync::mpsc::channel();
        let audit_root = session.root.clone();
        let audit_thread = std::thread::Builder::new()
            .name("coffer-audit".into())
            .spawn(move || audit_writer::run(&audit_root, &pending))
            .map_err(|e| CliError::new(Class::Internal, format!("cannot start the audit writer: {e}")))?;
        let lane = engine::Lane {
            root: session.root.clone(),
            arn: session.config.arn_prefix()?,
            region: session.config.arn.region.clone(),
            signing_keys: Arc::new(signing_keys::SigningKeys::default()),
            audit,
        };
        let region = lane.region.clone();
        let calls = Arc::new(queue::CallQueue::new(queue_depth));
        let lane_count = hsms.len();
        let mut lane_threads = Vec::with_capacity(lane_count);
        let mut lanes = Vec::with_capacity(lane_count);
        lanes.resize_with(lane_count, || lane.clone());
        // The last sender of the audit writer's queue is a lane's: once the lanes end, so does it.
        drop(lane);
        let mut failed = None;
        for (n, (hsm, lane)) in hsms.into_iter().zip(lanes).enumerate() {
            let queue = Arc::clone(&calls);
            match std::thread::Builder::new()
                .name(format!("coffer-lane-{n}"))
                .spawn(move || engine::run(hsm, &lane, &queue))
            {
                Ok(thread) => lane_threads.push(thread),
                Err(e) => {
                    failed = Some(CliError::new(Class::Internal, format!("cannot start a façade lane: {e}")));
                    break;
                }
            }
        }
        // (The lanes not started, and their senders to the audit writer, are dropped above.)
        let served = match failed {
            Some(e) => Err(e),
            None => run_network(bind, tls, limits, scheme, &region, lane_count, &calls),
        };
        // The connections are gone (answered, or dropped after the drain timeout): the lanes
        // finish what is queued and end.
        calls.close();
        for thread in lane_threads {
            let _ = thread.join();
        }
        // The lanes are gone, and with them the writer's queue: it writes what is left, answers,
        // and ends.
        let _ = audit_thread.join();
        let stats = served?;
        eprintln!("coffer serve: stopped");
        Ok(Obj::new()
            .num("Requests", stats.requests.load(Ordering::Relaxed))
            .num("Errors", stats.errors.load(Ordering::Relaxed)))
    }
}

/// Listens and serves until SIGTERM or SIGINT, then drains; the counters of what was served.
fn run_network(
    bind: std::net::SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: http::Limits,
    scheme: &str,
    region: &str,
    lanes: usize,
    calls: &Arc<queue::CallQueue>,
) -> Result<Arc<http::Stats>, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(Class::Internal, format!("cannot start the runtime: {e}")))?;
    let stats = Arc::new(http::Stats::default());
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| CliError::new(Class::Internal, format!("cannot listen on {bind}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::new(Class::Internal, format!("cannot listen on {bind}: {e}")))?;
        let line = serde_json::json!({ "Endpoint": format!("{scheme}://{addr}"), "Region": region }).to_string();
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
        drop(stdout);
        eprintln!(
            "coffer serve: listening on {scheme}://{addr} (region {region}, {lanes} lane{}); SIGTERM or Ctrl-C stops",
            if lanes == 1 { "" } else { "s" }
        );
        http::serve(listener, tls, limits, Arc::clone(calls), Arc::clone(&stats), shutdown_signal()).await;
        Ok::<(), CliError>(())
    });
    // Connections still open after the drain timeout are dropped here.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.map(|()| stats)
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            eprintln!("coffer serve: cannot watch for signals; stop it with SIGKILL");
            std::future::pending::<()>().await;
        }
    }
}
