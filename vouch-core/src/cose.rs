//! COSE envelopes (RFC 9052): `COSE_Sign1` for one signer, `COSE_Sign` for
//! statements that several people sign.
//!
//! # Why COSE_Sign for several signers
//!
//! A release is certified by two maintainers, a deployment co-signed by its
//! approver. RFC 9052 has a structure for exactly that: `COSE_Sign` carries
//! the payload once and one `COSE_Signature` per signer, each over the same
//! body, each with its own protected header (algorithm and key id). Adding a
//! signature later (`vouch cosign`) appends one entry and leaves the others
//! untouched. A set of `COSE_Sign1` would repeat a multi-megabyte SBOM once
//! per signer and leave "do these envelopes carry the same statement?" to the
//! verifier. `COSE_Sign1` remains for single-signer envelopes of arbitrary
//! payloads (`vouch envelope sign`) and for interop with COSE tooling.
//!
//! # What is trusted
//!
//! Verification runs over the protected header bytes exactly as received.
//! The algorithm must be in the protected header and must equal the key's
//! own algorithm; the key id (`kid`, a vouch [`KeyId`]) is protected too.
//! Nothing from the unprotected header is trusted: the only thing vouch puts
//! there is FIDO evidence, which the signature itself covers (the
//! authenticator signs the flags and counter), so altering it breaks the
//! signature.
//!
//! ```
//! use vouch_core::cose::Sign1;
//! # use vouch_core::{PublicKey, Signature, Signer, SignError, Algorithm};
//! # struct Ed(ed25519_dalek::SigningKey, PublicKey);
//! # impl Signer for Ed {
//! #     fn public_key(&self) -> &PublicKey { &self.1 }
//! #     fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
//! #         use ed25519_dalek::Signer as _;
//! #         Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).unwrap())
//! #     }
//! # }
//! # let sk = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
//! # let signer = Ed(sk.clone(), PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap());
//! // `signer` is any vouch_core::Signer, e.g. a vouch_keys::FileKey.
//! let envelope = Sign1::sign(&signer, "text/plain", b"hello").unwrap();
//! let bytes = envelope.to_bytes().unwrap();
//! let verified = Sign1::from_bytes(&bytes).unwrap().verify(signer.public_key()).unwrap();
//! assert_eq!(verified.value(), b"hello");
//! assert_eq!(verified.key_ids().next(), Some(signer.key_id()));
//! ```

use coset::{
    CborSerializable, CoseSign, CoseSign1, CoseSignature, Header, Label, ProtectedHeader,
    RegisteredLabel, RegisteredLabelWithPrivate, iana,
};

use crate::cbor::{CborError, Limits, Reader, Strictness, validate};
use crate::key::{Algorithm, KeyId, PublicKey};
use crate::sig::{Evidence, Signature, VerifyError};
use crate::signer::{SignError, Signer};

/// Private-use header label (RFC 9052 §3.1: below -65536) under which vouch
/// carries [`Evidence`] in an unprotected header.
pub const EVIDENCE_LABEL: i64 = -65537;

/// A value that passed signature verification, with who signed it.
///
/// Only this crate creates one: holding a `Verified<T>` is proof that the
/// checks ran. [`Verified::try_map`] carries the proof over to a value
/// decoded from the verified bytes.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    signers: Vec<VerifiedSigner>,
}

/// One signature that verified: the key that made it and the signature
/// itself (with any hardware evidence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigner {
    key_id: KeyId,
    signature: Signature,
}

impl VerifiedSigner {
    /// The signing key.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The signature, with its evidence.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The hardware evidence of this signature, if any.
    pub fn evidence(&self) -> Option<&Evidence> {
        self.signature.evidence()
    }
}

impl<T> Verified<T> {
    pub(crate) fn new(value: T, signers: Vec<VerifiedSigner>) -> Self {
        Verified { value, signers }
    }

    /// The verified value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Takes the verified value, dropping the proof.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The signatures that verified.
    pub fn signers(&self) -> &[VerifiedSigner] {
        &self.signers
    }

    /// The key ids of the signatures that verified.
    pub fn key_ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.signers.iter().map(|s| s.key_id)
    }

    /// Transforms the value, keeping the proof (e.g. decoding verified bytes).
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Verified<U>, E> {
        Ok(Verified {
            value: f(self.value)?,
            signers: self.signers,
        })
    }

    /// Transforms the value infallibly, keeping the proof.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<U> {
        Verified {
            value: f(self.value),
            signers: self.signers,
        }
    }
}

/// Verifies one signature over exactly `signed` and returns the proof over
/// those bytes.
///
/// For envelope formats other than COSE (DSSE in `vouch-manifest`), so they
/// hand out the same [`Verified`] proof while its construction stays in this
/// crate. The proof is about the bytes the signature covers and nothing
/// else; a format whose signed bytes are an encoding of its payload (DSSE's
/// PAE of its type and body) carries the proof over to the payload with
/// [`Verified::map`] or [`Verified::try_map`], and that link is its own duty.
///
/// ```
/// # use vouch_core::{Algorithm, PublicKey, Signature};
/// use ed25519_dalek::Signer as _;
/// let sk = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
/// let key = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
/// let payload = &b"hello"[..];
/// let signed = [&b"prefix:"[..], payload].concat();
/// let sig = Signature::new(Algorithm::Ed25519, &sk.sign(&signed).to_bytes()).unwrap();
/// let proof = vouch_core::cose::verify_detached(&key, &signed, &sig).unwrap();
/// assert_eq!(*proof.value(), b"prefix:hello");
/// assert_eq!(proof.key_ids().collect::<Vec<_>>(), [key.key_id()]);
/// // The caller maps the proof onto what the signed bytes encode.
/// let proof = proof.map(|signed| &signed[b"prefix:".len()..]);
/// assert_eq!(*proof.value(), payload);
/// assert!(vouch_core::cose::verify_detached(&key, b"prefix:other", &sig).is_err());
/// ```
pub fn verify_detached<'s>(
    key: &PublicKey,
    signed: &'s [u8],
    signature: &Signature,
) -> Result<Verified<&'s [u8]>, VerifyError> {
    key.verify(signed, signature)?;
    Ok(Verified::new(
        signed,
        vec![VerifiedSigner {
            key_id: key.key_id(),
            signature: signature.clone(),
        }],
    ))
}

/// Why an envelope was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The bytes are not acceptable CBOR (limits, malformed, non-canonical).
    #[error("envelope is not acceptable CBOR")]
    Cbor(#[from] CborError),
    /// The CBOR does not have the COSE structure.
    #[error("envelope is not a well-formed COSE structure")]
    Malformed(#[source] coset::CoseError),
    /// The envelope carries a tag other than the one expected.
    #[error("expected COSE tag {expected}, found tag {found}")]
    WrongTag {
        /// The tag for this structure (18 for COSE_Sign1, 98 for COSE_Sign).
        expected: u64,
        /// The tag on the envelope.
        found: u64,
    },
    /// The payload is detached (nil); vouch envelopes carry their payload.
    #[error("envelope has a detached (nil) payload")]
    DetachedPayload,
    /// The protected header has no algorithm (vouch never takes it from the unprotected header).
    #[error("protected header has no algorithm")]
    MissingAlgorithm,
    /// The protected header names an algorithm vouch does not implement.
    #[error("unsupported COSE algorithm {0}")]
    UnsupportedAlgorithm(i64),
    /// The protected header names an algorithm by text.
    #[error("COSE algorithm given as text is not supported")]
    TextAlgorithm,
    /// The protected header's algorithm differs from the key's.
    #[error("header algorithm {header} does not match key {key_id}, which is {key}")]
    AlgorithmMismatch {
        /// The key.
        key_id: KeyId,
        /// The key's algorithm.
        key: Algorithm,
        /// The header's algorithm.
        header: Algorithm,
    },
    /// A signature has no key id in its protected header.
    #[error("signature {index} has no key id in its protected header")]
    MissingKeyId {
        /// Index of the signature in the envelope.
        index: usize,
    },
    /// The protected key id is not the key given for verification.
    #[error("protected key id {found} does not match key {expected}")]
    KeyIdMismatch {
        /// The key given.
        expected: KeyId,
        /// The key id in the header, as hex.
        found: String,
    },
    /// No key is known for the key id.
    #[error("no key known for key id {0}")]
    UnknownKey(KeyId),
    /// The protected header marks a parameter critical that vouch does not understand.
    #[error("protected header has critical parameters vouch does not understand")]
    UnsupportedCritical,
    /// The evidence in the unprotected header does not decode.
    #[error("evidence in the unprotected header is malformed")]
    MalformedEvidence,
    /// The envelope has no signatures.
    #[error("envelope has no signatures")]
    NoSignatures,
    /// A `COSE_Sign` carries more signatures than [`MAX_SIGNATURES`].
    #[error("envelope has {count} signatures, more than the {max} vouch reads")]
    TooManySignatures {
        /// The number of signatures the envelope's array head announces.
        count: usize,
        /// The limit, [`MAX_SIGNATURES`].
        max: usize,
    },
    /// A header's encoded map is longer than [`MAX_HEADER_LEN`].
    #[error("{which} header of {len} bytes is larger than the {max} bytes vouch reads")]
    HeaderTooLarge {
        /// `"protected"` or `"unprotected"`.
        which: &'static str,
        /// The length of the encoded map, in bytes.
        len: usize,
        /// The limit, [`MAX_HEADER_LEN`].
        max: usize,
    },
    /// A signature failed.
    #[error("signature {index} refused")]
    Signature {
        /// Index of the signature in the envelope.
        index: usize,
        /// What failed.
        #[source]
        source: VerifyError,
    },
    /// The signer failed.
    #[error("could not sign the envelope")]
    Sign(#[from] SignError),
    /// The content type is not of the form `type/subtype` (RFC 9052 §3.1).
    #[error("content type {0:?} is not of the form type/subtype")]
    InvalidContentType(String),
    /// The envelope could not be encoded.
    #[error("could not encode the envelope")]
    Encode(#[source] coset::CoseError),
}

fn protected_for(signer_alg: Algorithm, kid: KeyId, content_type: Option<&str>) -> Header {
    let alg = match signer_alg {
        Algorithm::Ed25519 => iana::Algorithm::EdDSA,
        Algorithm::Es256 => iana::Algorithm::ES256,
    };
    let mut b = coset::HeaderBuilder::new()
        .algorithm(alg)
        .key_id(kid.as_bytes().to_vec());
    if let Some(ct) = content_type {
        b = b.content_type(ct.to_owned());
    }
    b.build()
}

/// The same check COSE decoders apply on the way in, made on the way out so
/// vouch never writes an envelope it cannot read back.
fn check_content_type(ct: &str) -> Result<(), EnvelopeError> {
    if ct.is_empty() || ct.trim() != ct || ct.matches('/').count() != 1 {
        return Err(EnvelopeError::InvalidContentType(
            ct.chars().take(100).collect(),
        ));
    }
    Ok(())
}

fn unprotected_for(sig: &Signature) -> Result<Header, EnvelopeError> {
    let mut h = Header::default();
    if let Some(ev) = sig.evidence() {
        let v = ciborium::Value::serialized(ev).map_err(|_| EnvelopeError::MalformedEvidence)?;
        // Written in canonical order so vouch's own envelopes are canonical CBOR.
        let bytes =
            crate::cbor::value_to_canonical(v).map_err(|_| EnvelopeError::MalformedEvidence)?;
        let v: ciborium::Value =
            crate::cbor::from_canonical(&bytes).map_err(|_| EnvelopeError::MalformedEvidence)?;
        h.rest.push((Label::Int(EVIDENCE_LABEL), v));
    }
    Ok(h)
}

fn evidence_from(unprotected: &Header) -> Result<Option<Evidence>, EnvelopeError> {
    match unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(EVIDENCE_LABEL))
    {
        None => Ok(None),
        Some((_, v)) => v
            .deserialized::<Evidence>()
            .map(Some)
            .map_err(|_| EnvelopeError::MalformedEvidence),
    }
}

/// The algorithm named by a protected header, refusing what vouch must not trust.
fn header_algorithm(protected: &ProtectedHeader) -> Result<Algorithm, EnvelopeError> {
    if !protected.header.crit.is_empty() {
        return Err(EnvelopeError::UnsupportedCritical);
    }
    match &protected.header.alg {
        None => Err(EnvelopeError::MissingAlgorithm),
        Some(RegisteredLabelWithPrivate::Assigned(a)) => {
            let id = *a as i64;
            Algorithm::from_cose_id(id).ok_or(EnvelopeError::UnsupportedAlgorithm(id))
        }
        Some(RegisteredLabelWithPrivate::PrivateUse(id)) => {
            Err(EnvelopeError::UnsupportedAlgorithm(*id))
        }
        Some(RegisteredLabelWithPrivate::Text(_)) => Err(EnvelopeError::TextAlgorithm),
    }
}

fn content_type_of(h: &Header) -> Option<&str> {
    match &h.content_type {
        Some(RegisteredLabel::Text(t)) => Some(t.as_str()),
        _ => None,
    }
}

/// Checks one signature whose protected header and key are known.
fn check(
    index: usize,
    key: &PublicKey,
    protected: &ProtectedHeader,
    unprotected: &Header,
    tbs: &[u8],
    value: &[u8],
) -> Result<VerifiedSigner, EnvelopeError> {
    let sig = prepare(index, key, protected, unprotected, value)?;
    key.verify(tbs, &sig)
        .map_err(|source| EnvelopeError::Signature { index, source })?;
    Ok(VerifiedSigner {
        key_id: key.key_id(),
        signature: sig,
    })
}

/// Everything about one signature but the arithmetic: the protected
/// algorithm is the key's, the value has its algorithm's form, and the
/// evidence in the unprotected header is attached.
fn prepare(
    index: usize,
    key: &PublicKey,
    protected: &ProtectedHeader,
    unprotected: &Header,
    value: &[u8],
) -> Result<Signature, EnvelopeError> {
    let header_alg = header_algorithm(protected)?;
    if header_alg != key.algorithm() {
        return Err(EnvelopeError::AlgorithmMismatch {
            key_id: key.key_id(),
            key: key.algorithm(),
            header: header_alg,
        });
    }
    let mut sig = Signature::new(key.algorithm(), value)
        .map_err(|source| EnvelopeError::Signature { index, source })?;
    if let Some(ev) = evidence_from(unprotected)? {
        sig = sig.with_evidence(ev);
    }
    Ok(sig)
}

/// Reads the leading tag (if any) and checks it is `expected`.
fn check_tag(bytes: &[u8], expected: u64) -> Result<bool, EnvelopeError> {
    let Some(&first) = bytes.first() else {
        return Err(CborError::Truncated { offset: 0 }.into());
    };
    if first >> 5 != 6 {
        return Ok(false);
    }
    let tag = match first & 0x1f {
        n @ 0..=23 => u64::from(n),
        24 => u64::from(*bytes.get(1).ok_or(CborError::Truncated { offset: 1 })?),
        25 => {
            let b = bytes.get(1..3).ok_or(CborError::Truncated { offset: 1 })?;
            u64::from(u16::from_be_bytes([b[0], b[1]]))
        }
        _ => u64::MAX,
    };
    if tag != expected {
        return Err(EnvelopeError::WrongTag {
            expected,
            found: tag,
        });
    }
    Ok(true)
}

/// A structural mismatch in a `COSE_Sign`, reported as coset reports one.
fn unexpected(want: &'static str) -> EnvelopeError {
    EnvelopeError::Malformed(coset::CoseError::UnexpectedItem("other item", want))
}

/// Largest encoded header map vouch decodes, protected or unprotected, of
/// an envelope's body or of one of its signatures: 64 KiB.
///
/// Headers are decoded into `ciborium::Value` trees, which take about 32
/// bytes of memory per byte of input for small items, so an unbounded
/// header would let a 64 MiB envelope ask for gigabytes. What vouch puts
/// there is far smaller: algorithm, key id and content type (protected),
/// FIDO evidence (under 1 KiB), and the receipts of
/// [`crate::tlog::receipt`] (label 394 of the body's unprotected header),
/// which [`crate::tlog::receipt::attach_receipts`] keeps within this
/// bound: about 25 receipts with 64-hash inclusion paths, many more with
/// the paths of real logs.
pub const MAX_HEADER_LEN: usize = 64 * 1024;

/// Refuses a header map longer than [`MAX_HEADER_LEN`] before decoding it.
fn check_header_len(which: &'static str, data: &[u8]) -> Result<(), EnvelopeError> {
    if data.len() > MAX_HEADER_LEN {
        return Err(EnvelopeError::HeaderTooLarge {
            which,
            len: data.len(),
            max: MAX_HEADER_LEN,
        });
    }
    Ok(())
}

/// A protected header from its `bstr` content, as coset decodes one: an
/// empty string is an empty header.
fn header_from(data: &[u8]) -> Result<Header, EnvelopeError> {
    check_header_len("protected", data)?;
    if data.is_empty() {
        Ok(Header::default())
    } else {
        Header::from_slice(data).map_err(EnvelopeError::Malformed)
    }
}

/// An unprotected header from its encoded map (almost always empty).
fn unprotected_from(map: &[u8]) -> Result<Header, EnvelopeError> {
    check_header_len("unprotected", map)?;
    match map {
        [0xa0] => Ok(Header::default()),
        [first, ..] if first >> 5 == 5 => Header::from_slice(map).map_err(EnvelopeError::Malformed),
        _ => Err(unexpected("map")),
    }
}

/// The body of a tagged `COSE_Sign`, borrowed from its bytes.
struct Body<'a> {
    protected: &'a [u8],
    header: Header,
    unprotected: Header,
    payload: &'a [u8],
}

/// One `COSE_Signature`, borrowed from the envelope's bytes.
struct SignatureParts<'a> {
    protected: &'a [u8],
    header: Header,
    unprotected: Header,
    value: &'a [u8],
}

/// Walks a tagged `COSE_Sign` from bytes that [`validate`] accepted, head
/// by head, handing each `COSE_Signature` to `signature`: nothing is
/// copied and no intermediate value tree is built. Accepts and refuses
/// what coset's own decoder does.
fn walk_sign<'a>(
    bytes: &'a [u8],
    limits: Limits,
    mut signature: impl FnMut(SignatureParts<'a>),
) -> Result<Body<'a>, EnvelopeError> {
    let mut r = Reader::new(bytes, limits);
    // The caller checked the tag is 98.
    r.tag()?;
    if r.array()? != Some(4) {
        return Err(unexpected("array with 4 items"));
    }
    let protected = r.bytes()?.ok_or_else(|| unexpected("bstr"))?;
    let header = header_from(protected)?;
    // RFC 9052 §3.1: a recipient must refuse a message whose `crit`
    // names a parameter it does not process; vouch processes none that
    // can be critical, so any `crit` in the body header is refused, as it
    // is in each signature's (`header_algorithm`).
    if !header.crit.is_empty() {
        return Err(EnvelopeError::UnsupportedCritical);
    }
    let unprotected = unprotected_from(r.raw()?)?;
    let payload = match r.bytes()? {
        Some(p) => Some(p),
        None if r.raw()? == [0xf6] => None,
        None => return Err(unexpected("bstr or nil")),
    };
    let n = r.array()?.ok_or_else(|| unexpected("array"))?;
    // Refused on the count alone, before any signature is decoded.
    if n > MAX_SIGNATURES {
        return Err(EnvelopeError::TooManySignatures {
            count: n,
            max: MAX_SIGNATURES,
        });
    }
    for _ in 0..n {
        signature(walk_signature(&mut r).map_err(|e| match e {
            e @ EnvelopeError::HeaderTooLarge { .. } => e,
            _ => unexpected("map for COSE_Signature"),
        })?);
    }
    // `validate` saw exactly one item; nothing can follow it.
    if !r.at_end() {
        return Err(unexpected("end of the envelope"));
    }
    let payload = payload.ok_or(EnvelopeError::DetachedPayload)?;
    Ok(Body {
        protected,
        header,
        unprotected,
        payload,
    })
}

/// Decodes a tagged `COSE_Sign` from bytes that [`validate`] accepted: the
/// payload and signatures are copied once, out of `bytes`.
fn decode_sign(bytes: &[u8], limits: Limits) -> Result<CoseSign, EnvelopeError> {
    let mut signatures = Vec::new();
    let body = walk_sign(bytes, limits, |s| {
        signatures.push(CoseSignature {
            protected: ProtectedHeader {
                original_data: Some(s.protected.to_vec()),
                header: s.header,
            },
            unprotected: s.unprotected,
            signature: s.value.to_vec(),
        });
    })?;
    Ok(CoseSign {
        protected: ProtectedHeader {
            original_data: Some(body.protected.to_vec()),
            header: body.header,
        },
        unprotected: body.unprotected,
        payload: Some(body.payload.to_vec()),
        signatures,
    })
}

/// One `COSE_Signature`: `[protected bstr, unprotected map, signature bstr]`.
fn walk_signature<'a>(r: &mut Reader<'a>) -> Result<SignatureParts<'a>, EnvelopeError> {
    if r.array()? != Some(3) {
        return Err(unexpected("array with 3 items"));
    }
    let protected = r.bytes()?.ok_or_else(|| unexpected("bstr"))?;
    let header = header_from(protected)?;
    let unprotected = unprotected_from(r.raw()?)?;
    let value = r.bytes()?.ok_or_else(|| unexpected("bstr"))?;
    Ok(SignatureParts {
        protected,
        header,
        unprotected,
        value,
    })
}

/// Refuses a `COSE_Sign1` (bytes that [`validate`] accepted) whose
/// protected or unprotected header is longer than [`MAX_HEADER_LEN`],
/// before coset decodes any of it. Anything not shaped like a
/// `COSE_Sign1` is left for coset to refuse.
fn check_sign1_headers(bytes: &[u8], limits: Limits) -> Result<(), EnvelopeError> {
    let mut r = Reader::new(bytes, limits);
    r.tag()?;
    // coset reads indefinite-length arrays too.
    if r.array()? != Some(4) && !r.indefinite_array() {
        return Ok(());
    }
    let Some(protected) = r.bytes()? else {
        return Ok(());
    };
    check_header_len("protected", protected)?;
    check_header_len("unprotected", r.raw()?)
}

/// The bytes of a protected header as they go into a `Sig_structure`:
/// exactly as received (or as first encoded), as coset does.
fn protected_bytes(p: &ProtectedHeader) -> std::borrow::Cow<'_, [u8]> {
    match &p.original_data {
        Some(data) => std::borrow::Cow::Borrowed(data),
        None if p.header.is_empty() => std::borrow::Cow::Borrowed(&[]),
        // Headers vouch builds always encode; an empty encoding is never signed.
        None => std::borrow::Cow::Owned(p.header.clone().to_vec().unwrap_or_default()),
    }
}

/// Appends a CBOR head (shortest form) of major type `major` and argument `n`.
fn push_head(out: &mut Vec<u8>, major: u8, n: usize) {
    // usize is at most 64 bits on every platform Rust supports.
    crate::cbor::write_head(out, major, n as u64);
}

/// The RFC 9052 §4.4 `Sig_structure` of one `COSE_Signature`, with no
/// external data: `["Signature", body_protected, sign_protected, h'', payload]`,
/// written directly (the same bytes coset's `tbs_data` produces, without
/// cloning the headers and the payload into a value tree first).
fn sig_structure(body: &ProtectedHeader, sign: &ProtectedHeader, payload: &[u8]) -> Vec<u8> {
    const CONTEXT: &[u8] = b"Signature";
    let body = protected_bytes(body);
    let sign = protected_bytes(sign);
    let mut out = Vec::with_capacity(32 + body.len() + sign.len() + payload.len());
    out.push(0x85);
    push_head(&mut out, 3, CONTEXT.len());
    out.extend_from_slice(CONTEXT);
    for part in [&body[..], &sign[..], &[][..], payload] {
        push_head(&mut out, 2, part.len());
        out.extend_from_slice(part);
    }
    out
}

/// A `COSE_Sign1` envelope: one signer, one payload.
#[derive(Debug, Clone)]
pub struct Sign1 {
    msg: CoseSign1,
}

impl Sign1 {
    /// Signs `payload` with `signer`; the protected header holds the
    /// algorithm, the key id and the content type.
    pub fn sign<S: Signer + ?Sized>(
        signer: &S,
        content_type: &str,
        payload: &[u8],
    ) -> Result<Self, EnvelopeError> {
        check_content_type(content_type)?;
        let protected = protected_for(signer.algorithm(), signer.key_id(), Some(content_type));
        let mut msg = coset::CoseSign1Builder::new()
            .protected(protected)
            .payload(payload.to_vec())
            .build();
        // Fix the protected bytes now so the signed bytes are the stored bytes.
        let prot_bytes = msg
            .protected
            .clone()
            .header
            .to_vec()
            .map_err(EnvelopeError::Encode)?;
        msg.protected.original_data = Some(prot_bytes);
        let tbs = msg.tbs_data(b"");
        let sig = signer.try_sign(&tbs)?;
        msg.unprotected = unprotected_for(&sig)?;
        msg.signature = sig.value().to_vec();
        Ok(Sign1 { msg })
    }

    /// Decodes a tagged (18) or untagged `COSE_Sign1` with the default limits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Sign1::from_bytes_with_limits(bytes, Limits::DEFAULT)
    }

    /// Decodes a `COSE_Sign1` under explicit limits. Any well-formed CBOR is
    /// accepted, since other COSE tools do not write canonical CBOR.
    pub fn from_bytes_with_limits(bytes: &[u8], limits: Limits) -> Result<Self, EnvelopeError> {
        validate(bytes, Strictness::WellFormed, limits)?;
        let tagged = check_tag(bytes, iana::CborTag::CoseSign1 as u64)?;
        check_sign1_headers(bytes, limits)?;
        let msg = if tagged {
            <CoseSign1 as coset::TaggedCborSerializable>::from_tagged_slice(bytes)
        } else {
            CoseSign1::from_slice(bytes)
        }
        .map_err(EnvelopeError::Malformed)?;
        if msg.payload.is_none() {
            return Err(EnvelopeError::DetachedPayload);
        }
        Ok(Sign1 { msg })
    }

    /// Encodes the envelope (tagged), keeping the protected bytes as they are.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        coset::TaggedCborSerializable::to_tagged_vec(self.msg.clone())
            .map_err(EnvelopeError::Encode)
    }

    /// The key id in the protected header, when it is a vouch key id.
    pub fn key_id(&self) -> Option<KeyId> {
        KeyId::from_slice(&self.msg.protected.header.key_id).ok()
    }

    /// The content type in the protected header, when given as text.
    pub fn content_type(&self) -> Option<&str> {
        content_type_of(&self.msg.protected.header)
    }

    /// The payload, *not yet verified*.
    pub fn unverified_payload(&self) -> &[u8] {
        self.msg.payload.as_deref().unwrap_or_default()
    }

    /// The bytes the signature covers: the RFC 9052 §4.4 `Sig_structure`
    /// `["Signature1", protected, aad, payload]`, with the protected header
    /// bytes exactly as received and `aad` as the external additional data.
    /// This is what [`Sign1::verify_with_aad`] checks the signature over.
    pub fn to_be_signed(&self, aad: &[u8]) -> Vec<u8> {
        self.msg.tbs_data(aad)
    }

    /// Verifies the signature with `key` (no external data).
    pub fn verify(&self, key: &PublicKey) -> Result<Verified<Vec<u8>>, EnvelopeError> {
        self.verify_with_aad(key, b"")
    }

    /// Verifies the signature with `key` and external additional data.
    ///
    /// A protected `kid`, when present, must be `key`'s id; the algorithm
    /// must be protected and equal the key's.
    pub fn verify_with_aad(
        &self,
        key: &PublicKey,
        aad: &[u8],
    ) -> Result<Verified<Vec<u8>>, EnvelopeError> {
        let kid = &self.msg.protected.header.key_id;
        if !kid.is_empty() && kid.as_slice() != key.key_id().as_bytes() {
            return Err(EnvelopeError::KeyIdMismatch {
                expected: key.key_id(),
                found: hex::encode(kid),
            });
        }
        let tbs = self.msg.tbs_data(aad);
        let signer = check(
            0,
            key,
            &self.msg.protected,
            &self.msg.unprotected,
            &tbs,
            &self.msg.signature,
        )?;
        Ok(Verified::new(
            self.unverified_payload().to_vec(),
            vec![signer],
        ))
    }
}

/// Verifies a `COSE_Sign1` whose payload is detached, over `payload`,
/// with the rules of [`Sign1::verify`] (protected algorithm equal to the
/// key's, no critical parameters vouch does not understand) except the
/// key id, which is only a hint there: the caller chose `key`.
///
/// For COSE Receipts ([`crate::tlog::receipt`]), whose payload is the Merkle
/// root the verifier computes.
pub(crate) fn verify_sign1_detached(
    msg: &CoseSign1,
    key: &PublicKey,
    payload: &[u8],
) -> Result<VerifiedSigner, EnvelopeError> {
    // coset's detached form asserts there is no attached payload; an
    // attached one must be `payload` itself, and is then what is signed.
    let tbs = match &msg.payload {
        None => msg.tbs_detached_data(payload, b""),
        Some(p) if p.as_slice() == payload => msg.tbs_data(b""),
        Some(_) => {
            return Err(EnvelopeError::Signature {
                index: 0,
                source: VerifyError::BadSignature(key.key_id()),
            });
        }
    };
    check(
        0,
        key,
        &msg.protected,
        &msg.unprotected,
        &tbs,
        &msg.signature,
    )
}

/// Most signatures a `COSE_Sign` may carry: 64 (real envelopes carry one to
/// a handful). Decoding refuses more before reading any signature
/// ([`EnvelopeError::TooManySignatures`]), so a small envelope cannot make
/// the decoder build millions of signature structs (each some hundreds of
/// bytes, from as little as 4 bytes of input); [`Sign::add_signature`]
/// refuses to write more.
pub const MAX_SIGNATURES: usize = 64;

/// Most signatures an envelope is expected to carry by default: the same
/// [`MAX_SIGNATURES`]. DSSE's [`crate::dsse::Limits`] refuses more while
/// reading, and can be raised there; `COSE_Sign`'s limit is fixed.
pub const DEFAULT_MAX_SIGNATURES: usize = MAX_SIGNATURES;

/// One signature of a multi-signature envelope that did not verify: where
/// it is, the key it names, and why it failed.
///
/// [`Sign::verify_each`] uses the defaults: the key id from the signature's
/// protected header (`None` without one) and an [`EnvelopeError`]. A DSSE
/// envelope ([`crate::dsse::SignatureFailure`]) names its unauthenticated
/// `keyid` hint and a [`crate::dsse::DsseError`].
#[derive(Debug)]
pub struct SignatureFailure<K = Option<KeyId>, E = EnvelopeError> {
    /// Index of the signature in the envelope.
    pub index: usize,
    /// The key the signature names (unauthenticated until it verifies).
    pub key_id: K,
    /// Why it failed.
    pub error: E,
}

/// What [`Sign::verify_each`] says of one envelope: the proof over the
/// signatures that verified (none when no signature did), and why each of
/// the others failed.
pub type EachVerified<'e> = (Option<Verified<&'e [u8]>>, Vec<SignatureFailure>);

/// A `COSE_Sign` read by [`Sign::peek`]: its protected body header and
/// payload, borrowed from the envelope's bytes, *not yet verified*.
#[derive(Debug)]
pub struct Peeked<'a> {
    header: Header,
    payload: &'a [u8],
    signatures: usize,
}

impl<'a> Peeked<'a> {
    /// The content type in the protected body header, when given as text.
    pub fn content_type(&self) -> Option<&str> {
        content_type_of(&self.header)
    }

    /// The payload, *not yet verified*, borrowed from the envelope.
    pub fn unverified_payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Number of signatures.
    pub fn signature_count(&self) -> usize {
        self.signatures
    }
}

/// A `COSE_Sign` envelope: one payload, any number of independent signatures.
///
/// Canonical CBOR on the wire: decoding refuses anything else, so the stored
/// envelope re-encodes to the same bytes.
#[derive(Debug, Clone)]
pub struct Sign {
    msg: CoseSign,
}

impl Sign {
    /// A new envelope with no signatures yet; the content type is protected.
    pub fn new(content_type: &str, payload: Vec<u8>) -> Result<Self, EnvelopeError> {
        check_content_type(content_type)?;
        let header = coset::HeaderBuilder::new()
            .content_type(content_type.to_owned())
            .build();
        let mut protected = ProtectedHeader {
            original_data: None,
            header,
        };
        protected.original_data = Some(
            protected
                .header
                .clone()
                .to_vec()
                .map_err(EnvelopeError::Encode)?,
        );
        Ok(Sign {
            msg: CoseSign {
                protected,
                unprotected: Header::default(),
                payload: Some(payload),
                signatures: Vec::new(),
            },
        })
    }

    /// Adds a signature by `signer` over the payload; earlier signatures stay as they are.
    ///
    /// Refuses a signature beyond [`MAX_SIGNATURES`], so vouch never writes
    /// an envelope it cannot read back.
    pub fn add_signature<S: Signer + ?Sized>(&mut self, signer: &S) -> Result<(), EnvelopeError> {
        if self.msg.signatures.len() >= MAX_SIGNATURES {
            return Err(EnvelopeError::TooManySignatures {
                count: self.msg.signatures.len() + 1,
                max: MAX_SIGNATURES,
            });
        }
        let header = protected_for(signer.algorithm(), signer.key_id(), None);
        let original = header.clone().to_vec().map_err(EnvelopeError::Encode)?;
        let mut cs = CoseSignature {
            protected: ProtectedHeader {
                original_data: Some(original),
                header,
            },
            unprotected: Header::default(),
            signature: Vec::new(),
        };
        let tbs = sig_structure(
            &self.msg.protected,
            &cs.protected,
            self.unverified_payload(),
        );
        let sig = signer.try_sign(&tbs)?;
        cs.unprotected = unprotected_for(&sig)?;
        cs.signature = sig.value().to_vec();
        self.msg.signatures.push(cs);
        Ok(())
    }

    /// Decodes a tagged (98) `COSE_Sign` in canonical CBOR with the default limits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Sign::from_bytes_with_limits(bytes, Limits::DEFAULT)
    }

    /// Decodes a tagged (98) `COSE_Sign` in canonical CBOR under explicit limits.
    pub fn from_bytes_with_limits(bytes: &[u8], limits: Limits) -> Result<Self, EnvelopeError> {
        validate(bytes, Strictness::Canonical, limits)?;
        if !check_tag(bytes, iana::CborTag::CoseSign as u64)? {
            return Err(EnvelopeError::WrongTag {
                expected: iana::CborTag::CoseSign as u64,
                found: u64::MAX,
            });
        }
        Ok(Sign {
            msg: decode_sign(bytes, limits)?,
        })
    }

    /// Reads a tagged (98) `COSE_Sign` as far as an index needs, copying
    /// nothing: every check of [`Sign::from_bytes_with_limits`] is made, so
    /// decoding the same bytes later succeeds, and the protected content type
    /// and the payload are returned, both *not yet verified*.
    ///
    /// For a verifier that sorts many envelopes by what they hold before it
    /// decodes the few it needs, keeping only the bytes.
    ///
    /// ```
    /// use vouch_core::cbor::Limits;
    /// use vouch_core::cose::Sign;
    ///
    /// let bytes = Sign::new("application/example", b"hello".to_vec())?.to_bytes()?;
    /// let peeked = Sign::peek(&bytes, Limits::DEFAULT)?;
    /// assert_eq!(peeked.content_type(), Some("application/example"));
    /// assert_eq!(peeked.unverified_payload(), b"hello");
    /// assert_eq!(peeked.signature_count(), 0);
    /// # Ok::<(), vouch_core::cose::EnvelopeError>(())
    /// ```
    pub fn peek(bytes: &[u8], limits: Limits) -> Result<Peeked<'_>, EnvelopeError> {
        validate(bytes, Strictness::Canonical, limits)?;
        if !check_tag(bytes, iana::CborTag::CoseSign as u64)? {
            return Err(EnvelopeError::WrongTag {
                expected: iana::CborTag::CoseSign as u64,
                found: u64::MAX,
            });
        }
        let mut signatures = 0;
        let body = walk_sign(bytes, limits, |_| signatures += 1)?;
        Ok(Peeked {
            header: body.header,
            payload: body.payload,
            signatures,
        })
    }

    /// Encodes the envelope (tagged).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        coset::TaggedCborSerializable::to_tagged_vec(self.msg.clone())
            .map_err(EnvelopeError::Encode)
    }

    /// The content type in the protected body header, when given as text.
    pub fn content_type(&self) -> Option<&str> {
        content_type_of(&self.msg.protected.header)
    }

    /// The payload, *not yet verified*. Its digest names the statement.
    pub fn unverified_payload(&self) -> &[u8] {
        self.msg.payload.as_deref().unwrap_or_default()
    }

    /// Number of signatures.
    pub fn signature_count(&self) -> usize {
        self.msg.signatures.len()
    }

    /// The bytes signature `index` covers: the RFC 9052 §4.4 `Sig_structure`
    /// `["Signature", body_protected, sign_protected, aad, payload]`, with
    /// both protected headers exactly as received and no external data.
    /// This is what [`Sign::verify_each`] checks that signature over (as
    /// [`Sign1::to_be_signed`] does for a single signer); `None` when there
    /// is no signature `index`.
    pub fn to_be_signed(&self, index: usize) -> Option<Vec<u8>> {
        let s = self.msg.signatures.get(index)?;
        Some(sig_structure(
            &self.msg.protected,
            &s.protected,
            self.unverified_payload(),
        ))
    }

    /// The protected key id of each signature (`None` when absent or not a vouch key id).
    pub fn signature_key_ids(&self) -> Vec<Option<KeyId>> {
        self.msg
            .signatures
            .iter()
            .map(|s| KeyId::from_slice(&s.protected.header.key_id).ok())
            .collect()
    }

    /// Verifies every signature, looking keys up by their protected key id.
    ///
    /// Returns the proof over the payload for the signatures that verified
    /// (`None` when none did) and the reason for each one that did not: an
    /// unknown key, a wrong algorithm, a bad signature. Counting signers
    /// against a threshold is the caller's policy. The proof borrows the
    /// payload, so verifying a large statement copies nothing.
    pub fn verify_each<'k>(
        &self,
        lookup: impl Fn(&KeyId) -> Option<&'k PublicKey>,
    ) -> (Option<Verified<&[u8]>>, Vec<SignatureFailure>) {
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for (index, s) in self.msg.signatures.iter().enumerate() {
            let Ok(kid) = KeyId::from_slice(&s.protected.header.key_id) else {
                failed.push(SignatureFailure {
                    index,
                    key_id: None,
                    error: EnvelopeError::MissingKeyId { index },
                });
                continue;
            };
            let Some(key) = lookup(&kid) else {
                failed.push(SignatureFailure {
                    index,
                    key_id: Some(kid),
                    error: EnvelopeError::UnknownKey(kid),
                });
                continue;
            };
            let tbs = sig_structure(&self.msg.protected, &s.protected, self.unverified_payload());
            match check(index, key, &s.protected, &s.unprotected, &tbs, &s.signature) {
                Ok(v) => ok.push(v),
                Err(error) => failed.push(SignatureFailure {
                    index,
                    key_id: Some(kid),
                    error,
                }),
            }
        }
        let verified = if ok.is_empty() {
            None
        } else {
            Some(Verified::new(self.unverified_payload(), ok))
        };
        (verified, failed)
    }

    /// [`Sign::verify_each`] for many envelopes at once: the result for
    /// each envelope is exactly what `verify_each` gives for it, but the
    /// Ed25519 signatures of all of them are checked as one batch (see
    /// [`crate::verify_ed25519_batch`]: the same rule as single
    /// verification, and single checks only when the batch fails).
    ///
    /// ```
    /// # use vouch_core::{Algorithm, PublicKey, Signature, Signer, SignError};
    /// # struct Key(ed25519_dalek::SigningKey, PublicKey);
    /// # impl Signer for Key {
    /// #     fn public_key(&self) -> &PublicKey { &self.1 }
    /// #     fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
    /// #         use ed25519_dalek::Signer as _;
    /// #         Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).unwrap())
    /// #     }
    /// # }
    /// # let sk = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    /// # let key = Key(sk.clone(), PublicKey::ed25519(sk.verifying_key().as_bytes()).unwrap());
    /// use vouch_core::cose::Sign;
    /// let mut a = Sign::new("text/plain", b"one".to_vec()).unwrap();
    /// a.add_signature(&key).unwrap();
    /// let mut b = Sign::new("text/plain", b"two".to_vec()).unwrap();
    /// b.add_signature(&key).unwrap();
    /// let public = key.public_key().clone();
    /// let results = Sign::verify_each_many(&[&a, &b], |k| (*k == public.key_id()).then_some(&public));
    /// assert!(results.iter().all(|(ok, failed)| ok.is_some() && failed.is_empty()));
    /// ```
    pub fn verify_each_many<'e, 'k>(
        envelopes: &[&'e Sign],
        lookup: impl Fn(&KeyId) -> Option<&'k PublicKey>,
    ) -> Vec<EachVerified<'e>> {
        /// One signature's outcome, in signature order within its envelope.
        enum Slot {
            Done(Result<VerifiedSigner, SignatureFailure>),
            Batched,
        }
        let mut slots: Vec<Vec<Slot>> = Vec::with_capacity(envelopes.len());
        // (envelope, signature index, key, to-be-signed bytes, signature)
        let mut batch: Vec<(usize, usize, &PublicKey, Vec<u8>, Signature)> = Vec::new();
        for (e, env) in envelopes.iter().enumerate() {
            let mut row = Vec::with_capacity(env.msg.signatures.len());
            for (index, s) in env.msg.signatures.iter().enumerate() {
                let Ok(kid) = KeyId::from_slice(&s.protected.header.key_id) else {
                    row.push(Slot::Done(Err(SignatureFailure {
                        index,
                        key_id: None,
                        error: EnvelopeError::MissingKeyId { index },
                    })));
                    continue;
                };
                let Some(key) = lookup(&kid) else {
                    row.push(Slot::Done(Err(SignatureFailure {
                        index,
                        key_id: Some(kid),
                        error: EnvelopeError::UnknownKey(kid),
                    })));
                    continue;
                };
                let tbs = sig_structure(&env.msg.protected, &s.protected, env.unverified_payload());
                match prepare(index, key, &s.protected, &s.unprotected, &s.signature) {
                    Err(error) => row.push(Slot::Done(Err(SignatureFailure {
                        index,
                        key_id: Some(kid),
                        error,
                    }))),
                    Ok(sig) if key.algorithm() == crate::Algorithm::Ed25519 => {
                        row.push(Slot::Batched);
                        batch.push((e, index, key, tbs, sig));
                    }
                    Ok(sig) => row.push(Slot::Done(
                        key.verify(&tbs, &sig)
                            .map(|()| VerifiedSigner {
                                key_id: kid,
                                signature: sig,
                            })
                            .map_err(|source| SignatureFailure {
                                index,
                                key_id: Some(kid),
                                error: EnvelopeError::Signature { index, source },
                            }),
                    )),
                }
            }
            slots.push(row);
        }
        let items: Vec<(&PublicKey, &[u8], &Signature)> = batch
            .iter()
            .map(|(_, _, key, tbs, sig)| (*key, tbs.as_slice(), sig))
            .collect();
        let results = crate::verify_ed25519_batch(&items);
        for ((e, index, key, _, sig), result) in batch.into_iter().zip(results) {
            let key_id = key.key_id();
            slots[e][index] = Slot::Done(
                result
                    .map(|()| VerifiedSigner {
                        key_id,
                        signature: sig,
                    })
                    .map_err(|source| SignatureFailure {
                        index,
                        key_id: Some(key_id),
                        error: EnvelopeError::Signature { index, source },
                    }),
            );
        }
        envelopes
            .iter()
            .zip(slots)
            .map(|(env, row)| {
                let mut ok = Vec::new();
                let mut failed = Vec::new();
                for slot in row {
                    match slot {
                        Slot::Done(Ok(v)) => ok.push(v),
                        Slot::Done(Err(f)) => failed.push(f),
                        // Every batched slot was filled above.
                        Slot::Batched => {}
                    }
                }
                let verified =
                    (!ok.is_empty()).then(|| Verified::new(env.unverified_payload(), ok));
                (verified, failed)
            })
            .collect()
    }

    /// Verifies that there is at least one signature and every one verifies
    /// with a known key; the first failure is returned otherwise.
    pub fn verify<'k>(
        &self,
        lookup: impl Fn(&KeyId) -> Option<&'k PublicKey>,
    ) -> Result<Verified<&[u8]>, EnvelopeError> {
        if self.msg.signatures.is_empty() {
            return Err(EnvelopeError::NoSignatures);
        }
        let (verified, failed) = self.verify_each(lookup);
        if let Some(f) = failed.into_iter().next() {
            return Err(f.error);
        }
        verified.ok_or(EnvelopeError::NoSignatures)
    }
}

#[cfg(test)]
mod tests;

/// The direct `COSE_Sign` decoder and `Sig_structure` writer against coset's.
#[cfg(test)]
mod direct_decode {
    use super::*;
    use proptest::prelude::*;

    struct Ed(ed25519_dalek::SigningKey, PublicKey);

    impl Signer for Ed {
        fn public_key(&self) -> &PublicKey {
            &self.1
        }
        fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
            use ed25519_dalek::Signer as _;
            Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).unwrap())
        }
    }

    fn ed(seed: u8) -> Ed {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
        Ed(sk, pk)
    }

    fn envelope(payload: Vec<u8>, signers: u8) -> Vec<u8> {
        let mut env = Sign::new("application/vnd.vouch.statement+cbor", payload).unwrap();
        for i in 0..signers {
            env.add_signature(&ed(i + 1)).unwrap();
        }
        env.to_bytes().unwrap()
    }

    /// What coset alone makes of bytes that passed canonical validation.
    fn coset_decode(bytes: &[u8]) -> Result<CoseSign, ()> {
        let msg = <CoseSign as coset::TaggedCborSerializable>::from_tagged_slice(bytes)
            .map_err(|_| ())?;
        if msg.payload.is_none() {
            return Err(());
        }
        Ok(msg)
    }

    #[test]
    fn same_structs_and_sig_structure_as_coset() {
        for (payload, signers) in [(vec![], 0), (b"x".to_vec(), 1), (vec![7; 300], 3)] {
            let bytes = envelope(payload, signers);
            let ours = Sign::from_bytes(&bytes).unwrap();
            let theirs = coset_decode(&bytes).unwrap();
            assert_eq!(ours.msg, theirs);
            for (i, s) in theirs.signatures.iter().enumerate() {
                assert_eq!(ours.to_be_signed(i).unwrap(), theirs.tbs_data(b"", s));
            }
            assert_eq!(ours.to_bytes().unwrap(), bytes);
        }
        // A protected header coset had to encode itself (no original bytes).
        let body = ProtectedHeader {
            original_data: None,
            header: coset::HeaderBuilder::new()
                .content_type("a/b".into())
                .build(),
        };
        let sign = ProtectedHeader::default();
        let msg = CoseSign {
            protected: body.clone(),
            payload: Some(vec![1; 70_000]),
            ..Default::default()
        };
        let cs = CoseSignature {
            protected: sign.clone(),
            ..Default::default()
        };
        assert_eq!(
            sig_structure(&body, &sign, msg.payload.as_deref().unwrap()),
            msg.tbs_data(b"", &cs)
        );
    }

    #[test]
    fn detached_payload_refused() {
        let bytes = envelope(b"x".to_vec(), 1);
        // The payload bstr h'78' (0x41 0x78) replaced by nil.
        let pos = bytes.windows(2).position(|w| w == [0x41, b'x']).unwrap();
        let mut nil = bytes[..pos].to_vec();
        nil.push(0xf6);
        nil.extend_from_slice(&bytes[pos + 2..]);
        assert!(matches!(
            Sign::from_bytes(&nil),
            Err(EnvelopeError::DetachedPayload)
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any mutation: the direct decoder accepts exactly what coset accepts
        /// (after the same canonical validation), with the same result.
        #[test]
        fn agrees_with_coset(payload in proptest::collection::vec(any::<u8>(), 0..40), signers in 0u8..3, pick in any::<usize>(), byte in any::<u8>(), cut in any::<bool>()) {
            let mut bytes = envelope(payload, signers);
            let i = pick % bytes.len();
            if cut {
                bytes.truncate(i + 1);
            } else {
                bytes[i] = byte;
            }
            let ours = Sign::from_bytes(&bytes);
            // A `crit` in the body header is refused where coset reads it.
            if matches!(ours, Err(EnvelopeError::UnsupportedCritical)) {
                return Ok(());
            }
            if validate(&bytes, Strictness::Canonical, Limits::DEFAULT).is_ok()
                && check_tag(&bytes, 98).ok() == Some(true)
            {
                let theirs = coset_decode(&bytes);
                prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", ours.err());
                if let (Ok(o), Ok(t)) = (ours, theirs) {
                    for (n, s) in t.signatures.iter().enumerate() {
                        prop_assert_eq!(o.to_be_signed(n).unwrap(), t.tbs_data(b"", s));
                    }
                    prop_assert_eq!(o.msg, t);
                }
            } else {
                prop_assert!(ours.is_err());
            }
        }
    }
}
