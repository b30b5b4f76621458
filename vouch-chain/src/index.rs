//! The bundle, indexed by the digests and ids other statements use to name
//! its statements, without decoding any statement the target never reaches.
//!
//! Each envelope is read just far enough to learn its predicate type and
//! subjects; the statement itself is decoded (and its subject binding
//! checked) only when the evaluation reaches it, once. A reached statement
//! that does not decode fails its link with the reason; one never reached
//! is only counted.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use vouch_core::Digest;
use vouch_core::cbor::{self, Limits};
use vouch_core::cose::{Sign, SignatureFailure};
use vouch_core::sshsig::VerifiedSshSig;
use vouch_core::text::error_chain;
use vouch_core::{Evidence, KeyId};
use vouch_git::commit::{CommitObject, GitError, ObjectFormat, object_id};
use vouch_git::tag::{TagError, TagObject};
use vouch_manifest::{
    Approval, Commit, Deployment, GitObjectId, Image, Predicate, Release, STATEMENT_CONTENT_TYPE,
    Statement, Subject, TrustedRoster,
};

use crate::bundle::Bundle;

/// How many of the bundle's items the evaluation used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BundleCounts {
    /// Statements the target reached and that were decoded (Sigstore
    /// bundles' statements included).
    pub decoded: usize,
    /// Readable statements the target never reached (not decoded), and
    /// the statements of Sigstore bundles that are no link of a chain (an
    /// SLSA provenance, say).
    pub ignored: usize,
    /// Envelopes that are not a vouch statement at all (not COSE_Sign, or
    /// no readable predicate type and subjects), and Sigstore bundles that
    /// do not parse or carry no in-toto statement; nothing can reach them.
    pub unreadable: usize,
    /// Git commit objects in the bundle.
    pub commit_objects: usize,
}

/// One statement envelope, borrowed from the bundle: its statement decoded
/// on first use, its signatures verified once (by the signature pass, or on
/// first use).
///
/// Only the bytes are kept, not a decoded envelope: the statement is read
/// from the payload's bytes, and the envelope is decoded again for the
/// moment its signatures are checked, so a large bundle is not held twice.
pub(crate) struct Lazy<'b, P> {
    envelope: &'b [u8],
    payload: &'b [u8],
    digest: Digest,
    decoded: OnceLock<Result<Statement<P>, Box<str>>>,
    checked: OnceLock<Checked>,
    /// For a statement carried by a Sigstore bundle: the bundle (shared by
    /// the entries of its several subjects), verified once when reached.
    /// Then `envelope` is the bundle's JSON and `payload` is empty.
    #[cfg(feature = "sigstore")]
    pub(crate) sigstore: Option<std::sync::Arc<crate::sigstore::Item<'b>>>,
}

/// Every signature of one envelope, verified against the roster's keys:
/// the ones that verified and why the others did not.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) ok: Vec<CheckedSigner>,
    pub(crate) failed: Vec<SignatureFailure>,
}

/// What the evaluation needs of a signature that verified: its key and the
/// evidence it carried (boxed, as software keys carry none). A bundle's
/// every statement keeps one, so it keeps no copy of the signature value.
#[derive(Debug)]
pub(crate) struct CheckedSigner {
    pub(crate) key_id: KeyId,
    pub(crate) evidence: Option<Box<Evidence>>,
}

impl Checked {
    /// Checks every signature of `envelope` with `roster`'s keys.
    fn of(envelope: &Sign, roster: &TrustedRoster) -> Self {
        let (ok, failed) = envelope.verify_each(|k| roster.public_key(k));
        Checked::from_results(ok, failed)
    }

    /// The checks from [`Sign::verify_each`]'s results.
    pub(crate) fn from_results(
        ok: Option<vouch_core::cose::Verified<&[u8]>>,
        failed: Vec<SignatureFailure>,
    ) -> Self {
        Checked {
            ok: ok
                .map(|v| {
                    v.signers()
                        .iter()
                        .map(|s| CheckedSigner {
                            key_id: s.key_id(),
                            evidence: s.evidence().cloned().map(Box::new),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            failed,
        }
    }
}

impl<'b, P: Predicate> Lazy<'b, P> {
    pub(crate) fn new(envelope: &'b [u8], payload: &'b [u8], digest: Digest) -> Self {
        Lazy {
            envelope,
            payload,
            digest,
            decoded: OnceLock::new(),
            checked: OnceLock::new(),
            #[cfg(feature = "sigstore")]
            sigstore: None,
        }
    }

    /// The size of the envelope as the bundle holds it.
    pub(crate) fn encoded_len(&self) -> usize {
        self.envelope.len()
    }

    /// Whether the statement is in a COSE envelope (not a Sigstore
    /// bundle): only those go through the COSE signature checks.
    pub(crate) fn is_cose(&self) -> bool {
        #[cfg(feature = "sigstore")]
        {
            self.sigstore.is_none()
        }
        #[cfg(not(feature = "sigstore"))]
        {
            true
        }
    }

    /// The digest of the statement's payload (what other statements name).
    pub(crate) fn digest(&self) -> Digest {
        self.digest
    }

    /// The statement, decoded and bound to its subject, or why not.
    pub(crate) fn get(&self, decoded: &AtomicUsize) -> Result<&Statement<P>, &str> {
        self.decoded
            .get_or_init(|| {
                decoded.fetch_add(1, Ordering::Relaxed);
                #[cfg(feature = "sigstore")]
                if let Some(item) = &self.sigstore {
                    return item.statement::<P>();
                }
                Statement::<P>::from_canonical_bytes(self.payload)
                    .map_err(|e| error_chain(&e).into_boxed_str())
            })
            .as_ref()
            .map_err(|e| &**e)
    }

    /// The decoded statement, when decoding has already succeeded.
    pub(crate) fn statement(&self) -> Option<&Statement<P>> {
        self.decoded.get().and_then(|r| r.as_ref().ok())
    }

    /// The envelope, decoded again for a signature check. The index
    /// peeked these same bytes with every check decoding makes, so this
    /// does not fail; if it did, the failure stands for every signature.
    pub(crate) fn envelope(&self) -> Result<Sign, Checked> {
        Sign::from_bytes(self.envelope).map_err(|error| Checked {
            ok: Vec::new(),
            failed: vec![SignatureFailure {
                index: 0,
                key_id: None,
                error,
            }],
        })
    }

    /// Whether its signatures were checked already.
    pub(crate) fn is_checked(&self) -> bool {
        self.checked.get().is_some()
    }

    /// Its signature checks, when they were made already.
    pub(crate) fn checked_now(&self) -> Option<&Checked> {
        self.checked.get()
    }

    /// Stores the signature checks made for this statement by a batch
    /// (a no-op when they were made already).
    pub(crate) fn store(&self, checked: Checked) {
        let _ = self.checked.set(checked);
    }

    /// Every signature verified with `roster`'s keys (whatever their
    /// validity), once.
    pub(crate) fn checked(&self, roster: &TrustedRoster) -> Option<&Checked> {
        self.statement()?;
        if !self.is_cose() {
            return None;
        }
        Some(self.checked.get_or_init(|| match self.envelope() {
            Ok(envelope) => Checked::of(&envelope, roster),
            Err(failed) => failed,
        }))
    }
}

/// A statement of the bundle that decoded: the entry (for its digest and
/// cached signature checks) and the statement itself.
pub(crate) struct Decoded<'l, P> {
    pub(crate) lazy: &'l Lazy<'l, P>,
    pub(crate) statement: &'l Statement<P>,
}

impl<P> Clone for Decoded<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Decoded<'_, P> {}

impl<'l, P> Decoded<'l, P> {
    /// The statement, *not yet verified* (its signatures are in the checks).
    pub(crate) fn unverified(&self) -> &'l Statement<P> {
        self.statement
    }

    /// The digest of the statement's payload.
    pub(crate) fn digest(&self) -> Digest {
        self.lazy.digest
    }

    /// The envelope's bytes, as the bundle holds them.
    pub(crate) fn envelope_bytes(&self) -> &'l [u8] {
        self.lazy.envelope
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

    /// The signature check, when it was made already.
    pub(crate) fn checked_signature(&self) -> Option<&Result<VerifiedSshSig, GitError>> {
        self.checked.get()
    }
}

/// The bundle's statements by the names the chain follows.
#[derive(Default)]
pub(crate) struct Index<'b> {
    pub(crate) deployments: HashMap<Digest, Vec<Lazy<'b, Deployment>>>,
    pub(crate) images: HashMap<Digest, Vec<Lazy<'b, Image>>>,
    pub(crate) releases: HashMap<Digest, Vec<Lazy<'b, Release>>>,
    /// Release statement digests by the artifact digests (SHA-256 and
    /// SHA-512) their subjects carry: an archive's, or a contents root.
    /// Read from the envelope before decoding, so only a hint: decoding
    /// checks each subject against what the release describes.
    pub(crate) release_artifacts: HashMap<Digest, Vec<Digest>>,
    pub(crate) commits: HashMap<GitObjectId, Vec<Lazy<'b, Commit>>>,
    pub(crate) approvals: HashMap<Digest, Vec<Lazy<'b, Approval>>>,
    /// Raw git commit objects, by the id computed from their bytes.
    pub(crate) objects: HashMap<GitObjectId, Object>,
    /// The envelopes of reference log entries and repository policy
    /// versions, for the release stage's reference-log rule.
    pub(crate) repo_log: Vec<&'b [u8]>,
    /// Raw git tag objects, by the id computed from their bytes (or why
    /// the bytes under that id are no tag).
    pub(crate) tags: HashMap<GitObjectId, Result<TagObject, TagError>>,
    pub(crate) decoded: AtomicUsize,
    pub(crate) statements: usize,
    pub(crate) unreadable: usize,
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

/// Adds one entry per name (a statement with several subjects is found
/// by each).
pub(crate) fn push_lazy<'b, K: std::hash::Hash + Eq, P>(
    map: &mut HashMap<K, Vec<Lazy<'b, P>>>,
    keys: Vec<K>,
    mut make: impl FnMut() -> Lazy<'b, P>,
) {
    for k in keys {
        // Most names have one statement: no room for four.
        map.entry(k)
            .or_insert_with(|| Vec::with_capacity(1))
            .push(make());
    }
}

fn push<'b, K: std::hash::Hash + Eq, P: Predicate>(
    map: &mut HashMap<K, Vec<Lazy<'b, P>>>,
    keys: Vec<K>,
    envelope: Envelope<'b>,
) {
    push_lazy(map, keys, || {
        Lazy::new(envelope.bytes, envelope.payload, envelope.digest)
    });
}

/// An envelope's bytes, its payload within them, and the payload's digest.
#[derive(Clone, Copy)]
struct Envelope<'b> {
    bytes: &'b [u8],
    payload: &'b [u8],
    digest: Digest,
}

/// One envelope of the bundle, read as far as the index needs.
enum Read<'b> {
    Commit(Envelope<'b>, Vec<GitObjectId>),
    Image(Envelope<'b>, Vec<Digest>),
    Approval(Envelope<'b>, Vec<Digest>),
    /// With the artifact digests its subjects name.
    Release(Envelope<'b>, Vec<Digest>),
    Deployment(Envelope<'b>),
    /// A reference log entry or a repository policy version.
    RepoLog(&'b [u8]),
    /// A readable statement of a type that is no link (a roster, a summary).
    Other,
    Unreadable,
}

/// Reads one envelope: its COSE structure, its content type, the
/// statement's type and subjects (not its predicate).
fn read(bytes: &[u8]) -> Read<'_> {
    let Ok(peeked) = Sign::peek(bytes, Limits::DEFAULT) else {
        return Read::Unreadable;
    };
    if peeked.content_type() != Some(STATEMENT_CONTENT_TYPE) {
        return Read::Unreadable;
    }
    let payload = peeked.unverified_payload();
    let Some(peek) = Peek::read(payload) else {
        return Read::Unreadable;
    };
    let envelope = Envelope {
        bytes,
        payload,
        digest: Digest::sha256(payload),
    };
    // Deployments and releases are named by their statement digest;
    // everything else by its subjects (which decoding later checks
    // against what the predicate describes).
    match peek.predicate_type.as_str() {
        Commit::PREDICATE_TYPE => {
            let mut ids: Vec<GitObjectId> = peek
                .subject
                .into_iter()
                .filter_map(|s| s.digest.git_commit)
                .collect();
            ids.dedup();
            Read::Commit(envelope, ids)
        }
        Image::PREDICATE_TYPE => Read::Image(envelope, sha256_subjects(&peek.subject)),
        Approval::PREDICATE_TYPE => Read::Approval(envelope, sha256_subjects(&peek.subject)),
        Release::PREDICATE_TYPE => {
            let mut artifacts: Vec<Digest> = peek
                .subject
                .iter()
                .flat_map(|s| [s.digest.sha256, s.digest.sha512])
                .flatten()
                .collect();
            artifacts.sort();
            artifacts.dedup();
            Read::Release(envelope, artifacts)
        }
        Deployment::PREDICATE_TYPE => Read::Deployment(envelope),
        vouch_manifest::RefLogEntry::PREDICATE_TYPE
        | vouch_manifest::RepoPolicy::PREDICATE_TYPE => Read::RepoLog(bytes),
        _ => Read::Other,
    }
}

impl<'b> Index<'b> {
    /// Indexes `bundle`, reading its envelopes on `threads`.
    pub(crate) fn build(bundle: &'b Bundle, threads: &crate::reach::Threads) -> Self {
        let mut ix = Index::default();
        for raw in bundle.commit_objects() {
            ix.add_object(raw);
        }
        for raw in bundle.tag_objects() {
            ix.add_tag(raw);
        }
        let envelopes = bundle.envelopes();
        let reads: Vec<Read<'b>> = match threads {
            crate::reach::Threads::One => envelopes.iter().map(|b| read(b)).collect(),
            #[cfg(feature = "parallel")]
            crate::reach::Threads::Global => par_read(envelopes),
            #[cfg(feature = "parallel")]
            crate::reach::Threads::Pool(pool) => pool.install(|| par_read(envelopes)),
        };
        for r in reads {
            ix.insert(r);
        }
        #[cfg(feature = "sigstore")]
        for raw in bundle.sigstore() {
            ix.add_sigstore(raw);
        }
        // Without feature `sigstore` nothing can verify them: they count
        // as unreadable, and nothing reaches them.
        #[cfg(not(feature = "sigstore"))]
        {
            ix.unreadable += bundle.sigstore().len();
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

    fn add_tag(&mut self, raw: &[u8]) {
        match TagObject::parse(raw, ObjectFormat::Sha1)
            .or_else(|_| TagObject::parse(raw, ObjectFormat::Sha256))
        {
            Ok(tag) => {
                self.tags.insert(tag.id().clone(), Ok(tag));
            }
            Err(_) => {
                for format in [ObjectFormat::Sha1, ObjectFormat::Sha256] {
                    if let (Ok(id), Err(e)) = (
                        vouch_git::commit::hash_object("tag", raw, format),
                        TagObject::parse(raw, format),
                    ) {
                        self.tags.entry(id).or_insert(Err(e));
                    }
                }
            }
        }
    }

    fn insert(&mut self, r: Read<'b>) {
        match r {
            Read::Unreadable => {
                self.unreadable += 1;
                return;
            }
            Read::Other => {}
            Read::RepoLog(bytes) => self.repo_log.push(bytes),
            Read::Commit(e, keys) => push(&mut self.commits, keys, e),
            Read::Image(e, keys) => push(&mut self.images, keys, e),
            Read::Approval(e, keys) => push(&mut self.approvals, keys, e),
            Read::Release(e, artifacts) => {
                for a in artifacts {
                    let list = self.release_artifacts.entry(a).or_default();
                    if !list.contains(&e.digest) {
                        list.push(e.digest);
                    }
                }
                push(&mut self.releases, vec![e.digest], e)
            }
            Read::Deployment(e) => push(&mut self.deployments, vec![e.digest], e),
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
fn par_read(envelopes: &[Vec<u8>]) -> Vec<Read<'_>> {
    use rayon::prelude::*;
    envelopes.par_iter().map(|b| read(b)).collect()
}
