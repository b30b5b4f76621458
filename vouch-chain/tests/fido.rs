//! FIDO signature counters in the chain (`[fido] counter = "increasing"`):
//! per key, counters must grow with the times the signatures claim.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::policy::{CounterRule, HardwareRequirement};
use vouch_chain::{Reason, Rule};
use vouch_manifest::KeyAttestation;
use vouch_core::Signer as _;

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
        text.contains("unattested authenticator (enrolled without attestation): a software authenticator"),
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
    assert!(f.to_string().contains("lacks attested-authenticator"), "{f}");
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
    expect_failure(&verdict, "attested-authenticator", |r| {
        matches!(r, Reason::MissingHardware { identity, .. } if *identity == id(ALICE))
    });
    assert!(
        verdict.render_text().contains("unattested authenticator (an empty attestation)"),
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
