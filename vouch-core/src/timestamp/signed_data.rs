//! The CMS side of a timestamp token (RFC 5652 §5, as RFC 3161 §2.4.2
//! profiles it): a `ContentInfo` holding `SignedData` whose encapsulated
//! content is the DER `TSTInfo`, signed by one signer over its signed
//! attributes.
//!
//! ```text
//! SignedData ::= SEQUENCE {
//!   version CMSVersion,
//!   digestAlgorithms DigestAlgorithmIdentifiers,
//!   encapContentInfo EncapsulatedContentInfo,     -- id-ct-TSTInfo
//!   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SignerInfos }                    -- exactly one here
//!
//! SignerInfo ::= SEQUENCE {
//!   version CMSVersion,
//!   sid SignerIdentifier,                        -- issuerAndSerialNumber or [0] subjectKeyIdentifier
//!   digestAlgorithm DigestAlgorithmIdentifier,
//!   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,   -- required here
//!   signatureAlgorithm SignatureAlgorithmIdentifier,
//!   signature SignatureValue,
//!   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
//! ```
//!
//! The signature covers the signed attributes as the signer encoded them,
//! with the SET OF tag in place of the `[0]`. The `cms` crate decodes them
//! into a sorted set, so the received bytes are taken from the token
//! instead of re-encoding: what is verified is what was signed.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, OctetString};
use der::{Decode as _, Encode as _, Reader as _, SliceReader, Tag, TagNumber, Tagged as _};
use x509_cert::Certificate;
use x509_cert::attr::Attributes;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use super::{HashAlgorithm, MAX_CERTIFICATES, TokenError};
use crate::x509::{Hash, Scheme};

/// id-signedData.
const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-ct-TSTInfo.
pub(super) const OID_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-contentType.
pub(super) const OID_CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// id-messageDigest.
pub(super) const OID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");

/// A token taken apart, nothing verified yet.
pub(super) struct Unpacked {
    /// The encapsulated content: the DER `TSTInfo` the signer hashed.
    pub(super) tst_info: Vec<u8>,
    /// The certificates the token carries, DER.
    pub(super) certificates: Vec<Vec<u8>>,
    /// The one signer.
    pub(super) signer: SignerInfo,
    /// Its signed attributes, decoded from `signed_attrs_der`.
    pub(super) signed_attrs: Attributes,
    /// The bytes the signature covers: the received signed attributes
    /// tagged SET OF.
    pub(super) signed_attrs_der: Vec<u8>,
}

fn malformed(what: &'static str) -> TokenError {
    TokenError::Malformed { what }
}

/// The elements of a constructed value, as received.
fn elements(contents: &[u8]) -> Result<Vec<AnyRef<'_>>, der::Error> {
    let mut reader = SliceReader::new(contents)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(AnyRef::decode(&mut reader)?);
    }
    Ok(out)
}

/// The received `[0] IMPLICIT SignedAttributes` of the one SignerInfo in
/// `signed_data` (the contents of the SignedData SEQUENCE), re-tagged as
/// the SET OF that was signed. `None` when the signer has none.
fn raw_signed_attrs(signed_data: &[u8]) -> Result<Option<Vec<u8>>, TokenError> {
    let bad = || malformed("SignedData");
    let fields = elements(signed_data).map_err(|_| bad())?;
    let signer_infos = fields.last().ok_or_else(bad)?;
    let signers = elements(signer_infos.value()).map_err(|_| bad())?;
    let [signer] = signers.as_slice() else {
        return Err(TokenError::SignerCount(signers.len()));
    };
    let signer_fields = elements(signer.value()).map_err(|_| bad())?;
    let attrs_tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber(0),
    };
    match signer_fields.get(3) {
        Some(f) if f.tag() == attrs_tag => AnyRef::new(Tag::Set, f.value())
            .and_then(|set| set.to_der())
            .map(Some)
            .map_err(|_| bad()),
        _ => Ok(None),
    }
}

/// Takes a token apart: checks the content types, the one signer, the
/// presence of signed attributes and the certificate count.
pub(super) fn unpack(token: &[u8]) -> Result<Unpacked, TokenError> {
    let info = ContentInfo::from_der(token).map_err(|_| malformed("ContentInfo"))?;
    if info.content_type != OID_SIGNED_DATA {
        return Err(TokenError::NotSignedData {
            content_type: info.content_type.to_string(),
        });
    }
    let signed_data: SignedData = info
        .content
        .decode_as()
        .map_err(|_| malformed("SignedData"))?;
    let encap = &signed_data.encap_content_info;
    if encap.econtent_type != OID_TST_INFO {
        return Err(TokenError::NotTstInfo {
            content_type: encap.econtent_type.to_string(),
        });
    }
    let econtent = encap.econtent.as_ref().ok_or(TokenError::NoContent)?;
    let tst_info = econtent
        .decode_as::<OctetString>()
        .map_err(|_| malformed("encapsulated TSTInfo"))?
        .into_bytes()
        .into_vec();
    let certificates = match &signed_data.certificates {
        None => Vec::new(),
        Some(set) => {
            if set.0.len() > MAX_CERTIFICATES {
                return Err(TokenError::TooManyCertificates(set.0.len()));
            }
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(cert) => Some(cert.to_der()),
                    CertificateChoices::Other(_) => None,
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| malformed("certificates"))?
        }
    };
    let signers = signed_data.signer_infos.0.as_slice();
    let [signer] = signers else {
        return Err(TokenError::SignerCount(signers.len()));
    };
    let signed_attrs_der =
        raw_signed_attrs(info.content.value())?.ok_or(TokenError::NoSignedAttributes)?;
    let signed_attrs =
        Attributes::from_der(&signed_attrs_der).map_err(|_| malformed("signed attributes"))?;
    Ok(Unpacked {
        tst_info,
        certificates,
        signer: signer.clone(),
        signed_attrs,
        signed_attrs_der,
    })
}

/// The one value of the signed attribute `oid` (named `name`), refusing a
/// missing, repeated or multi-valued attribute as RFC 5652 §11 does.
pub(super) fn single_value<'a>(
    attrs: &'a Attributes,
    oid: ObjectIdentifier,
    name: &'static str,
) -> Result<Option<&'a der::Any>, TokenError> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(TokenError::Attribute {
            attribute: name,
            problem: "is repeated",
        });
    }
    let mut values = attr.values.iter();
    match (values.next(), values.next()) {
        (Some(v), None) => Ok(Some(v)),
        _ => Err(TokenError::Attribute {
            attribute: name,
            problem: "does not have exactly one value",
        }),
    }
}

/// How the signer signed: the scheme from its signatureAlgorithm and the
/// hash from its digestAlgorithm, which must agree when the signature
/// algorithm names a hash too. The key's type is checked when verifying.
pub(super) fn signature_scheme(
    signer: &SignerInfo,
    digest: HashAlgorithm,
) -> Result<(Scheme, Hash), TokenError> {
    let oid = signer.signature_algorithm.oid;
    let (scheme, named) = match oid {
        OID_RSA_ENCRYPTION => (Scheme::Rsa, None),
        OID_RSA_SHA256 => (Scheme::Rsa, Some(HashAlgorithm::Sha256)),
        OID_RSA_SHA384 => (Scheme::Rsa, Some(HashAlgorithm::Sha384)),
        OID_RSA_SHA512 => (Scheme::Rsa, Some(HashAlgorithm::Sha512)),
        OID_EC_PUBLIC_KEY => (Scheme::Ecdsa, None),
        OID_ECDSA_SHA256 => (Scheme::Ecdsa, Some(HashAlgorithm::Sha256)),
        OID_ECDSA_SHA384 => (Scheme::Ecdsa, Some(HashAlgorithm::Sha384)),
        OID_ECDSA_SHA512 => (Scheme::Ecdsa, Some(HashAlgorithm::Sha512)),
        other => {
            return Err(TokenError::UnsupportedSignatureAlgorithm {
                algorithm: const_oid::db::DB
                    .by_oid(&other)
                    .map_or_else(|| other.to_string(), str::to_owned),
            });
        }
    };
    if named.is_some_and(|h| h != digest) {
        return Err(TokenError::UnsupportedSignatureAlgorithm {
            algorithm: format!(
                "{} with digestAlgorithm {}",
                const_oid::db::DB
                    .by_oid(&oid)
                    .map_or_else(|| oid.to_string(), str::to_owned),
                digest.name()
            ),
        });
    }
    Ok((scheme, digest.x509_hash()))
}

/// Whether `cert` is the certificate `sid` names.
pub(super) fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    let tbs = cert.tbs_certificate();
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            isn.issuer == *tbs.issuer() && isn.serial_number == *tbs.serial_number()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => matches!(
            tbs.get_extension::<SubjectKeyIdentifier>(),
            Ok(Some((_, own))) if own == *ski
        ),
    }
}

/// `sid` for an error message.
pub(super) fn describe(sid: &SignerIdentifier) -> String {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => format!(
            "issuer {} serial {}",
            isn.issuer,
            hex::encode(isn.serial_number.as_bytes())
        ),
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            format!("subjectKeyIdentifier {}", hex::encode(ski.0.as_bytes()))
        }
    }
}
