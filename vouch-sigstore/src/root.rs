//! The trusted root: the Fulcio, Rekor, CT log and timestamp authority keys
//! a bundle is verified against, as the caller hands them over.

use std::fmt;

use crate::error::{Error, Input};

/// Largest `trusted_root.json` read. The public-good root is about 10 KiB;
/// a root with many key rotations stays far below this.
pub const MAX_TRUSTED_ROOT: usize = 4 << 20;

/// A Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json`),
/// checked and ready to verify with.
///
/// It is only ever what the caller supplies: vouch-sigstore fetches nothing
/// (no TUF, no network). Where it comes from, and how fresh it is, is the
/// caller's decision.
pub struct TrustedRoot {
    // Built once here, so that malformed keys, certificates, duplicate log
    // ids and reversed validity windows are refused when the root is read,
    // before any bundle.
    verifier: sigstore_verify::Verifier,
    // (log id, base URL) of every transparency log, to name the log of an
    // entry in what a verified bundle reports.
    tlogs: Vec<(Vec<u8>, String)>,
    certificate_authorities: usize,
    timestamp_authorities: usize,
}

impl TrustedRoot {
    /// Parses and checks a trusted root of at most [`MAX_TRUSTED_ROOT`] bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_TRUSTED_ROOT {
            return Err(Error::TooLarge {
                what: Input::TrustedRoot,
                len: bytes.len(),
                max: MAX_TRUSTED_ROOT,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| Error::TrustedRoot(Box::new(e)))?;
        let root = sigstore_verify::trust_root::TrustedRoot::from_json(text)
            .map_err(|e| Error::TrustedRoot(Box::new(e)))?;
        let verifier =
            sigstore_verify::Verifier::new(&root).map_err(|e| Error::TrustedRoot(Box::new(e)))?;
        Ok(TrustedRoot {
            verifier,
            tlogs: root
                .tlogs
                .iter()
                .map(|t| (t.log_id.key_id.as_bytes().to_vec(), t.base_url.clone()))
                .collect(),
            certificate_authorities: root.certificate_authorities.len(),
            timestamp_authorities: root.timestamp_authorities.len(),
        })
    }

    /// The base URL of the transparency log with this id.
    pub(crate) fn log_url(&self, log_id: &[u8]) -> Option<&str> {
        self.tlogs
            .iter()
            .find(|(id, _)| id == log_id)
            .map(|(_, url)| url.as_str())
    }

    /// The verifier built from this root.
    pub(crate) fn verifier(&self) -> &sigstore_verify::Verifier {
        &self.verifier
    }
}

impl fmt::Debug for TrustedRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedRoot")
            .field("tlogs", &self.tlogs.len())
            .field("certificate_authorities", &self.certificate_authorities)
            .field("timestamp_authorities", &self.timestamp_authorities)
            .finish_non_exhaustive()
    }
}
