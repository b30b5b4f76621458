//! The verdict as a signed SLSA Verification Summary Attestation, so an
//! admission controller can trust one small statement instead of the chain.

use serde::{Deserialize, Serialize};
use vouch_core::{Digest, Signer, Timestamp};
use vouch_manifest::{Predicate, Signed, Statement, Subject, SubjectDigest};

use crate::error::ChainError;
use crate::trace::{Outcome, TraceNode, Verdict};

/// The verifier that produced a summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VsaVerifier {
    /// A URI naming the verifier, e.g. `https://deploy-gate.example.com`.
    pub id: String,
}

/// A referenced document: a URI and its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDescriptor {
    /// Where the document is, or a name for it.
    pub uri: String,
    /// Its digest.
    pub digest: SubjectDigest,
}

/// What vouch verified, beyond the SLSA fields: the whole question a
/// verdict answered, so summaries of different questions never look alike.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VouchQuestion {
    /// `deployment` or `image`.
    pub target_kind: String,
    /// The target digest (deployment statement or image).
    pub target_digest: Digest,
    /// The image that runs.
    pub image: Digest,
    /// Where the deployment runs (deployment targets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The roster trust anchor (the pinned version's digest).
    pub roster_anchor: Digest,
    /// The roster version used.
    pub roster_version: u64,
    /// That version's statement digest.
    pub roster_digest: Digest,
    /// Whether the roster was pinned.
    pub roster_pinned: bool,
    /// The policy stages evaluated.
    pub stages: Vec<String>,
    /// The time the chain was evaluated at (equal to `timeVerified` unless
    /// the evaluation was run for another time).
    pub evaluated_at: Timestamp,
}

/// The SLSA Verification Summary v1 predicate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerificationSummary {
    /// Who verified.
    pub verifier: VsaVerifier,
    /// When.
    pub time_verified: Timestamp,
    /// The resource verified (the image reference).
    pub resource_uri: String,
    /// The policy applied.
    pub policy: ResourceDescriptor,
    /// The statements the verdict rests on.
    pub input_attestations: Vec<ResourceDescriptor>,
    /// `PASSED` or `FAILED`.
    pub verification_result: String,
    /// Levels verified (vouch reports `VOUCH_CHAIN_VERIFIED` on a pass).
    pub verified_levels: Vec<String>,
    /// The SLSA version of the format.
    pub slsa_version: String,
    /// What vouch verified (target, placement, roster, stages, time).
    pub vouch: VouchQuestion,
}

impl Predicate for VerificationSummary {
    const PREDICATE_TYPE: &'static str = "https://slsa.dev/verification_summary/v1";

    fn default_subjects(&self) -> Vec<Subject> {
        Vec::new()
    }

    /// A summary names whatever resource it verified.
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        None
    }
}

fn inputs(
    node: &TraceNode,
    out: &mut Vec<ResourceDescriptor>,
    seen: &mut std::collections::HashSet<Digest>,
) {
    if let Some(d) = node.statement
        && seen.insert(d)
    {
        out.push(ResourceDescriptor {
            uri: format!("vouch:{}/{}", node.kind, node.name),
            digest: SubjectDigest::sha256(d),
        });
    }
    // Approvals are statements of their own that the verdict rests on.
    for s in &node.signers {
        if let Some(d) = s.statement
            && seen.insert(d)
        {
            out.push(ResourceDescriptor {
                uri: format!("vouch:approval/{}", s.identity),
                digest: SubjectDigest::sha256(d),
            });
        }
    }
    // A commit proven by its git object is named by its commit id.
    if node.kind == crate::trace::LinkKind::Commit
        && node.statement.is_none()
        && !node.signers.is_empty()
        && let Ok(id) = node.name.parse()
    {
        out.push(ResourceDescriptor {
            uri: format!("vouch:git-commit/{}", node.name),
            digest: SubjectDigest::git_commit(id),
        });
    }
    for c in &node.children {
        inputs(c, out, seen);
    }
}

impl Verdict {
    /// The summary statement (subject: the image, named `resource_uri`,
    /// default the image digest), verified at `time_verified`, the real
    /// time of signing. A verdict evaluated for another time than
    /// `time_verified` (beyond the clock skew) is refused: a summary
    /// states what holds now.
    pub fn summary(
        &self,
        verifier_id: &str,
        resource_uri: Option<&str>,
        time_verified: Timestamp,
    ) -> Result<Statement<VerificationSummary>, ChainError> {
        let image = self.target().image.ok_or(ChainError::NoImage)?;
        let skew = crate::policy::CLOCK_SKEW_SECONDS;
        if (time_verified.unix_seconds() - self.evaluated_at().unix_seconds()).abs() > skew {
            return Err(ChainError::SummaryTime {
                evaluated_at: self.evaluated_at(),
                signed_at: time_verified,
            });
        }
        let mut input_attestations = Vec::new();
        inputs(
            self.trace(),
            &mut input_attestations,
            &mut Default::default(),
        );
        let passed = self.outcome() == Outcome::Pass;
        let resource_uri = resource_uri.map_or_else(|| image.to_string(), str::to_owned);
        let placement = self.placement().cloned().unwrap_or_default();
        let roster = self.roster();
        let vsa = VerificationSummary {
            verifier: VsaVerifier {
                id: verifier_id.to_owned(),
            },
            time_verified,
            resource_uri: resource_uri.clone(),
            policy: ResourceDescriptor {
                uri: "vouch:policy".into(),
                digest: SubjectDigest::sha256(self.policy_digest()),
            },
            input_attestations,
            verification_result: if passed { "PASSED" } else { "FAILED" }.into(),
            verified_levels: if passed {
                vec!["VOUCH_CHAIN_VERIFIED".into()]
            } else {
                Vec::new()
            },
            slsa_version: "1.0".into(),
            vouch: VouchQuestion {
                target_kind: self.target().kind.to_string(),
                target_digest: self.target().digest,
                image,
                environment: placement.environment,
                cluster: placement.cluster,
                namespace: placement.namespace,
                service: placement.service,
                roster_anchor: roster.anchor,
                roster_version: roster.version,
                roster_digest: roster.digest,
                roster_pinned: roster.pinned,
                stages: self.stages().iter().map(|s| (*s).to_owned()).collect(),
                evaluated_at: self.evaluated_at(),
            },
        };
        Ok(Statement::new(
            vec![Subject::sha256(resource_uri, image)],
            vsa,
        )?)
    }

    /// The summary, signed by `signer` (the verifier's key) at the current time.
    pub fn signed_summary<S: Signer + ?Sized>(
        &self,
        signer: &S,
        verifier_id: &str,
        resource_uri: Option<&str>,
    ) -> Result<Signed<VerificationSummary>, ChainError> {
        self.signed_summary_at(signer, verifier_id, resource_uri, Timestamp::now())
    }

    /// The summary, signed by `signer` as verified at `time_verified`.
    pub fn signed_summary_at<S: Signer + ?Sized>(
        &self,
        signer: &S,
        verifier_id: &str,
        resource_uri: Option<&str>,
        time_verified: Timestamp,
    ) -> Result<Signed<VerificationSummary>, ChainError> {
        Ok(Signed::sign(
            &self.summary(verifier_id, resource_uri, time_verified)?,
            signer,
        )?)
    }
}
