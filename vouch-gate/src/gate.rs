//! The decision for a whole request, without the network: exempt
//! namespaces, every image pinned, the workload named, each image's bundle
//! fetched (fail closed) and decided, the verdict cache consulted, dry-run
//! turning a denial into warnings, admission records (written on a first
//! admission, read for a re-admission: see [`crate::admission`]), and the
//! audit record of it all.
//!
//! The HTTPS server calls [`Gate::review`] with the decoded request; this
//! module owns the rules and is tested without a socket.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use vouch_chain::{Placement, Verifier};
use vouch_core::{Digest, Timestamp};

use crate::admission::{AdmissionKey, AdmissionRecords, Recorded};
use crate::audit::{AuditRecord, Outcome, trace_digest};
use crate::cache::{CacheKey, VerdictCache};
use crate::decide::{ImageDecision, decide};
use crate::review::{AdmissionRequest, Decision};
use crate::source::{BundleSource, fetch_with_timeout};
use crate::workload;

/// How long a cached verdict is kept at most. An entry expires at the
/// instant its verdict could change with time alone
/// ([`vouch_chain::Verdict::could_change_at`]: the earliest `max_age` or
/// key validity end it rests on), and never later than this; a roster or
/// policy reload empties the cache.
pub const CACHE_TTL_SECONDS: i64 = 3600;

/// What the gate needs to decide requests.
#[derive(Debug)]
pub struct GateSettings {
    /// The cluster this gate guards.
    pub cluster: String,
    /// The environment statements must name, if any.
    pub environment: Option<String>,
    /// The label naming a pod's workload.
    pub workload_label: String,
    /// Warn only.
    pub dry_run: bool,
    /// Namespaces not checked.
    pub exempt_namespaces: Vec<String>,
    /// The timeout of each bundle fetch.
    pub fetch_timeout: Duration,
}

/// A cached per-image result: admitted (perhaps as a re-admission), or the
/// denial's reasons, with notes and the trace digests for the audit log.
#[derive(Debug, Clone)]
struct Cached {
    admitted: bool,
    /// Admitted by an admission record after the deployment's `max_age`.
    readmitted: bool,
    reasons: Vec<String>,
    /// What the audit line says of an admission besides the outcome (the
    /// re-admission, a record that could not be written).
    notes: Vec<String>,
    traces: Vec<Digest>,
}

/// The gate: settings, the verifier (roster and policy), the sources and
/// the cache.
pub struct Gate {
    settings: GateSettings,
    /// The verifier and its policy's digest, swapped whole on a reload.
    trust: RwLock<(Arc<Verifier>, Digest)>,
    sources: Vec<Arc<dyn BundleSource>>,
    cache: Mutex<VerdictCache<Cached>>,
    /// None: no signing key configured, no records.
    records: Option<AdmissionRecords>,
}

/// The answer to one request and its audit record.
#[derive(Debug, Clone)]
pub struct Reviewed {
    /// What to answer.
    pub decision: Decision,
    /// What to log.
    pub audit: AuditRecord,
    /// How many images were answered from the cache.
    pub cache_hits: usize,
}

impl Gate {
    /// A gate deciding with `verifier`, whose policy has `policy_digest`.
    pub fn new(
        settings: GateSettings,
        verifier: Arc<Verifier>,
        policy_digest: Digest,
        sources: Vec<Arc<dyn BundleSource>>,
        cache_size: usize,
    ) -> Self {
        Self {
            settings,
            trust: RwLock::new((verifier, policy_digest)),
            sources,
            cache: Mutex::new(VerdictCache::new(cache_size)),
            records: None,
        }
    }

    /// The gate, writing and reading admission records in `records`.
    pub fn with_records(mut self, records: AdmissionRecords) -> Self {
        self.records = Some(records);
        self
    }

    /// The admission records, when the gate keeps them.
    pub fn records(&self) -> Option<&AdmissionRecords> {
        self.records.as_ref()
    }

    /// Replaces the verifier (a roster or policy reload) and empties the
    /// cache. A review already under way finishes with the old verifier;
    /// what it caches is keyed by the old roster version and policy
    /// digest, so no later request of the new ones can hit it.
    pub fn replace_verifier(&self, verifier: Arc<Verifier>, policy_digest: Digest) {
        *self.trust.write().unwrap_or_else(PoisonError::into_inner) = (verifier, policy_digest);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// How many verdicts are cached.
    pub fn cached(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Decides `request` at `now`.
    pub fn review(&self, request: &AdmissionRequest, now: Timestamp) -> Reviewed {
        let (verifier, policy_digest) = self
            .trust
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let namespace = request.namespace.clone().unwrap_or_default();
        let mut audit = AuditRecord {
            time: now.to_string(),
            uid: request.uid.clone(),
            namespace: namespace.clone(),
            kind: crate::review::clean(&request.kind.kind, 64),
            name: crate::review::clean(request.name.as_deref().unwrap_or_default(), 253),
            images: Vec::new(),
            outcome: Outcome::Denied,
            reasons: Vec::new(),
            trace_digests: Vec::new(),
            notes: Vec::new(),
            dry_run: self.settings.dry_run,
        };
        let mut cache_hits = 0;
        if self.settings.exempt_namespaces.contains(&namespace) {
            audit.outcome = Outcome::Exempt;
            return self.finish(audit, cache_hits);
        }
        let Some(object) = &request.object else {
            audit.reasons.push("the request carries no object".into());
            return self.finish(audit, cache_hits);
        };
        let w = match workload::extract(&request.kind.kind, object, &self.settings.workload_label) {
            Ok(w) => w,
            Err(e) => {
                audit.reasons.push(e.to_string());
                return self.finish(audit, cache_hits);
            }
        };
        audit.images = w.images.iter().map(|i| i.reference.clone()).collect();
        let Some(service) = w.service.clone() else {
            audit.reasons.push(format!(
                "{} has no {} label naming its workload",
                w.kind.name(),
                self.settings.workload_label
            ));
            return self.finish(audit, cache_hits);
        };
        let placement = Placement {
            environment: self.settings.environment.clone(),
            cluster: Some(self.settings.cluster.clone()),
            namespace: Some(namespace.clone()),
            service: Some(service.clone()),
        };
        let mut all_admitted = true;
        let mut any_readmitted = false;
        for image in &w.images {
            let label = format!("{} {:?}", image.role.field(), image.container);
            let digest = match &image.digest {
                Ok(d) => *d,
                Err(e) => {
                    all_admitted = false;
                    audit
                        .reasons
                        .push(format!("{label}: image {} {e}", image.reference));
                    continue;
                }
            };
            let fetched =
                match fetch_with_timeout(&self.sources, &digest, self.settings.fetch_timeout) {
                    Ok(b) => b,
                    Err(e) => {
                        all_admitted = false;
                        audit.reasons.push(format!("{label}: {e}"));
                        continue;
                    }
                };
            let key = CacheKey {
                // The image digest stands in for the deployment digest: the
                // candidates are a function of (bundle, image), both in the key.
                deployment: digest,
                environment: self.settings.environment.clone(),
                cluster: self.settings.cluster.clone(),
                namespace: namespace.clone(),
                workload: service.clone(),
                bundle: fetched.digest(),
                roster_version: verifier.roster().version(),
                policy: policy_digest,
            };
            let cached = self
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&key, now);
            let result = match cached {
                Some(c) => {
                    cache_hits += 1;
                    c
                }
                None => {
                    // Decoded only on a miss: a hit costs the fetch and a hash.
                    let bundle = match fetched.decode() {
                        Ok(b) => b,
                        Err(e) => {
                            all_admitted = false;
                            audit.reasons.push(format!("{label}: {e}"));
                            continue;
                        }
                    };
                    let d = decide(&verifier, &bundle, &digest, &placement, now);
                    let c = self.settle(&d, &digest, &namespace, &service, now);
                    // A re-admission too rests on its verdict, and expires
                    // with it: at the end of a key validity it counted.
                    let mut expires = now.plus_seconds(CACHE_TTL_SECONDS);
                    if let Some(t) = d.could_change_at() {
                        expires = expires.min(t);
                    }
                    self.cache
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(key, c.clone(), expires, now);
                    c
                }
            };
            all_admitted &= result.admitted;
            any_readmitted |= result.readmitted;
            audit
                .reasons
                .extend(result.reasons.into_iter().map(|r| format!("{label}: {r}")));
            audit
                .notes
                .extend(result.notes.into_iter().map(|r| format!("{label}: {r}")));
            audit.trace_digests.extend(result.traces);
        }
        if all_admitted && !w.images.is_empty() {
            audit.outcome = if any_readmitted {
                Outcome::Readmitted
            } else {
                Outcome::Allowed
            };
        } else if w.images.is_empty() {
            audit.reasons.push("the pod spec lists no container".into());
        }
        self.finish(audit, cache_hits)
    }

    /// The per-image result of a decision, with admission records: a first
    /// admission is recorded; a denial whose verdict failed only for the
    /// deployment's age is a re-admission when a valid record of the same
    /// tuple exists.
    fn settle(
        &self,
        d: &ImageDecision,
        pinned: &Digest,
        namespace: &str,
        workload: &str,
        now: Timestamp,
    ) -> Cached {
        let key = |v: &vouch_chain::Verdict| {
            v.target().image.map(|image| AdmissionKey {
                deployment: v.target().digest,
                image,
                cluster: self.settings.cluster.clone(),
                namespace: namespace.to_owned(),
                workload: workload.to_owned(),
            })
        };
        match d {
            ImageDecision::Admitted(v) => {
                let mut notes = Vec::new();
                if let (Some(records), Some(key)) = (&self.records, key(v)) {
                    match records.record(&key, v, now) {
                        Ok(Recorded::Replaced(why)) => notes.push(format!(
                            "admission record {} replaced (it was refused: {why})",
                            key.file_name()
                        )),
                        Ok(_) => {}
                        // The chain verified: admit. The record is what a
                        // later re-admission needs, so say it is missing.
                        Err(e) => {
                            let note =
                                format!("admission record {} not written: {e}", key.file_name());
                            // Also for the operator: nothing else shows it
                            // until a re-admission is denied.
                            eprintln!("vouch gate: {note}");
                            notes.push(note);
                        }
                    }
                }
                Cached {
                    admitted: true,
                    readmitted: false,
                    reasons: Vec::new(),
                    notes,
                    traces: vec![trace_digest(v)],
                }
            }
            ImageDecision::Denied { verdicts, .. } => {
                let mut extra = Vec::new();
                for v in verdicts.iter().filter(|v| v.fails_only_for_age()) {
                    let deployment = v.target().digest;
                    let (Some(records), Some(key)) = (&self.records, key(v)) else {
                        extra.push(format!(
                            "deployment {deployment}: older than its max_age, and this gate \
                             keeps no admission records (no signing-key) to re-admit it"
                        ));
                        continue;
                    };
                    match records.find(&key, now) {
                        Ok(Some(first)) => {
                            return Cached {
                                admitted: true,
                                readmitted: true,
                                reasons: Vec::new(),
                                notes: vec![format!(
                                    "re-admission of deployment {deployment} (image {}) to \
                                     {}/{namespace}/{workload}, first admitted at {first}",
                                    key.image, self.settings.cluster
                                )],
                                traces: vec![trace_digest(v)],
                            };
                        }
                        Ok(None) => extra.push(format!(
                            "deployment {deployment}: older than its max_age, and no admission \
                             record shows it was admitted here before"
                        )),
                        Err(e) => extra.push(format!(
                            "deployment {deployment}: admission record {} ignored: {e}",
                            key.file_name()
                        )),
                    }
                }
                let mut reasons = d.reasons(pinned);
                reasons.extend(extra);
                Cached {
                    admitted: false,
                    readmitted: false,
                    reasons,
                    notes: Vec::new(),
                    traces: verdicts.iter().map(trace_digest).collect(),
                }
            }
            _ => Cached {
                admitted: false,
                readmitted: false,
                reasons: d.reasons(pinned),
                notes: Vec::new(),
                traces: Vec::new(),
            },
        }
    }

    fn finish(&self, mut audit: AuditRecord, cache_hits: usize) -> Reviewed {
        if audit.outcome == Outcome::Denied && self.settings.dry_run {
            audit.outcome = Outcome::DryRunDenied;
        }
        let decision = match audit.outcome {
            Outcome::Readmitted => Decision {
                allowed: true,
                message: format!("vouch gate: {}", audit.notes.join("; ")),
                warnings: Vec::new(),
            },
            Outcome::Allowed | Outcome::Exempt => Decision {
                allowed: true,
                message: String::new(),
                warnings: Vec::new(),
            },
            Outcome::DryRunDenied => Decision {
                allowed: true,
                message: String::new(),
                warnings: audit
                    .reasons
                    .iter()
                    .map(|r| format!("vouch gate (dry-run) would deny: {r}"))
                    .collect(),
            },
            _ => Decision {
                allowed: false,
                message: format!("vouch gate denied: {}", audit.reasons.join("; ")),
                warnings: Vec::new(),
            },
        };
        Reviewed {
            decision,
            audit,
            cache_hits,
        }
    }
}
