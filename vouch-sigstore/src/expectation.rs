//! What the caller expects of a bundle: who signed it, and over what.

use std::fmt;

use vouch_core::Digest;

use crate::error::{Error, Input};

/// Largest PEM public key read (an RSA-4096 key is under 1 KiB).
pub const MAX_PUBLIC_KEY: usize = 64 << 10;

/// The signer a bundle must be from.
///
/// Sigstore's certificates say who a signer is, but any identity can get
/// one: a bundle only means something against the identity the caller
/// expected, so there is no "any signer" expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expectation {
    /// A keyless bundle whose Fulcio certificate names exactly this
    /// subject alternative name (an email address, or a URI such as a
    /// GitHub Actions workflow `https://github.com/OWNER/REPO/.github/workflows/F.yml@refs/heads/main`)
    /// and exactly this OIDC issuer (e.g. `https://token.actions.githubusercontent.com`).
    Identity {
        /// The certificate's SAN, compared byte for byte.
        san: String,
        /// The certificate's OIDC issuer extension, compared byte for byte.
        issuer: String,
    },
    /// A keyless bundle from a CI workload of one source repository, for
    /// provenance made on every release (npm provenance, PyPI attestations,
    /// GitHub artifact attestations), whose SAN names each release's own
    /// tag or branch and so cannot be written down in advance.
    ///
    /// The certificate's OIDC issuer is exactly `issuer`; its
    /// `source-repository-uri` claim is exactly `repository` (a certificate
    /// without the claim, issued to a person, fails); and when `workflow`
    /// is given, its SAN is that workflow at some ref: `{workflow}@` and
    /// then anything, as GitHub Actions and GitLab CI write it
    /// (`https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1`).
    Workload {
        /// The certificate's OIDC issuer extension, compared byte for byte.
        issuer: String,
        /// The certificate's `source-repository-uri`, compared byte for
        /// byte (`https://github.com/OWNER/REPO`).
        repository: String,
        /// The workflow the SAN names, without its `@ref`.
        workflow: Option<String>,
    },
    /// A bundle signed with this key (no certificate).
    Key(PublicKey),
}

/// A public key a bundle may be signed with, as a `SubjectPublicKeyInfo`.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(sigstore_verify::types::DerPublicKey);

impl PublicKey {
    /// Parses a PEM `-----BEGIN PUBLIC KEY-----` block (ECDSA P-256/P-384,
    /// Ed25519 or RSA, as Sigstore verifies with).
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        if pem.len() > MAX_PUBLIC_KEY {
            return Err(Error::TooLarge {
                what: Input::PublicKey,
                len: pem.len(),
                max: MAX_PUBLIC_KEY,
            });
        }
        let der = sigstore_verify::types::DerPublicKey::from_pem(pem)
            .map_err(|e| Error::PublicKey(Box::new(e)))?;
        // Refused now, not at the first bundle: a key of no type Sigstore
        // signs with.
        sigstore_verify::crypto::KeyAlgorithm::from_spki(&der)
            .map_err(|e| Error::PublicKey(Box::new(e)))?;
        Ok(PublicKey(der))
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The key for sigstore-verify.
    pub(crate) fn der(&self) -> &sigstore_verify::types::DerPublicKey {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", Digest::sha256(self.spki_der()))
    }
}

/// The artifact a bundle must be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArtifactRef<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only its digest, for an artifact too large to hold or known by
    /// digest (an image in a registry, a package a lock file names). A
    /// SHA-256 digest is enough for ECDSA signatures and DSSE statements;
    /// a SHA-512 one (an npm `integrity`) for DSSE statements, whose
    /// subjects name it. An Ed25519 signature over the artifact itself
    /// needs the bytes, and is refused with [`Error::ArtifactForm`].
    Digest(Digest),
}

impl ArtifactRef<'_> {
    /// The artifact's digest: the one given, or the SHA-256 of its bytes.
    pub(crate) fn digest(&self) -> Digest {
        match self {
            ArtifactRef::Bytes(b) => Digest::sha256(b),
            ArtifactRef::Digest(d) => *d,
        }
    }
}
