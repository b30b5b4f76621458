//! The release stage's reference-log rule: every certified commit of the
//! repository came in through a logged update of a protected ref, and the
//! signed reference log up to that update verifies (chained by digest,
//! each update made by an identity the policy version in force allowed,
//! with its approvals, no forbidden force-push, each policy version signed
//! by a threshold of the admins before it).
//!
//! The log and its policy versions are the bundle's ref-log and
//! repository-policy statements (`vouch repo export`); reachability and
//! ancestry go through the bundle's commit objects only.

use std::collections::{HashMap, HashSet, VecDeque};

use vouch_manifest::ref_log::is_zero;
use vouch_manifest::{GitObjectId, RefLog, RefLogAction, RefLogEntry, Release, RepoPolicy, Signed};

use super::Eval;
use crate::error::Reason;
use crate::index::Object;
use crate::policy::RefLogRule;

impl<'a> Eval<'a> {
    /// The parents of a commit object of the bundle (`None` when absent or broken).
    fn object_parents(&self, id: &GitObjectId) -> Option<&'a [GitObjectId]> {
        match self.index.objects.get(id) {
            Some(Object::Parsed(p)) => Some(p.object.parents()),
            _ => None,
        }
    }

    /// Whether `old` is an ancestor of `new` (or the same) through the
    /// bundle's commit objects; `None` when the walk met a missing object
    /// before finding it. Bounded by the number of objects.
    fn bundle_ancestor(&self, old: &GitObjectId, new: &GitObjectId) -> Option<bool> {
        let mut seen: HashSet<&GitObjectId> = HashSet::new();
        let mut queue: VecDeque<&GitObjectId> = VecDeque::from([new]);
        let mut complete = true;
        while let Some(id) = queue.pop_front() {
            if id == old {
                return Some(true);
            }
            if !seen.insert(id) {
                continue;
            }
            match self.object_parents(id) {
                Some(parents) => queue.extend(parents.iter()),
                None => complete = false,
            }
        }
        complete.then_some(false)
    }

    /// Checks `r`'s certified commits of `rule.repository` (and those that
    /// name no repository) against the bundle's reference log.
    pub(super) fn check_ref_log(&self, r: &Release, rule: &RefLogRule, failures: &mut Vec<Reason>) {
        let commits: Vec<&GitObjectId> = r
            .commits
            .iter()
            .filter(|c| {
                c.repository
                    .as_deref()
                    .is_none_or(|repo| repo == rule.repository)
            })
            .map(|c| &c.commit)
            .collect();
        if commits.is_empty() {
            return;
        }
        let mut log = RefLog::default();
        let mut seen = HashSet::new();
        for bytes in &self.index.repo_log {
            if let Ok(e) = Signed::<RefLogEntry>::from_bytes(bytes) {
                if e.unverified().predicate().repository == rule.repository
                    && seen.insert(e.digest())
                {
                    log.entries.push(e);
                }
            } else if let Ok(p) = Signed::<RepoPolicy>::from_bytes(bytes) {
                log.policies.insert(p.digest(), p);
            }
        }
        // Log order is sequence order; two entries of one sequence (a fork)
        // stay side by side and the log's own check refuses them.
        log.entries
            .sort_by_key(|e| e.unverified().predicate().sequence);
        let report = log.verify(&rule.repository, &rule.policy, self.roster, &|o, n| {
            self.bundle_ancestor(o, n)
        });
        // Each commit is attributed to the first logged update of a
        // protected ref that reaches it: one walk over the objects in all.
        let mut first: HashMap<&GitObjectId, (u64, String)> = HashMap::new();
        for (signed, checked) in log.entries.iter().zip(&report.entries) {
            let RefLogAction::Update(u) = &signed.unverified().predicate().action else {
                continue;
            };
            let protected = checked
                .policy_version
                .and_then(|v| report.policies.iter().find(|p| p.version() == v))
                .is_some_and(|p| p.policy().rule_for(&u.name).is_some());
            if !protected || is_zero(&u.new) {
                continue;
            }
            let mut queue: VecDeque<&GitObjectId> = VecDeque::from([&u.new]);
            while let Some(id) = queue.pop_front() {
                if first.contains_key(id) {
                    continue;
                }
                first.insert(id, (checked.sequence, u.to_string()));
                if let Some(parents) = self.object_parents(id) {
                    queue.extend(parents.iter());
                }
            }
        }
        let protected_now = report.policies.last();
        let logged: Vec<String> = report
            .heads
            .iter()
            .filter(|(name, _)| protected_now.is_some_and(|p| p.policy().rule_for(name).is_some()))
            .map(|(name, (id, seq))| {
                format!("{} at {id} (entry {seq})", vouch_core::text::escape(name))
            })
            .collect();
        for c in commits {
            match first.get(c) {
                None => failures.push(Reason::RefLogUnlogged {
                    commit: c.clone(),
                    repository: rule.repository.clone(),
                    logged: logged.clone(),
                }),
                Some((sequence, update)) if !report.sound_through(*sequence) => {
                    failures.push(Reason::RefLogRefused {
                        commit: c.clone(),
                        repository: rule.repository.clone(),
                        sequence: *sequence,
                        update: update.clone(),
                        failures: report
                            .failures
                            .iter()
                            .filter(|f| f.sequence() <= *sequence)
                            .map(ToString::to_string)
                            .collect(),
                    });
                }
                Some(_) => {}
            }
        }
    }
}
