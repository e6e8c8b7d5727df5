//! `encrypt-file` and `decrypt-file`: files in the AWS Encryption SDK message format
//! (`coffer_core::message`), their data keys made and unwrapped by the store's KMS keys.
//!
//! - **Keys**: each `--key-id` adds an encrypted data key (EDK) to the message: the first one
//!   generates the data key (GenerateDataKey), the others encrypt it (Encrypt), as the SDKs'
//!   multi-keyring does. Any one of them decrypts the file. On decrypt, `--key-id` limits which
//!   keys are tried; without it, every `aws-kms` EDK naming a key of this store is tried.
//! - **Bounded memory**: frames are sealed and opened one at a time through a workspace of one
//!   frame (at most [`MAX_FRAME_LENGTH`]) or the header if that is longer, whatever the file
//!   size.
//! - **The store lock** is held only while data keys are made or unwrapped; the bulk of the
//!   work runs without it, so other `coffer` commands are not kept waiting.
//! - **Output** goes to a temporary file beside the destination (mode 0600), which is renamed
//!   into place only once the whole message is written, or (on decrypt) verified, final frame
//!   and signature included: a failed decrypt leaves no plaintext behind. An existing
//!   destination is replaced only with `--force`; without it the file is linked into place,
//!   which fails if the name was taken meanwhile.
//! - **Progress**: a bar on stderr, only when stderr is a terminal.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal as _, Read, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use coffer_core::data::EncryptionContext;
use coffer_core::hsm::Hsm;
use coffer_core::key::KeyRef;
use coffer_core::message::{
    AlgorithmSuite, DecryptError, DecryptionMaterials, Decryptor, EdkRef, EncryptError, EncryptingWriter,
    EncryptionMaterials, Encryptor, KMS_PROVIDER_ID, Keyring, KeyringError, KmsKeyring, Limits, MAX_HEADER_LEN,
};
use getrandom::SysRng;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::cli::{DecryptFileArgs, EncryptFileArgs};
use crate::dir_kms::{CliKms, Failure};
use crate::error::{Class, CliError};
use crate::output::{Obj, Val};

/// The largest frame `encrypt-file` writes and `decrypt-file` reads (1 MiB): the workspace,
/// and so the memory used, is about this much.
pub(crate) const MAX_FRAME_LENGTH: u32 = 1 << 20;
/// Bytes read or written per step.
const CHUNK: usize = 64 * 1024;

/// The suite names, as the AWS Encryption SDKs spell them.
const SUITE_SIGNED: &str = "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384";
const SUITE_UNSIGNED: &str = "AES_256_GCM_HKDF_SHA512_COMMIT_KEY";

/// The store's KMS keys as one keyring: the first generates the data key, every one wraps it.
/// It notes the ARN of each key that wrapped (encrypt) or unwrapped (decrypt) the data key.
struct KeysKeyring<'a, 'k, H: Hsm> {
    kms: &'a mut CliKms<'k, H>,
    keys: &'a [String],
    used: Vec<String>,
    /// Which `--key-id` failed to make the data key, for the error to name it.
    failed: Option<usize>,
}

impl<H: Hsm> Keyring for KeysKeyring<'_, '_, H> {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        materials: &mut EncryptionMaterials<'_>,
        rng: &mut R,
    ) -> Result<(), KeyringError> {
        for (i, key) in self.keys.iter().enumerate() {
            KmsKeyring::new(self.kms, key).on_encrypt(materials, rng).inspect_err(|_| self.failed = Some(i))?;
            // The EDK just added names its key by ARN (its provider info).
            if let Some(edk) = materials.encrypted_data_keys().last() {
                self.used.push(String::from_utf8_lossy(edk.provider_info).into_owned());
            }
        }
        Ok(())
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        let mut failure = KeyringError::UnableToDecrypt;
        for key in self.keys {
            let mut keyring = KmsKeyring::new(self.kms, key);
            match keyring.on_decrypt(materials, edks) {
                Ok(()) => {
                    self.used.extend(keyring.key_arn().map(|arn| arn.as_str().to_owned()));
                    // The data key is unwrapped: the rest of the message needs no record.
                    self.kms.store_mut().release_lock();
                    return Ok(());
                }
                Err(e) => failure = first_reason(failure, e),
            }
        }
        Err(failure)
    }
}

/// Keeps the first failure that says why (a key's state, the HSM), as Decrypt would report it;
/// the keyring already keeps failures about the message's bytes opaque.
fn first_reason(kept: KeyringError, new: KeyringError) -> KeyringError {
    match (kept, new) {
        (KeyringError::Backend(_), _) => kept,
        (_, KeyringError::Backend(_)) => new,
        _ => kept,
    }
}

/// Without `--key-id`: every `aws-kms` EDK whose provider info is a key ARN of this store is
/// tried with that key (Decrypt is told to expect it, so the blob must be that key's).
struct DiscoveryKeyring<'a, 'k, H: Hsm> {
    kms: &'a mut CliKms<'k, H>,
    used: Option<String>,
}

impl<H: Hsm> Keyring for DiscoveryKeyring<'_, '_, H> {
    fn on_encrypt<R: TryCryptoRng + ?Sized>(
        &mut self,
        _materials: &mut EncryptionMaterials<'_>,
        _rng: &mut R,
    ) -> Result<(), KeyringError> {
        Err(KeyringError::NoDataKey)
    }

    fn on_decrypt(&mut self, materials: &mut DecryptionMaterials<'_>, edks: &[EdkRef<'_>]) -> Result<(), KeyringError> {
        let prefix = self.kms.config().arn.clone();
        let mut failure = KeyringError::UnableToDecrypt;
        for edk in edks.iter().filter(|e| e.provider_id == KMS_PROVIDER_ID.as_bytes()) {
            let Ok(arn) = std::str::from_utf8(edk.provider_info) else { continue };
            if !matches!(KeyRef::parse(arn, &prefix), Ok(KeyRef::Id(_))) || !arn.starts_with("arn:") {
                continue; // another account's or region's key, or not a key ARN
            }
            match KmsKeyring::new(self.kms, arn).on_decrypt(materials, core::slice::from_ref(edk)) {
                Ok(()) => {
                    self.used = Some(arn.to_owned());
                    self.kms.store_mut().release_lock();
                    return Ok(());
                }
                Err(e) => failure = first_reason(failure, e),
            }
        }
        Err(failure)
    }
}

/// The output until it is complete: where the filesystem allows, an unnamed file
/// (`O_TMPFILE`) in the destination's directory, which no interruption can leave behind (a
/// `kill`, a crash or a power cut frees it) and which is linked to its name only on success;
/// elsewhere a named temporary file beside the destination, removed unless
/// [`commit`](Self::commit)ted (but left behind by a process killed before it can remove it).
struct Pending {
    /// The named temporary file; `None` for an unnamed one.
    tmp: Option<PathBuf>,
    dir: PathBuf,
    dest: PathBuf,
    force: bool,
    done: bool,
}

/// Named temporary outputs that a SIGINT, SIGTERM or SIGHUP must remove (the `O_TMPFILE`
/// fallback only: an unnamed file needs no cleaning).
static PARTIALS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
static SIGNAL_THREAD: std::sync::Once = std::sync::Once::new();

/// Registers `tmp` for removal on SIGINT, SIGTERM or SIGHUP; the first call starts a thread
/// that waits for those signals (signal-hook's self-pipe: no code runs in the handler itself),
/// removes the registered files and exits with 128 + the signal, as the default action would.
fn remove_on_signal(tmp: &Path) {
    if let Ok(mut partials) = PARTIALS.lock() {
        partials.push(tmp.to_path_buf());
    }
    SIGNAL_THREAD.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                if let Ok(partials) = PARTIALS.lock() {
                    for path in partials.iter() {
                        let _ = fs::remove_file(path);
                    }
                }
                std::process::exit(128_i32.saturating_add(signal));
            }
        });
    });
}

/// Forgets `tmp` (committed or removed).
fn forget_on_signal(tmp: &Path) {
    if let Ok(mut partials) = PARTIALS.lock() {
        partials.retain(|p| p != tmp);
    }
}

/// Whether to use `O_TMPFILE`. Test builds can turn it off (`COFFER_TEST_NO_TMPFILE`) to
/// exercise the fallback on filesystems that have it.
fn use_tmpfile() -> bool {
    !(cfg!(feature = "test-clock") && std::env::var_os("COFFER_TEST_NO_TMPFILE").is_some())
}

/// `.NAME.coffer-partial-RANDOM` in `dir`.
fn partial_name(dir: &Path, dest: &Path) -> Result<PathBuf, CliError> {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut raw = [0u8; 6];
    getrandom::fill(&mut raw).map_err(|e| CliError::new(Class::Internal, format!("random generator: {e}")))?;
    let suffix: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Ok(dir.join(format!(".{name}.coffer-partial-{suffix}")))
}

impl Pending {
    fn create(dest: &Path, force: bool) -> Result<(Self, File), CliError> {
        use rustix::fs::{CWD, Mode, OFlags};
        if !force && fs::symlink_metadata(dest).is_ok() {
            return Err(exists(dest));
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut pending = Self { tmp: None, dir, dest: dest.to_path_buf(), force, done: false };
        let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
        let opened = if use_tmpfile() {
            rustix::fs::openat(CWD, &pending.dir, flags, Mode::from_raw_mode(0o600))
        } else {
            Err(rustix::io::Errno::OPNOTSUPP)
        };
        match opened {
            Ok(fd) => return Ok((pending, File::from(fd))),
            // Filesystems (and systems) without O_TMPFILE: a named temporary file.
            Err(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::ISDIR | rustix::io::Errno::INVAL) => {}
            Err(e) => {
                return Err(CliError::new(
                    Class::Internal,
                    format!("cannot create the output in {}: {}", pending.dir.display(), io::Error::from(e)),
                ));
            }
        }
        let tmp = partial_name(&pending.dir, dest)?;
        remove_on_signal(&tmp);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| CliError::new(Class::Internal, format!("cannot create {}: {e}", tmp.display())))?;
        pending.tmp = Some(tmp);
        Ok((pending, file))
    }

    /// Moves the finished file into place: renamed over the destination with `force`, else
    /// linked (which fails if the name exists) and the temporary name removed. An unnamed file
    /// is first linked to a name (its destination, or with `force` a temporary name renamed
    /// over it).
    fn commit(mut self, file: File) -> Result<(), CliError> {
        use std::os::fd::AsRawFd as _;
        let io = |what: &str, e: io::Error| CliError::new(Class::Internal, format!("{what}: {e}"));
        file.sync_all().map_err(|e| io("cannot flush the output", e))?;
        if self.tmp.is_none() {
            let proc = format!("/proc/self/fd/{}", file.as_raw_fd());
            let link = |to: &Path| {
                rustix::fs::linkat(
                    rustix::fs::CWD,
                    proc.as_str(),
                    rustix::fs::CWD,
                    to,
                    rustix::fs::AtFlags::SYMLINK_FOLLOW,
                )
                .map_err(io::Error::from)
            };
            if self.force {
                let tmp = partial_name(&self.dir, &self.dest)?;
                link(&tmp).map_err(|e| io("cannot link the output to a name", e))?;
                self.tmp = Some(tmp);
            } else {
                match link(&self.dest) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(exists(&self.dest)),
                    Err(e) => return Err(io("cannot link the output into place", e)),
                }
                self.done = true;
                let _ = File::open(&self.dir).and_then(|d| d.sync_all());
                return Ok(());
            }
        }
        drop(file);
        let Some(tmp) = self.tmp.clone() else { return Err(io("the output", io::ErrorKind::NotFound.into())) };
        if self.force {
            fs::rename(&tmp, &self.dest).map_err(|e| io("cannot rename the output into place", e))?;
        } else {
            match fs::hard_link(&tmp, &self.dest) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(exists(&self.dest)),
                Err(e) => return Err(io("cannot link the output into place", e)),
            }
            let _ = fs::remove_file(&tmp);
        }
        forget_on_signal(&tmp);
        self.done = true;
        let _ = File::open(&self.dir).and_then(|d| d.sync_all());
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let (false, Some(tmp)) = (self.done, &self.tmp) {
            let _ = fs::remove_file(tmp);
            forget_on_signal(tmp);
        }
    }
}

fn exists(dest: &Path) -> CliError {
    CliError::new(Class::OutputExists, format!("{} exists: give --force to replace it", dest.display()))
}

fn open_input(path: &Path) -> Result<(File, u64), CliError> {
    let file = File::open(path).map_err(|e| CliError::validation(format!("cannot read {}: {e}", path.display())))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((file, len))
}

fn progress(len: u64, what: &str) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

fn context_pairs(pairs: &[(String, String)]) -> Result<EncryptionContext<'_>, CliError> {
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    EncryptionContext::new(&refs).map_err(|e| CliError::validation(format!("EncryptionContext: {e}")))
}

fn io_error(what: &str, path: &Path, e: &io::Error) -> CliError {
    CliError::new(Class::Internal, format!("{what} {}: {e}", path.display()))
}

/// `encrypt-file`.
///
/// # Errors
/// The keys' KMS errors; an existing output without `--force`; I/O failures.
pub(crate) fn encrypt_file<H: Hsm>(kms: &mut CliKms<'_, H>, args: &EncryptFileArgs) -> Result<Obj, Failure<H>> {
    let suite = match args.algorithm_suite.as_deref() {
        None | Some(SUITE_SIGNED) => AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384,
        Some(SUITE_UNSIGNED) => AlgorithmSuite::AesGcm256HkdfSha512Commit,
        Some(other) => {
            return Err(CliError::validation(format!(
                "AlgorithmSuite must be {SUITE_SIGNED} or {SUITE_UNSIGNED}, not {other:?}"
            ))
            .into());
        }
    };
    if !(1..=MAX_FRAME_LENGTH).contains(&args.frame_length) {
        return Err(CliError::validation(format!("FrameLength must be between 1 and {MAX_FRAME_LENGTH}")).into());
    }
    let pairs = crate::input::context("EncryptionContext", args.encryption_context.as_deref())?;
    let context = context_pairs(&pairs)?;
    let (input, len) = open_input(&args.input_file)?;
    let (pending, out) = Pending::create(&args.output_file, args.force)?;

    let mut rng = SysRng;
    // The materials first, then a workspace sized from the header they make (the header is
    // written in the workspace, and can be longer than a frame: short frames, large contexts,
    // several keys).
    let mut keyring = KeysKeyring { kms, keys: &args.key_id, used: Vec::new(), failed: None };
    let prepared = EncryptionMaterials::new(suite, context, Limits::default(), &mut rng)
        .map_err(EncryptError::Materials)
        .and_then(|mut materials| {
            keyring.on_encrypt(&mut materials, &mut rng).map_err(EncryptError::Keyring)?;
            Ok(materials)
        });
    let arns = core::mem::take(&mut keyring.used);
    // The key that failed, named in the error (a `--key-id None` from a query gone wrong, say).
    let failed =
        keyring.failed.and_then(|i| args.key_id.get(i)).map(|k| format!(" with KeyId {k:?}")).unwrap_or_default();
    let mut workspace = Zeroizing::new(Vec::new());
    let started = prepared.and_then(|materials| {
        workspace.resize(Encryptor::workspace_len_for(&materials, args.frame_length), 0);
        Encryptor::with_materials(materials, args.frame_length, &mut rng, &mut workspace)
    });
    let encryptor = match started {
        Ok(e) => e,
        // The façade's own answer (NotFound, Disabled, ...), carried by the keyring.
        Err(EncryptError::Keyring(KeyringError::Backend(kind))) => {
            return Err(CliError::new(
                Class::of_kind(kind),
                format!("making the data key{failed} failed: {}", kind.code()),
            )
            .into());
        }
        Err(e @ (EncryptError::Materials(_) | EncryptError::Keyring(KeyringError::Materials(_)))) => {
            return Err(CliError::validation(e.to_string()).into());
        }
        Err(e) => return Err(CliError::new(Class::Internal, e.to_string()).into()),
    };
    // The data key is made: the rest needs no record.
    kms.store_mut().release_lock();

    let bar = progress(len, "encrypting");
    let mut reader = bar.wrap_read(input);
    // The message is written through a buffer (it is ciphertext); the plaintext passes only
    // through this zeroizing one.
    let mut writer = EncryptingWriter::new(BufWriter::with_capacity(CHUNK, out), encryptor);
    let mut chunk = Zeroizing::new(vec![0u8; CHUNK]);
    let mut copied = 0u64;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error("cannot read", &args.input_file, &e).into()),
        };
        writer
            .write_all(chunk.get(..n).unwrap_or_default())
            .map_err(|e| io_error("cannot write", &args.output_file, &e))?;
        copied = copied.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
    let out = writer.finish().map_err(|e| io_error("cannot write", &args.output_file, &e))?;
    let out = out.into_inner().map_err(|e| io_error("cannot write", &args.output_file, e.error()))?;
    let written = out.metadata().map(|m| m.len()).unwrap_or(0);
    bar.finish_and_clear();
    pending.commit(out)?;
    Ok(Obj::new()
        .str("InputFile", args.input_file.display().to_string())
        .str("OutputFile", args.output_file.display().to_string())
        .num("PlaintextBytes", copied)
        .num("CiphertextBytes", written)
        .with("KeyIds", Val::StrList(arns))
        .str(
            "AlgorithmSuite",
            if suite == AlgorithmSuite::AesGcm256HkdfSha512Commit { SUITE_UNSIGNED } else { SUITE_SIGNED },
        )
        .num("FrameLength", u64::from(args.frame_length)))
}

/// `decrypt-file`.
///
/// # Errors
/// InvalidCiphertext for any message that does not verify (the output is then not written);
/// the keys' KMS errors; an existing output without `--force`; I/O failures.
pub(crate) fn decrypt_file<H: Hsm>(kms: &mut CliKms<'_, H>, args: &DecryptFileArgs) -> Result<Obj, Failure<H>> {
    let pairs = crate::input::context("EncryptionContext", args.encryption_context.as_deref())?;
    let context = context_pairs(&pairs)?;
    let (input, len) = open_input(&args.input_file)?;
    let (pending, out) = Pending::create(&args.output_file, args.force)?;
    let workspace_len = Decryptor::workspace_len(MAX_FRAME_LENGTH).max(MAX_HEADER_LEN);
    let mut workspace = Zeroizing::new(vec![0u8; workspace_len]);
    let (result, key) = if args.key_id.is_empty() {
        let mut keyring = DiscoveryKeyring { kms, used: None };
        let result =
            stream(Decryptor::new(&mut keyring, context, Limits::default(), &mut workspace), input, out, len, args);
        (result, keyring.used)
    } else {
        let mut keyring = KeysKeyring { kms, keys: &args.key_id, used: Vec::new(), failed: None };
        let result =
            stream(Decryptor::new(&mut keyring, context, Limits::default(), &mut workspace), input, out, len, args);
        (result, keyring.used.pop())
    };
    match result {
        Ok((out, read, written)) => {
            pending.commit(out)?;
            Ok(Obj::new()
                .str("InputFile", args.input_file.display().to_string())
                .str("OutputFile", args.output_file.display().to_string())
                .num("CiphertextBytes", read)
                .num("PlaintextBytes", written)
                .opt_str("KeyId", key))
        }
        Err(Stop::Io(e)) => Err(e.into()),
        Err(Stop::Decrypt(e)) => {
            drop(pending); // removes the partial plaintext
            let class = match e {
                // Why no data key unwrapped, when that is about the key or the service and not
                // the message (a disabled key, an unreachable token), as Decrypt says it.
                DecryptError::Key(kind) => Class::of_kind(kind),
                // Everything that comes from the message's bytes, whichever check caught it.
                DecryptError::Invalid | DecryptError::Suite(_) | DecryptError::Limit(_) => Class::InvalidCiphertext,
                _ => Class::Internal,
            };
            Err(CliError::new(class, format!("{e}; no output was written")).into())
        }
    }
}

enum Stop {
    Io(CliError),
    Decrypt(DecryptError),
}

/// Reads the message, writes its plaintext frame by frame, and succeeds only once the whole
/// message verified (the caller renames the output into place only then).
fn stream<K: Keyring>(
    mut decryptor: Decryptor<'_, '_, K>,
    input: File,
    out: File,
    len: u64,
    args: &DecryptFileArgs,
) -> Result<(File, u64, u64), Stop> {
    let bar = progress(len, "decrypting");
    let mut reader = bar.wrap_read(input);
    // Plaintext goes from the zeroizing output buffer straight to the file, unbuffered.
    let mut writer = out;
    let mut inbuf = vec![0u8; CHUNK];
    let mut outbuf = Zeroizing::new(vec![0u8; CHUNK]);
    let (mut read_total, mut written_total) = (0u64, 0u64);
    let io_in = |e: io::Error| Stop::Io(io_error("cannot read", &args.input_file, &e));
    let io_out = |e: io::Error| Stop::Io(io_error("cannot write", &args.output_file, &e));
    loop {
        let n = loop {
            match reader.read(&mut inbuf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other.map_err(io_in)?,
            }
        };
        read_total = read_total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        let mut input = inbuf.get(..n).unwrap_or_default();
        loop {
            let (consumed, written) = decryptor.update(input, &mut outbuf).map_err(Stop::Decrypt)?;
            writer.write_all(outbuf.get(..written).unwrap_or_default()).map_err(io_out)?;
            written_total = written_total.saturating_add(u64::try_from(written).unwrap_or(u64::MAX));
            input = input.get(consumed..).unwrap_or_default();
            if input.is_empty() && written < outbuf.len() {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    decryptor.finish().map_err(Stop::Decrypt)?;
    bar.finish_and_clear();
    Ok((writer, read_total, written_total))
}
