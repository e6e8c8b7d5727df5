//! Opening the store's files the one way every reader and writer of the store does:
//!
//! - no symbolic link is followed (`O_NOFOLLOW`): a link put in a record's place is refused, not
//!   followed to a file elsewhere;
//! - `O_NONBLOCK` at open, so a FIFO (or a device) put in a record's place cannot make the open
//!   wait for a writer, then only a regular file is accepted (`fstat` of the opened file, so
//!   what is checked is what is read);
//! - reads are bounded: a file larger than the largest legitimate content is refused without
//!   being read whole.
//!
//! `O_NONBLOCK` changes nothing for a regular file on Linux, which is all that is ever read.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// `O_NOFOLLOW`.
const O_NOFOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits().cast_signed();
/// `O_NONBLOCK`.
const O_NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits().cast_signed();
/// `ELOOP`: what `O_NOFOLLOW` gives for a symbolic link.
const ELOOP: i32 = rustix::io::Errno::LOOP.raw_os_error();

/// Why a store file could not be opened or read.
#[derive(Debug)]
pub(crate) enum FileError {
    /// A symbolic link, a directory, a FIFO, a socket or a device where a file should be.
    NotRegular(&'static str),
    /// Larger than `max` bytes.
    TooLarge,
    /// Any other failure of the system.
    Io(io::Error),
}

impl FileError {
    /// The error as a message about `path`.
    pub(crate) fn describe(&self, path: &Path) -> String {
        match self {
            Self::NotRegular(what) => format!("{} is {what}, not a regular file: refusing it", path.display()),
            Self::TooLarge => format!("{} holds more bytes than it may: refusing it", path.display()),
            Self::Io(e) => format!("cannot read {}: {e}", path.display()),
        }
    }
}

fn classify(e: io::Error) -> FileError {
    if e.raw_os_error() == Some(ELOOP) { FileError::NotRegular("a symbolic link") } else { FileError::Io(e) }
}

fn kind_name(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a device"
    }
}

/// Checks that an opened file is a regular file.
fn regular(file: File) -> Result<File, FileError> {
    let meta = file.metadata().map_err(FileError::Io)?;
    if meta.is_file() { Ok(file) } else { Err(FileError::NotRegular(kind_name(&meta))) }
}

/// Opens `path` for reading as described in the module documentation; `Ok(None)` if it does
/// not exist.
///
/// # Errors
/// [`FileError::NotRegular`] for anything but a regular file; I/O failures.
pub(crate) fn open_read(path: &Path) -> Result<Option<File>, FileError> {
    match OpenOptions::new().read(true).custom_flags(O_NOFOLLOW | O_NONBLOCK).open(path) {
        Ok(file) => regular(file).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(classify(e)),
    }
}

/// Opens (creating it with mode 0600 if need be) `path` for appending, as described in the
/// module documentation. A FIFO without a reader fails to open (`ENXIO`) rather than waiting.
///
/// # Errors
/// [`FileError::NotRegular`] for anything but a regular file; I/O failures.
pub(crate) fn open_append(path: &Path) -> Result<File, FileError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(O_NOFOLLOW | O_NONBLOCK)
        .open(path)
        .map_err(classify)?;
    regular(file)
}

/// Opens (creating it with mode 0600 if need be) `path` for reading and writing without
/// truncating it (the lock file), as described in the module documentation.
///
/// # Errors
/// [`FileError::NotRegular`] for anything but a regular file; I/O failures.
pub(crate) fn open_lock(path: &Path) -> Result<File, FileError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(O_NOFOLLOW | O_NONBLOCK)
        .open(path)
        .map_err(classify)?;
    regular(file)
}

/// Reads the whole of `path`, at most `max` bytes; `Ok(None)` if it does not exist.
///
/// # Errors
/// [`FileError::TooLarge`] for a file of more than `max` bytes (at most `max + 1` are read);
/// as [`open_read`].
pub(crate) fn read_bounded(path: &Path, max: usize) -> Result<Option<Vec<u8>>, FileError> {
    let Some(file) = open_read(path)? else { return Ok(None) };
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    // Room for what a legitimate file holds, reserved once (record sizes are small).
    let mut bytes = Vec::with_capacity(max.min(64 * 1024).saturating_add(1));
    file.take(limit).read_to_end(&mut bytes).map_err(FileError::Io)?;
    if bytes.len() > max {
        return Err(FileError::TooLarge);
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .unwrap();
    }

    #[test]
    fn only_regular_files_within_the_bound_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"four").unwrap();
        assert_eq!(read_bounded(&file, 4).unwrap().unwrap(), b"four");
        assert!(matches!(read_bounded(&file, 3), Err(FileError::TooLarge)));
        assert!(read_bounded(&dir.path().join("absent"), 4).unwrap().is_none());

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(matches!(read_bounded(&link, 4), Err(FileError::NotRegular("a symbolic link"))));
        assert!(matches!(open_append(&link), Err(FileError::NotRegular("a symbolic link"))));
        assert!(matches!(open_lock(&link), Err(FileError::NotRegular("a symbolic link"))));

        // A FIFO with no writer: refused at once, not waited on.
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        assert!(matches!(read_bounded(&fifo, 4), Err(FileError::NotRegular("a FIFO"))));
        assert!(open_append(&fifo).is_err());
        assert!(matches!(open_lock(&fifo), Err(FileError::NotRegular("a FIFO"))));

        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(matches!(read_bounded(&sub, 4), Err(FileError::NotRegular("a directory"))));
        let message = FileError::NotRegular("a FIFO").describe(&fifo);
        assert!(message.contains("a FIFO") && message.contains("fifo"), "{message}");
    }
}
