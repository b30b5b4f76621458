//! Enrollment attestation for the software authenticator: a test CA and
//! WebAuthn `packed` attestation objects certified by it.
//!
//! A real security key proves its model with a certificate its vendor
//! issued; a software one has no vendor, so tests and demos bring their
//! own root. The objects are byte-for-byte what a FIDO2 authenticator
//! returns from makeCredential, so the whole enrollment path of
//! [`vouch_core::fido`] runs against them without a device.

use std::path::Path;
use std::time::Duration;

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc4519, rfc5280};
use der::asn1::{Any, OctetString};
use der::{DateTime, Decode as _, Encode as _, Tag};
use p256::ecdsa::DerSignature;
use vouch_core::cbor::write_head;
use vouch_core::{Algorithm, AuthenticatorFlags, Digest, Timestamp};
use x509_cert::Certificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder as _, CertificateBuilder};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

use super::{Presence, SoftAuthenticator};
use crate::error::Error;
use crate::file::FileKey;

/// The subject OU WebAuthn §8.2.1 requires of a `packed` attestation certificate.
const ATTESTATION_OU: &str = "Authenticator Attestation";
/// The attestation certificate's CN: it names the model, and every
/// software authenticator is the same model.
const ATTESTATION_CN: &str = "vouch software authenticator";
/// §8.2.1 requires an ISO 3166 country; "AA" is reserved for user
/// assignment, so it claims no real country.
const ATTESTATION_C: &str = "AA";
/// id-fido-gen-ce-aaguid: the AAGUID of the model the certificate covers.
const AAGUID_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.45724.1.1.4");
/// RFC 5280's upper bound for CN and O (ub-common-name, ub-organization-name).
const MAX_NAME_CHARS: usize = 64;
/// Authenticator data flag AT: attested credential data follows.
const ATTESTED_CREDENTIAL_DATA: u8 = 0x40;
/// COSE algorithm ES256, the attestation statement's `alg`.
const COSE_ES256: u64 = 7; // encoded as the negative integer -7

/// A certificate authority for software authenticators' attestations: for
/// tests and demos only (a production roster never trusts it).
///
/// It is a self-signed P-256 root that issues, for every
/// [`SoftAuthenticator::attest`], a fresh attestation certificate following
/// WebAuthn §8.2.1. Anyone holding its key file can mint attestations that
/// pass for any AAGUID, so trusting it proves nothing about hardware.
pub struct TestAttestationCa {
    key: FileKey,
    der: Vec<u8>,
    pem: String,
    subject: Name,
    organization: String,
    validity: Validity,
}

impl std::fmt::Debug for TestAttestationCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAttestationCa")
            .field("subject", &self.subject.to_string())
            .field("key_id", &self.key.key_id())
            .finish_non_exhaustive()
    }
}

impl TestAttestationCa {
    /// The largest certificate file [`load`](TestAttestationCa::load)
    /// reads, in bytes: larger than any certificate vouch accepts, PEM
    /// armored.
    pub const MAX_CERTIFICATE_FILE_LEN: u64 = 64 * 1024;

    /// A new self-signed P-256 root named `name` (CN and O), valid from
    /// `not_before` for `years` calendar years.
    ///
    /// `name` must be 1 to 64 characters without control characters (RFC
    /// 5280's bound for CN and O); the window must fall within 1970 to 9999.
    pub fn generate(name: &str, not_before: Timestamp, years: u32) -> Result<Self, Error> {
        check_name(name)?;
        let validity = validity(not_before, years)?;
        let key = FileKey::generate(Algorithm::Es256)?
            .with_comment(&format!("vouch test attestation CA {name}"));
        let signer = p256_key(&key)?;
        let what = "test attestation CA";
        let subject = name_of(&[
            (rfc4519::O, Tag::Utf8String, name),
            (rfc4519::CN, Tag::Utf8String, name),
        ])
        .map_err(certificate_error(what))?;
        let profile = Profile {
            issuer: subject.clone(),
            subject,
            extensions: vec![
                basic_constraints(true).map_err(certificate_error(what))?,
                key_usage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
                    .map_err(certificate_error(what))?,
            ],
        };
        let der = issue(profile, validity, signer.verifying_key(), signer, what)?;
        TestAttestationCa::from_parts(key, der).map_err(|reason| Error::Certificate {
            what,
            source: reason.into(),
        })
    }

    /// Saves the CA: its private key as a vouch key file ([`FileKey::save`],
    /// unencrypted, mode 0600) at `key_path` and its certificate as PEM at
    /// `cert_path`. Neither file may exist yet.
    pub fn save(&self, key_path: &Path, cert_path: &Path) -> Result<(), Error> {
        // Checked before the key is written, so an existing certificate does
        // not leave a new key behind that matches nothing.
        if cert_path.symlink_metadata().is_ok() {
            return Err(Error::AlreadyExists {
                path: cert_path.to_path_buf(),
            });
        }
        self.key.save(key_path, None)?;
        if let Err(e) = crate::file::fs::write_public(cert_path, self.pem.as_bytes()) {
            // The key file was created just now by this call; without its
            // certificate it is useless.
            let _ = std::fs::remove_file(key_path);
            return Err(e);
        }
        Ok(())
    }

    /// Loads a CA saved by [`save`](TestAttestationCa::save): the key file
    /// (unencrypted, owner-only as every private key file) and the PEM
    /// certificate, which must be a self-signed CA certificate of that key
    /// with an organization (O) in its subject.
    pub fn load(key_path: &Path, cert_path: &Path) -> Result<Self, Error> {
        // Checked on the opened file: a regular file (a FIFO is refused,
        // not waited on) of at most MAX_CERTIFICATE_FILE_LEN bytes.
        let key = FileKey::load(key_path, None)?;
        if key.algorithm() != Algorithm::Es256 {
            return Err(Error::InvalidTestCa {
                path: key_path.to_path_buf(),
                reason: "the key is not P-256",
            });
        }
        let invalid = |reason| Error::InvalidTestCa {
            path: cert_path.to_path_buf(),
            reason,
        };
        let pem = crate::file::fs::read_bounded(cert_path, Self::MAX_CERTIFICATE_FILE_LEN)?;
        let (label, der) = der::pem::decode_vec(&pem)
            .map_err(|_| invalid("not a PEM certificate (-----BEGIN CERTIFICATE-----)"))?;
        if label != "CERTIFICATE" {
            return Err(invalid(
                "not a PEM certificate (-----BEGIN CERTIFICATE-----)",
            ));
        }
        TestAttestationCa::from_parts(key, der).map_err(invalid)
    }

    /// The root certificate, DER: what a roster's test configuration trusts
    /// (`vouch_core::fido::TrustAnchor::from_der`).
    pub fn certificate_der(&self) -> &[u8] {
        &self.der
    }

    /// The root certificate as PEM (`-----BEGIN CERTIFICATE-----`), as
    /// [`save`](TestAttestationCa::save) writes it.
    pub fn certificate_pem(&self) -> String {
        self.pem.clone()
    }

    /// Checks that `der` is a self-signed CA certificate of `key` and keeps
    /// what issuing needs from it. The reason names what is wrong.
    fn from_parts(key: FileKey, der: Vec<u8>) -> Result<Self, &'static str> {
        if der.len() > vouch_core::x509::MAX_CERTIFICATE_LEN {
            return Err("the certificate is larger than vouch accepts");
        }
        let cert = Certificate::from_der(&der).map_err(|_| "not a DER X.509 certificate")?;
        let tbs = cert.tbs_certificate();
        let signer = p256_key(&key).map_err(|_| "the key is not P-256")?;
        let spki = SubjectPublicKeyInfoOwned::from_key(signer.verifying_key())
            .map_err(|_| "the key cannot be encoded")?;
        if tbs.subject_public_key_info() != &spki {
            return Err("the certificate's public key is not the CA key's");
        }
        if tbs.issuer() != tbs.subject() {
            return Err("the certificate is not self-signed");
        }
        match tbs.get_extension::<BasicConstraints>() {
            Ok(Some((_, bc))) if bc.ca => {}
            _ => return Err("the certificate is not a CA (basicConstraints cA)"),
        }
        let organization = match tbs.subject().organization() {
            Ok(Some(o)) => o.value().into_owned(),
            _ => return Err("the certificate's subject has no organization (O)"),
        };
        let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der)
            .map_err(|_| "the certificate cannot be written as PEM")?;
        Ok(TestAttestationCa {
            subject: tbs.subject().clone(),
            validity: *tbs.validity(),
            organization,
            key,
            der,
            pem,
        })
    }

    /// A fresh attestation certificate for `key`: §8.2.1's subject (O is
    /// the CA's, so a roster can tell which test CA made it), not a CA,
    /// for signatures only, naming `aaguid`, valid over the CA's window.
    fn issue_attestation(
        &self,
        key: &p256::ecdsa::VerifyingKey,
        aaguid: [u8; 16],
    ) -> Result<Vec<u8>, Error> {
        let what = "attestation";
        let subject = name_of(&[
            (rfc4519::C, Tag::PrintableString, ATTESTATION_C),
            (rfc4519::O, Tag::Utf8String, &self.organization),
            (rfc4519::OU, Tag::Utf8String, ATTESTATION_OU),
            (rfc4519::CN, Tag::Utf8String, ATTESTATION_CN),
        ])
        .map_err(certificate_error(what))?;
        let mut aaguid_value = Vec::with_capacity(18);
        aaguid_value.extend_from_slice(&[0x04, 0x10]); // OCTET STRING, 16 bytes
        aaguid_value.extend_from_slice(&aaguid);
        let extensions = vec![
            basic_constraints(false).map_err(certificate_error(what))?,
            key_usage(KeyUsages::DigitalSignature.into()).map_err(certificate_error(what))?,
            // Non-critical, as §8.2.1 requires.
            extension(AAGUID_OID, false, aaguid_value).map_err(certificate_error(what))?,
        ];
        let profile = Profile {
            subject,
            issuer: self.subject.clone(),
            extensions,
        };
        issue(profile, self.validity, key, p256_key(&self.key)?, what)
    }
}

impl SoftAuthenticator {
    /// The credential's enrollment attestation as a WebAuthn
    /// `attestationObject` in the `packed` format with basic attestation:
    /// a fresh attestation key certified by `ca` (the leaf valid over the
    /// CA's window), authenticator data with the rpIdHash of the
    /// application, flags UP and AT (and UV when the presence is
    /// [`Presence::TouchAndPin`]), the current counter (not advanced),
    /// `aaguid`, a credential id derived from the public key (SHA-256 of
    /// its COSE_Key) and the credential public key as a COSE_Key, signed
    /// over `authenticatorData || client_data_hash` with ES256.
    ///
    /// ```
    /// use vouch_core::fido::{AttestationFormat, AttestationType, EnrollmentAttestation, TrustAnchor};
    /// use vouch_core::{Algorithm, Signer as _, Timestamp};
    /// use vouch_keys::softfido::{Presence, SoftAuthenticator, TestAttestationCa};
    ///
    /// let start: Timestamp = "2025-01-01T00:00:00Z".parse()?;
    /// let ca = TestAttestationCa::generate("vouch demo CA", start, 10)?;
    /// let auth = SoftAuthenticator::generate(Algorithm::Ed25519, "ssh:", Presence::Touch)?;
    /// let client_data_hash = [7; 32];
    /// let object = auth.attest(&ca, *b"vouch-demo-model", client_data_hash)?;
    ///
    /// let roots = [TrustAnchor::from_der(ca.certificate_der())?];
    /// let verified = EnrollmentAttestation::webauthn(&object, client_data_hash)?
    ///     .verify(auth.public_key(), &roots, "2026-06-01T00:00:00Z".parse()?)?;
    /// assert_eq!(verified.format(), AttestationFormat::Packed);
    /// assert_eq!(verified.attestation_type(), AttestationType::Basic);
    /// assert_eq!(verified.aaguid(), *b"vouch-demo-model");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attest(
        &self,
        ca: &TestAttestationCa,
        aaguid: [u8; 16],
        client_data_hash: [u8; 32],
    ) -> Result<Vec<u8>, Error> {
        // A fresh key per attestation: nothing links two enrollments but
        // the CA, as with a batch of devices sharing one certificate.
        let attestation_key = FileKey::generate(Algorithm::Es256)?;
        let signer = p256_key(&attestation_key)?;
        let certificate = ca.issue_attestation(signer.verifying_key(), aaguid)?;
        let auth_data = self.enrollment_auth_data(aaguid)?;
        let mut signed = Vec::with_capacity(auth_data.len() + client_data_hash.len());
        signed.extend_from_slice(&auth_data);
        signed.extend_from_slice(&client_data_hash);
        // §8.2 wants ES256 signatures DER-encoded, not COSE's r || s.
        let sig: DerSignature = signature::Signer::try_sign(signer, &signed)
            .map_err(|source| Error::AttestationSignature { source })?;
        Ok(packed_object(&auth_data, sig.as_bytes(), &certificate))
    }

    /// Authenticator data with attested credential data, as makeCredential
    /// returns it.
    fn enrollment_auth_data(&self, aaguid: [u8; 16]) -> Result<Vec<u8>, Error> {
        let cose_key = self.public.to_cose_key();
        // Derived rather than random, so one key always enrolls under one id.
        let credential_id = Digest::sha256(&cose_key);
        let credential_id = credential_id.as_bytes();
        // Creating a credential always takes a touch; a PIN adds UV.
        let mut flags = AuthenticatorFlags::USER_PRESENT | ATTESTED_CREDENTIAL_DATA;
        if self.presence == Presence::TouchAndPin {
            flags |= AuthenticatorFlags::USER_VERIFIED;
        }
        let counter = self.counter.current()?;
        let mut out = Vec::with_capacity(37 + 16 + 2 + credential_id.len() + cose_key.len());
        out.extend_from_slice(Digest::sha256(self.application.as_bytes()).as_bytes());
        out.push(flags);
        out.extend_from_slice(&counter.to_be_bytes());
        out.extend_from_slice(&aaguid);
        // A SHA-256 digest: 32 bytes always fit the two-byte length.
        out.extend_from_slice(&(credential_id.len() as u16).to_be_bytes());
        out.extend_from_slice(credential_id);
        out.extend_from_slice(&cose_key);
        Ok(out)
    }
}

/// `{"fmt": "packed", "attStmt": {"alg": -7, "sig": sig, "x5c": [cert]},
/// "authData": authData}` in CTAP2 canonical CBOR (keys shortest first,
/// then bytewise), as authenticators encode it.
fn packed_object(auth_data: &[u8], sig: &[u8], certificate: &[u8]) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        write_head(out, 3, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    fn bytes(out: &mut Vec<u8>, b: &[u8]) {
        write_head(out, 2, b.len() as u64);
        out.extend_from_slice(b);
    }
    let mut out = Vec::with_capacity(auth_data.len() + sig.len() + certificate.len() + 64);
    write_head(&mut out, 5, 3);
    text(&mut out, "fmt");
    text(&mut out, "packed");
    text(&mut out, "attStmt");
    write_head(&mut out, 5, 3);
    text(&mut out, "alg");
    write_head(&mut out, 1, COSE_ES256 - 1);
    text(&mut out, "sig");
    bytes(&mut out, sig);
    text(&mut out, "x5c");
    write_head(&mut out, 4, 1);
    bytes(&mut out, certificate);
    text(&mut out, "authData");
    bytes(&mut out, auth_data);
    out
}

/// The builder profile: exactly the subject, issuer and extensions given
/// (the CA/B Forum profiles add web-PKI extensions an attestation has no
/// use for).
struct Profile {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

/// Issues a certificate for `subject_key`, signed by `issuer` with ECDSA
/// P-256 and SHA-256, with a random serial number.
fn issue(
    profile: Profile,
    validity: Validity,
    subject_key: &p256::ecdsa::VerifyingKey,
    issuer: &p256::ecdsa::SigningKey,
    what: &'static str,
) -> Result<Vec<u8>, Error> {
    let spki = SubjectPublicKeyInfoOwned::from_key(subject_key).map_err(certificate_error(what))?;
    let builder = CertificateBuilder::new(profile, serial_number(what)?, validity, spki)
        .map_err(certificate_error(what))?;
    let cert = builder
        .build::<_, DerSignature>(issuer)
        .map_err(certificate_error(what))?;
    cert.to_der().map_err(certificate_error(what))
}

/// 16 random bytes, the top bit clear so the INTEGER is positive and
/// needs no padding byte, as RFC 5280 §4.1.2.2 asks.
fn serial_number(what: &'static str) -> Result<SerialNumber, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(Error::random)?;
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::new(&bytes).map_err(certificate_error(what))
}

/// A name of one attribute per RDN, in the order given, from DER rather
/// than RFC 4514 text so that no character of a caller's name needs escaping.
fn name_of(attributes: &[(ObjectIdentifier, Tag, &str)]) -> Result<Name, der::Error> {
    let rdns = attributes
        .iter()
        .map(|(oid, tag, value)| {
            RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue {
                oid: *oid,
                value: Any::new(*tag, value.as_bytes())?,
            }])
        })
        .collect::<Result<Vec<_>, _>>()?;
    Name::from_der(&RdnSequence::from(rdns).to_der()?)
}

fn extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> der::Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value)?,
    })
}

fn basic_constraints(ca: bool) -> der::Result<Extension> {
    // No path length: the root issues leaves directly, and the verifier
    // bounds chain length on its own.
    let value = BasicConstraints {
        ca,
        path_len_constraint: None,
    }
    .to_der()?;
    extension(rfc5280::ID_CE_BASIC_CONSTRAINTS, true, value)
}

fn key_usage(usages: der::flagset::FlagSet<KeyUsages>) -> der::Result<Extension> {
    extension(rfc5280::ID_CE_KEY_USAGE, true, KeyUsage(usages).to_der()?)
}

/// The validity from `not_before` to the same instant `years` calendar
/// years later.
fn validity(not_before: Timestamp, years: u32) -> Result<Validity, Error> {
    let bad = |reason| Error::InvalidValidity {
        not_before,
        years,
        reason,
    };
    if years == 0 {
        return Err(bad("the validity must last at least one year"));
    }
    let secs = u64::try_from(not_before.unix_seconds())
        .map_err(|_| bad("certificates here start in 1970 or later"))?;
    let start = DateTime::from_unix_duration(Duration::from_secs(secs))
        .map_err(|_| bad("the start is not a representable X.509 time"))?;
    let end_year = u32::from(start.year())
        .checked_add(years)
        .and_then(|y| u16::try_from(y).ok())
        .filter(|y| *y <= 9999)
        .ok_or_else(|| bad("the end would fall after the year 9999"))?;
    let end = |day| {
        DateTime::new(
            end_year,
            start.month(),
            day,
            start.hour(),
            start.minutes(),
            start.seconds(),
        )
    };
    // 29 February has no counterpart in a common year: end a day earlier.
    let end = end(start.day())
        .or_else(|_| end(28))
        .map_err(|_| bad("the end is not a representable X.509 time"))?;
    Ok(Validity::new(Time::from(start), Time::from(end)))
}

fn check_name(name: &str) -> Result<(), Error> {
    let bad = |reason| Error::InvalidCaName {
        name: crate::error::excerpt(name),
        reason,
    };
    if name.trim().is_empty() {
        return Err(bad("it is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(bad(
            "it is longer than 64 characters (RFC 5280's bound for CN and O)",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("it contains control characters"));
    }
    Ok(())
}

/// The P-256 key inside a key this module generated or checked as P-256.
fn p256_key(key: &FileKey) -> Result<&p256::ecdsa::SigningKey, Error> {
    key.p256_signing_key().ok_or(Error::UnsupportedAlgorithm {
        algorithm: key.algorithm(),
    })
}

fn certificate_error<E>(what: &'static str) -> impl FnOnce(E) -> Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| Error::Certificate {
        what,
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn window(v: &Validity) -> (String, String) {
        (v.not_before.to_string(), v.not_after.to_string())
    }

    #[test]
    fn validity_counts_calendar_years() {
        let v = validity(ts("2025-03-04T05:06:07Z"), 10).unwrap();
        assert_eq!(
            window(&v),
            ("2025-03-04T05:06:07Z".into(), "2035-03-04T05:06:07Z".into())
        );
        // Past 2049 RFC 5280 switches to GeneralizedTime.
        let v = validity(ts("2040-01-01T00:00:00Z"), 20).unwrap();
        assert!(matches!(v.not_after, Time::GeneralTime(_)));
        let v = validity(ts("2024-02-29T12:00:00Z"), 1).unwrap();
        assert_eq!(window(&v).1, "2025-02-28T12:00:00Z");
        for (start, years) in [
            ("2025-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59Z", 1),
            ("9999-01-01T00:00:00Z", 1),
            ("2025-01-01T00:00:00Z", u32::MAX),
        ] {
            assert!(
                matches!(
                    validity(ts(start), years),
                    Err(Error::InvalidValidity { .. })
                ),
                "{start} + {years}"
            );
        }
    }

    #[test]
    fn names_are_bounded_and_need_no_escaping() {
        for bad in ["", "  ", &"x".repeat(65), "a\nb"] {
            assert!(
                matches!(check_name(bad), Err(Error::InvalidCaName { .. })),
                "{bad:?}"
            );
        }
        let odd = "ACME, Inc.+\"test\"=#1";
        let ca = TestAttestationCa::generate(odd, ts("2025-01-01T00:00:00Z"), 1).unwrap();
        assert_eq!(ca.organization, odd);
        assert_eq!(ca.subject.common_name().unwrap().unwrap().value(), odd);
    }

    #[test]
    fn the_object_is_canonical_cbor() {
        let object = packed_object(b"auth", b"sig", b"cert");
        vouch_core::cbor::validate(
            &object,
            vouch_core::cbor::Strictness::Canonical,
            vouch_core::cbor::Limits {
                max_size: 1024,
                max_depth: 4,
            },
        )
        .unwrap();
    }
}
