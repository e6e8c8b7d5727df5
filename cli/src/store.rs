//! The directory key store: one file per sealed record, replaced atomically, under an advisory
//! lock held for the whole command: exclusive to write; `coffer serve` takes it shared for the
//! requests that only read ([`DirStore::open_shared`]), and exclusive to run again one that
//! turned out to write.
//!
//! Layout of a store directory:
//!
//! ```text
//! config.json        backend, KDF parameters and salt, sealed root keys (written once, by init)
//! lock               the advisory lock file (flock, exclusive, held by every command)
//! keys/<key id>      sealed key records
//! aliases/@<name>    sealed alias records ("alias/" dropped, "/" written as ".", see below)
//! access-keys/<id>   sealed access keys of `coffer serve` (see `serve::access_keys`)
//! versions/<key id>.<version>   sealed version records (the version in ten digits)
//! descriptions/<key id>         sealed description records (keys with a description)
//! audit.log          audit events, one JSON object per line
//! ```
//!
//! A record is written to a temporary file (`~tmp-...`) in its directory, flushed with fsync,
//! renamed over the old file and the directory is fsynced: a crash at any point leaves the old
//! record or the new one, never a mix. Temporary files left by a killed process are removed by
//! the next command (it holds the lock, so no writer can still own them), in `keys/`,
//! `aliases/` and `access-keys/` alike; anything else named like one (a directory, say) is
//! not Coffer's and is left alone.
//!
//! Every file of the store is opened through [`crate::store_file`]: no symbolic link followed,
//! regular files only (a FIFO cannot make a command wait), reads bounded.
//!
//! File names: bytes `[A-Za-z0-9_-]` are kept, `/` becomes `.`, every other byte is `%XX`; a
//! name starting with `alias/` is written `@` followed by the encoding of the rest (alias names
//! are up to 256 bytes, file names up to 255). The encoding is one-to-one, so listing the
//! directory gives back the exact names, which are then sorted bytewise.
//!
//! The store is not trusted for integrity: the façade authenticates every record with the root
//! sealing key. The store only remembers which record it read last, so that a record refused by
//! that check can be named in the error.

use std::collections::BTreeSet;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::ops::Bound;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use coffer_core::store::{KeyStore, MAX_NAME_LEN, RecordKind, StoreError, StoreErrorKind};
use fs4::FileExt;

use crate::store_file;

/// The store's configuration file.
pub(crate) const CONFIG_FILE: &str = "config.json";
/// The lock file.
pub(crate) const LOCK_FILE: &str = "lock";
/// The audit log.
pub(crate) const AUDIT_FILE: &str = "audit.log";
const KEYS_DIR: &str = "keys";
const ALIASES_DIR: &str = "aliases";
/// The directory of `coffer serve`'s access keys.
pub(crate) const ACCESS_KEYS_DIR: &str = "access-keys";
const VERSIONS_DIR: &str = "versions";
const DESCRIPTIONS_DIR: &str = "descriptions";
/// What the names of temporary files begin with.
pub(crate) const TMP_PREFIX: &str = "~tmp-";
/// The directories of the store, made (mode 0700) and cleaned of temporaries by every command
/// (a store made before version and description records gains their folders so).
pub(crate) const STORE_DIRS: [&str; 5] = [KEYS_DIR, ALIASES_DIR, ACCESS_KEYS_DIR, VERSIONS_DIR, DESCRIPTIONS_DIR];

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Refuses a store another user could have written, before anything in it is read (as ssh's
/// `StrictModes` does for `~/.ssh`): `config.json` is not authenticated before the root keys
/// are unlocked, and a PKCS#11 store's `config.json` names a library that is loaded. The store
/// directory, `config.json`, `keys/`, `aliases/`, `lock` and `audit.log` (those that exist)
/// must be owned by the effective user (or root) and not writable by group or others; the
/// files must not be symbolic links.
///
/// # Errors
/// A message naming the path and what is wrong with it.
pub(crate) fn check_permissions(root: &Path) -> Result<(), String> {
    let euid = rustix::process::geteuid().as_raw();
    let check = |path: &Path, meta: &fs::Metadata| {
        use std::os::unix::fs::MetadataExt as _;
        if meta.uid() != euid && meta.uid() != 0 {
            return Err(format!(
                "{} is owned by uid {}, not by this user (uid {euid}): refusing a store another user controls",
                path.display(),
                meta.uid()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "{} is writable by group or others (mode {:o}): refusing it (chmod go-w)",
                path.display(),
                meta.mode() & 0o7777
            ));
        }
        Ok(())
    };
    let meta = fs::metadata(root).map_err(|e| format!("cannot read {}: {e}", root.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", root.display()));
    }
    check(root, &meta)?;
    let files = [CONFIG_FILE, LOCK_FILE, AUDIT_FILE].map(|name| (name, false));
    for (name, is_dir) in STORE_DIRS.map(|name| (name, true)).into_iter().chain(files) {
        let path = root.join(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!("{} is a symbolic link: refusing it", path.display()));
            }
            Ok(meta) if meta.is_dir() != is_dir || !(meta.is_dir() || meta.is_file()) => {
                let want = if is_dir { "a directory" } else { "a regular file" };
                return Err(format!("{} is not {want}: refusing it", path.display()));
            }
            Ok(meta) => check(&path, &meta)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
    }
    Ok(())
}

/// A failure of the directory store, naming the file involved.
#[derive(Debug)]
pub(crate) struct DirStoreError {
    kind: StoreErrorKind,
    message: String,
}

impl DirStoreError {
    fn io(what: &str, path: &Path, e: &io::Error) -> Self {
        let kind = if e.raw_os_error() == Some(36) { StoreErrorKind::TooLarge } else { StoreErrorKind::Io };
        Self { kind, message: format!("{what} {}: {e}", path.display()) }
    }

    fn other(kind: StoreErrorKind, message: String) -> Self {
        Self { kind, message }
    }

    fn file(path: &Path, e: &store_file::FileError) -> Self {
        let kind = match e {
            store_file::FileError::TooLarge => StoreErrorKind::TooLarge,
            store_file::FileError::Io(io) => return Self::io("cannot read", path, io),
            store_file::FileError::NotRegular(_) => StoreErrorKind::Other,
        };
        Self { kind, message: e.describe(path) }
    }
}

impl fmt::Display for DirStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StoreError for DirStoreError {
    fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl std::error::Error for DirStoreError {}

/// A key store in a directory, locked for as long as this value lives.
#[derive(Debug)]
pub(crate) struct DirStore {
    root: PathBuf,
    /// Holds the advisory lock; released when dropped (or when the process dies), or
    /// early by [`release_lock`](Self::release_lock).
    lock: File,
    locked: bool,
    /// Held shared ([`open_shared`](Self::open_shared)): reads only.
    shared: bool,
    /// A write was refused because the lock is shared.
    wanted_write: bool,
    last_read: Option<(RecordKind, String)>,
    names: [Option<BTreeSet<String>>; RecordKind::ALL.len()],
}

impl DirStore {
    /// Opens the store at `root` and takes its lock, waiting for other `coffer` processes.
    ///
    /// # Errors
    /// I/O failures (a missing store directory is reported by the caller before this).
    pub(crate) fn open(root: &Path) -> Result<Self, DirStoreError> {
        check_permissions(root).map_err(|e| DirStoreError::other(StoreErrorKind::Other, e))?;
        let lock_path = root.join(LOCK_FILE);
        let lock = store_file::open_lock(&lock_path).map_err(|e| DirStoreError::file(&lock_path, &e))?;
        // fs4's flock, named explicitly: std's inherent `File::lock` is newer than the MSRV.
        // Tried first without waiting, so that a wait is said rather than looking like a hang.
        match FileExt::try_lock(&lock) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                eprintln!("waiting for the store lock ({}): another coffer command holds it", lock_path.display());
                FileExt::lock(&lock).map_err(|e| DirStoreError::io("cannot lock", &lock_path, &e))?;
            }
            Err(fs4::TryLockError::Error(e)) => return Err(DirStoreError::io("cannot lock", &lock_path, &e)),
        }
        let store = Self {
            root: root.to_path_buf(),
            lock,
            locked: true,
            shared: false,
            wanted_write: false,
            last_read: None,
            names: Default::default(),
        };
        remove_stale_temporaries(&store.root)?;
        for dir in STORE_DIRS.map(|name| store.root.join(name)) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| DirStoreError::io("cannot create", &dir, &e))?;
            remove_stale_temporaries(&dir)?;
        }
        Ok(store)
    }

    /// Opens the store at `root` for reading only, with its lock taken shared: other readers
    /// run at once, a `coffer` command (which locks exclusively) waits for them, and they for
    /// it. Every write fails and is remembered ([`wanted_write`](Self::wanted_write)): the
    /// caller runs the operation again under the exclusive lock ([`open`](Self::open)), where
    /// the records it reads are those it writes over. The store's folders must exist (made by
    /// an earlier [`open`](Self::open)); temporaries are left to the next exclusive opener.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub(crate) fn open_shared(root: &Path) -> Result<Self, DirStoreError> {
        check_permissions(root).map_err(|e| DirStoreError::other(StoreErrorKind::Other, e))?;
        let lock_path = root.join(LOCK_FILE);
        let lock = store_file::open_lock(&lock_path).map_err(|e| DirStoreError::file(&lock_path, &e))?;
        match FileExt::try_lock_shared(&lock) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                FileExt::lock_shared(&lock).map_err(|e| DirStoreError::io("cannot lock", &lock_path, &e))?;
            }
            Err(fs4::TryLockError::Error(e)) => return Err(DirStoreError::io("cannot lock", &lock_path, &e)),
        }
        Ok(Self {
            root: root.to_path_buf(),
            lock,
            locked: true,
            shared: true,
            wanted_write: false,
            last_read: None,
            names: Default::default(),
        })
    }

    /// Whether a write was refused because the lock is shared: what was done must be done again
    /// under the exclusive lock.
    pub(crate) const fn wanted_write(&self) -> bool {
        self.wanted_write
    }

    fn check_writable(&mut self) -> Result<(), DirStoreError> {
        self.check_locked()?;
        if self.shared {
            self.wanted_write = true;
            return Err(DirStoreError::other(StoreErrorKind::Other, "a write under the shared lock".into()));
        }
        Ok(())
    }

    /// Releases the lock before the command ends (a long file encryption, once its data key is
    /// made, needs the store no more). Every later record access fails.
    pub(crate) fn release_lock(&mut self) {
        if self.locked {
            self.locked = false;
            // Closing the file would release it too; an unlock failure leaves the lock to the exit.
            let _ = FileExt::unlock(&self.lock);
        }
    }

    fn check_locked(&self) -> Result<(), DirStoreError> {
        if self.locked {
            Ok(())
        } else {
            Err(DirStoreError::other(StoreErrorKind::Other, "the store was used after its lock was released".into()))
        }
    }

    /// The store directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The record read last, as `kind/name` and its file: the one a failed authentication is about.
    pub(crate) fn last_read(&self) -> Option<(String, PathBuf)> {
        self.last_read.as_ref().map(|(kind, name)| {
            let label = match kind {
                RecordKind::Key => format!("key record {name}"),
                RecordKind::Alias => format!("alias record {name}"),
                RecordKind::KeyVersion => format!("version record {name}"),
                RecordKind::Description => format!("description record {name}"),
            };
            (label, self.dir(*kind).join(encode_name(name)))
        })
    }

    fn dir(&self, kind: RecordKind) -> PathBuf {
        self.root.join(match kind {
            RecordKind::Key => KEYS_DIR,
            RecordKind::Alias => ALIASES_DIR,
            RecordKind::KeyVersion => VERSIONS_DIR,
            RecordKind::Description => DESCRIPTIONS_DIR,
        })
    }

    fn path(&self, kind: RecordKind, name: &str) -> Result<PathBuf, DirStoreError> {
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(DirStoreError::other(StoreErrorKind::TooLarge, format!("record name of {} bytes", name.len())));
        }
        Ok(self.dir(kind).join(encode_name(name)))
    }

    fn names(&mut self, kind: RecordKind) -> Result<&mut BTreeSet<String>, DirStoreError> {
        let index = kind_index(kind);
        let dir = self.dir(kind);
        let slot =
            self.names.get_mut(index).ok_or_else(|| DirStoreError::other(StoreErrorKind::Other, "kind".into()))?;
        if slot.is_none() {
            let mut set = BTreeSet::new();
            let entries = fs::read_dir(&dir).map_err(|e| DirStoreError::io("cannot list", &dir, &e))?;
            for entry in entries {
                let entry = entry.map_err(|e| DirStoreError::io("cannot list", &dir, &e))?;
                // Names that are not encodings (stray files) are not records.
                if let Some(name) = entry.file_name().to_str().and_then(decode_name) {
                    set.insert(name);
                }
            }
            *slot = Some(set);
        }
        slot.as_mut().ok_or_else(|| DirStoreError::other(StoreErrorKind::Other, "name cache".into()))
    }
}

const fn kind_index(kind: RecordKind) -> usize {
    match kind {
        RecordKind::Key => 0,
        RecordKind::Alias => 1,
        RecordKind::KeyVersion => 2,
        RecordKind::Description => 3,
    }
}

impl KeyStore for DirStore {
    type Error = DirStoreError;
    type RecordBuf = [u8; coffer_core::store::MAX_RECORD_LEN];

    fn get(&mut self, kind: RecordKind, name: &str, out: &mut [u8]) -> Result<Option<usize>, DirStoreError> {
        self.check_locked()?;
        let path = self.path(kind, name)?;
        // At most one byte more than any record: a huge file planted there is not read whole.
        let bytes = match store_file::read_bounded(&path, out.len()) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(store_file::FileError::TooLarge) => {
                self.last_read = Some((kind, name.to_owned()));
                return Err(DirStoreError::other(
                    StoreErrorKind::TooLarge,
                    format!("{} holds more bytes than any record", path.display()),
                ));
            }
            Err(e) => return Err(DirStoreError::file(&path, &e)),
        };
        self.last_read = Some((kind, name.to_owned()));
        let slot = out.get_mut(..bytes.len()).ok_or_else(|| {
            DirStoreError::other(
                StoreErrorKind::TooLarge,
                format!("{} holds more bytes than any record", path.display()),
            )
        })?;
        slot.copy_from_slice(&bytes);
        Ok(Some(bytes.len()))
    }

    fn put(&mut self, kind: RecordKind, name: &str, record: &[u8]) -> Result<(), DirStoreError> {
        self.check_writable()?;
        let path = self.path(kind, name)?;
        let dir = self.dir(kind);
        let file = encode_name(name);
        write_atomic(&dir, &file, record)
            .map_err(|e| DirStoreError { message: format!("{e} ({})", path.display()), ..e })?;
        if let Some(Some(set)) = self.names.get_mut(kind_index(kind)) {
            set.insert(name.to_owned());
        }
        Ok(())
    }

    fn remove(&mut self, kind: RecordKind, name: &str) -> Result<bool, DirStoreError> {
        self.check_writable()?;
        let path = self.path(kind, name)?;
        let removed = match fs::remove_file(&path) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(DirStoreError::io("cannot remove", &path, &e)),
        };
        if removed {
            sync_dir(&self.dir(kind))?;
        }
        if let Some(Some(set)) = self.names.get_mut(kind_index(kind)) {
            set.remove(name);
        }
        Ok(removed)
    }

    fn next_name(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        out: &mut [u8; MAX_NAME_LEN],
    ) -> Result<Option<usize>, DirStoreError> {
        self.check_locked()?;
        let names = self.names(kind)?;
        let next = match after {
            Some(after) => names.range::<str, _>((Bound::Excluded(after), Bound::Unbounded)).next(),
            None => names.iter().next(),
        };
        let Some(name) = next else { return Ok(None) };
        let slot = out.get_mut(..name.len()).ok_or_else(|| {
            DirStoreError::other(StoreErrorKind::TooLarge, format!("record name of {} bytes", name.len()))
        })?;
        slot.copy_from_slice(name.as_bytes());
        Ok(Some(name.len()))
    }
}

/// Writes `bytes` as `dir/name`: temporary file, fsync, rename, fsync of the directory.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), DirStoreError> {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{TMP_PREFIX}{}-{n}", std::process::id()));
    let target = dir.join(name);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| DirStoreError::io("cannot create", &tmp, &e))?;
        file.write_all(bytes).map_err(|e| DirStoreError::io("cannot write", &tmp, &e))?;
        file.sync_all().map_err(|e| DirStoreError::io("cannot flush", &tmp, &e))?;
        drop(file);
        fs::rename(&tmp, &target).map_err(|e| DirStoreError::io("cannot rename into place", &target, &e))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Flushes the directory `dir` (its entries: a rename or a removal in it).
///
/// # Errors
/// I/O failures.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), DirStoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| DirStoreError::io("cannot flush directory", dir, &e))
}

/// Removes the temporary files of `dir` (the caller holds the lock: no writer owns them).
/// Only files (and symbolic links, which are removed, not followed) go: a directory named like a
/// temporary is none of Coffer's, and failing on it would make every command fail.
fn remove_stale_temporaries(dir: &Path) -> Result<(), DirStoreError> {
    let entries = fs::read_dir(dir).map_err(|e| DirStoreError::io("cannot list", dir, &e))?;
    for entry in entries.flatten() {
        let temporary = entry.file_name().to_str().is_some_and(|n| n.starts_with(TMP_PREFIX));
        // file_type() does not follow a symbolic link.
        if temporary && entry.file_type().is_ok_and(|t| !t.is_dir()) {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| DirStoreError::io("cannot remove stale temporary", &path, &e))?;
        }
    }
    Ok(())
}

/// The file name of record `name` (see the module documentation).
pub(crate) fn encode_name(name: &str) -> String {
    let (mut out, rest) = match name.strip_prefix("alias/") {
        Some(rest) => (String::from("@"), rest),
        None => (String::new(), name),
    };
    for byte in rest.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => out.push(char::from(byte)),
            b'/' => out.push('.'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The record name of file `file`, or `None` for a file that is no encoding.
pub(crate) fn decode_name(file: &str) -> Option<String> {
    let (mut out, rest) = match file.strip_prefix('@') {
        Some(rest) => (b"alias/".to_vec(), rest),
        None => (Vec::new(), file),
    };
    let mut bytes = rest.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => out.push(byte),
            b'.' => out.push(b'/'),
            b'%' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                let value = u8::try_from(hi * 16 + lo).ok()?;
                // Only bytes the encoder escapes, in its (upper-case) spelling: one-to-one.
                if matches!(value, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'/') {
                    return None;
                }
                out.push(value);
            }
            _ => return None,
        }
    }
    let name = String::from_utf8(out).ok()?;
    (!name.is_empty() && encode_name(&name) == file).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_fit_a_file_name() {
        for name in ["alias/a", "alias/x/y_z-1", "1234abcd-12ab-34cd-56ef-1234567890ab", "odd name%.é", "@x", "/lead"]
        {
            let file = encode_name(name);
            assert_eq!(decode_name(&file).as_deref(), Some(name), "{name} -> {file}");
            assert!(!file.starts_with(TMP_PREFIX));
        }
        let longest = format!("alias/{}", "a/".repeat(125));
        assert!(encode_name(&longest).len() <= 255);
        assert_eq!(decode_name("~tmp-1-2"), None);
        assert_eq!(decode_name("%41"), None);
        assert_eq!(decode_name("%2e"), None);
        assert_eq!(decode_name(""), None);
    }

    #[test]
    fn put_get_remove_list_and_stale_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(KEYS_DIR)).unwrap();
        fs::write(dir.path().join(KEYS_DIR).join("~tmp-1-1"), b"half").unwrap();
        let mut store = DirStore::open(dir.path()).unwrap();
        assert!(!dir.path().join(KEYS_DIR).join("~tmp-1-1").exists());
        let mut buf = [0u8; 16];
        assert_eq!(store.get(RecordKind::Alias, "alias/b", &mut buf).unwrap(), None);
        store.put(RecordKind::Alias, "alias/b", b"two").unwrap();
        store.put(RecordKind::Alias, "alias/a/x", b"one").unwrap();
        assert_eq!(store.get(RecordKind::Alias, "alias/b", &mut buf).unwrap(), Some(3));
        assert_eq!(&buf[..3], b"two");
        assert_eq!(store.last_read().unwrap().0, "alias record alias/b");
        let mut name = [0u8; MAX_NAME_LEN];
        let n = store.next_name(RecordKind::Alias, None, &mut name).unwrap().unwrap();
        assert_eq!(&name[..n], b"alias/a/x");
        let n = store.next_name(RecordKind::Alias, Some("alias/a/x"), &mut name).unwrap().unwrap();
        assert_eq!(&name[..n], b"alias/b");
        assert_eq!(store.next_name(RecordKind::Alias, Some("alias/b"), &mut name).unwrap(), None);
        assert!(store.remove(RecordKind::Alias, "alias/b").unwrap());
        assert!(!store.remove(RecordKind::Alias, "alias/b").unwrap());
        assert_eq!(store.next_name(RecordKind::Alias, Some("alias/a/x"), &mut name).unwrap(), None);
        let mut small = [0u8; 2];
        assert_eq!(store.get(RecordKind::Alias, "alias/a/x", &mut small).unwrap_err().kind(), StoreErrorKind::TooLarge);
        store.release_lock();
        assert!(store.get(RecordKind::Alias, "alias/a/x", &mut buf).is_err());
        assert!(store.put(RecordKind::Alias, "alias/c", b"x").is_err());
        // Another opener gets the lock now.
        drop(DirStore::open(dir.path()).unwrap());

        // Shared: readers together, every write refused and remembered.
        let mut reader = DirStore::open_shared(dir.path()).unwrap();
        let mut other = DirStore::open_shared(dir.path()).unwrap();
        assert_eq!(reader.get(RecordKind::Alias, "alias/a/x", &mut buf).unwrap(), Some(3));
        assert_eq!(other.get(RecordKind::Alias, "alias/a/x", &mut buf).unwrap(), Some(3));
        assert!(!reader.wanted_write());
        assert!(reader.put(RecordKind::Alias, "alias/c", b"x").is_err());
        assert!(reader.wanted_write());
        assert!(other.remove(RecordKind::Alias, "alias/a/x").is_err());
        assert!(other.wanted_write());
        assert_eq!(reader.get(RecordKind::Alias, "alias/c", &mut buf).unwrap(), None);
        assert_eq!(reader.get(RecordKind::Alias, "alias/a/x", &mut buf).unwrap(), Some(3));
        // The exclusive lock waits for the readers.
        let lock = File::open(dir.path().join(LOCK_FILE)).unwrap();
        assert!(FileExt::try_lock(&lock).is_err());
        drop((reader, other));
        FileExt::try_lock(&lock).unwrap();
    }
}
