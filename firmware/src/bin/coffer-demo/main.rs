//! Coffer's main path as firmware: `SoftHsm` and the in-memory store on a Cortex-M4, no heap.
//!
//! Create a key and an alias, generate a data key, encrypt, rotate (automatically through the
//! maintenance call, then on demand), decrypt the blobs made before the rotations, check that new
//! data uses the newest version and that another encryption context is refused. Each result is
//! checked; the outcome and the peak stack are reported over semihosting, and the exit status is
//! QEMU's (0: every check passed).
//!
//! Run: `cargo run --release --features demo-seed --bin coffer-demo` in `firmware/`.
//! The random generator is seeded from a constant (see `coffer_firmware::rng`): demo only.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

mod error_name;

use coffer_core::audit::RingAudit;
use coffer_core::clock::{ManualClock, SECONDS_PER_DAY};
use coffer_core::data::blob_len;
use coffer_core::hsm::Hsm;
use coffer_core::kms::{Opened, Sealed};
use coffer_core::store::MemoryStore;
use coffer_core::{DataKeySpec, EncryptionContext, Error, KeyId, KeyMetadata, Kms, KmsConfig, KmsError};
use coffer_firmware::rng::{InsecureDemoRng, insecure_demo_rng};
use coffer_firmware::{Failed, ensure, finish, report};
use coffer_hsm_soft::SoftHsm;
use cortex_m_rt::entry;
use error_name::{check_named, named_failure};
use static_cell::{ConstStaticCell, StaticCell};
use zeroize::Zeroizing;

/// Records the store can hold: the demo's key (its key record, three version records and a
/// description record) and one alias make six.
const STORE_RECORDS: usize = 8;

/// The longest sealed record the store accepts, and so the record buffer the façade holds. A key
/// record is 193 bytes and a version record 156 whatever the key's history; only a description
/// record grows with its text (92 bytes and the description), so 256 bytes hold every record of
/// a key whose description is at most 164 bytes, and a longer description is refused with
/// `LimitExceeded(RecordSize)`. With the `full-records` feature the store takes every record
/// Coffer can write or read (`MAX_RECORD_LEN`: an 8 KiB description, or a key record of the
/// previous format with 32 versions, about 10 KiB), which is what a device must choose if it
/// cannot bound descriptions or carries an old store.
#[cfg(not(feature = "full-records"))]
const RECORD_CAPACITY: usize = 256;
#[cfg(feature = "full-records")]
const RECORD_CAPACITY: usize = coffer_core::store::MAX_RECORD_LEN;

/// Key slots of the software HSM (loaded key versions at once).
const HSM_SLOTS: usize = 2;

/// Key versions the façade keeps loaded between calls (each holds an HSM slot with its expanded
/// AES key, about 640 bytes here): one is enough for a device that mostly uses one key.
const LOADED_KEYS: usize = 1;

/// Audit events kept (the oldest fall off).
const AUDIT_EVENTS: usize = 16;

type DemoHsm = SoftHsm<InsecureDemoRng, HSM_SLOTS>;
type DemoStore = MemoryStore<STORE_RECORDS, RECORD_CAPACITY>;
type DemoKms = Kms<&'static mut DemoHsm, &'static mut DemoStore, ManualClock, RingAudit<AUDIT_EVENTS>, LOADED_KEYS>;

/// The store's records live in a static made at compile time (zeros in `.bss`): never built on
/// the stack. `ConstStaticCell` hands out the one `&'static mut` to it without `unsafe`.
static STORE: ConstStaticCell<DemoStore> = ConstStaticCell::new(DemoStore::new());

/// The HSM (its key slots) and the façade (its record buffer, audit ring and cache and seal
/// tables) live in statics too, so that no step's frame holds both at once.
static HSM: StaticCell<DemoHsm> = StaticCell::new();
/// The façade is built in its static, not on the stack and then moved there: the constructor's
/// `Result` is what the static holds. Built on the stack, the `Result` and the value moved out
/// of it were two copies of the façade in `setup`'s frame, 23 KB with `full-records` (its
/// record buffer is 10 KiB).
static KMS: StaticCell<Result<DemoKms, KmsError<&'static mut DemoHsm, &'static mut DemoStore>>> = StaticCell::new();

/// The alias every step names the key by.
const ALIAS: &str = "alias/sensors";

/// What the demo encrypts.
const SECRET: &[u8; 32] = b"calibration: 4111 1111 1111 1111";

/// A blob of [`SECRET`] or of a 32-byte data key: every answer is written into a buffer of
/// exactly its size, on the stack of the step that needs it.
type Blob32 = [u8; blob_len(32)];

/// A data key for local use, and its blob to keep.
struct DemoDataKey {
    plaintext: Zeroizing<[u8; 32]>,
    blob: Blob32,
}

/// 2026-01-01T00:00:00Z. A device takes the time from its RTC or the network; the clock only
/// drives rotation and deletion dates.
const BOOT_TIME: u64 = 1_767_225_600;

#[entry]
fn main() -> ! {
    report(format_args!("coffer-demo: Coffer's main path on a Cortex-M4 (SoftHsm, MemoryStore, no heap)"));
    report(format_args!("  WARNING: the RNG is seeded from INSECURE_DEMO_SEED (feature demo-seed): QEMU demo only"));
    finish("coffer-demo", run())
}

/// The run, one step per function. Each step is `#[inline(never)]` so that the peak is one
/// operation's need rather than the sum of all of them; what crosses steps (the key id, two
/// 81-byte blobs, the data key) stays in `run`.
fn run() -> Result<(), Failed> {
    let kms = setup()?;
    let key_id = create_key(kms)?;
    let context =
        check_named(EncryptionContext::new(&[("device", "mps2-an386"), ("purpose", "demo")]), "encryption context")?;
    let data_key = generate_data_key(kms, &context, key_id)?;
    let old_blob = encrypt(kms, &context, 1)?;
    rotate(kms, key_id)?;
    decrypt_old(kms, &context, &old_blob, &data_key)?;
    refuse_other_context(kms, &context)?;
    // The peak so far is the KMS path's: firmware/check-budget.sh reads it from this line.
    report(format_args!("kms path         done"));

    #[cfg(not(feature = "kms-path-only"))]
    streamed_message(kms, &context, key_id)?;

    let audit = kms.audit();
    // The count of dropped events as a u32: formatting a u64 would link 64-bit division (about
    // 1.2 KB of flash) for a counter that a run of the demo keeps in single digits.
    let dropped = u32::try_from(audit.dropped()).unwrap_or(u32::MAX);
    report(format_args!("audit            {} events kept, {} dropped", audit.events().count(), dropped));
    Ok(())
}

/// Plaintext bytes of the streamed message, and its frame length: several frames and a short
/// final one, so that every kind of frame is exercised.
#[cfg(not(feature = "kms-path-only"))]
const STREAM_LEN: usize = 3000;
#[cfg(not(feature = "kms-path-only"))]
const STREAM_FRAME: u32 = 512;
/// The message fits here: plaintext, header (one KMS EDK, about 260 bytes: 512 leaves room for
/// a longer context or ARN) and at most 40 bytes a frame (sequence number, IV, tag; the final
/// frame's marker and length). Sized to the message rather than a round 4 KiB: it is the
/// largest buffer of the step.
#[cfg(not(feature = "kms-path-only"))]
const STREAM_MESSAGE_CAPACITY: usize = STREAM_LEN + 512 + (STREAM_LEN / STREAM_FRAME as usize + 1) * 40;

/// Byte `i` of the streamed plaintext, computed where it is needed: no buffer ever holds the
/// whole plaintext, as on a device streaming from a sensor or flash.
#[cfg(not(feature = "kms-path-only"))]
fn stream_byte(i: usize) -> u8 {
    u8::try_from(i % 251).unwrap_or(0) ^ 0x5a
}

/// One message in the AWS Encryption SDK format (suite 04 78) under this Kms's key through the
/// KMS keyring, streamed both ways: the plaintext goes in 97 bytes at a time, the message comes
/// back 61 bytes at a time into a 600-byte output buffer, and every released byte is checked.
/// Memory: the message buffer on this step's stack; the encrypting and the decrypting halves
/// (materials, encryptor, workspace; decryptor, workspace, output) each in a frame of its own,
/// so that the two are never on the stack together.
#[cfg(not(feature = "kms-path-only"))]
#[inline(never)]
fn streamed_message(kms: &mut DemoKms, context: &EncryptionContext<'_>, key_id: KeyId) -> Result<(), Failed> {
    let key = key_id.to_text();
    let mut message = [0u8; STREAM_MESSAGE_CAPACITY];
    let written = encrypt_stream(kms, context, key.as_str(), &mut message)?;
    let encrypted = message.get(..written).ok_or(Failed("message buffer"))?;
    decrypt_stream(kms, context, key.as_str(), encrypted)?;
    report(format_args!(
        "streamed message {STREAM_LEN} bytes in {}-byte frames: a {written}-byte message (04 78, KMS keyring), decrypted in 61-byte pieces",
        STREAM_FRAME
    ));
    report_message_sizes();
    Ok(())
}

/// The encrypting half of [`streamed_message`]: the message into `message`, its length back.
#[cfg(not(feature = "kms-path-only"))]
#[inline(never)]
fn encrypt_stream(
    kms: &mut DemoKms,
    context: &EncryptionContext<'_>,
    key: &str,
    message: &mut [u8],
) -> Result<usize, Failed> {
    use coffer_core::message::{AlgorithmSuite, EncryptConfig, Encryptor, KmsKeyring, Limits};
    use rand_core::SeedableRng;

    // The message id and the content key's randomness come from the HSM's generator.
    let mut seed = Zeroizing::new([0u8; 32]);
    check_named(kms.generate_random_into(&mut *seed), "random seed for the message")?;
    let mut rng = InsecureDemoRng::from_seed(*seed);

    let config = EncryptConfig {
        suite: AlgorithmSuite::AesGcm256HkdfSha512Commit,
        frame_length: STREAM_FRAME,
        limits: Limits::default(),
    };
    let mut workspace = [0u8; Encryptor::workspace_len(STREAM_FRAME)];
    let mut written = 0;
    let mut keyring = KmsKeyring::new(kms, key);
    let mut encryptor = check_named(
        Encryptor::new(&mut keyring, context.clone(), &config, &mut rng, &mut workspace),
        "message encryptor",
    )?;
    let mut chunk = [0u8; 97];
    let mut fed = 0;
    while fed < STREAM_LEN {
        let n = chunk.len().min(STREAM_LEN - fed);
        for (i, byte) in chunk.iter_mut().take(n).enumerate() {
            *byte = stream_byte(fed + i);
        }
        let out = message.get_mut(written..).ok_or(Failed("message buffer"))?;
        let input = chunk.get(..n).ok_or(Failed("chunk"))?;
        let (consumed, wrote) = check_named(encryptor.update(input, out), "message encrypt")?;
        ensure(consumed == n, "the encryptor takes every chunk")?;
        fed += n;
        written += wrote;
    }
    loop {
        let out = message.get_mut(written..).ok_or(Failed("message buffer"))?;
        let (wrote, done) = check_named(encryptor.finish(out), "message finish")?;
        written += wrote;
        if done {
            return Ok(written);
        }
    }
}

/// The decrypting half of [`streamed_message`]: `message` fed 61 bytes at a time, every
/// released byte checked against the plaintext.
#[cfg(not(feature = "kms-path-only"))]
#[inline(never)]
fn decrypt_stream(kms: &mut DemoKms, context: &EncryptionContext<'_>, key: &str, message: &[u8]) -> Result<(), Failed> {
    use coffer_core::message::{Decryptor, Encryptor, KmsKeyring, Limits};

    let mut workspace = [0u8; Encryptor::workspace_len(STREAM_FRAME) + 512];
    let mut decryptor = Decryptor::new(KmsKeyring::new(kms, key), context.clone(), Limits::default(), &mut workspace);
    let mut output = [0u8; 600];
    let mut released = 0;
    let mut read = 0;
    while read < message.len() || released < STREAM_LEN {
        let input = message.get(read..message.len().min(read + 61)).ok_or(Failed("message read"))?;
        let (consumed, n) = check_named(decryptor.update(input, &mut output), "message decrypt")?;
        for (i, byte) in output.iter().take(n).enumerate() {
            ensure(*byte == stream_byte(released + i), "the streamed plaintext comes back")?;
        }
        ensure(consumed > 0 || n > 0, "the decryptor makes progress")?;
        read += consumed;
        released += n;
    }
    check_named(decryptor.finish(), "message complete and authentic")?;
    ensure(released == STREAM_LEN, "every plaintext byte released once")
}

/// The sizes of the message types the demo uses, as this target lays them out.
#[cfg(not(feature = "kms-path-only"))]
fn report_message_sizes() {
    use coffer_core::message::{Decryptor, EncryptionMaterials, Encryptor, Header, KmsKeyring, MAX_EDK_POOL_LEN};
    type DemoKeyring = KmsKeyring<
        'static,
        &'static mut DemoHsm,
        &'static mut DemoStore,
        ManualClock,
        RingAudit<AUDIT_EVENTS>,
        LOADED_KEYS,
    >;
    report(format_args!(
        "sizes            message: EncryptionMaterials {} B (EDK pool {} B), Encryptor {} B, Decryptor {} B, Header {} B",
        size_of::<EncryptionMaterials<'_>>(),
        MAX_EDK_POOL_LEN,
        size_of::<Encryptor<'_>>(),
        size_of::<Decryptor<'_, '_, DemoKeyring>>(),
        size_of::<Header<'_>>(),
    ));
}

/// The HSM with its root keys (drawn from the demo-seeded CSPRNG), and the façade in its static.
#[inline(never)]
fn setup() -> Result<&'static mut DemoKms, Failed> {
    let hsm: &'static mut DemoHsm = HSM.init(SoftHsm::new(insecure_demo_rng()));
    check_named(hsm.create_root_keys(), "create root keys")?;
    let built = KMS.init_with(|| {
        Kms::with_loaded_keys(hsm, STORE.take(), ManualClock::new(BOOT_TIME), RingAudit::new(), KmsConfig::default())
    });
    let kms = built.as_mut().map_err(|e| named_failure(&*e, "Kms::new"))?;
    report(format_args!("setup            root keys created, Kms in a static"));
    report(format_args!(
        "sizes            Kms {} B in its static: record buffer {} + audit {} + the rest {}; SoftHsm {} B and store {} B in their own",
        size_of::<DemoKms>(),
        RECORD_CAPACITY,
        size_of::<RingAudit<AUDIT_EVENTS>>(),
        size_of::<DemoKms>().saturating_sub(RECORD_CAPACITY + size_of::<RingAudit<AUDIT_EVENTS>>()),
        size_of::<DemoHsm>(),
        size_of::<DemoStore>(),
    ));
    report(format_args!(
        "sizes            answers: KeyMetadata {} B, Sealed {} B, Opened {} B (the data in caller buffers)",
        size_of::<KeyMetadata>(),
        size_of::<Sealed>(),
        size_of::<Opened>(),
    ));
    Ok(kms)
}

/// A key, and an alias the rest of the run uses.
#[inline(never)]
fn create_key(kms: &mut DemoKms) -> Result<KeyId, Failed> {
    let key = check_named(kms.create_key("firmware demo: sensor records"), "create key")?;
    let key_id = key.key_id.to_text();
    check_named(kms.create_alias(ALIAS, key_id.as_str()), "create alias")?;
    ensure(key.current_version == 1, "a new key has version 1")?;
    report(format_args!("created key      {} as {}", key_id.as_str(), ALIAS));
    Ok(key.key_id)
}

/// Envelope encryption: a data key to use locally, kept only as its blob.
#[inline(never)]
fn generate_data_key(kms: &mut DemoKms, context: &EncryptionContext<'_>, key_id: KeyId) -> Result<DemoDataKey, Failed> {
    let mut data_key = DemoDataKey { plaintext: Zeroizing::new([0; 32]), blob: [0; blob_len(32)] };
    let sealed = check_named(
        kms.generate_data_key_into(ALIAS, DataKeySpec::Aes256, context, &mut *data_key.plaintext, &mut data_key.blob),
        "generate data key",
    )?;
    ensure(sealed.key_id == key_id && sealed.blob_len == data_key.blob.len(), "a 32-byte data key under the key")?;
    report(format_args!("data key         32 bytes, blob of {} bytes", sealed.blob_len));
    Ok(data_key)
}

/// Small secrets go straight to Encrypt, under the key's newest version.
#[inline(never)]
fn encrypt(kms: &mut DemoKms, context: &EncryptionContext<'_>, version: u32) -> Result<Blob32, Failed> {
    let mut blob = [0u8; blob_len(32)];
    let sealed: Sealed = check_named(kms.encrypt_into(ALIAS, SECRET, context, &mut blob), "encrypt")?;
    ensure(sealed.version == version && sealed.blob_len == blob.len(), "Encrypt uses the newest version")?;
    report(format_args!("encrypted        {} bytes under version {}", SECRET.len(), sealed.version));
    Ok(blob)
}

/// Automatic rotation every 90 days, applied by the maintenance call once due; then on demand.
#[inline(never)]
fn rotate(kms: &mut DemoKms, key_id: KeyId) -> Result<(), Failed> {
    check_named(kms.enable_key_rotation(ALIAS, Some(90)), "enable rotation")?;
    kms.clock().advance(90 * SECONDS_PER_DAY);
    let maintenance = check_named(kms.maintenance(), "maintenance")?;
    ensure(maintenance.rotated == 1, "maintenance rotates the key once")?;
    let (rotated_id, on_demand) = check_named(kms.rotate_key_on_demand(ALIAS), "rotate on demand")?;
    let described = check_named(kms.describe_key(ALIAS), "describe key")?;
    ensure(
        rotated_id == key_id && described.key_id == key_id && on_demand == 3 && described.current_version == 3,
        "the key id stays, versions grow",
    )?;
    report(format_args!("rotated          twice; current version {}", described.current_version));
    Ok(())
}

/// Old blobs still decrypt after rotation: the version comes from the blob.
#[inline(never)]
fn decrypt_old(
    kms: &mut DemoKms,
    context: &EncryptionContext<'_>,
    old_blob: &Blob32,
    data_key: &DemoDataKey,
) -> Result<(), Failed> {
    let mut plaintext = Zeroizing::new([0u8; 32]);
    let opened: Opened = check_named(kms.decrypt_into(old_blob, context, Some(ALIAS), &mut *plaintext), "decrypt")?;
    ensure(*plaintext == *SECRET && opened.version == 1, "the version-1 blob decrypts")?;
    check_named(kms.decrypt_into(&data_key.blob, context, None, &mut *plaintext), "decrypt data key")?;
    ensure(*plaintext == *data_key.plaintext, "the data key unwraps")?;
    report(format_args!("decrypted        the version-1 blob and the data key after rotation"));
    Ok(())
}

/// New data uses the newest version; another encryption context is refused.
#[inline(never)]
fn refuse_other_context(kms: &mut DemoKms, context: &EncryptionContext<'_>) -> Result<(), Failed> {
    let new_blob = encrypt(kms, context, 3)?;
    let other = check_named(EncryptionContext::new(&[("device", "another")]), "other context")?;
    let mut plaintext = Zeroizing::new([0u8; 32]);
    let refused = kms.decrypt_into(&new_blob, &other, None, &mut *plaintext);
    ensure(matches!(refused, Err(Error::InvalidCiphertext)), "another encryption context is refused")?;
    report(format_args!("refused          decryption under another encryption context"));
    Ok(())
}
