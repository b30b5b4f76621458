//! X.509 certificate chains up to a trust anchor (RFC 5280 §6, the subset
//! attestation needs).
//!
//! Attestation certificates (FIDO authenticators, TPM attestation keys) are
//! issued by a vendor CA the roster names as a [`TrustAnchor`]. This module
//! answers one question: does this chain, leaf first, lead to one of these
//! anchors at this time? It checks, for every certificate up to the anchor:
//!
//! - the signature, by the next certificate's key (or by the anchor's);
//! - the issuer name, equal to the signer's subject;
//! - the validity window, which must contain the given time;
//! - for every issuer (anchor included): basicConstraints with `cA` true,
//!   keyUsage `keyCertSign` where keyUsage is present, and its path length;
//! - no critical extension this module does not understand.
//!
//! Callers that use the leaf for one purpose check its extended key usage
//! too (`check_sole_key_purpose`: RFC 3161 timestamp authorities, in
//! [`crate::timestamp`]). Signatures may use SHA-256, SHA-384 or SHA-512.
//!
//! # What is trusted
//!
//! Only the anchors. A certificate in the chain whose DER, or whose subject
//! and public key, equal an anchor's is taken as that anchor and the walk
//! stops there, so a chain may or may not carry its root. Revocation (CRLs,
//! OCSP) is not checked: attestation roots revoke by metadata (FIDO MDS),
//! which the roster's own anchor list stands in for.

use std::fmt;

use const_oid::ObjectIdentifier;
use der::{Decode as _, DecodePem as _, Encode as _};
use sha2::Digest as _;
use signature::hazmat::PrehashVerifier as _;
use spki::DecodePublicKey as _;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

use crate::time::Timestamp;

/// The longest chain accepted, anchor excluded: attestation chains are a
/// leaf and at most a couple of intermediates.
pub const MAX_CHAIN_LEN: usize = 8;
/// The largest certificate accepted, in bytes.
pub const MAX_CERTIFICATE_LEN: usize = 16 * 1024;

const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_RSA_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Extensions whose criticality this module can honour: the ones it
/// checks, plus certificatePolicies, which it accepts without policy
/// processing (as a relying party with `anyPolicy` as its initial policy
/// set would). TPM vendors mark subjectAltName and certificatePolicies
/// critical on attestation key certificates.
const UNDERSTOOD_CRITICAL: [ObjectIdentifier; 5] = [
    ObjectIdentifier::new_unwrap("2.5.29.19"), // basicConstraints
    ObjectIdentifier::new_unwrap("2.5.29.15"), // keyUsage
    ObjectIdentifier::new_unwrap("2.5.29.37"), // extKeyUsage
    ObjectIdentifier::new_unwrap("2.5.29.17"), // subjectAltName
    ObjectIdentifier::new_unwrap("2.5.29.32"), // certificatePolicies
];

/// Why a certificate or a chain was refused. `index` counts from the leaf
/// (0); the anchor, when it is the one at fault, is named by its subject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The bytes are not one DER (or PEM) X.509 certificate.
    #[error("certificate {index} is not a valid DER X.509 certificate")]
    Malformed {
        /// Position in the chain.
        index: usize,
    },
    /// The certificate is larger than [`MAX_CERTIFICATE_LEN`].
    #[error("certificate {index} of {len} bytes exceeds the limit of {MAX_CERTIFICATE_LEN} bytes")]
    TooLarge {
        /// Position in the chain.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// The chain is longer than [`MAX_CHAIN_LEN`] or empty.
    #[error("certificate chain of {0} certificates is empty or longer than {MAX_CHAIN_LEN}")]
    ChainLength(usize),
    /// The time is after the certificate's notAfter.
    #[error("certificate {index} ({subject}) expired at {not_after}, checked at {at}")]
    Expired {
        /// Position in the chain.
        index: usize,
        /// Its subject.
        subject: String,
        /// Its notAfter.
        not_after: Timestamp,
        /// The time of the check.
        at: Timestamp,
    },
    /// The time is before the certificate's notBefore.
    #[error("certificate {index} ({subject}) is not valid before {not_before}, checked at {at}")]
    NotYetValid {
        /// Position in the chain.
        index: usize,
        /// Its subject.
        subject: String,
        /// Its notBefore.
        not_before: Timestamp,
        /// The time of the check.
        at: Timestamp,
    },
    /// The signature on certificate `index` does not verify with its issuer's key.
    #[error(
        "the signature on certificate {index} ({subject}) does not verify with its issuer's key"
    )]
    BadSignature {
        /// Position in the chain.
        index: usize,
        /// Its subject.
        subject: String,
    },
    /// The certificate is signed with an algorithm this module refuses or
    /// does not know (SHA-1 is refused for certificates).
    #[error("certificate {index} is signed with unsupported algorithm {algorithm}")]
    UnsupportedSignatureAlgorithm {
        /// Position in the chain.
        index: usize,
        /// The algorithm's name or OID.
        algorithm: String,
    },
    /// The public key of an issuer is of an unsupported type or invalid.
    #[error("certificate {index} has an unsupported or invalid public key")]
    UnsupportedKey {
        /// Position in the chain.
        index: usize,
    },
    /// The issuer name of certificate `index` is not its signer's subject.
    #[error("certificate {index} names issuer {issuer} but the next certificate is {next}")]
    IssuerMismatch {
        /// Position in the chain.
        index: usize,
        /// The issuer it names.
        issuer: String,
        /// The subject of the next certificate.
        next: String,
    },
    /// A certificate that issues another is no CA (basicConstraints absent
    /// or `cA` false), may not sign certificates (keyUsage without
    /// keyCertSign), or its path length constraint is exceeded.
    #[error("certificate {subject} may not issue certificate {index}: {rule}")]
    NotAnIssuer {
        /// Position in the chain of the certificate it issued.
        index: usize,
        /// The issuer's subject.
        subject: String,
        /// Which rule.
        rule: &'static str,
    },
    /// A critical extension that this module does not process.
    #[error("certificate {index} has unsupported critical extension {oid}")]
    UnknownCriticalExtension {
        /// Position in the chain.
        index: usize,
        /// The extension's OID.
        oid: String,
    },
    /// The certificate's extended key usage does not confine it to the
    /// purpose it is used for (RFC 3161 §2.3 for a timestamp authority:
    /// one critical extKeyUsage with the one purpose id-kp-timeStamping).
    #[error("certificate {index} ({subject}) may not be used for {purpose}: {rule}")]
    KeyPurpose {
        /// Position in the chain.
        index: usize,
        /// Its subject.
        subject: String,
        /// The purpose it was used for.
        purpose: &'static str,
        /// Which rule.
        rule: &'static str,
    },
    /// No anchor issued the last certificate of the chain.
    #[error("no trust anchor issued {issuer}, the issuer of certificate {index}")]
    Untrusted {
        /// Position in the chain of the last certificate.
        index: usize,
        /// The issuer it names.
        issuer: String,
    },
}

/// A root certificate the verifier trusts, with its subject for display.
#[derive(Clone)]
pub struct TrustAnchor {
    der: Vec<u8>,
    cert: Certificate,
    subject: String,
}

impl TrustAnchor {
    /// A trust anchor from one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let cert = parse(der, 0)?;
        Ok(TrustAnchor {
            der: der.to_vec(),
            subject: cert.tbs_certificate().subject().to_string(),
            cert,
        })
    }

    /// A trust anchor from one PEM certificate (`-----BEGIN CERTIFICATE-----`).
    pub fn from_pem(pem: &str) -> Result<Self, CertificateError> {
        if pem.len() > MAX_CERTIFICATE_LEN * 2 {
            return Err(CertificateError::TooLarge {
                index: 0,
                len: pem.len(),
            });
        }
        let cert = Certificate::from_pem(pem.as_bytes())
            .map_err(|_| CertificateError::Malformed { index: 0 })?;
        let der = cert
            .to_der()
            .map_err(|_| CertificateError::Malformed { index: 0 })?;
        TrustAnchor::from_der(&der)
    }

    /// The anchor's subject (RFC 4514 form), for display.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The anchor's DER certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The anchor's parsed certificate.
    pub(crate) fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// Whether `cert` is this anchor: the same DER, or the same subject and
    /// public key (a re-issued root with the same key is the same anchor).
    fn is(&self, der: &[u8], cert: &Certificate) -> bool {
        der == self.der.as_slice()
            || (cert.tbs_certificate().subject() == self.cert.tbs_certificate().subject()
                && cert.tbs_certificate().subject_public_key_info()
                    == self.cert.tbs_certificate().subject_public_key_info())
    }
}

impl fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustAnchor")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Parses one DER certificate, bounded in size, refusing trailing bytes.
pub(crate) fn parse(der: &[u8], index: usize) -> Result<Certificate, CertificateError> {
    if der.len() > MAX_CERTIFICATE_LEN {
        return Err(CertificateError::TooLarge {
            index,
            len: der.len(),
        });
    }
    Certificate::from_der(der).map_err(|_| CertificateError::Malformed { index })
}

/// Verifies `chain` (DER, leaf first, each certificate issued by the next)
/// up to one of `anchors` at time `at`, returning the index of the anchor.
pub fn verify_chain(
    chain: &[&[u8]],
    anchors: &[TrustAnchor],
    at: Timestamp,
) -> Result<usize, CertificateError> {
    if chain.is_empty() || chain.len() > MAX_CHAIN_LEN {
        return Err(CertificateError::ChainLength(chain.len()));
    }
    let certs = chain
        .iter()
        .enumerate()
        .map(|(i, der)| parse(der, i))
        .collect::<Result<Vec<_>, _>>()?;
    for (index, (der, cert)) in chain.iter().zip(&certs).enumerate() {
        // The certificate below (if any) was already checked against this
        // one as its issuer, so an anchor in the chain ends the walk.
        if let Some(a) = anchors.iter().position(|a| a.is(der, cert)) {
            return Ok(a);
        }
        check_validity(cert, index, at)?;
        check_critical(cert, index)?;
        match certs.get(index + 1) {
            Some(next) => {
                check_issuer(next, index, cert)?;
                check_signature(cert, next, index)?;
            }
            None => {
                let issuer = cert.tbs_certificate().issuer();
                let mut last_err = None;
                for (a, anchor) in anchors.iter().enumerate() {
                    if anchor.cert.tbs_certificate().subject() != issuer {
                        continue;
                    }
                    let checked = check_issuer(&anchor.cert, index, cert)
                        .and_then(|()| check_signature(cert, &anchor.cert, index));
                    match checked {
                        Ok(()) => return Ok(a),
                        Err(e) => last_err = Some(e),
                    }
                }
                return Err(last_err.unwrap_or_else(|| CertificateError::Untrusted {
                    index,
                    issuer: issuer.to_string(),
                }));
            }
        }
    }
    // Every iteration returns or continues to a next certificate, and the
    // last one has none; this is the empty-chain case, refused above.
    Err(CertificateError::ChainLength(0))
}

fn time(t: x509_cert::time::Time) -> Timestamp {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    // X.509 times end in 9999, as Timestamp does; saturate rather than fail.
    Timestamp::from_unix_seconds(secs).unwrap_or_else(|| {
        let now = Timestamp::now();
        now.plus_seconds(secs.saturating_sub(now.unix_seconds()))
    })
}

/// Checks that `at` lies within the certificate's validity window.
pub(crate) fn check_validity(
    cert: &Certificate,
    index: usize,
    at: Timestamp,
) -> Result<(), CertificateError> {
    let v = cert.tbs_certificate().validity();
    let not_before = time(v.not_before);
    let not_after = time(v.not_after);
    let subject = || cert.tbs_certificate().subject().to_string();
    if at < not_before {
        return Err(CertificateError::NotYetValid {
            index,
            subject: subject(),
            not_before,
            at,
        });
    }
    if at > not_after {
        return Err(CertificateError::Expired {
            index,
            subject: subject(),
            not_after,
            at,
        });
    }
    Ok(())
}

/// Checks that `cert` (at `index`) carries exactly one extKeyUsage
/// extension, marked critical, whose only purpose is `purpose` (named
/// `name` in the error): the rule RFC 3161 §2.3 sets for timestamp
/// authorities, where a key usable for anything else must not vouch for
/// time.
pub(crate) fn check_sole_key_purpose(
    cert: &Certificate,
    index: usize,
    purpose: ObjectIdentifier,
    name: &'static str,
) -> Result<(), CertificateError> {
    let refuse = |rule| CertificateError::KeyPurpose {
        index,
        subject: cert.tbs_certificate().subject().to_string(),
        purpose: name,
        rule,
    };
    match cert.tbs_certificate().get_extension::<ExtendedKeyUsage>() {
        Ok(None) => Err(refuse("it has no extKeyUsage extension")),
        Err(_) => Err(refuse("its extKeyUsage is malformed or repeated")),
        Ok(Some((critical, eku))) => {
            if !eku.0.contains(&purpose) {
                Err(refuse("its extKeyUsage does not include the purpose"))
            } else if eku.0.len() != 1 {
                Err(refuse("its extKeyUsage allows other purposes too"))
            } else if !critical {
                Err(refuse("its extKeyUsage is not marked critical"))
            } else {
                Ok(())
            }
        }
    }
}

fn check_critical(cert: &Certificate, index: usize) -> Result<(), CertificateError> {
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        if ext.critical && !UNDERSTOOD_CRITICAL.contains(&ext.extn_id) {
            return Err(CertificateError::UnknownCriticalExtension {
                index,
                oid: ext.extn_id.to_string(),
            });
        }
    }
    Ok(())
}

/// Checks that `issuer` may issue `cert` (at `index`): names chain, it is a
/// CA allowed to sign certificates, and its path length allows `index`
/// intermediates below it.
fn check_issuer(
    issuer: &Certificate,
    index: usize,
    cert: &Certificate,
) -> Result<(), CertificateError> {
    let subject = || issuer.tbs_certificate().subject().to_string();
    if cert.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
        return Err(CertificateError::IssuerMismatch {
            index,
            issuer: cert.tbs_certificate().issuer().to_string(),
            next: subject(),
        });
    }
    let not_an_issuer = |rule| CertificateError::NotAnIssuer {
        index,
        subject: subject(),
        rule,
    };
    let tbs = issuer.tbs_certificate();
    match tbs.get_extension::<BasicConstraints>() {
        Ok(Some((_, bc))) if bc.ca => {
            if let Some(max) = bc.path_len_constraint
                && index > usize::from(max)
            {
                return Err(not_an_issuer("pathLenConstraint exceeded"));
            }
        }
        Ok(_) => return Err(not_an_issuer("basicConstraints cA is not true")),
        Err(_) => return Err(not_an_issuer("basicConstraints is malformed or repeated")),
    }
    match tbs.get_extension::<KeyUsage>() {
        Ok(Some((_, ku))) if !ku.key_cert_sign() => {
            Err(not_an_issuer("keyUsage lacks keyCertSign"))
        }
        Ok(_) => Ok(()),
        Err(_) => Err(not_an_issuer("keyUsage is malformed or repeated")),
    }
}

fn check_signature(
    cert: &Certificate,
    issuer: &Certificate,
    index: usize,
) -> Result<(), CertificateError> {
    let alg = cert.signature_algorithm();
    let hash = match alg.oid {
        OID_ECDSA_SHA256 | OID_RSA_SHA256 => Hash::Sha256,
        OID_ECDSA_SHA384 | OID_RSA_SHA384 => Hash::Sha384,
        OID_ECDSA_SHA512 | OID_RSA_SHA512 => Hash::Sha512,
        OID_ED25519 => Hash::None,
        other => {
            let algorithm = if other == OID_RSA_SHA1 {
                "sha1WithRSAEncryption".to_owned()
            } else {
                const_oid::db::DB
                    .by_oid(&other)
                    .map_or_else(|| other.to_string(), str::to_owned)
            };
            return Err(CertificateError::UnsupportedSignatureAlgorithm { index, algorithm });
        }
    };
    let scheme = match alg.oid {
        OID_RSA_SHA256 | OID_RSA_SHA384 | OID_RSA_SHA512 => Scheme::Rsa,
        OID_ED25519 => Scheme::Ed25519,
        _ => Scheme::Ecdsa,
    };
    let key = SubjectKey::from_certificate(issuer)
        .ok_or(CertificateError::UnsupportedKey { index: index + 1 })?;
    let tbs = cert
        .tbs_certificate()
        .to_der()
        .map_err(|_| CertificateError::Malformed { index })?;
    let sig = cert
        .signature()
        .as_bytes()
        .ok_or(CertificateError::Malformed { index })?;
    if key.verify(scheme, hash, &tbs, sig) {
        Ok(())
    } else {
        Err(CertificateError::BadSignature {
            index,
            subject: cert.tbs_certificate().subject().to_string(),
        })
    }
}

/// The digest a signature is computed over the message with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
    /// Ed25519 hashes internally.
    None,
}

/// How the signature is made; it must agree with the key's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// ECDSA with a DER `Ecdsa-Sig-Value`.
    Ecdsa,
    /// RSASSA-PKCS1-v1_5.
    Rsa,
    Ed25519,
}

/// A certificate's subject public key, as far as vouch can verify with it.
#[derive(Clone, Debug)]
pub(crate) enum SubjectKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Rsa(rsa::PublicKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// RSA keys shorter than this are refused: attestation vendors use 2048
/// bits and more.
const MIN_RSA_BITS: usize = 2048;

impl SubjectKey {
    pub(crate) fn from_certificate(cert: &Certificate) -> Option<Self> {
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .ok()?;
        SubjectKey::from_spki_der(&spki)
    }

    pub(crate) fn from_spki_der(spki: &[u8]) -> Option<Self> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(spki) {
            return Some(SubjectKey::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(spki) {
            return Some(SubjectKey::P384(k));
        }
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(spki) {
            return Some(SubjectKey::Ed25519(k));
        }
        if let Ok(k) = rsa::PublicKey::from_public_key_der(spki) {
            use rsa::traits::PublicKeyParts as _;
            if k.size() * 8 >= MIN_RSA_BITS {
                return Some(SubjectKey::Rsa(k));
            }
        }
        None
    }

    /// Verifies `sig` over `msg`; any mismatch between scheme and key
    /// type is a failure, never a reinterpretation.
    pub(crate) fn verify(&self, scheme: Scheme, hash: Hash, msg: &[u8], sig: &[u8]) -> bool {
        let digest = |h: Hash| -> Option<Vec<u8>> {
            match h {
                Hash::Sha1 => Some(sha1::Sha1::digest(msg).to_vec()),
                Hash::Sha256 => Some(sha2::Sha256::digest(msg).to_vec()),
                Hash::Sha384 => Some(sha2::Sha384::digest(msg).to_vec()),
                Hash::Sha512 => Some(sha2::Sha512::digest(msg).to_vec()),
                Hash::None => None,
            }
        };
        match (self, scheme) {
            (SubjectKey::P256(k), Scheme::Ecdsa) => {
                let (Ok(s), Some(d)) = (p256::ecdsa::Signature::from_der(sig), digest(hash)) else {
                    return false;
                };
                hash != Hash::Sha1 && k.verify_prehash(&d, &s).is_ok()
            }
            (SubjectKey::P384(k), Scheme::Ecdsa) => {
                let (Ok(s), Some(d)) = (p384::ecdsa::Signature::from_der(sig), digest(hash)) else {
                    return false;
                };
                hash != Hash::Sha1 && k.verify_prehash(&d, &s).is_ok()
            }
            (SubjectKey::Ed25519(k), Scheme::Ed25519) if hash == Hash::None => {
                let Ok(s) = ed25519_dalek::Signature::from_slice(sig) else {
                    return false;
                };
                k.verify_strict(msg, &s).is_ok()
            }
            (SubjectKey::Rsa(k), Scheme::Rsa) => {
                let padding = match hash {
                    Hash::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                    Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                    Hash::None => return false,
                };
                let Some(d) = digest(hash) else {
                    return false;
                };
                k.verify(padding, &d, sig).is_ok()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(
            TrustAnchor::from_der(b"not a certificate").map(|_| ()),
            Err(CertificateError::Malformed { index: 0 })
        );
        assert_eq!(
            verify_chain(&[], &[], Timestamp::now()),
            Err(CertificateError::ChainLength(0))
        );
        let nine = [&b"x"[..]; 9];
        assert_eq!(
            verify_chain(&nine, &[], Timestamp::now()),
            Err(CertificateError::ChainLength(9))
        );
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = TrustAnchor::from_der(&bytes);
            let _ = verify_chain(&[&bytes], &[], Timestamp::now());
            let _ = SubjectKey::from_spki_der(&bytes);
        }
    }
}
