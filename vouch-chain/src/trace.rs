//! The verdict and its trace: a tree of links with who, what, key, evidence and time.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use serde::Serialize;
use vouch_core::text::Escaped;
use vouch_core::{Digest, Evidence, KeyId, Timestamp};
use vouch_manifest::{HardwareClaim, IdentityId, KeyStanding, RoleName};

use crate::error::Reason;
use crate::index::BundleCounts;

/// The most failures a trace keeps for one link; the rest are counted in a
/// [`Reason::FailuresOmitted`]. A link of an honest chain has a handful; a
/// bundle padded with junk for a reached subject (thousands of envelopes
/// signed by unknown keys) would otherwise grow the verdict with the junk.
pub const MAX_FAILURES_PER_LINK: usize = 64;

/// Pass or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every link held.
    Pass,
    /// At least one link broke a rule.
    Fail,
}

/// The kind of link a trace node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    /// A deployment statement.
    Deployment,
    /// An image statement.
    Image,
    /// A release statement.
    Release,
    /// A commit attestation.
    Commit,
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkKind::Deployment => "deployment",
            LinkKind::Image => "image",
            LinkKind::Release => "release",
            LinkKind::Commit => "commit",
        })
    }
}

/// Hardware evidence of one signature, as the trace shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum EvidenceSummary {
    /// FIDO authenticator data.
    Fido {
        /// User present.
        user_present: bool,
        /// User verified.
        user_verified: bool,
        /// Signature counter.
        counter: u32,
    },
    /// Evidence of a kind this build does not describe.
    Other,
}

impl EvidenceSummary {
    pub(crate) fn of(e: &Evidence) -> Self {
        match e {
            Evidence::Fido(a) => EvidenceSummary::Fido {
                user_present: a.flags.user_present(),
                user_verified: a.flags.user_verified(),
                counter: a.counter,
            },
            #[allow(unreachable_patterns)]
            _ => EvidenceSummary::Other,
        }
    }
}

/// Where a time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TimeKind {
    /// Written by the signer: a claim, not a proof.
    Claimed,
    /// Proven by a witness the roster trusts (see [`TraceTime::proven`]).
    Proven,
}

/// A time on a link: when, what kind of time, and who claimed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceTime {
    /// The time the statement claims.
    pub at: Timestamp,
    /// Claimed, or proven (then [`TraceTime::proven`] says by whom).
    pub kind: TimeKind,
    /// Who wrote it: the verified signers of the statement (empty when
    /// nobody the roster knows signed it).
    pub claimed_by: Vec<IdentityId>,
    /// The earliest time a witness the roster trusts proved the statement
    /// existed, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proven: Option<ProvenTime>,
}

/// A time a witness proved: a log's receipt, or a timestamp authority's token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProvenTime {
    /// When the witness saw the statement.
    pub at: Timestamp,
    /// The witness's label in the roster.
    pub by: String,
    /// `receipt` (a transparency log), `timestamp` (RFC 3161) or
    /// `sigstore` (a Sigstore bundle's Rekor entry or timestamp, verified
    /// against the roster's Sigstore trusted root).
    pub how: &'static str,
    /// The log entry's index, for a receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
}

impl std::fmt::Display for ProvenTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.index {
            Some(i) => write!(
                f,
                "proven at {} by log {} (entry {i})",
                self.at,
                Escaped(&self.by)
            ),
            None => write!(
                f,
                "proven at {} by timestamp authority {}",
                self.at,
                Escaped(&self.by)
            ),
        }
    }
}

/// How a signer's key counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Standing {
    /// The key is live.
    Live,
    /// The key has ended; the roster grandfathers this signature.
    Grandfathered,
    /// The key has ended; the policy accepts the claimed signing time.
    ClaimedTime,
    /// The key has ended; a witness proved the signature came before.
    ProvenBeforeEnd,
}

impl From<KeyStanding> for Standing {
    fn from(k: KeyStanding) -> Self {
        match k {
            KeyStanding::Live => Standing::Live,
            KeyStanding::Grandfathered => Standing::Grandfathered,
            KeyStanding::ClaimedTime => Standing::ClaimedTime,
            KeyStanding::ProvenBeforeEnd => Standing::ProvenBeforeEnd,
        }
    }
}

/// An author or committer of a commit, and what the roster says of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TracePerson {
    /// `author` or `committer`.
    pub capacity: &'static str,
    /// The name in the commit.
    pub name: String,
    /// The email in the commit.
    pub email: String,
    /// The roster identity the email belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityId>,
    /// Whether this person's own signature is on the commit.
    pub signed: bool,
}

/// One verified signature on a link and who made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceSigner {
    /// The roster identity that held the key at signing time.
    pub identity: IdentityId,
    /// The key.
    pub key_id: KeyId,
    /// The identity's roles.
    pub roles: Vec<RoleName>,
    /// What the roster claims about the key's hardware.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hardware: Vec<HardwareClaim>,
    /// Evidence carried by this signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceSummary>,
    /// For a FIDO key: what this verifier concluded about its
    /// authenticator from the enrollment attestation (attested to a
    /// trusted root, unattested, or refused with the reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<String>,
    /// For a key carrying a TPM attestation: what this verifier concluded
    /// (TPM-attested by an enrolled AK, or refused with the reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm: Option<String>,
    /// What this signature is for on this link (`signer`, `trigger`, `authorizer`).
    pub capacity: &'static str,
    /// The separate statement carrying this signature (an approval), when
    /// it is not on the link's own statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Digest>,
    /// How the key counted (live, grandfathered, claimed time trusted).
    pub standing: Standing,
    /// For a signature carried by a Sigstore bundle: the signer as its
    /// verified certificate (or key) says, with the workload's claims.
    /// For a certificate, [`TraceSigner::key_id`] is the SHA-256 of its
    /// ephemeral key's `SubjectPublicKeyInfo` (the roster holds no such key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigstore: Option<Box<TraceSigstore>>,
}

/// A Sigstore signer, from its verified bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceSigstore {
    /// `certificate` (keyless: a Fulcio certificate for an OIDC identity)
    /// or `key` (a roster key named by the bundle).
    pub kind: &'static str,
    /// The certificate's subject alternative name (the identity the roster
    /// maps), for a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub san: Option<String>,
    /// The certificate's OIDC issuer, for a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The certificate's workload claims (Fulcio extensions
    /// `1.3.6.1.4.1.57264.1.*`: trigger, repository, ref, commit, workflow,
    /// run), in OID order, by their Fulcio names. What the OIDC provider
    /// told Fulcio, bound to the signature by the certificate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<TraceClaim>,
}

/// One Fulcio certificate claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceClaim {
    /// Its name in Fulcio's documentation, e.g. `build-trigger`.
    pub name: &'static str,
    /// Its value.
    pub value: String,
}

impl TraceSigstore {
    fn render(&self, pad: &str, out: &mut String) {
        match (&self.san, &self.issuer) {
            (Some(san), Some(issuer)) => {
                let _ = writeln!(
                    out,
                    "{pad}      via Sigstore: certificate for {} (issuer {})",
                    Escaped(san),
                    Escaped(issuer)
                );
            }
            _ => {
                let _ = writeln!(out, "{pad}      via Sigstore: signed with the roster key");
            }
        }
        for c in &self.claims {
            let _ = writeln!(out, "{pad}        {} {}", c.name, Escaped(&c.value));
        }
    }
}

/// One link of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceNode {
    /// What kind of link.
    pub kind: LinkKind,
    /// A name for people (image reference, package and version, commit id).
    pub name: String,
    /// The statement's digest, when one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Digest>,
    /// The time the statement claims (the time keys must be valid at),
    /// marked as claimed, with who claimed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TraceTime>,
    /// For a commit: its author and committer.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<TracePerson>,
    /// Verified signatures and their identities.
    pub signers: Vec<TraceSigner>,
    /// Pass when this link and everything under it held.
    pub outcome: Outcome,
    /// Rules this link itself broke.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Reason>,
    /// A note for people (e.g. an explicit legacy exception).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What counted for nothing at a link that passed on valid signatures:
    /// signatures by keys the roster does not know or that do not verify,
    /// statements no roster key signed, statements that do not decode.
    /// Anyone who can add to a bundle can add these, so they must not make
    /// a valid link fail; at a link that fails (for want of a signer, or
    /// for any other rule) they are listed among the failures instead, as
    /// one of them may be the missing signature. Bounded like `failures`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Reason>,
    /// On a deployment link whose statement carries a CI provider's ID
    /// token that verified: the claims it proves and the time it was
    /// judged at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_token: Option<TraceCiToken>,
    /// The links this one depends on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TraceNode>,
}

impl TraceNode {
    pub(crate) fn new(kind: LinkKind, name: String) -> Self {
        TraceNode {
            kind,
            name,
            statement: None,
            time: None,
            people: Vec::new(),
            signers: Vec::new(),
            outcome: Outcome::Pass,
            failures: Vec::new(),
            note: None,
            ignored: Vec::new(),
            ci_token: None,
            children: Vec::new(),
        }
    }

    /// Sets the outcome from this node's failures and its children's
    /// outcomes, keeping the first [`MAX_FAILURES_PER_LINK`] failures and
    /// a count of the rest.
    pub(crate) fn settle(&mut self) {
        // Beside a valid signer, what counts for nothing fails nothing.
        // When the link fails anyway they stay failures: one of them may be
        // the signature the link lacked (a maintainer's, damaged).
        if !self.signers.is_empty() && self.failures.iter().all(Reason::counts_for_nothing) {
            self.ignored.append(&mut self.failures);
            bound(&mut self.ignored);
        }
        bound(&mut self.failures);
        let ok =
            self.failures.is_empty() && self.children.iter().all(|c| c.outcome == Outcome::Pass);
        self.outcome = if ok { Outcome::Pass } else { Outcome::Fail };
    }
}

/// Keeps the first [`MAX_FAILURES_PER_LINK`] reasons and a count of the
/// rest (a count left by an earlier call still counts).
fn bound(reasons: &mut Vec<Reason>) {
    if reasons.len() <= MAX_FAILURES_PER_LINK {
        return;
    }
    let mut count = 0;
    reasons.retain(|r| match r {
        Reason::FailuresOmitted { count: c } => {
            count += c;
            false
        }
        _ => true,
    });
    count += reasons.len().saturating_sub(MAX_FAILURES_PER_LINK);
    reasons.truncate(MAX_FAILURES_PER_LINK);
    if count > 0 {
        reasons.push(Reason::FailuresOmitted { count });
    }
}

impl TraceNode {
    fn render(&self, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        let mark = match self.outcome {
            Outcome::Pass => "✓",
            Outcome::Fail => "✗",
        };
        let _ = write!(out, "{pad}{mark} {} {}", self.kind, Escaped(&self.name));
        if let Some(t) = &self.time {
            let by: Vec<String> = t
                .claimed_by
                .iter()
                .map(|i| Escaped(i.as_str()).to_string())
                .collect();
            let by = if by.is_empty() {
                "nobody verified".to_owned()
            } else {
                by.join(", ")
            };
            let _ = write!(out, "  at {} (claimed by {by}", t.at);
            if let Some(p) = &t.proven {
                let _ = write!(out, "; {p}");
            }
            out.push(')');
        }
        out.push('\n');
        if let Some(d) = self.statement {
            let _ = writeln!(out, "{pad}    statement {d}");
        }
        for p in &self.people {
            let who = match &p.identity {
                Some(i) => Escaped(i.as_str()).to_string(),
                None => "not in the roster (unverified)".to_owned(),
            };
            let _ = writeln!(
                out,
                "{pad}    {} {} <{}> = {who}{}",
                p.capacity,
                Escaped(&p.name),
                Escaped(&p.email),
                if p.signed { ", signed" } else { "" }
            );
        }
        for s in &self.signers {
            let roles: Vec<&str> = s.roles.iter().map(RoleName::as_str).collect();
            let _ = write!(
                out,
                "{pad}    {} {} [{}] key {}",
                s.capacity,
                Escaped(s.identity.as_str()),
                roles.join(", "),
                &s.key_id.to_string()[..16]
            );
            match s.standing {
                Standing::Live => {}
                Standing::Grandfathered => {
                    out.push_str(" (ended key, grandfathered by the roster)")
                }
                Standing::ClaimedTime => {
                    out.push_str(" (ended key, counted on its claimed time by policy)")
                }
                Standing::ProvenBeforeEnd => {
                    out.push_str(" (ended key, signed before its end: proven)")
                }
            }
            for h in &s.hardware {
                let _ = write!(
                    out,
                    " {}",
                    match h {
                        HardwareClaim::TpmResident =>
                            "tpm-resident (claim only, counts for nothing)",
                        HardwareClaim::FidoAuthenticator => "fido-authenticator",
                        #[allow(unreachable_patterns)]
                        _ => "hardware",
                    }
                );
            }
            if let Some(EvidenceSummary::Fido {
                user_present,
                user_verified,
                counter,
            }) = &s.evidence
            {
                // Authenticators without a counter send 0: say so rather
                // than print a number that orders nothing.
                let _ = match counter {
                    0 => write!(
                        out,
                        " fido(up={user_present}, uv={user_verified}, no counter)"
                    ),
                    n => write!(
                        out,
                        " fido(up={user_present}, uv={user_verified}, counter={n})"
                    ),
                };
            }
            if let Some(a) = &s.authenticator {
                let _ = write!(out, " {}", Escaped(a));
            }
            if let Some(t) = &s.tpm {
                let _ = write!(out, " {}", Escaped(t));
            }
            out.push('\n');
            if let Some(g) = &s.sigstore {
                g.render(&pad, out);
            }
        }
        if let Some(c) = &self.ci_token {
            let _ = writeln!(
                out,
                "{pad}    ci token: issuer {} subject {} repository {} workflow {} run {} actor {} \
                 iat {} exp {} (checked at the {} time)",
                Escaped(&c.claims.issuer),
                Escaped(&c.claims.subject),
                Escaped(&c.claims.repository),
                Escaped(&c.claims.workflow),
                Escaped(&c.claims.run_id),
                Escaped(&c.claims.actor),
                c.claims.iat,
                c.claims.exp,
                match c.checked_at {
                    TimeKind::Proven => "proven",
                    _ => "claimed",
                }
            );
        }
        if let Some(n) = &self.note {
            let _ = writeln!(out, "{pad}    note: {}", Escaped(n));
        }
        for f in &self.ignored {
            let _ = writeln!(out, "{pad}    ignored: {}", Escaped(&f.to_string()));
        }
        for f in &self.failures {
            let _ = writeln!(out, "{pad}    refused: {}", Escaped(&f.to_string()));
        }
        for c in &self.children {
            c.render(depth + 1, out);
        }
    }
}

/// A deployment's CI ID token that verified (see [`TraceNode::ci_token`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceCiToken {
    /// The claims the token proves.
    #[serde(flatten)]
    pub claims: crate::ci_token::CiClaims,
    /// Which time of the statement `iat`/`nbf`/`exp` were checked against:
    /// the proven one when the policy requires proven time, else the claimed.
    pub checked_at: TimeKind,
}

/// One broken rule, with the path of links that leads to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The links from the target down to the failing one, e.g.
    /// `["deployment production/...", "image ...", "commit ..."]`.
    pub path: Vec<String>,
    /// The failing link's statement digest, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Digest>,
    /// The rule broken.
    pub reason: Reason,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.join(" > "), self.reason)
    }
}

/// What a verdict answered: the target, as asked and as resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetSummary {
    /// `deployment` or `image`: what the target turned out to be.
    pub kind: LinkKind,
    /// The target digest (a deployment statement's or an image's).
    pub digest: Digest,
    /// The image that would run, as the verified chain names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Digest>,
}

/// Where a deployment runs: from the deployment statement (in a verdict)
/// or from the caller (where it is about to run).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The environment (`production`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// The roster a verdict was reached against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RosterSummary {
    /// The version used (the newest verified).
    pub version: u64,
    /// That version's statement digest.
    pub digest: Digest,
    /// The trust anchor (the pinned version's digest).
    pub anchor: Digest,
    /// Whether the anchor was pinned by the caller (false: whoever supplied
    /// the roster file chose the trust root).
    pub pinned: bool,
}

/// The answer to "may this run?", with the whole trace.
///
/// Only vouch-chain makes a verdict: its fields are read through methods,
/// so no caller can build a passing one and sign a summary with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    outcome: Outcome,
    evaluated_at: Timestamp,
    target: TargetSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    placement: Option<Placement>,
    roster: RosterSummary,
    policy: Digest,
    stages: Vec<&'static str>,
    bundle: BundleCounts,
    trace: TraceNode,
    failures: Vec<Failure>,
    #[serde(skip)]
    could_change_at: Option<Timestamp>,
}

/// What the evaluation knows besides the trace, for the verdict.
pub(crate) struct VerdictContext {
    pub(crate) evaluated_at: Timestamp,
    pub(crate) target: TargetSummary,
    pub(crate) placement: Option<Placement>,
    pub(crate) roster: RosterSummary,
    pub(crate) policy: Digest,
    pub(crate) stages: Vec<&'static str>,
    pub(crate) bundle: BundleCounts,
    pub(crate) could_change_at: Option<Timestamp>,
}

impl Verdict {
    /// The earliest instant after [`Verdict::evaluated_at`] at which
    /// evaluating the same bundle, roster and policy could give another
    /// answer with nothing but time passing: a statement's `max_age` running
    /// out, the end of a key's validity (or a scheduled revocation) that a
    /// signature counted before, or a statement dated ahead of the clock
    /// coming within the allowed skew. `None` when time alone changes
    /// nothing. A cache of verdicts (the admission gate's) keeps an entry
    /// until then, and no longer.
    pub fn could_change_at(&self) -> Option<Timestamp> {
        self.could_change_at
    }

    /// Whether the verdict failed only because the target's own link (a
    /// deployment statement and its approvals) is older than the policy's
    /// `max_age`: it would pass if that link's age were not checked.
    ///
    /// That is: the verdict failed, every failure is on the target's link
    /// (none below it), at least one is [`Reason::TooOld`], and each other
    /// one is something anyone who can add to a bundle can add (a
    /// signature by an unknown key, a statement that does not read),
    /// which the link would have ignored beside its verified signers had
    /// it passed; and the link has verified signers. A revoked or expired
    /// key, a wrong signer, another placement or any failure below the
    /// target is not "only age". The admission gate uses this to re-admit
    /// a workload it admitted while the deployment was fresh.
    pub fn fails_only_for_age(&self) -> bool {
        let root = &self.trace;
        if self.passed() || root.signers.is_empty() {
            return false;
        }
        if root.children.iter().any(|c| c.outcome == Outcome::Fail) {
            return false;
        }
        let mut too_old = false;
        for reason in &root.failures {
            match reason {
                Reason::TooOld { .. } => too_old = true,
                r if r.counts_for_nothing() => {}
                _ => return false,
            }
        }
        too_old
    }

    /// Whether the chain passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }

    /// Pass or fail.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// When the evaluation ran (the "now" maximum ages are measured from).
    pub fn evaluated_at(&self) -> Timestamp {
        self.evaluated_at
    }

    /// The roster version used.
    pub fn roster_version(&self) -> u64 {
        self.roster.version
    }

    /// The roster used: version, digest, anchor, whether pinned.
    pub fn roster(&self) -> &RosterSummary {
        &self.roster
    }

    /// What was verified: the target's kind and digest, and the image.
    pub fn target(&self) -> &TargetSummary {
        &self.target
    }

    /// Where the verified deployment runs (from its statement), for a
    /// deployment target.
    pub fn placement(&self) -> Option<&Placement> {
        self.placement.as_ref()
    }

    /// The digest of the policy applied.
    pub fn policy_digest(&self) -> Digest {
        self.policy
    }

    /// The policy stages evaluated, in chain order.
    pub fn stages(&self) -> &[&'static str] {
        &self.stages
    }

    /// How many of the bundle's statements were used, ignored, unreadable.
    pub fn bundle_counts(&self) -> BundleCounts {
        self.bundle
    }

    /// The trace, rooted at the target.
    pub fn trace(&self) -> &TraceNode {
        &self.trace
    }

    /// Every broken rule, in trace order (empty on pass).
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// The trace as JSON (strings exactly as the statements have them).
    pub fn to_json(&self) -> String {
        // Serializing plain data to a string cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The trace as an indented text tree for people. Every string that
    /// comes from a statement, a roster or a git object is escaped, so none
    /// can move the cursor or fake a line.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let word = match self.outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
        };
        let _ = writeln!(
            out,
            "verdict: {word} (roster v{}, evaluated at {})",
            self.roster.version, self.evaluated_at
        );
        if !self.roster.pinned {
            let _ = writeln!(
                out,
                "warning: the roster was NOT pinned (--insecure-no-pin): whoever supplied \
                 the roster file chose the trust root"
            );
        }
        self.trace.render(0, &mut out);
        let b = &self.bundle;
        let _ = writeln!(
            out,
            "bundle: {} statement(s) used, {} not reached (not decoded), {} unreadable; {} commit object(s)",
            b.decoded, b.ignored, b.unreadable, b.commit_objects
        );
        if !self.failures.is_empty() {
            let _ = writeln!(out, "\n{} reason(s):", self.failures.len());
            for f in &self.failures {
                let _ = writeln!(out, "  - {}", Escaped(&f.to_string()));
            }
        }
        out
    }

    pub(crate) fn from_trace(trace: TraceNode, context: VerdictContext) -> Self {
        let mut failures = Vec::new();
        collect(&trace, &mut Vec::new(), &mut HashSet::new(), &mut failures);
        let outcome = if failures.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail
        };
        Verdict {
            outcome,
            evaluated_at: context.evaluated_at,
            target: context.target,
            placement: context.placement,
            roster: context.roster,
            policy: context.policy,
            stages: context.stages,
            bundle: context.bundle,
            trace,
            failures,
            could_change_at: context.could_change_at,
        }
    }
}

/// Gathers every failure once: a commit reached through two paths (a release
/// and the image's source commits) is one failure, reported under the first.
/// The path of links is written out only for a node that has failures, not
/// for each of the (thousands of) links that pass.
fn collect<'t>(
    node: &'t TraceNode,
    path: &mut Vec<&'t TraceNode>,
    seen: &mut HashSet<(String, Reason)>,
    out: &mut Vec<Failure>,
) {
    path.push(node);
    if !node.failures.is_empty() {
        let names: Vec<String> = path
            .iter()
            .map(|n| format!("{} {}", n.kind, n.name))
            .collect();
        for r in &node.failures {
            if seen.insert((format!("{} {}", node.kind, node.name), r.clone())) {
                out.push(Failure {
                    path: names.clone(),
                    statement: node.statement,
                    reason: r.clone(),
                });
            }
        }
    }
    for c in &node.children {
        collect(c, path, seen, out);
    }
    path.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(i: usize) -> Reason {
        Reason::StatementUnreadable {
            statement: None,
            error: format!("junk {i}"),
        }
    }

    #[test]
    fn a_link_keeps_its_first_failures_and_counts_the_rest() {
        let mut node = TraceNode::new(LinkKind::Commit, "c".into());
        node.failures = (0..MAX_FAILURES_PER_LINK).map(failure).collect();
        node.settle();
        assert_eq!(node.failures.len(), MAX_FAILURES_PER_LINK);
        assert_eq!(node.outcome, Outcome::Fail);

        node.failures = (0..100).map(failure).collect();
        node.settle();
        assert_eq!(node.failures.len(), MAX_FAILURES_PER_LINK + 1);
        assert_eq!(node.failures[0], failure(0));
        assert_eq!(
            node.failures[MAX_FAILURES_PER_LINK],
            Reason::FailuresOmitted { count: 36 }
        );
        // Settled again with more: nothing counted twice, nothing lost.
        node.failures.extend((100..110).map(failure));
        node.settle();
        assert_eq!(node.failures.len(), MAX_FAILURES_PER_LINK + 1);
        assert_eq!(
            node.failures[MAX_FAILURES_PER_LINK],
            Reason::FailuresOmitted { count: 46 }
        );
        assert!(
            node.failures[MAX_FAILURES_PER_LINK]
                .to_string()
                .contains("46 more failures")
        );
    }
}
