//! DSSE v1 JSON envelopes: how in-toto, cosign and SLSA tooling carry
//! signed statements, so that they read vouch's and vouch reads theirs.
//!
//! ```json
//! {"payload": "<base64>", "payloadType": "<type>",
//!  "signatures": [{"keyid": "<hint>", "sig": "<base64>"}]}
//! ```
//!
//! Every signature is over the pre-authentication encoding [`pae`] of the
//! payload type and the payload bytes:
//! `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
//! decimal. Specification: `secure-systems-lab/dsse`, `protocol.md` and
//! `envelope.md` (v1.0).
//!
//! # What is trusted
//!
//! - The payload and its type are both covered by every signature (through
//!   the PAE). The payload is kept as the exact bytes decoded from the
//!   envelope and verification never re-serializes anything.
//! - `keyid` is an unauthenticated hint: the signature does not cover it.
//!   vouch writes the signer's [`KeyId`] in hex and uses the hint only to
//!   choose which keys to try first; a proof always names the key that
//!   actually verified, never the hint.
//! - The algorithm comes from the key. DSSE has no algorithm field, and
//!   nothing in the envelope selects how a key is used.
//!
//! # Signature encodings
//!
//! Ed25519 signatures are the raw 64 bytes. ECDSA P-256 signatures are
//! written as ASN.1 DER, as cosign, in-toto and securesystemslib write them,
//! and read as DER or as the raw 64-byte `r || s` the DSSE specification's
//! own test vector uses.
//!
//! # Untrusted input
//!
//! [`Envelope::from_json`] refuses input over [`Limits::max_size`] (64 MiB by
//! default) before parsing and stops at [`Limits::max_signatures`]
//! signatures (64 by default) while parsing. Depth: the envelope's own
//! structure is three levels deep (object, signature array, signature
//! object), and unknown fields, which `envelope.md` says to ignore, are
//! skipped by `serde_json` without recursion (its skipper keeps one byte per
//! open bracket, so at most the input's size), so no input can exhaust the
//! stack; `serde_json`'s recursion limit (128, on because vouch does not
//! enable `unbounded_depth`) backs this up. Duplicate known fields and
//! trailing data are refused. Base64 may use the standard or the
//! URL-safe alphabet, padded or not (`envelope.md`: "Either standard or
//! URL-safe encoding is allowed"); vouch writes standard, padded base64.
//!
//! ```
//! use vouch_core::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
//! # use vouch_core::{Algorithm, PublicKey, Signature, Signer, SignError};
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
//! // `signer` is any vouch_core::Signer.
//! let statement = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
//! let json = Envelope::sign(&signer, IN_TOTO_PAYLOAD_TYPE, &statement[..])
//!     .unwrap()
//!     .to_json();
//! let envelope = Envelope::from_json(json.as_bytes()).unwrap();
//! let verified = envelope
//!     .verify_typed(signer.public_key(), IN_TOTO_PAYLOAD_TYPE)
//!     .unwrap();
//! assert_eq!(verified.value(), statement);
//! assert_eq!(verified.key_ids().next(), Some(signer.key_id()));
//! ```

use std::cell::Cell;
use std::fmt;

use crate::cbor;
use crate::cose::{self, DEFAULT_MAX_SIGNATURES, verify_detached};
use crate::{Algorithm, KeyId, PublicKey, SignError, Signature, Signer, Verified, VerifyError};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct as _, Serializer};
use serde::{Deserialize, Serialize};

/// The `payloadType` of an in-toto Statement (in-toto attestation spec,
/// envelope layer).
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// How much of an attacker-chosen string (a key id hint, a payload type) an
/// error repeats, in characters: a longer one is cut, not refused (it is
/// still checked whole).
pub const MAX_ECHO_CHARS: usize = 128;

/// The pre-authentication encoding that every DSSE signature covers:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, with the lengths
/// (in bytes) as ASCII decimal without leading zeros.
///
/// ```
/// let pae = vouch_core::dsse::pae("http://example.com/HelloWorld", b"hello world");
/// assert_eq!(pae, b"DSSEv1 29 http://example.com/HelloWorld 11 hello world");
/// ```
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let body_len = payload.len().to_string();
    let mut out = Vec::with_capacity(
        10 + type_len.len() + payload_type.len() + body_len.len() + payload.len(),
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Bounds applied when reading an envelope from untrusted bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest JSON input accepted, in bytes.
    pub max_size: usize,
    /// Most signatures accepted in one envelope; bounds verification work.
    pub max_signatures: usize,
}

impl Limits {
    /// The defaults: 64 MiB (as for vouch's CBOR, [`cbor::Limits::DEFAULT`])
    /// and 64 signatures ([`DEFAULT_MAX_SIGNATURES`], real envelopes carry
    /// one to a handful).
    pub const DEFAULT: Limits = Limits {
        max_size: cbor::Limits::DEFAULT.max_size,
        max_signatures: DEFAULT_MAX_SIGNATURES,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// One signature of an [`Envelope`], as found in it (*not yet verified*).
#[derive(Clone, PartialEq, Eq)]
pub struct EnvelopeSignature {
    keyid: Option<String>,
    sig: Vec<u8>,
}

impl EnvelopeSignature {
    /// The `keyid` hint; `None` when absent or empty (`envelope.md` treats
    /// the two alike). Unauthenticated: anyone can change it.
    pub fn keyid(&self) -> Option<&str> {
        self.keyid.as_deref()
    }

    /// The signature bytes as decoded from base64 (DER or raw for ECDSA).
    pub fn sig(&self) -> &[u8] {
        &self.sig
    }
}

impl fmt::Debug for EnvelopeSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvelopeSignature")
            .field("keyid", &self.keyid)
            .field("sig", &hex::encode(&self.sig))
            .finish()
    }
}

/// A DSSE envelope: a payload, its type, and any number of signatures over
/// their [`pae`].
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    payload_type: String,
    payload: Vec<u8>,
    signatures: Vec<EnvelopeSignature>,
}

impl fmt::Debug for Envelope {
    // The payload can be megabytes; its length says enough in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("payload_type", &self.payload_type)
            .field("payload_len", &self.payload.len())
            .field("signatures", &self.signatures)
            .finish()
    }
}

/// One signature of a DSSE envelope that did not verify: COSE_Sign's
/// [`cose::SignatureFailure`] with the signature's `keyid` hint (cut to 128
/// characters, unauthenticated) as `key_id`, and as `error`
/// [`DsseError::UnknownKey`] or [`DsseError::Signature`].
pub type SignatureFailure = cose::SignatureFailure<Option<String>, DsseError>;

/// Why an envelope could not be read, written or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// The input is larger than [`Limits::max_size`].
    #[error("DSSE envelope is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The envelope has more signatures than [`Limits::max_signatures`].
    #[error("DSSE envelope has more than {limit} signatures")]
    TooManySignatures {
        /// The limit.
        limit: usize,
    },
    /// The input is not a JSON envelope (syntax, missing or duplicate
    /// field, wrong type, trailing data, nesting too deep).
    #[error("DSSE envelope is not valid JSON of the envelope's shape")]
    Json(#[source] serde_json::Error),
    /// `payload` is not base64.
    #[error("DSSE payload is not base64")]
    PayloadBase64(#[source] base64::DecodeError),
    /// A signature's `sig` is not base64.
    #[error("DSSE signature {index} is not base64")]
    SignatureBase64 {
        /// Index of the signature in the envelope.
        index: usize,
        /// The decoding error.
        #[source]
        source: base64::DecodeError,
    },
    /// The envelope has no signatures.
    #[error("DSSE envelope has no signatures")]
    NoSignatures,
    /// No key is known for a signature.
    #[error("no key known for DSSE signature {index} (keyid hint {keyid:?})")]
    UnknownKey {
        /// Index of the signature in the envelope.
        index: usize,
        /// Its `keyid` hint, cut to 128 characters.
        keyid: Option<String>,
    },
    /// A signature did not verify with a key.
    #[error("DSSE signature {index} (keyid hint {keyid:?}) does not verify with key {key_id}")]
    Signature {
        /// Index of the signature in the envelope.
        index: usize,
        /// Its `keyid` hint, cut to 128 characters.
        keyid: Option<String>,
        /// The key it was checked with.
        key_id: KeyId,
        /// What failed (boxed: it is large, and this is the cold path).
        #[source]
        source: Box<VerifyError>,
    },
    /// No signature of the envelope verifies with the given key.
    #[error("none of the {} DSSE signatures verifies with key {key_id}", failures.len())]
    NoValidSignature {
        /// The key.
        key_id: KeyId,
        /// One [`DsseError::Signature`] per signature, in envelope order.
        failures: Vec<SignatureFailure>,
    },
    /// The payload type is not the one the caller expects.
    #[error("DSSE payload type is {found:?}, expected {expected:?}")]
    PayloadTypeMismatch {
        /// The type the caller asked for.
        expected: String,
        /// The envelope's type, cut to 128 characters.
        found: String,
    },
    /// The signer failed.
    #[error("could not sign the DSSE envelope")]
    Sign(#[from] SignError),
    /// The signer attached hardware evidence (a FIDO assertion): its
    /// signature covers authenticator data, not the PAE, and DSSE has no
    /// place to carry that data, so no DSSE verifier could check it.
    #[error("key {0} signs with hardware evidence, which a DSSE signature cannot carry")]
    EvidenceNotRepresentable(KeyId),
    /// The signer's algorithm has no DSSE encoding in vouch.
    #[error("vouch cannot write {0} signatures into a DSSE envelope")]
    UnsupportedAlgorithm(Algorithm),
    /// The signer returned a signature of another algorithm than its key's,
    /// or a value that is not a valid signature encoding.
    #[error("signer {0} returned a malformed signature")]
    SignerOutput(KeyId),
    /// The value to sign could not be serialized to JSON.
    #[error("could not serialize the payload to JSON")]
    Serialize(#[source] serde_json::Error),
}

fn echo(s: &str) -> String {
    s.chars().take(MAX_ECHO_CHARS).collect()
}

impl Envelope {
    /// An envelope with no signatures yet; add them with [`Envelope::add_signature`].
    pub fn new(payload_type: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Envelope {
            payload_type: payload_type.into(),
            payload: payload.into(),
            signatures: Vec::new(),
        }
    }

    /// Signs `payload` as `payload_type` with `signer`.
    pub fn sign<S: Signer + ?Sized>(
        signer: &S,
        payload_type: impl Into<String>,
        payload: impl Into<Vec<u8>>,
    ) -> Result<Self, DsseError> {
        let mut envelope = Envelope::new(payload_type, payload);
        envelope.add_signature(signer)?;
        Ok(envelope)
    }

    /// Serializes `value` as compact JSON and signs those bytes, e.g. an
    /// in-toto statement with [`IN_TOTO_PAYLOAD_TYPE`].
    pub fn sign_json<S: Signer + ?Sized, T: Serialize + ?Sized>(
        signer: &S,
        payload_type: impl Into<String>,
        value: &T,
    ) -> Result<Self, DsseError> {
        let payload = serde_json::to_vec(value).map_err(DsseError::Serialize)?;
        Envelope::sign(signer, payload_type, payload)
    }

    /// Adds a signature by `signer`; the signatures already present stay as
    /// they are (each covers only the payload and its type). The `keyid`
    /// written is the signer's [`KeyId`] in hex.
    pub fn add_signature<S: Signer + ?Sized>(&mut self, signer: &S) -> Result<(), DsseError> {
        let key_id = signer.key_id();
        let sig = signer.try_sign(&self.pae())?;
        if sig.evidence().is_some() {
            return Err(DsseError::EvidenceNotRepresentable(key_id));
        }
        if sig.algorithm() != signer.algorithm() {
            return Err(DsseError::SignerOutput(key_id));
        }
        let bytes = match sig.algorithm() {
            Algorithm::Ed25519 => sig.value().to_vec(),
            // DER, as the rest of the DSSE ecosystem writes ECDSA.
            Algorithm::Es256 => sig.to_es256_der().ok_or(DsseError::SignerOutput(key_id))?,
            // Every algorithm today has an encoding; inside vouch-core the
            // `#[non_exhaustive]` enum is matched exhaustively, so this arm
            // stands for an algorithm added later without a DSSE encoding.
            #[allow(unreachable_patterns)]
            other => return Err(DsseError::UnsupportedAlgorithm(other)),
        };
        self.signatures.push(EnvelopeSignature {
            keyid: Some(key_id.to_string()),
            sig: bytes,
        });
        Ok(())
    }

    /// Reads a JSON envelope with the default [`Limits`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, DsseError> {
        Envelope::from_json_with_limits(bytes, Limits::DEFAULT)
    }

    /// Reads a JSON envelope under explicit limits.
    pub fn from_json_with_limits(bytes: &[u8], limits: Limits) -> Result<Self, DsseError> {
        if bytes.len() > limits.max_size {
            return Err(DsseError::TooLarge {
                size: bytes.len(),
                limit: limits.max_size,
            });
        }
        let overflow = Cell::new(false);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let parsed = EnvelopeSeed {
            max_signatures: limits.max_signatures,
            overflow: &overflow,
        }
        .deserialize(&mut de)
        .and_then(|wire| de.end().map(|()| wire));
        let wire = match parsed {
            Ok(wire) => wire,
            // The seed flags the overflow so the error stays typed.
            Err(_) if overflow.get() => {
                return Err(DsseError::TooManySignatures {
                    limit: limits.max_signatures,
                });
            }
            Err(e) => return Err(DsseError::Json(e)),
        };
        Envelope::from_wire(wire)
    }

    fn from_wire(wire: WireEnvelope) -> Result<Self, DsseError> {
        let payload = decode_base64(&wire.payload).map_err(DsseError::PayloadBase64)?;
        let signatures = wire
            .signatures
            .into_iter()
            .enumerate()
            .map(|(index, s)| {
                let sig = decode_base64(&s.sig)
                    .map_err(|source| DsseError::SignatureBase64 { index, source })?;
                Ok(EnvelopeSignature {
                    keyid: s.keyid.filter(|k| !k.is_empty()),
                    sig,
                })
            })
            .collect::<Result<Vec<_>, DsseError>>()?;
        Ok(Envelope {
            payload_type: wire.payload_type,
            payload,
            signatures,
        })
    }

    /// Writes the envelope as compact JSON: standard padded base64, fields
    /// in the specification's order, `keyid` omitted when there is none.
    pub fn to_json(&self) -> String {
        // Written by hand rather than through serde_json so that it cannot
        // fail: only two strings need escaping, the rest is base64.
        let mut out = String::with_capacity(64 + self.payload.len() * 4 / 3);
        out.push_str("{\"payload\":\"");
        STANDARD.encode_string(&self.payload, &mut out);
        out.push_str("\",\"payloadType\":");
        push_json_string(&mut out, &self.payload_type);
        out.push_str(",\"signatures\":[");
        for (i, s) in self.signatures.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            if let Some(keyid) = &s.keyid {
                out.push_str("\"keyid\":");
                push_json_string(&mut out, keyid);
                out.push(',');
            }
            out.push_str("\"sig\":\"");
            STANDARD.encode_string(&s.sig, &mut out);
            out.push_str("\"}");
        }
        out.push_str("]}");
        out
    }

    /// The payload type. Covered by every signature, but only trustworthy
    /// once one verified: [`Envelope::verify_typed`] checks both.
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The payload, *not yet verified*.
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signatures, *not yet verified*.
    pub fn signatures(&self) -> &[EnvelopeSignature] {
        &self.signatures
    }

    /// The bytes every signature covers: [`pae`] of the payload type and the
    /// payload as held (as received, for a parsed envelope).
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Verifies that some signature was made by `key` and returns the
    /// payload with the proof.
    ///
    /// Signatures whose `keyid` hint is `key`'s id are tried first, the rest
    /// after them, since the hint proves nothing. The payload type is
    /// authenticated too but not checked here; see [`Envelope::verify_typed`].
    pub fn verify(&self, key: &PublicKey) -> Result<Verified<Vec<u8>>, DsseError> {
        if self.signatures.is_empty() {
            return Err(DsseError::NoSignatures);
        }
        let key_id = key.key_id();
        let hint = key_id.to_string();
        let pae = self.pae();
        let hinted = |s: &EnvelopeSignature| s.keyid.as_deref() == Some(hint.as_str());
        let order = (self.signatures.iter().enumerate())
            .filter(|(_, s)| hinted(s))
            .chain(
                self.signatures
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| !hinted(s)),
            );
        let mut failures = Vec::new();
        for (index, s) in order {
            match check(key, &pae, &s.sig, self.payload.as_slice()) {
                Ok(proof) => return Ok(proof.map(<[u8]>::to_vec)),
                Err(source) => failures.push(failure(index, s, key_id, source)),
            }
        }
        failures.sort_by_key(|f| f.index);
        Err(DsseError::NoValidSignature { key_id, failures })
    }

    /// [`Envelope::verify`], after checking that the payload type is
    /// `payload_type`: what a caller expecting one kind of document wants,
    /// so that a signed payload of another type is never mistaken for it.
    pub fn verify_typed(
        &self,
        key: &PublicKey,
        payload_type: &str,
    ) -> Result<Verified<Vec<u8>>, DsseError> {
        if self.payload_type != payload_type {
            return Err(DsseError::PayloadTypeMismatch {
                expected: payload_type.to_owned(),
                found: echo(&self.payload_type),
            });
        }
        self.verify(key)
    }

    /// Verifies every signature against the keys `lookup` offers for its
    /// `keyid` hint (`None` when it has none).
    ///
    /// `lookup` returns the candidate keys: for vouch's own envelopes, the
    /// key whose [`KeyId`] the hint parses to (an `Option<&PublicKey>` is
    /// an iterator); for envelopes whose hints mean nothing to vouch
    /// (cosign writes none), every trusted key. A signature verifies when one
    /// candidate verifies it; the hint is never trusted, the proof names the
    /// key that verified.
    ///
    /// Returns one proof per signature that verified, in envelope order, each
    /// borrowing the payload, and the reasons for the rest: an unknown key, or
    /// one [`DsseError::Signature`] per candidate that failed. An envelope
    /// with no signatures returns two empty lists. Two proofs may name the
    /// same key (one key, two signatures): count thresholds over distinct
    /// identities.
    pub fn verify_each<'k, I>(
        &self,
        lookup: impl Fn(Option<&str>) -> I,
    ) -> (Vec<Verified<&[u8]>>, Vec<SignatureFailure>)
    where
        I: IntoIterator<Item = &'k PublicKey>,
    {
        let pae = self.pae();
        let mut verified = Vec::new();
        let mut failures = Vec::new();
        for (index, s) in self.signatures.iter().enumerate() {
            let mut tried = Vec::new();
            let mut proof = None;
            for key in lookup(s.keyid.as_deref()) {
                match check(key, &pae, &s.sig, self.payload.as_slice()) {
                    Ok(p) => {
                        proof = Some(p);
                        break;
                    }
                    Err(source) => tried.push(failure(index, s, key.key_id(), source)),
                }
            }
            match proof {
                Some(p) => verified.push(p),
                None if tried.is_empty() => {
                    let keyid = s.keyid.as_deref().map(echo);
                    failures.push(SignatureFailure {
                        index,
                        key_id: keyid.clone(),
                        error: DsseError::UnknownKey { index, keyid },
                    });
                }
                None => failures.append(&mut tried),
            }
        }
        (verified, failures)
    }
}

fn failure(
    index: usize,
    s: &EnvelopeSignature,
    key_id: KeyId,
    source: VerifyError,
) -> SignatureFailure {
    let keyid = s.keyid.as_deref().map(echo);
    SignatureFailure {
        index,
        key_id: keyid.clone(),
        error: DsseError::Signature {
            index,
            keyid,
            key_id,
            source: Box::new(source),
        },
    }
}

/// Checks one signature value with one key. The key's algorithm decides how
/// the value is read: raw for Ed25519; DER, else raw `r || s`, for ES256.
///
/// `pae` must be [`pae`] of the envelope's type and `payload`: the proof
/// vouch-core returns is over `pae`, and is carried over to `payload` here.
fn check<'p>(
    key: &PublicKey,
    pae: &[u8],
    value: &[u8],
    payload: &'p [u8],
) -> Result<Verified<&'p [u8]>, VerifyError> {
    let alg = key.algorithm();
    if alg != Algorithm::Es256 {
        let sig = Signature::new(alg, value)?;
        return verify_detached(key, pae, &sig).map(|v| v.map(|_| payload));
    }
    // Both readings are tried: a raw value that also parses as DER (or the
    // reverse) is astronomically unlikely, and either way the signature must
    // still verify under this key, so trying both accepts nothing forged.
    let mut result = Err(VerifyError::MalformedSignature(alg));
    if let Ok(sig) = Signature::from_es256_der(value) {
        result = verify_detached(key, pae, &sig);
    }
    if result.is_err() && value.len() == alg.signature_len() {
        let sig = Signature::new(alg, value)?;
        result = verify_detached(key, pae, &sig);
    }
    result.map(|v| v.map(|_| payload))
}

/// Decodes base64 in the standard or the URL-safe alphabet, padded or not.
fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD_IN: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    const URL_SAFE_IN: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
    // The alphabets differ only in the last two symbols, so a '-' or '_'
    // marks the URL-safe one; a text mixing both alphabets is refused.
    let engine = if text.bytes().any(|b| b == b'-' || b == b'_') {
        &URL_SAFE_IN
    } else {
        &STANDARD_IN
    };
    engine.decode(text)
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
fn push_json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            // Writing into a String cannot fail.
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Serialize for Envelope {
    /// The same JSON as [`Envelope::to_json`], for embedding an envelope in
    /// a larger document (a Sigstore bundle's `dsseEnvelope`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut st = serializer.serialize_struct("Envelope", 3)?;
        st.serialize_field("payload", &STANDARD.encode(&self.payload))?;
        st.serialize_field("payloadType", &self.payload_type)?;
        st.serialize_field("signatures", &self.signatures)?;
        st.end()
    }
}

impl Serialize for EnvelopeSignature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut st =
            serializer.serialize_struct("Signature", 1 + usize::from(self.keyid.is_some()))?;
        if let Some(keyid) = &self.keyid {
            st.serialize_field("keyid", keyid)?;
        }
        st.serialize_field("sig", &STANDARD.encode(&self.sig))?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Envelope {
    /// Reads an envelope embedded in a larger document, with the default
    /// signature limit; bounding the document's size is the caller's job
    /// (for a standalone envelope use [`Envelope::from_json`]).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let overflow = Cell::new(false);
        let wire = EnvelopeSeed {
            max_signatures: Limits::DEFAULT.max_signatures,
            overflow: &overflow,
        }
        .deserialize(deserializer)?;
        Envelope::from_wire(wire).map_err(de::Error::custom)
    }
}

/// The envelope's fields as JSON text, before base64 decoding.
struct WireEnvelope {
    payload: String,
    payload_type: String,
    signatures: Vec<WireSignature>,
}

#[derive(Deserialize)]
struct WireSignature {
    // Null and absent are both "unset".
    #[serde(default)]
    keyid: Option<String>,
    sig: String,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Field {
    Payload,
    PayloadType,
    Signatures,
    #[serde(other)]
    Unknown,
}

/// Reads the envelope object, counting signatures as they are read so a
/// huge array is refused before it is held in memory.
struct EnvelopeSeed<'a> {
    max_signatures: usize,
    overflow: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = WireEnvelope;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<WireEnvelope, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = WireEnvelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a DSSE envelope object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireEnvelope, A::Error> {
        let mut payload = None;
        let mut payload_type = None;
        let mut signatures = None;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Payload if payload.is_some() => {
                    return Err(de::Error::duplicate_field("payload"));
                }
                Field::Payload => payload = Some(map.next_value::<String>()?),
                Field::PayloadType if payload_type.is_some() => {
                    return Err(de::Error::duplicate_field("payloadType"));
                }
                Field::PayloadType => payload_type = Some(map.next_value::<String>()?),
                Field::Signatures if signatures.is_some() => {
                    return Err(de::Error::duplicate_field("signatures"));
                }
                Field::Signatures => {
                    signatures = Some(map.next_value_seed(SignaturesSeed {
                        max: self.max_signatures,
                        overflow: self.overflow,
                    })?);
                }
                Field::Unknown => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(WireEnvelope {
            payload: payload.ok_or_else(|| de::Error::missing_field("payload"))?,
            payload_type: payload_type.ok_or_else(|| de::Error::missing_field("payloadType"))?,
            signatures: signatures.ok_or_else(|| de::Error::missing_field("signatures"))?,
        })
    }
}

struct SignaturesSeed<'a> {
    max: usize,
    overflow: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for SignaturesSeed<'_> {
    type Value = Vec<WireSignature>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<WireSignature>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SignaturesSeed<'_> {
    type Value = Vec<WireSignature>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of DSSE signatures")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<WireSignature>, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element::<WireSignature>()? {
            if out.len() == self.max {
                self.overflow.set(true);
                return Err(de::Error::custom(format_args!(
                    "more than {} signatures",
                    self.max
                )));
            }
            out.push(s);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_of_the_spec_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
        // Lengths count bytes, not characters.
        assert_eq!(pae("é", b"\xff"), b"DSSEv1 2 \xc3\xa9 1 \xff");
    }

    #[test]
    fn base64_alphabets_and_padding() {
        assert_eq!(decode_base64("aGVsbG8gd29ybGQ=").unwrap(), b"hello world");
        assert_eq!(decode_base64("aGVsbG8gd29ybGQ").unwrap(), b"hello world");
        assert_eq!(decode_base64("-_8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("+_8=").is_err());
        assert!(decode_base64("aGVs bG8=").is_err());
        assert!(decode_base64("aGVsbG8=\n").is_err());
        // Non-zero trailing bits would give a second spelling of the same bytes.
        assert!(decode_base64("aGVsbG9=").is_err());
    }

    #[test]
    fn json_strings_are_escaped_like_serde_json() {
        for s in [
            "plain",
            "q\"b\\s",
            "\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}",
            "é😀",
            "",
        ] {
            let mut out = String::new();
            push_json_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap());
        }
    }
}
