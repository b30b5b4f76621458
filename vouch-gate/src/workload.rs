//! Which images an admitted object will run, and which workload it belongs to.
//!
//! # Kinds and where their pod spec is
//!
//! | kind | pod spec | labels read for the workload name |
//! |---|---|---|
//! | Pod | `spec` | `metadata.labels` |
//! | Deployment, StatefulSet, DaemonSet, ReplicaSet, Job | `spec.template.spec` | `spec.template.metadata.labels`, then `metadata.labels` |
//! | CronJob | `spec.jobTemplate.spec.template.spec` | `spec.jobTemplate.spec.template.metadata.labels`, then `metadata.labels` |
//!
//! Every container of `containers`, `initContainers` and
//! `ephemeralContainers` is an image to check; each must be referenced by
//! digest (`name@sha256:<64 lowercase hex>`, a tag before the `@` allowed
//! and ignored), since a tag can be moved after admission.
//!
//! # The workload name
//!
//! The deployment statement names a `target.service`; the gate reads it from
//! a label ([`DEFAULT_WORKLOAD_LABEL`], `app.kubernetes.io/name`, by
//! default; configurable), first on the pod template (the labels every pod
//! of the workload will carry, so a Deployment and its pods resolve to the
//! same name), then on the object itself. The object's name is never used:
//! a Pod's name is generated, and a name chosen by whoever submits the
//! object is no evidence. No label means no workload name, and the gate
//! denies.

use serde_json::Value;
use vouch_core::Digest;

use crate::error::WorkloadError;

/// The label naming the workload unless the configuration says otherwise.
pub const DEFAULT_WORKLOAD_LABEL: &str = "app.kubernetes.io/name";

/// The most containers (of all three lists together) one object may have.
/// Kubernetes sets no such limit, but a pod with more is not a real
/// workload, and each container costs a verification.
pub const MAX_CONTAINERS: usize = 256;

/// The longest image reference read (the OCI distribution spec bounds a
/// repository name to 255 characters; a tag and a digest add under 200).
pub const MAX_IMAGE_BYTES: usize = 1024;

/// A kind the gate checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `v1` Pod.
    Pod,
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
    /// `apps/v1` ReplicaSet.
    ReplicaSet,
    /// `batch/v1` Job.
    Job,
    /// `batch/v1` CronJob.
    CronJob,
}

impl Kind {
    /// The kind for a `kind` string, if the gate checks it.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "Pod" => Self::Pod,
            "Deployment" => Self::Deployment,
            "StatefulSet" => Self::StatefulSet,
            "DaemonSet" => Self::DaemonSet,
            "ReplicaSet" => Self::ReplicaSet,
            "Job" => Self::Job,
            "CronJob" => Self::CronJob,
            _ => return None,
        })
    }

    /// The kind's name as Kubernetes spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pod => "Pod",
            Self::Deployment => "Deployment",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
            Self::ReplicaSet => "ReplicaSet",
            Self::Job => "Job",
            Self::CronJob => "CronJob",
        }
    }

    /// The path from the object to its pod template (the object itself for a
    /// Pod), as JSON keys.
    fn template_path(self) -> &'static [&'static str] {
        match self {
            Self::Pod => &[],
            Self::CronJob => &["spec", "jobTemplate", "spec", "template"],
            _ => &["spec", "template"],
        }
    }

    fn pod_spec_path_text(self) -> &'static str {
        match self {
            Self::Pod => "spec",
            Self::CronJob => "spec.jobTemplate.spec.template.spec",
            _ => "spec.template.spec",
        }
    }
}

/// Which list of the pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContainerRole {
    /// `containers`.
    Container,
    /// `initContainers` (sidecars, `restartPolicy: Always`, are here too).
    Init,
    /// `ephemeralContainers` (`kubectl debug`).
    Ephemeral,
}

impl ContainerRole {
    /// The pod spec field listing containers of this role.
    pub fn field(self) -> &'static str {
        match self {
            Self::Container => "containers",
            Self::Init => "initContainers",
            Self::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The container's name (cleaned of control characters, bounded).
    pub container: String,
    /// Which list it is in.
    pub role: ContainerRole,
    /// The image reference as written (bounded to [`MAX_IMAGE_BYTES`]).
    pub reference: String,
    /// The digest it is pinned to, or why it is not pinned.
    pub digest: Result<Digest, NotPinned>,
}

/// Why an image reference is not pinned by digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotPinned {
    /// No `@sha256:` part: a tag or a bare name.
    #[error("is referenced by tag, not by digest (name@sha256:<hex>)")]
    NoDigest,
    /// An `@` part that is not a valid `sha256:` digest.
    #[error("has an invalid digest: {0}")]
    BadDigest(String),
    /// The reference is empty or longer than [`MAX_IMAGE_BYTES`].
    #[error("has an empty or over-long image reference")]
    BadReference,
}

/// What the gate needs from an admitted object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The object's kind.
    pub kind: Kind,
    /// The workload name (the deployment statement's `target.service`), if
    /// the label is present.
    pub service: Option<String>,
    /// Every container's image, in pod spec order (containers, init, ephemeral).
    pub images: Vec<ImageRef>,
}

/// Reads the workload of `object`, whose kind (from the request's `kind`)
/// is `kind_name`, naming it by the `workload_label` label.
///
/// # Errors
///
/// [`WorkloadError`] when the kind is not checked, there is no pod spec, a
/// field has the wrong type, or there are more than [`MAX_CONTAINERS`].
pub fn extract(
    kind_name: &str,
    object: &Value,
    workload_label: &str,
) -> Result<Workload, WorkloadError> {
    let kind = Kind::from_name(kind_name)
        .ok_or_else(|| WorkloadError::UnsupportedKind(crate::review::clean(kind_name, 64)))?;
    let mut template = object;
    for key in kind.template_path() {
        template = template.get(key).ok_or(WorkloadError::MissingPodSpec {
            kind: kind.name().to_owned(),
            path: kind.pod_spec_path_text(),
        })?;
    }
    let spec =
        template
            .get("spec")
            .and_then(Value::as_object)
            .ok_or(WorkloadError::MissingPodSpec {
                kind: kind.name().to_owned(),
                path: kind.pod_spec_path_text(),
            })?;

    let service = label(template, workload_label)?.or(if kind == Kind::Pod {
        None
    } else {
        label(object, workload_label)?
    });

    let mut images = Vec::new();
    for role in [
        ContainerRole::Container,
        ContainerRole::Init,
        ContainerRole::Ephemeral,
    ] {
        let Some(list) = spec.get(role.field()) else {
            continue;
        };
        let list = list.as_array().ok_or_else(|| WorkloadError::FieldType {
            path: format!("{}.{}", kind.pod_spec_path_text(), role.field()),
            expected: "an array",
        })?;
        if images.len() + list.len() > MAX_CONTAINERS {
            return Err(WorkloadError::TooManyContainers {
                actual: images.len() + list.len(),
                limit: MAX_CONTAINERS,
            });
        }
        for (i, container) in list.iter().enumerate() {
            let path = || format!("{}.{}[{i}]", kind.pod_spec_path_text(), role.field());
            let name = match container.get("name") {
                None => String::new(),
                Some(v) => v
                    .as_str()
                    .map(|s| crate::review::clean(s, 253))
                    .ok_or_else(|| WorkloadError::FieldType {
                        path: format!("{}.name", path()),
                        expected: "a string",
                    })?,
            };
            // A container without an image is refused by the API server's
            // validation; here it is an unpinned image, so the gate denies.
            let reference = match container.get("image") {
                None => String::new(),
                Some(v) => {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| WorkloadError::FieldType {
                            path: format!("{}.image", path()),
                            expected: "a string",
                        })?
                }
            };
            let digest = pinned_digest(&reference);
            images.push(ImageRef {
                container: name,
                role,
                reference: crate::review::clean(&reference, MAX_IMAGE_BYTES),
                digest,
            });
        }
    }
    Ok(Workload {
        kind,
        service,
        images,
    })
}

/// The label `key` of `object.metadata.labels`, if present.
fn label(object: &Value, key: &str) -> Result<Option<String>, WorkloadError> {
    let Some(value) = object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get(key))
    else {
        return Ok(None);
    };
    let text = value.as_str().ok_or_else(|| WorkloadError::FieldType {
        path: format!("metadata.labels[{}]", crate::review::clean(key, 64)),
        expected: "a string",
    })?;
    // A label value is at most 63 characters in Kubernetes; an empty value
    // names nothing.
    if text.is_empty() || text.len() > 63 {
        return Ok(None);
    }
    Ok(Some(text.to_owned()))
}

/// The digest an image reference is pinned to: the part after the last
/// `@`, which must be `sha256:` and 64 lowercase hex digits.
pub fn pinned_digest(reference: &str) -> Result<Digest, NotPinned> {
    if reference.is_empty() || reference.len() > MAX_IMAGE_BYTES {
        return Err(NotPinned::BadReference);
    }
    let Some((name, digest)) = reference.rsplit_once('@') else {
        return Err(NotPinned::NoDigest);
    };
    if name.is_empty() {
        return Err(NotPinned::BadReference);
    }
    if !digest.starts_with("sha256:") {
        return Err(NotPinned::BadDigest(crate::review::clean(digest, 80)));
    }
    digest
        .parse::<Digest>()
        .map_err(|e| NotPinned::BadDigest(crate::review::clean(&e.to_string(), 120)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const D1: &str = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f";

    fn pod_spec() -> Value {
        json!({
            "containers": [{"name": "app", "image": format!("registry.example/shop/api@{D1}")}],
            "initContainers": [{"name": "init", "image": "busybox:1.36"}],
            "ephemeralContainers": [{"name": "debug", "image": format!("debug:1@{D1}")}]
        })
    }

    #[test]
    fn reads_every_container_of_a_pod() {
        let pod = json!({"kind": "Pod", "metadata": {"labels": {"app.kubernetes.io/name": "api"}}, "spec": pod_spec()});
        let w = extract("Pod", &pod, DEFAULT_WORKLOAD_LABEL).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.service.as_deref(), Some("api"));
        assert_eq!(w.images.len(), 3);
        assert_eq!(w.images[0].role, ContainerRole::Container);
        assert_eq!(
            w.images[0]
                .digest
                .as_ref()
                .map(ToString::to_string)
                .ok()
                .as_deref(),
            Some(D1)
        );
        assert_eq!(w.images[1].role, ContainerRole::Init);
        assert_eq!(w.images[1].digest, Err(NotPinned::NoDigest));
        assert_eq!(w.images[2].role, ContainerRole::Ephemeral);
        assert!(w.images[2].digest.is_ok());
    }

    #[test]
    fn reads_the_template_of_each_workload_kind() {
        for kind in [
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "Job",
        ] {
            let obj = json!({"metadata": {"labels": {"app.kubernetes.io/name": "outer"}},
                "spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "api"}}, "spec": pod_spec()}}});
            let w = extract(kind, &obj, DEFAULT_WORKLOAD_LABEL)
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(w.service.as_deref(), Some("api"), "{kind}");
            assert_eq!(w.images.len(), 3, "{kind}");
        }
        let cron = json!({"metadata": {"labels": {"app.kubernetes.io/name": "nightly"}},
            "spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": {"spec": pod_spec()}}}}});
        let w = extract("CronJob", &cron, DEFAULT_WORKLOAD_LABEL).unwrap_or_else(|e| panic!("{e}"));
        // No label on the template: the CronJob's own label names it.
        assert_eq!(w.service.as_deref(), Some("nightly"));
        assert_eq!(w.images.len(), 3);
    }

    #[test]
    fn a_configured_label_and_a_missing_label() {
        let pod = json!({"metadata": {"labels": {"app": "legacy"}}, "spec": pod_spec()});
        assert_eq!(
            extract("Pod", &pod, "app").map(|w| w.service),
            Ok(Some("legacy".to_owned()))
        );
        assert_eq!(
            extract("Pod", &pod, DEFAULT_WORKLOAD_LABEL).map(|w| w.service),
            Ok(None)
        );
    }

    #[test]
    fn refuses_unknown_kinds_missing_specs_and_wrong_types() {
        assert!(matches!(
            extract("Service", &json!({}), "app"),
            Err(WorkloadError::UnsupportedKind(_))
        ));
        assert!(matches!(
            extract("Deployment", &json!({"spec": {}}), "app"),
            Err(WorkloadError::MissingPodSpec { .. })
        ));
        assert!(matches!(
            extract("Pod", &json!({"spec": {"containers": {}}}), "app"),
            Err(WorkloadError::FieldType { .. })
        ));
        assert!(matches!(
            extract(
                "Pod",
                &json!({"spec": {"containers": [{"image": 7}]}}),
                "app"
            ),
            Err(WorkloadError::FieldType { .. })
        ));
        let many: Vec<Value> = (0..=MAX_CONTAINERS)
            .map(|_| json!({"image": "x"}))
            .collect();
        assert!(matches!(
            extract("Pod", &json!({"spec": {"containers": many}}), "app"),
            Err(WorkloadError::TooManyContainers { .. })
        ));
    }

    #[test]
    fn pinned_digests() {
        assert!(pinned_digest(&format!("r.example/a:1.0@{D1}")).is_ok());
        assert_eq!(pinned_digest("nginx"), Err(NotPinned::NoDigest));
        assert_eq!(pinned_digest("nginx:latest"), Err(NotPinned::NoDigest));
        assert_eq!(pinned_digest(""), Err(NotPinned::BadReference));
        assert_eq!(
            pinned_digest(&format!("@{D1}")),
            Err(NotPinned::BadReference)
        );
        assert!(matches!(
            pinned_digest("a@sha512:00"),
            Err(NotPinned::BadDigest(_))
        ));
        assert!(matches!(
            pinned_digest("a@sha256:ABC"),
            Err(NotPinned::BadDigest(_))
        ));
        assert!(matches!(
            pinned_digest(&format!(
                "a@{}",
                D1.to_uppercase().replace("SHA256", "sha256")
            )),
            Err(NotPinned::BadDigest(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn pinned_digest_never_panics(s in "\\PC{0,200}") {
            let _ = pinned_digest(&s);
        }
    }
}
