//! Capability flags a backend reports, so callers learn what is missing before they need it.

use core::fmt;

/// A set of HSM capabilities.
///
/// The operations of [`Hsm`](super::Hsm) that Coffer needs today are listed in
/// [`Capabilities::REQUIRED`]; the rest name what later versions will ask of a backend, so that a
/// backend can already say it does not have them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capabilities(u32);

impl Capabilities {
    /// Random bytes from the HSM.
    pub const RANDOM: Self = Self(1 << 0);
    /// AES-256-GCM seal/open under a loaded handle.
    pub const AES_GCM: Self = Self(1 << 1);
    /// AES key wrap with padding (RFC 5649) of generated key material.
    pub const KEY_WRAP_PAD: Self = Self(1 << 2);
    /// HMAC-SHA-256 under the root sealing key.
    pub const HMAC_SHA256: Self = Self(1 << 3);
    /// The backend can create its own root keys ([`Hsm::create_root_keys`](super::Hsm::create_root_keys)).
    pub const CREATE_ROOT_KEYS: Self = Self(1 << 4);
    /// Key material never leaves the device in plaintext.
    pub const NON_EXTRACTABLE_KEYS: Self = Self(1 << 5);
    /// HMAC KMS keys (GenerateMac / VerifyMac). Not used yet.
    pub const HMAC_KEYS: Self = Self(1 << 8);
    /// ECDSA P-256 signing keys. Not used yet.
    pub const ECDSA_P256: Self = Self(1 << 9);
    /// Import of caller key material (BYOK). Not used yet.
    pub const IMPORT_KEY_MATERIAL: Self = Self(1 << 10);

    /// What the KMS façade needs from every backend.
    pub const REQUIRED: Self = Self(Self::RANDOM.0 | Self::AES_GCM.0 | Self::KEY_WRAP_PAD.0 | Self::HMAC_SHA256.0);

    /// The empty set.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// True if every capability in `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The capabilities of `wanted` that `self` lacks.
    #[must_use]
    pub const fn missing(self, wanted: Self) -> Self {
        Self(wanted.0 & !self.0)
    }

    /// The raw bits, for logs.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Capabilities, &str); 9] = [
            (Capabilities::RANDOM, "RANDOM"),
            (Capabilities::AES_GCM, "AES_GCM"),
            (Capabilities::KEY_WRAP_PAD, "KEY_WRAP_PAD"),
            (Capabilities::HMAC_SHA256, "HMAC_SHA256"),
            (Capabilities::CREATE_ROOT_KEYS, "CREATE_ROOT_KEYS"),
            (Capabilities::NON_EXTRACTABLE_KEYS, "NON_EXTRACTABLE_KEYS"),
            (Capabilities::HMAC_KEYS, "HMAC_KEYS"),
            (Capabilities::ECDSA_P256, "ECDSA_P256"),
            (Capabilities::IMPORT_KEY_MATERIAL, "IMPORT_KEY_MATERIAL"),
        ];
        let mut set = f.debug_set();
        for (flag, name) in NAMES {
            if self.contains(flag) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_exactly_the_absent_flags() {
        let have = Capabilities::RANDOM.union(Capabilities::AES_GCM);
        let missing = have.missing(Capabilities::REQUIRED);
        assert!(missing.contains(Capabilities::KEY_WRAP_PAD));
        assert!(missing.contains(Capabilities::HMAC_SHA256));
        assert!(!missing.contains(Capabilities::RANDOM));
        assert!(!have.contains(Capabilities::REQUIRED));
        assert!(Capabilities::REQUIRED.contains(have));
    }
}
