//! Group commit of the audit log: one thread appends the events of every request the lanes
//! finished, several requests' lines in one write and one fsync, and only then releases
//! their answers. No answer leaves before its events are on disk; an answer whose events could
//! not be written is replaced by an error (the operation itself stands, as in the store; the
//! client is told it failed, and the server's log says why).
//!
//! The lines are those `coffer` commands write (`crate::audit`), appended in one `write` on a
//! file opened for appending, so the commands' lines and the server's do not interleave. A
//! batch is whatever has arrived while the previous fsync ran: under load many requests share
//! one, and a lone request waits for no one.

use std::path::Path;
use std::sync::mpsc;

use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::api::ApiError;

/// An answer and the audit lines that must be durable before it is sent.
#[derive(Debug)]
pub(crate) struct Pending {
    /// The request's audit lines (`\n`-terminated).
    pub(crate) lines: String,
    pub(crate) answer: Result<Zeroizing<String>, ApiError>,
    pub(crate) reply: oneshot::Sender<Result<Zeroizing<String>, ApiError>>,
}

/// Where the lanes hand their finished requests.
pub(crate) type AuditQueue = mpsc::Sender<Pending>;

/// Largest batch: requests beyond it wait for the next write (bounds the memory of one write).
const MAX_BATCH: usize = 1024;

/// Writes batches to `root`'s audit log until every [`AuditQueue`] is dropped (the lanes are
/// done), then returns.
pub(crate) fn run(root: &Path, pending: &mpsc::Receiver<Pending>) {
    let mut batch = Vec::new();
    let mut text = String::new();
    while let Ok(first) = pending.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match pending.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        text.clear();
        for p in &batch {
            text.push_str(&p.lines);
        }
        let written = crate::audit::append_lines(root, &text);
        if let Err(e) = &written {
            eprintln!("coffer serve: {} request(s) failed: their audit events were not recorded: {e}", batch.len());
        }
        for p in batch.drain(..) {
            let answer = match &written {
                Ok(()) => p.answer,
                // Dropped here: a plaintext or data key in the answer is zeroized unsent.
                Err(_) => Err(ApiError::internal("the audit event of this request could not be recorded")),
            };
            // The client may have gone: its answer is dropped (and zeroized).
            let _ = p.reply.send(answer);
        }
    }
}
