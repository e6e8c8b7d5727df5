//! The token check: does this module and token have what Coffer needs? For qualifying a new HSM
//! model before deployment.
//!
//! It lists the mechanisms and flags Coffer uses, makes session keys with Coffer's own
//! templates and reads their protection attributes back, and runs known-answer self-tests
//! (NIST GCM, RFC 5649, RFC 4231) through the token. It creates session objects only, and
//! destroys them: nothing on the token changes.

use crate::root_keys::{self, check_unwrap_is_confined, check_wrap_is_confined, create_with_value};
use crate::root_templates::with_root_templates;
use crate::templates::{self, Lifetime, RootProtection, Usage};
use crate::{Pkcs11Config, Pkcs11Error, module, token};
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use hex_literal::hex;
use std::fmt;

/// How a [`CheckLine`] came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Coffer can rely on it.
    Pass,
    /// Coffer works, with a protection less than it would have on a better token (the detail
    /// says which).
    Warn,
    /// Coffer cannot rely on it: do not deploy on this token.
    Fail,
}

/// One line of a [`TokenReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckLine {
    /// What was checked.
    pub what: String,
    /// How it came out.
    pub status: Status,
    /// What was seen.
    pub detail: String,
}

/// What [`check_token`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenReport {
    /// The module's own description and version.
    pub library: String,
    /// The token's label, manufacturer, model and serial number.
    pub token: String,
    /// Mechanisms, attributes and self-tests, in that order.
    pub lines: Vec<CheckLine>,
}

impl TokenReport {
    /// True if no line failed (warnings allowed).
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The lines that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckLine> {
        self.lines.iter().filter(|l| l.status == Status::Fail)
    }

    fn push(&mut self, what: impl Into<String>, ok: bool, detail: impl Into<String>) {
        let status = if ok { Status::Pass } else { Status::Fail };
        self.lines.push(CheckLine { what: what.into(), status, detail: detail.into() });
    }
}

impl fmt::Display for TokenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "module: {}", self.library)?;
        writeln!(f, "token:  {}", self.token)?;
        for line in &self.lines {
            let status = match line.status {
                Status::Pass => " ok ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            writeln!(f, "[{status}] {}: {}", line.what, line.detail)?;
        }
        let failed = self.failures().count();
        let warned = self.lines.iter().filter(|l| l.status == Status::Warn).count();
        if failed == 0 && warned > 0 {
            write!(f, "result: the token has everything Coffer needs ({warned} warning(s) above)")
        } else if failed == 0 {
            write!(f, "result: the token has everything Coffer needs")
        } else {
            write!(f, "result: {failed} check(s) failed")
        }
    }
}

/// Checks the token named by `config`: its mechanisms, the protection attributes of keys made
/// with Coffer's templates, and known-answer self-tests.
///
/// # Errors
/// Only when the check cannot run at all: the module does not load, the token is not there, or
/// the login fails. Everything else is a failed line of the report.
pub fn check_token(config: &Pkcs11Config) -> Result<TokenReport, Pkcs11Error> {
    config.check()?;
    let pkcs11 = module::module(&config.module)?;
    let slot = token::find_token(&pkcs11, &config.token_label)?;
    let library = match pkcs11.get_library_info() {
        Ok(info) => format!("{} {} ({})", info.library_description(), info.library_version(), config.module.display()),
        Err(e) => format!("{} (no library info: {e})", config.module.display()),
    };
    let token = match pkcs11.get_token_info(slot) {
        Ok(info) => format!(
            "{} — {} {}, serial {}",
            info.label().trim_end(),
            info.manufacturer_id().trim_end(),
            info.model().trim_end(),
            info.serial_number().trim_end()
        ),
        Err(e) => format!("{} (no token info: {e})", config.token_label),
    };
    let mut report = TokenReport { library, token, lines: Vec::new() };

    for (mechanism, name, needs) in MECHANISMS {
        let line = match pkcs11.get_mechanism_info(slot, mechanism) {
            Ok(info) => {
                let flags = [
                    ("encrypt", info.encrypt()),
                    ("decrypt", info.decrypt()),
                    ("wrap", info.wrap()),
                    ("unwrap", info.unwrap()),
                    ("sign", info.sign()),
                    ("verify", info.verify()),
                    ("generate", info.generate()),
                ];
                let missing: Vec<&str> = needs
                    .iter()
                    .filter(|need| !flags.iter().any(|(flag, has)| flag == *need && *has))
                    .copied()
                    .collect();
                let sizes = format!("key sizes {}..{}", info.min_key_size(), info.max_key_size());
                // Coffer's keys are 32 bytes. The standard counts AES and HMAC key sizes in
                // bytes; some tokens report bits, so 256 bits is accepted as well.
                let fits = |n: usize| info.min_key_size() <= n && n <= info.max_key_size();
                if !(fits(32) || fits(256)) {
                    (false, format!("no 32-byte keys ({sizes})"))
                } else if missing.is_empty() {
                    (true, format!("{} ({sizes})", needs.join(", ")))
                } else {
                    (false, format!("lacks {} ({sizes})", missing.join(", ")))
                }
            }
            Err(e) => (false, format!("not available: {e}")),
        };
        report.push(format!("mechanism {name}"), line.0, line.1);
    }

    let session = token::open_session(&pkcs11, slot, &config.pin)?;
    let mut made = Vec::new();
    attribute_checks(&session, config, &mut report, &mut made);
    self_tests(&session, &mut report, &mut made);
    report.lines.push(root_keys_line(&session, config));
    for object in made {
        let _ = session.destroy_object(object);
    }
    Ok(report)
}

/// The mechanisms Coffer uses and the functions it needs of each.
const MECHANISMS: [(MechanismType, &str, &[&str]); 5] = [
    (MechanismType::AES_KEY_GEN, "CKM_AES_KEY_GEN", &["generate"]),
    (MechanismType::GENERIC_SECRET_KEY_GEN, "CKM_GENERIC_SECRET_KEY_GEN", &["generate"]),
    (MechanismType::AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD (RFC 5649)", &["wrap", "unwrap"]),
    (MechanismType::AES_GCM, "CKM_AES_GCM", &["encrypt", "decrypt"]),
    (MechanismType::SHA256_HMAC, "CKM_SHA256_HMAC", &["sign", "verify"]),
];

/// Makes a session copy of each root key template and of a loaded key, and checks that the
/// token kept the protection Coffer asked for.
fn attribute_checks(session: &Session, config: &Pkcs11Config, report: &mut TokenReport, made: &mut Vec<ObjectHandle>) {
    let keys = [
        (
            "root wrapping key template",
            Mechanism::AesKeyGen,
            templates::generate(
                KeyType::AES,
                Usage::WrapUnwrap,
                Lifetime::Session,
                false,
                &config.wrapping_key_label(),
            ),
        ),
        (
            "root sealing key template",
            Mechanism::GenericSecretKeyGen,
            templates::generate(
                KeyType::GENERIC_SECRET,
                Usage::SignVerify,
                Lifetime::Session,
                false,
                &config.sealing_key_label(),
            ),
        ),
        (
            "loaded key template",
            Mechanism::AesKeyGen,
            templates::generate(
                KeyType::AES,
                Usage::EncryptDecrypt,
                Lifetime::Session,
                false,
                &config.loaded_key_label(),
            ),
        ),
    ];
    for (name, mechanism, template) in keys {
        let (ok, detail) = match session.generate_key(&mechanism, &template) {
            Ok(key) => {
                made.push(key);
                protection(session, key, true)
            }
            Err(e) => (false, format!("generation refused: {e}")),
        };
        report.push(format!("attributes of {name}"), ok, detail);
    }
}

/// Reads back CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_PRIVATE (and, for a key generated in the
/// token, CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE, which an unwrapped key never has) and
/// tries CKA_VALUE, which must be refused.
fn protection(session: &Session, key: ObjectHandle, generated: bool) -> (bool, String) {
    let mut wanted = vec![Attribute::Sensitive(true), Attribute::Extractable(false), Attribute::Private(true)];
    if generated {
        wanted.extend([Attribute::AlwaysSensitive(true), Attribute::NeverExtractable(true)]);
    }
    let types: Vec<AttributeType> = wanted.iter().map(Attribute::attribute_type).collect();
    let got = match session.get_attributes(key, &types) {
        Ok(got) => got,
        Err(e) => return (false, format!("attributes unreadable: {e}")),
    };
    let wrong: Vec<String> =
        wanted.iter().filter(|w| !got.contains(w)).map(|w| format!("{:?}", w.attribute_type())).collect();
    let value = session.get_attribute_info(key, &[AttributeType::Value]);
    let value_hidden = matches!(value.as_deref(), Ok([AttributeInfo::Sensitive]));
    match (wrong.is_empty(), value_hidden) {
        (true, true) => (true, "sensitive, non-extractable, CKA_VALUE unreadable".into()),
        (false, _) => (false, format!("not as set: {}", wrong.join(", "))),
        (true, false) => (false, format!("CKA_VALUE is readable ({value:?})")),
    }
}

const GCM_KEY: [u8; 32] = hex!("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
const GCM_IV: [u8; 12] = hex!("cafebabefacedbaddecaf888");
const GCM_AAD: [u8; 20] = hex!("feedfacedeadbeeffeedfacedeadbeefabaddad2");
const GCM_PT: [u8; 60] = hex!(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
);
const GCM_CT_TAG: [u8; 76] = hex!(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
    "76fc6ece0f4e1768cddf8853bb2d551b"
);
const KWP_KEK: [u8; 24] = hex!("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
const KWP_WRAPPED: [u8; 32] = hex!("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a");
const KWP_KEY: [u8; 20] = hex!("c37b7e6492584340bed12207808941155068f738");
const HMAC_DATA: &[u8] = b"Test Using Larger Than Block-Size Key - Hash Key First";
const HMAC_TAG: [u8; 32] = hex!("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

/// Known answers and Coffer's own wrap/load/seal path, through the token.
fn self_tests(session: &Session, report: &mut TokenReport, made: &mut Vec<ObjectHandle>) {
    let (ok, detail) = random(session);
    report.push("self-test C_GenerateRandom", ok, detail);
    let (ok, detail) = gcm_known_answer(session, made);
    report.push("self-test AES-256-GCM (GCM spec test case 16)", ok, detail);
    let (ok, detail) = kwp_known_answer(session, made);
    report.push("self-test AES key wrap with padding (RFC 5649 §6)", ok, detail);
    let (ok, detail) = hmac_known_answer(session, made);
    report.push("self-test HMAC-SHA-256 (RFC 4231 case 6)", ok, detail);
    let (ok, detail) = coffer_path(session, made);
    report.push("self-test generate, wrap, unwrap, seal, open", ok, detail);
    let (ok, detail) = unwrap_template_enforced(session, made);
    report.push("the root's unwrap template is enforced (no extractable unwrap)", ok, detail);
    let (ok, detail) = caller_iv_kept(session, made);
    report.push("AES-GCM uses the caller's IV", ok, detail);
    report.lines.push(unwrapped_length_reported(session, made));
    report.lines.push(wrap_template_enforced(session, made));
    report.lines.push(destroyable_honoured(session));
}

/// A session copy of Coffer's root wrapping key, with its unwrap template (and its wrap
/// template if `wrap_template`). Destroyable, so that the check leaves nothing behind.
fn session_root_wrapping(
    session: &Session,
    made: &mut Vec<ObjectHandle>,
    wrap_template: bool,
) -> Result<ObjectHandle, String> {
    let protection = RootProtection { wrap_template, non_destroyable: false };
    let root = with_root_templates(|root| {
        let template = templates::root_wrapping("coffer-check", Lifetime::Session, root, protection);
        session.generate_key(&Mechanism::AesKeyGen, &template)
    })
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("refused: {e}"))?;
    made.push(root);
    Ok(root)
}

fn unwrap_template_enforced(session: &Session, made: &mut Vec<ObjectHandle>) -> (bool, String) {
    outcome((|| {
        let root = session_root_wrapping(session, made, false)?;
        check_unwrap_is_confined(session, root).map_err(|e| e.to_string())?;
        Ok("a key wrapped under it cannot be unwrapped as extractable".into())
    })())
}

/// A token may write its own IV into the GCM parameters (PKCS#11 allows it; AWS CloudHSM does).
/// Coffer reads the IV back after each call, so that is safe; this line says which it is.
fn caller_iv_kept(session: &Session, made: &mut Vec<ObjectHandle>) -> (bool, String) {
    outcome((|| {
        let key = known_aes_key(session, &GCM_KEY, made)?;
        let mut iv = GCM_IV;
        let params = GcmParams::new(&mut iv, &GCM_AAD, 128.into()).map_err(|e| e.to_string())?;
        session.encrypt(&Mechanism::AesGcm(params), key, &GCM_PT).map_err(|e| e.to_string())?;
        if iv == GCM_IV {
            Ok("yes".into())
        } else {
            Ok("no: the token chose its own IV (Coffer reads it back after each call)".into())
        }
    })())
}

/// SoftHSMv2 reports CKA_VALUE_LEN 0 for unwrapped keys, so Coffer cannot check their length.
fn unwrapped_length_reported(session: &Session, made: &mut Vec<ObjectHandle>) -> CheckLine {
    let what = "unwrapped keys report CKA_VALUE_LEN".to_string();
    let result = (|| {
        let root = session_root_wrapping(session, made, false)?;
        let version = session
            .generate_key(&Mechanism::AesKeyGen, &templates::generated_version("coffer-check"))
            .map_err(|e| e.to_string())?;
        made.push(version);
        let wrapped = session.wrap_key(&Mechanism::AesKeyWrapPad, root, version).map_err(|e| e.to_string())?;
        let loaded = session
            .unwrap_key(&Mechanism::AesKeyWrapPad, root, &wrapped, &templates::loaded_version("coffer-check", &[]))
            .map_err(|e| e.to_string())?;
        made.push(loaded);
        session.get_attributes(loaded, &[AttributeType::ValueLen]).map_err(|e| e.to_string())
    })();
    let (status, detail) = match result.as_deref() {
        Ok([Attribute::ValueLen(len)]) if u64::from(*len) == 32 => (Status::Pass, "32".to_string()),
        Ok([Attribute::ValueLen(len)]) if u64::from(*len) == 0 => (
            Status::Warn,
            "reports 0: Coffer cannot check that unwrapped material is 32 bytes on this token \
             (only someone logged in to the token can wrap other lengths under the root)"
                .to_string(),
        ),
        Ok(other) => (Status::Fail, format!("unexpected: {other:?}")),
        Err(e) => (Status::Fail, e.clone()),
    };
    CheckLine { what, status, detail }
}

fn outcome(result: Result<String, String>) -> (bool, String) {
    match result {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    }
}

fn random(session: &Session) -> (bool, String) {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    outcome(match session.generate_random_slice(&mut a).and_then(|()| session.generate_random_slice(&mut b)) {
        Ok(()) if a != b && a != [0; 32] => Ok("two 32-byte draws differ".into()),
        Ok(()) => Err("two draws were equal or zero".into()),
        Err(e) => Err(e.to_string()),
    })
}

/// A session AES key with a known value, for encrypt/decrypt only.
fn known_aes_key(session: &Session, value: &[u8; 32], made: &mut Vec<ObjectHandle>) -> Result<ObjectHandle, String> {
    let template = templates::secret_key(KeyType::AES, Usage::EncryptDecrypt, Lifetime::Session, false, "coffer-check");
    let key = create_with_value(session, template, value).map_err(|e| format!("key import refused: {e}"))?;
    made.push(key);
    Ok(key)
}

fn gcm_known_answer(session: &Session, made: &mut Vec<ObjectHandle>) -> (bool, String) {
    outcome((|| {
        let key = known_aes_key(session, &GCM_KEY, made)?;
        let mut iv = GCM_IV;
        let params = GcmParams::new(&mut iv, &GCM_AAD, 128.into()).map_err(|e| e.to_string())?;
        let ct = session.encrypt(&Mechanism::AesGcm(params), key, &GCM_PT).map_err(|e| e.to_string())?;
        if ct != GCM_CT_TAG {
            return Err("ciphertext or tag differs from the known answer".into());
        }
        let mut iv = GCM_IV;
        let params = GcmParams::new(&mut iv, &GCM_AAD, 128.into()).map_err(|e| e.to_string())?;
        let pt = session.decrypt(&Mechanism::AesGcm(params), key, &GCM_CT_TAG).map_err(|e| e.to_string())?;
        if pt != GCM_PT {
            return Err("decryption differs from the known answer".into());
        }
        let mut bad = GCM_CT_TAG;
        if let Some(last) = bad.last_mut() {
            *last ^= 1;
        }
        let mut iv = GCM_IV;
        let params = GcmParams::new(&mut iv, &GCM_AAD, 128.into()).map_err(|e| e.to_string())?;
        if session.decrypt(&Mechanism::AesGcm(params), key, &bad).is_ok() {
            return Err("a tampered tag was accepted".into());
        }
        Ok("encrypt and decrypt match; a tampered tag is refused".into())
    })())
}

fn kwp_known_answer(session: &Session, made: &mut Vec<ObjectHandle>) -> (bool, String) {
    outcome((|| {
        // The RFC's KEK is AES-192: a test key, not Coffer's shape.
        let kek = session
            .create_object(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
                Attribute::Token(false),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Unwrap(true),
                Attribute::Value(KWP_KEK.to_vec()),
            ])
            .map_err(|e| format!("KEK import refused: {e}"))?;
        made.push(kek);
        // Unwrapped as a readable test secret, so that its value can be compared.
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::Token(false),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ];
        let key = session
            .unwrap_key(&Mechanism::AesKeyWrapPad, kek, &KWP_WRAPPED, &template)
            .map_err(|e| format!("unwrap failed: {e}"))?;
        made.push(key);
        let value = session.get_attributes(key, &[AttributeType::Value]).map_err(|e| e.to_string())?;
        if value != [Attribute::Value(KWP_KEY.to_vec())] {
            return Err("unwrapped value differs from the known answer".into());
        }
        let mut bad = KWP_WRAPPED;
        if let Some(first) = bad.first_mut() {
            *first ^= 1;
        }
        match session.unwrap_key(&Mechanism::AesKeyWrapPad, kek, &bad, &template) {
            Ok(key) => {
                made.push(key);
                Err("a tampered wrapped key was accepted".into())
            }
            Err(_) => Ok("unwrap matches; a tampered wrapped key is refused".into()),
        }
    })())
}

fn hmac_known_answer(session: &Session, made: &mut Vec<ObjectHandle>) -> (bool, String) {
    outcome((|| {
        let key = session
            .create_object(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GENERIC_SECRET),
                Attribute::Token(false),
                Attribute::Sensitive(true),
                Attribute::Sign(true),
                Attribute::Value([0xaa; 131].to_vec()),
            ])
            .map_err(|e| format!("key import refused: {e}"))?;
        made.push(key);
        let tag = session.sign(&Mechanism::Sha256Hmac, key, HMAC_DATA).map_err(|e| e.to_string())?;
        if tag == HMAC_TAG { Ok("matches".into()) } else { Err("differs from the known answer".into()) }
    })())
}

/// What [`Pkcs11Hsm`](crate::Pkcs11Hsm) does with a key version, with session keys in place of
/// the root: generate, wrap, unwrap non-extractable, seal and open; the loaded key must refuse
/// to be wrapped.
fn coffer_path(session: &Session, made: &mut Vec<ObjectHandle>) -> (bool, String) {
    outcome((|| {
        let root = session
            .generate_key(
                &Mechanism::AesKeyGen,
                &templates::generate(KeyType::AES, Usage::WrapUnwrap, Lifetime::Session, false, "coffer-check"),
            )
            .map_err(|e| format!("wrapping key generation: {e}"))?;
        made.push(root);
        let version = session
            .generate_key(&Mechanism::AesKeyGen, &templates::generated_version("coffer-check"))
            .map_err(|e| format!("key generation: {e}"))?;
        made.push(version);
        let wrapped = session.wrap_key(&Mechanism::AesKeyWrapPad, root, version).map_err(|e| format!("wrap: {e}"))?;
        if wrapped.len() != 40 {
            return Err(format!("a 32-byte key wrapped to {} bytes, not 40", wrapped.len()));
        }
        let loaded = session
            .unwrap_key(&Mechanism::AesKeyWrapPad, root, &wrapped, &templates::loaded_version("coffer-check", &[]))
            .map_err(|e| format!("unwrap: {e}"))?;
        made.push(loaded);
        if let (false, detail) = protection(session, loaded, false) {
            return Err(format!("loaded key: {detail}"));
        }
        let mut iv = [7u8; 12];
        let params = GcmParams::new(&mut iv, b"aad", 128.into()).map_err(|e| e.to_string())?;
        let sealed = session.encrypt(&Mechanism::AesGcm(params), loaded, b"coffer").map_err(|e| e.to_string())?;
        let mut iv = [7u8; 12];
        let params = GcmParams::new(&mut iv, b"aad", 128.into()).map_err(|e| e.to_string())?;
        let opened = session.decrypt(&Mechanism::AesGcm(params), loaded, &sealed).map_err(|e| e.to_string())?;
        if opened != b"coffer" {
            return Err("seal/open round trip differs".into());
        }
        if session.wrap_key(&Mechanism::AesKeyWrapPad, root, loaded).is_ok() {
            return Err("the token wrapped a non-extractable loaded key".into());
        }
        Ok("round trip ok; the loaded key is non-extractable and refuses to be wrapped".into())
    })())
}

/// Without a wrap template, anyone with the user PIN can wrap a key of known value under the
/// root and plant it in a key record: Coffer works, with that door open (a warning).
fn wrap_template_enforced(session: &Session, made: &mut Vec<ObjectHandle>) -> CheckLine {
    let what = "the root's wrap template is enforced (no key made outside the token is wrapped)".to_string();
    let result = session_root_wrapping(session, made, true)
        .and_then(|root| check_wrap_is_confined(session, root).map_err(|e| e.to_string()));
    let (status, detail) = match result {
        Ok(()) => (Status::Pass, "a key of known value cannot be wrapped under the root".to_string()),
        Err(e) => (Status::Warn, format!("{e}: a PIN holder can plant a key of known value (docs/PKCS11.md)")),
    };
    CheckLine { what, status, detail }
}

/// CKA_DESTROYABLE false must make C_DestroyObject refuse; a token without it lets a PIN holder
/// destroy the root keys (a warning: back the token up).
fn destroyable_honoured(session: &Session) -> CheckLine {
    let what = "keys can be made non-destroyable (CKA_DESTROYABLE false)".to_string();
    let mut template = templates::generate(KeyType::AES, Usage::None, Lifetime::Session, false, "coffer-check");
    template.push(Attribute::Destroyable(false));
    let (status, detail) = match session.generate_key(&Mechanism::AesKeyGen, &template) {
        // A session object: it goes when the check's session closes, whatever the token says.
        Ok(key) => match session.destroy_object(key) {
            Err(CryptokiError::Pkcs11(RvError::ActionProhibited, _)) => {
                (Status::Pass, "C_DestroyObject refuses the key".to_string())
            }
            Err(e) => (Status::Warn, format!("C_DestroyObject refused it with another code: {e}")),
            Ok(()) => (Status::Warn, "the token destroyed it anyway: a PIN holder can destroy the root keys".into()),
        },
        Err(e) => (Status::Warn, format!("the attribute is refused ({e}): a PIN holder can destroy the root keys")),
    };
    CheckLine { what, status, detail }
}

/// The root keys of `config`'s label prefix, if the token holds them: how they are protected.
fn root_keys_line(session: &Session, config: &Pkcs11Config) -> CheckLine {
    let what = format!("root keys {} and {}", config.wrapping_key_label(), config.sealing_key_label());
    let present = (
        root_keys::find_one(session, &config.wrapping_key_label()),
        root_keys::find_one(session, &config.sealing_key_label()),
    );
    if matches!(present, (Ok(None), Ok(None))) {
        return CheckLine { what, status: Status::Pass, detail: "not on the token (yet)".into() };
    }
    let (status, detail) = match root_keys::find(session, config) {
        Ok(root) if root.protection == RootProtection::FULL => {
            (Status::Pass, "present: wrap template, not destroyable".to_string())
        }
        Ok(root) => (
            Status::Warn,
            format!(
                "present, without {}{}{} (made by an older Coffer, or the token refused it): see docs/PKCS11.md",
                if root.protection.wrap_template { "" } else { "a wrap template" },
                if !root.protection.wrap_template && !root.protection.non_destroyable { " and " } else { "" },
                if root.protection.non_destroyable { "" } else { "CKA_DESTROYABLE false" },
            ),
        ),
        Err(e) => (Status::Fail, e.to_string()),
    };
    CheckLine { what, status, detail }
}
