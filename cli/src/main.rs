#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]
// A std binary: std paths are the plain ones here; the workspace lints that prefer core/alloc
// paths exist for the no_std crates.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod api;
mod audit;
mod backend;
mod cli;
mod commands;
mod config;
mod dir_kms;
mod document;
mod error;
mod exact;
mod files;
#[cfg(test)]
mod front_ends_agree;
mod init;
mod input;
mod output;
mod serve;
mod session;
mod store;
mod store_file;
mod store_init;
mod time;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser as _;
use coffer_core::hsm::Hsm;
use coffer_core::key::{KeyRef, KeyRefError};
use coffer_core::{Kms, KmsConfig};

use crate::audit::EventLog;
use crate::cli::{Cli, Command};
use crate::commands::Failure;
use crate::config::{Backend, StoreConfig};
use crate::error::{Class, CliError, EXIT_USAGE};
use crate::output::{Obj, Val, render};
use crate::session::{Session, WithHsm};
use crate::store::DirStore;
use crate::time::CliClock;

/// The environment variable naming the store directory.
const ENV_HOME: &str = "COFFER_HOME";

/// The store directory: `--store`, else `$COFFER_HOME`, else `$XDG_DATA_HOME/coffer` (an
/// absolute `XDG_DATA_HOME` only, as the XDG specification says), else
/// `~/.local/share/coffer`. Never the current directory: a store is trusted to name the PKCS#11
/// library to load, and the current directory may be anyone's. Empty values count as unset.
fn store_root(cli: &Cli) -> Result<PathBuf, CliError> {
    let set = |p: PathBuf| (!p.as_os_str().is_empty()).then_some(p);
    if let Some(root) =
        cli.store.clone().and_then(set).or_else(|| std::env::var_os(ENV_HOME).map(PathBuf::from).and_then(set))
    {
        return Ok(root);
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).filter(|p| p.is_absolute()) {
        return Ok(data.join("coffer"));
    }
    match std::env::var_os("HOME").map(PathBuf::from).filter(|p| p.is_absolute()) {
        Some(home) => Ok(home.join(".local/share/coffer")),
        None => {
            Err(CliError::new(Class::Store, "no store location: give --store or set COFFER_HOME (HOME is not set)"))
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.exit_code() {
                0 => ExitCode::SUCCESS,
                _ => ExitCode::from(EXIT_USAGE),
            };
        }
    };
    match run(&cli).and_then(|doc| render(&doc, cli.output, cli.query.as_ref())) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("cannot write the answer: {e}");
                    ExitCode::from(Class::Internal.exit_code())
                }
            }
        }
        Err(e) => {
            eprintln!(
                "An error occurred ({}) when calling the {} operation: {}",
                e.class.name(),
                cli.command.operation(),
                e.message
            );
            ExitCode::from(e.class.exit_code())
        }
    }
}

fn run(cli: &Cli) -> Result<Obj, CliError> {
    let root = store_root(cli)?;
    match &cli.command {
        Command::Init(args) => init::init(&root, args),
        Command::Audit { key_id, start_time, end_time, operation } => {
            let config = StoreConfig::load(&root)?;
            let prefix = config.arn_prefix()?;
            let key_id = match key_id {
                None => None,
                Some(text) => match KeyRef::parse(text, &prefix) {
                    Ok(KeyRef::Id(id)) => Some(id),
                    Ok(KeyRef::Alias(_)) => {
                        return Err(CliError::validation(
                            "audit takes a key id or key ARN (resolving an alias would need the root keys)",
                        ));
                    }
                    Err(KeyRefError::Malformed | KeyRefError::Foreign) => {
                        return Err(CliError::validation("KeyId is malformed"));
                    }
                },
            };
            let time = |name: &str, v: &Option<String>| match v {
                None => Ok(None),
                Some(t) => time::parse(t).map(Some).ok_or_else(|| {
                    CliError::validation(format!("{name}: give an ISO 8601 UTC date or seconds since the epoch"))
                }),
            };
            let filter = audit::Filter {
                key_id,
                start: time("StartTime", start_time)?,
                end: time("EndTime", end_time)?,
                operation: operation.clone(),
            };
            let (events, unreadable) = audit::read(&root, &filter)?;
            if unreadable > 0 {
                eprintln!("warning: {unreadable} audit log line(s) could not be read (cut short by a crash?)");
            }
            Ok(Obj::new().with("Events", Val::List(events)))
        }
        Command::TokenCheck { module, token } => token_check(&root, module.as_deref(), token.as_deref()),
        Command::Serve(args) => serve::serve(&root, args),
        Command::AccessKey(command) => serve::access_key(&root, command),
        command => Session::open(&root)?.unlock(KmsCommand(command)),
    }
}

/// A key command, run once the session is unlocked.
#[derive(Debug)]
struct KmsCommand<'a>(&'a Command);

impl WithHsm for KmsCommand<'_> {
    type Output = Obj;

    fn run<H: Hsm>(self, hsm: H, session: &Session) -> Result<Obj, CliError> {
        with_kms(hsm, &session.root, &session.config, session.clock, self.0)
    }
}

/// Locks the store (after the HSM is unlocked, so a slow passphrase holds no lock), runs the
/// command, appends its audit events and unlocks.
fn with_kms<H: Hsm>(
    hsm: H,
    root: &Path,
    config: &StoreConfig,
    clock: CliClock,
    command: &Command,
) -> Result<Obj, CliError> {
    let mut store = DirStore::open(root).map_err(|e| CliError::store(&e))?;
    let mut log = EventLog::default();
    let kms_config = KmsConfig { arn: config.arn_prefix()?, ..KmsConfig::default() };
    // The façade (which releases its loaded keys when dropped) is gone at the end of this
    // statement, before the store is read for the error.
    let outcome = match Kms::new(hsm, &mut store, clock, &mut log, kms_config) {
        Err(e) => Err(Failure::<H>::Kms(e)),
        Ok(mut kms) => commands::run(&mut kms, command),
    };
    let result = match outcome {
        Ok(doc) => Ok(doc),
        Err(Failure::<H>::Request(e)) => Err(e),
        Err(Failure::<H>::Kms(e)) => Err(commands::convert(&e, &store)),
    };
    let file_command = match command {
        Command::EncryptFile(_) => Some("EncryptFile"),
        Command::DecryptFile(_) => Some("DecryptFile"),
        _ => None,
    };
    if let Some(operation) = file_command {
        let now = coffer_core::Clock::now(&clock).unwrap_or(0);
        let key = match command {
            Command::EncryptFile(_) => log.successful_keys().first().copied(),
            _ => log.successful_keys().last().copied(),
        };
        log.record_command(now, operation, key, result.as_ref().map(|_| ()).map_err(|e| e.class.name()));
    }
    if let Err(e) = log.append_to(store.root()) {
        eprintln!("warning: the audit events of this command were not recorded: {e}");
    }
    drop(store);
    result
}

/// `coffer token-check`: the module and token from the arguments, else the store's
/// configuration (if it is a PKCS#11 store), else the environment.
fn token_check(root: &Path, module: Option<&Path>, token: Option<&str>) -> Result<Obj, CliError> {
    let (module, token, prefix) = match (module, token, StoreConfig::load(root).ok().map(|c| c.backend)) {
        (None, None, Some(Backend::Pkcs11 { module, token, label_prefix })) => {
            (PathBuf::from(module), token, label_prefix)
        }
        (module, token, _) => {
            let (m, t) = backend::module_and_token(module, token)?;
            (m, t, coffer_hsm_pkcs11::DEFAULT_LABEL_PREFIX.to_owned())
        }
    };
    let config = backend::pkcs11_config(module, &token, &prefix)?;
    let report = coffer_hsm_pkcs11::check_token(&config).map_err(|e| backend::pkcs11_error(&e))?;
    let status = |s: coffer_hsm_pkcs11::Status| match s {
        coffer_hsm_pkcs11::Status::Pass => "Pass",
        coffer_hsm_pkcs11::Status::Warn => "Warn",
        coffer_hsm_pkcs11::Status::Fail => "Fail",
    };
    let lines: Vec<Obj> = report
        .lines
        .iter()
        .map(|l| {
            Obj::new().str("Check", l.what.clone()).str("Status", status(l.status)).str("Detail", l.detail.clone())
        })
        .collect();
    let warnings = report.lines.iter().filter(|l| l.status == coffer_hsm_pkcs11::Status::Warn).count();
    if !report.passed() {
        let failed: Vec<String> = report.failures().map(|l| format!("{}: {}", l.what, l.detail)).collect();
        // The report goes to stdout as for a pass; the error says what failed.
        let doc = Obj::new()
            .str("Library", report.library.clone())
            .str("Token", report.token.clone())
            .with("Checks", Val::List(lines));
        if let Ok(text) = render(&doc, output::Format::Json, None) {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        return Err(CliError::new(
            Class::TokenCheckFailed,
            format!("{} check(s) failed: {}", failed.len(), failed.join("; ")),
        ));
    }
    Ok(Obj::new()
        .str("Library", report.library.clone())
        .str("Token", report.token.clone())
        .with("Passed", Val::Bool(true))
        .num("Warnings", u64::try_from(warnings).unwrap_or(u64::MAX))
        .with("Checks", Val::List(lines)))
}
