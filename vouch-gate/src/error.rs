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
    /// An admission record could not be written, or was not accepted.
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// Why an admission record was not written, or not accepted (see
/// [`crate::admission`]).
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum RecordError {
    /// The gate's signing key cannot be opened.
    #[error("the gate's signing key: {0}")]
    Key(#[source] vouch_keys::Error),
    /// A record file or the directory cannot be read or written.
    #[error("admission record {path}: {source}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Over the size bound.
    #[error("the admission record is over {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: usize,
    },
    /// Not a signed verification summary.
    #[error("the admission record does not read as a signed verification summary: {0}")]
    Decode(#[source] vouch_manifest::ManifestError),
    /// A signature is not the gate's own (another key), or does not verify
    /// (the record was altered).
    #[error("the admission record is not signed by this gate's key: {0}")]
    Signature(#[source] vouch_manifest::ManifestError),
    /// The record (or the verdict to record) is not a pass.
    #[error("the admission record is not of a passing verdict")]
    NotPassed,
    /// The record names another tuple than the one it is filed under.
    #[error("the admission record names {field} {found:?}, not {expected:?}")]
    Mismatch {
        /// The field.
        field: &'static str,
        /// What the request has.
        expected: String,
        /// What the record names.
        found: String,
    },
    /// The record claims a time after now.
    #[error("the admission record is dated {at}, in the future")]
    FromTheFuture {
        /// Its time.
        at: vouch_core::Timestamp,
    },
    /// The verdict cannot be summarized.
    #[error("cannot summarize the verdict: {0}")]
    Summary(#[source] vouch_chain::ChainError),
    /// The signed record cannot be encoded.
    #[error("cannot encode the admission record: {0}")]
    Encode(#[source] vouch_manifest::ManifestError),
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
