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

/// How the scenario's roster comes to trust the TPM key's AK.
enum Enrolled {
    /// The AK listed for the builder by the roster's owners.
    Listed,
    /// The AK enrolled under the TPM's EK certificate (credential
    /// activated by the TPM), the EK root trusted.
    Endorsed,
    /// The AK listed for another identity.
    ForDeploy,
}

/// The builder signs the image with a key in a real TPM (swtpm), enrolled
/// in the roster with its TPM2_Certify and its AK as `how` says.
fn tpm_builder<'w>(
    scenario: &mut Scenario<'w>,
    tpm: &'w vouch_test_support::tpm_key::TpmSigner,
    how: Enrolled,
) {
    let mut key = vouch_manifest::RosterKey::new(tpm.public_key().clone(), t(KEYS_FROM));
    key.tpm = Some(tpm.certification());
    identity_mut(&mut scenario.roster, BUILD).keys.push(key);
    let ak = match how {
        Enrolled::Listed | Enrolled::ForDeploy => vouch_manifest::TrustedAk {
            identity: id(if matches!(how, Enrolled::Listed) {
                BUILD
            } else {
                DEPLOY
            }),
            label: "build-runner-1".into(),
            public: tpm.ak_public(),
            endorsement: None,
        },
        Enrolled::Endorsed => {
            scenario
                .roster
                .tpm
                .endorsement_roots
                .push(vouch_manifest::AttestationRoot(tpm.ek_root()));
            tpm.enroll_endorsed(&scenario.roster.tpm, id(BUILD), "build-runner-1")
        }
    };
    scenario.roster.tpm.attestation_keys.push(ak);
    scenario.image_signers = vec![tpm.signer()];
}

#[test]
fn a_real_tpm_key_meets_tpm_attested_and_a_file_key_does_not() {
    let Some(tpm) = vouch_test_support::tpm_key::TpmSigner::start("the chain with a swtpm key")
    else {
        return;
    };
    let world = World::new();

    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    tpm_builder(&mut scenario, &tpm, Enrolled::Listed);
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(
        verdict
            .render_text()
            .contains("TPM-attested key (AK build-runner-1)"),
        "{}",
        verdict.render_text()
    );

    // The same roster, the image signed by the builder's file key (which
    // carries the old bare claim): refused.
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    tpm_builder(&mut scenario, &tpm, Enrolled::Listed);
    scenario.image_signers = vec![&world.build];
    let (verdict, _) = scenario.run();
    tpm_failure(&verdict);

    // The AK enrolled for another identity: refused, with the reason.
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    tpm_builder(&mut scenario, &tpm, Enrolled::ForDeploy);
    let (verdict, _) = scenario.run();
    tpm_failure(&verdict);
    assert!(
        verdict.render_text().contains("TPM attestation refused"),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn tpm_endorsed_needs_an_ak_enrolled_under_a_trusted_ek_certificate() {
    let Some(tpm) = vouch_test_support::tpm_key::TpmSigner::start("the chain with a swtpm key")
    else {
        return;
    };
    let world = World::new();
    let endorsed = |scenario: &mut Scenario<'_>| {
        demand_hardware(scenario, HardwareRequirement::TpmEndorsed);
    };

    let mut scenario = world.scenario();
    endorsed(&mut scenario);
    tpm_builder(&mut scenario, &tpm, Enrolled::Endorsed);
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(
        verdict
            .render_text()
            .contains("in a TPM whose EK certificate chains to CN=swtpm-localca-rootca"),
        "{}",
        verdict.render_text()
    );

    // Listed directly, the AK is TPM-attested but not endorsed.
    let mut scenario = world.scenario();
    endorsed(&mut scenario);
    tpm_builder(&mut scenario, &tpm, Enrolled::Listed);
    let (verdict, _) = scenario.run();
    expect_failure(&verdict, "tpm-endorsed", |r| {
        matches!(
            r,
            Reason::MissingHardware {
                requirement: HardwareRequirement::TpmEndorsed,
                ..
            }
        )
    });

    // The EK root removed from the roster: the endorsement no longer
    // verifies, and the key is not even TPM-attested.
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    tpm_builder(&mut scenario, &tpm, Enrolled::Endorsed);
    scenario.roster.tpm.endorsement_roots.clear();
    let (verdict, _) = scenario.run();
    tpm_failure(&verdict);
    assert!(
        verdict.render_text().contains("EK certificate"),
        "{}",
        verdict.render_text()
    );

    // A tampered EK certificate in the roster: refused.
    let mut scenario = world.scenario();
    endorsed(&mut scenario);
    tpm_builder(&mut scenario, &tpm, Enrolled::Endorsed);
    let e = scenario.roster.tpm.attestation_keys[0]
        .endorsement
        .as_mut()
        .unwrap();
    let n = e.ek_certificate.len();
    e.ek_certificate[n - 10] ^= 1;
    let (verdict, _) = scenario.run();
    assert!(!verdict.passed(), "{}", verdict.render_text());
}
