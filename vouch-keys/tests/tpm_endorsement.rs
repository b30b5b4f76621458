//! EK-certified enrollment against swtpm: TPMs manufactured by
//! `swtpm_setup --create-ek-cert` with a local CA, the EK certificate read
//! from NV and chained to that CA, and vouch's pure-Rust
//! TPM2_MakeCredential answered by the simulator's TPM2_ActivateCredential
//! only for the right TPM and the right attestation key.
#![cfg(feature = "tpm")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_core::Timestamp;
use vouch_core::tpm::{EndorsementKey, make_credential, name};
use vouch_core::x509::{TrustAnchor, verify_chain};
use vouch_keys::tpm::{TpmKey, endorsement_certificate};
use vouch_test_support::tpm::{Swtpm, SwtpmCa};

const UNTESTED: &str = "EK-certified TPM enrollment";

fn pem_der(path: &std::path::Path) -> Vec<u8> {
    let pem = std::fs::read_to_string(path).unwrap();
    TrustAnchor::from_pem(&pem).unwrap().der().to_vec()
}

fn ak_name(key: &TpmKey) -> Vec<u8> {
    name(&key.attestation_record().ak_public).unwrap()
}

#[test]
fn a_credential_for_this_tpm_and_this_ak_is_activated() {
    let ca = SwtpmCa::new();
    let Some(tpm) = Swtpm::start_manufactured(UNTESTED, &ca) else {
        return;
    };
    let stub = tpm.dir().join("key");
    let key = TpmKey::generate(&stub, tpm.tcti()).unwrap();

    // The EK certificate chains to the CA's root through its intermediate.
    let ek_cert = endorsement_certificate(tpm.tcti()).unwrap();
    let root = TrustAnchor::from_pem(&std::fs::read_to_string(ca.root_pem()).unwrap()).unwrap();
    let intermediate = pem_der(&ca.intermediate_pem());
    verify_chain(
        &[&ek_cert, &intermediate],
        std::slice::from_ref(&root),
        Timestamp::now(),
    )
    .unwrap();
    // Without the intermediate the EK does not reach the root.
    assert!(verify_chain(&[&ek_cert], &[root], Timestamp::now()).is_err());

    let ek = EndorsementKey::from_certificate(&ek_cert).unwrap();
    let secret = [0x5au8; 32];
    let challenge = make_credential(&ek, &ak_name(&key), &secret).unwrap();
    let got = key
        .activate_credential(&challenge.id_object, &challenge.encrypted_secret)
        .unwrap();
    assert_eq!(got.as_slice(), secret);

    // Every object and session was flushed: the same again works, many times
    // over swtpm's three slots.
    for i in 0..4u8 {
        let secret = [i + 1; 16];
        let c = make_credential(&ek, &ak_name(&key), &secret).unwrap();
        let got = key
            .activate_credential(&c.id_object, &c.encrypted_secret)
            .unwrap();
        assert_eq!(got.as_slice(), secret);
    }
}

#[test]
fn another_tpm_or_another_ak_cannot_answer() {
    let ca = SwtpmCa::new();
    let Some(a) = Swtpm::start_manufactured(UNTESTED, &ca) else {
        return;
    };
    let Some(b) = Swtpm::start_manufactured(UNTESTED, &ca) else {
        return;
    };
    let key_a = TpmKey::generate(&a.dir().join("key"), a.tcti()).unwrap();
    let other_a = TpmKey::generate(&a.dir().join("other"), a.tcti()).unwrap();
    let key_b = TpmKey::generate(&b.dir().join("key"), b.tcti()).unwrap();
    let ek_a =
        EndorsementKey::from_certificate(&endorsement_certificate(a.tcti()).unwrap()).unwrap();
    let secret = [9u8; 32];

    // B's AK, but A's EK: B's TPM cannot decrypt the seed.
    let c = make_credential(&ek_a, &ak_name(&key_b), &secret).unwrap();
    let err = key_b
        .activate_credential(&c.id_object, &c.encrypted_secret)
        .unwrap_err();
    assert!(err.to_string().contains("activate the credential"), "{err}");

    // A's EK, but the name of another AK in A: the integrity check fails.
    let c = make_credential(&ek_a, &ak_name(&other_a), &secret).unwrap();
    let err = key_a
        .activate_credential(&c.id_object, &c.encrypted_secret)
        .unwrap_err();
    assert!(err.to_string().contains("activate the credential"), "{err}");

    // A tampered blob is refused too.
    let mut c = make_credential(&ek_a, &ak_name(&key_a), &secret).unwrap();
    let last = c.id_object.len() - 1;
    c.id_object[last] ^= 1;
    assert!(
        key_a
            .activate_credential(&c.id_object, &c.encrypted_secret)
            .is_err()
    );
}

#[test]
fn a_tpm_without_an_ek_certificate_says_so() {
    let Some(tpm) = Swtpm::start(UNTESTED) else {
        return;
    };
    let err = endorsement_certificate(tpm.tcti()).unwrap_err();
    assert!(err.to_string().contains("EK certificate"), "{err}");
}
