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
//! - `access_keys`: access keys, their secrets sealed in the store under the root.
//! - `engine`: the one thread that owns the HSM and runs the operation table (`crate::api`)
//!   on the façade under the store's lock.
//! - `tls`: HTTPS (rustls), required off loopback.

mod access_keys;
mod args;
mod deadline;
mod engine;
mod http;
mod peers;
mod sigv4;
mod tls;

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coffer_core::hsm::Hsm;
use tokio::sync::mpsc;

pub(crate) use self::args::{AccessKeyCommand, ServeArgs};
use crate::audit::EventLog;
use crate::config::StoreConfig;
use crate::error::{Class, CliError};
use crate::output::{Obj, Val};
use crate::session::{Session, WithHsm};
use crate::store::DirStore;

/// Requests queued for the façade lane at most; more wait on their connection.
const QUEUE: usize = 256;

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

/// The façade lane of `coffer serve`, once the session is unlocked: says it is ready, then
/// serves until every sender is gone.
#[derive(Debug)]
struct FacadeLane {
    lane: engine::Lane,
    queue: mpsc::Receiver<engine::Call>,
    ready: std::sync::mpsc::Sender<Result<(), CliError>>,
}

impl WithHsm for FacadeLane {
    type Output = ();

    fn run<H: Hsm>(self, hsm: H, _: &Session) -> Result<(), CliError> {
        let _ = self.ready.send(Ok(()));
        engine::run(hsm, &self.lane, self.queue);
        Ok(())
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
    let scheme = if tls.is_some() { "https" } else { "http" };
    // A clock the commands would refuse is refused at start too (each request checks it again).
    let session = Session::open(root)?;
    let lane = engine::Lane {
        root: root.to_path_buf(),
        arn: session.config.arn_prefix()?,
        region: session.config.arn.region.clone(),
    };
    let region = lane.region.clone();

    // The lane thread unlocks the HSM itself (so a backend need not be `Send`), checks
    // config.json's MAC as every command does, and says when it is ready; it serves until every
    // sender is gone.
    let (calls, queue) = mpsc::channel(QUEUE);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), CliError>>();
    let lane_thread = std::thread::Builder::new()
        .name("coffer-facade".into())
        .spawn(move || {
            let failed = ready_tx.clone();
            if let Err(e) = session.unlock_reconnecting(FacadeLane { lane, queue, ready: ready_tx }) {
                let _ = failed.send(Err(e));
            }
        })
        .map_err(|e| CliError::new(Class::Internal, format!("cannot start the façade thread: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = lane_thread.join();
            return Err(e);
        }
        Err(_) => return Err(CliError::new(Class::Internal, "the façade thread ended before it was ready")),
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(Class::Internal, format!("cannot start the runtime: {e}")))?;
    let stats = Arc::new(http::Stats::default());
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .map_err(|e| CliError::new(Class::Internal, format!("cannot listen on {}: {e}", args.bind)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::new(Class::Internal, format!("cannot listen on {}: {e}", args.bind)))?;
        let line = serde_json::json!({ "Endpoint": format!("{scheme}://{addr}"), "Region": region }).to_string();
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
        drop(stdout);
        eprintln!("coffer serve: listening on {scheme}://{addr} (region {region}); SIGTERM or Ctrl-C stops");
        http::serve(listener, tls, limits, calls, Arc::clone(&stats), shutdown_signal()).await;
        Ok::<(), CliError>(())
    });
    // Connections still open after the drain timeout are dropped here, and with them the last
    // senders: the lane then finishes what is queued and ends.
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = lane_thread.join();
    served?;
    eprintln!("coffer serve: stopped");
    Ok(Obj::new()
        .num("Requests", stats.requests.load(Ordering::Relaxed))
        .num("Errors", stats.errors.load(Ordering::Relaxed)))
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
