//! The ESS signing-certificate attributes (RFC 2634 §5.4, RFC 5035 §3):
//! the signer names, under its signature, the hash of the certificate it
//! signs with, so a certificate for the same key cannot be swapped in.
//!
//! ```text
//! SigningCertificate ::=  SEQUENCE {
//!     certs        SEQUENCE OF ESSCertID,
//!     policies     SEQUENCE OF PolicyInformation OPTIONAL }
//! ESSCertID ::=  SEQUENCE {
//!     certHash                 Hash,              -- SHA-1 of the certificate
//!     issuerSerial             IssuerSerial OPTIONAL }
//!
//! SigningCertificateV2 ::=  SEQUENCE {
//!     certs        SEQUENCE OF ESSCertIDv2,
//!     policies     SEQUENCE OF PolicyInformation OPTIONAL }
//! ESSCertIDv2 ::=  SEQUENCE {
//!     hashAlgorithm            AlgorithmIdentifier DEFAULT {algorithm id-sha256},
//!     certHash                 Hash,
//!     issuerSerial             IssuerSerial OPTIONAL }
//!
//! IssuerSerial ::= SEQUENCE {
//!     issuer                   GeneralNames,
//!     serialNumber             CertificateSerialNumber }
//! ```
//!
//! Only the first certificate identifier is the signer's (the others may
//! name its issuers, for policy use); it is the one checked.

use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Any, Decode as _, Sequence};
use sha2::Digest as _;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::serial_number::SerialNumber;

use x509_cert::attr::Attributes;

use super::signed_data::single_value;
use super::{HashAlgorithm, TokenError};

/// id-aa-signingCertificate.
const OID_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// id-aa-signingCertificateV2.
const OID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

#[derive(Clone, Debug, Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Vec<Any>>,
}

#[derive(Clone, Debug, Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Vec<Any>>,
}

#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2 {
    // DEFAULT sha256: DER leaves it out when it is SHA-256.
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

#[derive(Clone, Debug, Sequence)]
struct IssuerSerial {
    issuer: GeneralNames,
    serial_number: SerialNumber,
}

/// Which of the two attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

impl Version {
    fn oid(self) -> ObjectIdentifier {
        match self {
            Version::V1 => OID_SIGNING_CERTIFICATE,
            Version::V2 => OID_SIGNING_CERTIFICATE_V2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Version::V1 => "signing-certificate",
            Version::V2 => "signing-certificate-v2",
        }
    }
}

/// Checks each signing-certificate attribute among `attrs` (either may
/// be absent; a repeated one is refused) against the signer's certificate
/// `cert`, whose DER is `cert_der`.
pub(super) fn check(
    attrs: &Attributes,
    cert: &Certificate,
    cert_der: &[u8],
) -> Result<(), TokenError> {
    for version in [Version::V1, Version::V2] {
        if let Some(value) = single_value(attrs, version.oid(), version.name())? {
            check_one(version, value, cert, cert_der)?;
        }
    }
    Ok(())
}

fn check_one(
    version: Version,
    value: &Any,
    cert: &Certificate,
    cert_der: &[u8],
) -> Result<(), TokenError> {
    let attribute = version.name();
    let malformed = || TokenError::Attribute {
        attribute,
        problem: "is malformed",
    };
    let der = der::Encode::to_der(value).map_err(|_| malformed())?;
    let (hash, issuer_serial) = match version {
        Version::V1 => {
            let sc = SigningCertificate::from_der(&der).map_err(|_| malformed())?;
            let first = sc.certs.into_iter().next().ok_or_else(malformed)?;
            // ESS v1 fixes SHA-1. It identifies a certificate the chain
            // check verifies anyway, so SHA-1 here is accepted as RFC 3161
            // TSAs (openssl's default among them) still send it.
            let hash = sha1::Sha1::digest(cert_der).to_vec();
            (
                first.cert_hash.as_bytes() == hash.as_slice(),
                first.issuer_serial,
            )
        }
        Version::V2 => {
            let sc = SigningCertificateV2::from_der(&der).map_err(|_| malformed())?;
            let first = sc.certs.into_iter().next().ok_or_else(malformed)?;
            let alg = match &first.hash_algorithm {
                None => HashAlgorithm::Sha256,
                Some(a) => HashAlgorithm::from_oid(a.oid, "signing-certificate-v2 hashAlgorithm")?,
            };
            let hash = alg.digest(cert_der);
            (
                first.cert_hash.as_bytes() == hash.as_slice(),
                first.issuer_serial,
            )
        }
    };
    if !hash {
        return Err(TokenError::SigningCertificateMismatch {
            attribute,
            problem: "names the hash of another certificate",
        });
    }
    if let Some(is) = issuer_serial {
        let tbs = cert.tbs_certificate();
        let issuer_named = is
            .issuer
            .iter()
            .any(|n| matches!(n, GeneralName::DirectoryName(name) if name == tbs.issuer()));
        if !issuer_named || is.serial_number != *tbs.serial_number() {
            return Err(TokenError::SigningCertificateMismatch {
                attribute,
                problem: "names another issuer and serial number",
            });
        }
    }
    Ok(())
}
