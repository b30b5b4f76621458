//! A small append-only transparency log of vouch statements, written as a
//! directory in the C2SP tlog-tiles layout (<https://c2sp.org/tlog-tiles>):
//! for tests, demos and small self-hosted setups.
//!
//! The directory is the log: any static file server can serve it, and any
//! tlog-tiles client can read it. [`Log::append`] adds a statement
//! envelope as the next entry, writes the entry bundle and hash tiles,
//! signs a new C2SP checkpoint with the log's Ed25519 key, and hands back
//! the entry's inclusion proof; [`Log::register`] also issues the COSE
//! Receipt of the entry and returns the envelope carrying it (label 394),
//! which a verifier checks offline with
//! [`vouch_core::tlog::Receipt::verify`].
//!
//! ```text
//! checkpoint                  signed note: origin, tree size, root hash
//! tile/<L>/<N>[.p/<W>]        256 hashes (full) or W of them (partial)
//! tile/entries/<N>[.p/<W>]    the entries, each a big-endian uint16 length + bytes
//! vkey                        the log's verifier key (vouch's addition)
//! ```
//!
//! # What it guarantees, and what it does not
//!
//! A writer never rewrites history: before it replaces the checkpoint it
//! checks that the checkpoint on disk is signed by the log's key, that the
//! tiles reproduce its root, that the new tree is consistent with it, and
//! that the new tree includes the new entry. [`Log::open_with`] checks a
//! whole directory (every entry, every tile, the root) against the key a
//! verifier trusts. Writes go to a temporary file renamed into place, and
//! appends are serialized by a lock on the directory's `.lock` file, so
//! several threads or processes may append. There is no witnessing, no
//! deduplication and no HTTP: the point is a real log with real proofs in
//! a few files, not a service.
//!
//! One module per idea: [`layout`] (paths), the entry bundle format
//! ([`MAX_ENTRY_LEN`]), and [`Log`] itself; the tile reader, the append
//! step and the whole-log audit are private.
//!
//! ```
//! use vouch_core::{Algorithm, cose::Sign1};
//! use vouch_core::tlog::{Checkpoint, Receipt, receipt};
//! use vouch_keys::FileKey;
//! use vouch_log::Log;
//!
//! let dir = std::env::temp_dir().join(format!("vouch-log-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let log_key = FileKey::generate(Algorithm::Ed25519)?;
//! let mut log = Log::create(&dir, "example.com/log", &log_key)?;
//! let vkey = log.vkey(); // what verifiers put in their roster
//!
//! // A statement, signed by someone else, registered in the log.
//! let author = FileKey::generate(Algorithm::Ed25519)?;
//! let envelope = Sign1::sign(&author, "text/plain", b"release v1.0.0")?.to_bytes()?;
//! let registered = log.register(&envelope, &log_key, Some(1_760_000_000))?;
//! assert_eq!(registered.appended.index, 0);
//!
//! // A verifier: the checkpoint verifies with the log's key, and the
//! // receipt the envelope now carries proves the statement is in the log.
//! let verifier = vouch_core::tlog::NoteVerifier::from_vkey(&vkey)?;
//! let checkpoint = Checkpoint::verify(log.checkpoint_note(), &verifier, &[])?;
//! assert_eq!(checkpoint.checkpoint().size(), 1);
//! let leaf = receipt::statement_leaf(&registered.envelope)?;
//! let carried = receipt::receipts(&registered.envelope)?;
//! let proved = Receipt::from_bytes(carried[0])?.verify(&leaf, log_key.public_key())?;
//! assert_eq!(proved.root(), checkpoint.checkpoint().root());
//!
//! // Reopening checks every file against the key.
//! let reopened = Log::open_with(&dir, &verifier)?;
//! assert_eq!(reopened.size(), 1);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod append;
mod audit;
mod bundle;
mod error;
mod fsio;
pub mod layout;
mod log;
mod tiles;

pub use bundle::MAX_ENTRY_LEN;
pub use error::LogError;
pub use layout::Tile;
pub use log::{Appended, Log, MAX_VKEY_FILE, Registered};
