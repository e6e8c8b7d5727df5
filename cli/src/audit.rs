//! The audit log: every façade event of a command, appended to `audit.log` in the store as one
//! JSON object per line when the command ends (under the store lock, in one write, fsynced).
//! `coffer serve` appends the same lines from its audit writer (`serve::audit_writer`), several
//! requests' in one write and one fsync, before their answers leave.
//!
//! A line is `{"EventTime":"<ISO 8601>","Timestamp":<seconds>,"Operation":"Encrypt",
//! "KeyId":"<id>"|null,"Outcome":"Success"|"Failure","ErrorCode":"<AWS name>"|null}`. Events
//! carry no key bytes, plaintext, ciphertext or encryption-context values (see
//! `coffer_core::audit`). The log is not tamper-evident: whoever can write the store can edit it.
//! A line cut short by a crash is skipped when reading, and counted. A command that cannot
//! unlock the store (wrong passphrase or PIN) adds an `Unlock` failure event. `encrypt-file` and
//! `decrypt-file` add, after their façade events, one `EncryptFile`/`DecryptFile` event with the
//! outcome of the whole command (a message that does not verify is a `DecryptFile` failure even
//! though its data key unwrapped). `access-key create` and `access-key revoke` add a
//! `CreateAccessKey` / `DeleteAccessKey` event whose line carries `"AccessKeyId"` (the id,
//! never the secret).
//!
//! The log is opened as every store file is ([`crate::store_file`]): no symbolic link followed,
//! a regular file only; a line longer than [`MAX_LINE`] is skipped when reading, and counted.

use std::io::Write as _;
use std::path::Path;

use coffer_core::audit::{AuditEvent, AuditSink, Outcome};
use coffer_core::key::KeyId;
use serde_json::{Value, json};

use crate::error::{Class, CliError};
use crate::output::{Obj, Val};
use crate::store::AUDIT_FILE;
use crate::store_file;
use crate::time::iso;

/// The longest line read back (a line is a few hundred bytes; this bounds the memory a planted
/// one can take).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// Collects a command's events until they are appended.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: Vec<AuditEvent>,
    /// Command-level events (`EncryptFile`, `DecryptFile`), written after the façade's.
    commands: Vec<CommandEvent>,
}

/// An event of a whole command, with its outcome: a file command's façade events say only
/// whether its data key was made or unwrapped, not whether the file was written; an access
/// key's creation or revocation is no façade operation at all.
#[derive(Debug, Clone)]
struct CommandEvent {
    time: u64,
    operation: &'static str,
    key_id: Option<KeyId>,
    /// The access key created or revoked (its id only).
    access_key_id: Option<String>,
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
        self.commands.push(CommandEvent { time, operation, key_id, access_key_id: None, outcome });
    }

    /// Records the creation or revocation of an access key (`operation` is `CreateAccessKey` or
    /// `DeleteAccessKey`), by its id: `Ok` for success, else the error name.
    pub(crate) fn record_access_key(
        &mut self,
        time: u64,
        operation: &'static str,
        access_key_id: Option<&str>,
        outcome: Result<(), &'static str>,
    ) {
        let outcome = match outcome {
            Ok(()) => Outcome::Success,
            Err(code) => Outcome::Failure(code),
        };
        let access_key_id = access_key_id.map(str::to_owned);
        self.commands.push(CommandEvent { time, operation, key_id: None, access_key_id, outcome });
    }

    /// Appends the collected events to the store's log.
    ///
    /// # Errors
    /// I/O failures (the command's result stands; the caller reports the loss).
    pub(crate) fn append_to(&mut self, root: &Path) -> Result<(), CliError> {
        let text = self.take_lines();
        if text.is_empty() {
            return Ok(());
        }
        append_lines(root, &text)
    }

    /// The collected events as the log's lines (each ending in `\n`; empty if there are
    /// none), taken out of the collection.
    pub(crate) fn take_lines(&mut self) -> String {
        let mut text = String::new();
        let facade = self.events.drain(..).map(|e| CommandEvent {
            time: e.time,
            operation: e.operation.name(),
            key_id: e.key_id,
            access_key_id: None,
            outcome: e.outcome,
        });
        for event in facade.chain(self.commands.drain(..)) {
            let (outcome, code) = match event.outcome {
                Outcome::Success => ("Success", None),
                Outcome::Failure(code) => ("Failure", Some(code)),
            };
            let mut line = json!({
                "EventTime": iso(event.time),
                "Timestamp": event.time,
                "Operation": event.operation,
                "KeyId": event.key_id.map(|k| k.to_string()),
                "Outcome": outcome,
                "ErrorCode": code,
            });
            if let (Some(id), Some(fields)) = (event.access_key_id, line.as_object_mut()) {
                fields.insert("AccessKeyId".into(), Value::String(id));
            }
            text.push_str(&line.to_string());
            text.push('\n');
        }
        text
    }
}

/// Appends whole lines to the store's log in one write, then flushes them to disk (fsync of
/// the data). One `write` on a file opened for appending: lines written by other processes at
/// the same time are not interleaved with these.
///
/// # Errors
/// The log cannot be opened, written or flushed.
pub(crate) fn append_lines(root: &Path, text: &str) -> Result<(), CliError> {
    let path = root.join(AUDIT_FILE);
    let mut file = store_file::open_append(&path)
        .map_err(|e| CliError::new(Class::Internal, format!("audit log: {}", e.describe(&path))))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| CliError::new(Class::Internal, format!("audit log {}: {e}", path.display())))
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
    if let Ok(mut file) = store_file::open_append(&root.join(AUDIT_FILE)) {
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
    let path = root.join(AUDIT_FILE);
    let mut events = Vec::new();
    let mut unreadable = 0u64;
    let file = match store_file::open_read(&path) {
        Ok(Some(file)) => file,
        Ok(None) => return Ok((events, unreadable)),
        Err(e) => return Err(CliError::new(Class::Internal, format!("audit log: {}", e.describe(&path)))),
    };
    // Line by line: the log only grows, memory stays with the events that pass the filter.
    let mut lines = Lines { reader: std::io::BufReader::new(file), line: Vec::new() };
    while let Some(line) = lines.next_line() {
        let line = line.map_err(|e| CliError::new(Class::Internal, format!("audit log {}: {e}", path.display())))?;
        let Some(line) = line else {
            unreadable = unreadable.saturating_add(1);
            continue;
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
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
        if let Some(id) = v.get("AccessKeyId").and_then(Value::as_str) {
            event = event.with("AccessKeyId", Val::Str(id.to_owned()));
        }
        events.push(event);
    }
    Ok((events, unreadable))
}

/// The lines of the log, each at most [`MAX_LINE`] bytes kept in memory.
struct Lines<R> {
    reader: R,
    line: Vec<u8>,
}

impl<R: std::io::BufRead> Lines<R> {
    /// The next line without its `\n`: `Some(Ok(None))` for a line over [`MAX_LINE`] bytes
    /// (skipped to its end without being kept), `None` at the end of the log.
    fn next_line(&mut self) -> Option<std::io::Result<Option<&[u8]>>> {
        self.line.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (part, ended) = match chunk.iter().position(|&b| b == b'\n') {
                Some(end) => (chunk.get(..end).unwrap_or_default(), true),
                None => (chunk, false),
            };
            if !too_long && self.line.len().saturating_add(part.len()) <= MAX_LINE {
                self.line.extend_from_slice(part);
            } else {
                too_long = true;
                self.line.clear();
            }
            let used = part.len().saturating_add(usize::from(ended));
            self.reader.consume(used);
            if ended {
                break;
            }
        }
        if !any {
            return None;
        }
        Some(Ok(if too_long { None } else { Some(&self.line) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line back, over-long ones as `None`, whatever the buffer size cuts them into.
    fn lines(text: &[u8], capacity: usize) -> Vec<Option<Vec<u8>>> {
        let mut lines = Lines { reader: std::io::BufReader::with_capacity(capacity, text), line: Vec::new() };
        let mut out = Vec::new();
        while let Some(line) = lines.next_line() {
            out.push(line.unwrap().map(<[u8]>::to_vec));
        }
        out
    }

    #[test]
    fn lines_are_bounded_and_split_at_newlines_only() {
        let exact = vec![b'a'; MAX_LINE];
        let over = vec![b'b'; MAX_LINE + 1];
        let mut text = Vec::new();
        for part in [&b"one"[..], b"", &exact, &over, b"two"] {
            text.extend_from_slice(part);
            text.push(b'\n');
        }
        text.extend_from_slice(b"last, cut short");
        for capacity in [1, 7, 4096, 1 << 20] {
            let got = lines(&text, capacity);
            let want = [
                Some(b"one".to_vec()),
                Some(Vec::new()),
                Some(exact.clone()),
                None,
                Some(b"two".to_vec()),
                Some(b"last, cut short".to_vec()),
            ];
            assert!(got == want, "capacity {capacity}: {} lines", got.len());
        }
        assert!(lines(b"", 8).is_empty());
        assert_eq!(lines(b"\n", 8), [Some(Vec::new())]);
    }
}
