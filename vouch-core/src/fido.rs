//! FIDO2 / WebAuthn enrollment attestation: proof, made by an authenticator
//! when a credential is created, that the credential key lives in a model of
//! hardware whose vendor a trusted root vouches for.
//!
//! A FIDO key is enrolled in the roster with the attestation its
//! authenticator produced. [`EnrollmentAttestation`] holds it exactly as
//! received, from a WebAuthn `attestationObject`
//! ([`EnrollmentAttestation::webauthn`]) or from OpenSSH's
//! `ssh-sk-attest-v01` file ([`EnrollmentAttestation::openssh`]), and
//! [`EnrollmentAttestation::verify`] checks it against the enrolled
//! [`PublicKey`] and the roster's [`TrustAnchor`]s at a given time.
//!
//! ```text
//! attestationObject = { "fmt": tstr, "attStmt": { * tstr => any }, "authData": bstr }
//! ```
//!
//! # What is trusted
//!
//! Nothing in the attestation: the credential key must equal the enrolled
//! key, the rpIdHash must be SHA-256 of the key's FIDO application, the
//! statement signature must cover the authenticator data and the client
//! data hash, and its certificate must chain to one of the caller's roots
//! at the caller's time (see [`crate::x509`]). Supported formats: `packed`
//! (basic and self attestation), `fido-u2f`, `tpm` and `none`; any other is
//! refused by name. Credential keys are ES256 (P-256) or Ed25519, the keys
//! vouch signs with; attestation statements may also be signed with RS256,
//! and RS1 where the `tpm` format allows it.
//!
//! One private module per idea: `auth_data` (authenticator data and the
//! credential key), `packed`, `fido_u2f`, `tpm` (the formats), `openssh`
//! (the file `ssh-keygen` writes).

mod auth_data;
mod fido_u2f;
mod openssh;
mod packed;
mod tpm;

use std::fmt;

use ciborium::value::Value;
use sha2::Digest as _;

use crate::cbor::{CborError, Limits, Strictness, validate, write_head};
use crate::digest::Digest;
use crate::key::{KeyId, PublicKey};
use crate::sig::AuthenticatorFlags;
use crate::time::Timestamp;
use crate::x509::{CertificateError, SubjectKey};

pub use crate::x509::TrustAnchor;

use auth_data::AuthData;

/// The largest attestation object (or OpenSSH attestation file) accepted.
pub const MAX_ATTESTATION_LEN: usize = 64 * 1024;
/// The largest OpenSSH enrollment challenge accepted.
pub const MAX_CHALLENGE_LEN: usize = 4096;
/// The most certificates an `x5c` may hold.
pub const MAX_X5C_LEN: usize = crate::x509::MAX_CHAIN_LEN;
/// The longest credential id accepted in authenticator data (WebAuthn
/// §6.5.2 caps them at 1023 bytes).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// The attestation statement format (WebAuthn §8, IANA "WebAuthn
/// Attestation Statement Format Identifiers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttestationFormat {
    /// `packed` (§8.2): basic attestation with `x5c`, or self attestation.
    Packed,
    /// `fido-u2f` (§8.6): a U2F registration signature.
    FidoU2f,
    /// `tpm` (§8.3): a TPM 2.0 `TPM2_Certify` of the credential key.
    Tpm,
    /// `none` (§8.7), and OpenSSH's empty attestation: nothing attested.
    None,
}

impl AttestationFormat {
    /// The format's identifier as WebAuthn writes it.
    pub fn name(self) -> &'static str {
        match self {
            AttestationFormat::Packed => "packed",
            AttestationFormat::FidoU2f => "fido-u2f",
            AttestationFormat::Tpm => "tpm",
            AttestationFormat::None => "none",
        }
    }
}

impl fmt::Display for AttestationFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of assurance a verified attestation gives (WebAuthn §6.5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttestationType {
    /// Basic (or AttCA for `tpm`): a certificate chain to a trusted root
    /// vouches for the authenticator model.
    Basic,
    /// Self attestation: signed by the credential key itself, which proves
    /// possession but not hardware.
    SelfAttestation,
    /// No attestation: the key is recorded as unattested.
    None,
}

/// Why an enrollment attestation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    /// The input is not what its format says; the text says where.
    #[error("malformed attestation: {0}")]
    Malformed(&'static str),
    /// An input is larger than its limit.
    #[error("{what} of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An attestation statement format vouch does not verify.
    #[error("attestation format {0:?} is not supported")]
    UnsupportedFormat(String),
    /// An algorithm vouch refuses in this place.
    #[error("algorithm {name} is not supported {usage}")]
    UnsupportedAlgorithm {
        /// The algorithm's name (`ES384`, `Ed448`, `RS1`, ...).
        name: String,
        /// Where it was found (`as a credential key`, `for packed attestation signatures`).
        usage: &'static str,
    },
    /// The attestation statement's signature does not verify.
    #[error("the {format} attestation signature does not verify")]
    BadSignature {
        /// The statement's format.
        format: AttestationFormat,
    },
    /// The attested credential key is not the enrolled key.
    #[error("the attested credential key {found} is not the enrolled key {expected}")]
    KeyMismatch {
        /// The enrolled key.
        expected: KeyId,
        /// The credential key, bound to the enrolled key's application.
        found: KeyId,
    },
    /// The enrolled key is no FIDO security key, so it has no application to
    /// check the relying party against.
    #[error("key {0} is not a FIDO security key (it has no FIDO application)")]
    NotFidoKey(KeyId),
    /// The authenticator data was made for another relying party.
    #[error(
        "the authenticator data's rpIdHash {found} is not SHA-256 of the application {application:?}"
    )]
    RpIdMismatch {
        /// The enrolled key's application.
        application: String,
        /// The rpIdHash found, as hex.
        found: String,
    },
    /// The certificate chain was refused.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    /// An attestation certificate breaks a rule of its format.
    #[error("{format} attestation certificate breaks a rule: {rule}")]
    CertificateRule {
        /// The statement's format.
        format: AttestationFormat,
        /// Which rule.
        rule: &'static str,
    },
    /// A `tpm` statement's certInfo or pubArea does not match what it attests.
    #[error("tpm attestation: {0}")]
    TpmMismatch(&'static str),
}

impl From<CborError> for AttestationError {
    fn from(_: CborError) -> Self {
        AttestationError::Malformed("attestation object: not well-formed CBOR")
    }
}

/// The attestation statement, parsed per format.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Statement {
    /// Nothing to verify: fmt `none`, or OpenSSH's empty attestation.
    Empty,
    Packed(packed::Packed),
    FidoU2f(fido_u2f::FidoU2f),
    Tpm(tpm::Tpm),
}

/// Where the attestation came from, kept as received for storage.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    WebAuthn {
        object: Vec<u8>,
        client_data_hash: [u8; 32],
    },
    OpenSsh {
        file: Vec<u8>,
        challenge: Vec<u8>,
    },
}

/// An enrollment attestation exactly as received (kept as bytes: the roster
/// stores and re-verifies them), parsed and bounded but not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentAttestation {
    source: Source,
    format: AttestationFormat,
    statement: Statement,
    /// Absent only in OpenSSH's empty attestation, which carries none.
    auth_data: Option<AuthData>,
    client_data_hash: [u8; 32],
}

/// A verified attestation: only this crate makes one, after every check of
/// [`EnrollmentAttestation::verify`] passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAttestation {
    format: AttestationFormat,
    attestation_type: AttestationType,
    aaguid: [u8; 16],
    root: Option<(usize, String)>,
    flags: Option<AuthenticatorFlags>,
    counter: Option<u32>,
    key_id: KeyId,
}

impl VerifiedAttestation {
    /// The statement format.
    pub fn format(&self) -> AttestationFormat {
        self.format
    }

    /// Basic, self or none.
    pub fn attestation_type(&self) -> AttestationType {
        self.attestation_type
    }

    /// The authenticator model's AAGUID (all zero for U2F and unknown models).
    pub fn aaguid(&self) -> [u8; 16] {
        self.aaguid
    }

    /// Which of the given roots the chain ended at: its index in the
    /// `roots` passed to [`EnrollmentAttestation::verify`] and its subject.
    /// `None` for self attestation and none.
    pub fn root(&self) -> Option<(usize, &str)> {
        self.root.as_ref().map(|(i, s)| (*i, s.as_str()))
    }

    /// The flags of the enrollment's authenticator data (`None` when an
    /// empty OpenSSH attestation carried no authenticator data).
    ///
    /// For `fido-u2f` neither the flags nor the counter are covered by the
    /// attestation signature (U2F signs only rpIdHash, clientDataHash,
    /// credential id and key), and for `none` nothing is: they are what the
    /// authenticator data says, not proven.
    pub fn flags(&self) -> Option<AuthenticatorFlags> {
        self.flags
    }

    /// The signature counter of the enrollment's authenticator data.
    pub fn counter(&self) -> Option<u32> {
        self.counter
    }

    /// The enrolled key the attestation was verified for.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
}

/// CBOR limits for attestation parts: their own size, shallow nesting
/// (nothing in an attestation object nests beyond a few levels).
pub(crate) fn cbor_limits(len: usize) -> Limits {
    Limits {
        max_size: len.min(MAX_ATTESTATION_LEN),
        max_depth: 16,
    }
}

/// The value of integer label `label` in a CBOR map.
pub(crate) fn int_entry(map: &[(Value, Value)], label: i64) -> Option<&Value> {
    map.iter()
        .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(label))
        .map(|(_, v)| v)
}

/// The value of text key `key` in a CBOR map.
pub(crate) fn text_entry<'a>(map: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// Reads an `x5c` array of DER certificates, bounded in count.
pub(crate) fn x5c(value: Option<&Value>) -> Result<Option<Vec<Vec<u8>>>, AttestationError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let items = value
        .as_array()
        .ok_or(AttestationError::Malformed("attStmt.x5c: not an array"))?;
    if items.is_empty() || items.len() > MAX_X5C_LEN {
        return Err(CertificateError::ChainLength(items.len()).into());
    }
    items
        .iter()
        .map(|c| {
            c.as_bytes().cloned().ok_or(AttestationError::Malformed(
                "attStmt.x5c: an entry is not a byte string",
            ))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The statement signature algorithms (COSE ids), each bound to one key type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatementAlg {
    Es256,
    EdDsa,
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-1: what Windows Hello TPMs sign with.
    Rs1,
}

impl StatementAlg {
    /// Maps `attStmt.alg`; RS1 only for `tpm`, EdDSA never for `tpm` (no
    /// TPM signs with it).
    pub(crate) fn from_cose(alg: i64, format: AttestationFormat) -> Result<Self, AttestationError> {
        let tpm = format == AttestationFormat::Tpm;
        match alg {
            -7 => Ok(StatementAlg::Es256),
            -8 | -19 if !tpm => Ok(StatementAlg::EdDsa),
            -257 => Ok(StatementAlg::Rs256),
            -65535 if tpm => Ok(StatementAlg::Rs1),
            other => Err(AttestationError::UnsupportedAlgorithm {
                name: auth_data::cose_alg_name(other),
                usage: match format {
                    AttestationFormat::Tpm => "for tpm attestation signatures",
                    _ => "for packed attestation signatures",
                },
            }),
        }
    }

    /// Verifies with `key`, which must be of this algorithm's key type.
    pub(crate) fn verify(self, key: &SubjectKey, msg: &[u8], sig: &[u8]) -> bool {
        use crate::x509::{Hash, Scheme};
        let (scheme, hash) = match (self, key) {
            (StatementAlg::Es256, SubjectKey::P256(_)) => (Scheme::Ecdsa, Hash::Sha256),
            (StatementAlg::EdDsa, SubjectKey::Ed25519(_)) => (Scheme::Ed25519, Hash::None),
            (StatementAlg::Rs256, SubjectKey::Rsa(_)) => (Scheme::Rsa, Hash::Sha256),
            (StatementAlg::Rs1, SubjectKey::Rsa(_)) => (Scheme::Rsa, Hash::Sha1),
            _ => return false,
        };
        key.verify(scheme, hash, msg, sig)
    }

    /// Whether `key` is of this algorithm's key type.
    pub(crate) fn fits(self, key: &SubjectKey) -> bool {
        matches!(
            (self, key),
            (StatementAlg::Es256, SubjectKey::P256(_))
                | (StatementAlg::EdDsa, SubjectKey::Ed25519(_))
                | (StatementAlg::Rs256 | StatementAlg::Rs1, SubjectKey::Rsa(_))
        )
    }
}

/// The credential key as a [`SubjectKey`], for self attestation.
pub(crate) fn credential_subject_key(key: &PublicKey) -> Option<SubjectKey> {
    match key.algorithm() {
        crate::key::Algorithm::Es256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(key.point())
            .ok()
            .map(SubjectKey::P256),
        crate::key::Algorithm::Ed25519 => {
            let raw: [u8; 32] = key.point().try_into().ok()?;
            ed25519_dalek::VerifyingKey::from_bytes(&raw)
                .ok()
                .map(SubjectKey::Ed25519)
        }
    }
}

/// Checks the optional id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4):
/// when present it must be non-critical and hold an OCTET STRING equal to
/// the AAGUID of the authenticator data.
pub(crate) fn check_aaguid_extension(
    cert: &x509_cert::Certificate,
    aaguid: &[u8; 16],
    format: AttestationFormat,
) -> Result<(), AttestationError> {
    const OID: const_oid::ObjectIdentifier =
        const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.45724.1.1.4");
    let rule = |rule| AttestationError::CertificateRule { format, rule };
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        if ext.extn_id != OID {
            continue;
        }
        if ext.critical {
            return Err(rule("id-fido-gen-ce-aaguid is marked critical"));
        }
        let value = ext.extn_value.as_bytes();
        let inner = value
            .strip_prefix(&[0x04, 0x10])
            .ok_or(rule("id-fido-gen-ce-aaguid is not a 16-byte OCTET STRING"))?;
        if inner != aaguid {
            return Err(rule(
                "id-fido-gen-ce-aaguid does not match the authenticator data's AAGUID",
            ));
        }
    }
    Ok(())
}

/// basicConstraints, where present, must say the certificate is no CA.
pub(crate) fn check_not_ca(
    cert: &x509_cert::Certificate,
    format: AttestationFormat,
) -> Result<(), AttestationError> {
    use x509_cert::ext::pkix::BasicConstraints;
    match cert.tbs_certificate().get_extension::<BasicConstraints>() {
        Ok(Some((_, bc))) if bc.ca => Err(AttestationError::CertificateRule {
            format,
            rule: "basicConstraints cA is true on the attestation certificate",
        }),
        Ok(_) => Ok(()),
        Err(_) => Err(AttestationError::CertificateRule {
            format,
            rule: "basicConstraints is malformed or repeated",
        }),
    }
}

/// Verifies `x5c` up to `roots` and returns the leaf and the anchor.
pub(crate) fn verify_x5c(
    x5c: &[Vec<u8>],
    roots: &[TrustAnchor],
    at: Timestamp,
) -> Result<(x509_cert::Certificate, (usize, String)), AttestationError> {
    let chain: Vec<&[u8]> = x5c.iter().map(Vec::as_slice).collect();
    let anchor = crate::x509::verify_chain(&chain, roots, at)?;
    let leaf_der = chain.first().ok_or(CertificateError::ChainLength(0))?;
    let leaf = crate::x509::parse(leaf_der, 0)?;
    let subject = roots
        .get(anchor)
        .map(|r| r.subject().to_owned())
        .unwrap_or_default();
    Ok((leaf, (anchor, subject)))
}

const KIND_WEBAUTHN: u64 = 0;
const KIND_OPENSSH: u64 = 1;

impl EnrollmentAttestation {
    /// A WebAuthn `attestationObject` (CBOR `{fmt, attStmt, authData}`) and
    /// the clientDataHash (SHA-256 of the clientDataJSON) it was made over.
    pub fn webauthn(
        attestation_object: &[u8],
        client_data_hash: [u8; 32],
    ) -> Result<Self, AttestationError> {
        if attestation_object.len() > MAX_ATTESTATION_LEN {
            return Err(AttestationError::TooLarge {
                what: "attestation object",
                len: attestation_object.len(),
                max: MAX_ATTESTATION_LEN,
            });
        }
        validate(
            attestation_object,
            Strictness::WellFormed,
            cbor_limits(attestation_object.len()),
        )?;
        let value: Value = ciborium::from_reader(attestation_object)
            .map_err(|_| AttestationError::Malformed("attestation object: not well-formed CBOR"))?;
        let Value::Map(map) = value else {
            return Err(AttestationError::Malformed(
                "attestation object: not a CBOR map",
            ));
        };
        let fmt =
            text_entry(&map, "fmt")
                .and_then(Value::as_text)
                .ok_or(AttestationError::Malformed(
                    "attestation object: no text fmt",
                ))?;
        let Some(Value::Map(stmt)) = text_entry(&map, "attStmt") else {
            return Err(AttestationError::Malformed(
                "attestation object: no attStmt map",
            ));
        };
        let raw_auth = text_entry(&map, "authData")
            .and_then(Value::as_bytes)
            .ok_or(AttestationError::Malformed(
                "attestation object: no authData byte string",
            ))?;
        let (format, statement) = match fmt {
            "packed" => (
                AttestationFormat::Packed,
                Statement::Packed(packed::Packed::from_statement(stmt)?),
            ),
            "fido-u2f" => (
                AttestationFormat::FidoU2f,
                Statement::FidoU2f(fido_u2f::FidoU2f::from_statement(stmt)?),
            ),
            "tpm" => (
                AttestationFormat::Tpm,
                Statement::Tpm(tpm::Tpm::from_statement(stmt)?),
            ),
            "none" => {
                if !stmt.is_empty() {
                    return Err(AttestationError::Malformed(
                        "attStmt: not empty for fmt none",
                    ));
                }
                (AttestationFormat::None, Statement::Empty)
            }
            other => {
                return Err(AttestationError::UnsupportedFormat(
                    other.chars().take(64).collect(),
                ));
            }
        };
        let auth_data = AuthData::parse(raw_auth)?;
        Ok(EnrollmentAttestation {
            source: Source::WebAuthn {
                object: attestation_object.to_vec(),
                client_data_hash,
            },
            format,
            statement,
            auth_data: Some(auth_data),
            client_data_hash,
        })
    }

    /// OpenSSH's `ssh-sk-attest-v01` file and the enrollment challenge
    /// bytes.
    ///
    /// `ssh-keygen -t ecdsa-sk -O challenge=FILE -O write-attestation=OUT`
    /// writes, per OpenSSH's `PROTOCOL.u2f` and `ssh-sk.c`
    /// (`fill_attestation_blob`):
    ///
    /// ```text
    /// string  "ssh-sk-attest-v01"
    /// string  attestation certificate   (x5c[0] only, DER; empty without one)
    /// string  enrollment signature      (attStmt.sig)
    /// string  authenticator data        (CBOR byte string wrapping authData)
    /// uint32  reserved flags
    /// string  reserved
    /// ```
    ///
    /// `sk-usbhid.c` (`sk_enroll`) passes the challenge file's bytes to
    /// libfido2's `fido_cred_set_clientdata`, which makes the clientDataHash
    /// SHA-256(challenge) (OpenSSH's own fallback for older libfido2 does
    /// the same: `sha256_mem` then `fido_cred_set_clientdata_hash`). The
    /// signature is then the `packed` one over `authData || SHA-256(challenge)`,
    /// or, for a U2F-only token (libfido2 synthesises `fido-u2f` and a zero
    /// AAGUID), the U2F registration signature over
    /// `0x00 || rpIdHash || SHA-256(challenge) || credentialId || publicKey`.
    /// The file does not name its format: a zero AAGUID means `fido-u2f`, any
    /// other `packed`, and no certificate with a signature means `packed`
    /// self attestation.
    pub fn openssh(file: &[u8], challenge: &[u8]) -> Result<Self, AttestationError> {
        if file.len() > MAX_ATTESTATION_LEN {
            return Err(AttestationError::TooLarge {
                what: "OpenSSH attestation file",
                len: file.len(),
                max: MAX_ATTESTATION_LEN,
            });
        }
        if challenge.len() > MAX_CHALLENGE_LEN {
            return Err(AttestationError::TooLarge {
                what: "OpenSSH enrollment challenge",
                len: challenge.len(),
                max: MAX_CHALLENGE_LEN,
            });
        }
        let parsed = openssh::AttestFile::parse(file)?;
        let client_data_hash: [u8; 32] = sha2::Sha256::digest(challenge).into();
        let auth_data = match parsed.auth_data.is_empty() {
            true => None,
            false => Some(AuthData::parse(&parsed.auth_data)?),
        };
        let (format, statement) = parsed.statement(auth_data.as_ref())?;
        Ok(EnrollmentAttestation {
            source: Source::OpenSsh {
                file: file.to_vec(),
                challenge: challenge.to_vec(),
            },
            format,
            statement,
            auth_data,
            client_data_hash,
        })
    }

    /// The statement format.
    pub fn format(&self) -> AttestationFormat {
        self.format
    }

    /// The AAGUID of the authenticator data (all zero when there is none).
    pub fn aaguid(&self) -> [u8; 16] {
        self.auth_data.as_ref().map_or([0; 16], |a| a.aaguid)
    }

    /// True for OpenSSH's empty attestation (`sk-dummy` writes one) and for
    /// fmt `none`: nothing to verify, so the key is recorded as unattested.
    pub fn is_empty(&self) -> bool {
        self.statement == Statement::Empty
    }

    /// The stable storage encoding: canonical CBOR
    /// `{1: kind (0 WebAuthn, 1 OpenSSH), 2: the object or file as received,
    /// 3: the clientDataHash or the challenge}`, so what is stored is what
    /// was received and is verified again when read.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (kind, input, extra): (u64, &[u8], &[u8]) = match &self.source {
            Source::WebAuthn {
                object,
                client_data_hash,
            } => (KIND_WEBAUTHN, object, client_data_hash),
            Source::OpenSsh { file, challenge } => (KIND_OPENSSH, file, challenge),
        };
        let mut out = Vec::with_capacity(input.len() + extra.len() + 16);
        write_head(&mut out, 5, 3);
        for (label, value) in [(1u64, None), (2, Some(input)), (3, Some(extra))] {
            write_head(&mut out, 0, label);
            match value {
                None => write_head(&mut out, 0, kind),
                Some(bytes) => {
                    write_head(&mut out, 2, bytes.len() as u64);
                    out.extend_from_slice(bytes);
                }
            }
        }
        out
    }

    /// Decodes [`to_bytes`](EnrollmentAttestation::to_bytes): canonical
    /// CBOR of exactly that shape, then parsed again as when received.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AttestationError> {
        let bad = AttestationError::Malformed("stored attestation: not the canonical encoding");
        let limit = MAX_ATTESTATION_LEN + MAX_CHALLENGE_LEN + 32;
        validate(
            bytes,
            Strictness::Canonical,
            Limits {
                max_size: limit,
                max_depth: 2,
            },
        )
        .map_err(|_| bad.clone())?;
        let value: Value = ciborium::from_reader(bytes).map_err(|_| bad.clone())?;
        let Value::Map(map) = value else {
            return Err(bad);
        };
        let (Some(kind), Some(input), Some(extra), 3) = (
            int_entry(&map, 1).and_then(Value::as_integer),
            int_entry(&map, 2).and_then(Value::as_bytes),
            int_entry(&map, 3).and_then(Value::as_bytes),
            map.len(),
        ) else {
            return Err(bad);
        };
        match u64::try_from(kind) {
            Ok(KIND_WEBAUTHN) => {
                let hash: [u8; 32] = extra.as_slice().try_into().map_err(|_| bad)?;
                EnrollmentAttestation::webauthn(input, hash)
            }
            Ok(KIND_OPENSSH) => EnrollmentAttestation::openssh(input, extra),
            _ => Err(bad),
        }
    }

    /// Verifies the attestation for the enrolled `key` (Ed25519 or P-256
    /// with its FIDO application) against `roots` at time `at`:
    ///
    /// - the credential public key in the attested credential data equals
    ///   `key`, and the rpIdHash equals SHA-256 of the key's application;
    /// - the certificate chain from `x5c` leads to one of `roots`, valid at
    ///   `at` (see [`crate::x509`]), and the leaf follows its format's rules
    ///   (`packed`: WebAuthn §8.2.1; `tpm`: §8.3.1 AIK certificates;
    ///   `fido-u2f`: a P-256 key);
    /// - the statement signature: over `authenticatorData || clientDataHash`
    ///   for `packed`, over `certInfo` (which must certify `pubArea`, the
    ///   credential key, and `authenticatorData || clientDataHash`) for
    ///   `tpm`, and the U2F registration construction for `fido-u2f`.
    ///
    /// Self attestation (`packed` without `x5c`) is verified with the
    /// credential key itself and has no root. An empty attestation verifies
    /// as [`AttestationType::None`] after the key and relying party checks
    /// (when it carries authenticator data at all).
    pub fn verify(
        &self,
        key: &PublicKey,
        roots: &[TrustAnchor],
        at: Timestamp,
    ) -> Result<VerifiedAttestation, AttestationError> {
        let Some(auth) = &self.auth_data else {
            return Ok(VerifiedAttestation {
                format: self.format,
                attestation_type: AttestationType::None,
                aaguid: [0; 16],
                root: None,
                flags: None,
                counter: None,
                key_id: key.key_id(),
            });
        };
        let application = key
            .fido_application()
            .ok_or(AttestationError::NotFidoKey(key.key_id()))?;
        let credential = auth
            .credential
            .key
            .clone()
            .with_fido_application(application)
            .map_err(|_| AttestationError::NotFidoKey(key.key_id()))?;
        if &credential != key {
            return Err(AttestationError::KeyMismatch {
                expected: key.key_id(),
                found: credential.key_id(),
            });
        }
        if Digest::sha256(application.as_bytes()).as_bytes() != auth.rp_id_hash {
            return Err(AttestationError::RpIdMismatch {
                application: application.to_owned(),
                found: hex::encode(auth.rp_id_hash),
            });
        }
        let cdh = &self.client_data_hash;
        let (attestation_type, root) = match &self.statement {
            Statement::Empty => (AttestationType::None, None),
            Statement::Packed(p) => p.verify(auth, cdh, roots, at)?,
            Statement::FidoU2f(u) => u.verify(auth, cdh, roots, at)?,
            Statement::Tpm(t) => t.verify(auth, cdh, roots, at)?,
        };
        Ok(VerifiedAttestation {
            format: self.format,
            attestation_type,
            aaguid: auth.aaguid,
            root,
            flags: Some(auth.flags),
            counter: Some(auth.counter),
            key_id: key.key_id(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unknown_formats_are_named() {
        // {"fmt": "apple", "attStmt": {}, "authData": h''}
        let mut o = vec![0xa3];
        o.extend_from_slice(b"\x63fmt\x65apple\x67attStmt\xa0\x68authData\x40");
        assert_eq!(
            EnrollmentAttestation::webauthn(&o, [0; 32]),
            Err(AttestationError::UnsupportedFormat("apple".into()))
        );
    }

    #[test]
    fn oversized_inputs_are_refused() {
        let big = vec![0u8; MAX_ATTESTATION_LEN + 1];
        assert!(matches!(
            EnrollmentAttestation::webauthn(&big, [0; 32]),
            Err(AttestationError::TooLarge { .. })
        ));
        assert!(matches!(
            EnrollmentAttestation::openssh(&big, b""),
            Err(AttestationError::TooLarge { .. })
        ));
    }

    /// OpenSSH's empty attestation, as `sk-dummy` makes it.
    fn empty_openssh() -> Vec<u8> {
        let mut f = Vec::new();
        crate::wire::put_string(&mut f, b"ssh-sk-attest-v01");
        for _ in 0..3 {
            crate::wire::put_string(&mut f, b"");
        }
        crate::wire::put_u32(&mut f, 0);
        crate::wire::put_string(&mut f, b"");
        f
    }

    /// A `none` attestation object for a P-256 credential with this id.
    fn none_object(credential_id: &[u8]) -> Vec<u8> {
        let key = PublicKey::p256_sec1(
            &hex::decode(
                "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
                 4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
            )
            .unwrap(),
        )
        .unwrap();
        let mut auth = Digest::sha256(b"example.org").as_bytes().to_vec();
        auth.push(0x41);
        auth.extend_from_slice(&[0, 0, 0, 1]);
        auth.extend_from_slice(&[0x11; 16]);
        auth.extend_from_slice(&u16::try_from(credential_id.len()).unwrap().to_be_bytes());
        auth.extend_from_slice(credential_id);
        auth.extend_from_slice(&key.to_cose_key());
        let object = Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(vec![])),
            (Value::Text("authData".into()), Value::Bytes(auth)),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&object, &mut out).unwrap();
        out
    }

    #[test]
    fn storage_encoding_is_annotated_cbor() {
        let empty = empty_openssh();
        let att = EnrollmentAttestation::openssh(&empty, b"ch").unwrap();
        let mut expected = vec![
            0xa3, // map(3)
            0x01, 0x01, // 1: kind OpenSSH
            0x02, // 2: the file as received
        ];
        write_head(&mut expected, 2, empty.len() as u64);
        expected.extend_from_slice(&empty);
        expected.extend_from_slice(&[0x03, 0x42, b'c', b'h']); // 3: h'6368', the challenge
        assert_eq!(att.to_bytes(), expected);
        // Not canonical (a two-byte length for a short byte string): refused.
        let mut loose = att.to_bytes();
        let at = loose.len() - 3;
        loose.splice(at..at + 1, [0x58, 0x02]);
        assert!(EnrollmentAttestation::from_bytes(&loose).is_err());
    }

    proptest! {
        #[test]
        fn storage_round_trips(
            id in proptest::collection::vec(any::<u8>(), 1..64),
            cdh in proptest::array::uniform32(any::<u8>()),
            challenge in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let att = EnrollmentAttestation::webauthn(&none_object(&id), cdh).unwrap();
            let bytes = att.to_bytes();
            let back = EnrollmentAttestation::from_bytes(&bytes).unwrap();
            prop_assert_eq!(&back, &att);
            prop_assert_eq!(back.to_bytes(), bytes);

            let empty = empty_openssh();
            let att = EnrollmentAttestation::openssh(&empty, &challenge).unwrap();
            let bytes = att.to_bytes();
            prop_assert_eq!(EnrollmentAttestation::from_bytes(&bytes).unwrap(), att);
        }

        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = EnrollmentAttestation::webauthn(&bytes, [0; 32]);
            let _ = EnrollmentAttestation::openssh(&bytes, b"c");
            let _ = EnrollmentAttestation::from_bytes(&bytes);
        }
    }
}
