//! The whole sigstore-conformance `bundle-verify` suite (70 cases), run as
//! its README says: each case directory holds `bundle.sigstore.json` and
//! optionally `artifact` (else `../a.txt`), `identity` and `issuer` (else
//! the defaults below), `key.pub` (verify with that key instead of a
//! certificate) and `trusted_root.json` (else the public-good root). A name
//! ending in `_fail` must fail; every other case must pass. Then tampered
//! copies of passing cases, which must fail, and what a passing case proves.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use vouch_core::Digest;
use vouch_sigstore::{
    ArtifactRef, Bundle, Claim, Error, Expectation, PublicKey, RekorVersion, SanKind, Signer,
    TimeSource, TrustedRoot, VerifiedBundle, verify,
};

const SET: &str = "sigstore-conformance";
const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The suite's folder, or `None` (after the skip notice) without vectors.
fn suite() -> Option<PathBuf> {
    vouch_test_support::vector(SET, "production_trusted_root.json")
        .map(|p| p.parent().unwrap().to_path_buf())
}

/// One case's inputs, read as the suite's README describes.
struct Case {
    bundle: Vec<u8>,
    artifact: Vec<u8>,
    root: Vec<u8>,
    identity: String,
    issuer: String,
    key: Option<String>,
}

impl Case {
    fn read(suite: &Path, name: &str) -> Case {
        let dir = suite.join(name);
        let opt = |f: &str| std::fs::read(dir.join(f)).ok();
        let text = |f: &str| opt(f).map(|b| String::from_utf8(b).unwrap().trim().to_owned());
        Case {
            bundle: std::fs::read(dir.join("bundle.sigstore.json")).unwrap(),
            artifact: opt("artifact")
                .unwrap_or_else(|| std::fs::read(suite.join("a.txt")).unwrap()),
            root: opt("trusted_root.json").unwrap_or_else(|| {
                std::fs::read(suite.join("production_trusted_root.json")).unwrap()
            }),
            identity: text("identity").unwrap_or_else(|| DEFAULT_IDENTITY.to_owned()),
            issuer: text("issuer").unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
            key: text("key.pub"),
        }
    }

    fn expectation(&self) -> Result<Expectation, Error> {
        Ok(match &self.key {
            Some(pem) => Expectation::Key(PublicKey::from_pem(pem)?),
            None => Expectation::Identity {
                san: self.identity.clone(),
                issuer: self.issuer.clone(),
            },
        })
    }

    /// Every step a verifier takes, from the bytes: any one may refuse.
    fn verify_with(&self, artifact: ArtifactRef<'_>) -> Result<VerifiedBundle, Error> {
        let root = TrustedRoot::from_json(&self.root)?;
        let bundle = Bundle::from_json(&self.bundle)?;
        verify(&bundle, artifact, &root, &self.expectation()?)
    }

    fn verify(&self) -> Result<VerifiedBundle, Error> {
        self.verify_with(ArtifactRef::Bytes(&self.artifact))
    }
}

fn case_names(suite: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(suite)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn chain(e: &Error) -> String {
    vouch_core::text::error_chain(e)
}

#[test]
fn every_bundle_verify_case_gives_its_expected_result() {
    let Some(suite) = suite() else { return };
    let names = case_names(&suite);
    let mut wrong = Vec::new();
    let (mut passes, mut fails) = (0, 0);
    let start = std::time::Instant::now();
    for name in &names {
        let case = Case::read(&suite, name);
        let must_fail = name.ends_with("_fail");
        match (case.verify(), must_fail) {
            (Ok(_), false) => passes += 1,
            (Err(e), true) => {
                fails += 1;
                eprintln!("{name}: refused as expected: {}", chain(&e));
            }
            (Ok(_), true) => wrong.push(format!("{name}: verified, but must fail")),
            (Err(e), false) => wrong.push(format!("{name}: refused: {}", chain(&e))),
        }
    }
    println!(
        "{} cases: {} passed as expected ({passes} verify, {fails} refused; {} ms)",
        names.len(),
        passes + fails,
        start.elapsed().as_millis()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The suite is whole: a missing case is a broken copy, not a pass.
    assert_eq!(names.len(), 70, "the bundle-verify suite has 70 cases");
}

#[test]
fn tampered_copies_of_passing_cases_fail() {
    let Some(suite) = suite() else { return };
    for name in [
        "happy-path-v0.1",
        "happy-path-v0.2",
        "happy-path-v0.3",
        "happy-path-intoto-in-dsse-v3",
        "rekor2-happy-path",
        "rekor2-dsse-happy-path",
    ] {
        let case = Case::read(&suite, name);
        case.verify()
            .unwrap_or_else(|e| panic!("{name}: {}", chain(&e)));

        for at in [0, case.artifact.len() / 2, case.artifact.len() - 1] {
            let mut flipped = Case::read(&suite, name);
            flipped.artifact[at] ^= 0x01;
            let e = flipped.verify().expect_err(name);
            assert!(
                matches!(e, Error::ArtifactMismatch(_) | Error::Signature(_)),
                "{name}, artifact byte {at} flipped: {}",
                chain(&e)
            );
        }

        let mut other = Case::read(&suite, name);
        other.identity.push('x');
        let e = other.verify().expect_err(name);
        assert!(
            matches!(e, Error::IdentityMismatch { .. }),
            "{name}: {}",
            chain(&e)
        );
        let mut other = Case::read(&suite, name);
        other.identity = other.identity.replace("refs/heads/main", "refs/heads/evil");
        assert!(matches!(
            other.verify(),
            Err(Error::IdentityMismatch { .. })
        ));

        let mut other = Case::read(&suite, name);
        other.issuer = "https://accounts.google.com".to_owned();
        let e = other.verify().expect_err(name);
        assert!(
            matches!(e, Error::IssuerMismatch { .. }),
            "{name}: {}",
            chain(&e)
        );

        // A key where a certificate signed: refused by kind.
        let mut other = Case::read(&suite, name);
        other.key = Some(Case::read(&suite, "managed-key-happy-path").key.unwrap());
        assert!(matches!(other.verify(), Err(Error::WrongKind { .. })));
    }

    // A key-signed case: another key, or a flipped artifact, fail.
    let case = Case::read(&suite, "managed-key-happy-path");
    case.verify().unwrap();
    let mut flipped = Case::read(&suite, "managed-key-happy-path");
    flipped.artifact[0] ^= 0x80;
    assert!(flipped.verify().is_err());
    let mut other = Case::read(&suite, "managed-key-happy-path");
    other.key = Case::read(&suite, "managed-key-wrong-key_fail").key;
    assert!(other.verify().is_err());
    // An identity where a key signed: refused by kind.
    let mut other = Case::read(&suite, "managed-key-happy-path");
    other.key = None;
    assert!(matches!(other.verify(), Err(Error::WrongKind { .. })));
}

#[test]
fn a_keyless_rekor_v1_bundle_proves_its_signer_log_entry_and_time() {
    let Some(suite) = suite() else { return };
    let case = Case::read(&suite, "happy-path-v0.3");
    let v = case.verify().unwrap();
    assert_eq!(v.san(), Some(DEFAULT_IDENTITY));
    assert_eq!(v.issuer(), Some(DEFAULT_ISSUER));
    let Signer::Certificate(cert) = v.signer() else {
        panic!("a keyless bundle")
    };
    assert_eq!(cert.san_kind(), SanKind::Uri);
    assert!(cert.not_before() < cert.not_after());
    // GitHub Actions claims, bound by the certificate.
    let claims = cert.claims();
    assert_eq!(
        claims.get(Claim::SourceRepositoryUri),
        Some("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon")
    );
    assert_eq!(
        claims.get(Claim::SourceRepositoryRef),
        Some("refs/heads/main")
    );
    assert!(
        claims
            .get(Claim::RunInvocationUri)
            .unwrap()
            .starts_with("https://github.com/")
    );
    assert!(claims.get(Claim::BuildTrigger).is_some());
    assert_eq!(Claim::BuildTrigger.oid(), "1.3.6.1.4.1.57264.1.20");

    let entries = v.log_entries();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.rekor(), RekorVersion::V1);
    assert_eq!(entry.log_id().len(), 32);
    assert_eq!(entry.log_url(), Some("https://rekor.sigstore.dev"));
    let time = v.proven_time().unwrap();
    assert_eq!(
        time.source(),
        TimeSource::LogIntegratedTime {
            log_index: entry.index()
        }
    );
    assert_eq!(Some(time.time()), entry.integrated_time());
    assert!(cert.not_before() <= time.time() && time.time() <= cert.not_after());
    assert_eq!(v.artifact_digest(), &Digest::sha256(&case.artifact));
    assert!(v.dsse().is_none());

    // By digest alone, the same verdict.
    let by_digest = case
        .verify_with(ArtifactRef::Digest(Digest::sha256(&case.artifact)))
        .unwrap();
    assert_eq!(by_digest.san(), v.san());
    assert_eq!(by_digest.proven_time(), v.proven_time());
    let other = Digest::sha256(b"another artifact");
    assert!(case.verify_with(ArtifactRef::Digest(other)).is_err());
}

#[test]
fn a_rekor_v2_bundle_is_proven_by_its_timestamp() {
    let Some(suite) = suite() else { return };
    let v = Case::read(&suite, "rekor2-happy-path").verify().unwrap();
    assert_eq!(v.log_entries().len(), 1);
    assert_eq!(v.log_entries()[0].rekor(), RekorVersion::V2);
    assert_eq!(v.log_entries()[0].integrated_time(), None);
    let times = v.proven_times();
    assert!(!times.is_empty());
    assert!(times.iter().all(|t| t.source() == TimeSource::Rfc3161));
}

#[test]
fn a_dsse_bundle_gives_its_in_toto_statement() {
    let Some(suite) = suite() else { return };
    let v = Case::read(&suite, "happy-path-intoto-in-dsse-v3")
        .verify()
        .unwrap();
    let dsse = v.dsse().expect("a DSSE bundle");
    assert_eq!(dsse.payload_type(), "application/vnd.in-toto+json");
    let statement: serde_json::Value = serde_json::from_slice(dsse.payload()).unwrap();
    assert!(
        statement["_type"]
            .as_str()
            .unwrap()
            .starts_with("https://in-toto.io/Statement/")
    );
}

#[test]
fn a_key_signed_bundle_names_the_key() {
    let Some(suite) = suite() else { return };
    let case = Case::read(&suite, "managed-key-happy-path");
    let v = case.verify().unwrap();
    let Some(pem) = &case.key else {
        panic!("a key case")
    };
    let key = PublicKey::from_pem(pem).unwrap();
    assert_eq!(
        v.signer(),
        &Signer::Key {
            spki_sha256: Digest::sha256(key.spki_der())
        }
    );
    assert_eq!(v.san(), None);
}
