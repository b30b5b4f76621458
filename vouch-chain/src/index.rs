//! The bundle, indexed by the digests and ids other statements use to name
//! its statements, without decoding any statement the target never reaches.
//!
//! Each envelope is read just far enough to learn its predicate type and
//! subjects; the statement itself is decoded (and its subject binding
//! checked) only when the evaluation reaches it, once. A reached statement
//! that does not decode fails its link with the reason; one never reached
//! is only counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use vouch_core::Digest;
use vouch_core::cbor::{self, Limits};
use vouch_core::cose::{Sign, SignatureFailure, VerifiedSigner};
use vouch_core::sshsig::VerifiedSshSig;
use vouch_core::text::error_chain;
use vouch_git::commit::{CommitObject, GitError, ObjectFormat, object_id};
use vouch_manifest::{
    Approval, Commit, Deployment, GitObjectId, Image, Predicate, Release, STATEMENT_CONTENT_TYPE,
    Signed, Subject, TrustedRoster,
};

use crate::bundle::Bundle;

/// How many of the bundle's items the evaluation used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BundleCounts {
    /// Statements the target reached and that were decoded.
    pub decoded: usize,
    /// Readable statements the target never reached (not decoded).
    pub ignored: usize,
    /// Envelopes that are not a vouch statement at all (not COSE_Sign, or
    /// no readable predicate type and subjects); nothing can reach them.
    pub unreadable: usize,
    /// Git commit objects in the bundle.
    pub commit_objects: usize,
}

/// One statement envelope, decoded on first use, its signatures verified
/// once (by the signature pass, or on first use).
pub(crate) struct Lazy<P> {
    envelope: Mutex<Option<Sign>>,
    digest: Digest,
    decoded: OnceLock<Result<Signed<P>, String>>,
    checked: OnceLock<Checked>,
}

/// Every signature of one envelope, verified against the roster's keys:
/// the ones that verified and why the others did not.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) ok: Vec<VerifiedSigner>,
    pub(crate) failed: Vec<SignatureFailure>,
}

impl<P: Predicate> Lazy<P> {
    fn new(envelope: Sign, digest: Digest) -> Self {
        Lazy {
            envelope: Mutex::new(Some(envelope)),
            digest,
            decoded: OnceLock::new(),
            checked: OnceLock::new(),
        }
    }

    /// The digest of the statement's payload (what other statements name).
    pub(crate) fn digest(&self) -> Digest {
        self.digest
    }

    /// The statement, decoded and bound to its subject, or why not.
    pub(crate) fn get(&self, decoded: &AtomicUsize) -> Result<&Signed<P>, &str> {
        self.decoded
            .get_or_init(|| {
                decoded.fetch_add(1, Ordering::Relaxed);
                let taken = match self.envelope.lock() {
                    Ok(mut guard) => guard.take(),
                    Err(poisoned) => poisoned.into_inner().take(),
                };
                let Some(envelope) = taken else {
                    return Err("statement decoded twice".to_owned());
                };
                Signed::<P>::from_envelope(envelope).map_err(|e| error_chain(&e))
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The decoded statement, when decoding has already succeeded.
    pub(crate) fn signed(&self) -> Option<&Signed<P>> {
        self.decoded.get().and_then(|r| r.as_ref().ok())
    }

    /// Stores the signature checks made for this statement by a batch
    /// (a no-op when they were made already).
    pub(crate) fn store(&self, checked: Checked) {
        let _ = self.checked.set(checked);
    }

    /// Every signature verified with `roster`'s keys (whatever their
    /// validity), once.
    pub(crate) fn checked(&self, roster: &TrustedRoster) -> Option<&Checked> {
        let signed = self.signed()?;
        Some(self.checked.get_or_init(|| {
            let (ok, failed) = signed.envelope().verify_each(|k| roster.public_key(k));
            Checked {
                ok: ok.map(|v| v.signers().to_vec()).unwrap_or_default(),
                failed,
            }
        }))
    }
}

/// A statement of the bundle that decoded: the entry (for its cached
/// signature checks) and the statement itself.
pub(crate) struct Decoded<'l, P> {
    pub(crate) lazy: &'l Lazy<P>,
    pub(crate) signed: &'l Signed<P>,
}

impl<P> Clone for Decoded<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Decoded<'_, P> {}

impl<P> std::ops::Deref for Decoded<'_, P> {
    type Target = Signed<P>;

    fn deref(&self) -> &Signed<P> {
        self.signed
    }
}

/// A git commit object from the bundle, or why it cannot be used.
pub(crate) enum Object {
    /// Parsed, with its id recomputed from the bytes.
    Parsed(Box<Parsed>),
    /// Its bytes hash to this id, but it does not parse.
    Broken(GitError),
}

/// A parsed commit object and its SSH signature, verified once.
pub(crate) struct Parsed {
    pub(crate) object: CommitObject,
    checked: OnceLock<Result<VerifiedSshSig, GitError>>,
}

impl Parsed {
    /// The SSH signature in the object, verified (namespace `git`).
    pub(crate) fn signature(&self) -> &Result<VerifiedSshSig, GitError> {
        self.checked.get_or_init(|| self.object.verify_signature())
    }
}

/// The bundle's statements by the names the chain follows.
#[derive(Default)]
pub(crate) struct Index {
    pub(crate) deployments: HashMap<Digest, Vec<Lazy<Deployment>>>,
    pub(crate) images: HashMap<Digest, Vec<Lazy<Image>>>,
    pub(crate) releases: HashMap<Digest, Vec<Lazy<Release>>>,
    pub(crate) commits: HashMap<GitObjectId, Vec<Lazy<Commit>>>,
    pub(crate) approvals: HashMap<Digest, Vec<Lazy<Approval>>>,
    /// Raw git commit objects, by the id computed from their bytes.
    pub(crate) objects: HashMap<GitObjectId, Object>,
    pub(crate) decoded: AtomicUsize,
    statements: usize,
    unreadable: usize,
}

/// The parts of a statement the index needs (its predicate type and
/// subjects), read without decoding the predicate: its bytes are skipped.
struct Peek {
    predicate_type: String,
    subject: Vec<Subject>,
}

impl Peek {
    fn read(payload: &[u8]) -> Option<Peek> {
        let limits = Limits::DEFAULT;
        if payload.len() > limits.max_size {
            return None;
        }
        let predicate_type = cbor::map_text_field(payload, "predicateType", limits).ok()??;
        let subject = cbor::map_field(payload, "subject", limits).ok()??;
        let subject: Vec<Subject> = cbor::from_canonical_with_limits(subject, limits).ok()?;
        Some(Peek {
            predicate_type: predicate_type.to_owned(),
            subject,
        })
    }
}

fn sha256_subjects(subjects: &[Subject]) -> Vec<Digest> {
    let mut out: Vec<Digest> = subjects.iter().filter_map(|s| s.digest.sha256).collect();
    out.dedup();
    out
}

fn push<K: std::hash::Hash + Eq, P: Predicate>(
    map: &mut HashMap<K, Vec<Lazy<P>>>,
    keys: Vec<K>,
    envelope: Sign,
    digest: Digest,
) {
    // One entry per key; the last one takes the envelope itself.
    let n = keys.len();
    let mut envelope = Some(envelope);
    for (i, k) in keys.into_iter().enumerate() {
        let e = if i + 1 == n {
            envelope.take()
        } else {
            envelope.clone()
        };
        if let Some(e) = e {
            map.entry(k).or_default().push(Lazy::new(e, digest));
        }
    }
}

/// One envelope of the bundle, read as far as the index needs.
enum Read {
    Commit(Sign, Digest, Vec<GitObjectId>),
    Image(Sign, Digest, Vec<Digest>),
    Approval(Sign, Digest, Vec<Digest>),
    Release(Sign, Digest),
    Deployment(Sign, Digest),
    /// A readable statement of a type that is no link (a roster, a summary).
    Other,
    Unreadable,
}

/// Reads one envelope: its COSE structure, its content type, the
/// statement's type and subjects (not its predicate).
fn read(bytes: &[u8]) -> Read {
    let Ok(envelope) = Sign::from_bytes(bytes) else {
        return Read::Unreadable;
    };
    if envelope.content_type() != Some(STATEMENT_CONTENT_TYPE) {
        return Read::Unreadable;
    }
    let payload = envelope.unverified_payload();
    let Some(peek) = Peek::read(payload) else {
        return Read::Unreadable;
    };
    let digest = Digest::sha256(payload);
    // Deployments and releases are named by their statement digest;
    // everything else by its subjects (which decoding later checks
    // against what the predicate describes).
    match peek.predicate_type.as_str() {
        Commit::PREDICATE_TYPE => {
            let mut ids: Vec<GitObjectId> = peek
                .subject
                .iter()
                .filter_map(|s| s.digest.git_commit.clone())
                .collect();
            ids.dedup();
            Read::Commit(envelope, digest, ids)
        }
        Image::PREDICATE_TYPE => Read::Image(envelope, digest, sha256_subjects(&peek.subject)),
        Approval::PREDICATE_TYPE => {
            Read::Approval(envelope, digest, sha256_subjects(&peek.subject))
        }
        Release::PREDICATE_TYPE => Read::Release(envelope, digest),
        Deployment::PREDICATE_TYPE => Read::Deployment(envelope, digest),
        _ => Read::Other,
    }
}

impl Index {
    /// Indexes `bundle`, reading its envelopes on `threads`.
    pub(crate) fn build(bundle: &Bundle, threads: &crate::reach::Threads) -> Self {
        let mut ix = Index::default();
        for raw in bundle.commit_objects() {
            ix.add_object(raw);
        }
        let envelopes = bundle.envelopes();
        let reads: Vec<Read> = match threads {
            crate::reach::Threads::One => envelopes.iter().map(|b| read(b)).collect(),
            #[cfg(feature = "parallel")]
            crate::reach::Threads::Global => par_read(envelopes),
            #[cfg(feature = "parallel")]
            crate::reach::Threads::Pool(pool) => pool.install(|| par_read(envelopes)),
        };
        for r in reads {
            ix.insert(r);
        }
        ix
    }

    fn add_object(&mut self, raw: &[u8]) {
        // The id is computed from the bytes, so an altered object gets
        // another id and nothing that names the original finds it.
        match CommitObject::parse(raw, ObjectFormat::Sha1)
            .or_else(|_| CommitObject::parse(raw, ObjectFormat::Sha256))
        {
            Ok(obj) => {
                let id = obj.id().clone();
                let parsed = Parsed {
                    object: obj,
                    checked: OnceLock::new(),
                };
                self.objects.insert(id, Object::Parsed(Box::new(parsed)));
            }
            Err(_) => {
                // Keep the reason under the ids the bytes hash to, so a
                // commit that names it hears why (two signature headers,
                // say) instead of "unsigned".
                for format in [ObjectFormat::Sha1, ObjectFormat::Sha256] {
                    if let (Ok(id), Err(e)) =
                        (object_id(raw, format), CommitObject::parse(raw, format))
                    {
                        self.objects.entry(id).or_insert(Object::Broken(e));
                    }
                }
            }
        }
    }

    fn insert(&mut self, r: Read) {
        match r {
            Read::Unreadable => {
                self.unreadable += 1;
                return;
            }
            Read::Other => {}
            Read::Commit(e, d, keys) => push(&mut self.commits, keys, e, d),
            Read::Image(e, d, keys) => push(&mut self.images, keys, e, d),
            Read::Approval(e, d, keys) => push(&mut self.approvals, keys, e, d),
            Read::Release(e, d) => push(&mut self.releases, vec![d], e, d),
            Read::Deployment(e, d) => push(&mut self.deployments, vec![d], e, d),
        }
        self.statements += 1;
    }

    /// The counts after an evaluation.
    pub(crate) fn counts(&self) -> BundleCounts {
        let decoded = self.decoded.load(Ordering::Relaxed);
        BundleCounts {
            decoded,
            ignored: self.statements.saturating_sub(decoded),
            unreadable: self.unreadable,
            commit_objects: self.objects.len(),
        }
    }
}

#[cfg(feature = "parallel")]
fn par_read(envelopes: &[Vec<u8>]) -> Vec<Read> {
    use rayon::prelude::*;
    envelopes.par_iter().map(|b| read(b)).collect()
}
