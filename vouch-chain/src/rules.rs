//! Signer rules applied to attested signatures: roles held at signing time,
//! hardware evidence, thresholds over distinct identities, and combinations
//! whose parts need distinct people.

use std::collections::{BTreeSet, HashSet};

use vouch_core::Evidence;
use vouch_manifest::{AuthenticatorStatus, IdentityId, RoleName, TrustedRoster};

use crate::attest::Attested;
use crate::error::Reason;
use crate::policy::{HardwareRequirement, Rule, RuleView};

/// The one place thresholds are counted: distinct identities, never keys.
pub(crate) fn count_distinct_identities<'i>(ids: impl Iterator<Item = &'i IdentityId>) -> usize {
    ids.collect::<HashSet<_>>().len()
}

/// Whether one signature shows a hardware property.
///
/// FIDO evidence is only ever on a FIDO key's signature: vouch-core refuses
/// it on any other key, so evidence that reaches here was made by the
/// authenticator the key names.
fn satisfies(roster: &TrustedRoster, s: &Attested<'_>, req: HardwareRequirement) -> bool {
    // A Sigstore bundle carries no hardware evidence, and even one signed
    // with a TPM-attested roster key is not counted as such: the roster
    // vouches for the key's signatures on vouch statements, and the rule
    // stays the conservative reading.
    if s.sigstore.is_some() {
        return false;
    }
    let fido = match &s.evidence {
        Some(Evidence::Fido(a))
            if s.roster_key
                .is_some_and(|k| k.key.fido_application().is_some()) =>
        {
            Some(a)
        }
        _ => None,
    };
    match req {
        HardwareRequirement::UserPresence => fido.is_some_and(|a| a.flags.user_present()),
        HardwareRequirement::UserVerification => fido.is_some_and(|a| a.flags.user_verified()),
        // The verifier's own finding from the key's TPM2_Certify, by an AK
        // the roster enrolled for the key's identity; the bare
        // `HardwareClaim::TpmResident` of older rosters counts for nothing.
        HardwareRequirement::TpmAttested => roster
            .tpm(&s.key_id)
            .is_some_and(vouch_manifest::TpmStatus::is_attested),
        HardwareRequirement::TpmEndorsed => roster
            .tpm(&s.key_id)
            .is_some_and(vouch_manifest::TpmStatus::is_endorsed),
        // The verifier's own finding from the enrollment bytes, not the
        // finding the roster's signers recorded.
        HardwareRequirement::AttestedAuthenticator => {
            fido.is_some()
                && roster
                    .authenticator(&s.key_id)
                    .is_some_and(AuthenticatorStatus::is_attested)
        }
    }
}

/// Most candidate sets a combination may consider before it is refused
/// as too complex (fail closed, never guess).
const BUDGET: usize = 4096;

/// Applies rules against one roster.
pub(crate) struct Rules<'r> {
    pub(crate) roster: &'r TrustedRoster,
}

impl Rules<'_> {
    /// Whether `s`'s identity held one of `roles` when it signed.
    fn holds(&self, s: &Attested<'_>, roles: &[RoleName]) -> bool {
        roles
            .iter()
            .any(|r| self.roster.has_role_at(&s.identity.id, r, s.at))
    }

    /// The identities that qualify for a leaf: one of its roles at signing
    /// time and every hardware requirement on some signature of theirs.
    fn qualifying<'s>(
        &self,
        roles: &[RoleName],
        hardware: &[HardwareRequirement],
        signers: &'s [Attested<'_>],
    ) -> BTreeSet<&'s IdentityId> {
        signers
            .iter()
            .filter(|s| {
                self.holds(s, roles) && hardware.iter().all(|h| satisfies(self.roster, s, *h))
            })
            .map(|s| &s.identity.id)
            .collect()
    }

    /// Checks `rule` over `signers`; empty means satisfied.
    pub(crate) fn check(&self, rule: &Rule, signers: &[Attested<'_>]) -> Vec<Reason> {
        let reasons = self.independent(rule, signers);
        if !reasons.is_empty() || !needs_distinct(rule) {
            return reasons;
        }
        let pool: BTreeSet<&IdentityId> = signers.iter().map(|s| &s.identity.id).collect();
        let mut budget = BUDGET;
        match self.satisfiable(rule, signers, &pool, &mut budget) {
            Some(true) => Vec::new(),
            Some(false) => vec![Reason::NotDistinct {
                rule: rule.to_string(),
            }],
            None => vec![Reason::RuleTooComplex {
                rule: rule.to_string(),
            }],
        }
    }

    /// Whether `rule` holds over identities from `pool`, each counting
    /// toward one part of a distinct `all_of`; `None` when undecided
    /// within the budget.
    fn satisfiable<'s>(
        &self,
        rule: &Rule,
        signers: &'s [Attested<'_>],
        pool: &BTreeSet<&'s IdentityId>,
        budget: &mut usize,
    ) -> Option<bool> {
        match rule.view() {
            RuleView::Signers {
                roles,
                threshold,
                hardware,
            } => Some(
                count_distinct_identities(
                    self.qualifying(roles, hardware, signers)
                        .intersection(pool)
                        .copied(),
                ) >= threshold.get() as usize,
            ),
            RuleView::AnyOf(rules) => {
                for r in rules {
                    if self.satisfiable(r, signers, pool, budget)? {
                        return Some(true);
                    }
                }
                Some(false)
            }
            RuleView::AllOf {
                rules,
                distinct_identities: false,
            } => {
                for r in rules {
                    if !self.satisfiable(r, signers, pool, budget)? {
                        return Some(false);
                    }
                }
                Some(true)
            }
            RuleView::AllOf { rules, .. } => {
                // The usual shape, parts that are all leaves, is an exact
                // assignment problem: solve it as a flow, whatever the counts.
                let leaves: Option<Vec<(BTreeSet<&IdentityId>, usize)>> = rules
                    .iter()
                    .map(|r| match r.view() {
                        RuleView::Signers {
                            roles,
                            threshold,
                            hardware,
                        } => Some((
                            self.qualifying(roles, hardware, signers)
                                .intersection(pool)
                                .copied()
                                .collect(),
                            threshold.get() as usize,
                        )),
                        _ => None,
                    })
                    .collect();
                match leaves {
                    Some(legs) => Some(assign(&legs)),
                    None => self
                        .options(rule, signers, pool, budget)
                        .map(|sets| !sets.is_empty()),
                }
            }
        }
    }

    /// Each part checked on its own (identities may count toward several
    /// parts); the reasons say which part fails and why.
    fn independent(&self, rule: &Rule, signers: &[Attested<'_>]) -> Vec<Reason> {
        match rule.view() {
            RuleView::Signers {
                roles,
                threshold,
                hardware,
            } => {
                let have = count_distinct_identities(
                    self.qualifying(roles, hardware, signers).into_iter(),
                );
                if have >= threshold.get() as usize {
                    return Vec::new();
                }
                let mut without_role: Vec<IdentityId> = Vec::new();
                for s in signers.iter().filter(|s| !self.holds(s, roles)) {
                    if !without_role.contains(&s.identity.id) {
                        without_role.push(s.identity.id.clone());
                    }
                }
                let mut out = vec![Reason::Threshold {
                    rule: rule.to_string(),
                    have,
                    need: threshold.get(),
                    without_role,
                }];
                for s in signers.iter().filter(|s| self.holds(s, roles)) {
                    for h in hardware.iter().filter(|h| !satisfies(self.roster, s, **h)) {
                        out.push(if s.sigstore.is_some() {
                            Reason::SigstoreNoHardware {
                                identity: s.identity.id.clone(),
                                requirement: *h,
                            }
                        } else {
                            Reason::MissingHardware {
                                identity: s.identity.id.clone(),
                                key_id: s.key_id,
                                requirement: *h,
                            }
                        });
                    }
                }
                out
            }
            RuleView::AllOf { rules, .. } => rules
                .iter()
                .flat_map(|r| self.independent(r, signers))
                .collect(),
            RuleView::AnyOf(rules) => {
                let results: Vec<Vec<Reason>> =
                    rules.iter().map(|r| self.independent(r, signers)).collect();
                if results.iter().any(Vec::is_empty) {
                    Vec::new()
                } else {
                    results.into_iter().flatten().collect()
                }
            }
        }
    }

    /// The sets of identities (from `pool`) that satisfy `rule`, each
    /// minimal for a leaf; `None` when the budget runs out.
    fn options<'s>(
        &self,
        rule: &Rule,
        signers: &'s [Attested<'_>],
        pool: &BTreeSet<&'s IdentityId>,
        budget: &mut usize,
    ) -> Option<Vec<BTreeSet<&'s IdentityId>>> {
        match rule.view() {
            RuleView::Signers {
                roles,
                threshold,
                hardware,
            } => {
                let q: Vec<&IdentityId> = self
                    .qualifying(roles, hardware, signers)
                    .intersection(pool)
                    .copied()
                    .collect();
                let mut out = Vec::new();
                combinations(&q, threshold.get() as usize, budget, &mut out)?;
                Some(out)
            }
            RuleView::AnyOf(rules) => {
                let mut out = Vec::new();
                for r in rules {
                    for set in self.options(r, signers, pool, budget)? {
                        if !out.contains(&set) {
                            out.push(set);
                        }
                    }
                }
                Some(out)
            }
            RuleView::AllOf {
                rules,
                distinct_identities,
            } => {
                let mut acc: Vec<BTreeSet<&IdentityId>> = vec![BTreeSet::new()];
                for r in rules {
                    let parts = self.options(r, signers, pool, budget)?;
                    let mut next = Vec::new();
                    for a in &acc {
                        for p in &parts {
                            if distinct_identities && !a.is_disjoint(p) {
                                continue;
                            }
                            *budget = budget.checked_sub(1)?;
                            let u: BTreeSet<&IdentityId> = a.union(p).copied().collect();
                            if !next.contains(&u) {
                                next.push(u);
                            }
                        }
                    }
                    acc = next;
                    if acc.is_empty() {
                        break;
                    }
                }
                Some(acc)
            }
        }
    }
}

/// Whether each leg can get its threshold of identities from its own
/// qualifying set, no identity serving two legs: a maximum flow from legs
/// (capacity = threshold) to identities (capacity 1), by augmenting paths.
fn assign(legs: &[(BTreeSet<&IdentityId>, usize)]) -> bool {
    let need: usize = legs.iter().map(|(_, t)| *t).sum();
    // Which leg each identity currently serves.
    let mut owner: std::collections::BTreeMap<&IdentityId, usize> = Default::default();
    let mut served = vec![0usize; legs.len()];
    fn augment<'i>(
        leg: usize,
        legs: &[(BTreeSet<&'i IdentityId>, usize)],
        owner: &mut std::collections::BTreeMap<&'i IdentityId, usize>,
        visited: &mut BTreeSet<&'i IdentityId>,
    ) -> bool {
        for id in &legs[leg].0 {
            if !visited.insert(*id) {
                continue;
            }
            let free = match owner.get(id) {
                None => true,
                Some(&other) => augment(other, legs, owner, visited),
            };
            if free {
                owner.insert(*id, leg);
                return true;
            }
        }
        false
    }
    for (leg, (_, threshold)) in legs.iter().enumerate() {
        while served[leg] < *threshold {
            if !augment(leg, legs, &mut owner, &mut BTreeSet::new()) {
                return false;
            }
            served[leg] += 1;
        }
    }
    served.iter().sum::<usize>() == need
}

/// Whether a rule has an `all_of` whose parts must use distinct identities.
fn needs_distinct(rule: &Rule) -> bool {
    match rule.view() {
        RuleView::Signers { .. } => false,
        RuleView::AnyOf(rules) => rules.iter().any(needs_distinct),
        RuleView::AllOf {
            rules,
            distinct_identities,
        } => (distinct_identities && rules.len() > 1) || rules.iter().any(needs_distinct),
    }
}

/// Every `k`-subset of `items`, within the budget.
fn combinations<'s>(
    items: &[&'s IdentityId],
    k: usize,
    budget: &mut usize,
    out: &mut Vec<BTreeSet<&'s IdentityId>>,
) -> Option<()> {
    fn go<'s>(
        items: &[&'s IdentityId],
        k: usize,
        start: usize,
        current: &mut Vec<&'s IdentityId>,
        budget: &mut usize,
        out: &mut Vec<BTreeSet<&'s IdentityId>>,
    ) -> Option<()> {
        if current.len() == k {
            *budget = budget.checked_sub(1)?;
            out.push(current.iter().copied().collect());
            return Some(());
        }
        for i in start..items.len() {
            if items.len() - i < k - current.len() {
                break;
            }
            current.push(items[i]);
            go(items, k, i + 1, current, budget, out)?;
            current.pop();
        }
        Some(())
    }
    if k > items.len() {
        return Some(());
    }
    go(items, k, 0, &mut Vec::new(), budget, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<IdentityId> {
        names
            .iter()
            .map(|n| format!("person:{n}@example.com").parse().unwrap())
            .collect()
    }

    #[test]
    fn assignment_finds_distinct_people_per_leg() {
        let p = ids(&["a", "b", "c"]);
        let set = |ix: &[usize]| ix.iter().map(|&i| &p[i]).collect::<BTreeSet<_>>();
        // a serves the second leg only if b takes the first.
        assert!(assign(&[(set(&[0, 1]), 1), (set(&[0]), 1)]));
        // Two legs that only a can serve.
        assert!(!assign(&[(set(&[0]), 1), (set(&[0]), 1)]));
        // Thresholds above one: {a,b,c} need 2, {a} needs 1.
        assert!(assign(&[(set(&[0, 1, 2]), 2), (set(&[0]), 1)]));
        assert!(!assign(&[(set(&[0, 1]), 2), (set(&[0]), 1)]));
        // Augmenting through a chain of reassignments.
        assert!(assign(&[
            (set(&[0]), 1),
            (set(&[0, 1]), 1),
            (set(&[1, 2]), 1)
        ]));
    }
}
