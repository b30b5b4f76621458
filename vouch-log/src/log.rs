//! [`Log`]: a log directory, opened and checked, and the operations on it.

use std::path::{Path, PathBuf};

use vouch_core::Signer;
use vouch_core::tlog::merkle::{self, EMPTY_ROOT, Hash};
use vouch_core::tlog::note::MAX_NOTE_LEN;
use vouch_core::tlog::receipt::{self, Receipt};
use vouch_core::tlog::{Checkpoint, NoteVerifier};

use crate::append::write_entry;
use crate::audit::audit;
use crate::fsio::{LockKind, lock, read_bounded, remove_dir, sync_dir, write_atomic};
use crate::layout::{CHECKPOINT_PATH, LOCK_PATH, VKEY_PATH};
use crate::tiles::Tiles;
use crate::{LogError, MAX_ENTRY_LEN};

/// The largest `vkey` file read, in bytes: a verifier key is at most 1024.
pub const MAX_VKEY_FILE: u64 = 2048;

/// A transparency log in a directory, as of the newest checkpoint this
/// handle verified.
///
/// Every method that reads the tree takes the directory's lock shared, and
/// [`Log::append`] takes it exclusively, so handles in several threads or
/// processes see whole appends only.
#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    verifier: NoteVerifier,
    checkpoint: Checkpoint,
    note: Vec<u8>,
}

/// What [`Log::append`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The entry's index.
    pub index: u64,
    /// The tree size after it: `index + 1`.
    pub tree_size: u64,
    /// The entry's leaf hash.
    pub leaf: Hash,
    /// The new tree's root.
    pub root: Hash,
    /// The new checkpoint, a signed note, as written to `checkpoint`.
    pub checkpoint: Vec<u8>,
    /// The entry's inclusion proof in the new tree, from the leaf up.
    pub inclusion_proof: Vec<Hash>,
}

/// What [`Log::register`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    /// The append.
    pub appended: Appended,
    /// The COSE Receipt of the entry in the new tree.
    pub receipt: Vec<u8>,
    /// The envelope with the receipt added to those it carried.
    pub envelope: Vec<u8>,
}

impl Log {
    /// Creates an empty log in `dir` (made if missing; an existing one
    /// must be empty), named `origin`, signed by the Ed25519 `signer`:
    /// writes the verifier key to `vkey` and the checkpoint of the empty
    /// tree.
    ///
    /// The origin is the checkpoint's first line and the log key's name;
    /// C2SP suggests the URL prefix the log is served at, without the
    /// scheme (`example.com/log`).
    pub fn create<S: Signer + ?Sized>(
        dir: impl AsRef<Path>,
        origin: &str,
        signer: &S,
    ) -> Result<Log, LogError> {
        let dir = dir.as_ref();
        let verifier = NoteVerifier::ed25519(origin, signer.public_key())?;
        std::fs::create_dir_all(dir).map_err(|e| LogError::io(dir, e))?;
        let _lock = lock(dir, LockKind::Exclusive)?;
        let mut listing = std::fs::read_dir(dir).map_err(|e| LogError::io(dir, e))?;
        if listing.any(|e| e.map_or(true, |e| e.file_name() != LOCK_PATH)) {
            return Err(LogError::NotEmpty {
                path: dir.to_owned(),
            });
        }
        let checkpoint = Checkpoint::new(origin, 0, EMPTY_ROOT)?;
        let note = checkpoint.sign(signer)?.to_bytes();
        write_atomic(
            &dir.join(VKEY_PATH),
            format!("{}\n", verifier.to_vkey()).as_bytes(),
        )?;
        write_atomic(&dir.join(CHECKPOINT_PATH), &note)?;
        sync_dir(dir)?;
        Ok(Log {
            dir: dir.to_owned(),
            verifier,
            checkpoint,
            note,
        })
    }

    /// The verifier key stored in the log directory (`vkey`), read and
    /// parsed, *not trusted*: whoever can rewrite the log can rewrite it.
    /// Verifiers take the key from their roster instead.
    pub fn stored_verifier(dir: impl AsRef<Path>) -> Result<NoteVerifier, LogError> {
        let path = dir.as_ref().join(VKEY_PATH);
        let bytes = read_bounded(&path, MAX_VKEY_FILE)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            vouch_core::tlog::TlogError::MalformedVerifierKey("the vkey file is not UTF-8")
        })?;
        Ok(NoteVerifier::from_vkey(text.trim_end_matches('\n'))?)
    }

    /// Opens the log in `dir` with the key stored beside it (see
    /// [`Log::stored_verifier`]) and checks it whole, as
    /// [`Log::open_with`] does. Suits the log's own writer; a verifier
    /// uses [`Log::open_with`] with the key it trusts.
    pub fn open(dir: impl AsRef<Path>) -> Result<Log, LogError> {
        let verifier = Log::stored_verifier(&dir)?;
        Log::open_with(dir, &verifier)
    }

    /// Opens the log in `dir` whose key is `verifier` and checks it whole:
    /// the checkpoint is signed by that key (its name the origin), every
    /// entry hashes to its leaf in the level-0 tiles, every tile holds the
    /// hashes of the full tiles below it, and the tiles reproduce the
    /// checkpoint's root. Reads every file of the tree once.
    pub fn open_with(dir: impl AsRef<Path>, verifier: &NoteVerifier) -> Result<Log, LogError> {
        let dir = dir.as_ref();
        let _lock = lock(dir, LockKind::Shared)?;
        let (checkpoint, note) = read_checkpoint(dir, verifier)?;
        audit(dir, &checkpoint)?;
        Ok(Log {
            dir: dir.to_owned(),
            verifier: verifier.clone(),
            checkpoint,
            note,
        })
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The log's origin, its checkpoints' first line.
    pub fn origin(&self) -> &str {
        self.checkpoint.origin()
    }

    /// The log's note key.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// The log's verifier key, `origin+keyid+base64`, for rosters and
    /// `signed_note`-style verifiers.
    pub fn vkey(&self) -> String {
        self.verifier.to_vkey()
    }

    /// The tree size of the newest checkpoint this handle verified.
    pub fn size(&self) -> u64 {
        self.checkpoint.size()
    }

    /// The newest checkpoint this handle verified.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// That checkpoint's signed note, as stored.
    pub fn checkpoint_note(&self) -> &[u8] {
        &self.note
    }

    /// Re-reads the checkpoint (another handle may have appended) and
    /// checks that it is signed by the log's key, extends the one this
    /// handle had (a consistency proof from the tiles), and that the tiles
    /// reproduce its root. Does not re-read the whole log: the entries
    /// this handle checked are fixed by the consistency proof.
    pub fn refresh(&mut self) -> Result<(), LogError> {
        let _lock = lock(&self.dir, LockKind::Shared)?;
        self.catch_up()
    }

    /// [`Log::refresh`] under a lock the caller holds.
    fn catch_up(&mut self) -> Result<(), LogError> {
        let (current, note) = read_checkpoint(&self.dir, &self.verifier)?;
        let (old, new) = (self.checkpoint.size(), current.size());
        if new < old {
            return Err(LogError::Inconsistent {
                old_size: old,
                new_size: new,
                source: None,
            });
        }
        let mut tiles = Tiles::new(&self.dir, new);
        if tiles.root(new)? != *current.root() {
            return Err(LogError::RootMismatch { size: new });
        }
        let proof = tiles.consistency_proof(old, new)?;
        merkle::verify_consistency(old, new, self.checkpoint.root(), current.root(), &proof)
            .map_err(|e| LogError::Inconsistent {
                old_size: old,
                new_size: new,
                source: Some(Box::new(e)),
            })?;
        self.checkpoint = current;
        self.note = note;
        Ok(())
    }

    /// Checks that `signer` holds the log's key.
    fn check_signer<S: Signer + ?Sized>(&self, signer: &S) -> Result<(), LogError> {
        let theirs = NoteVerifier::ed25519(self.origin(), signer.public_key());
        if theirs.as_ref().ok() != Some(&self.verifier) {
            return Err(LogError::WrongKey { vkey: self.vkey() });
        }
        Ok(())
    }

    /// Appends a statement envelope (a vouch `COSE_Sign`, or any
    /// `COSE_Sign1`) to the log, signed by the log's key.
    ///
    /// The entry is the envelope's registered bytes
    /// ([`receipt::registered_bytes`]: any receipts it carries removed),
    /// so its leaf is [`receipt::statement_leaf`] of the envelope, at most
    /// [`MAX_ENTRY_LEN`] bytes. Under the exclusive lock: the checkpoint
    /// on disk is verified and must extend the one this handle had; the
    /// tiles must reproduce its root, and the partial entry bundle its
    /// leaves; then the entry bundle and tiles are written, the new root
    /// is computed from them, the new tree must be consistent with the old
    /// one and include the entry, and only then is the new checkpoint
    /// signed and put in place (each file written whole and renamed, so a
    /// static file server never serves half a file).
    pub fn append<S: Signer + ?Sized>(
        &mut self,
        envelope: &[u8],
        signer: &S,
    ) -> Result<Appended, LogError> {
        let entry = receipt::registered_bytes(envelope)?;
        if entry.len() > MAX_ENTRY_LEN {
            return Err(LogError::EntryTooLarge {
                len: entry.len(),
                max: MAX_ENTRY_LEN,
            });
        }
        self.check_signer(signer)?;
        let _lock = lock(&self.dir, LockKind::Exclusive)?;
        self.catch_up()?;

        let (old_size, old_root) = (self.checkpoint.size(), *self.checkpoint.root());
        let completed = write_entry(&self.dir, old_size, &entry)?;
        let new_size = old_size + 1;
        let leaf = merkle::leaf_hash(&entry);

        let mut tiles = Tiles::new(&self.dir, new_size);
        let root = tiles.root(new_size)?;
        let consistency = tiles.consistency_proof(old_size, new_size)?;
        merkle::verify_consistency(old_size, new_size, &old_root, &root, &consistency).map_err(
            |e| LogError::Inconsistent {
                old_size,
                new_size,
                source: Some(Box::new(e)),
            },
        )?;
        let inclusion_proof = tiles.inclusion_proof(old_size, new_size)?;
        merkle::verify_inclusion(&leaf, old_size, new_size, &inclusion_proof, &root)?;

        let checkpoint = Checkpoint::new(self.origin(), new_size, root)?;
        let note = checkpoint.sign(signer)?.to_bytes();
        // The signer could be a key that signs wrongly; check before publishing.
        Checkpoint::verify(&note, &self.verifier, &[])?;
        write_atomic(&self.dir.join(CHECKPOINT_PATH), &note)?;
        sync_dir(&self.dir)?;
        self.checkpoint = checkpoint;
        self.note = note.clone();

        // tlog-tiles lets a log drop partial tiles once the full tile is
        // there; readers of older checkpoints fall back to the full tile.
        for tile in completed {
            remove_dir(&self.dir.join(tile.partials_dir()))?;
            if tile.level() == 0 {
                remove_dir(&self.dir.join(tile.entries_partials_dir()))?;
            }
        }
        Ok(Appended {
            index: old_size,
            tree_size: new_size,
            leaf,
            root,
            checkpoint: note,
            inclusion_proof,
        })
    }

    /// Appends `envelope` ([`Log::append`]) and returns it with the log's
    /// COSE Receipt of it added to the receipts it carried
    /// ([`receipt::attach_receipts`]); `issued_at` (seconds since the Unix
    /// epoch) goes into the receipt's protected header when given.
    pub fn register<S: Signer + ?Sized>(
        &mut self,
        envelope: &[u8],
        signer: &S,
        issued_at: Option<i64>,
    ) -> Result<Registered, LogError> {
        let mut receipts: Vec<Vec<u8>> = receipt::receipts(envelope)?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        let appended = self.append(envelope, signer)?;
        let receipt = Receipt::issue(
            signer,
            &appended.leaf,
            appended.index,
            appended.tree_size,
            &appended.inclusion_proof,
            issued_at,
        )?;
        receipts.push(receipt.clone());
        let envelope = receipt::attach_receipts(envelope, &receipts)?;
        Ok(Registered {
            appended,
            receipt,
            envelope,
        })
    }

    /// The COSE Receipt of entry `index` in the tree of this handle's
    /// checkpoint, signed by the log's key; `issued_at` as in
    /// [`Log::register`]. The proof is read from the tiles and checked
    /// against the checkpoint's root before anything is signed.
    pub fn receipt<S: Signer + ?Sized>(
        &self,
        index: u64,
        issued_at: Option<i64>,
        signer: &S,
    ) -> Result<Vec<u8>, LogError> {
        self.check_signer(signer)?;
        let size = self.size();
        let _lock = lock(&self.dir, LockKind::Shared)?;
        let mut tiles = Tiles::new(&self.dir, size);
        let proof = tiles.inclusion_proof(index, size)?;
        let leaf = tiles.leaf(index)?;
        merkle::verify_inclusion(&leaf, index, size, &proof, self.checkpoint.root())
            .map_err(|_| LogError::RootMismatch { size })?;
        Ok(Receipt::issue(
            signer, &leaf, index, size, &proof, issued_at,
        )?)
    }

    /// The leaf hash of entry `index`, read from the level-0 tiles.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, LogError> {
        let _lock = lock(&self.dir, LockKind::Shared)?;
        Tiles::new(&self.dir, self.size()).leaf(index)
    }

    /// The inclusion proof of entry `index` in the tree of `tree_size`
    /// leaves (at most this handle's size), read from the tiles, hashes
    /// from the leaf up as RFC 9162 orders them. Not checked here: verify
    /// it against a signed root of that size.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, LogError> {
        let _lock = lock(&self.dir, LockKind::Shared)?;
        Tiles::new(&self.dir, self.size()).inclusion_proof(index, tree_size)
    }

    /// The consistency proof from the tree of `old_size` leaves to the
    /// tree of `new_size` (at most this handle's size), read from the
    /// tiles. Not checked here: verify it against signed roots.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, LogError> {
        let _lock = lock(&self.dir, LockKind::Shared)?;
        Tiles::new(&self.dir, self.size()).consistency_proof(old_size, new_size)
    }

    /// The root of the tree of `tree_size` leaves (at most this handle's
    /// size), computed from the tiles.
    pub fn root(&self, tree_size: u64) -> Result<Hash, LogError> {
        let _lock = lock(&self.dir, LockKind::Shared)?;
        Tiles::new(&self.dir, self.size()).root(tree_size)
    }
}

/// Reads and verifies the checkpoint of the log in `dir`.
fn read_checkpoint(dir: &Path, verifier: &NoteVerifier) -> Result<(Checkpoint, Vec<u8>), LogError> {
    let note = read_bounded(&dir.join(CHECKPOINT_PATH), MAX_NOTE_LEN as u64)?;
    let verified = Checkpoint::verify(&note, verifier, &[])?;
    Ok((verified.checkpoint().clone(), note))
}
