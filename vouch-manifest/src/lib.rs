//! The signed statements of the vouch chain.
//!
//! Every link of the chain is a [`Statement`] (in-toto Statement v1 fields)
//! with a typed predicate, signed as canonical CBOR in a COSE envelope
//! ([`Signed`]):
//!
//! - [`Commit`]: who wrote a commit and who signs for it;
//! - [`Release`]: a signed SBOM: package, contents, dependencies, certified commits;
//! - [`Image`]: what a build put into an image, signed by the builder;
//! - [`Deployment`]: what runs where, who deployed, triggered and authorized it,
//!   with [`Approval`] statements by the people named;
//! - [`Roster`]: the trust root: identities, keys, roles, root keys, rotated
//!   TUF-style and verified into a [`TrustedRoster`].
//!
//! Interop: [`dsse`] (vouch-core's, re-exported) reads and writes DSSE JSON
//! envelopes for the in-toto / SLSA ecosystem; [`tree`] makes reproducible
//! content manifests of directories (walking one needs the feature `fs`).

/// DSSE envelopes, now in vouch-core; re-exported for existing paths.
pub use vouch_core::dsse;
pub mod audit;
pub mod authenticator;
pub mod ci;
mod error;
mod ids;
pub mod names;
pub mod openpgp;
mod predicates;
pub mod ref_log;
mod release;
pub mod repo_policy;
mod roster;
mod roster_state;
mod signed;
pub mod sigstore;
mod statement;
pub mod tpm;
pub mod tree;
pub mod witness;

pub use authenticator::{
    Aaguid, AttestationRoot, AuthenticatorStatus, AuthenticatorTrust, KeyAttestation,
};
pub use ci::{CiIssuer, CiPersonMapping, CiProvider, CiTrust, CiWorkloadMapping};
pub use error::{ManifestError, RootSet, RosterError};
pub use ids::{GitObjectId, IdentityId, IdentityKind, RoleName};
pub use names::{identity_key, same_email};
pub use openpgp::{OpenPgpCertBytes, OpenPgpFingerprint, OpenPgpKey, OpenPgpKeyError};
pub use predicates::{
    Approval, ApprovalRole, Commit, DeployTarget, Deployment, GitPerson, Image, ImagePackage,
    MAX_CI_TOKEN_LEN, Pipeline, PlatformImage, SourceCommit,
};
pub use ref_log::{RefLog, RefLogAction, RefLogEntry, RefLogFailure, RefLogReport, RefUpdate};
pub use release::{
    CertifiedCommit, Dependency, MAX_COMPONENT_DEPTH, MAX_SBOM, MAX_TAG_NAME, Release,
    ReleaseArchive, ReleaseTag, SbomError, SbomFormat, dependencies_from_cyclonedx,
    dependencies_from_sbom, dependencies_from_spdx,
};
pub use repo_policy::{
    DeployKey, ProtectedRef, RepoAdmins, RepoPolicy, RepoPolicyError, TrustedRepoPolicy,
};
pub use roster::{
    ClaimedTimeTrust, Grandfathered, HardwareClaim, Identity, IdentityProof, KeyStanding,
    Revocation, RevocationReason, RoleGrant, RootKeys, Roster, RosterChain, RosterKey, SignedThing,
    TrustedRoster,
};
pub use roster_state::{RosterState, RosterStateEntry};
pub use signed::{STATEMENT_CONTENT_TYPE, Signed};
pub use sigstore::{SigstoreSigner, SigstoreTrust};
pub use statement::{
    Predicate, STATEMENT_TYPE, Statement, Subject, SubjectDigest, peek_predicate_type,
};
pub use tpm::{AkEndorsement, TpmKeyAttestation, TpmStatus, TpmTrust, TrustedAk};
pub use witness::{TrustedCosigner, TrustedLog, TrustedTsa, WitnessTrust};
