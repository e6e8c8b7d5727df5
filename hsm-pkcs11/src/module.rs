//! The PKCS#11 module, loaded and initialized once per process.
//!
//! PKCS#11 library state is process-global: a second `C_Initialize` answers
//! CKR_CRYPTOKI_ALREADY_INITIALIZED and a `C_Finalize` anywhere closes every session of every
//! user in the process. So each module is initialized once, kept for the life of the process,
//! and finalized only by [`reinitialize`], which a process that is the module's only user
//! ([`Reconnecting`](crate::Reconnecting)) calls when the token went away: every
//! [`Pkcs11Hsm`](crate::Pkcs11Hsm) shares it.

use crate::Pkcs11Error;
use crate::error::from_cryptoki;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CryptokiError, RvError};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

static MODULES: OnceLock<Mutex<Vec<(PathBuf, Pkcs11)>>> = OnceLock::new();

/// The initialized module at `path`, loading it on first use.
///
/// # Errors
/// [`ErrorKind::Unavailable`](coffer_core::ErrorKind::Unavailable) if the file does not load
/// as a PKCS#11 module; the `C_Initialize` error if initialization fails.
pub fn module(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    let mut modules = MODULES.get_or_init(|| Mutex::new(Vec::new())).lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, pkcs11)) = modules.iter().find(|(p, _)| p == path) {
        return Ok(pkcs11.clone());
    }
    let pkcs11 = Pkcs11::new(path).map_err(|e| match e {
        CryptokiError::LibraryLoading(e) => Pkcs11Error::module(path.to_path_buf(), e.to_string()),
        other => Pkcs11Error::module(path.to_path_buf(), other.to_string()),
    })?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Someone else in this process initialized it first: the state is shared, use it.
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(from_cryptoki(e)),
    }
    modules.push((path.to_path_buf(), pkcs11.clone()));
    Ok(pkcs11)
}

/// Finalizes the module at `path` and initializes it again, so that it reads its tokens anew
/// (SoftHSMv2 lists its token directory only in `C_Initialize`). Every session of the process
/// on this module is closed: call it only where nothing else in the process uses the module.
///
/// # Errors
/// As [`module`]; the `C_Initialize` error.
pub(crate) fn reinitialize(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    let mut modules = MODULES.get_or_init(|| Mutex::new(Vec::new())).lock().unwrap_or_else(PoisonError::into_inner);
    let Some((_, pkcs11)) = modules.iter().find(|(p, _)| p == path) else {
        drop(modules);
        return module(path);
    };
    // Not initialized (a failed earlier attempt) is fine: it is initialized below.
    match pkcs11.clone().finalize() {
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::CryptokiNotInitialized, _)) => {}
        Err(e) => return Err(from_cryptoki(e)),
    }
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => Ok(pkcs11.clone()),
        Err(e) => {
            modules.retain(|(p, _)| p != path);
            Err(from_cryptoki(e))
        }
    }
}
