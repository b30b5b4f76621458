//! The image link: who built it, from which releases and source commits,
//! and whether everything in it is certified.

use std::collections::HashSet;

use vouch_core::{Digest, Timestamp};
use vouch_manifest::{GitObjectId, Image};

use crate::index::Decoded;

use super::{Eval, short};
use crate::attest::Covers;
use crate::error::Reason;
use crate::trace::{LinkKind, TraceNode};

impl<'a> Eval<'a> {
    /// The image as the target itself: refused when the policy has a
    /// deployment stage that this would skip, unless the policy allows it.
    pub(super) fn image_target(&mut self, digest: &Digest) -> TraceNode {
        let (mut node, _) = self.image(digest);
        let allowed = self.policy.image.allow_as_target;
        if self.policy.deployment.is_some() && !allowed {
            node.failures
                .insert(0, Reason::TargetNotDeployment { target: *digest });
            node.settle();
        }
        node
    }

    /// Evaluates the image statement(s) for `digest`; also returns when the
    /// build finished (claimed), for the deployment's time order.
    pub(super) fn image(&mut self, digest: &Digest) -> (TraceNode, Option<Timestamp>) {
        let index = self.index;
        let mut node = TraceNode::new(LinkKind::Image, short(digest));
        let missing = || Reason::ImageMissing { image: *digest };
        let Some((groups, mut failures)) =
            self.statements(index.images.get(digest), &mut node, missing)
        else {
            return (node, None);
        };
        let Some((primary, others)) = groups.split_first() else {
            return (node, None);
        };
        let i = primary[0].unverified().predicate();
        self.target_image = Some(i.image);
        node.name = format!("{}@{}", i.name, short(&i.image));
        node.statement = Some(primary[0].digest());

        // Other statements about the same image are reached too: each must
        // hold on its own, and none may tell another story.
        for other in others {
            let o = other[0].unverified().predicate();
            if o.packages != i.packages || o.source_commits != i.source_commits {
                failures.push(Reason::Conflict {
                    subject: format!("image {}", i.image),
                    first: primary[0].digest(),
                    second: other[0].digest(),
                });
            }
            self.image_signatures(other, &mut failures);
        }
        let (signers, proof) = self.image_signatures(primary, &mut failures);
        node.time = Some(Self::timed(i.finished_at, &signers, &proof));
        for s in &signers {
            node.signers.push(self.trace_signer(s, "built by"));
        }

        if i.packages.is_empty() && i.source_commits.is_empty() && !self.policy.image.allow_empty {
            failures.push(Reason::EmptyImage { image: i.image });
        }
        if self.policy.release.is_some() {
            self.image_releases(i, &mut node, &mut failures);
        } else if self.policy.commit.is_some() {
            for c in &i.source_commits {
                node.children.push(self.commit(&c.commit));
            }
        }
        node.failures = failures;
        node.settle();
        (node, Some(i.finished_at))
    }

    /// The builder's signatures and the image rule, for one statement.
    fn image_signatures(
        &self,
        group: &[Decoded<'a, Image>],
        failures: &mut Vec<Reason>,
    ) -> (Vec<crate::attest::Attested<'a>>, crate::witness::Proof) {
        let i = group[0].unverified().predicate();
        let pol = &self.policy.image;
        let digest = group[0].digest();
        let proof = self.prove(group, i.finished_at, pol.time, failures);
        let signers = self.attester.statement(
            group,
            i.finished_at,
            proof.time.as_ref().map(|p| p.at),
            Covers::statement(&digest),
            failures,
        );
        self.check_time(i.finished_at, pol.max_age, failures);
        failures.extend(self.rules.check(&pol.signers, &signers));
        Self::workload_signed("builder", &i.builder, &signers, failures);
        (signers, proof)
    }

    /// Coverage: the image names releases, each matches its package, and
    /// every source commit is certified by one of them.
    fn image_releases(&mut self, i: &'a Image, node: &mut TraceNode, failures: &mut Vec<Reason>) {
        if i.packages.is_empty() {
            failures.push(Reason::NoRelease { image: i.image });
        }
        // Learn first which releases list which commits, so a commit's
        // grandfathering by a release is known whichever path reaches it.
        for p in &i.packages {
            self.register_certifier(&p.release);
        }
        let mut certified: HashSet<GitObjectId> = HashSet::new();
        for p in &i.packages {
            node.children
                .push(self.release(&p.release, &p.name, &p.version));
            let Some(r) = self.release_facts.get(&p.release) else {
                continue;
            };
            if r.package != p.name || r.version != p.version {
                failures.push(Reason::PackageMismatch {
                    release: p.release,
                    image_says: format!("{} {}", p.name, p.version),
                    release_says: format!("{} {}", r.package, r.version),
                });
            }
            Self::check_order(
                || "the image build".into(),
                i.finished_at,
                || format!("release {} {}", r.package, r.version),
                r.released_at,
                failures,
            );
            // A release's history includes what its previous release certified.
            certified.extend(r.commits.iter().cloned());
            certified.extend(r.previous_commits.iter().cloned());
        }
        for c in &i.source_commits {
            if !certified.contains(&c.commit) && !self.exempt(&c.commit) {
                failures.push(Reason::SourceCommitUncertified {
                    commit: c.commit.clone(),
                });
            }
            if self.policy.commit.is_some() {
                node.children.push(self.commit(&c.commit));
            }
        }
    }

    /// Records the commits a release statement lists (decoding it; its
    /// signatures are checked when the release link is evaluated).
    pub(super) fn register_certifier(&mut self, release: &Digest) {
        let index = self.index;
        let Some(entries) = index.releases.get(release) else {
            return;
        };
        for e in entries {
            if let Ok(s) = e.get(&index.decoded) {
                for c in &s.predicate().commits {
                    let list = self
                        .certifiers
                        .entry(c)
                        .or_insert_with(|| Vec::with_capacity(1));
                    if !list.contains(release) {
                        list.push(*release);
                    }
                }
                return;
            }
        }
    }
}
