//! A façade lane: a thread that owns one HSM instance and serves requests one at a time, each
//! with the store's lock discipline of a `coffer` command (lock the store, run, unlock), then
//! hands the answer and its audit events to the audit writer (`audit_writer`), which answers
//! once the events are on disk. So `coffer` commands run beside the server and neither loses an
//! update. `coffer serve` runs several lanes ([`super::queue`] hands each call to whichever is
//! free); they share nothing but the store, whose lock orders their writes.
//!
//! The thread also checks signatures: the access keys' secrets are unsealed by the HSM here,
//! used, and zeroized, and never cross to the network side.

use std::path::{Path, PathBuf};

use coffer_core::error::Error as CoreError;
use coffer_core::hsm::{Hsm, HsmError};
use coffer_core::key::ArnPrefix;
use coffer_core::kms::SealReservations;
use coffer_core::{Kms, KmsConfig};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use super::access_keys::{self, Lookup};
use super::audit_writer::{AuditQueue, Pending};
use super::queue::CallQueue;
use super::signing_keys::{RecordStamp, Scope, SigningKeys};
use super::sigv4::{self, SignedRequest};
use crate::api::{ApiError, Failure, Request};
use crate::audit::EventLog;
use crate::error::{Class, CliError};
use crate::store::DirStore;
use crate::time::CliClock;

/// A request for the lane: its signature, its operation's request (or why it has none), where
/// to answer.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) signed: SignedRequest,
    pub(crate) request: Result<Request, ApiError>,
    /// The JSON answer (it may hold secrets: zeroizing).
    pub(crate) reply: oneshot::Sender<Result<Zeroizing<String>, ApiError>>,
}

/// What the lane serves.
#[derive(Debug, Clone)]
pub(crate) struct Lane {
    pub(crate) root: PathBuf,
    pub(crate) arn: ArnPrefix,
    pub(crate) region: String,
    /// The signing keys kept between requests, shared by the lanes.
    pub(crate) signing_keys: std::sync::Arc<SigningKeys>,
    /// The audit writer, which answers once the request's events are durable.
    pub(crate) audit: AuditQueue,
}

/// Serves calls until the queue is closed and empty (the server has shut down and its
/// requests in flight are answered).
pub(crate) fn run<H: Hsm>(mut hsm: H, lane: &Lane, calls: &CallQueue) {
    // The seals reserved in key records, carried from one request's façade to the next: the
    // lane writes a key record once per batch of seals, not once per request. Each lane has
    // its own; batches are disjoint because each is reserved by a write under the store lock.
    let mut seals = SealReservations::new();
    while let Some(call) = calls.pop() {
        let Call { signed, request, reply } = call;
        let (answer, lines) = serve(&mut hsm, &mut seals, lane, &signed, request);
        if lines.is_empty() {
            // Nothing to record (the request was not authenticated): answered at once. The
            // client may have gone: its answer is dropped (and zeroized).
            let _ = reply.send(answer);
        } else if let Err(unsent) = lane.audit.send(Pending { lines, answer, reply }) {
            // No writer: the answer cannot be made durable, so it is not given.
            let _ = unsent.0.reply.send(Err(ApiError::internal("the audit log is not being written")));
        }
    }
}

/// The system clock, in seconds (signatures are checked against it, never against COFFER_NOW).
fn system_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn serve<H: Hsm>(
    hsm: &mut H,
    seals: &mut SealReservations,
    lane: &Lane,
    signed: &SignedRequest,
    request: Result<Request, ApiError>,
) -> (Result<Zeroizing<String>, ApiError>, String) {
    if let Err(e) = authenticate(hsm, lane, signed) {
        return (Err(e), String::new());
    }
    // The request (with any plaintext it holds, zeroizing) is dropped once it has run.
    match request {
        Ok(request) => execute(hsm, seals, lane, &request),
        Err(e) => (Err(e), String::new()),
    }
}

/// Checks the request's signature under its access key's signing key: the one kept for its
/// scope if the access key's record is unchanged since (`signing_keys`), else derived from
/// the secret the HSM unseals, and kept.
fn authenticate<H: Hsm>(hsm: &mut H, lane: &Lane, signed: &SignedRequest) -> Result<(), ApiError> {
    let unrecognized =
        || ApiError::client("UnrecognizedClientException", "The security token included in the request is invalid.");
    let auth = &signed.auth;
    if !access_keys::valid_id(&auth.access_key_id) {
        return Err(unrecognized());
    }
    let record = access_keys::path(&lane.root, &auth.access_key_id);
    let stamp = match RecordStamp::of(&record) {
        Ok(Some(stamp)) => stamp,
        Ok(None) => {
            // Revoked (or never created): nothing of it is kept.
            lane.signing_keys.forget(&auth.access_key_id);
            return Err(unrecognized());
        }
        Err(e) => {
            return Err(ApiError::internal_detailed(
                "cannot read an access key",
                format!("cannot read an access key: {}: {e}", record.display()),
            ));
        }
    };
    let scope = Scope {
        access_key_id: auth.access_key_id.clone(),
        date: auth.date.clone(),
        region: auth.region.clone(),
        service: auth.service.clone(),
    };
    if let Some(key) = lane.signing_keys.get(&scope, stamp) {
        return sigv4::verify_with_key(signed, &key, &lane.region, system_now());
    }
    let secret = match access_keys::secret(hsm, &lane.root, &auth.access_key_id) {
        Ok(secret) => secret,
        Err(Lookup::Unknown) => return Err(unrecognized()),
        Err(Lookup::Corrupt(what)) => {
            eprintln!("coffer serve: {what} failed authentication under the root: refused (restore it or revoke it)");
            return Err(unrecognized());
        }
        Err(Lookup::Failed(why)) => {
            return Err(ApiError::internal_detailed(
                "cannot read an access key",
                format!("cannot read an access key: {why}"),
            ));
        }
        Err(Lookup::Unavailable(why)) => {
            return Err(ApiError::from(CliError::new(
                Class::KeyUnavailable,
                format!("cannot open an access key: {why}"),
            )));
        }
    };
    let key = sigv4::signing_key(&secret, &auth.date, &auth.region, &auth.service);
    drop(secret);
    let verified = sigv4::verify_with_key(signed, &key, &lane.region, system_now());
    // Kept only once a signature verified under it: unauthenticated callers cannot fill the
    // cache with scopes of their choosing.
    if verified.is_ok() {
        lane.signing_keys.insert(scope, stamp, &key);
    }
    verified
}

/// Runs a request as a `coffer` command runs, store locked for its duration; gives its answer
/// and its audit lines, which the audit writer makes durable before the answer is sent.
/// Errors are in their network form ([`ApiError`]'s `From<CliError>`; a corrupt record by name).
fn execute<H: Hsm>(
    hsm: &mut H,
    seals: &mut SealReservations,
    lane: &Lane,
    request: &Request,
) -> (Result<Zeroizing<String>, ApiError>, String) {
    // As for every `coffer` command: COFFER_NOW only in test builds, and a clock behind the
    // store's last change is refused.
    let internal = |e: String| ApiError::from(CliError::new(Class::Internal, e));
    let clock = match CliClock::from_env() {
        Ok(clock) => clock,
        Err(e) => return (Err(internal(e)), String::new()),
    };
    if let Err(e) = crate::time::check_not_before_store(&lane.root, &clock) {
        return (Err(internal(e)), String::new());
    }
    // Under the shared lock first for what only reads (lanes and `coffer` readers at once);
    // run again under the exclusive lock if it turned out to write (a seal reservation, once
    // per batch), reading afresh what it writes over. What the first run recorded is dropped.
    if reads_only(request) {
        match DirStore::open_shared(&lane.root) {
            Ok(store) => {
                let run = attempt(hsm, seals, lane, clock, store, request);
                if let Some(done) = run {
                    return done;
                }
            }
            Err(e) => return (Err(ApiError::from(CliError::store(&e))), String::new()),
        }
    }
    match open_store(&lane.root) {
        Ok(store) => attempt(hsm, seals, lane, clock, store, request).unwrap_or_else(|| {
            (Err(ApiError::internal("a write was refused under the exclusive lock")), String::new())
        }),
        Err(e) => (Err(e), String::new()),
    }
}

/// The operations that may run under the shared lock (those that change a record only to
/// reserve seals, which they then do under the exclusive lock).
const fn reads_only(request: &Request) -> bool {
    matches!(
        request,
        Request::Encrypt(_)
            | Request::Decrypt(_)
            | Request::ReEncrypt(_)
            | Request::GenerateDataKey(_)
            | Request::GenerateDataKeyWithoutPlaintext(_)
            | Request::DescribeKey(_)
            | Request::ListKeys(_)
            | Request::ListAliases(_)
            | Request::GetKeyRotationStatus(_)
            | Request::ListKeyRotations(_)
            | Request::GenerateRandom(_)
    )
}

/// One run of `request` on a façade over `store`; `None` if it tried to write under a shared
/// lock (nothing was written; run it again under the exclusive lock).
fn attempt<H: Hsm>(
    hsm: &mut H,
    seals: &mut SealReservations,
    lane: &Lane,
    clock: CliClock,
    mut store: DirStore,
    request: &Request,
) -> Option<(Result<Zeroizing<String>, ApiError>, String)> {
    let mut log = EventLog::default();
    let config = KmsConfig { arn: lane.arn.clone(), ..KmsConfig::default() };
    // The façade (which releases its loaded keys when dropped) is gone at the end of this
    // statement, before the store is read for the error; the seal reservations it did not use
    // go on to the next request's façade.
    let outcome = match Kms::new(&mut *hsm, &mut store, clock, &mut log, config) {
        Err(e) => Err(Failure::Kms(e)),
        Ok(mut kms) => {
            kms.set_seal_reservations(core::mem::take(seals));
            let outcome = request.run_json(&mut kms);
            *seals = kms.take_seal_reservations();
            outcome
        }
    };
    let result = match outcome {
        Ok(doc) => Ok(doc),
        Err(Failure::Request(e)) => Err(ApiError::from(e)),
        Err(Failure::Kms(e)) => Err(network_error(&e, &store)),
    };
    if store.wanted_write() {
        return None;
    }
    drop(store);
    Some((result, log.take_lines()))
}

fn open_store(root: &Path) -> Result<DirStore, ApiError> {
    DirStore::open(root).map_err(|e| ApiError::from(CliError::store(&e)))
}

/// A façade error as a network client gets it: a record that failed authentication is named
/// (`key record <id>`), never by its file, whose path the server's log keeps.
fn network_error<HE: HsmError>(e: &CoreError<HE, crate::store::DirStoreError>, store: &DirStore) -> ApiError {
    let mut answer = ApiError::from(crate::dir_kms::convert(e, store));
    if matches!(e, CoreError::CorruptRecord) {
        let what = store.last_read().map_or_else(|| "a stored record".to_owned(), |(label, _)| format!("the {label}"));
        answer.message = format!(
            "{what} failed authentication under the root sealing key: it was edited, forged or damaged outside \
             Coffer and is refused (the server's log names its file)"
        );
    }
    answer
}
