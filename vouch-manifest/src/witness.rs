//! The witnesses of time the roster's owners trust: transparency logs
//! (whose COSE receipts prove a statement was registered, at the time the
//! log signed) and RFC 3161 timestamp authorities (whose tokens prove a
//! statement existed at their `genTime`).
//!
//! A time a signer writes is a claim; a time one of these witnesses signed
//! is proven, and it is the proven time that key validity and revocation
//! are judged at (see `vouch_chain`'s `time = "proven"`). A witness proves
//! only when the roster lists it: a receipt by any other log, or a token
//! by a TSA that does not chain to a listed root, proves nothing.

use std::fmt;

use serde::{Deserialize, Serialize};
use vouch_core::text::error_chain;
use vouch_core::x509::TrustAnchor;
use vouch_core::{Algorithm, PublicKey};

use crate::authenticator::AttestationRoot;
use crate::error::ManifestError;

/// The logs and timestamp authorities the roster trusts to prove time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WitnessTrust {
    /// Transparency logs, by their signing key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<TrustedLog>,
    /// RFC 3161 timestamp authorities, by their root certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timestamp_authorities: Vec<TrustedTsa>,
    /// Witnesses that cosign logs' checkpoints (C2SP `cosignature/v1`): a
    /// checkpoint one of them cosigned proves its entries existed at the
    /// cosigned time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cosigners: Vec<TrustedCosigner>,
    /// A Sigstore instance (its trusted root) and the identities it
    /// certifies that speak for roster identities; its Rekor entries and
    /// timestamps prove the time of the bundles it verifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigstore: Option<crate::sigstore::SigstoreTrust>,
}

impl WitnessTrust {
    /// No witnesses (and nothing written).
    pub fn is_empty(&self) -> bool {
        self.logs.is_empty()
            && self.timestamp_authorities.is_empty()
            && self.cosigners.is_empty()
            && self.sigstore.is_none()
    }

    /// Checks what a roster check can: unique labels, log keys of a kind
    /// that signs receipts and checkpoints, TSA roots that parse.
    pub fn check(&self) -> Result<(), ManifestError> {
        let mut labels = std::collections::HashSet::new();
        for l in &self.logs {
            if !labels.insert(l.label.as_str()) {
                return Err(ManifestError::Witness(format!(
                    "two witnesses are labelled {:?}",
                    l.label
                )));
            }
            if !matches!(l.key.algorithm(), Algorithm::Ed25519 | Algorithm::Es256)
                || l.key.fido_application().is_some()
            {
                return Err(ManifestError::Witness(format!(
                    "log {:?}: its key must be a plain Ed25519 or P-256 key",
                    l.label
                )));
            }
            vouch_core::tlog::note::check_key_name(&l.origin).map_err(|e| {
                ManifestError::Witness(format!("log {:?}: origin: {}", l.label, error_chain(&e)))
            })?;
        }
        for c in &self.cosigners {
            if !labels.insert(c.label.as_str()) {
                return Err(ManifestError::Witness(format!(
                    "two witnesses are labelled {:?}",
                    c.label
                )));
            }
            vouch_core::tlog::NoteVerifier::cosignature_v1(&c.name, &c.key).map_err(|e| {
                ManifestError::Witness(format!("cosigner {:?}: {}", c.label, error_chain(&e)))
            })?;
        }
        for t in &self.timestamp_authorities {
            if !labels.insert(t.label.as_str()) {
                return Err(ManifestError::Witness(format!(
                    "two witnesses are labelled {:?}",
                    t.label
                )));
            }
        }
        self.tsa_anchors().map(|_| ())
    }

    /// The TSA roots, parsed, in list order.
    pub fn tsa_anchors(&self) -> Result<Vec<TrustAnchor>, ManifestError> {
        self.timestamp_authorities
            .iter()
            .map(|t| {
                TrustAnchor::from_der(&t.root.0).map_err(|e| {
                    ManifestError::Witness(format!(
                        "timestamp authority {:?}: root: {}",
                        t.label,
                        error_chain(&e)
                    ))
                })
            })
            .collect()
    }
}

/// A transparency log: its name (the checkpoint origin) and the key that
/// signs its checkpoints and receipts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustedLog {
    /// A name for people (`rekor.example.com`, `vouch demo log`).
    pub label: String,
    /// The log's origin line (its checkpoints' first line, and its note
    /// key name).
    pub origin: String,
    /// The log's signing key (Ed25519 for checkpoints; Ed25519 or P-256
    /// for receipts), as an OpenSSH public key line.
    pub key: PublicKey,
}

/// A witness that cosigns checkpoints: its note key name and Ed25519 key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustedCosigner {
    /// A name for people.
    pub label: String,
    /// Its key name in cosignature lines (C2SP signed-note key name).
    pub name: String,
    /// Its Ed25519 key, as an OpenSSH public key line.
    pub key: PublicKey,
}

/// A timestamp authority: its root certificate.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustedTsa {
    /// A name for people.
    pub label: String,
    /// The root certificate its signing certificates chain to (DER; hex in
    /// drafts).
    pub root: AttestationRoot,
}

impl fmt::Debug for TrustedTsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedTsa")
            .field("label", &self.label)
            .field("root", &self.root)
            .finish()
    }
}
