//! Finding the token by label and opening a logged-in session on it.

use crate::error::from_cryptoki;
use crate::{Pin, Pkcs11Error};
use coffer_core::hsm::ErrorKind;
use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use secrecy::ExposeSecret;
use std::sync::{Mutex, PoisonError};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

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

/// The PIN of the last successful login through [`open_session`], per token (serial number
/// and label). PKCS#11 logins are per token and process: a second login answers
/// CKR_USER_ALREADY_LOGGED_IN without looking at the PIN, so Coffer compares it itself.
static LOGINS: Mutex<Vec<(String, Zeroizing<Vec<u8>>)>> = Mutex::new(Vec::new());

/// A read-write session on `slot`, logged in as the user.
///
/// Login is per token, not per session: if this process is already logged in to the token,
/// the session shares that login, and `pin` must equal the PIN that login used (compared in
/// constant time). If the login was made outside this function (another library in the same
/// process), the PIN cannot be checked and the session is opened.
///
/// # Errors
/// The PKCS#11 error: PinIncorrect, PinLocked, a closed or removed token; PinIncorrect (no
/// code) for a PIN that differs from the one this process logged in with.
pub fn open_session(pkcs11: &Pkcs11, slot: Slot, pin: &Pin) -> Result<Session, Pkcs11Error> {
    let info = pkcs11.get_token_info(slot).map_err(from_cryptoki)?;
    let token = format!("{}\u{0}{}", info.serial_number().trim_end(), info.label().trim_end());
    let session = pkcs11.open_rw_session(slot).map_err(from_cryptoki)?;
    let given = pin.secret().expose_secret().as_bytes();
    let mut logins = LOGINS.lock().unwrap_or_else(PoisonError::into_inner);
    match session.login(UserType::User, Some(pin.secret())) {
        Ok(()) => {
            logins.retain(|(t, _)| *t != token);
            logins.push((token, Zeroizing::new(given.to_vec())));
            Ok(session)
        }
        Err(CryptokiError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => match logins.iter().find(|(t, _)| *t == token) {
            Some((_, known)) if !bool::from(known.as_slice().ct_eq(given)) => Err(Pkcs11Error::text(
                ErrorKind::PinIncorrect,
                "the PIN differs from the one this process is logged in with",
            )),
            _ => Ok(session),
        },
        Err(e) => Err(from_cryptoki(e)),
    }
}
