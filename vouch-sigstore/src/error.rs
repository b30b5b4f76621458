//! The one error type of vouch-sigstore.
//!
//! sigstore-verify says *what kind* of check failed through its error enum
//! and the detail in strings. Each variant here names the check (the
//! certificate, the log entry, the timestamp, the signature, the signer) and
//! keeps sigstore-verify's error as its source, so a caller can match on
//! the kind and a person reads the detail in the cause chain
//! ([`vouch_core::text::error_chain`]).

use std::fmt;

/// A cause kept as the source of a variant: sigstore-verify's own error,
/// boxed so that its types are not part of vouch-sigstore's API.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// What a size limit or a parse error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// The trusted root (`trusted_root.json`).
    TrustedRoot,
    /// The Sigstore bundle (`*.sigstore.json`).
    Bundle,
    /// The expected signer's public key (PEM).
    PublicKey,
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Input::TrustedRoot => "the trusted root",
            Input::Bundle => "the Sigstore bundle",
            Input::PublicKey => "the public key",
        })
    }
}

/// Why a trusted root, a bundle or a key was not read, or why a bundle was
/// not verified.
///
/// [`Error::is_input`] tells the two apart: an unreadable trusted root or
/// key is the caller's input to fix; everything else is about the bundle,
/// which is the signed data under test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input is larger than vouch-sigstore reads; nothing was parsed.
    #[error("{what} is {len} bytes, more than the {max} bytes vouch-sigstore reads")]
    TooLarge {
        /// Which input.
        what: Input,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The trusted root is not valid JSON of a Sigstore trusted root, or its
    /// keys, certificates or validity windows are unusable.
    #[error("the trusted root is not a usable Sigstore trusted root")]
    TrustedRoot(#[source] Cause),
    /// The public key is not a PEM `SubjectPublicKeyInfo` of a key type
    /// Sigstore verifies with.
    #[error("the public key is not a usable PEM public key")]
    PublicKey(#[source] Cause),
    /// The bundle's media type is not one of the Sigstore bundle versions
    /// 0.1, 0.2 or 0.3.
    #[error("unsupported Sigstore bundle media type {0:?}")]
    MediaType(String),
    /// The bundle is not valid JSON of a Sigstore bundle, or it is
    /// malformed or internally inconsistent.
    #[error("the Sigstore bundle is malformed")]
    Bundle(#[source] Cause),
    /// The bundle is well formed but uses content, key types or log entry
    /// kinds that cannot be verified.
    #[error("the Sigstore bundle uses something that cannot be verified")]
    Unsupported(#[source] Cause),
    /// The expectation is a key but the bundle is signed with a certificate,
    /// or the other way round.
    #[error("expected a bundle signed {expected}, but it is signed {actual}")]
    WrongKind {
        /// "with a certificate" or "with a key".
        expected: &'static str,
        /// What the bundle holds.
        actual: &'static str,
    },
    /// The certificate's subject alternative name is not the expected one.
    #[error("the certificate is for {}, not for the expected identity {expected:?}",
        .actual.as_deref().map_or_else(|| "no identity".to_owned(), |a| format!("{a:?}")))]
    IdentityMismatch {
        /// The identity the caller expected.
        expected: String,
        /// The certificate's SAN, if it has one.
        actual: Option<String>,
    },
    /// The certificate's OIDC issuer is not the expected one.
    #[error("the certificate's OIDC issuer is {}, not the expected {expected:?}",
        .actual.as_deref().map_or_else(|| "absent".to_owned(), |a| format!("{a:?}")))]
    IssuerMismatch {
        /// The issuer the caller expected.
        expected: String,
        /// The certificate's issuer, if it has one.
        actual: Option<String>,
    },
    /// A workload claim of the certificate (its source repository) is not
    /// the expected one.
    #[error("the certificate's {claim} is {}, not the expected {expected:?}",
        .actual.as_deref().map_or_else(|| "absent".to_owned(), |a| format!("{a:?}")))]
    ClaimMismatch {
        /// Which claim.
        claim: crate::Claim,
        /// The value the caller expected.
        expected: String,
        /// The certificate's value, if it has the claim.
        actual: Option<String>,
    },
    /// The signing certificate does not chain to a trusted Fulcio authority,
    /// was not valid at the proven signing time, or its SCT is invalid.
    #[error("the signing certificate was refused")]
    Certificate(#[source] Cause),
    /// A transparency log entry was refused: unknown log, bad inclusion
    /// proof, checkpoint or promise, integrated time out of bounds, or an
    /// entry that does not describe this bundle.
    #[error("the transparency log evidence was refused")]
    TransparencyLog(#[source] Cause),
    /// An RFC 3161 timestamp was refused, or no time could be proven.
    #[error("the timestamp evidence was refused")]
    Timestamp(#[source] Cause),
    /// The signature does not verify with the signing key.
    #[error("the signature does not verify")]
    Signature(#[source] Cause),
    /// The bundle does not describe this artifact: its digest, or the DSSE
    /// statement's subjects, name other bytes.
    #[error("the bundle does not describe this artifact")]
    ArtifactMismatch(#[source] Cause),
    /// The artifact was given in a form this bundle cannot be verified
    /// with (a digest where the signature scheme needs the bytes).
    #[error("the artifact cannot be verified in the form given")]
    ArtifactForm(#[source] Cause),
}

impl Error {
    /// Whether this is about the caller's own input (an oversized or
    /// unusable trusted root or public key) rather than the bundle: a
    /// command line reports the first as a usage error, the second as a
    /// refusal.
    pub fn is_input(&self) -> bool {
        match self {
            Error::TooLarge { what, .. } => *what != Input::Bundle,
            Error::TrustedRoot(_) | Error::PublicKey(_) | Error::ArtifactForm(_) => true,
            _ => false,
        }
    }

    /// Maps sigstore-verify's error onto the check it names.
    pub(crate) fn from_verify(e: sigstore_verify::Error) -> Self {
        use sigstore_verify::Error as E;
        match e {
            E::IdentityMismatch { expected, actual } => Error::IdentityMismatch {
                expected: expected.to_string(),
                actual: actual.map(|a| a.as_str().to_owned()),
            },
            E::IssuerMismatch { expected, actual } => Error::IssuerMismatch { expected, actual },
            e @ E::SignatureInvalid(_) => Error::Signature(Box::new(e)),
            e @ E::ArtifactMismatch(_) => Error::ArtifactMismatch(Box::new(e)),
            e @ E::UnsupportedArtifact(_) => Error::ArtifactForm(Box::new(e)),
            e @ E::Certificate(_) => Error::Certificate(Box::new(e)),
            e @ E::TransparencyLog(_) => Error::TransparencyLog(Box::new(e)),
            e @ E::Timestamp(_) => Error::Timestamp(Box::new(e)),
            e @ E::UnsupportedBundle(_) => Error::Unsupported(Box::new(e)),
            e @ (E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_)) => {
                Error::TrustedRoot(Box::new(e))
            }
            // Crypto errors come from parsing the bundle's certificate, key
            // or signature encodings; everything left describes a malformed
            // or inconsistent bundle.
            e => Error::Bundle(Box::new(e)),
        }
    }
}
