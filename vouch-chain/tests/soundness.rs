//! A PASS must be earned: one test per rule of the soundness issue, each
//! an attack that used to pass, asserting the reason it is now refused
//! for, with its party; and the honest variants that must keep passing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::{Outcome, Placement, Reason, Rule, Target, Verdict};
use vouch_core::{Algorithm, AuthenticatorFlags, Digest, Evidence, FidoAssertion, Signer as _};
use vouch_manifest::{
    ApprovalRole, Commit, GitObjectId, GitPerson, Grandfathered, ManifestError, RevocationReason,
    RosterError, Signed, Statement,
};

fn run(s: &Scenario<'_>) -> Verdict {
    s.run().0
}

fn leaf(r: &str, threshold: u32) -> Rule {
    Rule::signers(
        vec![role(r)],
        std::num::NonZeroU32::new(threshold).unwrap(),
        Vec::new(),
    )
    .unwrap()
}

// ---- 1. attribution: the author is the signer ----

#[test]
fn a_commit_by_alice_signed_by_bob_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Bob is a developer in the roster; the commit's author is Alice.
    let plan = scenario.commit_mut(&alice_commit());
    plan.signers = vec![&world.bob];
    plan.commit.signer = id(BOB);
    let verdict = run(&scenario);
    let f = expect_failure(&verdict, "AuthorNotSigner", |r| {
        matches!(r, Reason::AuthorNotSigner { commit, author, signers }
            if *commit == alice_commit() && *author == id(ALICE) && *signers == [id(BOB)])
    });
    assert!(
        f.to_string()
            .contains("authored by person:alice@example.com but signed by person:bob@example.com"),
        "{f}"
    );
    all_on_link(&verdict, &format!("commit {}", alice_commit()));
    // The trace shows author, committer and signer.
    let node = find_node(verdict.trace(), alice_commit().as_str()).unwrap();
    assert_eq!(node.people[0].capacity, "author");
    assert_eq!(node.people[0].identity, Some(id(ALICE)));
    assert!(!node.people[0].signed);
    assert_eq!(node.people[1].capacity, "committer");
    assert_eq!(node.signers[0].identity, id(BOB));
}

#[test]
fn an_author_outside_the_roster_is_refused_by_default() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.commit_mut(&alice_commit()).commit.author.email = "alice@evil.example".into();
    let verdict = run(&scenario);
    expect_failure(&verdict, "AuthorNotInRoster", |r| {
        matches!(r, Reason::AuthorNotInRoster { commit, email }
            if *commit == alice_commit() && email == "alice@evil.example")
    });
}

#[test]
fn emails_match_with_a_case_insensitive_domain_only() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.commit_mut(&alice_commit()).commit.author.email = "alice@EXAMPLE.Com".into();
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    // The local part is exact: Alice@ is somebody else.
    scenario.commit_mut(&alice_commit()).commit.author.email = "Alice@example.com".into();
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "AuthorNotInRoster",
        |r| matches!(r, Reason::AuthorNotInRoster { email, .. } if email == "Alice@example.com"),
    );
}

#[test]
fn committer_attribution_accepts_the_committer_and_names_both() {
    let world = World::new();
    let mut scenario = world.scenario();
    // An outside contributor's patch, applied and signed by Bob.
    let plan = scenario.commit_mut(&bob_commit());
    plan.commit.author = GitPerson {
        name: "Olga".into(),
        email: "olga@outside.example".into(),
        time: t(BOB_COMMIT_AT),
    };
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "AuthorNotInRoster",
        |r| matches!(r, Reason::AuthorNotInRoster { email, .. } if email == "olga@outside.example"),
    );

    scenario.policy.commit.as_mut().unwrap().attribution =
        vouch_chain::policy::Attribution::Committer;
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    let node = find_node(verdict.trace(), bob_commit().as_str()).unwrap();
    assert_eq!(node.people[0].identity, None);
    assert_eq!(node.people[1].identity, Some(id(BOB)));
    assert!(node.people[1].signed);
    assert!(node.note.as_deref().unwrap().contains("unverified"));
    let text = verdict.render_text();
    assert!(
        text.contains("author Olga <olga@outside.example> = not in the roster (unverified)"),
        "{text}"
    );

    // Under committer attribution, a third person's signature still attributes nothing.
    scenario.commit_mut(&bob_commit()).signers = vec![&world.alice];
    scenario.commit_mut(&bob_commit()).commit.signer = id(ALICE);
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "NotAttributed",
        |r| matches!(r, Reason::NotAttributed { signers, .. } if *signers == [id(ALICE)]),
    );
}

#[test]
fn an_authors_attestation_over_a_commit_object_signed_by_the_committer_counts() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Bob applies Alice's patch: Alice is the author, Bob the committer
    // who signs the object.
    let mut plan = ObjectPlan::new(
        ("Alice", "alice@example.com"),
        ALICE_COMMIT_AT,
        "add the checkout endpoint",
        Some(&world.bob),
    );
    plan.committer = ("Bob", "bob@example.com");
    let (oid, raw) = plan.build();
    scenario.use_object_for_alice(&oid, raw);
    let verdict = run(&scenario);
    expect_failure(&verdict, "AuthorNotSigner", |r| {
        matches!(r, Reason::AuthorNotSigner { commit, author, signers }
            if *commit == oid && *author == id(ALICE) && *signers == [id(BOB)])
    });

    // Alice's own attestation over that commit id attributes it to her.
    let attestation = Commit {
        repository: REPOSITORY.into(),
        commit_id: oid.clone(),
        tree_id: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".parse().unwrap(),
        parents: vec![],
        author: GitPerson {
            name: "Alice".into(),
            email: "alice@example.com".into(),
            time: t(ALICE_COMMIT_AT),
        },
        committer: GitPerson {
            name: "Bob".into(),
            email: "bob@example.com".into(),
            time: t(ALICE_COMMIT_AT),
        },
        signer: id(ALICE),
    };
    scenario.commits.push(CommitPlan {
        commit: attestation.clone(),
        signers: vec![&world.alice],
    });
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    let node = find_node(verdict.trace(), oid.as_str()).unwrap();
    assert!(node.people.iter().all(|p| p.signed), "{:?}", node.people);

    // An attestation that tells another story than the object is refused.
    let last = scenario.commits.last_mut().unwrap();
    last.commit.author.name = "Alice Liddell".into();
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "AttestationDisagrees",
        |r| matches!(r, Reason::AttestationDisagrees { commit, field: "author", .. } if *commit == oid),
    );
}

// ---- 2. coverage: nothing reaches production uncertified ----

#[test]
fn an_image_source_commit_certified_by_no_release_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    let extra = commit(
        "bob: a hotfix nobody certified",
        Some("bob: validate cart totals"),
        BOB,
        BOB_COMMIT_AT,
    );
    let extra_id = extra.commit_id.clone();
    scenario.commits.push(CommitPlan {
        commit: extra,
        signers: vec![&world.bob],
    });
    scenario
        .image
        .source_commits
        .push(vouch_manifest::SourceCommit {
            repository: REPOSITORY.into(),
            commit: extra_id.clone(),
        });
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "SourceCommitUncertified",
        |r| matches!(r, Reason::SourceCommitUncertified { commit } if *commit == extra_id),
    );
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    // An explicit exception lets it through.
    scenario
        .policy
        .commit
        .as_mut()
        .unwrap()
        .legacy
        .commits
        .push(extra_id);
    assert!(run(&scenario).passed());
}

#[test]
fn an_image_with_no_release_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.omit_release_package = true;
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "NoRelease",
        |r| matches!(r, Reason::NoRelease { image } if *image == image_digest()),
    );
    // Its source commits are certified by nothing either.
    expect_failure(&verdict, "SourceCommitUncertified", |r| {
        matches!(r, Reason::SourceCommitUncertified { .. })
    });
}

#[test]
fn an_empty_image_is_refused_unless_the_policy_allows_it() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.omit_release_package = true;
    scenario.image.source_commits.clear();
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "EmptyImage",
        |r| matches!(r, Reason::EmptyImage { image } if *image == image_digest()),
    );
    expect_failure(&verdict, "NoRelease", |r| {
        matches!(r, Reason::NoRelease { .. })
    });
    // A policy with no release stage that allows empty images passes it.
    scenario.policy.release = None;
    let verdict = run(&scenario);
    expect_failure(&verdict, "EmptyImage", |r| {
        matches!(r, Reason::EmptyImage { .. })
    });
    scenario.policy.image.allow_empty = true;
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert_eq!(verdict.stages(), ["deployment", "image", "commit"]);
}

#[test]
fn a_package_name_or_version_other_than_the_releases_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.package_as = Some(("shop-api".into(), "9.9.9".into()));
    let (verdict, built) = scenario.run();
    expect_failure(&verdict, "PackageMismatch", |r| {
        matches!(r, Reason::PackageMismatch { release, image_says, release_says }
            if *release == built.release && image_says == "shop-api 9.9.9" && release_says == "shop-api 1.4.0")
    });
}

/// An unsigned commit object by Mallory.
fn unsigned(message: &str, parents: Vec<GitObjectId>) -> (GitObjectId, Vec<u8>) {
    let mut plan = ObjectPlan::new(
        ("Mallory", "mallory@example.com"),
        BOB_COMMIT_AT,
        message,
        None,
    );
    plan.parents = parents;
    plan.build()
}

#[test]
fn a_signed_merge_of_an_unsigned_commit_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    let (x, x_raw) = unsigned("sneak in a backdoor", vec![]);
    // Alice signs a merge of Bob's commit and Mallory's unsigned one.
    let mut merge = ObjectPlan::new(
        ("Alice", "alice@example.com"),
        "2026-11-03T09:00:00Z",
        "Merge branch 'feature'",
        Some(&world.alice),
    );
    merge.parents = vec![bob_commit(), x.clone()];
    let (m, m_raw) = merge.build();
    scenario
        .release
        .commits
        .push(vouch_manifest::CertifiedCommit::from(m.clone()));
    scenario
        .image
        .source_commits
        .push(vouch_manifest::SourceCommit {
            repository: REPOSITORY.into(),
            commit: m.clone(),
        });
    scenario.extra_objects = vec![m_raw, x_raw];
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "UncertifiedAncestor",
        |r| matches!(r, Reason::UncertifiedAncestor { commit, parent } if *commit == m && *parent == x),
    );
    assert_eq!(verdict.failures().len(), 1, "{}", verdict.render_text());
    // Certifying the unsigned parent does not help: it must be signed.
    scenario
        .release
        .commits
        .push(vouch_manifest::CertifiedCommit::from(x.clone()));
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "CommitUnsigned",
        |r| matches!(r, Reason::CommitUnsigned { commit } if *commit == x),
    );
}

#[test]
fn a_signed_head_on_an_unsigned_ancestor_is_refused_unless_past_the_cutover() {
    let world = World::new();
    let mut scenario = world.scenario();
    let (x, x_raw) = unsigned("old history", vec![]);
    let (y, y_raw) = unsigned("more old history", vec![x.clone()]);
    // Alice's commit now sits on top of the unsigned X.
    scenario.commit_mut(&alice_commit()).commit.parents = vec![x.clone()];
    scenario.extra_objects = vec![x_raw, y_raw];
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "UncertifiedAncestor",
        |r| matches!(r, Reason::UncertifiedAncestor { commit, parent } if *commit == alice_commit() && *parent == x),
    );
    // A cut-over commit whose ancestors (by the objects in the bundle)
    // include X exempts it: history from before signing was required.
    scenario.policy.commit.as_mut().unwrap().legacy.cutover = Some(y.clone());
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    // A cut-over that X is not an ancestor of exempts nothing.
    let (z, z_raw) = unsigned("unrelated", vec![]);
    scenario.extra_objects.push(z_raw);
    scenario.policy.commit.as_mut().unwrap().legacy.cutover = Some(z);
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "UncertifiedAncestor",
        |r| matches!(r, Reason::UncertifiedAncestor { parent, .. } if *parent == x),
    );
}

#[test]
fn history_is_bounded_by_the_previous_release() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Release 1.3.0 certified Alice's commit; 1.4.0 certifies Bob's, built on it.
    let mut previous = scenario.release.clone();
    previous.version = "1.3.0".into();
    previous.purl = None;
    previous.commits = vec![vouch_manifest::CertifiedCommit::from(alice_commit())];
    previous.released_at = t("2026-11-05T12:00:00Z");
    let prev = sign_all(
        &Statement::from_predicate(previous).unwrap(),
        &[&world.carol, &world.dave],
    );
    scenario.release.commits = vec![vouch_manifest::CertifiedCommit::from(bob_commit())];
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "UncertifiedAncestor",
        |r| matches!(r, Reason::UncertifiedAncestor { commit, parent } if *commit == bob_commit() && *parent == alice_commit()),
    );

    scenario.release.previous = Some(prev.digest());
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "PreviousReleaseMissing",
        |r| matches!(r, Reason::PreviousReleaseMissing { release } if *release == prev.digest()),
    );
    scenario.extra_envelopes.push(prev.to_bytes().unwrap());
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(find_node(verdict.trace(), "shop-api 1.3.0 (previous)").is_some());

    // The previous release must itself be certified.
    let weak = sign_all(
        &Statement::from_predicate(prev.unverified().predicate().clone()).unwrap(),
        &[&world.carol],
    );
    scenario.extra_envelopes = vec![weak.to_bytes().unwrap()];
    let verdict = run(&scenario);
    expect_failure(&verdict, "Threshold on the previous release", |r| {
        matches!(
            r,
            Reason::Threshold {
                have: 1,
                need: 2,
                ..
            }
        )
    });
}

// ---- 3. subject binding ----

#[test]
fn an_image_statement_whose_subject_is_another_image_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    // The builder signs a statement about the honest image, with the
    // subject of an image nobody built; the deployment runs the latter.
    let evil = Digest::sha256(b"an image nobody built");
    scenario.image_subject = Some(evil);
    scenario.deployment.image = evil;
    let verdict = run(&scenario);
    let f = expect_failure(
        &verdict,
        "StatementUnreadable",
        |r| matches!(r, Reason::StatementUnreadable { error, .. } if error.contains("subject")),
    );
    assert!(f.to_string().contains("image manifest digest"), "{f}");
    // Statement::new refuses to make such a statement in the first place.
    let mut image = scenario.image.clone();
    image.packages.clear();
    let wrong = vec![vouch_manifest::Subject::sha256("x", evil)];
    assert!(matches!(
        Statement::new(wrong, image),
        Err(ManifestError::SubjectBinding { .. })
    ));
}

#[test]
fn statements_not_reached_are_counted_not_decoded() {
    let world = World::new();
    let mut scenario = world.scenario();
    // An attestation of a commit nobody names, and bytes that are no envelope.
    let stray = sign_all(
        &Statement::from_predicate(commit("stray", None, BOB, BOB_COMMIT_AT)).unwrap(),
        &[&world.bob],
    );
    scenario.extra_envelopes = vec![stray.to_bytes().unwrap(), b"not an envelope".to_vec()];
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    let counts = verdict.bundle_counts();
    assert_eq!(counts.ignored, 1, "{counts:?}");
    assert_eq!(counts.unreadable, 1, "{counts:?}");
    // Commits, release, image, deployment, two approvals.
    assert_eq!(counts.decoded, 7, "{counts:?}");
}

// ---- 4. what the target is, and where it runs ----

#[test]
fn a_deployment_for_somewhere_else_is_refused_when_replayed_here() {
    let world = World::new();
    let scenario = world.scenario();
    let built = scenario.build();
    let verifier = scenario.verifier();
    let target = Target::Deployment(built.deployment);
    let here = |environment: Option<&str>, cluster: Option<&str>| Placement {
        environment: environment.map(Into::into),
        cluster: cluster.map(Into::into),
        namespace: Some("shop".into()),
        service: Some("api".into()),
    };
    let ok = verifier.verify_placed(
        &built.bundle,
        &target,
        &here(Some("production"), Some("eu-1")),
        scenario.now,
    );
    assert!(ok.passed(), "{}", ok.render_text());
    let v = verifier.verify_placed(
        &built.bundle,
        &target,
        &here(Some("staging"), None),
        scenario.now,
    );
    expect_failure(&v, "WrongPlacement environment", |r| {
        matches!(r, Reason::WrongPlacement { field: "environment", expected, found }
            if expected == "staging" && found == "production")
    });
    let v = verifier.verify_placed(
        &built.bundle,
        &target,
        &here(None, Some("us-2")),
        scenario.now,
    );
    expect_failure(&v, "WrongPlacement cluster", |r| {
        matches!(
            r,
            Reason::WrongPlacement {
                field: "cluster",
                ..
            }
        )
    });
}

#[test]
fn a_signed_summary_binds_the_whole_question() {
    let world = World::new();
    let scenario = world.scenario();
    let (prod, built) = scenario.run();
    let summary = |v: &Verdict| {
        v.summary("https://gate.example.com", None, scenario.now)
            .unwrap()
    };
    let p = summary(&prod);
    let q = &p.predicate().vouch;
    assert_eq!(q.target_kind, "deployment");
    assert_eq!(q.target_digest, built.deployment);
    assert_eq!(q.image, built.image);
    assert_eq!(q.environment.as_deref(), Some("production"));
    assert_eq!(q.cluster.as_deref(), Some("eu-1"));
    assert_eq!(q.stages, ["deployment", "image", "release", "commit"]);
    assert_eq!(q.roster_version, 1);
    assert!(q.roster_pinned);
    assert_eq!(p.subjects()[0].digest.sha256, Some(built.image));

    // A staging deployment of the same image has another summary.
    let mut staging = world.scenario();
    staging.deployment.environment = "staging".into();
    staging.policy.deployment.as_mut().unwrap().environments = vec!["staging".into()];
    let s = summary(&staging.run().0);
    assert_eq!(s.predicate().vouch.environment.as_deref(), Some("staging"));
    assert_ne!(s.predicate().vouch, p.predicate().vouch);

    // An image target (where the policy allows one) says so.
    let mut images = world.scenario();
    images.policy.image.allow_as_target = true;
    let v = images
        .verifier()
        .verify(&built.bundle, &Target::Image(built.image), images.now);
    assert!(v.passed(), "{}", v.render_text());
    let i = summary(&v);
    assert_eq!(i.predicate().vouch.target_kind, "image");
    assert_eq!(i.predicate().vouch.environment, None);
    assert_ne!(i.predicate().policy.digest, p.predicate().policy.digest);

    // An evaluation for another time is not signed as if it were now.
    let later = t("2026-12-01T12:00:00Z");
    assert!(matches!(
        prod.summary("https://gate.example.com", None, later),
        Err(vouch_chain::ChainError::SummaryTime { .. })
    ));
}

// ---- 5. time that a signer writes is a claim ----

#[test]
fn an_approval_by_a_superseded_key_dated_before_the_revocation_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Superseded at noon on deployment day, after the trigger approval's
    // claimed 10:01: the claim alone does not keep the old key valid.
    world.rotate_alice(
        &mut scenario.roster,
        "2026-11-24T12:00:00Z",
        RevocationReason::Superseded,
    );
    // Her commit (made long before) is grandfathered by the roster.
    key_mut(&mut scenario.roster, ALICE, world.alice.public_key()).grandfathered =
        Some(Grandfathered {
            statements: vec![],
            commits: vec![alice_commit()],
        });
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "KeyEnded on the approval",
        |r| matches!(r, Reason::KeyEnded { identity, at, .. } if *identity == id(ALICE) && *at == t(TRIGGERED_AT)),
    );
    all_on_link(&verdict, "deployment production/eu-1/shop/api");
}

#[test]
fn a_release_by_a_retired_maintainer_key_dated_inside_its_window_is_refused() {
    let world = World::new();
    let mut scenario = world.scenario();
    key_mut(&mut scenario.roster, CAROL, world.carol.public_key()).revoked =
        Some(vouch_manifest::Revocation {
            at: t("2026-11-20T00:00:00Z"),
            reason: RevocationReason::Retired,
        });
    let verdict = run(&scenario);
    expect_failure(&verdict, "KeyEnded", |r| {
        matches!(r, Reason::KeyEnded { identity, ended_at, .. }
            if *identity == id(CAROL) && *ended_at == t("2026-11-20T00:00:00Z"))
    });
    expect_failure(&verdict, "Threshold", |r| {
        matches!(
            r,
            Reason::Threshold {
                have: 1,
                need: 2,
                ..
            }
        )
    });
}

#[test]
fn claimed_times_must_be_in_order() {
    let world = World::new();
    // A release dated before a commit it certifies.
    let mut s = world.scenario();
    s.release.released_at = t("2026-11-01T12:00:00Z");
    let v = run(&s);
    expect_failure(&v, "OutOfOrder release", |r| {
        matches!(r, Reason::OutOfOrder { what, before, .. }
            if what == "release shop-api 1.4.0" && *before == format!("commit {}", bob_commit()))
    });
    // An image built before its release.
    let mut s = world.scenario();
    s.image.started_at = t("2026-11-05T08:00:00Z");
    s.image.finished_at = t("2026-11-05T08:30:00Z");
    let v = run(&s);
    expect_failure(
        &v,
        "OutOfOrder image",
        |r| matches!(r, Reason::OutOfOrder { what, .. } if what == "the image build"),
    );
    // A deployment before its image.
    let mut s = world.scenario();
    s.deployment.time = t("2026-11-19T10:00:00Z");
    let v = run(&s);
    expect_failure(
        &v,
        "OutOfOrder deployment",
        |r| matches!(r, Reason::OutOfOrder { what, .. } if what == "the deployment"),
    );
    // An approval before the deployment it approves.
    let mut s = world.scenario();
    s.approval_mut(ApprovalRole::Trigger, ALICE).time = t("2026-11-24T09:00:00Z");
    let v = run(&s);
    expect_failure(
        &v,
        "OutOfOrder approval",
        |r| matches!(r, Reason::OutOfOrder { what, .. } if what == "the approval by person:alice@example.com"),
    );
    // Honest clocks differ a little: two minutes early is within the skew.
    let mut s = world.scenario();
    s.approval_mut(ApprovalRole::Trigger, ALICE).time = t("2026-11-24T09:58:00Z");
    let v = run(&s);
    assert!(v.passed(), "{}", v.render_text());
    // Times are shown as claims, with who claimed them.
    let text = v.render_text();
    assert!(
        text.contains("(claimed by person:carol@example.com, person:dave@example.com)"),
        "{text}"
    );
}

#[test]
fn a_role_granted_later_does_not_validate_an_earlier_signature() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Dave becomes a maintainer on 2026-11-15, after the release he certified.
    let dave = id(DAVE);
    for g in scenario.roster.roles.get_mut(&role("maintainer")).unwrap() {
        if g.identity == dave {
            g.valid_from = t("2026-11-15T00:00:00Z");
        }
    }
    let verdict = run(&scenario);
    let f = expect_failure(
        &verdict,
        "Threshold naming Dave",
        |r| matches!(r, Reason::Threshold { have: 1, need: 2, without_role, .. } if *without_role == [id(DAVE)]),
    );
    assert!(
        f.to_string()
            .contains("signed without the role at signing time: person:dave@example.com"),
        "{f}"
    );
}

// ---- 7. hardware evidence belongs to hardware keys ----

/// A plain Ed25519 key that attaches FIDO authenticator data to its
/// signatures, as malware with a stolen file key would.
struct FakeFido {
    key: ed25519_dalek::SigningKey,
    public: vouch_core::PublicKey,
}

impl vouch_core::Signer for FakeFido {
    fn public_key(&self) -> &vouch_core::PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> Result<vouch_core::Signature, vouch_core::SignError> {
        use ed25519_dalek::Signer as _;
        let assertion = FidoAssertion::new(
            "ssh:",
            AuthenticatorFlags(
                AuthenticatorFlags::USER_PRESENT | AuthenticatorFlags::USER_VERIFIED,
            ),
            7,
        );
        let value = self.key.sign(&assertion.signed_data(message)).to_bytes();
        Ok(vouch_core::Signature::new(Algorithm::Ed25519, &value)
            .unwrap()
            .with_evidence(Evidence::Fido(assertion)))
    }
}

#[test]
fn fido_evidence_on_a_plain_key_is_a_bad_signature() {
    let world = World::new();
    let mut scenario = world.scenario();
    let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let public = vouch_core::PublicKey::ed25519(&key.verifying_key().to_bytes()).unwrap();
    let fake = FakeFido {
        key,
        public: public.clone(),
    };
    // Bob's roster key is this plain key.
    key_mut(&mut scenario.roster, BOB, world.bob.public_key()).key = public.clone();
    scenario.commit_mut(&bob_commit()).signers = vec![&fake];
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "BadSignature (evidence on a plain key)",
        |r| matches!(r, Reason::BadSignature { key_id: Some(k), cause } if *k == public.key_id() && cause.contains("FIDO")),
    );
}

#[test]
fn one_key_cannot_be_enrolled_twice_under_two_key_types() {
    let world = World::new();
    let mut roster = world.roster();
    // Alice's FIDO key's point, enrolled again as a plain key for Erin.
    let point = world.alice.public_key().point_bytes();
    let plain = vouch_core::PublicKey::ed25519(&point).unwrap();
    identity_mut(&mut roster, ERIN)
        .keys
        .push(vouch_manifest::RosterKey::new(plain, t(KEYS_FROM)));
    assert!(matches!(
        Statement::from_predicate(roster),
        Err(ManifestError::Roster(RosterError::KeyMaterialReused { .. }))
    ));
}

// ---- 8. separation of duties counts proven people ----

#[test]
fn look_alike_identities_are_refused_by_the_roster() {
    let world = World::new();
    for twin in ["person:Bob@example.com", "person:\u{430}lice@example.com"] {
        let mut roster = world.roster();
        let mut copy = identity_mut(&mut roster, CAROL).clone();
        copy.id = twin.parse().unwrap();
        copy.keys = vec![vouch_manifest::RosterKey::new(
            world.mallory.public_key().clone(),
            t(KEYS_FROM),
        )];
        copy.proofs.clear();
        roster.identities.push(copy);
        let err = Statement::from_predicate(roster).unwrap_err();
        assert!(
            matches!(
                err,
                ManifestError::Roster(RosterError::ConfusableIdentities { .. })
            ),
            "{twin}: {err}"
        );
    }
}

#[test]
fn one_identity_meets_one_leg_of_an_all_of() {
    let world = World::new();
    let mut scenario = world.scenario();
    world.add_frank(&mut scenario.roster);
    // Carol holds both roles; only Carol and Dave certify.
    grant(&mut scenario.roster, "security", CAROL, KEYS_FROM);
    scenario.policy.release.as_mut().unwrap().signers =
        Rule::all_of(vec![leaf("maintainer", 1), leaf("security", 1)]).unwrap();
    scenario.release_signers = vec![&world.carol];
    let verdict = run(&scenario);
    expect_failure(&verdict, "NotDistinct", |r| {
        matches!(r, Reason::NotDistinct { .. })
    });
    // Two people, one per leg, pass.
    scenario.release_signers = vec![&world.carol, &world.dave];
    assert!(run(&scenario).passed());
    // A policy that says one identity may count twice.
    scenario.release_signers = vec![&world.carol];
    scenario.policy.release.as_mut().unwrap().signers =
        Rule::all_of_with(vec![leaf("maintainer", 1), leaf("security", 1)], false).unwrap();
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
}

#[test]
fn nobody_certifies_their_own_code_alone_whatever_the_padding() {
    let world = World::new();
    let mut scenario = world.scenario();
    grant(&mut scenario.roster, "maintainer", ALICE, KEYS_FROM);
    // Alice and Carol certify; Bob co-signs an attestation of Alice's
    // commit, and Bob's own commit pads the release.
    scenario.commit_mut(&alice_commit()).signers = vec![&world.alice, &world.bob];
    scenario.release_signers = vec![&world.alice, &world.carol];
    let verdict = run(&scenario);
    let f = expect_failure(
        &verdict,
        "SelfCertified",
        |r| matches!(r, Reason::SelfCertified { commit, certifier } if *commit == alice_commit() && *certifier == id(ALICE)),
    );
    assert!(f.to_string().contains(alice_commit().as_str()));
    // Bob's commit is certified by two people other than Bob: fine.
    assert!(!verdict.failures().iter().any(
        |f| matches!(&f.reason, Reason::SelfCertified { commit, .. } if *commit == bob_commit())
    ));
    // With a third certifier, Alice's commit has two others.
    scenario.release_signers = vec![&world.alice, &world.carol, &world.dave];
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
}

// ---- 9. conflicts and reasons ----

#[test]
fn two_image_statements_that_disagree_are_a_conflict() {
    let world = World::new();
    let mut scenario = world.scenario();
    let built = scenario.build();
    // A second builder-signed statement for the same image, naming no release.
    let mut other = scenario.image.clone();
    other.invocation_id = "build-4712".into();
    other.packages.clear();
    let second = sign_all(&Statement::from_predicate(other).unwrap(), &[&world.build]);
    scenario.extra_envelopes.push(second.to_bytes().unwrap());
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "Conflict",
        |r| matches!(r, Reason::Conflict { second: s, .. } if *s == second.digest()),
    );
    let _ = built;
}

// ---- junk in the bundle: what no roster key signed counts for nothing ----

/// Anyone who can add to a bundle (push access to a registry's referrers)
/// can add counterfeit statements; beside the signed ones they are ignored
/// and listed, never a reason to refuse a valid chain.
#[test]
fn a_counterfeit_image_statement_by_a_stranger_is_ignored() {
    let world = World::new();
    let mut scenario = world.scenario();
    let mut other = scenario.image.clone();
    other.invocation_id = "build-4712".into();
    other.packages.clear();
    let junk = sign_all(
        &Statement::from_predicate(other).unwrap(),
        &[&world.mallory],
    );
    scenario.extra_envelopes.push(junk.to_bytes().unwrap());
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    let image = &verdict.trace().children[0];
    assert_eq!(image.kind, vouch_chain::LinkKind::Image);
    assert!(
        image.ignored.iter().any(
            |r| matches!(r, Reason::NoRosterSignature { statement } if *statement == junk.digest())
        ),
        "{}",
        verdict.render_text()
    );
    assert!(verdict.render_text().contains("ignored: statement"));
}

#[test]
fn counterfeit_commit_statements_by_strangers_are_ignored() {
    let world = World::new();
    let mut scenario = world.scenario();
    // The same commit id, another tree: a conflict if anyone accountable said it.
    let mut counterfeit = scenario.commit_mut(&alice_commit()).commit.clone();
    counterfeit.tree_id = commit_id("another tree");
    let other_stranger = vouch_keys::FileKey::generate(vouch_core::Algorithm::Es256).unwrap();
    for stranger in [&world.mallory, &other_stranger] {
        let junk = sign_all(
            &Statement::from_predicate(counterfeit.clone()).unwrap(),
            &[stranger],
        );
        scenario.extra_envelopes.push(junk.to_bytes().unwrap());
    }
    // And bytes that are no statement at all.
    scenario.extra_envelopes.push(b"not an envelope".to_vec());
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
}

#[test]
fn a_stranger_cosigning_the_deployment_is_ignored() {
    let world = World::new();
    let scenario = world.scenario();
    let built = scenario.build();
    let mut bundle = vouch_chain::Bundle::new();
    for e in built.bundle.envelopes() {
        bundle.add_envelope(e.clone());
        if let Ok(signed) = Signed::<vouch_manifest::Deployment>::from_bytes(e) {
            // The same statement, in another envelope, by a key no roster knows.
            let extra = sign_all(signed.unverified(), &[&world.mallory]);
            bundle.add_envelope(extra.to_bytes().unwrap());
        }
    }
    let verdict =
        scenario
            .verifier()
            .verify(&bundle, &Target::Deployment(built.deployment), scenario.now);
    assert!(verdict.passed(), "{}", verdict.render_text());
    assert!(
        verdict.trace().ignored.iter().any(
            |r| matches!(r, Reason::UnknownKey { key_id } if *key_id == world.mallory.key_id())
        ),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn a_counterfeit_signed_by_a_roster_key_is_still_a_conflict() {
    let world = World::new();
    let mut scenario = world.scenario();
    let mut counterfeit = scenario.commit_mut(&alice_commit()).commit.clone();
    counterfeit.tree_id = commit_id("another tree");
    // Bob is in the roster: accountable, so what he says counts.
    let signed = sign_all(
        &Statement::from_predicate(counterfeit).unwrap(),
        &[&world.bob],
    );
    scenario.extra_envelopes.push(signed.to_bytes().unwrap());
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "Conflict",
        |r| matches!(r, Reason::Conflict { second, .. } if *second == signed.digest()),
    );
}

#[test]
fn strangers_statements_alone_still_fail_with_their_reasons() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Alice's commit is signed only by a stranger: nothing valid remains.
    scenario.commit_mut(&alice_commit()).signers = vec![&world.mallory];
    let verdict = run(&scenario);
    expect_failure(
        &verdict,
        "UnknownKey",
        |r| matches!(r, Reason::UnknownKey { key_id } if *key_id == world.mallory.key_id()),
    );
}

#[test]
fn a_flipped_byte_in_a_maintainers_signature_is_a_bad_signature() {
    let world = World::new();
    let scenario = world.scenario();
    let built = scenario.build();
    let mut bundle = vouch_chain::Bundle::new();
    for e in built.bundle.envelopes() {
        let mut e = e.clone();
        if Signed::<vouch_manifest::Release>::from_bytes(&e).is_ok() {
            // The last byte is the end of the last signature: Dave's.
            let last = e.len() - 1;
            e[last] ^= 1;
        }
        bundle.add_envelope(e);
    }
    let verdict =
        scenario
            .verifier()
            .verify(&bundle, &Target::Deployment(built.deployment), scenario.now);
    expect_failure(
        &verdict,
        "BadSignature",
        |r| matches!(r, Reason::BadSignature { key_id: Some(k), .. } if *k == world.dave.key_id()),
    );
    all_on_link(&verdict, "release shop-api 1.4.0");
}

#[test]
fn parties_of_the_wrong_kind_or_role_are_named() {
    let world = World::new();
    // The deployer must be a workload.
    let mut s = world.scenario();
    s.deployment.deployer = id(CAROL);
    s.deployment_signers = vec![&world.carol];
    let v = run(&s);
    expect_failure(
        &v,
        "NotAWorkload",
        |r| matches!(r, Reason::NotAWorkload { field: "deployer", identity } if *identity == id(CAROL)),
    );
    // The trigger must be a person.
    let mut s = world.scenario();
    s.deployment.triggered_by = id(BUILD);
    let plan = s.approval_mut(ApprovalRole::Trigger, ALICE);
    plan.identity = id(BUILD);
    plan.signers = vec![&world.build];
    let v = run(&s);
    expect_failure(
        &v,
        "NotAPerson",
        |r| matches!(r, Reason::NotAPerson { field: "triggeredBy", identity } if *identity == id(BUILD)),
    );
    // The trigger must hold a trigger role.
    let mut s = world.scenario();
    s.deployment.triggered_by = id(CAROL);
    let plan = s.approval_mut(ApprovalRole::Trigger, ALICE);
    plan.identity = id(CAROL);
    plan.signers = vec![&world.carol];
    s.policy.deployment.as_mut().unwrap().trigger_roles = vec![role("developer")];
    let v = run(&s);
    expect_failure(
        &v,
        "RoleNotHeld",
        |r| matches!(r, Reason::RoleNotHeld { field: "triggeredBy", identity, .. } if *identity == id(CAROL)),
    );
}

#[test]
fn git_signature_problems_are_named() {
    let world = World::new();
    // A signature made for another namespace (an SSHSIG over a file).
    let mut s = world.scenario();
    let mut plan = ObjectPlan::new(
        ("Alice", "alice@example.com"),
        ALICE_COMMIT_AT,
        "add the checkout endpoint",
        Some(&world.alice),
    );
    plan.namespace = "file";
    let (oid, raw) = plan.build();
    s.use_object_for_alice(&oid, raw);
    let v = run(&s);
    let f = expect_failure(
        &v,
        "GitSignature namespace",
        |r| matches!(r, Reason::GitSignature { commit, problem } if *commit == oid && problem.contains("namespace")),
    );
    assert!(!f.to_string().contains("without a key id"), "{f}");

    // Two signature headers (git would silently join them).
    let mut s = world.scenario();
    let plan = ObjectPlan::new(
        ("Alice", "alice@example.com"),
        ALICE_COMMIT_AT,
        "add the checkout endpoint",
        Some(&world.alice),
    );
    let (_, raw) = plan.build();
    let text = String::from_utf8(raw).unwrap();
    let start = text.find("gpgsig ").unwrap();
    let end = text.find("\n\n").unwrap();
    let block = text[start..end + 1].to_owned();
    let doubled = format!("{}{}{}", &text[..end + 1], block, &text[end + 1..]);
    let oid2 =
        vouch_git::commit::object_id(doubled.as_bytes(), vouch_git::commit::ObjectFormat::Sha1)
            .unwrap();
    s.use_object_for_alice(&oid2, doubled.into_bytes());
    let v = run(&s);
    expect_failure(
        &v,
        "GitSignature two headers",
        |r| matches!(r, Reason::GitSignature { commit, problem } if *commit == oid2 && problem.contains("more than one")),
    );
}

// ---- 10. output a person can trust ----

#[test]
fn statement_strings_are_escaped_in_the_text_verdict() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.deployment.target.cluster = "eu-1\r\u{1b}[2Kverdict: PASS\u{202e}".into();
    let verdict = run(&scenario);
    assert_eq!(verdict.outcome(), Outcome::Pass);
    let text = verdict.render_text();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(
        text.contains(r"eu-1\u{d}\u{1b}[2Kverdict: PASS\u{202e}"),
        "{text}"
    );
    // JSON keeps the exact string.
    let json: serde_json::Value = serde_json::from_str(&verdict.to_json()).unwrap();
    assert_eq!(
        json["placement"]["cluster"],
        "eu-1\r\u{1b}[2Kverdict: PASS\u{202e}"
    );
    // A failing one: the reason line is escaped too.
    scenario.deployment.environment = "prod\u{1b}[1A".into();
    let text = run(&scenario).render_text();
    assert!(!text.contains('\u{1b}'), "{text:?}");
}

#[test]
fn a_deployment_missing_from_the_bundle_is_named() {
    let world = World::new();
    let scenario = world.scenario();
    let built = scenario.build();
    let absent = Digest::sha256(b"a deployment statement nobody made");
    let verdict =
        scenario
            .verifier()
            .verify(&built.bundle, &Target::Deployment(absent), scenario.now);
    expect_failure(
        &verdict,
        "DeploymentMissing",
        |r| matches!(r, Reason::DeploymentMissing { digest } if *digest == absent),
    );
}

#[test]
fn a_combination_too_large_to_decide_is_refused_not_guessed() {
    let world = World::new();
    let mut scenario = world.scenario();
    // Fourteen maintainers sign; the rule nests an any_of inside a distinct
    // all_of, which is decided by enumerating candidate sets.
    let extra: Vec<vouch_keys::FileKey> = (0..12)
        .map(|_| vouch_keys::FileKey::generate(Algorithm::Ed25519).unwrap())
        .collect();
    for (i, k) in extra.iter().enumerate() {
        let who: &'static str = Box::leak(format!("person:m{i}@example.com").into_boxed_str());
        let mut ident = identity_mut(&mut scenario.roster, CAROL).clone();
        ident.id = id(who);
        ident.display_name = format!("M{i}");
        ident.proofs.clear();
        ident.keys = vec![vouch_manifest::RosterKey::new(
            k.public_key().clone(),
            t(KEYS_FROM),
        )];
        scenario.roster.identities.push(ident);
        grant(&mut scenario.roster, "maintainer", who, KEYS_FROM);
    }
    scenario.release_signers = vec![&world.carol, &world.dave];
    for k in &extra {
        scenario.release_signers.push(k);
    }
    scenario.policy.release.as_mut().unwrap().signers = Rule::all_of(vec![
        Rule::any_of(vec![leaf("maintainer", 7), leaf("security", 1)]).unwrap(),
        leaf("maintainer", 1),
    ])
    .unwrap();
    let verdict = run(&scenario);
    expect_failure(&verdict, "RuleTooComplex", |r| {
        matches!(r, Reason::RuleTooComplex { .. })
    });
    // The same need as a flat all_of is decided exactly.
    scenario.policy.release.as_mut().unwrap().signers =
        Rule::all_of(vec![leaf("maintainer", 7), leaf("maintainer", 1)]).unwrap();
    assert!(run(&scenario).passed());
}

// ---- the signature pass ----

#[cfg(feature = "parallel")]
#[test]
fn the_verdict_does_not_depend_on_the_thread_count() {
    use std::sync::Arc;
    use vouch_chain::Threads;
    let world = World::new();
    let mut scenario = world.scenario();
    for plan in [false, true] {
        if plan {
            // A failing chain too: its reasons must come in the same order.
            scenario.commit_mut(&bob_commit()).signers = vec![&world.mallory];
            scenario.deployment.environment = "staging".into();
        }
        let built = scenario.build();
        let target = Target::Deployment(built.deployment);
        let one = scenario.verifier().with_threads(Threads::One).verify(
            &built.bundle,
            &target,
            scenario.now,
        );
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(4)
                .build()
                .unwrap(),
        );
        let four = scenario
            .verifier()
            .with_threads(Threads::Pool(pool))
            .verify(&built.bundle, &target, scenario.now);
        let global = scenario.verifier().with_threads(Threads::Global).verify(
            &built.bundle,
            &target,
            scenario.now,
        );
        assert_eq!(one, four);
        assert_eq!(one, global);
        assert_eq!(one.to_json(), four.to_json());
        assert_eq!(one.passed(), !plan);
    }
}

#[test]
fn the_example_policy_requires_the_commit_objects() {
    let world = World::new();
    let mut scenario = world.scenario();
    scenario.policy = example_policy();
    assert!(scenario.policy.commit.as_ref().unwrap().require_objects);
    // Attestations alone: the parents and the author are their signer's word.
    let verdict = run(&scenario);
    for c in [alice_commit(), bob_commit()] {
        expect_failure(
            &verdict,
            "CommitObjectMissing",
            |r| matches!(r, Reason::CommitObjectMissing { commit } if *commit == c),
        );
    }
    // The same history as signed git objects passes.
    let alice = ObjectPlan::new(
        ("Alice", "alice@example.com"),
        ALICE_COMMIT_AT,
        "add the checkout endpoint",
        Some(&world.alice),
    );
    let (a, a_raw) = alice.build();
    let mut bob = ObjectPlan::new(
        ("Bob", "bob@example.com"),
        BOB_COMMIT_AT,
        "validate cart totals",
        Some(&world.bob),
    );
    bob.parents = vec![a.clone()];
    let (b, b_raw) = bob.build();
    scenario.commits.clear();
    scenario.release.commits = vec![
        vouch_manifest::CertifiedCommit::from(a.clone()),
        vouch_manifest::CertifiedCommit::from(b.clone()),
    ];
    scenario.image.source_commits = [&a, &b]
        .into_iter()
        .map(|c| vouch_manifest::SourceCommit {
            repository: REPOSITORY.into(),
            commit: c.clone(),
        })
        .collect();
    scenario.extra_objects = vec![a_raw, b_raw];
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
}

// ---- when a verdict could change with time alone ----

#[test]
fn a_verdict_says_when_time_alone_could_change_it() {
    let world = World::new();
    let scenario = world.scenario();
    let verdict = run(&scenario);
    assert!(verdict.passed(), "{}", verdict.render_text());
    // The demo policy's deployment max_age is 7 days: refused from the
    // second after; nothing else in this chain ends sooner.
    let ends = t(DEPLOYED_AT).plus_seconds(7 * 24 * 3600 + 1);
    let at = verdict.could_change_at().expect("a max_age applies");
    assert!(at <= ends && at > scenario.now, "{at} vs {ends}");
    // Evaluated just before that instant, the verdict is the same; at it, not.
    let verifier = scenario.verifier();
    let built = scenario.build();
    let target = Target::Deployment(built.deployment);
    assert!(
        verifier
            .verify(&built.bundle, &target, at.plus_seconds(-1))
            .passed()
    );
    let later = verifier.verify(&built.bundle, &target, at);
    assert!(!later.passed(), "{}", later.render_text());
}
