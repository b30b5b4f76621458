//! RFC 3161 timestamp tokens: proof from a timestamp authority (TSA) that
//! some bytes existed at a time.
//!
//! In vouch the timestamped bytes are a signature: a token over them
//! proves the signature was made no later than the token's `genTime`, so a
//! key's validity window can be checked at that proven time rather than
//! at the time the signer claims (DESIGN.md, "Trust state and time").
//! Sigstore bundles carry such tokens over their signature.
//!
//! [`Verifier::verify_token`] takes a `TimeStampToken` (a CMS
//! `ContentInfo`), [`Verifier::verify_response`] a whole `TimeStampResp`
//! (status and token, what a TSA answers and what Sigstore stores). Both
//! check, and refuse with a [`TokenError`] saying which check failed:
//!
//! - the `TSTInfo` (see the `tst_info` module's ASN.1): version 1, a
//!   messageImprint with SHA-256, SHA-384 or SHA-512 (SHA-1 is refused)
//!   equal to the hash of the timestamped data, the nonce when the caller
//!   sent one, a well-formed `genTime`, no critical extension;
//! - the CMS `SignedData`: exactly one signer, with signed attributes whose
//!   content-type is id-ct-TSTInfo and whose message-digest is the hash of
//!   the encapsulated `TSTInfo`; the signature over those attributes
//!   (RSA PKCS#1 v1.5 or ECDSA P-256/P-384, with SHA-256/384/512) by the
//!   key of the certificate the signer identifier names, found among the
//!   token's certificates or the caller's;
//! - the ESS signing-certificate(-v2) attribute, when present, names that
//!   certificate;
//! - that certificate has one critical extKeyUsage with the sole purpose
//!   id-kp-timeStamping (RFC 3161 §2.3), and chains (through
//!   [`crate::x509::verify_chain`]) to a trusted [`TrustAnchor`], every
//!   certificate, the anchor included, valid at `genTime`.
//!
//! # What is trusted
//!
//! Only the anchors. Certificates in the token or given by the caller only
//! help to find the signer and a path. The time a token proves is its
//! `genTime`, to the second (the fraction is dropped) and within the
//! token's accuracy, which [`VerifiedTimestamp::accuracy`] reports.
//! Revocation is not checked (as in [`crate::x509`]), nor whether the
//! optional `tsa` name matches the certificate, nor the policy OID: a
//! caller who trusts only some policies compares
//! [`VerifiedTimestamp::policy`]. A trust root that limits when a TSA may
//! be used (Sigstore's `validFor`) is the caller's to check against
//! [`VerifiedTimestamp::gen_time`] and [`VerifiedTimestamp::anchor`].
//!
//! Tokens must be DER, as RFC 3161 tokens are in practice; BER
//! (indefinite lengths) is refused.
//!
//! # Example
//!
//! ```
//! use vouch_core::timestamp::{Imprint, TokenError, Verifier};
//! use vouch_core::x509::TrustAnchor;
//!
//! let anchors: Vec<TrustAnchor> = Vec::new(); // the TSA roots you trust
//! let verifier = Verifier::new(&anchors);
//! let signature = b"the signature bytes that were timestamped";
//! match verifier.verify_token(b"not a token", Imprint::Data(signature)) {
//!     Ok(t) => println!("signed no later than {}", t.gen_time()),
//!     Err(TokenError::Malformed { what }) => assert_eq!(what, "ContentInfo"),
//!     Err(e) => panic!("unexpected: {e}"),
//! }
//! ```

use std::fmt;
use std::time::Duration;

use const_oid::ObjectIdentifier;
use sha2::Digest as _;

use crate::time::Timestamp;
use crate::x509::{self, CertificateError, SubjectKey, TrustAnchor};
use signed_data::Unpacked;

mod ess;
mod response;
mod signed_data;
mod tst_info;

/// The largest token or response accepted, in bytes: a token is a
/// `TSTInfo`, a signature and a few certificates.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;
/// The most certificates a token may carry.
pub const MAX_CERTIFICATES: usize = 10;
/// The longest path from the TSA's certificate up to an anchor, the TSA's
/// certificate included and the anchor excluded when it is not carried.
pub const MAX_CHAIN_LEN: usize = 5;

/// id-kp-timeStamping.
const OID_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

/// A hash algorithm a token may use, for its message imprint and for its
/// signature. SHA-1 is not one: it is refused wherever a token names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The algorithm's name, as in `sha256`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// The hash of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The algorithm an AlgorithmIdentifier names in `field`.
    fn from_oid(oid: ObjectIdentifier, field: &'static str) -> Result<Self, TokenError> {
        match oid {
            OID_SHA256 => Ok(HashAlgorithm::Sha256),
            OID_SHA384 => Ok(HashAlgorithm::Sha384),
            OID_SHA512 => Ok(HashAlgorithm::Sha512),
            other => Err(TokenError::UnsupportedHashAlgorithm {
                field,
                algorithm: if other == OID_SHA1 {
                    "sha1 (refused: not collision resistant)".to_owned()
                } else {
                    const_oid::db::DB
                        .by_oid(&other)
                        .map_or_else(|| other.to_string(), str::to_owned)
                },
            }),
        }
    }

    fn x509_hash(self) -> x509::Hash {
        match self {
            HashAlgorithm::Sha256 => x509::Hash::Sha256,
            HashAlgorithm::Sha384 => x509::Hash::Sha384,
            HashAlgorithm::Sha512 => x509::Hash::Sha512,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the token must be a timestamp of.
#[derive(Clone, Copy, Debug)]
pub enum Imprint<'a> {
    /// The timestamped bytes themselves (for vouch, a signature); they are
    /// hashed with the algorithm the token names.
    Data(&'a [u8]),
    /// Their hash, already computed; the token must use this algorithm.
    Digest {
        /// The algorithm of `digest`.
        algorithm: HashAlgorithm,
        /// The hash of the timestamped bytes.
        digest: &'a [u8],
    },
}

/// Why a timestamp token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token or response is larger than [`MAX_TOKEN_LEN`].
    #[error("timestamp of {len} bytes exceeds the limit of {MAX_TOKEN_LEN} bytes")]
    TooLarge {
        /// Its length.
        len: usize,
    },
    /// A structure is not valid DER of its ASN.1 type.
    #[error("timestamp is malformed: its {what} is not valid DER")]
    Malformed {
        /// Which structure.
        what: &'static str,
    },
    /// The TSA's response says it refused the request.
    #[error("the TSA refused the request (status {status}, failure {fail_info:?}): {text:?}")]
    Refused {
        /// PKIStatus: 2 rejection, 3 waiting, 4 revocation warning, 5
        /// revocation notification.
        status: u32,
        /// The status text the TSA sent (shortened).
        text: String,
        /// The PKIFailureInfo bits it set, by name.
        fail_info: Vec<&'static str>,
    },
    /// The response grants the request but carries no token.
    #[error("the TSA's response grants the request but carries no token")]
    NoToken,
    /// The token's ContentInfo is not SignedData.
    #[error("timestamp token is {content_type}, not CMS SignedData")]
    NotSignedData {
        /// The content type it has.
        content_type: String,
    },
    /// The SignedData encapsulates something other than a TSTInfo.
    #[error("timestamp token encapsulates {content_type}, not id-ct-TSTInfo")]
    NotTstInfo {
        /// The eContentType it has.
        content_type: String,
    },
    /// The SignedData's content is detached.
    #[error("timestamp token has no encapsulated TSTInfo")]
    NoContent,
    /// The TSTInfo's version is not 1.
    #[error("TSTInfo version {0} is not 1")]
    UnsupportedVersion(u64),
    /// A hash algorithm that is refused or unknown.
    #[error("{field} uses hash algorithm {algorithm}, which is not supported")]
    UnsupportedHashAlgorithm {
        /// Where it is named.
        field: &'static str,
        /// Its name or OID.
        algorithm: String,
    },
    /// The caller gave a digest of another algorithm than the token's.
    #[error("the token's messageImprint is {token}, but a {given} digest was given")]
    ImprintAlgorithmMismatch {
        /// The token's algorithm.
        token: HashAlgorithm,
        /// The caller's.
        given: HashAlgorithm,
    },
    /// The token timestamps other data.
    #[error("the token's messageImprint is not the {algorithm} hash of the timestamped data")]
    ImprintMismatch {
        /// The algorithm compared with.
        algorithm: HashAlgorithm,
    },
    /// The caller sent a nonce and the token has none.
    #[error("the token has no nonce, but the request sent one")]
    NonceMissing,
    /// The token's nonce is not the one sent.
    #[error("the token's nonce is not the one the request sent")]
    NonceMismatch,
    /// `genTime` is not a GeneralizedTime of RFC 3161's form.
    #[error("TSTInfo genTime {text:?} is not a UTC GeneralizedTime")]
    GenTime {
        /// The text (shortened).
        text: String,
    },
    /// The accuracy's millis or micros are outside 1..999.
    #[error("TSTInfo accuracy has millis or micros outside 1..999")]
    Accuracy,
    /// The TSTInfo has a critical extension (RFC 3161 defines none).
    #[error("TSTInfo has critical extension {oid}, which is not understood")]
    CriticalExtension {
        /// Its OID.
        oid: String,
    },
    /// The SignedData does not have exactly one signer.
    #[error("timestamp token has {0} signers, not exactly one")]
    SignerCount(usize),
    /// The token carries more than [`MAX_CERTIFICATES`] certificates.
    #[error("timestamp token carries {0} certificates, more than {MAX_CERTIFICATES}")]
    TooManyCertificates(usize),
    /// The signer has no signed attributes.
    #[error("the token's signer has no signed attributes")]
    NoSignedAttributes,
    /// A signed attribute is missing, repeated, malformed or wrong.
    #[error("signed attribute {attribute} {problem}")]
    Attribute {
        /// Which attribute.
        attribute: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The message-digest attribute is not the hash of the TSTInfo: the
    /// TSTInfo was changed after it was signed.
    #[error("the message-digest attribute is not the {algorithm} hash of the TSTInfo")]
    MessageDigestMismatch {
        /// The signer's digest algorithm.
        algorithm: HashAlgorithm,
    },
    /// The signature algorithm is unknown, refused, or disagrees with the
    /// digest algorithm.
    #[error("the token is signed with unsupported signature algorithm {algorithm}")]
    UnsupportedSignatureAlgorithm {
        /// Its name or OID.
        algorithm: String,
    },
    /// No certificate in the token or given by the caller is the signer's.
    #[error("no certificate in the token or given matches the signer ({signer})")]
    SignerNotFound {
        /// The signer identifier.
        signer: String,
    },
    /// The signer's key is not one this module verifies with.
    #[error("the signer certificate {subject} has an unsupported or invalid key")]
    UnsupportedKey {
        /// Its subject.
        subject: String,
    },
    /// The signature does not verify with the signer certificate's key.
    #[error("the token's signature does not verify with the key of {subject}")]
    BadSignature {
        /// The signer certificate's subject.
        subject: String,
    },
    /// The ESS signing-certificate attribute names another certificate.
    #[error("signed attribute {attribute} {problem}")]
    SigningCertificateMismatch {
        /// Which attribute.
        attribute: &'static str,
        /// What differs.
        problem: &'static str,
    },
    /// No path of at most [`MAX_CHAIN_LEN`] certificates reaches an anchor.
    #[error(
        "no path of at most {MAX_CHAIN_LEN} certificates leads from {subject} to a trust anchor"
    )]
    ChainTooLong {
        /// The signer certificate's subject.
        subject: String,
    },
    /// The signer certificate or its chain was refused.
    #[error("timestamp authority certificate refused: {0}")]
    Certificate(#[from] CertificateError),
}

/// A timestamp that verified: what the token proves, constructed only by
/// this module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    gen_time: Timestamp,
    tsa_subject: String,
    serial: Vec<u8>,
    hash_algorithm: HashAlgorithm,
    accuracy: Option<Duration>,
    policy: String,
    nonce: Option<Vec<u8>>,
    anchor: usize,
}

impl VerifiedTimestamp {
    /// When the TSA says it saw the data (`genTime`, to the second).
    pub fn gen_time(&self) -> Timestamp {
        self.gen_time
    }

    /// The subject of the TSA's signing certificate (RFC 4514 form).
    pub fn tsa_subject(&self) -> &str {
        &self.tsa_subject
    }

    /// The token's serial number: the INTEGER's big-endian two's
    /// complement bytes as the token encodes them (minimal; a positive
    /// number whose top bit is set starts with a zero byte).
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// The hash algorithm of the message imprint.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash_algorithm
    }

    /// How far `genTime` may be from the true time, when the TSA says.
    pub fn accuracy(&self) -> Option<Duration> {
        self.accuracy
    }

    /// The TSA policy the token was issued under (dotted OID).
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// The token's nonce, if it has one, encoded as [`Self::serial`] is.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }

    /// The index, in the verifier's anchors, of the anchor the TSA's
    /// certificate chains to.
    pub fn anchor(&self) -> usize {
        self.anchor
    }
}

/// Verifies timestamp tokens against trusted TSA roots.
#[derive(Clone, Debug)]
pub struct Verifier<'a> {
    anchors: &'a [TrustAnchor],
    certificates: &'a [&'a [u8]],
    nonce: Option<&'a [u8]>,
}

impl<'a> Verifier<'a> {
    /// A verifier trusting TSAs whose certificates chain to `anchors`.
    pub fn new(anchors: &'a [TrustAnchor]) -> Self {
        Verifier {
            anchors,
            certificates: &[],
            nonce: None,
        }
    }

    /// Certificates (DER) to find the TSA's certificate and its issuers
    /// among, besides those the token carries: for tokens requested
    /// without certificates. They are not trusted by being given.
    pub fn with_certificates(self, certificates: &'a [&'a [u8]]) -> Self {
        Verifier {
            certificates,
            ..self
        }
    }

    /// Requires the token to carry this nonce: the value the request sent,
    /// as an unsigned big-endian number (leading zeros are ignored).
    pub fn with_nonce(self, nonce: &'a [u8]) -> Self {
        Verifier {
            nonce: Some(nonce),
            ..self
        }
    }

    /// Verifies a DER `TimeStampResp`: its status must grant the request,
    /// and its token verify as in [`Verifier::verify_token`].
    pub fn verify_response(
        &self,
        response: &[u8],
        imprint: Imprint<'_>,
    ) -> Result<VerifiedTimestamp, TokenError> {
        if response.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLarge {
                len: response.len(),
            });
        }
        let token = response::token(response)?;
        self.verify_token(&token, imprint)
    }

    /// Verifies a DER `TimeStampToken` (a CMS `ContentInfo`) over `imprint`.
    pub fn verify_token(
        &self,
        token: &[u8],
        imprint: Imprint<'_>,
    ) -> Result<VerifiedTimestamp, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLarge { len: token.len() });
        }
        let unpacked = signed_data::unpack(token)?;
        let tst = tst_info::TstInfo::parse(&unpacked.tst_info)?;

        // What the token says, before who says it.
        if tst.version != 1 {
            return Err(TokenError::UnsupportedVersion(tst.version));
        }
        let hash_algorithm =
            HashAlgorithm::from_oid(tst.message_imprint.hash_algorithm.oid, "messageImprint")?;
        let expected = match imprint {
            Imprint::Data(data) => hash_algorithm.digest(data),
            Imprint::Digest { algorithm, digest } => {
                if algorithm != hash_algorithm {
                    return Err(TokenError::ImprintAlgorithmMismatch {
                        token: hash_algorithm,
                        given: algorithm,
                    });
                }
                digest.to_vec()
            }
        };
        // Hashes of public data: no need for a constant-time comparison.
        if tst.message_imprint.hashed_message.as_bytes() != expected.as_slice() {
            return Err(TokenError::ImprintMismatch {
                algorithm: hash_algorithm,
            });
        }
        if let Some(sent) = self.nonce {
            let got = tst.nonce.ok_or(TokenError::NonceMissing)?;
            if got.as_bytes() != der_unsigned(sent).as_slice() {
                return Err(TokenError::NonceMismatch);
            }
        }
        let gen_time = tst_info::gen_time(tst.gen_time)?;
        let accuracy = match tst.accuracy {
            None => None,
            Some(a) => Some(a.duration().ok_or(TokenError::Accuracy)?),
        };
        if let Some(ext) = tst.extensions.iter().flatten().find(|e| e.critical) {
            return Err(TokenError::CriticalExtension {
                oid: ext.extn_id.to_string(),
            });
        }

        // That the signer signed this TSTInfo.
        let signer = &unpacked.signer;
        let digest_algorithm = HashAlgorithm::from_oid(signer.digest_alg.oid, "digestAlgorithm")?;
        check_signed_attributes(&unpacked, digest_algorithm)?;
        let (scheme, hash) = signed_data::signature_scheme(signer, digest_algorithm)?;
        let (cert, cert_der) = self.find_signer(&unpacked)?;
        let subject = cert.tbs_certificate().subject().to_string();
        let key =
            SubjectKey::from_certificate(&cert).ok_or_else(|| TokenError::UnsupportedKey {
                subject: subject.clone(),
            })?;
        if !key.verify(
            scheme,
            hash,
            &unpacked.signed_attrs_der,
            signer.signature.as_bytes(),
        ) {
            return Err(TokenError::BadSignature { subject });
        }
        ess::check(&unpacked.signed_attrs, &cert, &cert_der)?;

        // That the signer is a TSA the caller trusts, at genTime.
        x509::check_sole_key_purpose(&cert, 0, OID_TIME_STAMPING, "timestamping")?;
        let chain = self.path(&unpacked, &cert, cert_der, &subject)?;
        let chain_refs: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
        let anchor = x509::verify_chain(&chain_refs, self.anchors, gen_time)?;
        if let Some(a) = self.anchors.get(anchor) {
            x509::check_validity(a.certificate(), chain.len(), gen_time)?;
        }

        Ok(VerifiedTimestamp {
            gen_time,
            tsa_subject: subject,
            serial: tst.serial_number.as_bytes().to_vec(),
            hash_algorithm,
            accuracy,
            policy: tst.policy.to_string(),
            nonce: tst.nonce.map(|n| n.as_bytes().to_vec()),
            anchor,
        })
    }

    /// The token's certificates, then the caller's.
    fn pool<'u>(&'u self, unpacked: &'u Unpacked) -> impl Iterator<Item = &'u [u8]> + 'u {
        unpacked
            .certificates
            .iter()
            .map(Vec::as_slice)
            .chain(self.certificates.iter().copied())
    }

    /// The certificate the signer identifier names, and its DER.
    fn find_signer(
        &self,
        unpacked: &Unpacked,
    ) -> Result<(x509_cert::Certificate, Vec<u8>), TokenError> {
        for der in self.pool(unpacked) {
            if let Ok(cert) = x509::parse(der, 0)
                && signed_data::identifies(&unpacked.signer.sid, &cert)
            {
                return Ok((cert, der.to_vec()));
            }
        }
        Err(TokenError::SignerNotFound {
            signer: signed_data::describe(&unpacked.signer.sid),
        })
    }

    /// A path from the signer certificate towards an anchor, leaf first:
    /// each next certificate is one from the pool whose subject is the
    /// issuer of the last, until an anchor's subject is that issuer or no
    /// certificate is. [`x509::verify_chain`] then checks it.
    fn path(
        &self,
        unpacked: &Unpacked,
        leaf: &x509_cert::Certificate,
        leaf_der: Vec<u8>,
        subject: &str,
    ) -> Result<Vec<Vec<u8>>, TokenError> {
        let pool: Vec<(&[u8], x509_cert::Certificate)> = self
            .pool(unpacked)
            .filter_map(|der| x509::parse(der, 0).ok().map(|c| (der, c)))
            .collect();
        let mut chain = vec![leaf_der];
        let mut last = leaf.clone();
        loop {
            let tbs = last.tbs_certificate();
            let issued_by_anchor = self
                .anchors
                .iter()
                .any(|a| a.certificate().tbs_certificate().subject() == tbs.issuer());
            let is_anchor = self
                .anchors
                .iter()
                .any(|a| chain.last().is_some_and(|d| d.as_slice() == a.der()));
            if issued_by_anchor || is_anchor || tbs.issuer() == tbs.subject() {
                return Ok(chain);
            }
            let next = pool.iter().find(|(der, c)| {
                c.tbs_certificate().subject() == tbs.issuer()
                    && !chain.iter().any(|d| d.as_slice() == *der)
            });
            let Some((der, cert)) = next else {
                return Ok(chain);
            };
            if chain.len() == MAX_CHAIN_LEN {
                return Err(TokenError::ChainTooLong {
                    subject: subject.to_owned(),
                });
            }
            chain.push(der.to_vec());
            last = cert.clone();
        }
    }
}

/// The content-type and message-digest signed attributes (RFC 5652 §11.1,
/// §11.2), both required when there are signed attributes.
fn check_signed_attributes(
    unpacked: &Unpacked,
    digest_algorithm: HashAlgorithm,
) -> Result<(), TokenError> {
    let attrs = &unpacked.signed_attrs;
    let missing = |attribute| TokenError::Attribute {
        attribute,
        problem: "is missing",
    };
    let content_type =
        signed_data::single_value(attrs, signed_data::OID_CONTENT_TYPE, "content-type")?
            .ok_or_else(|| missing("content-type"))?;
    if content_type.decode_as::<ObjectIdentifier>().ok() != Some(signed_data::OID_TST_INFO) {
        return Err(TokenError::Attribute {
            attribute: "content-type",
            problem: "does not name id-ct-TSTInfo",
        });
    }
    let message_digest =
        signed_data::single_value(attrs, signed_data::OID_MESSAGE_DIGEST, "message-digest")?
            .ok_or_else(|| missing("message-digest"))?;
    let digest = message_digest
        .decode_as::<der::asn1::OctetString>()
        .map_err(|_| TokenError::Attribute {
            attribute: "message-digest",
            problem: "is not an OCTET STRING",
        })?;
    if digest.as_bytes() != digest_algorithm.digest(&unpacked.tst_info).as_slice() {
        return Err(TokenError::MessageDigestMismatch {
            algorithm: digest_algorithm,
        });
    }
    Ok(())
}

/// The DER INTEGER content of the unsigned big-endian `b`: no leading
/// zero bytes but one where the top bit would read as a sign.
fn der_unsigned(b: &[u8]) -> Vec<u8> {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    let digits = b.get(first..).unwrap_or_default();
    match digits.first() {
        None => vec![0],
        Some(&top) if top >= 0x80 => [&[0], digits].concat(),
        Some(_) => digits.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused() {
        let v = Verifier::new(&[]);
        assert_eq!(
            v.verify_token(b"", Imprint::Data(b"x")),
            Err(TokenError::Malformed {
                what: "ContentInfo"
            })
        );
        assert_eq!(
            v.verify_response(b"\x30\x00", Imprint::Data(b"x")),
            Err(TokenError::Malformed {
                what: "TimeStampResp"
            })
        );
        let big = vec![0u8; MAX_TOKEN_LEN + 1];
        assert_eq!(
            v.verify_token(&big, Imprint::Data(b"x")),
            Err(TokenError::TooLarge {
                len: MAX_TOKEN_LEN + 1
            })
        );
    }

    #[test]
    fn refused_response_reports_status() {
        // TimeStampResp { status { 2, ["no"], failInfo badAlg } }
        let resp = [
            0x30, 0x0f, 0x30, 0x0d, 0x02, 0x01, 0x02, 0x30, 0x04, 0x0c, 0x02, b'n', b'o', 0x03,
            0x02, 0x07, 0x80,
        ];
        assert_eq!(
            Verifier::new(&[]).verify_response(&resp, Imprint::Data(b"x")),
            Err(TokenError::Refused {
                status: 2,
                text: "no".to_owned(),
                fail_info: vec!["badAlg"],
            })
        );
        // Granted, no token.
        let resp = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00];
        assert_eq!(
            Verifier::new(&[]).verify_response(&resp, Imprint::Data(b"x")),
            Err(TokenError::NoToken)
        );
    }

    #[test]
    fn hash_algorithms() {
        assert_eq!(
            HashAlgorithm::from_oid(OID_SHA384, "f"),
            Ok(HashAlgorithm::Sha384)
        );
        assert!(matches!(
            HashAlgorithm::from_oid(OID_SHA1, "f"),
            Err(TokenError::UnsupportedHashAlgorithm { algorithm, .. }) if algorithm.starts_with("sha1")
        ));
        assert_eq!(HashAlgorithm::Sha512.digest(b"").len(), 64);
        assert_eq!(der_unsigned(&[0, 0, 1, 0]), [1, 0]);
        assert_eq!(der_unsigned(&[0, 0x80]), [0, 0x80]);
        assert_eq!(der_unsigned(&[0xff]), [0, 0xff]);
        assert_eq!(der_unsigned(&[0, 0]), [0]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let v = Verifier::new(&[]);
            let _ = v.verify_token(&bytes, Imprint::Data(b"data"));
            let _ = v.verify_response(&bytes, Imprint::Data(b"data"));
        }

        #[test]
        fn never_panics_on_der_shapes(
            tags in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..6),
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        ) {
            // Nested TLVs reach past the outer parser more often than noise.
            let mut bytes = body;
            for t in tags {
                let len = bytes.len();
                let mut tlv = vec![t];
                if len < 128 {
                    tlv.push(len as u8);
                } else {
                    tlv.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
                }
                tlv.extend_from_slice(&bytes);
                bytes = tlv;
            }
            let v = Verifier::new(&[]);
            let _ = v.verify_token(&bytes, Imprint::Data(b"data"));
            let _ = v.verify_response(&bytes, Imprint::Data(b"data"));
        }
    }
}
