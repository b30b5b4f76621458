//! The software authenticator's enrollment attestations, verified by
//! vouch-core exactly as a security key's are.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use vouch_core::fido::{
    AttestationError, AttestationFormat, AttestationType, EnrollmentAttestation, TrustAnchor,
};
use vouch_core::x509::CertificateError;
use vouch_core::{Algorithm, PublicKey, Signer as _, Timestamp};
use vouch_keys::softfido::{Presence, SoftAuthenticator, TestAttestationCa};
use vouch_keys::{Error, FileKey};

const START: &str = "2025-01-01T00:00:00Z";
const AT: &str = "2026-12-01T00:00:00Z";
const AAGUID: [u8; 16] = *b"vouch-soft-model";
const CDH: [u8; 32] = [0x5a; 32];

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ca(name: &str) -> TestAttestationCa {
    TestAttestationCa::generate(name, ts(START), 10).unwrap()
}

fn roots(ca: &TestAttestationCa) -> [TrustAnchor; 1] {
    [TrustAnchor::from_der(ca.certificate_der()).unwrap()]
}

fn verify(
    object: &[u8],
    key: &PublicKey,
    ca: &TestAttestationCa,
    at: Timestamp,
) -> Result<vouch_core::fido::VerifiedAttestation, AttestationError> {
    EnrollmentAttestation::webauthn(object, CDH)?.verify(key, &roots(ca), at)
}

fn authenticators() -> [SoftAuthenticator; 2] {
    [Algorithm::Ed25519, Algorithm::Es256]
        .map(|alg| SoftAuthenticator::generate(alg, "ssh:", Presence::Touch).unwrap())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vouch-soft-attestation-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn attestations_verify_as_packed_basic() {
    let ca = ca("vouch test CA");
    for auth in authenticators() {
        let object = auth.attest(&ca, AAGUID, CDH).unwrap();
        let att = EnrollmentAttestation::webauthn(&object, CDH).unwrap();
        assert_eq!(att.format(), AttestationFormat::Packed);
        assert_eq!(att.aaguid(), AAGUID);
        let ok = att.verify(auth.public_key(), &roots(&ca), ts(AT)).unwrap();
        assert_eq!(ok.format(), AttestationFormat::Packed);
        assert_eq!(ok.attestation_type(), AttestationType::Basic);
        assert_eq!(ok.aaguid(), AAGUID);
        assert_eq!(ok.key_id(), auth.key_id());
        let (index, subject) = ok.root().unwrap();
        assert_eq!(index, 0);
        assert!(subject.contains("CN=vouch test CA"), "{subject}");
        let flags = ok.flags().unwrap();
        assert!(flags.user_present() && !flags.user_verified());
        // What was stored verifies again.
        let stored = EnrollmentAttestation::from_bytes(&att.to_bytes()).unwrap();
        stored
            .verify(auth.public_key(), &roots(&ca), ts(AT))
            .unwrap();
        // The client data hash is covered by the signature.
        let other_cdh = EnrollmentAttestation::webauthn(&object, [0; 32])
            .unwrap()
            .verify(auth.public_key(), &roots(&ca), ts(AT));
        assert!(
            matches!(other_cdh, Err(AttestationError::BadSignature { .. })),
            "{other_cdh:?}"
        );
    }
}

#[test]
fn every_attestation_has_a_fresh_certificate() {
    let ca = ca("vouch test CA");
    let [auth, _] = authenticators();
    let one = auth.attest(&ca, AAGUID, CDH).unwrap();
    let two = auth.attest(&ca, AAGUID, CDH).unwrap();
    assert_ne!(one, two);
    for object in [one, two] {
        verify(&object, auth.public_key(), &ca, ts(AT)).unwrap();
    }
}

#[test]
fn another_ca_does_not_vouch_for_it() {
    let ca1 = ca("vouch test CA");
    let ca2 = ca("another test CA");
    for auth in authenticators() {
        let object = auth.attest(&ca1, AAGUID, CDH).unwrap();
        match verify(&object, auth.public_key(), &ca2, ts(AT)) {
            Err(AttestationError::Certificate(CertificateError::Untrusted { index, issuer })) => {
                assert_eq!(index, 0);
                assert!(issuer.contains("vouch test CA"), "{issuer}");
            }
            other => panic!("{other:?}"),
        }
        // A CA of the same name but another key: found by name, refused by signature.
        let twin = ca("vouch test CA");
        let refused = verify(&object, auth.public_key(), &twin, ts(AT));
        assert!(
            matches!(
                refused,
                Err(AttestationError::Certificate(
                    CertificateError::BadSignature { index: 0, .. }
                ))
            ),
            "{refused:?}"
        );
    }
}

#[test]
fn the_attested_key_must_be_the_enrolled_key() {
    let ca = ca("vouch test CA");
    let [ed, p256] = authenticators();
    for (auth, other) in [(&ed, &p256), (&p256, &ed)] {
        let object = auth.attest(&ca, AAGUID, CDH).unwrap();
        match verify(&object, other.public_key(), &ca, ts(AT)) {
            Err(AttestationError::KeyMismatch { expected, found }) => {
                assert_eq!(expected, other.key_id());
                assert_eq!(found, auth.key_id());
            }
            other => panic!("{other:?}"),
        }
        // The same algorithm, another key.
        let same_alg =
            SoftAuthenticator::generate(auth.public_key().algorithm(), "ssh:", Presence::Touch)
                .unwrap();
        assert!(matches!(
            verify(&object, same_alg.public_key(), &ca, ts(AT)),
            Err(AttestationError::KeyMismatch { .. })
        ));
    }
}

#[test]
fn the_application_must_be_the_enrolled_one() {
    let ca = ca("vouch test CA");
    for auth in authenticators() {
        let object = auth.attest(&ca, AAGUID, CDH).unwrap();
        let elsewhere = auth
            .public_key()
            .clone()
            .with_fido_application("ssh:other")
            .unwrap();
        match verify(&object, &elsewhere, &ca, ts(AT)) {
            Err(AttestationError::RpIdMismatch { application, .. }) => {
                assert_eq!(application, "ssh:other");
            }
            other => panic!("{other:?}"),
        }
        // An authenticator for the other application attests to it.
        let key = FileKey::generate(auth.public_key().algorithm()).unwrap();
        let there = SoftAuthenticator::new(key, "ssh:other", Presence::Touch).unwrap();
        let object = there.attest(&ca, AAGUID, CDH).unwrap();
        verify(&object, there.public_key(), &ca, ts(AT)).unwrap();
    }
}

#[test]
fn attestations_hold_only_within_the_ca_window() {
    let ca = ca("vouch test CA");
    let [auth, _] = authenticators();
    let object = auth.attest(&ca, AAGUID, CDH).unwrap();
    let start = ts(START);
    verify(&object, auth.public_key(), &ca, start).unwrap();
    let before = start.plus_seconds(-1);
    match verify(&object, auth.public_key(), &ca, before) {
        Err(AttestationError::Certificate(CertificateError::NotYetValid {
            index: 0,
            not_before,
            at,
            ..
        })) => {
            assert_eq!(not_before, start);
            assert_eq!(at, before);
        }
        other => panic!("{other:?}"),
    }
    let end = ts("2035-01-01T00:00:00Z");
    verify(&object, auth.public_key(), &ca, end).unwrap();
    assert!(matches!(
        verify(&object, auth.public_key(), &ca, end.plus_seconds(1)),
        Err(AttestationError::Certificate(CertificateError::Expired {
            index: 0,
            ..
        }))
    ));
}

#[test]
fn presence_and_counter_are_reported() {
    let ca = ca("vouch test CA");
    let dir = scratch("counter");
    let path = dir.join("key");
    FileKey::generate(Algorithm::Es256)
        .unwrap()
        .save(&path, None)
        .unwrap();
    let auth = SoftAuthenticator::open(&path, None, "ssh:", Presence::TouchAndPin).unwrap();
    // Before the first signature the counter file does not exist yet.
    let object = auth.attest(&ca, AAGUID, CDH).unwrap();
    let ok = verify(&object, auth.public_key(), &ca, ts(AT)).unwrap();
    assert_eq!(ok.counter(), Some(0));
    let flags = ok.flags().unwrap();
    assert!(flags.user_present() && flags.user_verified());
    auth.try_sign(b"one").unwrap();
    auth.try_sign(b"two").unwrap();
    // The current value, not advanced by attesting.
    for _ in 0..2 {
        let object = auth.attest(&ca, AAGUID, CDH).unwrap();
        let ok = verify(&object, auth.public_key(), &ca, ts(AT)).unwrap();
        assert_eq!(ok.counter(), Some(2));
    }
    let absent = SoftAuthenticator::open(&path, None, "ssh:", Presence::Absent).unwrap();
    // Enrollment always takes a touch, whatever later signatures do.
    let object = absent.attest(&ca, AAGUID, CDH).unwrap();
    let flags = verify(&object, absent.public_key(), &ca, ts(AT))
        .unwrap()
        .flags()
        .unwrap();
    assert!(flags.user_present() && !flags.user_verified());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_ca_round_trips_through_its_files() {
    let dir = scratch("files");
    let (key_path, cert_path) = (dir.join("ca.key"), dir.join("ca.pem"));
    let ca = ca("vouch test CA");
    ca.save(&key_path, &cert_path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let pem = std::fs::read_to_string(&cert_path).unwrap();
    assert_eq!(pem, ca.certificate_pem());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    TrustAnchor::from_pem(&pem).unwrap();

    let loaded = TestAttestationCa::load(&key_path, &cert_path).unwrap();
    assert_eq!(loaded.certificate_der(), ca.certificate_der());
    assert_eq!(loaded.certificate_pem(), ca.certificate_pem());
    for auth in authenticators() {
        // Made by the loaded CA, trusted as the original's certificate.
        let object = auth.attest(&loaded, AAGUID, CDH).unwrap();
        verify(&object, auth.public_key(), &ca, ts(AT)).unwrap();
        let object = auth.attest(&ca, AAGUID, CDH).unwrap();
        verify(&object, auth.public_key(), &loaded, ts(AT)).unwrap();
    }

    // Existing files are never replaced, and a refused save leaves no key behind.
    assert!(matches!(
        ca.save(&key_path, &cert_path),
        Err(Error::AlreadyExists { .. })
    ));
    let fresh_key = dir.join("fresh.key");
    assert!(matches!(
        ca.save(&fresh_key, &cert_path),
        Err(Error::AlreadyExists { .. })
    ));
    assert!(!fresh_key.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mismatched_or_foreign_files_are_refused() {
    let dir = scratch("refused");
    let ca1 = ca("vouch test CA");
    let ca2 = ca("another test CA");
    let (k1, c1) = (dir.join("1.key"), dir.join("1.pem"));
    let (k2, c2) = (dir.join("2.key"), dir.join("2.pem"));
    ca1.save(&k1, &c1).unwrap();
    ca2.save(&k2, &c2).unwrap();
    let reason = |r: Result<TestAttestationCa, Error>| match r {
        Err(Error::InvalidTestCa { path, reason }) => (path, reason),
        other => panic!("{other:?}"),
    };
    let (path, why) = reason(TestAttestationCa::load(&k1, &c2));
    assert_eq!(path, c2);
    assert!(why.contains("public key"), "{why}");

    // An Ed25519 key cannot be a CA key.
    let ed = dir.join("ed.key");
    FileKey::generate(Algorithm::Ed25519)
        .unwrap()
        .save(&ed, None)
        .unwrap();
    let (path, why) = reason(TestAttestationCa::load(&ed, &c1));
    assert_eq!(path, ed);
    assert!(why.contains("P-256"), "{why}");

    // Not a certificate at all.
    let junk = dir.join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let (path, _) = reason(TestAttestationCa::load(&k1, &junk));
    assert_eq!(path, junk);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_parameters_are_refused_by_name() {
    let e = TestAttestationCa::generate("", ts(START), 10).unwrap_err();
    assert!(matches!(e, Error::InvalidCaName { .. }), "{e}");
    let e = TestAttestationCa::generate("vouch test CA", ts(START), 0).unwrap_err();
    assert!(matches!(e, Error::InvalidValidity { .. }), "{e}");
    assert!(e.to_string().contains("at least one year"), "{e}");
}
