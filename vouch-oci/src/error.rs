use std::path::PathBuf;

use vouch_core::Digest;

/// Why reading an OCI image or layout failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// A file of the layout could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is larger than its limit.
    #[error("{path} is larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// A JSON document of the layout is malformed.
    #[error("{path} is not a valid {what}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What it should have been (`index.json`, an image manifest...).
        what: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The `oci-layout` file names a version this crate does not read.
    #[error("unsupported OCI layout version {0:?}")]
    LayoutVersion(String),
    /// A descriptor's digest is not a `sha256:` digest of 64 hex digits.
    #[error("unsupported or malformed digest {0:?}")]
    BadDigest(String),
    /// A blob's bytes do not hash to the digest that names them.
    #[error("blob {expected} hashes to {actual}")]
    DigestMismatch {
        /// The digest the descriptor names.
        expected: Digest,
        /// The digest of the bytes read.
        actual: Digest,
    },
    /// A blob's length differs from its descriptor's size.
    #[error("blob {digest} is {actual} bytes, its descriptor says {expected}")]
    SizeMismatch {
        /// The blob.
        digest: Digest,
        /// The descriptor's size.
        expected: u64,
        /// The bytes read.
        actual: u64,
    },
    /// A path of the layout is a symbolic link, or not the kind it must be
    /// (a regular file for `index.json` and blobs, a directory for `blobs/`
    /// and `blobs/sha256/`), or changed between its check and its opening.
    #[error("{0} is a symbolic link or not a regular file or directory of the layout")]
    NotRegularFile(PathBuf),
    /// No manifest carries the requested tag.
    #[error("no manifest tagged {0:?} in the layout")]
    TagNotFound(String),
    /// No tag was given and the layout does not hold exactly one manifest.
    #[error("the layout holds {0} manifests: name one with DIR:TAG")]
    Ambiguous(usize),
    /// A descriptor or document has a media type this crate does not read
    /// there (e.g. an index inside an index, or a Docker manifest).
    #[error("unsupported media type {0:?}")]
    MediaType(String),
    /// An artifact manifest's `artifactType` is not the vouch bundle's
    /// (the text found, empty when absent).
    #[error("not a vouch bundle artifact (artifactType {0:?})")]
    NotABundle(String),
    /// An artifact manifest does not have exactly one layer.
    #[error("a vouch bundle artifact has exactly one layer, this one has {0}")]
    LayerCount(usize),
    /// An artifact manifest has no `subject`.
    #[error("the artifact manifest names no subject")]
    NoSubject,
    /// An artifact is about another image than the one asked for.
    #[error("the artifact's subject is {actual}, not {expected}")]
    WrongSubject {
        /// The image asked for.
        expected: Digest,
        /// The image the artifact names.
        actual: Digest,
    },
    /// An OCI document could not be assembled (a required field missing).
    #[error("building the {0} failed")]
    Build(&'static str),
    /// A referrers index lists more descriptors than [`crate::referrers::MAX_REFERRERS`].
    #[error("the referrers index lists more than {0} descriptors")]
    TooManyReferrers(usize),
    /// An image reference is not `HOST[:PORT]/REPO[:TAG|@sha256:HEX]`.
    #[error("malformed image reference {reference:?}: {why}")]
    BadReference {
        /// The reference (its first 80 characters).
        reference: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Plain HTTP was asked for a registry that is not on loopback:
    /// refused before any connection (docs/oci.md, transport rules).
    #[error("plain HTTP to {0} refused: only loopback registries may be reached without TLS")]
    InsecureTransport(String),
    /// The registry could not be reached or the exchange broke off.
    #[error("{method} {url}: {source}")]
    Network {
        /// The request's method.
        method: &'static str,
        /// The request's URL (without credentials).
        url: String,
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A request did not finish within the timeout.
    #[error("{method} {url} timed out after {millis} ms")]
    Timeout {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The timeout.
        millis: u128,
    },
    /// A response body is larger than its limit (refused while reading).
    #[error("{method} {url}: the response is larger than {limit} bytes")]
    ResponseTooLarge {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The registry answered with a status this client does not accept.
    #[error("{method} {url} answered {status}")]
    Status {
        /// The request's method.
        method: &'static str,
        /// The request's URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The registry asked for credentials (401). Only HTTP basic
    /// authentication is supported; token flows (`Bearer` challenges) are not.
    #[error(
        "{url}: the registry {host} requires authentication ({challenge:?}); only basic authentication (VOUCH_REGISTRY_USER/VOUCH_REGISTRY_PASSWORD) is supported, token authentication is not"
    )]
    Unauthorized {
        /// The registry host.
        host: String,
        /// The request's URL.
        url: String,
        /// The challenge's scheme (`Basic`, `Bearer`...), cut to 32 bytes.
        challenge: String,
    },
    /// An upload's `Location` is missing, malformed, or on another registry.
    #[error("{url}: unusable upload location")]
    BadLocation {
        /// The upload request's URL.
        url: String,
    },
    /// The CA bundle could not be read or holds no usable certificate.
    #[error("the CA certificates in {path}: {why}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: &'static str,
    },
    /// The host is not a valid TLS server name.
    #[error("{0} is not a valid TLS server name")]
    ServerName(String),
}
