//! Sigstore provenance as dependency evidence (feature `sigstore`): the
//! attestations registries publish beside a package (npm provenance, PyPI
//! attestations per PEP 740, GitHub artifact attestations), each a
//! Sigstore bundle whose DSSE envelope signs an in-toto statement about
//! the archive, made keyless by the CI workflow that published it.
//!
//! - Candidates: every Sigstore bundle of the vouch bundle whose
//!   (unverified) statement is of a provenance or publish type
//!   ([`PROVENANCE_TYPES`]) is indexed by its subjects' SHA-256 and
//!   SHA-512 digests. A statement of another type (a scan result, a
//!   vouch link) says something else about an archive than who published
//!   it, and is not a candidate.
//! - Verification: offline, against the trusted root the project's roster
//!   carries (`witnesses.sigstore`; the roster's owners signed it), over
//!   the dependency's own digest, with the expectation the policy's
//!   `[[dependencies.provenance]]` entry sets: the exact OIDC issuer, the
//!   exact source repository (the certificate's `source-repository-uri`),
//!   and, when given, the workflow the certificate's SAN names at any ref.
//!   The certificate is checked at the time the bundle proves (its log
//!   entry or timestamp), by sigstore-verify.
//! - Names: the digest is what binds the evidence to the archive. A
//!   subject name that says which package it is (an npm purl, a Python
//!   distribution file name) must also name the dependency the lock file
//!   lists under that digest; other names (GitHub artifact attestations
//!   name files freely) are reported, not compared.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use vouch_core::Digest;
use vouch_core::text::error_chain;
use vouch_deps::{Ecosystem, LockedDependency};
use vouch_manifest::TrustedRoster;
use vouch_sigstore::{ArtifactRef, Bundle as SigstoreBundle, Claim, Expectation, Signer};

use crate::bundle::Bundle;
use crate::deps::{Provenance, ProvenancePublisher, Unattributed};

/// The DSSE payload type of an in-toto statement.
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// The statement types that say who built or published an archive: SLSA
/// provenance (v0.2 and v1: npm provenance, GitHub artifact attestations,
/// slsa-github-generator) and PyPI's publish attestation (PEP 740).
pub(crate) const PROVENANCE_TYPES: &[&str] = &[
    "https://slsa.dev/provenance/v1",
    "https://slsa.dev/provenance/v0.2",
    "https://docs.pypi.org/attestations/publish/v1",
];

/// The fields of an in-toto statement a candidate needs. Digests are read
/// as a map: a subject may name algorithms vouch does not use.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "predicateType")]
    predicate_type: String,
    subject: Vec<PeekSubject>,
}

#[derive(Deserialize)]
struct PeekSubject {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    digest: BTreeMap<String, String>,
}

/// One provenance bundle of the vouch bundle, unverified.
pub(crate) struct Candidate {
    /// The SHA-256 of the Sigstore bundle's JSON, as reports name it.
    id: Digest,
    bundle: SigstoreBundle,
    predicate_type: String,
    /// Each subject's name and its SHA-256 and SHA-512 digests.
    subjects: Vec<(Option<String>, Vec<Digest>)>,
}

/// The bundle's provenance candidates by subject digest.
#[derive(Default)]
pub(crate) struct Candidates {
    all: Vec<Candidate>,
    by_digest: HashMap<Digest, Vec<usize>>,
}

impl Candidates {
    /// Reads every Sigstore bundle of `bundle` whose statement is of a
    /// [`PROVENANCE_TYPES`] type; the others are skipped.
    pub(crate) fn read(bundle: &Bundle) -> Self {
        let mut all = Vec::new();
        let mut by_digest: HashMap<Digest, Vec<usize>> = HashMap::new();
        for json in bundle.sigstore() {
            let Some(c) = candidate(json) else { continue };
            for (_, digests) in &c.subjects {
                for d in digests {
                    let at = by_digest.entry(*d).or_default();
                    if !at.contains(&all.len()) {
                        at.push(all.len());
                    }
                }
            }
            all.push(c);
        }
        Candidates { all, by_digest }
    }

    /// The candidates whose subjects carry `digest`, at most `max`.
    pub(crate) fn with_digest(&self, digest: &Digest, max: usize) -> Vec<&Candidate> {
        self.by_digest
            .get(digest)
            .into_iter()
            .flatten()
            .take(max)
            .map(|&i| &self.all[i])
            .collect()
    }
}

fn candidate(json: &[u8]) -> Option<Candidate> {
    let bundle = SigstoreBundle::from_json(json).ok()?;
    let (IN_TOTO, payload) = bundle.unverified_dsse()? else {
        return None;
    };
    let peek: Peek = serde_json::from_slice(payload).ok()?;
    if !PROVENANCE_TYPES.contains(&peek.predicate_type.as_str()) {
        return None;
    }
    let subjects = peek
        .subject
        .into_iter()
        .map(|s| {
            let digests = s
                .digest
                .iter()
                .filter_map(|(alg, hex)| match alg.as_str() {
                    "sha256" | "sha512" => format!("{alg}:{hex}").parse::<Digest>().ok(),
                    _ => None,
                })
                .collect();
            (s.name, digests)
        })
        .collect();
    Some(Candidate {
        id: Digest::sha256(json),
        bundle,
        predicate_type: peek.predicate_type,
        subjects,
    })
}

/// The trusted root provenance is verified against: the project roster's.
pub(crate) struct Root(Result<vouch_sigstore::TrustedRoot, String>);

impl Root {
    /// The root `roster` carries, or why there is none.
    pub(crate) fn of(roster: &TrustedRoster) -> Self {
        Root(match &roster.roster().witnesses.sigstore {
            None => Err("the project's roster carries no Sigstore trusted root \
                 (witnesses.sigstore), which provenance is verified against"
                .into()),
            Some(trust) => vouch_sigstore::TrustedRoot::from_json(trust.trusted_root.as_bytes())
                .map_err(|e| {
                    format!(
                        "the project roster's Sigstore trusted root: {}",
                        error_chain(&e)
                    )
                }),
        })
    }
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_ok() {
            "Root(usable)"
        } else {
            "Root(unusable)"
        })
    }
}

/// Checks one candidate as the evidence `publisher` asks for, over the
/// dependency's `digest`.
pub(crate) fn check(
    root: &Root,
    candidate: &Candidate,
    publisher: &ProvenancePublisher,
    dep: &LockedDependency,
    digest: Digest,
) -> Result<Provenance, Unattributed> {
    let root = root
        .0
        .as_ref()
        .map_err(|cause| Unattributed::ProvenanceUnavailable {
            cause: cause.clone(),
        })?;
    let refused = |cause: String| Unattributed::ProvenanceRefused {
        bundle: candidate.id,
        cause,
    };
    let expected = Expectation::Workload {
        issuer: publisher.issuer.clone(),
        repository: publisher.repository.clone(),
        workflow: publisher.workflow.clone(),
    };
    let verified = vouch_sigstore::verify(
        &candidate.bundle,
        ArtifactRef::Digest(digest),
        root,
        &expected,
    )
    .map_err(|e| refused(error_chain(&e)))?;
    let Signer::Certificate(cert) = verified.signer() else {
        return Err(refused("verified, but not as a certificate".into()));
    };
    let subject = candidate
        .subjects
        .iter()
        .find(|(_, ds)| ds.contains(&digest))
        .and_then(|(name, _)| name.clone());
    if let Some(name) = subject.as_ref().filter(|n| names_another_package(dep, n)) {
        return Err(Unattributed::ProvenanceNameMismatch {
            bundle: candidate.id,
            subject: name.clone(),
        });
    }
    let proven = verified.proven_time();
    let claim = |c: Claim| cert.claims().get(c).map(str::to_owned);
    Ok(Provenance {
        bundle: candidate.id,
        predicate_type: candidate.predicate_type.clone(),
        subject,
        issuer: cert.issuer().to_owned(),
        repository: publisher.repository.clone(),
        workflow: cert.san().to_owned(),
        source_ref: claim(Claim::SourceRepositoryRef),
        source_commit: claim(Claim::SourceRepositoryDigest),
        run: claim(Claim::RunInvocationUri),
        proven_at: proven.map(|p| p.time()),
        digest,
    })
}

/// Whether a subject name that identifies a package (an npm purl, a
/// Python wheel or sdist file name) names another one than `dep`.
fn names_another_package(dep: &LockedDependency, subject: &str) -> bool {
    let named = match dep.ecosystem {
        Ecosystem::Npm => npm_purl(subject),
        Ecosystem::Pypi => python_distribution(subject),
        Ecosystem::Cargo => cargo_file(subject),
        _ => None,
    };
    let Some((name, version)) = named else {
        return false;
    };
    let same_name = match dep.ecosystem {
        Ecosystem::Pypi => {
            vouch_deps::pip::normalize_name(&name) == vouch_deps::pip::normalize_name(&dep.name)
        }
        _ => name == dep.name,
    };
    !same_name || dep.version.as_deref().is_some_and(|v| v != version)
}

/// `pkg:npm/NAME@VERSION`, the scope's `@` written `%40` or not.
fn npm_purl(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix("pkg:npm/")?;
    let rest = rest.split(['?', '#']).next()?;
    let (name, version) = rest.rsplit_once('@')?;
    let name = name
        .replace("%40", "@")
        .replace("%2F", "/")
        .replace("%2f", "/");
    (!name.is_empty() && !version.is_empty()).then(|| (name, version.to_owned()))
}

/// A wheel (`NAME-VERSION-TAGS.whl`) or sdist (`NAME-VERSION.tar.gz`,
/// `.zip`) file name's name and version.
fn python_distribution(s: &str) -> Option<(String, String)> {
    if let Some(stem) = s.strip_suffix(".whl") {
        let mut parts = stem.split('-');
        let (name, version) = (parts.next()?, parts.next()?);
        return Some((name.to_owned(), version.to_owned()));
    }
    let stem = s
        .strip_suffix(".tar.gz")
        .or_else(|| s.strip_suffix(".zip"))?;
    let (name, version) = stem.rsplit_once('-')?;
    Some((name.to_owned(), version.to_owned()))
}

/// A `.crate` file name, `NAME-VERSION.crate`.
fn cargo_file(s: &str) -> Option<(String, String)> {
    let stem = s.strip_suffix(".crate")?;
    let (name, version) = stem.rsplit_once('-')?;
    Some((name.to_owned(), version.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_read_from_purls_and_file_names() {
        assert_eq!(
            npm_purl("pkg:npm/%40sigstore/bundle@2.1.0"),
            Some(("@sigstore/bundle".into(), "2.1.0".into()))
        );
        assert_eq!(
            npm_purl("pkg:npm/left-pad@1.3.0"),
            Some(("left-pad".into(), "1.3.0".into()))
        );
        assert_eq!(npm_purl("left-pad-1.3.0.tgz"), None);
        assert_eq!(
            python_distribution("sample_project-4.0.0-py3-none-any.whl"),
            Some(("sample_project".into(), "4.0.0".into()))
        );
        assert_eq!(
            python_distribution("sampleproject-4.0.0.tar.gz"),
            Some(("sampleproject".into(), "4.0.0".into()))
        );
        assert_eq!(python_distribution("a.txt"), None);
        assert_eq!(
            cargo_file("serde_json-1.0.1.crate"),
            Some(("serde_json".into(), "1.0.1".into()))
        );
    }

    fn dep(ecosystem: Ecosystem, name: &str, version: &str) -> LockedDependency {
        LockedDependency {
            ecosystem,
            name: name.into(),
            version: Some(version.into()),
            digests: Vec::new(),
            weak_digests: Vec::new(),
            source: vouch_deps::Source::Registry(None),
            location: vouch_deps::Location::Package(1),
            markers: None,
            dev: false,
        }
    }

    #[test]
    fn a_subject_that_names_a_package_must_name_the_dependency() {
        let npm = dep(Ecosystem::Npm, "@sigstore/bundle", "2.1.0");
        assert!(!names_another_package(
            &npm,
            "pkg:npm/%40sigstore/bundle@2.1.0"
        ));
        assert!(names_another_package(
            &npm,
            "pkg:npm/%40sigstore/core@2.1.0"
        ));
        assert!(names_another_package(
            &npm,
            "pkg:npm/%40sigstore/bundle@2.0.9"
        ));
        // Not a package name (a GitHub artifact attestation's file): not compared.
        assert!(!names_another_package(&npm, "bundle.tgz"));

        let py = dep(Ecosystem::Pypi, "Sample.Project", "4.0.0");
        assert!(!names_another_package(
            &py,
            "sample_project-4.0.0-py3-none-any.whl"
        ));
        assert!(!names_another_package(&py, "sample-project-4.0.0.tar.gz"));
        assert!(names_another_package(
            &py,
            "sample_project-4.0.1-py3-none-any.whl"
        ));
        assert!(names_another_package(&py, "other-4.0.0.tar.gz"));

        let crate_ = dep(Ecosystem::Cargo, "serde", "1.0.0");
        assert!(!names_another_package(&crate_, "serde-1.0.0.crate"));
        assert!(names_another_package(&crate_, "serde_json-1.0.0.crate"));
    }
}
