//! The repository policy: who administers a repository, who may update
//! which refs and how, which webhooks and deploy keys it may have.
//!
//! Versioned like the roster: version 1 is pinned by its statement digest
//! (given to the verifier out of band, like a roster pin), and every later
//! version names the digest of the one before (`previous`) and is valid
//! only when a threshold of the *previous* version's admins signed it, with
//! keys the roster gives them at the version's `issuedAt`. So every change
//! of a protected branch, a webhook, a deploy key or the admin list is a
//! new version attributed to the admins who signed it.
//!
//! ```json
//! {
//!   "repository": "https://git.example.com/shop.git",
//!   "version": 2,
//!   "previous": "sha256:…",
//!   "admins": {"identities": ["person:alice@example.com", "person:bob@example.com"], "threshold": 2},
//!   "protectedRefs": [
//!     {"pattern": "refs/heads/main", "roles": ["maintainer"], "identities": [],
//!      "approvals": 1, "forcePush": false}
//!   ],
//!   "webhooks": ["https://ci.example.com/hooks/*"],
//!   "deployKeys": [{"title": "ci", "key": "SHA256:…", "write": false}],
//!   "issuedAt": "2026-11-02T09:00:00Z"
//! }
//! ```
//!
//! How versions follow each other in time is decided by the order the
//! signed reference log records them in ([`crate::ref_log`]), never by
//! `issuedAt`, which is only the time the admins' keys must be valid at.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};
use vouch_core::{Digest, Timestamp};

use crate::error::ManifestError;
use crate::ids::{IdentityId, RoleName};
use crate::roster::TrustedRoster;
use crate::signed::Signed;
use crate::statement::{Predicate, Subject, SubjectDigest};

/// The longest repository URL, in bytes.
pub const MAX_REPOSITORY_LEN: usize = 1024;
/// The longest ref or webhook pattern, in bytes.
pub const MAX_PATTERN_LEN: usize = 512;
/// The most entries of any list of a policy (admins, refs, webhooks, keys,
/// and the roles and identities of one ref).
pub const MAX_POLICY_ITEMS: usize = 1024;
/// The most approvals a protected ref may require.
pub const MAX_APPROVALS: u32 = 64;

/// The admins of a repository and how many of them sign a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RepoAdmins {
    /// Roster identities.
    pub identities: Vec<IdentityId>,
    /// How many distinct admins sign the next version.
    pub threshold: NonZeroU32,
}

/// The rule of the refs one pattern matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProtectedRef {
    /// A full ref name (`refs/heads/main`) or a pattern where `*` stands
    /// for any run of characters, `/` included (`refs/heads/release/*`,
    /// `refs/tags/*`). The first pattern of the list that matches a ref
    /// is its rule.
    pub pattern: String,
    /// Roster roles whose holders (at the time of the update) may update it.
    pub roles: Vec<RoleName>,
    /// Identities that may update it whatever their roles.
    pub identities: Vec<IdentityId>,
    /// How many signatures of other allowed identities an update needs
    /// beside the pusher's.
    pub approvals: u32,
    /// Whether an update may drop commits (the old head is not an ancestor
    /// of the new one) or delete the ref.
    pub force_push: bool,
}

impl ProtectedRef {
    /// Whether `identity` may update the refs of this rule at `at`.
    pub fn allows(&self, identity: &IdentityId, roster: &TrustedRoster, at: Timestamp) -> bool {
        self.identities.contains(identity)
            || self
                .roles
                .iter()
                .any(|r| roster.has_role_at(identity, r, at))
    }
}

/// A deploy key the repository may hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeployKey {
    /// Its title at the forge.
    pub title: String,
    /// The key's fingerprint (`SHA256:…`) or public key text.
    pub key: String,
    /// Whether it may push.
    pub write: bool,
}

/// One version of a repository's policy
/// (`predicateType` `https://vouch.dev/repository-policy/v1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RepoPolicy {
    /// The repository URL.
    pub repository: String,
    /// The version, from 1.
    pub version: u64,
    /// The statement digest of the previous version (absent only in version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Digest>,
    /// Who administers the repository.
    pub admins: RepoAdmins,
    /// The protected refs, first match wins.
    pub protected_refs: Vec<ProtectedRef>,
    /// The webhook URLs (patterns, `*` for any run of characters) the
    /// repository may have.
    pub webhooks: Vec<String>,
    /// The deploy keys the repository may have.
    pub deploy_keys: Vec<DeployKey>,
    /// When the admins signed this version (their keys must be valid then).
    pub issued_at: Timestamp,
}

impl RepoPolicy {
    /// SHA-256 of the canonical CBOR of the predicate: what the statement's
    /// subject carries, so a policy statement names its own content.
    pub fn content_digest(&self) -> Result<Digest, ManifestError> {
        Ok(Digest::sha256(&vouch_core::cbor::to_canonical(self)?))
    }

    /// The rule of `refname`: the first protected pattern that matches it.
    pub fn rule_for(&self, refname: &str) -> Option<&ProtectedRef> {
        self.protected_refs
            .iter()
            .find(|r| pattern_matches(&r.pattern, refname))
    }

    /// Whether a webhook URL is allowed by one of the webhook patterns.
    pub fn allows_webhook(&self, url: &str) -> bool {
        self.webhooks.iter().any(|p| pattern_matches(p, url))
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of
/// characters (none included) and everything else for itself.
///
/// Iterative, with one backtrack point: linear in practice and at most
/// `pattern.len() * text.len()` steps, both bounded by the callers.
///
/// ```
/// use vouch_manifest::repo_policy::pattern_matches;
/// assert!(pattern_matches("refs/heads/release/*", "refs/heads/release/1.4"));
/// assert!(pattern_matches("refs/tags/*", "refs/tags/v1/rc"));
/// assert!(!pattern_matches("refs/heads/main", "refs/heads/main2"));
/// ```
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&b| b == b'*')
}

fn invalid(field: &'static str, problem: &'static str) -> ManifestError {
    ManifestError::InvalidPredicate {
        predicate: "repository policy",
        field,
        problem,
    }
}

fn check_text(text: &str, max: usize, field: &'static str) -> Result<(), ManifestError> {
    if text.is_empty() {
        return Err(invalid(field, "is empty"));
    }
    if text.len() > max {
        return Err(invalid(field, "is too long"));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(field, "holds a control character"));
    }
    Ok(())
}

fn check_count(len: usize, field: &'static str) -> Result<(), ManifestError> {
    if len > MAX_POLICY_ITEMS {
        return Err(invalid(field, "has too many entries"));
    }
    Ok(())
}

impl Predicate for RepoPolicy {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/repository-policy/v1";

    fn check(&self) -> Result<(), ManifestError> {
        check_text(&self.repository, MAX_REPOSITORY_LEN, "repository")?;
        if self.version == 0 {
            return Err(invalid("version", "is 0 (versions start at 1)"));
        }
        match (self.version, &self.previous) {
            (1, Some(_)) => return Err(invalid("previous", "is set in version 1")),
            (v, None) if v > 1 => {
                return Err(invalid("previous", "is missing (required after version 1)"));
            }
            _ => {}
        }
        let admins = &self.admins.identities;
        check_count(admins.len(), "admins")?;
        if admins.is_empty() {
            return Err(invalid("admins", "is empty"));
        }
        if admins.iter().collect::<HashSet<_>>().len() != admins.len() {
            return Err(invalid("admins", "lists an identity twice"));
        }
        if self.admins.threshold.get() as usize > admins.len() {
            return Err(invalid("admins.threshold", "exceeds the number of admins"));
        }
        check_count(self.protected_refs.len(), "protectedRefs")?;
        let mut patterns = HashSet::new();
        for r in &self.protected_refs {
            check_text(&r.pattern, MAX_PATTERN_LEN, "protectedRefs.pattern")?;
            if !r.pattern.starts_with("refs/") {
                return Err(invalid(
                    "protectedRefs.pattern",
                    "does not start with refs/",
                ));
            }
            if !patterns.insert(r.pattern.as_str()) {
                return Err(invalid("protectedRefs.pattern", "is listed twice"));
            }
            check_count(r.roles.len(), "protectedRefs.roles")?;
            check_count(r.identities.len(), "protectedRefs.identities")?;
            if r.roles.is_empty() && r.identities.is_empty() {
                return Err(invalid(
                    "protectedRefs",
                    "names nobody who may update a ref (no roles, no identities)",
                ));
            }
            if r.approvals > MAX_APPROVALS {
                return Err(invalid("protectedRefs.approvals", "exceeds 64"));
            }
        }
        check_count(self.webhooks.len(), "webhooks")?;
        for w in &self.webhooks {
            check_text(w, MAX_PATTERN_LEN, "webhooks")?;
        }
        check_count(self.deploy_keys.len(), "deployKeys")?;
        for k in &self.deploy_keys {
            check_text(&k.title, MAX_PATTERN_LEN, "deployKeys.title")?;
            check_text(&k.key, 16 << 10, "deployKeys.key")?;
        }
        Ok(())
    }

    fn default_subjects(&self) -> Vec<Subject> {
        // A policy that cannot be encoded fails `check` on signing anyway.
        let digest = self
            .content_digest()
            .unwrap_or_else(|_| Digest::sha256(b""));
        vec![Subject::sha256(
            format!("repository-policy:{}@{}", self.repository, self.version),
            digest,
        )]
    }

    /// A policy statement's subject is the digest of its own content.
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        self.content_digest()
            .ok()
            .map(|d| (SubjectDigest::sha256(d), "repository policy content digest"))
    }
}

/// Why a repository policy version was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RepoPolicyError {
    /// The first version does not have the pinned digest.
    #[error("repository policy version {version} has digest {found}, not the pinned {expected}")]
    PinMismatch {
        /// The version offered as the first.
        version: u64,
        /// The pin.
        expected: Digest,
        /// Its digest.
        found: Digest,
    },
    /// A version that does not go above the version in force.
    #[error(
        "repository policy version {offered} does not go above version {current} (rollback refused)"
    )]
    Rollback {
        /// The version in force.
        current: u64,
        /// The version offered.
        offered: u64,
    },
    /// A version that skips one.
    #[error("repository policy version {found} follows version {current}; expected {}", current + 1)]
    VersionGap {
        /// The version in force.
        current: u64,
        /// The version offered.
        found: u64,
    },
    /// A version whose `previous` is not the version in force (a fork).
    #[error(
        "repository policy version {version} names previous {found:?}, but version {} in force is {expected}",
        version - 1
    )]
    Fork {
        /// The version offered.
        version: u64,
        /// The digest of the version in force.
        expected: Digest,
        /// The `previous` it names.
        found: Option<Digest>,
    },
    /// Two different statements of one version number.
    #[error("repository policy version {version} exists twice ({first} and {second}): a fork")]
    DuplicateVersion {
        /// The version.
        version: u64,
        /// One digest.
        first: Digest,
        /// The other.
        second: Digest,
    },
    /// A version about another repository.
    #[error("repository policy version {version} is about {found:?}, not {expected:?}")]
    OtherRepository {
        /// The version offered.
        version: u64,
        /// The repository of the version in force.
        expected: String,
        /// The repository it names.
        found: String,
    },
    /// Too few admins signed a version.
    #[error(
        "repository policy version {version} is signed by {have} of the admins of version {by_version} \
         ({signers}); {need} required",
        signers = fmt_ids(signers)
    )]
    AdminThreshold {
        /// The version offered.
        version: u64,
        /// The version whose admins must sign it (the one before; itself for version 1).
        by_version: u64,
        /// Distinct admins with a valid signature.
        have: usize,
        /// The threshold.
        need: u32,
        /// Those admins.
        signers: Vec<IdentityId>,
    },
    /// The statement's subject does not carry its content digest.
    #[error("repository policy version {0}: its subject does not carry its content digest")]
    SubjectMismatch(u64),
    /// No version was given.
    #[error("no repository policy version was given")]
    Empty,
}

fn fmt_ids(ids: &[IdentityId]) -> String {
    if ids.is_empty() {
        return "none".into();
    }
    ids.iter()
        .map(IdentityId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A repository policy version whose chain from the pinned first version
/// has been verified.
#[derive(Debug, Clone)]
pub struct TrustedRepoPolicy {
    policy: RepoPolicy,
    digest: Digest,
    signed_by: Vec<IdentityId>,
}

/// The admins of `admins` that signed `signed` with a valid signature by a
/// key the roster gave them at `at`: counted once per identity.
fn admin_signers(
    signed: &Signed<RepoPolicy>,
    admins: &RepoAdmins,
    roster: &TrustedRoster,
    at: Timestamp,
) -> Vec<IdentityId> {
    let (verified, _) = signed.verify_each(|k| roster.public_key(k));
    let mut out: Vec<IdentityId> = Vec::new();
    let Some(verified) = verified else {
        return out;
    };
    for key in verified.key_ids() {
        if let Ok((ident, _)) = roster.key_holder(&key, at)
            && admins.identities.contains(&ident.id)
            && !out.contains(&ident.id)
        {
            out.push(ident.id.clone());
        }
    }
    out.sort();
    out
}

fn subject_matches(signed: &Signed<RepoPolicy>) -> Result<(), ManifestError> {
    let p = signed.unverified().predicate();
    let expected = p.content_digest()?;
    if signed
        .unverified()
        .subjects()
        .iter()
        .any(|s| s.digest.sha256 == Some(expected))
    {
        Ok(())
    } else {
        Err(ManifestError::RepoPolicy(RepoPolicyError::SubjectMismatch(
            p.version,
        )))
    }
}

fn threshold(
    signed: &Signed<RepoPolicy>,
    by: &RepoPolicy,
    roster: &TrustedRoster,
) -> Result<Vec<IdentityId>, RepoPolicyError> {
    let p = signed.unverified().predicate();
    let signers = admin_signers(signed, &by.admins, roster, p.issued_at);
    if signers.len() < by.admins.threshold.get() as usize {
        return Err(RepoPolicyError::AdminThreshold {
            version: p.version,
            by_version: by.version,
            have: signers.len(),
            need: by.admins.threshold.get(),
            signers,
        });
    }
    Ok(signers)
}

impl TrustedRepoPolicy {
    /// Trusts the first version because its statement digest is `pin` and
    /// a threshold of its own admins signed it.
    pub fn from_pinned(
        signed: &Signed<RepoPolicy>,
        pin: &Digest,
        roster: &TrustedRoster,
    ) -> Result<Self, ManifestError> {
        let p = signed.unverified().predicate();
        if signed.digest() != *pin {
            return Err(RepoPolicyError::PinMismatch {
                version: p.version,
                expected: *pin,
                found: signed.digest(),
            }
            .into());
        }
        subject_matches(signed)?;
        let signed_by = threshold(signed, p, roster)?;
        Ok(TrustedRepoPolicy {
            policy: p.clone(),
            digest: signed.digest(),
            signed_by,
        })
    }

    /// Moves to the next version: exactly one above, naming this one as
    /// previous, about the same repository, signed by a threshold of this
    /// version's admins.
    pub fn update(
        &self,
        next: &Signed<RepoPolicy>,
        roster: &TrustedRoster,
    ) -> Result<Self, ManifestError> {
        let p = next.unverified().predicate();
        let current = self.policy.version;
        if p.version <= current {
            return Err(RepoPolicyError::Rollback {
                current,
                offered: p.version,
            }
            .into());
        }
        if p.version != current + 1 {
            return Err(RepoPolicyError::VersionGap {
                current,
                found: p.version,
            }
            .into());
        }
        if p.previous != Some(self.digest) {
            return Err(RepoPolicyError::Fork {
                version: p.version,
                expected: self.digest,
                found: p.previous,
            }
            .into());
        }
        if p.repository != self.policy.repository {
            return Err(RepoPolicyError::OtherRepository {
                version: p.version,
                expected: self.policy.repository.clone(),
                found: p.repository.chars().take(200).collect(),
            }
            .into());
        }
        subject_matches(next)?;
        let signed_by = threshold(next, &self.policy, roster)?;
        Ok(TrustedRepoPolicy {
            policy: p.clone(),
            digest: next.digest(),
            signed_by,
        })
    }

    /// Verifies a chain of versions (in any order) from the pinned first
    /// one, returning every version, oldest first. Two statements of one
    /// version number are a fork, refused.
    pub fn verify_chain(
        pin: &Digest,
        versions: &[Signed<RepoPolicy>],
        roster: &TrustedRoster,
    ) -> Result<Vec<TrustedRepoPolicy>, ManifestError> {
        let mut by_version: HashMap<u64, &Signed<RepoPolicy>> = HashMap::new();
        for v in versions {
            let n = v.unverified().predicate().version;
            if let Some(other) = by_version.insert(n, v)
                && other.digest() != v.digest()
            {
                return Err(RepoPolicyError::DuplicateVersion {
                    version: n,
                    first: other.digest(),
                    second: v.digest(),
                }
                .into());
            }
        }
        let mut sorted: Vec<&Signed<RepoPolicy>> = by_version.into_values().collect();
        sorted.sort_by_key(|v| v.unverified().predicate().version);
        let first = sorted.first().ok_or(RepoPolicyError::Empty)?;
        let mut out = vec![TrustedRepoPolicy::from_pinned(first, pin, roster)?];
        for next in &sorted[1..] {
            let Some(last) = out.last() else { break };
            let trusted = last.update(next, roster)?;
            out.push(trusted);
        }
        Ok(out)
    }

    /// The policy.
    pub fn policy(&self) -> &RepoPolicy {
        &self.policy
    }

    /// Its version.
    pub fn version(&self) -> u64 {
        self.policy.version
    }

    /// Its statement digest.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The admins whose signatures made it valid.
    pub fn signed_by(&self) -> &[IdentityId] {
        &self.signed_by
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn policy(version: u64, previous: Option<Digest>) -> RepoPolicy {
        RepoPolicy {
            repository: "https://git.example.com/shop.git".into(),
            version,
            previous,
            admins: RepoAdmins {
                identities: vec!["person:alice@example.com".parse().unwrap()],
                threshold: NonZeroU32::MIN,
            },
            protected_refs: vec![ProtectedRef {
                pattern: "refs/heads/main".into(),
                roles: vec!["maintainer".parse().unwrap()],
                identities: vec![],
                approvals: 0,
                force_push: false,
            }],
            webhooks: vec!["https://ci.example.com/*".into()],
            deploy_keys: vec![],
            issued_at: "2026-11-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("refs/heads/main", "refs/heads/main"));
        assert!(pattern_matches("refs/heads/*", "refs/heads/a/b"));
        assert!(pattern_matches("*", ""));
        assert!(pattern_matches("a*b*c", "aXXbYYc"));
        assert!(!pattern_matches("a*b*c", "aXXbYY"));
        assert!(!pattern_matches("refs/heads/main", "refs/heads/mai"));
        assert!(!pattern_matches("", "x"));
    }

    #[test]
    fn checks() {
        assert!(policy(1, None).check().is_ok());
        assert!(policy(2, None).check().is_err());
        assert!(policy(1, Some(Digest::sha256(b"x"))).check().is_err());
        assert!(policy(0, None).check().is_err());
        let mut p = policy(1, None);
        p.admins.threshold = NonZeroU32::new(2).unwrap();
        assert!(p.check().is_err());
        let mut p = policy(1, None);
        p.protected_refs[0].pattern = "heads/main".into();
        assert!(p.check().is_err());
        let mut p = policy(1, None);
        p.protected_refs[0].roles.clear();
        assert!(p.check().is_err());
        let mut p = policy(1, None);
        p.protected_refs.push(p.protected_refs[0].clone());
        assert!(p.check().is_err());
        let mut p = policy(1, None);
        p.webhooks.push("https://x\n".into());
        assert!(p.check().is_err());
        let p = policy(1, None);
        assert!(p.allows_webhook("https://ci.example.com/hook"));
        assert!(!p.allows_webhook("https://evil.example.com/hook"));
        assert!(p.rule_for("refs/heads/main").is_some());
        assert!(p.rule_for("refs/heads/dev").is_none());
    }

    #[test]
    fn zero_threshold_is_refused_by_the_decoder() {
        let json = serde_json::to_string(&policy(1, None))
            .unwrap()
            .replace(r#""threshold":1"#, r#""threshold":0"#);
        assert!(serde_json::from_str::<RepoPolicy>(&json).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(
            version in 1u64..1000,
            approvals in 0u32..65,
            force in any::<bool>(),
            pattern in "refs/[a-z*/]{1,30}",
            hook in "[ -~]{1,40}",
        ) {
            let previous = (version > 1).then(|| Digest::sha256(b"prev"));
            let mut p = policy(version, previous);
            p.protected_refs[0].approvals = approvals;
            p.protected_refs[0].force_push = force;
            p.protected_refs[0].pattern = pattern;
            p.webhooks = vec![hook];
            let bytes = vouch_core::cbor::to_canonical(&p).unwrap();
            let back: RepoPolicy = vouch_core::cbor::from_canonical(&bytes).unwrap();
            prop_assert_eq!(&back, &p);
            prop_assert_eq!(vouch_core::cbor::to_canonical(&back).unwrap(), bytes);
        }

        #[test]
        fn pattern_matching_never_panics(p in "[a*/]{0,12}", t in "[a/]{0,12}") {
            let _ = pattern_matches(&p, &t);
            prop_assert!(pattern_matches("*", &t));
            prop_assert!(pattern_matches(&t, &t));
        }
    }
}
