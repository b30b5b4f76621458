//! Whole-chain evaluation: deployment → image → releases → commits → authors.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use vouch_core::cose::Sign;
use vouch_core::{Digest, Evidence, KeyId, Timestamp};
use vouch_manifest::git::{CommitObject, GitError, ObjectFormat};
use vouch_manifest::{
    Approval, ApprovalRole, Commit, Deployment, GitObjectId, HardwareClaim, Identity, IdentityId,
    IdentityKind, Image, Predicate, Release, RoleName, RosterError, RosterKey, Signed,
    TrustedRoster,
};

use crate::bundle::Bundle;
use crate::error::{ChainError, Reason};
use crate::policy::{HardwareRequirement, MaxAge, Policy, Rule, too_old};
use crate::trace::{EvidenceSummary, LinkKind, TraceNode, TraceSigner, Verdict};

/// What is about to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A deployment statement, by the digest of its canonical bytes.
    Deployment(Digest),
    /// An image, by its OCI manifest digest.
    Image(Digest),
    /// A digest that names a deployment statement in the bundle, or else an image.
    Any(Digest),
}

impl FromStr for Target {
    type Err = ChainError;

    /// `deployment:sha256:<hex>`, `image:sha256:<hex>`, or a bare `sha256:<hex>`.
    fn from_str(s: &str) -> Result<Self, ChainError> {
        let bad = || ChainError::Target(s.chars().take(100).collect());
        let (kind, rest) = match s.split_once(':') {
            Some(("deployment", rest)) => ("deployment", rest),
            Some(("image", rest)) => ("image", rest),
            _ => ("any", s),
        };
        let d: Digest = rest.parse().map_err(|_| bad())?;
        Ok(match kind {
            "deployment" => Target::Deployment(d),
            "image" => Target::Image(d),
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
}

impl Verifier {
    /// A verifier for `policy` against `roster`.
    pub fn new(policy: Policy, roster: TrustedRoster) -> Self {
        Verifier { policy, roster }
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
        let index = Index::build(bundle);
        let mut eval = Eval {
            policy: &self.policy,
            roster: &self.roster,
            roles: roles_by_identity(&self.roster),
            index: &index,
            now,
            commits: HashMap::new(),
            releases: HashMap::new(),
        };
        eval.count_reaches();
        let trace = match target {
            Target::Deployment(d) => eval.deployment(d),
            Target::Image(d) => eval.image(d),
            Target::Any(d) if index.deployments.contains_key(d) => eval.deployment(d),
            Target::Any(d) => eval.image(d),
        };
        Verdict::from_trace(trace, now, self.roster.version())
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

/// Each identity's roles, in role-name order, so that role checks are one
/// hash lookup instead of a scan of every role's member list (rosters list
/// hundreds of developers under one role).
fn roles_by_identity(roster: &TrustedRoster) -> HashMap<&IdentityId, Vec<&RoleName>> {
    let mut out: HashMap<&IdentityId, Vec<&RoleName>> = HashMap::new();
    for (role, members) in &roster.roster().roles {
        for m in members {
            let roles = out.entry(m).or_default();
            // A member listed twice under one role still holds it once.
            if roles.last() != Some(&role) {
                roles.push(role);
            }
        }
    }
    out
}

/// The bundle's statements, decoded once and indexed by the digests and ids
/// other statements use to name them.
#[derive(Default)]
struct Index {
    deployments: HashMap<Digest, Vec<Signed<Deployment>>>,
    images: HashMap<Digest, Vec<Signed<Image>>>,
    releases: HashMap<Digest, Vec<Signed<Release>>>,
    commits: HashMap<GitObjectId, Vec<Signed<Commit>>>,
    approvals: HashMap<Digest, Vec<Signed<Approval>>>,
    /// Raw git commit objects, by the id recomputed from their bytes.
    objects: HashMap<GitObjectId, CommitObject>,
}

impl Index {
    fn build(bundle: &Bundle) -> Self {
        let mut ix = Index::default();
        for raw in bundle.commit_objects() {
            // The tree line's length tells the object format; the id is
            // computed from the bytes, so an altered object gets another id
            // and nothing that names the original finds it.
            let parsed = CommitObject::parse(raw, ObjectFormat::Sha1)
                .or_else(|_| CommitObject::parse(raw, ObjectFormat::Sha256));
            if let Ok(obj) = parsed {
                ix.objects.insert(obj.id().clone(), obj);
            }
        }
        for bytes in bundle.envelopes() {
            // Envelopes that do not decode, or carry other statements (rosters,
            // summaries), are not part of any chain: nothing can reach them.
            let Ok(env) = Sign::from_bytes(bytes) else {
                continue;
            };
            // Nearly every envelope of a bundle is a commit attestation: try
            // that type first. Its one validation pass also reads the
            // predicate type, which names the type to decode anything else as.
            let (env, ty) = match Signed::<Commit>::from_envelope_or_other_type(env) {
                Ok(Ok(s)) => {
                    ix.commits
                        .entry(s.unverified().predicate().commit_id.clone())
                        .or_default()
                        .push(s);
                    continue;
                }
                Ok(Err(other)) => other,
                Err(_) => continue,
            };
            match ty.as_str() {
                Deployment::PREDICATE_TYPE => {
                    if let Ok(s) = Signed::<Deployment>::from_envelope(env) {
                        ix.deployments.entry(s.digest()).or_default().push(s);
                    }
                }
                Image::PREDICATE_TYPE => {
                    if let Ok(s) = Signed::<Image>::from_envelope(env) {
                        ix.images
                            .entry(s.unverified().predicate().image)
                            .or_default()
                            .push(s);
                    }
                }
                Release::PREDICATE_TYPE => {
                    if let Ok(s) = Signed::<Release>::from_envelope(env) {
                        ix.releases.entry(s.digest()).or_default().push(s);
                    }
                }
                Approval::PREDICATE_TYPE => {
                    if let Ok(s) = Signed::<Approval>::from_envelope(env) {
                        ix.approvals
                            .entry(s.unverified().predicate().statement)
                            .or_default()
                            .push(s);
                    }
                }
                _ => {}
            }
        }
        ix
    }
}

/// A verified signature mapped to the identity that held its key at signing time.
#[derive(Clone)]
struct Attested<'r> {
    identity: &'r Identity,
    roster_key: &'r RosterKey,
    key_id: KeyId,
    evidence: Option<Evidence>,
}

struct Eval<'a> {
    policy: &'a Policy,
    roster: &'a TrustedRoster,
    roles: HashMap<&'a IdentityId, Vec<&'a RoleName>>,
    index: &'a Index,
    now: Timestamp,
    /// Commit links by id, for commits the chain may reach more than once.
    commits: HashMap<&'a GitObjectId, Reached>,
    /// Release links by statement digest, likewise.
    releases: HashMap<Digest, Reached>,
}

/// A link the chain may reach more than once: how many more times it can
/// still be reached, and its node once evaluated. Each link is evaluated
/// once and its node handed out again on later reaches; the last reach
/// takes the node instead of cloning it, and a link reached once is never
/// copied at all.
#[derive(Default)]
struct Reached {
    left: u32,
    node: Option<TraceNode>,
}

impl Reached {
    /// The node for one more reach, when evaluated already.
    fn take(&mut self) -> Option<TraceNode> {
        let node = self.node.as_ref()?;
        self.left = self.left.saturating_sub(1);
        if self.left == 0 {
            self.node.take()
        } else {
            Some(node.clone())
        }
    }

    /// Keeps `node` (just evaluated, for this reach) when later reaches may need it.
    fn keep(&mut self, node: &TraceNode) {
        self.left = self.left.saturating_sub(1);
        if self.left > 0 {
            self.node = Some(node.clone());
        }
    }
}

/// The one place thresholds are counted: distinct identities, never keys.
fn count_distinct_identities<'i>(ids: impl Iterator<Item = &'i IdentityId>) -> usize {
    ids.collect::<HashSet<_>>().len()
}

fn satisfies(s: &Attested<'_>, req: HardwareRequirement) -> bool {
    let fido = match &s.evidence {
        Some(Evidence::Fido(a)) => Some(a),
        _ => None,
    };
    match req {
        HardwareRequirement::UserPresence => fido.is_some_and(|a| a.flags.user_present()),
        HardwareRequirement::UserVerification => fido.is_some_and(|a| a.flags.user_verified()),
        HardwareRequirement::TpmAttested => {
            s.roster_key.hardware.contains(&HardwareClaim::TpmResident)
        }
    }
}

fn short(d: &Digest) -> String {
    let h = d.hex();
    format!("{}:{}", d.algorithm(), &h[..12])
}

impl<'a> Eval<'a> {
    /// Counts, over every statement in the index (reachable or not), how
    /// often a release or a commit is named: an upper bound of how often
    /// the evaluation can reach it, since each statement is evaluated at
    /// most once. An undercount would only cost a second evaluation.
    fn count_reaches(&mut self) {
        let index = self.index;
        for group in index.releases.values() {
            for c in &group[0].unverified().predicate().commits {
                self.commits.entry(c).or_default().left += 1;
            }
        }
        for image in index.images.values().flatten() {
            let i = image.unverified().predicate();
            for p in &i.packages {
                self.releases.entry(p.release).or_default().left += 1;
            }
            for c in &i.source_commits {
                self.commits.entry(&c.commit).or_default().left += 1;
            }
        }
    }

    /// Verifies every signature of the statements in `group` (one statement,
    /// possibly in several envelopes) and maps each key to its holder at `at`.
    /// Each distinct key counts once; every signature that cannot be
    /// accounted for is a failure.
    fn attest<P: Predicate>(
        &self,
        group: &[&Signed<P>],
        at: Timestamp,
        failures: &mut Vec<Reason>,
    ) -> Vec<Attested<'a>> {
        let roster = self.roster;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for s in group {
            let (ok, failed) = s.verify_each(|k| roster.public_key(k));
            for f in failed {
                failures.push(match f.error {
                    vouch_core::EnvelopeError::UnknownKey(k) => Reason::UnknownKey { key_id: k },
                    _ => Reason::BadSignature { key_id: f.key_id },
                });
            }
            let Some(ok) = ok else { continue };
            for v in ok.signers() {
                if !seen.insert(v.key_id()) {
                    continue;
                }
                if let Some(a) = self.holder(v.key_id(), v.evidence().cloned(), at, failures) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// Maps a verified key to the identity that held it at `at`, or records
    /// why it cannot count (revoked, outside its window, not in the roster).
    fn holder(
        &self,
        key_id: KeyId,
        evidence: Option<Evidence>,
        at: Timestamp,
        failures: &mut Vec<Reason>,
    ) -> Option<Attested<'a>> {
        match self.roster.key_holder(&key_id, at) {
            Ok((identity, roster_key)) => Some(Attested {
                identity,
                roster_key,
                key_id,
                evidence,
            }),
            Err(RosterError::Revoked {
                identity,
                key_id,
                revoked_at,
                reason,
                ..
            }) => {
                failures.push(Reason::KeyRevoked {
                    key_id,
                    identity,
                    revoked_at,
                    reason,
                });
                None
            }
            Err(
                RosterError::NotYetValid {
                    identity,
                    key_id,
                    at,
                    ..
                }
                | RosterError::Expired {
                    identity,
                    key_id,
                    at,
                    ..
                },
            ) => {
                failures.push(Reason::KeyOutsideWindow {
                    key_id,
                    identity,
                    at,
                });
                None
            }
            Err(_) => {
                failures.push(Reason::UnknownKey { key_id });
                None
            }
        }
    }

    /// Checks a signer rule over attested signers; empty means satisfied.
    fn check_rule(&self, rule: &Rule, signers: &[Attested<'_>]) -> Vec<Reason> {
        match rule {
            Rule::Signers {
                roles,
                threshold,
                hardware,
            } => {
                let mut hw = Vec::new();
                let qualifying: Vec<&Attested<'_>> = signers
                    .iter()
                    .filter(|s| roles.iter().any(|r| self.has_role(&s.identity.id, r)))
                    .filter(|s| {
                        let missing: Vec<_> = hardware
                            .iter()
                            .copied()
                            .filter(|h| !satisfies(s, *h))
                            .collect();
                        for requirement in &missing {
                            hw.push(Reason::MissingHardware {
                                identity: s.identity.id.clone(),
                                key_id: s.key_id,
                                requirement: *requirement,
                            });
                        }
                        missing.is_empty()
                    })
                    .collect();
                let have = count_distinct_identities(qualifying.iter().map(|s| &s.identity.id));
                if have >= *threshold as usize {
                    Vec::new()
                } else {
                    let mut r = vec![Reason::Threshold {
                        rule: rule.to_string(),
                        have,
                        need: *threshold,
                    }];
                    r.extend(hw);
                    r
                }
            }
            Rule::AllOf(rules) => rules
                .iter()
                .flat_map(|r| self.check_rule(r, signers))
                .collect(),
            Rule::AnyOf(rules) => {
                let results: Vec<Vec<Reason>> =
                    rules.iter().map(|r| self.check_rule(r, signers)).collect();
                if results.iter().any(Vec::is_empty) {
                    Vec::new()
                } else {
                    results.into_iter().flatten().collect()
                }
            }
        }
    }

    fn check_time(&self, at: Timestamp, max_age: Option<MaxAge>, failures: &mut Vec<Reason>) {
        if at > self.now {
            failures.push(Reason::FromTheFuture { at });
        }
        if let Some(m) = max_age
            && too_old(Some(m), at, self.now)
        {
            failures.push(Reason::too_old(at, m));
        }
    }

    /// Whether `id` holds `role` in the roster.
    fn has_role(&self, id: &IdentityId, role: &RoleName) -> bool {
        self.roles
            .get(id)
            .is_some_and(|roles| roles.contains(&role))
    }

    fn trace_signer(&self, s: &Attested<'_>, capacity: &'static str) -> TraceSigner {
        let roles = self
            .roles
            .get(&s.identity.id)
            .map(|roles| roles.iter().map(|r| (*r).clone()).collect())
            .unwrap_or_default();
        TraceSigner {
            identity: s.identity.id.clone(),
            key_id: s.key_id,
            roles,
            hardware: s.roster_key.hardware.clone(),
            evidence: s.evidence.as_ref().map(EvidenceSummary::of),
            capacity,
            statement: None,
        }
    }

    fn deployment(&mut self, digest: &Digest) -> TraceNode {
        let Some(group) = self.index.deployments.get(digest) else {
            let mut node = TraceNode::new(LinkKind::Deployment, short(digest));
            node.failures
                .push(Reason::DeploymentMissing { digest: *digest });
            node.settle();
            return node;
        };
        let refs: Vec<&Signed<Deployment>> = group.iter().collect();
        let d = group[0].unverified().predicate();
        let pol = &self.policy.deployment;
        let t = &d.target;
        let mut node = TraceNode::new(
            LinkKind::Deployment,
            format!(
                "{}/{}/{}/{}",
                d.environment, t.cluster, t.namespace, t.service
            ),
        );
        node.statement = Some(*digest);
        node.time = Some(d.time);
        let mut failures = Vec::new();
        let signers = self.attest(&refs, d.time, &mut failures);
        self.check_time(d.time, pol.max_age, &mut failures);
        if !pol.environments.contains(&d.environment) {
            failures.push(Reason::EnvironmentNotAllowed {
                environment: d.environment.clone(),
                allowed: pol.environments.clone(),
            });
        }
        failures.extend(self.check_rule(&pol.signers, &signers));
        if !signers.iter().any(|s| s.identity.id == d.deployer) {
            failures.push(Reason::NotProven {
                field: "deployer",
                identity: d.deployer.clone(),
            });
        }
        if d.deployer.kind() != IdentityKind::Workload {
            failures.push(Reason::NotAWorkload {
                field: "deployer",
                identity: d.deployer.clone(),
            });
        }

        // People prove their part with their own signatures: a co-signature on
        // the deployment, or an approval statement naming its digest.
        // Each with the approval statement that proves it (none for a co-signature).
        let mut approvals: Vec<(ApprovalRole, Attested<'a>, Option<Digest>)> = Vec::new();
        for s in &signers {
            if s.identity.id == d.triggered_by {
                approvals.push((ApprovalRole::Trigger, s.clone(), None));
            }
            if d.authorized_by.contains(&s.identity.id) {
                approvals.push((ApprovalRole::Authorize, s.clone(), None));
            }
        }
        let by_statement = group_by_digest(
            self.index
                .approvals
                .get(digest)
                .map(Vec::as_slice)
                .unwrap_or_default(),
        );
        for group in by_statement {
            let a = group[0].unverified().predicate();
            let mut approval_failures = Vec::new();
            let approvers = self.attest(&group, a.time, &mut approval_failures);
            // An approval whose signatures fail is reported; one signed by
            // someone other than the identity it names proves nothing.
            failures.extend(approval_failures);
            self.check_time(a.time, pol.max_age, &mut failures);
            // An approval proves only what the deployment itself claims: the
            // trigger by the person named in triggeredBy, an authorization by
            // a person named in authorizedBy. Anyone else's approval is not
            // part of this deployment and must not count toward its rules.
            let named = match a.role {
                ApprovalRole::Trigger => a.identity == d.triggered_by,
                ApprovalRole::Authorize => d.authorized_by.contains(&a.identity),
            };
            if !named {
                continue;
            }
            for s in approvers
                .into_iter()
                .filter(|s| s.identity.id == a.identity)
            {
                approvals.push((a.role, s, Some(group[0].digest())));
            }
        }

        let proven = |role: ApprovalRole, id: &IdentityId| {
            approvals
                .iter()
                .any(|(r, s, _)| *r == role && s.identity.id == *id)
        };
        if !proven(ApprovalRole::Trigger, &d.triggered_by) {
            failures.push(Reason::NotProven {
                field: "triggeredBy",
                identity: d.triggered_by.clone(),
            });
        }
        if d.triggered_by.kind() != IdentityKind::Person {
            failures.push(Reason::NotAPerson {
                field: "triggeredBy",
                identity: d.triggered_by.clone(),
            });
        }
        if !pol
            .trigger_roles
            .iter()
            .any(|r| self.has_role(&d.triggered_by, r))
        {
            failures.push(Reason::RoleNotHeld {
                field: "triggeredBy",
                identity: d.triggered_by.clone(),
                roles: pol.trigger_roles.clone(),
            });
        }
        for a in &d.authorized_by {
            if !proven(ApprovalRole::Authorize, a) {
                failures.push(Reason::NotProven {
                    field: "authorizedBy",
                    identity: a.clone(),
                });
            }
            if a.kind() != IdentityKind::Person {
                failures.push(Reason::NotAPerson {
                    field: "authorizedBy",
                    identity: a.clone(),
                });
            }
            if pol.separate_trigger_and_authorizer && *a == d.triggered_by {
                failures.push(Reason::SelfAuthorized {
                    identity: a.clone(),
                });
            }
        }
        // The authorizer rule counts only people named in authorizedBy who
        // proved it, and never the person who triggered the deployment.
        let authorizers: Vec<Attested<'a>> = approvals
            .iter()
            .filter(|(r, s, _)| {
                *r == ApprovalRole::Authorize
                    && s.identity.kind() == IdentityKind::Person
                    && !(pol.separate_trigger_and_authorizer && s.identity.id == d.triggered_by)
            })
            .map(|(_, s, _)| s.clone())
            .collect();
        failures.extend(self.check_rule(&pol.authorizers, &authorizers));

        for s in &signers {
            let capacity = if s.identity.id == d.deployer {
                "signer"
            } else {
                "co-signer"
            };
            node.signers.push(self.trace_signer(s, capacity));
        }
        for (r, s, statement) in &approvals {
            let capacity = match r {
                ApprovalRole::Trigger => "triggered by",
                ApprovalRole::Authorize => "authorized by",
            };
            let mut signer = self.trace_signer(s, capacity);
            signer.statement = *statement;
            node.signers.push(signer);
        }
        node.failures = failures;
        node.children.push(self.image(&d.image));
        node.settle();
        node
    }

    fn image(&mut self, image: &Digest) -> TraceNode {
        let index = self.index;
        let Some(all) = index.images.get(image) else {
            let mut node = TraceNode::new(LinkKind::Image, short(image));
            node.failures.push(Reason::ImageMissing { image: *image });
            node.settle();
            return node;
        };
        // Several image statements may claim the same image; the chain holds
        // when one of them does.
        let mut first_failed = None;
        for group in group_by_digest(all) {
            let node = self.image_statement(&group);
            if node.outcome == crate::trace::Outcome::Pass {
                return node;
            }
            first_failed.get_or_insert(node);
        }
        first_failed.unwrap_or_else(|| TraceNode::new(LinkKind::Image, short(image)))
    }

    fn image_statement(&mut self, group: &[&'a Signed<Image>]) -> TraceNode {
        let i = group[0].unverified().predicate();
        let pol = &self.policy.image;
        let mut node = TraceNode::new(LinkKind::Image, format!("{}@{}", i.name, short(&i.image)));
        node.statement = Some(group[0].digest());
        node.time = Some(i.finished_at);
        let mut failures = Vec::new();
        let signers = self.attest(group, i.finished_at, &mut failures);
        self.check_time(i.finished_at, pol.max_age, &mut failures);
        failures.extend(self.check_rule(&pol.signers, &signers));
        if !signers.iter().any(|s| s.identity.id == i.builder) {
            failures.push(Reason::NotProven {
                field: "builder",
                identity: i.builder.clone(),
            });
        }
        if i.builder.kind() != IdentityKind::Workload {
            failures.push(Reason::NotAWorkload {
                field: "builder",
                identity: i.builder.clone(),
            });
        }
        for s in &signers {
            node.signers.push(self.trace_signer(s, "built by"));
        }
        node.failures = failures;
        for p in &i.packages {
            node.children
                .push(self.release(&p.release, &p.name, &p.version));
        }
        for c in &i.source_commits {
            node.children.push(self.commit(&c.commit));
        }
        node.settle();
        node
    }

    fn release(&mut self, digest: &Digest, package: &str, version: &str) -> TraceNode {
        if let Some(n) = self.releases.get_mut(digest).and_then(Reached::take) {
            return n;
        }
        let node = self.release_uncached(digest, package, version);
        self.releases.entry(*digest).or_default().keep(&node);
        node
    }

    fn release_uncached(&mut self, digest: &Digest, package: &str, version: &str) -> TraceNode {
        let index = self.index;
        let Some(group) = index.releases.get(digest) else {
            let mut node = TraceNode::new(LinkKind::Release, format!("{package} {version}"));
            node.failures.push(Reason::ReleaseMissing {
                package: package.to_owned(),
                version: version.to_owned(),
                release: *digest,
            });
            node.settle();
            return node;
        };
        let refs: Vec<&Signed<Release>> = group.iter().collect();
        let r = group[0].unverified().predicate();
        let pol = &self.policy.release;
        let mut node = TraceNode::new(LinkKind::Release, format!("{} {}", r.package, r.version));
        node.statement = Some(*digest);
        node.time = Some(r.released_at);
        let mut failures = Vec::new();
        let signers = self.attest(&refs, r.released_at, &mut failures);
        self.check_time(r.released_at, pol.max_age, &mut failures);
        failures.extend(self.check_rule(&pol.signers, &signers));
        for c in &r.commits {
            node.children.push(self.commit(c));
        }
        if pol.certifier_not_sole_author {
            let authors: HashSet<&IdentityId> = node
                .children
                .iter()
                .flat_map(|c| c.signers.iter().map(|s| &s.identity))
                .collect();
            if authors.len() == 1
                && let Some(author) = authors.into_iter().next()
                && signers.iter().any(|s| s.identity.id == *author)
            {
                failures.push(Reason::SoleAuthorCertified {
                    identity: author.clone(),
                });
            }
        }
        for s in &signers {
            node.signers.push(self.trace_signer(s, "certified by"));
        }
        node.failures = failures;
        node.settle();
        node
    }

    fn commit(&mut self, id: &'a GitObjectId) -> TraceNode {
        if let Some(n) = self.commits.get_mut(id).and_then(Reached::take) {
            return n;
        }
        let node = self.commit_uncached(id);
        self.commits.entry(id).or_default().keep(&node);
        node
    }

    fn commit_uncached(&self, id: &GitObjectId) -> TraceNode {
        let node = || TraceNode::new(LinkKind::Commit, id.to_string());
        if self.policy.commit.legacy.commits.contains(id) {
            let mut node = node();
            node.note = Some("legacy commit, exempt by policy".into());
            node.settle();
            return node;
        }
        // A commit is proven by a signed commit attestation, or by the SSH
        // signature inside the git commit object itself; either will do.
        let statements = self
            .index
            .commits
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let object = self.index.objects.get(id);
        if statements.is_empty() && object.is_none() {
            let mut node = node();
            node.failures
                .push(Reason::CommitUnsigned { commit: id.clone() });
            node.settle();
            return node;
        }
        let mut first_failed = None;
        for group in group_by_digest(statements) {
            let n = self.commit_statement(id, &group);
            if n.outcome == crate::trace::Outcome::Pass {
                return n;
            }
            first_failed.get_or_insert(n);
        }
        if let Some(obj) = object {
            let n = self.commit_object(obj);
            if n.outcome == crate::trace::Outcome::Pass {
                return n;
            }
            first_failed.get_or_insert(n);
        }
        first_failed.unwrap_or_else(node)
    }

    /// A commit proven by the SSH signature in its git object (as `git
    /// commit -S` made it), checked against the roster at the committer time.
    fn commit_object(&self, obj: &CommitObject) -> TraceNode {
        let mut node = TraceNode::new(LinkKind::Commit, obj.id().to_string());
        let at = obj.committer().time;
        node.time = Some(at);
        node.note = Some("verified from the SSH signature in the git commit object".into());
        let mut failures = Vec::new();
        if at > self.now {
            failures.push(Reason::FromTheFuture { at });
        }
        let mut signers = Vec::new();
        match obj.verify_signature() {
            Ok(sig) => {
                if self.roster.public_key(&sig.key_id()).is_none() {
                    failures.push(Reason::UnknownKey {
                        key_id: sig.key_id(),
                    });
                } else if let Some(a) = self.holder(
                    sig.key_id(),
                    sig.signature().evidence().cloned(),
                    at,
                    &mut failures,
                ) {
                    signers.push(a);
                }
            }
            Err(GitError::Unsigned(_) | GitError::NotSsh { .. }) => {
                failures.push(Reason::CommitUnsigned {
                    commit: obj.id().clone(),
                });
            }
            Err(_) => failures.push(Reason::BadSignature { key_id: None }),
        }
        // An unsigned object has already said all there is to say.
        if !failures
            .iter()
            .any(|f| matches!(f, Reason::CommitUnsigned { .. }))
        {
            failures.extend(self.check_rule(&self.policy.commit.signers, &signers));
        }
        for s in &signers {
            node.signers.push(self.trace_signer(s, "signed by"));
        }
        node.failures = failures;
        node.settle();
        node
    }

    fn commit_statement(&self, id: &GitObjectId, group: &[&Signed<Commit>]) -> TraceNode {
        let c = group[0].unverified().predicate();
        let mut node = TraceNode::new(LinkKind::Commit, id.to_string());
        node.statement = Some(group[0].digest());
        node.time = Some(c.committer.time);
        let mut failures = Vec::new();
        let signers = self.attest(group, c.committer.time, &mut failures);
        if c.committer.time > self.now {
            failures.push(Reason::FromTheFuture {
                at: c.committer.time,
            });
        }
        failures.extend(self.check_rule(&self.policy.commit.signers, &signers));
        if !signers.iter().any(|s| s.identity.id == c.signer) {
            failures.push(Reason::NotProven {
                field: "signer",
                identity: c.signer.clone(),
            });
        }
        for s in &signers {
            node.signers.push(self.trace_signer(s, "signed by"));
        }
        node.failures = failures;
        node.settle();
        node
    }
}

/// Groups envelopes of the same statement (same digest) so their signatures
/// count together, keeping the bundle's order.
fn group_by_digest<P: Predicate>(all: &[Signed<P>]) -> Vec<Vec<&Signed<P>>> {
    // Nearly always one statement in one or two envelopes: comparing with
    // the groups found so far beats hashing, up to a bound that keeps a
    // bundle of many statements about one link from turning it quadratic.
    const LINEAR: usize = 16;
    if all.len() <= LINEAR {
        let mut groups: Vec<Vec<&Signed<P>>> = Vec::new();
        for s in all {
            match groups.iter_mut().find(|g| g[0].digest() == s.digest()) {
                Some(g) => g.push(s),
                None => groups.push(vec![s]),
            }
        }
        return groups;
    }
    let mut order: Vec<Digest> = Vec::new();
    let mut groups: HashMap<Digest, Vec<&Signed<P>>> = HashMap::new();
    for s in all {
        let g = groups.entry(s.digest()).or_default();
        if g.is_empty() {
            order.push(s.digest());
        }
        g.push(s);
    }
    order
        .into_iter()
        .filter_map(|d| groups.remove(&d))
        .collect()
}
