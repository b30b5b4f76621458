//! The decision for a whole request, without the network: exempt
//! namespaces, every image pinned, the workload named, each image's bundle
//! fetched (fail closed) and decided, the verdict cache consulted, dry-run
//! turning a denial into warnings, and the audit record of it all.
//!
//! The HTTPS server calls [`Gate::review`] with the decoded request; this
//! module owns the rules and is tested without a socket.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use vouch_chain::{Placement, Verifier};
use vouch_core::{Digest, Timestamp};

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

/// A cached per-image result: admitted, or the denial's reasons, with the
/// trace digests for the audit log.
#[derive(Debug, Clone)]
struct Cached {
    admitted: bool,
    reasons: Vec<String>,
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
        }
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
            let (bundle, bundle_digest) =
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
                bundle: bundle_digest,
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
                    let d = decide(&verifier, &bundle, &digest, &placement, now);
                    let traces = match &d {
                        ImageDecision::Admitted(v) => vec![trace_digest(v)],
                        ImageDecision::Denied(vs) => vs.iter().map(trace_digest).collect(),
                        _ => Vec::new(),
                    };
                    let c = Cached {
                        admitted: d.admitted(),
                        reasons: d.reasons(&digest),
                        traces,
                    };
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
            audit
                .reasons
                .extend(result.reasons.into_iter().map(|r| format!("{label}: {r}")));
            audit.trace_digests.extend(result.traces);
        }
        if all_admitted && !w.images.is_empty() {
            audit.outcome = Outcome::Allowed;
        } else if w.images.is_empty() {
            audit.reasons.push("the pod spec lists no container".into());
        }
        self.finish(audit, cache_hits)
    }

    fn finish(&self, mut audit: AuditRecord, cache_hits: usize) -> Reviewed {
        if audit.outcome == Outcome::Denied && self.settings.dry_run {
            audit.outcome = Outcome::DryRunDenied;
        }
        let decision = match audit.outcome {
            Outcome::Allowed | Outcome::Readmitted | Outcome::Exempt => Decision {
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
