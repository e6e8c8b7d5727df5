//! The audit log: every façade event of a command, appended to `audit.log` in the store as one
//! JSON object per line when the command ends (under the store lock, in one write, fsynced).
//!
//! A line is `{"EventTime":"<ISO 8601>","Timestamp":<seconds>,"Operation":"Encrypt",
//! "KeyId":"<id>"|null,"Outcome":"Success"|"Failure","ErrorCode":"<AWS name>"|null}`. Events
//! carry no key bytes, plaintext, ciphertext or encryption-context values (see
//! `coffer_core::audit`). The log is not tamper-evident: whoever can write the store can edit it.
//! A line cut short by a crash is skipped when reading, and counted. A command that cannot
//! unlock the store (wrong passphrase or PIN) adds an `Unlock` failure event. `encrypt-file` and
//! `decrypt-file` add, after their façade events, one `EncryptFile`/`DecryptFile` event with the
//! outcome of the whole command (a message that does not verify is a `DecryptFile` failure even
//! though its data key unwrapped).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use coffer_core::audit::{AuditEvent, AuditSink, Outcome};
use coffer_core::key::KeyId;
use serde_json::{Value, json};

use crate::error::{Class, CliError};
use crate::output::{Obj, Val};
use crate::store::AUDIT_FILE;
use crate::time::iso;

/// Collects a command's events until they are appended.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: Vec<AuditEvent>,
    /// Command-level events (`EncryptFile`, `DecryptFile`), written after the façade's.
    commands: Vec<CommandEvent>,
}

/// An event of a whole command, with its outcome: a file command's façade events say only
/// whether its data key was made or unwrapped, not whether the file was written.
#[derive(Debug, Clone, Copy)]
struct CommandEvent {
    time: u64,
    operation: &'static str,
    key_id: Option<KeyId>,
    outcome: Outcome,
}

impl AuditSink for EventLog {
    fn record(&mut self, event: &AuditEvent) {
        self.events.push(*event);
    }
}

impl EventLog {
    /// The keys of the successful events, in order.
    pub(crate) fn successful_keys(&self) -> Vec<KeyId> {
        self.events.iter().filter(|e| e.outcome == Outcome::Success).filter_map(|e| e.key_id).collect()
    }

    /// Records the outcome of a whole command (`operation` is its name, `EncryptFile` say):
    /// `Ok` for success, else the error name.
    pub(crate) fn record_command(
        &mut self,
        time: u64,
        operation: &'static str,
        key_id: Option<KeyId>,
        outcome: Result<(), &'static str>,
    ) {
        let outcome = match outcome {
            Ok(()) => Outcome::Success,
            Err(code) => Outcome::Failure(code),
        };
        self.commands.push(CommandEvent { time, operation, key_id, outcome });
    }

    /// Appends the collected events to the store's log.
    ///
    /// # Errors
    /// I/O failures (the command's result stands; the caller reports the loss).
    pub(crate) fn append_to(&mut self, root: &Path) -> Result<(), CliError> {
        if self.events.is_empty() && self.commands.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        let facade = self.events.drain(..).map(|e| CommandEvent {
            time: e.time,
            operation: e.operation.name(),
            key_id: e.key_id,
            outcome: e.outcome,
        });
        for event in facade.chain(self.commands.drain(..)) {
            let (outcome, code) = match event.outcome {
                Outcome::Success => ("Success", None),
                Outcome::Failure(code) => ("Failure", Some(code)),
            };
            let line = json!({
                "EventTime": iso(event.time),
                "Timestamp": event.time,
                "Operation": event.operation,
                "KeyId": event.key_id.map(|k| k.to_string()),
                "Outcome": outcome,
                "ErrorCode": code,
            });
            text.push_str(&line.to_string());
            text.push('\n');
        }
        let path = root.join(AUDIT_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .custom_flags(crate::store::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| CliError::new(Class::Internal, format!("audit log {}: {e}", path.display())))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| CliError::new(Class::Internal, format!("audit log {}: {e}", path.display())))
    }
}

/// Records that a command could not unlock the store (wrong passphrase or PIN): such events
/// come from no façade operation, but repeated ones are what a guessing attack looks like.
/// Best effort: a failure to record is ignored (the command fails anyway).
pub(crate) fn record_unlock_failure(root: &Path, time: u64, code: &str) {
    let line = json!({
        "EventTime": iso(time),
        "Timestamp": time,
        "Operation": "Unlock",
        "KeyId": Value::Null,
        "Outcome": "Failure",
        "ErrorCode": code,
    });
    if let Ok(mut file) = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(crate::store::O_NOFOLLOW)
        .open(root.join(AUDIT_FILE))
    {
        let _ = file.write_all(format!("{line}\n").as_bytes()).and_then(|()| file.sync_data());
    }
}

/// `coffer audit`'s filter.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub(crate) key_id: Option<KeyId>,
    pub(crate) start: Option<u64>,
    pub(crate) end: Option<u64>,
    pub(crate) operation: Option<String>,
}

/// The events of the store's log that pass `filter`, oldest first, and how many lines were
/// unreadable.
///
/// # Errors
/// The log exists but cannot be read.
pub(crate) fn read(root: &Path, filter: &Filter) -> Result<(Vec<Obj>, u64), CliError> {
    use std::io::BufRead as _;
    let path = root.join(AUDIT_FILE);
    let mut events = Vec::new();
    let mut unreadable = 0u64;
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((events, unreadable)),
        Err(e) => return Err(CliError::new(Class::Internal, format!("audit log {}: {e}", path.display()))),
    };
    // Line by line: the log only grows, memory stays with the events that pass the filter.
    for line in std::io::BufReader::new(file).split(b'\n') {
        let line = line.map_err(|e| CliError::new(Class::Internal, format!("audit log {}: {e}", path.display())))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&line) else {
            unreadable = unreadable.saturating_add(1);
            continue;
        };
        let (Some(time), Some(op), Some(outcome)) = (
            v.get("Timestamp").and_then(Value::as_u64),
            v.get("Operation").and_then(Value::as_str),
            v.get("Outcome").and_then(Value::as_str),
        ) else {
            unreadable = unreadable.saturating_add(1);
            continue;
        };
        let key = v.get("KeyId").and_then(Value::as_str);
        if filter.key_id.is_some_and(|id| key != Some(id.to_string().as_str()))
            || filter.start.is_some_and(|s| time < s)
            || filter.end.is_some_and(|e| time > e)
            || filter.operation.as_deref().is_some_and(|o| o != op)
        {
            continue;
        }
        let mut event = Obj::new()
            .str("EventTime", iso(time))
            .num("Timestamp", time)
            .str("Operation", op)
            .opt_str("KeyId", key.map(str::to_owned))
            .str("Outcome", outcome);
        if let Some(code) = v.get("ErrorCode").and_then(Value::as_str) {
            event = event.with("ErrorCode", Val::Str(code.to_owned()));
        }
        events.push(event);
    }
    Ok((events, unreadable))
}
