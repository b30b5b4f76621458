//! Admission records: how the pods of an admitted workload keep being
//! admitted after the deployment's `max_age` has passed.
//!
//! # The rule
//!
//! A deployment statement's `max_age` (the policy's `[deployment]
//! max_age`) bounds how long after it was made a deployment may *start*.
//! A workload that started in time must not stop being schedulable when
//! that age runs out: a node drained, a pod evicted, a scale-up all create
//! new pods of the same workload, and each comes to the gate again.
//!
//! 1. **First admission.** When an image's chain verifies (the verdict
//!    passes) for the tuple (deployment statement digest, image digest,
//!    cluster, namespace, workload), the gate writes an *admission record*:
//!    the verdict as a SLSA Verification Summary Attestation
//!    ([`vouch_chain::VerificationSummary`], whose `vouch` question names
//!    exactly that tuple, the environment and the time), signed with the
//!    gate's own key (`signing-key`), in the `admission-records` directory
//!    under a file named by the digest of the tuple ([`AdmissionKey`]),
//!    written atomically (a temporary file renamed into place). A record
//!    that is already there and valid is kept, so it keeps saying when the
//!    workload was *first* admitted.
//! 2. **Re-admission.** When a later verdict for the same tuple fails
//!    *only* because the deployment link is older than its `max_age`
//!    ([`vouch_chain::Verdict::fails_only_for_age`]: every failure is a
//!    `TooOld` on the deployment link, beside what counts for nothing),
//!    and the record for the tuple verifies with the gate's own public key
//!    and names exactly this tuple (and the gate's environment), the image
//!    is admitted, with the audit line's outcome `readmitted` and the
//!    response saying "re-admission of deployment D ... first admitted at
//!    T".
//! 3. **Everything else still denies.** The chain is verified afresh on
//!    every re-admission against the current roster and policy, so a key
//!    revoked or expired since, a wrong signer, another namespace or
//!    workload, a tampered statement, or an image stage whose own
//!    `max_age` ran out all deny as before. A record signed by another key,
//!    altered, unreadable or naming another tuple is ignored, and the
//!    denial says why.
//!
//! Without a signing key the gate keeps no records (and says so at
//! startup): a workload's new pods are denied once the deployment is older
//! than `max_age`, and a new deployment statement is needed.
//!
//! # What a record proves, and what it does not
//!
//! A record is the gate's own statement that it verified the tuple's chain
//! at a time; only the gate's key is accepted, so whoever can write to the
//! directory can delete records (denying re-admission, failing closed) but
//! cannot make one. The record stands in for nothing but the age check:
//! signatures, keys, roles and placement are checked again each time.
//!
//! # Caching
//!
//! A re-admission is cached like any verdict, until the earliest instant
//! its verdict could change ([`vouch_chain::Verdict::could_change_at`]):
//! for a stale deployment that is the end of a key's validity the chain
//! rests on, so a cached re-admission ends when the deployer's key does
//! (and never later than [`crate::gate::CACHE_TTL_SECONDS`]). The record
//! file is not part of the cache key: deleting a record stops
//! re-admissions once the cached one expires, not at once; a roster or
//! policy reload empties the cache.
//!
//! # Housekeeping
//!
//! The gate never deletes a record. One file per tuple ever admitted, each
//! a few kilobytes: a record of a deployment no longer running only ever
//! re-admits that exact tuple while its chain still verifies, and an
//! operator may remove old ones (the workload's next pod after `max_age`
//! is then denied until it is deployed again).
//!
//! # Concurrency
//!
//! Several gate replicas may share the directory. Each writes a record to
//! a temporary file of its own and renames it into place, so a reader sees
//! a whole record or none; two replicas admitting the same tuple for the
//! first time at once both write valid records, and the later rename wins.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use vouch_chain::{Verdict, VerificationSummary};
use vouch_core::{Digest, PublicKey, Signer, Timestamp};
use vouch_manifest::Signed;

use crate::error::RecordError;

/// The largest admission record read or written. A record lists the
/// statements its verdict rests on (one line per commit of a chain with
/// thousands), about 120 bytes each.
pub const MAX_RECORD_BYTES: usize = 4 * 1024 * 1024;

/// The end of a record's file name.
pub const RECORD_SUFFIX: &str = ".vsa";

/// The clock difference between gate replicas tolerated on a record's time.
const CLOCK_SKEW_SECONDS: i64 = vouch_chain::policy::CLOCK_SKEW_SECONDS;

/// What an admission record is about: the deployment statement, the image
/// it deploys and where it runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdmissionKey {
    /// The deployment statement's digest.
    pub deployment: Digest,
    /// The image the deployment names (an index's digest for a
    /// multi-platform image).
    pub image: Digest,
    /// The cluster.
    pub cluster: String,
    /// The namespace.
    pub namespace: String,
    /// The workload (the statement's `target.service`).
    pub workload: String,
}

impl AdmissionKey {
    /// SHA-256 over the tuple, each field length-prefixed so that no two
    /// tuples share an encoding.
    pub fn digest(&self) -> Digest {
        let mut bytes = Vec::new();
        let deployment = self.deployment.to_string();
        let image = self.image.to_string();
        for field in [
            deployment.as_str(),
            image.as_str(),
            &self.cluster,
            &self.namespace,
            &self.workload,
        ] {
            bytes.extend_from_slice(&(field.len() as u64).to_be_bytes());
            bytes.extend_from_slice(field.as_bytes());
        }
        Digest::sha256(&bytes)
    }

    /// The record's file name: `<hex of the digest>.vsa`.
    pub fn file_name(&self) -> String {
        format!("{}{RECORD_SUFFIX}", self.digest().hex())
    }
}

/// What [`AdmissionRecords::record`] did.
#[derive(Debug)]
#[non_exhaustive]
pub enum Recorded {
    /// A new record was written.
    Written,
    /// A valid record was there: kept, first admitted at this time.
    Kept(Timestamp),
    /// The record there did not verify (the reason) and was replaced.
    Replaced(RecordError),
}

/// The gate's admission records: its signing key and the directory.
pub struct AdmissionRecords {
    dir: PathBuf,
    signer: Box<dyn Signer + Send + Sync>,
    verifier_id: String,
    environment: Option<String>,
}

impl std::fmt::Debug for AdmissionRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionRecords")
            .field("dir", &self.dir)
            .field("key", &self.signer.public_key().key_id())
            .field("verifier_id", &self.verifier_id)
            .finish_non_exhaustive()
    }
}

/// The id a gate names itself by in its records (the VSA `verifier.id`).
pub fn verifier_id(cluster: &str) -> String {
    format!("https://vouch.dev/gate/{cluster}")
}

impl AdmissionRecords {
    /// Records in `dir`, signed by `signer`, for a gate of `cluster` and
    /// `environment` (the environment records must name, when the gate is
    /// configured with one).
    pub fn new(
        dir: impl Into<PathBuf>,
        signer: Box<dyn Signer + Send + Sync>,
        cluster: &str,
        environment: Option<String>,
    ) -> Self {
        Self {
            dir: dir.into(),
            signer,
            verifier_id: verifier_id(cluster),
            environment,
        }
    }

    /// Opens the key `key_ref` (a vouch-keys reference, `file:PATH`; an
    /// unencrypted key, since the gate runs unattended) and creates `dir`.
    ///
    /// # Errors
    ///
    /// [`RecordError::Key`] when the key cannot be opened,
    /// [`RecordError::Io`] when the directory cannot be created.
    pub fn open(
        dir: &Path,
        key_ref: &str,
        cluster: &str,
        environment: Option<String>,
    ) -> Result<Self, RecordError> {
        let reference: vouch_keys::KeyRef = key_ref.parse().map_err(RecordError::Key)?;
        let signer = reference.open(None).map_err(RecordError::Key)?;
        std::fs::create_dir_all(dir).map_err(|source| RecordError::Io {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Self::new(dir, signer, cluster, environment))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The public key records must verify with.
    pub fn public_key(&self) -> &PublicKey {
        self.signer.public_key()
    }

    /// The path of the record for `key`.
    pub fn path(&self, key: &AdmissionKey) -> PathBuf {
        self.dir.join(key.file_name())
    }

    /// On a first admission: writes the record of `verdict` (which
    /// passed) for `key`, signed at `now`, unless a valid one is there.
    ///
    /// # Errors
    ///
    /// [`RecordError`] when the verdict did not pass or does not name
    /// `key`, or the record cannot be signed or written.
    pub fn record(
        &self,
        key: &AdmissionKey,
        verdict: &Verdict,
        now: Timestamp,
    ) -> Result<Recorded, RecordError> {
        if !verdict.passed() {
            return Err(RecordError::NotPassed);
        }
        let replaced = match self.find(key, now) {
            Ok(Some(first)) => return Ok(Recorded::Kept(first)),
            Ok(None) => None,
            Err(e) => Some(e),
        };
        let signed = verdict
            .signed_summary_at(self.signer.as_ref(), &self.verifier_id, None, now)
            .map_err(RecordError::Summary)?;
        let bytes = signed.to_bytes().map_err(RecordError::Encode)?;
        if bytes.len() > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge {
                limit: MAX_RECORD_BYTES,
            });
        }
        // The record must name the tuple it is filed under, or it would
        // never be accepted: check before writing.
        check_record(
            &bytes,
            self.public_key(),
            key,
            self.environment.as_deref(),
            now,
        )?;
        write_atomically(&self.path(key), &bytes)?;
        Ok(replaced.map_or(Recorded::Written, Recorded::Replaced))
    }

    /// The time `key`'s workload was first admitted, from its record:
    /// `None` when there is no record.
    ///
    /// # Errors
    ///
    /// [`RecordError`] when the record cannot be read, is too large, does
    /// not verify with the gate's key or does not name `key`.
    pub fn find(
        &self,
        key: &AdmissionKey,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, RecordError> {
        let path = self.path(key);
        let Some(bytes) = read_record(&path)? else {
            return Ok(None);
        };
        check_record(
            &bytes,
            self.public_key(),
            key,
            self.environment.as_deref(),
            now,
        )
        .map(Some)
    }
}

/// Checks an admission record from untrusted bytes: at most
/// [`MAX_RECORD_BYTES`], a signed VSA every signature of which verifies
/// with `gate_key` alone, `PASSED`, for a deployment target naming exactly
/// `key` (and `environment` when given), verified no later than `now`
/// (plus the clock skew). Returns the time it was verified: when the
/// workload was first admitted.
///
/// # Errors
///
/// [`RecordError`] saying which check failed.
pub fn check_record(
    bytes: &[u8],
    gate_key: &PublicKey,
    key: &AdmissionKey,
    environment: Option<&str>,
    now: Timestamp,
) -> Result<Timestamp, RecordError> {
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge {
            limit: MAX_RECORD_BYTES,
        });
    }
    let signed = Signed::<VerificationSummary>::from_bytes(bytes).map_err(RecordError::Decode)?;
    let gate_id = gate_key.key_id();
    let statement = signed
        .verify(|k| (*k == gate_id).then_some(gate_key))
        .map_err(RecordError::Signature)?;
    let vsa = statement.value().predicate();
    if vsa.verification_result != "PASSED" {
        return Err(RecordError::NotPassed);
    }
    let q = &vsa.vouch;
    let mismatch = |field: &'static str, expected: String, found: String| {
        Err(RecordError::Mismatch {
            field,
            expected,
            found,
        })
    };
    if q.target_kind != "deployment" {
        return mismatch("target kind", "deployment".into(), q.target_kind.clone());
    }
    if q.target_digest != key.deployment {
        return mismatch(
            "deployment",
            key.deployment.to_string(),
            q.target_digest.to_string(),
        );
    }
    if q.image != key.image {
        return mismatch("image", key.image.to_string(), q.image.to_string());
    }
    let fields = [
        ("cluster", &key.cluster, &q.cluster),
        ("namespace", &key.namespace, &q.namespace),
        ("workload", &key.workload, &q.service),
    ];
    for (field, expected, found) in fields {
        if found.as_deref() != Some(expected.as_str()) {
            return mismatch(field, expected.clone(), found.clone().unwrap_or_default());
        }
    }
    if let Some(e) = environment
        && q.environment.as_deref() != Some(e)
    {
        return mismatch(
            "environment",
            e.to_owned(),
            q.environment.clone().unwrap_or_default(),
        );
    }
    if vsa.time_verified.unix_seconds() > now.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(RecordError::FromTheFuture {
            at: vsa.time_verified,
        });
    }
    Ok(vsa.time_verified)
}

/// Reads a record of at most [`MAX_RECORD_BYTES`]; `None` when there is
/// none. The read is capped, so a file growing meanwhile stays bounded.
fn read_record(path: &Path) -> Result<Option<Vec<u8>>, RecordError> {
    let io = |source| RecordError::Io {
        path: path.to_owned(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge {
            limit: MAX_RECORD_BYTES,
        });
    }
    Ok(Some(bytes))
}

/// Distinguishes the temporary files of one process's concurrent writes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to a temporary file beside `path`, flushed to disk, and
/// renames it to `path`: a reader sees the old file or the whole new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| RecordError::Io { path: p, source }
    };
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AdmissionKey {
        AdmissionKey {
            deployment: Digest::sha256(b"deployment"),
            image: Digest::sha256(b"image"),
            cluster: "eu-1".into(),
            namespace: "shop".into(),
            workload: "api".into(),
        }
    }

    #[test]
    fn every_field_of_the_tuple_names_another_file() {
        let base = key().file_name();
        assert!(base.ends_with(RECORD_SUFFIX));
        assert_eq!(base.len(), 64 + RECORD_SUFFIX.len());
        type Change = Box<dyn Fn(&mut AdmissionKey)>;
        let changes: Vec<Change> = vec![
            Box::new(|k| k.deployment = Digest::sha256(b"other")),
            Box::new(|k| k.image = Digest::sha256(b"other")),
            Box::new(|k| k.cluster = "us-1".into()),
            Box::new(|k| k.namespace = "other".into()),
            Box::new(|k| k.workload = "web".into()),
            // A field boundary moved: the length prefix tells them apart.
            Box::new(|k| {
                k.namespace = "shopa".into();
                k.workload = "pi".into();
            }),
        ];
        for change in changes {
            let mut k = key();
            change(&mut k);
            assert_ne!(k.file_name(), base, "{k:?}");
        }
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        let gate = vouch_keys::FileKey::generate(vouch_core::Algorithm::Ed25519)
            .unwrap_or_else(|e| panic!("{e}"));
        let now = Timestamp::now();
        for bytes in [&b""[..], b"not a record", &[0xd8, 0x62, 0x84, 0x40]] {
            assert!(matches!(
                check_record(bytes, gate.public_key(), &key(), None, now),
                Err(RecordError::Decode(_))
            ));
        }
        let big = vec![0u8; MAX_RECORD_BYTES + 1];
        assert!(matches!(
            check_record(&big, gate.public_key(), &key(), None, now),
            Err(RecordError::TooLarge { .. })
        ));
    }

    #[test]
    fn writes_replace_whole_files() {
        let dir = std::env::temp_dir().join(format!("vouch-gate-records-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join(key().file_name());
        write_atomically(&path, b"first").unwrap_or_else(|e| panic!("{e}"));
        write_atomically(&path, b"second").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"second");
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
        assert!(matches!(read_record(&dir.join("absent.vsa")), Ok(None)));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
