//! AdmissionReview payloads shaped as the API server sends them (a Pod
//! created by a ReplicaSet, a Deployment from kubectl apply, a CronJob
//! update in dry-run), decoded and read as workloads.

#![allow(clippy::panic)]
use vouch_gate::review::{self, Decision};
use vouch_gate::workload::{self, ContainerRole, DEFAULT_WORKLOAD_LABEL, Kind, NotPinned};

const IMAGE: &str = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";

fn read(name: &str) -> (review::Review, workload::Workload) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let r = review::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let object = r
        .request
        .object
        .clone()
        .unwrap_or_else(|| panic!("{name}: no object"));
    let w = workload::extract(&r.request.kind.kind, &object, DEFAULT_WORKLOAD_LABEL)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (r, w)
}

#[test]
fn a_pod_from_a_replicaset() {
    let (r, w) = read("pod.json");
    assert_eq!(r.request.namespace.as_deref(), Some("shop"));
    assert_eq!(r.request.operation, "CREATE");
    assert_eq!(w.kind, Kind::Pod);
    assert_eq!(w.service.as_deref(), Some("api"));
    let roles: Vec<_> = w
        .images
        .iter()
        .map(|i| (i.role, i.container.as_str()))
        .collect();
    assert_eq!(
        roles,
        vec![
            (ContainerRole::Container, "api"),
            (ContainerRole::Init, "migrate")
        ]
    );
    for image in &w.images {
        assert_eq!(
            image
                .digest
                .as_ref()
                .map(ToString::to_string)
                .ok()
                .as_deref(),
            Some(IMAGE)
        );
    }
}

#[test]
fn a_deployment_with_tag_and_digest() {
    let (_, w) = read("deployment.json");
    assert_eq!(w.kind, Kind::Deployment);
    assert_eq!(w.service.as_deref(), Some("api"));
    assert_eq!(w.images.len(), 1);
    assert!(w.images[0].digest.is_ok());
}

#[test]
fn a_cronjob_by_tag_in_dry_run() {
    let (r, w) = read("cronjob.json");
    assert_eq!(r.request.dry_run, Some(true));
    assert_eq!(w.kind, Kind::CronJob);
    assert_eq!(w.service.as_deref(), Some("report"));
    assert_eq!(w.images[0].digest, Err(NotPinned::NoDigest));
    let body = review::respond(
        &r.request.uid,
        &Decision {
            allowed: false,
            message: "image not pinned".into(),
            warnings: vec![],
        },
    );
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["response"]["uid"], "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b");
}
