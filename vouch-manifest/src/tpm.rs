//! TPM-resident keys in the roster: the attestation keys (AKs) of the
//! machines the roster's owners enrolled, the TPM2_Certify attestation of
//! each TPM key, and what a verifier concludes from them.
//!
//! A key counts as TPM-resident only when its attestation, verified by the
//! verifier itself from the stored bytes, was made by an AK the roster
//! lists for the same identity: the machine the key is said to live on.
//! The bare claim `HardwareClaim::TpmResident` of earlier rosters still
//! reads, and counts for nothing.

use std::fmt;

use serde::{Deserialize, Serialize};
use vouch_core::PublicKey;
use vouch_core::text::error_chain;
use vouch_core::tpm::KeyAttestation;

use crate::ids::IdentityId;

/// The TPMs the roster's owners enrolled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TpmTrust {
    /// Attestation keys, each enrolled once for the identity whose machine
    /// holds the TPM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestation_keys: Vec<TrustedAk>,
}

impl TpmTrust {
    /// No AKs (and nothing written).
    pub fn is_empty(&self) -> bool {
        self.attestation_keys.is_empty()
    }
}

/// An attestation key the roster's owners trust, for one identity.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustedAk {
    /// The identity whose machine holds the TPM.
    pub identity: IdentityId,
    /// A name for people (the machine, e.g. `build-runner-3`).
    pub label: String,
    /// The AK's public area (a marshaled TPMT_PUBLIC; hex in drafts).
    #[serde(with = "vouch_core::cbor::hex_or_bytes")]
    pub public: Vec<u8>,
}

impl fmt::Debug for TrustedAk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedAk")
            .field("identity", &self.identity)
            .field("label", &self.label)
            .field("public", &format_args!("{} bytes", self.public.len()))
            .finish()
    }
}

/// A TPM key's attestation as the roster records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TpmKeyAttestation {
    /// The TPM2_Certify of the key ([`KeyAttestation::to_bytes`]: the
    /// attestation, the AK's signature, the AK's and the key's public areas).
    #[serde(with = "vouch_core::cbor::hex_or_bytes")]
    pub certify: Vec<u8>,
}

/// What a verifier concludes about a key that carries a TPM attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TpmStatus {
    /// Certified non-exportable in the TPM of a machine the roster enrolled
    /// for the key's identity.
    Attested {
        /// The AK's label.
        ak: String,
    },
    /// The attestation does not verify, or its AK is not trusted for the
    /// key's identity.
    Refused {
        /// Why.
        reason: String,
    },
}

impl TpmStatus {
    /// Whether the key is proven TPM-resident.
    pub fn is_attested(&self) -> bool {
        matches!(self, TpmStatus::Attested { .. })
    }
}

impl fmt::Display for TpmStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TpmStatus::Attested { ak } => write!(f, "TPM-attested key (AK {ak})"),
            TpmStatus::Refused { reason } => write!(f, "TPM attestation refused: {reason}"),
        }
    }
}

/// Verifies `attestation` of `identity`'s `key` against the AKs `trust`
/// lists for that identity.
pub fn status(
    attestation: &TpmKeyAttestation,
    identity: &IdentityId,
    key: &PublicKey,
    trust: &TpmTrust,
) -> TpmStatus {
    let refused = |reason: String| TpmStatus::Refused { reason };
    let parsed = match KeyAttestation::from_bytes(&attestation.certify) {
        Ok(a) => a,
        Err(e) => return refused(error_chain(&e)),
    };
    let aks: Vec<&TrustedAk> = trust
        .attestation_keys
        .iter()
        .filter(|a| a.identity == *identity)
        .collect();
    let publics: Vec<&[u8]> = aks.iter().map(|a| a.public.as_slice()).collect();
    match parsed.verify(key, &publics) {
        Ok(_) => {
            let label = aks
                .iter()
                .find(|a| a.public == parsed.ak_public())
                .map(|a| a.label.clone())
                .unwrap_or_default();
            TpmStatus::Attested { ak: label }
        }
        Err(e) => refused(format!(
            "{} (AKs the roster trusts for {identity}: {})",
            error_chain(&e),
            aks.len()
        )),
    }
}
