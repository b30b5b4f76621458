#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Statements and signed envelopes: encoding, signing, verification, bad input.

use proptest::prelude::*;
use vouch_core::{Algorithm, Digest, Timestamp};
use vouch_keys::FileKey;
use vouch_manifest::tree::{EntryKind, TreeEntry, TreeManifest, TreePath};
use vouch_manifest::*;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn oid(c: char) -> GitObjectId {
    c.to_string().repeat(40).parse().unwrap()
}

fn commit() -> Commit {
    let who = GitPerson {
        name: "Alice".into(),
        email: "alice@example.com".into(),
        time: t("2026-11-01T09:00:00Z"),
    };
    Commit {
        repository: "https://git.example.com/shop.git".into(),
        commit_id: oid('a'),
        tree_id: oid('b'),
        parents: vec![oid('c')],
        author: who.clone(),
        committer: who,
        signer: "person:alice@example.com".parse().unwrap(),
    }
}

fn image() -> Image {
    Image {
        name: "registry.example.com/shop/api".into(),
        image: Digest::sha256(b"manifest"),
        config: Digest::sha256(b"config"),
        layers: vec![Digest::sha256(b"l1"), Digest::sha256(b"l2")],
        packages: vec![ImagePackage {
            name: "shop-api".into(),
            version: "1.4.0".into(),
            release: Digest::sha256(b"rel"),
        }],
        source_commits: vec![SourceCommit {
            repository: "https://git.example.com/shop.git".into(),
            commit: oid('a'),
        }],
        builder: "workload:ci/build".parse().unwrap(),
        invocation_id: "run-77".into(),
        started_at: t("2026-11-02T10:00:00Z"),
        finished_at: t("2026-11-02T10:05:00Z"),
        platforms: Vec::new(),
    }
}

fn deployment() -> Deployment {
    Deployment {
        environment: "production".into(),
        target: DeployTarget {
            cluster: "eu-1".into(),
            namespace: "shop".into(),
            service: "api".into(),
        },
        image: Digest::sha256(b"manifest"),
        team: "payments".into(),
        deployer: "workload:ci/deploy".parse().unwrap(),
        pipeline: Pipeline {
            run_id: "991".into(),
            url: "https://ci.example.com/runs/991".into(),
        },
        triggered_by: "person:alice@example.com".parse().unwrap(),
        authorized_by: vec!["person:erin@example.com".parse().unwrap()],
        time: t("2026-11-03T08:00:00Z"),
        ci_token: None,
    }
}

fn release() -> Release {
    // The manifest `TreeManifest::build` makes of a directory holding only
    // `lib.rs` (walking needs the `fs` feature; tests/tree.rs covers it).
    let content = b"pub fn f() {}\n";
    let contents = TreeManifest::from_entries(vec![TreeEntry {
        path: TreePath::new("lib.rs").unwrap(),
        kind: EntryKind::File {
            size: content.len() as u64,
            digest: Digest::sha256(content),
            executable: false,
        },
    }])
    .unwrap();
    Release {
        package: "shop-api".into(),
        version: "1.4.0".into(),
        purl: Some("pkg:cargo/shop-api@1.4.0".into()),
        contents,
        dependencies: vec![Dependency {
            name: "serde".into(),
            version: Some("1.0.228".into()),
            purl: Some("pkg:cargo/serde@1.0.228".into()),
            digest: Some(Digest::sha256(b"serde")),
        }],
        commits: vec![
            vouch_manifest::CertifiedCommit::from(oid('a')),
            vouch_manifest::CertifiedCommit::from(oid('c')),
        ],
        released_at: t("2026-11-02T09:00:00Z"),
        previous: None,
        archive: None,
        tag: None,
    }
}

fn round_trip<P: Predicate + PartialEq>(p: P, key: &FileKey) {
    let st = Statement::from_predicate(p).unwrap();
    let bytes = st.to_canonical_bytes().unwrap();
    assert_eq!(Statement::<P>::from_canonical_bytes(&bytes).unwrap(), st);
    let json = st.to_json().unwrap();
    assert_eq!(Statement::<P>::from_json(&json).unwrap(), st);
    let signed = Signed::sign(&st, key).unwrap();
    let env = signed.to_bytes().unwrap();
    let back = Signed::<P>::from_bytes(&env).unwrap();
    assert_eq!(
        back.to_bytes().unwrap(),
        env,
        "decode-then-encode is the identity"
    );
    assert_eq!(
        back.digest(),
        Digest::sha256(&bytes),
        "the digest names the statement bytes"
    );
    let keys = [key.public_key().clone()];
    let v = back
        .verify(|k| keys.iter().find(|p| p.key_id() == *k))
        .unwrap();
    assert_eq!(*v.value(), &st);
    assert_eq!(v.key_ids().collect::<Vec<_>>(), vec![key.key_id()]);
}

#[test]
fn every_predicate_round_trips() {
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    round_trip(commit(), &key);
    round_trip(image(), &key);
    round_trip(deployment(), &key);
    round_trip(release(), &key);
    round_trip(
        Approval {
            statement: Digest::sha256(b"d"),
            role: ApprovalRole::Authorize,
            identity: "person:erin@example.com".parse().unwrap(),
            time: t("2026-11-03T07:59:00Z"),
        },
        &key,
    );
}

#[test]
fn json_form_is_in_toto() {
    let st = Statement::from_predicate(image()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&st.to_json().unwrap()).unwrap();
    assert_eq!(v["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(v["predicateType"], Image::PREDICATE_TYPE);
    assert_eq!(v["subject"][0]["name"], "registry.example.com/shop/api");
    assert_eq!(
        v["subject"][0]["digest"]["sha256"],
        Digest::sha256(b"manifest").hex()
    );
    assert_eq!(v["predicate"]["invocationId"], "run-77");
    let c = Statement::from_predicate(commit()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&c.to_json().unwrap()).unwrap();
    assert_eq!(v["subject"][0]["digest"]["gitCommit"], "a".repeat(40));
}

#[test]
fn empty_subjects_and_bad_predicates_refused() {
    assert!(matches!(
        Statement::new(vec![], commit()),
        Err(ManifestError::EmptySubjects)
    ));
    let mut d = deployment();
    d.authorized_by.clear();
    assert!(matches!(
        Statement::from_predicate(d),
        Err(ManifestError::InvalidPredicate {
            field: "authorizedBy",
            ..
        })
    ));
    let mut i = image();
    i.builder = "person:mallory@example.com".parse().unwrap();
    assert!(matches!(
        Statement::from_predicate(i),
        Err(ManifestError::InvalidPredicate {
            field: "builder",
            ..
        })
    ));
    // An empty subject list in JSON is refused on the way in, too.
    let st = Statement::from_predicate(commit()).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&st.to_json().unwrap()).unwrap();
    v["subject"] = serde_json::json!([]);
    assert!(matches!(
        Statement::<Commit>::from_json(&serde_json::to_vec(&v).unwrap()),
        Err(ManifestError::EmptySubjects)
    ));
}

#[test]
fn predicate_type_is_checked() {
    let bytes = Statement::from_predicate(commit())
        .unwrap()
        .to_canonical_bytes()
        .unwrap();
    assert_eq!(
        peek_predicate_type(&bytes).unwrap(),
        Some(Commit::PREDICATE_TYPE)
    );
    assert!(matches!(
        Statement::<Image>::from_canonical_bytes(&bytes),
        Err(ManifestError::PredicateTypeMismatch { .. })
    ));
}

#[test]
fn cosigners_add_independent_signatures() {
    let carol = FileKey::generate(Algorithm::Ed25519).unwrap();
    let dave = FileKey::generate(Algorithm::Es256).unwrap();
    let mut signed = Signed::sign(&Statement::from_predicate(release()).unwrap(), &carol).unwrap();
    let digest = signed.digest();
    signed.cosign(&dave).unwrap();
    assert_eq!(
        signed.digest(),
        digest,
        "signatures do not change the statement digest"
    );
    let back = Signed::<Release>::from_bytes(&signed.to_bytes().unwrap()).unwrap();
    let keys = [carol.public_key().clone(), dave.public_key().clone()];
    let v = back
        .verify(|k| keys.iter().find(|p| p.key_id() == *k))
        .unwrap();
    assert_eq!(
        v.key_ids().collect::<Vec<_>>(),
        vec![carol.key_id(), dave.key_id()]
    );
    // With only carol known, dave's signature is reported, carol's still counts.
    let (ok, failed) = back.verify_each(|k| keys[..1].iter().find(|p| p.key_id() == *k));
    assert_eq!(ok.unwrap().key_ids().count(), 1);
    assert_eq!(failed.len(), 1);
}

#[test]
fn wrong_content_type_refused() {
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let st = Statement::from_predicate(commit()).unwrap();
    let mut env =
        vouch_core::cose::Sign::new("application/json", st.to_canonical_bytes().unwrap()).unwrap();
    env.add_signature(&key).unwrap();
    assert!(matches!(
        Signed::<Commit>::from_bytes(&env.to_bytes().unwrap()),
        Err(ManifestError::ContentType(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn decoders_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Statement::<Commit>::from_canonical_bytes(&bytes);
        let _ = Statement::<Release>::from_canonical_bytes(&bytes);
        let _ = Statement::<Image>::from_canonical_bytes(&bytes);
        let _ = Statement::<Deployment>::from_canonical_bytes(&bytes);
        let _ = Statement::<Approval>::from_canonical_bytes(&bytes);
        let _ = Statement::<Roster>::from_canonical_bytes(&bytes);
        let _ = Statement::<Commit>::from_json(&bytes);
        let _ = Signed::<Deployment>::from_bytes(&bytes);
        let _ = peek_predicate_type(&bytes);
    }

    #[test]
    fn mutated_statements_never_panic(idx in any::<usize>(), byte in any::<u8>(), which in 0usize..5) {
        let bytes = match which {
            0 => Statement::from_predicate(commit()).unwrap().to_canonical_bytes().unwrap(),
            1 => Statement::from_predicate(image()).unwrap().to_canonical_bytes().unwrap(),
            4 => Statement::from_predicate(index_image()).unwrap().to_canonical_bytes().unwrap(),
            2 => Statement::from_predicate(deployment()).unwrap().to_canonical_bytes().unwrap(),
            _ => Statement::from_predicate(release()).unwrap().to_canonical_bytes().unwrap(),
        };
        let mut bad = bytes.clone();
        let i = idx % bad.len();
        bad[i] = byte;
        // Whatever still decodes re-encodes to exactly the same bytes.
        if let Ok(s) = Statement::<Commit>::from_canonical_bytes(&bad) { prop_assert_eq!(s.to_canonical_bytes().unwrap(), bad.clone()); }
        if let Ok(s) = Statement::<Image>::from_canonical_bytes(&bad) { prop_assert_eq!(s.to_canonical_bytes().unwrap(), bad.clone()); }
        if let Ok(s) = Statement::<Deployment>::from_canonical_bytes(&bad) { prop_assert_eq!(s.to_canonical_bytes().unwrap(), bad.clone()); }
        if let Ok(s) = Statement::<Release>::from_canonical_bytes(&bad) { prop_assert_eq!(s.to_canonical_bytes().unwrap(), bad.clone()); }
    }

    #[test]
    fn index_encode_decode(platforms in proptest::collection::vec((proptest::option::of("[a-z0-9/]{1,16}"), any::<[u8; 4]>(), 0usize..3), 1..6)) {
        let mut i = index_image();
        i.platforms = platforms
            .iter()
            .enumerate()
            .map(|(n, (platform, seed, layers))| PlatformImage {
                platform: platform.clone(),
                // Distinct by construction: the index refuses repeats.
                manifest: Digest::sha256(&[&n.to_le_bytes()[..], &seed[..]].concat()),
                config: Digest::sha256(seed),
                layers: (0..*layers).map(|l| Digest::sha256(&[l as u8])).collect(),
            })
            .collect();
        let bytes = Statement::from_predicate(i.clone()).unwrap().to_canonical_bytes().unwrap();
        let back = Statement::<Image>::from_canonical_bytes(&bytes).unwrap();
        prop_assert_eq!(back.predicate(), &i);
        prop_assert_eq!(back.to_canonical_bytes().unwrap(), bytes);
    }

    #[test]
    fn commit_encode_decode(name in "[a-zA-Z ]{0,20}", email in "[a-z@.]{0,20}", secs in 0i64..4_000_000_000, parents in 0usize..4) {
        let mut c = commit();
        c.author.name = name;
        c.committer.email = email;
        c.author.time = Timestamp::from_unix_seconds(secs).unwrap();
        c.parents = (0..parents).map(|i| oid(char::from(b'0' + i as u8))).collect();
        let st = Statement::from_predicate(c).unwrap();
        prop_assert_eq!(Statement::<Commit>::from_canonical_bytes(&st.to_canonical_bytes().unwrap()).unwrap(), st.clone());
        prop_assert_eq!(Statement::<Commit>::from_json(&st.to_json().unwrap()).unwrap(), st);
    }
}

#[test]
fn a_deployment_without_ci_token_encodes_without_the_field() {
    let st = Statement::from_predicate(deployment()).unwrap();
    let json = serde_json::to_string(st.predicate()).unwrap();
    assert!(!json.contains("ciToken"), "{json}");
}

#[test]
fn a_deployment_ci_token_roundtrips_and_is_bounded() {
    let mut d = deployment();
    d.ci_token = Some("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln".into());
    let st = Statement::from_predicate(d.clone()).unwrap();
    let bytes = st.to_canonical_bytes().unwrap();
    assert_eq!(
        Statement::<Deployment>::from_canonical_bytes(&bytes).unwrap(),
        st
    );
    assert_eq!(
        Statement::<Deployment>::from_json(&st.to_json().unwrap()).unwrap(),
        st
    );
    for bad in [
        String::new(),
        "only.two".into(),
        "a.b.c d".into(),
        format!("a.b.{}", "c".repeat(MAX_CI_TOKEN_LEN)),
    ] {
        d.ci_token = Some(bad.clone());
        let e = Statement::from_predicate(d.clone()).unwrap_err();
        assert!(e.to_string().contains("ciToken"), "{bad:?}: {e}");
    }
}

/// An image statement of a single manifest, as JSON without `platforms`
/// (the form every image statement had before the field existed).
const SINGLE_IMAGE_JSON: &str = r#"{
  "name": "registry.example.com/shop/api",
  "image": "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f",
  "config": "sha256:b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
  "layers": ["sha256:2804bad6fe94a55f18b2b37e300919a5fd517b95aa81e95db574c0ba069a3740"],
  "packages": [],
  "sourceCommits": [{"repository": "https://git.example.com/shop.git", "commit": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}],
  "builder": "workload:ci/build",
  "invocationId": "run-77",
  "startedAt": "2026-11-02T10:00:00Z",
  "finishedAt": "2026-11-02T10:05:00Z"
}"#;

/// The SHA-256 of that statement's canonical bytes, computed with the
/// code before `Image::platforms` existed (commit fe3d4fb).
const SINGLE_IMAGE_DIGEST: &str =
    "sha256:534eab1d229f361607490c55d948c05e3ad4ab493fedb1cba78248e4b26cf8fa";

#[test]
fn a_single_manifest_image_statement_keeps_its_bytes() {
    let image: Image = serde_json::from_str(SINGLE_IMAGE_JSON).unwrap();
    let statement = Statement::from_predicate(image).unwrap();
    let bytes = statement.to_canonical_bytes().unwrap();
    assert_eq!(Digest::sha256(&bytes).to_string(), SINGLE_IMAGE_DIGEST);
    assert!(
        !bytes.windows(9).any(|w| w == b"platforms"),
        "an empty platform list is not encoded"
    );
}

fn index_image() -> Image {
    let index = Digest::sha256(b"index");
    Image {
        image: index,
        config: index,
        layers: Vec::new(),
        platforms: vec![
            PlatformImage {
                platform: Some("linux/amd64".into()),
                manifest: Digest::sha256(b"amd64"),
                config: Digest::sha256(b"amd64 config"),
                layers: vec![Digest::sha256(b"amd64 layer")],
            },
            PlatformImage {
                platform: None,
                manifest: Digest::sha256(b"arm64"),
                config: Digest::sha256(b"arm64 config"),
                layers: Vec::new(),
            },
        ],
        ..image()
    }
}

#[test]
fn an_index_statement_round_trips_and_names_its_platforms() {
    let i = index_image();
    assert!(i.names(&i.image));
    assert!(i.names(&Digest::sha256(b"arm64")));
    assert!(!i.names(&Digest::sha256(b"amd64 config")));
    let statement = Statement::from_predicate(i.clone()).unwrap();
    let bytes = statement.to_canonical_bytes().unwrap();
    let back = Statement::<Image>::from_canonical_bytes(&bytes).unwrap();
    assert_eq!(back.predicate(), &i);
    assert_eq!(back.to_canonical_bytes().unwrap(), bytes);
}

#[test]
fn an_index_statement_has_no_config_or_layers_of_its_own() {
    let mut with_config = index_image();
    with_config.config = Digest::sha256(b"a config");
    let mut with_layers = index_image();
    with_layers.layers = vec![Digest::sha256(b"a layer")];
    let mut itself = index_image();
    itself.platforms[1].manifest = itself.image;
    let mut twice = index_image();
    twice.platforms[1].manifest = twice.platforms[0].manifest;
    for bad in [with_config, with_layers, itself, twice] {
        assert!(
            matches!(
                Statement::from_predicate(bad.clone()),
                Err(ManifestError::InvalidPredicate { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn a_release_from_an_archive_names_the_archive_by_both_digests() {
    let bytes = b"the archive";
    let mut r = release();
    let plain = Statement::from_predicate(r.clone()).unwrap();
    r.archive = Some(ReleaseArchive {
        name: "shop-api-1.4.0.crate".into(),
        format: "crate".into(),
        sha256: Digest::sha256(bytes),
        sha512: Digest::sha512(bytes),
    });
    let s = Statement::from_predicate(r.clone()).unwrap();
    let subject = &s.subjects()[0];
    assert_eq!(subject.digest.sha256, Some(Digest::sha256(bytes)));
    assert_eq!(subject.digest.sha512, Some(Digest::sha512(bytes)));
    // in-toto's DigestSet: bare hex under each algorithm's name.
    let json: serde_json::Value = serde_json::from_slice(&s.to_json().unwrap()).unwrap();
    assert_eq!(
        json["subject"][0]["digest"]["sha512"],
        serde_json::Value::String(Digest::sha512(bytes).hex())
    );
    let back =
        Statement::<Release>::from_canonical_bytes(&s.to_canonical_bytes().unwrap()).unwrap();
    assert_eq!(back, s);
    // The contents root still names it, and a directory release is unchanged.
    assert!(s.subjects()[1].digest.contains(&r.contents.root()));
    assert_eq!(plain.subjects().len(), 1);

    // A subject naming an archive the predicate does not is refused.
    let other = Subject::archive("x.crate", Digest::sha256(b"x"), Digest::sha512(b"x"));
    assert!(matches!(
        Statement::new(vec![other], r.clone()),
        Err(ManifestError::SubjectBinding { .. })
    ));
    // Digests of the wrong algorithm in the archive are refused.
    r.archive.as_mut().unwrap().sha512 = Digest::sha256(bytes);
    assert!(Statement::from_predicate(r).is_err());
}
