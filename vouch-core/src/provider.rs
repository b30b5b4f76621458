//! Crypto providers: the arithmetic behind [`PublicKey::verify`], as plain data.
//!
//! In the manner of rustls, a [`CryptoProvider`] is a struct of
//! `&'static dyn` trait objects, one per primitive, each trait `Send + Sync +
//! Debug` with one or two methods that take and return bytes and booleans.
//! Keys are stored as their canonical bytes ([`PublicKey`] holds the
//! algorithm, the raw point and the FIDO application), so a provider needs no
//! key type of its own. Variants are built with struct update syntax:
//!
//! ```
//! use vouch_core::provider::{self, CryptoProvider};
//!
//! fn my_sha256(data: &[u8]) -> [u8; 32] {
//!     (provider::rust::PROVIDER.sha256)(data) // e.g. a hardware-accelerated hash
//! }
//! let custom = CryptoProvider { sha256: my_sha256, ..provider::rust::PROVIDER };
//! assert_eq!((custom.sha256)(b"abc"), (provider::rust::PROVIDER.sha256)(b"abc"));
//! ```
//!
//! Providers shipped here:
//! - [`rust`]: ed25519-dalek / curve25519-dalek, p256 and sha2, pure Rust,
//!   always compiled and the default;
//! - `aws_lc_rs` (cargo feature `aws-lc-rs`): AWS-LC through the
//!   `aws-lc-rs` crate.
//!
//! The process-wide default is chosen once with
//! [`CryptoProvider::install_default`] and read with
//! [`CryptoProvider::get_default`]; [`PublicKey::verify`] uses it and
//! [`PublicKey::verify_with`] takes a provider explicitly.
//!
//! The provider only covers vouch-core's own signature checks (raw
//! signatures, `COSE_Sign1`/`COSE_Sign`, SSHSIG, FIDO assertions). X.509,
//! JWT and Sigstore verification, when it arrives in the crates above, uses
//! the crypto of the libraries that parse those formats.
//!
//! # What vouch-core checks above every provider
//!
//! A provider is handed only inputs that passed these checks, so every
//! provider gets them and none can forget one:
//! - the algorithm is the key's own ([`VerifyError::AlgorithmMismatch`]),
//!   FIDO evidence matches the key kind and application, lengths are fixed;
//! - Ed25519 keys were parsed by [`PublicKey::ed25519`]: a canonical encoding
//!   of a point on the curve that is **not of small order**;
//! - Ed25519 signatures: `S < ℓ` (canonical, so `S + ℓ` is refused) and `R`
//!   canonically encoded (`y < p`, and no negative zero `x`), both byte
//!   comparisons that cost nothing;
//! - P-256 keys are points on the curve (not the identity), passed to the
//!   provider as uncompressed SEC1.
//!
//! # The Ed25519 rule: cofactored, for single and batch verification
//!
//! vouch accepts an Ed25519 signature `(R, S)` by key `A` on message `M` iff
//! the checks above pass and the *cofactored* equation holds:
//!
//! ```text
//! [8](S·B − R − k·A) = 0,    k = SHA-512(R || A || M) mod ℓ
//! ```
//!
//! (the ZIP-215 rule, with the stricter encodings above). The same rule
//! decides a single signature ([`Ed25519::verify`]) and a batch
//! ([`Ed25519::verify_batch`], see [`verify_ed25519_batch`](crate::verify_ed25519_batch)).
//!
//! Why: batch verification checks a random linear combination of the
//! equations, and only the cofactored equation survives that combination
//! exactly. With the cofactorless equation (`S·B − k·A = R`, what
//! `verify_strict`, OpenSSH and OpenSSL check), a signature whose `R` carries
//! a small-order component is refused alone but accepted by a batch whenever
//! the random coefficient happens to kill that component (for ed25519-dalek's
//! `verify_batch`, about half the time). With the cofactored rule, single
//! and batch verification accept exactly the same set (a batch of valid
//! signatures always passes; a batch holding an invalid one fails except
//! with probability about 2⁻¹²⁸, because the coefficients are 128-bit values
//! from the operating system's RNG that no signer can predict or grind).
//!
//! Refusing small-order keys at parse time is what makes the cofactored rule
//! safe: for a small-order `A`, `[8]k·A = 0` and any signature `R = S·B`
//! would verify on every message.
//!
//! Interop: OpenSSH and OpenSSL (and aws-lc, BoringSSL, Go) are
//! cofactorless. Every signature they accept, vouch accepts (an honest signer
//! never produces anything else). The difference is a signature whose `R` has
//! a torsion component added: vouch accepts it and they refuse it. Only the
//! holder of the secret key can make such a signature (it must still satisfy
//! the equation for the real key), so a deliberately misbehaving signer can
//! make one signature that vouch accepts and OpenSSH refuses; no third party
//! can turn a valid signature into another one, since `S` is canonical and
//! `R` is covered by `k`.
//!
//! ES256 accepts any valid `s`, high or low, as standard ECDSA does.
//!
//! [`PublicKey`]: crate::PublicKey
//! [`PublicKey::verify`]: crate::PublicKey::verify
//! [`PublicKey::verify_with`]: crate::PublicKey::verify_with
//! [`PublicKey::ed25519`]: crate::PublicKey::ed25519
//! [`VerifyError::AlgorithmMismatch`]: crate::VerifyError::AlgorithmMismatch

use std::fmt;
use std::sync::OnceLock;

#[cfg(feature = "aws-lc-rs")]
pub mod aws_lc_rs;
pub mod rust;

/// Ed25519 verification under vouch's cofactored rule (see the
/// [module docs](self)).
///
/// Callers (vouch-core) have already checked that `public` is a canonical,
/// on-curve, not small-order point, that `R` (the first 32 bytes of the
/// signature) is canonically encoded and that `S` is below ℓ. An
/// implementation must accept exactly when `[8](S·B − R − k·A) = 0`.
pub trait Ed25519: Send + Sync + fmt::Debug {
    /// Whether `signature` (`R || S`) is valid for `message` under `public`.
    fn verify(&self, public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool;

    /// Whether every item verifies. Must agree with [`verify`](Ed25519::verify)
    /// on every item (up to a failure probability of about 2⁻¹²⁸); when it
    /// returns `false` the caller finds the bad items one by one.
    fn verify_batch(&self, items: &[(&[u8; 32], &[u8], &[u8; 64])]) -> bool;
}

/// ECDSA on P-256 with SHA-256, fixed-width `r || s` signatures.
///
/// `public` is an uncompressed SEC1 point (`04 || x || y`) already checked to
/// be on the curve. High-S signatures are valid (standard ECDSA).
pub trait Es256: Send + Sync + fmt::Debug {
    /// Whether `signature` (`r || s`, big-endian) is valid for `message`
    /// (hashed with SHA-256 by the implementation) under `public`.
    fn verify(&self, public: &[u8; 65], message: &[u8], signature: &[u8; 64]) -> bool;
}

/// The cryptography vouch-core verifies with: plain data, `Copy`.
#[derive(Clone, Copy, Debug)]
pub struct CryptoProvider {
    /// Ed25519 verification (cofactored, see the module docs).
    pub ed25519: &'static dyn Ed25519,
    /// ES256 verification.
    pub es256: &'static dyn Es256,
    /// SHA-256, used for FIDO authenticator data.
    pub sha256: fn(&[u8]) -> [u8; 32],
}

static DEFAULT: OnceLock<CryptoProvider> = OnceLock::new();

impl CryptoProvider {
    /// Makes `self` the process-wide default. Succeeds once: it fails, giving
    /// the provider back, when a default was already installed or was
    /// already read by [`get_default`](CryptoProvider::get_default) (which
    /// then fixed it to [`rust::PROVIDER`]), so the default never changes
    /// under a running verification.
    pub fn install_default(self) -> Result<(), CryptoProvider> {
        let mut installed = false;
        DEFAULT.get_or_init(|| {
            installed = true;
            self
        });
        if installed { Ok(()) } else { Err(self) }
    }

    /// The process-wide default: the installed provider, or [`rust::PROVIDER`]
    /// when none was installed (which this call then fixes as the default).
    pub fn get_default() -> &'static CryptoProvider {
        DEFAULT.get_or_init(|| rust::PROVIDER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_fixed_once() {
        // Whatever ran first in this process, the default is now fixed.
        let _ = CryptoProvider::get_default();
        assert!(rust::PROVIDER.install_default().is_err());
        let d = CryptoProvider::get_default();
        assert_eq!(format!("{d:?}"), format!("{:?}", rust::PROVIDER));
    }

    #[test]
    fn keys_and_providers_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<CryptoProvider>();
        send_sync::<crate::PublicKey>();
        send_sync::<crate::Signature>();
    }

    #[test]
    fn providers_hash_alike() {
        assert_eq!(
            hex::encode((rust::PROVIDER.sha256)(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        #[cfg(feature = "aws-lc-rs")]
        assert_eq!(
            (aws_lc_rs::PROVIDER.sha256)(b"abc"),
            (rust::PROVIDER.sha256)(b"abc")
        );
    }
}
