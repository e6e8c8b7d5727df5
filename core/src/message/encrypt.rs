//! The streaming encryptor: header, then one frame at a time, then the footer, all through a
//! caller workspace of about one frame.

use rand_core::TryCryptoRng;
use zeroize::Zeroize;

use super::error::EncryptError;
use super::frame::{BodyAad, FINAL_FRAME_MARKER, FINAL_PREFIX_LEN, Kind, REGULAR_PREFIX_LEN, frame_iv};
use super::header::{HeaderFields, MAX_HEADER_LEN, header_len};
use super::kdf::{ContentKey, derive};
use super::keyring::Keyring;
use super::materials::{EncryptionMaterials, Limits, MaterialsError};
use super::signing::{SigningKey, Transcript};
use super::suite::AlgorithmSuite;
use super::{MESSAGE_ID_LEN, TAG_LEN};
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::data::EncryptionContext;
use crate::encoding::Writer;

/// The frame length the official SDKs use by default.
pub const DEFAULT_FRAME_LENGTH: u32 = 4096;

/// How to encrypt a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptConfig {
    /// The suite: `05 78` (signed) by default when the `ecdsa-p384` feature is on, as the SDKs'
    /// default; `04 78` otherwise.
    pub suite: AlgorithmSuite,
    /// Plaintext bytes per frame, at least 1; the workspace must hold
    /// [`Encryptor::workspace_len`] of it.
    pub frame_length: u32,
    /// Limits (EDK count).
    pub limits: Limits,
}

impl Default for EncryptConfig {
    fn default() -> Self {
        #[cfg(feature = "ecdsa-p384")]
        let suite = AlgorithmSuite::AesGcm256HkdfSha512CommitEcdsaP384;
        #[cfg(not(feature = "ecdsa-p384"))]
        let suite = AlgorithmSuite::AesGcm256HkdfSha512Commit;
        Self { suite, frame_length: DEFAULT_FRAME_LENGTH, limits: Limits::default() }
    }
}

/// The signing key of a `05 78` message: the encryptor's own, or the caller's materials'.
// No heap to box the large variant in; a few hundred bytes in the encryptor are fine.
#[allow(clippy::large_enum_variant)]
enum Signer<'w> {
    None,
    Owned(SigningKey),
    Borrowed(&'w SigningKey),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Body,
    FinalSealed,
    FooterSealed,
    Failed,
}

/// Encrypts a message of any length, one frame at a time, into caller buffers.
///
/// Call [`update`](Self::update) with plaintext and an output buffer as often as needed, then
/// [`finish`](Self::finish) until it reports done. Output may be of any size; bytes not yet
/// taken wait in the workspace. A frame is sealed as a regular frame as soon as it is full, so
/// a message whose length is a non-zero multiple of the frame length ends with an empty final
/// frame, as the official SDKs write it: the spec allows a full final frame too, but deployed
/// readers (the Python SDK 3.x behind `aws-encryption-cli` 4.3) refuse one.
///
/// The workspace holds plaintext: it is zeroized when the encryptor is dropped.
///
/// Memory: besides the workspace, [`new`](Self::new) needs the materials on its stack: their
/// EDKs in a pool of [`MAX_EDK_POOL_LEN`](super::MAX_EDK_POOL_LEN) bytes (2 KiB without `std`;
/// on the heap with it) and the context, signing key and data key; plus what the keyring needs
/// (the raw AES keyring: the encoded context it binds, up to 4 KiB without `std`). The
/// encryptor itself is under 2 KiB.
///
/// `P` is the [crypto provider](crate::crypto) that derives the keys, encrypts the frames and
/// hashes the transcript: [`RustCrypto`] unless the encryptor is made with one of the `_in`
/// constructors, such as [`new_in`](Self::new_in).
pub struct Encryptor<'w, P: CryptoProvider = RustCrypto> {
    ws: &'w mut [u8],
    key: ContentKey<P>,
    message_id: [u8; MESSAGE_ID_LEN],
    frame_length: usize,
    signing: Signer<'w>,
    transcript: Transcript<P>,
    sequence: u32,
    filled: usize,
    out_start: usize,
    out_end: usize,
    phase: Phase,
    /// Plaintext taken so far, and the most the caller declared (`u64::MAX`: no bound).
    taken: u64,
    bound: u64,
}

impl<P: CryptoProvider> core::fmt::Debug for Encryptor<'_, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encryptor").field("sequence", &self.sequence).field("phase", &self.phase).finish()
    }
}

impl<'w> Encryptor<'w> {
    /// The workspace one frame needs at `frame_length` (prefix, body and tag of a final frame).
    ///
    /// **The header is written in the workspace too**, whatever the frame length, so this
    /// alone is too small whenever the header is longer than a frame (short frames, large
    /// contexts, several EDKs). Size the workspace with
    /// [`workspace_len_for`](Self::workspace_len_for) from the materials (on hosts), or with
    /// the larger of this and [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN), which fits any header
    /// this build writes (fixed buffers). The signature footer of `05 78` is written there
    /// too; it is always shorter than that suite's header, which holds the public key.
    ///
    /// Saturates rather than overflowing (a frame length near 4 GiB on a 32-bit target), so
    /// such a frame length is refused by [`new`](Self::new) as [`EncryptError::WorkspaceTooSmall`].
    pub const fn workspace_len(frame_length: u32) -> usize {
        FINAL_PREFIX_LEN.saturating_add(frame_length as usize).saturating_add(TAG_LEN)
    }

    /// The workspace a message made from `materials` (holding their data key and EDKs, as a
    /// keyring left them) needs at `frame_length`: [`workspace_len`](Self::workspace_len), or
    /// the header these materials write if that is longer. With it,
    /// [`with_materials`](Self::with_materials) never fails for want of workspace.
    pub fn workspace_len_for(materials: &EncryptionMaterials<'_>, frame_length: u32) -> usize {
        let header = match materials.context() {
            Ok(context) => header_len(&context, materials.encrypted_data_keys()),
            // Refused by `with_materials` anyway; this is only a size.
            Err(_) => MAX_HEADER_LEN,
        };
        Self::workspace_len(frame_length).max(header)
    }

    /// [`new_in`](Encryptor::new_in) with the default provider, [`RustCrypto`].
    ///
    /// # Errors
    /// As [`new_in`](Encryptor::new_in).
    pub fn new<K: Keyring + ?Sized, R: TryCryptoRng + ?Sized>(
        keyring: &mut K,
        context: EncryptionContext<'_>,
        config: &EncryptConfig,
        rng: &mut R,
        workspace: &'w mut [u8],
    ) -> Result<Self, EncryptError> {
        Self::new_in(keyring, context, config, rng, workspace, RustCrypto)
    }

    /// [`with_materials_in`](Encryptor::with_materials_in) with the default provider.
    ///
    /// # Errors
    /// As [`with_materials_in`](Encryptor::with_materials_in).
    pub fn with_materials<R: TryCryptoRng + ?Sized>(
        materials: EncryptionMaterials<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
    ) -> Result<Self, EncryptError> {
        Self::with_materials_in(materials, frame_length, rng, workspace, RustCrypto)
    }

    /// [`with_shared_materials_in`](Encryptor::with_shared_materials_in) with the default
    /// provider.
    ///
    /// # Errors
    /// As [`with_shared_materials_in`](Encryptor::with_shared_materials_in).
    pub fn with_shared_materials<R: TryCryptoRng + ?Sized>(
        materials: &'w EncryptionMaterials<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
    ) -> Result<Self, EncryptError> {
        Self::with_shared_materials_in(materials, frame_length, rng, workspace, RustCrypto)
    }
}

impl<'w, P: CryptoProvider> Encryptor<'w, P> {
    /// Starts a message with the crypto provider `provider`: makes materials (and, for `05 78`, a signing key), asks `keyring` for
    /// the data key and its EDKs, draws a message id, and writes the header into the workspace,
    /// from which [`update`](Self::update) and [`finish`](Self::finish) hand it out first.
    ///
    /// # Errors
    /// [`EncryptError::InvalidFrameLength`]; [`EncryptError::WorkspaceTooSmall`] if `workspace`
    /// cannot hold one frame or the header; the materials' refusals (reserved context keys, too
    /// many EDKs, context too large with the public key); keyring and generator failures.
    pub fn new_in<K: Keyring + ?Sized, R: TryCryptoRng + ?Sized>(
        keyring: &mut K,
        context: EncryptionContext<'_>,
        config: &EncryptConfig,
        rng: &mut R,
        workspace: &'w mut [u8],
        provider: P,
    ) -> Result<Self, EncryptError> {
        check_workspace(config.frame_length, workspace.len())?;
        let mut materials = EncryptionMaterials::new_in(config.suite, context, config.limits, rng, provider)?;
        keyring.on_encrypt(&mut materials, rng)?;
        // Borrowed, not moved: a move may copy the materials to another stack slot.
        Self::from_materials(&mut materials, config.frame_length, rng, workspace)
    }

    /// Starts a message from materials prepared elsewhere (by a cryptographic materials
    /// manager, such as a data-key cache): they must hold the data key and at least one EDK.
    /// Draws the message id and writes the header, as [`new`](Self::new_in) does.
    ///
    /// # Errors
    /// [`EncryptError::NoDataKey`] if the materials lack the data key or any EDK;
    /// [`EncryptError::InvalidFrameLength`]; [`EncryptError::WorkspaceTooSmall`];
    /// [`EncryptError::Rng`].
    pub fn with_materials_in<R: TryCryptoRng + ?Sized>(
        mut materials: EncryptionMaterials<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
        _provider: P,
    ) -> Result<Self, EncryptError> {
        Self::from_materials(&mut materials, frame_length, rng, workspace)
    }

    /// Starts a message from `materials`, taking their signing key (if any) into the encryptor.
    fn from_materials<R: TryCryptoRng + ?Sized>(
        materials: &mut EncryptionMaterials<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
    ) -> Result<Self, EncryptError> {
        let context = materials.context().map_err(|e| EncryptError::Materials(MaterialsError::Context(e)))?;
        let mut encryptor = Self::start(materials, &context, frame_length, rng, workspace)?;
        drop(context);
        encryptor.signing = match materials.take_signing_key() {
            Some(key) => Signer::Owned(key),
            None => Signer::None,
        };
        Ok(encryptor)
    }

    /// Starts a message from materials that stay with the caller, so that they can serve
    /// several messages (as a data-key cache does): the data key, the EDKs and, for `05 78`, the
    /// signing key are shared; each message still gets its own message id, and so its own
    /// content key. The materials must outlive the encryptor, like the workspace.
    ///
    /// For `05 78` this means that the messages made from the same materials are signed by the
    /// same P-384 key and carry the same public key in their encryption context (as with the
    /// SDKs' caching CMM), rather than one fresh key per message as [`new`](Self::new_in) makes:
    /// a reader can tell that they come from the same materials.
    ///
    /// # Errors
    /// As [`with_materials`](Self::with_materials_in).
    pub fn with_shared_materials_in<R: TryCryptoRng + ?Sized>(
        materials: &'w EncryptionMaterials<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
        _provider: P,
    ) -> Result<Self, EncryptError> {
        let context = materials.context().map_err(|e| EncryptError::Materials(MaterialsError::Context(e)))?;
        Self::start_shared(materials, &context, frame_length, rng, workspace)
    }

    /// As [`with_shared_materials`](Self::with_shared_materials_in), for materials a data-key cache
    /// keeps without a context (see `EncryptionMaterials::without_context`): the header gets
    /// `context` (and, for `05 78`, the materials' public key).
    pub(crate) fn with_cached_materials<R: TryCryptoRng + ?Sized>(
        materials: &'w EncryptionMaterials<'_>,
        context: &EncryptionContext<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
        _provider: P,
    ) -> Result<Self, EncryptError> {
        let context = materials.context_with(context)?;
        Self::start_shared(materials, &context, frame_length, rng, workspace)
    }

    fn start_shared<R: TryCryptoRng + ?Sized>(
        materials: &'w EncryptionMaterials<'_>,
        context: &EncryptionContext<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
    ) -> Result<Self, EncryptError> {
        let mut encryptor = Self::start(materials, context, frame_length, rng, workspace)?;
        encryptor.signing = match materials.signing_key() {
            Some(key) => Signer::Borrowed(key),
            None => Signer::None,
        };
        Ok(encryptor)
    }

    /// Draws the message id, derives the keys and writes the header with `context` (the full
    /// context, public key included) (no signer yet).
    fn start<R: TryCryptoRng + ?Sized>(
        materials: &EncryptionMaterials<'_>,
        context: &EncryptionContext<'_>,
        frame_length: u32,
        rng: &mut R,
        workspace: &'w mut [u8],
    ) -> Result<Self, EncryptError> {
        let (frame_len, needed) = check_workspace(frame_length, workspace.len())?;
        let suite = materials.suite();
        if materials.encrypted_data_keys().is_empty() {
            return Err(EncryptError::NoDataKey);
        }
        let data_key = materials.data_key().ok_or(EncryptError::NoDataKey)?;
        let mut message_id = [0u8; MESSAGE_ID_LEN];
        rng.try_fill_bytes(&mut message_id).map_err(|_| EncryptError::Rng)?;
        let (key, commitment) = derive(suite, data_key, &message_id).ok_or(EncryptError::Rng)?;
        let fields = HeaderFields {
            suite,
            message_id: &message_id,
            context,
            edks: materials.encrypted_data_keys(),
            frame_length,
            commitment: &commitment,
        };
        let header_len = fields
            .write(&key, workspace)
            .map_err(|_| EncryptError::WorkspaceTooSmall { needed: fields.len().max(needed) })?;
        let mut transcript = Transcript::new(suite.is_signed());
        transcript.update(workspace.get(..header_len).unwrap_or_default());
        Ok(Self {
            ws: workspace,
            key,
            message_id,
            frame_length: frame_len,
            signing: Signer::None,
            transcript,
            sequence: 1,
            filled: 0,
            out_start: 0,
            out_end: header_len,
            phase: Phase::Body,
            taken: 0,
            bound: u64::MAX,
        })
    }

    /// Declares the most plaintext this message may hold (the spec's "plaintext length bound",
    /// `client-apis/encrypt.md`): [`update`](Self::update) fails as soon as more is given. A
    /// data-key cache sets it to the length it charged against the data key's byte limit, so
    /// that the limit cannot be exceeded by writing more than declared.
    ///
    /// # Errors
    /// [`EncryptError::PlaintextTooLong`] if more than `bound` bytes were already taken.
    pub fn set_plaintext_bound(&mut self, bound: u64) -> Result<(), EncryptError> {
        if self.taken > bound {
            return Err(EncryptError::PlaintextTooLong);
        }
        self.bound = bound;
        Ok(())
    }

    /// Takes plaintext from `input` and writes message bytes into `output`, returning
    /// `(consumed, written)`. Takes all of `input` unless `output` fills up first: call again
    /// with the rest.
    ///
    /// # Errors
    /// [`EncryptError::State`] after [`finish`](Self::finish) began or after a failure;
    /// [`EncryptError::TooManyFrames`]; [`EncryptError::PlaintextTooLong`] past the bound set
    /// with [`set_plaintext_bound`](Self::set_plaintext_bound) (the encryptor is then unusable).
    pub fn update(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize), EncryptError> {
        if self.phase != Phase::Body {
            return Err(EncryptError::State);
        }
        let mut consumed: usize = 0;
        let mut written: usize = 0;
        loop {
            written = written.saturating_add(self.drain(output.get_mut(written..).unwrap_or_default()));
            if self.out_start < self.out_end {
                return Ok((consumed, written));
            }
            if self.filled == self.frame_length {
                // A full frame is a regular frame, whether or not more plaintext follows: the
                // final frame then holds what is left, possibly nothing.
                self.seal_regular().inspect_err(|_| self.fail())?;
                continue;
            }
            let rest = input.get(consumed..).unwrap_or_default();
            if rest.is_empty() {
                return Ok((consumed, written));
            }
            // The fast path: nothing buffered, a whole frame of input, and room for the whole
            // frame in `output`: encrypt it straight from `input` into `output`, without passing
            // through the workspace.
            let unit = REGULAR_PREFIX_LEN.saturating_add(self.frame_length).saturating_add(TAG_LEN);
            if self.filled == 0
                && rest.len() >= self.frame_length
                && let Some(plain) = rest.get(..self.frame_length)
                && let Some(out) = output.get_mut(written..written.saturating_add(unit))
            {
                self.take_plaintext(self.frame_length)?;
                self.seal_regular_into(plain, out).inspect_err(|_| self.fail())?;
                consumed = consumed.saturating_add(self.frame_length);
                written = written.saturating_add(unit);
                continue;
            }
            let take = rest.len().min(self.frame_length.saturating_sub(self.filled));
            self.take_plaintext(take)?;
            let start = FINAL_PREFIX_LEN.saturating_add(self.filled);
            let dst = self.ws.get_mut(start..start.saturating_add(take)).ok_or(EncryptError::State)?;
            dst.copy_from_slice(rest.get(..take).unwrap_or_default());
            // Bounded by the frame length and the input length: cannot overflow.
            self.filled = self.filled.saturating_add(take);
            consumed = consumed.saturating_add(take);
        }
    }

    /// Ends the plaintext: seals the final frame and, for `05 78`, the signature footer, and
    /// writes what fits into `output`. Returns `(written, done)`: call again with more output
    /// space until `done`.
    ///
    /// # Errors
    /// [`EncryptError::State`] after a failure; a signing failure.
    pub fn finish(&mut self, output: &mut [u8]) -> Result<(usize, bool), EncryptError> {
        let mut written: usize = 0;
        loop {
            written = written.saturating_add(self.drain(output.get_mut(written..).unwrap_or_default()));
            if self.out_start < self.out_end {
                return Ok((written, false));
            }
            match self.phase {
                Phase::Body => self.seal_final().inspect_err(|_| self.fail())?,
                Phase::FinalSealed => match core::mem::replace(&mut self.signing, Signer::None) {
                    Signer::Owned(signing) => self.seal_footer(&signing).inspect_err(|_| self.fail())?,
                    Signer::Borrowed(signing) => self.seal_footer(signing).inspect_err(|_| self.fail())?,
                    Signer::None => {
                        self.phase = Phase::FooterSealed;
                        return Ok((written, true));
                    }
                },
                Phase::FooterSealed => return Ok((written, true)),
                Phase::Failed => return Err(EncryptError::State),
            }
        }
    }

    fn drain(&mut self, output: &mut [u8]) -> usize {
        let n = output.len().min(self.out_end.saturating_sub(self.out_start));
        if let (Some(dst), Some(src)) =
            (output.get_mut(..n), self.ws.get(self.out_start..self.out_start.saturating_add(n)))
        {
            dst.copy_from_slice(src);
        }
        self.out_start = self.out_start.saturating_add(n);
        n
    }

    /// Counts `take` more bytes of plaintext against the declared bound; past it, the encryptor
    /// fails.
    fn take_plaintext(&mut self, take: usize) -> Result<(), EncryptError> {
        let taken = u64::try_from(take).ok().and_then(|t| self.taken.checked_add(t));
        match taken {
            Some(taken) if taken <= self.bound => {
                self.taken = taken;
                Ok(())
            }
            _ => {
                self.fail();
                Err(EncryptError::PlaintextTooLong)
            }
        }
    }

    /// Seals the regular frame of plaintext `plain` (one frame length) into `out` (prefix, body
    /// and tag; exactly that long), as [`seal_regular`](Self::seal_regular) does in the
    /// workspace, and feeds it to the transcript.
    fn seal_regular_into(&mut self, plain: &[u8], out: &mut [u8]) -> Result<(), EncryptError> {
        let sequence = self.sequence;
        if sequence == FINAL_FRAME_MARKER {
            return Err(EncryptError::TooManyFrames);
        }
        let len = plain.len();
        let aad = BodyAad::new(&self.message_id, Kind::Regular, sequence, len as u64);
        let iv = frame_iv(sequence);
        let (prefix, rest) = out.split_at_mut_checked(REGULAR_PREFIX_LEN).ok_or(EncryptError::State)?;
        let (body, tag_out) = rest.split_at_mut_checked(len).ok_or(EncryptError::State)?;
        let tag_out: &mut [u8; TAG_LEN] = tag_out.try_into().map_err(|_| EncryptError::State)?;
        *tag_out = self.key.seal_to(&iv, aad.as_bytes(), plain, body).map_err(|()| EncryptError::State)?;
        let mut w = Writer::new(prefix);
        w.u32(sequence).map_err(|_| EncryptError::State)?;
        w.put(&iv).map_err(|_| EncryptError::State)?;
        self.transcript.update(out);
        // Below FINAL_FRAME_MARKER (u32::MAX), checked above.
        self.sequence = sequence.saturating_add(1);
        Ok(())
    }

    fn seal_regular(&mut self) -> Result<(), EncryptError> {
        let sequence = self.sequence;
        if sequence == FINAL_FRAME_MARKER {
            return Err(EncryptError::TooManyFrames);
        }
        let len = self.frame_length;
        let aad = BodyAad::new(&self.message_id, Kind::Regular, sequence, len as u64);
        let iv = frame_iv(sequence);
        let body =
            self.ws.get_mut(FINAL_PREFIX_LEN..FINAL_PREFIX_LEN.saturating_add(len)).ok_or(EncryptError::State)?;
        let tag = self.key.seal(&iv, aad.as_bytes(), body).map_err(|()| EncryptError::State)?;
        let start = FINAL_PREFIX_LEN - REGULAR_PREFIX_LEN;
        let end = FINAL_PREFIX_LEN.saturating_add(len).saturating_add(TAG_LEN);
        let mut w = Writer::new(self.ws.get_mut(start..FINAL_PREFIX_LEN).ok_or(EncryptError::State)?);
        w.u32(sequence).map_err(|_| EncryptError::State)?;
        w.put(&iv).map_err(|_| EncryptError::State)?;
        self.ws.get_mut(FINAL_PREFIX_LEN.saturating_add(len)..end).ok_or(EncryptError::State)?.copy_from_slice(&tag);
        self.emit(start, end);
        // Below FINAL_FRAME_MARKER (u32::MAX), checked above.
        self.sequence = sequence.saturating_add(1);
        self.filled = 0;
        Ok(())
    }

    fn seal_final(&mut self) -> Result<(), EncryptError> {
        let sequence = self.sequence;
        let len = self.filled;
        let len32 = u32::try_from(len).map_err(|_| EncryptError::State)?;
        let aad = BodyAad::new(&self.message_id, Kind::Final, sequence, len as u64);
        let iv = frame_iv(sequence);
        let body =
            self.ws.get_mut(FINAL_PREFIX_LEN..FINAL_PREFIX_LEN.saturating_add(len)).ok_or(EncryptError::State)?;
        let tag = self.key.seal(&iv, aad.as_bytes(), body).map_err(|()| EncryptError::State)?;
        let end = FINAL_PREFIX_LEN.saturating_add(len).saturating_add(TAG_LEN);
        let mut w = Writer::new(self.ws.get_mut(..FINAL_PREFIX_LEN).ok_or(EncryptError::State)?);
        w.u32(FINAL_FRAME_MARKER).map_err(|_| EncryptError::State)?;
        w.u32(sequence).map_err(|_| EncryptError::State)?;
        w.put(&iv).map_err(|_| EncryptError::State)?;
        w.u32(len32).map_err(|_| EncryptError::State)?;
        self.ws.get_mut(FINAL_PREFIX_LEN.saturating_add(len)..end).ok_or(EncryptError::State)?.copy_from_slice(&tag);
        self.emit(0, end);
        self.filled = 0;
        self.phase = Phase::FinalSealed;
        Ok(())
    }

    fn seal_footer(&mut self, signing: &SigningKey) -> Result<(), EncryptError> {
        let transcript = core::mem::replace(&mut self.transcript, Transcript::new(false));
        let signature = signing.sign(transcript).map_err(|()| EncryptError::State)?;
        let mut w = Writer::new(self.ws);
        w.u16_prefixed(&signature).map_err(|_| EncryptError::State)?;
        let end = w.len();
        self.out_start = 0;
        self.out_end = end;
        self.phase = Phase::FooterSealed;
        Ok(())
    }

    /// Marks `ws[start..end]` as output and feeds it to the signature transcript.
    fn emit(&mut self, start: usize, end: usize) {
        self.transcript.update(self.ws.get(start..end).unwrap_or_default());
        self.out_start = start;
        self.out_end = end;
    }

    fn fail(&mut self) {
        self.phase = Phase::Failed;
        self.ws.zeroize();
        self.out_start = 0;
        self.out_end = 0;
    }
}

/// Checks the frame length and that the workspace holds one frame; returns the frame length
/// and the bytes needed.
fn check_workspace(frame_length: u32, workspace: usize) -> Result<(usize, usize), EncryptError> {
    if frame_length == 0 {
        return Err(EncryptError::InvalidFrameLength);
    }
    let frame_length_usize = usize::try_from(frame_length).map_err(|_| EncryptError::InvalidFrameLength)?;
    let needed = Encryptor::workspace_len(frame_length);
    if workspace < needed {
        return Err(EncryptError::WorkspaceTooSmall { needed });
    }
    Ok((frame_length_usize, needed))
}

impl<P: CryptoProvider> Drop for Encryptor<'_, P> {
    fn drop(&mut self) {
        self.ws.zeroize();
    }
}
