//! The process-wide default provider: installed once, then used by
//! [`PublicKey::verify`] and the batch. One test per process state, so this
//! file holds a single test (it installs the default for its process).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};

use ed25519_dalek::Signer as _;
use vouch_core::provider::{self, CryptoProvider, Ed25519};
use vouch_core::{Algorithm, PublicKey, Signature, verify_ed25519_batch};

static SINGLES: AtomicUsize = AtomicUsize::new(0);
static BATCHES: AtomicUsize = AtomicUsize::new(0);

/// Counts calls, then defers to the pure-Rust provider.
#[derive(Debug)]
struct Counting;

impl Ed25519 for Counting {
    fn verify(&self, public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        SINGLES.fetch_add(1, Ordering::SeqCst);
        provider::rust::PROVIDER
            .ed25519
            .verify(public, message, signature)
    }

    fn verify_batch(&self, items: &[(&[u8; 32], &[u8], &[u8; 64])]) -> bool {
        BATCHES.fetch_add(1, Ordering::SeqCst);
        provider::rust::PROVIDER.ed25519.verify_batch(items)
    }
}

#[test]
fn the_installed_default_is_used_and_cannot_be_replaced() {
    let counting = CryptoProvider {
        ed25519: &Counting,
        ..provider::rust::PROVIDER
    };
    assert!(counting.install_default().is_ok());
    assert!(provider::rust::PROVIDER.install_default().is_err());

    let sk = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let key = PublicKey::ed25519(sk.verifying_key().as_bytes()).unwrap();
    let sig = Signature::new(Algorithm::Ed25519, &sk.sign(b"m").to_bytes()).unwrap();
    assert_eq!(key.verify(b"m", &sig), Ok(()));
    assert_eq!(SINGLES.load(Ordering::SeqCst), 1);

    let results = verify_ed25519_batch(&[(&key, b"m", &sig), (&key, b"m", &sig)]);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(BATCHES.load(Ordering::SeqCst), 1);
    // The batch passed: no single verification was needed.
    assert_eq!(SINGLES.load(Ordering::SeqCst), 1);

    let results = verify_ed25519_batch(&[(&key, b"m", &sig), (&key, b"x", &sig)]);
    assert!(results[0].is_ok() && results[1].is_err());
    // The batch failed: each item was verified alone to name the bad one.
    assert_eq!(SINGLES.load(Ordering::SeqCst), 3);

    // An explicit provider bypasses the default.
    assert_eq!(
        key.verify_with(&provider::rust::PROVIDER, b"m", &sig),
        Ok(())
    );
    assert_eq!(SINGLES.load(Ordering::SeqCst), 3);
}
