//! Signatures, hardware evidence and their pure verification.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::key::{Algorithm, KeyId, Material, PublicKey};
use crate::provider::CryptoProvider;

/// A signature value with its algorithm and, when hardware made it, the
/// evidence that describes how.
///
/// For both algorithms the value is 64 bytes: Ed25519's `R || S`, and for
/// ES256 the fixed-width `r || s` (IEEE P1363) that COSE uses. DER-encoded
/// ECDSA signatures are converted with [`Signature::from_es256_der`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    algorithm: Algorithm,
    #[serde(with = "crate::cbor::hex_or_bytes")]
    value: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
}

impl Signature {
    /// A signature value of the given algorithm, checked for length.
    pub fn new(algorithm: Algorithm, value: &[u8]) -> Result<Self, VerifyError> {
        if value.len() != algorithm.signature_len() {
            return Err(VerifyError::SignatureLength {
                algorithm,
                expected: algorithm.signature_len(),
                actual: value.len(),
            });
        }
        Ok(Signature {
            algorithm,
            value: value.to_vec(),
            evidence: None,
        })
    }

    /// An ES256 signature from its ASN.1 DER encoding (as X.509, DSSE and
    /// cosign write it). The DER must be strict; the result is raw `r || s`.
    pub fn from_es256_der(der: &[u8]) -> Result<Self, VerifyError> {
        let sig = p256::ecdsa::Signature::from_der(der)
            .map_err(|_| VerifyError::MalformedSignature(Algorithm::Es256))?;
        Signature::new(Algorithm::Es256, &sig.to_bytes())
    }

    /// Attaches hardware evidence.
    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = Some(evidence);
        self
    }

    /// The algorithm this signature claims.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw signature value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The hardware evidence carried with the signature, if any.
    pub fn evidence(&self) -> Option<&Evidence> {
        self.evidence.as_ref()
    }

    /// The ES256 value as ASN.1 DER; `None` for other algorithms.
    pub fn to_es256_der(&self) -> Option<Vec<u8>> {
        if self.algorithm != Algorithm::Es256 {
            return None;
        }
        let sig = p256::ecdsa::Signature::from_slice(&self.value).ok()?;
        Some(sig.to_der().as_bytes().to_vec())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature")
            .field("algorithm", &self.algorithm)
            .field("value", &hex::encode(&self.value))
            .field("evidence", &self.evidence)
            .finish()
    }
}

/// How hardware took part in making a signature.
///
/// Evidence is data, not a verdict: [`PublicKey::verify`] checks that the
/// signature covers it, and policy (in vouch-chain) decides what it requires.
/// The TPM key attestation joins this enum with its issue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Evidence {
    /// A FIDO authenticator signed: the signature covers authenticator data
    /// (flags and counter) and a hash of the message.
    Fido(FidoAssertion),
}

/// Authenticator data of a FIDO assertion, as OpenSSH security keys and
/// CTAP2 authenticators produce it.
///
/// The authenticator signs
/// `SHA-256(application) || flags || counter (u32 BE) || extensions || SHA-256(message)`:
/// the layout of WebAuthn authenticator data followed by the client data
/// hash, which OpenSSH's `sk-` signatures use with the message hash in place
/// of the client data hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FidoAssertion {
    /// The application (relying party id) the credential is scoped to, such as `ssh:`.
    pub application: String,
    /// The authenticator data flags.
    pub flags: AuthenticatorFlags,
    /// The signature counter.
    pub counter: u32,
    /// Raw CBOR extension outputs (empty when the ED flag is clear).
    #[serde(
        with = "crate::cbor::hex_or_bytes",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub extensions: Vec<u8>,
    /// Set when the authenticator signed the SSHSIG wrapper of the message
    /// rather than its hash: a security key driven through OpenSSH's
    /// `ssh-keygen -Y sign`, which is how vouch reaches every device
    /// OpenSSH supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sshsig: Option<SshSigWrap>,
}

/// The SSHSIG wrapping of a message an authenticator signed through
/// OpenSSH: it hashed `"SSHSIG" || namespace || "" || hash || H(message)`
/// (PROTOCOL.sshsig) where a CTAP2 client would hash the message. Valid
/// only in [`STATEMENT_NAMESPACE`], so that no SSHSIG made for another
/// purpose (a git commit, a file) counts as a statement signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshSigWrap {
    /// The SSHSIG namespace.
    pub namespace: String,
    /// The hash applied to the message inside the wrapper.
    pub hash: crate::sshsig::HashAlgorithm,
}

/// The SSHSIG namespace in which a FIDO key signs vouch statements
/// through OpenSSH.
pub const STATEMENT_NAMESPACE: &str = "statement@vouch.dev";

impl FidoAssertion {
    /// Authenticator data without extensions.
    pub fn new(application: &str, flags: AuthenticatorFlags, counter: u32) -> Self {
        FidoAssertion {
            application: application.to_owned(),
            flags,
            counter,
            extensions: Vec::new(),
            sshsig: None,
        }
    }

    /// Marks the assertion as made over the SSHSIG wrapper of the message.
    pub fn with_sshsig(mut self, wrap: SshSigWrap) -> Self {
        self.sshsig = Some(wrap);
        self
    }

    /// What the authenticator hashed as the message: `message` itself, or
    /// its SSHSIG wrapper.
    fn authenticated_message<'m>(&self, message: &'m [u8]) -> std::borrow::Cow<'m, [u8]> {
        match &self.sshsig {
            None => std::borrow::Cow::Borrowed(message),
            Some(w) => std::borrow::Cow::Owned(crate::sshsig::signed_data(
                &w.namespace,
                w.hash,
                &w.hash.digest(message),
            )),
        }
    }

    /// With raw CBOR extension outputs.
    pub fn with_extensions(mut self, extensions: Vec<u8>) -> Self {
        self.extensions = extensions;
        self
    }

    /// The bytes the authenticator actually signs for `message`.
    pub fn signed_data(&self, message: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(69 + self.extensions.len());
        out.extend_from_slice(Digest::sha256(self.application.as_bytes()).as_bytes());
        out.push(self.flags.0);
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(&self.extensions);
        out.extend_from_slice(Digest::sha256(&self.authenticated_message(message)).as_bytes());
        out
    }
}

/// The flags byte of FIDO authenticator data (WebAuthn §6.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuthenticatorFlags(pub u8);

impl AuthenticatorFlags {
    /// UP: a person touched the authenticator.
    pub const USER_PRESENT: u8 = 0x01;
    /// UV: the authenticator verified the person (PIN, biometric).
    pub const USER_VERIFIED: u8 = 0x04;

    /// Whether the user-present bit is set.
    pub fn user_present(self) -> bool {
        self.0 & Self::USER_PRESENT != 0
    }

    /// Whether the user-verified bit is set.
    pub fn user_verified(self) -> bool {
        self.0 & Self::USER_VERIFIED != 0
    }
}

impl fmt::Debug for AuthenticatorFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthenticatorFlags({:#04x}, up={}, uv={})",
            self.0,
            self.user_present(),
            self.user_verified()
        )
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature claims a different algorithm than the key has.
    #[error("key {key_id} is {key} but the signature claims {signature}")]
    AlgorithmMismatch {
        /// The key.
        key_id: KeyId,
        /// The key's algorithm.
        key: Algorithm,
        /// What the signature or header claimed.
        signature: Algorithm,
    },
    /// The signature value has the wrong length.
    #[error("{algorithm} signature must be {expected} bytes, got {actual}")]
    SignatureLength {
        /// The algorithm.
        algorithm: Algorithm,
        /// Expected length.
        expected: usize,
        /// Length found.
        actual: usize,
    },
    /// The signature value is not a valid encoding (e.g. r or s out of range, bad DER).
    #[error("malformed {0} signature value")]
    MalformedSignature(Algorithm),
    /// The key is a FIDO key but the signature carries no FIDO evidence.
    #[error("key {0} is a FIDO security key but the signature has no authenticator data")]
    MissingFidoEvidence(KeyId),
    /// The signature carries FIDO evidence but the key is no FIDO security
    /// key (it has no FIDO application), so the evidence cannot be its own.
    #[error("key {0} is not a FIDO security key but the signature carries FIDO authenticator data")]
    UnexpectedFidoEvidence(KeyId),
    /// A FIDO signature made through OpenSSH in another SSHSIG namespace
    /// than vouch's statement namespace.
    #[error(
        "FIDO signature by key {key_id} was made through ssh-keygen in namespace {found:?}, not {STATEMENT_NAMESPACE:?}"
    )]
    SshSigNamespace {
        /// The key.
        key_id: KeyId,
        /// The namespace it names.
        found: String,
    },
    /// The FIDO evidence names another application than the key is bound to.
    #[error("FIDO application {found:?} does not match key {key_id} bound to {expected:?}")]
    FidoApplicationMismatch {
        /// The key.
        key_id: KeyId,
        /// The key's application.
        expected: String,
        /// The evidence's application.
        found: String,
    },
    /// The cryptographic check failed.
    #[error("signature by key {0} does not verify")]
    BadSignature(KeyId),
}

impl PublicKey {
    /// Verifies `signature` over `message` with this key, using the default
    /// [`CryptoProvider`] (see [`CryptoProvider::get_default`]).
    ///
    /// The key's own algorithm decides how: a signature claiming another
    /// algorithm is refused before any arithmetic. Ed25519 follows vouch's
    /// cofactored rule with canonical `S` and `R` (see
    /// [`provider`](crate::provider)), so no signature has a second valid
    /// encoding and single and batch verification agree. ES256 accepts any
    /// valid `s`, high or low, as standard ECDSA does; vouch's own signers
    /// always produce low-S.
    /// A FIDO key (one with a [`fido_application`](PublicKey::fido_application))
    /// requires FIDO evidence for exactly its own application, and the bytes
    /// checked are then the authenticator's (see [`FidoAssertion::signed_data`]).
    /// Any other key refuses a signature carrying FIDO evidence
    /// ([`VerifyError::UnexpectedFidoEvidence`]): user presence is a property
    /// of the key type, never of what a signature claims about itself.
    ///
    /// Verification allocates nothing beyond what the provider needs (a FIDO
    /// assertion with extensions excepted).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), VerifyError> {
        self.verify_with(CryptoProvider::get_default(), message, signature)
    }

    /// [`verify`](PublicKey::verify) with an explicit provider.
    ///
    /// ```
    /// use ed25519_dalek::Signer as _;
    /// use vouch_core::{Algorithm, PublicKey, Signature, provider};
    ///
    /// let sk = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    /// let key = PublicKey::ed25519(sk.verifying_key().as_bytes()).unwrap();
    /// let sig = Signature::new(Algorithm::Ed25519, &sk.sign(b"m").to_bytes()).unwrap();
    /// assert_eq!(key.verify_with(&provider::rust::PROVIDER, b"m", &sig), Ok(()));
    /// ```
    pub fn verify_with(
        &self,
        provider: &CryptoProvider,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), VerifyError> {
        let signed = self.signed_bytes(provider, message, signature)?;
        self.verify_raw_with(provider, signed.as_ref(), &signature.value)
    }

    /// Decides the key kind and evidence pairing, and returns the bytes the
    /// signature must cover: the message, or the FIDO authenticator's data.
    pub(crate) fn signed_bytes<'m>(
        &self,
        provider: &CryptoProvider,
        message: &'m [u8],
        signature: &Signature,
    ) -> Result<SignedBytes<'m>, VerifyError> {
        if signature.algorithm != self.algorithm() {
            return Err(VerifyError::AlgorithmMismatch {
                key_id: self.key_id(),
                key: self.algorithm(),
                signature: signature.algorithm,
            });
        }
        // Exhaustive on purpose, with no catch-all: every pairing of key kind
        // and evidence is decided here, and a new kind of evidence must be
        // decided explicitly before it compiles.
        match (self.fido_application(), signature.evidence.as_ref()) {
            (None, None) => Ok(SignedBytes::Message(message)),
            // FIDO evidence on a key that is no FIDO key would let a plain key
            // claim user presence; it is refused, never ignored.
            (None, Some(Evidence::Fido(_))) => {
                Err(VerifyError::UnexpectedFidoEvidence(self.key_id()))
            }
            (Some(_), None) => Err(VerifyError::MissingFidoEvidence(self.key_id())),
            (Some(expected), Some(Evidence::Fido(a))) => {
                if a.application != expected {
                    return Err(VerifyError::FidoApplicationMismatch {
                        key_id: self.key_id(),
                        expected: expected.to_owned(),
                        found: a.application.clone(),
                    });
                }
                if let Some(w) = &a.sshsig
                    && w.namespace != STATEMENT_NAMESPACE
                {
                    return Err(VerifyError::SshSigNamespace {
                        key_id: self.key_id(),
                        found: w.namespace.clone(),
                    });
                }
                Ok(a.signed_bytes(provider.sha256, message))
            }
        }
    }

    /// Verifies a raw signature value over exactly `signed`, with no
    /// evidence handling, with the default provider.
    #[cfg(test)]
    pub(crate) fn verify_raw(&self, signed: &[u8], value: &[u8]) -> Result<(), VerifyError> {
        self.verify_raw_with(CryptoProvider::get_default(), signed, value)
    }

    /// Verifies a raw signature value over exactly `signed`: the checks
    /// above the provider (length, Ed25519 encodings), then the provider.
    pub(crate) fn verify_raw_with(
        &self,
        provider: &CryptoProvider,
        signed: &[u8],
        value: &[u8],
    ) -> Result<(), VerifyError> {
        let alg = self.algorithm();
        let value: &[u8; 64] = value.try_into().map_err(|_| VerifyError::SignatureLength {
            algorithm: alg,
            expected: alg.signature_len(),
            actual: value.len(),
        })?;
        let ok = match self.material() {
            Material::Ed25519(public) => {
                // Byte-level checks every provider gets: S < ℓ, R canonical.
                // A refusal here is a bad signature, as in verify_strict.
                crate::ed25519::signature_is_canonical(value)
                    && provider.ed25519.verify(public, signed, value)
            }
            Material::P256(public) => {
                // r and s in [1, n): out of range is a malformed value.
                if p256::ecdsa::Signature::from_slice(value).is_err() {
                    return Err(VerifyError::MalformedSignature(alg));
                }
                provider.es256.verify(public, signed, value)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(VerifyError::BadSignature(self.key_id()))
        }
    }

    /// The Ed25519 point, for batches.
    pub(crate) fn ed25519_point(&self) -> Option<&[u8; 32]> {
        match self.material() {
            Material::Ed25519(public) => Some(public),
            Material::P256(_) => None,
        }
    }
}

/// The bytes a signature covers, without allocating in the common cases.
pub(crate) enum SignedBytes<'m> {
    /// The message itself.
    Message(&'m [u8]),
    /// FIDO authenticator data without extensions and the message hash.
    Fido([u8; FIDO_SHORT_LEN]),
    /// FIDO authenticator data with extensions.
    FidoExtended(Vec<u8>),
}

/// `SHA-256(application) || flags || counter || SHA-256(message)`.
const FIDO_SHORT_LEN: usize = 32 + 1 + 4 + 32;

impl AsRef<[u8]> for SignedBytes<'_> {
    fn as_ref(&self) -> &[u8] {
        match self {
            SignedBytes::Message(m) => m,
            SignedBytes::Fido(b) => b,
            SignedBytes::FidoExtended(v) => v,
        }
    }
}

impl FidoAssertion {
    /// [`signed_data`](FidoAssertion::signed_data) with the provider's hash,
    /// on the stack when there are no extensions.
    fn signed_bytes<'m>(&self, sha256: fn(&[u8]) -> [u8; 32], message: &[u8]) -> SignedBytes<'m> {
        let app = sha256(self.application.as_bytes());
        let msg = sha256(&self.authenticated_message(message));
        if self.extensions.is_empty() {
            let mut out = [0u8; FIDO_SHORT_LEN];
            out[..32].copy_from_slice(&app);
            out[32] = self.flags.0;
            out[33..37].copy_from_slice(&self.counter.to_be_bytes());
            out[37..].copy_from_slice(&msg);
            SignedBytes::Fido(out)
        } else {
            let mut out = Vec::with_capacity(FIDO_SHORT_LEN + self.extensions.len());
            out.extend_from_slice(&app);
            out.push(self.flags.0);
            out.extend_from_slice(&self.counter.to_be_bytes());
            out.extend_from_slice(&self.extensions);
            out.extend_from_slice(&msg);
            SignedBytes::FidoExtended(out)
        }
    }
}

/// The RustCrypto verifier trait, so generic code over `signature::Keypair`
/// (e.g. `vouch_keys::FileKey`, whose verifying key is a [`PublicKey`]) can verify.
impl signature::Verifier<Signature> for PublicKey {
    fn verify(&self, msg: &[u8], signature: &Signature) -> Result<(), signature::Error> {
        PublicKey::verify(self, msg, signature).map_err(signature::Error::from_source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer as _;

    fn ed_key(seed: u8) -> (ed25519_dalek::SigningKey, PublicKey) {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
        (sk, pk)
    }

    #[test]
    fn algorithm_is_fixed_by_the_key() {
        let (sk, pk) = ed_key(1);
        let value = sk.sign(b"m").to_bytes();
        let ok = Signature::new(Algorithm::Ed25519, &value).unwrap();
        assert_eq!(pk.verify(b"m", &ok), Ok(()));
        let lie = Signature::new(Algorithm::Es256, &value).unwrap();
        assert!(matches!(
            pk.verify(b"m", &lie),
            Err(VerifyError::AlgorithmMismatch { .. })
        ));
        assert_eq!(
            pk.verify(b"n", &ok),
            Err(VerifyError::BadSignature(pk.key_id()))
        );
    }

    /// A security key signing through `ssh-keygen -Y sign`: its assertion
    /// covers the SSHSIG wrapper of the message, in vouch's namespace only.
    #[test]
    fn an_assertion_over_the_sshsig_wrapper_verifies_in_the_statement_namespace_only() {
        let (sk, pk) = ed_key(4);
        let pk = pk.with_fido_application("ssh:").unwrap();
        let sign = |namespace: &str, hash| {
            let a = FidoAssertion::new(
                "ssh:",
                AuthenticatorFlags(AuthenticatorFlags::USER_PRESENT),
                9,
            )
            .with_sshsig(SshSigWrap {
                namespace: namespace.to_owned(),
                hash,
            });
            // What the authenticator signs: OpenSSH's sk- layout over T.
            let t = crate::sshsig::signed_data(namespace, hash, &hash.digest(b"statement"));
            let mut data = Digest::sha256(b"ssh:").as_bytes().to_vec();
            data.push(AuthenticatorFlags::USER_PRESENT);
            data.extend_from_slice(&9u32.to_be_bytes());
            data.extend_from_slice(Digest::sha256(&t).as_bytes());
            assert_eq!(a.signed_data(b"statement"), data);
            let value = sk.sign(&data).to_bytes();
            Signature::new(Algorithm::Ed25519, &value)
                .unwrap()
                .with_evidence(Evidence::Fido(a))
        };
        let ok = sign(STATEMENT_NAMESPACE, crate::sshsig::HashAlgorithm::Sha256);
        assert_eq!(pk.verify(b"statement", &ok), Ok(()));
        assert!(pk.verify(b"another statement", &ok).is_err());
        // A commit signature (namespace git) is no statement signature.
        let git = sign("git", crate::sshsig::HashAlgorithm::Sha512);
        assert!(matches!(
            pk.verify(b"statement", &git),
            Err(VerifyError::SshSigNamespace { .. })
        ));
        // The wrapper is part of what is signed: another hash fails.
        let mut lie = ok.clone();
        if let Some(Evidence::Fido(a)) = &mut lie.evidence {
            a.sshsig = Some(SshSigWrap {
                namespace: STATEMENT_NAMESPACE.into(),
                hash: crate::sshsig::HashAlgorithm::Sha512,
            });
        }
        assert!(pk.verify(b"statement", &lie).is_err());
        // And dropping it too.
        let mut bare = ok;
        if let Some(Evidence::Fido(a)) = &mut bare.evidence {
            a.sshsig = None;
        }
        assert!(pk.verify(b"statement", &bare).is_err());
    }

    #[test]
    fn malleated_ed25519_is_refused() {
        let (sk, pk) = ed_key(2);
        let mut value = sk.sign(b"m").to_bytes();
        // S + L is the classic malleation; strict verification refuses S >= L.
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for i in 0..32 {
            let s = u16::from(value[32 + i]) + u16::from(l[i]) + carry;
            value[32 + i] = s as u8;
            carry = s >> 8;
        }
        let sig = Signature::new(Algorithm::Ed25519, &value).unwrap();
        assert!(pk.verify(b"m", &sig).is_err());
    }

    #[test]
    fn fido_evidence_is_covered_by_the_signature() {
        let (sk, pk) = ed_key(3);
        let pk = pk.with_fido_application("ssh:").unwrap();
        let a = FidoAssertion::new(
            "ssh:",
            AuthenticatorFlags(AuthenticatorFlags::USER_PRESENT),
            7,
        );
        let value = sk.sign(&a.signed_data(b"msg")).to_bytes();
        let sig = Signature::new(Algorithm::Ed25519, &value)
            .unwrap()
            .with_evidence(Evidence::Fido(a.clone()));
        assert_eq!(pk.verify(b"msg", &sig), Ok(()));
        // Clearing the UP flag after the fact breaks the signature.
        let mut forged = a.clone();
        forged.flags = AuthenticatorFlags(0);
        let bad = Signature::new(Algorithm::Ed25519, &value)
            .unwrap()
            .with_evidence(Evidence::Fido(forged));
        assert!(matches!(
            pk.verify(b"msg", &bad),
            Err(VerifyError::BadSignature(_))
        ));
        let bare = Signature::new(Algorithm::Ed25519, &value).unwrap();
        assert!(matches!(
            pk.verify(b"msg", &bare),
            Err(VerifyError::MissingFidoEvidence(_))
        ));
        let mut other_app = a;
        other_app.application = "web:".into();
        let wrong = Signature::new(Algorithm::Ed25519, &value)
            .unwrap()
            .with_evidence(Evidence::Fido(other_app));
        assert!(matches!(
            pk.verify(b"msg", &wrong),
            Err(VerifyError::FidoApplicationMismatch { .. })
        ));
    }

    fn up_uv(application: &str) -> FidoAssertion {
        FidoAssertion::new(
            application,
            AuthenticatorFlags(
                AuthenticatorFlags::USER_PRESENT | AuthenticatorFlags::USER_VERIFIED,
            ),
            1,
        )
    }

    #[test]
    fn fido_evidence_on_a_plain_ed25519_key_is_refused() {
        let (sk, pk) = ed_key(4);
        assert_eq!(pk.fido_application(), None);
        let a = up_uv("ssh:");
        // A valid signature over exactly the bytes an authenticator would sign:
        // only the missing FIDO key type may refuse it.
        let value = sk.sign(&a.signed_data(b"msg")).to_bytes();
        let raw = Signature::new(Algorithm::Ed25519, &value).unwrap();
        assert_eq!(pk.verify_raw(&a.signed_data(b"msg"), raw.value()), Ok(()));
        let sig = raw.with_evidence(Evidence::Fido(a));
        assert_eq!(
            pk.verify(b"msg", &sig),
            Err(VerifyError::UnexpectedFidoEvidence(pk.key_id()))
        );
        // Evidence on a signature that is valid over the message itself is
        // refused as well, not stripped and ignored.
        let plain = sk.sign(b"msg").to_bytes();
        let sig = Signature::new(Algorithm::Ed25519, &plain)
            .unwrap()
            .with_evidence(Evidence::Fido(up_uv("ssh:")));
        assert_eq!(
            pk.verify(b"msg", &sig),
            Err(VerifyError::UnexpectedFidoEvidence(pk.key_id()))
        );
        let msg = VerifyError::UnexpectedFidoEvidence(pk.key_id()).to_string();
        assert!(msg.contains("not a FIDO security key"), "{msg}");
    }

    #[test]
    fn fido_evidence_on_a_plain_p256_key_is_refused() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[11u8; 32]).unwrap();
        let pk = PublicKey::p256_sec1(sk.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
        assert_eq!(pk.fido_application(), None);
        let a = up_uv("ssh:");
        let s: p256::ecdsa::Signature = signature::Signer::sign(&sk, &a.signed_data(b"msg"));
        let raw = Signature::new(Algorithm::Es256, &s.to_bytes()).unwrap();
        assert_eq!(pk.verify_raw(&a.signed_data(b"msg"), raw.value()), Ok(()));
        let sig = raw.with_evidence(Evidence::Fido(a));
        assert_eq!(
            pk.verify(b"msg", &sig),
            Err(VerifyError::UnexpectedFidoEvidence(pk.key_id()))
        );
        // The same key type bound to the application accepts it.
        let fido = pk.with_fido_application("ssh:").unwrap();
        assert_eq!(fido.verify(b"msg", &sig), Ok(()));
    }

    #[test]
    fn der_round_trip() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
        let pk = PublicKey::p256_sec1(sk.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
        let s: p256::ecdsa::Signature = signature::Signer::sign(&sk, b"m");
        let sig = Signature::new(Algorithm::Es256, &s.to_bytes()).unwrap();
        let der = sig.to_es256_der().unwrap();
        assert_eq!(Signature::from_es256_der(&der).unwrap(), sig);
        assert_eq!(pk.verify(b"m", &sig), Ok(()));
    }
}
