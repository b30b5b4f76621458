//! The `tpm` attestation statement format (WebAuthn §8.3): a TPM 2.0
//! `TPM2_Certify` of the credential key by an attestation identity key (AIK)
//! whose certificate chains to the TPM vendor.
//!
//! ```text
//! attStmt = { "ver": "2.0", "alg": COSEAlgorithmIdentifier, "x5c": [ aikCert, * caCert ],
//!             "sig": bstr, "certInfo": bstr (TPMS_ATTEST), "pubArea": bstr (TPMT_PUBLIC) }
//! ```
//!
//! The AIK signs `certInfo`; `certInfo` names `pubArea` (by
//! `nameAlg || H(pubArea)`) and carries `H(authenticatorData || clientDataHash)`
//! as its extraData; `pubArea` holds the credential key. ECDAA is not
//! supported.

use ciborium::value::Value;
use sha2::Digest as _;

use super::auth_data::AuthData;
use super::{
    AttestationError, AttestationFormat, AttestationType, StatementAlg, TrustAnchor,
    check_aaguid_extension, check_not_ca, text_entry, verify_x5c, x5c,
};
use crate::key::Algorithm;
use crate::time::Timestamp;
use crate::tpm::{
    Attest, Attested, KeyParams, Public, TPM_ECC_NIST_P256, TPM_GENERATED_VALUE, TpmError,
};
use crate::x509::SubjectKey;

const FORMAT: AttestationFormat = AttestationFormat::Tpm;

/// tcg-kp-AIKCertificate, the EKU §8.3.1 requires.
const OID_AIK_EKU: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("2.23.133.8.3");
/// tcg-at-tpmManufacturer, tpmModel, tpmVersion (TCG EK profile §3.2.9).
const OID_TPM_SAN: [const_oid::ObjectIdentifier; 3] = [
    const_oid::ObjectIdentifier::new_unwrap("2.23.133.2.1"),
    const_oid::ObjectIdentifier::new_unwrap("2.23.133.2.2"),
    const_oid::ObjectIdentifier::new_unwrap("2.23.133.2.3"),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tpm {
    pub(crate) alg: i64,
    pub(crate) sig: Vec<u8>,
    pub(crate) x5c: Vec<Vec<u8>>,
    pub(crate) cert_info: Vec<u8>,
    pub(crate) pub_area: Vec<u8>,
}

fn bytes_field(
    stmt: &[(Value, Value)],
    key: &str,
    err: &'static str,
) -> Result<Vec<u8>, AttestationError> {
    text_entry(stmt, key)
        .and_then(Value::as_bytes)
        .cloned()
        .ok_or(AttestationError::Malformed(err))
}

impl Tpm {
    pub(crate) fn from_statement(stmt: &[(Value, Value)]) -> Result<Self, AttestationError> {
        if text_entry(stmt, "ver").and_then(Value::as_text) != Some("2.0") {
            return Err(AttestationError::Malformed("attStmt.ver: not \"2.0\""));
        }
        if text_entry(stmt, "ecdaaKeyId").is_some() {
            return Err(AttestationError::UnsupportedFormat("tpm (ECDAA)".into()));
        }
        let alg = text_entry(stmt, "alg")
            .and_then(Value::as_integer)
            .and_then(|a| i64::try_from(a).ok())
            .ok_or(AttestationError::Malformed(
                "attStmt.alg: missing or not an integer",
            ))?;
        Ok(Tpm {
            alg,
            sig: bytes_field(stmt, "sig", "attStmt.sig: missing or not a byte string")?,
            x5c: x5c(text_entry(stmt, "x5c"))?
                .ok_or(AttestationError::Malformed("attStmt.x5c: missing for tpm"))?,
            cert_info: bytes_field(
                stmt,
                "certInfo",
                "attStmt.certInfo: missing or not a byte string",
            )?,
            pub_area: bytes_field(
                stmt,
                "pubArea",
                "attStmt.pubArea: missing or not a byte string",
            )?,
        })
    }

    pub(crate) fn verify(
        &self,
        auth: &AuthData,
        cdh: &[u8; 32],
        roots: &[TrustAnchor],
        at: Timestamp,
    ) -> Result<(AttestationType, Option<(usize, String)>), AttestationError> {
        let alg = StatementAlg::from_cose(self.alg, FORMAT)?;
        let pub_area = PubArea::parse(&self.pub_area)?;
        let cert_info = CertInfo::parse(&self.cert_info)?;
        let (aik, root) = verify_x5c(&self.x5c, roots, at)?;
        check_aik_certificate(&aik, &auth.aaguid)?;
        let key = SubjectKey::from_certificate(&aik).ok_or(AttestationError::CertificateRule {
            format: FORMAT,
            rule: "the AIK certificate's key is of an unsupported type",
        })?;
        if !alg.fits(&key) {
            return Err(AttestationError::CertificateRule {
                format: FORMAT,
                rule: "the AIK certificate's key is not of attStmt.alg's type",
            });
        }
        if !alg.verify(&key, &self.cert_info, &self.sig) {
            return Err(AttestationError::BadSignature { format: FORMAT });
        }
        // certInfo must certify exactly this authenticator data and client
        // data, and exactly this pubArea.
        let mut att_to_be_signed = Vec::with_capacity(auth.raw.len() + 32);
        att_to_be_signed.extend_from_slice(&auth.raw);
        att_to_be_signed.extend_from_slice(cdh);
        let expected_extra = match alg {
            StatementAlg::Rs1 => sha1::Sha1::digest(&att_to_be_signed).to_vec(),
            _ => sha2::Sha256::digest(&att_to_be_signed).to_vec(),
        };
        if cert_info.extra_data != expected_extra {
            return Err(AttestationError::TpmMismatch(
                "certInfo.extraData is not the hash of authenticatorData || clientDataHash",
            ));
        }
        let name = crate::tpm::name(&self.pub_area).map_err(|_| {
            AttestationError::TpmMismatch("pubArea.nameAlg is not a supported hash")
        })?;
        if cert_info.attested_name != name {
            return Err(AttestationError::TpmMismatch(
                "certInfo.attested.name is not nameAlg || H(pubArea)",
            ));
        }
        pub_area.check_key(auth)?;
        Ok((AttestationType::Basic, Some(root)))
    }
}

/// The parts of certInfo (a TPMS_ATTEST) that §8.3 checks, parsed by
/// [`crate::tpm::Attest`]: magic, type, extraData, the certified name.
struct CertInfo {
    extra_data: Vec<u8>,
    attested_name: Vec<u8>,
}

impl CertInfo {
    fn parse(b: &[u8]) -> Result<Self, AttestationError> {
        let attest = Attest::parse(b)
            .map_err(|_| AttestationError::Malformed("attStmt.certInfo: not a TPMS_ATTEST"))?;
        if attest.magic() != TPM_GENERATED_VALUE {
            return Err(AttestationError::TpmMismatch(
                "certInfo.magic is not TPM_GENERATED_VALUE",
            ));
        }
        let Attested::Certify { name, .. } = attest.attested() else {
            return Err(AttestationError::TpmMismatch(
                "certInfo.type is not TPM_ST_ATTEST_CERTIFY",
            ));
        };
        Ok(CertInfo {
            extra_data: attest.extra_data().to_vec(),
            attested_name: name.clone(),
        })
    }
}

/// pubArea (a TPMT_PUBLIC), parsed by [`crate::tpm::Public`].
struct PubArea {
    public: Public,
}

impl PubArea {
    fn parse(b: &[u8]) -> Result<Self, AttestationError> {
        match Public::parse(b) {
            Ok(public) => Ok(PubArea { public }),
            Err(TpmError::UnsupportedAlgorithm(_)) => Err(AttestationError::TpmMismatch(
                "pubArea's type or nameAlg is not one vouch supports",
            )),
            Err(_) => Err(AttestationError::Malformed(
                "attStmt.pubArea: not a TPMT_PUBLIC",
            )),
        }
    }

    /// The key in pubArea must be the credential key of authData.
    fn check_key(&self, auth: &AuthData) -> Result<(), AttestationError> {
        let mismatch = AttestationError::TpmMismatch(
            "pubArea's key is not the credential public key of authData",
        );
        // Credential keys are P-256 or Ed25519 (auth_data refuses the rest),
        // and a TPM has no Ed25519: only an ECC P-256 pubArea can match.
        let KeyParams::Ecc {
            curve: TPM_ECC_NIST_P256,
            x: ux,
            y: uy,
            ..
        } = self.public.params()
        else {
            return Err(mismatch);
        };
        if auth.credential.key.algorithm() != Algorithm::Es256 {
            return Err(mismatch);
        }
        let point = auth.credential.key.point();
        let (x, y) = (point.get(1..33), point.get(33..65));
        let pad = |c: &[u8]| -> Option<Vec<u8>> {
            let c = c.get(c.len().saturating_sub(32)..)?;
            let mut v = vec![0u8; 32usize.saturating_sub(c.len())];
            v.extend_from_slice(c);
            Some(v)
        };
        if pad(ux).as_deref() == x && pad(uy).as_deref() == y {
            Ok(())
        } else {
            Err(mismatch)
        }
    }
}

/// WebAuthn §8.3.1: version 3, an empty subject, a subjectAltName naming
/// the TPM (manufacturer, model, version), the AIK EKU, no CA, and the
/// AAGUID extension matching when present.
fn check_aik_certificate(
    cert: &x509_cert::Certificate,
    aaguid: &[u8; 16],
) -> Result<(), AttestationError> {
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
    let rule = |rule| AttestationError::CertificateRule {
        format: FORMAT,
        rule,
    };
    let tbs = cert.tbs_certificate();
    if tbs.version() != x509_cert::certificate::Version::V3 {
        return Err(rule("the AIK certificate is not version 3"));
    }
    if !tbs.subject().is_empty() {
        return Err(rule("the AIK certificate's subject is not empty"));
    }
    let san = match tbs.get_extension::<SubjectAltName>() {
        Ok(Some((_, san))) => san,
        _ => return Err(rule("the AIK certificate has no subjectAltName")),
    };
    let names_tpm = san.0.iter().any(|n| match n {
        GeneralName::DirectoryName(dn) => OID_TPM_SAN
            .iter()
            .all(|oid| dn.iter().any(|atv| atv.oid == *oid)),
        _ => false,
    });
    if !names_tpm {
        return Err(rule(
            "the AIK certificate's subjectAltName lacks TPM manufacturer, model and version",
        ));
    }
    match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) if eku.0.contains(&OID_AIK_EKU) => {}
        _ => {
            return Err(rule(
                "the AIK certificate lacks extended key usage 2.23.133.8.3",
            ));
        }
    }
    check_aaguid_extension(cert, aaguid, FORMAT)?;
    check_not_ca(cert, FORMAT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = CertInfo::parse(&bytes);
            let _ = PubArea::parse(&bytes);
        }
    }
}
