//! C2SP checkpoints (<https://c2sp.org/tlog-checkpoint>): a log's signed
//! tree head, as the text of a signed note.
//!
//! ```text
//! <origin>
//! <tree size, decimal, no leading zeroes>
//! <root hash, base64 of 32 bytes>
//! [extension lines, each non-empty]
//! ```
//!
//! Parsing is strict: exactly these lines, each ending in a newline, a
//! size that fits in 64 bits written without leading zeroes (`0` alone
//! for the empty tree), and a root whose base64 is the canonical padded
//! encoding of 32 bytes. [`Checkpoint::verify`] needs the log's note key,
//! whose name must be the origin (the specification's SHOULD, made a rule
//! here so that a key of one log cannot vouch for another's tree), and
//! checks any witness cosignatures it is given keys for.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::TlogError;
use super::merkle::{self, Hash};
use super::note::{Note, NoteSigner, NoteVerifier, VerifiedNote};
use crate::signer::Signer;

/// A checkpoint body: origin, tree size, root hash, extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines. The origin must be non-empty
    /// and fit on one line of a note.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, TlogError> {
        check_line(origin, "origin is empty or not one line of text")?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The same checkpoint with extension lines (each non-empty, one line).
    pub fn with_extensions(mut self, extensions: Vec<String>) -> Result<Self, TlogError> {
        for e in &extensions {
            check_line(e, "extension line is empty or not one line of text")?;
        }
        self.extensions = extensions;
        Ok(self)
    }

    /// Parses a checkpoint from a note's text.
    pub fn from_text(text: &str) -> Result<Self, TlogError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(TlogError::MalformedCheckpoint("does not end in a newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(TlogError::MalformedCheckpoint(
                "fewer than three lines (origin, size, root hash)",
            ));
        };
        check_line(origin, "origin is empty or not one line of text")?;
        let size = parse_size(size)?;
        let root = parse_root(root)?;
        let mut extensions = Vec::new();
        for e in lines {
            check_line(e, "extension line is empty")?;
            extensions.push(e.to_owned());
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The note text of this checkpoint.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        );
        for e in &self.extensions {
            out.push_str(e);
            out.push('\n');
        }
        out
    }

    /// Signs the checkpoint as the log, with an Ed25519 `signer` under the
    /// origin as key name, and returns the signed note (more signatures,
    /// such as witness cosignatures, can be added to it).
    pub fn sign<S: Signer + ?Sized>(&self, signer: &S) -> Result<Note, TlogError> {
        let mut note = Note::new(&self.to_text())?;
        note.sign(&self.origin, signer)?;
        Ok(note)
    }

    /// Verifies a signed checkpoint: the note parses, `log` (whose name
    /// must be the origin) signed it, and every signature by a key in
    /// `witnesses` verifies; other signatures are ignored.
    pub fn verify(
        note: &[u8],
        log: &NoteVerifier,
        witnesses: &[NoteVerifier],
    ) -> Result<VerifiedCheckpoint, TlogError> {
        let note = Note::from_bytes(note)?;
        let checkpoint = Checkpoint::from_text(note.unverified_text())?;
        if checkpoint.origin != log.name() {
            return Err(TlogError::OriginMismatch {
                origin: checkpoint.origin,
                key_name: log.name().to_owned(),
            });
        }
        let verified = note.verify(std::slice::from_ref(log), witnesses)?;
        Ok(VerifiedCheckpoint {
            checkpoint,
            log: log.clone(),
            note: verified,
        })
    }

    /// The origin line: the log's identity.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// The extension lines, without their newlines.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }
}

fn check_line(line: &str, why: &'static str) -> Result<(), TlogError> {
    if line.is_empty() || line.bytes().any(|b| b < 0x20) {
        return Err(TlogError::MalformedCheckpoint(why));
    }
    Ok(())
}

fn parse_size(s: &str) -> Result<u64, TlogError> {
    let bad = TlogError::MalformedCheckpoint("tree size is not a decimal without leading zeroes");
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(bad);
    }
    s.parse().map_err(|_| bad)
}

fn parse_root(s: &str) -> Result<Hash, TlogError> {
    let bad = TlogError::MalformedCheckpoint("root hash is not the base64 of 32 bytes");
    // 32 bytes are 44 base64 characters; checking first bounds the decode.
    if s.len() != 44 {
        return Err(bad);
    }
    let raw = STANDARD.decode(s).map_err(|_| bad)?;
    <Hash>::try_from(raw.as_slice())
        .map_err(|_| TlogError::MalformedCheckpoint("root hash is not the base64 of 32 bytes"))
}

/// A checkpoint its log signed: only this crate makes one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    checkpoint: Checkpoint,
    log: NoteVerifier,
    note: VerifiedNote,
}

impl VerifiedCheckpoint {
    /// The verified checkpoint.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The verified note (its text and every known key that signed).
    pub fn note(&self) -> &VerifiedNote {
        &self.note
    }

    /// The witnesses that cosigned (every verified signer but the log),
    /// each with its cosigned time when it is a `cosignature/v1`. A quorum
    /// of witnesses is the caller's policy.
    pub fn cosignatures(&self) -> impl Iterator<Item = &NoteSigner> + '_ {
        self.note.signers().iter().filter(|s| !s.is(&self.log))
    }

    /// Verifies that `leaf` is entry `index` of this tree.
    pub fn verify_inclusion(
        &self,
        leaf: &Hash,
        index: u64,
        proof: &[Hash],
    ) -> Result<(), TlogError> {
        merkle::verify_inclusion(
            leaf,
            index,
            self.checkpoint.size,
            proof,
            &self.checkpoint.root,
        )
    }

    /// Verifies that this tree is a prefix of `newer`'s (both from the
    /// same log: the origins must be equal).
    pub fn verify_consistency(
        &self,
        newer: &VerifiedCheckpoint,
        proof: &[Hash],
    ) -> Result<(), TlogError> {
        if self.checkpoint.origin != newer.checkpoint.origin {
            return Err(TlogError::OriginMismatch {
                origin: newer.checkpoint.origin.clone(),
                key_name: self.checkpoint.origin.clone(),
            });
        }
        merkle::verify_consistency(
            self.checkpoint.size,
            newer.checkpoint.size,
            &self.checkpoint.root,
            &newer.checkpoint.root,
            proof,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::merkle::{consistency_proof, inclusion_proof, leaf_hash, root};
    use crate::tlog::note::tests::ed;
    use proptest::prelude::*;

    const SPEC: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn spec_example_parses() {
        let cp = Checkpoint::from_text(SPEC).unwrap();
        assert_eq!(cp.origin(), "example.com/behind-the-sofa");
        assert_eq!(cp.size(), 20852163);
        assert_eq!(cp.to_text(), SPEC);
        let ext = format!("{SPEC}ext one\nmore\n");
        let cp = Checkpoint::from_text(&ext).unwrap();
        assert_eq!(cp.extensions(), ["ext one", "more"]);
        assert_eq!(cp.to_text(), ext);
    }

    #[test]
    fn strict_parsing() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        for bad in [
            String::new(),
            "o\n1\n".to_owned(),
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n+1\n{root}\n"),
            format!("o\n\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("o\n1 \n{root}\n"),
            format!("o\n1\n{}\n", &root[..43]),
            format!("o\n1\n{}==\n", &root[..42]),
            "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".to_owned(),
            format!("o\n1\n{root}\n\n"),
            format!("o\n1\n{root}\next\n\n"),
        ] {
            assert!(Checkpoint::from_text(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Checkpoint::from_text(&format!("o\n0\n{root}\n"))
                .unwrap()
                .size(),
            0
        );
        assert_eq!(
            Checkpoint::from_text(&format!("o\n18446744073709551615\n{root}\n"))
                .unwrap()
                .size(),
            u64::MAX
        );
        assert!(Checkpoint::new("", 1, [0; 32]).is_err());
        assert!(Checkpoint::new("a\nb", 1, [0; 32]).is_err());
        assert!(
            Checkpoint::new("o", 1, [0; 32])
                .unwrap()
                .with_extensions(vec![String::new()])
                .is_err()
        );
    }

    #[test]
    fn sign_verify_and_prove() {
        let log = ed(4);
        let leaves: Vec<Hash> = (0u8..10).map(|i| leaf_hash(&[i])).collect();
        let old = Checkpoint::new("example.com/log", 6, root(&leaves[..6])).unwrap();
        let new = Checkpoint::new("example.com/log", 10, root(&leaves)).unwrap();
        let key = NoteVerifier::ed25519("example.com/log", log.public_key()).unwrap();
        let old = Checkpoint::verify(&old.sign(&log).unwrap().to_bytes(), &key, &[]).unwrap();
        let new = Checkpoint::verify(&new.sign(&log).unwrap().to_bytes(), &key, &[]).unwrap();
        assert_eq!(new.cosignatures().count(), 0);
        new.verify_inclusion(&leaves[7], 7, &inclusion_proof(&leaves, 7).unwrap())
            .unwrap();
        assert!(
            new.verify_inclusion(&leaves[7], 6, &inclusion_proof(&leaves, 7).unwrap())
                .is_err()
        );
        old.verify_consistency(&new, &consistency_proof(&leaves, 6).unwrap())
            .unwrap();
        assert!(
            new.verify_consistency(&old, &consistency_proof(&leaves, 6).unwrap())
                .is_err()
        );
        // A key named for another log.
        let other = NoteVerifier::ed25519("example.com/other", log.public_key()).unwrap();
        let note = Checkpoint::new("example.com/log", 1, leaves[0])
            .unwrap()
            .sign(&log)
            .unwrap();
        assert!(matches!(
            Checkpoint::verify(&note.to_bytes(), &other, &[]),
            Err(TlogError::OriginMismatch { .. })
        ));
        // Another log's key under this origin's name: its signature is unknown.
        let impostor = NoteVerifier::ed25519("example.com/log", ed(5).public_key()).unwrap();
        assert!(matches!(
            Checkpoint::verify(&note.to_bytes(), &impostor, &[]),
            Err(TlogError::MissingSignature { .. })
        ));
    }

    proptest! {
        /// Checkpoint text round-trips, and parsing arbitrary text never panics.
        #[test]
        fn round_trip(origin in "[a-z0-9./+ ]{1,20}", size in any::<u64>(), root in any::<[u8; 32]>(), ext in proptest::collection::vec("[a-z0-9 ]{1,10}", 0..3)) {
            let cp = Checkpoint::new(&origin, size, root).unwrap().with_extensions(ext).unwrap();
            let text = cp.to_text();
            prop_assert_eq!(Checkpoint::from_text(&text).unwrap(), cp);
        }

        #[test]
        fn arbitrary_text(text in "[0-9a-zA-Z+/=\n]{0,80}") {
            if let Ok(cp) = Checkpoint::from_text(&text) {
                prop_assert_eq!(cp.to_text(), text);
            }
        }
    }
}
