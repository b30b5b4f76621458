//! The release link: who certified it, its history closed under ancestry,
//! and nobody certifying their own code alone.

use std::collections::{BTreeMap, HashSet};

use vouch_core::Digest;
use vouch_manifest::{GitObjectId, IdentityId, Release};

use crate::index::Decoded;

use super::{Eval, ReleaseFacts};
use crate::attest::{Attested, Covers};
use crate::error::Reason;
use crate::trace::{LinkKind, TraceNode};
use vouch_core::text::error_chain;
use vouch_git::signature::SignatureFormat;

impl<'a> Eval<'a> {
    /// The release statement(s) naming `artifact` as their subject, as a
    /// chain target. Each is evaluated as the image link would (with its
    /// commits, under the commit stage when there is one); statements that
    /// name the same artifact must agree on what it is.
    pub(super) fn release_target(&mut self, artifact: &Digest) -> TraceNode {
        let index = self.index;
        let mut node = TraceNode::new(LinkKind::Release, artifact.to_string());
        if self.policy.release.is_none() {
            node.failures.push(Reason::NoReleaseStage {
                artifact: *artifact,
            });
            node.settle();
            return node;
        }
        // Sorted, so that the statement the trace rests on does not
        // depend on the bundle's order.
        let mut digests: Vec<Digest> = index
            .release_artifacts
            .get(artifact)
            .cloned()
            .unwrap_or_default();
        digests.sort();
        // Only statements whose subjects decode as bound to what they
        // describe count: an envelope may claim any subject digest.
        let mut found: Vec<(Digest, &'a Release)> = Vec::with_capacity(digests.len());
        let mut failures = Vec::new();
        for d in &digests {
            let Some(entries) = index.releases.get(d) else {
                continue;
            };
            let mut own = Vec::new();
            let groups = self.decode(entries, &mut own);
            match groups.first() {
                Some(g)
                    if g[0]
                        .unverified()
                        .subjects()
                        .iter()
                        .any(|s| s.digest.contains(artifact)) =>
                {
                    found.push((*d, g[0].unverified().predicate()));
                }
                _ => failures.extend(own),
            }
        }
        let Some(&(primary, r)) = found.first() else {
            if failures.is_empty() {
                failures.push(Reason::ReleaseArtifactMissing {
                    artifact: *artifact,
                });
            }
            node.failures = failures;
            node.settle();
            return node;
        };
        for (other, o) in &found[1..] {
            if o.package != r.package || o.version != r.version || o.contents != r.contents {
                failures.push(Reason::Conflict {
                    subject: format!("artifact {artifact}"),
                    first: primary,
                    second: *other,
                });
            }
        }
        self.register_certifier(&primary);
        let mut child = self.release(&primary, &r.package, &r.version);
        if failures.is_empty() {
            return child;
        }
        child.failures.extend(failures);
        child.settle();
        child
    }

    pub(super) fn release(&mut self, digest: &Digest, package: &str, version: &str) -> TraceNode {
        if let Some((name, outcome)) = self.seen_releases.get(digest) {
            return Self::reference(LinkKind::Release, name, *outcome);
        }
        let node = self.release_uncached(digest, package, version);
        self.seen_releases
            .insert(*digest, (node.name.clone(), node.outcome));
        node
    }

    fn release_uncached(&mut self, digest: &Digest, package: &str, version: &str) -> TraceNode {
        let index = self.index;
        let mut node = TraceNode::new(LinkKind::Release, format!("{package} {version}"));
        let missing = || Reason::ReleaseMissing {
            package: package.to_owned(),
            version: version.to_owned(),
            release: *digest,
        };
        let Some((groups, mut failures)) =
            self.statements(index.releases.get(digest), &mut node, missing)
        else {
            return node;
        };
        let Some(group) = groups.into_iter().next() else {
            return node;
        };
        let r = group[0].unverified().predicate();
        node.name = format!("{} {}", r.package, r.version);
        node.statement = Some(*digest);
        self.release_facts.insert(
            *digest,
            ReleaseFacts {
                package: r.package.clone(),
                version: r.version.clone(),
                commits: r.commit_ids().cloned().collect(),
                previous_commits: Vec::new(),
                released_at: r.released_at,
            },
        );
        let (signers, proof) = self.release_signatures(&group, *digest, &mut failures);
        node.time = Some(Self::timed(r.released_at, &signers, &proof));
        if let Some(rule) = self
            .policy
            .release
            .as_ref()
            .and_then(|p| p.ref_log.as_ref())
        {
            self.check_ref_log(r, rule, &mut failures);
        }
        for s in &signers {
            node.signers.push(self.trace_signer(s, "certified by"));
        }

        // The previous release bounds this one's history.
        let mut boundary: HashSet<GitObjectId> = HashSet::new();
        if let Some(prev) = &r.previous {
            let (child, commits) = self.previous_release(prev, r, &mut failures);
            boundary.extend(commits.iter().cloned());
            if let Some(f) = self.release_facts.get_mut(digest) {
                f.previous_commits = commits;
            }
            node.children.push(child);
        }

        if self.policy.commit.is_some() {
            // The image registered this release as a certifier of its
            // commits before evaluating any of them (`register_certifier`).
            node.children.reserve_exact(r.commits.len());
            for c in r.commit_ids() {
                node.children.push(self.commit(c));
            }
            self.check_history(r, &boundary, &mut failures);
            self.check_self_certification(r, &signers, &mut failures);
        }
        if let Some((deps, bundle)) = self.dependencies {
            failures.extend(deps.failures(bundle, &r.dependencies, self.now));
        }
        // After the commits: their facts (parents) give the head.
        if self.policy.release.as_ref().is_some_and(|p| p.require_tag) {
            self.check_tag(r, *digest, &signers, &mut node, &mut failures);
        }
        node.failures = failures;
        node.settle();
        node
    }

    /// Signatures, time and the release rule for one release statement.
    fn release_signatures(
        &self,
        group: &[Decoded<'a, Release>],
        digest: Digest,
        failures: &mut Vec<Reason>,
    ) -> (Vec<Attested<'a>>, crate::witness::Proof) {
        let r = group[0].unverified().predicate();
        let Some(pol) = &self.policy.release else {
            return (Vec::new(), crate::witness::Proof::default());
        };
        let proof = self.prove(group, r.released_at, pol.time, failures);
        let signers = self.attester.statement(
            group,
            r.released_at,
            proof.time.as_ref().map(|p| p.at),
            Covers::statement(&digest),
            failures,
        );
        self.check_time(r.released_at, pol.max_age, failures);
        failures.extend(self.rules.check(&pol.signers, &signers));
        (signers, proof)
    }

    /// The previous release named by `r`: it must be in the bundle and
    /// certified by the release rule; its commits bound `r`'s history. Its
    /// own commits were certified with it and are not evaluated again here.
    fn previous_release(
        &mut self,
        prev: &Digest,
        r: &Release,
        failures: &mut Vec<Reason>,
    ) -> (TraceNode, Vec<GitObjectId>) {
        let index = self.index;
        let mut node = TraceNode::new(LinkKind::Release, format!("previous release {prev}"));
        node.statement = Some(*prev);
        let Some(entries) = index.releases.get(prev) else {
            failures.push(Reason::PreviousReleaseMissing { release: *prev });
            node.settle();
            return (node, Vec::new());
        };
        let mut own = Vec::new();
        let groups = self.decode(entries, &mut own);
        let Some(group) = groups.into_iter().next() else {
            node.failures = own;
            node.settle();
            return (node, Vec::new());
        };
        let p = group[0].unverified().predicate();
        node.name = format!("{} {} (previous)", p.package, p.version);
        node.note = Some(
            "its certified commits bound this release's history; they were checked with it".into(),
        );
        let (signers, proof) = self.release_signatures(&group, *prev, &mut own);
        node.time = Some(Self::timed(p.released_at, &signers, &proof));
        for s in &signers {
            node.signers.push(self.trace_signer(s, "certified by"));
        }
        Self::check_order(
            || format!("release {} {}", r.package, r.version),
            r.released_at,
            || format!("its previous release {} {}", p.package, p.version),
            p.released_at,
            failures,
        );
        node.failures = own;
        node.settle();
        (node, p.commit_ids().cloned().collect())
    }

    /// The release's head: the certified commits that no other certified
    /// commit has as parent (read from the commit objects of the bundle).
    fn heads(&self, r: &Release) -> Vec<GitObjectId> {
        let mut parents: HashSet<&GitObjectId> = HashSet::new();
        for c in r.commit_ids() {
            // What the commit link proved (object or attestation), else
            // the object itself (no commit stage).
            if let Some(ps) = self.commit_facts.get(c).and_then(|f| f.parents) {
                parents.extend(ps);
            } else if let Some(crate::index::Object::Parsed(p)) = self.index.objects.get(c) {
                parents.extend(p.object.parents());
            }
        }
        r.commit_ids()
            .filter(|c| !parents.contains(c))
            .cloned()
            .collect()
    }

    /// `[release] require_tag`: the tag the release names is in the bundle,
    /// has that name, points at the head commit, and is signed by a
    /// certifier (at the tagger time, as the roster judges keys).
    fn check_tag(
        &self,
        r: &Release,
        digest: Digest,
        certifiers: &[Attested<'a>],
        node: &mut TraceNode,
        failures: &mut Vec<Reason>,
    ) {
        let release = format!("{} {}", r.package, r.version);
        let Some(named) = &r.tag else {
            failures.push(Reason::ReleaseTagMissing {
                release,
                tag: None,
                problem: None,
            });
            return;
        };
        let tag_text = format!("{} ({})", named.name, named.object);
        let tag = match self.index.tags.get(&named.object) {
            None => {
                failures.push(Reason::ReleaseTagMissing {
                    release,
                    tag: Some(tag_text),
                    problem: None,
                });
                return;
            }
            Some(Err(e)) => {
                failures.push(Reason::ReleaseTagMissing {
                    release,
                    tag: Some(tag_text),
                    problem: Some(error_chain(e)),
                });
                return;
            }
            Some(Ok(t)) => t,
        };
        if tag.name() != named.name {
            failures.push(Reason::ReleaseTagName {
                release: release.clone(),
                expected: named.name.clone(),
                found: tag.name().to_owned(),
            });
        }
        let heads = self.heads(r);
        let head = match heads.as_slice() {
            [one] => Some(one.clone()),
            _ => {
                failures.push(Reason::ReleaseHeadAmbiguous {
                    release: release.clone(),
                    heads: heads.clone(),
                });
                None
            }
        };
        if tag.kind() != "commit" || Some(tag.object()) != head.as_ref() {
            failures.push(Reason::ReleaseTagTarget {
                release: release.clone(),
                tag: named.name.clone(),
                points_to: format!("{} {}", tag.kind(), tag.object()),
                head,
            });
        }
        let sig_failure = |problem: String| Reason::ReleaseTagSignature {
            release: release.clone(),
            tag: named.name.clone(),
            problem,
        };
        // The tagger's time is what keys are judged at (a claim, as a
        // committer's); a tag without a tagger is judged at the release's.
        let at = tag.tagger().map_or(r.released_at, |t| t.time);
        let covers = Covers::statement(&digest);
        let mut own = Vec::new();
        let signer = match tag.signature_format() {
            None => {
                failures.push(sig_failure("not signed".into()));
                return;
            }
            Some(SignatureFormat::Ssh) => match tag.verify_ssh_signature() {
                Ok(sig) => self.attester.holder(
                    sig.key_id(),
                    sig.signature().evidence().cloned(),
                    at,
                    None,
                    covers,
                    &mut own,
                ),
                Err(e) => {
                    failures.push(sig_failure(error_chain(&e)));
                    return;
                }
            },
            Some(SignatureFormat::OpenPgp) => {
                match self.attester.openpgp(
                    &format!("tag {}", named.name),
                    tag.signature().unwrap_or_default(),
                    tag.payload(),
                ) {
                    Ok(pgp) => self
                        .attester
                        .holder(pgp.key_id, None, at, None, covers, &mut own),
                    Err(reason) => {
                        failures.push(reason);
                        return;
                    }
                }
            }
            Some(other) => {
                failures.push(sig_failure(format!(
                    "signed with {other}, which vouch does not verify"
                )));
                return;
            }
        };
        failures.extend(own);
        // An unknown key "counts for nothing" beside the release's valid
        // signers; for the tag it is the only signature, so it fails.
        let Some(signer) = signer else {
            failures.push(sig_failure(
                "signed by a key no roster identity held at the tagger time".into(),
            ));
            return;
        };
        if certifiers
            .iter()
            .any(|c| c.identity.id == signer.identity.id)
        {
            node.signers
                .push(self.trace_signer(&signer, "signed the release tag"));
        } else {
            failures.push(Reason::ReleaseTagNotByCertifier {
                release,
                tag: named.name.clone(),
                signer: signer.identity.id.clone(),
                certifiers: certifiers.iter().map(|c| c.identity.id.clone()).collect(),
            });
        }
    }

    /// Every parent of a certified commit is certified here, by the
    /// previous release, or exempt; and no commit postdates the release.
    fn check_history(
        &self,
        r: &Release,
        boundary: &HashSet<GitObjectId>,
        failures: &mut Vec<Reason>,
    ) {
        let listed: HashSet<&GitObjectId> = r.commit_ids().collect();
        for c in r.commit_ids() {
            if self.exempt(c) {
                continue;
            }
            let facts = self.commit_facts.get(c);
            if let Some(at) = facts.and_then(|f| f.time) {
                Self::check_order(
                    || format!("release {} {}", r.package, r.version),
                    r.released_at,
                    || format!("commit {c}"),
                    at,
                    failures,
                );
            }
            // A commit nothing proves has failed its own link already.
            let Some(parents) = facts.and_then(|f| f.parents.as_ref()) else {
                continue;
            };
            for p in parents.iter() {
                if !listed.contains(p) && !boundary.contains(p) && !self.exempt(p) {
                    failures.push(Reason::UncertifiedAncestor {
                        commit: c.clone(),
                        parent: p.clone(),
                    });
                }
            }
        }
    }

    /// Nobody certifies their own code alone: for every certified commit,
    /// the release rule must hold without the commit's proven authors.
    fn check_self_certification(
        &self,
        r: &Release,
        signers: &[Attested<'a>],
        failures: &mut Vec<Reason>,
    ) {
        let Some(pol) = &self.policy.release else {
            return;
        };
        if !pol.certifier_not_sole_author {
            return;
        }
        // One rule check per distinct set of authors who also certified.
        let mut verdicts: BTreeMap<Vec<IdentityId>, bool> = BTreeMap::new();
        for c in r.commit_ids() {
            let Some(facts) = self.commit_facts.get(c) else {
                continue;
            };
            let mut certifying: Vec<IdentityId> = facts
                .authors
                .iter()
                .filter(|a| signers.iter().any(|s| s.identity.id == **a))
                .cloned()
                .collect();
            if certifying.is_empty() {
                continue;
            }
            certifying.sort();
            let holds = *verdicts.entry(certifying.clone()).or_insert_with(|| {
                let others: Vec<Attested<'a>> = signers
                    .iter()
                    .filter(|s| !certifying.contains(&s.identity.id))
                    .cloned()
                    .collect();
                self.rules.check(&pol.signers, &others).is_empty()
            });
            if !holds {
                for certifier in certifying {
                    failures.push(Reason::SelfCertified {
                        commit: c.clone(),
                        certifier,
                    });
                }
            }
        }
    }
}
