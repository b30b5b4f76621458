//! Transparency-log proofs: RFC 9162 Merkle trees, C2SP signed notes,
//! checkpoints and witness cosignatures, and COSE Receipts.
//!
//! A transparency log turns "the signer says when" into "the log proves
//! that": an entry included in a tree head the log signed (and witnesses
//! cosigned, each with the time they saw it) existed by then, and everyone
//! who checks the same tree head sees the same entry. This module checks
//! such proofs offline; fetching tree heads and tiles is not its concern.
//!
//! One submodule per idea:
//! - [`merkle`]: RFC 9162 leaf and node hashes, roots, and inclusion and
//!   consistency proofs, produced (for a log writer and tests) and verified;
//! - [`note`]: C2SP signed notes (`— name base64(keyid || sig)` lines), with
//!   Ed25519 note keys and `vkey` verifier keys;
//! - [`checkpoint`]: C2SP checkpoints (origin, size, root hash), verified
//!   against the log's key and optional witnesses;
//! - [`cosignature`]: C2SP `cosignature/v1` timestamped witness
//!   cosignatures on checkpoints;
//! - [`receipt`]: COSE Receipts (RFC 9942, the IETF COSE draft
//!   `draft-ietf-cose-merkle-tree-proofs`) of RFC 9162 inclusion, and the
//!   receipts (label 394) carried in a statement envelope.
//!
//! # What is trusted
//!
//! Only the keys the caller passes: the log's note key or receipt key, and
//! the witnesses' keys. A checkpoint's origin, tree size and root are the
//! log's claims and count once its signature verifies; an inclusion proof
//! needs no key at all, since it only links a leaf to a root, and means
//! something only against a root that a trusted key signed. Cosigned
//! times are the witnesses' (the latest time each saw this tree head, or a
//! larger one consistent with it); a receipt's issued-at time is the log's.
//! Signatures go through [`PublicKey::verify`](crate::PublicKey::verify)
//! and the default crypto provider, like every other check in this crate.
//!
//! ```
//! use vouch_core::tlog::merkle::{inclusion_proof, leaf_hash, root, verify_inclusion};
//!
//! // A log of four entries; the writer proves entry 2 is in it.
//! let leaves: Vec<_> = [&b"a"[..], b"b", b"c", b"d"].iter().map(|e| leaf_hash(e)).collect();
//! let tree_root = root(&leaves);
//! let proof = inclusion_proof(&leaves, 2)?;
//! assert_eq!(proof.len(), 2);
//!
//! // A verifier holding the signed root checks the entry against it.
//! verify_inclusion(&leaf_hash(b"c"), 2, 4, &proof, &tree_root)?;
//! assert!(verify_inclusion(&leaf_hash(b"x"), 2, 4, &proof, &tree_root).is_err());
//! # Ok::<(), vouch_core::tlog::TlogError>(())
//! ```

pub mod checkpoint;
pub mod cosignature;
pub mod merkle;
pub mod note;
pub mod receipt;

pub use checkpoint::{Checkpoint, VerifiedCheckpoint};
pub use merkle::Hash;
pub use note::{Note, NoteSignature, NoteSigner, NoteVerifier, VerifiedNote};
pub use receipt::{Receipt, VerifiedReceipt};

use crate::cose::EnvelopeError;
use crate::sig::VerifyError;
use crate::signer::SignError;

/// Why a transparency-log proof, note, checkpoint or receipt was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlogError {
    /// A proof has more hashes than any tree of 2⁶⁴ leaves needs.
    #[error("proof of {len} hashes exceeds the limit of {max}")]
    ProofTooLong {
        /// Hashes in the proof.
        len: usize,
        /// The limit ([`merkle::MAX_PROOF_HASHES`]).
        max: usize,
    },
    /// A leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of {tree_size} leaves")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The tree size.
        tree_size: u64,
    },
    /// A consistency proof's old tree is larger than its new tree.
    #[error("old tree size {old_size} exceeds new tree size {new_size}")]
    SizeOrder {
        /// The old size.
        old_size: u64,
        /// The new size.
        new_size: u64,
    },
    /// A proof has the wrong number of hashes for its tree sizes.
    #[error("proof has the wrong number of hashes for its tree size")]
    ProofLength,
    /// A proof leads to another root than the one given.
    #[error("proof does not lead to the expected root")]
    RootMismatch,
    /// A note is larger than [`note::MAX_NOTE_LEN`].
    #[error("note of {len} bytes exceeds the limit of {max} bytes")]
    NoteTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A note has more signature lines than [`note::MAX_SIGNATURES`].
    #[error("note has {count} signatures, more than the limit of {max}")]
    TooManySignatures {
        /// Signature lines in the note (with the one being added, when adding).
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A note's text or signature block is malformed.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    /// A key name is empty or has a space or a `+`.
    #[error("key name is empty or contains a space or '+'")]
    InvalidKeyName,
    /// A `vkey` verifier key is malformed.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    /// A `vkey`'s key id is not the hash of its name and key.
    #[error("verifier key id {found:08x} is not {expected:08x}, the id of its name and key")]
    VerifierKeyId {
        /// The key id the name and key give.
        expected: u32,
        /// The key id written.
        found: u32,
    },
    /// A `vkey` names a signature type vouch does not verify.
    #[error("verifier key type {0:#04x} is not supported (0x01 Ed25519, 0x04 cosignature/v1)")]
    UnsupportedKeyType(u8),
    /// A note key or receipt key is of an algorithm the format does not allow.
    #[error("a {what} key must be {expected}")]
    KeyAlgorithm {
        /// Which format.
        what: &'static str,
        /// The algorithm it needs.
        expected: &'static str,
    },
    /// A signature by a known key does not verify: the whole note is refused.
    #[error("signature by {name} ({key_id:08x}) does not verify")]
    BadSignature {
        /// The key name.
        name: String,
        /// The key id.
        key_id: u32,
        /// What failed.
        #[source]
        source: Option<VerifyError>,
    },
    /// A required key did not sign the note.
    #[error("note is not signed by {name} ({key_id:08x})")]
    MissingSignature {
        /// The key name.
        name: String,
        /// The key id.
        key_id: u32,
    },
    /// No required key was given: a note verified by nobody proves nothing.
    #[error("no required key given")]
    NoRequiredKey,
    /// A cosignature's timestamp exceeds 2⁶³ − 1.
    #[error("cosignature timestamp {0} exceeds 2^63 - 1")]
    CosignatureTime(u64),
    /// A checkpoint body is malformed.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// The log's key name is not the checkpoint's origin.
    #[error("checkpoint origin {origin:?} is not the log key's name {key_name:?}")]
    OriginMismatch {
        /// The checkpoint's origin line.
        origin: String,
        /// The log key's name.
        key_name: String,
    },
    /// A signer could not sign.
    #[error("could not sign")]
    Sign(#[from] SignError),
    /// A receipt's COSE structure or signature was refused.
    #[error("receipt refused")]
    Envelope(#[from] EnvelopeError),
    /// A receipt is larger than [`receipt::MAX_RECEIPT_LEN`].
    #[error("receipt of {len} bytes exceeds the limit of {max} bytes")]
    ReceiptTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An envelope carries (or would carry) more receipts than
    /// [`receipt::MAX_RECEIPTS`].
    #[error("{count} receipts exceed the limit of {max} per envelope")]
    TooManyReceipts {
        /// The receipts in the envelope's header, or given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A receipt is well-formed COSE but not an RFC 9162 receipt of inclusion.
    #[error("malformed receipt: {0}")]
    MalformedReceipt(&'static str),
    /// A receipt's verifiable data structure is not RFC9162_SHA256 (1).
    #[error("receipt verifiable data structure {0} is not RFC9162_SHA256 (1)")]
    UnsupportedVds(i64),
}
