//! The commit link: who wrote it, who signed it, and whether they are the
//! same person.
//!
//! A commit is proven by the SSH signature inside its git object (`git
//! commit -S`) and by commit attestations over its id; all of them are
//! checked. The author and committer come from the commit object when the
//! bundle has it (its id covers them), otherwise from the attestation.
//! Attribution: the author, matched by email to a roster identity, must be
//! the one who signed (by default); under `attribution = "committer"` the
//! committer's signature also counts and the trace names both.

use vouch_git::commit::{CommitObject, GitError};
use vouch_git::signature::SignatureFormat;
use vouch_manifest::{Commit, GitObjectId, GitPerson, IdentityId};

use super::{CommitFacts, Eval};
use crate::attest::{Attested, Covers};
use crate::error::Reason;
use crate::index::Object;
use crate::policy::Attribution;
use crate::trace::{LinkKind, TraceNode, TracePerson};
use vouch_core::text::error_chain;

/// A name, an email and a time, as a commit object or an attestation has them.
struct Who<'c> {
    name: &'c str,
    email: &'c str,
    time: vouch_core::Timestamp,
}

impl Who<'_> {
    fn is(&self, p: &GitPerson) -> bool {
        self.name == p.name && self.email == p.email && self.time == p.time
    }
}

/// Who a commit says wrote and committed it, and its parents (borrowed
/// from the commit object, or from an attestation when there is none).
struct Facts<'c> {
    author: Who<'c>,
    committer: Who<'c>,
    tree: &'c GitObjectId,
    parents: &'c [GitObjectId],
}

impl<'c> Facts<'c> {
    fn of_object(o: &'c CommitObject) -> Self {
        let who = |i: &'c vouch_git::commit::Ident| Who {
            name: &i.name,
            email: &i.email,
            time: i.time,
        };
        Facts {
            author: who(o.author()),
            committer: who(o.committer()),
            tree: o.tree(),
            parents: o.parents(),
        }
    }

    fn of_attestation(c: &'c Commit) -> Self {
        let who = |p: &'c GitPerson| Who {
            name: &p.name,
            email: &p.email,
            time: p.time,
        };
        Facts {
            author: who(&c.author),
            committer: who(&c.committer),
            tree: &c.tree_id,
            parents: &c.parents,
        }
    }

    /// The first field on which `c` says otherwise.
    fn disagreement(&self, c: &Commit) -> Option<&'static str> {
        if !self.author.is(&c.author) {
            Some("author")
        } else if !self.committer.is(&c.committer) {
            Some("committer")
        } else if c.tree_id != *self.tree {
            Some("treeId")
        } else if c.parents != self.parents {
            Some("parents")
        } else {
            None
        }
    }
}

impl<'a> Eval<'a> {
    pub(super) fn commit(&mut self, id: &'a GitObjectId) -> TraceNode {
        if let Some(outcome) = self.seen_commits.get(id) {
            return Self::reference(LinkKind::Commit, id.as_str(), *outcome);
        }
        let node = self.commit_uncached(id);
        self.seen_commits.insert(id, node.outcome);
        node
    }

    fn commit_uncached(&mut self, id: &'a GitObjectId) -> TraceNode {
        let index = self.index;
        let mut node = TraceNode::new(LinkKind::Commit, id.to_string());
        let object = match index.objects.get(id) {
            Some(Object::Parsed(p)) => Some(p.as_ref()),
            _ => None,
        };
        if self.exempt(id) {
            node.note = Some("legacy commit, exempt by policy".into());
            self.commit_facts.insert(
                id,
                CommitFacts {
                    parents: object.map(|o| o.object.parents()),
                    ..CommitFacts::default()
                },
            );
            node.settle();
            return node;
        }
        let mut failures = Vec::new();
        if let Some(Object::Broken(e)) = index.objects.get(id) {
            failures.push(Reason::GitSignature {
                commit: id.clone(),
                problem: error_chain(e),
            });
        }
        let entries = index.commits.get(id).map(Vec::as_slice).unwrap_or_default();
        // An OpenPGP-signed object is checked against the roster's
        // OpenPGP keys (or refused when that support is not built).
        let openpgp = object
            .filter(|o| o.object.signature_format() == Some(SignatureFormat::OpenPgp))
            .map(|o| {
                self.attester.openpgp(
                    &format!("commit {id}"),
                    o.object.signature().unwrap_or_default(),
                    o.object.payload(),
                )
            });
        let object_signed = openpgp.as_ref().is_some_and(Result::is_ok)
            || object.is_some_and(|o| {
                o.signature()
                    .as_ref()
                    .is_ok_and(|sig| self.roster.public_key(&sig.key_id()).is_some())
            });
        let groups = self.decode_beside(entries, object_signed, &mut failures);
        // The facts: from the object when present (the id covers them).
        let facts = match (object, groups.first()) {
            (Some(o), _) => Facts::of_object(&o.object),
            (None, Some(g)) => Facts::of_attestation(g[0].unverified().predicate()),
            (None, None) => {
                if failures.is_empty() {
                    failures.push(Reason::CommitUnsigned { commit: id.clone() });
                }
                self.commit_facts.insert(id, CommitFacts::default());
                node.failures = failures;
                node.settle();
                return node;
            }
        };
        for g in &groups {
            if let Some(field) = facts.disagreement(g[0].unverified().predicate()) {
                if object.is_some() {
                    failures.push(Reason::AttestationDisagrees {
                        commit: id.clone(),
                        statement: g[0].digest(),
                        field,
                    });
                } else {
                    failures.push(Reason::Conflict {
                        subject: format!("commit {id} ({field})"),
                        first: groups[0][0].digest(),
                        second: g[0].digest(),
                    });
                }
            }
        }
        let at = facts.committer.time;
        self.check_time(at, None, &mut failures);
        if object.is_none()
            && self
                .policy
                .commit
                .as_ref()
                .is_some_and(|p| p.require_objects)
        {
            failures.push(Reason::CommitObjectMissing { commit: id.clone() });
        }

        // Each commit is evaluated once: its certifiers are taken, not copied.
        let releases = self.certifiers.remove(id).unwrap_or_default();
        // What witnesses prove about each attestation of this commit; an
        // attestation names the commit id, which covers the commit object
        // and its signature, so the earliest proof dates the object too.
        let rule = self
            .policy
            .commit
            .as_ref()
            .map(|p| p.time)
            .unwrap_or_default();
        let mut proofs = Vec::with_capacity(groups.len());
        let mut earliest = crate::witness::Proof::default();
        for g in &groups {
            let proof = self.prove(g, at, crate::policy::TimeRule::Claimed, &mut failures);
            earliest.merge(proof.clone());
            proofs.push(proof);
        }
        if rule == crate::policy::TimeRule::Proven && earliest.time.is_none() {
            match groups.first() {
                Some(g) => failures.push(Reason::TimeNotProven {
                    statement: g[0].digest(),
                    refused: earliest.refused.clone(),
                }),
                None => failures.push(Reason::CommitTimeNotProven { commit: id.clone() }),
            }
        }
        let proven_at = earliest.time.as_ref().map(|p| p.at);
        let mut signers: Vec<Attested<'a>> = Vec::new();
        let mut capacities: Vec<&'static str> = Vec::new();
        if let Some(o) = object {
            let covers = Covers {
                statement: None,
                commit: Some(id),
                releases: &releases,
            };
            match (openpgp, o.signature()) {
                (Some(Ok(pgp)), _) => {
                    if let Some(a) =
                        self.attester
                            .holder(pgp.key_id, None, at, proven_at, covers, &mut failures)
                    {
                        signers.push(a);
                        capacities.push("signed the commit object (OpenPGP)");
                        node.note = Some(format!("OpenPGP signature by key {}", pgp.signing_key));
                    }
                }
                (Some(Err(reason)), _) => failures.push(reason),
                (None, Ok(sig)) => {
                    if self.roster.public_key(&sig.key_id()).is_none() {
                        failures.push(Reason::UnknownKey {
                            key_id: sig.key_id(),
                        });
                    } else if let Some(a) = self.attester.holder(
                        sig.key_id(),
                        sig.signature().evidence().cloned(),
                        at,
                        proven_at,
                        covers,
                        &mut failures,
                    ) {
                        signers.push(a);
                        capacities.push("signed the commit object");
                    }
                }
                // An unsigned object may still be proven by an attestation.
                (None, Err(GitError::Unsigned(_))) if !groups.is_empty() => {}
                (None, Err(GitError::Unsigned(_))) => {
                    failures.push(Reason::CommitUnsigned { commit: id.clone() })
                }
                (None, Err(e)) => failures.push(Reason::GitSignature {
                    commit: id.clone(),
                    problem: error_chain(e),
                }),
            }
        }
        node.statement = groups.first().map(|g| g[0].digest());
        let mut statements: Vec<Option<vouch_core::Digest>> = vec![None; signers.len()];
        for (n, g) in groups.iter().enumerate() {
            let statement = g[0].digest();
            let c = g[0].unverified().predicate();
            let covers = Covers {
                statement: Some(&statement),
                commit: Some(id),
                releases: &releases,
            };
            let proven = proofs.get(n).and_then(|p| p.time.as_ref()).map(|p| p.at);
            let attested = self
                .attester
                .statement(g, at, proven, covers, &mut failures);
            if !attested.iter().any(|s| s.identity.id == c.signer) {
                failures.push(Reason::NotProven {
                    field: "signer",
                    identity: c.signer.clone(),
                });
            }
            for s in attested {
                signers.push(s);
                capacities.push("signed an attestation");
                // The link's statement is the first attestation; others are named per signer.
                statements.push((n > 0).then_some(statement));
            }
        }

        let authors = self.attribute(id, &facts, &signers, &mut failures, &mut node);
        node.time = Some(Self::timed(at, &signers, &earliest));
        // Exact capacities here and below: a trace keeps a node per commit.
        node.signers.reserve_exact(signers.len());
        for ((s, capacity), statement) in signers.iter().zip(capacities).zip(statements) {
            let mut signer = self.trace_signer(s, capacity);
            signer.statement = statement;
            node.signers.push(signer);
        }
        self.commit_facts.insert(
            id,
            CommitFacts {
                parents: Some(facts.parents),
                time: Some(at),
                authors,
            },
        );
        node.failures = failures;
        node.settle();
        node
    }

    /// Attribution: the identities the commit is proven to be by, and the
    /// commit rule applied to their signatures only.
    fn attribute(
        &self,
        id: &GitObjectId,
        facts: &Facts<'_>,
        signers: &[Attested<'a>],
        failures: &mut Vec<Reason>,
        node: &mut TraceNode,
    ) -> Vec<IdentityId> {
        let Some(pol) = &self.policy.commit else {
            return Vec::new();
        };
        let author = self.person_by_email(facts.author.email);
        // The forge (GitHub's web-flow key signs the merges made in its web
        // interface) is a workload identity whose email proof is the
        // committer's address: it can be the committer who signed.
        let forge = signers.iter().map(|s| s.identity).find(|i| {
            i.kind() == vouch_manifest::IdentityKind::Workload
                && i.proofs.iter().any(|p| {
                    matches!(p, vouch_manifest::IdentityProof::Email { address }
                        if vouch_manifest::same_email(address, facts.committer.email))
                })
        });
        let committer = self.person_by_email(facts.committer.email).or(forge);
        let signed_by = |who: Option<&IdentityId>| {
            who.is_some_and(|w| signers.iter().any(|s| s.identity.id == *w))
        };
        let author_id = author.map(|i| &i.id);
        let committer_id = committer.map(|i| &i.id);
        node.people.reserve_exact(2);
        node.people.push(TracePerson {
            capacity: "author",
            name: facts.author.name.to_owned(),
            email: facts.author.email.to_owned(),
            identity: author_id.cloned(),
            signed: signed_by(author_id),
        });
        node.people.push(TracePerson {
            capacity: "committer",
            name: facts.committer.name.to_owned(),
            email: facts.committer.email.to_owned(),
            identity: committer_id.cloned(),
            signed: signed_by(committer_id),
        });
        let all: Vec<IdentityId> = {
            let mut v: Vec<IdentityId> = Vec::new();
            for s in signers {
                if !v.contains(&s.identity.id) {
                    v.push(s.identity.id.clone());
                }
            }
            v
        };
        let counted: Vec<Attested<'a>> = match pol.attribution {
            Attribution::Author => {
                let Some(author) = author_id else {
                    failures.push(Reason::AuthorNotInRoster {
                        commit: id.clone(),
                        email: facts.author.email.to_owned(),
                    });
                    return Vec::new();
                };
                let counted: Vec<Attested<'a>> = signers
                    .iter()
                    .filter(|s| s.identity.id == *author)
                    .cloned()
                    .collect();
                if counted.is_empty() && !signers.is_empty() {
                    failures.push(Reason::AuthorNotSigner {
                        commit: id.clone(),
                        author: author.clone(),
                        signers: all,
                    });
                    return Vec::new();
                }
                counted
            }
            Attribution::Committer => {
                let counted: Vec<Attested<'a>> = signers
                    .iter()
                    .filter(|s| {
                        Some(&s.identity.id) == author_id || Some(&s.identity.id) == committer_id
                    })
                    .cloned()
                    .collect();
                if counted.is_empty() && !signers.is_empty() {
                    failures.push(Reason::NotAttributed {
                        commit: id.clone(),
                        author: facts.author.email.to_owned(),
                        committer: facts.committer.email.to_owned(),
                        signers: all,
                    });
                    return Vec::new();
                }
                if let Some(f) = forge.filter(|f| counted.iter().any(|s| s.identity.id == f.id)) {
                    node.note = Some(format!(
                        "committed by the forge {}: the author {} did not sign",
                        f.id, facts.author.email
                    ));
                } else if author_id.is_none() {
                    node.note = Some(
                        "author outside the roster (unverified); the committer who signed takes responsibility"
                            .into(),
                    );
                }
                counted
            }
        };
        // Nobody verified signed at all: the signature failures already say why.
        if signers.is_empty() {
            if !failures.iter().any(|f| {
                matches!(
                    f,
                    Reason::CommitUnsigned { .. }
                        | Reason::GitSignature { .. }
                        | Reason::OpenPgpNotBuilt { .. }
                        | Reason::UnknownOpenPgpKey { .. }
                        | Reason::OpenPgpSignature { .. }
                        | Reason::OpenPgpKeyUnusable { .. }
                        | Reason::UnknownKey { .. }
                        | Reason::BadSignature { .. }
                        | Reason::KeyEnded { .. }
                        | Reason::KeyEndedBeforeProvenTime { .. }
                        | Reason::KeyRevoked { .. }
                        | Reason::KeyOutsideWindow { .. }
                )
            }) {
                failures.push(Reason::CommitUnsigned { commit: id.clone() });
            }
            return Vec::new();
        }
        failures.extend(self.rules.check(&pol.signers, &counted));
        let mut authors: Vec<IdentityId> = Vec::with_capacity(1);
        for s in &counted {
            if !authors.contains(&s.identity.id) {
                authors.push(s.identity.id.clone());
            }
        }
        authors
    }
}
