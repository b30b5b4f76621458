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
use std::sync::atomic::AtomicUsize;

use vouch_core::Digest;
use vouch_core::cose::Sign;
use vouch_manifest::{GitObjectId, Predicate, TrustedRoster};

use crate::eval::Target;
use crate::index::{Checked, Index, Lazy, Object, Parsed};
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

/// A statement whose signatures the pass verifies, with others in a batch.
trait Envelope: Sync {
    /// Decodes the statement first (once) if need be; when it decoded and
    /// its signatures are not checked yet, its envelope (or, should the
    /// envelope not decode, the checks that say so).
    fn envelope(&self, decoded: &AtomicUsize) -> Option<Result<Sign, Checked>>;
    /// Keeps the checks made for it.
    fn store(&self, checked: Checked);
    /// The envelope's encoded size, which bounds what decoding it takes.
    fn encoded_len(&self) -> usize;
}

impl<P: Predicate + Send + Sync> Envelope for Lazy<'_, P> {
    fn envelope(&self, decoded: &AtomicUsize) -> Option<Result<Sign, Checked>> {
        self.get(decoded).ok()?;
        // A Sigstore bundle is verified when the evaluation reaches it.
        (self.is_cose() && !self.is_checked()).then(|| Lazy::envelope(self))
    }

    fn store(&self, checked: Checked) {
        Lazy::store(self, checked);
    }

    fn encoded_len(&self) -> usize {
        Lazy::encoded_len(self)
    }
}

/// Most envelopes verified together. An Ed25519 batch costs less per
/// signature the larger it is (past a couple of hundred points the
/// multiscalar multiplication switches to Pippenger's method): measured on
/// the chain bench, one thread takes 0.84x the one-by-one time with 64,
/// 0.67x with 256, 0.61x with 512. A batch that fails is re-checked one by
/// one, so a bad signature costs its batch a second pass, never more.
const BATCH: usize = 512;

/// Most envelope bytes in a batch. A decoded `COSE_Sign` takes about four
/// times its encoded size (a 432-byte struct for each signature of about
/// 100 bytes), so this bounds a batch's memory at about 1 MiB per thread
/// whatever the envelopes hold: 512 honest envelopes (about 500 bytes, one
/// or two signatures) fit, and so do 40 of 64 signatures each.
const BATCH_BYTES: usize = 256 * 1024;

/// `statements` in batches of at most `most` envelopes and [`BATCH_BYTES`]
/// bytes (an envelope larger than that is a batch of its own).
fn batches<'s, 'e>(statements: &'s [&'e dyn Envelope], most: usize) -> Vec<&'s [&'e dyn Envelope]> {
    let mut out = Vec::with_capacity(statements.len().div_ceil(most.max(1)));
    let (mut start, mut bytes) = (0, 0usize);
    for (i, e) in statements.iter().enumerate() {
        let len = e.encoded_len();
        if i > start && (i - start >= most || bytes.saturating_add(len) > BATCH_BYTES) {
            out.push(&statements[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes = bytes.saturating_add(len);
    }
    if start < statements.len() {
        out.push(&statements[start..]);
    }
    out
}

/// Fewest envelopes in a batch when the work is split over threads.
#[cfg(feature = "parallel")]
const MIN_BATCH: usize = 64;

/// The batch size for `n` envelopes on `threads` threads: as large as
/// [`BATCH`] allows while every thread still gets a couple of batches.
#[cfg(feature = "parallel")]
fn batch_size(n: usize, threads: usize) -> usize {
    n.div_ceil(2 * threads.max(1)).clamp(MIN_BATCH, BATCH)
}

/// Verifies one batch of envelopes and keeps each one's checks. The
/// envelopes are decoded for the batch and dropped after it, so the pass
/// holds a batch of them at a time, not the bundle's.
fn check_batch(batch: &[&dyn Envelope], roster: &TrustedRoster, decoded: &AtomicUsize) {
    let mut with: Vec<(&dyn Envelope, Sign)> = Vec::with_capacity(batch.len());
    for e in batch {
        match e.envelope(decoded) {
            Some(Ok(sign)) => with.push((*e, sign)),
            Some(Err(failed)) => e.store(failed),
            None => {}
        }
    }
    let envelopes: Vec<&Sign> = with.iter().map(|(_, s)| s).collect();
    let results = Sign::verify_each_many(&envelopes, |k| roster.public_key(k));
    for ((e, _), (ok, failed)) in with.iter().zip(results) {
        e.store(Checked::from_results(ok, failed));
    }
}

/// The walk from the target, collecting what to check.
struct Walk<'i> {
    index: &'i Index<'i>,
    policy: &'i Policy,
    statements: Vec<&'i dyn Envelope>,
    objects: Vec<&'i Parsed>,
    releases: HashSet<Digest>,
    commits: HashSet<GitObjectId>,
}

impl<'i> Walk<'i> {
    fn all<P: Predicate + Send + Sync>(
        &mut self,
        entries: Option<&'i Vec<Lazy<'i, P>>>,
    ) -> Vec<&'i P> {
        let mut out = Vec::new();
        for e in entries.map(Vec::as_slice).unwrap_or_default() {
            if let Ok(s) = e.get(&self.index.decoded) {
                self.statements.push(e);
                out.push(s.predicate());
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
        // Commits are leaves: their attestations are decoded by the
        // (parallel) checks, not here.
        for e in index.commits.get(id).map(Vec::as_slice).unwrap_or_default() {
            self.statements.push(e);
        }
        if let Some(Object::Parsed(p)) = index.objects.get(id) {
            self.objects.push(p.as_ref());
        }
    }
}

/// Verifies every signature the target reaches, on `threads`.
pub(crate) fn signature_pass(
    index: &Index<'_>,
    policy: &Policy,
    roster: &TrustedRoster,
    target: &Target,
    threads: &Threads,
) {
    let mut walk = Walk {
        index,
        policy,
        statements: Vec::new(),
        objects: Vec::new(),
        releases: HashSet::new(),
        commits: HashSet::new(),
    };
    match target {
        Target::Deployment(d) => walk.deployment(d),
        Target::Any(d) if index.deployments.contains_key(d) => walk.deployment(d),
        Target::Image(d) | Target::Any(d) => walk.image(d),
        Target::Release(d) => {
            if walk.policy.release.is_some() {
                for r in index
                    .release_artifacts
                    .get(d)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    walk.release(r);
                }
            }
        }
    }
    let (statements, objects) = (walk.statements, walk.objects);
    match threads {
        Threads::One => {
            batches(&statements, BATCH)
                .into_iter()
                .for_each(|b| check_batch(b, roster, &index.decoded));
            objects.iter().for_each(|o| {
                let _ = o.signature();
            });
        }
        #[cfg(feature = "parallel")]
        Threads::Global => parallel(&statements, &objects, roster, &index.decoded),
        #[cfg(feature = "parallel")]
        Threads::Pool(pool) => {
            pool.install(|| parallel(&statements, &objects, roster, &index.decoded))
        }
    }
}

#[cfg(feature = "parallel")]
fn parallel(
    statements: &[&dyn Envelope],
    objects: &[&Parsed],
    roster: &TrustedRoster,
    decoded: &AtomicUsize,
) {
    use rayon::prelude::*;
    batches(
        statements,
        batch_size(statements.len(), rayon::current_num_threads()),
    )
    .par_iter()
    .for_each(|b| check_batch(b, roster, decoded));
    objects.par_iter().for_each(|o| {
        let _ = o.signature();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An envelope of a given size that never needs checking.
    struct Sized(usize);

    impl Envelope for Sized {
        fn envelope(&self, _: &AtomicUsize) -> Option<Result<Sign, Checked>> {
            None
        }
        fn store(&self, _: Checked) {}
        fn encoded_len(&self) -> usize {
            self.0
        }
    }

    fn lens(sizes: &[usize], most: usize) -> Vec<usize> {
        let all: Vec<Sized> = sizes.iter().map(|&n| Sized(n)).collect();
        let refs: Vec<&dyn Envelope> = all.iter().map(|e| e as &dyn Envelope).collect();
        let out = batches(&refs, most);
        // Every envelope once, in order.
        assert_eq!(out.iter().map(|b| b.len()).sum::<usize>(), sizes.len());
        out.iter().map(|b| b.len()).collect()
    }

    #[test]
    fn batches_are_bounded_by_count_and_by_bytes() {
        assert!(lens(&[], BATCH).is_empty());
        // Honest envelopes: the count bounds.
        assert_eq!(lens(&[500; 1100], BATCH), [512, 512, 76]);
        // Envelopes of 64 signatures: the bytes bound.
        let big = BATCH_BYTES / 40;
        assert_eq!(lens(&[big; 100], BATCH), [40, 40, 20]);
        // One envelope past the byte bound is a batch of its own.
        assert_eq!(lens(&[10, BATCH_BYTES + 1, 10], BATCH), [1, 1, 1]);
        assert_eq!(lens(&[10, 10, BATCH_BYTES - 20, 1], 4), [3, 1]);
    }
}
