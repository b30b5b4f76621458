//! `[[dependencies.provenance]]` (feature `sigstore`): a dependency
//! attributed by the Sigstore provenance its registry publishes, a keyless
//! bundle from the CI workflow of the repository the policy names for it,
//! verified against the trusted root the project's roster carries.
//!
//! The provenance is the public sigstore-conformance DSSE bundle (an SLSA
//! provenance made by a GitHub Actions workflow, over `a.txt`), standing
//! for a package archive whose digest a lock file pins.

#![cfg(feature = "sigstore")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::deps::{DependencyChecker, DependencyOutcome, DependencyReport, Unattributed};
use vouch_chain::{Bundle, Policy};
use vouch_core::Digest;
use vouch_deps::{Format, Lock};
use vouch_manifest::{SigstoreTrust, TrustedRoster, WitnessTrust};

const SET: &str = "sigstore-conformance";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const REPOSITORY: &str =
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon";
const WORKFLOW: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml";

/// The conformance suite: its production trusted root, a case's bundle,
/// and `a.txt` (the artifact).
struct Suite {
    root: String,
    artifact: Vec<u8>,
    dir: std::path::PathBuf,
}

fn suite() -> Option<Suite> {
    let root = vouch_test_support::vector(SET, "production_trusted_root.json")?;
    let dir = root.parent().unwrap().to_path_buf();
    Some(Suite {
        root: std::fs::read_to_string(&root).unwrap(),
        artifact: std::fs::read(dir.join("a.txt")).unwrap(),
        dir,
    })
}

impl Suite {
    fn bundle(&self, case: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(case).join("bundle.sigstore.json")).unwrap()
    }

    /// The project's roster, carrying the public-good trusted root (or none).
    fn roster(&self, with_root: bool) -> TrustedRoster {
        let w = World::new();
        let mut roster = w.roster();
        roster.witnesses = WitnessTrust {
            sigstore: with_root.then(|| SigstoreTrust {
                label: "sigstore public-good".into(),
                trusted_root: self.root.clone(),
                signers: Vec::new(),
            }),
            ..Default::default()
        };
        w.trust(roster)
    }

    /// A pip requirements file pinning `a-txt` to `digest`.
    fn lock(&self, digest: Digest) -> Lock {
        let text = format!("a-txt==1.0 --hash=sha256:{}\n", digest.hex());
        Lock::parse(Format::Pip, text.as_bytes()).unwrap()
    }

    fn check(
        &self,
        policy: &str,
        roster: &TrustedRoster,
        cases: &[&str],
        digest: Digest,
    ) -> DependencyReport {
        let policy = Policy::from_toml(policy).unwrap();
        let mut bundle = Bundle::new();
        for case in cases {
            bundle.add_sigstore(self.bundle(case)).unwrap();
        }
        let checker = DependencyChecker::new(&policy, roster, &[]).unwrap();
        checker.check(&bundle, &self.lock(digest).dependencies, t(NOW))
    }
}

fn policy(issuer: &str, repository: &str, workflow: Option<&str>, packages: &str) -> String {
    let workflow = workflow.map_or_else(String::new, |w| format!("workflow = \"{w}\"\n"));
    format!(
        r#"
[image]
signers = {{ roles = ["builder"], threshold = 1 }}

[[dependencies.provenance]]
packages = [{packages}]
ecosystem = "pypi"
issuer = "{issuer}"
repository = "{repository}"
{workflow}"#
    )
}

fn why(report: &DependencyReport) -> &[Unattributed] {
    match &report.dependencies[0].outcome {
        DependencyOutcome::Unattributed { why } => why,
        other => panic!("expected unattributed, got {other:?}"),
    }
}

#[test]
fn provenance_from_the_named_repository_and_workflow_attributes_the_dependency() {
    let Some(s) = suite() else { return };
    let roster = s.roster(true);
    let digest = Digest::sha256(&s.artifact);
    for workflow in [Some(WORKFLOW), None] {
        let p = policy(ISSUER, REPOSITORY, workflow, r#""a-txt""#);
        let report = s.check(&p, &roster, &["happy-path-intoto-in-dsse-v3"], digest);
        assert!(report.passed(), "{}", report.render_text());
        assert_eq!(report.attributed(), 1);
        let DependencyOutcome::AttributedByProvenance(found) = &report.dependencies[0].outcome
        else {
            panic!("{:?}", report.dependencies[0].outcome);
        };
        assert_eq!(found.repository, REPOSITORY);
        assert_eq!(found.workflow, format!("{WORKFLOW}@refs/heads/main"));
        assert_eq!(found.issuer, ISSUER);
        assert_eq!(found.predicate_type, "https://slsa.dev/provenance/v1");
        assert_eq!(found.subject.as_deref(), Some("a.txt"));
        assert_eq!(found.source_ref.as_deref(), Some("refs/heads/main"));
        assert!(found.source_commit.is_some() && found.run.is_some());
        assert!(found.proven_at.is_some(), "the log entry's time");
        assert_eq!(found.digest, digest);
        assert_eq!(
            found.bundle,
            Digest::sha256(&s.bundle("happy-path-intoto-in-dsse-v3"))
        );
        let text = report.render_text();
        assert!(
            text.contains("published by https://github.com/sigstore-conformance"),
            "{text}"
        );
        assert!(text.contains("1 of 1 dependencies attributed"), "{text}");
        let json = report.to_json();
        assert!(
            json.contains("\"outcome\": \"attributed-by-provenance\""),
            "{json}"
        );
    }
}

#[test]
fn provenance_from_another_repository_workflow_or_issuer_is_refused() {
    let Some(s) = suite() else { return };
    let roster = s.roster(true);
    let digest = Digest::sha256(&s.artifact);
    for (p, says) in [
        (
            policy(
                ISSUER,
                "https://github.com/someone/else",
                None,
                r#""a-txt""#,
            ),
            "source-repository-uri",
        ),
        (
            policy(
                ISSUER,
                REPOSITORY,
                Some(&format!("{REPOSITORY}/.github/workflows/release.yml")),
                r#""a-txt""#,
            ),
            "release.yml@<ref>",
        ),
        (
            policy("https://gitlab.com", REPOSITORY, None, r#""a-txt""#),
            "issuer",
        ),
    ] {
        let report = s.check(&p, &roster, &["happy-path-intoto-in-dsse-v3"], digest);
        assert!(!report.passed(), "{}", report.render_text());
        let why = why(&report);
        assert!(
            matches!(why, [Unattributed::ProvenanceRefused { cause, .. }] if cause.contains(says)),
            "{says}: {why:?}"
        );
    }
}

#[test]
fn tampered_provenance_is_refused() {
    let Some(s) = suite() else { return };
    let roster = s.roster(true);
    let digest = Digest::sha256(&s.artifact);
    let p = policy(ISSUER, REPOSITORY, Some(WORKFLOW), r#""a-txt""#);
    for case in ["dsse-invalid-sig_fail", "dsse-mismatch-envelope_fail"] {
        let report = s.check(&p, &roster, &[case], digest);
        assert!(!report.passed(), "{case}");
        assert!(
            why(&report)
                .iter()
                .all(|w| matches!(w, Unattributed::ProvenanceRefused { .. })),
            "{case}: {:?}",
            why(&report)
        );
    }
    // Beside a good copy, a tampered one does not stop the good one counting.
    let report = s.check(
        &p,
        &roster,
        &["dsse-invalid-sig_fail", "happy-path-intoto-in-dsse-v3"],
        digest,
    );
    assert!(report.passed(), "{}", report.render_text());
}

#[test]
fn provenance_binds_the_digest_the_lock_file_pins_and_the_names_the_policy_covers() {
    let Some(s) = suite() else { return };
    let roster = s.roster(true);
    // Another archive under the same name: the provenance is not about it.
    let p = policy(ISSUER, REPOSITORY, None, r#""a-txt""#);
    let report = s.check(
        &p,
        &roster,
        &["happy-path-intoto-in-dsse-v3"],
        Digest::sha256(b"another archive"),
    );
    assert_eq!(why(&report), [Unattributed::NoEvidence]);
    // A name no entry covers: not checked against the provenance at all.
    let p = policy(ISSUER, REPOSITORY, None, r#""b-*""#);
    let report = s.check(
        &p,
        &roster,
        &["happy-path-intoto-in-dsse-v3"],
        Digest::sha256(&s.artifact),
    );
    assert_eq!(why(&report), [Unattributed::NoTrustedPublisher]);
}

#[test]
fn without_a_trusted_root_in_the_roster_provenance_proves_nothing() {
    let Some(s) = suite() else { return };
    let roster = s.roster(false);
    let p = policy(ISSUER, REPOSITORY, None, r#""a-txt""#);
    let report = s.check(
        &p,
        &roster,
        &["happy-path-intoto-in-dsse-v3"],
        Digest::sha256(&s.artifact),
    );
    let why = why(&report);
    assert!(
        matches!(why, [Unattributed::ProvenanceUnavailable { cause }] if cause.contains("witnesses.sigstore")),
        "{why:?}"
    );
}

#[test]
fn provenance_entries_are_refused_when_the_policy_is_read_if_malformed() {
    for (p, says) in [
        (
            policy("http://issuer.example", REPOSITORY, None, r#""a""#),
            "https://",
        ),
        (
            policy(ISSUER, "https://github.com/o/r x", None, r#""a""#),
            "https://",
        ),
        (policy(ISSUER, REPOSITORY, None, ""), "no packages"),
    ] {
        let e = Policy::from_toml(&p).unwrap_err();
        assert!(
            vouch_core::text::error_chain(&e).contains(says),
            "{says}: {}",
            vouch_core::text::error_chain(&e)
        );
    }
}
