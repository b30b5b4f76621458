//! COSE Receipts of RFC 9162 inclusion (RFC 9942, the IETF COSE draft
//! `draft-ietf-cose-merkle-tree-proofs`), and the receipts a statement
//! envelope carries.
//!
//! ```cddl
//! Receipt = #6.18([
//!   protected:   bstr .cbor {
//!     1: int,               ; alg: EdDSA (-8) or ES256 (-7)
//!     ? 4: bstr,            ; kid (vouch writes the log key's KeyId)
//!     ? 15: { ? 6: int },   ; CWT claims, iat
//!     395: 1,               ; vds: RFC9162_SHA256
//!   },
//!   unprotected: {
//!     396: { -1: [ bstr .cbor [ tree-size: uint,
//!                               leaf-index: uint,
//!                               inclusion-path: [* bstr] ] ] },
//!   },
//!   payload:     nil,       ; detached: the Merkle root
//!   signature:   bstr,
//! ])
//! ```
//!
//! The signed payload is the root the verifier computes from the leaf and
//! the inclusion path, so a receipt that verifies proves the leaf is in the
//! tree the log signed; nothing in the receipt names the root itself. vouch
//! reads receipts with exactly one inclusion proof, and accepts an empty
//! inclusion path, the proof of a one-leaf tree (which the CDDL's `+`
//! leaves out). An attached payload is accepted only when it is the
//! computed root.
//!
//! # The leaf of a statement
//!
//! A statement envelope (a vouch `COSE_Sign`, or any `COSE_Sign1`)
//! carries its receipts under label 394 of its body's unprotected header,
//! as `[+ bstr .cbor Receipt]`. The log entry is the envelope as it was
//! registered, that is, the envelope's bytes with the receipts entry
//! removed from that header and every other byte as it is
//! ([`registered_bytes`]); the leaf is the RFC 9162 leaf hash of those bytes
//! ([`statement_leaf`]). So the leaf covers the statement and every
//! signature on it, adding a receipt never changes the leaf, and an
//! envelope without receipts is its own log entry. (SCITT, too, logs the
//! signed statement.) A cosignature added after registration changes the
//! leaf: the statement must be registered again.
//!
//! The envelope's top-level array is walked with the same CBOR reader as
//! [`crate::cose`]'s `COSE_Sign` decoder and the receipts themselves are
//! decoded by coset, as every COSE structure in this crate is. Receipts sit
//! in the unprotected header, which no statement signature covers: each
//! proves itself by the log's signature.

use std::borrow::Cow;

use ciborium::value::Value;
use coset::{CborSerializable as _, CoseSign1, Label, TaggedCborSerializable as _, iana};

use super::TlogError;
use super::merkle::{self, Hash, MAX_PROOF_HASHES};
use crate::cbor::{Limits, Reader, Strictness, validate};
use crate::cose::verify_sign1_detached;
use crate::key::{Algorithm, KeyId, PublicKey};
use crate::signer::Signer;

/// Header label of the receipts of a COSE object.
pub const RECEIPTS_LABEL: i64 = 394;
/// Protected header label of a receipt's verifiable data structure.
pub const VDS_LABEL: i64 = 395;
/// Unprotected header label of a receipt's verifiable data structure proofs.
pub const VDP_LABEL: i64 = 396;
/// The verifiable data structure RFC9162_SHA256.
pub const RFC9162_SHA256: i64 = 1;
/// Proofs map key of inclusion proofs.
pub const INCLUSION_PROOFS: i64 = -1;
/// Header label of CWT claims (RFC 9597).
pub const CWT_CLAIMS_LABEL: i64 = 15;
/// CWT claim key of the issued-at time.
pub const CWT_IAT: i64 = 6;

/// The largest receipt accepted, in bytes: 64 hashes and a signature are
/// under 3 KiB; the margin is for other header parameters.
pub const MAX_RECEIPT_LEN: usize = 64 * 1024;

/// The most receipts read from one envelope.
pub const MAX_RECEIPTS: usize = 64;

const RECEIPT_LIMITS: Limits = Limits {
    max_size: MAX_RECEIPT_LEN,
    max_depth: 16,
};

/// A decoded COSE Receipt of inclusion, *not verified*.
#[derive(Clone, Debug)]
pub struct Receipt {
    msg: CoseSign1,
    tree_size: u64,
    leaf_index: u64,
    path: Vec<Hash>,
    issued_at: Option<i64>,
}

impl Receipt {
    /// Decodes a tagged (18) COSE Receipt of RFC 9162 inclusion.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TlogError> {
        if bytes.len() > MAX_RECEIPT_LEN {
            return Err(TlogError::ReceiptTooLarge {
                len: bytes.len(),
                max: MAX_RECEIPT_LEN,
            });
        }
        validate(bytes, Strictness::WellFormed, RECEIPT_LIMITS)
            .map_err(crate::cose::EnvelopeError::from)?;
        if bytes.first() != Some(&0xd2) {
            return Err(TlogError::MalformedReceipt(
                "not tagged as a COSE_Sign1 (18)",
            ));
        }
        let msg =
            CoseSign1::from_tagged_slice(bytes).map_err(crate::cose::EnvelopeError::Malformed)?;
        let vds = protected_int(&msg, VDS_LABEL)?.ok_or(TlogError::MalformedReceipt(
            "no verifiable data structure (395) in the protected header",
        ))?;
        if vds != RFC9162_SHA256 {
            return Err(TlogError::UnsupportedVds(vds));
        }
        let issued_at = issued_at(&msg)?;
        let (tree_size, leaf_index, path) = inclusion_proof(&msg)?;
        Ok(Receipt {
            msg,
            tree_size,
            leaf_index,
            path,
            issued_at,
        })
    }

    /// The tree size the proof claims, *not verified*.
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }

    /// The leaf index the proof claims, *not verified*.
    pub fn leaf_index(&self) -> u64 {
        self.leaf_index
    }

    /// The issued-at time in the protected CWT claims, *not verified*.
    pub fn unverified_issued_at(&self) -> Option<i64> {
        self.issued_at
    }

    /// Verifies that `leaf` (an RFC 9162 leaf hash) is in the tree the
    /// log's `key` signed: the root is computed from the leaf and the
    /// inclusion proof, then the signature is checked over it.
    pub fn verify(&self, leaf: &Hash, key: &PublicKey) -> Result<VerifiedReceipt, TlogError> {
        let root = merkle::root_from_inclusion(leaf, self.leaf_index, self.tree_size, &self.path)?;
        if let Some(p) = &self.msg.payload
            && p.as_slice() != root
        {
            return Err(TlogError::RootMismatch);
        }
        verify_sign1_detached(&self.msg, key, &root)?;
        Ok(VerifiedReceipt {
            tree_size: self.tree_size,
            leaf_index: self.leaf_index,
            root,
            issued_at: self.issued_at,
            key_id: key.key_id(),
        })
    }

    /// Issues a receipt, as a log does, for `leaf` at `leaf_index` in the
    /// tree of `tree_size` leaves, given its inclusion `proof`; signed by
    /// `signer` (Ed25519 or P-256) over the root the proof leads to, with
    /// the signer's [`KeyId`] as `kid` and `issued_at` (seconds since the
    /// Unix epoch) as the protected CWT `iat` claim when given.
    pub fn issue<S: Signer + ?Sized>(
        signer: &S,
        leaf: &Hash,
        leaf_index: u64,
        tree_size: u64,
        proof: &[Hash],
        issued_at: Option<i64>,
    ) -> Result<Vec<u8>, TlogError> {
        let root = merkle::root_from_inclusion(leaf, leaf_index, tree_size, proof)?;
        if signer.public_key().fido_application().is_some() {
            return Err(TlogError::KeyAlgorithm {
                what: "receipt",
                expected: "a plain Ed25519 or P-256 key",
            });
        }
        let alg = match signer.algorithm() {
            Algorithm::Ed25519 => iana::Algorithm::EdDSA,
            Algorithm::Es256 => iana::Algorithm::ES256,
        };
        let mut protected = coset::HeaderBuilder::new()
            .algorithm(alg)
            .key_id(signer.key_id().as_bytes().to_vec());
        if let Some(iat) = issued_at {
            protected = protected.value(
                CWT_CLAIMS_LABEL,
                Value::Map(vec![(Value::from(CWT_IAT), Value::from(iat))]),
            );
        }
        let protected = protected
            .value(VDS_LABEL, Value::from(RFC9162_SHA256))
            .build();
        let proofs = Value::Map(vec![(
            Value::from(INCLUSION_PROOFS),
            Value::Array(vec![Value::Bytes(encode_inclusion_proof(
                tree_size, leaf_index, proof,
            ))]),
        )]);
        let unprotected = coset::HeaderBuilder::new().value(VDP_LABEL, proofs).build();
        let mut msg = coset::CoseSign1Builder::new()
            .protected(protected)
            .unprotected(unprotected)
            .build();
        // Fix the protected bytes now so the signed bytes are the stored bytes.
        msg.protected.original_data = Some(
            msg.protected
                .header
                .clone()
                .to_vec()
                .map_err(crate::cose::EnvelopeError::Encode)?,
        );
        let sig = signer.try_sign(&msg.tbs_detached_data(&root, b""))?;
        if sig.evidence().is_some() || sig.algorithm() != signer.algorithm() {
            return Err(TlogError::KeyAlgorithm {
                what: "receipt",
                expected: "a plain Ed25519 or P-256 key",
            });
        }
        msg.signature = sig.value().to_vec();
        Ok(msg
            .to_tagged_vec()
            .map_err(crate::cose::EnvelopeError::Encode)?)
    }
}

/// `[tree-size, leaf-index, [hashes]]`, canonical.
fn encode_inclusion_proof(tree_size: u64, leaf_index: u64, proof: &[Hash]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + 34 * proof.len());
    crate::cbor::write_head(&mut out, 4, 3);
    crate::cbor::write_head(&mut out, 0, tree_size);
    crate::cbor::write_head(&mut out, 0, leaf_index);
    crate::cbor::write_head(&mut out, 4, proof.len() as u64);
    for h in proof {
        crate::cbor::write_head(&mut out, 2, 32);
        out.extend_from_slice(h);
    }
    out
}

fn int_of(v: &Value) -> Option<i64> {
    v.as_integer().and_then(|i| i64::try_from(i).ok())
}

fn protected_int(msg: &CoseSign1, label: i64) -> Result<Option<i64>, TlogError> {
    match msg
        .protected
        .header
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(label))
    {
        None => Ok(None),
        Some((_, v)) => int_of(v).map(Some).ok_or(TlogError::MalformedReceipt(
            "a protected header integer is not an integer",
        )),
    }
}

fn issued_at(msg: &CoseSign1) -> Result<Option<i64>, TlogError> {
    let bad = TlogError::MalformedReceipt("CWT claims (15) are not a map with an integer iat (6)");
    let Some((_, claims)) = msg
        .protected
        .header
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(CWT_CLAIMS_LABEL))
    else {
        return Ok(None);
    };
    let claims = claims.as_map().ok_or(bad)?;
    match claims.iter().find(|(k, _)| int_of(k) == Some(CWT_IAT)) {
        None => Ok(None),
        Some((_, v)) => int_of(v).map(Some).ok_or(TlogError::MalformedReceipt(
            "CWT claims (15) are not a map with an integer iat (6)",
        )),
    }
}

fn inclusion_proof(msg: &CoseSign1) -> Result<(u64, u64, Vec<Hash>), TlogError> {
    let bad = TlogError::MalformedReceipt;
    let (_, proofs) = msg
        .unprotected
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(VDP_LABEL))
        .ok_or(bad(
            "no verifiable data structure proofs (396) in the unprotected header",
        ))?;
    let proofs = proofs.as_map().ok_or(bad("proofs (396) are not a map"))?;
    let (_, inclusion) = proofs
        .iter()
        .find(|(k, _)| int_of(k) == Some(INCLUSION_PROOFS))
        .ok_or(bad("no inclusion proofs (-1)"))?;
    let [proof] = inclusion
        .as_array()
        .map(Vec::as_slice)
        .ok_or(bad("inclusion proofs (-1) are not an array"))?
    else {
        return Err(bad("not exactly one inclusion proof"));
    };
    let bytes = proof
        .as_bytes()
        .ok_or(bad("inclusion proof is not a byte string"))?;
    validate(bytes, Strictness::WellFormed, RECEIPT_LIMITS)
        .map_err(crate::cose::EnvelopeError::from)?;
    let mut r = Reader::new(bytes, RECEIPT_LIMITS);
    let shape = bad("inclusion proof is not [tree-size, leaf-index, [hashes]]");
    if r.array().map_err(crate::cose::EnvelopeError::from)? != Some(3) {
        return Err(shape);
    }
    let tree_size = uint(r.raw().map_err(crate::cose::EnvelopeError::from)?).ok_or(bad(
        "inclusion proof is not [tree-size, leaf-index, [hashes]]",
    ))?;
    let leaf_index = uint(r.raw().map_err(crate::cose::EnvelopeError::from)?).ok_or(bad(
        "inclusion proof is not [tree-size, leaf-index, [hashes]]",
    ))?;
    let n = r
        .array()
        .map_err(crate::cose::EnvelopeError::from)?
        .ok_or(bad("inclusion path is not an array"))?;
    if n > MAX_PROOF_HASHES {
        return Err(TlogError::ProofTooLong {
            len: n,
            max: MAX_PROOF_HASHES,
        });
    }
    let mut path = Vec::with_capacity(n);
    for _ in 0..n {
        let h = r
            .bytes()
            .map_err(crate::cose::EnvelopeError::from)?
            .and_then(|b| <Hash>::try_from(b).ok())
            .ok_or(bad("an inclusion path hash is not 32 bytes"))?;
        path.push(h);
    }
    Ok((tree_size, leaf_index, path))
}

/// An unsigned integer from its encoded item, any width.
fn uint(raw: &[u8]) -> Option<u64> {
    let (&first, rest) = raw.split_first()?;
    if first >> 5 != 0 {
        return None;
    }
    match first & 0x1f {
        n @ 0..=23 if rest.is_empty() => Some(u64::from(n)),
        24 => Some(u64::from(u8::from_be_bytes(rest.try_into().ok()?))),
        25 => Some(u64::from(u16::from_be_bytes(rest.try_into().ok()?))),
        26 => Some(u64::from(u32::from_be_bytes(rest.try_into().ok()?))),
        27 => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// What a receipt proved: the leaf is in the tree with root `root` that
/// the log key `key_id` signed. Only this crate makes one.
///
/// The signature covers the root, not the unprotected tree size and leaf
/// index: those are bound only as far as the inclusion path's shape binds
/// them (the same path can lead to the same root for several sizes, e.g.
/// leaf 2 in trees of 5 to 8 leaves). Where the size matters (freshness,
/// consistency with a checkpoint), take it from a signed checkpoint of the
/// same root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReceipt {
    tree_size: u64,
    leaf_index: u64,
    root: Hash,
    issued_at: Option<i64>,
    key_id: KeyId,
}

impl VerifiedReceipt {
    /// The tree size of the proof: consistent with the root, not signed
    /// (see above).
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }

    /// The leaf index of the proof: consistent with the root, not signed
    /// (see above).
    pub fn leaf_index(&self) -> u64 {
        self.leaf_index
    }

    /// The root the log signed.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The protected issued-at time (CWT `iat`, seconds since the Unix
    /// epoch), when the receipt has one: the log's claim, covered by its
    /// signature.
    pub fn issued_at(&self) -> Option<i64> {
        self.issued_at
    }

    /// The log key that signed.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
}

/// Where the body's unprotected header of an envelope is, and its entries.
struct Unprotected {
    /// Byte range of the whole map in the envelope.
    start: usize,
    end: usize,
    /// Encoded (key, value) of every entry, in order.
    entries: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
    /// Which entry is the receipts', if any.
    receipts: Option<usize>,
}

/// Walks a (tagged 18 or 98, or untagged) `COSE_Sign1` or `COSE_Sign` to
/// its body's unprotected header.
fn unprotected_of(envelope: &[u8]) -> Result<Unprotected, TlogError> {
    let cbor = |e| TlogError::Envelope(crate::cose::EnvelopeError::Cbor(e));
    let shape = TlogError::MalformedReceipt("envelope is not a COSE_Sign1 or COSE_Sign");
    validate(envelope, Strictness::WellFormed, Limits::DEFAULT).map_err(cbor)?;
    let mut r = Reader::new(envelope, Limits::DEFAULT);
    match r.tag().map_err(cbor)? {
        None | Some(18) | Some(98) => {}
        Some(_) => return Err(shape),
    }
    if r.array().map_err(cbor)? != Some(4) || r.bytes().map_err(cbor)?.is_none() {
        return Err(shape);
    }
    let start = r.position();
    let n = r.map().map_err(cbor)?.ok_or(shape)?;
    let mut entries = Vec::with_capacity(n.min(64));
    let mut receipts = None;
    for i in 0..n {
        let k0 = r.position();
        let key = r.raw().map_err(cbor)?;
        let v0 = r.position();
        r.raw().map_err(cbor)?;
        let v1 = r.position();
        if uint(key) == Some(RECEIPTS_LABEL as u64) {
            if receipts.is_some() {
                return Err(TlogError::MalformedReceipt(
                    "receipts label (394) appears twice",
                ));
            }
            receipts = Some(i);
        }
        entries.push((k0..v0, v0..v1));
    }
    Ok(Unprotected {
        start,
        end: r.position(),
        entries,
        receipts,
    })
}

/// The receipts (label 394) in the body's unprotected header of a
/// statement envelope, *not verified*: each a COSE Receipt's bytes, for
/// [`Receipt::from_bytes`]. None when the envelope has no receipts.
pub fn receipts(envelope: &[u8]) -> Result<Vec<&[u8]>, TlogError> {
    let u = unprotected_of(envelope)?;
    let Some((_, value)) = u.receipts.and_then(|i| u.entries.get(i)) else {
        return Ok(Vec::new());
    };
    let bad = TlogError::MalformedReceipt("receipts (394) are not an array of byte strings");
    let value = envelope
        .get(value.clone())
        .ok_or(TlogError::MalformedReceipt(
            "receipts (394) are not an array of byte strings",
        ))?;
    let cbor = |e| TlogError::Envelope(crate::cose::EnvelopeError::Cbor(e));
    let mut r = Reader::new(value, Limits::DEFAULT);
    let n = r.array().map_err(cbor)?.ok_or(bad)?;
    if n > MAX_RECEIPTS {
        return Err(TlogError::TooManyReceipts {
            count: n,
            max: MAX_RECEIPTS,
        });
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(r.bytes().map_err(cbor)?.ok_or(TlogError::MalformedReceipt(
            "receipts (394) are not an array of byte strings",
        ))?);
    }
    Ok(out)
}

/// Rebuilds the envelope with its unprotected header's entries replaced.
fn rebuild(envelope: &[u8], u: &Unprotected, entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let head = envelope.get(..u.start).unwrap_or_default();
    let tail = envelope.get(u.end..).unwrap_or_default();
    let mut out = Vec::with_capacity(envelope.len() + 16);
    out.extend_from_slice(head);
    crate::cbor::write_head(&mut out, 5, entries.len() as u64);
    for (k, v) in entries {
        out.extend_from_slice(k);
        out.extend_from_slice(v);
    }
    out.extend_from_slice(tail);
    out
}

/// The envelope as registered in a log: its bytes with the receipts
/// entry (label 394) removed from the body's unprotected header, every
/// other byte as it is. Borrowed when there are no receipts.
pub fn registered_bytes(envelope: &[u8]) -> Result<Cow<'_, [u8]>, TlogError> {
    let u = unprotected_of(envelope)?;
    let Some(skip) = u.receipts else {
        return Ok(Cow::Borrowed(envelope));
    };
    let kept: Vec<(&[u8], &[u8])> = u
        .entries
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, (k, v))| {
            (
                envelope.get(k.clone()).unwrap_or_default(),
                envelope.get(v.clone()).unwrap_or_default(),
            )
        })
        .collect();
    Ok(Cow::Owned(rebuild(envelope, &u, &kept)))
}

/// The log leaf of a statement envelope: the RFC 9162 leaf hash of its
/// [`registered_bytes`].
pub fn statement_leaf(envelope: &[u8]) -> Result<Hash, TlogError> {
    Ok(merkle::leaf_hash(&registered_bytes(envelope)?))
}

/// The envelope with `receipts` as its receipts (label 394, replacing any
/// it had; none removes the entry). The entry goes where canonical CBOR
/// puts it (map keys in bytewise order of their encodings), so a canonical
/// vouch `COSE_Sign` stays canonical; no signature covers the unprotected
/// header, so every signature still verifies.
///
/// The header with the receipts must fit [`crate::cose::MAX_HEADER_LEN`]
/// (64 KiB, what the envelope decoders read): about 25 receipts with
/// 64-hash paths, more with shorter ones; more is refused with
/// [`crate::cose::EnvelopeError::HeaderTooLarge`].
pub fn attach_receipts(envelope: &[u8], receipts: &[Vec<u8>]) -> Result<Vec<u8>, TlogError> {
    if receipts.len() > MAX_RECEIPTS {
        return Err(TlogError::TooManyReceipts {
            count: receipts.len(),
            max: MAX_RECEIPTS,
        });
    }
    let u = unprotected_of(envelope)?;
    let mut key = Vec::new();
    crate::cbor::write_head(&mut key, 0, RECEIPTS_LABEL as u64);
    let mut value = Vec::new();
    crate::cbor::write_head(&mut value, 4, receipts.len() as u64);
    for r in receipts {
        crate::cbor::write_head(&mut value, 2, r.len() as u64);
        value.extend_from_slice(r);
    }
    let mut entries: Vec<(&[u8], &[u8])> = u
        .entries
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != u.receipts)
        .map(|(_, (k, v))| {
            (
                envelope.get(k.clone()).unwrap_or_default(),
                envelope.get(v.clone()).unwrap_or_default(),
            )
        })
        .collect();
    if !receipts.is_empty() {
        let at = entries
            .iter()
            .position(|(k, _)| *k > key.as_slice())
            .unwrap_or(entries.len());
        entries.insert(at, (&key, &value));
    }
    // The envelope decoders refuse a header longer than MAX_HEADER_LEN, so
    // receipts that would make it longer are refused here, not by readers.
    let mut head = Vec::new();
    crate::cbor::write_head(&mut head, 5, entries.len() as u64);
    let len = head.len()
        + entries
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>();
    if len > crate::cose::MAX_HEADER_LEN {
        return Err(TlogError::Envelope(
            crate::cose::EnvelopeError::HeaderTooLarge {
                which: "unprotected",
                len,
                max: crate::cose::MAX_HEADER_LEN,
            },
        ));
    }
    Ok(rebuild(envelope, &u, &entries))
}

#[cfg(test)]
mod tests;
