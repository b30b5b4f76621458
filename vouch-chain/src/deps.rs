//! Dependencies: who published the code a project imports.
//!
//! A lock file ([`vouch_deps::Lock`]) lists dependencies by name, version
//! and archive digest. For each, the evidence is a vouch release statement
//! in the bundle whose subject carries one of the dependency's digests
//! (the SHA-256 a Cargo.lock `checksum` or a pip `--hash` states, the
//! SHA-512 of an npm `integrity`), verified as a release
//! ([`Target::Release`]) under a roster the policy trusts for that
//! dependency's name: the project's own roster, or an upstream project's
//! roster pinned by version and digest, each with the signer rule whose
//! signatures count there. The other evidence (feature `sigstore`) is
//! the Sigstore provenance registries publish (npm provenance, PyPI
//! attestations, GitHub artifact attestations): a bundle made keyless by
//! the CI workflow of the repository the policy names for that
//! dependency, over one of its digests (see [`ProvenancePublisher`]).
//!
//! The policy's `[dependencies]` section:
//!
//! ```
//! let policy = vouch_chain::Policy::from_toml(r#"
//! [image]
//! signers = { roles = ["builder"], threshold = 1 }
//!
//! [dependencies]
//! ## Every dependency must be attributed (or allowed below); "off" only reports.
//! require = "attributed"                   # default "attributed"
//!
//! ## Our own crates, released by two of our maintainers.
//! [[dependencies.publishers]]
//! packages = ["shop-*"]
//! ecosystem = "cargo"                      # any ecosystem when left out
//! roster = "project"
//! signers = { roles = ["maintainer"], threshold = 2 }
//!
//! ## An upstream project's roster, trusted from this version and digest
//! ## (its file is given to `vouch deps check --roster-file`).
//! [[dependencies.publishers]]
//! packages = ["serde", "serde_*"]
//! roster = { version = 1, digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000" }
//! signers = { roles = ["maintainer"], threshold = 1 }
//!
//! ## npm packages published with provenance by their repository's workflow
//! ## (verified against the Sigstore trusted root the project's roster carries).
//! [[dependencies.provenance]]
//! packages = ["sigstore", "@sigstore/*"]
//! ecosystem = "npm"
//! issuer = "https://token.actions.githubusercontent.com"
//! repository = "https://github.com/sigstore/sigstore-js"
//! workflow = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml"  # optional
//!
//! ## Dependencies accepted without evidence, each with the reason.
//! [[dependencies.allow]]
//! name = "left-pad"
//! version = "1.3.0"                        # any version when left out
//! reason = "vendored and reviewed in PR 812"
//! "#).unwrap();
//! let deps = policy.dependencies.as_ref().unwrap();
//! assert_eq!(deps.publishers.len(), 2);
//! assert_eq!(deps.provenance.len(), 1);
//! ```
//!
//! Local dependencies (workspace members, path dependencies, npm links and
//! workspaces, editable pip installs) are the project's own code, which
//! its commits attribute; they are listed in the report and not counted.
//! A dependency with no usable digest (a git dependency, an unhashed
//! requirement, a SHA-1 integrity only) cannot be matched to any archive,
//! so it is unattributed unless the allow-list names it.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use vouch_core::text::Escaped;
use vouch_core::{Digest, Timestamp};
use vouch_deps::{Ecosystem, LockedDependency};
use vouch_manifest::{IdentityId, Release, TrustedRoster};

use crate::bundle::Bundle;
use crate::error::Reason;
use crate::eval::{Target, Verifier};
use crate::index::Index;
use crate::policy::{MaxAge, Policy, ReleasePolicy, Rule, TimeRule};
use crate::reach::Threads;

/// The longest name pattern or allow-list name, in bytes.
pub const MAX_PATTERN: usize = 256;

/// The most release statements one dependency is checked against (per
/// digest and roster): a bundle may hold many statements for one digest,
/// and each costs a verification.
pub const MAX_CANDIDATES: usize = 16;

/// The `[dependencies]` section of a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyPolicy {
    /// Whether every dependency must be attributed (default `attributed`).
    #[serde(default)]
    pub require: Requirement,
    /// Who is trusted to publish which dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub publishers: Vec<RosterPublisher>,
    /// Which repositories' CI workflows are trusted to publish which
    /// dependencies, as their Sigstore provenance shows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provenance: Vec<ProvenancePublisher>,
    /// Dependencies accepted without evidence, each with its reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<AllowedDependency>,
}

/// What the check demands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Requirement {
    /// Every counted dependency is attributed or allowed; otherwise the
    /// check fails (the default).
    #[default]
    Attributed,
    /// The report is made, and the check passes whatever it says.
    Off,
}

/// A `*`-pattern of package names (`serde`, `serde_*`, `@types/*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NamePattern(String);

impl NamePattern {
    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NamePattern {
    type Error = DependencyPolicyError;
    fn try_from(s: String) -> Result<Self, DependencyPolicyError> {
        if s.is_empty() || s.len() > MAX_PATTERN || s.chars().any(char::is_control) {
            return Err(DependencyPolicyError::BadPattern(
                s.chars().take(64).flat_map(char::escape_default).collect(),
            ));
        }
        Ok(NamePattern(s))
    }
}

impl From<NamePattern> for String {
    fn from(p: NamePattern) -> String {
        p.0
    }
}

impl fmt::Display for NamePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which roster a publisher entry trusts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawRosterRef", into = "RawRosterRef")]
pub enum RosterRef {
    /// `"project"`: the roster the whole policy is evaluated against.
    Project,
    /// `{ version = N, digest = "sha256:..." }`: an upstream roster,
    /// trusted from the version of that number whose statement digest is
    /// that (as `--roster-pin` trusts a roster), rotated to the newest
    /// version its file holds.
    Pinned {
        /// The pinned version's number.
        version: u64,
        /// The pinned version's statement digest.
        digest: Digest,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RawRosterRef {
    Name(String),
    Pin { version: u64, digest: Digest },
}

impl TryFrom<RawRosterRef> for RosterRef {
    type Error = DependencyPolicyError;
    fn try_from(r: RawRosterRef) -> Result<Self, DependencyPolicyError> {
        match r {
            RawRosterRef::Name(n) if n == "project" => Ok(RosterRef::Project),
            RawRosterRef::Name(n) => Err(DependencyPolicyError::BadRoster(
                n.chars().take(64).flat_map(char::escape_default).collect(),
            )),
            RawRosterRef::Pin { version, digest } => Ok(RosterRef::Pinned { version, digest }),
        }
    }
}

impl From<RosterRef> for RawRosterRef {
    fn from(r: RosterRef) -> RawRosterRef {
        match r {
            RosterRef::Project => RawRosterRef::Name("project".into()),
            RosterRef::Pinned { version, digest } => RawRosterRef::Pin { version, digest },
        }
    }
}

impl fmt::Display for RosterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RosterRef::Project => f.write_str("the project's roster"),
            RosterRef::Pinned { version, digest } => {
                write!(f, "the roster pinned at version {version} ({digest})")
            }
        }
    }
}

/// Publishers trusted for some dependencies: the identities of one
/// roster, counted by a signer rule, releasing packages whose names match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawPublisher", into = "RawPublisher")]
pub struct RosterPublisher {
    /// The names this entry covers (at least one).
    pub packages: Vec<NamePattern>,
    /// The ecosystem it covers; any when absent.
    pub ecosystem: Option<Ecosystem>,
    /// The roster whose identities sign.
    pub roster: RosterRef,
    /// Who must sign the release statement, in that roster's roles.
    pub signers: Rule,
    /// Refuse release statements older than this.
    pub max_age: Option<MaxAge>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublisher {
    packages: Vec<NamePattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ecosystem: Option<Ecosystem>,
    roster: RosterRef,
    signers: Rule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_age: Option<MaxAge>,
}

impl TryFrom<RawPublisher> for RosterPublisher {
    type Error = DependencyPolicyError;
    fn try_from(r: RawPublisher) -> Result<Self, DependencyPolicyError> {
        if r.packages.is_empty() {
            return Err(DependencyPolicyError::NoPackages);
        }
        Ok(RosterPublisher {
            packages: r.packages,
            ecosystem: r.ecosystem,
            roster: r.roster,
            signers: r.signers,
            max_age: r.max_age,
        })
    }
}

impl From<RosterPublisher> for RawPublisher {
    fn from(p: RosterPublisher) -> RawPublisher {
        RawPublisher {
            packages: p.packages,
            ecosystem: p.ecosystem,
            roster: p.roster,
            signers: p.signers,
            max_age: p.max_age,
        }
    }
}

impl RosterPublisher {
    /// Whether this entry covers `dep`.
    pub fn covers(&self, dep: &LockedDependency) -> bool {
        covers(&self.packages, self.ecosystem, dep)
    }
}

/// The longest issuer, repository or workflow URL of a provenance entry,
/// in bytes.
pub const MAX_URL: usize = 1024;

/// Publishers known by their Sigstore provenance: the CI workflow of one
/// source repository, whose keyless Sigstore bundle over a dependency's
/// archive digest attributes it (feature `sigstore`; without it such a
/// dependency is unattributed, saying so).
///
/// The certificate's OIDC issuer must be `issuer` and its
/// `source-repository-uri` claim `repository`, exactly; with `workflow`,
/// its SAN must be that workflow at some ref (`{workflow}@refs/...`). The
/// trusted root is the one the project's roster carries
/// (`witnesses.sigstore`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawProvenance", into = "RawProvenance")]
pub struct ProvenancePublisher {
    /// The names this entry covers (at least one).
    pub packages: Vec<NamePattern>,
    /// The ecosystem it covers; any when absent.
    pub ecosystem: Option<Ecosystem>,
    /// The OIDC issuer (`https://token.actions.githubusercontent.com`).
    pub issuer: String,
    /// The source repository (`https://github.com/OWNER/REPO`).
    pub repository: String,
    /// The workflow that must have signed, without its `@ref`
    /// (`https://github.com/OWNER/REPO/.github/workflows/release.yml`);
    /// any workflow of the repository when absent.
    pub workflow: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvenance {
    packages: Vec<NamePattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ecosystem: Option<Ecosystem>,
    issuer: String,
    repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workflow: Option<String>,
}

impl TryFrom<RawProvenance> for ProvenancePublisher {
    type Error = DependencyPolicyError;
    fn try_from(r: RawProvenance) -> Result<Self, DependencyPolicyError> {
        if r.packages.is_empty() {
            return Err(DependencyPolicyError::NoPackages);
        }
        for url in [Some(&r.issuer), Some(&r.repository), r.workflow.as_ref()]
            .into_iter()
            .flatten()
        {
            if !url.starts_with("https://")
                || url.len() > MAX_URL
                || url.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(DependencyPolicyError::BadUrl(
                    url.chars()
                        .take(64)
                        .flat_map(char::escape_default)
                        .collect(),
                ));
            }
        }
        Ok(ProvenancePublisher {
            packages: r.packages,
            ecosystem: r.ecosystem,
            issuer: r.issuer,
            repository: r.repository,
            workflow: r.workflow,
        })
    }
}

impl From<ProvenancePublisher> for RawProvenance {
    fn from(p: ProvenancePublisher) -> RawProvenance {
        RawProvenance {
            packages: p.packages,
            ecosystem: p.ecosystem,
            issuer: p.issuer,
            repository: p.repository,
            workflow: p.workflow,
        }
    }
}

impl ProvenancePublisher {
    /// Whether this entry covers `dep`.
    pub fn covers(&self, dep: &LockedDependency) -> bool {
        covers(&self.packages, self.ecosystem, dep)
    }
}

/// Whether an entry of these name patterns and ecosystem (any when
/// `None`) covers `dep`.
fn covers(packages: &[NamePattern], ecosystem: Option<Ecosystem>, dep: &LockedDependency) -> bool {
    ecosystem.is_none_or(|e| e == dep.ecosystem)
        && packages.iter().any(|p| dep.name_matches(p.as_str()))
}

/// A dependency accepted without evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawAllowed", into = "RawAllowed")]
pub struct AllowedDependency {
    /// Its name, exactly (PyPI names in PEP 503 form); no pattern: each
    /// exception is one package.
    pub name: String,
    /// Its ecosystem; any when absent.
    pub ecosystem: Option<Ecosystem>,
    /// Its version; any when absent.
    pub version: Option<String>,
    /// Why it is accepted (required, not empty), shown in every report.
    pub reason: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowed {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ecosystem: Option<Ecosystem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    reason: String,
}

impl TryFrom<RawAllowed> for AllowedDependency {
    type Error = DependencyPolicyError;
    fn try_from(r: RawAllowed) -> Result<Self, DependencyPolicyError> {
        let shown = || {
            r.name
                .chars()
                .take(64)
                .flat_map(char::escape_default)
                .collect()
        };
        if r.name.is_empty() || r.name.len() > MAX_PATTERN || r.name.contains('*') {
            return Err(DependencyPolicyError::BadPattern(shown()));
        }
        if r.reason.trim().is_empty() {
            return Err(DependencyPolicyError::NoReason(shown()));
        }
        Ok(AllowedDependency {
            name: r.name,
            ecosystem: r.ecosystem,
            version: r.version,
            reason: r.reason,
        })
    }
}

impl From<AllowedDependency> for RawAllowed {
    fn from(a: AllowedDependency) -> RawAllowed {
        RawAllowed {
            name: a.name,
            ecosystem: a.ecosystem,
            version: a.version,
            reason: a.reason,
        }
    }
}

impl AllowedDependency {
    /// Whether this exception names `dep`.
    pub fn covers(&self, dep: &LockedDependency) -> bool {
        let name = match dep.ecosystem {
            Ecosystem::Pypi => {
                vouch_deps::pip::normalize_name(&self.name)
                    == vouch_deps::pip::normalize_name(&dep.name)
            }
            _ => self.name == dep.name,
        };
        name && self.ecosystem.is_none_or(|e| e == dep.ecosystem)
            && self
                .version
                .as_ref()
                .is_none_or(|v| dep.version.as_ref() == Some(v))
    }
}

/// Why a `[dependencies]` section is refused when the policy is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DependencyPolicyError {
    /// A name pattern that is empty, too long or holds control characters.
    #[error(
        "dependency name pattern {0:?} is empty, longer than 256 bytes, or has control characters (allow-list names take no *)"
    )]
    BadPattern(String),
    /// A roster that is neither `"project"` nor `{ version, digest }`.
    #[error(
        "dependency roster {0:?}: expected \"project\" or {{ version = N, digest = \"sha256:...\" }}"
    )]
    BadRoster(String),
    /// A publisher or provenance entry without packages.
    #[error("a [[dependencies.publishers]] or [[dependencies.provenance]] entry lists no packages")]
    NoPackages,
    /// A provenance entry's issuer, repository or workflow that is not an
    /// `https://` URL of at most 1024 bytes without spaces or control
    /// characters.
    #[error(
        "provenance URL {0:?} is not an https:// URL of at most 1024 bytes without spaces or control characters"
    )]
    BadUrl(String),
    /// An allow-list entry without a reason.
    #[error("allowed dependency {0:?} has no reason")]
    NoReason(String),
}

/// Why dependencies could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DepsCheckError {
    /// The policy has no `[dependencies]` section.
    #[error("the policy has no [dependencies] section")]
    NoSection,
    /// A publisher entry pins a roster that none of the given rosters is.
    #[error("no roster given is trusted from version {version} ({digest}), which the policy pins")]
    RosterNotGiven {
        /// The pinned version.
        version: u64,
        /// The pinned digest.
        digest: Digest,
    },
    /// The chain holding a pinned roster version does not verify from it.
    #[error("the roster pinned at version {version} ({digest}) is refused")]
    RosterRefused {
        /// The pinned version.
        version: u64,
        /// The pinned digest.
        digest: Digest,
        /// Why.
        #[source]
        source: Box<vouch_manifest::ManifestError>,
    },
    /// The roster statement of the pinned digest has another version number.
    #[error(
        "the roster of digest {digest} is version {found}, not the version {version} the policy pins"
    )]
    PinnedVersionMismatch {
        /// The pinned version.
        version: u64,
        /// The pinned digest.
        digest: Digest,
        /// The version that statement has.
        found: u64,
    },
}

/// Trusts the upstream rosters the policy pins, from roster chain files:
/// for each `{ version, digest }` of a publisher entry, the chain that
/// holds that version is verified from it (signatures, rotations,
/// expiry at `now`, as `--roster-pin` does) and rotated to its newest
/// version. A pin no chain holds is left out (then
/// [`DependencyChecker::new`] says which); a chain that holds it and does
/// not verify is refused. Chains no entry pins are unused.
pub fn trust_pinned_rosters(
    policy: &Policy,
    chains: &[vouch_manifest::RosterChain],
    now: Timestamp,
) -> Result<Vec<TrustedRoster>, DepsCheckError> {
    let mut out: Vec<TrustedRoster> = Vec::new();
    let Some(deps) = &policy.dependencies else {
        return Ok(out);
    };
    for p in &deps.publishers {
        let RosterRef::Pinned { version, digest } = &p.roster else {
            continue;
        };
        if out
            .iter()
            .any(|r| r.history().first() == Some(&(*version, *digest)))
        {
            continue;
        }
        let Some(chain) = chains
            .iter()
            .find(|c| c.versions().iter().any(|v| v.digest() == *digest))
        else {
            continue;
        };
        let refused = |source| DepsCheckError::RosterRefused {
            version: *version,
            digest: *digest,
            source,
        };
        let trusted = chain
            .verify(digest, now)
            .map_err(|e| refused(Box::new(e)))?;
        if trusted.history().first() != Some(&(*version, *digest)) {
            return Err(DepsCheckError::PinnedVersionMismatch {
                version: *version,
                digest: *digest,
                found: trusted.history().first().map_or(0, |h| h.0),
            });
        }
        out.push(trusted);
    }
    Ok(out)
}

/// The roster a dependency's publisher was found in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PublisherRoster {
    /// The policy's reference to it.
    #[serde(serialize_with = "display")]
    pub reference: RosterRef,
    /// The version evaluated (the newest of its file).
    pub version: u64,
    /// That version's statement digest.
    pub digest: Digest,
}

fn display<T: fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Who published an attributed dependency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Publisher {
    /// The roster whose identities signed.
    pub roster: PublisherRoster,
    /// The identities whose signatures on the release statement counted.
    pub identities: Vec<IdentityId>,
    /// The release statement's digest.
    pub release: Digest,
    /// The release's package and version, as the statement says.
    pub package: String,
    /// The release's version.
    pub version: String,
    /// The dependency digest the statement's subject carries.
    pub digest: Digest,
}

/// The Sigstore provenance that attributes a dependency: who published
/// it, as the verified certificate says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The SHA-256 of the Sigstore bundle's JSON.
    pub bundle: Digest,
    /// The statement's type (SLSA provenance, a PyPI publish attestation).
    pub predicate_type: String,
    /// The name of the statement's subject that carries the digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The certificate's OIDC issuer.
    pub issuer: String,
    /// The source repository (the certificate's `source-repository-uri`).
    pub repository: String,
    /// The workflow that signed, with its ref (the certificate's SAN).
    pub workflow: String,
    /// The ref built from (`source-repository-ref`), if the certificate
    /// says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    /// The commit built from (`source-repository-digest`), if it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_commit: Option<String>,
    /// The CI run that signed (`run-invocation-uri`), if it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The earliest time the bundle proves (its log entry or timestamp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proven_at: Option<Timestamp>,
    /// The dependency digest the statement's subject carries.
    pub digest: Digest,
}

/// Why a dependency is not attributed. Each applies to one candidate, so
/// a dependency may have several.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Unattributed {
    /// A release's SBOM dependency whose purl is not `pkg:cargo`,
    /// `pkg:npm` or `pkg:pypi` (or that has none): no publisher entry can
    /// name it.
    NoEcosystem,
    /// The lock file gives no SHA-256 or SHA-512 digest (a git or local
    /// source, an unhashed requirement, only a SHA-1 integrity).
    NoDigest,
    /// No `[[dependencies.publishers]]` or `[[dependencies.provenance]]`
    /// entry covers its name.
    NoTrustedPublisher,
    /// No release statement or provenance in the bundle carries any of its
    /// digests.
    NoEvidence,
    /// A release statement for this package and version is in the bundle,
    /// but its subjects carry other digests: not the archive the lock
    /// file pins.
    DigestMismatch {
        /// The statement.
        release: Digest,
        /// The digests its subjects carry.
        subjects: Vec<Digest>,
    },
    /// A release statement carrying its digest, verified under a trusted
    /// roster, releases another package or version than the lock file
    /// names.
    NameMismatch {
        /// The statement.
        release: Digest,
        /// The package it releases.
        package: String,
        /// Its version.
        version: String,
    },
    /// A release statement carrying its digest was signed by no key of
    /// any roster trusted for it.
    UntrustedRoster {
        /// The statement.
        release: Digest,
    },
    /// Provenance cannot be checked: the verifier is built without feature
    /// `sigstore`, or the project's roster carries no usable Sigstore
    /// trusted root.
    ProvenanceUnavailable {
        /// Why.
        cause: String,
    },
    /// A provenance bundle carrying its digest did not verify as the
    /// policy's provenance entry for it expects (another repository,
    /// workflow or issuer, a bad signature or log entry).
    ProvenanceRefused {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
        /// Why.
        cause: String,
    },
    /// A verified provenance bundle carrying its digest names another
    /// package or version in its subject than the lock file does.
    ProvenanceNameMismatch {
        /// The SHA-256 of the Sigstore bundle's JSON.
        bundle: Digest,
        /// The subject's name.
        subject: String,
    },
    /// A release statement carrying its digest, verified under a trusted
    /// roster, failed the signer rule or another check.
    Refused {
        /// The statement.
        release: Digest,
        /// The roster it was verified under.
        roster: PublisherRoster,
        /// The reasons.
        reasons: Vec<Reason>,
    },
}

impl fmt::Display for Unattributed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unattributed::NoEcosystem => {
                f.write_str("no pkg:cargo, pkg:npm or pkg:pypi purl to know its ecosystem by")
            }
            Unattributed::NoDigest => f.write_str("no SHA-256 or SHA-512 digest in the lock file"),
            Unattributed::NoTrustedPublisher => {
                f.write_str("no publisher or provenance entry in the policy covers this name")
            }
            Unattributed::NoEvidence => {
                f.write_str("no release statement or provenance in the bundle carries its digest")
            }
            Unattributed::ProvenanceUnavailable { cause } => {
                write!(f, "provenance cannot be checked: {cause}")
            }
            Unattributed::ProvenanceRefused { bundle, cause } => {
                write!(f, "provenance {bundle} refused: {cause}")
            }
            Unattributed::ProvenanceNameMismatch { bundle, subject } => write!(
                f,
                "provenance {bundle} is about {subject:?}, not the name and version the lock file gives"
            ),
            Unattributed::DigestMismatch { release, subjects } => {
                write!(
                    f,
                    "release {release} of this version carries other digests ("
                )?;
                for (i, d) in subjects.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{d}")?;
                }
                f.write_str(")")
            }
            Unattributed::NameMismatch {
                release,
                package,
                version,
            } => write!(
                f,
                "release {release} is of {package} {version}, not of the name and version the lock file gives"
            ),
            Unattributed::UntrustedRoster { release } => write!(
                f,
                "release {release} is signed by no key of a roster trusted for it"
            ),
            Unattributed::Refused {
                release,
                roster,
                reasons,
            } => {
                write!(f, "release {release} under {} refused: ", roster.reference)?;
                for (i, r) in reasons.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
        }
    }
}

/// What the check concluded about one dependency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DependencyOutcome {
    /// A release statement names its publishers (boxed: digests make it
    /// the largest).
    Attributed(Box<Publisher>),
    /// Sigstore provenance names the repository and workflow that
    /// published it.
    AttributedByProvenance(Box<Provenance>),
    /// No evidence, but the allow-list accepts it.
    Allowed {
        /// The allow-list's reason.
        reason: String,
        /// Why it is not attributed.
        why: Vec<Unattributed>,
    },
    /// No evidence (every reason found).
    Unattributed {
        /// Why.
        why: Vec<Unattributed>,
    },
}

/// One dependency in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DependencyEntry {
    /// Its name.
    pub name: String,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its purl.
    pub purl: String,
    /// Its source, as the lock says.
    pub source: String,
    /// The digests the lock file gives (evidence ones).
    pub digests: Vec<Digest>,
    /// What was concluded.
    #[serde(flatten)]
    pub outcome: DependencyOutcome,
}

/// The report of one check: every dependency, in lock-file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DependencyReport {
    /// What the policy demanded.
    pub require: Requirement,
    /// The counted dependencies (every one not local).
    pub dependencies: Vec<DependencyEntry>,
    /// Local dependencies (the project's own code), not counted.
    pub local: Vec<String>,
    /// The time the check was made at.
    pub evaluated_at: Timestamp,
}

impl DependencyReport {
    /// How many counted dependencies are attributed.
    pub fn attributed(&self) -> usize {
        self.count(|o| {
            matches!(
                o,
                DependencyOutcome::Attributed(_) | DependencyOutcome::AttributedByProvenance(_)
            )
        })
    }

    /// How many are allowed without evidence.
    pub fn allowed(&self) -> usize {
        self.count(|o| matches!(o, DependencyOutcome::Allowed { .. }))
    }

    /// How many are neither.
    pub fn unattributed(&self) -> usize {
        self.count(|o| matches!(o, DependencyOutcome::Unattributed { .. }))
    }

    fn count(&self, f: impl Fn(&DependencyOutcome) -> bool) -> usize {
        self.dependencies.iter().filter(|d| f(&d.outcome)).count()
    }

    /// Whether the check passes: always with `require = "off"`, else when
    /// no counted dependency is unattributed.
    pub fn passed(&self) -> bool {
        self.require == Requirement::Off || self.unattributed() == 0
    }

    /// The report for people: one line per dependency, its publisher or
    /// why it has none, and the count. Every string from the lock file or
    /// the bundle is escaped, so no control character reaches a terminal.
    pub fn render_text(&self) -> String {
        use std::fmt::Write as _;
        let e = |s: &str| Escaped(s).to_string();
        let mut out = String::new();
        for d in &self.dependencies {
            let name = match &d.version {
                Some(v) => format!("{}@{}", e(&d.name), e(v)),
                None => e(&d.name),
            };
            match &d.outcome {
                DependencyOutcome::Attributed(p) => {
                    let ids: Vec<String> = p.identities.iter().map(|i| e(i.as_str())).collect();
                    let _ = writeln!(
                        out,
                        "attributed    {name}: released by {} under {} v{} (release {} {}, statement {}, digest {})",
                        ids.join(", "),
                        p.roster.reference,
                        p.roster.version,
                        e(&p.package),
                        e(&p.version),
                        p.release,
                        p.digest,
                    );
                }
                DependencyOutcome::AttributedByProvenance(p) => {
                    let _ = writeln!(
                        out,
                        "attributed    {name}: published by {} from {} (Sigstore provenance {}, {}{}, digest {})",
                        e(&p.workflow),
                        e(&p.repository),
                        p.bundle,
                        e(&p.predicate_type),
                        p.proven_at
                            .map(|t| format!(", proven by {t}"))
                            .unwrap_or_default(),
                        p.digest,
                    );
                }
                DependencyOutcome::Allowed { reason, why } => {
                    let _ = writeln!(
                        out,
                        "allowed       {name}: {} ({})",
                        e(reason),
                        e(&reasons(why))
                    );
                }
                DependencyOutcome::Unattributed { why } => {
                    let _ = writeln!(
                        out,
                        "UNATTRIBUTED  {name} ({}): {}",
                        e(&d.source),
                        e(&reasons(why))
                    );
                }
            }
        }
        if !self.local.is_empty() {
            let names: Vec<String> = self.local.iter().map(|n| e(n)).collect();
            let _ = writeln!(
                out,
                "local (the project's own code, not counted): {}",
                names.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "{} of {} dependencies attributed, {} allowed, {} unattributed: {}",
            self.attributed(),
            self.dependencies.len(),
            self.allowed(),
            self.unattributed(),
            match (self.passed(), self.require) {
                (_, Requirement::Off) => "PASS (require = \"off\")",
                (true, _) => "PASS",
                (false, _) => "FAIL",
            }
        );
        out
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        // Every field is a string, a number, a list or a map.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn reasons(why: &[Unattributed]) -> String {
    why.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One release statement in the bundle, as its subjects name it
/// (unverified: only used to choose what to verify and to explain).
struct Candidate {
    statement: Digest,
    package: String,
    version: String,
    subjects: Vec<Digest>,
}

/// Checks lock-file dependencies against a bundle, a policy and rosters.
///
/// One [`Verifier`] is made per publisher entry of the policy, with a
/// release stage of that entry's signer rule and its roster; every other
/// stage is dropped, so a dependency's release is judged by its own
/// publishers' rule, not by the project's.
#[derive(Debug)]
pub struct DependencyChecker {
    policy: DependencyPolicy,
    verifiers: Vec<(RosterPublisher, PublisherRoster, Verifier)>,
    /// The trusted root provenance is verified against, when the policy
    /// has provenance entries.
    #[cfg(feature = "sigstore")]
    root: Option<crate::provenance::Root>,
}

impl DependencyChecker {
    /// A checker for `policy`'s `[dependencies]`, with `project` as the
    /// project's roster and `upstream` the other rosters given (each
    /// already trusted: pinned and verified by the caller); each pinned
    /// entry of the policy must find its roster among them.
    pub fn new(
        policy: &Policy,
        project: &TrustedRoster,
        upstream: &[TrustedRoster],
    ) -> Result<Self, DepsCheckError> {
        let deps = policy
            .dependencies
            .as_ref()
            .ok_or(DepsCheckError::NoSection)?;
        let mut verifiers = Vec::with_capacity(deps.publishers.len());
        for p in &deps.publishers {
            let roster = match &p.roster {
                RosterRef::Project => project,
                RosterRef::Pinned { version, digest } => upstream
                    .iter()
                    .find(|r| r.history().first() == Some(&(*version, *digest)))
                    .ok_or(DepsCheckError::RosterNotGiven {
                        version: *version,
                        digest: *digest,
                    })?,
            };
            let mut stage = policy.clone();
            stage.deployment = None;
            stage.commit = None;
            stage.dependencies = None;
            stage.release = Some(ReleasePolicy {
                time: TimeRule::default(),
                signers: p.signers.clone(),
                certifier_not_sole_author: false,
                max_age: p.max_age,
                // A dependency's own SBOM is its publishers' business.
                check_dependencies: false,
                // Nor is the reference log of its repository.
                ref_log: None,
                require_tag: false,
            });
            let summary = PublisherRoster {
                reference: p.roster.clone(),
                version: roster.version(),
                digest: roster.digest(),
            };
            verifiers.push((
                p.clone(),
                summary,
                Verifier::new(stage, roster.clone()).with_threads(Threads::default()),
            ));
        }
        Ok(DependencyChecker {
            policy: deps.clone(),
            verifiers,
            #[cfg(feature = "sigstore")]
            root: (!deps.provenance.is_empty()).then(|| crate::provenance::Root::of(project)),
        })
    }

    /// Checks every dependency against the bundle at `now`.
    pub fn check(
        &self,
        bundle: &Bundle,
        dependencies: &[LockedDependency],
        now: Timestamp,
    ) -> DependencyReport {
        let candidates = candidates(bundle);
        #[cfg(feature = "sigstore")]
        let provenance = if self.policy.provenance.is_empty() {
            crate::provenance::Candidates::default()
        } else {
            crate::provenance::Candidates::read(bundle)
        };
        #[cfg(not(feature = "sigstore"))]
        let provenance = ();
        let mut by_digest: HashMap<Digest, Vec<&Candidate>> = HashMap::new();
        let mut by_name: HashMap<(&str, &str), Vec<&Candidate>> = HashMap::new();
        for c in &candidates {
            for d in &c.subjects {
                by_digest.entry(*d).or_default().push(c);
            }
            by_name
                .entry((c.package.as_str(), c.version.as_str()))
                .or_default()
                .push(c);
        }
        let mut report = DependencyReport {
            require: self.policy.require,
            dependencies: Vec::new(),
            local: Vec::new(),
            evaluated_at: now,
        };
        for dep in dependencies {
            if dep.source.is_local() {
                report.local.push(dep.display_name());
                continue;
            }
            let outcome = self.one(bundle, dep, &by_digest, &by_name, &provenance, now);
            let outcome = match outcome {
                DependencyOutcome::Unattributed { why } => {
                    match self.policy.allow.iter().find(|a| a.covers(dep)) {
                        Some(a) => DependencyOutcome::Allowed {
                            reason: a.reason.clone(),
                            why,
                        },
                        None => DependencyOutcome::Unattributed { why },
                    }
                }
                attributed => attributed,
            };
            report.dependencies.push(DependencyEntry {
                name: dep.name.clone(),
                version: dep.version.clone(),
                purl: dep.purl(),
                source: dep.source.to_string(),
                digests: dep.digests.clone(),
                outcome,
            });
        }
        report
    }

    #[allow(clippy::too_many_arguments)]
    fn one(
        &self,
        bundle: &Bundle,
        dep: &LockedDependency,
        by_digest: &HashMap<Digest, Vec<&Candidate>>,
        by_name: &HashMap<(&str, &str), Vec<&Candidate>>,
        provenance: &Provenances,
        now: Timestamp,
    ) -> DependencyOutcome {
        if dep.digests.is_empty() {
            return DependencyOutcome::Unattributed {
                why: vec![Unattributed::NoDigest],
            };
        }
        let trusted: Vec<_> = self
            .verifiers
            .iter()
            .filter(|(p, _, _)| p.covers(dep))
            .collect();
        let by_provenance: Vec<&ProvenancePublisher> = self
            .policy
            .provenance
            .iter()
            .filter(|p| p.covers(dep))
            .collect();
        if trusted.is_empty() && by_provenance.is_empty() {
            return DependencyOutcome::Unattributed {
                why: vec![Unattributed::NoTrustedPublisher],
            };
        }
        let mut why = Vec::new();
        let mut any = false;
        for digest in &dep.digests {
            let Some(found) = by_digest.get(digest) else {
                continue;
            };
            any = true;
            let mut untrusted: Vec<Digest> = found.iter().map(|c| c.statement).collect();
            for (_, roster, verifier) in &trusted {
                let verdict = verifier.verify(bundle, &Target::Release(*digest), now);
                if verdict.passed() {
                    let node = verdict.trace();
                    let statement = node.statement.unwrap_or(found[0].statement);
                    let c = found
                        .iter()
                        .find(|c| c.statement == statement)
                        .unwrap_or(&found[0]);
                    // The statement says what the archive is; a lock file
                    // that calls it something else is mislabelling it (the
                    // signers vouched for another package), so it attributes
                    // nothing.
                    if !same_package(dep, &c.package, &c.version) {
                        untrusted.retain(|d| *d != statement);
                        why.push(Unattributed::NameMismatch {
                            release: statement,
                            package: c.package.clone(),
                            version: c.version.clone(),
                        });
                        continue;
                    }
                    let mut identities: Vec<IdentityId> =
                        node.signers.iter().map(|s| s.identity.clone()).collect();
                    identities.dedup();
                    return DependencyOutcome::Attributed(Box::new(Publisher {
                        roster: roster.clone(),
                        identities,
                        release: statement,
                        package: c.package.clone(),
                        version: c.version.clone(),
                        digest: *digest,
                    }));
                }
                let reasons: Vec<Reason> = verdict
                    .failures()
                    .iter()
                    .map(|f| f.reason.clone())
                    .collect();
                // No signature by a key this roster knows: the evidence is
                // another roster's (or nobody's), reported once, below,
                // rather than as this roster's threshold not met.
                let unknown_only = verdict.trace().signers.is_empty()
                    && reasons.iter().any(|r| {
                        matches!(
                            r,
                            Reason::NoRosterSignature { .. } | Reason::UnknownKey { .. }
                        )
                    });
                if unknown_only {
                    continue;
                }
                let release = verdict.trace().statement.unwrap_or(found[0].statement);
                untrusted.retain(|d| *d != release);
                why.push(Unattributed::Refused {
                    release,
                    roster: roster.clone(),
                    reasons,
                });
            }
            untrusted.truncate(MAX_CANDIDATES);
            why.extend(
                untrusted
                    .into_iter()
                    .map(|release| Unattributed::UntrustedRoster { release }),
            );
        }
        if !by_provenance.is_empty() {
            match self.by_provenance(bundle, dep, &by_provenance, provenance, &mut why) {
                Ok(p) => return DependencyOutcome::AttributedByProvenance(Box::new(p)),
                Err(found) => any |= found,
            }
        }
        if !any {
            if let Some(v) = &dep.version {
                for c in by_name
                    .get(&(dep.name.as_str(), v.as_str()))
                    .into_iter()
                    .flatten()
                    .take(MAX_CANDIDATES)
                {
                    why.push(Unattributed::DigestMismatch {
                        release: c.statement,
                        subjects: c.subjects.clone(),
                    });
                }
            }
            if why.is_empty() {
                why.push(Unattributed::NoEvidence);
            }
        }
        why.dedup();
        DependencyOutcome::Unattributed { why }
    }

    /// The provenance that attributes `dep` under one of `publishers`, or
    /// whether any provenance carried its digest (the reasons in `why`).
    #[cfg(feature = "sigstore")]
    fn by_provenance(
        &self,
        _bundle: &Bundle,
        dep: &LockedDependency,
        publishers: &[&ProvenancePublisher],
        provenance: &Provenances,
        why: &mut Vec<Unattributed>,
    ) -> Result<Provenance, bool> {
        let Some(root) = &self.root else {
            return Err(false);
        };
        let mut any = false;
        for digest in &dep.digests {
            for c in provenance.with_digest(digest, MAX_CANDIDATES) {
                any = true;
                for p in publishers {
                    match crate::provenance::check(root, c, p, dep, *digest) {
                        Ok(found) => return Ok(found),
                        Err(u) => why.push(u),
                    }
                }
            }
        }
        Err(any)
    }

    /// Without feature `sigstore`, provenance in the bundle is reported as
    /// unchecked rather than absent.
    #[cfg(not(feature = "sigstore"))]
    fn by_provenance(
        &self,
        bundle: &Bundle,
        _dep: &LockedDependency,
        _publishers: &[&ProvenancePublisher],
        _provenance: &Provenances,
        why: &mut Vec<Unattributed>,
    ) -> Result<Provenance, bool> {
        if !bundle.sigstore().is_empty() {
            why.push(Unattributed::ProvenanceUnavailable {
                cause: "vouch-chain is built without feature `sigstore`, so the bundle's \
                        Sigstore bundles are not read"
                    .into(),
            });
        }
        Err(false)
    }
}

/// The bundle's provenance candidates (nothing without feature `sigstore`).
#[cfg(feature = "sigstore")]
type Provenances = crate::provenance::Candidates;
#[cfg(not(feature = "sigstore"))]
type Provenances = ();

/// Whether a release of `package` `version` is `dep` (PyPI names in
/// their PEP 503 form; a dependency without a version matches any).
fn same_package(dep: &LockedDependency, package: &str, version: &str) -> bool {
    let name = match dep.ecosystem {
        Ecosystem::Pypi => {
            vouch_deps::pip::normalize_name(package) == vouch_deps::pip::normalize_name(&dep.name)
        }
        _ => package == dep.name,
    };
    name && dep.version.as_deref().is_none_or(|v| v == version)
}

/// The bundle's release statements with their subject digests, read
/// without verifying (the verification is the verifier's).
fn candidates(bundle: &Bundle) -> Vec<Candidate> {
    let index = Index::build(bundle, &Threads::default());
    let mut out = Vec::new();
    for (digest, entries) in &index.releases {
        // Several envelopes of one statement: the statement once.
        let Some(statement) = entries.iter().find_map(|e| e.get(&index.decoded).ok()) else {
            continue;
        };
        let r: &Release = statement.predicate();
        out.push(Candidate {
            statement: *digest,
            package: r.package.clone(),
            version: r.version.clone(),
            subjects: subject_digests(statement.subjects()),
        });
    }
    // Bundle order is lost in the map; a stable order keeps reports
    // reproducible.
    out.sort_by_key(|c| c.statement);
    out
}

/// Every artifact digest a statement's subjects carry.
fn subject_digests(subjects: &[vouch_manifest::Subject]) -> Vec<Digest> {
    let mut out: Vec<Digest> = subjects
        .iter()
        .flat_map(|s| [s.digest.sha256, s.digest.sha512])
        .flatten()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What `[release] check_dependencies` checks each release's SBOM with:
/// the checker, or why there is none (reported on every release link).
#[derive(Debug)]
pub(crate) struct ReleaseDependencies(Result<DependencyChecker, String>);

impl ReleaseDependencies {
    /// The checker `policy` asks for, if it asks for one.
    pub(crate) fn for_policy(
        policy: &Policy,
        roster: &TrustedRoster,
        upstream: &[TrustedRoster],
    ) -> Option<std::sync::Arc<Self>> {
        if !policy
            .release
            .as_ref()
            .is_some_and(|r| r.check_dependencies)
        {
            return None;
        }
        let checker = DependencyChecker::new(policy, roster, upstream)
            .map_err(|e| vouch_core::text::error_chain(&e));
        Some(std::sync::Arc::new(ReleaseDependencies(checker)))
    }

    /// The release link's failures: one per SBOM dependency that is
    /// neither attributed nor allowed.
    pub(crate) fn failures(
        &self,
        bundle: &Bundle,
        dependencies: &[vouch_manifest::Dependency],
        now: Timestamp,
    ) -> Vec<Reason> {
        let checker = match &self.0 {
            Ok(c) => c,
            Err(cause) => {
                return vec![Reason::DependencyCheckUnavailable {
                    cause: cause.clone(),
                }];
            }
        };
        let mut failures = Vec::new();
        let mut locked = Vec::with_capacity(dependencies.len());
        for (i, d) in dependencies.iter().enumerate() {
            match sbom_dependency(d, i) {
                Some(l) => locked.push(l),
                None => failures.push(Reason::DependencyUnattributed {
                    dependency: sbom_name(d),
                    why: vec![Unattributed::NoEcosystem],
                }),
            }
        }
        let report = checker.check(bundle, &locked, now);
        for e in report.dependencies {
            if let DependencyOutcome::Unattributed { why } = e.outcome {
                let dependency = match &e.version {
                    Some(v) => format!("{}@{v}", e.name),
                    None => e.name.clone(),
                };
                failures.push(Reason::DependencyUnattributed { dependency, why });
            }
        }
        failures
    }
}

fn sbom_name(d: &vouch_manifest::Dependency) -> String {
    match &d.version {
        Some(v) => format!("{}@{v}", d.name),
        None => d.name.clone(),
    }
}

/// An SBOM dependency as a locked one: its ecosystem from its purl's
/// type, its one SHA-256 digest.
fn sbom_dependency(d: &vouch_manifest::Dependency, index: usize) -> Option<LockedDependency> {
    let purl_type = d.purl.as_deref()?.strip_prefix("pkg:")?.split('/').next()?;
    let ecosystem = match purl_type {
        "cargo" => Ecosystem::Cargo,
        "npm" => Ecosystem::Npm,
        "pypi" => Ecosystem::Pypi,
        _ => return None,
    };
    Some(LockedDependency {
        ecosystem,
        name: d.name.clone(),
        version: d.version.clone(),
        digests: d.digest.into_iter().collect(),
        weak_digests: Vec::new(),
        source: vouch_deps::Source::Registry(None),
        location: vouch_deps::Location::Package(index + 1),
        markers: None,
        dev: false,
    })
}
