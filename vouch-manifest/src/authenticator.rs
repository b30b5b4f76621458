//! FIDO authenticators in the roster: the attestation roots the roster's
//! owners trust, the enrollment attestation of each FIDO key, and what a
//! verifier concludes from them.
//!
//! A key's attestation is stored as enrolled (the bytes of
//! [`EnrollmentAttestation::to_bytes`]) together with what the roster's
//! signers found when they verified it. That finding is a claim like any
//! other: every verifier verifies the stored bytes again, against the
//! roots in the same roster, at the key's `validFrom` time (when it was
//! enrolled; a vendor certificate that expired since does not undo an
//! honest enrollment, and a claimed signing time never enters).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use vouch_core::fido::{AttestationType, EnrollmentAttestation, TrustAnchor};
use vouch_core::text::error_chain;
use vouch_core::{PublicKey, Timestamp};

use crate::error::ManifestError;

/// The authenticator models (AAGUIDs) and attestation roots the roster's
/// owners trust for FIDO keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthenticatorTrust {
    /// Root certificates of the authenticator vendors' attestation CAs
    /// (DER; hex in JSON and TOML drafts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<AttestationRoot>,
    /// When not empty, only authenticators of these models are attested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aaguids: Vec<Aaguid>,
}

impl AuthenticatorTrust {
    /// No roots and no models: nothing is trusted (and nothing is written).
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty() && self.aaguids.is_empty()
    }

    /// The roots, parsed; a root that does not parse is a roster error.
    pub fn anchors(&self) -> Result<Vec<TrustAnchor>, ManifestError> {
        self.roots
            .iter()
            .map(|r| {
                TrustAnchor::from_der(&r.0)
                    .map_err(|e| ManifestError::AttestationRoot(error_chain(&e)))
            })
            .collect()
    }
}

/// A root certificate (DER) of an authenticator vendor's attestation CA.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRoot(#[serde(with = "vouch_core::cbor::hex_or_bytes")] pub Vec<u8>);

impl fmt::Debug for AttestationRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttestationRoot({} bytes)", self.0.len())
    }
}

/// An authenticator model's AAGUID, written as a UUID
/// (`cb69481e-8ff7-4039-93ec-0a2729a154a8`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Aaguid(pub [u8; 16]);

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

impl fmt::Debug for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aaguid({self})")
    }
}

impl FromStr for Aaguid {
    type Err = ManifestError;

    /// A UUID in its 8-4-4-4-12 form, either case.
    fn from_str(s: &str) -> Result<Self, ManifestError> {
        let bad = || ManifestError::InvalidAaguid(s.chars().take(64).collect());
        let groups: Vec<&str> = s.split('-').collect();
        if groups.iter().map(|g| g.len()).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
            return Err(bad());
        }
        let bytes = hex::decode(groups.concat().to_ascii_lowercase()).map_err(|_| bad())?;
        Ok(Aaguid(bytes.try_into().map_err(|_| bad())?))
    }
}

impl Serialize for Aaguid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Aaguid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A FIDO key's enrollment attestation, as the roster records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeyAttestation {
    /// The attestation exactly as enrolled
    /// ([`EnrollmentAttestation::to_bytes`]: the authenticator's statement,
    /// its authenticator data and the enrollment challenge).
    #[serde(with = "vouch_core::cbor::hex_or_bytes")]
    pub enrollment: Vec<u8>,
    /// What the roster's signers found when they verified it (for people;
    /// verifiers decide from the bytes).
    pub recorded: String,
}

impl KeyAttestation {
    /// Records `attestation` for `key`, verified now against `trust` at
    /// `valid_from`: the recorded finding is the verdict of [`status`].
    pub fn enroll(
        attestation: &EnrollmentAttestation,
        key: &PublicKey,
        trust: &AuthenticatorTrust,
        valid_from: Timestamp,
    ) -> Result<Self, ManifestError> {
        let mut k = KeyAttestation {
            enrollment: attestation.to_bytes(),
            recorded: String::new(),
        };
        k.recorded = status(Some(&k), key, trust, valid_from)?.to_string();
        Ok(k)
    }
}

/// What a verifier concludes about the authenticator behind a FIDO key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthenticatorStatus {
    /// The enrollment attestation verifies to a root the roster trusts,
    /// and the model is allowed.
    Attested {
        /// The authenticator model.
        aaguid: Aaguid,
        /// The attestation format (`packed`, `fido-u2f`, `tpm`).
        format: &'static str,
        /// The trusted root the attestation chains to.
        root: String,
    },
    /// Enrolled with no attestation, an empty one (OpenSSH's test
    /// middleware writes one), or a self attestation: nothing shows which
    /// authenticator holds the key; a software authenticator looks so.
    Unattested {
        /// Which of those.
        why: &'static str,
    },
    /// The attestation is there and does not verify, or names a model the
    /// roster does not allow.
    Refused {
        /// Why.
        reason: String,
    },
}

impl AuthenticatorStatus {
    /// Whether the key is held by an attested authenticator.
    pub fn is_attested(&self) -> bool {
        matches!(self, AuthenticatorStatus::Attested { .. })
    }
}

impl fmt::Display for AuthenticatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthenticatorStatus::Attested {
                aaguid,
                format,
                root,
            } => write!(
                f,
                "attested authenticator (model {aaguid}, {format} attestation to {root})"
            ),
            AuthenticatorStatus::Unattested { why } => write!(
                f,
                "unattested authenticator ({why}): a software authenticator or an unproven device"
            ),
            AuthenticatorStatus::Refused { reason } => {
                write!(f, "authenticator attestation refused: {reason}")
            }
        }
    }
}

/// Verifies a key's recorded attestation against `trust`, at the key's
/// `valid_from`. An error only for a roster whose own roots do not parse.
pub fn status(
    attestation: Option<&KeyAttestation>,
    key: &PublicKey,
    trust: &AuthenticatorTrust,
    valid_from: Timestamp,
) -> Result<AuthenticatorStatus, ManifestError> {
    let Some(a) = attestation else {
        return Ok(AuthenticatorStatus::Unattested {
            why: "enrolled without attestation",
        });
    };
    let refused = |reason: String| Ok(AuthenticatorStatus::Refused { reason });
    let enrollment = match EnrollmentAttestation::from_bytes(&a.enrollment) {
        Ok(e) => e,
        Err(e) => return refused(error_chain(&e)),
    };
    if enrollment.is_empty() {
        return Ok(AuthenticatorStatus::Unattested {
            why: "an empty attestation",
        });
    }
    let anchors = trust.anchors()?;
    let verified = match enrollment.verify(key, &anchors, valid_from) {
        Ok(v) => v,
        Err(e) => return refused(error_chain(&e)),
    };
    let aaguid = Aaguid(verified.aaguid());
    let root = match (verified.attestation_type(), verified.root()) {
        (AttestationType::Basic, Some((_, subject))) => subject.to_owned(),
        (AttestationType::Basic, None) => {
            return refused("basic attestation without a trusted root".into());
        }
        (AttestationType::SelfAttestation, _) => {
            return Ok(AuthenticatorStatus::Unattested {
                why: "self attestation",
            });
        }
        _ => {
            return Ok(AuthenticatorStatus::Unattested {
                why: "no attestation statement (format none)",
            });
        }
    };
    if !trust.aaguids.is_empty() && !trust.aaguids.contains(&aaguid) {
        return refused(format!(
            "authenticator model {aaguid} is not among the roster's allowed models"
        ));
    }
    Ok(AuthenticatorStatus::Attested {
        aaguid,
        format: verified.format().name(),
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn aaguid_text() {
        let a: Aaguid = "CB69481E-8FF7-4039-93EC-0A2729A154A8".parse().unwrap();
        assert_eq!(a.to_string(), "cb69481e-8ff7-4039-93ec-0a2729a154a8");
        for bad in [
            "",
            "cb69481e8ff7403993ec0a2729a154a8",
            "cb69481e-8ff7-4039-93ec-0a2729a154ag",
        ] {
            assert!(bad.parse::<Aaguid>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn aaguid_round_trip(bytes in any::<[u8; 16]>()) {
            let a = Aaguid(bytes);
            prop_assert_eq!(a.to_string().parse::<Aaguid>().unwrap(), a);
        }

        #[test]
        fn aaguid_parser_never_panics(s in ".{0,40}") {
            let _ = s.parse::<Aaguid>();
        }
    }
}
