//! Single-signature verification, the cost every link of a chain pays:
//! a raw `PublicKey::verify` over a 1 KiB message, and a `COSE_Sign1`
//! envelope with a 1 KiB payload decoded and verified, for Ed25519 and ES256.
//!
//! Compare with `openssl speed -seconds 3 ed25519 ecdsap256` (verify/s).

// A bench is a program, not a library: a failure to set up is a bug to see
// at once, so `unwrap`/`expect` are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vouch_core::cose::Sign1;
use vouch_core::{Algorithm, PublicKey, SignError, Signature, Signer};

/// The message and payload size: a typical small statement.
const MESSAGE_LEN: usize = 1024;

/// An Ed25519 key made directly with ed25519-dalek (no key backend).
struct Ed25519Key {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl Ed25519Key {
    fn from_seed(seed: [u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let public = PublicKey::ed25519(&key.verifying_key().to_bytes()).unwrap();
        Ed25519Key { key, public }
    }
}

impl Signer for Ed25519Key {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        use ed25519_dalek::Signer as _;
        let sig = self.key.sign(message);
        Ok(Signature::new(Algorithm::Ed25519, &sig.to_bytes()).unwrap())
    }
}

/// A P-256 key made directly with p256 (no key backend); signs low-S.
struct P256Key {
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl P256Key {
    fn from_seed(seed: [u8; 32]) -> Self {
        let key = p256::ecdsa::SigningKey::from_slice(&seed).unwrap();
        let public = PublicKey::p256_sec1(&key.verifying_key().to_sec1_bytes()).unwrap();
        P256Key { key, public }
    }
}

impl Signer for P256Key {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = self.key.sign(message);
        Ok(Signature::new(Algorithm::Es256, &sig.normalize_s().to_bytes()).unwrap())
    }
}

fn message() -> Vec<u8> {
    (0..MESSAGE_LEN).map(|i| (i % 251) as u8).collect()
}

/// Raw verification and envelope decode + verify for one key.
fn bench_key<S: Signer>(c: &mut Criterion, name: &str, signer: &S) {
    let msg = message();
    let sig = signer.try_sign(&msg).unwrap();
    let pk = signer.public_key();
    pk.verify(&msg, &sig).unwrap();

    let envelope = Sign1::sign(signer, "application/octet-stream", &msg)
        .unwrap()
        .to_bytes()
        .unwrap();
    let verified = Sign1::from_bytes(&envelope).unwrap().verify(pk).unwrap();
    assert_eq!(verified.value(), &msg);

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_1KiB", |b| {
        b.iter(|| {
            black_box(pk)
                .verify(black_box(&msg), black_box(&sig))
                .unwrap()
        });
    });
    group.bench_function("cose_sign1_decode_verify_1KiB", |b| {
        b.iter(|| {
            Sign1::from_bytes(black_box(&envelope))
                .unwrap()
                .verify(black_box(pk))
                .unwrap()
        });
    });
    group.finish();
}

fn verify(c: &mut Criterion) {
    bench_key(c, "ed25519", &Ed25519Key::from_seed([0x5e; 32]));
    bench_key(c, "es256", &P256Key::from_seed([0x2a; 32]));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = verify
}
criterion_main!(benches);
