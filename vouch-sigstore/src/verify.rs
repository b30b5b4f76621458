//! The verification: sigstore-verify's checks, then what they proved, read
//! into a [`VerifiedBundle`].

use sigstore_verify::types::{ArtifactDigest, HashAlgorithm};
use sigstore_verify::types::{KindVersion, SignatureContent};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, VerificationResult};
use vouch_core::{Digest, DigestAlgorithm, Timestamp};

use crate::bundle::Bundle;
use crate::claims::{CertificateClaims, Claim};
use crate::error::Error;
use crate::expectation::{ArtifactRef, Expectation};
use crate::root::TrustedRoot;
use crate::verified::{
    CertificateSigner, DssePayload, LogEntry, ProvenTime, RekorVersion, SanKind, Signer,
    TimeSource, VerifiedBundle,
};

/// Verifies `bundle` over `artifact` against `root`, as signed by the
/// signer `expected` names. Offline: nothing is fetched.
///
/// Checked (by sigstore-verify, which passes the whole sigstore-conformance
/// `bundle-verify` suite): the bundle's structure; every RFC 3161
/// timestamp and Rekor v1 signed entry timestamp, which give the proven
/// times; for a certificate, its chain to a Fulcio authority of the root
/// valid at each proven time, its code-signing usage, its SCT and the
/// identity and issuer; every log entry's inclusion proof, checkpoint and
/// promise against the root's logs, and that it describes this signature
/// and artifact; the signature over the artifact or the DSSE envelope;
/// and that the artifact is the one the bundle (its message digest, or the
/// in-toto statement's subjects) names.
pub fn verify(
    bundle: &Bundle,
    artifact: ArtifactRef<'_>,
    root: &TrustedRoot,
    expected: &Expectation,
) -> Result<VerifiedBundle, Error> {
    let inner = bundle.inner();
    let input = match artifact {
        ArtifactRef::Bytes(b) => sigstore_verify::types::Artifact::from_blob(b),
        ArtifactRef::Digest(d) => {
            let algorithm = match d.algorithm() {
                DigestAlgorithm::Sha256 => HashAlgorithm::Sha2256,
                DigestAlgorithm::Sha512 => HashAlgorithm::Sha2512,
                other => {
                    return Err(Error::ArtifactForm(
                        format!("a {other:?} digest, which Sigstore bundles do not name").into(),
                    ));
                }
            };
            let digest = ArtifactDigest::new(algorithm, d.as_bytes().to_vec())
                .map_err(|e| Error::ArtifactForm(Box::new(e)))?;
            sigstore_verify::types::Artifact::from_digest(digest)
        }
    };
    // Refused up front by kind, so the error says what was expected rather
    // than which field sigstore-verify missed.
    let result = match expected {
        Expectation::Identity { san, issuer } => {
            if !bundle.has_certificate() {
                return Err(Error::WrongKind {
                    expected: "with a certificate",
                    actual: "with a key",
                });
            }
            let policy = VerificationPolicy::new(san.as_str(), issuer.as_str());
            root.verifier().verify(input, inner, &policy)
        }
        Expectation::Workload { issuer, .. } => {
            if !bundle.has_certificate() {
                return Err(Error::WrongKind {
                    expected: "with a certificate",
                    actual: "with a key",
                });
            }
            // sigstore-verify matches the issuer; the repository and the
            // workflow are matched below, on the verified certificate.
            let policy = VerificationPolicy::any_identity().require_issuer(issuer.as_str());
            root.verifier().verify(input, inner, &policy)
        }
        Expectation::Key(key) => {
            if bundle.has_certificate() {
                return Err(Error::WrongKind {
                    expected: "with a key",
                    actual: "with a certificate",
                });
            }
            let policy = PublicKeyVerificationPolicy::new(key.der().clone());
            root.verifier().verify(input, inner, &policy)
        }
    }
    .map_err(Error::from_verify)?;

    let signer = match expected {
        Expectation::Identity { .. } => certificate_signer(&result)?,
        Expectation::Workload {
            repository,
            workflow,
            ..
        } => {
            let signer = certificate_signer(&result)?;
            workload_matches(&signer, repository, workflow.as_deref())?;
            signer
        }
        Expectation::Key(key) => {
            if !result.tlog_verified() {
                return Err(unchecked("transparency log entries"));
            }
            Signer::Key {
                spki_sha256: Digest::sha256(key.spki_der()),
            }
        }
    };
    let log_entries = log_entries(bundle, root);
    // sigstore-verify refuses a bundle without one when it verifies the
    // log, as the policy asks; a verdict never says "logged" of none.
    if log_entries.is_empty() {
        return Err(Error::TransparencyLog(
            "the bundle has no transparency log entry".into(),
        ));
    }
    let times = proven_times(&result, &log_entries);
    let dsse = match &inner.content {
        SignatureContent::DsseEnvelope(e) => Some(DssePayload {
            payload_type: e.payload_type.clone(),
            payload: e.payload.as_bytes().to_vec(),
        }),
        _ => None,
    };
    Ok(VerifiedBundle {
        version: bundle.version(),
        signer,
        dsse,
        log_entries,
        times,
        artifact: artifact.digest(),
    })
}

/// Whether a verified certificate is from the expected repository's
/// workflow (see [`Expectation::Workload`]).
fn workload_matches(
    signer: &Signer,
    repository: &str,
    workflow: Option<&str>,
) -> Result<(), Error> {
    let Signer::Certificate(cert) = signer else {
        return Err(unchecked("certificate"));
    };
    let actual = cert.claims.get(Claim::SourceRepositoryUri);
    if actual != Some(repository) {
        return Err(Error::ClaimMismatch {
            claim: Claim::SourceRepositoryUri,
            expected: repository.to_owned(),
            actual: actual.map(str::to_owned),
        });
    }
    if let Some(workflow) = workflow {
        let at_ref = cert
            .san
            .strip_prefix(workflow)
            .and_then(|rest| rest.strip_prefix('@'))
            .is_some_and(|r| !r.is_empty());
        if !at_ref {
            return Err(Error::IdentityMismatch {
                expected: format!("{workflow}@<ref>"),
                actual: Some(cert.san.clone()),
            });
        }
    }
    Ok(())
}

/// The signer from a keyless result, which must say that the certificate,
/// its SCT, the log and the identity were all checked: the policy asks for
/// every one, and a result that says otherwise is not accepted.
fn certificate_signer(result: &VerificationResult) -> Result<Signer, Error> {
    if !result.certificate_verified() {
        return Err(unchecked("certificate chain"));
    }
    if !result.sct_verified() {
        return Err(unchecked("certificate's SCT"));
    }
    if !result.tlog_verified() {
        return Err(unchecked("transparency log entries"));
    }
    if !result.identity_policy_checked() {
        return Err(unchecked("identity"));
    }
    let (Some(identity), Some(issuer), Some(cert)) =
        (result.identity(), result.issuer(), result.certificate())
    else {
        return Err(unchecked("identity and issuer"));
    };
    let san_kind = match identity {
        sigstore_verify::SubjectAltName::Email(_) => SanKind::Email,
        _ => SanKind::Uri,
    };
    Ok(Signer::Certificate(Box::new(CertificateSigner {
        san: identity.as_str().to_owned(),
        san_kind,
        issuer: issuer.to_owned(),
        not_before: seconds_down(cert.not_before),
        not_after: seconds_down(cert.not_after),
        claims: CertificateClaims::from_fulcio(&cert.ci_claims),
        spki: cert.public_key.as_bytes().to_vec(),
    })))
}

/// A result that says a check the policy asked for did not run.
fn unchecked(what: &str) -> Error {
    Error::Unsupported(format!("sigstore-verify did not check the {what}").into())
}

/// The bundle's log entries, which sigstore-verify verified every one of.
fn log_entries(bundle: &Bundle, root: &TrustedRoot) -> Vec<LogEntry> {
    bundle
        .inner()
        .verification_material
        .tlog_entries
        .iter()
        .map(|e| {
            // As sigstore-verify decides it: only hashedrekord 0.0.2 is
            // Rekor v2, and only a v1 entry's SET authenticates its time.
            let rekor = if e.kind_version == KindVersion::HashedRekordV002 {
                RekorVersion::V2
            } else {
                RekorVersion::V1
            };
            let integrated_time = match (rekor, &e.inclusion_promise, e.integrated_time) {
                (RekorVersion::V1, Some(_), Some(t)) => Some(seconds_up(t)),
                _ => None,
            };
            let log_id = e.log_id.key_id.as_bytes().to_vec();
            LogEntry {
                log_url: root.log_url(&log_id).map(str::to_owned),
                log_id,
                index: e.log_index.get(),
                integrated_time,
                rekor,
                kind: e.kind_version.kind(),
                kind_version: e.kind_version.version(),
            }
        })
        .collect()
}

/// Every verified time, earliest first, with what proved it.
///
/// sigstore-verify reports the verified times as one list of RFC 3161
/// times and SET-authenticated integrated times. A time equal to an
/// authenticated integrated time is credited to that log entry; every
/// other one can only have come from a timestamp authority.
fn proven_times(result: &VerificationResult, entries: &[LogEntry]) -> Vec<ProvenTime> {
    let mut times: Vec<ProvenTime> = result
        .verified_timestamps()
        .iter()
        .map(|t| {
            let time = seconds_up(*t);
            let from_log = entries
                .iter()
                .find(|e| e.integrated_time == Some(time) && t.subsec_nanosecond() == 0);
            ProvenTime {
                time,
                source: match from_log {
                    Some(e) => TimeSource::LogIntegratedTime { log_index: e.index },
                    None => TimeSource::Rfc3161,
                },
            }
        })
        .collect();
    times.sort_by_key(|p| p.time);
    times.dedup();
    times
}

/// A sigstore-verify time as whole seconds, rounded up: "existed by" stays
/// true.
fn seconds_up(t: jiff02::Timestamp) -> Timestamp {
    let up = i64::from(t.subsec_nanosecond() > 0);
    clamped(t.as_second().saturating_add(up))
}

/// A sigstore-verify time as whole seconds, rounded down (a certificate's
/// validity bounds are whole seconds anyway).
fn seconds_down(t: jiff02::Timestamp) -> Timestamp {
    let down = i64::from(t.subsec_nanosecond() < 0);
    clamped(t.as_second().saturating_sub(down))
}

/// Seconds as a [`Timestamp`], saturating at the years 0 and 9999 that it
/// holds (jiff's range is wider; no verified time is near either end).
fn clamped(secs: i64) -> Timestamp {
    Timestamp::from_unix_seconds(secs).unwrap_or_else(|| {
        let now = Timestamp::now();
        now.plus_seconds(secs.saturating_sub(now.unix_seconds()))
    })
}
