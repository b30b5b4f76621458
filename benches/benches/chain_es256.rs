//! The whole-chain bench with ES256 commit keys (as hardware keys make)
//! and the AWS-LC provider installed as the process default:
//! `cargo bench -p vouch-benches --features aws-lc-rs --bench chain_es256`.
//!
//! Prints the best of interleaved runs of the evaluation (one and two
//! threads) against its floor (every signature verified one by one with
//! the same provider), as the `chain` bench does for Ed25519.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod chain_fixture;

fn main() {
    vouch_core::provider::aws_lc_rs::PROVIDER
        .install_default()
        .unwrap();
    let commits = 5_000;
    let f = chain_fixture::fixture_with(commits, vouch_core::Algorithm::Es256);
    f.print_ratio(commits, 5);
}
