//! Enrolling an attestation key under a certified EK, the enroller's side:
//! a credential challenge for the machine's TPM, and the check of its
//! answer.
//!
//! 1. The machine sends its AK public area and its EK certificate (and the
//!    certificates between it and the manufacturer's root, which a TPM does
//!    not store).
//! 2. [`challenge`] verifies the EK certificate to a root of
//!    [`TpmTrust::endorsement_roots`] and encrypts a fresh random secret to
//!    that EK, bound to the AK's Name (TPM2_MakeCredential). The
//!    [`Challenge`] goes to the machine; the [`Pending`] (which holds the
//!    secret) stays with the enroller.
//! 3. The machine's TPM releases the secret (TPM2_ActivateCredential) only
//!    when the AK with that Name is loaded in the TPM that holds that EK.
//! 4. [`Pending::complete`] compares the answer with the secret and returns
//!    the [`TrustedAk`] to add to the roster, with its [`AkEndorsement`].

use serde::{Deserialize, Serialize};
use vouch_core::Timestamp;
use vouch_core::text::error_chain;
use vouch_core::tpm::{EndorsementKey, Public, check_ak_attributes, make_credential, name};
use vouch_core::x509::verify_chain;
use zeroize::Zeroizing;

use super::{AkEndorsement, TpmTrust, TrustedAk};
use crate::authenticator::AttestationRoot;
use crate::error::ManifestError;
use crate::ids::IdentityId;

const CHALLENGE_FORMAT: &str = "vouch-tpm-credential-challenge";
const PENDING_FORMAT: &str = "vouch-tpm-credential-pending";
/// The largest challenge or pending file read, in bytes: they are a few
/// KiB (an EK certificate chain).
pub const MAX_FILE_LEN: usize = 256 * 1024;

fn refused(reason: impl Into<String>) -> ManifestError {
    ManifestError::TpmEnrollment(reason.into())
}

/// What the machine's TPM must answer: the `TPM2B_ID_OBJECT` and
/// `TPM2B_ENCRYPTED_SECRET` contents for TPM2_ActivateCredential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    format: String,
    /// The credential blob.
    #[serde(with = "vouch_core::cbor::byte_string")]
    pub id_object: Vec<u8>,
    /// The seed, encrypted to the EK.
    #[serde(with = "vouch_core::cbor::byte_string")]
    pub encrypted_secret: Vec<u8>,
}

impl Challenge {
    /// The challenge file (canonical CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ManifestError> {
        Ok(vouch_core::cbor::to_canonical(self)?)
    }

    /// Reads a challenge file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        let c: Challenge = decode("TPM credential challenge file", bytes)?;
        if c.format != CHALLENGE_FORMAT {
            return Err(refused("not a vouch TPM credential challenge"));
        }
        Ok(c)
    }
}

/// What the enroller keeps until the answer arrives: the secret, and what
/// it was made for. Holding it is enough to complete the enrollment, so it
/// never leaves the enroller.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    format: String,
    #[serde(with = "vouch_core::cbor::byte_string")]
    secret: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    ak_public: Vec<u8>,
    #[serde(with = "vouch_core::cbor::byte_string")]
    ek_certificate: Vec<u8>,
    intermediates: Vec<AttestationRoot>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, ManifestError> {
    if bytes.len() > MAX_FILE_LEN {
        return Err(ManifestError::TooLarge {
            what,
            len: bytes.len(),
            max: MAX_FILE_LEN,
        });
    }
    vouch_core::cbor::from_canonical(bytes).map_err(|e| refused(error_chain(&e)))
}

impl Pending {
    /// The pending file (canonical CBOR; it holds the secret).
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, ManifestError> {
        Ok(Zeroizing::new(vouch_core::cbor::to_canonical(self)?))
    }

    /// Reads a pending file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        let p: Pending = decode("TPM pending enrollment file", bytes)?;
        if p.format != PENDING_FORMAT {
            return Err(refused("not a vouch TPM pending enrollment"));
        }
        Ok(p)
    }

    /// The AK public area the challenge was made for.
    pub fn ak_public(&self) -> &[u8] {
        &self.ak_public
    }

    /// Checks the machine's `answer` (what its TPM2_ActivateCredential
    /// returned) and, when it is the secret, returns the AK to trust for
    /// `identity`, endorsed as of `now`.
    pub fn complete(
        &self,
        answer: &[u8],
        identity: IdentityId,
        label: String,
        now: Timestamp,
    ) -> Result<TrustedAk, ManifestError> {
        // Constant time: the answer is attacker-controlled.
        let same = answer.len() == self.secret.len()
            && answer
                .iter()
                .zip(&self.secret)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(refused(
                "the answer is not the challenge's secret: the AK is not in the TPM whose EK certificate was presented",
            ));
        }
        Ok(TrustedAk {
            identity,
            label,
            public: self.ak_public.clone(),
            endorsement: Some(AkEndorsement {
                ek_certificate: self.ek_certificate.clone(),
                intermediates: self.intermediates.clone(),
                activated: now,
            }),
        })
    }
}

/// Makes the credential challenge for the AK whose public area (a
/// marshaled TPMT_PUBLIC) is `ak_public`, in the TPM whose EK certificate
/// is `ek_certificate` (DER) with `intermediates` (DER, the EK
/// certificate's issuer first) up to a root of `trust` at `now`.
pub fn challenge(
    ak_public: &[u8],
    ek_certificate: &[u8],
    intermediates: &[Vec<u8>],
    trust: &TpmTrust,
    now: Timestamp,
) -> Result<(Challenge, Pending), ManifestError> {
    let parsed =
        Public::parse(ak_public).map_err(|e| refused(format!("AK: {}", error_chain(&e))))?;
    check_ak_attributes(&parsed).map_err(|e| refused(format!("AK: {}", error_chain(&e))))?;
    let roots = trust.endorsement_anchors()?;
    if roots.is_empty() {
        return Err(refused(
            "the roster trusts no EK root (add one with roster trust-tpm-ca)",
        ));
    }
    let mut chain: Vec<&[u8]> = vec![ek_certificate];
    chain.extend(intermediates.iter().map(Vec::as_slice));
    verify_chain(&chain, &roots, now)
        .map_err(|e| refused(format!("EK certificate: {}", error_chain(&e))))?;
    let ek = EndorsementKey::from_certificate(ek_certificate)
        .map_err(|e| refused(format!("EK certificate: {}", error_chain(&e))))?;
    let ak_name = name(ak_public).map_err(|e| refused(error_chain(&e)))?;
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(secret.as_mut_slice())
        .map_err(|_| refused("the operating system's random source failed"))?;
    let made =
        make_credential(&ek, &ak_name, secret.as_slice()).map_err(|e| refused(error_chain(&e)))?;
    Ok((
        Challenge {
            format: CHALLENGE_FORMAT.into(),
            id_object: made.id_object,
            encrypted_secret: made.encrypted_secret,
        },
        Pending {
            format: PENDING_FORMAT.into(),
            secret: secret.to_vec(),
            ak_public: ak_public.to_vec(),
            ek_certificate: ek_certificate.to_vec(),
            intermediates: intermediates.iter().cloned().map(AttestationRoot).collect(),
        },
    ))
}
