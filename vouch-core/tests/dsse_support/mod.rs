//! Software signers for the envelope tests (shared by `dsse.rs`, `dsse_interop.rs`,
//! `cose_interop.rs` and the differential tests).

#![allow(dead_code, unreachable_pub)]

use vouch_core::{Algorithm, PublicKey, SignError, Signature, Signer};

/// An Ed25519 signer from a fixed seed.
pub struct Ed25519(ed25519_dalek::SigningKey, PublicKey);

impl Ed25519 {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
        let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
        Ed25519(sk, pk)
    }
}

impl Signer for Ed25519 {
    fn public_key(&self) -> &PublicKey {
        &self.1
    }
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        use ed25519_dalek::Signer as _;
        Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(message).to_bytes()).unwrap())
    }
}

/// An ECDSA P-256 signer (RFC 6979 nonces). Like vouch's own signers it
/// normalizes to low-S unless built with `high_s_allowed`, which keeps the
/// raw RFC 6979 output (needed to reproduce the DSSE spec's vector).
pub struct P256 {
    sk: p256::ecdsa::SigningKey,
    pk: PublicKey,
    normalize: bool,
}

impl P256 {
    pub fn from_scalar(d: &[u8]) -> Self {
        let sk = p256::ecdsa::SigningKey::from_slice(d).unwrap();
        let pk = PublicKey::p256_sec1(sk.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
        P256 {
            sk,
            pk,
            normalize: true,
        }
    }

    pub fn high_s_allowed(mut self) -> Self {
        self.normalize = false;
        self
    }
}

impl Signer for P256 {
    fn public_key(&self) -> &PublicKey {
        &self.pk
    }
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&self.sk, message);
        let sig = if self.normalize {
            sig.normalize_s()
        } else {
            sig
        };
        Ok(Signature::new(Algorithm::Es256, &sig.to_bytes()).unwrap())
    }
}

/// The two test signers every round-trip test runs with.
pub fn test_signers() -> Vec<(&'static str, Box<dyn Signer>)> {
    vec![
        ("ed25519", Box::new(Ed25519::from_seed([0x11; 32]))),
        ("p256", Box::new(P256::from_scalar(&[0x22; 32]))),
    ]
}
