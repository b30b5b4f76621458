//! Sigstore bundles (`*.sigstore.json`), read but not yet verified.

use std::fmt;

use serde::Deserialize;

use crate::error::{Error, Input};

/// Largest bundle read. A bundle holds one signature, a certificate chain,
/// a few log entries and timestamps, or a DSSE envelope whose statement
/// lists the artifact's subjects; large SBOM attestations stay well within.
pub const MAX_BUNDLE: usize = 16 << 20;

/// The bundle format versions vouch-sigstore reads, by media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`.
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`.
    V0_2,
    /// `application/vnd.dev.sigstore.bundle.v0.3+json`, or its first
    /// spelling `application/vnd.dev.sigstore.bundle+json;version=0.3`
    /// (which the protobuf-specs named before 0.3 settled, and which
    /// sigstore clients still write and accept).
    V0_3,
}

impl BundleVersion {
    /// The version from a bundle's `mediaType`, if it is one vouch-sigstore reads.
    fn from_media_type(media_type: &str) -> Option<Self> {
        Some(match media_type {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => BundleVersion::V0_1,
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => BundleVersion::V0_2,
            "application/vnd.dev.sigstore.bundle.v0.3+json"
            | "application/vnd.dev.sigstore.bundle+json;version=0.3" => BundleVersion::V0_3,
            _ => return None,
        })
    }
}

impl fmt::Display for BundleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BundleVersion::V0_1 => "0.1",
            BundleVersion::V0_2 => "0.2",
            BundleVersion::V0_3 => "0.3",
        })
    }
}

/// A Sigstore bundle: a signature (over the artifact, or a DSSE envelope),
/// the signer's certificate or a hint to their key, transparency log
/// entries and RFC 3161 timestamps. Nothing in it is trusted until
/// [`verify`](crate::verify) says so.
#[derive(Clone)]
pub struct Bundle {
    inner: sigstore_verify::types::Bundle,
    version: BundleVersion,
}

/// The one field read before the whole bundle, so that an unknown version
/// is refused by name rather than as a parse error somewhere inside.
#[derive(Deserialize)]
struct MediaTypeOnly {
    #[serde(rename = "mediaType")]
    media_type: String,
}

impl Bundle {
    /// Parses a bundle of at most [`MAX_BUNDLE`] bytes, of version 0.1, 0.2
    /// or 0.3.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_BUNDLE {
            return Err(Error::TooLarge {
                what: Input::Bundle,
                len: bytes.len(),
                max: MAX_BUNDLE,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| Error::Bundle(Box::new(e)))?;
        let head: MediaTypeOnly =
            serde_json::from_str(text).map_err(|e| Error::Bundle(Box::new(e)))?;
        let version = BundleVersion::from_media_type(&head.media_type)
            .ok_or(Error::MediaType(head.media_type))?;
        let inner = sigstore_verify::types::Bundle::from_json(text)
            .map_err(|e| Error::Bundle(Box::new(e)))?;
        Ok(Bundle { inner, version })
    }

    /// The bundle format version.
    pub fn version(&self) -> BundleVersion {
        self.version
    }

    /// Whether the bundle's verification material is a Fulcio certificate
    /// or chain (keyless) rather than a hint to a key the verifier must
    /// supply. (An empty chain still counts: it is refused as malformed.)
    pub fn has_certificate(&self) -> bool {
        !matches!(
            self.inner.verification_material.content,
            sigstore_verify::types::bundle::VerificationMaterialContent::PublicKey(_)
        )
    }

    /// The parsed bundle.
    pub(crate) fn inner(&self) -> &sigstore_verify::types::Bundle {
        &self.inner
    }
}

impl fmt::Debug for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle")
            .field("version", &self.version)
            .field("has_certificate", &self.has_certificate())
            .field(
                "tlog_entries",
                &self.inner.verification_material.tlog_entries.len(),
            )
            .finish_non_exhaustive()
    }
}
