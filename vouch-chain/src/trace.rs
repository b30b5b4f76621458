//! The verdict and its trace: a tree of links with who, what, key, evidence and time.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use serde::Serialize;
use vouch_core::{Digest, Evidence, KeyId, Timestamp};
use vouch_manifest::{HardwareClaim, IdentityId, RoleName};

use crate::error::Reason;

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
    /// What this signature is for on this link (`signer`, `trigger`, `authorizer`).
    pub capacity: &'static str,
    /// The separate statement carrying this signature (an approval), when
    /// it is not on the link's own statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Digest>,
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
    /// The time the statement claims (the time keys must be valid at).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
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
            signers: Vec::new(),
            outcome: Outcome::Pass,
            failures: Vec::new(),
            note: None,
            children: Vec::new(),
        }
    }

    /// Sets the outcome from this node's failures and its children's outcomes.
    pub(crate) fn settle(&mut self) {
        let ok =
            self.failures.is_empty() && self.children.iter().all(|c| c.outcome == Outcome::Pass);
        self.outcome = if ok { Outcome::Pass } else { Outcome::Fail };
    }

    fn render(&self, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        let mark = match self.outcome {
            Outcome::Pass => "✓",
            Outcome::Fail => "✗",
        };
        let _ = write!(out, "{pad}{mark} {} {}", self.kind, self.name);
        if let Some(t) = self.time {
            let _ = write!(out, "  at {t}");
        }
        out.push('\n');
        if let Some(d) = self.statement {
            let _ = writeln!(out, "{pad}    statement {d}");
        }
        for s in &self.signers {
            let roles: Vec<&str> = s.roles.iter().map(RoleName::as_str).collect();
            let _ = write!(
                out,
                "{pad}    {} {} [{}] key {}",
                s.capacity,
                s.identity,
                roles.join(", "),
                &s.key_id.to_string()[..16]
            );
            for h in &s.hardware {
                let _ = write!(
                    out,
                    " {}",
                    match h {
                        HardwareClaim::TpmResident => "tpm-resident",
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
                let _ = write!(
                    out,
                    " fido(up={user_present}, uv={user_verified}, counter={counter})"
                );
            }
            out.push('\n');
        }
        if let Some(n) = &self.note {
            let _ = writeln!(out, "{pad}    note: {n}");
        }
        for f in &self.failures {
            let _ = writeln!(out, "{pad}    refused: {f}");
        }
        for c in &self.children {
            c.render(depth + 1, out);
        }
    }
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

/// The answer to "may this run?", with the whole trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Pass or fail.
    pub outcome: Outcome,
    /// When the evaluation ran (the "now" maximum ages are measured from).
    pub evaluated_at: Timestamp,
    /// The roster version used.
    pub roster_version: u64,
    /// The trace, rooted at the target.
    pub trace: TraceNode,
    /// Every broken rule, in trace order (empty on pass).
    pub failures: Vec<Failure>,
}

impl Verdict {
    /// Whether the chain passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }

    /// The trace as JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain data to a string cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The trace as an indented text tree for people.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let word = match self.outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
        };
        let _ = writeln!(
            out,
            "verdict: {word} (roster v{}, evaluated at {})",
            self.roster_version, self.evaluated_at
        );
        self.trace.render(0, &mut out);
        if !self.failures.is_empty() {
            let _ = writeln!(out, "\n{} reason(s):", self.failures.len());
            for f in &self.failures {
                let _ = writeln!(out, "  - {f}");
            }
        }
        out
    }

    pub(crate) fn from_trace(
        trace: TraceNode,
        evaluated_at: Timestamp,
        roster_version: u64,
    ) -> Self {
        let mut failures = Vec::new();
        collect(&trace, &mut Vec::new(), &mut HashSet::new(), &mut failures);
        let outcome = if failures.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail
        };
        Verdict {
            outcome,
            evaluated_at,
            roster_version,
            trace,
            failures,
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
