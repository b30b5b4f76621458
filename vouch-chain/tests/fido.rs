//! FIDO signature counters in the chain (`[fido] counter = "increasing"`):
//! per key, counters must grow with the times the signatures claim.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::Reason;
use vouch_chain::policy::CounterRule;
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
