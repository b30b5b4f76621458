//! The scenario suite: a realistic supply chain (roster, commits signed with
//! FIDO keys, a release certified by two maintainers, an image built on a
//! TPM-attested builder, a production deployment triggered and authorized
//! by two different people) evaluated against the example policy, then one
//! test per attack, each asserting the specific reason it is refused for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::{
    HardwareRequirement, LinkKind, Outcome, Policy, Reason, Rule, Target, VerificationSummary,
};
use vouch_core::{Digest, Signer as _};
use vouch_manifest::{
    ApprovalRole, ImagePackage, ManifestError, RevocationReason, RootSet, RosterError, Signed,
    TrustedRoster, peek_predicate_type,
};

fn commit_link(c: &vouch_manifest::GitObjectId) -> String {
    format!("commit {c}")
}

const RELEASE_LINK: &str = "release shop-api 1.4.0";
const DEPLOYMENT_LINK: &str = "deployment production/eu-1/shop/api";

// ---- the happy path ----

#[test]
fn happy_path_passes_with_a_full_trace() {
    let world = World::new();
    let scenario = world.scenario();
    let (verdict, built) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(verdict.failures().is_empty());
    assert_eq!(verdict.roster_version(), 1);
    assert_eq!(verdict.trace().kind, LinkKind::Deployment);
    assert_eq!(verdict.trace().statement, Some(built.deployment));

    // The trace names every identity of the chain, each in its capacity.
    let mut ids = Vec::new();
    trace_identities(verdict.trace(), &mut ids);
    for who in [ALICE, BOB, CAROL, DAVE, ERIN, BUILD, DEPLOY] {
        assert!(
            ids.contains(&id(who)),
            "{who} missing from the trace: {ids:?}"
        );
    }
    let capacities: Vec<(&str, String)> = verdict
        .trace()
        .signers
        .iter()
        .map(|s| (s.capacity, s.identity.to_string()))
        .collect();
    assert!(
        capacities.contains(&("signer", DEPLOY.into())),
        "{capacities:?}"
    );
    assert!(
        capacities.contains(&("triggered by", ALICE.into())),
        "{capacities:?}"
    );
    assert!(
        capacities.contains(&("authorized by", ERIN.into())),
        "{capacities:?}"
    );

    // Each link is there, with the statement the next one names.
    let image = &verdict.trace().children[0];
    assert_eq!(image.kind, LinkKind::Image);
    assert_eq!(image.signers[0].identity, id(BUILD));
    assert!(
        image.signers[0]
            .hardware
            .contains(&vouch_manifest::HardwareClaim::TpmResident)
    );
    let release = find_node(verdict.trace(), "shop-api 1.4.0").unwrap();
    assert_eq!(release.statement, Some(built.release));
    let certifiers: Vec<_> = release
        .signers
        .iter()
        .map(|s| s.identity.to_string())
        .collect();
    assert_eq!(certifiers, [CAROL, DAVE]);
    let alice_node = find_node(release, alice_commit().as_str()).unwrap();
    assert_eq!(alice_node.statement, Some(built.commits[0]));
    assert_eq!(alice_node.signers[0].identity, id(ALICE));
    assert!(matches!(
        alice_node.signers[0].evidence,
        Some(vouch_chain::EvidenceSummary::Fido {
            user_present: true,
            ..
        })
    ));

    // The text rendering mentions each link and each identity.
    let text = verdict.render_text();
    assert!(text.starts_with("verdict: PASS (roster v1"), "{text}");
    for needle in [
        DEPLOYMENT_LINK.to_owned(),
        format!(
            "image registry.example.com/shop/api@sha256:{}",
            &built.image.hex()[..12]
        ),
        RELEASE_LINK.to_owned(),
        commit_link(&alice_commit()),
        commit_link(&bob_commit()),
        format!("statement {}", built.deployment),
        format!("statement {}", built.release),
        "fido(up=true".to_owned(),
        "tpm-resident".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle:?} missing from:\n{text}");
    }
    for who in [ALICE, BOB, CAROL, DAVE, ERIN, BUILD, DEPLOY] {
        assert!(text.contains(who), "{who} missing from:\n{text}");
    }
    assert!(text.contains(&format!("triggered by {ALICE}")), "{text}");
    assert!(text.contains(&format!("authorized by {ERIN}")), "{text}");
    assert!(!text.contains("refused"), "{text}");
}

#[test]
fn an_image_target_is_refused_when_the_policy_has_a_deployment_stage() {
    let world = World::new();
    let scenario = world.scenario();
    let built = scenario.build();
    let verifier = scenario.verifier();
    // The policy has a deployment stage: an image target would skip it
    // (approvals, environments, separation of duties, freshness).
    let by_image = verifier.verify(&built.bundle, &Target::Image(built.image), scenario.now);
    assert_eq!(by_image.trace().kind, LinkKind::Image);
    expect_failure(
        &by_image,
        "TargetNotDeployment",
        |r| matches!(r, Reason::TargetNotDeployment { target } if *target == built.image),
    );
    assert_eq!(by_image.failures().len(), 1, "{}", by_image.render_text());
    // A bare image digest is an image target too.
    let bare: Target = built.image.to_string().parse().unwrap();
    assert!(!verifier.verify(&built.bundle, &bare, scenario.now).passed());
    // Unless the policy says image targets are fine.
    let mut allowing = world.scenario();
    allowing.policy.image.allow_as_target = true;
    let by_image =
        allowing
            .verifier()
            .verify(&built.bundle, &Target::Image(built.image), scenario.now);
    assert!(by_image.passed(), "{}", by_image.render_text());
    assert_eq!(by_image.target().kind, LinkKind::Image);
    let any: Target = built.deployment.to_string().parse().unwrap();
    let by_any = verifier.verify(&built.bundle, &any, scenario.now);
    assert_eq!(by_any.trace().kind, LinkKind::Deployment);
    assert!(by_any.passed());
}

// ---- one test per attack ----

#[test]
fn unsigned_commit_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    let ghost = commit_id("a commit nobody signed");
    scenario
        .release
        .commits
        .push(vouch_manifest::CertifiedCommit::from(ghost.clone()));
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "CommitUnsigned",
        |r| matches!(r, Reason::CommitUnsigned { commit } if *commit == ghost),
    );
    // The only problem, on the commit link.
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    all_on_link(&verdict, &commit_link(&ghost));
}

#[test]
fn commit_signed_by_a_key_not_in_the_roster_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.commit_mut(&alice_commit()).signers = vec![&world.mallory];
    let (verdict, _) = scenario.run();
    let mallory = world.mallory.key_id();
    expect_failure(
        &verdict,
        "UnknownKey",
        |r| matches!(r, Reason::UnknownKey { key_id } if *key_id == mallory),
    );
    // Everything that follows (no qualifying signer, alice not proven) is on
    // that commit and nowhere else.
    all_on_link(&verdict, &commit_link(&alice_commit()));
    expect_failure(
        &verdict,
        "NotProven signer",
        |r| matches!(r, Reason::NotProven { field: "signer", identity } if *identity == id(ALICE)),
    );
}

#[test]
fn key_used_after_its_revocation_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Alice's FIDO key was superseded on 2026-10-15, before her commit of
    // 2026-11-01; she approves the deployment with her new key.
    world.rotate_alice(
        &mut scenario.roster,
        "2026-10-15T00:00:00Z",
        RevocationReason::Superseded,
    );
    scenario.approval_mut(ApprovalRole::Trigger, ALICE).signers = vec![&world.alice_new];
    let (verdict, _) = scenario.run();
    let alice_key = world.alice.key_id();
    expect_failure(&verdict, "KeyRevoked", |r| {
        matches!(r, Reason::KeyRevoked { key_id, identity, revoked_at, reason: RevocationReason::Superseded }
            if *key_id == alice_key && *identity == id(ALICE) && *revoked_at == t("2026-10-15T00:00:00Z"))
    });
    all_on_link(&verdict, &commit_link(&alice_commit()));
}

#[test]
fn a_claimed_time_alone_does_not_keep_a_superseded_key_valid() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Superseded on 2026-11-15: after the commit (which claims 2026-11-01),
    // before the deployment, which Alice approves with her new key. The
    // commit's date is what its signer wrote: a thief of the old key could
    // write the same, so by default it does not count.
    world.rotate_alice(
        &mut scenario.roster,
        "2026-11-15T00:00:00Z",
        RevocationReason::Superseded,
    );
    scenario.approval_mut(ApprovalRole::Trigger, ALICE).signers = vec![&world.alice_new];
    let (verdict, built) = scenario.run();
    let alice_key = world.alice.key_id();
    let f = expect_failure(&verdict, "KeyEnded", |r| {
        matches!(r, Reason::KeyEnded { key_id, identity, ended_at, at, .. }
            if *key_id == alice_key && *identity == id(ALICE)
                && *ended_at == t("2026-11-15T00:00:00Z") && *at == t(ALICE_COMMIT_AT))
    });
    assert!(f.to_string().contains("grandfather"), "{f}");
    all_on_link(&verdict, &commit_link(&alice_commit()));

    // Honest history stays deployable: the roster version that revokes the
    // key grandfathers what it signed (here: the release, which covers the
    // signatures of the commits it certifies) ...
    key_mut(&mut scenario.roster, ALICE, world.alice.public_key()).grandfathered =
        Some(vouch_manifest::Grandfathered {
            statements: vec![built.release],
            commits: vec![],
        });
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    let node = find_node(verdict.trace(), alice_commit().as_str()).unwrap();
    assert_eq!(node.signers[0].key_id, world.alice.key_id());
    assert_eq!(
        node.signers[0].standing,
        vouch_chain::Standing::Grandfathered
    );
    // ... or by commit id ...
    key_mut(&mut scenario.roster, ALICE, world.alice.public_key()).grandfathered =
        Some(vouch_manifest::Grandfathered {
            statements: vec![],
            commits: vec![alice_commit()],
        });
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    // ... or the policy accepts claimed times for keys that were not compromised.
    key_mut(&mut scenario.roster, ALICE, world.alice.public_key()).grandfathered = None;
    scenario.policy.roster.trust_claimed_time_after_revocation = true;
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    let node = find_node(verdict.trace(), alice_commit().as_str()).unwrap();
    assert_eq!(node.signers[0].standing, vouch_chain::Standing::ClaimedTime);
    assert!(
        verdict
            .render_text()
            .contains("counted on its claimed time")
    );

    // The old key signing after its revocation is refused, though.
    scenario.approval_mut(ApprovalRole::Trigger, ALICE).signers = vec![&world.alice];
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "KeyRevoked on the approval",
        |r| matches!(r, Reason::KeyRevoked { identity, .. } if *identity == id(ALICE)),
    );
    all_on_link(&verdict, DEPLOYMENT_LINK);
}

#[test]
fn key_compromise_invalidates_even_earlier_signatures() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Same dates as the passing superseded case, but the key was compromised.
    world.rotate_alice(
        &mut scenario.roster,
        "2026-11-15T00:00:00Z",
        RevocationReason::KeyCompromise,
    );
    scenario.approval_mut(ApprovalRole::Trigger, ALICE).signers = vec![&world.alice_new];
    let (verdict, _) = scenario.run();
    let alice_key = world.alice.key_id();
    expect_failure(&verdict, "KeyRevoked (compromise)", |r| {
        matches!(r, Reason::KeyRevoked { key_id, identity, reason: RevocationReason::KeyCompromise, .. }
            if *key_id == alice_key && *identity == id(ALICE))
    });
    all_on_link(&verdict, &commit_link(&alice_commit()));
}

#[test]
fn key_used_after_its_validity_window_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    key_mut(&mut scenario.roster, BOB, world.bob.public_key()).valid_until =
        Some(t("2026-10-01T00:00:00Z"));
    let (verdict, _) = scenario.run();
    let bob_key = world.bob.key_id();
    expect_failure(&verdict, "KeyOutsideWindow", |r| {
        matches!(r, Reason::KeyOutsideWindow { key_id, identity, at, valid_until: Some(u), .. }
            if *key_id == bob_key && *identity == id(BOB) && *at == t(BOB_COMMIT_AT)
                && *u == t("2026-10-01T00:00:00Z"))
    });
    // The reason says when the window ended.
    assert!(
        verdict
            .render_text()
            .contains("its window ended at 2026-10-01T00:00:00Z"),
        "{}",
        verdict.render_text()
    );
    all_on_link(&verdict, &commit_link(&bob_commit()));
}

#[test]
fn key_used_before_its_validity_window_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    key_mut(&mut scenario.roster, BOB, world.bob.public_key()).valid_from =
        t("2026-11-05T00:00:00Z");
    let (verdict, _) = scenario.run();
    expect_failure(&verdict, "KeyOutsideWindow", |r| {
        matches!(r, Reason::KeyOutsideWindow { identity, at, .. }
            if *identity == id(BOB) && *at == t(BOB_COMMIT_AT))
    });
    all_on_link(&verdict, &commit_link(&bob_commit()));
}

#[test]
fn self_authorized_deployment_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.deployment.authorized_by = vec![id(ALICE)];
    let authorize = scenario.approval_mut(ApprovalRole::Authorize, ERIN);
    authorize.identity = id(ALICE);
    authorize.signers = vec![&world.alice];
    // Even holding the approver role does not let Alice approve herself.
    grant(&mut scenario.roster, "approver", ALICE, KEYS_FROM);
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "SelfAuthorized",
        |r| matches!(r, Reason::SelfAuthorized { identity } if *identity == id(ALICE)),
    );
    // Alice did prove both approvals: the refusal is the separation of duties.
    assert!(
        !reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::NotProven { .. })),
        "{}",
        verdict.render_text()
    );
    all_on_link(&verdict, DEPLOYMENT_LINK);
}

#[test]
fn deployment_of_another_image_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    let other = Digest::sha256(b"OCI manifest of an image nobody built here");
    scenario.deployment.image = other;
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "ImageMissing",
        |r| matches!(r, Reason::ImageMissing { image } if *image == other),
    );
    // The deployment itself is fine; only its image is missing.
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    assert!(verdict.trace().failures.is_empty());
    assert_eq!(verdict.failures()[0].path.len(), 2);
}

#[test]
fn release_certified_by_one_maintainer_of_two_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.release_signers = vec![&world.carol];
    let (verdict, _) = scenario.run();
    let f = expect_failure(
        &verdict,
        "Threshold 1 of 2 maintainers",
        |r| matches!(r, Reason::Threshold { rule, have: 1, need: 2, .. } if rule.contains("maintainer")),
    );
    assert_eq!(link(f), RELEASE_LINK);
    all_on_link(&verdict, RELEASE_LINK);
    // Carol's signature itself is fine.
    assert!(
        reasons(&verdict)
            .iter()
            .all(|r| matches!(r, Reason::Threshold { .. })),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn one_maintainer_with_two_keys_counts_once() {
    let world = World::new();
    let mut scenario = world.scenario();
    let carol2 = vouch_manifest::RosterKey::new(world.carol2.public_key().clone(), t(KEYS_FROM));
    identity_mut(&mut scenario.roster, CAROL).keys.push(carol2);
    scenario.release_signers = vec![&world.carol, &world.carol2];
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "Threshold have 1 need 2",
        |r| matches!(r, Reason::Threshold { rule, have: 1, need: 2, .. } if rule.contains("maintainer")),
    );
    all_on_link(&verdict, RELEASE_LINK);
    // Both signatures verified and are in the trace: they count once.
    let release = find_node(verdict.trace(), "shop-api 1.4.0").unwrap();
    let keys: Vec<_> = release
        .signers
        .iter()
        .map(|s| (s.identity.to_string(), s.key_id))
        .collect();
    assert_eq!(
        keys,
        [
            (CAROL.to_owned(), world.carol.key_id()),
            (CAROL.to_owned(), world.carol2.key_id())
        ]
    );
}

#[test]
fn roster_rollback_is_refused() {
    let world = World::new();
    let v1 = world.sign_roster(world.roster(), &[&world.roots[0], &world.roots[1]]);
    let pin = v1.digest();
    let trusted_v1 = TrustedRoster::from_pinned(&v1, &pin).unwrap();
    // v2 revokes Alice's key; it is signed by 2 of v1's root keys (its own).
    let mut next = world.roster();
    next.version = 2;
    world.rotate_alice(
        &mut next,
        "2026-11-15T00:00:00Z",
        RevocationReason::KeyCompromise,
    );
    let v2 = world.sign_roster(next, &[&world.roots[1], &world.roots[2]]);
    let trusted_v2 = trusted_v1.update(&v2).unwrap();
    assert_eq!(trusted_v2.version(), 2);
    assert_eq!(
        TrustedRoster::verify_chain(&pin, &[v2.clone(), v1.clone()])
            .unwrap()
            .digest(),
        v2.digest()
    );

    // Offering v1 again (which still trusts Alice's key) is a rollback.
    let err = trusted_v2.update(&v1).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::Roster(RosterError::Rollback {
                current: 2,
                offered: 1
            })
        ),
        "{err:?}"
    );
    // So is offering the same version again.
    let err = trusted_v2.update(&v2).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::Roster(RosterError::Rollback {
                current: 2,
                offered: 2
            })
        ),
        "{err:?}"
    );
}

#[test]
fn roster_not_signed_by_the_previous_root_threshold_is_refused() {
    let world = World::new();
    let v1 = world.sign_roster(world.roster(), &[&world.roots[0], &world.roots[1]]);
    let pin = v1.digest();
    let trusted_v1 = TrustedRoster::from_pinned(&v1, &pin).unwrap();

    // An attacker's v2 with their own root keys, signed only by them.
    let attacker_roots: Vec<_> = (0..3)
        .map(|_| vouch_keys::FileKey::generate(vouch_core::Algorithm::Ed25519).unwrap())
        .collect();
    let mut forged = world.roster();
    forged.version = 2;
    forged.root.keys = attacker_roots
        .iter()
        .map(|k| k.public_key().clone())
        .collect();
    let forged_v2 = world.sign_roster(forged.clone(), &[&attacker_roots[0], &attacker_roots[1]]);
    let err = trusted_v1.update(&forged_v2).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::Roster(RosterError::RootThreshold {
                version: 2,
                set: RootSet::Previous,
                have: 0,
                need: 2
            })
        ),
        "{err:?}"
    );
    let err = TrustedRoster::verify_chain(&pin, &[v1.clone(), forged_v2]).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::Roster(RosterError::RootThreshold {
                set: RootSet::Previous,
                ..
            })
        ),
        "{err:?}"
    );

    // One stolen old root key is not enough either.
    let half = world.sign_roster(
        forged,
        &[&world.roots[0], &attacker_roots[0], &attacker_roots[1]],
    );
    let err = trusted_v1.update(&half).unwrap_err();
    assert!(
        matches!(
            err,
            ManifestError::Roster(RosterError::RootThreshold {
                set: RootSet::Previous,
                have: 1,
                need: 2,
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn builder_key_without_tpm_attestation_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    demand_tpm(&mut scenario);
    key_mut(&mut scenario.roster, BUILD, world.build.public_key()).hardware = Vec::new();
    let (verdict, _) = scenario.run();
    let build_key = world.build.key_id();
    let f = expect_failure(&verdict, "MissingHardware tpm-attested", |r| {
        matches!(r, Reason::MissingHardware { identity, key_id, requirement: HardwareRequirement::TpmAttested }
            if *identity == id(BUILD) && *key_id == build_key)
    });
    assert!(link(f).starts_with("image registry.example.com/shop/api@"));
    // The builder signed and is proven; only the hardware rule is broken.
    for f in verdict.failures() {
        assert_eq!(link(f), link(&verdict.failures()[0]));
        assert!(
            matches!(
                f.reason,
                Reason::MissingHardware { .. }
                    | Reason::Threshold {
                        have: 0,
                        need: 1,
                        ..
                    }
            ),
            "{f}"
        );
    }
}

#[test]
fn commit_signature_without_user_presence_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.commit_mut(&alice_commit()).signers = vec![&world.alice_untouched];
    let (verdict, _) = scenario.run();
    let alice_key = world.alice.key_id();
    expect_failure(&verdict, "MissingHardware user-presence", |r| {
        matches!(r, Reason::MissingHardware { identity, key_id, requirement: HardwareRequirement::UserPresence }
            if *identity == id(ALICE) && *key_id == alice_key)
    });
    all_on_link(&verdict, &commit_link(&alice_commit()));
    // The signature itself verified (the flags are covered by it).
    assert!(
        !reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::BadSignature { .. } | Reason::UnknownKey { .. })),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn staging_deployment_replayed_to_production_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.deployment.environment = "staging".into();
    let (verdict, _) = scenario.run();
    expect_failure(&verdict, "EnvironmentNotAllowed", |r| {
        matches!(r, Reason::EnvironmentNotAllowed { environment, allowed }
            if environment == "staging" && *allowed == ["production"])
    });
    // Everything else about it is genuine.
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    all_on_link(&verdict, "deployment staging/eu-1/shop/api");
}

#[test]
fn package_without_a_release_statement_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    let missing = Digest::sha256(b"a release statement nobody has");
    scenario.image.packages.push(ImagePackage {
        name: "left-pad".into(),
        version: "1.3.0".into(),
        release: missing,
    });
    let (verdict, _) = scenario.run();
    expect_failure(&verdict, "ReleaseMissing", |r| {
        matches!(r, Reason::ReleaseMissing { package, version, release }
            if package == "left-pad" && version == "1.3.0" && *release == missing)
    });
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    all_on_link(&verdict, "release left-pad 1.3.0");
}

#[test]
fn approval_signed_by_someone_else_proves_nothing() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Bob signs an approval that says Erin authorized.
    scenario.approval_mut(ApprovalRole::Authorize, ERIN).signers = vec![&world.bob];
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "NotProven authorizedBy",
        |r| matches!(r, Reason::NotProven { field: "authorizedBy", identity } if *identity == id(ERIN)),
    );
    all_on_link(&verdict, DEPLOYMENT_LINK);
    // Bob's signature is valid; it just is not Erin's.
    assert!(
        !reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::BadSignature { .. } | Reason::UnknownKey { .. })),
        "{}",
        verdict.render_text()
    );
    assert!(
        !verdict
            .trace()
            .signers
            .iter()
            .any(|s| s.capacity == "authorized by")
    );
}

#[test]
fn approval_by_an_approver_not_named_in_the_deployment_does_not_count() {
    let world = World::new();
    let mut scenario = world.scenario();
    // The deployment names Bob (a developer, no approver) as authorizer; Bob
    // approves, and Erin, whom the deployment does not name, approves too.
    scenario.deployment.authorized_by = vec![id(BOB)];
    scenario.approvals.push(ApprovalPlan {
        role: ApprovalRole::Authorize,
        identity: id(BOB),
        time: t(AUTHORIZED_AT),
        signers: vec![&world.bob],
    });
    let (verdict, _) = scenario.run();
    // The authorizer rule counts only people named in authorizedBy.
    expect_failure(
        &verdict,
        "Threshold of approvers",
        |r| matches!(r, Reason::Threshold { rule, have: 0, need: 1, .. } if rule.contains("approver")),
    );
    all_on_link(&verdict, DEPLOYMENT_LINK);
    assert!(
        !verdict
            .trace()
            .signers
            .iter()
            .any(|s| s.identity == id(ERIN) && s.capacity == "authorized by"),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn trigger_without_their_own_signature_is_not_proven() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario
        .approvals
        .retain(|a| a.role != ApprovalRole::Trigger);
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "NotProven triggeredBy",
        |r| matches!(r, Reason::NotProven { field: "triggeredBy", identity } if *identity == id(ALICE)),
    );
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
}

#[test]
fn deployment_signed_by_another_workload_does_not_prove_the_deployer() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.deployment_signers = vec![&world.build];
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "NotProven deployer",
        |r| matches!(r, Reason::NotProven { field: "deployer", identity } if *identity == id(DEPLOY)),
    );
    all_on_link(&verdict, DEPLOYMENT_LINK);
    // ci/build's signature verified; it is just not the deployer's.
    assert!(
        !reasons(&verdict)
            .iter()
            .any(|r| matches!(r, Reason::BadSignature { .. } | Reason::UnknownKey { .. })),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn legacy_commit_listed_in_policy_passes_without_a_signature() {
    let world = World::new();
    let mut scenario = world.scenario();
    let legacy: vouch_manifest::GitObjectId = LEGACY_COMMIT.parse().unwrap();
    assert!(
        scenario
            .policy
            .commit
            .as_mut()
            .unwrap()
            .legacy
            .commits
            .contains(&legacy)
    );
    scenario
        .release
        .commits
        .insert(0, vouch_manifest::CertifiedCommit::from(legacy.clone()));
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    let node = find_node(verdict.trace(), LEGACY_COMMIT).unwrap();
    assert!(node.signers.is_empty());
    assert!(node.note.as_deref().unwrap().contains("legacy"));
    assert!(
        verdict
            .render_text()
            .contains("legacy commit, exempt by policy")
    );

    // Without the exception the same bundle fails on exactly that commit.
    scenario
        .policy
        .commit
        .as_mut()
        .unwrap()
        .legacy
        .commits
        .clear();
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "CommitUnsigned legacy",
        |r| matches!(r, Reason::CommitUnsigned { commit } if *commit == legacy),
    );
    assert_eq!(verdict.failures().len(), 1);
}

// ---- rule combinators ----

fn leaf(roles: &str, threshold: u32) -> Rule {
    Rule::signers(
        vec![role(roles)],
        std::num::NonZeroU32::new(threshold).unwrap(),
        Vec::new(),
    )
    .unwrap()
}

#[test]
fn any_of_passes_when_one_branch_passes() {
    let world = World::new();
    let mut scenario = world.scenario();
    world.add_frank(&mut scenario.roster);
    assert!(matches!(
        scenario.policy.release.as_mut().unwrap().signers.view(),
        vouch_chain::RuleView::AnyOf(_)
    ));
    // The maintainer branch (the happy path) holds...
    assert!(scenario.run().0.passed());
    // ...and so does the security branch alone.
    scenario.release_signers = vec![&world.frank];
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
}

#[test]
fn any_of_fails_when_no_branch_passes() {
    let world = World::new();
    let mut scenario = world.scenario();
    world.add_frank(&mut scenario.roster);
    scenario.release_signers = vec![&world.carol];
    let (verdict, _) = scenario.run();
    // Both branches' reasons are reported.
    expect_failure(
        &verdict,
        "maintainer branch",
        |r| matches!(r, Reason::Threshold { rule, have: 1, need: 2, .. } if rule == "2 of role maintainer"),
    );
    expect_failure(
        &verdict,
        "security branch",
        |r| matches!(r, Reason::Threshold { rule, have: 0, need: 1, .. } if rule == "1 of role security"),
    );
    all_on_link(&verdict, RELEASE_LINK);
}

#[test]
fn all_of_fails_when_one_branch_fails() {
    let world = World::new();
    let mut scenario = world.scenario();
    world.add_frank(&mut scenario.roster);
    scenario.policy.release.as_mut().unwrap().signers =
        Rule::all_of(vec![leaf("maintainer", 2), leaf("security", 1)]).unwrap();
    // Two maintainers, no security officer.
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "security branch",
        |r| matches!(r, Reason::Threshold { rule, have: 0, need: 1, .. } if rule == "1 of role security"),
    );
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    // All three: both branches hold.
    scenario.release_signers = vec![&world.carol, &world.dave, &world.frank];
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
}

#[test]
fn empty_combinators_are_refused_when_the_policy_is_read() {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/policy.toml"
    ))
    .unwrap();
    assert!(Policy::from_toml(&base).is_ok());
    for (combinator, rule) in [("all_of", "{ all_of = [] }"), ("any_of", "{ any_of = [] }")] {
        let text = base.replacen(
            "signers = { roles = [\"builder\"], threshold = 1, hardware = [\"tpm-attested\"] }",
            &format!("signers = {rule}"),
            1,
        );
        assert_ne!(text, base);
        let err = Policy::from_toml(&text).unwrap_err();
        let cause = std::error::Error::source(&err)
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(cause.contains(combinator), "{combinator}: {err}: {cause}");
    }
    // The same in JSON.
    let json = br#"{"all_of": []}"#;
    assert!(serde_json::from_slice::<Rule>(json).is_err());
}

// ---- reporting ----

#[test]
fn every_failure_is_collected() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Three independent problems on three links.
    scenario.deployment.environment = "staging".into();
    demand_tpm(&mut scenario);
    key_mut(&mut scenario.roster, BUILD, world.build.public_key()).hardware = Vec::new();
    let ghost = commit_id("a commit nobody signed");
    scenario
        .release
        .commits
        .push(vouch_manifest::CertifiedCommit::from(ghost.clone()));
    let (verdict, _) = scenario.run();
    expect_failure(&verdict, "EnvironmentNotAllowed", |r| {
        matches!(r, Reason::EnvironmentNotAllowed { .. })
    });
    expect_failure(&verdict, "MissingHardware", |r| {
        matches!(
            r,
            Reason::MissingHardware {
                requirement: HardwareRequirement::TpmAttested,
                ..
            }
        )
    });
    expect_failure(
        &verdict,
        "CommitUnsigned",
        |r| matches!(r, Reason::CommitUnsigned { commit } if *commit == ghost),
    );
    let links: std::collections::BTreeSet<&str> = verdict.failures().iter().map(link).collect();
    assert_eq!(links.len(), 3, "{links:?}");
    let text = verdict.render_text();
    assert!(text.starts_with("verdict: FAIL"));
    assert!(
        text.contains(&format!("{} reason(s):", verdict.failures().len())),
        "{text}"
    );
}

#[test]
fn verdict_json_parses() {
    let world = World::new();
    let (verdict, built) = world.scenario().run();
    let json = verdict.to_json();
    assert!(json.contains("\"outcome\""));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["outcome"], "pass");
    assert_eq!(v["roster"]["version"], 1);
    assert_eq!(v["trace"]["kind"], "deployment");
    assert_eq!(v["trace"]["statement"], built.deployment.to_string());

    let mut scenario = world.scenario();
    scenario.deployment.environment = "staging".into();
    let (verdict, _) = scenario.run();
    let v: serde_json::Value = serde_json::from_str(&verdict.to_json()).unwrap();
    assert_eq!(v["outcome"], "fail");
    assert_eq!(
        v["failures"][0]["reason"]["kind"],
        "environment-not-allowed"
    );
    assert_eq!(v["failures"][0]["reason"]["environment"], "staging");
}

#[test]
fn verification_summary_is_signed_and_round_trips() {
    let world = World::new();
    let scenario = world.scenario();
    let (verdict, built) = scenario.run();
    assert_eq!(verdict.outcome(), Outcome::Pass);
    let vsa = verdict
        .signed_summary_at(
            &world.verifier,
            "https://deploy-gate.example.com",
            Some("registry.example.com/shop/api"),
            scenario.now,
        )
        .unwrap();
    let bytes = vsa.to_bytes().unwrap();
    let back = Signed::<VerificationSummary>::from_bytes(&bytes).unwrap();
    assert_eq!(back.digest(), vsa.digest());
    assert_eq!(
        peek_predicate_type(back.envelope().unverified_payload()).unwrap(),
        Some("https://slsa.dev/verification_summary/v1")
    );
    let key = world.verifier.public_key().clone();
    let verified = back
        .verify(|k| (*k == key.key_id()).then_some(&key))
        .unwrap();
    assert_eq!(
        verified.key_ids().collect::<Vec<_>>(),
        [world.verifier.key_id()]
    );
    let statement = *verified.value();
    assert_eq!(
        statement.predicate_type(),
        "https://slsa.dev/verification_summary/v1"
    );
    assert_eq!(statement.subjects()[0].digest.sha256, Some(built.image));
    let p = statement.predicate();
    assert_eq!(p.verification_result, "PASSED");
    assert_eq!(p.verified_levels, ["VOUCH_CHAIN_VERIFIED"]);
    assert_eq!(p.verifier.id, "https://deploy-gate.example.com");
    assert_eq!(p.policy.digest.sha256, Some(scenario.policy.digest()));
    let inputs: Vec<Digest> = p
        .input_attestations
        .iter()
        .filter_map(|a| a.digest.sha256)
        .collect();
    for d in [
        built.deployment,
        built.release,
        built.commits[0],
        built.commits[1],
    ] {
        assert!(inputs.contains(&d), "{d} missing from {inputs:?}");
    }
    // Deployment, image, release, two commits and the two approvals.
    assert_eq!(inputs.len(), 7, "{inputs:?}");
    assert_eq!(
        p.input_attestations
            .iter()
            .filter(|a| a.uri.starts_with("vouch:approval/"))
            .count(),
        2
    );
    // Another key does not verify it.
    let other = world.mallory.public_key().clone();
    assert!(
        back.verify(|k| (*k == other.key_id()).then_some(&other))
            .is_err()
    );

    // A failing verdict is summarized as FAILED, with no level.
    let mut failing = world.scenario();
    failing.deployment.environment = "staging".into();
    let (verdict, _) = failing.run();
    let vsa = verdict
        .signed_summary_at(
            &world.verifier,
            "https://deploy-gate.example.com",
            Some("registry.example.com/shop/api"),
            failing.now,
        )
        .unwrap();
    let back = Signed::<VerificationSummary>::from_bytes(&vsa.to_bytes().unwrap()).unwrap();
    let verified = back
        .verify(|k| (*k == key.key_id()).then_some(&key))
        .unwrap();
    assert_eq!(verified.value().predicate().verification_result, "FAILED");
    assert!(verified.value().predicate().verified_levels.is_empty());
}

#[test]
fn example_policy_parses() {
    let policy = example_policy();
    assert_eq!(
        policy.deployment.as_ref().unwrap().environments,
        ["production"]
    );
    assert!(
        policy
            .deployment
            .as_ref()
            .unwrap()
            .separate_trigger_and_authorizer
    );
    assert_eq!(
        policy.deployment.as_ref().unwrap().signers.to_string(),
        "1 of role deployer"
    );
    // The demo profile; the production one demands a TPM-attested builder.
    assert_eq!(policy.image.signers.to_string(), "1 of role builder");
    let production = Policy::from_toml(vouch_test_support::EXAMPLE_POLICY).unwrap();
    assert_eq!(
        production.image.signers.to_string(),
        "1 of role builder with tpm-attested"
    );
    assert_eq!(
        policy.release.as_ref().unwrap().signers.to_string(),
        "any of (2 of role maintainer; 1 of role security)"
    );
    assert!(policy.release.as_ref().unwrap().certifier_not_sole_author);
    assert_eq!(
        policy.commit.as_ref().unwrap().signers.to_string(),
        "1 of role developer|maintainer with user-presence"
    );
    assert_eq!(policy.commit.as_ref().unwrap().legacy.commits.len(), 1);
    // TOML and JSON read the same policy.
    let json = serde_json::to_vec(&policy).unwrap();
    assert_eq!(Policy::from_bytes(&json).unwrap(), policy);
}

// ---- more rules of the example policy ----

#[test]
fn maintainer_certifying_only_their_own_work_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Alice is also a maintainer, and certifies a release of only her commit.
    grant(&mut scenario.roster, "maintainer", ALICE, KEYS_FROM);
    scenario.release.commits = vec![vouch_manifest::CertifiedCommit::from(alice_commit())];
    scenario
        .image
        .source_commits
        .retain(|c| c.commit == alice_commit());
    scenario.release_signers = vec![&world.alice, &world.carol];
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "SelfCertified",
        |r| matches!(r, Reason::SelfCertified { commit, certifier } if *certifier == id(ALICE) && *commit == alice_commit()),
    );
    // The threshold itself (alice + carol) holds.
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    all_on_link(&verdict, RELEASE_LINK);
}

#[test]
fn stale_deployment_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Eight days after the deployment (max_age 7d); the image (30d) is still fresh.
    scenario.now = t("2026-12-02T12:00:00Z");
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "TooOld",
        |r| matches!(r, Reason::TooOld { at, max_age } if *at == t(DEPLOYED_AT) && max_age == "7d"),
    );
    all_on_link(&verdict, DEPLOYMENT_LINK);
    assert!(
        reasons(&verdict)
            .iter()
            .all(|r| matches!(r, Reason::TooOld { .. })),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn deployment_from_the_future_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.now = t("2026-11-24T09:00:00Z");
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "FromTheFuture",
        |r| matches!(r, Reason::FromTheFuture { at } if *at == t(DEPLOYED_AT)),
    );
    all_on_link(&verdict, DEPLOYMENT_LINK);
}

// ---- bundles of realistic size ----

#[test]
fn bundle_with_envelopes_over_4_kib_round_trips() {
    // Regression: byte strings longer than ciborium's 4 KiB scratch buffer
    // were refused when a bundle file was read.
    let mut bundle = vouch_chain::Bundle::new();
    for len in [0, 4095, 4096, 4097, 100_000] {
        bundle.add_envelope((0..len).map(|i| (i % 251) as u8).collect());
    }
    bundle.add_commit_object(vec![b'x'; 10_000]);
    let bytes = bundle.to_bytes().unwrap();
    assert_eq!(vouch_chain::Bundle::from_bytes(&bytes).unwrap(), bundle);
}

#[test]
fn release_with_a_large_sbom_passes() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.release.dependencies = (0..300)
        .map(|i| vouch_manifest::Dependency {
            name: format!("component-{i:03}"),
            version: Some(format!("1.0.{i}")),
            purl: Some(format!("pkg:cargo/component-{i:03}@1.0.{i}")),
            digest: Some(Digest::sha256(format!("component {i}").as_bytes())),
        })
        .collect();
    let (verdict, built) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
    let release = built
        .bundle
        .envelopes()
        .iter()
        .find(|e| Signed::<vouch_manifest::Release>::from_bytes(e).is_ok())
        .unwrap();
    assert!(release.len() > 16 * 1024, "{}", release.len());
}

#[test]
fn envelope_to_be_signed_is_what_each_signature_covers() {
    // `Sign::to_be_signed` (used by the chain bench's floor) yields the
    // bytes `verify_each` checks: the FIDO and plain signatures verify over
    // it with `PublicKey::verify` alone.
    let world = World::new();
    let built = world.scenario().build();
    let keys = [
        world.alice.public_key().clone(),
        world.carol.public_key().clone(),
        world.dave.public_key().clone(),
    ];
    let mut checked = 0;
    for bytes in built.bundle.envelopes() {
        let envelope = vouch_core::cose::Sign::from_bytes(bytes).unwrap();
        let (ok, _) = envelope.verify_each(|k| keys.iter().find(|p| p.key_id() == *k));
        let Some(ok) = ok else { continue };
        for (index, signer) in ok.signers().iter().enumerate() {
            let key = keys.iter().find(|p| p.key_id() == signer.key_id()).unwrap();
            let tbs = envelope.to_be_signed(index).unwrap();
            key.verify(&tbs, signer.signature()).unwrap();
            let mut tampered = tbs.clone();
            *tampered.last_mut().unwrap() ^= 1;
            assert!(key.verify(&tampered, signer.signature()).is_err());
            checked += 1;
        }
        assert!(envelope.to_be_signed(envelope.signature_count()).is_none());
    }
    // Alice's commit and trigger approval, Carol's and Dave's certification.
    assert_eq!(checked, 4);
}
