//! The two root keys as token objects: found by label, created only when asked, and checked
//! every time they are found or made.

use crate::error::from_cryptoki;
use crate::root_templates::{self, with_root_templates};
use crate::templates::{self, Lifetime, RootProtection, Usage};
use crate::{Pkcs11Config, Pkcs11Error};
use coffer_core::hsm::{ErrorKind, KEY_LEN, RootKeyMaterial};
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki_sys::{CKA_UNWRAP_TEMPLATE, CKA_WRAP_TEMPLATE};
use zeroize::Zeroize;

/// Handles of the root keys in one session, and how well the token protects them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RootHandles {
    pub(crate) wrapping: ObjectHandle,
    pub(crate) sealing: ObjectHandle,
    pub(crate) protection: RootProtection,
}

/// How the root keys came to the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Generated inside the token: CKA_LOCAL, CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE.
    Generated,
    /// Imported with C_CreateObject ([`import`]): those three are false.
    Imported,
}

/// Looks up the token key labelled `label`: `None` if there is none.
pub(crate) fn find_one(session: &Session, label: &str) -> Result<Option<ObjectHandle>, Pkcs11Error> {
    let found = session.find_objects(&templates::find_token_key(label)).map_err(from_cryptoki)?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(Pkcs11Error::text(ErrorKind::Device, "more than one token key has a root key's label")),
    }
}

/// Finds both root keys and checks them ([`check`]). Imported roots are accepted only if the
/// configuration says so.
pub(crate) fn find(session: &Session, config: &Pkcs11Config) -> Result<RootHandles, Pkcs11Error> {
    let wrapping = find_one(session, &config.wrapping_key_label())?;
    let sealing = find_one(session, &config.sealing_key_label())?;
    let root = match (wrapping, sealing) {
        (Some(wrapping), Some(sealing)) => (wrapping, sealing),
        (None, None) => return Err(Pkcs11Error::new(ErrorKind::RootKeysNotFound)),
        _ => {
            return Err(Pkcs11Error::text(
                ErrorKind::RootKeysNotFound,
                "only one of the two root keys is on the token (a creation was interrupted): remove it \
                 if the token lets you (Coffer makes root keys non-destroyable where it can) and create \
                 the root keys again, or use another label prefix",
            ));
        }
    };
    let origin = if config.accept_imported_root_keys { None } else { Some(Origin::Generated) };
    // Roots made by older Coffer versions have neither protection: they are accepted, and the
    // token check says so.
    check(session, root.0, root.1, origin, None)
}

/// Checks what a root must be, so that a look-alike object with a weaker template never
/// becomes the root, and finds how well it is protected:
/// - every attribute of Coffer's template (type, 32 bytes, usage, private, sensitive, not
///   extractable, not modifiable), and for `Some(origin)` the origin attributes;
/// - the root wrapping key carries an unwrap template, and the token enforces it: a key
///   wrapped under the root cannot be unwrapped as extractable;
/// - if it carries a wrap template, the token enforces it: a key made outside the token
///   cannot be wrapped under the root;
/// - with `Some(required)`, at least the protections `required` names (a root just made).
pub(crate) fn check(
    session: &Session,
    wrapping: ObjectHandle,
    sealing: ObjectHandle,
    origin: Option<Origin>,
    required: Option<RootProtection>,
) -> Result<RootHandles, Pkcs11Error> {
    check_attributes(session, wrapping, KeyType::AES, Usage::WrapUnwrap, origin)?;
    check_attributes(session, sealing, KeyType::GENERIC_SECRET, Usage::SignVerify, origin)?;
    check_unwrap_template(session, wrapping)?;
    let protection = RootProtection {
        wrap_template: has_wrap_template(session, wrapping)?,
        non_destroyable: !destroyable(session, wrapping)? && !destroyable(session, sealing)?,
    };
    if let Some(required) = required
        && ((required.wrap_template && !protection.wrap_template)
            || (required.non_destroyable && !protection.non_destroyable))
    {
        return Err(unsafe_root("the token did not keep the wrap template or CKA_DESTROYABLE it accepted"));
    }
    if protection.wrap_template {
        check_wrap_is_confined(session, wrapping)?;
    }
    check_unwrap_is_confined(session, wrapping)?;
    Ok(RootHandles { wrapping, sealing, protection })
}

fn unsafe_root(what: &'static str) -> Pkcs11Error {
    Pkcs11Error::text(ErrorKind::Device, what)
}

/// The attributes a root key must have.
fn check_attributes(
    session: &Session,
    key: ObjectHandle,
    key_type: KeyType,
    usage: Usage,
    origin: Option<Origin>,
) -> Result<(), Pkcs11Error> {
    let mut wanted = templates::created(key_type, usage, Lifetime::Token, false, "");
    wanted.retain(|a| a.attribute_type() != AttributeType::Label);
    wanted.push(Attribute::ValueLen((KEY_LEN as u64).into()));
    if let Some(origin) = origin {
        let generated = origin == Origin::Generated;
        wanted.extend([
            Attribute::Local(generated),
            Attribute::AlwaysSensitive(generated),
            Attribute::NeverExtractable(generated),
        ]);
    }
    let types: Vec<AttributeType> = wanted.iter().map(Attribute::attribute_type).collect();
    let got = session.get_attributes(key, &types).map_err(from_cryptoki)?;
    if !wanted.iter().all(|want| got.contains(want)) {
        return Err(unsafe_root(
            "a root key on the token has unsafe or unexpected attributes \
             (type, length, usage, sensitive, extractable, modifiable or origin)",
        ));
    }
    Ok(())
}

/// The root wrapping key carries an unwrap template of Coffer's length.
fn check_unwrap_template(session: &Session, wrapping: ObjectHandle) -> Result<(), Pkcs11Error> {
    let info = session
        .get_attribute_info(wrapping, &[AttributeType::VendorDefined(CKA_UNWRAP_TEMPLATE)])
        .map_err(from_cryptoki)?;
    let expected = root_templates::unwrap_template_len();
    if !matches!(info.as_slice(), [AttributeInfo::Available(len)] if Some(*len) == expected) {
        return Err(unsafe_root("the root wrapping key has no (or another) unwrap template"));
    }
    Ok(())
}

/// True if the root wrapping key carries Coffer's wrap template; false if it has none (a root
/// made by an older Coffer, or by a token that refused the attribute).
fn has_wrap_template(session: &Session, wrapping: ObjectHandle) -> Result<bool, Pkcs11Error> {
    let info = session
        .get_attribute_info(wrapping, &[AttributeType::VendorDefined(CKA_WRAP_TEMPLATE)])
        .map_err(from_cryptoki)?;
    match info.as_slice() {
        [AttributeInfo::Available(0)] | [AttributeInfo::TypeInvalid] | [AttributeInfo::Unavailable] | [] => Ok(false),
        [AttributeInfo::Available(len)] if Some(*len) == root_templates::wrap_template_len() => Ok(true),
        _ => Err(unsafe_root("the root wrapping key has another wrap template")),
    }
}

/// False only if the token says the key cannot be destroyed (a token that does not know
/// CKA_DESTROYABLE lets every key be destroyed).
fn destroyable(session: &Session, key: ObjectHandle) -> Result<bool, Pkcs11Error> {
    match session.get_attributes(key, &[AttributeType::Destroyable]) {
        Ok(found) => Ok(!found.contains(&Attribute::Destroyable(false))),
        Err(CryptokiError::Pkcs11(RvError::AttributeTypeInvalid, _)) => Ok(true),
        Err(e) => Err(from_cryptoki(e)),
    }
}

/// Creates a session key of known value and tries to wrap it under the root: a token that
/// enforces the wrap template refuses (the key is not CKA_LOCAL).
pub(crate) fn check_wrap_is_confined(session: &Session, wrapping: ObjectHandle) -> Result<(), Pkcs11Error> {
    let template = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Sensitive(true),
        Attribute::Extractable(true),
        Attribute::Label(b"coffer-root-check".to_vec()),
    ];
    let known = create_with_value(session, template, &[0x5a; KEY_LEN])?;
    let wrapped = session.wrap_key(&Mechanism::AesKeyWrapPad, wrapping, known);
    let _ = session.destroy_object(known);
    if wrapped.is_ok() {
        return Err(unsafe_root(
            "the root wrapping key wraps a key made outside the token: the token does not enforce its wrap template",
        ));
    }
    Ok(())
}

/// Wraps a throwaway key under the root and tries to unwrap it as extractable: the token must
/// refuse. Then unwraps it with Coffer's loaded-key template: the token must accept.
pub(crate) fn check_unwrap_is_confined(session: &Session, wrapping: ObjectHandle) -> Result<(), Pkcs11Error> {
    let probe = session
        .generate_key(&Mechanism::AesKeyGen, &templates::generated_version("coffer-root-check"))
        .map_err(from_cryptoki)?;
    let wrapped = session.wrap_key(&Mechanism::AesKeyWrapPad, wrapping, probe).map_err(from_cryptoki);
    let _ = session.destroy_object(probe);
    let wrapped = wrapped?;
    let extractable = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Sensitive(false),
        Attribute::Extractable(true),
    ];
    if let Ok(leaked) = session.unwrap_key(&Mechanism::AesKeyWrapPad, wrapping, &wrapped, &extractable) {
        let _ = session.destroy_object(leaked);
        return Err(unsafe_root(
            "the root wrapping key unwraps keys as extractable: the token does not enforce its unwrap template",
        ));
    }
    let loaded = session
        .unwrap_key(&Mechanism::AesKeyWrapPad, wrapping, &wrapped, &templates::loaded_version("coffer-root-check", &[]))
        .map_err(from_cryptoki)?;
    let _ = session.destroy_object(loaded);
    Ok(())
}

/// Fails with RootKeysExist if either root key is on the token.
fn refuse_existing(session: &Session, config: &Pkcs11Config) -> Result<(), Pkcs11Error> {
    let wrapping = find_one(session, &config.wrapping_key_label())?;
    let sealing = find_one(session, &config.sealing_key_label())?;
    if wrapping.is_some() || sealing.is_some() {
        return Err(Pkcs11Error::new(ErrorKind::RootKeysExist));
    }
    Ok(())
}

/// True for the codes a token gives for an attribute it does not support in a template.
fn attribute_refused(e: &CryptokiError) -> bool {
    matches!(
        e,
        CryptokiError::Pkcs11(
            RvError::AttributeTypeInvalid | RvError::AttributeValueInvalid | RvError::TemplateInconsistent,
            _
        )
    )
}

/// Makes the root wrapping key with `make`, given each protection in turn from the strongest
/// (a token may refuse an attribute it does not know); returns it and the protection it got.
fn make_wrapping(
    make: impl Fn(&root_templates::RootTemplates, RootProtection) -> Result<ObjectHandle, CryptokiError>,
) -> Result<(ObjectHandle, RootProtection), Pkcs11Error> {
    let mut last = None;
    for protection in RootProtection::ATTEMPTS {
        match with_root_templates(|templates| make(templates, protection))? {
            Ok(key) => return Ok((key, protection)),
            Err(e) if attribute_refused(&e) => last = Some(e),
            Err(e) => return Err(from_cryptoki(e)),
        }
    }
    Err(last.map_or(Pkcs11Error::new(ErrorKind::Device), from_cryptoki))
}

/// Generates both root keys inside the token, then checks them as [`find`] would. If anything
/// fails, what was made is destroyed where the token still lets us, so that a half-made or
/// unchecked root does not remain (a non-destroyable key stays: see [`find`]'s message).
pub(crate) fn create(session: &Session, config: &Pkcs11Config) -> Result<RootHandles, Pkcs11Error> {
    refuse_existing(session, config)?;
    let label = config.wrapping_key_label();
    let (wrapping, protection) = make_wrapping(|templates, protection| {
        let template = templates::root_wrapping(&label, Lifetime::Token, templates, protection);
        session.generate_key(&Mechanism::AesKeyGen, &template)
    })?;
    let sealing = session
        .generate_key(
            &Mechanism::GenericSecretKeyGen,
            &templates::root_sealing(&config.sealing_key_label(), protection.non_destroyable),
        )
        .map_err(|e| undo(session, &[wrapping], e))?;
    settle(session, config, (wrapping, sealing), Origin::Generated, protection)
}

/// Places caller-supplied root key material on the token (C_CreateObject), sensitive and
/// non-extractable from then on, with the same templates and checks as [`create`]. The
/// template's copy of the bytes is wiped afterwards; `material` wipes itself when dropped.
pub(crate) fn import(
    session: &Session,
    config: &Pkcs11Config,
    material: &RootKeyMaterial,
) -> Result<RootHandles, Pkcs11Error> {
    refuse_existing(session, config)?;
    let label = config.wrapping_key_label();
    let (wrapping, protection) = make_wrapping(|templates, protection| {
        let mut template = templates::root_wrapping(&label, Lifetime::Token, templates, protection);
        // An imported key has its value, not a generated length.
        template.retain(|a| a.attribute_type() != AttributeType::ValueLen);
        create_with_value_raw(session, template, &material.wrapping)
    })?;
    let mut template = templates::root_sealing(&config.sealing_key_label(), protection.non_destroyable);
    template.retain(|a| a.attribute_type() != AttributeType::ValueLen);
    let sealing = create_with_value(session, template, &material.sealing).inspect_err(|_| {
        // Best effort, as in `undo`: no half-made root stays behind.
        let _ = session.destroy_object(wrapping);
    })?;
    settle(session, config, (wrapping, sealing), Origin::Imported, protection)
}

/// Checks a root just made and looks it up again by label (another process may have raced
/// us to the same labels); on any failure destroys what was made (where the token lets us).
fn settle(
    session: &Session,
    config: &Pkcs11Config,
    (wrapping, sealing): (ObjectHandle, ObjectHandle),
    origin: Origin,
    protection: RootProtection,
) -> Result<RootHandles, Pkcs11Error> {
    let settled = check(session, wrapping, sealing, Some(origin), Some(protection)).and_then(|root| {
        let found = (find_one(session, &config.wrapping_key_label())?, find_one(session, &config.sealing_key_label())?);
        if found == (Some(wrapping), Some(sealing)) {
            Ok(root)
        } else {
            Err(Pkcs11Error::text(ErrorKind::RootKeysExist, "another root was created under the same labels at once"))
        }
    });
    settled.inspect_err(|_| {
        let _ = session.destroy_object(wrapping);
        let _ = session.destroy_object(sealing);
    })
}

/// C_CreateObject with `value` as CKA_VALUE; the template's copy of the value is wiped
/// whatever the outcome.
pub(crate) fn create_with_value(
    session: &Session,
    template: Vec<Attribute>,
    value: &[u8; KEY_LEN],
) -> Result<ObjectHandle, Pkcs11Error> {
    create_with_value_raw(session, template, value).map_err(from_cryptoki)
}

/// [`create_with_value`] with the token's own error.
fn create_with_value_raw(
    session: &Session,
    mut template: Vec<Attribute>,
    value: &[u8; KEY_LEN],
) -> Result<ObjectHandle, CryptokiError> {
    template.push(Attribute::Value(value.to_vec()));
    let created = session.create_object(&template);
    for attribute in &mut template {
        if let Attribute::Value(bytes) = attribute {
            bytes.zeroize();
        }
    }
    created
}

/// Destroys `made` after `e` stopped the operation, and returns `e`'s error.
fn undo(session: &Session, made: &[ObjectHandle], e: CryptokiError) -> Pkcs11Error {
    // Best effort: the error that matters is the one that stopped us.
    for object in made {
        let _ = session.destroy_object(*object);
    }
    from_cryptoki(e)
}
