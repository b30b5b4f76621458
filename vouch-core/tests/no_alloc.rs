//! Verifying one signature allocates nothing on the Rust heap, with every
//! provider: ES256, Ed25519 (valid and refused), and a FIDO assertion
//! without extensions (its authenticator data is built on the stack).
//!
//! Counted with dhat's global allocator, so this file holds one test. The
//! AWS-LC provider's own C allocations (if any) go through AWS-LC's
//! allocator and are not counted; what is checked for it is vouch-core's
//! part of the path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::Signer as _;
use vouch_core::provider::{self, CryptoProvider};
use vouch_core::{
    Algorithm, AuthenticatorFlags, Evidence, FidoAssertion, PublicKey, Signature, VerifyError,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Every provider compiled in, by name.
fn providers() -> Vec<(&'static str, CryptoProvider)> {
    vec![
        ("rust", provider::rust::PROVIDER),
        #[cfg(feature = "aws-lc-rs")]
        ("aws-lc-rs", provider::aws_lc_rs::PROVIDER),
    ]
}

#[test]
fn single_verification_does_not_allocate() {
    let message = vec![0x5a; 1024];
    let ed_sk = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let ed = PublicKey::ed25519(ed_sk.verifying_key().as_bytes()).unwrap();
    let ed_sig = Signature::new(Algorithm::Ed25519, &ed_sk.sign(&message).to_bytes()).unwrap();

    let es_sk = p256::ecdsa::SigningKey::from_slice(&[4; 32]).unwrap();
    let es = PublicKey::p256_sec1(es_sk.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
    let s: p256::ecdsa::Signature = signature::Signer::sign(&es_sk, &message);
    let es_sig = Signature::new(Algorithm::Es256, &s.to_bytes()).unwrap();

    let fido = ed.clone().with_fido_application("ssh:").unwrap();
    let assertion = FidoAssertion::new(
        "ssh:",
        AuthenticatorFlags(AuthenticatorFlags::USER_PRESENT),
        1,
    );
    let fido_sig = Signature::new(
        Algorithm::Ed25519,
        &ed_sk.sign(&assertion.signed_data(&message)).to_bytes(),
    )
    .unwrap()
    .with_evidence(Evidence::Fido(assertion));

    let providers = providers();
    let _profiler = dhat::Profiler::builder().testing().build();
    for (name, p) in &providers {
        let before = dhat::HeapStats::get().total_blocks;
        assert_eq!(ed.verify_with(p, &message, &ed_sig), Ok(()));
        assert_eq!(
            ed.verify_with(p, &message[1..], &ed_sig),
            Err(VerifyError::BadSignature(ed.key_id()))
        );
        assert_eq!(es.verify_with(p, &message, &es_sig), Ok(()));
        assert_eq!(
            es.verify_with(p, &message[1..], &es_sig),
            Err(VerifyError::BadSignature(es.key_id()))
        );
        assert_eq!(fido.verify_with(p, &message, &fido_sig), Ok(()));
        let after = dhat::HeapStats::get().total_blocks;
        assert_eq!(after, before, "[{name}] verification allocated");
    }
    // The counter counts: a FIDO assertion with extensions needs a buffer.
    let before = dhat::HeapStats::get().total_blocks;
    let with_ext =
        FidoAssertion::new("ssh:", AuthenticatorFlags(0x81), 1).with_extensions(vec![0xa0]);
    let sig = fido_sig.clone().with_evidence(Evidence::Fido(with_ext));
    assert!(fido.verify(&message, &sig).is_err());
    assert!(dhat::HeapStats::get().total_blocks > before);
}
