//! vouch_core::fido: enrollment attestations: the stored form
//! (EnrollmentAttestation::from_bytes), WebAuthn attestation objects
//! (CBOR {fmt, attStmt, authData}: authenticator data, attested credential
//! data, COSE keys, x5c) and OpenSSH's attestation files; then verify
//! against a fixed key with no roots.
//!
//! Input: the whole bytes, or `clientDataHash(32) SEP attestationObject`,
//! or `openssh file SEP challenge`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::fido::EnrollmentAttestation;

fn check(att: &EnrollmentAttestation) {
    let stored = att.to_bytes();
    let again = EnrollmentAttestation::from_bytes(&stored).expect("the stored form decodes");
    assert_eq!(again.to_bytes(), stored, "stored form is not stable");
    assert_eq!(again.format(), att.format());
    assert_eq!(again.aaguid(), att.aaguid());
    let _ = att.is_empty();
    for key in vouch_fuzz::keys() {
        let _ = att.verify(key.public_key(), &[], vouch_fuzz::now());
    }
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("fido_attestation")), |data: &[u8]| {
    let parts = vouch_fuzz::parts(data);
    let mut found = Vec::new();
    found.extend(EnrollmentAttestation::from_bytes(data).ok());
    found.extend(EnrollmentAttestation::webauthn(data, [0; 32]).ok());
    found.extend(EnrollmentAttestation::openssh(data, b"").ok());
    if let [a, b] = parts[..] {
        if let Ok(hash) = <[u8; 32]>::try_from(a) {
            found.extend(EnrollmentAttestation::webauthn(b, hash).ok());
        }
        found.extend(EnrollmentAttestation::openssh(a, b).ok());
    }
    for att in &found {
        check(att);
    }
});
