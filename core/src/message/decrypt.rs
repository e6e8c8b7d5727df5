//! The streaming decryptor: takes message bytes in chunks of any size, releases each frame's
//! plaintext only after that frame's tag verified, and reports a complete message only after
//! the final frame (and, for `05 78`, the footer signature) verified.

use zeroize::Zeroize;

use super::error::DecryptError;
use super::frame::{
    BodyAad, FINAL_FRAME_MARKER, FINAL_PREFIX_LEN, Kind, REGULAR_PREFIX_LEN, SINGLE_PREFIX_LEN, frame_iv,
};
use super::header::{Header, HeaderError, HeaderLimit};
use super::kdf::{ContentKey, commitment_matches, derive};
use super::keyring::Keyring;
use super::materials::{DecryptionMaterials, Limits};
use super::signing::{MAX_SIGNATURE_LEN, PUBLIC_KEY_CONTEXT_KEY, Transcript, VerifyingKey};
use super::suite::SuiteError;
use super::{IV_LEN, MESSAGE_ID_LEN, TAG_LEN};
use crate::crypto::{CryptoProvider, RustCrypto};
use crate::data::EncryptionContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    FrameStart,
    Regular,
    FinalPrefix,
    Final,
    SinglePrefix,
    Single,
    FooterLen,
    Footer,
    Done,
    Failed,
}

/// Decrypts a message given in chunks of any size, one frame at a time, into caller buffers.
///
/// Memory is the workspace only: it must hold the header and one frame (frame length + 40
/// bytes), and for the signed suite `05 78` also the footer after that frame (106 bytes more):
/// [`Decryptor::workspace_len`] gives the size for a frame length. A message whose header or
/// frame does not fit is refused with [`DecryptError::Limit`] before any key is used. Legacy
/// non-framed content is read only if its single block (plaintext length + 36 bytes, + 106 for
/// `05 78`) fits in the workspace.
///
/// # What is authentic when
/// Each frame's plaintext is released only after that frame's tag verified, and frames can
/// be neither reordered, dropped, nor taken from another message. For the signed suite `05 78`
/// the final frame (or the single block of non-framed content) is decrypted but held in the
/// workspace until the footer signature verified, as the spec requires: it is released only
/// with a valid signature. The regular frames before it are authenticated by the data key
/// only, which every reader holds; only the footer signature proves that the message comes
/// from the holder of the signing key. So the message as a whole is complete only when
/// [`finish`](Self::finish) succeeds: a stream that stops early has released a genuine prefix,
/// and **plaintext released before `finish` succeeds must be treated as unverified** (hold
/// it, do not act on it). [`decrypt_buffered`] releases nothing until then.
///
/// The workspace holds plaintext: it is zeroized on drop and on any failure. The decryptor
/// itself is about 3 KiB with the raw AES keyring; the header step needs about 2 KiB of stack
/// besides what the keyring uses.
///
/// `P` is the [crypto provider](crate::crypto): [`RustCrypto`] unless the decryptor is made
/// with [`new_in`](Self::new_in).
pub struct Decryptor<'w, 'c, K, P: CryptoProvider = RustCrypto> {
    keyring: K,
    expected: EncryptionContext<'c>,
    limits: Limits,
    ws: &'w mut [u8],
    stage: Stage,
    filled: usize,
    need: usize,
    out_start: usize,
    out_end: usize,
    /// Where in the workspace the current unit is gathered: 0, except for the footer of a signed
    /// message, gathered after the held plaintext of the final frame.
    base: usize,
    /// The final frame's (or single block's) plaintext of a signed message, decrypted but held
    /// in the workspace until the footer signature verified.
    held: (usize, usize),
    key: Option<ContentKey<P>>,
    message_id: [u8; MESSAGE_ID_LEN],
    frame_length: usize,
    sequence: u32,
    verifier: Option<VerifyingKey>,
    transcript: Transcript<P>,
    refuse_signed: bool,
}

impl<K, P: CryptoProvider> core::fmt::Debug for Decryptor<'_, '_, K, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decryptor").field("stage", &self.stage).field("sequence", &self.sequence).finish()
    }
}

impl Decryptor<'_, '_, ()> {
    /// The workspace that decrypts any message of `frame_length` (either suite): one frame
    /// and, for `05 78`, the footer after it. The header must fit too (it rarely exceeds a
    /// few hundred bytes, at most [`MAX_HEADER_LEN`](super::MAX_HEADER_LEN)). For `04 78` only,
    /// [`Encryptor::workspace_len`](super::Encryptor::workspace_len) is enough. Saturates
    /// rather than overflowing.
    pub const fn workspace_len(frame_length: u32) -> usize {
        FINAL_PREFIX_LEN.saturating_add(frame_length as usize).saturating_add(TAG_LEN).saturating_add(FOOTER_SPACE)
    }
}

impl<'w, 'c, K: Keyring> Decryptor<'w, 'c, K> {
    /// [`new_in`](Decryptor::new_in) with the default provider, [`RustCrypto`].
    pub fn new(keyring: K, expected: EncryptionContext<'c>, limits: Limits, workspace: &'w mut [u8]) -> Self {
        Self::new_in(keyring, expected, limits, workspace, RustCrypto)
    }
}

impl<'w, 'c, K: Keyring, P: CryptoProvider> Decryptor<'w, 'c, K, P> {
    /// A decryptor that unwraps the data key with `keyring`, and requires every pair of
    /// `expected` to be in the message's encryption context with the same value (the message
    /// may hold more pairs, such as the signature's public key). `provider` derives the keys,
    /// opens the frames and hashes the transcript.
    pub fn new_in(
        keyring: K,
        expected: EncryptionContext<'c>,
        limits: Limits,
        workspace: &'w mut [u8],
        _provider: P,
    ) -> Self {
        Self {
            keyring,
            expected,
            limits,
            ws: workspace,
            stage: Stage::Header,
            filled: 0,
            need: 1,
            out_start: 0,
            out_end: 0,
            base: 0,
            held: (0, 0),
            key: None,
            message_id: [0; MESSAGE_ID_LEN],
            frame_length: 0,
            sequence: 1,
            verifier: None,
            transcript: Transcript::new(false),
            refuse_signed: false,
        }
    }

    /// Makes the decryptor fail as soon as the header is parsed if the message uses a signed
    /// suite (`05 78`), with [`DecryptError::Suite`]`(`[`SuiteError::Signed`]`)`, before the
    /// keyring is asked for anything: the spec's option for streaming consumers that cannot
    /// hold plaintext until the end of the message (the SDKs' "decrypt unsigned"), since only
    /// the footer signature authenticates the sender and it comes last.
    #[must_use]
    pub fn refuse_signed(mut self) -> Self {
        self.refuse_signed = true;
        self
    }

    /// Takes message bytes from `input` and writes verified plaintext into `output`, returning
    /// `(consumed, written)`. Takes all of `input` unless `output` fills first: call again with
    /// the rest (and, at the end, with empty input until nothing more is written).
    ///
    /// # Errors
    /// [`DecryptError::Invalid`] for anything wrong with the message (including bytes after its
    /// end); [`DecryptError::Suite`] and [`DecryptError::Limit`] from the header;
    /// [`DecryptError::State`] after a failure. After any error the decryptor is unusable and
    /// its workspace wiped, and so is what this call had written into `output` (its first
    /// bytes, up to the count it could not return): plaintext of frames that verified earlier
    /// in the failing call is not left behind.
    pub fn update(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize), DecryptError> {
        let mut written = 0;
        let result = self.update_counting(input, output, &mut written);
        if result.is_err()
            && let Some(out) = output.get_mut(..written)
        {
            out.zeroize();
        }
        result
    }

    /// [`update`](Self::update), keeping in `written` how much of `output` it filled, so that an
    /// error can wipe it.
    fn update_counting(
        &mut self,
        input: &[u8],
        output: &mut [u8],
        written: &mut usize,
    ) -> Result<(usize, usize), DecryptError> {
        if self.stage == Stage::Failed {
            return Err(DecryptError::State);
        }
        let mut consumed: usize = 0;
        loop {
            *written = written.saturating_add(self.drain(output.get_mut(*written..).unwrap_or_default()));
            if self.out_start < self.out_end {
                return Ok((consumed, *written));
            }
            let rest = input.get(consumed..).unwrap_or_default();
            if rest.is_empty() {
                return Ok((consumed, *written));
            }
            if self.stage == Stage::Done {
                // Trailing bytes after the end of the message.
                return Err(self.fail(DecryptError::Invalid));
            }
            // The fast path: at a frame boundary, a whole regular frame in `input` and room for
            // its plaintext in `output`: check and decrypt it straight from one to the other.
            if self.stage == Stage::FrameStart && self.filled == 0 {
                let unit = REGULAR_PREFIX_LEN.saturating_add(self.frame_length).saturating_add(TAG_LEN);
                let out_at = *written;
                if let Some(frame) = rest.get(..unit)
                    && read_u32(frame, 0).ok() != Some(FINAL_FRAME_MARKER)
                    && let Some(out) = output.get_mut(out_at..out_at.saturating_add(self.frame_length))
                {
                    if let Err(e) = self.open_regular_into(frame, out) {
                        // `open_regular_into` wiped `out`; the caller's earlier output is wiped by
                        // `update`.
                        return Err(self.fail(e));
                    }
                    consumed = consumed.saturating_add(unit);
                    *written = out_at.saturating_add(self.frame_length);
                    continue;
                }
            }
            let take = rest.len().min(self.need.saturating_sub(self.filled));
            let at = self.base.saturating_add(self.filled);
            let dst = match self.ws.get_mut(at..at.saturating_add(take)) {
                Some(dst) => dst,
                None => return Err(self.fail(DecryptError::Invalid)),
            };
            dst.copy_from_slice(rest.get(..take).unwrap_or_default());
            // Bounded by the workspace and input lengths: cannot overflow.
            self.filled = self.filled.saturating_add(take);
            consumed = consumed.saturating_add(take);
            if self.filled == self.need
                && let Err(e) = self.advance()
            {
                return Err(self.fail(e));
            }
        }
    }

    /// Checks that the whole message was read and authenticated (final frame, and for `05 78`
    /// the signature) and that all plaintext was handed out.
    ///
    /// # Errors
    /// [`DecryptError::Invalid`] if the message is incomplete (truncated) or failed;
    /// [`DecryptError::OutputTooSmall`] if verified plaintext is still waiting to be taken
    /// with [`update`](Self::update).
    pub fn finish(&mut self) -> Result<(), DecryptError> {
        match self.stage {
            Stage::Done if self.out_start < self.out_end => Err(DecryptError::OutputTooSmall),
            Stage::Done => Ok(()),
            Stage::Failed => Err(DecryptError::Invalid),
            _ => Err(self.fail(DecryptError::Invalid)),
        }
    }

    /// True once the whole message was read and verified.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// The message id, once the header verified (for logs and audit: it names the message).
    pub fn message_id(&self) -> Option<&[u8; MESSAGE_ID_LEN]> {
        match self.stage {
            Stage::Header | Stage::Failed => None,
            _ => Some(&self.message_id),
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

    fn fail(&mut self, e: DecryptError) -> DecryptError {
        self.stage = Stage::Failed;
        self.ws.zeroize();
        self.key = None;
        self.out_start = 0;
        self.out_end = 0;
        self.held = (0, 0);
        e
    }

    /// `ws[..need]` holds a complete unit of the current stage: process it.
    fn advance(&mut self) -> Result<(), DecryptError> {
        match self.stage {
            Stage::Header => self.header(),
            Stage::FrameStart => {
                let first = read_u32(self.ws, 0)?;
                if first == FINAL_FRAME_MARKER {
                    self.stage = Stage::FinalPrefix;
                    self.need = FINAL_PREFIX_LEN;
                } else {
                    self.stage = Stage::Regular;
                    self.need = REGULAR_PREFIX_LEN.saturating_add(self.frame_length).saturating_add(TAG_LEN);
                }
                Ok(())
            }
            Stage::Regular => {
                let sequence = read_u32(self.ws, 0)?;
                self.open_frame(sequence, Kind::Regular, 4, REGULAR_PREFIX_LEN, self.frame_length)?;
                self.sequence = self.sequence.checked_add(1).ok_or(DecryptError::Invalid)?;
                self.next_unit(Stage::FrameStart, 4);
                Ok(())
            }
            Stage::FinalPrefix => {
                let len = usize::try_from(read_u32(self.ws, 20)?).map_err(|_| DecryptError::Invalid)?;
                if len > self.frame_length {
                    return Err(DecryptError::Invalid);
                }
                self.stage = Stage::Final;
                self.need = FINAL_PREFIX_LEN.saturating_add(len).saturating_add(TAG_LEN);
                Ok(())
            }
            Stage::Final => {
                let sequence = read_u32(self.ws, 4)?;
                let len = self.need.saturating_sub(FINAL_PREFIX_LEN + TAG_LEN);
                self.open_frame(sequence, Kind::Final, 8, FINAL_PREFIX_LEN, len)?;
                self.end_body()
            }
            Stage::SinglePrefix => {
                // Legacy non-framed content: one block, which must fit in the workspace since no
                // byte of it may be released before its tag verifies.
                let len = u64::from_be_bytes(read_array(self.ws, IV_LEN)?);
                let len = usize::try_from(len).map_err(|_| DecryptError::Limit(HeaderLimit::FrameLength))?;
                let need = SINGLE_PREFIX_LEN.saturating_add(len).saturating_add(TAG_LEN);
                let footer = if self.verifier.is_some() { FOOTER_SPACE } else { 0 };
                if need.saturating_add(footer) > self.ws.len() {
                    return Err(DecryptError::Limit(HeaderLimit::FrameLength));
                }
                self.stage = Stage::Single;
                self.need = need;
                Ok(())
            }
            Stage::Single => {
                let len = self.need.saturating_sub(SINGLE_PREFIX_LEN + TAG_LEN);
                self.open_frame(1, Kind::Single, 0, SINGLE_PREFIX_LEN, len)?;
                self.end_body()
            }
            Stage::FooterLen => {
                let len = usize::from(u16::from_be_bytes(read_array(self.ws, self.base)?));
                if len > MAX_SIGNATURE_LEN || len == 0 {
                    return Err(DecryptError::Invalid);
                }
                self.stage = Stage::Footer;
                self.need = len.saturating_add(2);
                Ok(())
            }
            Stage::Footer => {
                let verifier = self.verifier.take().ok_or(DecryptError::Invalid)?;
                let transcript = core::mem::replace(&mut self.transcript, Transcript::new(false));
                let signature = self
                    .ws
                    .get(self.base.saturating_add(2)..self.base.saturating_add(self.need))
                    .ok_or(DecryptError::Invalid)?;
                verifier.verify(transcript, signature).map_err(|()| DecryptError::Invalid)?;
                // Only now may the final frame's plaintext go out.
                (self.out_start, self.out_end) = core::mem::take(&mut self.held);
                self.next_unit(Stage::Done, 0);
                Ok(())
            }
            Stage::Done | Stage::Failed => Err(DecryptError::Invalid),
        }
    }

    /// After the last of the body (decrypted in `ws[out_start..out_end]`, its unit in
    /// `ws[..need]`): for a signed suite, the plaintext is held (not released) and the footer
    /// is gathered after the unit, to be verified before the plaintext goes out; else the end.
    fn end_body(&mut self) -> Result<(), DecryptError> {
        self.key = None;
        if self.verifier.is_some() {
            let base = self.need;
            if base.saturating_add(FOOTER_SPACE) > self.ws.len() {
                return Err(DecryptError::Limit(HeaderLimit::FrameLength));
            }
            self.held = (self.out_start, self.out_end);
            self.out_start = 0;
            self.out_end = 0;
            self.next_unit(Stage::FooterLen, 2);
            self.base = base;
        } else {
            self.next_unit(Stage::Done, 0);
        }
        Ok(())
    }

    fn next_unit(&mut self, stage: Stage, need: usize) {
        self.stage = stage;
        self.need = need;
        self.filled = 0;
        self.base = 0;
    }

    /// Verifies and decrypts the frame in `ws[..need]` in place: its sequence number must be the
    /// next expected one, a frame's IV the one that sequence number makes; its bytes join the signature transcript before decryption overwrites
    /// them. On success the plaintext becomes the pending output.
    fn open_frame(
        &mut self,
        sequence: u32,
        kind: Kind,
        iv_at: usize,
        body_at: usize,
        len: usize,
    ) -> Result<(), DecryptError> {
        if sequence != self.sequence {
            return Err(DecryptError::Invalid);
        }
        let iv: [u8; IV_LEN] = read_array(self.ws, iv_at)?;
        // A frame's IV is its sequence number, padded (the spec: decrypt.md); legacy non-framed
        // content has a random IV, read as it is.
        if kind != Kind::Single && iv != frame_iv(sequence) {
            return Err(DecryptError::Invalid);
        }
        self.transcript.update(self.ws.get(..self.need).unwrap_or_default());
        let tag: [u8; TAG_LEN] = read_array(self.ws, body_at.saturating_add(len))?;
        let aad = BodyAad::new(&self.message_id, kind, sequence, len as u64);
        let key = self.key.as_ref().ok_or(DecryptError::Invalid)?;
        let body = self.ws.get_mut(body_at..body_at.saturating_add(len)).ok_or(DecryptError::Invalid)?;
        key.open(&iv, aad.as_bytes(), body, &tag).map_err(|()| DecryptError::Invalid)?;
        self.out_start = body_at;
        self.out_end = body_at.saturating_add(len);
        Ok(())
    }

    /// Verifies and decrypts the regular frame `frame` (prefix, body, tag: all of it) into `out`
    /// (one frame length), with the checks of [`open_frame`](Self::open_frame): the next
    /// sequence number, its IV, the frame's bytes into the transcript, the tag. On failure `out`
    /// is wiped.
    fn open_regular_into(&mut self, frame: &[u8], out: &mut [u8]) -> Result<(), DecryptError> {
        let sequence = read_u32(frame, 0)?;
        if sequence != self.sequence {
            return Err(DecryptError::Invalid);
        }
        let iv: [u8; IV_LEN] = read_array(frame, 4)?;
        if iv != frame_iv(sequence) {
            return Err(DecryptError::Invalid);
        }
        let len = out.len();
        let body =
            frame.get(REGULAR_PREFIX_LEN..REGULAR_PREFIX_LEN.saturating_add(len)).ok_or(DecryptError::Invalid)?;
        let tag: [u8; TAG_LEN] = read_array(frame, REGULAR_PREFIX_LEN.saturating_add(len))?;
        if frame.len() != REGULAR_PREFIX_LEN.saturating_add(len).saturating_add(TAG_LEN) {
            return Err(DecryptError::Invalid);
        }
        self.transcript.update(frame);
        let aad = BodyAad::new(&self.message_id, Kind::Regular, sequence, len as u64);
        let key = self.key.as_ref().ok_or(DecryptError::Invalid)?;
        key.open_to(&iv, aad.as_bytes(), body, &tag, out).map_err(|()| DecryptError::Invalid)?;
        self.sequence = self.sequence.checked_add(1).ok_or(DecryptError::Invalid)?;
        Ok(())
    }

    /// The header is complete in `ws[..filled]`, or more is needed.
    fn header(&mut self) -> Result<(), DecryptError> {
        let parsed = Header::parse(self.ws.get(..self.filled).unwrap_or_default(), &self.limits);
        let (header, len) = match parsed {
            Ok(ok) => ok,
            Err(HeaderError::Incomplete { needed }) => {
                if needed > self.ws.len() {
                    return Err(DecryptError::Limit(HeaderLimit::HeaderLength));
                }
                self.need = needed;
                return Ok(());
            }
            Err(HeaderError::Suite(e)) => return Err(DecryptError::Suite(e)),
            Err(HeaderError::Limit(l)) => return Err(DecryptError::Limit(l)),
            Err(HeaderError::Malformed) => return Err(DecryptError::Invalid),
        };
        if self.refuse_signed && header.suite.is_signed() {
            return Err(DecryptError::Suite(SuiteError::Signed(header.suite.id())));
        }
        let frame_length =
            usize::try_from(header.frame_length).map_err(|_| DecryptError::Limit(HeaderLimit::FrameLength))?;
        let frame_space = FINAL_PREFIX_LEN.saturating_add(frame_length).saturating_add(TAG_LEN);
        let footer_space = if header.suite.is_signed() { FOOTER_SPACE } else { 0 };
        if frame_space.saturating_add(footer_space) > self.ws.len() {
            return Err(DecryptError::Limit(HeaderLimit::FrameLength));
        }
        for (k, v) in self.expected.iter() {
            if header.context.get(k) != Some(v) {
                return Err(DecryptError::Invalid);
            }
        }
        let mut materials = DecryptionMaterials::new(header.suite, header.context.clone(), header.encoded_context);
        self.keyring.on_decrypt(&mut materials, &header.edks).map_err(DecryptError::from_keyring)?;
        // Used where the keyring put it (not moved out, which would leave a copy behind); the
        // materials zeroize it when they go out of scope at the end of this function.
        let data_key = materials.data_key().ok_or(DecryptError::Invalid)?;
        let (key, commitment) = derive(header.suite, data_key, &header.message_id).ok_or(DecryptError::Invalid)?;
        if !commitment_matches(&commitment, &header.commitment) {
            return Err(DecryptError::Invalid);
        }
        header.verify_tag(&key).map_err(|()| DecryptError::Invalid)?;
        let verifier = if header.suite.is_signed() {
            let b64 = header.context.get(PUBLIC_KEY_CONTEXT_KEY).ok_or(DecryptError::Invalid)?;
            Some(VerifyingKey::from_base64(b64).map_err(|()| DecryptError::Invalid)?)
        } else {
            None
        };
        let mut transcript = Transcript::new(header.suite.is_signed());
        transcript.update(header.body);
        transcript.update(&header.tag);
        self.message_id = header.message_id;
        self.frame_length = frame_length;
        let framed = header.framed;
        self.key = Some(key);
        self.verifier = verifier;
        self.transcript = transcript;
        debug_assert_eq!(len, self.filled);
        (self.stage, self.need) =
            if framed { (Stage::FrameStart, 4) } else { (Stage::SinglePrefix, SINGLE_PREFIX_LEN) };
        self.filled = 0;
        Ok(())
    }
}

impl<K, P: CryptoProvider> Drop for Decryptor<'_, '_, K, P> {
    fn drop(&mut self) {
        self.ws.zeroize();
    }
}

/// Room for the footer of a signed message (its length and the longest signature), kept after
/// the final frame so that frame's plaintext can be held until the signature verified.
const FOOTER_SPACE: usize = 2 + MAX_SIGNATURE_LEN;

fn read_array<const N: usize>(ws: &[u8], at: usize) -> Result<[u8; N], DecryptError> {
    let mut out = [0u8; N];
    out.copy_from_slice(ws.get(at..at.saturating_add(N)).ok_or(DecryptError::Invalid)?);
    Ok(out)
}

fn read_u32(ws: &[u8], at: usize) -> Result<u32, DecryptError> {
    Ok(u32::from_be_bytes(read_array(ws, at)?))
}

/// Decrypts a whole message held in memory into `output`, releasing nothing unless the whole
/// message — every frame, the final frame and, for `05 78`, the signature — verified. Returns the
/// plaintext length. On any failure `output` is zeroized.
///
/// This is the mode to use for signed messages when the plaintext must not be acted on before
/// the signature is checked, for messages whose plaintext fits in `output`.
///
/// # Errors
/// As [`Decryptor::update`] and [`Decryptor::finish`]; [`DecryptError::OutputTooSmall`] if the
/// plaintext does not fit in `output`.
pub fn decrypt_buffered<K: Keyring>(
    keyring: K,
    expected: EncryptionContext<'_>,
    limits: Limits,
    message: &[u8],
    workspace: &mut [u8],
    output: &mut [u8],
) -> Result<usize, DecryptError> {
    let mut decryptor = Decryptor::new(keyring, expected, limits, workspace);
    let mut consumed: usize = 0;
    let mut written: usize = 0;
    let result = loop {
        let input = message.get(consumed..).unwrap_or_default();
        let out = output.get_mut(written..).unwrap_or_default();
        match decryptor.update(input, out) {
            Ok((c, w)) => {
                consumed = consumed.saturating_add(c);
                written = written.saturating_add(w);
                if consumed == message.len() {
                    break decryptor.finish();
                }
                if c == 0 && w == 0 {
                    break Err(DecryptError::OutputTooSmall);
                }
            }
            Err(e) => break Err(e),
        }
    };
    match result {
        Ok(()) => Ok(written),
        Err(e) => {
            output.zeroize();
            Err(e)
        }
    }
}
