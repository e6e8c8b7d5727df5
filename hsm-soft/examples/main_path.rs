//! Coffer's main path on the software HSM, end to end:
//! create a key, give it an alias, generate a data key, encrypt, rotate (automatically through
//! the maintenance call, then on demand), and decrypt blobs made before the rotations.
//!
//! Run with `cargo run -p coffer-hsm-soft --example main_path`. Exits non-zero if any step
//! does not give the expected answer.

use core::error::Error;

use coffer_core::audit::RingAudit;
use coffer_core::clock::{Clock, ManualClock, SECONDS_PER_DAY, SystemClock};
use coffer_core::hsm::Hsm;
use coffer_core::store::MemoryStore;
use coffer_core::{DataKeySpec, EncryptionContext, Kms, KmsConfig};
use coffer_hsm_soft::SoftHsm;
use getrandom::SysRng;
use rand_core::UnwrapErr;

fn main() -> Result<(), Box<dyn Error>> {
    // The HSM: root keys generated from the operating system's CSPRNG.
    let mut hsm: SoftHsm<_> = SoftHsm::new(UnwrapErr(SysRng));
    hsm.create_root_keys()?;

    // A clock we can move forward, starting now, so the example can show automatic rotation.
    let clock = ManualClock::new(SystemClock.now()?);
    let mut audit = RingAudit::<64>::new();
    let mut store = Box::new(MemoryStore::<16>::new());
    let mut kms = Kms::new(hsm, &mut *store, &clock, &mut audit, KmsConfig::default())?;

    let key = kms.create_key("example: payment records")?;
    println!("created key      {} ({})", key.key_id, key.arn(&kms.config().arn));
    kms.create_alias("alias/payments", &key.key_id.to_string())?;

    let context = EncryptionContext::new(&[("tenant", "acme"), ("purpose", "example")])?;

    // Envelope encryption: a data key to use locally, stored only as its blob.
    let data_key = kms.generate_data_key("alias/payments", DataKeySpec::Aes256, &context)?;
    println!(
        "data key         {} bytes, blob of {} bytes",
        data_key.plaintext.len(),
        data_key.ciphertext_blob.as_bytes().len()
    );

    // Small secrets go straight to Encrypt.
    let secret = b"4111 1111 1111 1111";
    let old_blob = kms.encrypt("alias/payments", secret, &context)?;
    println!("encrypted        {} bytes under version {}", secret.len(), old_blob.version);

    // Automatic rotation every 90 days, applied by the maintenance call once due.
    kms.enable_key_rotation("alias/payments", Some(90))?;
    clock.advance(90 * SECONDS_PER_DAY);
    let report = kms.maintenance()?;
    ensure(report.rotated == 1, "maintenance should have rotated the key once")?;
    let (_, on_demand) = kms.rotate_key_on_demand("alias/payments")?;
    let described = kms.describe_key("alias/payments")?;
    println!("rotated          twice; current version {}", described.current_version);
    ensure(described.key_id == key.key_id && on_demand == 3, "the key id stays, versions grow")?;

    // Old blobs still decrypt: the version comes from the blob.
    let opened = kms.decrypt(old_blob.ciphertext_blob.as_bytes(), &context, Some("alias/payments"))?;
    ensure(opened.plaintext.as_bytes() == secret && opened.version == 1, "old blob must decrypt")?;
    let unwrapped = kms.decrypt(data_key.ciphertext_blob.as_bytes(), &context, None)?;
    ensure(unwrapped.plaintext.as_bytes() == data_key.plaintext.as_bytes(), "data key must unwrap")?;
    println!("decrypted        the version-1 blob and the data key after rotation");

    // New data uses the newest version; the wrong context is refused.
    let new_blob = kms.encrypt("alias/payments", secret, &context)?;
    ensure(new_blob.version == 3, "new blobs use the newest version")?;
    let other = EncryptionContext::new(&[("tenant", "globex")])?;
    let refused = kms.decrypt(new_blob.ciphertext_blob.as_bytes(), &other, None);
    ensure(matches!(refused, Err(coffer_core::Error::InvalidCiphertext)), "another context must be refused")?;
    println!("refused          decryption under another encryption context");

    drop(kms);
    println!("audit            {} events recorded", audit.events().count());
    println!("main path: OK");
    Ok(())
}

fn ensure(condition: bool, what: &str) -> Result<(), Box<dyn Error>> {
    if condition { Ok(()) } else { Err(what.into()) }
}
