//! A repository under a signed policy and reference log, for the tests of
//! `vouch_manifest::{repo_policy, ref_log}`, the chain's reference-log
//! rule and `vouch repo`: a roster of two admins and maintainers (alice,
//! bob), a developer who maintains nothing (mallory), file keys, and
//! builders of signed policy versions and log entries; plus audit-event
//! exports of GitHub and GitLab in their documented shapes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use vouch_core::{Algorithm, Digest, Timestamp};
use vouch_keys::FileKey;
use vouch_manifest::{
    GitObjectId, Identity, IdentityId, IdentityProof, ProtectedRef, RefLogAction, RefLogEntry,
    RefUpdate, RepoAdmins, RepoPolicy, RoleGrant, RootKeys, Roster, RosterChain, RosterKey, Signed,
    Statement, TrustedRoster,
};

/// The repository of the fixture.
pub const REPOSITORY: &str = "https://git.example.com/shop.git";
/// An admin and maintainer.
pub const ALICE: &str = "person:alice@example.com";
/// An admin and maintainer.
pub const BOB: &str = "person:bob@example.com";
/// A developer: in the roster, maintains nothing.
pub const MALLORY: &str = "person:mallory@example.com";

/// The roster, the keys and the clock of the fixture.
pub struct Repo {
    /// The roster chain file (one version).
    pub roster_file: Vec<u8>,
    /// Its pin.
    pub roster_pin: Digest,
    /// The roster, verified.
    pub roster: TrustedRoster,
    /// The roster's root key.
    pub root: FileKey,
    /// Alice's key.
    pub alice: FileKey,
    /// Bob's key.
    pub bob: FileKey,
    /// Mallory's key.
    pub mallory: FileKey,
    /// The fixture's "now".
    pub now: Timestamp,
}

/// An identity id.
pub fn id(s: &str) -> IdentityId {
    s.parse().unwrap()
}

/// A git object id of 40 hex digits made from `seed`.
pub fn oid(seed: &str) -> GitObjectId {
    Digest::sha256(seed.as_bytes()).hex()[..40].parse().unwrap()
}

/// Git's zero id (SHA-1 repositories).
pub fn zero() -> GitObjectId {
    "0".repeat(40).parse().unwrap()
}

fn person(who: &str, key: &FileKey, from: Timestamp) -> Identity {
    Identity {
        id: id(who),
        display_name: who.into(),
        proofs: vec![IdentityProof::Email {
            address: who.trim_start_matches("person:").into(),
        }],
        keys: vec![RosterKey::new(key.public_key().clone(), from)],
        openpgp_keys: Vec::new(),
    }
}

/// Signs a statement of `predicate` with every key, in order.
pub fn sign<P: vouch_manifest::Predicate>(predicate: P, keys: &[&FileKey]) -> Signed<P> {
    let statement = Statement::from_predicate(predicate).unwrap();
    let mut signed = Signed::sign(&statement, keys[0]).unwrap();
    for k in &keys[1..] {
        signed.cosign(*k).unwrap();
    }
    signed
}

impl Repo {
    /// A fresh fixture at `now` (keys valid from a day before).
    pub fn new(now: Timestamp) -> Repo {
        let key = || FileKey::generate(Algorithm::Ed25519).unwrap();
        let (root, alice, bob, mallory) = (key(), key(), key(), key());
        let from = now.plus_seconds(-86_400);
        let mut roles = BTreeMap::new();
        roles.insert(
            "maintainer".parse().unwrap(),
            vec![
                RoleGrant::new(id(ALICE), from),
                RoleGrant::new(id(BOB), from),
            ],
        );
        roles.insert(
            "developer".parse().unwrap(),
            vec![RoleGrant::new(id(MALLORY), from)],
        );
        let roster = Roster {
            name: "shop".into(),
            version: 1,
            expires: now.plus_seconds(365 * 86_400),
            root: RootKeys {
                keys: vec![root.public_key().clone()],
                threshold: 1,
            },
            identities: vec![
                person(ALICE, &alice, from),
                person(BOB, &bob, from),
                person(MALLORY, &mallory, from),
            ],
            roles,
            authenticators: Default::default(),
            tpm: Default::default(),
            witnesses: Default::default(),
            ci: Default::default(),
        };
        let signed = sign(roster, &[&root]);
        let roster_pin = signed.digest();
        let chain = RosterChain::new(vec![signed]);
        let roster = chain.verify(&roster_pin, now).unwrap();
        Repo {
            roster_file: chain.to_bytes().unwrap(),
            roster_pin,
            roster,
            root,
            alice,
            bob,
            mallory,
            now,
        }
    }

    /// Version 1: alice and bob admins (threshold 2); `refs/heads/main`
    /// for maintainers, no approvals, no force-push; `refs/heads/release/*`
    /// for alice alone.
    pub fn policy_v1(&self) -> RepoPolicy {
        RepoPolicy {
            repository: REPOSITORY.into(),
            version: 1,
            previous: None,
            admins: RepoAdmins {
                identities: vec![id(ALICE), id(BOB)],
                threshold: NonZeroU32::new(2).unwrap(),
            },
            protected_refs: vec![
                ProtectedRef {
                    pattern: "refs/heads/main".into(),
                    roles: vec!["maintainer".parse().unwrap()],
                    identities: vec![],
                    approvals: 0,
                    force_push: false,
                },
                ProtectedRef {
                    pattern: "refs/heads/release/*".into(),
                    roles: vec![],
                    identities: vec![id(ALICE)],
                    approvals: 0,
                    force_push: false,
                },
            ],
            webhooks: vec!["https://ci.example.com/hooks/*".into()],
            deploy_keys: vec![],
            issued_at: self.now.plus_seconds(-3600),
        }
    }

    /// The version after `previous` (signed statement), with `edit` applied.
    pub fn next_policy(
        &self,
        previous: &Signed<RepoPolicy>,
        edit: impl FnOnce(&mut RepoPolicy),
    ) -> RepoPolicy {
        let mut p = previous.unverified().predicate().clone();
        p.version += 1;
        p.previous = Some(previous.digest());
        p.issued_at = p.issued_at.plus_seconds(60);
        edit(&mut p);
        p
    }

    /// A log entry (unsigned) after `previous` (none for the first).
    pub fn entry(
        &self,
        previous: Option<&Signed<RefLogEntry>>,
        action: RefLogAction,
        policy: Digest,
        by: &str,
    ) -> RefLogEntry {
        RefLogEntry {
            repository: REPOSITORY.into(),
            sequence: previous.map_or(1, |p| p.unverified().predicate().sequence + 1),
            previous: previous.map(Signed::digest),
            action,
            policy,
            by: id(by),
            claimed_at: self.now.plus_seconds(-1800),
        }
    }
}

/// A ref update action.
pub fn update(name: &str, old: &GitObjectId, new: &GitObjectId) -> RefLogAction {
    RefLogAction::Update(RefUpdate {
        name: name.into(),
        old: old.clone(),
        new: new.clone(),
    })
}

/// A GitHub audit-log export (the REST API's JSON array of events) with a
/// branch protection created and updated, a webhook created, a deploy key
/// added and a member added, in the documented event shapes.
pub const GITHUB_AUDIT_LOG: &str = r#"[
  {"@timestamp": 1764662400000, "action": "protected_branch.create", "actor": "alice",
   "repo": "example/shop", "org": "example", "name": "main", "created_at": 1764662400000,
   "_document_id": "a1"},
  {"@timestamp": 1764666000000, "action": "protected_branch.update", "actor": "mallory",
   "repo": "example/shop", "org": "example", "name": "main",
   "allow_force_pushes_enforcement_level": "everyone",
   "required_approving_review_count": 0, "_document_id": "a2"},
  {"@timestamp": 1764669600000, "action": "hook.create", "actor": "mallory",
   "repo": "example/shop", "org": "example", "hook_id": 77,
   "config": {"url": "https://evil.example.net/collect", "content_type": "json"},
   "_document_id": "a3"},
  {"@timestamp": 1764673200000, "action": "public_key.create", "actor": "mallory",
   "repo": "example/shop", "org": "example", "title": "backdoor",
   "fingerprint": "SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "read_only": false,
   "_document_id": "a4"},
  {"@timestamp": 1764676800000, "action": "repo.add_member", "actor": "mallory",
   "repo": "example/shop", "org": "example", "user": "eve", "permission": "admin",
   "_document_id": "a5"}
]"#;

/// A GitLab audit-events export (the REST API's JSON array) with a
/// protected branch added, a webhook added and a member added.
pub const GITLAB_AUDIT_EVENTS: &str = r#"[
  {"id": 1, "author_id": 3, "entity_id": 9, "entity_type": "Project",
   "event_name": "protected_branch_created",
   "details": {"add": "protected_branch", "author_name": "Alice", "target_details": "main",
               "push_access_levels": ["Maintainers"], "merge_access_levels": ["Maintainers"],
               "allow_force_push": false, "entity_path": "example/shop"},
   "created_at": "2026-12-01T10:00:00.000Z"},
  {"id": 2, "author_id": 5, "entity_id": 9, "entity_type": "Project",
   "event_name": "project_hook_created",
   "details": {"custom_message": "Hook created", "author_name": "Mallory",
               "target_details": "https://evil.example.net/collect", "entity_path": "example/shop"},
   "created_at": "2026-12-01T11:00:00.000Z"},
  {"id": 3, "author_id": 5, "entity_id": 9, "entity_type": "Project",
   "event_name": "member_created",
   "details": {"add": "user_access", "as": "Owner", "author_name": "Mallory",
               "target_details": "Eve", "entity_path": "example/shop"},
   "created_at": "2026-12-01T12:00:00.000Z"}
]"#;
