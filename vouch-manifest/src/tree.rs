//! Reproducible content manifests of a directory tree.
//!
//! A [`TreeManifest`] lists every regular file and symbolic link under a
//! directory with its path relative to that directory, and commits to the
//! whole list with one root digest. Building it twice, on another machine or
//! with another number of threads gives the same bytes: paths are sorted,
//! and nothing that varies between checkouts (timestamps, owners, inode
//! numbers, permission bits other than "executable") is recorded.
//!
//! The model and its codec are always here; walking a directory
//! ([`TreeManifest::build`], [`TreeManifest::verify_dir`], [`TreeOptions`])
//! needs the cargo feature `fs` (walkdir and rayon), off by default, so that
//! a verifier that only decodes manifests links no file walker.
//!
//! ```no_run
//! # #[cfg(feature = "fs")]
//! # fn main() -> Result<(), vouch_manifest::tree::TreeError> {
//! use std::path::Path;
//! use vouch_manifest::tree::{TreeManifest, TreeOptions};
//!
//! let options = TreeOptions::default();
//! let manifest = TreeManifest::build(Path::new("checkout"), &options)?;
//! println!("{}", manifest.root());
//! let bytes = manifest.to_canonical_bytes()?;
//! // Later, elsewhere: decode (the root is re-checked) and verify a checkout.
//! let expected = TreeManifest::from_canonical_bytes(&bytes)?;
//! expected.verify_dir(Path::new("other-checkout"), &options)?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "fs"))]
//! # fn main() {}
//! ```
//!
//! # What is recorded
//!
//! - **Regular files**: path, size in bytes, SHA-256 of the content, and the
//!   executable bit. "Executable" is the owner-execute permission (`0o100`),
//!   the bit git uses to choose between modes `100755` and `100644`; on
//!   platforms without Unix permissions it is always `false`. Files are
//!   hashed by streaming through a fixed buffer, never read whole, in
//!   parallel on a rayon thread pool.
//! - **Symbolic links**: path and the link's target text, verbatim. Links are
//!   never followed (a link to a directory is one entry, a dangling link is
//!   fine) and the content they point to is not hashed. Only the directory
//!   given to [`TreeManifest::build`] is itself followed when it is a link.
//! - **Directories** are not entries: they are implied by the paths under
//!   them, so an empty directory is not recorded at all.
//! - **Special files** (sockets, FIFOs, block and character devices) are an
//!   error, [`TreeError::SpecialFile`]: a manifest that silently skipped them
//!   would verify a tree it does not describe. Exclude them with
//!   [`TreeOptions::ignore`] when they are expected.
//!
//! # Paths
//!
//! A [`TreePath`] is UTF-8, relative to the root, with `/` separators. It is
//! not empty, does not start with `/`, contains no backslash and no NUL,
//! and every `/`-separated component is non-empty and neither `.` nor `..`.
//! A file whose name is not UTF-8 is an error ([`TreeError::NonUtf8Path`]),
//! as is one whose name contains a backslash. Entries are sorted bytewise
//! on the UTF-8 path (Rust's `str` order), which is not the order of a
//! directory walk: `a-b` < `a/b` < `a0`.
//!
//! # What is skipped
//!
//! Anything named `.git` (a repository directory, or the `.git` file of a
//! submodule or worktree), at any depth, unless [`TreeOptions::include_git`]
//! is set. [`TreeOptions::ignore`] adds patterns, each matched against every
//! file and directory below the root (a matching directory is skipped with
//! everything under it):
//!
//! | pattern      | skips                                                  |
//! |--------------|--------------------------------------------------------|
//! | `target`     | anything named exactly `target`, at any depth          |
//! | `*.o`        | anything whose name ends with `.o`                     |
//! | `build-*`    | anything whose name starts with `build-`               |
//! | `docs/gen`   | exactly that path relative to the root (no wildcards)  |
//!
//! A pattern has at most one `*`, as its first or last character, and only
//! when it has no `/`. Anything else is refused
//! ([`TreeError::InvalidIgnorePattern`]) rather than guessed at. Names are
//! compared as bytes, so a pattern can skip a file whose name is not UTF-8.
//! The same options must be used to build and to verify a tree.
//!
//! # The root digest
//!
//! The root is SHA-256 over the canonical CBOR (RFC 8949 §4.2.1, as written
//! by [`vouch_core::cbor::to_canonical`]) of the entry list:
//!
//! ```cddl
//! root    = sha256(canonical-cbor(entries))
//! entries = [* entry]             ; sorted bytewise by path, no duplicates
//! entry   = {
//!   "kind": file / symlink,
//!   "path": tstr,                 ; a TreePath, see above
//! }
//! file    = {
//!   "size": uint,                 ; bytes hashed
//!   "type": "file",
//!   "digest": tstr,               ; "sha256:" followed by 64 lowercase hex digits
//!   "executable": bool,
//! }
//! symlink = {
//!   "type": "symlink",
//!   "target": tstr,               ; the link text, verbatim, not empty, no NUL
//! }
//! ```
//!
//! The keys are listed in canonical order: maps sort by the bytes of their
//! encoded keys, so a shorter key comes first. For example, the entry of a
//! non-executable empty file named `e` encodes as
//!
//! ```text
//! a2                                   map(2)
//!   64 6b696e64                          "kind"
//!   a4                                   map(4)
//!     64 73697a65                          "size"
//!     00                                   0
//!     64 74797065                          "type"
//!     64 66696c65                          "file"
//!     66 646967657374                      "digest"
//!     78 47 7368613235363a6533...3535      "sha256:e3b0…b855" (71 bytes)
//!     6a 65786563757461626c65              "executable"
//!     f4                                   false
//!   64 70617468                          "path"
//!   61 65                                "e"
//! ```
//!
//! and a tree holding only that file has the root digest of the bytes
//! `81` (array of one) followed by the entry above. The stored manifest is
//! the canonical CBOR of `{"root": tstr, "entries": entries}`;
//! [`TreeManifest::from_canonical_bytes`] refuses it unless the root matches
//! the entries and the bytes are exactly the canonical encoding of what they
//! decode to.

// The documentation describes the walker, which exists with the `fs`
// feature only; without it, its links have nothing to point at.
#![cfg_attr(not(feature = "fs"), allow(rustdoc::broken_intra_doc_links))]
use std::cmp::Ordering;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use vouch_core::cbor::{self, CborError, Limits, write_head as cbor_head};
use vouch_core::{Digest, DigestAlgorithm, Hasher};

#[cfg(feature = "fs")]
mod fs;
#[cfg(feature = "fs")]
pub use fs::TreeOptions;

/// A path inside a tree: relative, UTF-8, `/`-separated, with no empty,
/// `.` or `..` component, no backslash and no NUL.
///
/// Holding a `TreePath` proves those rules: it can only be made by
/// [`TreePath::new`] (or parsing / deserializing, which call it). The order
/// is bytewise on the UTF-8 text, the order of manifest entries.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TreePath(String);

/// Which rule a candidate [`TreePath`] breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidPathReason {
    /// The path is empty.
    Empty,
    /// The path starts with `/`.
    Absolute,
    /// The path contains a backslash (a separator on Windows).
    Backslash,
    /// The path contains a NUL character.
    Nul,
    /// A component is empty: `//`, or a trailing `/`.
    EmptyComponent,
    /// A component is `.`.
    CurrentDir,
    /// A component is `..`.
    ParentDir,
}

impl fmt::Display for InvalidPathReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidPathReason::Empty => "it is empty",
            InvalidPathReason::Absolute => "it is absolute",
            InvalidPathReason::Backslash => "it contains a backslash",
            InvalidPathReason::Nul => "it contains a NUL character",
            InvalidPathReason::EmptyComponent => "it has an empty component",
            InvalidPathReason::CurrentDir => "it has a `.` component",
            InvalidPathReason::ParentDir => "it has a `..` component",
        })
    }
}

impl TreePath {
    /// Checks `path` against the rules and wraps it.
    pub fn new(path: impl Into<String>) -> Result<Self, TreeError> {
        let path = path.into();
        match Self::check(&path) {
            Ok(()) => Ok(TreePath(path)),
            Err(reason) => Err(TreeError::InvalidPath { path, reason }),
        }
    }

    fn check(path: &str) -> Result<(), InvalidPathReason> {
        if path.is_empty() {
            return Err(InvalidPathReason::Empty);
        }
        if path.starts_with('/') {
            return Err(InvalidPathReason::Absolute);
        }
        if path.contains('\\') {
            return Err(InvalidPathReason::Backslash);
        }
        if path.contains('\0') {
            return Err(InvalidPathReason::Nul);
        }
        for component in path.split('/') {
            match component {
                "" => return Err(InvalidPathReason::EmptyComponent),
                "." => return Err(InvalidPathReason::CurrentDir),
                ".." => return Err(InvalidPathReason::ParentDir),
                _ => {}
            }
        }
        Ok(())
    }

    /// The path as text, `/`-separated.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as a native path below `root`.
    pub fn to_path_under(&self, root: &Path) -> PathBuf {
        // Components are joined one by one so the native separator is used.
        let mut out = root.to_path_buf();
        out.extend(self.0.split('/'));
        out
    }
}

impl fmt::Display for TreePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TreePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TreePath({:?})", self.0)
    }
}

impl AsRef<str> for TreePath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for TreePath {
    type Err = TreeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TreePath::new(s)
    }
}

impl TryFrom<String> for TreePath {
    type Error = TreeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        TreePath::new(s)
    }
}

impl TryFrom<&str> for TreePath {
    type Error = TreeError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        TreePath::new(s)
    }
}

impl Serialize for TreePath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TreePath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        TreePath::new(s).map_err(serde::de::Error::custom)
    }
}

/// One file or symbolic link of a tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TreeEntry {
    /// Where the entry is, relative to the root.
    pub path: TreePath,
    /// What it is, with what the manifest records of it.
    pub kind: EntryKind,
}

impl TreeEntry {
    /// The size in bytes: a file's length, or the length of a link's target
    /// text (what `lstat` reports for a link).
    pub fn size(&self) -> u64 {
        match &self.kind {
            EntryKind::File { size, .. } => *size,
            // usize → u64 never truncates on the platforms Rust supports.
            EntryKind::Symlink { target } => target.len() as u64,
        }
    }
}

/// What an entry is. Encoded as a map whose `"type"` key says which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum EntryKind {
    /// A regular file.
    File {
        /// Length in bytes (the number of bytes hashed).
        size: u64,
        /// SHA-256 of the content.
        digest: Digest,
        /// Whether the owner-execute bit is set.
        executable: bool,
    },
    /// A symbolic link, not followed.
    Symlink {
        /// The link's target text, verbatim (it may be absolute, contain
        /// `..` or point nowhere). Not empty, no NUL.
        target: String,
    },
}

/// What differs between an expected manifest and an actual tree; every list
/// is sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeDiff {
    /// Paths in the actual tree that the expected manifest lacks.
    pub added: Vec<TreePath>,
    /// Paths the expected manifest lists that the actual tree lacks.
    pub removed: Vec<TreePath>,
    /// Paths in both whose kind, size, digest, executable bit or link target
    /// differ.
    pub changed: Vec<TreePath>,
}

impl TreeDiff {
    /// True when the two sides are the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl fmt::Display for TreeDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Enough paths to act on without flooding a log with a whole tree.
        const SHOWN: usize = 10;
        write!(
            f,
            "{} added, {} removed, {} changed",
            self.added.len(),
            self.removed.len(),
            self.changed.len()
        )?;
        let all = self
            .added
            .iter()
            .map(|p| ("added", p))
            .chain(self.removed.iter().map(|p| ("removed", p)))
            .chain(self.changed.iter().map(|p| ("changed", p)));
        let total = self.added.len() + self.removed.len() + self.changed.len();
        for (i, (what, path)) in all.take(SHOWN).enumerate() {
            write!(f, "{}{what} {path}", if i == 0 { ": " } else { ", " })?;
        }
        if total > SHOWN {
            write!(f, ", …")?;
        }
        Ok(())
    }
}

/// Why a tree could not be walked, hashed, verified, or a manifest decoded.
///
/// Every variant about a file names it: the native path for what was found
/// on disk (shown lossily when it is not UTF-8), the [`TreePath`] for what a
/// manifest says.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The root given to build or verify is not a directory.
    #[error("{} is not a directory", path.display())]
    NotADirectory {
        /// The root given.
        path: PathBuf,
    },
    /// A directory (or the root's metadata) could not be read.
    #[error("cannot read directory {}", path.display())]
    ReadDir {
        /// The directory, or the entry whose metadata failed.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A file could not be opened or read.
    #[error("cannot read file {}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A symbolic link's target could not be read.
    #[error("cannot read symbolic link {}", path.display())]
    ReadLink {
        /// The link.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A file name below the root is not UTF-8.
    #[error("path {} is not UTF-8", path.display())]
    NonUtf8Path {
        /// The full path found.
        path: PathBuf,
    },
    /// A symbolic link's target is not UTF-8.
    #[error("target of symbolic link {} is not UTF-8", path.display())]
    NonUtf8LinkTarget {
        /// The link.
        path: PathBuf,
    },
    /// A socket, FIFO or device below the root (see the module docs).
    #[error("{} is a {file_type}, which a tree manifest cannot record (ignore it to skip it)", path.display())]
    SpecialFile {
        /// The special file.
        path: PathBuf,
        /// `"socket"`, `"fifo"`, `"block device"`, `"character device"`
        /// or `"special file"`.
        file_type: &'static str,
    },
    /// The file opened to be hashed is not the one the walk found: a link
    /// now stands at its path, or another file (device and inode differ),
    /// or its size changed in between. Refused, since its content may come
    /// from outside the tree.
    #[error("{} was replaced while the tree was read: {what}", path.display())]
    Replaced {
        /// The file.
        path: PathBuf,
        /// `"a symbolic link is at its path now"`, `"another file is at
        /// its path now"` or `"its size changed"`.
        what: &'static str,
    },
    /// A regular file was replaced by something else while it was hashed.
    #[error("{} stopped being a regular file while the tree was read", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A path breaks the [`TreePath`] rules (found on disk, e.g. a name
    /// with a backslash, or in a manifest).
    #[error("invalid tree path {path:?}: {reason}")]
    InvalidPath {
        /// The path, relative to the root.
        path: String,
        /// The rule it breaks.
        reason: InvalidPathReason,
    },
    /// A symbolic link entry with an empty target or one containing NUL.
    #[error("symbolic link {path} has an empty target or one containing NUL")]
    InvalidLinkTarget {
        /// The link entry.
        path: TreePath,
    },
    /// An ignore pattern outside the documented forms.
    #[error(
        "invalid ignore pattern {pattern:?}: use a name, `*suffix`, `prefix*` or a relative path without `*`"
    )]
    InvalidIgnorePattern {
        /// The pattern given.
        pattern: String,
    },
    /// A manifest's entries are not in bytewise path order.
    #[error("manifest entries out of order: {path} follows {previous}")]
    Unsorted {
        /// The entry out of place.
        path: TreePath,
        /// The entry before it.
        previous: TreePath,
    },
    /// A manifest lists a path twice.
    #[error("manifest lists {path} twice")]
    DuplicatePath {
        /// The repeated path.
        path: TreePath,
    },
    /// A manifest's stored root does not match its entries.
    #[error("manifest root {stored} does not match its entries")]
    RootMismatch {
        /// The root the manifest claims.
        stored: Digest,
    },
    /// The manifest bytes decode, but are not the canonical encoding of what
    /// they decode to (e.g. a text string sent as a byte string, or a tag).
    #[error("manifest bytes are not the canonical encoding of the manifest")]
    NotCanonical,
    /// The bytes are not a manifest (or a manifest could not be encoded).
    #[error("manifest CBOR refused")]
    Cbor(#[from] CborError),
    /// The thread pool asked for could not be started (feature `fs`).
    #[cfg(feature = "fs")]
    #[error("cannot start a pool of {threads} hashing threads")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// What rayon said.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    /// [`TreeManifest::verify_dir`]: the tree is not the one the manifest
    /// describes.
    #[error("{} does not match the manifest: {diff}", root.display())]
    Mismatch {
        /// The directory verified.
        root: PathBuf,
        /// Everything that differs.
        diff: TreeDiff,
    },
}

/// A sorted list of tree entries and the root digest that commits to them.
///
/// The fields are private so that every value holds the invariants: paths
/// strictly increasing (bytewise), link targets valid, and `root` equal to
/// the SHA-256 of the canonical CBOR of `entries` (see the
/// [module documentation](self#the-root-digest)). Deserializing checks them
/// all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ManifestWire")]
pub struct TreeManifest {
    entries: Vec<TreeEntry>,
    root: Digest,
}

/// The received form of a manifest, before its invariants are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestWire {
    entries: Vec<TreeEntry>,
    root: Digest,
}

impl TryFrom<ManifestWire> for TreeManifest {
    type Error = TreeError;

    fn try_from(wire: ManifestWire) -> Result<Self, TreeError> {
        check_entries(&wire.entries)?;
        let root = root_of(&wire.entries);
        if root != wire.root {
            return Err(TreeError::RootMismatch { stored: wire.root });
        }
        Ok(TreeManifest {
            entries: wire.entries,
            root,
        })
    }
}

impl TreeManifest {
    /// Builds a manifest from entries in any order, refusing duplicate paths
    /// and invalid link targets.
    pub fn from_entries(mut entries: Vec<TreeEntry>) -> Result<Self, TreeError> {
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Self::from_sorted(entries)
    }

    fn from_sorted(entries: Vec<TreeEntry>) -> Result<Self, TreeError> {
        check_entries(&entries)?;
        let root = root_of(&entries);
        Ok(TreeManifest { entries, root })
    }

    /// The entries, sorted bytewise by path.
    pub fn entries(&self) -> &[TreeEntry] {
        &self.entries
    }

    /// Takes the entries out.
    pub fn into_entries(self) -> Vec<TreeEntry> {
        self.entries
    }

    /// The root digest committing to the entries.
    pub fn root(&self) -> Digest {
        self.root
    }

    /// The entry at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&TreeEntry> {
        self.entries
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.entries.get(i))
    }

    /// The canonical CBOR of `{"entries": [...], "root": "sha256:…"}`.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, TreeError> {
        Ok(cbor::to_canonical(self)?)
    }

    /// Decodes a manifest with the default CBOR [`Limits`] (64 MiB, enough
    /// for some 400 000 entries).
    ///
    /// Refused: anything but canonical CBOR of exactly the documented shape
    /// (no unknown keys), invalid paths (see [`TreePath`]), unsorted or
    /// repeated paths, invalid link targets, and a root that does not match
    /// the entries.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, TreeError> {
        Self::from_canonical_bytes_with_limits(bytes, Limits::DEFAULT)
    }

    /// [`TreeManifest::from_canonical_bytes`] with explicit limits.
    pub fn from_canonical_bytes_with_limits(
        bytes: &[u8],
        limits: Limits,
    ) -> Result<Self, TreeError> {
        // Decoding the unchecked form first keeps the typed error (a
        // `TryFrom` failure inside serde would arrive as text).
        let wire: ManifestWire = cbor::from_canonical_with_limits(bytes, limits)?;
        let manifest = TreeManifest::try_from(wire)?;
        // Serde accepts some spellings the encoder never writes (a byte
        // string for a text string, a tag around a value); one manifest has
        // one encoding, so the bytes must be exactly that one.
        if manifest.to_canonical_bytes()? != bytes {
            return Err(TreeError::NotCanonical);
        }
        Ok(manifest)
    }

    /// Compares this manifest (what is expected) with `actual`.
    pub fn diff(&self, actual: &TreeManifest) -> TreeDiff {
        let mut diff = TreeDiff::default();
        let (mut e, mut a) = (
            self.entries.iter().peekable(),
            actual.entries.iter().peekable(),
        );
        loop {
            match (e.peek(), a.peek()) {
                (None, None) => break,
                (Some(x), None) => {
                    diff.removed.push(x.path.clone());
                    e.next();
                }
                (None, Some(y)) => {
                    diff.added.push(y.path.clone());
                    a.next();
                }
                (Some(x), Some(y)) => match x.path.cmp(&y.path) {
                    Ordering::Less => {
                        diff.removed.push(x.path.clone());
                        e.next();
                    }
                    Ordering::Greater => {
                        diff.added.push(y.path.clone());
                        a.next();
                    }
                    Ordering::Equal => {
                        if x.kind != y.kind {
                            diff.changed.push(x.path.clone());
                        }
                        e.next();
                        a.next();
                    }
                },
            }
        }
        diff
    }
}

/// Paths strictly increasing and link targets valid.
fn check_entries(entries: &[TreeEntry]) -> Result<(), TreeError> {
    for pair in entries.windows(2) {
        if let [previous, next] = pair {
            match previous.path.cmp(&next.path) {
                Ordering::Less => {}
                Ordering::Equal => {
                    return Err(TreeError::DuplicatePath {
                        path: next.path.clone(),
                    });
                }
                Ordering::Greater => {
                    return Err(TreeError::Unsorted {
                        path: next.path.clone(),
                        previous: previous.path.clone(),
                    });
                }
            }
        }
    }
    for entry in entries {
        if let EntryKind::Symlink { target } = &entry.kind
            && (target.is_empty() || target.contains('\0'))
        {
            return Err(TreeError::InvalidLinkTarget {
                path: entry.path.clone(),
            });
        }
    }
    Ok(())
}

/// The root digest as the module documentation defines it.
///
/// The bytes are written here by hand, streamed into the hasher, rather than
/// through [`cbor::to_canonical`]: the generic encoder builds a value tree and
/// sorts every map's keys, which for 20 000 entries costs about a tenth of
/// hashing 700 MB of files. The keys below are already in canonical order,
/// and tests compare the two encoders on arbitrary entry lists.
fn root_of(entries: &[TreeEntry]) -> Digest {
    // Flushed to the hasher in pieces so the whole list is never held.
    const FLUSH: usize = 64 * 1024;
    let mut hasher = Hasher::new(DigestAlgorithm::Sha256);
    let mut out = Vec::with_capacity(FLUSH + 1024);
    cbor_head(&mut out, MAJOR_ARRAY, entries.len() as u64);
    for entry in entries {
        out.push(0xa2); // map(2)
        cbor_text(&mut out, "kind");
        match &entry.kind {
            EntryKind::File {
                size,
                digest,
                executable,
            } => {
                out.push(0xa4); // map(4)
                cbor_text(&mut out, "size");
                cbor_head(&mut out, MAJOR_UINT, *size);
                cbor_text(&mut out, "type");
                cbor_text(&mut out, "file");
                cbor_text(&mut out, "digest");
                cbor_digest(&mut out, digest);
                cbor_text(&mut out, "executable");
                out.push(if *executable { 0xf5 } else { 0xf4 });
            }
            EntryKind::Symlink { target } => {
                out.push(0xa2); // map(2)
                cbor_text(&mut out, "type");
                cbor_text(&mut out, "symlink");
                cbor_text(&mut out, "target");
                cbor_text(&mut out, target);
            }
        }
        cbor_text(&mut out, "path");
        cbor_text(&mut out, entry.path.as_str());
        if out.len() >= FLUSH {
            hasher.update(&out);
            out.clear();
        }
    }
    hasher.update(&out);
    hasher.finish()
}

const MAJOR_UINT: u8 = 0;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;

fn cbor_text(out: &mut Vec<u8>, text: &str) {
    cbor_head(out, MAJOR_TEXT, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// A digest in its text form, `algorithm:hex` (how `Digest` serializes),
/// without allocating it.
fn cbor_digest(out: &mut Vec<u8>, digest: &Digest) {
    let name = digest.algorithm().name();
    let raw = digest.as_bytes();
    cbor_head(out, MAJOR_TEXT, (name.len() + 1 + 2 * raw.len()) as u64);
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in raw {
        out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &[u8]) -> TreeEntry {
        TreeEntry {
            path: TreePath::new(path).unwrap(),
            kind: EntryKind::File {
                size: content.len() as u64,
                digest: Digest::sha256(content),
                executable: false,
            },
        }
    }

    #[test]
    fn path_rules() {
        for ok in ["a", "a/b", "a b/c.txt", "ü/ß", "...", ".a/..b", "a:b"] {
            assert_eq!(TreePath::new(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            TreePath::new("a/b/c")
                .unwrap()
                .to_path_under(Path::new("/r")),
            Path::new("/r").join("a").join("b").join("c")
        );
        let cases = [
            ("", InvalidPathReason::Empty),
            ("/a", InvalidPathReason::Absolute),
            ("a\\b", InvalidPathReason::Backslash),
            ("a\0b", InvalidPathReason::Nul),
            ("a//b", InvalidPathReason::EmptyComponent),
            ("a/", InvalidPathReason::EmptyComponent),
            ("./a", InvalidPathReason::CurrentDir),
            ("a/./b", InvalidPathReason::CurrentDir),
            ("..", InvalidPathReason::ParentDir),
            ("a/../b", InvalidPathReason::ParentDir),
        ];
        for (bad, why) in cases {
            match TreePath::new(bad) {
                Err(TreeError::InvalidPath { path, reason }) => {
                    assert_eq!(path, bad);
                    assert_eq!(reason, why, "{bad:?}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn path_deserialize_checks_rules() {
        let bytes = cbor::to_canonical("a/../b").unwrap();
        assert!(cbor::from_canonical::<TreePath>(&bytes).is_err());
        let bytes = cbor::to_canonical("a/b").unwrap();
        assert_eq!(
            cbor::from_canonical::<TreePath>(&bytes).unwrap().as_str(),
            "a/b"
        );
    }

    #[test]
    fn path_order_is_bytewise() {
        let mut paths: Vec<TreePath> = ["a0", "a/b", "a-b", "B", "a", "é"]
            .into_iter()
            .map(|p| TreePath::new(p).unwrap())
            .collect();
        paths.sort();
        let got: Vec<&str> = paths.iter().map(TreePath::as_str).collect();
        assert_eq!(got, ["B", "a", "a-b", "a/b", "a0", "é"]);
    }

    #[test]
    fn from_entries_sorts_and_refuses_duplicates() {
        let m = TreeManifest::from_entries(vec![file("b", b"2"), file("a", b"1")]).unwrap();
        assert_eq!(m.entries()[0].path.as_str(), "a");
        assert_eq!(m.get("b").unwrap().size(), 1);
        assert!(m.get("c").is_none());
        assert!(matches!(
            TreeManifest::from_entries(vec![file("a", b"1"), file("a", b"2")]),
            Err(TreeError::DuplicatePath { path }) if path.as_str() == "a"
        ));
        let link = |target: &str| TreeEntry {
            path: TreePath::new("l").unwrap(),
            kind: EntryKind::Symlink {
                target: target.into(),
            },
        };
        assert!(matches!(
            TreeManifest::from_entries(vec![link("")]),
            Err(TreeError::InvalidLinkTarget { .. })
        ));
        assert!(matches!(
            TreeManifest::from_entries(vec![link("a\0b")]),
            Err(TreeError::InvalidLinkTarget { .. })
        ));
        assert_eq!(
            TreeManifest::from_entries(vec![link("../x")])
                .unwrap()
                .entries()[0]
                .size(),
            4
        );
    }

    #[test]
    fn empty_manifest_root_is_sha256_of_empty_array() {
        let m = TreeManifest::from_entries(Vec::new()).unwrap();
        assert_eq!(m.root(), Digest::sha256(&[0x80]));
    }

    #[test]
    fn documented_entry_encoding() {
        // The annotated example in the module documentation.
        let entry = file("e", b"");
        let bytes = cbor::to_canonical(&entry).unwrap();
        // Spelled out to mirror the documentation line by line.
        let mut expected = vec![0xa2, 0x64];
        expected.extend(b"kind");
        expected.extend([0xa4, 0x64]);
        expected.extend(b"size");
        expected.extend([0x00, 0x64]);
        expected.extend(b"type");
        expected.push(0x64);
        expected.extend(b"file");
        expected.push(0x66);
        expected.extend(b"digest");
        expected.extend([0x78, 0x47]);
        expected.extend(Digest::sha256(b"").to_string().as_bytes());
        expected.push(0x6a);
        expected.extend(b"executable");
        expected.extend([0xf4, 0x64]);
        expected.extend(b"path");
        expected.extend([0x61, b'e']);
        assert_eq!(hex::encode(&bytes), hex::encode(&expected));
        let m = TreeManifest::from_entries(vec![entry]).unwrap();
        let mut array = vec![0x81];
        array.extend(&expected);
        assert_eq!(m.root(), Digest::sha256(&array));
    }

    #[test]
    fn streamed_root_matches_the_generic_encoder() {
        // Every width of CBOR head: sizes and text lengths on each side of
        // 24, 2^8, 2^16 and 2^32.
        let sizes = [
            0,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            u64::from(u32::MAX),
            1 << 32,
            u64::MAX,
        ];
        let lengths = [1, 23, 24, 255, 256, 65_535, 65_536];
        let mut entries = Vec::new();
        for (i, size) in sizes.into_iter().enumerate() {
            entries.push(TreeEntry {
                path: TreePath::new(format!("f{i}")).unwrap(),
                kind: EntryKind::File {
                    size,
                    digest: Digest::sha256(&size.to_be_bytes()),
                    executable: i % 2 == 0,
                },
            });
        }
        for (i, len) in lengths.into_iter().enumerate() {
            entries.push(TreeEntry {
                path: TreePath::new(format!("l{i}/{}", "p".repeat(len))).unwrap(),
                kind: EntryKind::Symlink {
                    target: "t".repeat(len),
                },
            });
        }
        let m = TreeManifest::from_entries(entries).unwrap();
        assert_eq!(
            m.root(),
            Digest::sha256(&cbor::to_canonical(m.entries()).unwrap())
        );
        for n in [0, 1, 23, 24, 300] {
            let few = &m.entries()[..n.min(m.entries().len())];
            assert_eq!(
                root_of(few),
                Digest::sha256(&cbor::to_canonical(few).unwrap())
            );
        }
        let many: Vec<TreeEntry> = (0..70_000).map(|i| file(&format!("{i:06}"), b"")).collect();
        assert_eq!(
            root_of(&many),
            Digest::sha256(&cbor::to_canonical(&many).unwrap())
        );
    }

    #[test]
    fn diff_lists_everything() {
        let expected =
            TreeManifest::from_entries(vec![file("a", b"1"), file("b", b"2"), file("c", b"3")])
                .unwrap();
        let actual = TreeManifest::from_entries(vec![
            file("b", b"2"),
            file("c", b"changed"),
            file("d", b"4"),
        ])
        .unwrap();
        let diff = expected.diff(&actual);
        let names = |v: &[TreePath]| v.iter().map(|p| p.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(names(&diff.added), ["d"]);
        assert_eq!(names(&diff.removed), ["a"]);
        assert_eq!(names(&diff.changed), ["c"]);
        assert_eq!(
            diff.to_string(),
            "1 added, 1 removed, 1 changed: added d, removed a, changed c"
        );
        assert!(expected.diff(&expected).is_empty());
    }

    #[test]
    fn decode_refuses_unknown_fields_and_bad_roots() {
        let m = TreeManifest::from_entries(vec![file("a", b"1")]).unwrap();
        let bytes = m.to_canonical_bytes().unwrap();
        assert_eq!(TreeManifest::from_canonical_bytes(&bytes).unwrap(), m);

        let mut value: ciborium::Value = cbor::from_canonical(&bytes).unwrap();
        if let ciborium::Value::Map(fields) = &mut value {
            fields.push(("extra".into(), 1.into()));
        }
        let extra = cbor::value_to_canonical(value).unwrap();
        assert!(matches!(
            TreeManifest::from_canonical_bytes(&extra),
            Err(TreeError::Cbor(CborError::Schema { .. }))
        ));

        let other = TreeManifest::from_entries(vec![file("a", b"2")]).unwrap();
        #[derive(Serialize)]
        struct Forged<'a> {
            entries: &'a [TreeEntry],
            root: Digest,
        }
        let forged = cbor::to_canonical(&Forged {
            entries: m.entries(),
            root: other.root(),
        })
        .unwrap();
        assert!(matches!(
            TreeManifest::from_canonical_bytes(&forged),
            Err(TreeError::RootMismatch { stored }) if stored == other.root()
        ));
    }

    #[test]
    fn decode_refuses_a_byte_string_path() {
        // Serde would take UTF-8 bytes for a `String`; the canonical check
        // must not.
        let m = TreeManifest::from_entries(vec![file("a", b"1")]).unwrap();
        let bytes = m.to_canonical_bytes().unwrap();
        let text_path = [0x64, b'p', b'a', b't', b'h', 0x61, b'a'];
        let at = bytes
            .windows(text_path.len())
            .position(|w| w == text_path)
            .unwrap();
        let mut forged = bytes.clone();
        forged[at + 5] = 0x41; // bytes(1) instead of text(1)
        assert!(matches!(
            TreeManifest::from_canonical_bytes(&forged),
            Err(TreeError::NotCanonical | TreeError::Cbor(_))
        ));
    }
}
