//! Making a new store directory for `coffer init`, all or nothing.
//!
//! The store is built complete in a temporary sibling directory (`.<name>.~init-<pid>-<random>`
//! beside the store's path, mode 0700): its lock taken, `keys/`, `aliases/` and `access-keys/`
//! made, `config.json` written and fsynced, the directory fsynced. Then one `rename(2)` puts it
//! in place and the parent directory is fsynced. A kill at any point leaves either no store
//! (and a sibling that the next `init` removes) or the whole store, never a directory without
//! `config.json`.
//!
//! An existing empty directory given as the store is replaced by that rename (the kernel
//! replaces an empty directory atomically, and refuses one that is not empty): the store
//! directory is then the new one, owned by the user and mode 0700, and the old directory's
//! mode, ACLs and security labels are not carried over. Its parent must be writable by the
//! user, as for a new store. A directory that holds anything, or is owned by another user, or
//! a symbolic link in the store's place, is refused.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fs4::FileExt;

use crate::error::{Class, CliError};
use crate::store::{self, CONFIG_FILE, LOCK_FILE, STORE_DIRS};
use crate::store_file;

/// What the temporary directories' names hold after `.<name>`.
const INIT_INFIX: &str = ".~init-";
/// How old a temporary directory without a lock file must be to be taken for a dead `init`'s
/// even if a process of its pid runs (a live one makes its lock file right after the directory).
const LOCKLESS_GRACE: Duration = Duration::from_secs(60);

fn store_error(message: String) -> CliError {
    CliError::new(Class::Store, message)
}

/// Writing the new store failed (a full disk, say): KMSInternalException, as for every write
/// of the store's files (cli/README.md's table).
fn io_failure(message: String) -> CliError {
    CliError::new(Class::Internal, message)
}

/// Makes the store at `root` with `config_json` as its `config.json`.
///
/// # Errors
/// StoreException for a store already there, a directory in the way that is not empty (or
/// another user's, or a symbolic link); KMSInternalException for I/O failures.
pub(crate) fn create(root: &Path, config_json: &[u8]) -> Result<(), CliError> {
    let name = root
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| store_error(format!("{}: give the store a directory name of its own", root.display())))?;
    let parent = match root.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    check_in_the_way(root)?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&parent)
        .map_err(|e| io_failure(format!("cannot create {}: {e}", parent.display())))?;
    remove_dead_builds(&parent, name);

    let tmp = parent.join(format!(".{name}{INIT_INFIX}{}-{}", std::process::id(), random_suffix()?));
    fs::DirBuilder::new().mode(0o700).create(&tmp).map_err(|e| {
        io_failure(format!("cannot build the store beside {} ({}): {e}", root.display(), tmp.display()))
    })?;
    let built = build(&tmp, config_json).and_then(|lock| {
        publish(&tmp, root, &parent)?;
        Ok(lock)
    });
    match built {
        // The lock is held until init returns: a command started meanwhile waits for it.
        Ok(lock) => {
            drop(lock);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// Refuses what is in the store's place: a store, a non-empty directory, another user's
/// directory, a symbolic link, a file.
fn check_in_the_way(root: &Path) -> Result<(), CliError> {
    let meta = match fs::symlink_metadata(root) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(store_error(format!("cannot read {}: {e}", root.display()))),
    };
    if meta.file_type().is_symlink() {
        return Err(store_error(format!(
            "{} is a symbolic link: give the directory it points to as the store",
            root.display()
        )));
    }
    if !meta.is_dir() {
        return Err(store_error(format!("{} is not a directory", root.display())));
    }
    if root.join(CONFIG_FILE).exists() {
        return Err(already(root));
    }
    let mut entries = fs::read_dir(root).map_err(|e| store_error(format!("cannot list {}: {e}", root.display())))?;
    if entries.next().is_some() {
        return Err(not_empty(root));
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(store_error(format!(
            "{} is owned by another user: refusing to make a store in it",
            root.display()
        )));
    }
    Ok(())
}

/// The store already made at `root`.
pub(crate) fn already(root: &Path) -> CliError {
    store_error(format!("a key store already exists at {}", root.display()))
}

fn not_empty(root: &Path) -> CliError {
    store_error(format!("{} is not empty: init makes a store only in a new or empty directory", root.display()))
}

fn random_suffix() -> Result<String, CliError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| CliError::new(Class::Internal, format!("random generator: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Builds the whole store in `tmp`; returns its lock, held.
fn build(tmp: &Path, config_json: &[u8]) -> Result<File, CliError> {
    let lock_path = tmp.join(LOCK_FILE);
    let lock = store_file::open_lock(&lock_path).map_err(|e| io_failure(e.describe(&lock_path)))?;
    FileExt::lock(&lock).map_err(|e| io_failure(format!("cannot lock {}: {e}", lock_path.display())))?;
    for dir in STORE_DIRS.map(|d| tmp.join(d)) {
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| io_failure(format!("cannot create {}: {e}", dir.display())))?;
    }
    // Written and fsynced, renamed, and the directory fsynced: every entry made above is then
    // durable too.
    store::write_atomic(tmp, CONFIG_FILE, config_json).map_err(|e| io_failure(e.to_string()))?;
    Ok(lock)
}

/// Renames the built store into place and makes the rename durable.
fn publish(tmp: &Path, root: &Path, parent: &Path) -> Result<(), CliError> {
    match fs::rename(tmp, root) {
        Ok(()) => {}
        // Made meanwhile by another init, or filled by someone: the kernel said so atomically.
        Err(e)
            if matches!(e.raw_os_error(), Some(code) if code == rustix::io::Errno::NOTEMPTY.raw_os_error()
            || code == rustix::io::Errno::EXIST.raw_os_error()) =>
        {
            return Err(if root.join(CONFIG_FILE).exists() { already(root) } else { not_empty(root) });
        }
        Err(e) => {
            return Err(io_failure(format!("cannot move the new store into place at {}: {e}", root.display())));
        }
    }
    store::sync_dir(parent).map_err(|e| io_failure(e.to_string()))
}

/// Removes the temporary directories of `init`s of the same store that died: those whose lock
/// no process holds (the lock dies with its holder), or that never got a lock file and whose
/// maker (the pid in the name) is gone or that are old. Only directories owned by this user are
/// looked at; failures are ignored (they concern leftovers, not the store being made).
fn remove_dead_builds(parent: &Path, name: &str) {
    let prefix = format!(".{name}{INIT_INFIX}");
    let Ok(entries) = fs::read_dir(parent) else { return };
    let euid = rustix::process::geteuid().as_raw();
    for entry in entries.flatten() {
        if !entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
            continue;
        }
        let path = entry.path();
        // Not followed: a symbolic link named like one is left alone.
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if !meta.is_dir() || meta.uid() != euid {
            continue;
        }
        let dead = match store_file::open_read(&path.join(LOCK_FILE)) {
            Ok(Some(lock)) => FileExt::try_lock(&lock).is_ok(),
            Ok(None) => {
                let old = meta.modified().ok().and_then(|t| SystemTime::now().duration_since(t).ok());
                old.is_some_and(|age| age > LOCKLESS_GRACE) || !maker_alive(&entry.file_name(), &prefix)
            }
            Err(_) => false,
        };
        if dead {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Whether the process whose pid a build directory's name holds still runs (`true` when the
/// name holds none: then only its age can tell).
fn maker_alive(name: &std::ffi::OsStr, prefix: &str) -> bool {
    let pid = name
        .to_str()
        .and_then(|n| n.strip_prefix(prefix))
        .and_then(|rest| rest.split('-').next())
        .and_then(|pid| pid.parse::<i32>().ok())
        .and_then(rustix::process::Pid::from_raw);
    match pid {
        // ESRCH: no such process; EPERM: one runs, another user's.
        Some(pid) => rustix::process::test_kill_process(pid).map_or_else(|e| e != rustix::io::Errno::SRCH, |()| true),
        None => true,
    }
}
