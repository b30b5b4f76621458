//! Every limit of vouch-manifest in `docs/limits.md`, at the limit
//! (accepted, or refused only by a later check) and one past it (refused
//! with the error that names the limit). One test per row, named after its
//! constant. The 64 MiB SBOM is tested on zero pages never written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_core::Algorithm;
use vouch_keys::FileKey;
use vouch_manifest::tpm::endorsement::{self, Challenge, Pending};
use vouch_manifest::*;

fn too_large<T: std::fmt::Debug>(r: Result<T, ManifestError>, what: &str, len: usize, max: usize) {
    match r {
        Err(ManifestError::TooLarge {
            what: w,
            len: l,
            max: m,
        }) => {
            assert_eq!((w, l, m), (what, len, max));
        }
        other => panic!("{what}: {other:?}"),
    }
}

#[test]
fn max_sbom() {
    // At the limit the JSON parser gets the bytes (zero pages: refused).
    let at = vec![0u8; MAX_SBOM];
    assert!(matches!(
        dependencies_from_sbom(&at),
        Err(SbomError::Json(_))
    ));
    assert!(matches!(
        dependencies_from_cyclonedx(&at),
        Err(SbomError::Json(_))
    ));
    assert!(matches!(
        dependencies_from_spdx(&at),
        Err(SbomError::Json(_))
    ));
    let past = vec![0u8; MAX_SBOM + 1];
    for r in [
        dependencies_from_sbom(&past).map(drop),
        dependencies_from_cyclonedx(&past).map(drop),
        dependencies_from_spdx(&past).map(drop),
    ] {
        match r {
            Err(SbomError::TooLarge { len, max }) => {
                assert_eq!((len, max), (MAX_SBOM + 1, MAX_SBOM))
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A CycloneDX document whose components nest `levels` deep, one per level.
fn nested_components(levels: usize) -> String {
    let mut inner = String::new();
    for level in (1..=levels).rev() {
        inner = format!(r#"{{"name":"c{level}","components":[{inner}]}}"#);
    }
    format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{inner}]}}"#)
}

#[test]
fn max_component_depth() {
    let deps =
        dependencies_from_cyclonedx(nested_components(MAX_COMPONENT_DEPTH).as_bytes()).unwrap();
    assert_eq!(deps.len(), MAX_COMPONENT_DEPTH);
    // One level more is refused, not cut short.
    match dependencies_from_cyclonedx(nested_components(MAX_COMPONENT_DEPTH + 1).as_bytes()) {
        Err(SbomError::ComponentsTooDeep { name, max }) => {
            assert_eq!((name.as_str(), max), ("c33", MAX_COMPONENT_DEPTH));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn roster_state_max_len() {
    let max = RosterState::MAX_LEN;
    // At the limit the JSON is parsed (spaces: refused as empty).
    assert!(matches!(
        RosterState::from_json(&vec![b' '; max]),
        Err(ManifestError::Json(_))
    ));
    too_large(
        RosterState::from_json(&vec![b' '; max + 1]),
        "roster state file",
        max + 1,
        max,
    );
    // A file is read to one byte past the limit, then refused.
    let dir = std::env::temp_dir().join(format!("vouch-manifest-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(max as u64 + 100)
        .unwrap();
    too_large(RosterState::load(&path), "roster state file", max + 1, max);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn tpm_endorsement_max_file_len() {
    let max = endorsement::MAX_FILE_LEN;
    // At the limit the CBOR is read (zeros: refused as not the file).
    assert!(matches!(
        Challenge::from_bytes(&vec![0; max]),
        Err(ManifestError::TpmEnrollment(_))
    ));
    assert!(matches!(
        Pending::from_bytes(&vec![0; max]),
        Err(ManifestError::TpmEnrollment(_))
    ));
    too_large(
        Challenge::from_bytes(&vec![0; max + 1]),
        "TPM credential challenge file",
        max + 1,
        max,
    );
    too_large(
        Pending::from_bytes(&vec![0; max + 1]),
        "TPM pending enrollment file",
        max + 1,
        max,
    );
}

#[test]
fn identity_id_max_name_len() {
    let max = IdentityId::MAX_NAME_LEN;
    for kind in ["person", "workload"] {
        let at = format!("{kind}:{}", "a".repeat(max));
        assert_eq!(at.parse::<IdentityId>().unwrap().name().len(), max);
        let past = format!("{kind}:{}", "a".repeat(max + 1));
        too_large(past.parse::<IdentityId>(), "identity name", max + 1, max);
    }
}

#[test]
fn role_name_max_len() {
    let max = RoleName::MAX_LEN;
    assert_eq!(
        "r".repeat(max).parse::<RoleName>().unwrap().as_str().len(),
        max
    );
    too_large(
        "r".repeat(max + 1).parse::<RoleName>(),
        "role name",
        max + 1,
        max,
    );
}

#[test]
fn sigstore_max_trusted_root() {
    let max = sigstore::MAX_TRUSTED_ROOT;
    let root_key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let roster = |trusted_root: String| Roster {
        name: "example.com".into(),
        version: 1,
        expires: "2099-01-01T00:00:00Z".parse().unwrap(),
        root: RootKeys {
            keys: vec![root_key.public_key().clone()],
            threshold: 1,
        },
        identities: vec![],
        roles: Default::default(),
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses: WitnessTrust {
            sigstore: Some(SigstoreTrust {
                label: "sigstore".into(),
                trusted_root,
                signers: vec![],
            }),
            ..Default::default()
        },
        ci: Default::default(),
    };
    // A JSON object of exactly the limit.
    let at = format!("{{{}}}", " ".repeat(max - 2));
    Statement::from_predicate(roster(at)).unwrap();
    let past = format!("{{{}}}", " ".repeat(max - 1));
    match Statement::from_predicate(roster(past)) {
        Err(ManifestError::Roster(RosterError::SigstoreTrustedRootTooLarge { len, max: m })) => {
            assert_eq!((len, m), (max + 1, max));
        }
        other => panic!("{other:?}"),
    }
}
