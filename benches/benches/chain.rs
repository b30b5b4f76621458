//! Whole-chain verification of a realistic bundle, and its floor.
//!
//! The bundle: 1 deployment (with a trigger and an authorize approval), 1
//! image, one release per 100 commits (50 releases for 5 000 commits), each
//! release certified by 2 maintainers, each commit attestation signed by one
//! of 150 developers. The roster has 200 identities (150 developers, 20
//! maintainers, 5 approvers, 23 auditors, a builder and a deployer), every
//! key a plain Ed25519 key (no FIDO), and the policy is the example policy
//! without the commit hardware requirement.
//!
//! The image lists every release as a package and, as `source_commits`, the
//! head commit of each release (one per release): an image is built from a
//! few heads, not from every commit of its history, which the releases
//! already certify. Those commits are reached twice (through their release
//! and from the image) and verified once.
//!
//! Measured:
//! - `evaluate/N`: `Bundle::from_bytes` + `Verifier::verify` from the bundle
//!   file's bytes, for N = 500, 5 000 and 50 000 commits;
//! - `decode/N`: `Bundle::from_bytes` and every envelope decoded into its
//!   typed statement (what indexing a bundle costs), nothing verified;
//! - `floor/N`: the same signatures verified alone, one by one, with
//!   `PublicKey::verify` from pre-parsed keys over pre-built to-be-signed
//!   bytes (`Sign::to_be_signed`): the cost no evaluation can go below.
//!
//! The design goal is `evaluate / floor <= 1.25`.

// A bench is a program, not a library: a failure to set up is a bug to see
// at once, so `unwrap`/`expect` are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::cell::OnceCell;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

mod chain_fixture;

use chain_fixture::{COMMITS_PER_RELEASE, fixture};

fn chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("chain");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    for commits in [500, 5_000, 50_000] {
        // Built on first use, so a filtered run only builds what it measures.
        let f = OnceCell::new();
        let f = || {
            f.get_or_init(|| {
                let f = fixture(commits);
                f.print_ratio(commits, if commits > 5_000 { 3 } else { 9 });
                f
            })
        };
        let signatures = signatures_in(commits) as u64;
        group.measurement_time(Duration::from_secs(if commits > 5_000 { 40 } else { 5 }));
        group.throughput(Throughput::Elements(signatures));
        group.bench_function(BenchmarkId::new("evaluate", commits), |b| {
            let f = f();
            b.iter(|| f.evaluate())
        });
        group.bench_function(BenchmarkId::new("evaluate-one-thread", commits), |b| {
            let f = f();
            b.iter(|| f.evaluate_one_thread())
        });
        group.bench_function(BenchmarkId::new("floor", commits), |b| {
            let f = f();
            b.iter(|| f.floor())
        });
        group.bench_function(BenchmarkId::new("decode", commits), |b| {
            let f = f();
            b.iter(|| f.decode())
        });
    }
    group.finish();
}

/// Signatures in a bundle of `commits` commits: one per commit, two per
/// release, and the image, the deployment and its two approvals.
fn signatures_in(commits: usize) -> usize {
    commits + 2 * (commits / COMMITS_PER_RELEASE) + 4
}

criterion_group!(benches, chain);
criterion_main!(benches);
