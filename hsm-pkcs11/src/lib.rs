#![forbid(unsafe_code)]
#![doc = include_str!("../README.md")]
// A std crate (cryptoki needs std): std paths are the plain ones here; the workspace lints
// that prefer core/alloc paths exist for the no_std crates.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod attribute_array;
mod check;
mod config;
mod error;
mod key_cache;
mod module;
mod pkcs11_hsm;
mod reconnecting;
mod root_keys;
mod root_templates;
mod templates;
mod token;

pub use check::{CheckLine, Status, TokenReport, check_token};
pub use config::{
    DEFAULT_KEY_CACHE, DEFAULT_LABEL_PREFIX, DEFAULT_MODULE, ENV_LABEL_PREFIX, ENV_MODULE, ENV_PIN, ENV_PIN_FILE,
    ENV_TOKEN, MAX_KEY_CACHE, Pin, Pkcs11Config,
};
pub use error::{Pkcs11Error, ckr_code};
pub use key_cache::Pkcs11Handle;
pub use module::module;
pub use pkcs11_hsm::Pkcs11Hsm;
pub use reconnecting::{FIRST_BACKOFF, MAX_BACKOFF, Reconnecting};
pub use templates::RootProtection;
pub use token::{find_token, open_session};

/// cryptoki, re-exported so that callers name the same types (slots, sessions, return values).
pub use cryptoki;
