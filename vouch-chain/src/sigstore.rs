//! Sigstore bundles as evidence (feature `sigstore`): a Sigstore bundle
//! whose DSSE envelope signs an in-toto statement of a vouch link (image,
//! release, deployment, commit, approval) counts as that statement, signed
//! by the roster identity its signer maps to, at the time its log entry or
//! timestamp proves.
//!
//! - Indexing: the bundle's DSSE payload (unverified) is read as an in-toto
//!   statement; one of a vouch predicate type is re-encoded as canonical
//!   CBOR, so it is named by the same digest as the same statement in a
//!   COSE envelope, and indexed the same way (images and approvals by their
//!   subjects, releases and deployments by that digest, commits by id). A
//!   statement of any other type (an SLSA provenance) is no link: counted
//!   as ignored, never verified.
//! - Verification, once, when the evaluation reaches it: offline, against
//!   the trusted root the roster carries (`witnesses.sigstore`), over the
//!   statement's first SHA-256 subject, else its first SHA-512 one
//!   (sigstore-verify binds a DSSE
//!   statement to the artifact through its subjects; the signature covers
//!   the whole statement). The expected signer is chosen from the roster
//!   before verifying, never from the bundle: a certificate's exact
//!   (issuer, SAN) pair must be mapped in `witnesses.sigstore.signers`,
//!   and a key-signed bundle's hint must name a roster key (the base64
//!   SHA-256 of its `SubjectPublicKeyInfo`, Sigstore's convention).
//! - Time: the earliest time the bundle proves (Rekor v1 integrated time
//!   under the log's signed entry timestamp, or an RFC 3161 timestamp of
//!   the root's authorities) is the statement's proven time. A Fulcio
//!   certificate lives ten minutes and is checked at that time by
//!   sigstore-verify, so no roster key window is involved; the mapping's
//!   window and the identity's role grants are judged at that time. A
//!   key-signed bundle's roster key is judged at that time like any
//!   proven signature.
//! - Hardware: a Sigstore signature carries no FIDO or TPM evidence, so it
//!   never meets a hardware requirement ([`Reason::SigstoreNoHardware`]).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use serde::Deserialize;
use vouch_core::text::error_chain;
use vouch_core::{Digest, KeyId};
use vouch_manifest::{
    Approval, ClaimedTimeTrust, Commit, Deployment, IdentityId, Image, KeyStanding, Predicate,
    Release, SigstoreTrust, Statement, Subject, TrustedRoster,
};
use vouch_sigstore::{
    ArtifactRef, Bundle as SigstoreBundle, ClaimedSigner, Expectation, Signer, TimeSource,
    TrustedRoot, VerifiedBundle,
};

use crate::attest::{Attested, Attester, Covers};
use crate::counter::Counters;
use crate::error::Reason;
use crate::index::{Index, Lazy, push_lazy};
use crate::trace::{ProvenTime, TraceClaim, TraceSigstore};
use crate::witness::Proof;

/// The DSSE payload type of an in-toto statement.
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// What the roster's Sigstore trust gives one evaluation: its trusted
/// root, parsed on first use, and its keys by Sigstore key hint.
pub(crate) struct Context<'r> {
    roster: &'r TrustedRoster,
    root: OnceLock<Result<TrustedRoot, String>>,
    hints: OnceLock<HashMap<String, KeyId>>,
}

impl<'r> Context<'r> {
    pub(crate) fn new(roster: &'r TrustedRoster) -> Self {
        Context {
            roster,
            root: OnceLock::new(),
            hints: OnceLock::new(),
        }
    }

    fn trust(&self) -> Option<&'r SigstoreTrust> {
        self.roster.roster().witnesses.sigstore.as_ref()
    }

    fn root(&self, trust: &SigstoreTrust) -> Result<&TrustedRoot, String> {
        self.root
            .get_or_init(|| {
                TrustedRoot::from_json(trust.trusted_root.as_bytes())
                    .map_err(|e| format!("the trusted root: {}", error_chain(&e)))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The roster key a key-signed bundle's hint names: the base64
    /// SHA-256 of the key's DER `SubjectPublicKeyInfo`, as cosign and
    /// sigstore-go write it.
    fn key_by_hint(&self, hint: &str) -> Option<KeyId> {
        self.hints
            .get_or_init(|| {
                let mut map = HashMap::new();
                for identity in &self.roster.roster().identities {
                    for k in &identity.keys {
                        if let Some(der) = spki_der(&k.key) {
                            let hint = base64::engine::general_purpose::STANDARD
                                .encode(Digest::sha256(&der).as_bytes());
                            map.insert(hint, k.key.key_id());
                        }
                    }
                }
                map
            })
            .get(hint)
            .copied()
    }
}

/// A roster key as a DER `SubjectPublicKeyInfo`, when Sigstore can
/// verify with it (plain Ed25519 and P-256 keys; FIDO keys sign another
/// message than a DSSE envelope's).
fn spki_der(key: &vouch_core::PublicKey) -> Option<Vec<u8>> {
    if key.fido_application().is_some() {
        return None;
    }
    let pem = key.to_spki_pem().ok()?;
    vouch_sigstore::PublicKey::from_pem(&pem)
        .ok()
        .map(|k| k.spki_der().to_vec())
}

/// Who a verified bundle's signer is in the roster.
#[derive(Clone, Debug)]
enum Found {
    /// A certificate whose (issuer, SAN) the roster maps to this identity
    /// at the proven time.
    Identity(IdentityId),
    /// A roster key (its holder is judged by the roster at the proven time).
    Key(KeyId),
}

/// A verified Sigstore bundle, before its signer's standing is judged.
#[derive(Clone, Debug)]
struct Finding {
    found: Found,
    key_id: KeyId,
    proven: ProvenTime,
    trace: TraceSigstore,
}

/// The statement's first SHA-256 subject, else its first SHA-512 one
/// (an npm archive's): what the bundle is verified over.
fn first_artifact(subjects: &[Subject]) -> Option<Digest> {
    subjects
        .iter()
        .find_map(|s| s.digest.sha256)
        .or_else(|| subjects.iter().find_map(|s| s.digest.sha512))
}

/// Verifies one Sigstore bundle against the roster's trust, choosing the
/// expected signer from the roster.
fn verify_one(
    ctx: &Context<'_>,
    id: Digest,
    bundle: &SigstoreBundle,
    artifact: Option<Digest>,
) -> Result<Finding, Reason> {
    let trust = ctx
        .trust()
        .ok_or(Reason::SigstoreNotTrusted { bundle: id })?;
    let refused = |cause: String| Reason::SigstoreRefused { bundle: id, cause };
    let root = ctx.root(trust).map_err(refused)?;
    let artifact = artifact.ok_or_else(|| {
        refused(
            "its statement names no SHA-256 or SHA-512 subject, which a DSSE statement is verified over"
                .into(),
        )
    })?;
    let verify = |expected: &Expectation| {
        vouch_sigstore::verify(bundle, ArtifactRef::Digest(artifact), root, expected)
            .map_err(|e| refused(error_chain(&e)))
    };
    match bundle.claimed_signer() {
        ClaimedSigner::Certificate {
            san: Some(san),
            issuer: Some(issuer),
        } => {
            let Some(first) = trust.signer(&issuer, &san).next() else {
                return Err(Reason::SigstoreUnmapped {
                    bundle: id,
                    san,
                    issuer,
                });
            };
            let v = verify(&Expectation::Identity {
                san: san.clone(),
                issuer: issuer.clone(),
            })?;
            let Signer::Certificate(cert) = v.signer() else {
                return Err(refused("verified, but not as a certificate".into()));
            };
            let proven = proven_time(&v, trust).ok_or(Reason::SigstoreNoTime { bundle: id })?;
            // The SAN and issuer verified are the ones expected, so the
            // same mappings apply; one must hold at the proven time.
            let Some(m) = trust
                .signer(cert.issuer(), cert.san())
                .find(|m| m.holds_at(proven.at))
            else {
                return Err(Reason::SigstoreOutsideWindow {
                    bundle: id,
                    identity: first.identity.clone(),
                    san,
                    at: proven.at,
                });
            };
            let key_id = KeyId::from_slice(Digest::sha256(cert.spki_der()).as_bytes())
                .map_err(|e| refused(error_chain(&e)))?;
            Ok(Finding {
                found: Found::Identity(m.identity.clone()),
                key_id,
                proven,
                trace: TraceSigstore {
                    kind: "certificate",
                    san: Some(cert.san().to_owned()),
                    issuer: Some(cert.issuer().to_owned()),
                    claims: cert
                        .claims()
                        .iter()
                        .map(|(c, v)| TraceClaim {
                            name: c.name(),
                            value: v.to_owned(),
                        })
                        .collect(),
                },
            })
        }
        ClaimedSigner::Key { hint } => {
            let key = ctx
                .key_by_hint(&hint)
                .and_then(|k| ctx.roster.public_key(&k).map(|p| (k, p)));
            let Some((key_id, public)) = key else {
                return Err(Reason::SigstoreUnknownKey { bundle: id, hint });
            };
            let pem = public.to_spki_pem().map_err(|e| refused(error_chain(&e)))?;
            let key =
                vouch_sigstore::PublicKey::from_pem(&pem).map_err(|e| refused(error_chain(&e)))?;
            let v = verify(&Expectation::Key(key))?;
            let proven = proven_time(&v, trust).ok_or(Reason::SigstoreNoTime { bundle: id })?;
            Ok(Finding {
                found: Found::Key(key_id),
                key_id,
                proven,
                trace: TraceSigstore {
                    kind: "key",
                    san: None,
                    issuer: None,
                    claims: Vec::new(),
                },
            })
        }
        _ => Err(refused(
            "its certificate names no identity or no OIDC issuer".into(),
        )),
    }
}

/// The earliest time a verified bundle proves, as the trace says it.
fn proven_time(v: &VerifiedBundle, trust: &SigstoreTrust) -> Option<ProvenTime> {
    let p = v.proven_time()?;
    Some(match p.source() {
        TimeSource::LogIntegratedTime { log_index } => ProvenTime {
            at: p.time(),
            by: v
                .log_entries()
                .iter()
                .find(|e| e.index() == log_index)
                .and_then(|e| e.log_url())
                .map_or_else(|| format!("{} Rekor", trust.label), str::to_owned),
            how: "sigstore",
            index: Some(log_index),
        },
        _ => ProvenTime {
            at: p.time(),
            by: format!("{} timestamp authority", trust.label),
            how: "sigstore",
            index: None,
        },
    })
}

/// One Sigstore bundle of the vouch bundle, parsed, with its statement in
/// canonical CBOR; verified once, when reached.
pub(crate) struct Item<'b> {
    json: &'b [u8],
    id: Digest,
    bundle: SigstoreBundle,
    artifact: Option<Digest>,
    statement: Result<Vec<u8>, Box<str>>,
    verified: OnceLock<Result<Finding, Reason>>,
}

impl std::fmt::Debug for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item")
            .field("id", &self.id)
            .field("len", &self.json.len())
            .finish_non_exhaustive()
    }
}

impl Item<'_> {
    /// The statement, decoded from its canonical CBOR.
    pub(crate) fn statement<P: Predicate>(&self) -> Result<Statement<P>, Box<str>> {
        let cbor = self.statement.as_ref().map_err(Clone::clone)?;
        Statement::<P>::from_canonical_bytes(cbor).map_err(|e| error_chain(&e).into_boxed_str())
    }

    fn verified(&self, ctx: &Context<'_>) -> &Result<Finding, Reason> {
        self.verified
            .get_or_init(|| verify_one(ctx, self.id, &self.bundle, self.artifact))
    }

    /// What the bundle proves about time: its proven time, or why none.
    pub(crate) fn proof(&self, ctx: &Context<'_>) -> Proof {
        match self.verified(ctx) {
            Ok(f) => Proof {
                time: Some(f.proven.clone()),
                refused: Vec::new(),
            },
            Err(r) => Proof {
                time: None,
                refused: vec![r.to_string()],
            },
        }
    }
}

impl<'r> Attester<'r> {
    /// The roster identity that signed a Sigstore bundle, judged at its
    /// proven time, or why none counts.
    pub(crate) fn sigstore_signer(
        &self,
        item: &Item<'_>,
        covers: Covers<'_>,
        failures: &mut Vec<Reason>,
    ) -> Option<Attested<'r>> {
        let f = match item.verified(&self.sigstore) {
            Ok(f) => f,
            Err(r) => {
                failures.push(r.clone());
                return None;
            }
        };
        let at = f.proven.at;
        let sigstore = Some(Box::new(f.trace.clone()));
        match &f.found {
            Found::Identity(id) => {
                let Some(identity) = self.roster.identity(id) else {
                    // The roster's check refuses a mapping to an unknown
                    // identity; should one slip through, it counts for nothing.
                    failures.push(Reason::SigstoreRefused {
                        bundle: item.id,
                        cause: format!("mapped to {id}, which is not in the roster"),
                    });
                    return None;
                };
                Some(Attested {
                    identity,
                    roster_key: None,
                    key_id: f.key_id,
                    evidence: None,
                    at,
                    standing: KeyStanding::Live,
                    sigstore,
                })
            }
            Found::Key(key_id) => {
                let mut a = self.holder(*key_id, None, at, Some(at), covers, failures)?;
                a.sigstore = sigstore;
                Some(a)
            }
        }
    }
}

/// The fields of an in-toto statement the index needs.
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "predicateType")]
    predicate_type: String,
    subject: Vec<Subject>,
}

/// A statement of predicate `P` from a DSSE payload: the item, and its
/// digest (of the canonical CBOR when it decodes; else of the JSON, and
/// then it fails when reached).
fn item<'b, P: Predicate>(
    json: &'b [u8],
    bundle: SigstoreBundle,
    artifact: Option<Digest>,
    payload: &[u8],
) -> (Arc<Item<'b>>, Digest, bool) {
    let statement = Statement::<P>::from_json(payload)
        .and_then(|s| s.to_canonical_bytes())
        .map_err(|e| error_chain(&e).into_boxed_str());
    let (digest, ok) = match &statement {
        Ok(cbor) => (Digest::sha256(cbor), true),
        Err(_) => (Digest::sha256(payload), false),
    };
    let item = Item {
        json,
        id: Digest::sha256(json),
        bundle,
        artifact,
        statement,
        verified: OnceLock::new(),
    };
    (Arc::new(item), digest, ok)
}

fn lazy<'b, P: Predicate>(item: &Arc<Item<'b>>, digest: Digest) -> Lazy<'b, P> {
    let mut l = Lazy::new(item.json, &[], digest);
    l.sigstore = Some(Arc::clone(item));
    l
}

fn sha256_subjects(subjects: &[Subject]) -> Vec<Digest> {
    let mut out: Vec<Digest> = subjects.iter().filter_map(|s| s.digest.sha256).collect();
    out.dedup();
    out
}

impl<'b> Index<'b> {
    /// Indexes one Sigstore bundle's statement, when it is a vouch link.
    pub(crate) fn add_sigstore(&mut self, json: &'b [u8]) {
        let Ok(bundle) = SigstoreBundle::from_json(json) else {
            self.unreadable += 1;
            return;
        };
        let Some((IN_TOTO, payload)) = bundle.unverified_dsse() else {
            self.unreadable += 1;
            return;
        };
        let Ok(peek) = serde_json::from_slice::<Peek>(payload) else {
            self.unreadable += 1;
            return;
        };
        let payload = payload.to_vec();
        let artifact = first_artifact(&peek.subject);
        match peek.predicate_type.as_str() {
            Image::PREDICATE_TYPE => {
                let (it, d, _) = item::<Image>(json, bundle, artifact, &payload);
                push_lazy(&mut self.images, sha256_subjects(&peek.subject), || {
                    lazy(&it, d)
                });
            }
            Approval::PREDICATE_TYPE => {
                let (it, d, _) = item::<Approval>(json, bundle, artifact, &payload);
                push_lazy(&mut self.approvals, sha256_subjects(&peek.subject), || {
                    lazy(&it, d)
                });
            }
            Commit::PREDICATE_TYPE => {
                let mut ids: Vec<_> = peek
                    .subject
                    .iter()
                    .filter_map(|s| s.digest.git_commit.clone())
                    .collect();
                ids.dedup();
                let (it, d, _) = item::<Commit>(json, bundle, artifact, &payload);
                push_lazy(&mut self.commits, ids, || lazy(&it, d));
            }
            Release::PREDICATE_TYPE => {
                let (it, d, ok) = item::<Release>(json, bundle, artifact, &payload);
                if !ok {
                    self.unreadable += 1;
                    return;
                }
                push_lazy(&mut self.releases, vec![d], || lazy(&it, d));
            }
            Deployment::PREDICATE_TYPE => {
                let (it, d, ok) = item::<Deployment>(json, bundle, artifact, &payload);
                if !ok {
                    self.unreadable += 1;
                    return;
                }
                push_lazy(&mut self.deployments, vec![d], || lazy(&it, d));
            }
            // Another ecosystem's statement (SLSA provenance, an SBOM):
            // no link of a vouch chain, so nothing reaches it.
            _ => {}
        }
        self.statements += 1;
    }
}

/// What a Sigstore bundle proved, mapped to the roster: who signed (a
/// roster identity), with which key, when (proven), and the in-toto
/// statement it signs. Only [`verify_sigstore`] makes one.
#[derive(Clone, Debug)]
pub struct SigstoreEvidence {
    bundle: Digest,
    identity: IdentityId,
    key_id: KeyId,
    proven: ProvenTime,
    signer: TraceSigstore,
    predicate_type: String,
    statement: Vec<u8>,
}

impl SigstoreEvidence {
    /// The SHA-256 of the Sigstore bundle's JSON.
    pub fn bundle(&self) -> Digest {
        self.bundle
    }

    /// The roster identity that signed, at the proven time.
    pub fn identity(&self) -> &IdentityId {
        &self.identity
    }

    /// The roster key (key-signed), or the SHA-256 of the certificate's
    /// ephemeral key's `SubjectPublicKeyInfo` (keyless).
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// When the bundle is proven to have been signed, and by which log or
    /// timestamp authority.
    pub fn proven_time(&self) -> &ProvenTime {
        &self.proven
    }

    /// The signer as the trace shows it (certificate SAN, issuer, claims).
    pub fn signer(&self) -> &TraceSigstore {
        &self.signer
    }

    /// The signed statement's predicate type.
    pub fn predicate_type(&self) -> &str {
        &self.predicate_type
    }

    /// The signed in-toto statement, exactly as signed (JSON).
    pub fn statement_json(&self) -> &[u8] {
        &self.statement
    }

    /// The vouch predicate type of the statement, or why it is no link of
    /// a chain (a statement of another ecosystem's type is ignored by the
    /// chain, whoever signed it).
    pub fn link_type(&self) -> Result<&'static str, Reason> {
        [
            Image::PREDICATE_TYPE,
            Release::PREDICATE_TYPE,
            Deployment::PREDICATE_TYPE,
            Commit::PREDICATE_TYPE,
            Approval::PREDICATE_TYPE,
        ]
        .into_iter()
        .find(|t| *t == self.predicate_type)
        .ok_or_else(|| Reason::SigstoreNotALink {
            bundle: self.bundle,
            predicate_type: self.predicate_type.clone(),
        })
    }
}

/// Verifies one Sigstore bundle (JSON) as the chain does, outside any
/// chain: offline against the roster's Sigstore trusted root, its signer
/// mapped to a roster identity at its proven time, its DSSE in-toto
/// statement returned whatever its type (see
/// [`SigstoreEvidence::link_type`]).
pub fn verify_sigstore(roster: &TrustedRoster, json: &[u8]) -> Result<SigstoreEvidence, Reason> {
    let id = Digest::sha256(json);
    let refused = |cause: String| Reason::SigstoreRefused { bundle: id, cause };
    let bundle = SigstoreBundle::from_json(json).map_err(|e| refused(error_chain(&e)))?;
    let Some((IN_TOTO, payload)) = bundle.unverified_dsse() else {
        return Err(refused("it signs no DSSE in-toto statement".into()));
    };
    let peek: Peek = serde_json::from_slice(payload)
        .map_err(|e| refused(format!("its in-toto statement does not read: {e}")))?;
    let now = vouch_core::Timestamp::now();
    let attester = Attester {
        roster,
        now,
        until: crate::attest::Until::after(now),
        trust: ClaimedTimeTrust::Refuse,
        counters: Counters::default(),
        sigstore: Context::new(roster),
        #[cfg(feature = "openpgp")]
        openpgp: std::cell::OnceCell::new(),
    };
    let finding = verify_one(
        &attester.sigstore,
        id,
        &bundle,
        first_artifact(&peek.subject),
    )?;
    let mut failures = Vec::new();
    let identity = match &finding.found {
        Found::Identity(i) => i.clone(),
        Found::Key(k) => {
            let at = finding.proven.at;
            let covers = Covers {
                statement: None,
                commit: None,
                releases: &[],
            };
            match attester.holder(*k, None, at, Some(at), covers, &mut failures) {
                Some(a) => a.identity.id.clone(),
                None => {
                    return Err(failures.pop().unwrap_or(Reason::UnknownKey { key_id: *k }));
                }
            }
        }
    };
    Ok(SigstoreEvidence {
        bundle: id,
        identity,
        key_id: finding.key_id,
        proven: finding.proven,
        signer: finding.trace,
        predicate_type: peek.predicate_type,
        statement: payload.to_vec(),
    })
}
