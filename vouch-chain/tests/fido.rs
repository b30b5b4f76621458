//! FIDO signature counters in the chain (`[fido] counter = "increasing"`):
//! per key, counters must grow with the times the signatures claim.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::policy::{CounterRule, HardwareRequirement};
use vouch_chain::{Reason, Rule};
use vouch_core::Algorithm;
use vouch_core::Signer as _;
use vouch_core::fido::EnrollmentAttestation;
use vouch_keys::softfido::{Presence, SoftAuthenticator, TestAttestationCa};
use vouch_manifest::{AttestationRoot, KeyAttestation};

#[test]
fn increasing_counters_pass_under_the_rule() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.policy.fido.counter = CounterRule::Increasing;
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
}

#[test]
fn a_repeated_counter_fails_and_names_both_signatures() {
    let world = World::new();
    // Alice's authenticator signs her commit with counter 1 (earlier) and,
    // cloned, the trigger approval with counter 1 again (later).
    let clone = world.alice.with_counter(1, 1);
    let mut scenario = world.scenario();
    scenario.policy.fido.counter = CounterRule::Increasing;
    for a in &mut scenario.approvals {
        if a.identity == id(ALICE) {
            a.signers = vec![&clone];
        }
    }
    let (verdict, built) = scenario.run();
    let f = expect_failure(&verdict, "counter not increasing", |r| {
        matches!(r, Reason::CounterNotIncreasing { .. })
    });
    let Reason::CounterNotIncreasing {
        key_id,
        signed,
        counter,
        earlier,
        earlier_counter,
        at,
        earlier_at,
    } = &f.reason
    else {
        unreachable!()
    };
    assert_eq!(*key_id, world.alice.public_key().key_id());
    assert_eq!((*counter, *earlier_counter), (1, 1));
    assert!(earlier_at < at);
    assert!(earlier.contains(&built.commits[0].to_string()), "{earlier}");
    assert!(signed.starts_with("statement "), "{signed}");
    let text = f.to_string();
    assert!(text.contains("counter = \"increasing\""), "{text}");
    // Without the rule the same bundle passes: counters are only reported.
    scenario.policy.fido.counter = CounterRule::Any;
    assert!(scenario.run().0.passed());
}

#[test]
fn equal_times_are_no_evidence_of_a_clone() {
    let world = World::new();
    let clone = world.alice.with_counter(1, 1);
    let mut scenario = world.scenario();
    scenario.policy.fido.counter = CounterRule::Increasing;
    // The trigger claims the commit's own time, with the same counter.
    for a in &mut scenario.approvals {
        if a.identity == id(ALICE) {
            a.signers = vec![&clone];
            a.time = scenario.commits[0].commit.committer.time;
        }
    }
    let (verdict, _) = scenario.run();
    assert!(
        !verdict
            .failures()
            .iter()
            .any(|f| matches!(f.reason, Reason::CounterNotIncreasing { .. })),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn an_authenticator_without_a_counter_fails_the_rule() {
    let world = World::new();
    let zero = world.alice.with_counter(0, 0);
    let mut scenario = world.scenario();
    scenario.policy.fido.counter = CounterRule::Increasing;
    scenario.commit_mut(&alice_commit()).signers = vec![&zero];
    let (verdict, _) = scenario.run();
    let f = expect_failure(&verdict, "no counter", |r| {
        matches!(r, Reason::NoCounter { .. })
    });
    assert!(f.to_string().contains("has no counter"), "{f}");
    scenario.policy.fido.counter = CounterRule::Any;
    assert!(scenario.run().0.passed());
}

/// The commit stage's rule, with `hardware`.
fn commit_rule(hardware: Vec<HardwareRequirement>) -> Rule {
    Rule::signers(
        vec![role("developer"), role("maintainer")],
        std::num::NonZeroU32::new(1).unwrap(),
        hardware,
    )
    .unwrap()
}

#[test]
fn an_unattested_security_key_meets_user_presence_but_not_attested_authenticator() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Alice's and Bob's sk- keys are enrolled without attestation.
    scenario.policy.commit.as_mut().unwrap().signers =
        commit_rule(vec![HardwareRequirement::UserPresence]);
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    let text = verdict.render_text();
    assert!(
        text.contains(
            "unattested authenticator (enrolled without attestation): a software authenticator"
        ),
        "{text}"
    );

    scenario.policy.commit.as_mut().unwrap().signers = commit_rule(vec![
        HardwareRequirement::UserPresence,
        HardwareRequirement::AttestedAuthenticator,
    ]);
    let (verdict, _) = scenario.run();
    let f = expect_failure(&verdict, "attested-authenticator", |r| {
        matches!(
            r,
            Reason::MissingHardware {
                requirement: HardwareRequirement::AttestedAuthenticator,
                ..
            }
        )
    });
    assert!(
        f.to_string().contains("lacks attested-authenticator"),
        "{f}"
    );
    assert!(link(f).starts_with("commit "), "{f}");
}

#[test]
fn a_recorded_verdict_is_not_believed() {
    // The roster's signers wrote "attested" beside an empty attestation:
    // the verifier decides from the bytes.
    let world = World::new();
    let mut scenario = world.scenario();
    let empty = vouch_core::fido::EnrollmentAttestation::openssh(&empty_openssh_attestation(), b"")
        .unwrap();
    assert!(empty.is_empty());
    let alice_key = world.alice.public_key().clone();
    key_mut(&mut scenario.roster, ALICE, &alice_key).attestation = Some(KeyAttestation {
        enrollment: empty.to_bytes(),
        recorded: "attested authenticator (trust me)".into(),
    });
    scenario.policy.commit.as_mut().unwrap().signers =
        commit_rule(vec![HardwareRequirement::AttestedAuthenticator]);
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "attested-authenticator",
        |r| matches!(r, Reason::MissingHardware { identity, .. } if *identity == id(ALICE)),
    );
    assert!(
        verdict
            .render_text()
            .contains("unattested authenticator (an empty attestation)"),
        "{}",
        verdict.render_text()
    );
}

/// What OpenSSH's sk-dummy writes: the version string and empty fields.
fn empty_openssh_attestation() -> Vec<u8> {
    let mut v = Vec::new();
    let string = |v: &mut Vec<u8>, s: &[u8]| {
        v.extend_from_slice(&(s.len() as u32).to_be_bytes());
        v.extend_from_slice(s);
    };
    string(&mut v, b"ssh-sk-attest-v01");
    string(&mut v, b"");
    string(&mut v, b"");
    string(&mut v, b"");
    v.extend_from_slice(&0u32.to_be_bytes());
    string(&mut v, b"");
    v
}

/// The production profile (`examples/policy.toml`), its commits proven by
/// attestations as the scenarios prove them. (Its image rule also wants a
/// TPM-attested builder: the scenarios that must pass provide one.)
fn production() -> vouch_chain::Policy {
    let mut p = vouch_chain::Policy::from_toml(vouch_test_support::EXAMPLE_POLICY).unwrap();
    p.commit.as_mut().unwrap().require_objects = false;
    p
}

/// A software authenticator for `who`'s commits, enrolled in the roster
/// (replacing the scenario's key for it) with an attestation by `ca`.
fn enroll_attested(
    scenario: &mut Scenario<'_>,
    who: &str,
    authenticator: &SoftAuthenticator,
    ca: &TestAttestationCa,
) {
    let cdh = [7u8; 32];
    let object = authenticator.attest(ca, [0x42; 16], cdh).unwrap();
    let enrollment = EnrollmentAttestation::webauthn(&object, cdh).unwrap();
    let valid_from = t("2026-01-01T00:00:00Z");
    let key = authenticator.public_key().clone();
    let attestation = KeyAttestation::enroll(
        &enrollment,
        &key,
        &scenario.roster.authenticators,
        valid_from,
    )
    .unwrap();
    let mut entry = vouch_manifest::RosterKey::new(key, valid_from);
    entry.attestation = Some(attestation);
    identity_mut(&mut scenario.roster, who).keys.push(entry);
}

/// The production profile, the roster trusting `ca` (and allowing only
/// `models`, when given), Alice's and Bob's commits signed by
/// `authenticators` attested by it.
fn attested_scenario<'w>(
    world: &'w World,
    ca: &TestAttestationCa,
    authenticators: [&'w SoftAuthenticator; 2],
    models: &[&str],
) -> Scenario<'w> {
    let mut scenario = world.scenario();
    scenario.policy = production();
    // Production also demands a TPM-attested builder.
    attest_builder(world, &mut scenario, &ak(31), BUILD);
    let trust = &mut scenario.roster.authenticators;
    trust
        .roots
        .push(AttestationRoot(ca.certificate_der().to_vec()));
    trust.aaguids.extend(
        models
            .iter()
            .map(|m| m.parse::<vouch_manifest::Aaguid>().unwrap()),
    );
    let [alice, bob] = authenticators;
    enroll_attested(&mut scenario, ALICE, alice, ca);
    enroll_attested(&mut scenario, BOB, bob, ca);
    scenario.commit_mut(&alice_commit()).signers = vec![alice];
    scenario.commit_mut(&bob_commit()).signers = vec![bob];
    scenario
}

#[test]
fn the_production_profile_refuses_the_software_authenticator_unless_attested() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.policy = production();
    // The scenario's sk- keys: enrolled without attestation.
    let (verdict, _) = scenario.run();
    for who in [ALICE, BOB] {
        expect_failure(&verdict, "attested-authenticator", |r| {
            matches!(r, Reason::MissingHardware {
                identity,
                requirement: HardwareRequirement::AttestedAuthenticator,
                ..
            } if *identity == id(who))
        });
    }
    // The demo profile accepts them, and says what they are.
    scenario.policy = example_policy();
    scenario.policy.commit.as_mut().unwrap().require_objects = false;
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(verdict.render_text().contains("software authenticator"));

    // Attested by a CA the roster trusts: production passes.
    let ca = TestAttestationCa::generate("vouch test authenticators", t("2026-01-01T00:00:00Z"), 5)
        .unwrap();
    let alice = SoftAuthenticator::generate(Algorithm::Ed25519, "ssh:", Presence::Touch).unwrap();
    let bob = SoftAuthenticator::generate(Algorithm::Es256, "ssh:", Presence::Touch).unwrap();
    let mut scenario = attested_scenario(&world, &ca, [&alice, &bob], &[]);
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    let text = verdict.render_text();
    assert!(
        text.contains("attested authenticator (model 42424242-4242-4242-4242-424242424242, packed attestation to"),
        "{text}"
    );

    // The same attestations, the roster trusting no CA: refused, and the
    // trace says why.
    scenario.roster.authenticators.roots.clear();
    let (verdict, _) = scenario.run();
    expect_failure(&verdict, "attested-authenticator", |r| {
        matches!(
            r,
            Reason::MissingHardware {
                requirement: HardwareRequirement::AttestedAuthenticator,
                ..
            }
        )
    });
    assert!(
        verdict
            .render_text()
            .contains("authenticator attestation refused"),
        "{}",
        verdict.render_text()
    );

    // Allowed models: another model is refused.
    let other_model = attested_scenario(
        &world,
        &ca,
        [&alice, &bob],
        &["00000000-0000-0000-0000-000000000001"],
    );
    let (verdict, _) = other_model.run();
    assert!(!verdict.passed());
    assert!(
        verdict
            .render_text()
            .contains("not among the roster's allowed models"),
        "{}",
        verdict.render_text()
    );
}
