//! What a verified bundle proves: the verdict type only [`verify`](crate::verify)
//! can build.

use std::fmt;

use vouch_core::{Digest, Timestamp};

use crate::bundle::BundleVersion;
use crate::claims::CertificateClaims;

/// A bundle that verified against a trusted root, an artifact and an
/// expectation, with what it proves.
///
/// Its fields are private and it has no public constructor: holding one
/// means [`verify`](crate::verify) accepted the bundle.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    pub(crate) version: BundleVersion,
    pub(crate) signer: Signer,
    pub(crate) dsse: Option<DssePayload>,
    pub(crate) log_entries: Vec<LogEntry>,
    pub(crate) times: Vec<ProvenTime>,
    pub(crate) artifact: Digest,
}

impl VerifiedBundle {
    /// The bundle format version.
    pub fn version(&self) -> BundleVersion {
        self.version
    }

    /// Who signed: the certificate's identity, or the expected key.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The certificate's subject alternative name, for a keyless bundle.
    pub fn san(&self) -> Option<&str> {
        match &self.signer {
            Signer::Certificate(c) => Some(&c.san),
            Signer::Key { .. } => None,
        }
    }

    /// The certificate's OIDC issuer, for a keyless bundle.
    pub fn issuer(&self) -> Option<&str> {
        match &self.signer {
            Signer::Certificate(c) => Some(&c.issuer),
            Signer::Key { .. } => None,
        }
    }

    /// The DSSE envelope's payload, when the bundle signs one (an in-toto
    /// statement, whose subjects named the artifact) rather than the
    /// artifact itself.
    pub fn dsse(&self) -> Option<&DssePayload> {
        self.dsse.as_ref()
    }

    /// The transparency log entries, every one of them verified; never
    /// empty.
    pub fn log_entries(&self) -> &[LogEntry] {
        &self.log_entries
    }

    /// Every time proven for the signature, earliest first.
    pub fn proven_times(&self) -> &[ProvenTime] {
        &self.times
    }

    /// The earliest proven time: the signature existed by then. `None`
    /// only for a key-signed bundle with neither a Rekor v1 entry nor an
    /// RFC 3161 timestamp (a keyless bundle always has one: its
    /// certificate is checked at it).
    pub fn proven_time(&self) -> Option<&ProvenTime> {
        self.times.first()
    }

    /// The digest of the artifact the bundle was verified against: the
    /// SHA-256 of its bytes, or the digest it was given by.
    pub fn artifact_digest(&self) -> &Digest {
        &self.artifact
    }
}

/// Who signed a verified bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signer {
    /// A Fulcio certificate, verified to chain to the trusted root and to
    /// be valid at every proven time, naming the expected identity.
    Certificate(Box<CertificateSigner>),
    /// The key the caller expected.
    Key {
        /// The SHA-256 digest of its DER `SubjectPublicKeyInfo`.
        spki_sha256: Digest,
    },
}

/// The signer a verified Fulcio certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSigner {
    pub(crate) san: String,
    pub(crate) san_kind: SanKind,
    pub(crate) issuer: String,
    pub(crate) not_before: Timestamp,
    pub(crate) not_after: Timestamp,
    pub(crate) claims: CertificateClaims,
    pub(crate) spki: Vec<u8>,
}

impl CertificateSigner {
    /// The subject alternative name (the identity).
    pub fn san(&self) -> &str {
        &self.san
    }

    /// Whether the SAN is an email address or a URI.
    pub fn san_kind(&self) -> SanKind {
        self.san_kind
    }

    /// The OIDC issuer that vouched for the identity (extension
    /// `1.3.6.1.4.1.57264.1.8`, or the older `.1.1`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The certificate's `notBefore`.
    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }

    /// The certificate's `notAfter` (Fulcio certificates live ten minutes).
    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// The workload claims (repository, ref, commit, workflow, run).
    pub fn claims(&self) -> &CertificateClaims {
        &self.claims
    }

    /// The certificate's (ephemeral) public key, as a DER
    /// `SubjectPublicKeyInfo`: the key that made the signature.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }
}

/// The kind of a certificate's subject alternative name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SanKind {
    /// An `rfc822Name`: a person's email address.
    Email,
    /// A `uniformResourceIdentifier`: a workload, such as a CI workflow.
    Uri,
}

impl fmt::Display for SanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SanKind::Email => "email",
            SanKind::Uri => "URI",
        })
    }
}

/// The payload of a bundle's DSSE envelope, covered by the verified
/// signature.
#[derive(Clone, PartialEq, Eq)]
pub struct DssePayload {
    pub(crate) payload_type: String,
    pub(crate) payload: Vec<u8>,
}

impl DssePayload {
    /// The payload type, e.g. `application/vnd.in-toto+json`.
    pub fn payload_type(&self) -> &str {
        &self.payload_type
    }

    /// The payload bytes exactly as signed (for in-toto, the statement's JSON).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

impl fmt::Debug for DssePayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DssePayload")
            .field("payload_type", &self.payload_type)
            .field("len", &self.payload.len())
            .finish()
    }
}

/// Which Rekor a log entry is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RekorVersion {
    /// Rekor v1: a signed entry timestamp (SET) and integrated time, and
    /// usually an inclusion proof with a checkpoint.
    V1,
    /// Rekor v2 (tile-based): an inclusion proof to a C2SP checkpoint, no
    /// integrated time (the time comes from an RFC 3161 timestamp).
    V2,
}

impl fmt::Display for RekorVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RekorVersion::V1 => "Rekor v1",
            RekorVersion::V2 => "Rekor v2",
        })
    }
}

/// One verified transparency log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub(crate) log_id: Vec<u8>,
    pub(crate) log_url: Option<String>,
    pub(crate) index: u64,
    pub(crate) integrated_time: Option<Timestamp>,
    pub(crate) rekor: RekorVersion,
    pub(crate) kind: &'static str,
    pub(crate) kind_version: &'static str,
}

impl LogEntry {
    /// The log's id (the SHA-256 of its public key, as the trusted root
    /// lists it).
    pub fn log_id(&self) -> &[u8] {
        &self.log_id
    }

    /// The log's base URL, from the trusted root entry with this id.
    pub fn log_url(&self) -> Option<&str> {
        self.log_url.as_deref()
    }

    /// The entry's index in the log.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The integrated time, when the log's signed entry timestamp
    /// authenticated it (Rekor v1); an integrated time without one is not
    /// proven and is not reported.
    pub fn integrated_time(&self) -> Option<Timestamp> {
        self.integrated_time
    }

    /// Rekor v1 or v2.
    pub fn rekor(&self) -> RekorVersion {
        self.rekor
    }

    /// The entry kind, e.g. `hashedrekord` or `dsse`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The entry kind's version, e.g. `0.0.1`.
    pub fn kind_version(&self) -> &'static str {
        self.kind_version
    }
}

/// A time the signature is proven to have existed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProvenTime {
    pub(crate) time: Timestamp,
    pub(crate) source: TimeSource,
}

impl ProvenTime {
    /// The time, in whole seconds, rounded up (a timestamp authority's
    /// fraction of a second never makes the time earlier than proven).
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// What proved it.
    pub fn source(&self) -> TimeSource {
        self.source
    }
}

/// What proved a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeSource {
    /// A Rekor v1 integrated time, authenticated by the log's signed entry
    /// timestamp.
    LogIntegratedTime {
        /// The entry's index in its log.
        log_index: u64,
    },
    /// An RFC 3161 timestamp, verified against a timestamp authority of
    /// the trusted root.
    Rfc3161,
}

impl fmt::Display for TimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeSource::LogIntegratedTime { log_index } => {
                write!(f, "the integrated time of log entry {log_index}")
            }
            TimeSource::Rfc3161 => f.write_str("an RFC 3161 timestamp"),
        }
    }
}
