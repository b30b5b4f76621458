//! TPM-resident keys in the roster: the attestation keys (AKs) of the
//! machines the roster's owners enrolled, the TPM2_Certify attestation of
//! each TPM key, and what a verifier concludes from them.
//!
//! A key counts as TPM-resident only when its attestation, verified by the
//! verifier itself from the stored bytes, was made by an AK the roster
//! lists for the same identity: the machine the key is said to live on.
//! The bare claim `HardwareClaim::TpmResident` of earlier rosters still
//! reads, and counts for nothing.
//!
//! An AK is trusted in one of two ways: (a) the roster's owners list its
//! public area for the machine's identity, having enrolled it themselves;
//! or (b) also with an [`AkEndorsement`]: the machine's EK certificate,
//! which every verifier chains again to an EK root the roster trusts
//! ([`TpmTrust::endorsement_roots`]), and which the enroller proved the AK
//! shares a TPM with by TPM2_MakeCredential / TPM2_ActivateCredential
//! ([`endorsement`]). The activation itself cannot be replayed to a later
//! verifier; the roster's signers vouch for it by signing the roster, as
//! they vouch for a directly listed AK.

pub mod endorsement;

use std::fmt;

use serde::{Deserialize, Serialize};
use vouch_core::text::error_chain;
use vouch_core::tpm::{EndorsementKey, KeyAttestation};
use vouch_core::x509::{TrustAnchor, verify_chain};
use vouch_core::{PublicKey, Timestamp};

use crate::authenticator::AttestationRoot;
use crate::error::ManifestError;
use crate::ids::IdentityId;

/// The TPMs the roster's owners enrolled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TpmTrust {
    /// Attestation keys, each enrolled once for the identity whose machine
    /// holds the TPM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestation_keys: Vec<TrustedAk>,
    /// Root certificates of the TPM manufacturers' EK certificate
    /// authorities (DER; hex in drafts): an AK enrolled with an
    /// [`AkEndorsement`] must chain to one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endorsement_roots: Vec<AttestationRoot>,
}

impl TpmTrust {
    /// No AKs and no roots (and nothing written).
    pub fn is_empty(&self) -> bool {
        self.attestation_keys.is_empty() && self.endorsement_roots.is_empty()
    }

    /// The EK roots, parsed; a root that does not parse is a roster error.
    pub fn endorsement_anchors(&self) -> Result<Vec<TrustAnchor>, ManifestError> {
        self.endorsement_roots
            .iter()
            .map(|r| {
                TrustAnchor::from_der(&r.0)
                    .map_err(|e| ManifestError::AttestationRoot(error_chain(&e)))
            })
            .collect()
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
    /// How the AK was proven to share a TPM with a certified EK, when it
    /// was enrolled that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<AkEndorsement>,
}

/// An AK's EK-certified enrollment: the EK certificate of the TPM it lives
/// in, the intermediates to the roster's EK root, and when the enroller
/// saw the TPM activate a credential made for this AK and that EK.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AkEndorsement {
    /// The EK certificate (DER; hex in drafts).
    #[serde(with = "vouch_core::cbor::hex_or_bytes")]
    pub ek_certificate: Vec<u8>,
    /// Certificates between the EK certificate and the root, issuer of the
    /// EK certificate first (DER; hex in drafts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intermediates: Vec<AttestationRoot>,
    /// When the credential was activated: the chain is verified at this
    /// time (a manufacturer certificate that expired since does not undo
    /// an honest enrollment).
    pub activated: Timestamp,
}

impl fmt::Debug for AkEndorsement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AkEndorsement")
            .field(
                "ek_certificate",
                &format_args!("{} bytes", self.ek_certificate.len()),
            )
            .field("intermediates", &self.intermediates.len())
            .field("activated", &self.activated)
            .finish()
    }
}

impl AkEndorsement {
    /// Verifies the EK certificate up to one of `roots` at
    /// [`AkEndorsement::activated`], and that it holds an EK vouch can
    /// challenge; returns the root's subject.
    pub fn verify(&self, roots: &[TrustAnchor]) -> Result<String, String> {
        let mut chain: Vec<&[u8]> = vec![&self.ek_certificate];
        chain.extend(self.intermediates.iter().map(|c| c.0.as_slice()));
        let root = verify_chain(&chain, roots, self.activated)
            .map_err(|e| format!("EK certificate: {}", error_chain(&e)))?;
        EndorsementKey::from_certificate(&self.ek_certificate)
            .map_err(|e| format!("EK certificate: {}", error_chain(&e)))?;
        Ok(roots
            .get(root)
            .map(|r| r.subject().to_owned())
            .unwrap_or_default())
    }
}

impl fmt::Debug for TrustedAk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedAk")
            .field("identity", &self.identity)
            .field("label", &self.label)
            .field("public", &format_args!("{} bytes", self.public.len()))
            .field("endorsement", &self.endorsement)
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
        /// The subject of the EK root the AK's TPM chains to, when the AK
        /// was enrolled with an EK certificate.
        endorsed_by: Option<String>,
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

    /// Whether the key is proven TPM-resident by an AK whose TPM's EK
    /// certificate chains to a root the roster trusts.
    pub fn is_endorsed(&self) -> bool {
        matches!(
            self,
            TpmStatus::Attested {
                endorsed_by: Some(_),
                ..
            }
        )
    }
}

impl fmt::Display for TpmStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TpmStatus::Attested {
                ak,
                endorsed_by: None,
            } => write!(f, "TPM-attested key (AK {ak})"),
            TpmStatus::Attested {
                ak,
                endorsed_by: Some(root),
            } => write!(
                f,
                "TPM-attested key (AK {ak}, in a TPM whose EK certificate chains to {root})"
            ),
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
            let Some(ak) = aks.iter().find(|a| a.public == parsed.ak_public()) else {
                return refused("the attestation key is not one the roster trusts".into());
            };
            let endorsed_by = match &ak.endorsement {
                None => None,
                Some(e) => {
                    let roots = match trust.endorsement_anchors() {
                        Ok(r) => r,
                        Err(e) => return refused(error_chain(&e)),
                    };
                    match e.verify(&roots) {
                        Ok(root) => Some(root),
                        Err(reason) => {
                            return refused(format!("AK {}: {reason}", ak.label));
                        }
                    }
                }
            };
            TpmStatus::Attested {
                ak: ak.label.clone(),
                endorsed_by,
            }
        }
        Err(e) => refused(format!(
            "{} (AKs the roster trusts for {identity}: {})",
            error_chain(&e),
            aks.len()
        )),
    }
}
