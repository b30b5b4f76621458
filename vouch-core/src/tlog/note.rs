//! C2SP signed notes (<https://c2sp.org/signed-note>): a text, a blank
//! line, and one line per signature.
//!
//! ```text
//! example.com/log
//! 4
//! 3HgdP3Ay3RJbAKyeHFNkvN+2jCE4BY2OgqCxa5zR+TA=
//!
//! — example.com/log 2bNuD3uRqm9hH2MmX...base64(key id || signature)
//! ```
//!
//! A signature line is an em dash (U+2014), a space, the key name, a
//! space, and the base64 of the 4-byte big-endian key id followed by the
//! signature. A key is known by the pair (name, key id), which
//! [`NoteVerifier`] holds together with the public key; the key id of an
//! Ed25519 note key is `SHA-256(name || "\n" || 0x01 || key)[:4]` and a
//! verifier key is written as a `vkey`: `name+<hex key id>+base64(0x01 || key)`.
//!
//! Verification follows the specification and Go's `golang.org/x/mod/sumdb/note`:
//! signatures by unknown keys are ignored (even when they share a name or
//! a key id, but not both, with a known key), a signature by a known key
//! that does not verify refuses the whole note, and a repeated signature
//! by a known key counts once. vouch adds one rule: the caller names the
//! keys that are *required*, and the note is refused unless every one of
//! them signed it.
//!
//! Parsing is bounded: at most [`MAX_NOTE_LEN`] bytes and
//! [`MAX_SIGNATURES`] signature lines, as Go's and Cloudflare's
//! implementations bound them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;

use super::TlogError;
use super::cosignature;
use crate::key::{Algorithm, KeyId, PublicKey};
use crate::sig::Signature;
use crate::signer::Signer;

/// The largest note accepted, in bytes.
pub const MAX_NOTE_LEN: usize = 1_000_000;

/// The most signature lines a note may have (the specification asks for
/// at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// The signature type byte of Ed25519 note signatures.
pub const ED25519_TYPE: u8 = 0x01;

/// The beginning of every signature line: an em dash and a space.
const LINE_PREFIX: &str = "\u{2014} ";

/// The key id the specification recommends (and vouch uses for every key
/// type): the first four bytes, big-endian, of
/// `SHA-256(name || "\n" || signature_type || public_key)`.
pub fn key_id(name: &str, signature_type: u8, public_key: &[u8]) -> u32 {
    let h = sha2::Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([signature_type])
        .chain_update(public_key)
        .finalize();
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// Checks a key name: non-empty, no Unicode space, no `+`, and no ASCII
/// control character (a note holds none but newline, so a signature line
/// with one could be written but never read back).
pub fn check_key_name(name: &str) -> Result<(), TlogError> {
    if name.is_empty()
        || name.chars().any(char::is_whitespace)
        || name.contains('+')
        || name.bytes().any(|b| b < 0x20)
    {
        return Err(TlogError::InvalidKeyName);
    }
    Ok(())
}

/// Checks that `text` can be a note's text: valid UTF-8 (it is a `str`),
/// ending in a newline, with no ASCII control character but newline.
fn check_text(text: &str) -> Result<(), TlogError> {
    if text.len() > MAX_NOTE_LEN {
        return Err(TlogError::NoteTooLarge {
            len: text.len(),
            max: MAX_NOTE_LEN,
        });
    }
    if !text.ends_with('\n') {
        return Err(TlogError::MalformedNote("text does not end in a newline"));
    }
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(TlogError::MalformedNote("control character in the note"));
    }
    Ok(())
}

/// One signature line of a note, *not verified*: who claims to have
/// signed, and the signature bytes after the key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_id: u32,
    value: Vec<u8>,
}

impl NoteSignature {
    /// A signature line by the key `(name, key_id)`; `value` is the
    /// signature without the key id and must not be empty.
    pub fn new(name: &str, key_id: u32, value: Vec<u8>) -> Result<Self, TlogError> {
        check_key_name(name)?;
        if value.is_empty() {
            return Err(TlogError::MalformedNote("empty signature"));
        }
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id,
            value,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes after the key id.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// Parses one line without its newline.
    fn parse_line(line: &str) -> Result<Self, TlogError> {
        let rest = line
            .strip_prefix(LINE_PREFIX)
            .ok_or(TlogError::MalformedNote(
                "signature line does not start with an em dash and a space",
            ))?;
        let (name, b64) = rest.split_once(' ').ok_or(TlogError::MalformedNote(
            "signature line has no space after the key name",
        ))?;
        check_key_name(name)?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| TlogError::MalformedNote("signature is not base64"))?;
        let (id, value) = raw
            .split_first_chunk::<4>()
            .filter(|(_, v)| !v.is_empty())
            .ok_or(TlogError::MalformedNote(
                "signature is shorter than a key id and one byte",
            ))?;
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: u32::from_be_bytes(*id),
            value: value.to_vec(),
        })
    }

    /// The line, with its newline.
    fn write_line(&self, out: &mut String) {
        let mut raw = Vec::with_capacity(4 + self.value.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.value);
        out.push_str(LINE_PREFIX);
        out.push_str(&self.name);
        out.push(' ');
        out.push_str(&STANDARD.encode(raw));
        out.push('\n');
    }
}

/// A signed note: its text and its signature lines, *not verified*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// A note with `text` and no signatures yet. The text must end in a
    /// newline and hold no control character but newline.
    pub fn new(text: &str) -> Result<Self, TlogError> {
        check_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses a signed note: the text up to the last blank line, then one
    /// or more signature lines, each ending in a newline.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TlogError> {
        if bytes.len() > MAX_NOTE_LEN {
            return Err(TlogError::NoteTooLarge {
                len: bytes.len(),
                max: MAX_NOTE_LEN,
            });
        }
        let s = std::str::from_utf8(bytes).map_err(|_| TlogError::MalformedNote("not UTF-8"))?;
        if s.bytes().any(|b| b < 0x20 && b != b'\n') {
            return Err(TlogError::MalformedNote("control character in the note"));
        }
        // The text ends at the last empty line; it may hold empty lines itself.
        let split = s.rfind("\n\n").ok_or(TlogError::MalformedNote(
            "no blank line before the signatures",
        ))?;
        let (text, block) = s.split_at(split + 1);
        let block = block
            .strip_prefix('\n')
            .and_then(|b| b.strip_suffix('\n'))
            .filter(|b| !b.is_empty())
            .ok_or(TlogError::MalformedNote(
                "signature block is empty or does not end in a newline",
            ))?;
        // Counted before any line is parsed.
        let count = block.split('\n').count();
        if count > MAX_SIGNATURES {
            return Err(TlogError::TooManySignatures {
                count,
                max: MAX_SIGNATURES,
            });
        }
        let mut signatures = Vec::with_capacity(count);
        for line in block.split('\n') {
            signatures.push(NoteSignature::parse_line(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed note: text, blank line, signature lines. A note without
    /// signatures is written too, though [`Note::from_bytes`] refuses it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            s.write_line(&mut out);
        }
        out.into_bytes()
    }

    /// The text, *not verified*: [`VerifiedNote::text`] is the verified one.
    pub fn unverified_text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Appends a signature line, replacing an earlier one by the same key
    /// (name and key id), as Go's `note.Sign` does.
    pub fn push_signature(&mut self, signature: NoteSignature) -> Result<(), TlogError> {
        self.signatures
            .retain(|s| (s.name.as_str(), s.key_id) != (signature.name.as_str(), signature.key_id));
        if self.signatures.len() == MAX_SIGNATURES {
            return Err(TlogError::TooManySignatures {
                count: MAX_SIGNATURES + 1,
                max: MAX_SIGNATURES,
            });
        }
        self.signatures.push(signature);
        Ok(())
    }

    /// Signs the text with an Ed25519 `signer` under the key name `name`
    /// (signature type 0x01).
    ///
    /// Any vouch [`Signer`] of an Ed25519 key that makes plain signatures
    /// will do; a FIDO key, whose signatures cover authenticator data,
    /// cannot sign notes.
    pub fn sign<S: Signer + ?Sized>(&mut self, name: &str, signer: &S) -> Result<(), TlogError> {
        let verifier = NoteVerifier::ed25519(name, signer.public_key())?;
        let value = plain_ed25519(signer, self.text.as_bytes())?;
        self.push_signature(NoteSignature::new(name, verifier.key_id, value)?)
    }

    /// Verifies the note.
    ///
    /// Every signature by a key in `required` or `optional` (matched by
    /// name and key id) must verify, and every key in `required` (which
    /// must not be empty) must have signed; signatures by other keys are
    /// ignored. The proof lists every known key that signed, with the time
    /// of each cosignature.
    pub fn verify(
        &self,
        required: &[NoteVerifier],
        optional: &[NoteVerifier],
    ) -> Result<VerifiedNote, TlogError> {
        if required.is_empty() {
            return Err(TlogError::NoRequiredKey);
        }
        let mut signers: Vec<NoteSigner> = Vec::new();
        for s in &self.signatures {
            let Some(v) = required
                .iter()
                .chain(optional)
                .find(|v| v.name == s.name && v.key_id == s.key_id)
            else {
                continue;
            };
            if signers
                .iter()
                .any(|k| k.name == s.name && k.key_id == s.key_id)
            {
                continue;
            }
            let timestamp = v.check(self.text.as_bytes(), &s.value)?;
            signers.push(NoteSigner {
                name: v.name.clone(),
                key_id: v.key_id,
                key: v.key.key_id(),
                signature_type: v.kind.byte(),
                timestamp,
            });
        }
        for v in required {
            if !signers
                .iter()
                .any(|k| k.name == v.name && k.key_id == v.key_id)
            {
                return Err(TlogError::MissingSignature {
                    name: v.name.clone(),
                    key_id: v.key_id,
                });
            }
        }
        Ok(VerifiedNote {
            text: self.text.clone(),
            signers,
        })
    }
}

/// An Ed25519 signature by `signer` over `message`, as raw 64 bytes.
pub(super) fn plain_ed25519<S: Signer + ?Sized>(
    signer: &S,
    message: &[u8],
) -> Result<Vec<u8>, TlogError> {
    let wrong = TlogError::KeyAlgorithm {
        what: "note",
        expected: "a plain Ed25519 key",
    };
    if signer.algorithm() != Algorithm::Ed25519 || signer.public_key().fido_application().is_some()
    {
        return Err(wrong);
    }
    let sig: Signature = signer.try_sign(message)?;
    if sig.algorithm() != Algorithm::Ed25519 || sig.evidence().is_some() {
        return Err(wrong);
    }
    Ok(sig.value().to_vec())
}

/// The signature types vouch verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// 0x01: Ed25519 over the note text.
    Ed25519,
    /// 0x04: a `cosignature/v1` timestamped Ed25519 cosignature.
    CosignatureV1,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Ed25519 => ED25519_TYPE,
            Kind::CosignatureV1 => cosignature::COSIGNATURE_V1_TYPE,
        }
    }
}

/// A known note key: name, key id, signature type and public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    kind: Kind,
    key: PublicKey,
}

impl NoteVerifier {
    fn with_kind(name: &str, key: &PublicKey, kind: Kind) -> Result<Self, TlogError> {
        check_key_name(name)?;
        let point = match key.algorithm() {
            Algorithm::Ed25519 if key.fido_application().is_none() => key.point(),
            _ => {
                return Err(TlogError::KeyAlgorithm {
                    what: "note",
                    expected: "a plain Ed25519 key",
                });
            }
        };
        Ok(NoteVerifier {
            name: name.to_owned(),
            key_id: key_id(name, kind.byte(), point),
            kind,
            key: key.clone(),
        })
    }

    /// An Ed25519 note key (signature type 0x01), e.g. a log's.
    pub fn ed25519(name: &str, key: &PublicKey) -> Result<Self, TlogError> {
        NoteVerifier::with_kind(name, key, Kind::Ed25519)
    }

    /// A witness's `cosignature/v1` key (signature type 0x04).
    pub fn cosignature_v1(name: &str, key: &PublicKey) -> Result<Self, TlogError> {
        NoteVerifier::with_kind(name, key, Kind::CosignatureV1)
    }

    /// Parses a verifier key, `name+<8 hex digits>+base64(type || key)`,
    /// of type 0x01 (Ed25519) or 0x04 (`cosignature/v1`). The key id must
    /// be the one the name and key give.
    pub fn from_vkey(vkey: &str) -> Result<Self, TlogError> {
        if vkey.len() > 1024 {
            return Err(TlogError::MalformedVerifierKey("longer than 1024 bytes"));
        }
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(TlogError::MalformedVerifierKey(
                "not name+keyid+key, separated by '+'",
            ));
        };
        check_key_name(name)?;
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(TlogError::MalformedVerifierKey(
                "key id is not 8 hexadecimal digits",
            ));
        }
        let found = u32::from_str_radix(id_hex, 16)
            .map_err(|_| TlogError::MalformedVerifierKey("key id is not hexadecimal"))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| TlogError::MalformedVerifierKey("key is not base64"))?;
        let (&ty, point) = raw
            .split_first()
            .ok_or(TlogError::MalformedVerifierKey("key is empty"))?;
        let kind = match ty {
            ED25519_TYPE => Kind::Ed25519,
            cosignature::COSIGNATURE_V1_TYPE => Kind::CosignatureV1,
            other => return Err(TlogError::UnsupportedKeyType(other)),
        };
        let key = PublicKey::ed25519(point)
            .map_err(|_| TlogError::MalformedVerifierKey("not a valid Ed25519 public key"))?;
        let v = NoteVerifier::with_kind(name, &key, kind)?;
        if v.key_id != found {
            return Err(TlogError::VerifierKeyId {
                expected: v.key_id,
                found,
            });
        }
        Ok(v)
    }

    /// The verifier key in `vkey` form, lowercase hex.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.kind.byte()];
        raw.extend_from_slice(self.key.point());
        format!("{}+{:08x}+{}", self.name, self.key_id, STANDARD.encode(raw))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key id, as a big-endian integer.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type byte (0x01 or 0x04).
    pub fn signature_type(&self) -> u8 {
        self.kind.byte()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Verifies one signature value over `text`; a cosignature gives its time.
    fn check(&self, text: &[u8], value: &[u8]) -> Result<Option<u64>, TlogError> {
        let bad = |source| TlogError::BadSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            source,
        };
        let (timestamp, message, sig) = match self.kind {
            Kind::Ed25519 => (None, std::borrow::Cow::Borrowed(text), value),
            Kind::CosignatureV1 => {
                let (ts, sig) = value.split_first_chunk::<8>().ok_or_else(|| bad(None))?;
                let ts = u64::from_be_bytes(*ts);
                if ts > i64::MAX as u64 {
                    return Err(TlogError::CosignatureTime(ts));
                }
                let message = cosignature::signed_message(ts, text);
                (Some(ts), std::borrow::Cow::Owned(message), sig)
            }
        };
        let sig = Signature::new(Algorithm::Ed25519, sig).map_err(|e| bad(Some(e)))?;
        self.key.verify(&message, &sig).map_err(|e| bad(Some(e)))?;
        Ok(timestamp)
    }
}

/// A known key whose signature on a note verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSigner {
    name: String,
    key_id: u32,
    key: KeyId,
    signature_type: u8,
    timestamp: Option<u64>,
}

impl NoteSigner {
    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The note key id.
    pub fn note_key_id(&self) -> u32 {
        self.key_id
    }

    /// The vouch [`KeyId`] of the public key.
    pub fn key_id(&self) -> KeyId {
        self.key
    }

    /// The signature type byte (0x01 or 0x04).
    pub fn signature_type(&self) -> u8 {
        self.signature_type
    }

    /// For a `cosignature/v1`, the time (seconds since the Unix epoch) the
    /// witness signed, which the signature covers.
    pub fn cosigned_at(&self) -> Option<u64> {
        self.timestamp
    }

    /// Whether this is the signature of `verifier`.
    pub fn is(&self, verifier: &NoteVerifier) -> bool {
        self.name == verifier.name && self.key_id == verifier.key_id
    }
}

/// A note whose required signatures verified: only this crate makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedNote {
    text: String,
    signers: Vec<NoteSigner>,
}

impl VerifiedNote {
    /// The verified text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every known key that signed, in the note's order.
    pub fn signers(&self) -> &[NoteSigner] {
        &self.signers
    }

    /// The signature of `verifier`, when it signed.
    pub fn signer(&self, verifier: &NoteVerifier) -> Option<&NoteSigner> {
        self.signers.iter().find(|s| s.is(verifier))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::signer::SignError;
    use proptest::prelude::*;

    pub(crate) struct Ed(ed25519_dalek::SigningKey, PublicKey);

    impl Signer for Ed {
        fn public_key(&self) -> &PublicKey {
            &self.1
        }
        fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
            use ed25519_dalek::Signer as _;
            Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).unwrap())
        }
    }

    pub(crate) fn ed(seed: u8) -> Ed {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
        Ed(sk, pk)
    }

    /// The example of golang.org/x/mod/sumdb/note's documentation.
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
        then you don't know what your problem is.\n\
        \n\
        \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn go_example_verifies() {
        let v = NoteVerifier::from_vkey(GO_VKEY).unwrap();
        assert_eq!(v.to_vkey(), GO_VKEY);
        assert_eq!(v.name(), "PeterNeumann");
        assert_eq!(v.key_id(), 0xc74f20a3);
        let note = Note::from_bytes(GO_NOTE.as_bytes()).unwrap();
        assert_eq!(note.to_bytes(), GO_NOTE.as_bytes());
        let verified = note.verify(std::slice::from_ref(&v), &[]).unwrap();
        assert!(verified.text().starts_with("If you think"));
        assert_eq!(verified.signers().len(), 1);
        assert!(verified.signer(&v).is_some());
        // One changed character in the text.
        let tampered = GO_NOTE.replace("answer", "Answer");
        let note = Note::from_bytes(tampered.as_bytes()).unwrap();
        assert!(matches!(
            note.verify(std::slice::from_ref(&v), &[]),
            Err(TlogError::BadSignature { .. })
        ));
    }

    #[test]
    fn sign_and_verify_with_unknown_and_missing_keys() {
        let (a, b, c) = (ed(1), ed(2), ed(3));
        let va = NoteVerifier::ed25519("a.example/log", a.public_key()).unwrap();
        let vb = NoteVerifier::ed25519("b.example", b.public_key()).unwrap();
        let vc = NoteVerifier::ed25519("c.example", c.public_key()).unwrap();
        let mut note = Note::new("hello\n\nworld\n").unwrap();
        note.sign("a.example/log", &a).unwrap();
        note.sign("b.example", &b).unwrap();
        // Re-signing replaces the line.
        note.sign("b.example", &b).unwrap();
        assert_eq!(note.signatures().len(), 2);
        let bytes = note.to_bytes();
        let back = Note::from_bytes(&bytes).unwrap();
        assert_eq!(back, note);
        assert_eq!(back.unverified_text(), "hello\n\nworld\n");
        // b unknown: ignored.
        let v = back.verify(std::slice::from_ref(&va), &[]).unwrap();
        assert_eq!(v.signers().len(), 1);
        // b optional: reported.
        let v = back
            .verify(std::slice::from_ref(&va), std::slice::from_ref(&vb))
            .unwrap();
        assert_eq!(v.signers().len(), 2);
        // c required but absent.
        assert!(matches!(
            back.verify(&[va.clone(), vc.clone()], &[]),
            Err(TlogError::MissingSignature { .. })
        ));
        assert!(matches!(
            back.verify(&[], std::slice::from_ref(&va)),
            Err(TlogError::NoRequiredKey)
        ));
        // Same name, other key: unknown, so ignored, and a is then missing.
        let impostor = NoteVerifier::ed25519("a.example/log", c.public_key()).unwrap();
        assert!(matches!(
            back.verify(std::slice::from_ref(&impostor), &[]),
            Err(TlogError::MissingSignature { .. })
        ));
        // A bad signature by a known key refuses the note even when another verifies.
        let mut forged = back.clone();
        let mut line = forged.signatures()[1].clone();
        line.value[0] ^= 1;
        forged.push_signature(line).unwrap();
        assert!(matches!(
            forged.verify(std::slice::from_ref(&va), std::slice::from_ref(&vb)),
            Err(TlogError::BadSignature { .. })
        ));
        // A repeated signature counts once, and a later bad copy is not looked at (as in Go).
        let mut repeated = back.clone();
        let mut copy = back.signatures()[0].clone();
        repeated.signatures.push(copy.clone());
        copy.value[0] ^= 1;
        repeated.signatures.push(copy);
        let v = repeated.verify(std::slice::from_ref(&va), &[]).unwrap();
        assert_eq!(v.signers().len(), 1);
    }

    #[test]
    fn malformed_notes_refused() {
        let a = ed(1);
        let mut note = Note::new("x\n").unwrap();
        note.sign("a", &a).unwrap();
        let good = String::from_utf8(note.to_bytes()).unwrap();
        let cases: Vec<String> = vec![
            good.trim_end().to_owned(),                   // no final newline
            good.replace("\n\n", "\n"),                   // no blank line
            good.replace('\u{2014}', "-"),                // not an em dash
            good.replace("\u{2014} a ", "\u{2014} a"),    // no space after the name
            good.replace("\u{2014} a ", "\u{2014}  "),    // empty name
            good.replace("\u{2014} a ", "\u{2014} a+b "), // '+' in the name
            good.replace("x\n", "x\r\n"),                 // control character
            format!("{good}\n"),                          // empty signature line
            "x\n\n".to_owned(),                           // no signatures
            "x\n\n\u{2014} a AAAAAA==\n".to_owned(),      // 4 bytes: key id only
            "x\n\n\u{2014} a AAAAAAB=\n".to_owned(),      // non-canonical base64
        ];
        for c in &cases {
            assert!(Note::from_bytes(c.as_bytes()).is_err(), "{c:?}");
        }
        assert!(Note::from_bytes(&[0xff, b'\n', b'\n']).is_err());
        let big = vec![b'a'; MAX_NOTE_LEN + 1];
        assert!(matches!(
            Note::from_bytes(&big),
            Err(TlogError::NoteTooLarge { .. })
        ));
        let many = format!(
            "x\n\n{}",
            "\u{2014} a AAAAAAA=\n".repeat(MAX_SIGNATURES + 1)
        );
        assert!(matches!(
            Note::from_bytes(many.as_bytes()),
            Err(TlogError::TooManySignatures { .. })
        ));
        let just_enough = format!("x\n\n{}", "\u{2014} a AAAAAAA=\n".repeat(MAX_SIGNATURES));
        assert!(Note::from_bytes(just_enough.as_bytes()).is_ok());
        assert!(Note::new("no newline").is_err());
        assert!(Note::new("tab\there\n").is_err());
        for name in ["", "a b", "a+b", "a\u{00a0}b"] {
            assert!(check_key_name(name).is_err(), "{name:?}");
        }
    }

    /// Found by the `roundtrip_tlog` fuzz target: a key name with a control
    /// character was accepted, so a note could be signed that
    /// `Note::from_bytes` then refused.
    #[test]
    fn control_characters_in_key_names_refused() {
        let name = "witness\u{1}";
        assert!(matches!(
            check_key_name(name),
            Err(TlogError::InvalidKeyName)
        ));
        assert!(NoteVerifier::ed25519(name, ed(1).public_key()).is_err());
        let mut note = Note::new("text\n").unwrap();
        assert!(note.sign(name, &ed(1)).is_err());
        assert!(NoteSignature::new(name, 1, vec![0; 64]).is_err());
        // Whatever signs, reads back.
        note.sign("witness", &ed(1)).unwrap();
        assert_eq!(Note::from_bytes(&note.to_bytes()).unwrap(), note);
    }

    #[test]
    fn vkeys_refused() {
        let v = NoteVerifier::ed25519("n", ed(1).public_key()).unwrap();
        let good = v.to_vkey();
        assert_eq!(NoteVerifier::from_vkey(&good).unwrap(), v);
        let (name, rest) = good.split_once('+').unwrap();
        let (id, key) = rest.split_once('+').unwrap();
        let other_id = format!("{:08x}", v.key_id() ^ 1);
        let w = NoteVerifier::cosignature_v1("n", ed(1).public_key()).unwrap();
        assert_ne!(w.key_id(), v.key_id());
        assert_eq!(NoteVerifier::from_vkey(&w.to_vkey()).unwrap(), w);
        for bad in [
            format!("{name}+{other_id}+{key}"),
            format!("{name}+{id}"),
            format!("{name}x+{id}+{key}"),
            format!("{name}+{}+{key}", &id[1..]),
            format!("{name}+{id}+{}", &key[1..]),
            format!("{name}+{id}+AgAA"),
            format!("+{id}+{key}"),
        ] {
            assert!(NoteVerifier::from_vkey(&bad).is_err(), "{bad}");
        }
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just("\n".to_owned()), "[a-z0-9 +/=\u{2014}é]{0,12}"],
            0..8,
        )
        .prop_map(|parts| parts.concat() + "\n")
    }

    fn signature_strategy() -> impl Strategy<Value = NoteSignature> {
        (
            "[a-z0-9./\u{2014}é]{1,12}",
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), 1..80),
        )
            .prop_map(|(name, key_id, value)| NoteSignature::new(&name, key_id, value).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Encoding then decoding gives back the same note, and the same bytes.
        #[test]
        fn round_trip(text in text_strategy(), sigs in proptest::collection::vec(signature_strategy(), 1..5)) {
            let mut note = Note::new(&text).unwrap();
            note.signatures = sigs;
            let bytes = note.to_bytes();
            let back = Note::from_bytes(&bytes).unwrap();
            prop_assert_eq!(&back, &note);
            prop_assert_eq!(back.to_bytes(), bytes);
        }

        /// Any mutation of a signed note parses or is refused without
        /// panicking, and never verifies unless the text and the signature
        /// survived unchanged.
        #[test]
        fn mutations_never_verify(text in text_strategy(), pick in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
            let a = ed(9);
            let va = NoteVerifier::ed25519("log", a.public_key()).unwrap();
            let mut note = Note::new(&text).unwrap();
            note.sign("log", &a).unwrap();
            let mut bytes = note.to_bytes();
            let i = pick.index(bytes.len());
            if cut { bytes.truncate(i) } else { bytes[i] = byte }
            if let Ok(parsed) = Note::from_bytes(&bytes)
                && let Ok(v) = parsed.verify(std::slice::from_ref(&va), &[])
            {
                prop_assert_eq!(v.text(), note.unverified_text());
            }
        }

        /// Arbitrary bytes never panic the parser.
        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Note::from_bytes(&bytes);
            if let Ok(s) = std::str::from_utf8(&bytes) {
                let _ = NoteVerifier::from_vkey(s);
            }
        }
    }
}
