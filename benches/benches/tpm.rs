//! TPM key attestation verifications per second (pure Rust, always), and
//! with `--features tpm` the latency of one signature through swtpm
//! (connect, recreate the primary, load, sign, flush, verify):
//!
//! ```text
//! cargo bench -p vouch-benches --bench tpm
//! cargo bench -p vouch-benches --features tpm --bench tpm
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vouch_core::PublicKey;
use vouch_core::tpm::{KeyAttestation, binding};
use vouch_test_support::tpm_certify;

/// `KeyAttestation::verify` of a TPM2_Certify by a P-256 AK (what every
/// verifier does once per TPM key when it trusts a roster).
fn verify_attestation(c: &mut Criterion) {
    let ak = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let key_sk = p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap();
    let key = PublicKey::p256_sec1(key_sk.verifying_key().to_sec1_point(false).as_bytes()).unwrap();
    let cert = tpm_certify::certify(&ak, key.point(), &binding(&key));
    let ak_public = cert.ak_public.clone();
    let attestation =
        KeyAttestation::new(cert.attest, cert.signature, cert.ak_public, cert.key_public).unwrap();
    attestation.verify(&key, &[&ak_public]).unwrap();
    let bytes = attestation.to_bytes();
    let mut group = c.benchmark_group("tpm");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_certify_p256", |b| {
        b.iter(|| {
            KeyAttestation::from_bytes(black_box(&bytes))
                .unwrap()
                .verify(black_box(&key), &[&ak_public])
                .unwrap()
        })
    });
    group.finish();
}

/// One signature through swtpm, end to end.
#[cfg(feature = "tpm")]
fn sign_swtpm(c: &mut Criterion) {
    use vouch_core::Signer as _;
    let Some(tpm) = vouch_test_support::tpm::Swtpm::start("the TPM sign bench") else {
        return;
    };
    let key = vouch_keys::tpm::TpmKey::generate(&tpm.dir().join("bench.tpm"), tpm.tcti()).unwrap();
    let mut group = c.benchmark_group("tpm");
    group.sample_size(50);
    group.bench_function("sign_swtpm", |b| {
        b.iter(|| key.try_sign(black_box(b"a statement")).unwrap())
    });
    group.finish();
}

#[cfg(not(feature = "tpm"))]
fn sign_swtpm(_c: &mut Criterion) {}

criterion_group!(benches, verify_attestation, sign_swtpm);
criterion_main!(benches);
