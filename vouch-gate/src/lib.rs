//! `vouch gate`: a Kubernetes validating admission webhook that admits a
//! workload only when every container image is referenced by digest and the
//! deployment statement for that image, cluster, namespace and workload
//! verifies against the roster and policy.
//!
//! This crate is the only one in the workspace meant to carry an async
//! runtime; the libraries it calls stay synchronous. It is built one concept
//! per module:
//!
//! - [`admission`]: the signed admission records that let an admitted
//!   workload's pods be admitted again after the deployment's `max_age`
//!   (the rule is in that module's docs).
//! - [`audit`]: one JSON line per decision, with the trace digests.
//! - [`cache`]: the bounded, expiring verdict cache.
//! - [`config`]: the TOML configuration file.
//! - [`decide`]: finding the deployment statements that name an image in
//!   an untrusted bundle and verifying them for the placement.
//! - `metrics` (feature `server`, on by default): `/healthz`, `/readyz` and Prometheus text on a separate port.
//! - `server` (feature `server`): the HTTPS webhook (`POST /validate`) and its bounds, and
//!   `serve`, which runs the gate as configured.
//! - `reload` (feature `server`): the roster, policy and TLS files reloaded on change.
//! - [`trust`]: loading the roster (pin, state) and the policy.
//! - [`gate`]: the decision for a whole request (exemptions, pinning,
//!   fetch, decide, cache, dry-run) and its audit record.
//! - [`review`]: decoding an `AdmissionReview` (admission.k8s.io/v1) from
//!   untrusted bytes, with a size bound, and building the response.
//! - [`source`]: the bundle source trait, the directory source and the
//!   fail-closed fetch timeout.
//! - `registry_source` (feature `server`): the bundles attached to an
//!   image in an OCI registry, through vouch-oci's registry client.
//! - [`workload`]: which images a Pod or a workload kind (Deployment,
//!   StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) will run, whether each
//!   is pinned by digest, and which workload name (the deployment
//!   statement's `target.service`) the object belongs to.
//!
//! # Re-admission after `max_age`
//!
//! A deployment's `max_age` bounds when a workload may *start*, not how
//! long it may keep scheduling pods. On a first admission the gate signs an
//! admission record (a VSA, with its own `signing-key`); a later verdict for
//! the same deployment, image, cluster, namespace and workload that fails
//! only because the deployment is too old is admitted on that record, and
//! every other failure still denies. The rule, what a record proves and how
//! it meets the cache are in [`admission`].
//!
//! # Multi-platform images
//!
//! A pod pinned to an image index's digest needs a deployment of that
//! digest; one pinned to a platform manifest is admitted through a
//! deployment of an index whose verified image statement lists it (see
//! [`decide`]).
//!
//! # Why our own admission types
//!
//! k8s-openapi has no `admission.k8s.io` types: `AdmissionReview` is not in
//! the API server's OpenAPI document, which k8s-openapi is generated from
//! (it is used here for what it has, in the tests that read `deploy/` as
//! Kubernetes objects). `kube-core`'s `admission` feature defines them, but
//! brings all of k8s-openapi and `json-patch` into the server's build.
//! The envelope is small (a dozen fields) and stable in
//! admission.k8s.io/v1, so it is a handful of serde structs here, with the
//! field names of admission.k8s.io/v1 exactly (camelCase, `uid` echoed),
//! and the embedded object is walked as bounded JSON without building the
//! full typed object.
#![forbid(unsafe_code)]

pub mod admission;
pub mod audit;
pub mod cache;
pub mod config;
pub mod decide;
pub mod error;
pub mod gate;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod registry_source;
#[cfg(feature = "server")]
pub mod reload;
pub mod review;
#[cfg(feature = "server")]
pub mod server;
pub mod source;
pub mod trust;
pub mod workload;

#[cfg(feature = "server")]
pub use server::{ServeError, serve};

pub use error::{Error, RecordError, ReviewError, WorkloadError};
