//! Whole-chain evaluation: deployment → image → releases → commits → authors.
//!
//! The evaluation runs in steps, each in its own file: the bundle is
//! indexed without decoding ([`crate::index`]); each link the target
//! reaches is decoded once, its signatures verified and mapped to roster
//! identities at the time the statement claims ([`crate::attest`]); the
//! policy's rules are applied to those attested facts ([`crate::rules`]
//! and the link files below); the trace is built as it goes and the
//! verdict gathered from it ([`crate::trace`]).

mod commit;
mod deployment;
mod image;
mod ref_log;
mod release;

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use vouch_core::{Digest, Timestamp};
use vouch_manifest::{
    ClaimedTimeTrust, GitObjectId, Identity, IdentityId, Predicate, TrustedRoster,
};

use crate::attest::{Attested, Attester};
use crate::bundle::Bundle;
use crate::counter::Counters;
use crate::error::{ChainError, Reason};
use crate::index::{Decoded, Index, Lazy};
use crate::policy::{CLOCK_SKEW_SECONDS, CounterRule, MaxAge, Policy, TimeRule, too_old};
use crate::reach::{Threads, signature_pass};
use crate::rules::Rules;
use crate::trace::{
    LinkKind, Placement, RosterSummary, Standing, TargetSummary, TimeKind, TraceNode, TraceSigner,
    TraceTime, Verdict, VerdictContext,
};
use crate::witness::{Proof, Witnesses};

/// What is about to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A deployment statement, by the digest of its canonical bytes.
    Deployment(Digest),
    /// An image, by its OCI manifest digest.
    Image(Digest),
    /// A digest that names a deployment statement in the bundle, or else an image.
    Any(Digest),
    /// A released artifact (a package archive, by its SHA-256 or SHA-512,
    /// or a contents root): the release statement whose subject carries
    /// it, under the policy's release stage (and commit stage, when there
    /// is one). What a registry or a dependency check asks about a package.
    Release(Digest),
}

impl FromStr for Target {
    type Err = ChainError;

    /// `deployment:sha256:<hex>`, `image:sha256:<hex>`, `release:sha256:<hex>`
    /// (or `release:sha512:<hex>`), or a bare `sha256:<hex>`.
    fn from_str(s: &str) -> Result<Self, ChainError> {
        let bad = || ChainError::Target(s.chars().take(100).collect());
        let (kind, rest) = match s.split_once(':') {
            Some(("deployment", rest)) => ("deployment", rest),
            Some(("image", rest)) => ("image", rest),
            Some(("release", rest)) => ("release", rest),
            _ => ("any", s),
        };
        let d: Digest = rest.parse().map_err(|_| bad())?;
        Ok(match kind {
            "deployment" => Target::Deployment(d),
            "image" => Target::Image(d),
            "release" => Target::Release(d),
            _ => Target::Any(d),
        })
    }
}

/// A policy and a trusted roster, ready to evaluate bundles.
///
/// A `Verifier` holds no per-evaluation state: it is `Send + Sync` and one
/// instance can serve many threads at once.
#[derive(Debug, Clone)]
pub struct Verifier {
    policy: Policy,
    roster: TrustedRoster,
    threads: Threads,
    /// With `[release] check_dependencies`: the checker of releases'
    /// SBOM dependencies (shared by clones), or why there is none.
    dependencies: Option<std::sync::Arc<crate::deps::ReleaseDependencies>>,
}

impl Verifier {
    /// A verifier for `policy` against `roster`, verifying signatures on
    /// the default [`Threads`].
    pub fn new(policy: Policy, roster: TrustedRoster) -> Self {
        let dependencies = crate::deps::ReleaseDependencies::for_policy(&policy, &roster, &[]);
        Verifier {
            policy,
            roster,
            threads: Threads::default(),
            dependencies,
        }
    }

    /// The same verifier, with the upstream rosters (already trusted, see
    /// [`crate::deps::trust_pinned_rosters`]) that `[dependencies]` pins,
    /// for `[release] check_dependencies`.
    pub fn with_dependency_rosters(mut self, upstream: &[TrustedRoster]) -> Self {
        self.dependencies =
            crate::deps::ReleaseDependencies::for_policy(&self.policy, &self.roster, upstream);
        self
    }

    /// The same verifier, verifying signatures on `threads` (the verdict
    /// does not depend on it).
    pub fn with_threads(mut self, threads: Threads) -> Self {
        self.threads = threads;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The roster.
    pub fn roster(&self) -> &TrustedRoster {
        &self.roster
    }

    /// Evaluates the chain below `target` in `bundle` at time `now`.
    ///
    /// Every failure is collected (no early exit); the verdict passes only
    /// when there is none.
    pub fn verify(&self, bundle: &Bundle, target: &Target, now: Timestamp) -> Verdict {
        self.verify_placed(bundle, target, &Placement::default(), now)
    }

    /// Like [`Verifier::verify`], for a deployment about to run at
    /// `placement`: each field given there must equal the deployment
    /// statement's, so a statement made for somewhere else (staging,
    /// another cluster) is refused when replayed here.
    pub fn verify_placed(
        &self,
        bundle: &Bundle,
        target: &Target,
        placement: &Placement,
        now: Timestamp,
    ) -> Verdict {
        let index = Index::build(bundle, &self.threads);
        signature_pass(&index, &self.policy, &self.roster, target, &self.threads);
        let counters = match self.policy.fido.counter {
            CounterRule::Increasing => Counters::check(&index),
            _ => Counters::default(),
        };
        let witnesses = Witnesses::new(&self.roster, bundle);
        let mut eval = Eval::new(
            &self.policy,
            &self.roster,
            &index,
            now,
            placement,
            counters,
            witnesses,
        );
        eval.dependencies = self.dependencies.as_deref().map(|d| (d, bundle));
        let (trace, kind, digest) = match target {
            Target::Deployment(d) => (eval.deployment(d), LinkKind::Deployment, *d),
            Target::Any(d) if index.deployments.contains_key(d) => {
                (eval.deployment(d), LinkKind::Deployment, *d)
            }
            Target::Image(d) | Target::Any(d) => (eval.image_target(d), LinkKind::Image, *d),
            Target::Release(d) => (eval.release_target(d), LinkKind::Release, *d),
        };
        let context = VerdictContext {
            evaluated_at: now,
            target: TargetSummary {
                kind,
                digest,
                image: eval.target_image,
            },
            placement: eval.placement_found.take(),
            roster: RosterSummary {
                version: self.roster.version(),
                digest: self.roster.digest(),
                anchor: self.roster.anchor(),
                pinned: self.roster.pinned(),
            },
            policy: self.policy.digest(),
            stages: self.policy.stages(),
            bundle: index.counts(),
            could_change_at: eval.attester.until.get().filter(|t| *t > now),
        };
        Verdict::from_trace(trace, context)
    }
}

/// Evaluates `bundle` against `policy` and `roster` for `target` at `now`.
pub fn verify(
    policy: &Policy,
    roster: &TrustedRoster,
    bundle: &Bundle,
    target: &Target,
    now: Timestamp,
) -> Verdict {
    Verifier::new(policy.clone(), roster.clone()).verify(bundle, target, now)
}

/// The decoded statements of one link, grouped by digest (the envelopes of
/// one statement count together), in bundle order.
type Groups<'l, P> = Vec<Vec<Decoded<'l, P>>>;

/// What a commit link established, for the releases that certify it.
#[derive(Clone, Debug, Default)]
struct CommitFacts<'a> {
    /// The parents, from the commit object or a valid attestation.
    parents: Option<&'a [GitObjectId]>,
    /// The committer time (claimed).
    time: Option<Timestamp>,
    /// The identities the commit is attributed to (its proven authors).
    authors: Vec<IdentityId>,
}

/// What a release link established, for the image that names it.
#[derive(Clone, Debug)]
struct ReleaseFacts {
    package: String,
    version: String,
    commits: Vec<GitObjectId>,
    /// The commits of its previous release (certified with that release).
    previous_commits: Vec<GitObjectId>,
    released_at: Timestamp,
}

/// The shared state of one evaluation.
struct Eval<'a> {
    policy: &'a Policy,
    roster: &'a TrustedRoster,
    attester: Attester<'a>,
    rules: Rules<'a>,
    index: &'a Index<'a>,
    now: Timestamp,
    placement: &'a Placement,
    /// Links evaluated once; a later reach gets a reference node.
    // Keyed by ids borrowed from the bundle's statements: a map entry per
    // commit of a large bundle costs no copy of its id.
    seen_commits: HashMap<&'a GitObjectId, crate::trace::Outcome>,
    seen_releases: HashMap<Digest, (String, crate::trace::Outcome)>,
    commit_facts: HashMap<&'a GitObjectId, CommitFacts<'a>>,
    release_facts: HashMap<Digest, ReleaseFacts>,
    /// Releases (by digest) that list a commit: a grandfathered release
    /// covers the signatures of the commits it certifies.
    certifiers: HashMap<&'a GitObjectId, Vec<Digest>>,
    exempt_ancestors: OnceCell<HashSet<GitObjectId>>,
    target_image: Option<Digest>,
    placement_found: Option<Placement>,
    /// The roster's logs and timestamp authorities, with the bundle's tokens.
    witnesses: Witnesses<'a>,
    /// The checker of releases' SBOM dependencies, and the bundle it
    /// looks for evidence in (`[release] check_dependencies`).
    dependencies: Option<(&'a crate::deps::ReleaseDependencies, &'a Bundle)>,
}

fn short(d: &Digest) -> String {
    let h = d.hex();
    format!("{}:{}", d.algorithm(), &h[..12])
}

impl<'a> Eval<'a> {
    fn new(
        policy: &'a Policy,
        roster: &'a TrustedRoster,
        index: &'a Index<'a>,
        now: Timestamp,
        placement: &'a Placement,
        counters: Counters,
        witnesses: Witnesses<'a>,
    ) -> Self {
        let trust = if policy.roster.trust_claimed_time_after_revocation {
            ClaimedTimeTrust::Accept
        } else {
            ClaimedTimeTrust::Refuse
        };
        Eval {
            policy,
            roster,
            attester: Attester {
                roster,
                now,
                until: crate::attest::Until::after(now),
                trust,
                counters,
                #[cfg(feature = "sigstore")]
                sigstore: crate::sigstore::Context::new(roster),
                #[cfg(feature = "openpgp")]
                openpgp: std::cell::OnceCell::new(),
            },
            rules: Rules { roster },
            index,
            now,
            placement,
            seen_commits: HashMap::new(),
            seen_releases: HashMap::new(),
            commit_facts: HashMap::new(),
            release_facts: HashMap::new(),
            certifiers: HashMap::new(),
            exempt_ancestors: OnceCell::new(),
            target_image: None,
            placement_found: None,
            witnesses,
            dependencies: None,
        }
    }

    /// The person identity an email belongs to.
    fn person_by_email(&self, email: &str) -> Option<&'a Identity> {
        self.roster.person_by_email(email)
    }

    /// Decodes every envelope of one link; those that do not decode are
    /// failures of the link. Returns the decoded statements grouped by
    /// digest (several envelopes of one statement count together), in
    /// bundle order.
    fn decode<'l, P: Predicate>(
        &self,
        entries: &'l [Lazy<'l, P>],
        failures: &mut Vec<Reason>,
    ) -> Groups<'l, P> {
        self.decode_beside(entries, false, failures)
    }

    /// Like [`Eval::decode`], where `signed_elsewhere` says whether the
    /// link already has a signature by a roster key from outside these
    /// statements (a commit object's own signature).
    ///
    /// When some statement of the link (or that signature) is signed by a
    /// roster key, the statements no roster key signed are dropped and
    /// recorded as [`Reason::NoRosterSignature`] (which the trace lists as
    /// ignored): otherwise anyone able to add to a bundle could make a
    /// valid link fail by adding a counterfeit statement about its subject
    /// (a conflict). Statements signed by roster keys all stay, so two
    /// accountable signers who disagree still fail the link.
    fn decode_beside<'l, P: Predicate>(
        &self,
        entries: &'l [Lazy<'l, P>],
        signed_elsewhere: bool,
        failures: &mut Vec<Reason>,
    ) -> Groups<'l, P> {
        let mut groups: Groups<'l, P> = Vec::new();
        let mut reported = HashSet::new();
        for e in entries {
            match e.get(&self.index.decoded) {
                Ok(s) => {
                    let d = Decoded {
                        lazy: e,
                        statement: s,
                    };
                    match groups.iter_mut().find(|g| g[0].digest() == e.digest()) {
                        Some(g) => g.push(d),
                        None => groups.push(vec![d]),
                    }
                }
                Err(error) => {
                    if reported.insert((e.digest(), error.to_owned())) {
                        failures.push(Reason::StatementUnreadable {
                            statement: Some(e.digest()),
                            error: error.to_owned(),
                        });
                    }
                }
            }
        }
        let signed: Vec<bool> = groups.iter().map(|g| self.roster_signed(g)).collect();
        if signed_elsewhere || signed.contains(&true) {
            let mut keep = signed.iter();
            groups.retain(|g| {
                let signed = keep.next().copied().unwrap_or(true);
                if !signed {
                    failures.push(Reason::NoRosterSignature {
                        statement: g[0].digest(),
                    });
                }
                signed
            });
        }
        groups
    }

    /// Whether a roster key made a valid signature over the statement in
    /// one of its envelopes (whatever that key's validity). A statement
    /// from a Sigstore bundle counts as signed here: its certificate is
    /// judged when the link is.
    fn roster_signed<P: Predicate>(&self, group: &[Decoded<'_, P>]) -> bool {
        group.iter().any(|d| {
            #[cfg(feature = "sigstore")]
            if d.lazy.sigstore.is_some() {
                return true;
            }
            d.lazy
                .checked(self.roster)
                .is_some_and(|c| !c.ok.is_empty())
        })
    }

    /// The statements of one link, decoded and grouped, with the failures
    /// of those that do not decode; or the finished node when there is no
    /// statement (`missing` says why) or none decodes.
    fn statements<'l, P: Predicate>(
        &self,
        entries: Option<&'l Vec<Lazy<'l, P>>>,
        node: &mut TraceNode,
        missing: impl FnOnce() -> Reason,
    ) -> Option<(Groups<'l, P>, Vec<Reason>)> {
        let Some(entries) = entries else {
            node.failures.push(missing());
            node.settle();
            return None;
        };
        let mut failures = Vec::new();
        let groups = self.decode(entries, &mut failures);
        if groups.is_empty() {
            node.failures = failures;
            node.settle();
            return None;
        }
        Some((groups, failures))
    }

    /// The workload a statement names in `field` (its builder, its
    /// deployer) signed it and is a workload.
    fn workload_signed(
        field: &'static str,
        who: &IdentityId,
        signers: &[Attested<'_>],
        failures: &mut Vec<Reason>,
    ) {
        if !signers.iter().any(|s| s.identity.id == *who) {
            failures.push(Reason::NotProven {
                field,
                identity: who.clone(),
            });
        }
        if who.kind() != vouch_manifest::IdentityKind::Workload {
            failures.push(Reason::NotAWorkload {
                field,
                identity: who.clone(),
            });
        }
    }

    /// Checks a claimed time against the evaluation time and a maximum age.
    fn check_time(&self, at: Timestamp, max_age: Option<MaxAge>, failures: &mut Vec<Reason>) {
        if at.unix_seconds() > self.now.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
            failures.push(Reason::FromTheFuture { at });
            // Refused until the clock catches up with it.
            self.attester.until.at(at.plus_seconds(-CLOCK_SKEW_SECONDS));
        }
        if let Some(m) = max_age {
            // Too old from the second after `at + max_age`.
            let seconds = i64::try_from(m.seconds()).unwrap_or(i64::MAX);
            self.attester
                .until
                .at(at.plus_seconds(seconds).plus_seconds(1));
        }
        if let Some(m) = max_age
            && too_old(Some(m), at, self.now)
        {
            failures.push(Reason::too_old(at, m));
        }
    }

    /// `later` (claimed) must not predate `earlier` by more than the skew.
    fn check_order(
        what: impl FnOnce() -> String,
        later: Timestamp,
        before: impl FnOnce() -> String,
        earlier: Timestamp,
        failures: &mut Vec<Reason>,
    ) {
        if later.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) < earlier.unix_seconds() {
            failures.push(Reason::OutOfOrder {
                what: what(),
                at: later,
                before: before(),
                before_at: earlier,
            });
        }
    }

    /// What the roster's witnesses prove about one statement (the earliest
    /// time over its envelopes), checked against the time it claims: a
    /// claim later than the proof (beyond the skew) or earlier by more than
    /// `time.max_log_delay` fails, and under `time = "proven"` a statement
    /// no trusted witness saw fails.
    fn prove<P>(
        &self,
        group: &[Decoded<'_, P>],
        at: Timestamp,
        rule: TimeRule,
        failures: &mut Vec<Reason>,
    ) -> Proof {
        let mut proof = Proof::default();
        for d in group {
            // A Sigstore bundle proves its own time, against the roster's
            // Sigstore trusted root.
            #[cfg(feature = "sigstore")]
            if let Some(item) = &d.lazy.sigstore {
                proof.merge(item.proof(&self.attester.sigstore));
                continue;
            }
            proof.merge(self.witnesses.prove(d.envelope_bytes()));
        }
        let Some(first) = group.first() else {
            return proof;
        };
        let statement = first.digest();
        match &proof.time {
            None if rule == TimeRule::Proven => {
                let mut refused = proof.refused.clone();
                if !self.witnesses.any() {
                    refused.push(
                        "the roster lists no transparency log and no timestamp authority".into(),
                    );
                }
                failures.push(Reason::TimeNotProven { statement, refused });
            }
            None => {}
            Some(p) => {
                if at.unix_seconds() > p.at.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
                    failures.push(Reason::ClaimedAfterProven {
                        statement,
                        claimed: at,
                        proven: p.at,
                    });
                }
                let delay = self.policy.time.max_log_delay;
                if p.at.unix_seconds().saturating_sub(at.unix_seconds())
                    > i64::try_from(delay.seconds()).unwrap_or(i64::MAX)
                {
                    failures.push(Reason::LoggedTooLate {
                        statement,
                        claimed: at,
                        proven: p.at,
                        max_log_delay: delay.to_string(),
                    });
                }
            }
        }
        proof
    }

    /// The time a link claims, who claimed it, and what a witness proved.
    fn timed(at: Timestamp, signers: &[Attested<'_>], proof: &Proof) -> TraceTime {
        // Exact capacity: a trace keeps one of these per commit.
        let mut claimed_by: Vec<IdentityId> = Vec::with_capacity(signers.len());
        for s in signers {
            if !claimed_by.contains(&s.identity.id) {
                claimed_by.push(s.identity.id.clone());
            }
        }
        TraceTime {
            at,
            kind: if proof.time.is_some() {
                TimeKind::Proven
            } else {
                TimeKind::Claimed
            },
            claimed_by,
            proven: proof.time.clone(),
        }
    }

    fn trace_signer(&self, s: &Attested<'_>, capacity: &'static str) -> TraceSigner {
        let roles = self
            .roster
            .roles_at(&s.identity.id, s.at)
            .into_iter()
            .cloned()
            .collect();
        TraceSigner {
            identity: s.identity.id.clone(),
            key_id: s.key_id,
            roles,
            hardware: s.roster_key.map(|k| k.hardware.clone()).unwrap_or_default(),
            evidence: s.evidence.as_ref().map(crate::trace::EvidenceSummary::of),
            authenticator: self
                .roster
                .authenticator(&s.key_id)
                .map(ToString::to_string),
            tpm: self.roster.tpm(&s.key_id).map(ToString::to_string),
            capacity,
            statement: None,
            standing: Standing::from(s.standing),
            sigstore: s.sigstore.clone(),
        }
    }

    /// Whether `id` is exempt from the commit rule: listed, or the
    /// cut-over commit or one of its ancestors (by commit objects).
    fn exempt(&self, id: &GitObjectId) -> bool {
        let Some(pol) = &self.policy.commit else {
            return false;
        };
        if pol.legacy.commits.contains(id) {
            return true;
        }
        let Some(cutover) = &pol.legacy.cutover else {
            return false;
        };
        self.exempt_ancestors
            .get_or_init(|| {
                let mut seen = HashSet::new();
                let mut stack = vec![cutover.clone()];
                while let Some(c) = stack.pop() {
                    if !seen.insert(c.clone()) {
                        continue;
                    }
                    if let Some(crate::index::Object::Parsed(p)) = self.index.objects.get(&c) {
                        stack.extend(p.object.parents().iter().cloned());
                    }
                }
                seen
            })
            .contains(id)
    }

    /// A node for a link evaluated already on another path: its outcome,
    /// without repeating its subtree (its failures are reported once).
    fn reference(kind: LinkKind, name: &str, outcome: crate::trace::Outcome) -> TraceNode {
        let mut node = TraceNode::new(kind, name.to_owned());
        node.note = Some("evaluated above".into());
        node.outcome = outcome;
        node
    }
}
