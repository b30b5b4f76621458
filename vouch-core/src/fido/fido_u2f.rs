//! The `fido-u2f` attestation statement format (WebAuthn §8.6): a FIDO U2F
//! registration, re-framed.
//!
//! ```text
//! attStmt = { "sig": bstr, "x5c": [ attestnCert: bstr ] }
//! verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F
//! publicKeyU2F = 0x04 || x || y   (the P-256 credential key, uncompressed)
//! ```

use ciborium::value::Value;

use super::auth_data::AuthData;
use super::{
    AttestationError, AttestationFormat, AttestationType, StatementAlg, TrustAnchor, text_entry,
    verify_x5c, x5c,
};
use crate::key::Algorithm;
use crate::time::Timestamp;
use crate::x509::SubjectKey;

const FORMAT: AttestationFormat = AttestationFormat::FidoU2f;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FidoU2f {
    pub(crate) sig: Vec<u8>,
    pub(crate) x5c: Vec<Vec<u8>>,
}

impl FidoU2f {
    pub(crate) fn from_statement(stmt: &[(Value, Value)]) -> Result<Self, AttestationError> {
        let sig = text_entry(stmt, "sig")
            .and_then(Value::as_bytes)
            .ok_or(AttestationError::Malformed(
                "attStmt.sig: missing or not a byte string",
            ))?
            .clone();
        let x5c = x5c(text_entry(stmt, "x5c"))?.ok_or(AttestationError::Malformed(
            "attStmt.x5c: missing for fido-u2f",
        ))?;
        if x5c.len() != 1 {
            return Err(AttestationError::Malformed(
                "attStmt.x5c: fido-u2f carries exactly one certificate",
            ));
        }
        Ok(FidoU2f { sig, x5c })
    }

    pub(crate) fn verify(
        &self,
        auth: &AuthData,
        cdh: &[u8; 32],
        roots: &[TrustAnchor],
        at: Timestamp,
    ) -> Result<(AttestationType, Option<(usize, String)>), AttestationError> {
        if auth.credential.key.algorithm() != Algorithm::Es256 {
            return Err(AttestationError::UnsupportedAlgorithm {
                name: auth.credential.key.algorithm().name().to_owned(),
                usage: "as a fido-u2f credential key (U2F keys are P-256)",
            });
        }
        let (leaf, root) = verify_x5c(&self.x5c, roots, at)?;
        let key = match SubjectKey::from_certificate(&leaf) {
            Some(k @ SubjectKey::P256(_)) => k,
            _ => {
                return Err(AttestationError::CertificateRule {
                    format: FORMAT,
                    rule: "the attestation certificate's key is not P-256",
                });
            }
        };
        let signed = verification_data(auth, cdh);
        if !StatementAlg::Es256.verify(&key, &signed, &self.sig) {
            return Err(AttestationError::BadSignature { format: FORMAT });
        }
        Ok((AttestationType::Basic, Some(root)))
    }
}

/// The bytes a U2F token signs at registration.
pub(crate) fn verification_data(auth: &AuthData, cdh: &[u8; 32]) -> Vec<u8> {
    let point = auth.credential.key.point();
    let mut out = Vec::with_capacity(1 + 32 + 32 + auth.credential_id.len() + point.len());
    out.push(0x00);
    out.extend_from_slice(&auth.rp_id_hash);
    out.extend_from_slice(cdh);
    out.extend_from_slice(&auth.credential_id);
    out.extend_from_slice(point);
    out
}
