//! The PKCS#11 backend's error: the common [`ErrorKind`] plus what the token said.

use coffer_core::hsm::{ErrorKind, HsmError};
use cryptoki::context::Function;
use cryptoki::error::{Error as CryptokiError, Rv, RvError};
use std::fmt;
use std::path::PathBuf;

/// Why a [`Pkcs11Hsm`](crate::Pkcs11Hsm) call failed.
///
/// [`kind`](HsmError::kind) gives the backend-independent kind; [`rv`](Self::rv) and
/// [`ckr`](Self::ckr) the PKCS#11 return value when a PKCS#11 function failed, and
/// [`function`](Self::function) which one. Authentication failures (a GCM tag, a key-wrap
/// integrity check, a MAC) carry no detail at all, whatever the token answered: a caller learns
/// only that the input did not authenticate.
#[derive(Debug, Clone)]
pub struct Pkcs11Error {
    kind: ErrorKind,
    detail: Detail,
}

/// What is known beyond the kind.
#[derive(Debug, Clone)]
enum Detail {
    None,
    /// A PKCS#11 function returned an error code.
    Call {
        function: Function,
        rv: RvError,
    },
    /// The module did not load.
    Module {
        path: PathBuf,
        reason: String,
    },
    /// No token, or more than one, has the label.
    Token {
        label: String,
        found: usize,
    },
    /// A fixed description of the refused argument or the failed check; never key bytes.
    Text(&'static str),
    /// A configuration problem naming its source (an environment variable or a file path).
    Config {
        what: &'static str,
        source: String,
    },
}

impl Pkcs11Error {
    pub(crate) const fn new(kind: ErrorKind) -> Self {
        Self { kind, detail: Detail::None }
    }

    pub(crate) const fn text(kind: ErrorKind, what: &'static str) -> Self {
        Self { kind, detail: Detail::Text(what) }
    }

    /// The one error for every authentication failure.
    pub(crate) const fn authentication() -> Self {
        Self::new(ErrorKind::AuthenticationFailed)
    }

    pub(crate) fn module(path: PathBuf, reason: String) -> Self {
        Self { kind: ErrorKind::Unavailable, detail: Detail::Module { path, reason } }
    }

    pub(crate) fn token(label: &str, found: usize) -> Self {
        Self { kind: ErrorKind::Unavailable, detail: Detail::Token { label: label.into(), found } }
    }

    pub(crate) fn config(what: &'static str, source: impl Into<String>) -> Self {
        Self { kind: ErrorKind::InvalidInput, detail: Detail::Config { what, source: source.into() } }
    }

    /// A failed call whose kind follows from its return value alone.
    pub(crate) fn call(function: Function, rv: RvError) -> Self {
        Self { kind: kind_of(rv), detail: Detail::Call { function, rv } }
    }

    /// A failed call with its kind chosen by the caller (a missing root key is not a bad handle).
    pub(crate) const fn call_as(kind: ErrorKind, function: Function, rv: RvError) -> Self {
        Self { kind, detail: Detail::Call { function, rv } }
    }

    /// The PKCS#11 return value, if a PKCS#11 function failed (and the failure was not an
    /// authentication failure, which keeps no detail).
    pub const fn rv(&self) -> Option<RvError> {
        match self.detail {
            Detail::Call { rv, .. } => Some(rv),
            _ => None,
        }
    }

    /// The numeric `CKR_*` code of [`rv`](Self::rv).
    pub fn ckr(&self) -> Option<u64> {
        self.rv().map(ckr_code)
    }

    /// The PKCS#11 function that failed, if one did.
    pub const fn function(&self) -> Option<Function> {
        match self.detail {
            Detail::Call { function, .. } => Some(function),
            _ => None,
        }
    }
}

impl HsmError for Pkcs11Error {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Pkcs11Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)?;
        match &self.detail {
            Detail::None => Ok(()),
            Detail::Call { function, rv } => {
                let name = format!("{function:?}");
                write!(f, ": C_{name} returned {rv:?} (CKR 0x{:08X})", ckr_code(*rv))
            }
            Detail::Module { path, reason } => write!(f, ": PKCS#11 module {} did not load: {reason}", path.display()),
            Detail::Token { label, found: 0 } => write!(f, ": no token has the label {label:?}"),
            Detail::Token { label, found } => {
                write!(f, ": {found} tokens have the label {label:?}; labels must be unique")
            }
            Detail::Text(what) => write!(f, ": {what}"),
            Detail::Config { what, source } => write!(f, ": {what} ({source})"),
        }
    }
}

impl std::error::Error for Pkcs11Error {}

/// Converts a cryptoki error. Errors that are not return codes (integer
/// conversions, a missing symbol) are device errors.
pub(crate) fn from_cryptoki(e: CryptokiError) -> Pkcs11Error {
    match e {
        CryptokiError::Pkcs11(rv, function) => Pkcs11Error::call(function, rv),
        CryptokiError::NotSupported | CryptokiError::NullFunctionPointer | CryptokiError::MissingSymbol(_) => {
            Pkcs11Error::text(ErrorKind::Unsupported, "the module does not provide a PKCS#11 function Coffer needs")
        }
        _ => Pkcs11Error::text(ErrorKind::Device, "the PKCS#11 wrapper refused a value"),
    }
}

/// The kind a return value means when the context adds nothing.
pub(crate) const fn kind_of(rv: RvError) -> ErrorKind {
    use RvError as R;
    match rv {
        R::PinIncorrect | R::PinInvalid | R::PinLenRange => ErrorKind::PinIncorrect,
        R::PinLocked | R::PinExpired => ErrorKind::PinLocked,
        R::UserNotLoggedIn | R::UserPinNotInitialized => ErrorKind::NotLoggedIn,
        R::SessionHandleInvalid | R::SessionClosed | R::DeviceRemoved | R::TokenNotPresent => ErrorKind::SessionClosed,
        R::KeyHandleInvalid | R::ObjectHandleInvalid => ErrorKind::KeyHandleInvalid,
        R::WrappingKeyHandleInvalid | R::UnwrappingKeyHandleInvalid => ErrorKind::RootKeysNotFound,
        R::RandomNoRng | R::RandomSeedNotSupported => ErrorKind::RandomFailure,
        R::MechanismInvalid | R::MechanismParamInvalid | R::FunctionNotSupported | R::KeyFunctionNotPermitted => {
            ErrorKind::Unsupported
        }
        R::DeviceMemory => ErrorKind::NoFreeSlot,
        R::ArgumentsBad
        | R::DataInvalid
        | R::DataLenRange
        | R::TemplateIncomplete
        | R::TemplateInconsistent
        | R::AttributeValueInvalid
        | R::AttributeTypeInvalid
        | R::AttributeReadOnly => ErrorKind::InvalidInput,
        R::CryptokiNotInitialized | R::TokenNotRecognized | R::SlotIdInvalid => ErrorKind::Unavailable,
        _ => ErrorKind::Device,
    }
}

/// The numeric `CKR_*` value of `rv`.
///
/// cryptoki converts codes to [`RvError`] but not back. Every standard code is below 0x400
/// (vendor codes carry their own value), so the inverse is found by trying each: this runs
/// only on error paths, and it cannot disagree with cryptoki's own table.
pub fn ckr_code(rv: RvError) -> u64 {
    match rv {
        RvError::VendorDefined(code) | RvError::UnknownErrorCode(code) => code,
        known => (1..0x400).find(|&code| Rv::from(code) == Rv::Error(known)).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckr_codes_match_the_standard() {
        // Values from pkcs11t.h.
        assert_eq!(ckr_code(RvError::GeneralError), 0x05);
        assert_eq!(ckr_code(RvError::PinIncorrect), 0xA0);
        assert_eq!(ckr_code(RvError::PinLocked), 0xA4);
        assert_eq!(ckr_code(RvError::SessionHandleInvalid), 0xB3);
        assert_eq!(ckr_code(RvError::UserNotLoggedIn), 0x101);
        assert_eq!(ckr_code(RvError::ObjectHandleInvalid), 0x82);
        assert_eq!(ckr_code(RvError::VendorDefined(0x8000_0001)), 0x8000_0001);
    }

    /// The codes a login can answer, as a module returns them to cryptoki (SoftHSMv2 never
    /// locks a PIN, so `PinLocked` cannot be produced with it; see tests/errors.rs).
    #[test]
    fn login_codes_map_to_pin_kinds() {
        for (code, kind) in [
            (0xA0, ErrorKind::PinIncorrect),
            (0xA1, ErrorKind::PinIncorrect),
            (0xA2, ErrorKind::PinIncorrect),
            (0xA3, ErrorKind::PinLocked),
            (0xA4, ErrorKind::PinLocked),
            (0x101, ErrorKind::NotLoggedIn),
            (0xB3, ErrorKind::SessionClosed),
            (0x32, ErrorKind::SessionClosed),
            (0xE0, ErrorKind::SessionClosed),
        ] {
            let Rv::Error(rv) = Rv::from(code) else { panic!("{code:#x} is an error") };
            let e = from_cryptoki(CryptokiError::Pkcs11(rv, Function::Login));
            assert_eq!((e.kind(), e.ckr()), (kind, Some(code)), "{e}");
        }
    }

    #[test]
    fn display_names_function_and_code_and_authentication_says_nothing() {
        let e = Pkcs11Error::call(Function::Login, RvError::PinIncorrect);
        assert_eq!(e.kind(), ErrorKind::PinIncorrect);
        assert_eq!(e.to_string(), "PIN incorrect: C_Login returned PinIncorrect (CKR 0x000000A0)");
        let auth = Pkcs11Error::authentication();
        assert_eq!(auth.to_string(), "authentication failed");
        assert_eq!((auth.rv(), auth.ckr()), (None, None));
        assert!(auth.function().is_none());
    }
}
