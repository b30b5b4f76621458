//! Single-signature verification, the cost every link of a chain pays:
//! a raw `PublicKey::verify` over a 1 KiB message, and a `COSE_Sign1`
//! envelope with a 1 KiB payload decoded and verified, for Ed25519 and ES256;
//! then per crypto provider (`rust`, and `aws-lc-rs` with
//! `--features aws-lc-rs`): ES256 and Ed25519 single verification with
//! `PublicKey::verify_with`, and an Ed25519 batch of 64 signatures (64
//! keys, 64 messages) with `verify_ed25519_batch_with`, reported per
//! signature (criterion's throughput is in signatures per second).
//!
//! Compare with `openssl speed -seconds 3 ed25519 ecdsap256` (verify/s).

// A bench is a program, not a library: a failure to set up is a bug to see
// at once, so `unwrap`/`expect` are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vouch_core::cose::Sign1;
use vouch_core::provider::{self, CryptoProvider};
use vouch_core::{Algorithm, PublicKey, SignError, Signature, Signer, verify_ed25519_batch_with};

/// Every provider compiled in, by name.
fn providers() -> Vec<(&'static str, CryptoProvider)> {
    vec![
        ("rust", provider::rust::PROVIDER),
        #[cfg(feature = "aws-lc-rs")]
        ("aws-lc-rs", provider::aws_lc_rs::PROVIDER),
    ]
}

/// Batch size of the Ed25519 batch bench.
const BATCH: usize = 64;

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

/// Single verification with each provider, for one key.
fn bench_provider_single<S: Signer>(c: &mut Criterion, name: &str, signer: &S) {
    let msg = message();
    let sig = signer.try_sign(&msg).unwrap();
    let pk = signer.public_key();
    let mut group = c.benchmark_group(format!("{name}_provider"));
    group.throughput(Throughput::Elements(1));
    for (provider_name, p) in providers() {
        pk.verify_with(&p, &msg, &sig).unwrap();
        group.bench_function(format!("{provider_name}/verify_1KiB"), |b| {
            b.iter(|| {
                black_box(pk)
                    .verify_with(black_box(&p), black_box(&msg), black_box(&sig))
                    .unwrap()
            });
        });
    }
    group.finish();
}

/// An Ed25519 batch of [`BATCH`] signatures by distinct keys over distinct
/// 1 KiB messages, with each provider; throughput in signatures.
fn bench_ed25519_batch(c: &mut Criterion) {
    let keys: Vec<Ed25519Key> = (0..BATCH)
        .map(|i| Ed25519Key::from_seed([i as u8; 32]))
        .collect();
    let messages: Vec<Vec<u8>> = (0..BATCH)
        .map(|i| {
            let mut m = message();
            m[0] = i as u8;
            m
        })
        .collect();
    let sigs: Vec<Signature> = keys
        .iter()
        .zip(&messages)
        .map(|(k, m)| k.try_sign(m).unwrap())
        .collect();
    let items: Vec<(&PublicKey, &[u8], &Signature)> = keys
        .iter()
        .zip(&messages)
        .zip(&sigs)
        .map(|((k, m), s)| (&k.public, m.as_slice(), s))
        .collect();
    let mut group = c.benchmark_group("ed25519_batch64");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (provider_name, p) in providers() {
        assert!(
            verify_ed25519_batch_with(&p, &items)
                .iter()
                .all(Result::is_ok)
        );
        group.bench_function(format!("{provider_name}/verify_1KiB"), |b| {
            b.iter(|| verify_ed25519_batch_with(black_box(&p), black_box(&items)));
        });
    }
    group.finish();
}

/// [`BATCH`] `COSE_Sign` envelopes (Ed25519, 1 KiB payloads, distinct
/// keys), decoded and verified together with `Sign::verify_each_many` (one
/// Ed25519 batch); throughput in envelopes.
fn bench_cose_batch(c: &mut Criterion) {
    use vouch_core::cose::Sign;
    let keys: Vec<Ed25519Key> = (0..BATCH)
        .map(|i| Ed25519Key::from_seed([(i as u8) ^ 0x80; 32]))
        .collect();
    let envelopes: Vec<Vec<u8>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mut m = message();
            m[0] = i as u8;
            let mut e = Sign::new("application/octet-stream", m).unwrap();
            e.add_signature(k).unwrap();
            e.to_bytes().unwrap()
        })
        .collect();
    let lookup =
        |id: &vouch_core::KeyId| keys.iter().map(|k| &k.public).find(|p| p.key_id() == *id);
    let mut group = c.benchmark_group("cose_sign_batch64");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("ed25519/decode_verify_1KiB", |b| {
        b.iter(|| {
            let decoded: Vec<Sign> = envelopes
                .iter()
                .map(|e| Sign::from_bytes(black_box(e)).unwrap())
                .collect();
            let refs: Vec<&Sign> = decoded.iter().collect();
            let results = Sign::verify_each_many(&refs, lookup);
            assert!(
                results
                    .iter()
                    .all(|(ok, failed)| ok.is_some() && failed.is_empty())
            );
        });
    });
    group.finish();
}

fn verify(c: &mut Criterion) {
    let ed = Ed25519Key::from_seed([0x5e; 32]);
    let es = P256Key::from_seed([0x2a; 32]);
    bench_key(c, "ed25519", &ed);
    bench_key(c, "es256", &es);
    bench_provider_single(c, "ed25519", &ed);
    bench_provider_single(c, "es256", &es);
    bench_ed25519_batch(c);
    bench_cose_batch(c);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = verify
}
criterion_main!(benches);
