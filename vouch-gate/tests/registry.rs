//! The registry bundle source against test-support's docker-registry: a
//! pod whose image carries an attached bundle (its signed chain made for
//! the pushed image's manifest digest) is admitted by `Gate::review`, a pod
//! of another image without one is denied, and with the registry stopped
//! the first pod is denied with the fetch's reason (fail closed).
//! The same over HTTPS: the webhook, configured with the registry as a
//! bundle source, admits a Pod and a Deployment of the image and denies the
//! Pod in another namespace.
//! A missing tool prints a SKIP notice and passes, except under CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use vouch_chain::{Policy, Verifier};
use vouch_core::{Digest, Timestamp};
use vouch_gate::audit::Outcome;
use vouch_gate::gate::{Gate, GateSettings};
use vouch_gate::registry_source::RegistrySource;
use vouch_gate::review::{self, AdmissionRequest};
use vouch_gate::source::BundleSource;
use vouch_manifest::RosterChain;
use vouch_oci::reference::ImageRef;
use vouch_oci::registry::{Registry, RegistryOptions, Transport};
use vouch_test_support::chain::{ChainSpec, build};

const IMAGE: &str = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";

/// The pod fixture (namespace shop, workload api) pinned to `image`.
fn pod(image: &Digest) -> AdmissionRequest {
    let path = format!("{}/tests/fixtures/pod.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace(IMAGE, &image.to_string());
    review::decode(text.as_bytes()).unwrap().request
}

#[test]
fn a_pod_is_admitted_on_the_bundle_attached_in_its_registry() {
    if !vouch_test_support::registry::tools_available("the gate's registry source")
        || !vouch_test_support::oci::tools_available("the gate's registry source")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("L");
    vouch_test_support::oci::build_image(&layout, "v1", &[("/app", b"api")]);
    vouch_test_support::oci::build_image(&layout, "v2", &[("/app", b"other")]);
    let harness = vouch_test_support::registry::Registry::start(tmp.path());
    harness.push(&layout, "v1", "shop/api");
    harness.push(&layout, "v2", "shop/api");
    let digest_of = |tag: &str| -> Digest {
        vouch_test_support::oci::skopeo_inspect(&layout, tag)["Digest"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (image, other) = (digest_of("v1"), digest_of("v2"));

    // The chain for the pushed image's manifest digest, attached there.
    let chain = build(&ChainSpec::new(image));
    let reference = ImageRef::parse(&format!("{}/shop/api:v1", harness.host())).unwrap();
    let client = Registry::new(
        &reference,
        RegistryOptions {
            timeout: Duration::from_secs(10),
            transport: Transport::PlainHttp,
            ..RegistryOptions::default()
        },
    )
    .unwrap();
    client
        .attach(&reference, &chain.bundle.to_bytes().unwrap())
        .unwrap();

    let trusted = RosterChain::from_bytes(&chain.roster)
        .unwrap()
        .verify(&chain.roster_pin, Timestamp::now())
        .unwrap();
    let policy = Policy::from_bytes(chain.policy.as_bytes()).unwrap();
    let policy_digest = policy.digest();
    let source = RegistrySource::new(
        &format!("{}/shop/api", harness.host()),
        true,
        None,
        Duration::from_secs(5),
    )
    .unwrap();
    let sources: Vec<Arc<dyn BundleSource>> = vec![Arc::new(source)];
    let gate = Gate::new(
        GateSettings {
            cluster: "eu-1".into(),
            environment: Some("production".into()),
            workload_label: vouch_gate::workload::DEFAULT_WORKLOAD_LABEL.into(),
            dry_run: false,
            exempt_namespaces: Vec::new(),
            fetch_timeout: Duration::from_secs(5),
        },
        Arc::new(Verifier::new(policy, trusted)),
        policy_digest,
        sources,
        16,
    );

    let admitted = gate.review(&pod(&image), Timestamp::now());
    assert!(admitted.decision.allowed, "{}", admitted.decision.message);
    assert_eq!(admitted.audit.outcome, Outcome::Allowed);

    let denied = gate.review(&pod(&other), Timestamp::now());
    assert!(!denied.decision.allowed);
    assert!(
        denied.decision.message.contains("no bundle"),
        "{}",
        denied.decision.message
    );

    drop(harness);
    let closed = gate.review(&pod(&image), Timestamp::now());
    assert!(!closed.decision.allowed, "admitted with the registry gone");
    assert!(
        closed.decision.message.contains("fetching the bundle"),
        "{}",
        closed.decision.message
    );
}

#[test]
fn a_registry_entry_with_a_tag_or_plain_http_elsewhere_is_refused() {
    let t = Duration::from_secs(1);
    assert!(RegistrySource::new("127.0.0.1:5000/shop/api:v1", true, None, t).is_err());
    assert!(RegistrySource::new("127.0.0.1:5000/shop/api@sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f", true, None, t).is_err());
    assert!(RegistrySource::new("192.0.2.1:5000/shop/api", true, None, t).is_err());
    assert!(RegistrySource::new("127.0.0.1:5000/shop/api", true, None, t).is_ok());
}

#[test]
fn the_webhook_admits_a_pod_and_a_deployment_on_the_bundle_in_the_registry() {
    if !vouch_test_support::registry::tools_available("the gate's registry source over HTTPS")
        || !vouch_test_support::oci::tools_available("the gate's registry source over HTTPS")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("L");
    vouch_test_support::oci::build_image(&layout, "v1", &[("/app", b"api")]);
    let harness = vouch_test_support::registry::Registry::start(tmp.path());
    harness.push(&layout, "v1", "shop/api");
    let image: Digest = vouch_test_support::oci::skopeo_inspect(&layout, "v1")["Digest"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let chain = build(&ChainSpec::new(image));
    // Attached before the server's runtime exists: the client blocks on a
    // runtime of its own.
    let reference = ImageRef::parse(&format!("{}/shop/api@{image}", harness.host())).unwrap();
    Registry::new(
        &reference,
        RegistryOptions {
            timeout: Duration::from_secs(10),
            transport: Transport::PlainHttp,
            ..RegistryOptions::default()
        },
    )
    .unwrap()
    .attach(&reference, &chain.bundle.to_bytes().unwrap())
    .unwrap();
    // No bundle file in the gate's directory: only the registry has it.
    let inputs = vouch_test_support::gate::GateInputs {
        roster: chain.roster.clone(),
        roster_pin: chain.roster_pin,
        policy: chain.policy.clone(),
        bundles: Vec::new(),
        cache_size: 0,
    };
    let extra = format!(
        "[[bundles]]\nregistry = {{ repository = \"{}/shop/api\", plain-http = true }}\n",
        harness.host()
    );
    let fixture = |name: &str, namespace: &str| -> Vec<u8> {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .replace(IMAGE, &image.to_string())
        .replace("\"shop\"", &format!("\"{namespace}\""))
        .into_bytes()
    };
    let allowed = |body: &str| -> bool {
        let v: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        v["response"]["allowed"] == true
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let r = vouch_test_support::gate::start_with(
            "registry-https",
            &inputs,
            vouch_gate::server::Limits::default(),
            &extra,
        )
        .await;
        for kind in ["pod.json", "deployment.json"] {
            let (status, body) =
                vouch_test_support::gate::post(&r, "/validate", &fixture(kind, "shop")).await;
            assert_eq!(status, 200, "{kind}: {body}");
            assert!(allowed(&body), "{kind}: {body}");
        }
        let (status, body) =
            vouch_test_support::gate::post(&r, "/validate", &fixture("pod.json", "payments")).await;
        assert_eq!(status, 200, "{body}");
        assert!(!allowed(&body), "{body}");
        assert!(body.contains("payments"), "{body}");
    });
}
