//! The `packed` attestation statement format (WebAuthn §8.2).
//!
//! ```text
//! attStmt = { "alg": COSEAlgorithmIdentifier, "sig": bstr, ? "x5c": [ attestnCert: bstr, * caCert: bstr ] }
//! ```
//!
//! With `x5c` (basic attestation) the leaf's key signs
//! `authenticatorData || clientDataHash`; without it (self attestation) the
//! credential key itself does, with `alg` equal to the credential's.

use ciborium::value::Value;

use super::auth_data::AuthData;
use super::{
    AttestationError, AttestationFormat, AttestationType, StatementAlg, TrustAnchor,
    check_aaguid_extension, check_not_ca, credential_subject_key, text_entry, verify_x5c, x5c,
};
use crate::time::Timestamp;
use crate::x509::SubjectKey;

const FORMAT: AttestationFormat = AttestationFormat::Packed;
/// The subject OU that §8.2.1 requires, verbatim.
const OU: &str = "Authenticator Attestation";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Packed {
    pub(crate) alg: i64,
    pub(crate) sig: Vec<u8>,
    pub(crate) x5c: Option<Vec<Vec<u8>>>,
}

impl Packed {
    pub(crate) fn from_statement(stmt: &[(Value, Value)]) -> Result<Self, AttestationError> {
        if text_entry(stmt, "ecdaaKeyId").is_some() {
            return Err(AttestationError::UnsupportedFormat("packed (ECDAA)".into()));
        }
        let alg = text_entry(stmt, "alg")
            .and_then(Value::as_integer)
            .and_then(|a| i64::try_from(a).ok())
            .ok_or(AttestationError::Malformed(
                "attStmt.alg: missing or not an integer",
            ))?;
        let sig = text_entry(stmt, "sig")
            .and_then(Value::as_bytes)
            .ok_or(AttestationError::Malformed(
                "attStmt.sig: missing or not a byte string",
            ))?
            .clone();
        Ok(Packed {
            alg,
            sig,
            x5c: x5c(text_entry(stmt, "x5c"))?,
        })
    }

    pub(crate) fn verify(
        &self,
        auth: &AuthData,
        cdh: &[u8; 32],
        roots: &[TrustAnchor],
        at: Timestamp,
    ) -> Result<(AttestationType, Option<(usize, String)>), AttestationError> {
        let mut signed = Vec::with_capacity(auth.raw.len() + 32);
        signed.extend_from_slice(&auth.raw);
        signed.extend_from_slice(cdh);
        let alg = StatementAlg::from_cose(self.alg, FORMAT)?;
        let Some(x5c) = &self.x5c else {
            // Self attestation: alg must be the credential's own, and the
            // credential key verifies.
            if self.alg != auth.credential.cose_alg {
                return Err(AttestationError::Malformed(
                    "attStmt.alg: self attestation with another algorithm than the credential key's",
                ));
            }
            let key = credential_subject_key(&auth.credential.key).ok_or(
                AttestationError::Malformed("credentialPublicKey: not usable for verification"),
            )?;
            if !alg.verify(&key, &signed, &self.sig) {
                return Err(AttestationError::BadSignature { format: FORMAT });
            }
            return Ok((AttestationType::SelfAttestation, None));
        };
        let (leaf, root) = verify_x5c(x5c, roots, at)?;
        check_certificate(&leaf, &auth.aaguid)?;
        let key = SubjectKey::from_certificate(&leaf).ok_or(AttestationError::CertificateRule {
            format: FORMAT,
            rule: "the attestation certificate's key is of an unsupported type",
        })?;
        if !alg.fits(&key) {
            return Err(AttestationError::CertificateRule {
                format: FORMAT,
                rule: "the attestation certificate's key is not of attStmt.alg's type",
            });
        }
        if !alg.verify(&key, &signed, &self.sig) {
            return Err(AttestationError::BadSignature { format: FORMAT });
        }
        Ok((AttestationType::Basic, Some(root)))
    }
}

/// WebAuthn §8.2.1: version 3; subject with C (two letters), O, OU
/// "Authenticator Attestation" and CN; the AAGUID extension, when present,
/// matching; no CA.
fn check_certificate(
    cert: &x509_cert::Certificate,
    aaguid: &[u8; 16],
) -> Result<(), AttestationError> {
    let rule = |rule| AttestationError::CertificateRule {
        format: FORMAT,
        rule,
    };
    let tbs = cert.tbs_certificate();
    if tbs.version() != x509_cert::certificate::Version::V3 {
        return Err(rule("the attestation certificate is not version 3"));
    }
    let subject = tbs.subject();
    match subject.country() {
        Ok(Some(c))
            if c.as_str().len() == 2 && c.as_str().bytes().all(|b| b.is_ascii_uppercase()) => {}
        _ => return Err(rule("subject C is not an ISO 3166 two-letter code")),
    }
    if !matches!(subject.organization(), Ok(Some(_))) {
        return Err(rule("subject O is missing"));
    }
    match subject.organization_unit() {
        Ok(Some(ou)) if ou.value() == OU => {}
        _ => return Err(rule("subject OU is not \"Authenticator Attestation\"")),
    }
    if !matches!(subject.common_name(), Ok(Some(_))) {
        return Err(rule("subject CN is missing"));
    }
    check_aaguid_extension(cert, aaguid, FORMAT)?;
    check_not_ca(cert, FORMAT)
}
