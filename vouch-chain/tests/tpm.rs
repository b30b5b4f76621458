//! TPM-attested builder keys in the chain: `tpm-attested` is met only by a
//! key whose TPM2_Certify attestation verifies against an attestation key
//! the roster enrolled for the builder's identity; a bare roster claim,
//! or an AK the roster does not trust for it, does not do.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::Reason;
use vouch_chain::policy::HardwareRequirement;
use vouch_core::tpm::{KeyAttestation, binding};
use vouch_manifest::{HardwareClaim, TpmKeyAttestation};
use vouch_test_support::tpm_certify;

fn tpm_failure(verdict: &vouch_chain::Verdict) -> &vouch_chain::Failure {
    expect_failure(verdict, "tpm-attested", |r| {
        matches!(r, Reason::MissingHardware { identity, requirement: HardwareRequirement::TpmAttested, .. }
            if *identity == id(BUILD))
    })
}

#[test]
fn a_builder_key_certified_by_an_enrolled_tpm_meets_tpm_attested() {
    let world = World::new();
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    attest_builder(&world, &mut scenario, &ak(21), BUILD);
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(
        verdict
            .render_text()
            .contains("TPM-attested key (AK build-runner-1)"),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn a_bare_tpm_claim_counts_for_nothing() {
    let world = World::new();
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    key_mut(&mut scenario.roster, BUILD, world.build.public_key()).hardware =
        vec![HardwareClaim::TpmResident];
    let (verdict, _) = scenario.run();
    tpm_failure(&verdict);
    assert!(
        verdict
            .render_text()
            .contains("tpm-resident (claim only, counts for nothing)"),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn an_ak_the_roster_does_not_trust_for_the_builder_is_refused() {
    // Enrolled for another identity: the key is in some TPM, not the build machine's.
    let world = World::new();
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    attest_builder(&world, &mut scenario, &ak(22), DEPLOY);
    let (verdict, _) = scenario.run();
    tpm_failure(&verdict);
    let text = verdict.render_text();
    assert!(text.contains("TPM attestation refused"), "{text}");
    assert!(
        text.contains("AKs the roster trusts for workload:ci/build: 0"),
        "{text}"
    );

    // A certification by another AK than the enrolled one.
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    attest_builder(&world, &mut scenario, &ak(23), BUILD);
    scenario.roster.tpm.attestation_keys[0].public = tpm_certify::ak_public(&ak(24));
    let (verdict, _) = scenario.run();
    tpm_failure(&verdict);
}

#[test]
fn a_certification_of_another_key_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    attest_builder(&world, &mut scenario, &ak(25), BUILD);
    // Swap in a certification of Dave's key (bound to Dave's key, not the builder's).
    let other = world.deploy.public_key().clone();
    let c = tpm_certify::certify(&ak(25), other.point(), &binding(&other));
    let swapped = KeyAttestation::new(c.attest, c.signature, c.ak_public, c.key_public).unwrap();
    key_mut(&mut scenario.roster, BUILD, world.build.public_key()).tpm = Some(TpmKeyAttestation {
        certify: swapped.to_bytes(),
    });
    let (verdict, _) = scenario.run();
    tpm_failure(&verdict);
}
