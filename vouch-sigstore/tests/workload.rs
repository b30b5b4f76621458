//! Two things provenance that registries publish needs: a bundle verified
//! over an artifact known only by its SHA-512 digest (an npm `integrity`),
//! and a keyless bundle expected from a repository's workflow at any ref
//! ([`Expectation::Workload`]), since each release is signed at its own tag.
//!
//! The SHA-512 bundle is made here, key-signed, in test-support's Rekor v1
//! stand-in (keyless bundles cannot be made offline); the workload
//! expectation is tried on the public sigstore-conformance DSSE bundle, a
//! GitHub Actions certificate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use vouch_core::{Digest, Timestamp};
use vouch_sigstore::{
    ArtifactRef, Bundle, Claim, Error, Expectation, PublicKey, TrustedRoot, verify,
};
use vouch_test_support::rekor::Rekor;

const SET: &str = "sigstore-conformance";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const REPOSITORY: &str =
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon";
const WORKFLOW: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml";

/// An in-toto statement about `tarball`, naming it by SHA-512 only, as npm
/// provenance does.
fn npm_statement(tarball: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{
            "name": "pkg:npm/left-pad@1.3.0",
            "digest": { "sha512": Digest::sha512(tarball).hex() }
        }],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": { "buildDefinition": {}, "runDetails": {} }
    }))
    .unwrap()
}

struct KeySigned {
    root: TrustedRoot,
    bundle: Bundle,
    key: PublicKey,
}

fn key_signed(tarball: &[u8]) -> KeySigned {
    let rekor = Rekor::new(21);
    let signer = SigningKey::from_slice(&[22u8; 32]).unwrap();
    let at: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    let json = rekor.bundle(&npm_statement(tarball), &signer, at);
    let pem = signer
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    KeySigned {
        root: TrustedRoot::from_json(&rekor.trusted_root()).unwrap(),
        bundle: Bundle::from_json(&json).unwrap(),
        key: PublicKey::from_pem(&pem).unwrap(),
    }
}

#[test]
fn a_dsse_bundle_verifies_over_the_sha512_digest_its_subject_names() {
    let tarball = b"left-pad-1.3.0.tgz bytes";
    let k = key_signed(tarball);
    let expected = Expectation::Key(k.key.clone());
    let sha512 = Digest::sha512(tarball);
    let v = verify(&k.bundle, ArtifactRef::Digest(sha512), &k.root, &expected).unwrap();
    assert_eq!(v.artifact_digest(), &sha512);
    assert!(v.proven_time().is_some());

    // Another archive's SHA-512, or the right archive's SHA-256 (which the
    // statement does not name): not this bundle's artifact.
    for other in [Digest::sha512(b"another tarball"), Digest::sha256(tarball)] {
        let e = verify(&k.bundle, ArtifactRef::Digest(other), &k.root, &expected).unwrap_err();
        assert!(matches!(e, Error::ArtifactMismatch(_)), "{other}: {e:?}");
    }
    // The bytes themselves: hashed with what the statement names.
    verify(&k.bundle, ArtifactRef::Bytes(tarball), &k.root, &expected).unwrap();
}

#[test]
fn a_workload_expectation_refuses_a_key_signed_bundle() {
    let k = key_signed(b"x");
    let e = verify(
        &k.bundle,
        ArtifactRef::Digest(Digest::sha512(b"x")),
        &k.root,
        &Expectation::Workload {
            issuer: ISSUER.into(),
            repository: REPOSITORY.into(),
            workflow: None,
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::WrongKind { .. }), "{e:?}");
}

/// The conformance suite's keyless DSSE bundle, its root and artifact.
fn beacon() -> Option<(Bundle, TrustedRoot, Vec<u8>)> {
    let root = vouch_test_support::vector(SET, "production_trusted_root.json")?;
    let dir = root.parent().unwrap();
    let bundle =
        std::fs::read(dir.join("happy-path-intoto-in-dsse-v3/bundle.sigstore.json")).unwrap();
    Some((
        Bundle::from_json(&bundle).unwrap(),
        TrustedRoot::from_json(&std::fs::read(&root).unwrap()).unwrap(),
        std::fs::read(dir.join("a.txt")).unwrap(),
    ))
}

fn workload(issuer: &str, repository: &str, workflow: Option<&str>) -> Expectation {
    Expectation::Workload {
        issuer: issuer.into(),
        repository: repository.into(),
        workflow: workflow.map(str::to_owned),
    }
}

#[test]
fn a_workload_expectation_matches_the_repository_and_the_workflow_at_any_ref() {
    let Some((bundle, root, artifact)) = beacon() else {
        return;
    };
    let digest = ArtifactRef::Digest(Digest::sha256(&artifact));
    for workflow in [None, Some(WORKFLOW)] {
        let v = verify(
            &bundle,
            digest,
            &root,
            &workload(ISSUER, REPOSITORY, workflow),
        )
        .unwrap();
        let vouch_sigstore::Signer::Certificate(cert) = v.signer() else {
            panic!("a certificate");
        };
        assert_eq!(
            cert.claims().get(Claim::SourceRepositoryUri),
            Some(REPOSITORY)
        );
        assert_eq!(cert.san(), format!("{WORKFLOW}@refs/heads/main"));
    }

    let refused = |e: Expectation| verify(&bundle, digest, &root, &e).unwrap_err();
    // Another repository: its claim is compared exactly (no prefix).
    for repo in [
        "https://github.com/sigstore-conformance/other",
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc",
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/",
    ] {
        let e = refused(workload(ISSUER, repo, None));
        assert!(
            matches!(&e, Error::ClaimMismatch { claim: Claim::SourceRepositoryUri, actual: Some(a), .. } if a == REPOSITORY),
            "{repo}: {e:?}"
        );
        assert!(e.to_string().contains("source-repository-uri"), "{e}");
    }
    // Another workflow, or a prefix of this one that stops short of `@`.
    for wf in [
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/other.yml",
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous",
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon",
    ] {
        let e = refused(workload(ISSUER, REPOSITORY, Some(wf)));
        assert!(matches!(e, Error::IdentityMismatch { .. }), "{wf}: {e:?}");
    }
    // Another issuer.
    let e = refused(workload("https://gitlab.com", REPOSITORY, None));
    assert!(matches!(e, Error::IssuerMismatch { .. }), "{e:?}");
    // Another artifact.
    let e = verify(
        &bundle,
        ArtifactRef::Digest(Digest::sha256(b"other")),
        &root,
        &workload(ISSUER, REPOSITORY, None),
    )
    .unwrap_err();
    assert!(matches!(e, Error::ArtifactMismatch(_)), "{e:?}");
}
