//! The two root keys as token objects: found by label, created only when asked.

use crate::error::from_cryptoki;
use crate::templates::{self, Lifetime, Usage};
use crate::{Pkcs11Config, Pkcs11Error};
use coffer_core::hsm::{ErrorKind, KEY_LEN, RootKeyMaterial};
use cryptoki::error::Error as CryptokiError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectHandle};
use cryptoki::session::Session;
use zeroize::Zeroize;

/// Handles of the root keys in one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RootHandles {
    pub(crate) wrapping: ObjectHandle,
    pub(crate) sealing: ObjectHandle,
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

/// Finds both root keys and checks they are what Coffer created: the right type, sensitive,
/// non-extractable, and usable only for their one job. A key that fails the check is refused,
/// not used: a look-alike object with a weaker template must not become the root.
pub(crate) fn find(session: &Session, config: &Pkcs11Config) -> Result<RootHandles, Pkcs11Error> {
    let wrapping = find_one(session, &config.wrapping_key_label())?;
    let sealing = find_one(session, &config.sealing_key_label())?;
    let (Some(wrapping), Some(sealing)) = (wrapping, sealing) else {
        return Err(Pkcs11Error::new(ErrorKind::RootKeysNotFound));
    };
    check_attributes(session, wrapping, KeyType::AES, Usage::WrapUnwrap)?;
    check_attributes(session, sealing, KeyType::GENERIC_SECRET, Usage::SignVerify)?;
    Ok(RootHandles { wrapping, sealing })
}

/// The attributes a root key must have.
fn check_attributes(session: &Session, key: ObjectHandle, key_type: KeyType, usage: Usage) -> Result<(), Pkcs11Error> {
    let wanted = templates::secret_key(key_type, usage, Lifetime::Token, false, "");
    let types: Vec<AttributeType> = wanted
        .iter()
        .map(Attribute::attribute_type)
        .filter(|t| !matches!(t, AttributeType::Label | AttributeType::Modifiable))
        .collect();
    let got = session.get_attributes(key, &types).map_err(from_cryptoki)?;
    let matches = types.iter().all(|t| {
        let want = wanted.iter().find(|a| a.attribute_type() == *t);
        let have = got.iter().find(|a| a.attribute_type() == *t);
        want.is_some() && want == have
    });
    if !matches {
        return Err(Pkcs11Error::text(
            ErrorKind::Device,
            "a root key on the token has unsafe or unexpected attributes (type, usage, sensitive, extractable)",
        ));
    }
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

/// Generates both root keys inside the token. If the second fails, the first is destroyed, so
/// that a half-made root never remains.
pub(crate) fn create(session: &Session, config: &Pkcs11Config) -> Result<RootHandles, Pkcs11Error> {
    refuse_existing(session, config)?;
    let wrapping = session
        .generate_key(&Mechanism::AesKeyGen, &templates::root_wrapping(&config.wrapping_key_label()))
        .map_err(from_cryptoki)?;
    let sealing = session
        .generate_key(&Mechanism::GenericSecretKeyGen, &templates::root_sealing(&config.sealing_key_label()))
        .map_err(|e| undo(session, wrapping, e))?;
    Ok(RootHandles { wrapping, sealing })
}

/// Places caller-supplied root key material on the token (C_CreateObject), sensitive and
/// non-extractable from then on. The template's copy of the bytes is wiped afterwards;
/// `material` wipes itself when dropped.
pub(crate) fn import(
    session: &Session,
    config: &Pkcs11Config,
    material: &RootKeyMaterial,
) -> Result<RootHandles, Pkcs11Error> {
    refuse_existing(session, config)?;
    let wrapping = create_with_value(
        session,
        templates::created(KeyType::AES, Usage::WrapUnwrap, Lifetime::Token, false, &config.wrapping_key_label()),
        &material.wrapping,
    )?;
    let sealing = create_with_value(
        session,
        templates::created(
            KeyType::GENERIC_SECRET,
            Usage::SignVerify,
            Lifetime::Token,
            false,
            &config.sealing_key_label(),
        ),
        &material.sealing,
    )
    .inspect_err(|_| {
        // Best effort, as in `undo`: no half-made root stays behind.
        let _ = session.destroy_object(wrapping);
    })?;
    Ok(RootHandles { wrapping, sealing })
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
fn undo(session: &Session, made: ObjectHandle, e: CryptokiError) -> Pkcs11Error {
    // Best effort: the error that matters is the one that stopped us.
    let _ = session.destroy_object(made);
    from_cryptoki(e)
}
