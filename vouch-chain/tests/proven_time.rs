//! Proven time in the chain: statements logged in a transparency log the
//! roster trusts carry COSE receipts; `time = "proven"` demands one, and
//! key validity and revocation (every reason) are judged at the proven
//! time. The backdating attacks of the soundness suite fail here even
//! where the policy trusts claimed times and nothing is grandfathered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::policy::TimeRule;
use vouch_chain::{Bundle, Reason, Target, Verdict};
use vouch_core::Algorithm;
use vouch_core::tlog::receipt::{attach_receipts, statement_leaf};
use vouch_core::tlog::{Receipt, merkle};
use vouch_keys::FileKey;
use vouch_manifest::{RevocationReason, TrustedLog};

/// The test log's key.
fn log_key() -> &'static FileKey {
    static KEY: std::sync::OnceLock<FileKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| FileKey::generate(Algorithm::Ed25519).unwrap())
}

/// The roster trusts the test log.
fn trust_log(scenario: &mut Scenario<'_>) {
    scenario.roster.witnesses.logs.push(TrustedLog {
        label: "test-log".into(),
        origin: "log.example.com/test".into(),
        key: log_key().public_key().clone(),
    });
}

/// Every stage demands proven time.
fn demand_proven(scenario: &mut Scenario<'_>) {
    scenario.policy.image.time = TimeRule::Proven;
    if let Some(p) = scenario.policy.release.as_mut() {
        p.time = TimeRule::Proven;
    }
    if let Some(p) = scenario.policy.commit.as_mut() {
        p.time = TimeRule::Proven;
    }
    if let Some(p) = scenario.policy.deployment.as_mut() {
        p.time = TimeRule::Proven;
    }
    // The story's commits are logged at the deployment, weeks later.
    scenario.policy.time.max_log_delay = "60d".parse().unwrap();
}

/// The bundle with every envelope `when` names logged (in one tree, in
/// bundle order) by `log`, its receipt issued at that time attached.
fn logged(
    built: &Built,
    log: &FileKey,
    when: impl Fn(usize, usize) -> Option<&'static str>,
) -> Bundle {
    let envelopes = built.bundle.envelopes();
    let leaves: Vec<merkle::Hash> = envelopes
        .iter()
        .map(|e| statement_leaf(e).unwrap())
        .collect();
    let mut out = Bundle::new();
    for (i, e) in envelopes.iter().enumerate() {
        match when(i, envelopes.len()) {
            Some(at) => {
                let proof = merkle::inclusion_proof(&leaves, i as u64).unwrap();
                let receipt = Receipt::issue(
                    log,
                    &leaves[i],
                    i as u64,
                    leaves.len() as u64,
                    &proof,
                    Some(t(at).unix_seconds()),
                )
                .unwrap();
                out.add_envelope(attach_receipts(e, &[receipt]).unwrap());
            }
            None => out.add_envelope(e.clone()),
        }
    }
    for o in built.bundle.commit_objects() {
        out.add_commit_object(o.clone());
    }
    Bundle::from_bytes(&out.to_bytes().unwrap()).unwrap()
}

/// Everything logged an hour after the deployment was authorized.
const LOGGED_AT: &str = "2026-11-24T11:30:00Z";

fn run_with(scenario: &Scenario<'_>, bundle: &Bundle, built: &Built) -> Verdict {
    scenario
        .verifier()
        .verify(bundle, &Target::Deployment(built.deployment), scenario.now)
}

#[test]
fn a_chain_whose_every_statement_is_logged_passes_with_proven_time() {
    let world = World::new();
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    demand_proven(&mut scenario);
    let built = scenario.build();
    let bundle = logged(&built, log_key(), |_, _| Some(LOGGED_AT));
    let verdict = run_with(&scenario, &bundle, &built);
    let text = verdict.render_text();
    assert!(verdict.passed(), "{text}");
    assert!(
        text.contains("proven at 2026-11-24T11:30:00Z by log test-log (entry"),
        "{text}"
    );
    // The JSON trace says so too.
    let json = verdict.to_json();
    assert!(json.contains("\"kind\": \"proven\""), "{json}");
}

#[test]
fn proven_time_demanded_and_absent_fails_naming_the_statement() {
    let world = World::new();
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    demand_proven(&mut scenario);
    let (verdict, built) = scenario.run();
    assert!(!verdict.passed());
    let f = expect_failure(
        &verdict,
        "TimeNotProven",
        |r| matches!(r, Reason::TimeNotProven { statement, refused } if refused.is_empty() && *statement == built.deployment),
    );
    assert!(f.to_string().contains("time = \"proven\""), "{f}");

    // Under the default rule the same chain passes, its times claimed.
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(!verdict.render_text().contains("proven at"));
}

#[test]
fn receipts_of_a_log_the_roster_does_not_list_prove_nothing() {
    let world = World::new();
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    demand_proven(&mut scenario);
    let built = scenario.build();
    let other = FileKey::generate(Algorithm::Ed25519).unwrap();
    let bundle = logged(&built, &other, |_, _| Some(LOGGED_AT));
    let verdict = run_with(&scenario, &bundle, &built);
    expect_failure(&verdict, "TimeNotProven", |r| {
        matches!(r, Reason::TimeNotProven { refused, .. }
            if refused.iter().any(|x| x.contains("verifies with no log the roster lists")))
    });

    // Nor does a receipt moved from another envelope.
    let bundle = logged(&built, log_key(), |_, _| Some(LOGGED_AT));
    let envs = bundle.envelopes();
    let receipt = vouch_core::tlog::receipt::receipts(&envs[0]).unwrap()[0].to_vec();
    let mut moved = Bundle::new();
    for (i, e) in built.bundle.envelopes().iter().enumerate() {
        if i == envs.len() - 1 {
            moved.add_envelope(attach_receipts(e, std::slice::from_ref(&receipt)).unwrap());
        } else {
            moved.add_envelope(envs[i].clone());
        }
    }
    for o in built.bundle.commit_objects() {
        moved.add_commit_object(o.clone());
    }
    let verdict = run_with(&scenario, &moved, &built);
    assert!(!verdict.passed(), "{}", verdict.render_text());
    expect_failure(
        &verdict,
        "TimeNotProven",
        |r| matches!(r, Reason::TimeNotProven { refused, .. } if !refused.is_empty()),
    );
}

#[test]
fn a_backdated_approval_by_a_superseded_key_fails_at_its_proven_time() {
    // Alice's old key is superseded at noon on deployment day; the trigger
    // approval claims 10:01 but the log first saw it at 13:00.
    let world = World::new();
    let late = |i: usize, n: usize| {
        Some(if i + 2 >= n {
            "2026-11-24T13:00:00Z"
        } else {
            LOGGED_AT
        })
    };
    for trust_claims in [false, true] {
        let mut scenario = world.scenario();
        trust_log(&mut scenario);
        demand_proven(&mut scenario);
        scenario.policy.roster.trust_claimed_time_after_revocation = trust_claims;
        world.rotate_alice(
            &mut scenario.roster,
            "2026-11-24T12:00:00Z",
            RevocationReason::Superseded,
        );
        let built = scenario.build();
        let verdict = run_with(&scenario, &logged(&built, log_key(), late), &built);
        expect_failure(&verdict, "KeyEndedBeforeProvenTime", |r| {
            matches!(r, Reason::KeyEndedBeforeProvenTime { identity, ended_at, proven, .. }
                if *identity == id(ALICE)
                    && *ended_at == t("2026-11-24T12:00:00Z")
                    && *proven == t("2026-11-24T13:00:00Z"))
        });
    }

    // Logged at 11:30, before the key was superseded: it counts, without
    // any grandfathering, and the trace says why.
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    demand_proven(&mut scenario);
    world.rotate_alice(
        &mut scenario.roster,
        "2026-11-24T12:00:00Z",
        RevocationReason::Superseded,
    );
    let built = scenario.build();
    let verdict = run_with(
        &scenario,
        &logged(&built, log_key(), |_, _| Some(LOGGED_AT)),
        &built,
    );
    let text = verdict.render_text();
    assert!(verdict.passed(), "{text}");
    assert!(text.contains("signed before its end: proven"), "{text}");
}

#[test]
fn a_compromised_key_counts_only_for_what_was_proven_before_its_revocation() {
    // Carol's key is revoked as compromised on 2026-11-20. Her release
    // (claimed 11-10) logged on 11-11 counts; logged on 11-21 it does not.
    let world = World::new();
    let revoke = |scenario: &mut Scenario<'_>| {
        key_mut(&mut scenario.roster, CAROL, world.carol.public_key()).revoked =
            Some(vouch_manifest::Revocation {
                at: t("2026-11-20T00:00:00Z"),
                reason: RevocationReason::KeyCompromise,
            });
    };
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    scenario.policy.time.max_log_delay = "60d".parse().unwrap();
    revoke(&mut scenario);
    // Without a proof, a compromised key counts for nothing.
    let (verdict, built) = scenario.run();
    expect_failure(
        &verdict,
        "KeyRevoked",
        |r| matches!(r, Reason::KeyRevoked { identity, .. } if *identity == id(CAROL)),
    );

    let commits = scenario.commits.len();
    let release_logged =
        |day: &'static str| move |i: usize, _| Some(if i == commits { day } else { LOGGED_AT });
    let verdict = run_with(
        &scenario,
        &logged(&built, log_key(), release_logged("2026-11-11T00:00:00Z")),
        &built,
    );
    assert!(verdict.passed(), "{}", verdict.render_text());

    let verdict = run_with(
        &scenario,
        &logged(&built, log_key(), release_logged("2026-11-21T00:00:00Z")),
        &built,
    );
    expect_failure(&verdict, "KeyEndedBeforeProvenTime", |r| {
        matches!(r, Reason::KeyEndedBeforeProvenTime { identity, why, .. }
            if *identity == id(CAROL) && why.contains("compromise"))
    });
}

#[test]
fn claimed_times_must_agree_with_proven_ones() {
    let world = World::new();
    // The commits are logged weeks after they claim to be made: more than
    // the default max_log_delay of 7 days.
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    let built = scenario.build();
    let verdict = run_with(
        &scenario,
        &logged(&built, log_key(), |_, _| Some(LOGGED_AT)),
        &built,
    );
    let f = expect_failure(
        &verdict,
        "LoggedTooLate",
        |r| matches!(r, Reason::LoggedTooLate { claimed, .. } if *claimed == t(ALICE_COMMIT_AT)),
    );
    assert!(f.to_string().contains("max_log_delay = 7d"), "{f}");

    // A statement that claims a time after the log saw it lies.
    let mut scenario = world.scenario();
    trust_log(&mut scenario);
    scenario.policy.time.max_log_delay = "60d".parse().unwrap();
    let built = scenario.build();
    let verdict = run_with(
        &scenario,
        &logged(&built, log_key(), |_, _| Some("2026-11-24T09:00:00Z")),
        &built,
    );
    expect_failure(&verdict, "ClaimedAfterProven", |r| {
        matches!(r, Reason::ClaimedAfterProven { claimed, proven, .. }
            if *claimed == t(DEPLOYED_AT) && *proven == t("2026-11-24T09:00:00Z"))
    });
}

#[test]
fn policy_time_rules_read_from_toml() {
    let demo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/policy-demo.toml"
    ))
    .unwrap();
    assert!(demo.contains("[image]\n"));
    let text = format!(
        "{}\n[time]\nmax_log_delay = \"3d\"\n",
        demo.replace("[image]\n", "[image]\ntime = \"proven\"\n")
    );
    let p = vouch_chain::Policy::from_toml(&text).unwrap();
    assert_eq!(p.image.time, TimeRule::Proven);
    assert_eq!(p.time.max_log_delay.seconds(), 3 * 86_400);
    assert!(vouch_chain::Policy::from_toml(&text.replace("\"proven\"", "\"sworn\"")).is_err());
}
