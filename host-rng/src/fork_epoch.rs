//! The process's fork epoch: a random non-zero number in one page the kernel zeroes in a child
//! after `fork` (`MADV_WIPEONFORK`). A generator seeded under one epoch reseeds when it sees
//! another, or zero.
//!
//! The page is mapped once per process and never unmapped: a `&'static` to it is handed out.
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The epoch page, or `None` where this process cannot have one (see [`map_page`]).
pub(crate) fn page() -> Option<&'static AtomicU64> {
    static PAGE: OnceLock<Option<&'static AtomicU64>> = OnceLock::new();
    *PAGE.get_or_init(map_page)
}

/// The current epoch: the page's value, or a fresh random one if the page reads zero (the
/// first call in this process, or the first since a fork). `None` without a page.
///
/// # Errors
/// The OS generator's error, when a fresh epoch is needed and it fails.
pub(crate) fn current() -> Result<Option<u64>, getrandom::Error> {
    let Some(page) = page() else { return Ok(None) };
    let seen = page.load(Ordering::Acquire);
    if seen != 0 {
        return Ok(Some(seen));
    }
    let fresh = loop {
        let candidate = getrandom::u64()?;
        if candidate != 0 {
            break candidate;
        }
    };
    // Threads of a new child may race here; all of them take whichever epoch won.
    match page.compare_exchange(0, fresh, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(Some(fresh)),
        Err(winner) => Ok(Some(winner)),
    }
}

#[cfg(target_os = "linux")]
fn map_page() -> Option<&'static AtomicU64> {
    let len = page_size()?;
    // SAFETY: an anonymous private mapping at an address of the kernel's choice: it aliases no
    // Rust object. The arguments are valid constants; failure is checked below.
    let ptr = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED || ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr..ptr+len` is the mapping just made, private anonymous as WIPEONFORK requires.
    if unsafe { libc::madvise(ptr, len, libc::MADV_WIPEONFORK) } != 0 {
        // Without the advice the page would be copied into a child, and a fork go unnoticed:
        // leave it mapped (harmless, one page) and work without an epoch.
        return None;
    }
    // SAFETY: the mapping is page-aligned (so aligned for `AtomicU64`), at least 8 bytes long,
    // zero-filled (a valid `AtomicU64`), readable and writable, never unmapped, and reached only
    // through this shared atomic reference, so the `'static` shared borrow is sound.
    Some(unsafe { &*ptr.cast::<AtomicU64>() })
}

#[cfg(target_os = "linux")]
fn page_size() -> Option<usize> {
    // SAFETY: `sysconf` reads a configuration value; it has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).ok().filter(|&size| size >= core::mem::size_of::<AtomicU64>())
}

/// Other systems: no epoch page, so every request goes to the OS.
#[cfg(not(target_os = "linux"))]
fn map_page() -> Option<&'static AtomicU64> {
    None
}
