//! Errors (inputs that cannot be evaluated) and reasons (why a chain fails).

use serde::Serialize;
use vouch_core::{Digest, KeyId, Timestamp};
use vouch_manifest::{GitObjectId, IdentityId, RevocationReason, RoleName};

use crate::policy::{HardwareRequirement, MaxAge};

/// Why an evaluation could not run at all (as opposed to a failing verdict).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The bundle file is not acceptable canonical CBOR.
    #[error("bundle is not acceptable canonical CBOR")]
    Cbor(#[from] vouch_core::cbor::CborError),
    /// The bundle file has an unknown version.
    #[error("bundle version {0} is not supported (expected 1)")]
    BundleVersion(u64),
    /// The bundle exceeds the size or item limits.
    #[error("bundle exceeds the size or item limits")]
    BundleTooLarge,
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The target text is not `deployment:<digest>`, `image:<digest>` or a digest.
    #[error(
        "invalid target {0:?}: expected deployment:sha256:<hex>, image:sha256:<hex> or sha256:<hex>"
    )]
    Target(String),
    /// A statement or summary could not be made.
    #[error("could not make the statement")]
    Manifest(#[from] vouch_manifest::ManifestError),
    /// A policy could not be read.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
}

/// The rule a link broke. Each names the identity, digest or field it is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Reason {
    /// No deployment statement with the target digest is in the bundle.
    DeploymentMissing {
        /// The target digest.
        digest: Digest,
    },
    /// No image statement for this image digest is in the bundle.
    ImageMissing {
        /// The image digest looked for.
        image: Digest,
    },
    /// A package of the image has no release statement with the digest it names.
    ReleaseMissing {
        /// Package name.
        package: String,
        /// Package version.
        version: String,
        /// The release statement digest the image names.
        release: Digest,
    },
    /// A commit has no valid signed attestation.
    CommitUnsigned {
        /// The commit.
        commit: GitObjectId,
    },
    /// A signature was made by a key that is not in the roster.
    UnknownKey {
        /// The key.
        key_id: KeyId,
    },
    /// A signature does not verify.
    BadSignature {
        /// The key the signature names, if any.
        key_id: Option<KeyId>,
    },
    /// A key was used before or after its validity window.
    KeyOutsideWindow {
        /// The key.
        key_id: KeyId,
        /// Its holder.
        identity: IdentityId,
        /// When the statement says it was signed.
        at: Timestamp,
    },
    /// A key was used after its revocation, or was revoked as compromised.
    KeyRevoked {
        /// The key.
        key_id: KeyId,
        /// Its holder.
        identity: IdentityId,
        /// When it was revoked.
        revoked_at: Timestamp,
        /// Why.
        reason: RevocationReason,
    },
    /// Not enough distinct identities satisfied a signer rule.
    Threshold {
        /// The rule, as text.
        rule: String,
        /// Distinct qualifying identities found.
        have: usize,
        /// Required.
        need: u32,
    },
    /// A signature lacks hardware evidence the policy demands.
    MissingHardware {
        /// The signer.
        identity: IdentityId,
        /// The key.
        key_id: KeyId,
        /// The requirement not met.
        requirement: HardwareRequirement,
    },
    /// A party the statement names did not sign it (or an approval for it).
    NotProven {
        /// The field naming the party (`builder`, `deployer`, `triggeredBy`, ...).
        field: &'static str,
        /// The party named.
        identity: IdentityId,
    },
    /// A party must be a workload but is a person.
    NotAWorkload {
        /// The field.
        field: &'static str,
        /// The party.
        identity: IdentityId,
    },
    /// A party must be a person but is a workload.
    NotAPerson {
        /// The field.
        field: &'static str,
        /// The party.
        identity: IdentityId,
    },
    /// A party does not hold a role the policy requires for its field.
    RoleNotHeld {
        /// The field.
        field: &'static str,
        /// The party.
        identity: IdentityId,
        /// Roles that would do.
        roles: Vec<RoleName>,
    },
    /// The person who triggered a deployment also authorized it.
    SelfAuthorized {
        /// The person.
        identity: IdentityId,
    },
    /// A release was certified by the only author of its commits.
    SoleAuthorCertified {
        /// The author.
        identity: IdentityId,
    },
    /// The deployment is for an environment this verifier does not accept.
    EnvironmentNotAllowed {
        /// The environment in the statement.
        environment: String,
        /// The environments accepted.
        allowed: Vec<String>,
    },
    /// A statement is older than the policy's maximum age.
    TooOld {
        /// The statement's time.
        at: Timestamp,
        /// The maximum age.
        max_age: String,
    },
    /// A statement's time lies in the future of the evaluation time.
    FromTheFuture {
        /// The statement's time.
        at: Timestamp,
    },
}

impl Reason {
    pub(crate) fn too_old(at: Timestamp, max_age: MaxAge) -> Self {
        Reason::TooOld {
            at,
            max_age: max_age.to_string(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::DeploymentMissing { digest } => {
                write!(f, "no deployment statement {digest} in the bundle")
            }
            Reason::ImageMissing { image } => {
                write!(f, "no image statement for image {image} in the bundle")
            }
            Reason::ReleaseMissing {
                package,
                version,
                release,
            } => {
                write!(
                    f,
                    "package {package} {version} has no release statement {release}"
                )
            }
            Reason::CommitUnsigned { commit } => {
                write!(f, "commit {commit} has no valid signed attestation")
            }
            Reason::UnknownKey { key_id } => {
                write!(f, "signed by key {key_id}, which is not in the roster")
            }
            Reason::BadSignature { key_id: Some(k) } => {
                write!(f, "signature by key {k} does not verify")
            }
            Reason::BadSignature { key_id: None } => {
                write!(f, "a signature without a key id does not verify")
            }
            Reason::KeyOutsideWindow {
                key_id,
                identity,
                at,
            } => {
                write!(f, "key {key_id} of {identity} was not valid at {at}")
            }
            Reason::KeyRevoked {
                key_id,
                identity,
                revoked_at,
                reason,
            } => {
                write!(
                    f,
                    "key {key_id} of {identity} was revoked at {revoked_at} ({reason})"
                )
            }
            Reason::Threshold { rule, have, need } => {
                write!(f, "needs {rule}: {have} of {need} distinct identities")
            }
            Reason::MissingHardware {
                identity,
                key_id,
                requirement,
            } => {
                write!(
                    f,
                    "signature by {identity} (key {key_id}) lacks {requirement}"
                )
            }
            Reason::NotProven { field, identity } => {
                write!(
                    f,
                    "{field} names {identity}, who did not sign it or an approval of it"
                )
            }
            Reason::NotAWorkload { field, identity } => {
                write!(f, "{field} {identity} must be a workload")
            }
            Reason::NotAPerson { field, identity } => {
                write!(f, "{field} {identity} must be a person")
            }
            Reason::RoleNotHeld {
                field,
                identity,
                roles,
            } => {
                let r: Vec<&str> = roles.iter().map(RoleName::as_str).collect();
                write!(
                    f,
                    "{field} {identity} holds none of the roles {}",
                    r.join(", ")
                )
            }
            Reason::SelfAuthorized { identity } => {
                write!(f, "{identity} both triggered and authorized the deployment")
            }
            Reason::SoleAuthorCertified { identity } => {
                write!(
                    f,
                    "{identity} certified a release whose every commit they wrote"
                )
            }
            Reason::EnvironmentNotAllowed {
                environment,
                allowed,
            } => {
                write!(f, "environment {environment:?} is not one of {allowed:?}")
            }
            Reason::TooOld { at, max_age } => {
                write!(f, "made at {at}, older than the maximum age {max_age}")
            }
            Reason::FromTheFuture { at } => {
                write!(f, "claims to be made at {at}, after the evaluation time")
            }
        }
    }
}
