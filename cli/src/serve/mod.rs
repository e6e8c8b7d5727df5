//! `coffer serve`: the AWS KMS JSON API on a local port, so the AWS CLI and SDKs work against
//! the keys of a Coffer store with no change but the endpoint; and `coffer access-key`, the
//! credentials their requests are signed with (SigV4).
//!
//! - `args`: the command-line arguments.
//! - `http`: HTTP/1.1 on tokio (hyper), body bounds, graceful shutdown.
//! - `sigv4`: the signature check.
//! - `access_keys`: access keys, their secrets sealed in the store under the root.
//! - `ops`: request bodies to `coffer` commands, answers to JSON.
//! - `engine`: the one thread that owns the HSM and runs the façade under the store's lock.
//! - `error`: errors as AWS JSON answers.
//! - `tls`: HTTPS (rustls), required off loopback.

mod access_keys;
mod args;
mod engine;
mod error;
mod http;
mod ops;
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
use crate::backend;
use crate::config::{Backend, StoreConfig};
use crate::error::{Class, CliError};
use crate::output::{Obj, Val};
use crate::store::DirStore;

/// Requests queued for the façade lane at most; more wait on their connection.
const QUEUE: usize = 256;

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Runs `f` with the store's HSM, opened (passphrase or PIN asked) and its root keys found.
macro_rules! with_hsm {
    ($root:expr, $config:expr, |$hsm:ident| $body:expr) => {{
        let unlock_failed = |e: CliError| {
            if e.class == Class::AccessDenied {
                crate::audit::record_unlock_failure($root, now(), e.class.name());
            }
            e
        };
        match &$config.backend {
            Backend::Soft { kdf, sealed_root_keys } => {
                let mut $hsm = backend::open_soft(kdf, sealed_root_keys).map_err(unlock_failed)?;
                find_root_keys(&mut $hsm)?;
                $body
            }
            Backend::Pkcs11 { module, token, label_prefix } => {
                let mut $hsm = backend::open_pkcs11(module, token, label_prefix).map_err(unlock_failed)?;
                find_root_keys(&mut $hsm)?;
                $body
            }
        }
    }};
}

fn find_root_keys<H: Hsm>(hsm: &mut H) -> Result<(), CliError> {
    hsm.find_root_keys().map_err(|e| CliError::new(Class::KeyUnavailable, format!("the root keys: {e}")))
}

/// `coffer access-key ...`.
///
/// # Errors
/// Store and HSM failures; NotFoundException to revoke an unknown access key.
pub(crate) fn access_key(root: &Path, command: &AccessKeyCommand) -> Result<Obj, CliError> {
    let config = StoreConfig::load(root)?;
    let lock = |root: &Path| DirStore::open(root).map_err(|e| CliError::store(&e));
    match command {
        AccessKeyCommand::Create => with_hsm!(root, config, |hsm| {
            // The HSM is unlocked before the store is locked, as for every command.
            let store = lock(root)?;
            let key = access_keys::create(&mut hsm, root, now())?;
            drop(store);
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
        }),
        AccessKeyCommand::Revoke { access_key_id } => {
            // Revoking needs no passphrase (as `audit` does not): it must be quick in an emergency.
            let store = lock(root)?;
            access_keys::revoke(root, access_key_id)?;
            drop(store);
            Ok(Obj::new())
        }
        AccessKeyCommand::List => {
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
    let scheme = if tls.is_some() { "https" } else { "http" };
    let config = StoreConfig::load(root)?;
    // A clock the commands would refuse is refused at start too (each request checks it again).
    let clock = crate::time::CliClock::from_env().map_err(CliError::validation)?;
    crate::time::check_not_before_store(root, &clock).map_err(|e| CliError::new(Class::Internal, e))?;
    let lane = engine::Lane { root: root.to_path_buf(), arn: config.arn_prefix()?, region: config.arn.region.clone() };
    let region = lane.region.clone();

    // The lane thread opens the HSM itself (so a backend need not be `Send`) and says when it is
    // ready; it serves until every sender is gone.
    let (calls, queue) = mpsc::channel(QUEUE);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), CliError>>();
    let lane_root = root.to_path_buf();
    let lane_thread = std::thread::Builder::new()
        .name("coffer-facade".into())
        .spawn(move || {
            let result: Result<(), CliError> = (|| {
                with_hsm!(&lane_root, config, |hsm| {
                    let _ = ready_tx.send(Ok(()));
                    engine::run(hsm, &lane, queue);
                    Ok(())
                })
            })();
            if let Err(e) = result {
                let _ = ready_tx.send(Err(e));
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
        http::serve(listener, tls, calls, Arc::clone(&stats), shutdown_signal()).await;
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
