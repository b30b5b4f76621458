//! Bundles: the signed statements handed to a verifier, in one file or a directory.

use std::path::Path;

use serde::{Deserialize, Serialize};
use vouch_core::Digest;
use vouch_core::cbor::{self, Limits};

use crate::error::ChainError;

/// The bundle file's version.
const BUNDLE_VERSION: u64 = 1;
/// Largest bundle file read (a bundle of 5 000 commits is a few MB).
pub const MAX_BUNDLE: usize = 256 << 20;
/// Most envelopes, commit objects, timestamps and Sigstore bundles in one
/// bundle, together.
pub const MAX_ITEMS: usize = 1_000_000;
/// Largest Sigstore bundle kept in a bundle (the limit vouch-sigstore
/// reads; a DSSE attestation with a large SBOM stays well within).
pub const MAX_SIGSTORE_BUNDLE: usize = 16 << 20;

/// Signed statements (COSE_Sign envelopes, each exactly as signed), raw
/// git commit objects and RFC 3161 timestamps of envelopes, gathered for
/// one verification.
///
/// On disk a bundle is canonical CBOR:
/// `{"commits": [bstr...], "envelopes": [bstr...], "version": 1}`, each
/// envelope kept as its own byte string so its bytes are never re-encoded;
/// with timestamps, also `"timestamps": [[bstr(32), bstr]...]`, each the
/// [`timestamped_digest`] of an envelope and a DER `TimeStampToken` of it;
/// with Sigstore bundles, also `"sigstore": [bstr...]`, each the JSON of a
/// Sigstore bundle (`*.sigstore.json`) as written, whose DSSE statement is
/// evidence when the verifier is built with feature `sigstore`; with
/// annotated git tag objects, also `"tags": [bstr...]`, each the bytes
/// `git cat-file tag` prints (a release that names its tag is checked
/// against it).
/// (COSE receipts of transparency logs travel inside their envelopes, in
/// label 394 of the unprotected header.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    envelopes: Vec<Vec<u8>>,
    commits: Vec<Vec<u8>>,
    timestamps: Vec<(Digest, Vec<u8>)>,
    inclusions: Vec<([u8; 32], Inclusion)>,
    sigstore: Vec<Vec<u8>>,
    tags: Vec<Vec<u8>>,
}

/// A checkpoint-bound inclusion proof of a statement envelope: the log's
/// signed checkpoint (a C2SP signed note, with whatever witness
/// cosignatures it gathered), the envelope's index in that tree, and the
/// RFC 9162 inclusion proof. Its leaf is the envelope's
/// [`vouch_core::tlog::receipt::statement_leaf`]. A witness's
/// `cosignature/v1` dates the checkpoint, and so the entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Inclusion {
    /// The signed checkpoint note.
    pub checkpoint: Vec<u8>,
    /// The entry's index in the checkpoint's tree.
    pub index: u64,
    /// The inclusion proof, leaf to root.
    pub proof: Vec<[u8; 32]>,
}

/// A proof of time read from a directory bundle, for the envelope whose
/// file name it extends.
enum Proof {
    Token(Vec<u8>),
    Inclusion(Vec<u8>),
}

/// An [`Inclusion`] as a file: canonical CBOR
/// `{"checkpoint": bstr, "index": uint, "proof": [bstr(32)...]}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionFile {
    checkpoint: Bytes,
    index: u64,
    proof: Vec<Bytes>,
}

/// The largest inclusion file read: a checkpoint note with cosignatures
/// and 64 hashes is a few KiB.
pub const MAX_INCLUSION: usize = 64 * 1024;

/// Checks a file in the document profile: canonical CBOR with text map
/// keys, no tags and no nulls, which a typed decoder would otherwise skip
/// or read as absent; so a file that decodes (with
/// [`cbor::decode_validated`], once its counts are checked) re-encodes to
/// exactly its bytes.
fn validate_document(bytes: &[u8], limits: Limits) -> Result<(), cbor::CborError> {
    cbor::validate(bytes, cbor::Strictness::Document, limits)
}

/// Refuses an inclusion proof (the encoded list of its hashes) by the
/// count its list declares, before any hash is decoded.
fn check_proof_len(proof: &[u8], limits: Limits) -> Result<(), ChainError> {
    let max = vouch_core::tlog::merkle::MAX_PROOF_HASHES;
    match cbor::array_items(proof, limits)? {
        Some(hashes) if hashes.len() > max => Err(ChainError::ProofTooLong {
            len: hashes.len(),
            max,
        }),
        _ => Ok(()),
    }
}

/// Refuses a validated bundle file by the counts its lists declare, before
/// any item is decoded: each item decodes to at least a vector (24 bytes)
/// from as little as one byte, so decoding first would let a file within
/// [`MAX_BUNDLE`] cost gigabytes.
fn check_counts(bytes: &[u8], limits: Limits) -> Result<(), ChainError> {
    let mut count = 0usize;
    let mut inclusions = None;
    for entry in cbor::map_entries(bytes, limits)?.into_iter().flatten() {
        let (key, value) = entry?;
        // Any other key is refused by the decoder before its value is read.
        if !matches!(
            key,
            Some("commits" | "envelopes" | "inclusions" | "sigstore" | "tags" | "timestamps")
        ) {
            continue;
        }
        let Some(items) = cbor::array_items(value, limits)? else {
            continue;
        };
        count = count.saturating_add(items.len());
        if key == Some("inclusions") {
            inclusions = Some(items);
        }
    }
    if count > MAX_ITEMS {
        return Err(ChainError::TooManyItems {
            count,
            max: MAX_ITEMS,
        });
    }
    // An inclusion is [leaf, checkpoint, index, [hash...]].
    for inclusion in inclusions.into_iter().flatten() {
        let proof = match cbor::array_items(inclusion?, limits)? {
            Some(mut fields) => fields.nth(3).transpose()?,
            None => None,
        };
        if let Some(proof) = proof {
            check_proof_len(proof, limits)?;
        }
    }
    Ok(())
}

impl Inclusion {
    /// The inclusion file (canonical CBOR).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ChainError> {
        Ok(cbor::to_canonical(&InclusionFile {
            checkpoint: Bytes(self.checkpoint.clone()),
            index: self.index,
            proof: self.proof.iter().map(|h| Bytes(h.to_vec())).collect(),
        })?)
    }

    /// Reads an inclusion file (bounded: [`MAX_INCLUSION`] bytes, at most
    /// [`MAX_PROOF_HASHES`](vouch_core::tlog::merkle::MAX_PROOF_HASHES)
    /// hashes, refused on the count before they are decoded).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChainError> {
        if bytes.len() > MAX_INCLUSION {
            return Err(ChainError::InclusionTooLarge {
                size: bytes.len(),
                max: MAX_INCLUSION,
            });
        }
        let limits = Limits {
            max_size: MAX_INCLUSION,
            max_depth: 4,
        };
        validate_document(bytes, limits)?;
        if let Some(proof) = cbor::map_field(bytes, "proof", limits)? {
            check_proof_len(proof, limits)?;
        }
        let f: InclusionFile = cbor::decode_validated(bytes, limits)?;
        let proof = f
            .proof
            .into_iter()
            .map(|h| {
                <[u8; 32]>::try_from(h.0).map_err(|_| {
                    ChainError::Witness("an inclusion proof hash is not 32 bytes".into())
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Inclusion {
            checkpoint: f.checkpoint.0,
            index: f.index,
            proof,
        })
    }
}

/// The bundle file. Its fields are declared in canonical key order
/// (shorter names first, then bytewise), so that its direct encoding is its
/// canonical one and a file is checked against it without building a copy
/// (`cbor::serializes_to`; `wire_order_is_canonical` tests the order).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<Bytes>,
    commits: Vec<Bytes>,
    version: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sigstore: Vec<Bytes>,
    envelopes: Vec<Bytes>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    inclusions: Vec<(Bytes, Bytes, u64, Vec<Bytes>)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    timestamps: Vec<(Bytes, Bytes)>,
}

/// The digest an RFC 3161 timestamp of a statement envelope must carry as
/// its message imprint: SHA-256 of the envelope as registered (its bytes
/// without the receipts of its unprotected header, see
/// [`vouch_core::tlog::receipt::registered_bytes`]), so the timestamp covers
/// the statement and every signature on it, and receipts added later do
/// not change it.
pub fn timestamped_digest(envelope: &[u8]) -> Result<Digest, ChainError> {
    let registered = vouch_core::tlog::receipt::registered_bytes(envelope)
        .map_err(|e| ChainError::Witness(vouch_core::text::error_chain(&e)))?;
    Ok(Digest::sha256(&registered))
}

/// A byte string in CBOR (serde would otherwise write an array of integers).
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        vouch_core::cbor::byte_string::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as a byte buffer of any length (envelopes of a release with
        // a hundred commits are routinely longer than ciborium's 4 KiB
        // scratch buffer for borrowed bytes).
        vouch_core::cbor::byte_string::deserialize(d).map(Bytes)
    }
}

fn too_large(size: u64) -> ChainError {
    ChainError::BundleTooLarge {
        size,
        max: MAX_BUNDLE as u64,
    }
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Self {
        Bundle::default()
    }

    /// Merges bundles into one (several bundles attached to one image, see
    /// docs/oci.md), each identical item kept once, in first-seen order.
    /// Timestamp tokens and inclusion proofs are keyed in a bundle by their
    /// envelope's digest or leaf; each is re-added with the envelope of its
    /// own bundle that it belongs to (one without such an envelope could
    /// never count, and is dropped). Nothing is verified here.
    ///
    /// # Errors
    ///
    /// [`ChainError`] when an item cannot be re-added (a Sigstore bundle
    /// over its limit).
    pub fn merge(bundles: &[Bundle]) -> Result<Bundle, ChainError> {
        use std::collections::{HashMap, HashSet};
        // Hash sets, not searches of what is merged so far: the bundles
        // come from a registry, and up to MAX_ITEMS items each must not
        // cost their square.
        let mut merged = Bundle::new();
        let mut envelopes: HashSet<&[u8]> = HashSet::new();
        let mut commits: HashSet<&[u8]> = HashSet::new();
        let mut sigstore: HashSet<&[u8]> = HashSet::new();
        let mut tags: HashSet<&[u8]> = HashSet::new();
        let mut stamps: HashSet<(Digest, &[u8])> = HashSet::new();
        let mut inclusions: HashSet<(&[u8; 32], &Inclusion)> = HashSet::new();
        for b in bundles {
            for e in b.envelopes() {
                if envelopes.insert(e) {
                    merged.add_envelope(e.clone());
                }
            }
            for c in b.commit_objects() {
                if commits.insert(c) {
                    merged.add_commit_object(c.clone());
                }
            }
            for t in b.tag_objects() {
                if tags.insert(t) {
                    merged.add_tag_object(t.clone());
                }
            }
            for s in b.sigstore() {
                if sigstore.insert(s) {
                    merged.add_sigstore(s.clone())?;
                }
            }
            if !b.timestamps.is_empty() {
                // Each envelope's imprint once per bundle, not per token.
                let mut by_digest: HashMap<Digest, &[u8]> = HashMap::new();
                for e in &b.envelopes {
                    if let Ok(d) = timestamped_digest(e) {
                        by_digest.entry(d).or_insert(e);
                    }
                }
                for (digest, token) in b.timestamps() {
                    if !stamps.insert((*digest, token)) {
                        continue;
                    }
                    if let Some(envelope) = by_digest.get(digest) {
                        merged.add_timestamp(envelope, token.clone())?;
                    }
                }
            }
            if !b.inclusions.is_empty() {
                let mut by_leaf: HashMap<[u8; 32], &[u8]> = HashMap::new();
                for e in &b.envelopes {
                    if let Ok(l) = vouch_core::tlog::receipt::statement_leaf(e) {
                        by_leaf.entry(l).or_insert(e);
                    }
                }
                for (leaf, inclusion) in b.inclusions() {
                    if !inclusions.insert((leaf, inclusion)) {
                        continue;
                    }
                    if let Some(envelope) = by_leaf.get(leaf) {
                        merged.add_inclusion(envelope, inclusion.clone())?;
                    }
                }
            }
        }
        Ok(merged)
    }

    /// Adds an envelope (the bytes of a signed statement).
    pub fn add_envelope(&mut self, bytes: Vec<u8>) {
        self.envelopes.push(bytes);
    }

    /// Adds an RFC 3161 timestamp token (DER `TimeStampToken`) of
    /// `envelope`, whose imprint must be [`timestamped_digest`] of it. The
    /// token is kept next to the envelope's digest, so a verifier tries it
    /// on that envelope only.
    pub fn add_timestamp(&mut self, envelope: &[u8], token: Vec<u8>) -> Result<(), ChainError> {
        self.timestamps.push((timestamped_digest(envelope)?, token));
        Ok(())
    }

    /// The timestamp tokens, each with the digest of the envelope it is for.
    pub fn timestamps(&self) -> &[(Digest, Vec<u8>)] {
        &self.timestamps
    }

    /// Adds a checkpoint-bound inclusion proof of `envelope`, kept next to
    /// the envelope's leaf hash so a verifier tries it on that envelope
    /// only.
    pub fn add_inclusion(
        &mut self,
        envelope: &[u8],
        inclusion: Inclusion,
    ) -> Result<(), ChainError> {
        let leaf = vouch_core::tlog::receipt::statement_leaf(envelope)
            .map_err(|e| ChainError::Witness(vouch_core::text::error_chain(&e)))?;
        self.inclusions.push((leaf, inclusion));
        Ok(())
    }

    /// The checkpoint-bound inclusion proofs, each with the leaf hash of
    /// the envelope it is for.
    pub fn inclusions(&self) -> &[([u8; 32], Inclusion)] {
        &self.inclusions
    }

    /// Adds a Sigstore bundle (its JSON, as written), refusing one larger
    /// than [`MAX_SIGSTORE_BUNDLE`].
    pub fn add_sigstore(&mut self, json: Vec<u8>) -> Result<(), ChainError> {
        if json.len() > MAX_SIGSTORE_BUNDLE {
            return Err(ChainError::SigstoreBundleTooLarge {
                size: json.len(),
                max: MAX_SIGSTORE_BUNDLE,
            });
        }
        self.sigstore.push(json);
        Ok(())
    }

    /// The Sigstore bundles (JSON).
    pub fn sigstore(&self) -> &[Vec<u8>] {
        &self.sigstore
    }

    /// Adds a raw git commit object (the bytes git hashes, without the header).
    pub fn add_commit_object(&mut self, bytes: Vec<u8>) {
        self.commits.push(bytes);
    }

    /// Adds a raw annotated git tag object (the bytes `git cat-file tag`
    /// prints).
    pub fn add_tag_object(&mut self, bytes: Vec<u8>) {
        self.tags.push(bytes);
    }

    /// The raw git tag objects.
    pub fn tag_objects(&self) -> &[Vec<u8>] {
        &self.tags
    }

    /// The envelopes.
    pub fn envelopes(&self) -> &[Vec<u8>] {
        &self.envelopes
    }

    /// The raw git commit objects.
    pub fn commit_objects(&self) -> &[Vec<u8>] {
        &self.commits
    }

    /// Encodes the bundle file.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ChainError> {
        let wire = Wire {
            version: BUNDLE_VERSION,
            envelopes: self.envelopes.iter().cloned().map(Bytes).collect(),
            commits: self.commits.iter().cloned().map(Bytes).collect(),
            tags: self.tags.iter().cloned().map(Bytes).collect(),
            timestamps: self
                .timestamps
                .iter()
                .map(|(d, t)| (Bytes(d.as_bytes().to_vec()), Bytes(t.clone())))
                .collect(),
            inclusions: self
                .inclusions
                .iter()
                .map(|(leaf, i)| {
                    (
                        Bytes(leaf.to_vec()),
                        Bytes(i.checkpoint.clone()),
                        i.index,
                        i.proof.iter().map(|h| Bytes(h.to_vec())).collect(),
                    )
                })
                .collect(),
            sigstore: self.sigstore.iter().cloned().map(Bytes).collect(),
        };
        Ok(cbor::to_canonical(&wire)?)
    }

    /// Decodes a bundle file (canonical CBOR): at most [`MAX_BUNDLE`]
    /// bytes and [`MAX_ITEMS`] items, each inclusion proof at most
    /// [`MAX_PROOF_HASHES`](vouch_core::tlog::merkle::MAX_PROOF_HASHES)
    /// hashes, the counts refused as the lists declare them, before any
    /// item is decoded.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChainError> {
        if bytes.len() > MAX_BUNDLE {
            return Err(too_large(bytes.len() as u64));
        }
        let limits = Limits {
            max_size: MAX_BUNDLE,
            max_depth: 8,
        };
        validate_document(bytes, limits)?;
        check_counts(bytes, limits)?;
        let wire: Wire = cbor::decode_validated(bytes, limits)?;
        if wire.version != BUNDLE_VERSION {
            return Err(ChainError::BundleVersion(wire.version));
        }
        // serde reads an empty byte string where a list belongs as an empty
        // list: such a file decodes to a bundle whose canonical form is
        // other bytes. Only the canonical form is a bundle file. (Compared
        // as it is encoded: a copy would double the memory of a large one.)
        if !cbor::serializes_to(&wire, bytes) {
            return Err(ChainError::NotCanonical);
        }
        if let Some(b) = wire
            .sigstore
            .iter()
            .find(|b| b.0.len() > MAX_SIGSTORE_BUNDLE)
        {
            return Err(ChainError::SigstoreBundleTooLarge {
                size: b.0.len(),
                max: MAX_SIGSTORE_BUNDLE,
            });
        }
        let timestamps = wire
            .timestamps
            .into_iter()
            .map(|(d, t)| {
                let d: [u8; 32] = d.0.try_into().map_err(|_| {
                    ChainError::Witness("a timestamp's envelope digest is not 32 bytes".into())
                })?;
                Ok((Digest::from_sha256(d), t.0))
            })
            .collect::<Result<_, ChainError>>()?;
        let hash = |b: Bytes, what: &str| -> Result<[u8; 32], ChainError> {
            b.0.try_into()
                .map_err(|_| ChainError::Witness(format!("an inclusion's {what} is not 32 bytes")))
        };
        let inclusions = wire
            .inclusions
            .into_iter()
            .map(|(leaf, checkpoint, index, proof)| {
                Ok((
                    hash(leaf, "leaf")?,
                    Inclusion {
                        checkpoint: checkpoint.0,
                        index,
                        proof: proof
                            .into_iter()
                            .map(|h| hash(h, "proof hash"))
                            .collect::<Result<_, _>>()?,
                    },
                ))
            })
            .collect::<Result<_, ChainError>>()?;
        Ok(Bundle {
            envelopes: wire.envelopes.into_iter().map(|b| b.0).collect(),
            commits: wire.commits.into_iter().map(|b| b.0).collect(),
            tags: wire.tags.into_iter().map(|b| b.0).collect(),
            timestamps,
            inclusions,
            sigstore: wire.sigstore.into_iter().map(|b| b.0).collect(),
        })
    }

    /// Reads a bundle from a file, or from a directory of envelope files
    /// (every regular file whose first bytes are a COSE_Sign tag; files
    /// ending in `.commit` are raw git commit objects, `.tag` raw git tag
    /// objects; `NAME.tst` is an RFC
    /// 3161 token and `NAME.inclusion` an [`Inclusion`] of the envelope in
    /// file `NAME`; `*.sigstore.json` are Sigstore bundles), in name order.
    pub fn read(path: &Path) -> Result<Self, ChainError> {
        let io = |source| ChainError::Io {
            path: path.display().to_string(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_file() {
            if meta.len() > MAX_BUNDLE as u64 {
                return Err(too_large(meta.len()));
            }
            return Bundle::from_bytes(&std::fs::read(path).map_err(io)?);
        }
        let mut names: Vec<_> = std::fs::read_dir(path)
            .map_err(io)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        names.sort_by_key(|e| e.file_name());
        let mut bundle = Bundle::new();
        let mut total = 0u64;
        let mut by_name = std::collections::HashMap::new();
        let mut tokens = Vec::new();
        for e in names {
            let p = e.path();
            let io = |source| ChainError::Io {
                path: p.display().to_string(),
                source,
            };
            if !e.file_type().map_err(io)?.is_file() {
                continue;
            }
            total += e.metadata().map_err(io)?.len();
            if total > MAX_BUNDLE as u64 {
                return Err(too_large(total));
            }
            let items = bundle.envelopes.len()
                + bundle.commits.len()
                + bundle.tags.len()
                + tokens.len()
                + bundle.sigstore.len();
            if items >= MAX_ITEMS {
                return Err(ChainError::TooManyItems {
                    count: items + 1,
                    max: MAX_ITEMS,
                });
            }
            let bytes = std::fs::read(&p).map_err(io)?;
            if p.extension().is_some_and(|x| x == "commit") {
                bundle.add_commit_object(bytes);
            } else if p.extension().is_some_and(|x| x == "tag") {
                bundle.add_tag_object(bytes);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".sigstore.json"))
            {
                bundle.add_sigstore(bytes)?;
            } else if p.extension().is_some_and(|x| x == "tst") {
                tokens.push((p.with_extension(""), Proof::Token(bytes)));
            } else if p.extension().is_some_and(|x| x == "inclusion") {
                tokens.push((p.with_extension(""), Proof::Inclusion(bytes)));
            } else if bytes.starts_with(&[0xd8, 0x62]) {
                by_name.insert(p.clone(), bundle.envelopes.len());
                bundle.add_envelope(bytes);
            }
        }
        // `NAME.tst` is a timestamp, `NAME.inclusion` an inclusion proof, of
        // the envelope in file `NAME`.
        for (envelope, proof) in tokens {
            let Some(&i) = by_name.get(&envelope) else {
                return Err(ChainError::Witness(format!(
                    "a proof of time for {}, which is not an envelope of the bundle",
                    envelope.display()
                )));
            };
            let env = bundle.envelopes.get(i).cloned().unwrap_or_default();
            match proof {
                Proof::Token(token) => bundle.add_timestamp(&env, token)?,
                Proof::Inclusion(bytes) => {
                    bundle.add_inclusion(&env, Inclusion::from_bytes(&bytes)?)?;
                }
            }
        }
        Ok(bundle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn merge_keeps_identical_items_once_in_first_seen_order() -> Result<(), ChainError> {
        let mut a = Bundle::new();
        a.add_envelope(b"one".to_vec());
        a.add_envelope(b"two".to_vec());
        a.add_commit_object(b"commit".to_vec());
        a.add_tag_object(b"tag".to_vec());
        let mut b = Bundle::new();
        b.add_envelope(b"two".to_vec());
        b.add_envelope(b"three".to_vec());
        b.add_commit_object(b"commit".to_vec());
        b.add_tag_object(b"tag".to_vec());
        b.add_tag_object(b"tag 2".to_vec());
        let m = Bundle::merge(&[a, b])?;
        assert_eq!(m.tag_objects(), &[b"tag".to_vec(), b"tag 2".to_vec()]);
        // Tags survive the file form; a bundle without them keeps its bytes.
        assert_eq!(Bundle::from_bytes(&m.to_bytes()?)?, m);
        assert!(!Bundle::new().to_bytes()?.windows(4).any(|w| w == b"tags"));
        assert_eq!(
            m.envelopes(),
            &[b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        assert_eq!(m.commit_objects(), &[b"commit".to_vec()]);
        assert_eq!(Bundle::merge(&[])?, Bundle::new());
        Ok(())
    }

    #[test]
    fn merge_keeps_proofs_of_time_once_and_drops_those_without_their_envelope()
    -> Result<(), ChainError> {
        // The smallest COSE_Sign1 shapes the receipt code reads.
        const E: [u8; 7] = [0xd2, 0x84, 0x40, 0xa0, 0x41, b'x', 0x40];
        const OTHER: [u8; 7] = [0xd2, 0x84, 0x40, 0xa0, 0x41, b'y', 0x40];
        let inclusion = Inclusion {
            checkpoint: b"log\n1\nAAAA\n\n".to_vec(),
            index: 0,
            proof: vec![[7; 32]],
        };
        let mut a = Bundle::new();
        a.add_envelope(E.to_vec());
        a.add_timestamp(&E, b"t1".to_vec())?;
        a.add_inclusion(&E, inclusion.clone())?;
        let mut b = Bundle::new();
        b.add_envelope(E.to_vec());
        b.add_timestamp(&E, b"t1".to_vec())?;
        b.add_timestamp(&E, b"t2".to_vec())?;
        b.add_inclusion(&E, inclusion.clone())?;
        // A token and a proof for an envelope this bundle does not hold.
        b.add_timestamp(&OTHER, b"t3".to_vec())?;
        b.add_inclusion(&OTHER, inclusion.clone())?;
        let m = Bundle::merge(&[a, b])?;
        assert_eq!(m.envelopes(), &[E.to_vec()]);
        let tokens: Vec<&[u8]> = m.timestamps().iter().map(|(_, t)| t.as_slice()).collect();
        assert_eq!(tokens, [b"t1".as_slice(), b"t2".as_slice()]);
        assert_eq!(m.inclusions().len(), 1);
        assert_eq!(m.inclusions()[0].1, inclusion);
        Ok(())
    }

    /// `Bundle::from_bytes` checks a file against the wire's direct
    /// encoding: with every field present, it must be the canonical one.
    #[test]
    fn wire_order_is_canonical() {
        let b = |n: u8| Bytes(vec![n; usize::from(n)]);
        let wire = Wire {
            tags: vec![b(11)],
            commits: vec![b(1), b(30)],
            version: BUNDLE_VERSION,
            sigstore: vec![b(2)],
            envelopes: vec![b(3), b(4)],
            inclusions: vec![(b(5), b(6), 300, vec![b(7), b(8)])],
            timestamps: vec![(b(9), b(10))],
        };
        let canonical = cbor::to_canonical(&wire).unwrap();
        let mut direct = Vec::new();
        ciborium::into_writer(&wire, &mut direct).unwrap();
        assert_eq!(direct, canonical);
        assert!(cbor::serializes_to(&wire, &canonical));
        let mut longer = canonical.clone();
        longer.push(0);
        assert!(!cbor::serializes_to(&wire, &longer));
        assert!(!cbor::serializes_to(
            &wire,
            &canonical[..canonical.len() - 1]
        ));
    }

    #[test]
    fn inclusion_file_round_trip() {
        let i = Inclusion {
            checkpoint: b"log\n1\nAAAA\n\n".to_vec(),
            index: 7,
            proof: vec![[1; 32], [2; 32]],
        };
        assert_eq!(Inclusion::from_bytes(&i.to_bytes().unwrap()).unwrap(), i);
        assert!(Inclusion::from_bytes(b"\xa0").is_err());
    }

    proptest! {
        #[test]
        fn inclusion_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(i) = Inclusion::from_bytes(&bytes) {
                prop_assert_eq!(i.to_bytes().unwrap(), bytes);
            }
        }
    }

    /// Found by the `chain_inclusion` fuzz target: a tag in front of the
    /// inclusion map (the fuzzer's 0xc4) was skipped by the typed decoder,
    /// so the file decoded but did not re-encode to its bytes; bundle
    /// files had the same gap.
    #[test]
    fn tagged_files_refused() {
        let inc = Inclusion {
            checkpoint: b"example.com/log\n2\nAAAA\n\n".to_vec(),
            index: 1,
            proof: vec![[9; 32]],
        };
        let bytes = inc.to_bytes().unwrap();
        assert_eq!(Inclusion::from_bytes(&bytes).unwrap(), inc);
        let mut tagged = vec![0xc4];
        tagged.extend_from_slice(&bytes);
        assert!(Inclusion::from_bytes(&tagged).is_err());

        let mut b = Bundle::new();
        b.add_envelope(vec![1, 2, 3]);
        let bytes = b.to_bytes().unwrap();
        assert_eq!(Bundle::from_bytes(&bytes).unwrap(), b);
        let mut tagged = vec![0xc4];
        tagged.extend_from_slice(&bytes);
        assert!(Bundle::from_bytes(&tagged).is_err());
    }

    #[test]
    fn sigstore_bundles_round_trip_and_are_optional_on_the_wire() {
        let mut b = Bundle::new();
        b.add_envelope(vec![0xd8, 0x62, 1, 2]);
        let without = b.to_bytes().unwrap();
        b.add_sigstore(br#"{"mediaType":"x"}"#.to_vec()).unwrap();
        let with = b.to_bytes().unwrap();
        assert_ne!(with, without);
        assert_eq!(Bundle::from_bytes(&with).unwrap(), b);
        assert!(Bundle::from_bytes(&without).unwrap().sigstore().is_empty());
        assert!(matches!(
            b.add_sigstore(vec![b' '; MAX_SIGSTORE_BUNDLE + 1]),
            Err(ChainError::SigstoreBundleTooLarge { .. })
        ));
    }

    /// The fuzz target chain_bundle's find: an empty byte string where the
    /// list of commit objects belongs decoded as an empty list.
    #[test]
    fn a_byte_string_where_a_list_belongs_is_refused() {
        use ciborium::value::Value;
        let map = |commits: Value| {
            Value::Map(vec![
                (Value::Text("commits".into()), commits),
                (Value::Text("version".into()), Value::Integer(1.into())),
                (Value::Text("envelopes".into()), Value::Array(vec![])),
            ])
        };
        let bad = cbor::to_canonical(&map(Value::Bytes(vec![]))).unwrap();
        assert!(matches!(
            Bundle::from_bytes(&bad),
            Err(ChainError::NotCanonical)
        ));
        let good = cbor::to_canonical(&map(Value::Array(vec![]))).unwrap();
        assert_eq!(Bundle::from_bytes(&good).unwrap(), Bundle::new());
    }

    #[test]
    fn round_trip() {
        let mut b = Bundle::new();
        b.add_envelope(vec![0xd8, 0x62, 1, 2]);
        b.add_commit_object(b"tree 00\n".to_vec());
        let bytes = b.to_bytes().unwrap();
        assert_eq!(Bundle::from_bytes(&bytes).unwrap(), b);
    }

    proptest! {
        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(b) = Bundle::from_bytes(&bytes) {
                prop_assert_eq!(b.to_bytes().unwrap(), bytes);
            }
        }

        #[test]
        fn encode_decode(envs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..5)) {
            let mut b = Bundle::new();
            for e in envs { b.add_envelope(e); }
            prop_assert_eq!(Bundle::from_bytes(&b.to_bytes().unwrap()).unwrap(), b);
        }
    }
}
