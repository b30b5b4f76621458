//! TPM 2.0 key attestation: proof, made by a TPM with TPM2_Certify, that a
//! P-256 signing key lives in that TPM and cannot leave it.
//!
//! A TPM-resident key is enrolled in the roster with a [`KeyAttestation`]:
//! the four structures the TPM produced, kept exactly as received.
//! [`KeyAttestation::verify`] checks it against the enrolled [`PublicKey`]
//! and the attestation keys (AKs) the roster trusts, in this order (the
//! first failure is the one reported):
//!
//! 1. the AK's TPMT_PUBLIC is byte-equal to one of the trusted AKs, and is
//!    an AK: restricted, sign, fixedTPM, fixedParent;
//! 2. the AK's TPMT_SIGNATURE verifies over the exact TPMS_ATTEST bytes
//!    (ECDSA P-256, RSASSA-PKCS1-v1_5 or RSASSA-PSS, all with SHA-256);
//! 3. the TPMS_ATTEST has magic TPM_GENERATED_VALUE and type
//!    TPM_ST_ATTEST_CERTIFY;
//! 4. its certified Name is nameAlg || H(the key's TPMT_PUBLIC);
//! 5. the key's attributes include fixedTPM, fixedParent,
//!    sensitiveDataOrigin and sign, and exclude restricted and decrypt;
//! 6. the key is the enrolled P-256 key;
//! 7. extraData is [`binding`]`(key)`.
//!
//! # What is trusted
//!
//! Only the AK public areas the caller passes: how the roster came to trust
//! an AK (an EK certificate chain, TPM2_ActivateCredential, an operator) is
//! not this module's concern. A restricted AK signs only TPMS_ATTEST
//! structures the TPM built (it refuses to sign data starting with
//! TPM_GENERATED_VALUE), so a valid signature means the TPM itself
//! certified the key. The clock and firmware values are the TPM's claims,
//! reported, never checked. SHA-1 signatures are refused by `verify`; they
//! are accepted only through [`KeyAttestation::verify_with`] with
//! [`LegacySha1::Allow`], or [`verify_ak_signature_legacy_sha1`], which
//! exist for the public samples and old TPMs.
//!
//! The structures are parsed by this module (see [`Public`], [`Attest`],
//! [`AttestSignature`]), not by the
//! `tpm2-protocol` crate, which would raise the workspace's minimum Rust
//! version; they are small.
//!
//! One submodule per idea: `structures` (the wire formats and names),
//! `certify` (the signature and the rules), `credential`
//! (TPM2_MakeCredential, for enrolling an AK under a certified EK).

mod certify;
mod credential;
mod structures;

use ciborium::value::Value;
use sha2::Digest as _;

use crate::cbor::{Limits, Strictness, validate, write_head};
use crate::key::{KeyId, PublicKey};

pub use certify::{
    AK_REQUIRED, KEY_FORBIDDEN, KEY_REQUIRED, check_ak_attributes, check_key_attributes,
    verify_ak_signature, verify_ak_signature_legacy_sha1,
};
pub use credential::{CredentialChallenge, EndorsementKey, MAX_CREDENTIAL_LEN, make_credential};
pub use structures::{
    Attest, AttestSignature, Attested, ClockInfo, KeyParams, MAX_PCR_BANKS, ObjectAttributes,
    PcrSelection, Public, Scheme, TPM_ECC_NIST_P256, TPM_GENERATED_VALUE, alg, alg_name,
    attest_type_name, name, st,
};

/// The largest structure accepted, in bytes: a TPMT_PUBLIC of an RSA-4096
/// key is about 600, a TPMS_ATTEST a few hundred.
pub const MAX_STRUCTURE_LEN: usize = 4096;

/// The domain separation prefix of [`binding`].
pub const BINDING_CONTEXT: &[u8] = b"vouch tpm key v1";

/// The extraData (qualifyingData) a TPM2_Certify of `key` must carry:
/// `SHA-256("vouch tpm key v1" || key_id)`, with the 32 bytes of
/// [`PublicKey::key_id`].
///
/// It ties the certification to this key's enrollment in vouch: a
/// TPM2_Certify made for another purpose (another nonce, another
/// verifier's challenge) does not verify. The signer passes exactly these
/// bytes as `qualifyingData` to TPM2_Certify.
pub fn binding(key: &PublicKey) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(BINDING_CONTEXT);
    h.update(key.key_id().as_bytes());
    h.finalize().into()
}

/// Whether a SHA-1 AK signature (or a certified key's SHA-1 nameAlg) is
/// accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LegacySha1 {
    /// Refused: what [`KeyAttestation::verify`] does.
    Refuse,
    /// Accepted, for the public samples and TPMs that sign nothing else.
    Allow,
}

/// Why a TPM key attestation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TpmError {
    /// A structure is truncated, has trailing bytes or an invalid field.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// Which structure (`TPMT_PUBLIC`, `TPMS_ATTEST`, `TPMT_SIGNATURE`,
        /// `stored attestation`).
        what: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A structure is larger than its limit.
    #[error("{what} of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Which structure.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A structure holds more entries than its limit (see
    /// [`MAX_PCR_BANKS`]).
    #[error("{count} {what} exceed the limit of {max}")]
    TooMany {
        /// What is counted.
        what: &'static str,
        /// How many the structure declares.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// The TPMS_ATTEST's magic is not TPM_GENERATED_VALUE: the TPM did not make it.
    #[error("TPMS_ATTEST magic {0:#010x} is not TPM_GENERATED_VALUE 0xff544347")]
    WrongMagic(u32),
    /// The TPMS_ATTEST is not a TPM2_Certify.
    #[error("TPMS_ATTEST type {0:#06x} ({name}) is not TPM_ST_ATTEST_CERTIFY 0x8017", name = attest_type_name(*.0))]
    WrongType(u16),
    /// The certified Name is not nameAlg || H(the key's public area).
    #[error("the certified name is not the name of the key's public area")]
    NameMismatch,
    /// extraData is not [`binding`] of the enrolled key.
    #[error("the attestation's extraData is not the binding of the enrolled key")]
    ExtraDataMismatch,
    /// The certified public area does not hold the enrolled P-256 key.
    #[error("the certified public area does not hold the enrolled key")]
    KeyMismatch,
    /// The certified key lacks a required attribute or has a forbidden one.
    #[error("the certified key's attributes are refused: missing {missing}, forbidden {forbidden}")]
    KeyAttributes {
        /// Required attributes it lacks.
        missing: ObjectAttributes,
        /// Forbidden attributes it has.
        forbidden: ObjectAttributes,
    },
    /// The AK is not a restricted, non-duplicable signing key.
    #[error("the attestation key's attributes are refused: missing {missing}")]
    AkAttributes {
        /// Required attributes it lacks.
        missing: ObjectAttributes,
    },
    /// The AK's public area is none of the trusted ones.
    #[error("the attestation key is not one the roster trusts")]
    UntrustedAk,
    /// The AK's signature does not verify over the TPMS_ATTEST.
    #[error("the attestation key's signature does not verify")]
    BadSignature,
    /// An algorithm vouch refuses here, by its TPM name.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The operating system's random source failed (making a credential
    /// challenge).
    #[error("the operating system's random source failed")]
    Random,
}

/// A TPM2_Certify of a signing key, as the TPM produced it: the marshaled
/// TPMS_ATTEST, the marshaled TPMT_SIGNATURE by the AK, the AK's marshaled
/// TPMT_PUBLIC and the certified key's marshaled TPMT_PUBLIC. Kept as
/// received (the roster stores and re-verifies these bytes), parsed and
/// bounded but not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAttestation {
    attest: Vec<u8>,
    signature_bytes: Vec<u8>,
    ak_public: Vec<u8>,
    key_public: Vec<u8>,
    parsed_attest: Attest,
    signature: AttestSignature,
    ak: Public,
    key: Public,
}

/// A verified TPM key attestation: only this crate makes one, after every
/// check of [`KeyAttestation::verify`] passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTpmKey {
    key_id: KeyId,
    ak_name: Vec<u8>,
    firmware_version: u64,
    clock_info: ClockInfo,
    qualified_signer: Vec<u8>,
}

impl VerifiedTpmKey {
    /// The enrolled key, now known to live in the TPM.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The Name of the AK that certified it.
    pub fn ak_name(&self) -> &[u8] {
        &self.ak_name
    }

    /// The TPM's firmware version, as it claims it (vendor-specific).
    pub fn firmware_version(&self) -> u64 {
        self.firmware_version
    }

    /// The TPM's clock when it certified, as it claims it.
    pub fn clock_info(&self) -> ClockInfo {
        self.clock_info
    }

    /// The Qualified Name of the AK, as the TPM stated it.
    pub fn qualified_signer(&self) -> &[u8] {
        &self.qualified_signer
    }
}

const STORED: &str = "stored attestation";

impl KeyAttestation {
    /// Parses the four structures (each at most [`MAX_STRUCTURE_LEN`]
    /// bytes), keeping them as received.
    pub fn new(
        attest: Vec<u8>,
        signature: Vec<u8>,
        ak_public: Vec<u8>,
        key_public: Vec<u8>,
    ) -> Result<Self, TpmError> {
        Ok(KeyAttestation {
            parsed_attest: Attest::parse(&attest)?,
            signature: AttestSignature::parse(&signature)?,
            ak: Public::parse(&ak_public)?,
            key: Public::parse(&key_public)?,
            attest,
            signature_bytes: signature,
            ak_public,
            key_public,
        })
    }

    /// The marshaled TPMS_ATTEST as received.
    pub fn attest(&self) -> &[u8] {
        &self.attest
    }

    /// The marshaled TPMT_SIGNATURE as received.
    pub fn signature(&self) -> &[u8] {
        &self.signature_bytes
    }

    /// The AK's public area as received: what a roster lists as trusted.
    pub fn ak_public(&self) -> &[u8] {
        &self.ak_public
    }

    /// The certified key's public area as received.
    pub fn key_public(&self) -> &[u8] {
        &self.key_public
    }

    /// The AK's TPM Name: nameAlg || H(its TPMT_PUBLIC).
    pub fn ak_name(&self) -> Vec<u8> {
        // Public::parse accepted the nameAlg only because it can be hashed.
        structures::name_with(self.ak.name_alg(), &self.ak_public).unwrap_or_default()
    }

    /// The parsed TPMS_ATTEST (its claims, unverified).
    pub fn parsed_attest(&self) -> &Attest {
        &self.parsed_attest
    }

    /// The stable storage encoding: canonical CBOR
    /// `{1: TPMS_ATTEST, 2: TPMT_SIGNATURE, 3: AK TPMT_PUBLIC, 4: key TPMT_PUBLIC}`,
    /// all byte strings as received.
    pub fn to_bytes(&self) -> Vec<u8> {
        let parts = [
            &self.attest,
            &self.signature_bytes,
            &self.ak_public,
            &self.key_public,
        ];
        let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum::<usize>() + 1);
        write_head(&mut out, 5, 4);
        for (label, bytes) in (1u64..).zip(parts) {
            write_head(&mut out, 0, label);
            write_head(&mut out, 2, bytes.len() as u64);
            out.extend_from_slice(bytes);
        }
        out
    }

    /// Decodes [`to_bytes`](KeyAttestation::to_bytes): canonical CBOR of
    /// exactly that shape, then parsed again as when received.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TpmError> {
        let bad = TpmError::Malformed {
            what: STORED,
            why: "not the canonical encoding",
        };
        let max = 4 * (MAX_STRUCTURE_LEN + 4) + 1;
        if bytes.len() > max {
            return Err(TpmError::TooLarge {
                what: STORED,
                len: bytes.len(),
                max,
            });
        }
        validate(
            bytes,
            Strictness::Canonical,
            Limits {
                max_size: max,
                max_depth: 2,
            },
        )
        .map_err(|_| bad.clone())?;
        let Ok(Value::Map(map)) = ciborium::from_reader::<Value, _>(bytes) else {
            return Err(bad);
        };
        let mut parts = Vec::with_capacity(4);
        for (want, (k, v)) in (1u64..).zip(map.iter()) {
            match (k.as_integer().map(u64::try_from), v.as_bytes()) {
                (Some(Ok(label)), Some(b)) if label == want => parts.push(b.clone()),
                _ => return Err(bad),
            }
        }
        let (4, Ok([attest, signature, ak, key])) = (map.len(), <[Vec<u8>; 4]>::try_from(parts))
        else {
            return Err(bad);
        };
        KeyAttestation::new(attest, signature, ak, key)
    }

    /// Verifies the attestation for the enrolled P-256 `key` against the
    /// AK public areas the roster trusts, with the checks and order of the
    /// [module documentation](self). SHA-1 is refused.
    pub fn verify(
        &self,
        key: &PublicKey,
        trusted_aks: &[&[u8]],
    ) -> Result<VerifiedTpmKey, TpmError> {
        certify::verify(self, key, trusted_aks, LegacySha1::Refuse)
    }

    /// [`verify`](KeyAttestation::verify), saying whether SHA-1 AK
    /// signatures and SHA-1 key names are accepted. Only for old TPMs and
    /// the public samples: vouch's roster verifies with `verify`.
    pub fn verify_with(
        &self,
        key: &PublicKey,
        trusted_aks: &[&[u8]],
        sha1: LegacySha1,
    ) -> Result<VerifiedTpmKey, TpmError> {
        certify::verify(self, key, trusted_aks, sha1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn binding_is_documented_hash() {
        // The Ed25519 base point: any key has a key id to bind.
        let mut point = [0x66; 32];
        point[0] = 0x58;
        let key = PublicKey::ed25519(&point).unwrap();
        let mut m = b"vouch tpm key v1".to_vec();
        m.extend_from_slice(key.key_id().as_bytes());
        assert_eq!(binding(&key), <[u8; 32]>::from(sha2::Sha256::digest(&m)));
    }

    #[test]
    fn wrong_type_names_the_type() {
        assert_eq!(
            TpmError::WrongType(0x801a).to_string(),
            "TPMS_ATTEST type 0x801a (creation) is not TPM_ST_ATTEST_CERTIFY 0x8017"
        );
        assert_eq!(
            TpmError::WrongType(0x8018).to_string(),
            "TPMS_ATTEST type 0x8018 (quote) is not TPM_ST_ATTEST_CERTIFY 0x8017"
        );
    }

    #[test]
    fn oversized_parts_are_refused() {
        let big = vec![0u8; MAX_STRUCTURE_LEN + 1];
        assert!(matches!(
            KeyAttestation::new(big.clone(), vec![], vec![], vec![]),
            Err(TpmError::TooLarge { len, .. }) if len == MAX_STRUCTURE_LEN + 1
        ));
        assert!(matches!(
            KeyAttestation::from_bytes(&vec![0; 5 * MAX_STRUCTURE_LEN]),
            Err(TpmError::TooLarge { .. })
        ));
    }

    proptest! {
        #[test]
        fn from_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = KeyAttestation::from_bytes(&bytes);
        }
    }
}
