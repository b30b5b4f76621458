//! A provider backed by AWS-LC through the `aws-lc-rs` crate (cargo feature
//! `aws-lc-rs`).
//!
//! ES256 uses `ECDSA_P256_SHA256_FIXED` (fixed-width `r || s`), SHA-256 uses
//! AWS-LC's digest.
//!
//! Ed25519: AWS-LC's `ED25519` verification is cofactorless
//! (`S·B − k·A = R`). Every signature it accepts also satisfies vouch's
//! cofactored equation, so it is the fast path; when it refuses, the
//! cofactored equation decides (with curve25519-dalek), so this provider
//! accepts exactly the set [`rust`](super::rust) accepts. The price is that
//! an invalid signature costs two verifications. AWS-LC has no batch
//! verification; batches use the same cofactored random-linear-combination
//! check as the pure-Rust provider.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ED25519, UnparsedPublicKey};

use super::CryptoProvider;

/// The AWS-LC provider.
pub const PROVIDER: CryptoProvider = CryptoProvider {
    ed25519: &Ed25519AwsLc,
    es256: &Es256AwsLc,
    sha256,
};

/// SHA-256 with AWS-LC.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    // A SHA-256 digest is always 32 bytes.
    out.copy_from_slice(d.as_ref());
    out
}

/// Ed25519 with AWS-LC as the fast path (see the module docs).
#[derive(Debug)]
pub struct Ed25519AwsLc;

/// ES256 with AWS-LC.
#[derive(Debug)]
pub struct Es256AwsLc;

impl super::Ed25519 for Ed25519AwsLc {
    fn verify(&self, public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
        UnparsedPublicKey::new(&ED25519, public)
            .verify(message, signature)
            .is_ok()
            || super::rust::verify_cofactored(public, message, signature)
    }

    fn verify_batch(&self, items: &[(&[u8; 32], &[u8], &[u8; 64])]) -> bool {
        super::rust::verify_batch_cofactored(items)
    }
}

impl super::Es256 for Es256AwsLc {
    fn verify(&self, public: &[u8; 65], message: &[u8], signature: &[u8; 64]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(message, signature)
            .is_ok()
    }
}
