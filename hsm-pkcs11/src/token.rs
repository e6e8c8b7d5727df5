//! Finding the token by label and opening a logged-in session on it.

use crate::error::from_cryptoki;
use crate::{Pin, Pkcs11Error};
use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;

/// The slot holding the one initialized token labelled `label`.
///
/// # Errors
/// [`ErrorKind::Unavailable`](coffer_core::ErrorKind::Unavailable) if no token, or more than
/// one, has the label; the PKCS#11 error if the slots cannot be listed.
pub fn find_token(pkcs11: &Pkcs11, label: &str) -> Result<Slot, Pkcs11Error> {
    let mut found = Vec::new();
    for slot in pkcs11.get_slots_with_initialized_token().map_err(from_cryptoki)? {
        let info = pkcs11.get_token_info(slot).map_err(from_cryptoki)?;
        // Labels are blank-padded to 32 bytes on the wire.
        if info.label().trim_end_matches(' ') == label {
            found.push(slot);
        }
    }
    match found.as_slice() {
        [slot] => Ok(*slot),
        other => Err(Pkcs11Error::token(label, other.len())),
    }
}

/// A read-write session on `slot`, logged in as the user.
///
/// Login is per token, not per session: if another session of this process is already logged
/// in, this one shares that login.
///
/// # Errors
/// The PKCS#11 error: PinIncorrect, PinLocked, a closed or removed token.
pub fn open_session(pkcs11: &Pkcs11, slot: Slot, pin: &Pin) -> Result<Session, Pkcs11Error> {
    let session = pkcs11.open_rw_session(slot).map_err(from_cryptoki)?;
    match session.login(UserType::User, Some(pin.secret())) {
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(e) => Err(from_cryptoki(e)),
    }
}
