//! The crate's error type.

use thiserror::Error as ThisError;

/// Every error of the gate.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// The request body was not an acceptable `AdmissionReview`.
    #[error(transparent)]
    Review(#[from] ReviewError),
    /// The object under review could not be read as a workload.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
}

/// Why a request body is not an acceptable `AdmissionReview` v1.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum ReviewError {
    /// The body is larger than the gate accepts.
    #[error("AdmissionReview body of {actual} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The body's length.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not JSON, or not shaped like an `AdmissionReview`.
    #[error("malformed AdmissionReview JSON: {0}")]
    Json(String),
    /// `apiVersion` or `kind` is not `admission.k8s.io/v1` `AdmissionReview`.
    #[error(
        "not an admission.k8s.io/v1 AdmissionReview (apiVersion {api_version:?}, kind {kind:?})"
    )]
    NotAdmissionReview {
        /// The `apiVersion` received (truncated).
        api_version: String,
        /// The `kind` received (truncated).
        kind: String,
    },
    /// The review has no `request`.
    #[error("AdmissionReview has no request")]
    MissingRequest,
    /// The request's `uid` is empty or too long.
    #[error("AdmissionReview request uid is empty or longer than {limit} bytes")]
    BadUid {
        /// The limit.
        limit: usize,
    },
}

/// Why an admitted object cannot be read as a workload.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
#[non_exhaustive]
pub enum WorkloadError {
    /// The request carries no object (a DELETE, or a CONNECT).
    #[error("the request carries no object")]
    MissingObject,
    /// The kind is not one the gate checks.
    #[error("kind {0:?} is not a Pod or a workload kind the gate checks")]
    UnsupportedKind(String),
    /// The object has no pod spec where its kind puts one.
    #[error("{kind} has no pod spec at {path}")]
    MissingPodSpec {
        /// The object's kind.
        kind: String,
        /// Where the pod spec was expected.
        path: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("field {path} is not {expected}")]
    FieldType {
        /// The field.
        path: String,
        /// The expected JSON type.
        expected: &'static str,
    },
    /// More containers than the gate accepts in one object.
    #[error("{actual} containers exceed the limit of {limit}")]
    TooManyContainers {
        /// How many containers the object lists.
        actual: usize,
        /// The limit.
        limit: usize,
    },
}
