//! The predicates of the chain: commit, image, deployment and approval.
//! (The release / signed SBOM lives in [`crate::release`], the roster in
//! [`crate::roster`].)

use serde::{Deserialize, Serialize};
use vouch_core::{Digest, Timestamp};

use crate::error::ManifestError;
use crate::ids::{GitObjectId, IdentityId, IdentityKind};
use crate::statement::{Predicate, Subject, SubjectDigest};

fn invalid(predicate: &'static str, field: &'static str, problem: &'static str) -> ManifestError {
    ManifestError::InvalidPredicate {
        predicate,
        field,
        problem,
    }
}

/// A git author or committer line: name, email and time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitPerson {
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// When (git records seconds and a zone; the instant is what matters).
    pub time: Timestamp,
}

/// A commit attestation: who wrote a commit and who signs for it.
///
/// ```
/// use vouch_manifest::{Commit, GitPerson, Statement};
/// let who = GitPerson { name: "Alice".into(), email: "alice@example.com".into(), time: "2026-11-01T09:00:00Z".parse().unwrap() };
/// let commit = Commit {
///     repository: "https://git.example.com/shop.git".into(),
///     commit_id: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".parse().unwrap(),
///     tree_id: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".parse().unwrap(),
///     parents: vec![],
///     author: who.clone(),
///     committer: who,
///     signer: "person:alice@example.com".parse().unwrap(),
/// };
/// let statement = Statement::from_predicate(commit).unwrap();
/// let bytes = statement.to_canonical_bytes().unwrap();
/// assert_eq!(Statement::<Commit>::from_canonical_bytes(&bytes).unwrap(), statement);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Commit {
    /// The repository URL.
    pub repository: String,
    /// The commit object id (SHA-1 or SHA-256 object format).
    pub commit_id: GitObjectId,
    /// The tree object id.
    pub tree_id: GitObjectId,
    /// Parent commit ids, in order.
    pub parents: Vec<GitObjectId>,
    /// The author line.
    pub author: GitPerson,
    /// The committer line.
    pub committer: GitPerson,
    /// The roster identity that signs for this commit.
    pub signer: IdentityId,
}

impl Predicate for Commit {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/attestation/commit/v1";

    fn check(&self) -> Result<(), ManifestError> {
        let fmt = self.commit_id.is_sha256();
        if self.tree_id.is_sha256() != fmt || self.parents.iter().any(|p| p.is_sha256() != fmt) {
            return Err(invalid(
                "commit",
                "treeId/parents",
                "mix SHA-1 and SHA-256 object ids",
            ));
        }
        Ok(())
    }

    fn default_subjects(&self) -> Vec<Subject> {
        vec![Subject::git_commit(
            self.repository.clone(),
            self.commit_id.clone(),
        )]
    }

    /// A commit attestation's subject is the commit id (`gitCommit`).
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        Some((
            SubjectDigest::git_commit(self.commit_id.clone()),
            "commit id",
        ))
    }
}

/// A package built into an image, pointing at its signed release statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImagePackage {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// Digest of the signed release statement (its canonical payload).
    pub release: Digest,
}

/// A source commit built into an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceCommit {
    /// The repository URL.
    pub repository: String,
    /// The commit id.
    pub commit: GitObjectId,
}

/// One platform manifest of a multi-platform image (an OCI image index),
/// as the image statement of the index certifies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlatformImage {
    /// `os/architecture[/variant]` as the index's descriptor names it
    /// (`linux/arm64/v8`), absent when the index names no platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The platform manifest's digest (what a node pulling the index for
    /// its platform runs, and what a pod may be pinned to).
    pub manifest: Digest,
    /// That manifest's config digest.
    pub config: Digest,
    /// That manifest's layer digests, in order.
    pub layers: Vec<Digest>,
}

/// An image manifest: what the build put into an image, signed by the builder.
///
/// # A multi-platform image
///
/// For an OCI image index, [`Image::image`] is the index's digest and
/// [`Image::platforms`] lists every platform manifest the index names,
/// with its config and layers. An index has no config and no layers of its
/// own, so [`Image::config`] is the index digest again and
/// [`Image::layers`] is empty ([`Predicate::check`] refuses anything
/// else): `config` stays a required field so that every single-manifest
/// statement, and every reader of one, is unchanged. `platforms` is
/// absent from a single-manifest statement, which therefore encodes to the
/// bytes it always did.
///
/// The predicate as JSON (`predicateType` `https://vouch.dev/attestation/image/v1`):
///
/// ```
/// let predicate: vouch_manifest::Image = serde_json::from_str(r#"
/// {
///   "builder": "workload:ci/build",
///   "config": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
///   "finishedAt": "2026-11-02T10:05:00Z",
///   "image": "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f",
///   "invocationId": "run-77",
///   "layers": ["sha256:2804bad6fe94a55f18b2b37e300919a5fd517b95aa81e95db574c0ba069a3740"],
///   "name": "registry.example.com/shop/api",
///   "packages": [{
///     "name": "shop-api",
///     "release": "sha256:68b076be5ba974795f927bf1aa53b0dc2991b90d8d535a9dbaf33bad74a2d3a3",
///     "version": "1.4.0"
///   }],
///   "sourceCommits": [{
///     "commit": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
///     "repository": "https://git.example.com/shop.git"
///   }],
///   "startedAt": "2026-11-02T10:00:00Z"
/// }
/// "#).unwrap();
/// # let _ = predicate;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    /// Image name or reference (without digest), e.g. `registry.example.com/shop/api`.
    pub name: String,
    /// The OCI manifest digest: the image's identity.
    pub image: Digest,
    /// The OCI config digest.
    pub config: Digest,
    /// Layer digests, in order.
    pub layers: Vec<Digest>,
    /// Packages built in, each pointing at its release statement.
    pub packages: Vec<ImagePackage>,
    /// Source commits built from.
    pub source_commits: Vec<SourceCommit>,
    /// The build workload.
    pub builder: IdentityId,
    /// The build invocation id (CI run id).
    pub invocation_id: String,
    /// When the build started.
    pub started_at: Timestamp,
    /// When the build finished.
    pub finished_at: Timestamp,
    /// For an image index: its platform manifests, in index order (see
    /// the type's docs). Empty, and not encoded, for a single manifest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<PlatformImage>,
}

impl Image {
    /// Whether `digest` is this image or, for an index, one of its
    /// platform manifests.
    pub fn names(&self, digest: &Digest) -> bool {
        self.image == *digest || self.platforms.iter().any(|p| p.manifest == *digest)
    }
}

impl Predicate for Image {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/attestation/image/v1";

    fn check(&self) -> Result<(), ManifestError> {
        if self.finished_at < self.started_at {
            return Err(invalid("image", "finishedAt", "is before startedAt"));
        }
        if !self.platforms.is_empty() {
            // An index has no config or layers of its own: one encoding,
            // and no field that looks like a single image's.
            if self.config != self.image || !self.layers.is_empty() {
                return Err(invalid(
                    "image",
                    "config",
                    "must be the index digest, with no layers, when platforms are listed",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for p in &self.platforms {
                if p.manifest == self.image {
                    return Err(invalid("image", "platforms", "lists the index itself"));
                }
                if !seen.insert(p.manifest) {
                    return Err(invalid("image", "platforms", "lists a manifest twice"));
                }
            }
        }
        if self.builder.kind() != IdentityKind::Workload {
            return Err(invalid("image", "builder", "must be a workload identity"));
        }
        Ok(())
    }

    fn default_subjects(&self) -> Vec<Subject> {
        vec![Subject::sha256(self.name.clone(), self.image)]
    }

    /// An image statement's subject is the image manifest digest.
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        Some((SubjectDigest::sha256(self.image), "image manifest digest"))
    }
}

/// Where a deployment goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeployTarget {
    /// Cluster name.
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Service name.
    pub service: String,
}

/// The CI run that deployed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Pipeline {
    /// Run id.
    pub run_id: String,
    /// Run URL.
    pub url: String,
}

/// A deployment manifest, signed by the deploying CI workload.
///
/// The predicate as JSON (`predicateType` `https://vouch.dev/attestation/deployment/v1`):
///
/// ```
/// let predicate: vouch_manifest::Deployment = serde_json::from_str(r#"
/// {
///   "authorizedBy": ["person:erin@example.com"],
///   "deployer": "workload:ci/deploy",
///   "environment": "production",
///   "image": "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f",
///   "pipeline": { "runId": "991", "url": "https://ci.example.com/runs/991" },
///   "target": { "cluster": "eu-1", "namespace": "shop", "service": "api" },
///   "team": "payments",
///   "time": "2026-11-03T08:00:00Z",
///   "triggeredBy": "person:alice@example.com"
/// }
/// "#).unwrap();
/// # let _ = predicate;
/// ```
///
/// The people it names prove themselves with their own signatures: the
/// approvers and the person who triggered the job each co-sign this
/// statement or sign an [`Approval`] naming its digest. A name the CI
/// workload merely writes here proves nothing; vouch-chain checks the
/// signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Deployment {
    /// Environment (`production`, `staging`).
    pub environment: String,
    /// Cluster, namespace, service.
    pub target: DeployTarget,
    /// The image digest deployed.
    pub image: Digest,
    /// The responsible team.
    pub team: String,
    /// The CI workload that deployed.
    pub deployer: IdentityId,
    /// The CI run.
    pub pipeline: Pipeline,
    /// The person who triggered the job.
    pub triggered_by: IdentityId,
    /// The people who authorized it (at least one).
    pub authorized_by: Vec<IdentityId>,
    /// When.
    pub time: Timestamp,
    /// The CI provider's OIDC ID token of the job (a compact JWT, audience
    /// `vouch:<KEYID>` of the deploying key), which vouch-chain checks
    /// against the roster's CI issuers. Absent in statements written
    /// without one, which then encode as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_token: Option<String>,
}

/// Longest CI token a deployment may carry: provider tokens are about
/// 1-2 KiB; the bound keeps a hostile statement from carrying megabytes.
pub const MAX_CI_TOKEN_LEN: usize = 16 * 1024;

impl Predicate for Deployment {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/attestation/deployment/v1";

    fn check(&self) -> Result<(), ManifestError> {
        if self.authorized_by.is_empty() {
            return Err(invalid(
                "deployment",
                "authorizedBy",
                "must name at least one approver",
            ));
        }
        if self.environment.is_empty() {
            return Err(invalid("deployment", "environment", "is empty"));
        }
        if let Some(t) = &self.ci_token {
            if t.is_empty() || t.len() > MAX_CI_TOKEN_LEN {
                return Err(invalid("deployment", "ciToken", "must be 1 to 16384 bytes"));
            }
            // A compact JWS is three base64url parts; anything else is not
            // a token and is refused where it is written, not at verify time.
            if t.split('.').count() != 3
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            {
                return Err(invalid(
                    "deployment",
                    "ciToken",
                    "is not a compact JWT (three base64url parts)",
                ));
            }
        }
        Ok(())
    }

    fn default_subjects(&self) -> Vec<Subject> {
        let t = &self.target;
        vec![Subject::sha256(
            format!(
                "{}/{}/{}/{}",
                self.environment, t.cluster, t.namespace, t.service
            ),
            self.image,
        )]
    }

    /// A deployment statement's subject is the digest of the image it deploys.
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        Some((SubjectDigest::sha256(self.image), "deployed image digest"))
    }
}

/// What a person's approval statement says about a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ApprovalRole {
    /// "I triggered this deployment."
    Trigger,
    /// "I authorize this deployment."
    Authorize,
}

/// A person's own signed word about a statement (a deployment), naming it by digest.
///
/// The predicate as JSON (`predicateType` `https://vouch.dev/attestation/approval/v1`):
///
/// ```
/// let predicate: vouch_manifest::Approval = serde_json::from_str(r#"
/// {
///   "identity": "person:erin@example.com",
///   "role": "authorize",
///   "statement": "sha256:2b954adca6d2b1c3102089e4743cb2638cadb2dba04fb6c36057c9bf68a23df6",
///   "time": "2026-11-03T07:59:00Z"
/// }
/// "#).unwrap();
/// # let _ = predicate;
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Approval {
    /// Digest of the approved statement's canonical payload.
    pub statement: Digest,
    /// What the signer says they did.
    pub role: ApprovalRole,
    /// The signer's identity.
    pub identity: IdentityId,
    /// When.
    pub time: Timestamp,
}

impl Predicate for Approval {
    const PREDICATE_TYPE: &'static str = "https://vouch.dev/attestation/approval/v1";

    fn default_subjects(&self) -> Vec<Subject> {
        vec![Subject::sha256("statement", self.statement)]
    }

    /// An approval's subject is the digest of the statement it approves.
    fn subject_binding(&self) -> Option<(SubjectDigest, &'static str)> {
        Some((
            SubjectDigest::sha256(self.statement),
            "approved statement digest",
        ))
    }
}
