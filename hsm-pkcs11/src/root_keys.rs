//! The two root keys as token objects: found by label, created only when asked, and checked
//! every time they are found or made.

use crate::error::from_cryptoki;
use crate::templates::{self, Lifetime, Usage};
use crate::unwrap_template::{self, with_unwrap_template};
use crate::{Pkcs11Config, Pkcs11Error};
use coffer_core::hsm::{ErrorKind, KEY_LEN, RootKeyMaterial};
use cryptoki::error::Error as CryptokiError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki_sys::CKA_UNWRAP_TEMPLATE;
use zeroize::Zeroize;

/// Handles of the root keys in one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RootHandles {
    pub(crate) wrapping: ObjectHandle,
    pub(crate) sealing: ObjectHandle,
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
fn find_one(session: &Session, label: &str) -> Result<Option<ObjectHandle>, Pkcs11Error> {
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
        (Some(wrapping), Some(sealing)) => RootHandles { wrapping, sealing },
        (None, None) => return Err(Pkcs11Error::new(ErrorKind::RootKeysNotFound)),
        _ => {
            return Err(Pkcs11Error::text(
                ErrorKind::RootKeysNotFound,
                "only one of the two root keys is on the token (a creation was interrupted): \
                 remove it, then create the root keys again",
            ));
        }
    };
    let origin = if config.accept_imported_root_keys { None } else { Some(Origin::Generated) };
    check(session, root, origin)?;
    Ok(root)
}

/// Checks what a root must be, so that a look-alike object with a weaker template never
/// becomes the root:
/// - every attribute of Coffer's template (type, 32 bytes, usage, private, sensitive, not
///   extractable, not modifiable), and for `Some(origin)` the origin attributes;
/// - the root wrapping key carries an unwrap template, and the token enforces it: a key
///   wrapped under the root cannot be unwrapped as extractable.
pub(crate) fn check(session: &Session, root: RootHandles, origin: Option<Origin>) -> Result<(), Pkcs11Error> {
    check_attributes(session, root.wrapping, KeyType::AES, Usage::WrapUnwrap, origin)?;
    check_attributes(session, root.sealing, KeyType::GENERIC_SECRET, Usage::SignVerify, origin)?;
    check_unwrap_template(session, root.wrapping)?;
    check_unwrap_is_confined(session, root.wrapping)
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
    let expected = unwrap_template::expected_len();
    if !matches!(info.as_slice(), [AttributeInfo::Available(len)] if Some(*len) == expected) {
        return Err(unsafe_root("the root wrapping key has no (or another) unwrap template"));
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

/// Generates both root keys inside the token, then checks them as [`find`] would. If anything
/// fails, what was made is destroyed, so that a half-made or unchecked root never remains.
pub(crate) fn create(session: &Session, config: &Pkcs11Config) -> Result<RootHandles, Pkcs11Error> {
    refuse_existing(session, config)?;
    let wrapping = with_unwrap_template(|unwrap| {
        let template = templates::root_wrapping(&config.wrapping_key_label(), Lifetime::Token, unwrap);
        session.generate_key(&Mechanism::AesKeyGen, &template).map_err(from_cryptoki)
    })??;
    let sealing = session
        .generate_key(&Mechanism::GenericSecretKeyGen, &templates::root_sealing(&config.sealing_key_label()))
        .map_err(|e| undo(session, &[wrapping], e))?;
    settle(session, config, RootHandles { wrapping, sealing }, Origin::Generated)
}

/// Places caller-supplied root key material on the token (C_CreateObject), sensitive and
/// non-extractable from then on, with the same unwrap template and checks as [`create`]. The
/// template's copy of the bytes is wiped afterwards; `material` wipes itself when dropped.
pub(crate) fn import(
    session: &Session,
    config: &Pkcs11Config,
    material: &RootKeyMaterial,
) -> Result<RootHandles, Pkcs11Error> {
    refuse_existing(session, config)?;
    let wrapping = with_unwrap_template(|unwrap| {
        let mut template =
            templates::created(KeyType::AES, Usage::WrapUnwrap, Lifetime::Token, false, &config.wrapping_key_label());
        template.push(unwrap);
        create_with_value(session, template, &material.wrapping)
    })??;
    let template = templates::created(
        KeyType::GENERIC_SECRET,
        Usage::SignVerify,
        Lifetime::Token,
        false,
        &config.sealing_key_label(),
    );
    let sealing = create_with_value(session, template, &material.sealing).inspect_err(|_| {
        // Best effort, as in `undo`: no half-made root stays behind.
        let _ = session.destroy_object(wrapping);
    })?;
    settle(session, config, RootHandles { wrapping, sealing }, Origin::Imported)
}

/// Checks a root just made and looks it up again by label (another process may have raced
/// us to the same labels); on any failure destroys what was made.
fn settle(
    session: &Session,
    config: &Pkcs11Config,
    root: RootHandles,
    origin: Origin,
) -> Result<RootHandles, Pkcs11Error> {
    let settled = check(session, root, Some(origin)).and_then(|()| {
        let found = (find_one(session, &config.wrapping_key_label())?, find_one(session, &config.sealing_key_label())?);
        if found == (Some(root.wrapping), Some(root.sealing)) {
            Ok(root)
        } else {
            Err(Pkcs11Error::text(ErrorKind::RootKeysExist, "another root was created under the same labels at once"))
        }
    });
    settled.inspect_err(|_| {
        let _ = session.destroy_object(root.wrapping);
        let _ = session.destroy_object(root.sealing);
    })
}

/// C_CreateObject with `value` as CKA_VALUE; the template's copy of the value is wiped
/// whatever the outcome.
pub(crate) fn create_with_value(
    session: &Session,
    mut template: Vec<Attribute>,
    value: &[u8; KEY_LEN],
) -> Result<ObjectHandle, Pkcs11Error> {
    template.push(Attribute::Value(value.to_vec()));
    let created = session.create_object(&template);
    for attribute in &mut template {
        if let Attribute::Value(bytes) = attribute {
            bytes.zeroize();
        }
    }
    created.map_err(from_cryptoki)
}

/// Destroys `made` after `e` stopped the operation, and returns `e`'s error.
fn undo(session: &Session, made: &[ObjectHandle], e: CryptokiError) -> Pkcs11Error {
    // Best effort: the error that matters is the one that stopped us.
    for object in made {
        let _ = session.destroy_object(*object);
    }
    from_cryptoki(e)
}
