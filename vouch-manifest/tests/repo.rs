#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The repository policy chain and the reference log: versions signed
//! below threshold, rollbacks, forks, gaps; pushes by someone not allowed,
//! force-pushes, missing approvals, rewritten and dropped entries.

use vouch_core::Digest;
use vouch_manifest::{
    RefLog, RefLogAction, RefLogEntry, RefLogFailure, RepoPolicy, RepoPolicyError, Signed,
    TrustedRepoPolicy,
};
use vouch_test_support::repo::{ALICE, BOB, MALLORY, REPOSITORY, Repo, oid, sign, update, zero};

fn repo() -> Repo {
    Repo::new("2026-12-02T12:00:00Z".parse().unwrap())
}

#[test]
fn policy_chain_needs_the_previous_admins_threshold() {
    let r = repo();
    let v1 = sign(r.policy_v1(), &[&r.alice, &r.bob]);
    let pin = v1.digest();
    let t1 = TrustedRepoPolicy::from_pinned(&v1, &pin, &r.roster).unwrap();
    assert_eq!(t1.signed_by().len(), 2);

    // Version 2 drops bob as admin: signed by alice alone, below version
    // 1's threshold of 2, even though version 2's own threshold is 1.
    let v2 = r.next_policy(&v1, |p| {
        p.admins.identities.retain(|a| a.as_str() == ALICE);
        p.admins.threshold = std::num::NonZeroU32::MIN;
    });
    let v2_one = sign(v2.clone(), &[&r.alice]);
    let err = t1.update(&v2_one, &r.roster).unwrap_err();
    assert!(
        matches!(
            &err,
            vouch_manifest::ManifestError::RepoPolicy(RepoPolicyError::AdminThreshold {
                version: 2,
                by_version: 1,
                have: 1,
                need: 2,
                ..
            })
        ),
        "{err}"
    );
    // A signature by a non-admin does not count.
    let v2_mallory = sign(v2.clone(), &[&r.alice, &r.mallory]);
    assert!(t1.update(&v2_mallory, &r.roster).is_err());
    let v2_ok = sign(v2, &[&r.alice, &r.bob]);
    let t2 = t1.update(&v2_ok, &r.roster).unwrap();
    assert_eq!(t2.version(), 2);

    // Rollback, gap, fork.
    assert!(matches!(
        t2.update(&v2_ok, &r.roster),
        Err(vouch_manifest::ManifestError::RepoPolicy(
            RepoPolicyError::Rollback { .. }
        ))
    ));
    let mut v4 = r.next_policy(&v2_ok, |_| {});
    v4.version = 4;
    assert!(matches!(
        t2.update(&sign(v4, &[&r.alice]), &r.roster),
        Err(vouch_manifest::ManifestError::RepoPolicy(
            RepoPolicyError::VersionGap { .. }
        ))
    ));
    let forked = r.next_policy(&v2_ok, |p| p.previous = Some(Digest::sha256(b"other")));
    assert!(matches!(
        t2.update(&sign(forked, &[&r.alice]), &r.roster),
        Err(vouch_manifest::ManifestError::RepoPolicy(
            RepoPolicyError::Fork { .. }
        ))
    ));
    // Two version 2s in one chain.
    let other_v2 = sign(
        r.next_policy(&v1, |p| p.webhooks.clear()),
        &[&r.alice, &r.bob],
    );
    assert!(matches!(
        TrustedRepoPolicy::verify_chain(&pin, &[v1.clone(), v2_ok.clone(), other_v2], &r.roster),
        Err(vouch_manifest::ManifestError::RepoPolicy(
            RepoPolicyError::DuplicateVersion { version: 2, .. }
        ))
    ));
    let chain = TrustedRepoPolicy::verify_chain(&pin, &[v2_ok, v1], &r.roster).unwrap();
    assert_eq!(chain.len(), 2);
    // The pin is checked.
    assert!(TrustedRepoPolicy::from_pinned(&chain_first(&r), &pin, &r.roster).is_err());
}

fn chain_first(r: &Repo) -> Signed<RepoPolicy> {
    let mut p = r.policy_v1();
    p.webhooks.clear();
    sign(p, &[&r.alice, &r.bob])
}

/// A log: policy v1, then alice creates main at A and fast-forwards it to B.
struct Log {
    r: Repo,
    v1: Signed<RepoPolicy>,
    log: RefLog,
}

fn log() -> Log {
    let r = repo();
    let v1 = sign(r.policy_v1(), &[&r.alice, &r.bob]);
    let e1 = sign(
        r.entry(
            None,
            RefLogAction::Policy { version: 1 },
            v1.digest(),
            ALICE,
        ),
        &[&r.alice],
    );
    let e2 = sign(
        r.entry(
            Some(&e1),
            update("refs/heads/main", &zero(), &oid("A")),
            v1.digest(),
            ALICE,
        ),
        &[&r.alice],
    );
    let e3 = sign(
        r.entry(
            Some(&e2),
            update("refs/heads/main", &oid("A"), &oid("B")),
            v1.digest(),
            BOB,
        ),
        &[&r.bob],
    );
    let mut log = RefLog::default();
    log.policies.insert(v1.digest(), v1.clone());
    log.entries = vec![e1, e2, e3];
    Log { r, v1, log }
}

/// A is B's parent, B is D's; C is on another line.
fn ancestry(old: &vouch_manifest::GitObjectId, new: &vouch_manifest::GitObjectId) -> Option<bool> {
    if old == new {
        return Some(true);
    }
    let pairs = [("A", "B"), ("B", "D"), ("A", "D")];
    Some(pairs.iter().any(|(o, n)| *old == oid(o) && *new == oid(n)))
}

impl Log {
    fn push(&mut self, entry: RefLogEntry, who: &[&str]) {
        let keys: Vec<&vouch_keys::FileKey> = who
            .iter()
            .map(|w| match *w {
                "alice" => &self.r.alice,
                "bob" => &self.r.bob,
                _ => &self.r.mallory,
            })
            .collect();
        let signed = sign(entry, &keys);
        self.log.entries.push(signed);
    }
    fn last(&self) -> &Signed<RefLogEntry> {
        self.log.entries.last().unwrap()
    }
    fn verify(&self) -> vouch_manifest::RefLogReport {
        self.log
            .verify(REPOSITORY, &self.v1.digest(), &self.r.roster, &ancestry)
    }
}

#[test]
fn a_logged_history_verifies() {
    let l = log();
    let report = l.verify();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.heads["refs/heads/main"], (oid("B"), 3));
    assert_eq!(report.policies.len(), 1);
    assert!(report.sound_through(3));
}

#[test]
fn a_push_by_someone_not_allowed_fails_naming_the_update() {
    let mut l = log();
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/main", &oid("B"), &oid("B2")),
        l.v1.digest(),
        MALLORY,
    );
    l.push(e, &["mallory"]);
    let report = l.verify();
    let f = &report.failures;
    assert!(
        f.iter().any(
            |f| matches!(f, RefLogFailure::NotAllowed { sequence: 4, pusher, pattern, .. }
            if pusher.as_str() == MALLORY && pattern == "refs/heads/main")
        ),
        "{f:?}"
    );
    assert!(f[0].to_string().contains("refs/heads/main"), "{}", f[0]);
    assert!(!report.sound_through(4));
    // The head stays where the last sound entry left it.
    assert_eq!(report.heads["refs/heads/main"].1, 3);
}

#[test]
fn a_force_push_is_refused_where_policy_forbids_it() {
    let mut l = log();
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/main", &oid("B"), &oid("C")),
        l.v1.digest(),
        ALICE,
    );
    l.push(e, &["alice"]);
    let report = l.verify();
    assert!(
        matches!(
            report.failures.as_slice(),
            [RefLogFailure::ForcePush { sequence: 4, .. }]
        ),
        "{:?}",
        report.failures
    );

    // Deleting main is a force-push too; an unprotected ref is free.
    let mut l = log();
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/main", &oid("B"), &zero()),
        l.v1.digest(),
        ALICE,
    );
    l.push(e, &["alice"]);
    assert!(matches!(
        l.verify().failures.as_slice(),
        [RefLogFailure::ForcePush { .. }]
    ));
    let mut l = log();
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/topic", &zero(), &oid("C")),
        l.v1.digest(),
        MALLORY,
    );
    l.push(e, &["mallory"]);
    assert!(l.verify().failures.is_empty());
}

#[test]
fn approvals_count_distinct_allowed_identities() {
    let mut l = log();
    let v2 = sign(
        l.r.next_policy(&l.v1, |p| p.protected_refs[0].approvals = 1),
        &[&l.r.alice, &l.r.bob],
    );
    l.log.policies.insert(v2.digest(), v2.clone());
    let e = l.r.entry(
        Some(l.last()),
        RefLogAction::Policy { version: 2 },
        v2.digest(),
        ALICE,
    );
    l.push(e, &["alice"]);
    // Mallory (not a maintainer) is no approval.
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/main", &oid("B"), &oid("D")),
        v2.digest(),
        ALICE,
    );
    l.push(e, &["alice", "mallory"]);
    let report = l.verify();
    assert!(
        matches!(
            report.failures.as_slice(),
            [RefLogFailure::Approvals {
                sequence: 5,
                have: 0,
                need: 1,
                ..
            }]
        ),
        "{:?}",
        report.failures
    );
    // Bob's approval counts.
    l.log.entries.pop();
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/main", &oid("B"), &oid("D")),
        v2.digest(),
        ALICE,
    );
    l.push(e, &["alice", "bob"]);
    let report = l.verify();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.entries[4].approvers.len(), 1);
    assert_eq!(report.entries[3].policy_signers.len(), 2);
}

#[test]
fn a_rewritten_or_dropped_entry_is_detected() {
    // Rewritten: entry 2 re-signed with another new id; entry 3 still
    // names the old entry 2.
    let mut l = log();
    let e2 = l.r.entry(
        Some(&l.log.entries[0]),
        update("refs/heads/main", &zero(), &oid("X")),
        l.v1.digest(),
        ALICE,
    );
    l.log.entries[1] = sign(e2, &[&l.r.alice]);
    let report = l.verify();
    assert!(
        report
            .failures
            .iter()
            .any(|f| matches!(f, RefLogFailure::Chain { sequence: 3, .. })),
        "{:?}",
        report.failures
    );
    // Dropped: entry 2 removed.
    let mut l = log();
    l.log.entries.remove(1);
    let report = l.verify();
    assert!(report.failures.iter().any(|f| matches!(
        f,
        RefLogFailure::Sequence {
            position: 2,
            found: 3
        }
    )));
    assert!(
        report
            .failures
            .iter()
            .any(|f| matches!(f, RefLogFailure::OldMismatch { sequence: 3, .. }))
    );
    // An entry whose maker did not sign it.
    let mut l = log();
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/topic", &zero(), &oid("T")),
        l.v1.digest(),
        BOB,
    );
    l.push(e, &["alice"]);
    assert!(matches!(
        l.verify().failures.as_slice(),
        [RefLogFailure::NotSignedByMaker { sequence: 4, .. }]
    ));
}

#[test]
fn a_policy_entry_below_threshold_takes_no_force() {
    let mut l = log();
    // Version 2 lets mallory push to main, signed by alice alone.
    let v2 = sign(
        l.r.next_policy(&l.v1, |p| {
            p.protected_refs[0]
                .identities
                .push(MALLORY.parse().unwrap())
        }),
        &[&l.r.alice],
    );
    l.log.policies.insert(v2.digest(), v2.clone());
    let e = l.r.entry(
        Some(l.last()),
        RefLogAction::Policy { version: 2 },
        v2.digest(),
        ALICE,
    );
    l.push(e, &["alice"]);
    let e = l.r.entry(
        Some(l.last()),
        update("refs/heads/main", &oid("A"), &oid("B")),
        v2.digest(),
        MALLORY,
    );
    l.push(e, &["mallory"]);
    let report = l.verify();
    assert!(
        matches!(&report.failures[0], RefLogFailure::PolicyRefused { sequence: 4, version: 2, error } if error.contains("1 of the admins")),
        "{:?}",
        report.failures
    );
    // The update names version 2, which never took force.
    assert!(
        report
            .failures
            .iter()
            .any(|f| matches!(f, RefLogFailure::PolicyNotInForce { sequence: 5, .. }))
    );
    assert_eq!(report.policies.len(), 1);
}

#[test]
fn entries_round_trip_and_are_checked() {
    let l = log();
    for e in &l.log.entries {
        let bytes = e.to_bytes().unwrap();
        let back = Signed::<RefLogEntry>::from_bytes(&bytes).unwrap();
        assert_eq!(back.digest(), e.digest());
        assert_eq!(back.to_bytes().unwrap(), bytes);
    }
    let mut e = l.r.entry(
        None,
        update("heads/main", &zero(), &oid("A")),
        l.v1.digest(),
        ALICE,
    );
    assert!(vouch_manifest::Statement::from_predicate(e.clone()).is_err());
    e.action = update("refs/heads/main", &zero(), &zero());
    assert!(vouch_manifest::Statement::from_predicate(e.clone()).is_err());
    e.action = RefLogAction::Policy { version: 1 };
    e.sequence = 2;
    assert!(vouch_manifest::Statement::from_predicate(e).is_err());
}

#[test]
fn github_audit_events_become_a_proposed_version_and_unattributed_changes() {
    use vouch_manifest::audit::{ChangeKind, Forge, import};
    let r = repo();
    let current = r.policy_v1();
    let out = import(
        Forge::GitHub,
        vouch_test_support::repo::GITHUB_AUDIT_LOG.as_bytes(),
        &current,
    )
    .unwrap();
    assert_eq!(out.changes.len(), 5);
    assert_eq!(out.ignored, 0);
    // Main's protection exists as signed (created: reflected); the update
    // allowing force-pushes, the webhook, the deploy key and the member
    // are not.
    assert_eq!(out.unattributed, [1, 2, 3, 4]);
    assert_eq!(out.changes[1].actor, "mallory");
    assert!(
        out.changes[2]
            .kind
            .to_string()
            .contains("https://evil.example.net/collect")
    );
    let p = &out.proposed;
    assert_eq!(p.version, 2);
    assert!(p.rule_for("refs/heads/main").unwrap().force_push);
    assert!(p.allows_webhook("https://evil.example.net/collect"));
    assert!(matches!(
        &out.changes[4].kind,
        ChangeKind::Member {
            operation: "added",
            ..
        }
    ));
    assert_eq!(p.deploy_keys.len(), 1);
}

#[test]
fn gitlab_audit_events_and_bad_exports() {
    use vouch_manifest::audit::{AuditError, Forge, import};
    let r = repo();
    let out = import(
        Forge::GitLab,
        vouch_test_support::repo::GITLAB_AUDIT_EVENTS.as_bytes(),
        &r.policy_v1(),
    )
    .unwrap();
    assert_eq!(out.changes.len(), 3);
    assert_eq!(out.unattributed, [1, 2]);
    assert_eq!(out.changes[1].actor, "Mallory");
    for bad in [&b"{}"[..], b"[1]", b"[", b"null"] {
        assert!(import(Forge::GitLab, bad, &r.policy_v1()).is_err());
    }
    let big = vec![b' '; vouch_manifest::audit::MAX_EXPORT + 1];
    assert!(matches!(
        import(Forge::GitHub, &big, &r.policy_v1()),
        Err(AuditError::TooLarge { .. })
    ));
    // Events of other actions are counted, not refused.
    let other = br#"[{"action": "repo.create", "actor": "x"}]"#;
    assert_eq!(
        import(Forge::GitHub, other, &r.policy_v1())
            .unwrap()
            .ignored,
        1
    );
}
