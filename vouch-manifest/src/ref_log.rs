//! The signed reference log of a repository: one entry per ref update,
//! chained by digest, in the manner of gittuf's reference state log.
//!
//! Each entry names the repository, its sequence number (from 1), the
//! statement digest of the entry before it, what it records, the identity
//! that made it and the digest of the repository policy version in force.
//! An entry records either a ref update (ref, old and new commit id, the
//! zero id for a creation or a deletion) or a new policy version: policy
//! versions are recorded in the log too, so which version was in force for
//! an update is decided by log order, never by a time someone wrote.
//!
//! The pusher signs the entry; approvals are further signatures over the
//! same entry by other identities the policy allows for that ref.
//! [`RefLog::verify`] checks every entry and reports every failure, each
//! naming the entry (sequence, ref, old..new), the rule and the party.
//!
//! The log lives in the repository itself (`refs/vouch/log`, a chain of
//! git commits whose trees hold the envelopes; see `docs/repository.md`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use vouch_core::{Digest, Timestamp};

use crate::error::ManifestError;
use crate::ids::{GitObjectId, IdentityId};
use crate::repo_policy::{MAX_PATTERN_LEN, MAX_REPOSITORY_LEN, RepoPolicy, TrustedRepoPolicy};
use crate::roster::TrustedRoster;
use crate::signed::Signed;
use crate::statement::{Predicate, Subject, SubjectDigest};

/// The most entries a log may hold.
pub const MAX_LOG_ENTRIES: usize = 1 << 20;
/// The longest ref name, in bytes (git's own limit is the file system's).
pub const MAX_REF_LEN: usize = MAX_PATTERN_LEN;

/// One ref update: the ref, its old and its new commit id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefUpdate {
    /// The full ref name, `refs/heads/main`.
    #[serde(rename = "ref")]
    pub name: String,
    /// The commit before (all zeros when the ref is created).
    pub old: GitObjectId,
    /// The commit after (all zeros when the ref is deleted).
    pub new: GitObjectId,
}

/// Whether a commit id is git's zero id (no commit).
pub fn is_zero(id: &GitObjectId) -> bool {
    id.as_str().bytes().all(|b| b == b'0')
}

fn short(id: &GitObjectId) -> &str {
    &id.as_str()[..12]
}

impl fmt::Display for RefUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}..{}",
            vouch_core::text::escape(&self.name),
            short(&self.old),
            short(&self.new)
        )
    }
}

/// What an entry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum RefLogAction {
    /// A ref was updated.
    Update(RefUpdate),
    /// A new repository policy version takes force from this entry on; the
    /// entry's `policy` is its digest.
    Policy {
        /// Its version number.
        version: u64,
    },
}

/// One entry of the reference log
/// (`predicateType` `https://vouch.dev/ref-log/v1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefLogEntry {
    /// The repository URL.
    pub repository: String,
    /// The position in the log, from 1.
    pub sequence: u64,
    /// The statement digest of the entry before (absent only in entry 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    /// What the entry records.
    pub action: RefLogAction,
    /// The statement digest of the repository policy version in force
    /// (for a policy entry: the version it records).
    pub policy: Digest,
    /// Who made the entry (the pusher), who signs it first.
    pub by: IdentityId,
    /// When, as the signer claims (the time its keys must be valid at).
    pub claimed_at: Timestamp,
}

impl RefLogEntry {
    /// SHA-256 of the canonical CBOR of the predicate (the subject's digest).
    pub fn content_digest(&self) -> Result<Digest, ManifestError> {
        Ok(Digest::sha256(&vouch_core::cbor::to_canonical(self)?))
    }
}

fn invalid(field: &'static str, problem: &'static str) -> ManifestError {
    ManifestError::InvalidPredicate {
        predicate: "ref log entry",
        field,
        problem,
    }
}

impl Predicate for RefLogEntry {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/ref-log/v1";

    fn check(&self) -> Result<(), ManifestError> {
        if self.repository.is_empty()
            || self.repository.len() > MAX_REPOSITORY_LEN
            || self.repository.chars().any(char::is_control)
        {
            return Err(invalid(
                "repository",
                "is empty, too long or has control characters",
            ));
        }
        if self.sequence == 0 {
            return Err(invalid("sequence", "is 0 (entries start at 1)"));
        }
        match (self.sequence, &self.previous) {
            (1, Some(_)) => return Err(invalid("previous", "is set in entry 1")),
            (s, None) if s > 1 => return Err(invalid("previous", "is missing after entry 1")),
            _ => {}
        }
        match &self.action {
            RefLogAction::Update(u) => {
                if !u.name.starts_with("refs/")
                    || u.name.len() > MAX_REF_LEN
                    || u.name.chars().any(|c| c.is_control() || c == ' ')
                {
                    return Err(invalid("ref", "is not a full ref name (refs/...)"));
                }
                if u.old.is_sha256() != u.new.is_sha256() {
                    return Err(invalid("old/new", "mix SHA-1 and SHA-256 object ids"));
                }
                if is_zero(&u.old) && is_zero(&u.new) {
                    return Err(invalid("old/new", "are both the zero id"));
                }
            }
            RefLogAction::Policy { version } => {
                if *version == 0 {
                    return Err(invalid("policy.version", "is 0"));
                }
            }
        }
        Ok(())
    }

    fn default_subjects(&self) -> Vec<Subject> {
        let digest = self
            .content_digest()
            .unwrap_or_else(|_| Digest::sha256(b""));
        vec![Subject::sha256(
            format!("ref-log:{}#{}", self.repository, self.sequence),
            digest,
        )]
    }

    /// An entry's subject is the digest of its own content.
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        self.content_digest()
            .ok()
            .map(|d| (SubjectDigest::sha256(d), "ref log entry content digest"))
    }
}

/// Why an entry of the log was refused. Every variant names the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefLogFailure {
    /// The entry at this position carries another sequence number: an
    /// entry was dropped, inserted or reordered.
    #[error(
        "log entry {position} carries sequence {found} (an entry dropped, inserted or reordered)"
    )]
    Sequence {
        /// Its position in the log, from 1.
        position: u64,
        /// The sequence it carries.
        found: u64,
    },
    /// The entry does not name the digest of the entry before it: the log
    /// was rewritten.
    #[error(
        "log entry {sequence} names previous {found:?}, but the entry before it is {expected:?} (the log was rewritten)"
    )]
    Chain {
        /// The entry.
        sequence: u64,
        /// The digest of the entry before (none for the first).
        expected: Option<Digest>,
        /// What it names.
        found: Option<Digest>,
    },
    /// The entry is about another repository.
    #[error("log entry {sequence} is about repository {found:?}, not {expected:?}")]
    Repository {
        /// The entry.
        sequence: u64,
        /// The log's repository.
        expected: String,
        /// The entry's.
        found: String,
    },
    /// The entry's subject does not carry its content digest.
    #[error("log entry {sequence}: its subject does not carry its content digest")]
    Subject {
        /// The entry.
        sequence: u64,
    },
    /// The identity named as its maker has no valid signature on it.
    #[error(
        "log entry {sequence} ({what}) names {by} as its maker, but no valid signature of {by} by a key the roster gave them at {at}",
        by = by.as_str()
    )]
    NotSignedByMaker {
        /// The entry.
        sequence: u64,
        /// The update or policy change.
        what: String,
        /// The identity named.
        by: IdentityId,
        /// The claimed time.
        at: Timestamp,
    },
    /// The entry names a policy version that is not the one in force.
    #[error(
        "log entry {sequence} ({what}) names policy {named}, but the policy in force is {in_force:?}"
    )]
    PolicyNotInForce {
        /// The entry.
        sequence: u64,
        /// The update.
        what: String,
        /// The digest it names.
        named: Digest,
        /// The one in force by log order (none before the first policy entry).
        in_force: Option<Digest>,
    },
    /// A policy entry's version is not among the policy statements given.
    #[error("log entry {sequence} records policy version {version} ({digest}), which is missing")]
    PolicyMissing {
        /// The entry.
        sequence: u64,
        /// The version named.
        version: u64,
        /// The digest named.
        digest: Digest,
    },
    /// A policy entry's version was refused (below threshold, a gap, a fork...).
    #[error("log entry {sequence} records policy version {version}, refused: {error}")]
    PolicyRefused {
        /// The entry.
        sequence: u64,
        /// The version.
        version: u64,
        /// Why.
        error: String,
    },
    /// The pusher was not allowed to update the ref then.
    #[error(
        "log entry {sequence} ({update}): {pusher} may not update refs matching {pattern:?} under policy version {policy_version}",
        pusher = pusher.as_str()
    )]
    NotAllowed {
        /// The entry.
        sequence: u64,
        /// The update.
        update: String,
        /// Who pushed.
        pusher: IdentityId,
        /// The rule's pattern.
        pattern: String,
        /// The policy version in force.
        policy_version: u64,
    },
    /// Too few approvals.
    #[error(
        "log entry {sequence} ({update}) has {have} approvals of allowed identities; refs matching {pattern:?} need {need}"
    )]
    Approvals {
        /// The entry.
        sequence: u64,
        /// The update.
        update: String,
        /// The rule's pattern.
        pattern: String,
        /// Distinct approvers counted.
        have: usize,
        /// Required.
        need: u32,
    },
    /// A force-push (or deletion) where the policy forbids it.
    #[error(
        "log entry {sequence} ({update}) by {pusher} is a force-push or deletion, forbidden for refs matching {pattern:?}",
        pusher = pusher.as_str()
    )]
    ForcePush {
        /// The entry.
        sequence: u64,
        /// The update.
        update: String,
        /// Who pushed.
        pusher: IdentityId,
        /// The rule's pattern.
        pattern: String,
    },
    /// Whether the update is a force-push cannot be told: commit objects
    /// are missing.
    #[error(
        "log entry {sequence} ({update}): the commit objects to tell whether it is a force-push are missing"
    )]
    AncestryUnknown {
        /// The entry.
        sequence: u64,
        /// The update.
        update: String,
    },
    /// The update's old id is not the ref's head as the log had it: an
    /// update in between was not logged.
    #[error(
        "log entry {sequence} ({update}): the ref was at {logged} by the log, not at the update's old id (an update in between was not logged)"
    )]
    OldMismatch {
        /// The entry.
        sequence: u64,
        /// The update.
        update: String,
        /// The head the log had.
        logged: GitObjectId,
    },
}

impl RefLogFailure {
    /// The sequence number of the entry the failure is about.
    pub fn sequence(&self) -> u64 {
        match self {
            RefLogFailure::Sequence { position, .. } => *position,
            RefLogFailure::Chain { sequence, .. }
            | RefLogFailure::Repository { sequence, .. }
            | RefLogFailure::Subject { sequence }
            | RefLogFailure::NotSignedByMaker { sequence, .. }
            | RefLogFailure::PolicyNotInForce { sequence, .. }
            | RefLogFailure::PolicyMissing { sequence, .. }
            | RefLogFailure::PolicyRefused { sequence, .. }
            | RefLogFailure::NotAllowed { sequence, .. }
            | RefLogFailure::Approvals { sequence, .. }
            | RefLogFailure::ForcePush { sequence, .. }
            | RefLogFailure::AncestryUnknown { sequence, .. }
            | RefLogFailure::OldMismatch { sequence, .. } => *sequence,
        }
    }
}

/// How an entry fared.
#[derive(Debug, Clone)]
pub struct CheckedEntry {
    /// Its sequence number as it carries it.
    pub sequence: u64,
    /// Its statement digest.
    pub digest: Digest,
    /// What it records.
    pub action: RefLogAction,
    /// Its maker, as it names them.
    pub by: IdentityId,
    /// The other identities with a valid signature (approvers).
    pub approvers: Vec<IdentityId>,
    /// The claimed time.
    pub claimed_at: Timestamp,
    /// The policy version in force for it (for a policy entry: the one it
    /// records, when accepted).
    pub policy_version: Option<u64>,
    /// For a policy entry accepted: the admins who signed the version.
    pub policy_signers: Vec<IdentityId>,
    /// Whether it passed every rule.
    pub ok: bool,
}

/// The outcome of [`RefLog::verify`].
#[derive(Debug, Clone, Default)]
pub struct RefLogReport {
    /// Every entry, in log order.
    pub entries: Vec<CheckedEntry>,
    /// Every failure, in log order.
    pub failures: Vec<RefLogFailure>,
    /// Each ref's head by the log (after the last update of it), with the
    /// sequence of that update. A deleted ref is absent.
    pub heads: BTreeMap<String, (GitObjectId, u64)>,
    /// The policy versions accepted, in log order.
    pub policies: Vec<TrustedRepoPolicy>,
}

impl RefLogReport {
    /// Whether every entry up to and including `sequence` passed (an entry
    /// vouches for a ref only when nothing before it failed either).
    pub fn sound_through(&self, sequence: u64) -> bool {
        self.failures.iter().all(|f| f.sequence() > sequence)
    }
}

/// A reference log: its entries in log order and the policy statements its
/// policy entries record.
#[derive(Debug, Clone, Default)]
pub struct RefLog {
    /// The entries, oldest first.
    pub entries: Vec<Signed<RefLogEntry>>,
    /// The policy versions the log records, by statement digest.
    pub policies: HashMap<Digest, Signed<RepoPolicy>>,
}

/// What [`RefLog::verify`] asks of the repository's commit objects:
/// whether `old` is an ancestor of `new` (or the same commit); `None` when
/// the objects to tell are missing.
pub type Ancestry<'a> = dyn Fn(&GitObjectId, &GitObjectId) -> Option<bool> + 'a;

impl RefLog {
    /// Checks the whole log for `repository`: the chain of digests and
    /// sequence numbers, each policy version (version 1 pinned by
    /// `policy_pin`, each later one signed by a threshold of the admins of
    /// the version in force before it), and each update: made and signed
    /// by its pusher, allowed by the policy in force (roles from the roster
    /// at the claimed time), with its approvals, from the head the log had,
    /// and no force-push where the policy forbids it.
    ///
    /// Every failure is reported; an entry that fails does not move the
    /// log's head of its ref, nor does a policy version that fails take force.
    pub fn verify(
        &self,
        repository: &str,
        policy_pin: &Digest,
        roster: &TrustedRoster,
        ancestry: &Ancestry<'_>,
    ) -> RefLogReport {
        let mut report = RefLogReport::default();
        let mut previous: Option<Digest> = None;
        let mut in_force: Option<TrustedRepoPolicy> = None;
        let mut heads: BTreeMap<String, (GitObjectId, u64)> = BTreeMap::new();
        for (i, signed) in self.entries.iter().enumerate() {
            let position = i as u64 + 1;
            let e = signed.unverified().predicate();
            let mut own: Vec<RefLogFailure> = Vec::new();
            let mut fail = |f: RefLogFailure| own.push(f);
            if e.sequence != position {
                fail(RefLogFailure::Sequence {
                    position,
                    found: e.sequence,
                });
            }
            if e.previous != previous {
                fail(RefLogFailure::Chain {
                    sequence: e.sequence,
                    expected: previous,
                    found: e.previous,
                });
            }
            previous = Some(signed.digest());
            if e.repository != repository {
                fail(RefLogFailure::Repository {
                    sequence: e.sequence,
                    expected: repository.to_owned(),
                    found: e.repository.chars().take(200).collect(),
                });
            }
            if !matches!(e.content_digest(), Ok(d) if signed.unverified().subjects().iter().any(|s| s.digest.sha256 == Some(d)))
            {
                fail(RefLogFailure::Subject {
                    sequence: e.sequence,
                });
            }
            let what = match &e.action {
                RefLogAction::Update(u) => u.to_string(),
                RefLogAction::Policy { version } => format!("policy version {version}"),
            };
            let signers = entry_signers(signed, roster, e.claimed_at);
            if !signers.contains(&e.by) {
                fail(RefLogFailure::NotSignedByMaker {
                    sequence: e.sequence,
                    what: what.clone(),
                    by: e.by.clone(),
                    at: e.claimed_at,
                });
            }
            let approvers: Vec<IdentityId> =
                signers.iter().filter(|s| **s != e.by).cloned().collect();
            let mut checked = CheckedEntry {
                sequence: e.sequence,
                digest: signed.digest(),
                action: e.action.clone(),
                by: e.by.clone(),
                approvers: approvers.clone(),
                claimed_at: e.claimed_at,
                policy_version: in_force.as_ref().map(TrustedRepoPolicy::version),
                policy_signers: Vec::new(),
                ok: false,
            };
            match &e.action {
                RefLogAction::Policy { version } => {
                    let accepted = self.policy_entry(
                        e,
                        *version,
                        policy_pin,
                        in_force.as_ref(),
                        roster,
                        &mut fail,
                    );
                    if let Some(p) = accepted {
                        checked.policy_version = Some(p.version());
                        checked.policy_signers = p.signed_by().to_vec();
                        // A policy recorded by an entry that fails on its
                        // own account (chain, signature) takes no force.
                        if own.is_empty() {
                            report.policies.push(p.clone());
                            in_force = Some(p);
                        }
                    }
                }
                RefLogAction::Update(u) => {
                    update_entry(
                        e,
                        u,
                        &approvers,
                        in_force.as_ref(),
                        &heads,
                        roster,
                        ancestry,
                        &mut fail,
                    );
                }
            }
            checked.ok = own.is_empty();
            if let (true, RefLogAction::Update(u)) = (checked.ok, &e.action) {
                if is_zero(&u.new) {
                    heads.remove(&u.name);
                } else {
                    heads.insert(u.name.clone(), (u.new.clone(), e.sequence));
                }
            }
            report.failures.append(&mut own);
            report.entries.push(checked);
        }
        report.heads = heads;
        report
    }

    #[allow(clippy::too_many_arguments)]
    fn policy_entry(
        &self,
        e: &RefLogEntry,
        version: u64,
        pin: &Digest,
        in_force: Option<&TrustedRepoPolicy>,
        roster: &TrustedRoster,
        fail: &mut impl FnMut(RefLogFailure),
    ) -> Option<TrustedRepoPolicy> {
        let Some(signed) = self.policies.get(&e.policy) else {
            fail(RefLogFailure::PolicyMissing {
                sequence: e.sequence,
                version,
                digest: e.policy,
            });
            return None;
        };
        let named = signed.unverified().predicate().version;
        let result = if named != version {
            Err(format!(
                "the statement recorded is version {named}, the entry says {version}"
            ))
        } else {
            match in_force {
                None => TrustedRepoPolicy::from_pinned(signed, pin, roster),
                Some(current) => current.update(signed, roster),
            }
            .map_err(|err| error_text(&err))
        };
        match result {
            Ok(p) => Some(p),
            Err(error) => {
                fail(RefLogFailure::PolicyRefused {
                    sequence: e.sequence,
                    version,
                    error,
                });
                None
            }
        }
    }
}

/// The error's message and its causes, on one line.
fn error_text(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The identities with a valid signature on the entry by a key the roster
/// gave them at `at`, each once, in signature order.
fn entry_signers(
    signed: &Signed<RefLogEntry>,
    roster: &TrustedRoster,
    at: Timestamp,
) -> Vec<IdentityId> {
    let (verified, _) = signed.verify_each(|k| roster.public_key(k));
    let mut out: Vec<IdentityId> = Vec::new();
    if let Some(v) = verified {
        for key in v.key_ids() {
            if let Ok((ident, _)) = roster.key_holder(&key, at)
                && !out.contains(&ident.id)
            {
                out.push(ident.id.clone());
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn update_entry(
    e: &RefLogEntry,
    u: &RefUpdate,
    approvers: &[IdentityId],
    in_force: Option<&TrustedRepoPolicy>,
    heads: &BTreeMap<String, (GitObjectId, u64)>,
    roster: &TrustedRoster,
    ancestry: &Ancestry<'_>,
    fail: &mut impl FnMut(RefLogFailure),
) {
    let update = u.to_string();
    let Some(policy) = in_force.filter(|p| p.digest() == e.policy) else {
        fail(RefLogFailure::PolicyNotInForce {
            sequence: e.sequence,
            what: update.clone(),
            named: e.policy,
            in_force: in_force.map(TrustedRepoPolicy::digest),
        });
        return;
    };
    match heads.get(&u.name) {
        Some((head, _)) if *head != u.old => fail(RefLogFailure::OldMismatch {
            sequence: e.sequence,
            update: update.clone(),
            logged: head.clone(),
        }),
        None if !is_zero(&u.old) => fail(RefLogFailure::OldMismatch {
            sequence: e.sequence,
            update: update.clone(),
            logged: zero_like(&u.old),
        }),
        _ => {}
    }
    let Some(rule) = policy.policy().rule_for(&u.name) else {
        // Not a protected ref: its maker's signature is all it needs.
        return;
    };
    if !rule.allows(&e.by, roster, e.claimed_at) {
        fail(RefLogFailure::NotAllowed {
            sequence: e.sequence,
            update: update.clone(),
            pusher: e.by.clone(),
            pattern: rule.pattern.clone(),
            policy_version: policy.version(),
        });
    }
    let have = approvers
        .iter()
        .filter(|a| rule.allows(a, roster, e.claimed_at))
        .count();
    if have < rule.approvals as usize {
        fail(RefLogFailure::Approvals {
            sequence: e.sequence,
            update: update.clone(),
            pattern: rule.pattern.clone(),
            have,
            need: rule.approvals,
        });
    }
    if rule.force_push || is_zero(&u.old) {
        return;
    }
    let forced = if is_zero(&u.new) {
        Some(true)
    } else {
        ancestry(&u.old, &u.new).map(|fast_forward| !fast_forward)
    };
    match forced {
        Some(false) => {}
        Some(true) => fail(RefLogFailure::ForcePush {
            sequence: e.sequence,
            update,
            pusher: e.by.clone(),
            pattern: rule.pattern.clone(),
        }),
        None => fail(RefLogFailure::AncestryUnknown {
            sequence: e.sequence,
            update,
        }),
    }
}

/// The zero id of the same object format as `id`.
fn zero_like(id: &GitObjectId) -> GitObjectId {
    let zeros = "0".repeat(id.as_str().len());
    // 40 or 64 zeros is a valid object id, as `id`'s length is.
    zeros.parse().unwrap_or_else(|_| id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn oid(hex: &str) -> GitObjectId {
        hex.parse().unwrap()
    }

    proptest! {
        #[test]
        fn entries_round_trip(
            sequence in 1u64..1_000_000,
            name in "refs/[a-z/]{1,30}",
            old in "[0-9a-f]{40}",
            new in "[0-9a-f]{40}",
            policy_entry in any::<bool>(),
        ) {
            let action = if policy_entry {
                RefLogAction::Policy { version: sequence }
            } else {
                RefLogAction::Update(RefUpdate { name, old: oid(&old), new: oid(&new) })
            };
            let e = RefLogEntry {
                repository: "https://git.example.com/shop.git".into(),
                sequence,
                previous: (sequence > 1).then(|| Digest::sha256(b"prev")),
                action,
                policy: Digest::sha256(b"policy"),
                by: "person:alice@example.com".parse().unwrap(),
                claimed_at: "2026-12-01T00:00:00Z".parse().unwrap(),
            };
            let bytes = vouch_core::cbor::to_canonical(&e).unwrap();
            let back: RefLogEntry = vouch_core::cbor::from_canonical(&bytes).unwrap();
            prop_assert_eq!(&back, &e);
            prop_assert_eq!(vouch_core::cbor::to_canonical(&back).unwrap(), bytes);
            let json = serde_json::to_vec(&e).unwrap();
            prop_assert_eq!(serde_json::from_slice::<RefLogEntry>(&json).unwrap(), e);
        }
    }

    #[test]
    fn updates_display_escaped() {
        let u = RefUpdate {
            name: "refs/heads/\u{1b}[31mred".into(),
            old: oid(&"0".repeat(40)),
            new: oid(&"a".repeat(40)),
        };
        let shown = u.to_string();
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert!(shown.ends_with("000000000000..aaaaaaaaaaaa"), "{shown}");
        assert!(is_zero(&u.old) && !is_zero(&u.new));
    }
}
