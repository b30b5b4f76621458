//! The gate's rules that hold before any chain is verified: exempt
//! namespaces, images by tag, a missing workload label, a missing bundle
//! (fail closed), a bundle with no statement for the image, and dry-run.
//! The roster here has no identities, so nothing could verify: every
//! admission below comes from a rule, not from a verdict.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use vouch_chain::{Bundle, Policy, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_gate::audit::Outcome;
use vouch_gate::gate::{Gate, GateSettings};
use vouch_gate::review;
use vouch_gate::source::{BundleSource, DirSource, file_name};
use vouch_keys::FileKey;
use vouch_manifest::{RootKeys, Roster, RosterChain, Signed, Statement};

const IMAGE: &str = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";

fn verifier() -> (Arc<Verifier>, Digest) {
    let root = FileKey::generate(vouch_core::Algorithm::Ed25519).unwrap();
    let roster = Roster {
        name: "gate.example.com".into(),
        version: 1,
        expires: "2099-01-01T00:00:00Z".parse().unwrap(),
        root: RootKeys {
            keys: vec![root.public_key().clone()],
            threshold: 1,
        },
        identities: Vec::new(),
        roles: Default::default(),
        authenticators: Default::default(),
        tpm: Default::default(),
        witnesses: Default::default(),
        ci: Default::default(),
    };
    let signed = Signed::sign(&Statement::from_predicate(roster).unwrap(), &root).unwrap();
    let trusted = RosterChain::new(vec![signed])
        .verify_insecure_unpinned(Timestamp::now())
        .unwrap();
    let policy = Policy::from_bytes(vouch_test_support::DEMO_POLICY.as_bytes()).unwrap();
    let digest = policy.digest();
    (Arc::new(Verifier::new(policy, trusted)), digest)
}

fn gate(dir: &std::path::Path, dry_run: bool) -> Gate {
    let (verifier, policy) = verifier();
    let sources: Vec<Arc<dyn BundleSource>> = vec![Arc::new(DirSource::new(dir))];
    Gate::new(
        GateSettings {
            cluster: "eu-1".into(),
            environment: Some("production".into()),
            workload_label: vouch_gate::workload::DEFAULT_WORKLOAD_LABEL.into(),
            dry_run,
            exempt_namespaces: vec!["kube-system".into()],
            fetch_timeout: Duration::from_secs(2),
        },
        verifier,
        policy,
        sources,
        16,
    )
}

fn fixture(name: &str) -> review::AdmissionRequest {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    review::decode(&std::fs::read(path).unwrap())
        .unwrap()
        .request
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-gate-rules-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn exempt_namespaces_are_admitted_unchecked() {
    let dir = temp_dir("exempt");
    let mut request = fixture("cronjob.json");
    request.namespace = Some("kube-system".into());
    let r = gate(&dir, false).review(&request, Timestamp::now());
    assert!(r.decision.allowed);
    assert_eq!(r.audit.outcome, Outcome::Exempt);
}

#[test]
fn an_image_by_tag_is_denied_with_the_container_named() {
    let dir = temp_dir("tag");
    let r = gate(&dir, false).review(&fixture("cronjob.json"), Timestamp::now());
    assert!(!r.decision.allowed);
    assert!(
        r.decision.message.contains("containers \"report\""),
        "{}",
        r.decision.message
    );
    assert!(
        r.decision.message.contains("referenced by tag"),
        "{}",
        r.decision.message
    );
    assert_eq!(
        r.audit.images,
        vec!["registry.example/shop/report:latest".to_owned()]
    );
}

#[test]
fn a_missing_bundle_denies_and_an_empty_one_names_no_statement() {
    let dir = temp_dir("missing");
    let g = gate(&dir, false);
    let r = g.review(&fixture("pod.json"), Timestamp::now());
    assert!(!r.decision.allowed);
    assert!(
        r.decision
            .message
            .contains(&format!("no bundle for image {IMAGE}")),
        "{}",
        r.decision.message
    );
    // Both containers (the init container too) are named.
    assert!(
        r.decision.message.contains("initContainers \"migrate\""),
        "{}",
        r.decision.message
    );

    let image: Digest = IMAGE.parse().unwrap();
    std::fs::write(
        dir.join(file_name(&image)),
        Bundle::new().to_bytes().unwrap(),
    )
    .unwrap();
    let r = g.review(&fixture("pod.json"), Timestamp::now());
    assert!(!r.decision.allowed);
    assert!(
        r.decision
            .message
            .contains("no deployment statement in the bundle names image"),
        "{}",
        r.decision.message
    );
    // The second container's identical question was answered from the cache.
    assert_eq!(r.cache_hits, 1);
    assert_eq!(g.cached(), 1);
}

#[test]
fn a_missing_workload_label_denies() {
    let dir = temp_dir("label");
    let mut request = fixture("deployment.json");
    if let Some(object) = request.object.as_mut() {
        object["spec"]["template"]["metadata"]["labels"] = serde_json::json!({});
        object["metadata"]["labels"] = serde_json::json!({});
    }
    let r = gate(&dir, false).review(&request, Timestamp::now());
    assert!(!r.decision.allowed);
    assert!(
        r.decision.message.contains("app.kubernetes.io/name"),
        "{}",
        r.decision.message
    );
}

#[test]
fn dry_run_allows_with_warnings() {
    let dir = temp_dir("dry");
    let r = gate(&dir, true).review(&fixture("cronjob.json"), Timestamp::now());
    assert!(r.decision.allowed);
    assert_eq!(r.audit.outcome, Outcome::DryRunDenied);
    assert!(r.audit.dry_run);
    assert!(r.decision.warnings.iter().any(|w| w.contains("would deny")));
    let body = review::respond("u", &r.decision);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["response"]["allowed"], true);
    assert!(
        v["response"]["warnings"]
            .as_array()
            .is_some_and(|w| !w.is_empty())
    );
}
