//! FIDO2 / WebAuthn enrollment attestation against public vectors (the W3C
//! WebAuthn L3 test vectors, py-webauthn's Windows Hello TPM registrations)
//! and against attestations made here with a test CA (packed, fido-u2f,
//! OpenSSH's `ssh-sk-attest-v01` file).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr as _;
use std::time::{Duration, UNIX_EPOCH};

use ciborium::value::Value;
use der::Encode as _;
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest as _, Sha256};
use signature::Signer as _;
use spki::EncodePublicKey as _;
use vouch_core::fido::{
    AttestationError, AttestationFormat, AttestationType, EnrollmentAttestation, TrustAnchor,
};
use vouch_core::x509::CertificateError;
use vouch_core::{PublicKey, Timestamp};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder as _, CertificateBuilder};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hexd(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

// ---------------------------------------------------------------------------
// Tampering: each kind of change fails with its own reason.

fn decode(object: &[u8]) -> Vec<(Value, Value)> {
    match ciborium::from_reader(object).unwrap() {
        Value::Map(m) => m,
        _ => panic!("attestation object is not a map"),
    }
}

fn encode(map: Vec<(Value, Value)>) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(&Value::Map(map), &mut out).unwrap();
    out
}

fn entry<'a>(map: &'a mut [(Value, Value)], key: &str) -> &'a mut Value {
    &mut map
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some(key))
        .unwrap()
        .1
}

/// Flips a bit in the last byte of the leaf certificate: its signature value.
fn tamper_certificate(object: &[u8]) -> Vec<u8> {
    let mut m = decode(object);
    let Value::Map(stmt) = entry(&mut m, "attStmt") else {
        panic!()
    };
    let Value::Array(x5c) = entry(stmt, "x5c") else {
        panic!()
    };
    let Value::Bytes(leaf) = &mut x5c[0] else {
        panic!()
    };
    *leaf.last_mut().unwrap() ^= 0x01;
    encode(m)
}

/// Flips a bit inside the statement signature (past any DER header).
fn tamper_signature(object: &[u8]) -> Vec<u8> {
    let mut m = decode(object);
    let Value::Map(stmt) = entry(&mut m, "attStmt") else {
        panic!()
    };
    let Value::Bytes(sig) = entry(stmt, "sig") else {
        panic!()
    };
    let i = sig.len() - 3;
    sig[i] ^= 0x01;
    encode(m)
}

/// Flips a bit in the credential id: covered by every format's signature
/// (fido-u2f does not sign the flags or the counter, only rpIdHash,
/// clientDataHash, credential id and key).
fn tamper_auth_data(object: &[u8]) -> Vec<u8> {
    let mut m = decode(object);
    let Value::Bytes(a) = entry(&mut m, "authData") else {
        panic!()
    };
    a[37 + 16 + 2] ^= 0x01;
    encode(m)
}

/// Runs every tampering against an attestation that verifies.
fn assert_tampering_fails(
    name: &str,
    object: &[u8],
    cdh: [u8; 32],
    key: &PublicKey,
    other_key: &PublicKey,
    roots: &[TrustAnchor],
    at: Timestamp,
) {
    let att = EnrollmentAttestation::webauthn(object, cdh).unwrap();
    let format = att.format();
    att.verify(key, roots, at)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let app = key.fido_application().unwrap();
    // The enrolled key: another key with the same application.
    let e = att.verify(other_key, roots, at).unwrap_err();
    assert!(
        matches!(e, AttestationError::KeyMismatch { .. }),
        "{name}: {e}"
    );
    // The relying party: the same key bound to another application.
    let moved = PublicKey::from_canonical_bytes(&key.to_canonical_bytes())
        .unwrap()
        .with_fido_application(&format!("{app}.evil"))
        .unwrap();
    let e = att.verify(&moved, roots, at).unwrap_err();
    assert!(
        matches!(e, AttestationError::RpIdMismatch { .. }),
        "{name}: {e}"
    );
    if att.is_empty() {
        return;
    }
    // The statement signature.
    let e = EnrollmentAttestation::webauthn(&tamper_signature(object), cdh)
        .unwrap()
        .verify(key, roots, at)
        .unwrap_err();
    assert_eq!(e, AttestationError::BadSignature { format }, "{name}");
    // The client data hash it was made over.
    let mut other_cdh = cdh;
    other_cdh[0] ^= 1;
    let e = EnrollmentAttestation::webauthn(object, other_cdh)
        .unwrap()
        .verify(key, roots, at)
        .unwrap_err();
    assert!(
        matches!(
            e,
            AttestationError::BadSignature { .. } | AttestationError::TpmMismatch(_)
        ),
        "{name}: {e}"
    );
    // The authenticator data: a TPM certifies its hash in certInfo, so the
    // TPM names that; the others' signatures stop verifying.
    let e = EnrollmentAttestation::webauthn(&tamper_auth_data(object), cdh)
        .unwrap()
        .verify(key, roots, at)
        .unwrap_err();
    if format == AttestationFormat::Tpm {
        assert!(matches!(e, AttestationError::TpmMismatch(_)), "{name}: {e}");
    } else {
        assert_eq!(e, AttestationError::BadSignature { format }, "{name}");
    }
    // The certificate (basic attestation only).
    if att.verify(key, roots, at).unwrap().attestation_type() == AttestationType::Basic {
        let e = EnrollmentAttestation::webauthn(&tamper_certificate(object), cdh)
            .unwrap()
            .verify(key, roots, at)
            .unwrap_err();
        assert!(
            matches!(
                e,
                AttestationError::Certificate(CertificateError::BadSignature { index: 0, .. })
            ),
            "{name}: {e}"
        );
        // No roots, no trust.
        let e = att.verify(key, &[], at).unwrap_err();
        assert!(
            matches!(
                e,
                AttestationError::Certificate(CertificateError::Untrusted { .. })
            ),
            "{name}: {e}"
        );
    }
}

// ---------------------------------------------------------------------------
// W3C WebAuthn Level 3 test vectors.

struct W3c {
    id: String,
    object: Vec<u8>,
    cdh: [u8; 32],
    key: Option<PublicKey>,
}

fn w3c() -> Option<(Vec<W3c>, TrustAnchor)> {
    let json = vouch_test_support::vector_json("w3c-webauthn", "webauthn-l3-test-vectors.json")?;
    let ca =
        TrustAnchor::from_der(&hexd(json["ca"]["attestation_ca_cert"].as_str().unwrap())).unwrap();
    let rp = json["rp_id"].as_str().unwrap();
    let vectors = json["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let reg = &v["registration"];
            let cose = hexd(
                v["_derived_by_collector"]["credentialPublicKey_cose_hex"]
                    .as_str()
                    .unwrap(),
            );
            W3c {
                id: v["id"].as_str().unwrap().to_owned(),
                object: hexd(reg["attestationObject"].as_str().unwrap()),
                cdh: sha256(&hexd(reg["clientDataJSON"].as_str().unwrap())),
                key: PublicKey::from_cose_key(&cose)
                    .ok()
                    .map(|k| k.with_fido_application(rp).unwrap()),
            }
        })
        .collect();
    Some((vectors, ca))
}

/// Inside the W3C test CA's validity (2024 to 3024).
const W3C_TIME: &str = "2026-06-01T00:00:00Z";

#[test]
fn w3c_vectors_verify_or_are_refused_by_name() {
    let Some((vectors, ca)) = w3c() else { return };
    assert_eq!(vectors.len(), 15);
    assert_eq!(
        ca.subject(),
        "C=AA,OU=Authenticator Attestation CA,O=W3C,CN=WebAuthn test vectors"
    );
    let roots = [ca];
    let at = ts(W3C_TIME);
    for v in &vectors {
        let parsed = EnrollmentAttestation::webauthn(&v.object, v.cdh);
        let expect = |format, ty| {
            let att = parsed.as_ref().unwrap_or_else(|e| panic!("{}: {e}", v.id));
            assert_eq!(att.format(), format, "{}", v.id);
            let ok = att
                .verify(v.key.as_ref().unwrap(), &roots, at)
                .unwrap_or_else(|e| panic!("{}: {e}", v.id));
            assert_eq!(ok.attestation_type(), ty, "{}", v.id);
            assert_eq!(ok.aaguid(), att.aaguid());
            assert_eq!(ok.key_id(), v.key.as_ref().unwrap().key_id());
            assert_eq!(ok.counter(), Some(0));
            assert!(ok.flags().unwrap().user_present(), "{}", v.id);
            if ty == AttestationType::Basic {
                assert_eq!(ok.root().map(|r| r.0), Some(0), "{}", v.id);
            } else {
                assert_eq!(ok.root(), None);
            }
        };
        let refused_alg = |name: &str| match &parsed {
            Err(AttestationError::UnsupportedAlgorithm { name: n, .. }) => {
                assert_eq!(n, name, "{}", v.id)
            }
            other => panic!("{}: expected {name} refused, got {other:?}", v.id),
        };
        match v.id.as_str() {
            "none-es256"
            | "none-es256-crossOrigin"
            | "none-es256-topOrigin"
            | "none-es256-long-credential-id" => {
                expect(AttestationFormat::None, AttestationType::None);
                assert!(parsed.as_ref().unwrap().is_empty());
            }
            "packed-self-es256" => {
                expect(AttestationFormat::Packed, AttestationType::SelfAttestation)
            }
            "packed-es256" | "packed-eddsa" => {
                expect(AttestationFormat::Packed, AttestationType::Basic)
            }
            "tpm-es256" => expect(AttestationFormat::Tpm, AttestationType::Basic),
            "fido-u2f-es256" => expect(AttestationFormat::FidoU2f, AttestationType::Basic),
            "packed-es384" => refused_alg("ES384"),
            "packed-es512" => refused_alg("ES512"),
            "packed-ed448" => refused_alg("Ed448"),
            // RSA credential keys: vouch keys are Ed25519 or P-256.
            "packed-rs256" => refused_alg("RS256"),
            "android-key-es256" => assert_eq!(
                parsed,
                Err(AttestationError::UnsupportedFormat("android-key".into()))
            ),
            "apple-es256" => {
                assert_eq!(
                    parsed,
                    Err(AttestationError::UnsupportedFormat("apple".into()))
                )
            }
            other => panic!("unexpected vector {other}"),
        }
        if let Ok(att) = &parsed {
            assert!(
                !parsed.as_ref().unwrap().is_empty() || att.format() == AttestationFormat::None
            );
        }
    }
}

#[test]
fn w3c_vectors_refuse_every_tampering() {
    let Some((vectors, ca)) = w3c() else { return };
    let roots = [ca];
    let at = ts(W3C_TIME);
    let verifying: Vec<&W3c> = vectors
        .iter()
        .filter(|v| {
            EnrollmentAttestation::webauthn(&v.object, v.cdh)
                .ok()
                .zip(v.key.as_ref())
                .is_some_and(|(a, k)| a.verify(k, &roots, at).is_ok())
        })
        .collect();
    let ids: Vec<&str> = verifying.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "none-es256",
            "packed-self-es256",
            "none-es256-crossOrigin",
            "none-es256-topOrigin",
            "none-es256-long-credential-id",
            "packed-es256",
            "packed-eddsa",
            "tpm-es256",
            "fido-u2f-es256"
        ]
    );
    for (i, v) in verifying.iter().enumerate() {
        // Another vector's P-256 or Ed25519 key of the same relying party.
        let other = verifying
            .iter()
            .cycle()
            .skip(i + 1)
            .find_map(|o| {
                o.key
                    .clone()
                    .filter(|k| k.algorithm() == v.key.as_ref().unwrap().algorithm())
            })
            .unwrap();
        let other = if &other == v.key.as_ref().unwrap() {
            verifying[(i + 1) % verifying.len()].key.clone().unwrap()
        } else {
            other
        };
        assert_tampering_fails(
            &v.id,
            &v.object,
            v.cdh,
            v.key.as_ref().unwrap(),
            &other,
            &roots,
            at,
        );
    }
}

#[test]
fn w3c_certificates_are_checked_at_the_given_time() {
    let Some((vectors, ca)) = w3c() else { return };
    let roots = [ca];
    for v in vectors
        .iter()
        .filter(|v| ["packed-es256", "tpm-es256", "fido-u2f-es256"].contains(&v.id.as_str()))
    {
        let att = EnrollmentAttestation::webauthn(&v.object, v.cdh).unwrap();
        let e = att
            .verify(v.key.as_ref().unwrap(), &roots, ts("2023-12-31T23:59:59Z"))
            .unwrap_err();
        match e {
            AttestationError::Certificate(CertificateError::NotYetValid {
                index: 0,
                not_before,
                at,
                ..
            }) => {
                assert_eq!(not_before, ts("2024-01-01T00:00:00Z"));
                assert_eq!(at, ts("2023-12-31T23:59:59Z"));
            }
            other => panic!("{}: {other}", v.id),
        }
    }
}

#[test]
fn w3c_storage_round_trips() {
    let Some((vectors, ca)) = w3c() else { return };
    let roots = [ca];
    for v in &vectors {
        let Ok(att) = EnrollmentAttestation::webauthn(&v.object, v.cdh) else {
            continue;
        };
        let bytes = att.to_bytes();
        let back = EnrollmentAttestation::from_bytes(&bytes).unwrap();
        assert_eq!(back, att, "{}", v.id);
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(
            back.verify(v.key.as_ref().unwrap(), &roots, ts(W3C_TIME)),
            att.verify(v.key.as_ref().unwrap(), &roots, ts(W3C_TIME))
        );
    }
}

#[test]
fn w3c_tpm_parts_match_the_attestation_object() {
    // tpm-es256/ holds the TPM parts cut out of the same vector: check that
    // the AIK certificate there chains to the CA there, as in the object.
    let Some(dir) = vouch_test_support::vectors_dir() else {
        return;
    };
    let dir = dir.join("w3c-webauthn/tpm-es256");
    let ca =
        TrustAnchor::from_der(&std::fs::read(dir.join("attestation_ca.der")).unwrap()).unwrap();
    let aik = std::fs::read(dir.join("x5c_0.der")).unwrap();
    assert_eq!(
        vouch_core::x509::verify_chain(&[&aik], &[ca], ts(W3C_TIME)),
        Ok(0)
    );
}

// ---------------------------------------------------------------------------
// py-webauthn's Windows Hello TPM registrations (real TPMs).

struct Hello {
    name: String,
    object: Vec<u8>,
    cdh: [u8; 32],
    rp: String,
}

fn b64url(s: &str) -> Vec<u8> {
    vouch_test_support::base64_any(s)
}

fn hello() -> Option<Vec<Hello>> {
    let json = vouch_test_support::vector_json("py-webauthn", "tpm-registrations.json")?;
    Some(
        json["tpm_registrations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let response = &r["credential"]["response"];
                Hello {
                    name: r["name"].as_str().unwrap().to_owned(),
                    object: b64url(response["attestationObject"].as_str().unwrap()),
                    cdh: sha256(&b64url(response["clientDataJSON"].as_str().unwrap())),
                    rp: r["expected_rp_id"].as_str().unwrap().to_owned(),
                }
            })
            .collect(),
    )
}

/// The x5c certificates of an attestation object.
fn x5c_of(object: &[u8]) -> Vec<Vec<u8>> {
    let mut m = decode(object);
    let Value::Map(stmt) = entry(&mut m, "attStmt") else {
        panic!()
    };
    let Value::Array(x5c) = entry(stmt, "x5c") else {
        panic!()
    };
    x5c.iter().map(|c| c.as_bytes().unwrap().clone()).collect()
}

/// The credential key of an attestation object's authData, for the ECC case.
fn p256_credential(object: &[u8], rp: &str) -> PublicKey {
    let mut m = decode(object);
    let Value::Bytes(a) = entry(&mut m, "authData").clone() else {
        panic!()
    };
    let id_len = usize::from(u16::from_be_bytes([a[53], a[54]]));
    PublicKey::from_cose_key(&a[55 + id_len..])
        .unwrap()
        .with_fido_application(rp)
        .unwrap()
}

#[test]
fn windows_hello_tpm_registrations() {
    let Some(regs) = hello() else { return };
    assert_eq!(regs.len(), 4);
    for r in &regs {
        let parsed = EnrollmentAttestation::webauthn(&r.object, r.cdh);
        if r.name != "test_verify_tpm_with_ecc_public_area_type" {
            // Windows Hello's RSA-2048 credential keys: vouch keys are
            // Ed25519 or P-256, so these are refused by name.
            assert_eq!(
                parsed,
                Err(AttestationError::UnsupportedAlgorithm {
                    name: "RS256".into(),
                    usage: "as a credential key"
                }),
                "{}",
                r.name
            );
            continue;
        }
        let att = parsed.unwrap();
        assert_eq!(att.format(), AttestationFormat::Tpm);
        // The Microsoft TPM root is not in the vectors: the intermediate
        // (`*-KEYID-*`, x5c[1]) stands in as the anchor.
        let x5c = x5c_of(&r.object);
        assert_eq!(x5c.len(), 2);
        let roots = [TrustAnchor::from_der(&x5c[1]).unwrap()];
        let key = p256_credential(&r.object, &r.rp);
        let at = ts("2024-06-01T00:00:00Z");
        let ok = att
            .verify(&key, &roots, at)
            .unwrap_or_else(|e| panic!("{}: {e}", r.name));
        assert_eq!(ok.attestation_type(), AttestationType::Basic);
        assert_eq!(ok.root().map(|r| r.0), Some(0));
        assert!(ok.flags().unwrap().user_verified());
        // Checked once the AIK certificate has expired, with its times.
        let late = ts("2030-01-01T00:00:00Z");
        match att.verify(&key, &roots, late).unwrap_err() {
            AttestationError::Certificate(CertificateError::Expired {
                index: 0,
                not_after,
                at,
                ..
            }) => {
                assert!(not_after < late);
                assert_eq!(at, late);
            }
            other => panic!("{}: {other}", r.name),
        }
        // RS1 (SHA-1) is what this TPM signed with: accepted for tpm only.
        let other = regs
            .iter()
            .find(|o| o.name != r.name)
            .map(|_| {
                PublicKey::p256_sec1(&p256_generator())
                    .unwrap()
                    .with_fido_application(&r.rp)
                    .unwrap()
            })
            .unwrap();
        assert_tampering_fails(&r.name, &r.object, r.cdh, &key, &other, &roots, at);
    }
}

fn p256_generator() -> Vec<u8> {
    SigningKey::from_slice(&[1; 32])
        .unwrap()
        .verifying_key()
        .to_sec1_point(false)
        .as_bytes()
        .to_vec()
}

// ---------------------------------------------------------------------------
// Attestations made here, with a test CA.

struct Profile {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _: &Name) -> Name {
        self.issuer.clone()
    }
    fn get_subject(&self) -> Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _: SubjectPublicKeyInfoRef<'_>,
        _: SubjectPublicKeyInfoRef<'_>,
        _: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

fn ext(oid: &str, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: const_oid::ObjectIdentifier::new(oid).unwrap(),
        critical,
        extn_value: der::asn1::OctetString::new(value).unwrap(),
    }
}

fn basic_constraints(ca: bool) -> Extension {
    let bc = x509_cert::ext::pkix::BasicConstraints {
        ca,
        path_len_constraint: None,
    };
    ext("2.5.29.19", true, bc.to_der().unwrap())
}

fn key_cert_sign() -> Extension {
    use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
    ext(
        "2.5.29.15",
        true,
        KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
            .to_der()
            .unwrap(),
    )
}

fn digital_signature() -> Extension {
    use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
    ext(
        "2.5.29.15",
        true,
        KeyUsage(KeyUsages::DigitalSignature.into())
            .to_der()
            .unwrap(),
    )
}

fn aaguid_ext(aaguid: [u8; 16]) -> Extension {
    let mut v = vec![0x04, 0x10];
    v.extend_from_slice(&aaguid);
    ext("1.3.6.1.4.1.45724.1.1.4", false, v)
}

fn time(s: &str) -> Time {
    Time::try_from(UNIX_EPOCH + Duration::from_secs(u64::try_from(ts(s).unix_seconds()).unwrap()))
        .unwrap()
}

/// A certificate for `subject_key`, signed by `issuer_key`.
fn certificate(
    subject: &str,
    issuer: &str,
    subject_key: &p256::ecdsa::VerifyingKey,
    issuer_key: &SigningKey,
    extensions: Vec<Extension>,
    validity: (&str, &str),
) -> Vec<u8> {
    let profile = Profile {
        subject: Name::from_str(subject).unwrap(),
        issuer: Name::from_str(issuer).unwrap(),
        extensions,
    };
    let spki =
        SubjectPublicKeyInfoOwned::try_from(subject_key.to_public_key_der().unwrap().as_bytes())
            .unwrap();
    let builder = CertificateBuilder::new(
        profile,
        SerialNumber::new(&[0x01, 0x23]).unwrap(),
        Validity::new(time(validity.0), time(validity.1)),
        spki,
    )
    .unwrap();
    builder
        .build::<_, DerSignature>(issuer_key)
        .unwrap()
        .to_der()
        .unwrap()
}

const CA_NAME: &str = "CN=vouch test CA,O=vouch,C=AA";
const LEAF_NAME: &str = "CN=vouch test authenticator,OU=Authenticator Attestation,O=vouch,C=AA";
const YEARS: (&str, &str) = ("2025-01-01T00:00:00Z", "2035-01-01T00:00:00Z");
const NOW: &str = "2026-12-01T00:00:00Z";
const AAGUID: [u8; 16] = *b"vouch-test-model";

struct TestCa {
    key: SigningKey,
    der: Vec<u8>,
}

fn test_ca(seed: u8, name: &str) -> TestCa {
    let key = SigningKey::from_slice(&[seed; 32]).unwrap();
    let der = certificate(
        name,
        name,
        key.verifying_key(),
        &key,
        vec![basic_constraints(true), key_cert_sign()],
        YEARS,
    );
    TestCa { key, der }
}

/// Authenticator data for a P-256 credential.
fn auth_data(application: &str, aaguid: [u8; 16], credential: &PublicKey) -> Vec<u8> {
    let mut a = sha256(application.as_bytes()).to_vec();
    a.push(0x45); // UP | UV | AT
    a.extend_from_slice(&7u32.to_be_bytes());
    a.extend_from_slice(&aaguid);
    a.extend_from_slice(&[0, 4, 0xc0, 0xff, 0xee, 0x00]);
    a.extend_from_slice(&credential.to_cose_key());
    a
}

fn sign(key: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let sig: DerSignature = key.sign(msg);
    sig.as_bytes().to_vec()
}

fn attestation_object(fmt: &str, stmt: Vec<(Value, Value)>, auth: &[u8]) -> Vec<u8> {
    encode(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), Value::Map(stmt)),
        (Value::Text("authData".into()), Value::Bytes(auth.to_vec())),
    ])
}

struct Made {
    credential: PublicKey,
    credential_key: SigningKey,
    attestation_key: SigningKey,
    ca: TestCa,
}

fn made(application: &str) -> Made {
    let credential_key = SigningKey::from_slice(&[3; 32]).unwrap();
    let credential = PublicKey::p256_sec1(
        credential_key
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes(),
    )
    .unwrap()
    .with_fido_application(application)
    .unwrap();
    Made {
        credential,
        credential_key,
        attestation_key: SigningKey::from_slice(&[5; 32]).unwrap(),
        ca: test_ca(9, CA_NAME),
    }
}

/// An attestation certificate; always with keyUsage digitalSignature, since
/// a certificate without extensions is written as version 1.
fn leaf(m: &Made, subject: &str, mut extensions: Vec<Extension>) -> Vec<u8> {
    extensions.push(digital_signature());
    certificate(
        subject,
        CA_NAME,
        m.attestation_key.verifying_key(),
        &m.ca.key,
        extensions,
        YEARS,
    )
}

fn packed_object(m: &Made, cert: Option<Vec<u8>>, aaguid: [u8; 16], cdh: &[u8; 32]) -> Vec<u8> {
    let auth = auth_data(
        m.credential.fido_application().unwrap(),
        aaguid,
        &m.credential,
    );
    let mut signed = auth.clone();
    signed.extend_from_slice(cdh);
    let (sig, x5c) = match cert {
        Some(c) => (sign(&m.attestation_key, &signed), Some(c)),
        None => (sign(&m.credential_key, &signed), None),
    };
    let mut stmt = vec![
        (Value::Text("alg".into()), Value::Integer((-7).into())),
        (Value::Text("sig".into()), Value::Bytes(sig)),
    ];
    if let Some(c) = x5c {
        stmt.push((
            Value::Text("x5c".into()),
            Value::Array(vec![Value::Bytes(c)]),
        ));
    }
    attestation_object("packed", stmt, &auth)
}

fn other_key(application: &str) -> PublicKey {
    PublicKey::p256_sec1(&p256_generator())
        .unwrap()
        .with_fido_application(application)
        .unwrap()
}

#[test]
fn made_packed_basic_and_self() {
    let m = made("example.org");
    let cdh = sha256(b"client data");
    let roots = [TrustAnchor::from_der(&m.ca.der).unwrap()];
    let at = ts(NOW);
    let cert = leaf(
        &m,
        LEAF_NAME,
        vec![aaguid_ext(AAGUID), basic_constraints(false)],
    );
    let object = packed_object(&m, Some(cert), AAGUID, &cdh);
    let att = EnrollmentAttestation::webauthn(&object, cdh).unwrap();
    assert_eq!(att.aaguid(), AAGUID);
    let ok = att.verify(&m.credential, &roots, at).unwrap();
    assert_eq!(ok.attestation_type(), AttestationType::Basic);
    assert_eq!(ok.root(), Some((0, "CN=vouch test CA,O=vouch,C=AA")));
    assert_eq!(ok.counter(), Some(7));
    assert_tampering_fails(
        "made packed",
        &object,
        cdh,
        &m.credential,
        &other_key("example.org"),
        &roots,
        at,
    );

    let self_object = packed_object(&m, None, AAGUID, &cdh);
    let ok = EnrollmentAttestation::webauthn(&self_object, cdh)
        .unwrap()
        .verify(&m.credential, &roots, at)
        .unwrap();
    assert_eq!(ok.attestation_type(), AttestationType::SelfAttestation);
    assert_eq!(ok.root(), None);
    assert_tampering_fails(
        "made self",
        &self_object,
        cdh,
        &m.credential,
        &other_key("example.org"),
        &roots,
        at,
    );
}

#[test]
fn made_packed_certificate_rules() {
    let m = made("example.org");
    let cdh = sha256(b"client data");
    let roots = [TrustAnchor::from_der(&m.ca.der).unwrap()];
    let at = ts(NOW);
    let verify = |cert: Vec<u8>| {
        EnrollmentAttestation::webauthn(&packed_object(&m, Some(cert), AAGUID, &cdh), cdh)
            .unwrap()
            .verify(&m.credential, &roots, at)
    };
    let rule = |r: Result<_, AttestationError>| match r {
        Err(AttestationError::CertificateRule { rule, .. }) => rule,
        other => panic!("expected a certificate rule, got {other:?}"),
    };
    assert!(rule(verify(leaf(&m, "CN=x,OU=Other,O=vouch,C=AA", vec![]))).contains("OU"));
    assert!(
        rule(verify(leaf(
            &m,
            "CN=x,OU=Authenticator Attestation,O=vouch",
            vec![]
        )))
        .contains("C")
    );
    assert!(rule(verify(leaf(&m, LEAF_NAME, vec![aaguid_ext([1; 16])]))).contains("AAGUID"));
    assert!(rule(verify(leaf(&m, LEAF_NAME, vec![basic_constraints(true)]))).contains("cA"));
    // Without the AAGUID extension and basicConstraints, the rules hold.
    assert!(verify(leaf(&m, LEAF_NAME, vec![])).is_ok());
    // Version 1 (what a certificate without extensions is) is refused.
    let v1 = certificate(
        LEAF_NAME,
        CA_NAME,
        m.attestation_key.verifying_key(),
        &m.ca.key,
        vec![],
        YEARS,
    );
    assert!(rule(verify(v1)).contains("version 3"));
    // An unknown critical extension is refused by the chain check.
    let e = verify(leaf(
        &m,
        LEAF_NAME,
        vec![ext("1.2.3.4", true, vec![0x05, 0x00])],
    ))
    .unwrap_err();
    assert!(
        matches!(
            e,
            AttestationError::Certificate(CertificateError::UnknownCriticalExtension { .. })
        ),
        "{e}"
    );
}

#[test]
fn made_chains() {
    let m = made("example.org");
    let cdh = sha256(b"client data");
    let at = ts(NOW);
    let root = TrustAnchor::from_der(&m.ca.der).unwrap();
    let cert = leaf(&m, LEAF_NAME, vec![]);
    let chain = |certs: Vec<Vec<u8>>| {
        let certs: Vec<&[u8]> = certs.iter().map(Vec::as_slice).collect();
        vouch_core::x509::verify_chain(&certs, std::slice::from_ref(&root), at)
    };
    // The root may ride along in the chain.
    assert_eq!(chain(vec![cert.clone()]), Ok(0));
    assert_eq!(chain(vec![cert.clone(), m.ca.der.clone()]), Ok(0));
    // An intermediate that is no CA may not issue.
    let mid_key = SigningKey::from_slice(&[11; 32]).unwrap();
    let mid_name = "CN=vouch intermediate,O=vouch,C=AA";
    let not_ca = certificate(
        mid_name,
        CA_NAME,
        mid_key.verifying_key(),
        &m.ca.key,
        vec![basic_constraints(false)],
        YEARS,
    );
    let under = certificate(
        LEAF_NAME,
        mid_name,
        m.attestation_key.verifying_key(),
        &mid_key,
        vec![digital_signature()],
        YEARS,
    );
    assert!(matches!(
        chain(vec![under.clone(), not_ca]),
        Err(CertificateError::NotAnIssuer { index: 0, .. })
    ));
    let ca = certificate(
        mid_name,
        CA_NAME,
        mid_key.verifying_key(),
        &m.ca.key,
        vec![basic_constraints(true)],
        YEARS,
    );
    assert_eq!(chain(vec![under.clone(), ca.clone()]), Ok(0));
    // An expired intermediate, with its times.
    let old = certificate(
        mid_name,
        CA_NAME,
        mid_key.verifying_key(),
        &m.ca.key,
        vec![basic_constraints(true)],
        ("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),
    );
    match chain(vec![under.clone(), old]) {
        Err(CertificateError::Expired {
            index: 1,
            not_after,
            ..
        }) => assert_eq!(not_after, ts("2021-01-01T00:00:00Z")),
        other => panic!("{other:?}"),
    }
    // Another CA with the same name but another key is not the anchor.
    let impostor = test_ca(13, CA_NAME);
    let forged = certificate(
        LEAF_NAME,
        CA_NAME,
        m.attestation_key.verifying_key(),
        &impostor.key,
        vec![],
        YEARS,
    );
    assert!(matches!(
        chain(vec![forged]),
        Err(CertificateError::BadSignature { index: 0, .. })
    ));
    // Too long.
    assert_eq!(
        chain(vec![cert.clone(); 9]),
        Err(CertificateError::ChainLength(9))
    );
    // A packed statement with the intermediate in x5c verifies through it.
    let auth = auth_data("example.org", AAGUID, &m.credential);
    let mut signed = auth.clone();
    signed.extend_from_slice(&cdh);
    let stmt = vec![
        (Value::Text("alg".into()), Value::Integer((-7).into())),
        (
            Value::Text("sig".into()),
            Value::Bytes(sign(&m.attestation_key, &signed)),
        ),
        (
            Value::Text("x5c".into()),
            Value::Array(vec![Value::Bytes(under), Value::Bytes(ca)]),
        ),
    ];
    let object = attestation_object("packed", stmt, &auth);
    EnrollmentAttestation::webauthn(&object, cdh)
        .unwrap()
        .verify(&m.credential, &[root], at)
        .unwrap();
    // PEM anchors read the same.
    let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &m.ca.der).unwrap();
    assert_eq!(
        TrustAnchor::from_pem(&pem).unwrap().der(),
        m.ca.der.as_slice()
    );
}

fn u2f_object(m: &Made, cdh: &[u8; 32]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let auth = auth_data(
        m.credential.fido_application().unwrap(),
        [0; 16],
        &m.credential,
    );
    let mut signed = vec![0x00];
    signed.extend_from_slice(&sha256(m.credential.fido_application().unwrap().as_bytes()));
    signed.extend_from_slice(cdh);
    signed.extend_from_slice(&[0xc0, 0xff, 0xee, 0x00]);
    signed.extend_from_slice(m.credential.point());
    let sig = sign(&m.attestation_key, &signed);
    let cert = leaf(m, "CN=vouch U2F token", vec![]);
    let stmt = vec![
        (Value::Text("sig".into()), Value::Bytes(sig.clone())),
        (
            Value::Text("x5c".into()),
            Value::Array(vec![Value::Bytes(cert.clone())]),
        ),
    ];
    (attestation_object("fido-u2f", stmt, &auth), cert, sig)
}

#[test]
fn made_fido_u2f() {
    let m = made("example.org");
    let cdh = sha256(b"client data");
    let roots = [TrustAnchor::from_der(&m.ca.der).unwrap()];
    let at = ts(NOW);
    let (object, _, _) = u2f_object(&m, &cdh);
    let ok = EnrollmentAttestation::webauthn(&object, cdh)
        .unwrap()
        .verify(&m.credential, &roots, at)
        .unwrap();
    assert_eq!(ok.format(), AttestationFormat::FidoU2f);
    assert_eq!(ok.aaguid(), [0; 16]);
    assert_tampering_fails(
        "made fido-u2f",
        &object,
        cdh,
        &m.credential,
        &other_key("example.org"),
        &roots,
        at,
    );
}

// ---------------------------------------------------------------------------
// OpenSSH's ssh-sk-attest-v01, built by hand per PROTOCOL.u2f.

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&u32::try_from(s.len()).unwrap().to_be_bytes());
    out.extend_from_slice(s);
}

fn ssh_attest_file(cert: &[u8], sig: &[u8], auth: &[u8]) -> Vec<u8> {
    let mut wrapped = Vec::new();
    if !auth.is_empty() {
        ciborium::into_writer(&Value::Bytes(auth.to_vec()), &mut wrapped).unwrap();
    }
    let mut f = Vec::new();
    put_string(&mut f, b"ssh-sk-attest-v01");
    put_string(&mut f, cert);
    put_string(&mut f, sig);
    put_string(&mut f, &wrapped);
    f.extend_from_slice(&0u32.to_be_bytes());
    put_string(&mut f, b"");
    f
}

#[test]
fn openssh_attestation_file() {
    let m = made("ssh:");
    let roots = [TrustAnchor::from_der(&m.ca.der).unwrap()];
    let at = ts(NOW);
    let challenge = b"enrollment challenge from the roster, any length";
    // What the authenticator signed: authData || SHA-256(challenge).
    let auth = auth_data("ssh:", AAGUID, &m.credential);
    let mut signed = auth.clone();
    signed.extend_from_slice(&sha256(challenge));
    let cert = leaf(&m, LEAF_NAME, vec![aaguid_ext(AAGUID)]);
    let file = ssh_attest_file(&cert, &sign(&m.attestation_key, &signed), &auth);
    let att = EnrollmentAttestation::openssh(&file, challenge).unwrap();
    assert_eq!(att.format(), AttestationFormat::Packed);
    assert!(!att.is_empty());
    let ok = att.verify(&m.credential, &roots, at).unwrap();
    assert_eq!(ok.attestation_type(), AttestationType::Basic);
    assert_eq!(
        EnrollmentAttestation::from_bytes(&att.to_bytes()).unwrap(),
        att
    );
    // Another challenge, another clientDataHash: the signature fails.
    let e = EnrollmentAttestation::openssh(&file, b"another challenge")
        .unwrap()
        .verify(&m.credential, &roots, at)
        .unwrap_err();
    assert_eq!(
        e,
        AttestationError::BadSignature {
            format: AttestationFormat::Packed
        }
    );
    // The key must be the enrolled one, for the application `ssh:`.
    let e = att.verify(&other_key("ssh:"), &roots, at).unwrap_err();
    assert!(matches!(e, AttestationError::KeyMismatch { .. }));
    let plain = PublicKey::p256_sec1(m.credential.point()).unwrap();
    assert_eq!(
        att.verify(&plain, &roots, at),
        Err(AttestationError::NotFidoKey(plain.key_id()))
    );

    // A U2F-only token: zero AAGUID, the U2F registration signature.
    let u2f_auth = auth_data("ssh:", [0; 16], &m.credential);
    let mut u2f_signed = vec![0x00];
    u2f_signed.extend_from_slice(&sha256(b"ssh:"));
    u2f_signed.extend_from_slice(&sha256(challenge));
    u2f_signed.extend_from_slice(&[0xc0, 0xff, 0xee, 0x00]);
    u2f_signed.extend_from_slice(m.credential.point());
    let u2f_cert = leaf(&m, "CN=vouch U2F token", vec![]);
    let u2f_file = ssh_attest_file(&u2f_cert, &sign(&m.attestation_key, &u2f_signed), &u2f_auth);
    let att = EnrollmentAttestation::openssh(&u2f_file, challenge).unwrap();
    assert_eq!(att.format(), AttestationFormat::FidoU2f);
    assert!(att.verify(&m.credential, &roots, at).is_ok());

    // Self attestation: a signature by the credential key, no certificate.
    let self_file = ssh_attest_file(b"", &sign(&m.credential_key, &signed), &auth);
    let ok = EnrollmentAttestation::openssh(&self_file, challenge)
        .unwrap()
        .verify(&m.credential, &[], at)
        .unwrap();
    assert_eq!(ok.attestation_type(), AttestationType::SelfAttestation);

    // sk-dummy's empty attestation: nothing to verify, unattested.
    let empty = EnrollmentAttestation::openssh(&ssh_attest_file(b"", b"", b""), challenge).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.format(), AttestationFormat::None);
    let ok = empty.verify(&m.credential, &roots, at).unwrap();
    assert_eq!(ok.attestation_type(), AttestationType::None);
    assert_eq!(ok.flags(), None);
    assert_eq!(
        EnrollmentAttestation::from_bytes(&empty.to_bytes()).unwrap(),
        empty
    );

    // Framing: trailing bytes and the old v00 format are refused.
    let mut long = file.clone();
    long.push(0);
    assert!(matches!(
        EnrollmentAttestation::openssh(&long, challenge),
        Err(AttestationError::Malformed(_))
    ));
    let mut v00 = Vec::new();
    put_string(&mut v00, b"ssh-sk-attest-v00");
    assert!(matches!(
        EnrollmentAttestation::openssh(&v00, challenge),
        Err(AttestationError::UnsupportedFormat(_))
    ));
}

#[test]
fn statement_algorithms_are_bound_to_the_format() {
    let m = made("example.org");
    let cdh = sha256(b"client data");
    let auth = auth_data("example.org", AAGUID, &m.credential);
    let object = |alg: i64| {
        attestation_object(
            "packed",
            vec![
                (Value::Text("alg".into()), Value::Integer(alg.into())),
                (Value::Text("sig".into()), Value::Bytes(vec![0; 64])),
            ],
            &auth,
        )
    };
    // RS1 is a tpm-only algorithm; ES384 statements are not supported.
    for (alg, name) in [(-65535, "RS1"), (-35, "ES384")] {
        let e = EnrollmentAttestation::webauthn(&object(alg), cdh)
            .unwrap()
            .verify(&m.credential, &[], ts(NOW))
            .unwrap_err();
        assert!(
            matches!(&e, AttestationError::UnsupportedAlgorithm { name: n, .. } if n == name),
            "{e}"
        );
    }
    // Self attestation must use the credential's own algorithm.
    let e = EnrollmentAttestation::webauthn(&object(-257), cdh)
        .unwrap()
        .verify(&m.credential, &[], ts(NOW))
        .unwrap_err();
    assert!(matches!(e, AttestationError::Malformed(_)), "{e}");
}
