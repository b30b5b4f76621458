//! A deployment past its `max_age` and nothing else wrong: the verdict says
//! it fails only for age, and still reports when a key it rests on ends
//! (an instant already past, the age running out, must not hide it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_chain::{Placement, Policy, Reason, Target, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_manifest::RosterChain;
use vouch_test_support::chain::{ChainSpec, build};

fn verify(spec: &ChainSpec, at: Timestamp, placement: &Placement) -> vouch_chain::Verdict {
    let chain = build(spec);
    let trusted = RosterChain::from_bytes(&chain.roster)
        .unwrap()
        .verify(&chain.roster_pin, spec.now)
        .unwrap();
    let verifier = Verifier::new(
        Policy::from_bytes(chain.policy.as_bytes()).unwrap(),
        trusted,
    );
    verifier.verify_placed(
        &chain.bundle,
        &Target::Deployment(chain.deployment),
        placement,
        at,
    )
}

#[test]
fn a_stale_deployment_fails_only_for_age_until_its_key_ends() {
    let t0 = Timestamp::now();
    let mut spec = ChainSpec::new(Digest::sha256(b"image"));
    spec.now = t0;
    let key_end = t0.plus_seconds(10 * 86_400);
    spec.deployer_key_until = Some(key_end);
    let here = Placement::default();

    let fresh = verify(&spec, t0, &here);
    assert!(fresh.passed(), "{}", fresh.render_text());
    assert!(!fresh.fails_only_for_age());

    // Eight days on: the deployment (7 days) and its approvals are stale.
    let later = t0.plus_seconds(8 * 86_400);
    let stale = verify(&spec, later, &here);
    assert!(!stale.passed());
    assert!(stale.fails_only_for_age(), "{}", stale.render_text());
    assert!(
        stale
            .failures()
            .iter()
            .all(|f| matches!(f.reason, Reason::TooOld { .. }))
    );
    assert_eq!(stale.could_change_at(), Some(key_end));

    // Stale and in the wrong namespace: not only age.
    let elsewhere = Placement {
        namespace: Some("other".into()),
        ..Placement::default()
    };
    assert!(!verify(&spec, later, &elsewhere).fails_only_for_age());

    // Stale and the key ended: not only age.
    let ended = verify(&spec, key_end.plus_seconds(1), &here);
    assert!(!ended.fails_only_for_age(), "{}", ended.render_text());
}
