//! The verdict as a signed SLSA Verification Summary Attestation, so an
//! admission controller can trust one small statement instead of the chain.

use serde::{Deserialize, Serialize};
use vouch_core::{Digest, Signer, Timestamp};
use vouch_manifest::{ManifestError, Predicate, Signed, Statement, Subject, SubjectDigest};

use crate::policy::Policy;
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
}

impl Predicate for VerificationSummary {
    const PREDICATE_TYPE: &'static str = "https://slsa.dev/verification_summary/v1";

    fn default_subjects(&self) -> Vec<Subject> {
        Vec::new()
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
            digest: SubjectDigest {
                sha256: Some(d),
                git_commit: None,
            },
        });
    }
    // Approvals are statements of their own that the verdict rests on.
    for s in &node.signers {
        if let Some(d) = s.statement
            && seen.insert(d)
        {
            out.push(ResourceDescriptor {
                uri: format!("vouch:approval/{}", s.identity),
                digest: SubjectDigest {
                    sha256: Some(d),
                    git_commit: None,
                },
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
            digest: SubjectDigest {
                sha256: None,
                git_commit: Some(id),
            },
        });
    }
    for c in &node.children {
        inputs(c, out, seen);
    }
}

impl Verdict {
    /// The summary statement for `image` (subject `resource_uri` with the image digest).
    pub fn summary(
        &self,
        verifier_id: &str,
        resource_uri: &str,
        image: Digest,
        policy: &Policy,
    ) -> Result<Statement<VerificationSummary>, ManifestError> {
        let mut input_attestations = Vec::new();
        inputs(
            &self.trace,
            &mut input_attestations,
            &mut Default::default(),
        );
        let passed = self.outcome == Outcome::Pass;
        let vsa = VerificationSummary {
            verifier: VsaVerifier {
                id: verifier_id.to_owned(),
            },
            time_verified: self.evaluated_at,
            resource_uri: resource_uri.to_owned(),
            policy: ResourceDescriptor {
                uri: "vouch:policy".into(),
                digest: SubjectDigest {
                    sha256: Some(policy.digest()),
                    git_commit: None,
                },
            },
            input_attestations,
            verification_result: if passed { "PASSED" } else { "FAILED" }.into(),
            verified_levels: if passed {
                vec!["VOUCH_CHAIN_VERIFIED".into()]
            } else {
                Vec::new()
            },
            slsa_version: "1.0".into(),
        };
        Statement::new(vec![Subject::sha256(resource_uri, image)], vsa)
    }

    /// The summary, signed by `signer` (the verifier's key).
    pub fn signed_summary<S: Signer + ?Sized>(
        &self,
        signer: &S,
        verifier_id: &str,
        resource_uri: &str,
        image: Digest,
        policy: &Policy,
    ) -> Result<Signed<VerificationSummary>, ManifestError> {
        Signed::sign(
            &self.summary(verifier_id, resource_uri, image, policy)?,
            signer,
        )
    }
}
