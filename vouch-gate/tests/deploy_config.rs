//! deploy/gate.yaml, what a platform team applies, read as the Kubernetes
//! objects it declares: every document deserialized into its k8s-openapi
//! type (Namespace, ConfigMap, Deployment, Service,
//! ValidatingWebhookConfiguration) and serialized back to the same JSON,
//! so a misspelt or misplaced field (which k8s-openapi, like the API
//! server's lenient decoding, would drop) fails here rather than being
//! ignored by the cluster; then the values the gate's safety rests on, and
//! the ConfigMap's gate.toml accepted by the gate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use k8s_openapi::Resource;
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolumeClaim, Service};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use vouch_gate::config::{BundleSourceConfig, Config};

/// Every document of deploy/gate.yaml, as JSON values.
fn documents() -> Vec<Value> {
    let path = format!("{}/../deploy/gate.yaml", env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_multiple::<Value>(&yaml).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The one document of kind `T` (apiVersion and kind both matched),
/// deserialized as `T`, after checking that `T` serializes back to exactly
/// the document: nothing in it was unknown to the type.
fn typed<T: Resource + DeserializeOwned + Serialize>(docs: &[Value]) -> T {
    let mut found: Vec<&Value> = docs
        .iter()
        .filter(|d| d["apiVersion"] == T::API_VERSION && d["kind"] == T::KIND)
        .collect();
    assert_eq!(found.len(), 1, "one {} in deploy/gate.yaml", T::KIND);
    strict(found.remove(0)).unwrap_or_else(|e| panic!("deploy/gate.yaml: {e}"))
}

/// `doc` as `T`, refused when it is not one or when serializing the `T`
/// back does not give `doc` again. k8s-openapi's types skip unknown fields
/// (no `deny_unknown_fields`), so the round trip is what denies them.
fn strict<T: Resource + DeserializeOwned + Serialize>(doc: &Value) -> Result<T, String> {
    let object: T = serde_json::from_value(doc.clone())
        .map_err(|e| format!("the {} is not a valid {}: {e}", T::KIND, T::KIND))?;
    let back = serde_json::to_value(&object).map_err(|e| e.to_string())?;
    if &back != doc {
        return Err(format!(
            "the {} has fields its Kubernetes type does not know (or in the wrong place):\n\
             {doc}\nread as\n{back}",
            T::KIND
        ));
    }
    Ok(object)
}

#[test]
fn a_misspelt_or_misplaced_field_is_caught() {
    let docs = documents();
    let service = docs.iter().find(|d| d["kind"] == "Service").unwrap();
    assert!(strict::<Service>(service).is_ok());
    // A typo the API server would drop silently.
    let mut typo = service.clone();
    typo["spec"]["selectr"] = typo["spec"]["selector"].take();
    assert!(strict::<Service>(&typo).is_err());
    // A webhook field one level too high.
    let hook = docs
        .iter()
        .find(|d| d["kind"] == "ValidatingWebhookConfiguration")
        .unwrap();
    let mut misplaced = hook.clone();
    misplaced["failurePolicy"] = "Fail".into();
    assert!(strict::<ValidatingWebhookConfiguration>(&misplaced).is_err());
    // A wrong type is not a valid object at all.
    let mut wrong = hook.clone();
    wrong["webhooks"][0]["timeoutSeconds"] = "ten".into();
    assert!(strict::<ValidatingWebhookConfiguration>(&wrong).is_err());
}

#[test]
fn every_document_is_a_kubernetes_object_of_a_known_kind() {
    let docs = documents();
    let kinds: Vec<(String, String)> = docs
        .iter()
        .map(|d| {
            (
                d["apiVersion"].as_str().unwrap_or_default().to_owned(),
                d["kind"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let known = [
        (Namespace::API_VERSION, Namespace::KIND),
        (ConfigMap::API_VERSION, ConfigMap::KIND),
        (Deployment::API_VERSION, Deployment::KIND),
        (Service::API_VERSION, Service::KIND),
        (
            PersistentVolumeClaim::API_VERSION,
            PersistentVolumeClaim::KIND,
        ),
        (
            ValidatingWebhookConfiguration::API_VERSION,
            ValidatingWebhookConfiguration::KIND,
        ),
    ];
    for (api_version, kind) in &kinds {
        assert!(
            known.iter().any(|(v, k)| v == api_version && k == kind),
            "deploy/gate.yaml: an unchecked object {api_version} {kind}"
        );
    }
    assert_eq!(kinds.len(), known.len(), "{kinds:?}");
    // Each parses as its type, with nothing unknown.
    typed::<Namespace>(&docs);
    typed::<ConfigMap>(&docs);
    typed::<Deployment>(&docs);
    typed::<Service>(&docs);
    let claim = typed::<PersistentVolumeClaim>(&docs);
    typed::<ValidatingWebhookConfiguration>(&docs);
    // The admission records live on the claim, shared by the replicas.
    let gate = typed::<Deployment>(&docs);
    let volumes = gate
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|s| s.volumes)
        .unwrap_or_default();
    assert!(
        volumes
            .iter()
            .any(|v| v
                .persistent_volume_claim
                .as_ref()
                .is_some_and(|c| Some(&c.claim_name) == claim.metadata.name.as_ref())),
        "the gate mounts the records claim"
    );
}

#[test]
fn the_webhook_fails_closed_and_covers_pods_and_every_workload_kind() {
    let docs = documents();
    let config = typed::<ValidatingWebhookConfiguration>(&docs);
    let webhooks = config.webhooks.expect("webhooks");
    assert_eq!(webhooks.len(), 1);
    let hook = &webhooks[0];
    assert_eq!(hook.failure_policy.as_deref(), Some("Fail"), "fail closed");
    assert_eq!(hook.side_effects, "None");
    assert_eq!(hook.admission_review_versions, ["v1"]);
    assert!(hook.timeout_seconds.is_some_and(|t| t <= 30));
    // The gate's own namespace is left out, so a broken gate can be
    // redeployed; the Namespace carries the label the selector excludes.
    let selector = hook.namespace_selector.as_ref().expect("namespaceSelector");
    let exprs = selector
        .match_expressions
        .as_ref()
        .expect("matchExpressions");
    assert!(exprs.iter().any(|e| e.key == "vouch.dev/gate"
        && e.operator == "NotIn"
        && e.values.as_deref() == Some(&["exempt".to_owned()][..])));
    let namespace = typed::<Namespace>(&docs);
    assert_eq!(
        namespace
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("vouch.dev/gate"))
            .map(String::as_str),
        Some("exempt")
    );
    let service = hook.client_config.service.as_ref().expect("a service");
    assert_eq!(service.path.as_deref(), Some("/validate"));
    assert_eq!(service.namespace, "vouch-gate");
    // Pods and each workload kind the gate reads (vouch_gate::workload),
    // on create and update.
    let rules = hook.rules.as_ref().expect("rules");
    for (group, resource) in [
        ("", "pods"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
    ] {
        let rule = rules
            .iter()
            .find(|r| {
                r.api_groups
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|g| g == group)
                    && r.resources
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .any(|x| x == resource)
            })
            .unwrap_or_else(|| panic!("no rule covers {group}/{resource}"));
        let ops = rule.operations.as_deref().unwrap_or_default();
        for op in ["CREATE", "UPDATE"] {
            assert!(ops.iter().any(|o| o == op), "{group}/{resource}: {op}");
        }
    }
}

#[test]
fn the_service_reaches_the_webhook_port_of_the_gate() {
    let docs = documents();
    let deployment = typed::<Deployment>(&docs);
    let spec = deployment.spec.expect("spec");
    assert!(
        spec.replicas.is_some_and(|r| r >= 2),
        "more than one replica"
    );
    let pod = spec.template.spec.expect("pod spec");
    let gate = &pod.containers[0];
    let image = gate.image.as_deref().expect("image");
    assert!(image.contains("@sha256:"), "the gate pinned by digest");
    let ports = gate.ports.as_deref().unwrap_or_default();
    assert!(
        ports
            .iter()
            .any(|p| p.name.as_deref() == Some("webhook") && p.container_port == 8443)
    );
    let security = gate.security_context.as_ref().expect("securityContext");
    assert_eq!(security.run_as_non_root, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    let service = typed::<Service>(&docs);
    let service_spec = service.spec.expect("spec");
    assert_eq!(
        service_spec.selector,
        spec.template.metadata.and_then(|m| m.labels),
        "the Service selects the gate's pods"
    );
    let port = &service_spec.ports.expect("ports")[0];
    assert_eq!(port.port, 443);
    assert_eq!(
        port.target_port,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("webhook".into()))
    );
}

#[test]
fn the_deployed_configuration_is_accepted() {
    let docs = documents();
    let config_map = typed::<ConfigMap>(&docs);
    let toml = config_map
        .data
        .as_ref()
        .and_then(|d| d.get("gate.toml"))
        .expect("the ConfigMap holds gate.toml");
    let config = Config::from_toml(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(config.cluster, "eu-1");
    assert!(
        config.is_exempt("vouch-gate"),
        "the gate never reviews its own namespace"
    );
    assert!(matches!(
        config.bundles.first(),
        Some(BundleSourceConfig::Dir(_))
    ));
}
