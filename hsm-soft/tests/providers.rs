//! The two crypto providers under one set of root keys: everything one seals, MACs or exports,
//! the other opens, verifies or imports, and a tampered input is refused by both.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation, missing_docs)]

use coffer_core::crypto::{AwsLc, RustCrypto};
use coffer_core::hsm::{Hsm, KEY_LEN};
use coffer_hsm_soft::{RootKeyMaterial, SoftHsm};
use getrandom::SysRng;
use rand_core::UnwrapErr;

type Rc = SoftHsm<UnwrapErr<SysRng>, 8, RustCrypto>;
type Lc = SoftHsm<UnwrapErr<SysRng>, 8, AwsLc>;

fn pair() -> (Rc, Lc) {
    let (wrapping, sealing) = ([0x31; KEY_LEN], [0x42; KEY_LEN]);
    (
        SoftHsm::with_root_keys(UnwrapErr(SysRng), RootKeyMaterial::new(wrapping, sealing)),
        SoftHsm::with_root_keys(UnwrapErr(SysRng), RootKeyMaterial::new(wrapping, sealing)),
    )
}

#[test]
fn each_provider_opens_what_the_other_sealed() {
    let (mut rc, mut lc) = pair();
    let wrapped = rc.generate_key().unwrap();
    let (hr, hl) = (rc.load_key(&wrapped).unwrap(), lc.load_key(&wrapped).unwrap());
    for len in [0usize, 1, 16, 17, 4095, 4096] {
        let plain: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let mut buf = plain.clone();
        let (nonce, tag) = rc.seal(hr, b"context", &mut buf).unwrap();
        lc.open(hl, &nonce, b"context", &mut buf, &tag).unwrap();
        assert_eq!(buf, plain, "{len}: RustCrypto -> aws-lc");
        let (nonce, tag) = lc.seal(hl, b"context", &mut buf).unwrap();
        let sealed = buf.clone();
        rc.open(hr, &nonce, b"context", &mut buf, &tag).unwrap();
        assert_eq!(buf, plain, "{len}: aws-lc -> RustCrypto");
        if len > 0 {
            let mut bad = sealed.clone();
            bad[len / 2] ^= 0x80;
            assert!(rc.open(hr, &nonce, b"context", &mut bad, &tag).is_err());
            let mut bad = sealed;
            bad[len / 2] ^= 0x80;
            assert!(lc.open(hl, &nonce, b"context", &mut bad, &tag).is_err());
            assert!(bad.iter().all(|&b| b == 0), "{len}: aws-lc left bytes in a failed open");
        }
    }
}

#[test]
fn macs_agree_and_cross_verify() {
    let (mut rc, mut lc) = pair();
    for data in [&b""[..], b"a", &[0xee; 1000]] {
        let (mr, ml) = (rc.mac(data).unwrap(), lc.mac(data).unwrap());
        assert_eq!(mr.0, ml.0);
        lc.verify_mac(data, &mr).unwrap();
        rc.verify_mac(data, &ml).unwrap();
        let mut bad = ml;
        bad.0[31] ^= 1;
        assert!(lc.verify_mac(data, &bad).is_err());
        assert!(rc.verify_mac(data, &bad).is_err());
    }
}

#[test]
fn exported_root_keys_import_across_providers() {
    let (mut rc, mut lc) = pair();
    let kek = [0x77; KEY_LEN];
    let from_lc = lc.export_root_keys(&kek).unwrap();
    let mut back: Rc = SoftHsm::import_root_keys(UnwrapErr(SysRng), from_lc.as_bytes(), &kek).unwrap();
    assert_eq!(back.mac(b"x").unwrap().0, rc.mac(b"x").unwrap().0);
    let from_rc = rc.export_root_keys(&kek).unwrap();
    let mut back: Lc = SoftHsm::import_root_keys(UnwrapErr(SysRng), from_rc.as_bytes(), &kek).unwrap();
    assert_eq!(back.mac(b"x").unwrap().0, lc.mac(b"x").unwrap().0);
    assert!(Lc::import_root_keys(UnwrapErr(SysRng), from_rc.as_bytes(), &[0x78; KEY_LEN]).is_err());
}
