//! The signature pass: every statement and commit object the target
//! reaches, found by following digests, and every signature on them
//! verified once, before any rule is applied, on several threads when the
//! verifier allows it.
//!
//! The walk mirrors the links the evaluation follows (deployment, its
//! approvals, the image statements, their releases and previous releases,
//! the commits), so the evaluation then finds each signature checked. It
//! decides nothing: a statement it misses is checked when the evaluation
//! reaches it, one it adds needlessly costs one verification. The
//! evaluation itself runs on one thread, in a fixed order, so the verdict
//! and trace do not depend on the thread count.

use std::collections::HashSet;

use vouch_core::Digest;
use vouch_manifest::{GitObjectId, Predicate, TrustedRoster};

use crate::eval::Target;
use crate::index::{Index, Lazy, Object, Parsed};
use crate::policy::Policy;

/// Where the signature pass runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Threads {
    /// On the calling thread only.
    One,
    /// On rayon's global thread pool (feature `parallel`).
    #[cfg(feature = "parallel")]
    Global,
    /// On the embedder's own rayon pool (feature `parallel`).
    #[cfg(feature = "parallel")]
    Pool(std::sync::Arc<rayon::ThreadPool>),
}

impl Default for Threads {
    /// The global pool with feature `parallel`, else the calling thread.
    fn default() -> Self {
        #[cfg(feature = "parallel")]
        {
            Threads::Global
        }
        #[cfg(not(feature = "parallel"))]
        {
            Threads::One
        }
    }
}

/// Something whose signatures the pass verifies.
trait Check: Sync {
    fn check(&self, roster: &TrustedRoster);
}

impl<P: Predicate + Send + Sync> Check for Lazy<P> {
    fn check(&self, roster: &TrustedRoster) {
        let _ = self.checked(roster);
    }
}

impl Check for Parsed {
    fn check(&self, _: &TrustedRoster) {
        let _ = self.signature();
    }
}

/// The walk from the target, collecting what to check.
struct Walk<'i> {
    index: &'i Index,
    policy: &'i Policy,
    items: Vec<&'i dyn Check>,
    releases: HashSet<Digest>,
    commits: HashSet<GitObjectId>,
}

impl<'i> Walk<'i> {
    fn all<P: Predicate + Send + Sync>(&mut self, entries: Option<&'i Vec<Lazy<P>>>) -> Vec<&'i P> {
        let mut out = Vec::new();
        for e in entries.map(Vec::as_slice).unwrap_or_default() {
            if let Ok(s) = e.get(&self.index.decoded) {
                self.items.push(e);
                out.push(s.unverified().predicate());
            }
        }
        out
    }

    fn deployment(&mut self, digest: &Digest) {
        let index = self.index;
        let found = self.all(index.deployments.get(digest));
        self.all(index.approvals.get(digest));
        if let Some(d) = found.first() {
            self.image(&d.image);
        }
    }

    fn image(&mut self, digest: &Digest) {
        let index = self.index;
        let found = self.all(index.images.get(digest));
        // Only the first statement's children are followed (the others
        // must agree with it or conflict).
        let Some(i) = found.first() else { return };
        if self.policy.release.is_some() {
            for p in &i.packages {
                self.release(&p.release);
            }
        }
        if self.policy.commit.is_some() {
            for c in &i.source_commits {
                self.commit(&c.commit);
            }
        }
    }

    fn release(&mut self, digest: &Digest) {
        if !self.releases.insert(*digest) {
            return;
        }
        let index = self.index;
        let found = self.all(index.releases.get(digest));
        let Some(r) = found.first() else { return };
        if let Some(prev) = &r.previous {
            // The previous release's signatures, not its commits.
            self.all(index.releases.get(prev));
        }
        if self.policy.commit.is_some() {
            for c in &r.commits {
                self.commit(c);
            }
        }
    }

    fn commit(&mut self, id: &GitObjectId) {
        if !self.commits.insert(id.clone()) {
            return;
        }
        if self
            .policy
            .commit
            .as_ref()
            .is_some_and(|p| p.legacy.commits.contains(id))
        {
            return;
        }
        let index = self.index;
        self.all(index.commits.get(id));
        if let Some(Object::Parsed(p)) = index.objects.get(id) {
            self.items.push(p.as_ref());
        }
    }
}

/// Verifies every signature the target reaches, on `threads`.
pub(crate) fn signature_pass(
    index: &Index,
    policy: &Policy,
    roster: &TrustedRoster,
    target: &Target,
    threads: &Threads,
) {
    let mut walk = Walk {
        index,
        policy,
        items: Vec::new(),
        releases: HashSet::new(),
        commits: HashSet::new(),
    };
    match target {
        Target::Deployment(d) => walk.deployment(d),
        Target::Any(d) if index.deployments.contains_key(d) => walk.deployment(d),
        Target::Image(d) | Target::Any(d) => walk.image(d),
    }
    let items = walk.items;
    match threads {
        Threads::One => items.iter().for_each(|i| i.check(roster)),
        #[cfg(feature = "parallel")]
        Threads::Global => {
            use rayon::prelude::*;
            items.par_iter().for_each(|i| i.check(roster));
        }
        #[cfg(feature = "parallel")]
        Threads::Pool(pool) => pool.install(|| {
            use rayon::prelude::*;
            items.par_iter().for_each(|i| i.check(roster));
        }),
    }
}
